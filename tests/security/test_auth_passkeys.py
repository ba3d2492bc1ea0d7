"""Passkeys as a second factor (django-otp-webauthn): added from the desk's two-factor page, used at
the desk's and the admin's second step instead of a code, listed and deleted by admins. The browser
is a software passkey here (tests/security/passkey_authenticator.py); tests/browser/
test_passkeys_browser.py does the same with Chromium's virtual authenticator."""

import json

import pytest
from axes.models import AccessAttempt
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.exceptions import ValidationError
from django.test import Client
from django_otp_webauthn.models import WebAuthnCredential
from rest_framework.test import APIClient

from contactcenter.core.twofactor import (
    has_second_factor,
    passkey_remove,
    second_factor_asked,
    second_factor_remove,
)
from contactcenter.settings.base import passkey_rp_id
from tests.agents.factories import PASSWORD
from tests.security.passkey_authenticator import SoftPasskey, b64url
from tests.security.test_auth_2fa import SECOND_STEP, code_for, enrol

pytestmark = pytest.mark.django_db

REGISTER_BEGIN = "/account/two-factor/passkeys/begin/"
REGISTER_COMPLETE = "/account/two-factor/passkeys/complete/"
LOGIN_BEGIN = "/login/second-step/passkey/begin/"
LOGIN_COMPLETE = "/login/second-step/passkey/complete/"


@pytest.fixture
def no_required_roles(settings):
    settings.REQUIRE_2FA_ROLES = []


@pytest.fixture(autouse=True)
def relying_party(settings):
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["https://localhost"]


def browser() -> Client:
    """A client at http://localhost (Django's test client says "testserver", which is no domain of
    the relying party)."""
    return Client(HTTP_HOST="localhost")


def post_json(client: Client, url: str, body: object = None):
    return client.post(url, json.dumps(body if body is not None else {}), content_type="application/json")


def add_passkey(user, name: str = "Laptop", client: Client | None = None) -> SoftPasskey:
    """``user`` adds a passkey from the desk's page, as a browser would (a new session without a
    second factor yet, or ``client``'s)."""
    if client is None:
        client = browser()
        client.force_login(user)
    passkey = SoftPasskey()
    options = post_json(client, REGISTER_BEGIN).json()
    done = post_json(client, REGISTER_COMPLETE, {"name": name, "credential": passkey.create(options)})
    assert done.status_code == 200, done.content
    return passkey


def password_step(
    client: Client, username: str = "agent_a", password: str = PASSWORD, url: str = "/login/", next_url: str = "/desk/"
) -> None:
    response = client.post(url, {"username": username, "password": password, "next": next_url})
    assert response["Location"] == SECOND_STEP


def test_a_user_adds_passkeys_from_the_two_factor_page(org, no_required_roles):
    client = browser()
    client.force_login(org.agent_a)
    page = client.get("/account/two-factor/")
    assert page.context["passkeys_here"] is True and page.context["passkeys"] == []
    assert 'data-passkey="register"' in page.content.decode()
    options = post_json(client, REGISTER_BEGIN).json()
    # The options of the browser: this domain, the user's handle, and a passkey kept on the device.
    assert options["rp"] == {"id": "localhost", "name": "Switchboard"}
    assert options["authenticatorSelection"]["residentKey"] == "preferred"
    first = SoftPasskey()
    done = post_json(client, REGISTER_COMPLETE, {"name": "  Work  laptop ", "credential": first.create(options)})
    assert done.status_code == 200 and done.json()["redirect"] == "/account/two-factor/"
    assert has_second_factor(org.agent_a) and second_factor_asked(org.agent_a)
    # The session that added it counts as verified by it.
    assert client.session["otp_device_id"] == WebAuthnCredential.objects.get().persistent_id
    # A second one; the first is excluded from the new options (one passkey per device).
    options = post_json(client, REGISTER_BEGIN).json()
    assert [c["id"] for c in options["excludeCredentials"]] == [b64url(first.credential_id)]
    post_json(client, REGISTER_COMPLETE, {"name": "", "credential": SoftPasskey().create(options)})
    page = client.get("/account/two-factor/")
    assert [p.name for p in page.context["passkeys"]] == ["Work laptop", "Passkey"]
    assert page.context["enrolled"] is True and page.context["authenticator"] is False
    assert "Your logins ask for your passkey" in page.content.decode()


