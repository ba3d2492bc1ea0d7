"""A server process: everything a request uses loaded at start and kept out of the garbage
collector's full passes; each request's synchronous code run on a thread kept from one request to
the next.

Python's cyclic garbage collector walks every tracked object of the process on a full
(generation 2) pass. A server process holds a few hundred thousand of them that live as long as it
does (Django, the models, the URLconf, the views and serializers, the libraries), and on this
project's 2-core reference machine a full pass over them took about 130 ms: whichever requests that
process was serving waited that long, and the slowest percent of every endpoint's times were those
pauses. :func:`settle` loads the URLconf (and with it every view module) before the first request,
collects once, and moves every object alive then into the permanent generation
(:func:`gc.freeze`), which the passes skip: a full pass then walks what requests made since, and
took about 12 ms. Nothing is leaked by it: what was frozen was going to live as long as the process.

``SERVER_GC_FREEZE=0`` leaves the collector as Python sets it.

Django's ASGI handler runs the synchronous part of each request (the middleware, the view, the
queries) on a thread of its own, made for that request and stopped after it, with a second thread
made to wait for the first one's end. Everything Django keeps per thread went with it: the
database connection's wrapper (a new one per request, set up again on a connection from the pool),
and the serializers and compiled forms this project keeps per thread were made again for every
request. :class:`KeptThreadsASGIHandler` gives each request a thread from the idle ones the
process keeps (a new one only when all are busy), as a WSGI server does: one request at a time
per thread, all of a request's synchronous code on its one thread, as before.

Django also ran that code in pieces: its ASGI handler builds the middleware chain for an
asynchronous view layer, so the chain (all synchronous here) went to the request's thread, came
back to the event loop to look the view up, went to the thread again for each view middleware
(CSRF) and for the view, and back to the loop each time. Every one of these hops waits for the
other side, the event loop busy with other requests or the thread waiting for the interpreter
lock, and under load the waits added up to more than the request's own work. The handler builds
the chain as a WSGI server has it, view included, and enters it once: one hop to the thread and
one back (an asynchronous view, which this project has none of, is run to its end on the thread).
A client that leaves before its answer no longer cancels anything the view awaits on the event
loop (the live events of what it committed): the view runs to its end and the answer is dropped.
"""

from __future__ import annotations

import asyncio
import gc
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.urls import get_resolver

#: Idle request threads a process keeps at most; a thread more than that, made while many requests
#: ran at once, is stopped once its request is done.
KEPT_THREADS = 16


def settle() -> bool:
    """Load the URLconf, collect, freeze what is alive (``SERVER_GC_FREEZE``, on by default).
    Whether it froze."""
    if not settings.SERVER_GC_FREEZE:
        return False
    get_resolver().url_patterns  # noqa: B018  (imports every view module now, not on a first request)
    gc.collect()
    gc.freeze()
    return True


def _nothing() -> None:
    """A no-op, run on a request thread: done once the thread has finished all it was given."""


class KeptThreadsASGIHandler(ASGIHandler):
    """Django's ASGI handler, the synchronous code of each request run on a kept thread (see the
    module's docstring) instead of on a thread made for it."""

    def __init__(self) -> None:
        super().__init__()
        self._idle: list[ThreadPoolExecutor] = []

    def load_middleware(self, is_async: bool = False) -> None:
        """The middleware chain and the view as one synchronous call, entered from the event loop
        once per request (see the module's docstring)."""
        super().load_middleware(is_async=False)
        self._sync_chain = self._middleware_chain
        self._middleware_chain = self._run_chain

    async def _run_chain(self, request: Any) -> Any:
        """The chain on the request's thread, run to its end even when the client leaves first:
        Django then cancels the request, which would cancel what the view awaits on the event loop
        (the live events a change announces, once committed) while the view goes on. The answer
        is dropped; the view's work is done, events included."""
        return await asyncio.shield(sync_to_async(self._sync_chain, thread_sensitive=True)(request))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)  # Django's refusal
            return
        thread = self._idle.pop() if self._idle else ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")
        try:
            async with ThreadSensitiveContext(executor=thread):
                await self.handle(scope, receive, send)
        finally:
            self._release(thread, asyncio.get_running_loop())

    def _release(self, thread: ThreadPoolExecutor, loop: asyncio.AbstractEventLoop) -> None:
        """Back to the idle threads once it has done everything it was given: a request cancelled
        while its view ran (the client gone) leaves the view running on it until it returns."""

        def done(_: Future) -> None:
            try:
                loop.call_soon_threadsafe(self._keep, thread)
            except RuntimeError:  # the loop has closed: the process is stopping
                thread.shutdown(wait=False)

        thread.submit(_nothing).add_done_callback(done)

    def _keep(self, thread: ThreadPoolExecutor) -> None:
        if len(self._idle) < KEPT_THREADS:
            self._idle.append(thread)
        else:
            thread.shutdown(wait=False)
