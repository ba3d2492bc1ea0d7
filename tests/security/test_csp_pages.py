"""Every HTML page answers with the Content-Security-Policy and Permissions-Policy headers, and holds
nothing that policy would block: no inline script, no event-handler attribute, no inline style, no
``javascript:`` link. Walked on a small demo center: each named route of the site (with ids of the
center's objects), and in the back office every model's list, add and change pages, every custom
screen of a model (script editor, course progress…) and every report."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from contactcenter.agents.models import Queue
from contactcenter.distribution.models import WorkItem
from contactcenter.knowledge.models import Article
from contactcenter.quality.models import CalibrationSession, Dispute, Evaluation
from contactcenter.scripts.models import ScriptVersion
from contactcenter.training.models import Course, LessonAttachment
from customers.models import Customer
from interactions.models import Interaction, Ticket
from kpis.reports import _registry as reports

pytestmark = pytest.mark.django_db

#: Routes that never answer a page: JSON, files, redirects after a POST.
NOT_PAGES = {"healthz", "api-schema", "set_language", "desk:logout", "desk:training_attachment", "portal:sign_out"}

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[a-z][^>]*\s(on[a-z]+|hx-on[:\w-]*)\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=\s*(\"[^\"]*\"|'[^']*')", re.I)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I)
#: Inline styles of third-party templates, allowed by their hash (settings.CSP_STYLE_HASHES).
HASHED_STYLES = {'"border-top: 0"'}


@pytest.fixture
def center() -> None:
    call_command("demo", "--customers=15", "--days=1", "--now=2026-11-18T18:30:00+01:00", stdout=StringIO())


def problems(path: str, response) -> list[str]:
    """What a CSP-compliant page may not hold, found in ``response`` (empty list: none)."""
    found = []
    if "Content-Security-Policy" not in response.headers:
        found.append(f"{path}: no Content-Security-Policy header")
    elif "script-src 'self'" not in response.headers["Content-Security-Policy"]:
        found.append(f"{path}: scripts not limited to the site: {response.headers['Content-Security-Policy']}")
    if "Permissions-Policy" not in response.headers:
        found.append(f"{path}: no Permissions-Policy header")
    if "text/html" not in response.get("Content-Type", ""):
        return found
    html = response.content.decode()
    for name, pattern in (
        ("inline script", INLINE_SCRIPT),
        ("event handler", HANDLER),
        ("<style> element", STYLE_ELEMENT),
        ("javascript: URL", JAVASCRIPT_URL),
    ):
        found += [f"{path}: {name} {match.group(0)[:120]!r}" for match in pattern.finditer(html)]
    found += [
        f"{path}: style attribute {match.group(0)[:120]!r}"
        for match in STYLE_ATTRIBUTE.finditer(html)
        if match.group(1) not in HASHED_STYLES
    ]
    return found


def site_routes(patterns=None, namespace: str = "") -> list[tuple[str, URLPattern]]:
    """(name, pattern) of every named route outside the back office and the API."""
    routes = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern).startswith(("admin/", "api/v1/")):
                continue
            inner = f"{namespace}:{entry.namespace}".strip(":") if entry.namespace else namespace
            routes += site_routes(entry.url_patterns, inner)
        elif entry.name:
            routes.append((f"{namespace}:{entry.name}".strip(":"), entry))
    return routes


def first_pk(model: type[Model], **filters) -> int:
    obj = model._default_manager.filter(**filters).order_by("pk").first()
    assert obj is not None, f"the demo center has no {model.__name__}"
    return obj.pk


def site_kwargs(name: str, pattern: URLPattern, user) -> dict[str, int | str]:
    """Ids of the demo center's objects for the route's arguments."""
    course = Course.objects.filter(lessons__isnull=False).order_by("pk").first()
    by_argument = {
        "interaction_id": first_pk(Interaction, agent=user) if Interaction.objects.filter(agent=user).exists() else 1,
        "version_id": first_pk(ScriptVersion),
        "customer_id": first_pk(Customer),
        # The desk's callback actions answer POST only: any id does for a GET (405).
        "callback_id": 1,
        "lesson_pk": course.lessons.order_by("order").first().pk,
        # The wallboard's panels: a queue and an agent of supervisor1's team.
        "queue_id": first_pk(Queue, agents__user__username="agent1"),
        "username": "agent1",
        # A routed work item's move (a form's target: a GET is refused, under the policy too).
        "item_id": WorkItem.objects.order_by("pk").values_list("pk", flat=True).first() or 1,
        # The call bar's recording pause (POST only: a GET is refused).
        "action": "pause",
        # An email ticket's file download and "send again" (POST only): the demo's tickets may have no
        # mail, any id does (404, 405: under the policy too).
        "attachment": 1,
        "message": 1,
        # The customer portal: an article's slug (the demo's may be internal: 404, under the policy
        # too) and a sign-in link's token (an unknown one: the page saying so).
        "slug": Article.objects.order_by("pk").values_list("slug", flat=True).first() or "none",
        "token": "unknown-token",
    }
    by_route = {
        "desk:knowledge_article": first_pk(Article),
        "desk:training_course": course.pk,
        "desk:training_lesson": course.pk,
        "desk:training_quiz": first_pk(Course, quiz__isnull=False),
        "desk:training_attachment": first_pk(LessonAttachment) if LessonAttachment.objects.exists() else 1,
        # The quality pages: the demo's evaluations when it made some (any id otherwise: 404, under the policy).
        "desk:quality_interaction": Evaluation.objects.order_by("pk").values_list("interaction_id", flat=True).first()
        or 1,
        "desk:quality_evaluation": Evaluation.objects.exclude(state="draft")
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
        or 1,
        "desk:quality_dispute_review": Dispute.objects.order_by("pk").values_list("pk", flat=True).first() or 1,
        "desk:quality_calibration": CalibrationSession.objects.order_by("pk").values_list("pk", flat=True).first() or 1,
    }
    kwargs = {}
    for argument in pattern.pattern.converters:
        if argument == "pk":
            kwargs[argument] = by_route.get(name, first_pk(Ticket))
        else:
            kwargs[argument] = by_argument[argument]
    return kwargs


def test_every_page_of_the_site_is_served_under_the_policy(center):
    failures, seen = [], []
    for username in ("admin", "agent1", "supervisor1"):
        user = get_user_model().objects.get(username=username)
        client = Client()
        client.force_login(user)
        for name, pattern in site_routes():
            if name in NOT_PAGES:
                continue
            path = reverse(name, kwargs=site_kwargs(name, pattern, user))
            response = client.get(path)
            failures += problems(f"{username} {path} ({response.status_code})", response)
            seen.append((name, response.status_code))
    # The pages themselves were reached, not login redirects or errors.
    ok = {name for name, status in seen if status == 200}
    assert {"home", "desk:desktop", "desk:wallboard", "desk:tickets_list", "desk:training_lesson"} <= ok
    assert {"desk:knowledge_article", "desk:customer", "api-docs", "desk:search"} <= ok
    assert {"desk:wallboard_queue", "desk:wallboard_agent"} <= ok
    failures += problems("/login/", Client().get(reverse("desk:login")))
    failures += problems("/admin/login/", Client().get("/admin/login/"))
    for path in ("/portal/", "/portal/sign-in/", "/portal/articles/"):
        failures += problems(path, Client().get(path))
    assert not failures, "\n".join(failures)


def admin_routes() -> list[tuple[str, type[Model] | None, URLPattern]]:
    """(name, model, pattern) of every named back-office route: each model's, and the site's own."""
    routes = []
    for model, model_admin in admin.site._registry.items():
        routes += [
            (f"admin:{p.name}", model, p) for p in model_admin.get_urls() if isinstance(p, URLPattern) and p.name
        ]
    routes += [(f"admin:{p.name}", None, p) for p in admin.site.get_urls() if isinstance(p, URLPattern) and p.name]
    return routes


def test_every_back_office_page_is_served_under_the_policy(center):
    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))
    failures, statuses = [], {}
    for name, model, pattern in admin_routes():
        arguments = list(pattern.pattern.regex.groupindex)
        if pattern.pattern.regex.groups != len(arguments):
            continue  # unnamed groups: simple_history's page of one past state, reached from the history
        if name in ("admin:logout", "admin:jsi18n", "admin:view_on_site", "admin:autocomplete"):
            continue
        if name in (
            "admin:kpis-report",
            "admin:kpis-report-drilldown",
            "admin:kpis-report-offers",
            "admin:kpis-report-callbacks",
        ):
            paths = [reverse(name, kwargs={"name": report}) for report in reports]
        elif name == "admin:app_list":
            paths = [reverse(name, kwargs={"app_label": label}) for label in ("customers", "interactions")]
        elif not arguments:
            paths = [reverse(name)]
        elif model is not None and set(arguments) <= {"object_id", "pk"}:
            obj = model._default_manager.order_by("pk").first()
            if obj is None:
                continue
            paths = [reverse(name, kwargs=dict.fromkeys(arguments, obj.pk))]
        else:
            continue  # two objects (a version of a script…): reached from the pages above
        for path in paths:
            response = client.get(path)
            statuses[path] = response.status_code
            failures += problems(f"{path} ({response.status_code})", response)
    served = [path for path, status in statuses.items() if status == 200]
    assert len(served) > 100, statuses
    assert "/admin/customers/customer/" in served
    assert any(path.endswith("/steps/") for path in served)
    assert any(path.startswith("/admin/reports/") for path in served)
    assert not [path for path, status in statuses.items() if status >= 500], statuses
    assert not failures, "\n".join(failures)


def test_json_and_files_carry_the_policy_too(client, admin_user):
    client.force_login(admin_user)
    for path in ("/healthz", "/api/v1/teams/", "/api/schema/", "/api/v1/nowhere/"):
        response = client.get(path)
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'"), path
        assert "camera=()" in response.headers["Permissions-Policy"]
