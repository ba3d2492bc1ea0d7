"""The second factor in a real browser: a supervisor sets up an authenticator at their first login,
logs out, and logs in again with a code computed here from the key the page showed."""

import base64
from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.oath import TOTP

from tests.agents.factories import PASSWORD, AgentProfileFactory, TeamFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code(secret: str) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{TOTP(key, step=30, t0=0, digits=6).token():06d}"


def password_step(page, server_url: str, next_url: str) -> None:
    page.goto(f"{server_url}/login/?next={next_url}")
    page.fill("#id_username", "sup")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server_url}/login/second-step/")


def test_a_supervisor_enrols_logs_out_and_logs_in_with_a_code(page, live_server, settings, time_machine):
    settings.REQUIRE_2FA_ROLES = ["supervisor", "manager", "admin"]
    AgentProfileFactory(user__username="sup", role="supervisor", team=TeamFactory(name="Front"))
    time_machine.move_to(timezone.now(), tick=True)

    # First login: the password, then setting up the authenticator.
    password_step(page, live_server.url, "/account/two-factor/")
    assert page.locator("h1").inner_text() == "Set up your second factor"
    page.wait_for_function(
        "() => { const img = document.querySelector('img.enrol-qr'); return img.complete && img.naturalWidth > 0; }"
    )
    secret = page.locator("#totp-secret").get_attribute("data-secret")
    page.fill("#id_otp", "000000" if code(secret) != "000000" else "111111")
    page.click("button[type=submit]")
    assert "This code is not valid" in page.locator("[role=alert]").inner_text()  # waits for the page
    # django-otp makes a device wait a moment after a wrong code.
    time_machine.shift(timedelta(seconds=2))
    page.fill("#id_otp", code(secret))
    page.click("button[type=submit]")
    page.wait_for_selector("#recovery-codes")
    assert page.locator("#recovery-codes li").count() == 10
    page.click("#codes-continue")
    page.wait_for_url(f"{live_server.url}/account/two-factor/")
    assert page.locator("#twofactor-state").get_attribute("data-enrolled") == "yes"

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server.url}/login/")

    # Next login (a code of the next 30-second step: each code is taken once): the code is asked.
    time_machine.shift(timedelta(seconds=35))
    password_step(page, live_server.url, "/account/two-factor/")
    assert page.locator("h1").inner_text() == "Enter your one-time code"
    page.goto(f"{live_server.url}/account/two-factor/")  # not logged in yet
    assert page.url.startswith(f"{live_server.url}/login/")
    page.goto(f"{live_server.url}/login/second-step/")
    page.fill("#id_otp", code(secret))
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/account/two-factor/")
    assert page.locator("#twofactor-state").get_attribute("data-enrolled") == "yes"
