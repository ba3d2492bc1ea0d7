"""The second factor: TOTP with recovery codes, asked at the desk's and the admin's login (a
second step after the password) and by the token endpoint; required for REQUIRE_2FA_ROLES."""

import base64

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from contactcenter.core.twofactor import recovery_codes_issue, totp_enrol_confirm, totp_enrol_start
from tests.agents.factories import PASSWORD

pytestmark = pytest.mark.django_db

SECOND_STEP = "/login/second-step/"


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    device = totp_enrol_start(user=user)
    codes = totp_enrol_confirm(device=device, code=code_for(device))
    assert codes is not None
    device.refresh_from_db()
    device.last_t = -1  # let the test use the current code once more
    device.save()
    return device, codes


@pytest.fixture
def no_required_roles(settings):
    settings.REQUIRE_2FA_ROLES = []


def test_without_a_second_factor_the_password_is_enough(org, no_required_roles):
    client = Client()
    response = client.post("/login/", {"username": "agent_a", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(org.agent_a.pk)


def test_an_enrolled_user_gives_the_code_after_the_password(org, no_required_roles, time_machine):
    time_machine.move_to("2026-03-02 10:00:00+00:00", tick=False)
    device, _codes = enrol(org.agent_a)
    client = Client()
    response = client.post("/login/?next=/desk/", {"username": "agent_a", "password": PASSWORD, "next": "/desk/"})
    assert response.status_code == 302 and response["Location"] == SECOND_STEP
    # Nobody is logged in between the two steps.
    assert "_auth_user_id" not in client.session
    assert client.get("/desk/").status_code == 302
    assert client.get("/api/v1/teams/").status_code in (401, 403)
    wrong = client.post(SECOND_STEP, {"otp": "000000" if code_for(device) != "000000" else "111111"})
    assert wrong.status_code == 400
    assert "not valid" in wrong.content.decode()
    assert AccessAttempt.objects.get(username="agent_a").failures_since_start == 1
    # django-otp makes the next try wait after a failure (one second, doubling with each).
    time_machine.move_to("2026-03-02 10:00:02+00:00", tick=False)
    response = client.post(SECOND_STEP, {"otp": code_for(device)})
    assert response.status_code == 302 and response["Location"] == "/desk/"
    assert client.session["_auth_user_id"] == str(org.agent_a.pk)
    assert client.session["otp_device_id"] == device.persistent_id
    assert not AccessAttempt.objects.exists()  # a success clears the count


def test_wrong_codes_count_towards_the_login_limit(org, no_required_roles):
    enrol(org.agent_a)
    client = Client()
    client.post("/login/", {"username": "agent_a", "password": PASSWORD})
    for _ in range(10):
        client.post(SECOND_STEP, {"otp": "12345678"})
    response = client.post(SECOND_STEP, {"otp": "12345678"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_a_recovery_code_logs_in_once(org, no_required_roles):
    _device, codes = enrol(org.agent_a)
    for expected in (302, 400):
        client = Client()
        client.post("/login/", {"username": "agent_a", "password": PASSWORD})
        assert client.post(SECOND_STEP, {"otp": codes[0]}).status_code == expected
    assert StaticToken.objects.filter(device__user=org.agent_a).count() == 9


def test_the_second_step_expires(org, no_required_roles, time_machine):
    device, _codes = enrol(org.agent_a)
    time_machine.move_to("2026-03-02 10:00:00+00:00", tick=False)
    client = Client()
    client.post("/login/", {"username": "agent_a", "password": PASSWORD})
    time_machine.move_to("2026-03-02 10:06:00+00:00", tick=False)
    response = client.post(SECOND_STEP, {"otp": code_for(device)})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


def test_a_required_role_sets_up_its_second_factor_at_login(org, settings):
    settings.REQUIRE_2FA_ROLES = ["supervisor", "manager", "admin"]
    client = Client()
    response = client.post("/login/", {"username": "supervisor_a", "password": PASSWORD})
    assert response["Location"] == SECOND_STEP
    page = client.get(SECOND_STEP)
    assert page.status_code == 200
    assert "Set up your second factor" in page.content.decode()
    secret = page.context["secret"]
    qr = client.get("/account/two-factor/qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    assert b'xmlns="http://www.w3.org/2000/svg"' in qr.content
    device = TOTPDevice.objects.get(user=org.supervisor_a, confirmed=False)
    assert base64.b32encode(device.bin_key).decode().rstrip("=") == secret
    done = client.post(SECOND_STEP, {"otp": code_for(device)})
    assert done.status_code == 200
    assert len(done.context["codes"]) == 10
    assert client.session["_auth_user_id"] == str(org.supervisor_a.pk)
    assert TOTPDevice.objects.get(user=org.supervisor_a).confirmed
    # An agent's role is not required to.
    agent = Client()
    assert agent.post("/login/", {"username": "agent_a", "password": PASSWORD})["Location"] == "/"


def test_the_admin_login_asks_for_the_code_too(admin_user, no_required_roles):
    device, _codes = enrol(admin_user)
    client = Client()
    body = {"username": "admin", "password": "password", "next": "/admin/"}
    response = client.post("/admin/login/?next=/admin/", body)
    assert response["Location"] == SECOND_STEP
    assert client.get("/admin/").status_code == 302
    response = client.post(SECOND_STEP, {"otp": code_for(device)})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def token(body: dict):
    return APIClient().post("/api/v1/auth/token/", body, format="json")


def test_the_token_endpoint_asks_an_enrolled_user_for_the_code(org, no_required_roles):
    device, codes = enrol(org.agent_a)
    missing = token({"username": "agent_a", "password": PASSWORD})
    assert missing.status_code == 400 and "otp" in missing.json()
    assert token({"username": "agent_a", "password": PASSWORD, "otp": code_for(device)}).status_code == 200
    assert token({"username": "agent_a", "password": PASSWORD, "otp": codes[1]}).status_code == 200
    wrong = token({"username": "agent_a", "password": PASSWORD, "otp": "not-a-code"})
    assert wrong.status_code == 400 and "not valid" in wrong.json()["otp"][0]
    assert AccessAttempt.objects.get(username="agent_a").failures_since_start == 1


def test_the_token_endpoint_refuses_a_required_role_without_a_second_factor(org, settings):
    settings.REQUIRE_2FA_ROLES = ["manager"]
    refused = token({"username": "manager", "password": PASSWORD})
    assert refused.status_code == 400
    assert "second factor" in refused.json()["otp"][0]
    assert token({"username": "agent_a", "password": PASSWORD}).status_code == 200


def test_the_desk_page_enrols_the_logged_in_user_and_renews_recovery_codes(org, no_required_roles, time_machine):
    time_machine.move_to("2026-03-02 10:00:00+00:00", tick=False)
    client = Client()
    client.force_login(org.agent_a)
    page = client.get("/account/two-factor/")
    assert page.status_code == 200 and page.context["enrolled"] is False
    started = client.post("/account/two-factor/", {"action": "enrol"})
    assert started.status_code == 200 and started.context["secret"]
    device = TOTPDevice.objects.get(user=org.agent_a)
    assert client.post("/account/two-factor/", {"action": "confirm", "otp": "99999999"}).status_code == 400
    time_machine.move_to("2026-03-02 10:00:02+00:00", tick=False)
    done = client.post("/account/two-factor/", {"action": "confirm", "otp": code_for(device)})
    assert len(done.context["codes"]) == 10
    assert client.get("/account/two-factor/").context["enrolled"] is True
    renewed = client.post("/account/two-factor/", {"action": "recovery"})
    assert set(renewed.context["codes"]).isdisjoint(done.context["codes"])
    assert StaticToken.objects.filter(device__user=org.agent_a).count() == 10


def test_new_recovery_codes_replace_the_old_ones(org):
    old = recovery_codes_issue(user=org.agent_a)
    new = recovery_codes_issue(user=org.agent_a)
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(new) != set(old)


def test_a_session_opened_without_the_second_factor_is_ended_once_the_role_requires_one(org, settings):
    settings.REQUIRE_2FA_ROLES = ["manager"]
    client = Client()
    client.force_login(org.manager)  # as a session opened before the role required a second factor
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session
    # An agent's session is left alone; so is a manager's opened through the second step.
    agent = Client()
    agent.force_login(org.agent_a)
    assert agent.get("/")["Location"] == "/desk/"
    device, _codes = enrol(org.manager)
    client.post("/login/", {"username": "manager", "password": PASSWORD})
    client.post(SECOND_STEP, {"otp": code_for(device)})
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/teams/").status_code == 200


@pytest.mark.parametrize(
    ("debug", "raw", "expected"),
    [
        ("1", None, []),
        ("0", None, ["supervisor", "quality", "manager", "admin"]),
        ("0", "", []),
        ("1", "agent, manager", ["agent", "manager"]),
    ],
)
def test_require_2fa_roles_from_the_environment(debug, raw, expected):
    import os
    import secrets
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "REQUIRE_2FA_ROLES"}
    env.update(DEBUG=debug, SECRET_KEY=secrets.token_urlsafe(50), DJANGO_SETTINGS_MODULE="contactcenter.settings")
    if raw is not None:
        env["REQUIRE_2FA_ROLES"] = raw
    code = "import django; django.setup(); from django.conf import settings; print(settings.REQUIRE_2FA_ROLES)"
    out = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == str(expected)
