"""Helpers of the routing tests: a chat queue, agents in it, work items."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.timezone import now

from contactcenter.agents.models import AgentProfile, Queue
from contactcenter.agents.services import agent_set_status
from contactcenter.distribution.models import WorkItem, WorkKind
from contactcenter.distribution.services import work_item_enqueue
from tests.agents.factories import AgentProfileFactory, QueueFactory, TeamFactory


def chat_queue(name: str = "Chat FR") -> Queue:
    return QueueFactory(name=name, channel="chat")


def agent_in(queue: Queue, username: str, *, status: str = "available", at: datetime | None = None) -> AgentProfile:
    profile = AgentProfileFactory(user__username=username, team=TeamFactory(name="Team A"), queues=[queue])
    if at is not None:  # offline since before then
        AgentProfile.objects.filter(pk=profile.pk).update(status_since=at - timedelta(hours=1))
        profile.refresh_from_db()
    if status != "offline":
        profile = agent_set_status(profile=profile, status=status, reason="lunch" if status == "break" else "", at=at)
    return AgentProfile.objects.select_related("user").get(pk=profile.pk)


def enqueue(queue: Queue, **extra) -> WorkItem:
    return work_item_enqueue(kind=extra.pop("kind", WorkKind.CHAT), queue=queue, **extra)


def waiting_item(queue: Queue, **extra) -> WorkItem:
    """A chat waiting in ``queue``, stored without the service (no dispatch after commit)."""
    return WorkItem.objects.create(
        kind=WorkKind.CHAT, queue=queue, arrived_at=extra.pop("arrived_at", None) or now(), **extra
    )


def idle_agent(queue: Queue, username: str, *, minutes: int) -> AgentProfile:
    """An agent of ``queue`` available for ``minutes``, stored without the state machine (no
    dispatch after commit)."""
    profile = AgentProfileFactory(user__username=username, team=TeamFactory(name="Team A"), queues=[queue])
    AgentProfile.objects.filter(pk=profile.pk).update(
        status="available", status_since=now() - timedelta(minutes=minutes)
    )
    return AgentProfile.objects.select_related("user").get(pk=profile.pk)
