"""Telephony services: the bridges' state, the commands asked of them, click-to-dial.

A bridge process calls :func:`bridge_connected` when it has logged in to its phone system,
:func:`bridge_alive` every few seconds (``HEARTBEAT_SECONDS``), :func:`bridge_disconnected` when
the link drops; the application reads :func:`bridges_online`. A bridge that stops touching its
row (killed, machine gone) is taken as gone after ``STALE_SECONDS``.

Commands go through the database (:class:`~contactcenter.telephony.models.Command`): the
application inserts one (:func:`command_request`), the bridge takes it (:func:`commands_take`,
pending → sent, each command taken by one bridge process only) and says what came of it
(:func:`command_finish`). A command no bridge took within ``COMMAND_EXPIRY_SECONDS`` expires: a
dial asked a minute ago must not ring the agent's phone now.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from contactcenter.agents.models import CONTACT_STATUSES, AgentProfile, Queue
from contactcenter.core.roles import profile_of
from contactcenter.telephony.models import (
    ACTION_CAPABILITY,
    Bridge,
    BridgeKind,
    Command,
    CommandAction,
    CommandState,
)
from customers.models import Customer
from customers.phones import normalize_phone, try_normalize_phone
from interactions.models import CtiCall

#: A connected bridge touches its row this often.
HEARTBEAT_SECONDS = 5
#: A bridge silent for this long is taken as gone (three missed heartbeats).
STALE_SECONDS = 3 * HEARTBEAT_SECONDS
#: A command no bridge has taken after this long expires.
COMMAND_EXPIRY_SECONDS = 30
#: The order in which bridges are preferred when several could carry out a command.
BRIDGE_PREFERENCE = (BridgeKind.ASTERISK, BridgeKind.FREESWITCH, BridgeKind.TWILIO)


class NoBridge(Exception):
    """No connected bridge can do what was asked (the API answers 503)."""

    def __init__(self, capability: str) -> None:
        super().__init__(capability)
        self.capability = capability
        self.message = _("No telephony bridge that can do this is connected.")


class AgentOnContact(Exception):
    """The agent is on a contact (ringing, on a call or in wrap-up): not now (the API answers 409)."""

    def __init__(self) -> None:
        super().__init__()
        self.message = _("You are on a contact: finish it before placing a call.")


class NotOnCall(Exception):
    """The agent is not on the call they asked to act on (the API answers 409)."""

    def __init__(self) -> None:
        super().__init__()
        self.message = _("You are not on this call (it is over, or it is someone else's).")


@dataclass(frozen=True)
class OnlineBridge:
    kind: str
    capabilities: frozenset[str]
    peer: str = ""


# Bridges with no process of their own (Twilio: its webhooks come to the API) say whether they are
# usable from the settings; each registers a function answering an OnlineBridge or None.
_configured: list[Callable[[], OnlineBridge | None]] = []


def configured_bridge_register(probe: Callable[[], OnlineBridge | None]) -> None:
    """Add a bridge that is online when its settings say so (a callable answering
    :class:`OnlineBridge` or ``None``), beside the processes that touch their :class:`Bridge` row."""
    if probe not in _configured:
        _configured.append(probe)


def bridges_online(*, now: datetime | None = None) -> list[OnlineBridge]:
    """The bridges usable now, in :data:`BRIDGE_PREFERENCE` order."""
    now = now or timezone.now()
    online = [
        OnlineBridge(kind=kind, capabilities=frozenset(capabilities), peer=peer)
        for kind, capabilities, peer in Bridge.objects.filter(
            connected=True, seen_at__gte=now - timedelta(seconds=STALE_SECONDS)
        ).values_list("kind", "capabilities", "peer")
    ]
    online += [bridge for bridge in (probe() for probe in _configured) if bridge is not None]
    rank = {kind: index for index, kind in enumerate(BRIDGE_PREFERENCE)}
    return sorted(online, key=lambda bridge: rank.get(bridge.kind, len(rank)))


def bridge_for(capability: str, *, now: datetime | None = None) -> OnlineBridge:
    """The preferred online bridge that can do ``capability``, or :class:`NoBridge`."""
    for bridge in bridges_online(now=now):
        if capability in bridge.capabilities:
            return bridge
    raise NoBridge(capability)


def capabilities_online(*, now: datetime | None = None) -> frozenset[str]:
    """Everything some online bridge can do (the desk enables its buttons by it)."""
    return frozenset().union(*(bridge.capabilities for bridge in bridges_online(now=now)))


def bridge_connected(*, kind: str, capabilities: list[str], peer: str, now: datetime | None = None) -> None:
    """The bridge process of ``kind`` has logged in to its phone system."""
    now = now or timezone.now()
    Bridge.objects.update_or_create(
        kind=kind,
        defaults={
            "connected": True,
            "connected_at": now,
            "seen_at": now,
            "capabilities": sorted(capabilities),
            "peer": peer[:200],
            "last_error": "",
        },
    )


def bridge_alive(*, kind: str, events_applied: int = 0, now: datetime | None = None) -> None:
    """Heartbeat of a connected bridge, with the call events it applied since the last one."""
    Bridge.objects.filter(kind=kind).update(
        seen_at=now or timezone.now(), connected=True, events_applied=F("events_applied") + events_applied
    )


def bridge_disconnected(*, kind: str, error: str = "") -> None:
    """The bridge lost its phone system (or stopped, or could never log in: its row is made then,
    so that admins see why): nothing can be asked of it until it is back."""
    if not Bridge.objects.filter(kind=kind).update(connected=False, last_error=error[:2000]):
        Bridge.objects.get_or_create(kind=kind, defaults={"connected": False, "last_error": error[:2000]})


def command_request(
    *,
    action: str,
    by: AbstractBaseUser | None,
    agent: AgentProfile | None = None,
    arguments: dict[str, Any] | None = None,
    call_id: str = "",
    now: datetime | None = None,
) -> Command:
    """Ask the preferred bridge able to do ``action`` to do it; :class:`NoBridge` when none is online."""
    bridge = bridge_for(ACTION_CAPABILITY[action], now=now)
    command = Command.objects.create(
        bridge=bridge.kind,
        action=action,
        arguments=arguments or {},
        agent=agent,
        call_id=call_id,
        requested_by=by,
    )
    transaction.on_commit(lambda: _command_requested(command))
    return command


# What happens once a command is stored, per bridge (Twilio runs its commands itself, the others'
# processes poll): functions taking the command, registered by the bridges that need one.
_requested_hooks: dict[str, Callable[[Command], None]] = {}


def command_requested_hook_register(kind: str, hook: Callable[[Command], None]) -> None:
    _requested_hooks[kind] = hook


def _command_requested(command: Command) -> None:
    hook = _requested_hooks.get(command.bridge)
    if hook is not None:
        hook(command)


def commands_take(*, kind: str, limit: int = 20, now: datetime | None = None) -> list[Command]:
    """The commands waiting for the bridge ``kind``, now marked sent (each taken once, even with two
    processes of one bridge); those that waited too long are expired instead."""
    now = now or timezone.now()
    with transaction.atomic():
        pending = Command.objects.filter(bridge=kind, state=CommandState.PENDING)
        pending.filter(created_at__lt=now - timedelta(seconds=COMMAND_EXPIRY_SECONDS)).update(
            state=CommandState.EXPIRED, finished_at=now
        )
        ids = list(pending.select_for_update(skip_locked=True).order_by("id").values_list("id", flat=True)[:limit])
        if not ids:
            return []
        Command.objects.filter(id__in=ids, state=CommandState.PENDING).update(state=CommandState.SENT, sent_at=now)
    return list(Command.objects.filter(id__in=ids).select_related("agent__user").order_by("id"))


def command_finish(
    *, command_id: int, ok: bool, result: dict[str, Any] | None = None, error: str = "", call_id: str = ""
) -> None:
    """What the phone system answered to a command."""
    changes: dict[str, Any] = {
        "state": CommandState.DONE if ok else CommandState.FAILED,
        "result": result or {},
        "error": error[:2000],
        "finished_at": timezone.now(),
    }
    if call_id:
        changes["call_id"] = call_id
    Command.objects.filter(id=command_id, state__in=[CommandState.PENDING, CommandState.SENT]).update(**changes)


def call_dial(
    *,
    by: AbstractBaseUser,
    to: str,
    customer: Customer | None = None,
    queue: Queue | None = None,
    now: datetime | None = None,
) -> Command:
    """Click-to-dial: ring the agent's extension, then ``to``, through a connected bridge.

    Checked in this order, so that bad input answers the same whether a bridge is connected or not:
    ``ValidationError`` (field → messages) when ``to`` is not a phone number or the agent has no
    extension; :class:`AgentOnContact` when the agent is on a contact (read under the profile's
    lock); :class:`NoBridge` when no connected bridge can dial. The outbound interaction is made by
    the call's own events, as the bridge reports them."""
    try:
        number = normalize_phone(to)
    except ValidationError as error:
        raise ValidationError({"to": error.messages}) from error
    profile = profile_of(by)  # read with the user: no query
    if profile is None or not profile.extension:
        raise ValidationError(
            {"extension": [_("You have no phone extension: an admin sets it on your agent profile.")]}
        )
    with transaction.atomic():
        profile = AgentProfile.objects.select_for_update().get(pk=profile.pk)
        if profile.status in CONTACT_STATUSES:
            raise AgentOnContact()
        arguments: dict[str, Any] = {"to": number, "extension": profile.extension, "agent": by.get_username()}
        if customer is not None:
            arguments["customer"] = customer.pk
        if queue is not None:
            arguments["queue"] = queue.name
        return command_request(action=CommandAction.DIAL, by=by, agent=profile, arguments=arguments, now=now)


