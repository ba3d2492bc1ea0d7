"""The pages work under the Content-Security-Policy in a real browser: the desktop, the wallboard
(with its live socket), the knowledge panel, a lesson, the back office (lists, forms, the script
editor, a report with charts) and the API docs load without a single violation reported, neither
as a ``securitypolicyviolation`` event nor in the console."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections

from contactcenter.demo.simulator.center import DEMO_PASSWORD
from contactcenter.scripts.models import Script
from contactcenter.training.models import Course
from customers.models import Customer
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT_MS = 15_000
#: Registered before any page script runs: every violation the browser reports is kept.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = event.sourceFile + ":" + event.lineNumber;
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " " + where);
});
"""


@pytest.fixture
def strict_chromium(transactional_db) -> Iterator:
    """Chromium enforcing the Content-Security-Policy (the shared ``chromium`` fixture bypasses it).

    While it is open its event loop runs in this thread, so ORM calls get database connections of
    their own (asgiref's thread-critical locals follow the loop's context): they are closed before
    the browser, and the database is flushed after it."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    profile = tempfile.mkdtemp(prefix="switchboard-chromium-csp-")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield context
        finally:
            context.close()
            connections.close_all()
            shutil.rmtree(profile, ignore_errors=True)
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def center(transactional_db):
    call_command("demo", "--customers=10", "--days=1", "--now=2026-11-18T18:30:00+01:00", stdout=StringIO())


def log_in(page, server, username: str) -> None:
    page.goto(f"{server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click(".login-card button[type=submit]")
    page.wait_for_load_state("load")


def visit(page, server, path: str, ready: str | None = None) -> list[str]:
    """Open ``path``, wait for the selector ``ready`` and return the violations the page reported.
    (Selectors only: a JavaScript condition would be evaluated in the page, which the policy forbids.)"""
    page.goto(server.url + path)
    page.wait_for_load_state("networkidle")
    if ready:
        page.wait_for_selector(ready, state="attached", timeout=TIMEOUT_MS)
    return [f"{path}: {violation}" for violation in page.evaluate("window.__cspViolations || []")]


def test_no_page_breaks_the_content_security_policy(strict_chromium, asgi_live_server, center):
    chromium = strict_chromium
    server = asgi_live_server
    page = chromium.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(LISTEN)
    violations: list[str] = []
    try:
        log_in(page, server, "agent1")
        violations += visit(page, server, "/desk/", "html[data-live=open]")
        # htmx at work: the knowledge search (typing, arrows) and an article (Escape goes back).
        page.fill("#knowledge-q", "a")
        # The search answered (leaving before would abort the request in the middle).
        page.wait_for_selector("#knowledge-status:not(:empty)", state="attached", timeout=TIMEOUT_MS)
        page.wait_for_load_state("networkidle")
        course = Course.objects.filter(lessons__isnull=False).first()
        lesson = course.lessons.order_by("order").first()
        violations += visit(page, server, f"/desk/training/{course.pk}/lessons/{lesson.pk}/", "main")
        violations += visit(page, server, "/desk/knowledge/", "#knowledge-q")
        chromium.clear_cookies()

        log_in(page, server, "supervisor1")
        violations += visit(page, server, "/wallboard/", "html[data-live=open]")
        chromium.clear_cookies()

        log_in(page, server, "admin")
        customer = Customer.objects.order_by("pk").first()
        script = Script.objects.order_by("pk").first()
        for path, ready in [
            ("/admin/", "#content-main"),
            ("/admin/customers/customer/", "#changelist"),
            (f"/admin/customers/customer/{customer.pk}/change/", "#content-main form"),
            ("/admin/interactions/ticket/add/", "#content-main form"),
            (f"/admin/scripts/script/{script.pk}/steps/", "#content"),
            (f"/admin/customers/customer/{customer.pk}/history/", "#content"),
            ("/admin/reports/performance/", ".kpi-chart"),
            ("/api/docs/", ".opblock"),
        ]:
            violations += visit(page, server, path, ready)
        # The language selector submits its form by itself (no inline handler).
        page.goto(server.url + "/desk/knowledge/")
        page.select_option("#language-select", "fr")
        page.wait_for_selector("html[lang=fr]", state="attached", timeout=TIMEOUT_MS)
    finally:
        page.close()
    reported = [text for text in console if "Content Security Policy" in text or "Content-Security-Policy" in text]
    assert not violations and not reported, "\n".join(violations + reported)
