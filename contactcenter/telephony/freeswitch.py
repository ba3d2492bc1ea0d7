"""The FreeSWITCH bridge (``manage.py cti_bridge freeswitch``): the event socket, in inbound mode.

Three parts, each usable alone:

* **The wire** (:func:`message_read`, :func:`event_parse`). FreeSWITCH's event socket
  (``mod_event_socket``) speaks in messages: header lines ``Name: value`` up to an empty line,
  then, when a ``Content-Length`` header says so, that many bytes of body. On connecting, the
  switch sends ``Content-Type: auth/request``; the client answers ``auth <password>`` and gets a
  ``command/reply`` whose ``Reply-Text`` is ``+OK accepted`` (or ``-ERR invalid``, and the switch
  hangs up). ``event plain <names>`` subscribes; each event then comes as a ``text/event-plain``
  message whose body is itself a header block, every value URL-encoded, with its own
  ``Content-Length`` and body when the event has one (a background job's output). ``bgapi
  <command>`` with a ``Job-UUID`` header runs an API command without blocking the socket: the
  ``command/reply`` says it is accepted, the ``BACKGROUND_JOB`` event carrying the same Job-UUID
  brings its output (``+OK …`` or ``-ERR …``). The protocol is small enough to be read here in a
  hundred lines: the maintained asyncio library (``genesis``) pins versions of uvicorn and
  FastAPI that the project does not run, and brings its own reconnection, which the
  :class:`~contactcenter.telephony.runtime.BridgeRunner` already does.

* **The translation** (:class:`EslTranslator`, pure: no database, no socket). It turns the
  events of ``mod_callcenter`` (``CUSTOM callcenter::info``, by their ``CC-Action``) and of the
  channels into the call events of the CTI intake (``docs/cti.md``). A queue call's id is the
  caller's channel UUID (``CC-Member-Session-UUID``, which is also the ``Unique-ID`` of that
  channel's own events), the same on every event of the call; the translator remembers which
  other channels (the agent's leg) belong to which call, so that a hold on the agent's phone is
  the call's hold. A click-to-dial call is known by the ``switchboard_command`` variable that the
  bridge set when it placed it; its id is the UUID of its first leg (the agent's phone).
  See ``docs/telephony.md`` for the table of what each event becomes.

* **The adapter** (:class:`FreeSwitchAdapter`): logs in, subscribes, feeds the translator, and
  carries out the commands (``originate``, ``uuid_hold``, ``uuid_transfer``, ``uuid_record
  mask|unmask``) through ``bgapi``, on the legs the translator knows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError

from contactcenter.telephony.models import BridgeKind, Capability, Command, CommandAction
from contactcenter.telephony.runtime import BridgeError, CommandFailed
from contactcenter.telephony.selectors import agent_extensions, agent_usernames

logger = logging.getLogger("contactcenter.telephony")

#: The events the bridge subscribes to (``event plain …``). ``CUSTOM`` comes last: the event
#: socket reads every word after it as a custom event's subclass.
SUBSCRIBED_EVENTS = (
    "CHANNEL_ORIGINATE",
    "CHANNEL_ANSWER",
    "CHANNEL_BRIDGE",
    "CHANNEL_HOLD",
    "CHANNEL_UNHOLD",
    "CHANNEL_HANGUP_COMPLETE",
    "RECORD_START",
    "RECORD_STOP",
    "BACKGROUND_JOB",
    "CUSTOM",
    "callcenter::info",
)
CALLCENTER_SUBCLASS = "callcenter::info"
#: The channel variables the bridge sets on the calls it places (``originate {…}``).
COMMAND_VARIABLE = "switchboard_command"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: A header line may not be longer than this (a guard against a peer that is not FreeSWITCH).
MAX_HEADER_BYTES = 1 << 20
MAX_BODY_BYTES = 16 << 20
#: How many calls in progress the translator follows at most.
MAX_CALLS = 10_000
#: How many finished calls the translator remembers (to ignore their late events).
MAX_FINISHED = 10_000


# --- The wire ------------------------------------------------------------------------------


@dataclass
class EslMessage:
    """One message of the event socket: its (outer) headers and its body."""

    headers: dict[str, str]
    body: str = ""

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")


def _header_block(text: str, *, decode: bool) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if not line:
            continue
        name, _, value = line.partition(":")
        value = value.strip()
        headers[name.strip()] = unquote(value) if decode else value
    return headers


async def message_read(reader: asyncio.StreamReader) -> EslMessage:
    """Read one message; ``asyncio.IncompleteReadError`` (a ``EOFError``) when the link closes."""
    try:
        raw = await reader.readuntil(b"\n\n")
    except asyncio.LimitOverrunError as error:
        raise BridgeError("the event socket sent a header block too long to be FreeSWITCH's") from error
    headers = _header_block(raw.decode("utf-8", "replace"), decode=False)
    body = ""
    if "Content-Length" in headers:
        try:
            length = int(headers["Content-Length"])
        except ValueError as error:
            raise BridgeError(f"bad Content-Length {headers['Content-Length']!r}") from error
        if not 0 <= length <= MAX_BODY_BYTES:
            raise BridgeError(f"Content-Length {length} out of bounds")
        body = (await reader.readexactly(length)).decode("utf-8", "replace")
    return EslMessage(headers, body)


def event_parse(body: str) -> dict[str, str]:
    """The headers of a ``text/event-plain`` body, URL-decoded; the event's own body, when it has
    one (a background job's output), under the key ``_body``."""
    block, separator, rest = body.partition("\n\n")
    headers = _header_block(block, decode=True)
    if separator and "Content-Length" in headers:
        try:
            length = int(headers["Content-Length"])
        except ValueError:
            length = len(rest)
        headers["_body"] = rest.encode("utf-8")[:length].decode("utf-8", "replace")
    return headers


def event_timestamp(headers: dict[str, str]) -> str:
    """``Event-Date-Timestamp`` (microseconds since the epoch, UTC) as ISO-8601 with its offset."""
    raw = headers.get("Event-Date-Timestamp", "")
    try:
        moment = _EPOCH + timedelta(microseconds=int(raw))
    except ValueError:
        moment = datetime.now(UTC)
        logger.warning("telephony freeswitch: event without Event-Date-Timestamp (%r); using the bridge's clock", raw)
    return moment.isoformat()


def _epoch_seconds(raw: str, headers: dict[str, str]) -> str:
    """mod_callcenter's ``CC-…-Time`` headers (seconds since the epoch) as ISO-8601; the event's own
    time when unreadable."""
    try:
        return (_EPOCH + timedelta(seconds=int(raw))).isoformat()
    except ValueError:
        return event_timestamp(headers)


# --- Agents ---------------------------------------------------------------------------------


def _address_user(address: str) -> str:
    """``user/1001@default`` → ``1001``; ``sofia/internal/1001@10.0.0.5:5060`` → ``1001``;
    ``{vars}user/1001`` → ``1001``; ``1001@default`` → ``1001``."""
    address = address.strip()
    if address.startswith("{") and "}" in address:
        address = address.split("}", 1)[1]
    address = address.rsplit("/", 1)[-1]
    return address.split("@", 1)[0].strip()


@dataclass(frozen=True)
class AgentDirectory:
    """Who the agents are, as the translator needs it: usernames of the active agents, and each
    agent's extension (as set on the profile) → username."""

    usernames: frozenset[str] = frozenset()
    extensions: dict[str, str] = field(default_factory=dict)

    def resolve(self, *names: str) -> str | None:
        """The username of the agent known in FreeSWITCH by any of ``names`` (a ``CC-Agent`` name
        like ``1001@default`` or ``alice``, a contact like ``user/1001``, a dialed user ``1001``):
        by username first, then by extension, compared whole and by the user part of the address."""
        names = tuple(name for name in names if name)
        for name in names:
            for candidate in (name, name.split("@", 1)[0]):
                if candidate in self.usernames:
                    return candidate
        by_user = {_address_user(extension): username for extension, username in self.extensions.items()}
        for name in names:
            if name in self.extensions:
                return self.extensions[name]
            user = _address_user(name)
            if user and user in by_user:
                return by_user[user]
        return None


def agent_directory_load() -> AgentDirectory:
    """The active agents' usernames and extensions, as the translator needs them (two queries)."""
    return AgentDirectory(agent_usernames(), agent_extensions())


# --- The translation ------------------------------------------------------------------------


@dataclass
class CallLegs:
    """What the translator knows of one call while it lasts."""

    call_id: str
    direction: str = "inbound"
    caller: str = ""
    to: str = ""
    queue: str = ""
    agent: str = ""
    customer_leg: str = ""
    #: the channel whose hangup is the end of the call: the caller's (a queue call), the agent's
    #: phone (a call the bridge placed)
    main_leg: str = ""
    agent_leg: str = ""
    recording: str = ""
    recording_leg: str = ""
    offered: bool = False
    answered: bool = False
    ended: bool = False
    extras: dict[str, Any] = field(default_factory=dict)


def _agent_hints(headers: dict[str, str]) -> tuple[str, ...]:
    """What an event tells of the agent's phone besides the ``CC-Agent`` name: on
    ``bridge-agent-start``, the agent's leg (the user dialed, its destination, its channel name)."""
    if "CC-Agent-UUID" not in headers:
        return ()
    return tuple(
        headers.get(name, "") for name in ("variable_dialed_user", "Caller-Destination-Number", "Channel-Name")
    )


def _queue_name(headers: dict[str, str]) -> str:
    return headers.get("CC-Queue", "").split("@", 1)[0]


class EslTranslator:
    """FreeSWITCH events in, call events of the CTI intake out (see the module docstring).

    Stateful for one connection: it keeps, for each call it has seen, its legs, its agent, whether
    it was answered or ended (each end is reported once) and its recording. Pure otherwise: the
    agents come from an :class:`AgentDirectory` given to it."""

    def __init__(self, directory: AgentDirectory | None = None) -> None:
        self.directory = directory or AgentDirectory()
        self.calls: dict[str, CallLegs] = {}
        #: channel UUID → call id
        self.legs: dict[str, str] = {}
        #: the calls over (their main leg hung up), latest last: the late events of one change nothing
        self.finished: OrderedDict[str, None] = OrderedDict()
        #: mod_callcenter's member (one caller's stay in one queue, ``CC-Member-UUID``) → call id
        self.members: dict[str, str] = {}
        #: caller's channel → how many queues it went through (its calls' parts)
        self.parts: dict[str, int] = {}

    # The calls' channels, as the commands need them.

    def call(self, call_id: str) -> CallLegs | None:
        return self.calls.get(call_id)

    def _call(self, call_id: str, main_leg: str, **defaults: Any) -> CallLegs:
        call = self.calls.get(call_id)
        if call is None:
            if len(self.calls) >= MAX_CALLS:  # calls whose end never came (a switch restarted)
                self._forget(next(iter(self.calls.values())))
            call = self.calls[call_id] = CallLegs(call_id=call_id, main_leg=main_leg, **defaults)
            self.legs[main_leg] = call_id  # the latest part of the call, when it has several
        return call

    def _leg(self, call: CallLegs, channel: str) -> None:
        if channel:
            self.legs[channel] = call.call_id

    def _forget(self, call: CallLegs) -> None:
        """The call is over (its main leg hung up): it, and its earlier parts, are forgotten."""
        gone = {other.call_id for other in self.calls.values() if other.main_leg == call.main_leg} | {call.call_id}
        for call_id in gone:
            self.calls.pop(call_id, None)
            self.finished[call_id] = None
        while len(self.finished) > MAX_FINISHED:
            self.finished.popitem(last=False)
        for channel in [channel for channel, call_id in self.legs.items() if call_id in gone]:
            del self.legs[channel]
        for member in [member for member, call_id in self.members.items() if call_id in gone]:
            del self.members[member]
        self.parts.pop(call.main_leg, None)

    def _agent(self, name: str, *hints: str) -> str:
        username = self.directory.resolve(name, *hints)
        if username is None:
            logger.warning(
                "telephony freeswitch: the agent %r (%s) is no Switchboard agent: give the agent's profile "
                "this extension, or name the mod_callcenter agent after the username",
                name,
                ", ".join(hint for hint in hints if hint) or "no contact",
            )
            return ""
        return username

    def event(self, kind: str, call: CallLegs, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
        """The call event ``kind`` of ``call``, at the time of the FreeSWITCH event ``headers``."""
        event: dict[str, Any] = {
            "event": kind,
            "call_id": call.call_id,
            "timestamp": event_timestamp(headers),
            "from": call.caller,
            "to": call.to,
            "direction": call.direction,
        }
        if call.queue:
            event["queue"] = call.queue
        if call.agent:
            event["agent"] = call.agent
        event.update(call.extras)
        event.update(fields)
        return event

    def _recording_seen(self, call: CallLegs, headers: dict[str, str]) -> None:
        path = (
            headers.get("Record-File-Path")
            or headers.get("variable_record_file_path")
            or headers.get("variable_cc_record_filename")
        )
        if path and not call.recording:
            call.recording = path
            call.recording_leg = headers.get("Unique-ID", "") or call.customer_leg

    def _end(self, kind: str, call: CallLegs, headers: dict[str, str], **fields: Any) -> list[dict[str, Any]]:
        if call.ended:
            return []
        call.ended = True
        if kind == "call.ended" and call.recording:
            fields["recording"] = call.recording
        return [self.event(kind, call, headers, **fields)]

    # The events.

    def translate(self, headers: dict[str, str]) -> list[dict[str, Any]]:
        """The call events that one FreeSWITCH event (its decoded headers) means: often none."""
        name = headers.get("Event-Name", "")
        if name == "CUSTOM":
            if headers.get("Event-Subclass") == CALLCENTER_SUBCLASS:
                return self._callcenter(headers)
            return []
        if headers.get(f"variable_{COMMAND_VARIABLE}"):
            return self._placed(name, headers)
        call = self.calls.get(self.legs.get(headers.get("Unique-ID", ""), ""))
        if call is None:
            return []
        self._recording_seen(call, headers)
        if name == "CHANNEL_HOLD" and not call.ended:
            return [self.event("call.held", call, headers)]
        if name == "CHANNEL_UNHOLD" and not call.ended:
            return [self.event("call.resumed", call, headers)]
        if name == "CHANNEL_HANGUP_COMPLETE" and headers.get("Unique-ID") == call.main_leg:
            events = self._end("call.ended", call, headers)
            self._forget(call)
            return events
        return []

    def _callcenter(self, headers: dict[str, str]) -> list[dict[str, Any]]:
        action = headers.get("CC-Action", "")
        session = headers.get("CC-Member-Session-UUID") or headers.get("Unique-ID", "")
        if not session or session in self.finished:
            return []
        if not action.startswith(("member-queue-", "agent-offering", "bridge-agent-")):
            return []
        call_id = self._part(session, headers.get("CC-Member-UUID", ""))
        if call_id in self.finished:
            return []
        call = self._call(call_id, session, customer_leg=session)
        if headers.get("CC-Member-CID-Number") and not call.caller:
            call.caller = headers["CC-Member-CID-Number"]
        if not call.queue:
            call.queue = _queue_name(headers)
        if not call.to and headers.get("Unique-ID") == session:
            call.to = headers.get("Caller-Destination-Number", "")
        if headers.get("Unique-ID") == session:
            self._recording_seen(call, headers)
        if action in ("member-queue-start", "member-queue-resume"):
            return self._offered(call, headers)
        if action == "agent-offering":
            # Named only when the caller's joining was not seen (the bridge came up since): the
            # intake keeps one offer per call, the first.
            agent = self._agent(headers.get("CC-Agent", ""))
            return self._offered(call, headers, **({"agent": agent} if agent else {}))
        if action == "bridge-agent-start":
            events = self._offered(call, headers, at=headers.get("CC-Member-Joined-Time"))
            return events + self._answered(call, headers)
        if action in ("bridge-agent-end", "member-queue-end"):
            events = self._offered(call, headers, at=headers.get("CC-Member-Joined-Time"))
            if headers.get("CC-Cause") == "Cancel":
                return events + self._end("call.abandoned", call, headers)
            if not call.answered and headers.get("CC-Agent-Answered-Time"):
                events += self._answered(call, headers, at=headers["CC-Agent-Answered-Time"])
            return events + self._end("call.ended", call, headers)
        return []

    def _part(self, session: str, member: str) -> str:
        """The call id of the caller's stay in a queue: the caller's channel UUID for the first
        queue, ``<uuid>-2``, ``-3``… when the caller goes on to another queue (a transfer to a
        queue), each stay being one interaction with its own queue, agent and times."""
        member = member or session
        if member not in self.members:
            part = self.parts[session] = self.parts.get(session, 0) + 1
            self.members[member] = session if part == 1 else f"{session}-{part}"
        return self.members[member]

    def _offered(self, call: CallLegs, headers: dict[str, str], *, at: str | None = None, **fields: Any):
        """The call's offer, once; ``at`` (epoch seconds, mod_callcenter's ``CC-…-Time``) when it
        comes late, from an event of later in the call (the bridge came up while the call was on)."""
        if call.offered:
            return []
        call.offered = True
        if at:
            fields["timestamp"] = _epoch_seconds(at, headers)
        return [self.event("call.offered", call, headers, **fields)]

    def _answered(self, call: CallLegs, headers: dict[str, str], *, at: str | None = None) -> list[dict[str, Any]]:
        """The agent's answer (``bridge-agent-start``, or a later event that tells it)."""
        if call.answered:
            return []
        call.agent_leg = headers.get("CC-Agent-UUID", "") or call.agent_leg
        self._leg(call, call.agent_leg)
        call.agent = self._agent(headers.get("CC-Agent", ""), *_agent_hints(headers))
        call.answered = True
        fields: dict[str, Any] = {"agent": call.agent or headers.get("CC-Agent", "")}
        if at:
            fields["timestamp"] = _epoch_seconds(at, headers)
        return [self.event("call.answered", call, headers, **fields)]

    def _placed(self, name: str, headers: dict[str, str]) -> list[dict[str, Any]]:
        """An event of a call the bridge placed (click-to-dial): its first leg rings the agent."""
        channel = headers.get("Unique-ID", "")
        call_id = self.legs.get(channel, channel)
        if call_id in self.finished:
            return []
        events: list[dict[str, Any]] = []
        call = self.calls.get(call_id)
        if call is None:
            variable = headers.get
            call = self._call(call_id, channel, direction="outbound", agent_leg=channel)
            call.caller = variable("variable_switchboard_extension", "")
            call.agent = variable("variable_switchboard_agent", "") or (self._agent(call.caller) if call.caller else "")
            call.to = variable("variable_switchboard_to", "")
            call.queue = variable("variable_switchboard_queue", "")
            if variable("variable_switchboard_customer"):
                call.extras["customer"] = variable("variable_switchboard_customer")
            events += self._offered(call, headers)
        self._recording_seen(call, headers)
        bridged_to = headers.get("Bridge-B-Unique-ID", "") or headers.get("Other-Leg-Unique-ID", "")
        if name == "CHANNEL_BRIDGE" and bridged_to:
            call.customer_leg = bridged_to
            self._leg(call, bridged_to)
            if not call.answered:
                call.answered = True
                events.append(self.event("call.answered", call, headers))
        elif name == "CHANNEL_HOLD" and not call.ended:
            events.append(self.event("call.held", call, headers))
        elif name == "CHANNEL_UNHOLD" and not call.ended:
            events.append(self.event("call.resumed", call, headers))
        elif name == "CHANNEL_HANGUP_COMPLETE" and channel == call.main_leg:
            events += self._end("call.ended", call, headers)
            self._forget(call)
        return events


# --- The adapter ----------------------------------------------------------------------------

#: How the bridge rings the agent then the customer on a click-to-dial, after the channel
#: variables it sets itself: ``{endpoint}`` is the agent's extension as a dial string
#: (``user/1001`` for ``1001``; an extension already naming an endpoint, ``sofia/…`` or
#: ``user/…``, as it is), ``{extension}`` the extension as set, ``{to}`` the customer's number
#: in E.164 (``+33612345678``), ``{digits}`` the same without the ``+``.
DEFAULT_DIAL_STRING = "{endpoint} {to} XML default"
#: Characters a value may not hold inside ``originate {…}`` (they would end or split it).
_UNSAFE = set(",{}[]' \"\n\r\t^")


def _dial_value(name: str, value: Any) -> str:
    text = str(value)
    if not text or _UNSAFE & set(text):
        raise CommandFailed(f"cannot dial: {name} {text!r} is empty or holds characters FreeSWITCH would misread")
    return text


class FreeSwitchAdapter:
    """The event socket of one FreeSWITCH, as the :class:`BridgeRunner` drives it."""

    kind = BridgeKind.FREESWITCH
    capabilities = frozenset({Capability.DIAL, Capability.HOLD, Capability.TRANSFER, Capability.RECORDING_PAUSE})

    def __init__(
        self,
        *,
        host: str,
        port: int,
        password: str,
        dial_string: str = DEFAULT_DIAL_STRING,
        connect_timeout: float = 10.0,
        dial_wait: float = 8.0,
        directory_refresh_seconds: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.password = password
        self.dial_string = dial_string
        self.connect_timeout = connect_timeout
        self.dial_wait = dial_wait
        self.directory_refresh_seconds = directory_refresh_seconds
        self.translator = EslTranslator()
        #: FreeSWITCH messages handled (events translated and handed over), for tests.
        self.messages_handled = 0
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._replies: list[asyncio.Future[EslMessage]] = []
        self._jobs: dict[str, asyncio.Future[str]] = {}
        # Job-UUID → the call event its success means (FreeSWITCH reports no event of its own).
        self._job_events: dict[str, tuple[str, str]] = {}
        self._directory_loaded_at = 0.0

    # Connection.

    async def connect(self) -> str:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port, limit=MAX_HEADER_BYTES), self.connect_timeout
        )
        self._reader, self._writer = reader, writer
        self._replies, self._jobs = [], {}
        try:
            await asyncio.wait_for(self._login(), self.connect_timeout)
        except BaseException:
            await self.close()
            raise
        # The translator outlives the connection: the calls in progress are still FreeSWITCH's
        # after a reconnection, and the commands on them need their legs.
        self.translator.directory = await self._directory()
        return f"FreeSWITCH event socket {self.host}:{self.port}"

    async def _login(self) -> None:
        assert self._reader is not None
        greeting = await self._read_or_refused()
        if greeting.content_type != "auth/request":
            raise BridgeError(f"the event socket did not ask for a password ({greeting.content_type or 'nothing'})")
        self._send(f"auth {self.password}")
        reply = await self._read_or_refused()
        if reply.content_type != "command/reply" or reply.headers.get("Reply-Text", "") != "+OK accepted":
            raise BridgeError(f"FreeSWITCH refused the login: {reply.headers.get('Reply-Text', reply.content_type)}")
        self._send("event plain " + " ".join(SUBSCRIBED_EVENTS))
        reply = await self._read_or_refused()
        if not reply.headers.get("Reply-Text", "").startswith("+OK"):
            raise BridgeError(f"FreeSWITCH refused the events: {reply.headers.get('Reply-Text', reply.content_type)}")

    async def _read_or_refused(self) -> EslMessage:
        assert self._reader is not None
        try:
            message = await message_read(self._reader)
        except asyncio.IncompleteReadError as error:
            raise BridgeError("FreeSWITCH closed the event socket") from error
        if message.content_type in ("text/rude-rejection", "text/disconnect-notice"):
            raise BridgeError(f"FreeSWITCH turned the bridge away: {message.body.strip() or message.content_type}")
        return message

    def _send(self, command: str, **headers: str) -> None:
        assert self._writer is not None
        lines = [command, *(f"{name}: {value}" for name, value in headers.items())]
        self._writer.write(("\n".join(lines) + "\n\n").encode())

    async def close(self) -> None:
        writer, self._writer = self._writer, None
        self._fail_waiting("the link to FreeSWITCH closed")
        if writer is None:
            return
        with contextlib.suppress(OSError, RuntimeError):
            writer.write(b"exit\n\n")
            writer.close()
            await asyncio.wait_for(writer.wait_closed(), 2)

    def _fail_waiting(self, reason: str) -> None:
        for future in [*self._replies, *self._jobs.values()]:
            if not future.done():
                future.set_exception(CommandFailed(reason))
        self._replies, self._jobs, self._job_events = [], {}, {}

    async def _directory(self) -> AgentDirectory:
        self._directory_loaded_at = time.monotonic()
        try:
            return await sync_to_async(agent_directory_load, thread_sensitive=True)()
        except DatabaseError as error:
            logger.warning("telephony freeswitch: cannot read the agents (%s); trying again later", error)
            return self.translator.directory

    # Events.

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        assert self._reader is not None
        reader = self._reader
        try:
            while True:
                try:
                    message = await message_read(reader)
                except asyncio.IncompleteReadError:
                    return
                if message.content_type == "text/disconnect-notice":
                    return
                for event in await self._handle(message):
                    yield event
                self.messages_handled += 1
        finally:
            self._fail_waiting("the link to FreeSWITCH was lost")

    async def _handle(self, message: EslMessage) -> list[dict[str, Any]]:
        if message.content_type in ("command/reply", "api/response"):
            while self._replies:
                future = self._replies.pop(0)
                if not future.done():
                    future.set_result(message)
                    break
            return []
        if message.content_type != "text/event-plain":
            return []
        headers = event_parse(message.body)
        if headers.get("Event-Name") == "BACKGROUND_JOB":
            job = headers.get("Job-UUID", "")
            future = self._jobs.pop(job, None)
            if future is not None and not future.done():
                future.set_result(headers.get("_body", ""))
            follows = self._job_events.pop(job, None)
            call = self.translator.call(follows[1]) if follows else None
            if call is not None and headers.get("_body", "").startswith("+OK"):
                # In the socket's order, stamped with the time FreeSWITCH carried it out.
                return [self.translator.event(follows[0], call, headers)]
            return []
        named = headers.get("CC-Agent", "")
        if (
            named
            and self.translator.directory.resolve(named, *_agent_hints(headers)) is None
            and time.monotonic() - self._directory_loaded_at >= self.directory_refresh_seconds
        ):
            # An agent Switchboard did not know at the last reading: read the agents again.
            self.translator.directory = await self._directory()
        return self.translator.translate(headers)

    # Commands.

    async def _bgapi(self, command: str, *, wait: float | None = None, follows: tuple[str, str] | None = None) -> str:
        """Run an API command in the background; answer its output (``+OK …``), or raise
        :class:`CommandFailed` on ``-ERR`` (``TimeoutError`` when ``wait`` elapses first).
        ``follows``: the call event (type, call id) that its success means, sent with the events."""
        if self._writer is None:
            raise CommandFailed("not connected to FreeSWITCH")
        loop = asyncio.get_running_loop()
        job = str(uuid.uuid4())
        reply: asyncio.Future[EslMessage] = loop.create_future()
        output: asyncio.Future[str] = loop.create_future()
        self._replies.append(reply)
        self._jobs[job] = output
        if follows:
            self._job_events[job] = follows
        self._send(f"bgapi {command}", **{"Job-UUID": job})
        try:
            await self._writer.drain()
            accepted = (await reply).headers.get("Reply-Text", "")
            if not accepted.startswith("+OK"):
                raise CommandFailed(accepted or "FreeSWITCH refused the command")
            text = (await asyncio.wait_for(output, wait) if wait else await output).strip()
        finally:
            self._jobs.pop(job, None)
            self._job_events.pop(job, None)
        if not text.startswith("+OK"):
            raise CommandFailed(text.removeprefix("-ERR").strip() or "FreeSWITCH answered nothing")
        return text

    async def execute(self, command: Command) -> dict[str, Any]:
        arguments = command.arguments or {}
        if command.action == CommandAction.DIAL:
            return await self._dial(command, arguments)
        call_id = str(arguments.get("call_id") or command.call_id or "")
        call = self.translator.call(call_id)
        if command.action in (CommandAction.HOLD, CommandAction.RESUME):
            leg = arguments.get("channel") or (call.agent_leg if call else "")
            if not leg:
                raise CommandFailed(f"no agent's leg known for the call {call_id!r}")
            flag = "" if command.action == CommandAction.HOLD else "off "
            await self._bgapi(f"uuid_hold {flag}{_dial_value('channel', leg)}")
            return {"call_id": call_id, "channel": leg}
        if command.action == CommandAction.TRANSFER:
            leg = arguments.get("channel") or (call.customer_leg if call else "")
            if not leg:
                raise CommandFailed(f"no customer's leg known for the call {call_id!r}")
            target = _dial_value("target", arguments.get("target", ""))
            await self._bgapi(f"uuid_transfer {_dial_value('channel', leg)} {target} XML default")
            return {"call_id": call_id, "channel": leg, "target": target}
        if command.action in (CommandAction.RECORDING_PAUSE, CommandAction.RECORDING_RESUME):
            if call is None or not call.recording:
                raise CommandFailed(f"no recording known for the call {call_id!r}")
            leg = call.recording_leg or call.customer_leg or call_id
            paused = command.action == CommandAction.RECORDING_PAUSE
            path = _dial_value("recording", call.recording)  # a path with a space would be cut there
            await self._bgapi(
                f"uuid_record {_dial_value('channel', leg)} {'mask' if paused else 'unmask'} {path}",
                follows=("call.recording_paused" if paused else "call.recording_resumed", call.call_id),
            )
            return {"call_id": call_id, "channel": leg, "recording": call.recording}
        raise CommandFailed(f"the FreeSWITCH bridge cannot {command.action}")

    async def _dial(self, command: Command, arguments: dict[str, Any]) -> dict[str, Any]:
        call_id = str(uuid.uuid4())
        extension = _dial_value("extension", arguments.get("extension", ""))
        to = _dial_value("to", arguments.get("to", ""))
        variables = {
            "origination_uuid": call_id,
            "origination_caller_id_number": to,
            COMMAND_VARIABLE: str(command.pk),
            "switchboard_agent": arguments.get("agent", ""),
            "switchboard_extension": extension,
            "switchboard_to": to,
            "switchboard_queue": arguments.get("queue", ""),
            "switchboard_customer": arguments.get("customer", ""),
        }
        block = ",".join(f"{name}={_dial_value(name, value)}" for name, value in variables.items() if value != "")
        endpoint = extension if "/" in extension else f"user/{extension}"
        try:
            destination = self.dial_string.format(endpoint=endpoint, extension=extension, to=to, digits=to.lstrip("+"))
        except (KeyError, IndexError, ValueError) as error:
            raise CommandFailed(f"FREESWITCH_DIAL_STRING is not a valid template: {error}") from error
        try:
            output = await self._bgapi(f"originate {{{block}}}{destination}", wait=self.dial_wait)
        except TimeoutError:
            # originate answers when the agent picks up: still ringing is not a failure.
            return {"call_id": call_id, "state": "ringing"}
        placed = output.removeprefix("+OK").strip() or call_id
        return {"call_id": placed, "state": "agent_answered"}


def freeswitch_adapter(options: dict[str, Any]) -> FreeSwitchAdapter:
    """The adapter of ``manage.py cti_bridge freeswitch``: the command line's ``--host``,
    ``--port`` and ``--secret`` over the settings ``FREESWITCH_ESL_*`` and
    ``FREESWITCH_DIAL_STRING``."""
    return FreeSwitchAdapter(
        host=options.get("host") or settings.FREESWITCH_ESL_HOST,
        port=options.get("port") or settings.FREESWITCH_ESL_PORT,
        password=options.get("secret") or settings.FREESWITCH_ESL_PASSWORD,
        dial_string=settings.FREESWITCH_DIAL_STRING or DEFAULT_DIAL_STRING,
    )
