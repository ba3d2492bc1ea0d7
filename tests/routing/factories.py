"""Helpers of the routing tests: a chat queue, agents in it, work items."""

from __future__ import annotations

from datetime import datetime, timedelta

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
