"""A server process (contactcenter/core/serving.py): the ASGI application, once imported, has
loaded every view and taken what it loaded out of the garbage collector's full passes; each
request's synchronous code runs on a thread kept between requests."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from unittest import mock

from asgiref.sync import AsyncToSync, SyncToAsync, async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.core.signals import request_finished, request_started
from django.http import HttpResponse

from contactcenter.core.serving import KEPT_THREADS, KeptThreadsASGIHandler

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import gc, sys
import contactcenter.asgi
print(gc.get_freeze_count(), len(gc.get_objects()), "contactcenter.distribution.api.views" in sys.modules)
"""


def probe(**env: str) -> tuple[int, int, bool]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    environment.update(DJANGO_SETTINGS_MODULE="contactcenter.settings", **env)
    output = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()
    return int(output[0]), int(output[1]), output[2] == "True"


def test_the_served_application_is_loaded_and_frozen_before_its_first_request():
    frozen, tracked, views_loaded = probe()
    # The views are imported at start (not by a first request), and the objects alive then are
    # out of the collector's passes: what a full pass walks is a small part of what there is.
    assert views_loaded
    assert frozen > 100_000
    assert tracked < frozen / 4


def test_the_freeze_can_be_turned_off():
    frozen, tracked, views_loaded = probe(SERVER_GC_FREEZE="0")
    assert frozen == 0
    assert tracked > 100_000
    assert not views_loaded  # the URLconf waits for the first request, as Django does


# --- Kept request threads ------------------------------------------------------------------------


def _scope(path: str) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }


async def _get(application: KeptThreadsASGIHandler, path: str) -> int:
    """One request through ``application`` as uvicorn makes it; its status."""
    communicator = ApplicationCommunicator(application, _scope(path))
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await communicator.receive_output(10)
    while (await communicator.receive_output(10)).get("more_body"):
        pass
    await communicator.wait(10)
    return start["status"]


async def _until_idle(application: KeptThreadsASGIHandler, threads: int) -> None:
    """Until ``threads`` request threads are back among the idle ones (at most 10 s)."""
    for _ in range(1000):
        if len(application._idle) >= threads:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{len(application._idle)} idle threads, {threads} expected")


def test_requests_one_after_another_run_on_one_thread_kept_between_them():
    application = KeptThreadsASGIHandler()
    threads: list[int] = []

    def started(**kwargs: object) -> None:
        threads.append(threading.get_ident())

    async def three_requests() -> list[int]:
        statuses = []
        for _ in range(3):
            statuses.append(await _get(application, "/no-such-page/"))
            await _until_idle(application, 1)
        return statuses

    request_started.connect(started)
    try:
        assert asyncio.run(three_requests()) == [404, 404, 404]
    finally:
        request_started.disconnect(started)
    # Django's own handler: three threads, each made for its request and stopped after it.
    assert len(threads) == 3
    assert len(set(threads)) == 1
    assert threads[0] != threading.get_ident()
    assert len(application._idle) == 1


def test_requests_at_once_run_on_threads_of_their_own():
    application = KeptThreadsASGIHandler()
    threads: list[int] = []
    both_in = threading.Barrier(2, timeout=10)

    def started(**kwargs: object) -> None:
        threads.append(threading.get_ident())
        both_in.wait()  # each waits for the other: they must run at once, on two threads

    async def two_at_once() -> list[int]:
        statuses = await asyncio.gather(_get(application, "/a/"), _get(application, "/b/"))
        await _until_idle(application, 2)
        return list(statuses)

    request_started.connect(started)
    try:
        assert asyncio.run(two_at_once()) == [404, 404]
    finally:
        request_started.disconnect(started)
    assert len(set(threads)) == 2


