"""API tokens: hashed at rest, a new key per login, expiring, revocable with DELETE auth/token/,
all revoked by a password change (with the sessions), non-expiring ones issued by admins only."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from contactcenter.core.models import ApiToken
from contactcenter.core.tokens import api_token_issue, token_digest
from tests.agents.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def login(username: str = "agent_a") -> str:
    response = APIClient().post(TOKEN_URL, {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()["token"]


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_the_key_is_stored_as_a_digest_only(org):
    key = login()
    token = ApiToken.objects.get()
    assert token.digest == token_digest(key) != key
    assert token.prefix == key[:8]
    stored = [str(value) for value in ApiToken.objects.values_list(*[f.attname for f in ApiToken._meta.fields]).get()]
    assert key not in stored


def test_each_login_issues_a_new_key_that_expires_after_the_ttl(org, settings):
    settings.TOKEN_TTL_DAYS = 30
    first, second = login(), login()
    assert first != second
    assert ApiToken.objects.filter(user=org.agent_a).count() == 2
    expires = ApiToken.objects.get(digest=token_digest(first)).expires_at
    assert timedelta(days=29, hours=23) < expires - timezone.now() <= timedelta(days=30)


def test_an_expired_key_is_refused(org, time_machine):
    time_machine.move_to("2026-03-01 09:00:00+00:00", tick=False)
    key = login()
    assert with_token(key).get("/api/v1/teams/").status_code == 200
    time_machine.move_to("2026-03-31 09:00:01+00:00", tick=False)
    response = with_token(key).get("/api/v1/teams/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_delete_revokes_the_token_used_and_only_it(org):
    key, other = login(), login()
    assert with_token(key).delete(TOKEN_URL).status_code == 204
    assert with_token(key).get("/api/v1/teams/").status_code == 401
    assert with_token(other).get("/api/v1/teams/").status_code == 200
    assert with_token(key).delete(TOKEN_URL).status_code == 401
    assert APIClient().delete(TOKEN_URL).status_code == 401


def test_delete_with_a_session_and_no_token_is_a_clear_400(org):
    client = APIClient()
    client.force_login(org.agent_a)
    response = client.delete(TOKEN_URL)
    assert response.status_code == 400
    assert "no API token" in response.json()["non_field_errors"][0]


def test_a_stale_token_sent_along_does_not_stop_a_login(org):
    client = with_token("not-a-token")
    response = client.post(TOKEN_URL, {"username": "agent_a", "password": PASSWORD}, format="json")
    assert response.status_code == 200


def test_a_password_change_revokes_every_token_and_session(org):
    keys = [login(), login()]
    browser = Client()
    browser.force_login(org.agent_a)
    assert browser.get("/api/v1/teams/").status_code == 200
    other_user_key = login("agent_b")

    org.agent_a.set_password("A-new-Sturdy-pass-2026")
    org.agent_a.save()

    for key in keys:
        assert with_token(key).get("/api/v1/teams/").status_code == 401
    assert browser.get("/api/v1/teams/").status_code in (401, 403)
    assert "_auth_user_id" not in browser.session
    assert with_token(other_user_key).get("/api/v1/teams/").status_code == 200
    # Saving the user for another reason revokes nothing.
    key = login("agent_b")
    org.agent_b.first_name = "Bea"
    org.agent_b.save()
    assert with_token(key).get("/api/v1/teams/").status_code == 200


def test_an_inactive_users_token_is_refused(org):
    key = login()
    org.agent_a.is_active = False
    org.agent_a.save()
    assert with_token(key).get("/api/v1/teams/").status_code == 401


def test_the_websocket_ticket_endpoint_takes_the_new_tokens(org):
    response = with_token(login()).post("/api/v1/auth/ws-ticket/")
    assert response.status_code == 200
    assert response.json()["ticket"]


def test_an_admin_issues_a_non_expiring_token_shown_once(org, admin_client):
    response = admin_client.post(
        "/admin/contactcenter/apitoken/add/",
        {"user": org.nobody.pk, "label": "PBX connector", "expires_at_0": "", "expires_at_1": ""},
        follow=True,
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(user=org.nobody)
    assert token.expires_at is None and token.label == "PBX connector"
    shown = [str(message) for message in response.context["messages"]]
    key = next(message.rsplit(" ", 1)[1] for message in shown if "shown only now" in message)
    assert token_digest(key) == token.digest
    assert with_token(key).post("/api/v1/auth/ws-ticket/").status_code == 403  # no role: authenticated though
    assert with_token(key).get("/api/v1/customers/").status_code == 403


def test_the_admin_revokes_tokens(org, admin_client):
    key = api_token_issue(user=org.agent_a, expires_at=None).key
    token = ApiToken.objects.get()
    response = admin_client.post(
        "/admin/contactcenter/apitoken/", {"action": "revoke_tokens", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    assert with_token(key).get("/api/v1/teams/").status_code == 401


def test_only_admins_reach_the_token_screen(org):
    org.manager.is_staff = True
    org.manager.save()
    client = Client()
    client.force_login(org.manager)
    assert client.get("/admin/contactcenter/apitoken/add/").status_code == 403
    assert client.get("/admin/contactcenter/apitoken/").status_code == 403
    admin = Client()
    org.admin.is_staff = True
    org.admin.save()
    admin.force_login(org.admin)
    assert admin.get("/admin/contactcenter/apitoken/add/").status_code == 200


def test_the_daily_purge_deletes_expired_tokens_only(org, time_machine):
    from contactcenter.core.tasks import purge_expired_tokens

    time_machine.move_to("2026-03-01 09:00:00+00:00", tick=False)
    old = api_token_issue(user=org.agent_a)
    forever = api_token_issue(user=org.agent_a, expires_at=None)
    time_machine.move_to("2026-03-20 09:00:00+00:00", tick=False)
    recent = api_token_issue(user=org.agent_a)
    time_machine.move_to("2026-04-01 09:00:00+00:00", tick=False)
    assert purge_expired_tokens() == {"deleted": 1}
    assert set(ApiToken.objects.values_list("pk", flat=True)) == {forever.pk, recent.pk}
    assert old.pk not in ApiToken.objects.values_list("pk", flat=True)
