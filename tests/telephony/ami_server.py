"""A small Asterisk Manager Interface server for the bridge's tests: the real protocol over TCP on
127.0.0.1, fed by transcripts (``tests/telephony/transcripts/asterisk/*.ami``).

It greets like Asterisk (``Asterisk Call Manager/9.0.0``), checks the ``Login`` (a wrong secret
answers ``Response: Error`` / ``Authentication failed`` and closes, as Asterisk does), then sends
its transcript's events, and answers the actions a bridge sends: ``Originate`` (``Response:
Success``, ``Message: Originate successfully queued``, then the events of ``originate.ami`` filled
with the action's own values), ``Redirect``, ``Atxfer``, ``MixMonitorMute`` (``Success``, the
latter followed by its ``MixMonitorMute`` event), ``Logoff`` (``Goodbye``). Every action received
is kept in :attr:`AmiServer.actions`.

Its reader is written apart from the bridge's (``contactcenter/telephony/asterisk.py``), so that
a mistake in one is not repeated in the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from pathlib import Path

TRANSCRIPTS = Path(__file__).parent / "transcripts" / "asterisk"
BANNER = b"Asterisk Call Manager/9.0.0\r\n"


def transcript(name: str) -> list[str]:
    """The messages of a transcript file: its ``#`` comment lines dropped, messages separated by
    empty lines, each as the text of its lines (joined with CRLF when sent)."""
    text = (TRANSCRIPTS / name).read_text()
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    blocks, current = [], []
    for line in lines:
        if line.strip():
            current.append(line)
        elif current:
            blocks.append("\r\n".join(current))
            current = []
    if current:
        blocks.append("\r\n".join(current))
    return blocks


def fields(block: str) -> dict[str, str]:
    """A message's fields, keys as written."""
    found = {}
    for line in block.split("\r\n"):
        key, _, value = line.partition(": ")
        found.setdefault(key, value)
    return found


_OFFSET = re.compile(r"\{t\+([0-9.]+)\}")


def filled(block: str, values: dict[str, str], t: float) -> str:
    """A template message of ``originate.ami`` with the action's values."""
    block = _OFFSET.sub(lambda match: f"{t + float(match.group(1)):.6f}", block)
    for key, value in values.items():
        block = block.replace("{" + key + "}", value)
    return block


class AmiServer:
    def __init__(self, *, events: list[str] | None = None, username: str = "switchboard", secret: str = "s3cret"):  # noqa: S107
        self.events = list(events or [])
        self.username, self.secret = username, secret
        self.actions: list[dict[str, str]] = []
        self.logins = 0
        self.refused = 0
        self.sent = asyncio.Event()
        self.port = 0
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.StreamWriter] = set()
        # channel → (Uniqueid, Linkedid), from the transcript: the events of actions on a channel carry them.
        self.channels: dict[str, tuple[str, str]] = {}
        for block in self.events:
            found = fields(block)
            if found.get("Channel") and found.get("Uniqueid"):
                self.channels[found["Channel"]] = (found["Uniqueid"], found.get("Linkedid", found["Uniqueid"]))

    async def start(self, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._clients):
            writer.close()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
        self._server = None

    async def _send(self, writer: asyncio.StreamWriter, block: str) -> None:
        writer.write(block.encode() + b"\r\n\r\n")
        await writer.drain()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        try:
            writer.write(BANNER)
            await writer.drain()
            logged_in = False
            while True:
                try:
                    raw = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                action = fields(raw.decode().strip())
                self.actions.append(action)
                name = action.get("Action", "").lower()
                action_id = action.get("ActionID", "")
                if name == "login":
                    if action.get("Username") != self.username or action.get("Secret") != self.secret:
                        self.refused += 1
                        await self._send(
                            writer, f"Response: Error\r\nActionID: {action_id}\r\nMessage: Authentication failed"
                        )
                        return
                    self.logins += 1
                    logged_in = True
                    await self._send(
                        writer, f"Response: Success\r\nActionID: {action_id}\r\nMessage: Authentication accepted"
                    )
                    await self._send(writer, "Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted")
                    for block in self.events:
                        await self._send(writer, block)
                    self.sent.set()
                elif not logged_in:
                    await self._send(writer, f"Response: Error\r\nActionID: {action_id}\r\nMessage: Permission denied")
                elif name == "logoff":
                    await self._send(writer, "Response: Goodbye\r\nMessage: Thanks for all the fish.")
                    return
                elif name == "originate":
                    await self._originate(writer, action)
                elif name in {"redirect", "atxfer", "mixmonitormute"}:
                    message = {"redirect": "Redirect successful", "atxfer": "Atxfer successfully queued"}.get(name, "")
                    reply = f"Response: Success\r\nActionID: {action_id}"
                    await self._send(writer, reply + (f"\r\nMessage: {message}" if message else ""))
                    if name == "mixmonitormute":
                        channel = action.get("Channel", "")
                        uniqueid, linkedid = self.channels.get(channel, ("", ""))
                        await self._send(
                            writer,
                            f"Event: MixMonitorMute\r\nPrivilege: call,all\r\nTimestamp: {time.time() - 1:.6f}\r\n"
                            f"Channel: {channel}\r\nUniqueid: {uniqueid}\r\nLinkedid: {linkedid}\r\n"
                            f"Direction: {action.get('Direction', '')}\r\nState: {action.get('State', '')}",
                        )
                else:
                    await self._send(
                        writer, f"Response: Error\r\nActionID: {action_id}\r\nMessage: Invalid/unknown command"
                    )
        finally:
            self._clients.discard(writer)
            writer.close()

    async def _originate(self, writer: asyncio.StreamWriter, action: dict[str, str]) -> None:
        action_id = action.get("ActionID", "")
        await self._send(
            writer, f"Response: Success\r\nActionID: {action_id}\r\nMessage: Originate successfully queued"
        )
        values = {
            "channel_id": action.get("ChannelId", ""),
            "action_id": action_id,
            "channel": action.get("Channel", ""),
            "exten": action.get("Exten", ""),
            "context": action.get("Context", ""),
        }
        t = time.time() - 120  # every event of the call in the past, as the intake wants
        for block in transcript("originate.ami"):
            await self._send(writer, filled(block, values, t))
