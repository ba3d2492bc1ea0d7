"""The API frame (SPEC §5): token auth, auth required everywhere, JSON errors naming each field,
pagination without counts, rate limits with Retry-After, OpenAPI schema and offline docs."""

import pytest
from rest_framework.test import APIClient

from tests.agents.factories import PASSWORD, TeamFactory

pytestmark = pytest.mark.django_db


def test_a_username_and_password_give_a_token_that_authenticates(org):
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": "agent_a", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/teams/").status_code == 200
    # A new token per login; the first one still works.
    again = client.post("/api/v1/auth/token/", {"username": "agent_a", "password": PASSWORD}, format="json")
    assert again.json()["token"] != token
    assert client.get("/api/v1/teams/").status_code == 200


def test_wrong_credentials_are_a_400_naming_no_user(org):
    response = APIClient().post("/api/v1/auth/token/", {"username": "agent_a", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    missing = APIClient().post("/api/v1/auth/token/", {}, format="json")
    assert set(missing.json()) == {"username", "password"}


def test_login_attempts_are_limited_per_username_and_address(org, settings):
    client = APIClient()
    for _ in range(10):
        client.post("/api/v1/auth/token/", {"username": "agent_a", "password": "wrong"}, format="json")
    blocked = client.post("/api/v1/auth/token/", {"username": "agent_a", "password": PASSWORD}, format="json")
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    # Another agent behind the same shared address is not locked out.
    other = client.post("/api/v1/auth/token/", {"username": "agent_b", "password": PASSWORD}, format="json")
    assert other.status_code == 200


def test_every_endpoint_needs_authentication():
    client = APIClient()
    for path in ("/api/v1/teams/", "/api/v1/queues/", "/api/v1/agents/", "/api/v1/agents/me/status/"):
        assert client.get(path).status_code == 401, path
    bad_token = APIClient()
    bad_token.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert bad_token.get("/api/v1/teams/").status_code == 401


def test_malformed_json_is_a_400_not_a_500(org, api_client_for):
    client = api_client_for(org.admin)
    response = client.generic("POST", "/api/v1/teams/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_errors_name_each_bad_field(org, api_client_for):
    response = api_client_for(org.admin).post(
        "/api/v1/queues/", {"name": "", "channel": "fax", "service_level_target": 3}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"name", "channel", "service_level_target"}


def test_lists_are_paginated_without_counting(org, api_client_for):
    for n in range(5):
        TeamFactory(name=f"Extra {n}")
    client = api_client_for(org.admin)
    first = client.get("/api/v1/teams/?page_size=3").json()
    assert set(first) == {"next", "previous", "results"}
    assert len(first["results"]) == 3 and first["previous"] is None
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    assert third["next"] is None
    names = [t["name"] for page in (first, second, third) for t in page["results"]]
    assert len(names) == 7 == len(set(names))
    assert client.get(second["previous"]).json() == first


@pytest.mark.parametrize("page_size", ["0", "501", "ten", "-1"])
def test_a_bad_page_size_is_a_clear_400(org, api_client_for, page_size):
    response = api_client_for(org.admin).get(f"/api/v1/teams/?page_size={page_size}")
    assert response.status_code == 400
    assert "page_size" in response.json()


def test_page_size_up_to_500_is_accepted(org, api_client_for):
    assert api_client_for(org.admin).get("/api/v1/teams/?page_size=500").status_code == 200


def test_users_are_rate_limited_with_retry_after(org, api_client_for, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "user": "3/min", "token": "100/min"}
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    try:
        client = api_client_for(org.agent_a)
        statuses = [client.get("/api/v1/teams/").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert int(client.get("/api/v1/teams/")["Retry-After"]) > 0
        # Another user is not affected.
        assert api_client_for(org.agent_b).get("/api/v1/teams/").status_code == 200
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original


def test_the_openapi_schema_and_the_offline_docs(org, client):
    assert client.get("/api/schema/").status_code in (401, 403)
    client.force_login(org.agent_a)
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/auth/token/" in paths and "/api/v1/agents/me/status/" in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "https://" not in html  # every asset served locally


def test_a_page_past_the_last_row_is_empty_however_far(org, api_client_for):
    api = api_client_for(org.admin)
    for page in (2, 10**6, 2**63 // 50, 896261547136982016, 10**30):
        response = api.get(f"/api/v1/teams/?page={page}&page_size=50")
        assert response.status_code == 200, page
        assert response.json()["results"] == [] and response.json()["next"] is None, page
        assert f"page={page - 1}" in response.json()["previous"] or page == 2, page
    assert api.get("/api/v1/customers/?page=896261547136982016&page_size=200").json()["results"] == []


def test_a_format_parameter_naming_no_renderer_is_ignored_like_any_unknown_parameter(org, client, api_client_for):
    api = api_client_for(org.admin)
    for path in ("/api/v1/callbacks/?format=5243", "/api/v1/teams/?format=xml&page_size=1"):
        response = api.get(path)
        assert response.status_code == 200, path
        assert response["Content-Type"] == "application/json"
        assert "results" in response.json()
    # It still chooses among a view's renderers: the schema in YAML (its default) or in JSON.
    client.force_login(org.agent_a)
    assert client.get("/api/schema/?format=json")["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert client.get("/api/schema/")["Content-Type"].startswith("application/vnd.oai.openapi")
    assert client.get("/api/schema/?format=bogus").status_code == 200


def test_an_unreachable_cache_does_not_break_the_api(org, api_client_for, settings):
    # Nothing listens on port 9: the rate-limit counters cannot be read, the request still works.
    from django.core.cache import caches

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}
    }
    try:
        assert api_client_for(org.agent_a).get("/api/v1/teams/").status_code == 200
    finally:
        caches["default"].close()
