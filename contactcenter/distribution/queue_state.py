"""Queue state (``docs/routing.md``, "Queue state"): where each waiting work item stands in its
queue's line and how long it should still wait; the routed work waiting per queue and channel and
who has what, for the wallboard; which items a user may see and move. Reads only, each a fixed
number of queries whatever the number of items.

**Position**: 1 for the item the dispatcher offers next in its queue, in the dispatcher's own order
(:func:`~contactcenter.distribution.selection.order_key`: priority, then near its SLA due time,
then the oldest), counted among the queue's waiting items.

**Estimated wait** of a waiting item at ``position``, for its queue and channel::

    slots = the staffed agents' capacities for the channel, summed
    free  = the room left now (capacity − assigned items of the channel) of the staffed agents who
            are available, with no offer open and no status change waiting, summed
    wait  = 0                                   when position ≤ free
          = round((position − free) × handle ÷ slots) seconds, otherwise
          = unknown (None)                       when slots = 0 (nobody staffed)

*Staffed*: an active member of the queue who is available, ringing, busy or in wrap-up (not on a
break, not offline). *handle*: the mean handle time (from acceptance to the end of the work) of the
:data:`HANDLE_SAMPLE` items of the queue and channel finished last within :data:`HANDLE_WINDOW`;
without any, :data:`DEFAULT_HANDLE_SECONDS` of the channel.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, Count, F, IntegerField, Min, OuterRef, Q, QuerySet, Subquery, Value, When, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from contactcenter.agents.models import AgentProfile, Queue, Status
from contactcenter.core.choices import Channel
from contactcenter.core.roles import MANAGERS_UP, SUPERVISOR, role_of, team_id_of
from contactcenter.distribution.models import (
    DEFAULT_CAPACITY,
    KIND_CHANNEL,
    WorkItem,
    WorkState,
)
from contactcenter.distribution.selection import Waiting, in_order

#: How many of the items finished last make a queue's handle time.
HANDLE_SAMPLE = 20
#: Only items finished within this time before now count in the handle time.
HANDLE_WINDOW = timedelta(hours=24)
#: A queue and channel with no item finished lately: this handle time (seconds).
DEFAULT_HANDLE_SECONDS: dict[str, int] = {Channel.VOICE: 300, Channel.CHAT: 600, Channel.EMAIL: 1800}
#: The statuses of a staffed agent (logged in, not on a break).
STAFFED_STATUSES = (Status.AVAILABLE, Status.RINGING, Status.BUSY, Status.WRAP_UP)
#: channel → the kinds of work that use its capacity.
CHANNEL_KINDS: dict[str, list[str]] = defaultdict(list)
for _kind, _channel in KIND_CHANNEL.items():
    CHANNEL_KINDS[_channel].append(_kind)
#: The states in which an item is not yet anyone's (on the wallboard: "waiting").
NOT_TAKEN = (WorkState.WAITING, WorkState.OFFERED)


def channel_expression() -> Case:
    """An item's channel in SQL (:data:`~contactcenter.distribution.models.KIND_CHANNEL`)."""
    return Case(
        *(When(kind__in=kinds, then=Value(channel)) for channel, kinds in sorted(CHANNEL_KINDS.items())),
        default=Value(""),
    )


# --- Who sees which items ------------------------------------------------------------------------


def work_items_visible_to(user: AbstractBaseUser) -> QuerySet[WorkItem]:
    """The work items ``user`` may see and move: managers and admins every item, a supervisor the
    items of the queues their team serves, anyone else none."""
    role = role_of(user)
    items = WorkItem.objects.all()
    if role in MANAGERS_UP:
        return items
    team_id = team_id_of(user)
    if role == SUPERVISOR and team_id is not None:
        return items.filter(queue_id__in=served_queue_ids(team_id))
    return items.none()


def served_queue_ids(team_id: int) -> QuerySet:
    """The ids of the queues some member of the team serves (a subquery)."""
    return Queue.objects.served_by_team(team_id).values("pk")