#: An extension as agents' phones have them: digits, or a PBX's own name for a phone (PJSIP/1001).
_EXTENSION = re.compile(r"^[A-Za-z0-9*#/_.@-]{1,40}$")
#: A short run of digits is an extension, never a national number.
MAX_EXTENSION_DIGITS = 6


def transfer_target(raw: str) -> str:
    """Where a transfer goes: an extension (an agent's, or a short run of digits) as given, or a
    phone number in any usual format, in E.164. ``ValidationError`` on ``to`` otherwise."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError({"to": [_("Give an extension or a phone number.")]})
    if text.isdigit() and len(text) <= MAX_EXTENSION_DIGITS:
        return text
    if AgentProfile.objects.filter(extension=text).exists():
        return text
    number = try_normalize_phone(text)
    if number is not None:
        return number
    if _EXTENSION.match(text) and any(char.isdigit() for char in text) and not text.lstrip("+").isdigit():
        return text  # a PBX's name for a phone: PJSIP/1001, user/1001
    raise ValidationError({"to": [_("“%(value)s” is neither an extension nor a phone number.") % {"value": text[:40]}]})


def _current_call(*, profile: AgentProfile, call_id: str) -> CtiCall | None:
    """The call ``call_id`` when the agent of ``profile`` is on it now (answered by them, not over)."""
    return (
        CtiCall.objects.select_related("interaction")
        .filter(
            call_id=call_id,
            interaction__agent_id=profile.user_id,
            interaction__answered_at__isnull=False,
            interaction__ended_at__isnull=True,
        )
        .first()
    )


def call_act(
    *,
    by: AbstractBaseUser,
    call_id: str,
    action: str,
    target: str = "",
    now: datetime | None = None,
) -> Command:
    """Hold, resume or transfer the call ``call_id`` that ``by`` is on, through a connected bridge.

    ``target`` (transfer only): an extension or a phone number (:func:`transfer_target`). Raises
    ``ValidationError`` for a bad target, :class:`NotOnCall` when ``by`` is not on that call now
    (answered by them and not over, as the call's events say), :class:`NoBridge` when no connected
    bridge can. The command's arguments are ``{"call_id", "target"?}``; the call's own events
    (``call.held``, ``call.resumed``, the transferred call's) say what came of it. Reads, then one
    insert: no transaction of its own (a request's, when there is one, holds it)."""
    if action not in (CommandAction.HOLD, CommandAction.RESUME, CommandAction.TRANSFER):
        raise ValueError(f"not a call action: {action}")
    arguments: dict[str, Any] = {"call_id": call_id}
    if action == CommandAction.TRANSFER:
        arguments["target"] = transfer_target(target)
    profile = profile_of(by)  # read with the user (the request's authentication): no query
    if profile is None or _current_call(profile=profile, call_id=call_id) is None:
        raise NotOnCall()
    return command_request(action=action, by=by, agent=profile, arguments=arguments, call_id=call_id, now=now)
