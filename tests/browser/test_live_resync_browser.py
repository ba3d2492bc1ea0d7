"""A wallboard in a real browser refetches its board when its server's Redis comes back.

The server (uvicorn in the test process, ``asgi_live_server``) shares its live events through a
private redis-server that the test kills: while it is away, an agent goes on a break (the request
answers, the event is lost); once it is back, the socket says ``resync`` and the page fetches its
board again, within 10 seconds, showing the break, without a reload.
"""

from __future__ import annotations

import re
import shutil
import time

import pytest
import requests
from django.test import override_settings
from playwright.sync_api import expect

from contactcenter.agents.models import Status
from tests.browser.test_wallboard_browser import TIMEOUT_MS, log_in, set_status, token_for

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

BOARD_PATH = "/wallboard/board/"


@pytest.fixture
def private_redis_layer():
    """The live events of the server through a Redis of this test's own (never the machine's)."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    from tests.live.cluster import PrivateRedis

    redis = PrivateRedis().start()
    layers = {
        "default": {
            "BACKEND": "contactcenter.live.layers.NumberedRedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": redis.url, "socket_connect_timeout": 1}]},
        }
    }
    try:
        with override_settings(CHANNEL_LAYERS=layers):
            yield redis
    finally:
        redis.stop()


def test_the_wallboard_refetches_its_board_within_10_seconds_of_redis_coming_back(
    private_redis_layer, page, asgi_live_server, org
):
    set_status(org.agent_a, Status.AVAILABLE)
    token = token_for(org.agent_a)
    log_in(page, asgi_live_server, "supervisor_a")
    card = page.locator('.wb-agent[data-agent="agent_a"]')
    expect(card).to_have_class(re.compile(r"\bstatus-available\b"))
    page.evaluate("window.__sameDocument = true")
    board_fetches: list[float] = []
    page.on("request", lambda request: board_fetches.append(time.monotonic()) if BOARD_PATH in request.url else None)

    private_redis_layer.kill()
    response = requests.put(
        f"{asgi_live_server.url}/api/v1/agents/me/status/",
        json={"status": "break", "reason": "lunch"},
        headers={"Authorization": f"Token {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text  # the write stands; its event is lost
    page.wait_for_timeout(2000)
    expect(card).to_have_class(re.compile(r"\bstatus-available\b"))  # the page could not know
    assert board_fetches == []

    private_redis_layer.start(same_port=True)
    back = time.monotonic()
    expect(card).to_have_class(re.compile(r"\bstatus-break\b"), timeout=TIMEOUT_MS)
    assert board_fetches and board_fetches[0] - back <= 10
    assert page.evaluate("window.__sameDocument") is True  # refetched, not reloaded
