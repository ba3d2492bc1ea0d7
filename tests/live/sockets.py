"""Helpers to drive the real ASGI application's sockets with channels' ``WebsocketCommunicator``.

Every scenario runs in one event loop (``asyncio.run``), as a server process does: the Redis
pub/sub layer (CI) keeps its subscriptions per loop. Services and the HTTP API run in the ORM's
worker thread through ``database_sync_to_async``, and that thread's connection is closed after
each call (persistent connections would otherwise keep the test database busy at teardown).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from contactcenter.asgi import application
from contactcenter.live.tickets import ws_ticket_issue

ORIGIN = "http://testserver"


def socket(path: str, *, origin: str | None = ORIGIN, cookie: str | None = None, language: str | None = None):
    """A communicator on ``path`` (``/ws/agent/``…) with a browser's Origin (``None``: no header)."""
    headers = []
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie is not None:
        headers.append((b"cookie", cookie.encode()))
    if language is not None:
        headers.append((b"accept-language", language.encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def in_worker(function, *args: Any, **kwargs: Any) -> Any:
    """Run ``function`` in the ORM's worker thread, then close that thread's connection."""
    try:
        return await database_sync_to_async(function)(*args, **kwargs)
    finally:
        await database_sync_to_async(connections.close_all)()


async def ticket_for(user) -> str:
    return await in_worker(ws_ticket_issue, user=user)


async def open_socket(path: str, user=None, **options: Any) -> WebsocketCommunicator:
    """A connected socket; with ``user``, authenticated by a fresh ticket."""
    if user is not None:
        path = f"{path}?ticket={await ticket_for(user)}"
    communicator = socket(path, **options)
    connected, _subprotocol = await communicator.connect(timeout=5)
    assert connected, "the handshake was refused"
    return communicator


async def receive(communicator: WebsocketCommunicator, timeout: float = 5) -> dict[str, Any]:
    return json.loads(await communicator.receive_from(timeout=timeout))


async def receive_type(communicator: WebsocketCommunicator, event_type: str, timeout: float = 5) -> dict[str, Any]:
    """The next message of ``event_type``, skipping others (their ``seq`` still counts)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = await receive(communicator, timeout=max(deadline - loop.time(), 0.01))
        if message["type"] == event_type:
            return message


async def close_code(communicator: WebsocketCommunicator, timeout: float = 5) -> int | None:
    """The code the server closed the socket with."""
    output = await communicator.receive_output(timeout=timeout)
    assert output["type"] == "websocket.close", output
    return output.get("code")


def session_cookie(user) -> str:
    """The ``Cookie`` header of a browser signed in as ``user``."""
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"
