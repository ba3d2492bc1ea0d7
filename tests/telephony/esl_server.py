"""A FreeSWITCH event socket for the tests: asyncio TCP on 127.0.0.1, speaking the protocol of
``mod_event_socket`` (FreeSWITCH 1.10, ``src/mod/event_handlers/mod_event_socket``) as far as the
bridge uses it, and replaying transcripts of events.

* On connecting: ``Content-Type: auth/request`` (or, when :attr:`EslServer.acl_denied`, the
  ``text/rude-rejection`` of an address the ACL refuses, and the socket is closed).
  ``auth <password>`` answers a ``command/reply`` with ``Reply-Text: +OK accepted``, or
  ``-ERR invalid`` and the socket is closed, as the switch does.
* ``event plain <names…>`` answers ``+OK event listener enabled plain``; from then on, the events
  of the transcript are sent, each as ``text/event-plain`` framed by its ``Content-Length``,
  **only those subscribed to** (by ``Event-Name``, or by ``Event-Subclass`` for ``CUSTOM``).
* ``api <command>`` answers ``api/response`` with the command's output; ``bgapi <command>`` with
  a ``Job-UUID`` header answers ``+OK Job-UUID: …`` at once, then a ``BACKGROUND_JOB`` event
  carrying the output as its body (when subscribed).
* ``exit`` answers ``+OK bye`` and a ``text/disconnect-notice``, then closes.

Every command received is recorded (:attr:`EslServer.commands`). The outputs come from
:attr:`EslServer.responses` (command name → text, or a function of the arguments), with the
switch's own wording by default.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

TRANSCRIPTS = Path(__file__).parent / "transcripts" / "freeswitch"
CORE_UUID = "4f37c5eb-1937-45c6-b808-6fba2ffadb63"


def transcript(name: str) -> list[str]:
    """The events of a transcript file: ``text/event-plain`` bodies, separated by empty lines in the
    file (``#`` lines are comments)."""
    events, block = [], []
    for line in (TRANSCRIPTS / name).read_text().splitlines():
        if line.startswith("#"):
            continue
        if line.strip():
            block.append(line)
        elif block:
            events.append("\n".join(block) + "\n\n")
            block = []
    if block:
        events.append("\n".join(block) + "\n\n")
    return events


def _subscription(words: list[str]) -> set[str]:
    """What ``event plain <words>`` subscribes to, read as mod_event_socket reads it: event names,
    until ``CUSTOM``, after which every word is a custom event's subclass (``CUSTOM callcenter::info``)."""
    names: set[str] = set()
    custom = False
    for word in words:
        if custom:
            names.add(f"CUSTOM {word}")
        elif word == "CUSTOM":
            custom = True
        else:
            names.add(word)
    return names


def _encode(value: str) -> str:
    return quote(value, safe="!$'()*,-./_~")


def _originate_output(arguments: str) -> str:
    found = re.search(r"origination_uuid=([0-9a-f-]+)", arguments)
    return f"+OK {found.group(1) if found else uuid.uuid4()}\n"


DEFAULT_RESPONSES: dict[str, str | Callable[[str], str]] = {
    "originate": _originate_output,
    "uuid_hold": "+OK Success\n",
    "uuid_transfer": "+OK\n",
    "uuid_record": "+OK Success\n",
    "status": "UP 0 years, 0 days, 1 hour, 2 minutes\nFreeSWITCH (Version 1.10.12) is ready\n",
}


class EslServer:
    def __init__(self, events: list[str] | None = None, *, password: str = "ClueCon", port: int = 0) -> None:  # noqa: S107
        self.events = list(events or [])
        self.password = password
        self.port = port
        self.responses: dict[str, str | Callable[[str], str]] = dict(DEFAULT_RESPONSES)
        #: Every command received: (first line, its headers).
        self.commands: list[tuple[str, dict[str, str]]] = []
        #: Messages written to the current connection after it subscribed (events and replies).
        self.sent = 0
        self.connections = 0
        self.job_delay = 0.0
        #: An ``apply-inbound-acl`` that does not list 127.0.0.1.
        self.acl_denied = False
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._subscribed: dict[asyncio.StreamWriter, set[str]] = {}
        self._jobs: set[asyncio.Task] = set()

    async def start(self) -> EslServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Close the listening socket and every connection (FreeSWITCH stopped)."""
        for job in self._jobs:
            job.cancel()
        if self._server is not None:
            self._server.close()
        for writer in self._writers:
            writer.close()
        for writer in self._writers:
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()
        if self._server is not None:
            await self._server.wait_closed()
        self._writers, self._server = [], None

    def command_lines(self, name: str | None = None) -> list[str]:
        return [line for line, _ in self.commands if name is None or line.split(" ", 1)[0] == name]

    # Sending.

    def _write(self, writer: asyncio.StreamWriter, data: str, *, counted: bool = True) -> None:
        writer.write(data.encode())
        if counted and writer in self._subscribed:
            self.sent += 1

    def _reply(self, writer: asyncio.StreamWriter, text: str, **headers: str) -> None:
        extra = "".join(f"{name}: {value}\n" for name, value in headers.items())
        self._write(writer, f"Content-Type: command/reply\nReply-Text: {text}\n{extra}\n")

    def _event(self, writer: asyncio.StreamWriter, body: str) -> None:
        names = self._subscribed.get(writer, set())
        fields = dict(line.split(": ", 1) for line in body.split("\n\n", 1)[0].splitlines() if ": " in line)
        name = fields.get("Event-Name", "")
        subclass = fields.get("Event-Subclass", "").replace("%3A", ":")
        if "ALL" not in names and name not in names and f"CUSTOM {subclass}" not in names:
            return
        length = len(body.encode())
        self._write(writer, f"Content-Length: {length}\nContent-Type: text/event-plain\n\n{body}")

    def send(self, *bodies: str) -> None:
        """Send more events to the connected, subscribed clients."""
        for writer in list(self._subscribed):
            for body in bodies:
                self._event(writer, body)

    def _background_job(self, job: str, command: str, arguments: str, output: str) -> str:
        now = int(time.time() * 1_000_000)
        headers = [
            ("Event-Name", "BACKGROUND_JOB"),
            ("Core-UUID", CORE_UUID),
            ("FreeSWITCH-Hostname", "pbx1.example.net"),
            ("Event-Date-Timestamp", str(now)),
            ("Event-Calling-File", "mod_event_socket.c"),
            ("Event-Calling-Function", "api_exec"),
            ("Job-UUID", job),
            ("Job-Owner-UUID", ""),
            ("Job-Command", command),
            ("Job-Command-Arg", arguments),
        ]
        block = "".join(f"{name}: {_encode(value) or '_undef_'}\n" for name, value in headers)
        return f"{block}Content-Length: {len(output.encode())}\n\n{output}"

    def _output(self, command: str, arguments: str) -> str:
        response = self.responses.get(command)
        if response is None:
            return f"-ERR {command} Command not found!\n"
        return response(arguments) if callable(response) else response

    async def _later(self, writer: asyncio.StreamWriter, body: str) -> None:
        await asyncio.sleep(self.job_delay)
        if writer in self._subscribed:
            self._event(writer, body)

    # Serving.

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.sent = 0
        self._writers.append(writer)
        try:
            if self.acl_denied:  # the ACL refuses the address: before any password
                message = "Access Denied, go away.\n"
                self._write(writer, f"Content-Type: text/rude-rejection\nContent-Length: {len(message)}\n\n{message}")
                await writer.drain()
                return
            self._write(writer, "Content-Type: auth/request\n\n")
            authed = False
            while True:
                raw = (await reader.readuntil(b"\n\n")).decode()
                lines = [line.rstrip("\r") for line in raw.strip("\n").split("\n")]
                line, headers = lines[0], dict(item.split(": ", 1) for item in lines[1:] if ": " in item)
                self.commands.append((line, headers))
                if not authed:
                    if line.startswith("auth ") and line[5:] == self.password:
                        authed = True
                        self._reply(writer, "+OK accepted")
                        continue
                    self._reply(writer, "-ERR invalid")
                    await writer.drain()
                    break
                if line.startswith("event plain"):
                    self._reply(writer, "+OK event listener enabled plain")
                    self._subscribed[writer] = _subscription(line.split()[2:])
                    for body in self.events:
                        self._event(writer, body)
                elif line.startswith("api "):
                    command, _, arguments = line[4:].partition(" ")
                    output = self._output(command, arguments)
                    length = len(output.encode())
                    self._write(writer, f"Content-Type: api/response\nContent-Length: {length}\n\n{output}")
                elif line.startswith("bgapi "):
                    command, _, arguments = line[6:].partition(" ")
                    job = headers.get("Job-UUID") or str(uuid.uuid4())
                    self._reply(writer, f"+OK Job-UUID: {job}", **{"Job-UUID": job})
                    output = self._background_job(job, command, arguments, self._output(command, arguments))
                    if self.job_delay:  # the job runs in its own thread: the socket serves on meanwhile
                        self._jobs.add(asyncio.create_task(self._later(writer, output)))
                    else:
                        self._event(writer, output)
                elif line == "exit":
                    self._reply(writer, "+OK bye")
                    self._write(writer, "Content-Type: text/disconnect-notice\nContent-Length: 0\n\n")
                    await writer.drain()
                    break
                else:
                    self._reply(writer, "-ERR command not found")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._subscribed.pop(writer, None)
            writer.close()