def queues_for_moves(user: AbstractBaseUser) -> QuerySet[Queue]:
    """The active queues ``user`` may move work to (managers and admins: every one; a supervisor:
    the ones their team serves), by name."""
    queues = Queue.objects.filter(is_active=True).order_by("name")
    if role_of(user) in MANAGERS_UP:
        return queues
    team_id = team_id_of(user)
    if role_of(user) == SUPERVISOR and team_id is not None:
        return queues.filter(pk__in=served_queue_ids(team_id))
    return queues.none()


# --- Position and estimated wait ------------------------------------------------------------------


@dataclass(frozen=True)
class HandleTime:
    """A queue's handle time for one channel: the mean, and how many finished items it is made of
    (0: none lately, the channel's default)."""

    seconds: float
    sample: int = 0


@dataclass(frozen=True)
class Staffing:
    """A queue's agents for one channel: how many are staffed, their capacities summed (``slots``)
    and the room left now among the available ones (``free``)."""

    agents: int = 0
    slots: int = 0
    free: int = 0


def estimated_wait(*, position: int, handle_seconds: float, staffing: Staffing) -> int | None:
    """The module's formula: seconds, 0 when a free slot takes the item now, ``None`` with nobody
    staffed."""
    if staffing.slots <= 0:
        return None
    if position <= staffing.free:
        return 0
    return round((position - staffing.free) * handle_seconds / staffing.slots)


@dataclass(frozen=True)
class ItemPlace:
    """Where one waiting item stands, and the numbers its estimated wait comes from."""

    item_id: int
    queue_id: int
    channel: str
    position: int
    handle: HandleTime
    staffing: Staffing = field(default_factory=Staffing)

    @property
    def estimated_wait_seconds(self) -> int | None:
        return estimated_wait(position=self.position, handle_seconds=self.handle.seconds, staffing=self.staffing)


def line_positions(*, queue_ids: Iterable[int], now: datetime) -> dict[int, int]:
    """item id → its position in its queue's line (1: offered next), for every waiting item of the
    queues. One query (the waiting items' index), the order in Python by the dispatcher's rule."""
    lines: dict[int, list[Waiting]] = defaultdict(list)
    rows = WorkItem.objects.filter(state=WorkState.WAITING, queue_id__in=list(queue_ids)).values_list(
        "pk", "queue_id", "priority", "arrived_at", "jump_at"
    )
    for pk, queue_id, priority, arrived_at, jump_at in rows:
        lines[queue_id].append(Waiting(item_id=pk, priority=priority, arrived_at=arrived_at, jump_at=jump_at))
    positions = {}
    for line in lines.values():
        for position, waiting in enumerate(in_order(line, now=now), start=1):
            positions[waiting.item_id] = position
    return positions


def recent_handle_times(*, queue_ids: Iterable[int], now: datetime) -> dict[tuple[int, str], HandleTime]:
    """(queue id, channel) → the mean handle time (``closed_at − assigned_at``) of the
    :data:`HANDLE_SAMPLE` items of that queue and channel done last within :data:`HANDLE_WINDOW`;
    pairs with none are absent. One query (a window function keeps the last ones of each pair)."""
    channel = channel_expression()
    rows = (
        WorkItem.objects.filter(
            queue_id__in=list(queue_ids),
            state=WorkState.DONE,
            assigned_at__isnull=False,
            closed_at__gt=now - HANDLE_WINDOW,
            closed_at__lte=now,
        )
        .annotate(
            channel=channel,
            rank=Window(
                RowNumber(),
                partition_by=[F("queue_id"), channel],
                order_by=[F("closed_at").desc(), F("pk").desc()],
            ),
        )
        .filter(rank__lte=HANDLE_SAMPLE)
        .values_list("queue_id", "channel", "assigned_at", "closed_at")
    )
    totals: dict[tuple[int, str], list[float]] = defaultdict(list)
    for queue_id, channel_code, assigned_at, closed_at in rows:
        totals[(queue_id, channel_code)].append(max((closed_at - assigned_at).total_seconds(), 0.0))
    return {key: HandleTime(seconds=sum(values) / len(values), sample=len(values)) for key, values in totals.items()}


