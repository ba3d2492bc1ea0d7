"""Connections spread over a server's processes: an event loop for ``uvicorn --workers N`` whose
processes take a new connection the sooner the fewer they already hold.

``uvicorn --workers 4`` opens one listening socket and hands it to four processes, each of which
waits on it and accepts, when woken, every connection waiting. When a client opens a few
connections at once (a reverse proxy keeping some open to the server, a load generator), the first
process awake takes them all, or most: four connections opened together, twenty times, landed all
on one process four times and one per process once. A process runs the Python code of its
requests one at a time, so the requests of a process holding two wait for each other while
another process idles.

:func:`new_event_loop` (``uvicorn … --workers 4 --loop contactcenter.core.balancing:new_event_loop``)
gives each process a loop whose server accepts one connection at a time, and before each waits a
moment for each connection it already holds open (:data:`WAIT_PER_CONNECTION`, at most
:data:`MOST_WAITS` of them; a live-events WebSocket is a connection held too): a process holding
none takes the next connection at once, one holding two lets it go to an idler process, if there is
one, for two moments, and takes it itself after that. The same four connections then landed one
per process sixteen times in twenty, and never more than two on one. A lone process (without
``--workers``: uvicorn then asks the loop for a server on a host and port, not on its socket) is
served as by the loop it extends (uvloop's, or asyncio's without it).

It holds nothing of Django: the floor of ``bench/api.py`` is served with it too.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl as ssl_module
from collections.abc import Callable
from typing import Any

try:
    import uvloop
except ImportError:  # pragma: no cover (uvicorn[standard] installs it)
    uvloop = None

logger = logging.getLogger(__name__)

#: What a process waits, for each connection it holds open, before it accepts another (seconds).
WAIT_PER_CONNECTION = 0.002
#: At most this many waits: a process holding many connections still accepts, a few ms later.
MOST_WAITS = 4


class BalancedServer:
    """The listening side of one process on a shared socket: what uvicorn uses of
    :class:`asyncio.Server` (``close``, ``wait_closed``, ``sockets``, ``is_serving``)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        protocol_factory: Callable[[], asyncio.Protocol],
        sock: socket.socket,
        ssl: ssl_module.SSLContext | None,
        backlog: int,
    ) -> None:
        self._loop = loop
        self._protocol_factory = protocol_factory
        self._sock = sock
        self._ssl = ssl
        self._transports: set[asyncio.BaseTransport] = set()
        self._starting: set[asyncio.Task] = set()  # accepted connections whose transport is being made
        self._closed = asyncio.Event()
        sock.setblocking(False)
        sock.listen(backlog)  # as asyncio's and uvloop's create_server do: uvicorn binds, the server listens
        self._task = loop.create_task(self._accept_forever())

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return () if self._closed.is_set() else (self._sock,)

    def is_serving(self) -> bool:
        return not self._closed.is_set()

    def held(self) -> int:
        """The connections this process holds open."""
        self._transports = {transport for transport in self._transports if not transport.is_closing()}
        return len(self._transports) + len(self._starting)

    async def _accept_forever(self) -> None:
        while True:
            held = self.held()
            if held:
                await asyncio.sleep(WAIT_PER_CONNECTION * min(held, MOST_WAITS))
            try:
                connection, _address = await self._loop.sock_accept(self._sock)
            except OSError as error:  # out of file descriptors, a connection reset while queued…
                logger.warning("accept failed: %s", error)
                await asyncio.sleep(0.1)
                continue
            task = self._loop.create_task(self._serve(connection))
            self._starting.add(task)  # kept until done (the loop itself holds only a weak reference)
            task.add_done_callback(self._starting.discard)

    async def _serve(self, connection: socket.socket) -> None:
        try:
            transport, _protocol = await self._loop.connect_accepted_socket(
                self._protocol_factory, connection, ssl=self._ssl
            )
        except OSError as error:  # the client left, or its TLS handshake failed (an SSLError)
            logger.debug("connection not set up: %s", error)
            connection.close()
        else:
            self._transports.add(transport)

    def close(self) -> None:
        """Stop accepting (the connections held are uvicorn's to close)."""
        if not self._closed.is_set():
            self._closed.set()
            self._task.cancel()

    async def wait_closed(self) -> None:
        await self._closed.wait()
        await asyncio.gather(self._task, return_exceptions=True)


def _balanced(base: type[asyncio.AbstractEventLoop]) -> type[asyncio.AbstractEventLoop]:
    class BalancedLoop(base):  # type: ignore[valid-type,misc]
        async def create_server(
            self, protocol_factory: Callable[[], asyncio.Protocol], *args: Any, **kwargs: Any
        ) -> asyncio.AbstractServer | BalancedServer:
            sock = kwargs.get("sock")
            if sock is None or args or kwargs.get("host") or kwargs.get("port"):
                return await super().create_server(protocol_factory, *args, **kwargs)
            return BalancedServer(self, protocol_factory, sock, kwargs.get("ssl"), kwargs.get("backlog") or 100)

    BalancedLoop.__name__ = BalancedLoop.__qualname__ = f"Balanced{base.__name__}"
    return BalancedLoop


BalancedUvloop = _balanced(uvloop.Loop) if uvloop is not None else None
BalancedSelectorLoop = _balanced(asyncio.SelectorEventLoop)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvicorn's ``--loop`` hook: each process's event loop (uvloop's when installed)."""
    return (BalancedUvloop or BalancedSelectorLoop)()