def test_a_forged_or_replayed_registration_saves_nothing(org, no_required_roles):
    client = browser()
    client.force_login(org.agent_a)
    passkey = SoftPasskey()
    options = post_json(client, REGISTER_BEGIN).json()
    # Made for another site (the browser's origin is checked), then the same answer again.
    wrong_origin = post_json(client, REGISTER_COMPLETE, {"credential": passkey.create(options, "https://evil.test")})
    assert wrong_origin.status_code == 400 and "could not be added" in wrong_origin.json()["detail"]
    replay = post_json(client, REGISTER_COMPLETE, {"credential": passkey.create(options)})  # challenge used up
    assert replay.status_code == 400
    assert post_json(client, REGISTER_COMPLETE, {"credential": "nonsense"}).status_code == 400
    assert client.post(REGISTER_COMPLETE, "{not json", content_type="application/json").status_code == 400
    assert not WebAuthnCredential.objects.exists()
    # Anonymous: nothing to register for.
    assert post_json(browser(), REGISTER_BEGIN).status_code == 403


def test_a_session_not_opened_with_the_second_factor_adds_no_passkey(org, no_required_roles):
    enrol(org.agent_a)  # an authenticator, set up from another session
    client = browser()
    client.force_login(org.agent_a)  # this session never gave its code
    refused = post_json(client, REGISTER_BEGIN)
    assert refused.status_code == 403 and "second factor" in refused.json()["detail"]


def test_password_then_passkey_logs_in_at_the_desk(org, no_required_roles):
    passkey = add_passkey(org.agent_a)
    client = browser()
    password_step(client)
    assert "_auth_user_id" not in client.session
    page = client.get(SECOND_STEP)
    assert page.status_code == 200
    assert page.context["passkey_here"] is True and page.context["authenticator"] is False
    body = page.content.decode()
    assert "Use a passkey" in body and "/static/desk/passkeys.js" in body
    options = post_json(client, LOGIN_BEGIN).json()
    assert [c["id"] for c in options["allowCredentials"]] == [b64url(passkey.credential_id)]
    done = post_json(client, LOGIN_COMPLETE, passkey.get(options))
    assert done.status_code == 200 and done.json() == {"redirect": "/desk/"}
    assert client.session["_auth_user_id"] == str(org.agent_a.pk)
    stored = WebAuthnCredential.objects.get()
    assert client.session["otp_device_id"] == stored.persistent_id
    assert stored.last_used_at is not None and stored.sign_count == 1
    assert client.get("/desk/").status_code == 200


def test_a_refused_passkey_is_a_failed_login(org, no_required_roles):
    passkey = add_passkey(org.agent_a)
    client = browser()
    password_step(client)
    # Signed by another key (a cloned or forged passkey).
    options = post_json(client, LOGIN_BEGIN).json()
    wrong = post_json(client, LOGIN_COMPLETE, passkey.get(options, key=ec.generate_private_key(ec.SECP256R1())))
    assert wrong.status_code == 400 and "not accepted" in wrong.json()["detail"]
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username="agent_a").failures_since_start == 1
    # A challenge is answered once: the right signature for the spent challenge is refused too.
    assert post_json(client, LOGIN_COMPLETE, passkey.get(options)).status_code == 400
    # From another site.
    options = post_json(client, LOGIN_BEGIN).json()
    assert post_json(client, LOGIN_COMPLETE, passkey.get(options, origin="https://evil.test")).status_code == 400
    # Someone else's passkey.
    other = add_passkey(org.supervisor_a)
    options = post_json(client, LOGIN_BEGIN).json()
    assert post_json(client, LOGIN_COMPLETE, other.get(options)).status_code == 400
    # Nothing at all.
    post_json(client, LOGIN_BEGIN)
    assert post_json(client, LOGIN_COMPLETE, {}).status_code == 400
    assert AccessAttempt.objects.get(username="agent_a").failures_since_start == 5
    assert "_auth_user_id" not in client.session
    # Then the right one: logged in, the failures forgotten.
    options = post_json(client, LOGIN_BEGIN).json()
    assert post_json(client, LOGIN_COMPLETE, passkey.get(options)).status_code == 200
    assert client.session["_auth_user_id"] == str(org.agent_a.pk)
    assert not AccessAttempt.objects.exists()


def test_refused_passkeys_reach_the_login_limit(org, no_required_roles, settings):
    settings.LOGIN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT = 3
    passkey = add_passkey(org.agent_a)
    client = browser()
    password_step(client)
    for _ in range(3):
        options = post_json(client, LOGIN_BEGIN).json()
        post_json(client, LOGIN_COMPLETE, passkey.get(options, key=ec.generate_private_key(ec.SECP256R1())))
    locked = post_json(client, LOGIN_BEGIN)
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    assert "Too many attempts" in locked.json()["detail"]
    assert post_json(client, LOGIN_COMPLETE, {}).status_code == 429
    assert "_auth_user_id" not in client.session


