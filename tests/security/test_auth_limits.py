"""Login limits: failures per username and client address, shared by the token endpoint, the desk
and the admin, counted in the database (they hold while the cache is down), with the client's
address from the socket unless TRUSTED_PROXIES names the proxy."""

import socket
from types import SimpleNamespace

import pytest
from axes.models import AccessAttempt
from django.test import Client
from rest_framework.test import APIClient

from contactcenter.core.logins import client_address, scope_client_address
from tests.agents.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def token_login(client, username: str, password: str, **headers):
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json", **headers)


def fail(client, username: str, times: int = 10, **headers) -> None:
    for _ in range(times):
        assert token_login(client, username, "wrong", **headers).status_code in (400, 429)


# --- the client's address -----------------------------------------------------------------


def meta(remote: str, forwarded: str | None = None) -> SimpleNamespace:
    values = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        values["HTTP_X_FORWARDED_FOR"] = forwarded
    return SimpleNamespace(META=values)


def test_without_trusted_proxies_the_socket_address_is_the_client(settings):
    settings.TRUSTED_PROXIES = []
    assert client_address(meta("198.51.100.7", "203.0.113.1")) == "198.51.100.7"


def test_a_trusted_proxy_gives_the_nearest_untrusted_forwarded_address(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.10"]
    # The client wrote "1.2.3.4" itself; the proxies appended the addresses they saw.
    assert client_address(meta("10.0.0.5", "1.2.3.4, 203.0.113.9, 192.0.2.10")) == "203.0.113.9"
    assert client_address(meta("10.0.0.5", "203.0.113.9")) == "203.0.113.9"
    # A peer that is not a trusted proxy: its header is not believed.
    assert client_address(meta("198.51.100.7", "203.0.113.9")) == "198.51.100.7"
    # Nothing untrusted in the header: the peer it is.
    assert client_address(meta("10.0.0.5", "10.1.1.1")) == "10.0.0.5"
    assert client_address(meta("10.0.0.5", "garbage")) == "10.0.0.5"
    assert client_address(meta("10.0.0.5")) == "10.0.0.5"


def test_addresses_with_ports_and_ipv6(settings):
    settings.TRUSTED_PROXIES = ["::1", "127.0.0.1"]
    assert client_address(meta("::1", "[2001:db8::1]:4711")) == "2001:db8::1"
    assert client_address(meta("127.0.0.1", "203.0.113.9:5555")) == "203.0.113.9"


def test_a_sockets_address_is_read_the_same_way(settings):
    """The chat widget's socket counts new chats per client address: behind a trusted proxy, the
    visitor's, never the proxy's."""
    scope = {"client": ["10.0.0.5", 51000], "headers": [(b"x-forwarded-for", b"1.2.3.4, 203.0.113.9")]}
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert scope_client_address(scope) == "203.0.113.9"
    settings.TRUSTED_PROXIES = []
    assert scope_client_address(scope) == "10.0.0.5"
    assert scope_client_address({"headers": []}) == ""


# --- the token endpoint --------------------------------------------------------------------


def test_rotating_x_forwarded_for_does_not_escape_the_limit(org, settings):
    settings.TRUSTED_PROXIES = []
    client = APIClient()
    for n in range(10):
        token_login(client, "agent_a", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    blocked = token_login(client, "agent_a", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.200")
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    assert "token" not in blocked.json()
    assert "Too many failed logins" in blocked.json()["detail"]


def test_a_trusted_proxys_forwarded_address_is_honoured(org, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]  # the test client's socket address
    client = APIClient()
    fail(client, "agent_a", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert token_login(client, "agent_a", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    # Prepending an address of one's own changes nothing: the proxy's is the one read.
    spoofed = token_login(client, "agent_a", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5")
    assert spoofed.status_code == 429
    # The same username from another client behind the proxy is not locked out.
    assert token_login(client, "agent_a", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 200
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"


def test_nine_failures_then_the_right_password_clears_the_count(org):
    client = APIClient()
    fail(client, "agent_a", times=9)
    assert token_login(client, "agent_a", PASSWORD).status_code == 200
    fail(client, "agent_a", times=9)
    assert token_login(client, "agent_a", PASSWORD).status_code == 200


def test_the_lock_ends_after_the_lockout_time(org, time_machine):
    client = APIClient()
    time_machine.move_to("2026-03-02 10:00:00+00:00", tick=False)
    fail(client, "agent_a")
    assert token_login(client, "agent_a", PASSWORD).status_code == 429
    time_machine.move_to("2026-03-02 10:16:00+00:00", tick=False)
    assert token_login(client, "agent_a", PASSWORD).status_code == 200


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_limit_holds_while_the_cache_is_unreachable(org, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    client = APIClient()
    fail(client, "agent_a")
    assert token_login(client, "agent_a", PASSWORD).status_code == 429
    # The desk's login and the admin's count the same failures.
    assert Client().post("/login/", {"username": "agent_a", "password": PASSWORD}).status_code == 429


# --- the desk and the admin ------------------------------------------------------------------


def test_the_desk_login_is_limited_and_says_how_long_to_wait(org):
    client = Client()
    for _ in range(10):
        assert client.post("/login/", {"username": "agent_a", "password": "wrong"}).status_code == 200
    blocked = client.post("/login/", {"username": "agent_a", "password": PASSWORD})
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    assert "Too many attempts" in blocked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another agent behind the same address logs in.
    assert client.post("/login/", {"username": "agent_b", "password": PASSWORD}).status_code == 302


def test_the_desk_and_the_token_endpoint_share_the_count(org):
    for _ in range(5):
        Client().post("/login/", {"username": "agent_a", "password": "wrong"})
    fail(APIClient(), "agent_a", times=5)
    assert token_login(APIClient(), "agent_a", PASSWORD).status_code == 429


def test_the_admin_login_is_limited(admin_user):
    client = Client()
    for _ in range(25):
        client.post("/admin/login/?next=/admin/", {"username": "admin", "password": "wrong"})
    response = client.post("/admin/login/?next=/admin/", {"username": "admin", "password": "password"})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert client.get("/admin/").status_code == 302  # still logged out
    assert AccessAttempt.objects.get(username="admin").failures_since_start == 10


def test_the_admin_login_still_logs_in(admin_user):
    client = Client()
    response = client.post("/admin/login/?next=/admin/", {"username": "admin", "password": "password"})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_locked_account_shows_in_the_admin_and_is_unlocked_there(org, admin_client):
    fail(APIClient(), "agent_a")
    assert token_login(APIClient(), "agent_a", PASSWORD).status_code == 429
    page = admin_client.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert "agent_a" in page.content.decode()
    attempt = AccessAttempt.objects.get(username="agent_a")
    response = admin_client.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert token_login(APIClient(), "agent_a", PASSWORD).status_code == 200


def test_the_limit_holds_through_the_asgi_handler(admin_user):
    """Under an ASGI server the middleware chain runs asynchronously: the admin's page still
    answers, and the locked pair still gets 429."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    client = AsyncClient()
    post = async_to_sync(client.post)
    statuses = [post("/admin/login/", {"username": "admin", "password": "wrong"}).status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]
    right = post("/admin/login/", {"username": "admin", "password": "password"})
    assert right.status_code == 429
    assert "Too many attempts" in right.content.decode()


def test_a_login_view_that_does_not_answer_for_itself_gets_a_bare_429(rf, settings):
    from django.http import HttpResponse

    from contactcenter.core.logins import LoginLimitMiddleware

    def view(request):
        request.axes_locked_out = True
        return HttpResponse("form page")

    api = LoginLimitMiddleware(view)(rf.post("/api/v1/other-login/"))
    assert api.status_code == 429 and api["Content-Type"] == "application/json"
    assert int(api["Retry-After"]) == settings.LOGIN_LOCKOUT_MINUTES * 60
    page = LoginLimitMiddleware(view)(rf.post("/portal/login/"))
    assert page.status_code == 429 and "Too many failed logins" in page.content.decode()
