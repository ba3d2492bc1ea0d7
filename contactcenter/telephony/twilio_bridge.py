"""Twilio (``docs/telephony.md``, "Twilio"): its webhooks become call events, and what agents ask
of the phone system goes through its REST API.

Twilio has no bridge process. It posts to ``POST /api/v1/cti/twilio/`` (the view is a thin
adapter over :func:`twilio_webhook_apply`), and each request, once its ``X-Twilio-Signature`` is
checked against the account's auth token (:func:`signature_valid`), is turned into at most one
call event of the CTI intake (:func:`webhook_events`), applied like every bridge's by
:func:`contactcenter.telephony.runtime.event_apply`: once per ``(call, event)``, so Twilio's
retries change nothing.

**Which Twilio call is the Switchboard call.** A Twilio call is one leg; a conversation between a
customer and an agent is two legs joined together. The interaction follows the leg the
conversation started with, whose ``CallSid`` Switchboard is told first and acts on afterwards:

* an inbound call is the customer's call, routed to an agent by TaskRouter: the task's
  ``call_sid`` attribute (set by ``<Enqueue>``). TaskRouter's events say the rest:
  ``task.created`` is the offer, ``reservation.accepted`` the answer by the reservation's worker,
  ``task.wrapup`` (the call is over, the task moves to wrap-up) the end, ``task.completed`` the end
  of the wrap-up, ``task.canceled`` (the caller hung up waiting) an abandon. Each kind of event
  comes from one source only, so that the interaction does not depend on which of two reports of
  the same moment arrives first. A task without ``call_sid`` (a chat, an SMS) is not a call.
* a click-to-dial is the call Switchboard placed through the REST API to the agent's phone
  (``outbound-api``), whose TwiML then dials the customer: the command's ``CallSid``. Its status
  callbacks (their URL carries ``?command=<id>``, so the agent, the customer's number and the
  queue come from the command) say the rest: ``initiated`` is the offer (the agent's phone rings),
  the customer's leg ``in-progress`` the answer, the placed call's ``completed`` (or ``busy``,
  ``no-answer``, ``failed``, ``canceled``) the end. These events carry ``"direction": "outbound"``.
* a recording (its status callback, ``completed``) is carried on the call's end event as
  ``"recording": RecordingUrl``, for the recordings intake to fetch; fetching it needs the
  account's SID and auth token as HTTP Basic credentials, unless the account serves its
  recordings publicly.

Other webhooks (an inbound call's own status callbacks, other TaskRouter events, a worker's
activity) are answered and ignored.

**Agents.** A worker is a Switchboard agent by its ``contact_uri`` attribute (``client:agent_a``:
the identity is a username, or the URI or the identity an agent profile's ``extension``), or else
by its friendly name (``WorkerName``), a username. **Queues:** a TaskQueue's friendly name
(``TaskQueueName``) is the Switchboard queue's name; an unknown one is left out of the event (and
logged) rather than losing the call.

**Commands.** When Twilio's settings are complete, :func:`twilio_online` says the Twilio bridge
is there (``services.configured_bridge_register``), able to dial, transfer and pause the
recording. A command meant for it is carried out by a background job
(``contactcenter.telephony.tasks``), through :func:`twilio_command_run`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from contactcenter.agents.models import AgentProfile
from contactcenter.agents.queues import queue_named
from contactcenter.telephony import services
from contactcenter.telephony.models import BridgeKind, Capability, Command, CommandAction, CommandState
from contactcenter.telephony.runtime import CommandFailed, event_apply
from interactions.models import CtiCall, CtiEventType

logger = logging.getLogger("contactcenter.telephony")

#: What the Twilio bridge can do (hold needs a conference, which Switchboard does not set up).
CAPABILITIES = frozenset({Capability.DIAL, Capability.TRANSFER, Capability.RECORDING_PAUSE})
#: TaskRouter event → call event (see the module docstring).
TASK_EVENTS = {
    "task.created": CtiEventType.OFFERED,
    "reservation.accepted": CtiEventType.ANSWERED,
    "task.wrapup": CtiEventType.ENDED,
    "task.completed": CtiEventType.WRAPUP_ENDED,
    "task.canceled": CtiEventType.ABANDONED,
}
#: The statuses a placed call ends with.
END_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
#: The body of the answer to a voice or recording webhook: TwiML that does nothing.
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
#: Seconds the REST API may take to answer.
API_TIMEOUT = 10


# --- Settings ------------------------------------------------------------------------------------


def webhook_configured() -> bool:
    """Whether Switchboard can check Twilio's signatures (the account's auth token is set)."""
    return bool(settings.TWILIO_AUTH_TOKEN)


def twilio_online() -> services.OnlineBridge | None:
    """The Twilio bridge, when its settings let it place and move calls: the account (SID and
    auth token), the number shown to the called party, and the address Twilio posts the calls'
    progress to (without it a placed call would never become an interaction)."""
    if not (
        settings.TWILIO_ACCOUNT_SID
        and settings.TWILIO_AUTH_TOKEN
        and settings.TWILIO_CALLER_ID
        and settings.TWILIO_WEBHOOK_BASE_URL
    ):
        return None
    return services.OnlineBridge(
        kind=BridgeKind.TWILIO, capabilities=CAPABILITIES, peer=f"Twilio {settings.TWILIO_ACCOUNT_SID}"
    )


# --- Signature -----------------------------------------------------------------------------------


def webhook_url(request: HttpRequest) -> str:
    """The URL Twilio called, as Twilio wrote it (it signs that URL, query string included):
    ``TWILIO_WEBHOOK_BASE_URL`` and the request's path when set, else the request's own address
    (scheme from ``SECURE_PROXY_SSL_HEADER`` behind a proxy, host from the Host header)."""
    if settings.TWILIO_WEBHOOK_BASE_URL:
        return settings.TWILIO_WEBHOOK_BASE_URL + request.get_full_path()
    return request.build_absolute_uri()


def signature_valid(*, url: str, params: Mapping[str, Any], signature: str) -> bool:
    """Whether ``signature`` (the ``X-Twilio-Signature`` header) is Twilio's, with the account's
    auth token, over ``url`` and the form fields ``params``."""
    if not signature or not webhook_configured():
        return False
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, params, signature)


def callback_url(command: Command) -> str:
    """Where Twilio posts the progress of the call a command placed (the command names it)."""
    return f"{settings.TWILIO_WEBHOOK_BASE_URL}{reverse('cti-twilio')}?command={command.pk}"


# --- Webhooks → call events ------------------------------------------------------------------------


def twilio_time(value: str | None) -> datetime | None:
    """A time as Twilio writes it: seconds or milliseconds since the epoch (TaskRouter's
    ``Timestamp``, ``TimestampMs``), RFC 2822 (Voice: ``Tue, 06 Jan 2026 09:00:00 +0000``) or
    ISO-8601 with an offset; ``None`` when blank or unreadable."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        number = int(value)
        try:
            return datetime.fromtimestamp(number / 1000 if number >= 10**11 else number, tz=UTC)
        except (OverflowError, OSError, ValueError):  # beyond the calendar
            return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
    if parsed is None or timezone.is_naive(parsed):
        return None
    return parsed


