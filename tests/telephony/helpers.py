"""Shared givens of the click-to-dial tests: a bridge that says it is connected, an agent's phone,
a call an agent is on (through the real CTI intake)."""

from __future__ import annotations

from django.utils import timezone

from contactcenter.agents.models import AgentProfile
from contactcenter.telephony.models import Bridge
from interactions.cti import cti_event_apply


def bridge_online(*capabilities: str, kind: str = "asterisk") -> Bridge:
    """A bridge process that logged in just now and can do ``capabilities``."""
    now = timezone.now()
    bridge, _ = Bridge.objects.update_or_create(
        kind=kind,
        defaults={
            "connected": True,
            "connected_at": now,
            "seen_at": now,
            "capabilities": sorted(capabilities),
            "peer": "Asterisk 20 (127.0.0.1)",
        },
    )
    return bridge


def give_extension(user, extension: str) -> AgentProfile:
    AgentProfile.objects.filter(user=user).update(extension=extension)
    return AgentProfile.objects.get(user=user)


def call_answered_by(user, *, call_id: str = "1767603600.42", queue=None) -> str:
    """A call offered a minute ago and answered by ``user``, as the telephony system reports it."""
    now = timezone.now()
    for event, seconds, agent in (("call.offered", 60, None), ("call.answered", 50, user)):
        cti_event_apply(
            event=event,
            call_id=call_id,
            timestamp=now - timezone.timedelta(seconds=seconds),
            caller="+33612345678",
            queue=queue,
            agent=agent,
        )
    return call_id