def _assigned_count(channel: str) -> Coalesce:
    counted = (
        WorkItem.objects.filter(
            assigned_to_id=OuterRef("agentprofile__user_id"), state=WorkState.ASSIGNED, kind__in=CHANNEL_KINDS[channel]
        )
        .order_by()
        .values("assigned_to_id")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def queue_staffing(*, queue_ids: Iterable[int]) -> dict[tuple[int, str], Staffing]:
    """(queue id, channel) → its :class:`Staffing`, for every channel. One query: the staffed
    members of the queues with their capacities and their assigned items per channel."""
    channels = (Channel.VOICE, Channel.CHAT, Channel.EMAIL)
    rows = (
        AgentProfile.queues.through.objects.filter(
            queue_id__in=list(queue_ids),
            agentprofile__user__is_active=True,
            agentprofile__status__in=STAFFED_STATUSES,
        )
        .annotate(**{f"load_{channel}": _assigned_count(channel) for channel in channels})
        .values_list(
            "queue_id",
            "agentprofile__status",
            "agentprofile__work_offered",
            "agentprofile__pending_status",
            "agentprofile__routing__voice_capacity",
            "agentprofile__routing__chat_capacity",
            "agentprofile__routing__email_capacity",
            *(f"load_{channel}" for channel in channels),
        )
    )
    found: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for queue_id, status, offered, pending, *numbers in rows:
        capacities = dict(zip(channels, numbers[:3], strict=True))
        loads = dict(zip(channels, numbers[3:], strict=True))
        free_now = status == Status.AVAILABLE and not offered and not pending
        for channel in channels:
            capacity = capacities[channel]
            capacity = DEFAULT_CAPACITY[channel] if capacity is None else capacity
            counts = found[(queue_id, channel)]
            counts[0] += 1
            counts[1] += capacity
            # An agent holding voice work (a callback) takes no other work (docs/routing.md).
            blocked = channel != Channel.VOICE and loads[Channel.VOICE] > 0
            if free_now and not blocked:
                counts[2] += max(capacity - loads[channel], 0)
    return {key: Staffing(agents=a, slots=s, free=f) for key, (a, s, f) in found.items()}


def items_places(*, items: Iterable[WorkItem], now: datetime | None = None) -> dict[int, ItemPlace]:
    """item id → :class:`ItemPlace` for the waiting ones of ``items``. No query without a waiting
    item, three otherwise (the lines, the handle times, the staffing of their queues)."""
    now = now or timezone.now()
    waiting = [item for item in items if item.state == WorkState.WAITING]
    if not waiting:
        return {}
    queue_ids = sorted({item.queue_id for item in waiting})
    positions = line_positions(queue_ids=queue_ids, now=now)
    handles = recent_handle_times(queue_ids=queue_ids, now=now)
    staffing = queue_staffing(queue_ids=queue_ids)
    places = {}
    for item in waiting:
        if item.pk not in positions:  # left the line since it was read
            continue
        channel = KIND_CHANNEL[item.kind]
        key = (item.queue_id, channel)
        places[item.pk] = ItemPlace(
            item_id=item.pk,
            queue_id=item.queue_id,
            channel=channel,
            position=positions[item.pk],
            handle=handles.get(key, HandleTime(seconds=float(DEFAULT_HANDLE_SECONDS[channel]))),
            staffing=staffing.get(key, Staffing()),
        )
    return places


def work_item_place(*, item_id: int, now: datetime | None = None) -> ItemPlace | None:
    """Where the item ``item_id`` stands now, ``None`` when it is not waiting: what a visitor's
    chat shows of their own item (no access check: the caller knows the item is theirs). Four
    queries at most."""
    item = WorkItem.objects.filter(pk=item_id).only("pk", "queue_id", "kind", "state").first()
    if item is None:
        return None
    return items_places(items=[item], now=now).get(item.pk)


# --- The wallboard --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelWaiting:
    """Routed work not yet taken in one queue, for one channel: how many items, since when."""

    channel: str
    waiting: int
    oldest: datetime


@dataclass
class AgentWork:
    """Who has what: one agent's assigned items per kind, and whether an offer rings for them."""

    assigned: dict[str, int] = field(default_factory=dict)
    offered: int = 0

    @property
    def total(self) -> int:
        return sum(self.assigned.values())


@dataclass
class RoutedWork:
    """The wallboard's routed figures: per queue the work not yet taken (waiting or being offered)
    per channel; per agent, their work."""

    queues: dict[int, list[ChannelWaiting]] = field(default_factory=dict)
    agents: dict[int, AgentWork] = field(default_factory=dict)


def routed_work(*, queue_ids: Iterable[int] | None, agent_ids: Iterable[int] | None) -> RoutedWork:
    """The routed work of the wallboard's queues (``None``: every queue) and agents (``None``:
    every agent). One grouped query over the open items."""
    holder = Coalesce("offered_to_id", "assigned_to_id")
    in_queues = Q(state__in=NOT_TAKEN)
    if queue_ids is not None:
        in_queues &= Q(queue_id__in=list(queue_ids))
    held = Q(state__in=(WorkState.OFFERED, WorkState.ASSIGNED))
    if agent_ids is not None:
        held &= Q(offered_to_id__in=list(agent_ids)) | Q(assigned_to_id__in=list(agent_ids))
    rows = (
        WorkItem.objects.filter(in_queues | held)
        .annotate(channel=channel_expression(), holder=holder)
        .values("state", "queue_id", "channel", "kind", "holder")
        .annotate(n=Count("pk"), oldest=Min("arrived_at"))
        .order_by()
    )
    queue_set = None if queue_ids is None else set(queue_ids)
    agent_set = None if agent_ids is None else set(agent_ids)
    waiting: dict[int, dict[str, list]] = defaultdict(dict)
    result = RoutedWork()
    for row in rows:
        state, queue_id, holder_id = row["state"], row["queue_id"], row["holder"]
        if state in NOT_TAKEN and (queue_set is None or queue_id in queue_set):
            entry = waiting[queue_id].setdefault(row["channel"], [0, row["oldest"]])
            entry[0] += row["n"]
            entry[1] = min(entry[1], row["oldest"])
        if holder_id is not None and state != WorkState.WAITING and (agent_set is None or holder_id in agent_set):
            work = result.agents.setdefault(holder_id, AgentWork())
            if state == WorkState.OFFERED:
                work.offered += row["n"]
            else:
                work.assigned[row["kind"]] = work.assigned.get(row["kind"], 0) + row["n"]
    for queue_id, channels in waiting.items():
        result.queues[queue_id] = [
            ChannelWaiting(channel=channel, waiting=count, oldest=oldest)
            for channel, (count, oldest) in sorted(channels.items())
        ]
    return result


def agent_items(*, user_id: int) -> list[WorkItem]:
    """The items offered to or assigned to the agent, the offer first then the oldest, with their
    queue, customer, ticket and agent. One query (the agent's assigned items' index)."""
    return list(
        WorkItem.objects.filter(
            Q(state=WorkState.ASSIGNED, assigned_to_id=user_id) | Q(state=WorkState.OFFERED, offered_to_id=user_id)
        )
        .select_related("queue", "customer", "ticket", "offered_to", "assigned_to")
        .order_by("-state", "arrived_at", "pk")
    )


#: A queue's panel lists this many routed items at most (the line's order).
QUEUE_ITEMS_LIMIT = 100


def queue_items(*, queue: Queue, now: datetime | None = None) -> list[WorkItem]:
    """The items of ``queue`` not yet taken: the ones being offered (with their agent), then the
    waiting ones in the line's order, at most :data:`QUEUE_ITEMS_LIMIT`, with customer and ticket.
    One query."""
    now = now or timezone.now()
    near_due = Case(When(jump_at__lte=now, then=Value(0)), default=Value(1), output_field=IntegerField())
    offered_first = Case(When(state=WorkState.OFFERED, then=Value(0)), default=Value(1), output_field=IntegerField())
    return list(
        WorkItem.objects.filter(queue=queue, state__in=NOT_TAKEN)
        .select_related("queue", "customer", "ticket", "offered_to")
        .order_by(offered_first, "-priority", near_due, "arrived_at", "pk")[:QUEUE_ITEMS_LIMIT]
    )
