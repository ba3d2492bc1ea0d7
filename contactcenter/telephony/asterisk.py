"""Asterisk and FreePBX through the Asterisk Manager Interface (AMI): ``manage.py cti_bridge asterisk``.

Three parts, each on its own:

* **The wire** (:func:`read_message`, :func:`encode_action`). AMI is text over TCP: Asterisk
  greets with one line (``Asterisk Call Manager/9.0.0``), then both sides send *messages*,
  ``Key: Value`` lines ended by an empty line. The client sends actions (``Action: Login``…,
  with an ``ActionID`` of its choosing), Asterisk answers each with a ``Response:`` carrying that
  ``ActionID``, and sends ``Event:`` messages as things happen. One small reader is all it takes:
  the asyncio AMI library (panoramisk) reconnects and logs in by itself, behind callbacks, where
  the bridge's runner must decide both (backoff, a refused login reported on the bridge's row).
* **The translation** (:class:`AmiTranslator`), a pure class: AMI events in, call events of the
  CTI intake out (``docs/telephony.md`` has the table). A call is followed by its ``Linkedid``
  (the ``Uniqueid`` of its first channel, shared by every channel of the call); a call that a
  transfer sends to a second queue after its first agent is done with it becomes a second
  interaction, ``<Linkedid>-2`` (each agent's part of the call is theirs). Agents are known by
  their extension (:class:`ExtensionBook`). Timestamps are the events' own ``Timestamp:`` header
  (``timestampevents = yes`` in ``manager.conf``), else the moment the bridge read them.
* **The adapter** (:class:`AsteriskAdapter`), as :class:`~contactcenter.telephony.runtime.BridgeRunner`
  drives it: log in, read events, carry out commands (click-to-dial as ``Originate``, transfer as
  ``Redirect`` or ``Atxfer``, pausing the recording as ``MixMonitorMute``), log off. AMI cannot put
  a call on hold: hold is the phone's key, and its ``Hold``/``Unhold`` events are counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from contactcenter.telephony import selectors
from contactcenter.telephony.models import BridgeKind, Capability, Command, CommandAction
from contactcenter.telephony.runtime import BridgeError, CommandFailed

logger = logging.getLogger("contactcenter.telephony")

Message = dict[str, str]

#: The first line Asterisk sends on a manager connection.
BANNER_PREFIX = b"Asterisk Call Manager/"
#: A message longer than this is not AMI (a wrong port, a stuck peer): the link is dropped.
MAX_MESSAGE_BYTES = 256 * 1024


# --- The wire -----------------------------------------------------------------------------------


async def read_message(reader: asyncio.StreamReader) -> Message:
    """The next AMI message: its ``Key: Value`` lines up to the empty line, keys in lower case
    (AMI's keys are case-insensitive), values stripped. A line without a colon (the output of an
    old ``Command`` action) is skipped. Raises ``ConnectionError`` when the link closes."""
    message: Message = {}
    size = 0
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("the phone system closed the connection")
        size += len(line)
        if size > MAX_MESSAGE_BYTES:
            raise ConnectionError("a message too long for AMI: is this the manager port?")
        text = line.decode("utf-8", errors="replace").rstrip("\r\n")
        if not text:
            if message:
                return message
            continue  # empty lines between messages
        key, colon, value = text.partition(":")
        if colon:
            message.setdefault(key.strip().lower(), value.strip())


def _header_value(value: Any) -> str:
    text = str(value)
    if "\r" in text or "\n" in text:
        # A line break would end the header, and let the rest pass for headers of its own.
        raise CommandFailed(f"a value with a line break cannot be sent to the phone system: {text!r}")
    return text


def encode_action(action: str, fields: dict[str, Any]) -> bytes:
    """One AMI action as sent on the wire; a list value is sent as one header per item
    (``Variable``). Raises :class:`CommandFailed` for a value holding a line break."""
    lines = [f"Action: {_header_value(action)}"]
    for key, value in fields.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            lines.append(f"{key}: {_header_value(item)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def event_time(message: Message, received: datetime) -> str:
    """When the event happened, ISO-8601 with its offset: Asterisk's ``Timestamp:`` header (seconds
    since the epoch with microseconds, ``timestampevents = yes``), else ``received``."""
    raw = message.get("timestamp", "")
    seconds, _dot, fraction = raw.partition(".")
    if seconds.isdigit() and (not fraction or fraction.isdigit()):
        moment = datetime.fromtimestamp(int(seconds), UTC) + timedelta(microseconds=int(fraction[:6].ljust(6, "0")))
        return moment.isoformat()
    return received.astimezone(UTC).isoformat()


# --- Agents by extension ------------------------------------------------------------------------

# A channel's name ends with its sequence number: SIP/1001-0000001a, Local/1001@from-queue-00000004;1.
_CHANNEL_SEQUENCE = re.compile(r"-[0-9a-f]{8}(;\d)?$")


def device_keys(name: str) -> list[str]:
    """The names by which a device, interface or channel may be matched to an extension, most
    precise first: ``PJSIP/1001`` → ``pjsip/1001``, ``1001``; ``SIP/1001-0000001a`` →
    ``sip/1001``, ``1001``; ``Local/1001@from-queue/n`` → ``local/1001@from-queue``,
    ``1001@from-queue``, ``1001``."""
    text = name.strip().lower()
    if not text:
        return []
    tech, slash, resource = text.partition("/")
    if not slash:
        tech, resource = "", text
    resource = _CHANNEL_SEQUENCE.sub("", resource.split("/")[0]).split(";")[0]
    keys = [f"{tech}/{resource}"] if tech else []
    keys += [resource, resource.split("@")[0]]
    return list(dict.fromkeys(key for key in keys if key))


class ExtensionBook:
    """Which agent a device is: their profile's extension matched against the interface or
    channel an event names. An extension written in full (``PJSIP/1001``) is matched first; else
    its number alone (``1001`` matches ``PJSIP/1001``, ``SIP/1001-0000001a``,
    ``Local/1001@from-queue/n``)."""

    def __init__(self, extensions: dict[str, str]) -> None:
        self._exact: dict[str, str] = {}
        self._number: dict[str, str] = {}
        for extension, username in extensions.items():
            keys = device_keys(extension)
            if keys:
                self._exact.setdefault(keys[0], username)
                self._number.setdefault(keys[-1], username)

    def agent_for(self, *names: str) -> str | None:
        """The username of the agent whose extension is one of ``names`` (tried in order)."""
        candidates = [device_keys(name) for name in names if name]
        for keys in candidates:
            for key in keys:
                if key in self._exact:
                    return self._exact[key]
        for keys in candidates:
            if keys and keys[-1] in self._number:
                return self._number[keys[-1]]
        return None


# --- The translation ----------------------------------------------------------------------------


@dataclass
class CallTrack:
    """What the bridge remembers of one call (one ``Linkedid``): enough to say its events, and the
    channels a command acts on."""

    linkedid: str
    segment: int = 1
    direction: str = "inbound"
    caller: str = ""
    called: str = ""
    queue: str = ""
    agent: str | None = None
    customer: int | None = None
    offered: bool = False
    answered: bool = False
    ended: bool = False
    on_hold: bool = False
    recording_paused: bool = False
    customer_channel: str = ""
    agent_channel: str = ""
    recording: str = ""
    recorded_channel: str = ""
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def call_id(self) -> str:
        """The call's id for the intake: the ``Linkedid``; ``<Linkedid>-2``… for the part of the
        call a transfer sent to a new queue."""
        return self.linkedid if self.segment == 1 else f"{self.linkedid}-{self.segment}"

    def next_segment(self) -> None:
        self.segment += 1
        self.queue, self.agent, self.agent_channel = "", None, ""
        self.offered = self.answered = self.ended = self.on_hold = self.recording_paused = False
        self.extras = {}


def _number(value: str | None) -> str:
    """A caller id number as AMI gives it; ``<unknown>`` (no caller id) is blank."""
    value = (value or "").strip()
    return "" if value.lower() in {"<unknown>", "unknown", "anonymous"} else value


class AmiTranslator:
    """AMI events → call events of the CTI intake (pure: no I/O, no clock but the ``received``
    given; the table is in ``docs/telephony.md``).

    ``feed`` takes each event in the order Asterisk sent it and answers the call events it makes
    (often none). The calls it follows are kept in a bounded table (the oldest forgotten first).
    """

    def __init__(self, agents: ExtensionBook | None = None, *, keep: int = 20_000) -> None:
        self.agents = agents or ExtensionBook({})
        self.keep = keep
        self.calls: OrderedDict[str, CallTrack] = OrderedDict()
        self.segments: dict[str, str] = {}  # "<linkedid>-2" → linkedid
        self.originated: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._handlers: dict[str, Callable[[Message, str], list[dict[str, Any]]]] = {
            "queuecallerjoin": self._queue_caller_join,
            "agentcalled": self._agent_called,
            "agentconnect": self._agent_connect,
            "agentcomplete": self._agent_complete,
            "queuecallerabandon": self._queue_caller_abandon,
            "hold": self._hold,
            "musiconholdstart": self._hold,
            "unhold": self._unhold,
            "musiconholdstop": self._unhold,
            "hangup": self._hangup,
            "blindtransfer": self._blind_transfer,
            "attendedtransfer": self._attended_transfer,
            "varset": self._var_set,
            "mixmonitormute": self._mix_monitor_mute,
            "newchannel": self._new_channel,
            "dialend": self._dial_end,
            "originateresponse": self._originate_response,
        }

    #: The events naming their channels with a prefix (Transferee…) or by Uniqueid alone.
    _ABOUT_OTHER_CHANNELS = frozenset({"blindtransfer", "attendedtransfer", "originateresponse"})
    #: The events whose agent is looked up by extension (the adapter refreshes the book first).
    AGENT_EVENTS = frozenset({"agentcalled", "agentconnect", "agentcomplete"})

    # -- public

    def feed(self, message: Message, *, received: datetime) -> list[dict[str, Any]]:
        """The call events that the AMI event ``message`` makes; ``received`` is when it was read
        (the time of an event without a ``Timestamp:`` header)."""
        kind = message.get("event", "").lower()
        handler = self._handlers.get(kind)
        if handler is None or (not self._linkedid(message) and kind not in self._ABOUT_OTHER_CHANNELS):
            return []  # an event of no channel (Asterisk before 12 had no Linkedid on queue events)
        return handler(message, event_time(message, received))

    def expect_origination(
        self,
        channel_id: str,
        *,
        agent: str,
        extension: str,
        to: str,
        customer: int | None = None,
        queue: str = "",
    ) -> None:
        """A click-to-dial is about to be originated with the channel id ``channel_id``: its
        events are an outbound call of ``agent`` to ``to``."""
        self.originated[channel_id] = {
            "agent": agent,
            "extension": extension,
            "to": to,
            "customer": customer,
            "queue": queue or "",
        }
        while len(self.originated) > 1000:
            self.originated.popitem(last=False)

    def call_for(self, call_id: str) -> CallTrack | None:
        """The call of an intake call id (``Linkedid`` or ``<Linkedid>-2``), if the bridge knows it."""
        return self.calls.get(self.segments.get(call_id, call_id))

    # -- helpers

    def _track(self, linkedid: str) -> CallTrack:
        call = self.calls.get(linkedid)
        if call is None:
            call = self.calls[linkedid] = CallTrack(linkedid=linkedid)
            while len(self.calls) > self.keep:
                gone, _forgotten = self.calls.popitem(last=False)
                self.segments = {key: value for key, value in self.segments.items() if value != gone}
        else:
            self.calls.move_to_end(linkedid)
        return call

    @staticmethod
    def _linkedid(message: Message, prefix: str = "") -> str:
        return message.get(f"{prefix}linkedid") or message.get(f"{prefix}uniqueid") or ""

    def _event(self, call: CallTrack, kind: str, at: str, *, agent: str | None = None, **extra: Any) -> dict[str, Any]:
        event: dict[str, Any] = {
            "event": kind,
            "call_id": call.call_id,
            "timestamp": at,
            "from": call.caller,
            "to": call.called,
            "queue": call.queue or None,
            "agent": agent if agent is not None else call.agent,
            "direction": call.direction,
        }
        if call.customer is not None:
            event["customer"] = call.customer
        event.update(extra)
        return event

    def _agent_of(self, message: Message) -> str | None:
        names = [message.get("interface", ""), message.get("destchannel", ""), message.get("membername", "")]
        return self.agents.agent_for(*names)

    def _offer_fields(self, call: CallTrack, message: Message) -> None:
        call.queue = message.get("queue", call.queue)
        call.caller = _number(message.get("calleridnum")) or call.caller
        exten = message.get("exten", "")
        if exten and exten != "s" and not call.called:
            call.called = exten
        if message.get("channel") and not call.customer_channel:
            call.customer_channel = message["channel"]

    def _end(self, call: CallTrack, kind: str, at: str, **extra: Any) -> list[dict[str, Any]]:
        call.ended = True
        call.on_hold = False
        if call.recording and kind == "call.ended":
            extra["recording"] = call.recording
        return [self._event(call, kind, at, **extra)]

    # -- queue events (app_queue)

    def _queue_caller_join(self, message: Message, at: str) -> list[dict[str, Any]]:
        call = self._track(self._linkedid(message))
        events: list[dict[str, Any]] = []
        if call.offered and not call.ended and not call.answered:
            return []  # still waiting: the same offer (a second queue tried, or a repeat)
        if call.offered:
            if not call.ended:  # sent on without an end seen (a redirect): the agent's part ends here
                events += self._end(call, "call.ended", at)
            call.next_segment()
            self.segments[call.call_id] = call.linkedid
        call.customer_channel = message.get("channel", "") or call.customer_channel
        self._offer_fields(call, message)
        call.offered = True
        events.append(self._event(call, "call.offered", at, agent=None))
        return events

    def _agent_called(self, message: Message, at: str) -> list[dict[str, Any]]:
        call = self._track(self._linkedid(message))
        if call.offered:
            return []  # the intake takes one offer per call: the queue's, already given
        self._offer_fields(call, message)
        call.offered = True
        return [self._event(call, "call.offered", at, agent=self._agent_of(message))]

    def _agent_connect(self, message: Message, at: str) -> list[dict[str, Any]]:
        call = self._track(self._linkedid(message))
        if call.answered or call.ended:
            return []
        events: list[dict[str, Any]] = []
        if not call.offered:  # the bridge came up while the call waited: it waited HoldTime seconds
            self._offer_fields(call, message)
            call.offered = True
            holdtime = message.get("holdtime", "")
            waited = int(holdtime) if holdtime.isdigit() else 0
            offered_at = (datetime.fromisoformat(at) - timedelta(seconds=waited)).isoformat()
            events.append(self._event(call, "call.offered", offered_at, agent=None))
        call.answered = True
        call.customer_channel = message.get("channel", "") or call.customer_channel
        call.agent_channel = message.get("destchannel", "") or call.agent_channel
        call.agent = self._agent_of(message)
        if call.agent is None:
            logger.warning(
                "telephony asterisk: no agent has the extension of %s (call %s answered): set it on their profile",
                message.get("interface") or message.get("destchannel"),
                call.call_id,
            )
            return events
        events.append(self._event(call, "call.answered", at))
        return events

    def _agent_complete(self, message: Message, at: str) -> list[dict[str, Any]]:
        call = self.calls.get(self._linkedid(message))
        if call is None or call.ended or not call.offered:
            return []
        return self._end(call, "call.ended", at, reason=message.get("reason", ""))

    def _queue_caller_abandon(self, message: Message, at: str) -> list[dict[str, Any]]:
        call = self.calls.get(self._linkedid(message))
        if call is None or call.ended or call.answered or not call.offered:
            return []
        return self._end(call, "call.abandoned", at)

    # -- hold, hang-up, transfer

    def _hold(self, message: Message, at: str) -> list[dict[str, Any]]:
        call = self.calls.get(self._linkedid(message))
        # Music on hold is also what a caller waiting in the queue hears: only a conversation is held.
        if call is None or not call.answered or call.ended or call.on_hold:
            return []
        call.on_hold = True
        return [self._event(call, "call.held", at)]

    def _unhold(self, message: Message, at: str) -> list[dict[str, Any]]:
        call = self.calls.get(self._linkedid(message))
        if call is None or not call.on_hold or call.ended:
            return []
        call.on_hold = False
        return [self._event(call, "call.resumed", at)]

    def _hangup(self, message: Message, at: str) -> list[dict[str, Any]]:
        linkedid, uniqueid = self._linkedid(message), message.get("uniqueid", "")
        call = self.calls.get(linkedid)
        if call is None:
            self.originated.pop(uniqueid, None)
            return []
        # The call's own channel (its first) or the customer's; an agent's leg hanging up is not the call's end.
        main = uniqueid == linkedid or bool(call.customer_channel and message.get("channel") == call.customer_channel)
        if not main or call.ended or not call.offered:
            return []
        if call.answered:
            return self._end(call, "call.ended", at)
        # Over without an answer: a caller who hung up (an abandon), or an outbound call not taken.
        return self._end(call, "call.ended" if call.direction == "outbound" else "call.abandoned", at)

    def _transferred(self, call: CallTrack | None, at: str, target: str) -> list[dict[str, Any]]:
        if call is None or not call.answered or call.ended:
            return []
        # The agent's part of the call is over; where it goes next is another part (another queue:
        # another interaction), or out of Switchboard's sight (a direct extension).
        return self._end(call, "call.ended", at, transferred_to=target)

    def _blind_transfer(self, message: Message, at: str) -> list[dict[str, Any]]:
        if message.get("result", "").lower() != "success":
            return []
        call = self.calls.get(self._linkedid(message, "transferee")) or self.calls.get(
            self._linkedid(message, "transferer")
        )
        return self._transferred(call, at, message.get("extension", ""))

    def _attended_transfer(self, message: Message, at: str) -> list[dict[str, Any]]:
        if message.get("result", "").lower() != "success":
            return []
        call = self.calls.get(self._linkedid(message, "transferee")) or self.calls.get(
            self._linkedid(message, "origtransferer")
        )
        target = message.get("transfertargetcalleridnum") or message.get("transfertargetchannel", "")
        return self._transferred(call, at, target)

    # -- recording

    def _var_set(self, message: Message, at: str) -> list[dict[str, Any]]:
        if message.get("variable", "").upper() == "MIXMONITOR_FILENAME" and message.get("value"):
            call = self._track(self._linkedid(message))
            call.recording = message["value"]
            call.recorded_channel = message.get("channel", "")
        return []

    def _mix_monitor_mute(self, message: Message, at: str) -> list[dict[str, Any]]:
        call = self.calls.get(self._linkedid(message))
        if call is None or not call.offered or call.ended:
            return []
        paused = message.get("state", "") == "1"
        if paused == call.recording_paused:
            return []
        call.recording_paused = paused
        return [self._event(call, "call.recording_paused" if paused else "call.recording_resumed", at)]

    # -- click-to-dial (Originate)

    def _new_channel(self, message: Message, at: str) -> list[dict[str, Any]]:
        info = self.originated.pop(message.get("uniqueid", ""), None)
        if info is None:
            exten = message.get("exten", "")
            if message.get("uniqueid") == self._linkedid(message) and exten not in {"", "s"}:
                self._track(message["uniqueid"]).called = exten  # a call's first channel: the number dialled
            return []
        call = self._track(self._linkedid(message))
        call.direction = "outbound"
        call.agent = info["agent"]
        call.caller = info["extension"]
        call.called = info["to"]
        call.queue = info["queue"]
        call.customer = info["customer"]
        call.agent_channel = message.get("channel", "")
        call.offered = True
        # The agent's phone rings first: the offer is theirs.
        return [self._event(call, "call.offered", at)]

    def _dial_end(self, message: Message, at: str) -> list[dict[str, Any]]:
        call = self.calls.get(self._linkedid(message))
        if call is None or call.direction != "outbound" or call.answered or call.ended:
            return []
        if message.get("dialstatus", "").upper() != "ANSWER":
            return []
        call.answered = True
        call.customer_channel = message.get("destchannel", "") or call.customer_channel
        return [self._event(call, "call.answered", at)]

    def _originate_response(self, message: Message, at: str) -> list[dict[str, Any]]:
        if message.get("response", "").lower() != "failure":
            return []
        self.originated.pop(message.get("uniqueid", ""), None)
        call = self.calls.get(message.get("uniqueid", ""))
        if call is None or not call.offered or call.ended:
            return []
        return self._end(call, "call.ended", at)


# --- The adapter --------------------------------------------------------------------------------


def _device(extension: str, technology: str) -> str:
    """The channel to ring for an extension: as written when it names its technology
    (``PJSIP/1001``), else ``<technology>/<extension>``."""
    return extension if "/" in extension else f"{technology}/{extension}"


class AsteriskAdapter:
    """One manager connection to Asterisk, as the bridge's runner drives it (see the module docstring)."""

    kind = BridgeKind.ASTERISK
    capabilities = frozenset({Capability.DIAL, Capability.TRANSFER, Capability.RECORDING_PAUSE})

    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str,
        secret: str,
        dial_technology: str = "PJSIP",
        dial_context: str = "from-internal",
        timeout: float = 10.0,
        agents_ttl: float = 30.0,
        agents_retry: float = 5.0,
        agents_loader: Callable[[], dict[str, str]] = selectors.agent_extensions,
    ) -> None:
        self.host, self.port, self.username, self.secret = host, port, username, secret
        self.dial_technology, self.dial_context = dial_technology, dial_context
        self.timeout = timeout
        self.agents_ttl, self.agents_retry = agents_ttl, agents_retry
        self.agents_loader = agents_loader
        # Kept across connections: a call that began before a reconnection is still known after it.
        self.translator = AmiTranslator()
        self._agents_loaded_at: float | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._waiting: dict[str, asyncio.Future[Message]] = {}
        self._action_ids = itertools.count(1)
        self._session = uuid.uuid4().hex[:8]

    # -- connection

    async def connect(self) -> str:
        if not self.secret:
            raise BridgeError("no AMI secret: set ASTERISK_AMI_SECRET or pass --secret")
        reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), self.timeout)
        try:
            banner = await asyncio.wait_for(reader.readline(), self.timeout)
            if not banner.startswith(BANNER_PREFIX):
                raise BridgeError(f"not an Asterisk manager interface (it said {banner[:60]!r})")
            action_id = self._action_id()
            writer.write(
                encode_action(
                    "Login", {"ActionID": action_id, "Username": self.username, "Secret": self.secret, "Events": "on"}
                )
            )
            await writer.drain()
            while True:
                message = await asyncio.wait_for(read_message(reader), self.timeout)
                if message.get("actionid") == action_id and "response" in message:
                    break
            if message["response"].lower() != "success":
                raise BridgeError(f"login refused: {message.get('message') or message['response']}")
        except BaseException:
            writer.close()
            raise
        self._reader, self._writer = reader, writer
        version = banner.decode(errors="replace").strip()
        return f"{version} at {self.host}:{self.port} as {self.username}"

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        reader = self._reader
        if reader is None:
            raise ConnectionError("not connected")
        try:
            while True:
                message = await read_message(reader)
                if "event" not in message:
                    future = self._waiting.pop(message.get("actionid", ""), None)
                    if future is not None and not future.done():
                        future.set_result(message)
                    continue
                if message["event"].lower() in AmiTranslator.AGENT_EVENTS:
                    await self._agents_ready(message)
                try:
                    events = self.translator.feed(message, received=timezone.now())
                except Exception:  # one event the bridge cannot read must not cost the link and the ones after
                    logger.exception("telephony asterisk: cannot read the event %s", message)
                    continue
                for event in events:
                    yield event
        finally:
            self._fail_waiting(ConnectionError("the connection to the phone system was lost"))

    async def close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        self._fail_waiting(ConnectionError("the connection to the phone system was closed"))
        if writer is None:
            return
        with contextlib.suppress(OSError, RuntimeError):
            writer.write(encode_action("Logoff", {"ActionID": self._action_id()}))
            await writer.drain()
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), 2)

    def _action_id(self) -> str:
        return f"switchboard-{self._session}-{next(self._action_ids)}"

    def _fail_waiting(self, error: Exception) -> None:
        waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            if not future.done():
                future.set_exception(error)

    async def _agents_ready(self, message: Message) -> None:
        """Load the agents' extensions when the book is older than ``agents_ttl``, or when this
        event names a device the book does not know (an extension set a moment ago) and the book
        is older than ``agents_retry``."""
        now = time.monotonic()
        age = None if self._agents_loaded_at is None else now - self._agents_loaded_at
        if age is not None and age < self.agents_ttl:
            names = (message.get("interface", ""), message.get("destchannel", ""), message.get("membername", ""))
            if age < self.agents_retry or self.translator.agents.agent_for(*names) is not None:
                return
        try:
            extensions = await sync_to_async(self.agents_loader, thread_sensitive=True)()
        except DatabaseError as error:
            logger.warning("telephony asterisk: cannot read the agents' extensions (%s)", error)
            return
        self.translator.agents = ExtensionBook(extensions)
        self._agents_loaded_at = now

    # -- commands

    async def send_action(self, action: str, fields: dict[str, Any]) -> Message:
        """Send one action and wait for its response; :class:`CommandFailed` unless it is ``Success``."""
        writer = self._writer
        if writer is None:
            raise CommandFailed("not connected to the phone system")
        action_id = self._action_id()
        payload = encode_action(action, {"ActionID": action_id, **fields})
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._waiting[action_id] = future
        try:
            writer.write(payload)
            await writer.drain()
            response = await future
        except (OSError, ConnectionError) as error:
            raise CommandFailed(f"the connection to the phone system was lost ({error})") from error
        finally:
            self._waiting.pop(action_id, None)
        if response.get("response", "").lower() != "success":
            raise CommandFailed(f"Asterisk refused {action}: {response.get('message') or response.get('response')}")
        return response

    async def execute(self, command: Command) -> dict[str, Any]:
        arguments = command.arguments or {}
        if command.action == CommandAction.DIAL:
            return await self._dial(command, arguments)
        if command.action == CommandAction.TRANSFER:
            return await self._transfer(command, arguments)
        if command.action in (CommandAction.RECORDING_PAUSE, CommandAction.RECORDING_RESUME):
            return await self._recording(command, arguments, paused=command.action == CommandAction.RECORDING_PAUSE)
        raise CommandFailed(
            "Asterisk's manager interface cannot put a call on hold or take it off: the agent uses the phone's hold key"
        )

    async def _dial(self, command: Command, arguments: dict[str, Any]) -> dict[str, Any]:
        extension, to = str(arguments.get("extension") or ""), str(arguments.get("to") or "")
        if not extension or not to:
            raise CommandFailed("a dial needs the agent's extension and the number to call")
        channel = _device(extension, self.dial_technology)
        # Asterisk takes the id of the channel it creates (ChannelId): the call's Linkedid, known now.
        channel_id = f"switchboard-{uuid.uuid4().hex}"
        self.translator.expect_origination(
            channel_id,
            agent=str(arguments.get("agent") or ""),
            extension=extension,
            to=to,
            customer=arguments.get("customer"),
            queue=str(arguments.get("queue") or ""),
        )
        await self.send_action(
            "Originate",
            {
                "Channel": channel,
                "Context": self.dial_context,
                "Exten": to,
                "Priority": "1",
                "CallerID": f"<{to}>",
                "Timeout": "30000",
                "ChannelId": channel_id,
                "Async": "true",
            },
        )
        return {"call_id": channel_id, "channel": channel}

    def _call_of(self, command: Command, arguments: dict[str, Any]) -> tuple[str, CallTrack | None]:
        call_id = command.call_id or str(arguments.get("call_id") or "")
        if not call_id:
            raise CommandFailed("name the call (call_id)")
        return call_id, self.translator.call_for(call_id)

    async def _transfer(self, command: Command, arguments: dict[str, Any]) -> dict[str, Any]:
        call_id, call = self._call_of(command, arguments)
        target = str(arguments.get("target") or "")
        if not target:
            raise CommandFailed("a transfer needs its target (an extension or a number)")
        if arguments.get("attended"):
            # Atxfer: the agent's channel dials the target; the agent talks to them, then hangs up.
            channel = (call.agent_channel if call else "") or ""
            if not channel:
                raise CommandFailed("the bridge does not know the agent's channel of this call")
            await self.send_action("Atxfer", {"Channel": channel, "Exten": target, "Context": self.dial_context})
            return {"call_id": call_id, "attended": True}
        # Blind: the customer's channel leaves the agent and goes to the target.
        channel = str(arguments.get("channel") or "") or (call.customer_channel if call else "")
        if not channel:
            raise CommandFailed("the bridge does not know the customer's channel of this call")
        await self.send_action(
            "Redirect", {"Channel": channel, "Exten": target, "Context": self.dial_context, "Priority": "1"}
        )
        return {"call_id": call_id}

    async def _recording(self, command: Command, arguments: dict[str, Any], *, paused: bool) -> dict[str, Any]:
        call_id, call = self._call_of(command, arguments)
        channel = str(arguments.get("channel") or "") or (
            (call.recorded_channel or call.customer_channel) if call else ""
        )
        if not channel:
            raise CommandFailed("the bridge does not know which channel of this call is recorded")
        await self.send_action(
            "MixMonitorMute", {"Channel": channel, "Direction": "both", "State": "1" if paused else "0"}
        )
        return {"call_id": call_id, "paused": paused}


def asterisk_adapter(options: dict[str, Any]) -> AsteriskAdapter:
    """The adapter from the command line's options, the settings filling what they leave out."""

    def option(name: str, setting: str) -> Any:
        value = options.get(name)
        return value if value not in (None, "") else getattr(settings, setting)

    return AsteriskAdapter(
        host=option("host", "ASTERISK_AMI_HOST"),
        port=int(option("port", "ASTERISK_AMI_PORT")),
        username=option("username", "ASTERISK_AMI_USERNAME"),
        secret=option("secret", "ASTERISK_AMI_SECRET"),
        dial_technology=settings.ASTERISK_DIAL_TECHNOLOGY,
        dial_context=settings.ASTERISK_DIAL_CONTEXT,
    )
