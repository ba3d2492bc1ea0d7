"""Passkeys in a real browser, under the Content-Security-Policy: Chromium's virtual authenticator
(DevTools' WebAuthn domain: a platform authenticator with user verification) makes a passkey on the
desk's two-factor page; the user logs out and in again with the password and the passkey. A passkey
signed with the wrong key, and no passkey at all, log nobody in."""

import base64

import pytest
from axes.models import AccessAttempt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django_otp_webauthn.models import WebAuthnCredential

from tests.agents.factories import PASSWORD, AgentProfileFactory, TeamFactory
from tests.browser.test_csp_browser import LISTEN, TIMEOUT_MS, strict_chromium  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def virtual_authenticator(page) -> tuple[object, str]:
    """A passkey-capable authenticator in ``page``'s tab, as a phone's or laptop's own would be."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    return cdp, cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})["authenticatorId"]


def password_step(page, server_url: str) -> None:
    page.goto(f"{server_url}/login/?next=/account/two-factor/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", PASSWORD)
    page.click(".login-card button[type=submit]")
    page.wait_for_url(f"{server_url}/login/second-step/", timeout=TIMEOUT_MS)


def log_out(page, server_url: str) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{server_url}/login/", timeout=TIMEOUT_MS)


def test_a_passkey_is_added_then_used_to_log_in(strict_chromium, live_server, settings):  # noqa: F811
    settings.REQUIRE_2FA_ROLES = []
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    AgentProfileFactory(user__username="sam", team=TeamFactory(name="Front"))
    assert live_server.url.startswith("http://localhost:")  # a secure context, under the relying party
    page = strict_chromium.new_page()
    page.add_init_script(LISTEN)
    cdp, authenticator = virtual_authenticator(page)
    try:
        # The password alone (no second factor yet), then the two-factor page: add a passkey.
        page.goto(f"{live_server.url}/login/?next=/account/two-factor/")
        page.fill("#id_username", "sam")
        page.fill("#id_password", PASSWORD)
        page.click(".login-card button[type=submit]")
        page.wait_for_url(f"{live_server.url}/account/two-factor/", timeout=TIMEOUT_MS)
        assert page.locator("#twofactor-state").get_attribute("data-enrolled") == "no"
        page.fill("#passkey-name", "Work laptop")
        page.click("#passkey-add")
        page.wait_for_selector("#passkey-list li", timeout=TIMEOUT_MS)
        assert page.locator("#passkey-list .passkey-name").all_inner_texts() == ["Work laptop"]
        assert page.locator("#twofactor-state").get_attribute("data-enrolled") == "yes"
        stored = WebAuthnCredential.objects.get(user__username="sam")
        credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
        assert len(credentials) == 1 and credentials[0]["rpId"] == "localhost"
        assert base64.b64decode(credentials[0]["credentialId"]) == bytes(stored.credential_id)
        log_out(page, live_server.url)

        # Password, then the passkey instead of a code.
        password_step(page, live_server.url)
        assert page.locator("h1").inner_text() == "Use your passkey"
        page.get_by_role("button", name="Use a passkey").click()
        page.wait_for_url(f"{live_server.url}/account/two-factor/", timeout=TIMEOUT_MS)
        stored.refresh_from_db()
        assert stored.last_used_at is not None
        log_out(page, live_server.url)

        # The same passkey signed with another key (a forged copy): refused, and a failed login.
        forged = dict(credentials[0])
        other_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        forged.update(privateKey=base64.b64encode(other_key).decode(), signCount=50)
        cdp.send("WebAuthn.clearCredentials", {"authenticatorId": authenticator})
        cdp.send("WebAuthn.addCredential", {"authenticatorId": authenticator, "credential": forged})
        password_step(page, live_server.url)
        page.get_by_role("button", name="Use a passkey").click()
        alert = page.locator("#passkey-error")
        alert.wait_for(state="visible", timeout=TIMEOUT_MS)
        assert "This passkey was not accepted" in alert.inner_text()
        assert page.url == f"{live_server.url}/login/second-step/"
        assert AccessAttempt.objects.get(username="sam").failures_since_start == 1
        page.goto(f"{live_server.url}/account/two-factor/")  # not logged in
        assert page.url.startswith(f"{live_server.url}/login/")

        # No passkey at all on this device: the browser answers nothing, nobody is logged in.
        cdp.send("WebAuthn.clearCredentials", {"authenticatorId": authenticator})
        password_step(page, live_server.url)
        page.get_by_role("button", name="Use a passkey").click()
        alert.wait_for(state="visible", timeout=TIMEOUT_MS)
        assert "No passkey was used" in alert.inner_text()
        page.goto(f"{live_server.url}/account/two-factor/")
        assert page.url.startswith(f"{live_server.url}/login/")

        # Everything above ran under the Content-Security-Policy.
        assert page.evaluate("window.__cspViolations") == []
    finally:
        page.close()