def _json_object(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def agent_for_worker(*, name: str, attributes: Mapping[str, Any]) -> str | None:
    """The username of the active agent a TaskRouter worker is, ``None`` if none: by the worker's
    ``contact_uri`` (its identity as a username, or the URI or identity as an extension), else by
    its friendly name as a username. One query."""
    contact_uri = str(attributes.get("contact_uri") or "").strip()
    identity = contact_uri.split(":", 1)[1] if ":" in contact_uri else contact_uri
    name = (name or "").strip()
    usernames = {value for value in (identity, name) if value}
    extensions = {value for value in (contact_uri, identity) if value}
    if not usernames:
        return None
    rows = AgentProfile.objects.filter(user__is_active=True).filter(
        Q(user__username__in=usernames) | Q(extension__in=extensions)
    )
    pairs = list(rows.values_list("user__username", "extension"))
    found = {username for username, _ in pairs}
    by_extension = {extension: username for username, extension in pairs if extension}
    for candidate in (
        identity if identity in found else None,
        by_extension.get(contact_uri),
        by_extension.get(identity),
        name if name in found else None,
    ):
        if candidate:
            return candidate
    return None


def _queue_name(name: str | None, *, call_id: str) -> str | None:
    if not name:
        return None
    if queue_named(name) is None:
        logger.warning("twilio: TaskQueue %r is no Switchboard queue; call %s kept without it", name, call_id)
        return None
    return name


def _task_event(params: Mapping[str, str]) -> dict[str, Any] | None:
    event = TASK_EVENTS.get(params.get("EventType", ""))
    attributes = _json_object(params.get("TaskAttributes"))
    call_id = str(attributes.get("call_sid") or "").strip()
    if event is None or not call_id:
        return None
    at = twilio_time(params.get("TimestampMs")) or twilio_time(params.get("Timestamp")) or timezone.now()
    data: dict[str, Any] = {
        "event": event,
        "call_id": call_id,
        "timestamp": at.isoformat(),
        "from": attributes.get("from") or attributes.get("caller") or "",
        "to": attributes.get("to") or attributes.get("called") or "",
        "queue": _queue_name(params.get("TaskQueueName"), call_id=call_id),
        "agent": None,
    }
    if event == CtiEventType.ANSWERED:
        data["agent"] = agent_for_worker(
            name=params.get("WorkerName", ""), attributes=_json_object(params.get("WorkerAttributes"))
        )
    return data


def _dial_command(query: Mapping[str, str]) -> Command | None:
    raw = (query.get("command") or "").strip()
    if not raw.isdigit():
        return None
    return Command.objects.filter(pk=int(raw), bridge=BridgeKind.TWILIO, action=CommandAction.DIAL).first()


def _voice_event(params: Mapping[str, str], command: Command | None) -> dict[str, Any] | None:
    """A status callback of a click-to-dial's legs (see the module docstring); other calls'
    status callbacks say nothing the TaskRouter events do not."""
    if command is None:
        return None
    status = params.get("CallStatus", "")
    parent = params.get("ParentCallSid", "").strip()
    if parent:  # the customer's leg, dialed by the placed call's TwiML
        event = CtiEventType.ANSWERED if status == "in-progress" else None
    elif status in ("queued", "initiated"):
        event = CtiEventType.OFFERED
    elif status in END_STATUSES:
        event = CtiEventType.ENDED
    else:
        event = None
    call_id = parent or params.get("CallSid", "").strip()
    if event is None or not call_id:
        return None
    arguments = command.arguments
    data: dict[str, Any] = {
        "event": event,
        "call_id": call_id,
        "timestamp": (twilio_time(params.get("Timestamp")) or timezone.now()).isoformat(),
        "from": arguments.get("extension", ""),
        "to": arguments.get("to", ""),
        "queue": arguments.get("queue"),
        "agent": arguments.get("agent"),
        "direction": "outbound",
    }
    if arguments.get("customer") is not None:
        data["customer"] = arguments["customer"]
    return data


def _recording_event(params: Mapping[str, str]) -> dict[str, Any] | None:
    """A finished recording, on the end of the call it belongs to (a call Switchboard follows)."""
    call_id = params.get("CallSid", "").strip()
    url = params.get("RecordingUrl", "").strip()
    if params.get("RecordingStatus") != "completed" or not call_id or not url:
        return None
    if not CtiCall.objects.filter(call_id=call_id).exists():
        logger.info("twilio: recording %s of call %s: no Switchboard call", params.get("RecordingSid"), call_id)
        return None
    started = twilio_time(params.get("RecordingStartTime"))
    duration = params.get("RecordingDuration", "")
    # The recording stops with the call: its end is the call's (the same on every retry).
    seconds = int(duration) if duration.isdigit() and len(duration) < 8 else None
    at = started + timedelta(seconds=seconds) if started and seconds is not None else timezone.now()
    return {"event": CtiEventType.ENDED, "call_id": call_id, "timestamp": at.isoformat(), "recording": url}


def webhook_kind(params: Mapping[str, str]) -> str:
    """``taskrouter``, ``recording``, ``voice`` or ``other``: which of Twilio's callbacks this is."""
    if params.get("EventType"):
        return "taskrouter"
    if params.get("RecordingSid"):
        return "recording"
    if params.get("CallSid"):
        return "voice"
    return "other"


def webhook_events(*, params: Mapping[str, str], query: Mapping[str, str]) -> list[dict[str, Any]]:
    """The call events (as ``POST /api/v1/cti/events/`` takes them) one Twilio webhook says:
    ``params`` are its form fields, ``query`` its URL's query string. Mostly one, or none."""
    kind = webhook_kind(params)
    if kind == "taskrouter":
        event = _task_event(params)
    elif kind == "recording":
        event = _recording_event(params)
    elif kind == "voice":
        event = _voice_event(params, _dial_command(query))
    else:
        event = None
    return [event] if event is not None else []


@dataclass(frozen=True)
class WebhookOutcome:
    """What became of one webhook: which callback it was and its events, applied (new), repeated
    (already applied: a retry) or refused by the intake (logged)."""

    kind: str
    events: list[dict[str, Any]]
    applied: int
    duplicates: int
    refused: int


def twilio_webhook_apply(*, params: Mapping[str, str], query: Mapping[str, str]) -> WebhookOutcome:
    """Apply a Twilio webhook whose signature was checked: its call events through the CTI intake,
    each in its own transaction, once each. An event the intake refuses (an unknown agent, an
    impossible order) is logged and dropped: Twilio could do nothing better with an error."""
    events = webhook_events(params=params, query=query)
    applied = duplicates = refused = 0
    for event in events:
        try:
            _, duplicate = event_apply(event)
        except ValidationError as error:
            refused += 1
            logger.warning(
                "twilio: call event refused by the intake: %s %s: %s",
                event["event"],
                event["call_id"],
                error.message_dict if hasattr(error, "error_dict") else error.messages,
            )
            continue
        duplicates += duplicate
        applied += not duplicate
    return WebhookOutcome(webhook_kind(params), events, applied, duplicates, refused)


# --- Commands through the REST API -----------------------------------------------------------------


def twilio_client() -> Client:
    """A REST client for the account, talking to ``TWILIO_API_BASE_URL``."""
    client = Client(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        http_client=TwilioHttpClient(timeout=API_TIMEOUT, pool_connections=False),
    )
    # The library's address is fixed per domain (api.twilio.com for calls and recordings); moving it
    # is what lets the tests, or a Twilio-compatible gateway, answer instead.
    client.api.base_url = settings.TWILIO_API_BASE_URL
    return client


def address_of(extension: str) -> str:
    """How Twilio reaches an agent's phone: ``client:…`` and ``sip:…`` addresses and numbers
    (``+33…``) as they are written; anything else is a Twilio Client identity (``1001`` →
    ``client:1001``)."""
    value = extension.strip()
    if value.startswith(("client:", "sip:", "+")):
        return value
    return f"client:{value}"


def dial_twiml(*, number: str, callback: str) -> str:
    """The placed call's instructions once the agent answers: dial the customer, showing the
    center's number, report the customer's answer (and the recording, when recorded) to ``callback``."""
    response = VoiceResponse()
    options: dict[str, Any] = {"caller_id": settings.TWILIO_CALLER_ID}
    if settings.TWILIO_RECORD_OUTBOUND:
        options |= {
            "record": "record-from-answer-dual",
            "recording_status_callback": callback,
            "recording_status_callback_event": "completed",
        }
    dial = response.dial(**options)
    dial.number(number, status_callback=callback, status_callback_event="answered", status_callback_method="POST")
    return str(response)


def transfer_twiml(target: str) -> str:
    """Instructions that ring ``target`` (an extension, a ``client:``/``sip:`` address or a number)."""
    response = VoiceResponse()
    dial = response.dial(caller_id=settings.TWILIO_CALLER_ID or None)
    address = address_of(target)
    if address.startswith("client:"):
        dial.client(address.removeprefix("client:"))
    elif address.startswith("sip:"):
        dial.sip(address)
    else:
        dial.number(address)
    return str(response)


def _dial(client: Client, command: Command) -> dict[str, Any]:
    arguments = command.arguments
    extension = arguments.get("extension") or (command.agent.extension if command.agent else "")
    number = arguments.get("to", "")
    if not extension or not number:
        raise CommandFailed("a dial needs the agent's extension and the number to call")
    callback = callback_url(command)
    call = client.calls.create(
        to=address_of(extension),
        from_=settings.TWILIO_CALLER_ID,
        twiml=dial_twiml(number=number, callback=callback),
        status_callback=callback,
        status_callback_event=["initiated", "completed"],
        status_callback_method="POST",
    )
    return {"call_id": call.sid, "status": call.status}


def _call_id(command: Command) -> str:
    call_id = command.call_id or command.arguments.get("call_id", "")
    if not call_id:
        raise CommandFailed("no call to act on")
    return call_id


def _transfer(client: Client, command: Command) -> dict[str, Any]:
    call_id = _call_id(command)
    target = str(command.arguments.get("target") or "").strip()
    if not target:
        raise CommandFailed("a transfer needs a target")
    # The customer's leg is moved: the call itself for an inbound call; for a click-to-dial, the
    # leg its TwiML dialed (moving the placed call would hang up on the customer).
    leg = call_id
    if client.calls(call_id).fetch().direction == "outbound-api":
        children = client.calls.list(parent_call_sid=call_id, status="in-progress", limit=1)
        if not children:
            raise CommandFailed("the customer is no longer on the line")
        leg = children[0].sid
    client.calls(leg).update(twiml=transfer_twiml(target))
    return {"call_id": call_id, "leg": leg, "target": target}


def _recording(client: Client, command: Command, *, pause: bool) -> dict[str, Any]:
    call_id = _call_id(command)
    # The recording belongs to the call that ran <Dial record> (the call Switchboard follows).
    recording = client.calls(call_id).recordings("Twilio.CURRENT")
    if pause:
        result = recording.update(status="paused", pause_behavior="skip")
    else:
        result = recording.update(status="in-progress")
    return {"call_id": call_id, "recording": result.sid, "status": result.status}


def command_execute(client: Client, command: Command) -> dict[str, Any]:
    """Carry out ``command`` through the REST API; what came of it (``call_id``: the call placed or
    acted on). Raises :class:`~contactcenter.telephony.runtime.CommandFailed` with Twilio's reason."""
    try:
        if command.action == CommandAction.DIAL:
            return _dial(client, command)
        if command.action == CommandAction.TRANSFER:
            return _transfer(client, command)
        if command.action in (CommandAction.RECORDING_PAUSE, CommandAction.RECORDING_RESUME):
            return _recording(client, command, pause=command.action == CommandAction.RECORDING_PAUSE)
    except TwilioRestException as error:
        raise CommandFailed(f"Twilio answered {error.status}: {error.msg} (code {error.code})") from error
    except (TwilioException, OSError) as error:  # requests' errors are OSErrors
        raise CommandFailed(f"Twilio could not be reached: {error}") from error
    raise CommandFailed(f"Twilio cannot {command.action}")


def twilio_command_take(*, command_id: int, now: datetime | None = None) -> Command | None:
    """The Twilio command ``command_id``, now marked sent, if it is still waiting; ``None`` if it
    was taken already (a job run twice places one call) or has waited too long (then expired: a
    dial asked a minute ago must not ring the agent's phone now)."""
    now = now or timezone.now()
    with transaction.atomic():
        command = (
            Command.objects.select_for_update()
            .filter(pk=command_id, bridge=BridgeKind.TWILIO, state=CommandState.PENDING)
            .first()
        )
        if command is None:
            return None
        if command.created_at < now - timedelta(seconds=services.COMMAND_EXPIRY_SECONDS):
            command.state, command.finished_at = CommandState.EXPIRED, now
            command.save(update_fields=["state", "finished_at"])
            return None
        command.state, command.sent_at = CommandState.SENT, now
        command.save(update_fields=["state", "sent_at"])
    return Command.objects.select_related("agent").get(pk=command_id)


def twilio_command_run(*, command_id: int) -> dict[str, Any] | None:
    """Take the command and carry it out, then record what Twilio answered (done or failed);
    ``None`` when there was nothing to do (see :func:`twilio_command_take`)."""
    command = twilio_command_take(command_id=command_id)
    if command is None:
        return None
    try:
        result = command_execute(twilio_client(), command)
    except CommandFailed as error:
        services.command_finish(command_id=command_id, ok=False, error=str(error))
        return {"error": str(error)}
    services.command_finish(command_id=command_id, ok=True, result=result, call_id=str(result.get("call_id", "")))
    return result


# --- Settings check ------------------------------------------------------------------------------

#: The settings the Twilio bridge needs to place and move calls, by name.
BRIDGE_SETTINGS = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_CALLER_ID", "TWILIO_WEBHOOK_BASE_URL")


@register(Tags.compatibility)
def twilio_settings_check(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Twilio half configured is Twilio without click-to-dial, with no other sign: say which are missing."""
    given = [name for name in BRIDGE_SETTINGS if getattr(settings, name)]
    missing = [name for name in BRIDGE_SETTINGS if not getattr(settings, name)]
    if not given or not missing:
        return []
    return [
        Warning(
            f"Twilio is partly configured: {', '.join(missing)} not set; Twilio cannot place, transfer or pause "
            "calls (its webhooks need only TWILIO_AUTH_TOKEN).",
            hint="See docs/telephony.md, Twilio.",
            id="twilio.W001",
        )
    ]