def test_no_passkey_step_without_a_password_step(org, no_required_roles):
    add_passkey(org.agent_a)
    client = browser()
    expired = post_json(client, LOGIN_BEGIN)
    assert expired.status_code == 403 and "start again" in expired.json()["detail"]
    assert post_json(client, LOGIN_COMPLETE, {}).status_code == 403
    # A user without a passkey gets no options.
    enrol(org.supervisor_a)
    password_step(client, "supervisor_a")
    assert post_json(client, LOGIN_BEGIN).status_code == 400
    assert "Use a passkey" not in client.get(SECOND_STEP).content.decode()


def test_codes_still_work_beside_a_passkey(org, no_required_roles, time_machine):
    time_machine.move_to("2026-03-02 10:00:00+00:00", tick=False)
    add_passkey(org.agent_a)
    device, codes = enrol(org.agent_a)
    client = browser()
    password_step(client)
    page = client.get(SECOND_STEP)
    assert page.context["authenticator"] is True and page.context["passkey_here"] is True
    assert client.post(SECOND_STEP, {"otp": code_for(device)})["Location"] == "/desk/"
    # A passkey-only user logs in with a recovery code as well.
    client = browser()
    add_passkey(org.supervisor_a)
    recovery = browser()
    recovery.force_login(org.supervisor_a)
    codes = recovery.post("/account/two-factor/", {"action": "recovery"}).context["codes"]
    password_step(client, "supervisor_a")
    assert client.get(SECOND_STEP).context["authenticator"] is False
    wrong = client.post(SECOND_STEP, {"otp": "not-a-code"})
    assert wrong.status_code == 400 and wrong.context["error"] == "This recovery code is not valid."
    time_machine.shift(2)  # django-otp makes the next try wait a moment after a wrong code
    assert client.post(SECOND_STEP, {"otp": codes[0]})["Location"] == "/desk/"


def test_the_admin_login_takes_a_passkey(admin_user, no_required_roles):
    passkey = add_passkey(admin_user)
    client = browser()
    password_step(client, "admin", "password", "/admin/login/?next=/admin/", "/admin/")
    assert client.get("/admin/").status_code == 302
    options = post_json(client, LOGIN_BEGIN).json()
    done = post_json(client, LOGIN_COMPLETE, passkey.get(options))
    assert done.json() == {"redirect": "/admin/"}
    assert client.get("/admin/").status_code == 200


def test_a_passkey_alone_satisfies_a_required_role(org, settings):
    settings.REQUIRE_2FA_ROLES = []
    passkey = add_passkey(org.supervisor_a)
    settings.REQUIRE_2FA_ROLES = ["supervisor"]
    client = browser()
    password_step(client, "supervisor_a")
    page = client.get(SECOND_STEP)
    assert page.context["enrolling"] is False  # no authenticator app to set up first
    assert "Use your passkey" in page.content.decode()
    options = post_json(client, LOGIN_BEGIN).json()
    post_json(client, LOGIN_COMPLETE, passkey.get(options))
    # The session holds: SecondFactorRequiredMiddleware sees it verified by the passkey.
    assert client.get("/account/two-factor/").status_code == 200
    assert client.get("/api/v1/teams/").status_code == 200


def test_the_token_endpoint_refuses_a_passkey_only_user_with_a_clear_message(org, no_required_roles):
    add_passkey(org.agent_a)
    refused = APIClient().post("/api/v1/auth/token/", {"username": "agent_a", "password": PASSWORD}, format="json")
    assert refused.status_code == 400
    message = refused.json()["otp"][0]
    assert "passkey" in message and "authenticator app" in message
    assert not AccessAttempt.objects.exists()  # not a wrong code
    # With an authenticator app as well, its code gets the token.
    device, _codes = enrol(org.agent_a)
    body = {"username": "agent_a", "password": PASSWORD, "otp": code_for(device)}
    assert APIClient().post("/api/v1/auth/token/", body, format="json").status_code == 200


def test_removing_passkeys(org, settings):
    settings.REQUIRE_2FA_ROLES = []
    client = browser()
    client.force_login(org.agent_a)
    add_passkey(org.agent_a, "Phone", client)
    add_passkey(org.agent_a, "Key", client)
    phone = WebAuthnCredential.objects.get(name="Phone")
    assert client.post("/account/two-factor/", {"action": "remove-passkey", "passkey": phone.pk}).status_code == 302
    assert list(WebAuthnCredential.objects.values_list("name", flat=True)) == ["Key"]
    # Someone else's passkey is not theirs to remove.
    add_passkey(org.supervisor_a, "Theirs")
    theirs = WebAuthnCredential.objects.get(name="Theirs")
    assert client.post("/account/two-factor/", {"action": "remove-passkey", "passkey": theirs.pk}).status_code == 400
    # A role that requires a second factor keeps its last one.
    settings.REQUIRE_2FA_ROLES = ["supervisor"]
    with pytest.raises(ValidationError, match="Your role must use a second factor"):
        passkey_remove(user=org.supervisor_a, passkey_id=theirs.pk)
    assert WebAuthnCredential.objects.filter(pk=theirs.pk).exists()
    enrol(org.supervisor_a)
    passkey_remove(user=org.supervisor_a, passkey_id=theirs.pk)
    # The admin's reset removes passkeys with the rest.
    second_factor_remove(user=org.agent_a)
    assert not WebAuthnCredential.objects.filter(user=org.agent_a).exists()
    assert not has_second_factor(org.agent_a)