def test_a_thread_still_busy_with_a_cancelled_request_is_not_given_to_another_one():
    application = KeptThreadsASGIHandler()
    thread = ThreadPoolExecutor(max_workers=1)
    view_returns = threading.Event()

    async def release_while_busy() -> tuple[int, int]:
        thread.submit(view_returns.wait, 10)  # the view of a request whose client has gone
        application._release(thread, asyncio.get_running_loop())
        await asyncio.sleep(0.2)
        idle_while_busy = len(application._idle)
        view_returns.set()
        await _until_idle(application, 1)
        return idle_while_busy, len(application._idle)

    try:
        assert asyncio.run(release_while_busy()) == (0, 1)
    finally:
        view_returns.set()
        thread.shutdown()


def test_the_idle_threads_kept_are_bounded():
    application = KeptThreadsASGIHandler()
    threads = [ThreadPoolExecutor(max_workers=1) for _ in range(KEPT_THREADS + 3)]

    async def release_all() -> None:
        loop = asyncio.get_running_loop()
        for thread in threads:
            application._release(thread, loop)
        for _ in range(1000):
            if sum(thread._shutdown for thread in threads) == 3:
                break
            await asyncio.sleep(0.01)

    asyncio.run(release_all())
    assert len(application._idle) == KEPT_THREADS
    assert sum(thread._shutdown for thread in threads) == 3
    for thread in threads:
        thread.shutdown()


def test_a_request_crosses_from_the_event_loop_to_its_thread_and_back_once():
    """Its middleware, view lookup, view middleware (CSRF) and view run in one pass on its thread:
    nothing of it goes back to the event loop (no ``async_to_sync``), and the only calls from the
    loop to a thread are Django's request-started signal, the chain, its log of an answer ≥ 400,
    and the answer's close."""
    application = KeptThreadsASGIHandler()
    crossings = {"to the loop": 0, "to the thread": 0}
    to_loop, to_thread = AsyncToSync.__call__, SyncToAsync.__call__

    def counted_to_loop(self, *args, **kwargs):
        crossings["to the loop"] += 1
        return to_loop(self, *args, **kwargs)

    def counted_to_thread(self, *args, **kwargs):
        crossings["to the thread"] += 1
        return to_thread(self, *args, **kwargs)

    with (
        mock.patch.object(AsyncToSync, "__call__", counted_to_loop),
        mock.patch.object(SyncToAsync, "__call__", counted_to_thread),
    ):
        assert asyncio.run(_get(application, "/api/v1/customers/")) == 401
    assert crossings == {"to the loop": 0, "to the thread": 4}


def test_a_request_whose_client_leaves_runs_its_view_to_the_end_events_included():
    """The client leaves while the view awaits something on the event loop (the live events of what
    it committed): Django cancels the request (and says it finished), but what the view awaits is
    not cancelled with it, and the view goes on to its end."""
    application = KeptThreadsASGIHandler()
    announced: list[str] = []
    state: dict[str, asyncio.Event] = {}

    async def announce() -> str:
        state["sending"].set()
        await state["release"].wait()
        return "sent"

    def chain(request: object) -> HttpResponse:
        announced.append(async_to_sync(announce)())  # as the live events of a change leave, after its commit
        return HttpResponse("done")

    application._sync_chain = chain

    async def leave_early() -> None:
        state.update(sending=asyncio.Event(), release=asyncio.Event())
        cancelled = asyncio.Event()

        async def finished(**kwargs: object) -> None:  # Django's word that it cancelled the request
            cancelled.set()

        request_finished.connect(finished)
        try:
            communicator = ApplicationCommunicator(application, _scope("/a/"))
            await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
            await asyncio.wait_for(state["sending"].wait(), 10)
            await communicator.send_input({"type": "http.disconnect"})
            await asyncio.wait_for(cancelled.wait(), 10)
            state["release"].set()
            await communicator.wait(10)
            await _until_idle(application, 1)
        finally:
            request_finished.disconnect(finished)

    asyncio.run(leave_early())
    assert announced == ["sent"]
