"""Web chat figures of the KPI engine: how many chats the bot closed by itself
(``docs/kpis.md`` "Bot containment").

A report counts the chat conversations **started** in its period (``started_at``, local days as
every other figure): ``chats_started``, and among them ``chats_bot_contained``, those the bot
closed without handing them over (no hand-over to an agent, no message left for one: the visitor
ended the chat with the bot, or it ended idle with the bot). ``bot_containment`` is
``chats_bot_contained ÷ chats_started``. Chats still open count as started, not as contained.

Scope and groupings follow the interactions': a chat an agent had belongs to that agent (``agent``,
``team``); one the bot kept has no agent and belongs, for a supervisor, to the queues their team
serves; ``queue`` is the widget's queue, ``channel`` always ``chat``, ``day``/``week``/``month`` the
local day of ``started_at``. One aggregate query.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, DateField, F, Q
from django.db.models.functions import Trunc
from django.utils import timezone

from contactcenter.agents.models import Queue
from contactcenter.chat.models import ChatConversation, ConversationState
from contactcenter.core.choices import Channel
from kpis.definitions import KpiFilters, KpiScope, bucket_key, local_midnight

#: The additive counts of the chat figures (a report row holds them, 0 when no chat started).
CHAT_FIGURES = ("chats_started", "chats_bot_contained")


def contained_q() -> Q:
    """A chat the bot closed by itself: over, never handed over, no message left."""
    return Q(state=ConversationState.CLOSED, handed_over_at__isnull=True, ticket__isnull=True)


def chats_q(scope: KpiScope, filters: KpiFilters, start: date, end: date) -> Q:
    """The chats a report counts (see the module's docstring)."""
    condition = Q(started_at__gte=local_midnight(start), started_at__lt=local_midnight(end))
    if not scope.everything:
        mine = Q(agent_id=scope.user_id)
        if scope.team_id is not None:
            team_queues = Queue.objects.filter(agents__team_id=scope.team_id).values("pk")
            mine |= Q(agent__agent_profile__team_id=scope.team_id)
            mine |= Q(agent__isnull=True, widget__queue_id__in=team_queues)
        condition &= mine
    condition &= filters.agents_q()
    if filters.queue:
        condition &= Q(widget__queue__name=filters.queue)
    if filters.channel and filters.channel != Channel.CHAT:
        condition &= Q(pk__in=[])
    return condition


def _group_key(group_by: str) -> Any:
    if group_by == "agent":
        return F("agent__username")
    if group_by == "team":
        return F("agent__agent_profile__team__name")
    if group_by == "queue":
        return F("widget__queue__name")
    return Trunc("started_at", group_by, output_field=DateField(), tzinfo=timezone.get_default_timezone())


def chat_family(
    *, scope: KpiScope, start: date, end: date, group_by: str | None, filters: KpiFilters
) -> dict[str | None, dict]:
    """The chat figures' counts per group: ``{key: {name: value}}``, one aggregate query."""
    chats = ChatConversation.objects.filter(chats_q(scope, filters, start, end))
    aggregates = {"chats_started": Count("pk"), "chats_bot_contained": Count("pk", filter=contained_q())}
    if group_by is None:
        return {None: chats.aggregate(**aggregates)}
    if group_by == "channel":
        counts = chats.aggregate(**aggregates)
        return {Channel.CHAT.value: counts} if counts["chats_started"] else {}
    result = {}
    for row in chats.order_by().values(kpi_key=_group_key(group_by)).annotate(**aggregates):
        key = row.pop("kpi_key")
        if isinstance(key, date):
            key = bucket_key(group_by, key)
        result[key] = row
    return result