def test_admins_list_and_delete_passkeys(org, admin_user, no_required_roles):
    add_passkey(org.agent_a, "Phone")
    passkey = WebAuthnCredential.objects.get()
    admin = Client()
    admin.force_login(admin_user)
    listing = admin.get("/admin/agents/passkey/?q=agent_a")
    assert listing.status_code == 200 and "Phone" in listing.content.decode()
    assert admin.get("/admin/agents/passkey/add/").status_code == 403
    deleted = admin.post(f"/admin/agents/passkey/{passkey.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302 and not WebAuthnCredential.objects.exists()
    # A supervisor (staff, not an admin) sees no passkeys.
    supervisor = Client()
    supervisor.force_login(org.supervisor_a)
    assert supervisor.get("/admin/agents/passkey/").status_code == 403


def test_no_passkeys_away_from_the_relying_party(org, no_required_roles, settings):
    add_passkey(org.agent_a)
    client = Client(HTTP_HOST="127.0.0.1")  # a bare address: the browser refuses passkeys there
    client.post("/login/", {"username": "agent_a", "password": PASSWORD})
    page = client.get(SECOND_STEP)
    assert page.context["passkey_here"] is False and "Use a passkey" not in page.content.decode()
    desk = Client(HTTP_HOST="127.0.0.1")
    desk.force_login(org.supervisor_a)
    page = desk.get("/account/two-factor/").content.decode()
    assert "Passkeys work only at this site's address under localhost" in page
    settings.OTP_WEBAUTHN_RP_ID = ""
    assert "no domain name for passkeys" in desk.get("/account/two-factor/").content.decode()


@pytest.mark.parametrize(
    ("hosts", "expected"),
    [
        (["localhost", "127.0.0.1", "[::1]"], "localhost"),
        (["10.0.0.4", "crm.example.com"], "crm.example.com"),
        ([".example.com"], "example.com"),
        (["*"], ""),
        (["192.168.1.10", "[::1]"], ""),
    ],
)
def test_the_relying_party_comes_from_allowed_hosts(hosts, expected):
    assert passkey_rp_id(hosts) == expected


def test_the_passkey_pages_speak_french(org, no_required_roles):
    add_passkey(org.agent_a)
    client = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="fr")
    password_step(client)
    page = client.get(SECOND_STEP).content.decode()
    assert "Utilisez votre clé d’accès" in page and "Utiliser une clé d’accès" in page
    options = post_json(client, LOGIN_BEGIN).json()
    refused = post_json(client, LOGIN_COMPLETE, {"id": options["challenge"]})
    assert refused.json()["detail"] == "Cette clé d’accès n’a pas été acceptée. Réessayez, ou saisissez un code."
    desk = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="fr")
    desk.force_login(org.supervisor_a)
    assert "Ajouter une clé d’accès" in desk.get("/account/two-factor/").content.decode()


@pytest.mark.parametrize(
    ("environment", "rp_id", "origins"),
    [
        ({"ALLOWED_HOSTS": "crm.example.com,10.0.0.4"}, "crm.example.com", ["https://crm.example.com"]),
        (
            {"ALLOWED_HOSTS": "10.0.0.4", "PASSKEY_RP_ID": "Example.com", "PASSKEY_ORIGINS": "https://crm.example.com"},
            "example.com",
            ["https://crm.example.com"],
        ),
        # No domain name: no passkeys, and the instance still starts (its checks pass).
        ({"ALLOWED_HOSTS": "10.0.0.4,*"}, "", []),
    ],
)
def test_the_relying_party_from_the_environment(environment, rp_id, origins):
    import os
    import secrets
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("PASSKEY_")}
    env.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), DJANGO_SETTINGS_MODULE="contactcenter.settings")
    env.update(environment)
    code = (
        "import django; django.setup(); from django.conf import settings; from django.core.management import "
        "call_command; call_command('check', verbosity=0); "
        "print(repr((settings.OTP_WEBAUTHN_RP_ID, settings.OTP_WEBAUTHN_ALLOWED_ORIGINS)))"
    )
    out = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == repr((rp_id, origins))
