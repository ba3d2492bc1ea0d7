"""Connections spread over a server's processes (contactcenter/core/balancing.py): a process
holding connections lets a new one go to an idle process, still takes it when none is idle, and
the loop serves uvicorn's processes as uvicorn's own does."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from contactcenter.core import balancing

ROOT = Path(__file__).resolve().parent.parent


class Named(asyncio.Protocol):
    """Answers each message with the name of the server that accepted the connection."""

    def __init__(self, name: str) -> None:
        self.name = name

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(self.name.encode())


class Process:
    """One "process" of a server: its own thread, event loop and copy of the listening socket,
    as uvicorn's processes each have the socket it bound before starting them."""

    def __init__(self, name: str, listening: socket.socket) -> None:
        self.name = name
        self.loop = balancing.new_event_loop()
        self.sock = socket.socket(fileno=os.dup(listening.fileno()))
        self.server: balancing.BalancedServer | None = None
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self.thread.start()
        assert ready.wait(10)

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)

        async def start() -> None:
            self.server = await self.loop.create_server(lambda: Named(self.name), sock=self.sock, backlog=16)
            ready.set()

        self.loop.run_until_complete(start())
        self.loop.run_forever()

    def held(self) -> int:
        return asyncio.run_coroutine_threadsafe(self._held(), self.loop).result(5)

    async def _held(self) -> int:
        return self.server.held()

    def stop(self) -> None:
        async def close() -> None:
            self.server.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(5)

    def end(self) -> None:
        if self.server.is_serving():
            self.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.sock.close()


@pytest.fixture
def listening():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # bound, not listening: the server listens, as with uvicorn
    yield sock
    sock.close()


@pytest.fixture
def processes(listening, monkeypatch):
    # A long wait per connection held: the idle processes, woken by the same connection, take it
    # long before the busy one would, however loaded the machine running the tests is.
    monkeypatch.setattr(balancing, "WAIT_PER_CONNECTION", 0.25)
    started = [Process(name, listening) for name in "ABCD"]
    yield started
    for process in started:
        process.end()


def ask(client: socket.socket) -> str:
    client.sendall(b"?")
    return client.recv(16).decode()


def test_connections_opened_one_after_another_land_on_as_many_processes(listening, processes):
    address = listening.getsockname()
    clients, names = [], []
    for _ in range(4):  # each one answered before the next one is opened
        clients.append(socket.create_connection(address, timeout=10))
        names.append(ask(clients[-1]))
    # Without the balancing, the process that woke first took the next connection whether or not
    # it held one already: four connections on one, two or three processes.
    assert sorted(names) == ["A", "B", "C", "D"]
    assert sorted(process.held() for process in processes) == [1, 1, 1, 1]

    for client in clients:
        client.close()
    deadline = time.monotonic() + 5
    while any(process.held() for process in processes) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [process.held() for process in processes] == [0, 0, 0, 0]  # a closed connection is no longer held


def test_a_process_holding_connections_still_takes_new_ones_when_it_is_the_only_one(listening, processes):
    for process in processes[1:]:
        process.stop()
    address = listening.getsockname()
    clients = [socket.create_connection(address, timeout=10) for _ in range(3)]
    try:
        # Each waited a moment for the connections already held, then was accepted all the same.
        assert [ask(client) for client in clients] == ["A", "A", "A"]
        assert processes[0].held() == 3
    finally:
        for client in clients:
            client.close()


def test_a_stopped_process_accepts_nothing(listening, processes):
    processes[0].stop()
    assert not processes[0].server.is_serving()
    assert processes[0].server.sockets == ()
    for _ in range(4):
        with socket.create_connection(listening.getsockname(), timeout=10) as client:
            assert ask(client) != "A"


def test_a_lone_server_listening_on_its_own_address_is_the_loops_own():
    async def start() -> tuple[object, str]:
        server = await asyncio.get_running_loop().create_server(lambda: Named("X"), host="127.0.0.1", port=0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"?")
        answer = (await reader.read(16)).decode()
        writer.close()
        server.close()
        await server.wait_closed()
        return server, answer

    loop = balancing.new_event_loop()
    try:
        server, answer = loop.run_until_complete(start())
    finally:
        loop.close()
    assert answer == "X"
    assert not isinstance(server, balancing.BalancedServer)


APP = """
import asyncio, os


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = ('{"pid": %d, "loop": "%s"}' % (os.getpid(), type(asyncio.get_running_loop()).__name__)).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})
"""


def test_uvicorn_processes_serve_with_the_balanced_loop(tmp_path):
    (tmp_path / "pid_app.py").write_text(APP)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    environment["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(ROOT)])
    command = [sys.executable, "-m", "uvicorn", "pid_app:app", "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(  # noqa: S603
        [*command, "--loop", "contactcenter.core.balancing:new_event_loop", "--log-level", "warning"],
        cwd=tmp_path,
        env=environment,
    )
    try:
        connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(3)]
        deadline = time.monotonic() + 60
        while True:
            try:
                connections[0].request("GET", "/")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                connections[0].close()
                time.sleep(0.2)
        answers = [json.loads(connections[0].getresponse().read())]
        for connection in connections:
            for _ in range(2):  # each connection kept open between its requests
                connection.request("GET", "/")
                answers.append(json.loads(connection.getresponse().read()))
        for connection in connections:
            connection.close()
    finally:
        server.terminate()
        server.wait(15)
    assert all(answer["loop"].startswith("Balanced") for answer in answers)
    assert len(answers) == 7
