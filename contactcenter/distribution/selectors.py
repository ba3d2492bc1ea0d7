"""Reads of the routing (``docs/routing.md``): the queues' settings, the agents as the rules see
them (:class:`~contactcenter.distribution.selection.Candidate`), the customers' last agents, and
the next agent of a queue. Each read is a fixed number of queries, whatever the number of agents
or items."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Expression, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from contactcenter.agents.models import AgentProfile, Queue, Status
from contactcenter.core.cached import cached_forget, cached_read
from contactcenter.core.choices import Channel
from contactcenter.core.compiled import SAMPLE_TIME, CompiledQuery, CompiledRows, Many
from contactcenter.distribution.models import (
    CALLBACK_OPEN_STATES,
    DEFAULT_CAPACITY,
    KIND_CHANNEL,
    AgentRouting,
    AgentSkillLevel,
    Callback,
    CallbackAttempt,
    CallbackState,
    OfferOutcome,
    QueueRouting,
    QueueSkillLevel,
    WorkItem,
    WorkKind,
    WorkOffer,
    WorkState,
)
from contactcenter.distribution.selection import BLENDED_STATUSES, Candidate, Choice, Demand, choose
from customers.models import ContactPoint, Customer
from customers.phones import try_normalize_phone
from interactions.models import Interaction

#: The queue's kind of work when nothing else says (the next-agent question of a dialplan).
CHANNEL_KIND = {Channel.CHAT: WorkKind.CHAT, Channel.EMAIL: WorkKind.EMAIL, Channel.VOICE: WorkKind.CALLBACK}


@dataclass(frozen=True)
class QueueRules:
    """One queue's routing settings (the defaults without a :class:`QueueRouting` row) and the
    skills it asks for, as ``(skill id, minimum level)``."""

    queue_id: int
    channel: str
    prefer_last_agent: bool = False
    offer_timeout_seconds: int = 30
    blending: bool = False
    priority: int = 50
    sla_jump_seconds: int | None = None
    service_level_seconds: int = 20
    required: tuple[tuple[int, int], ...] = ()


#: The cache group of every queue's routing rules (:func:`queue_rules`).
RULES = "routing-rules"


def queue_rules(*, queue_ids: Iterable[int]) -> dict[int, QueueRules]:
    """The routing rules of each queue. No query while no queue, queue routing or skill level asked
    has changed (kept in the cache, :mod:`contactcenter.core.cached`, with every queue's rules);
    else three: the queues with their settings, their skills, the levels asked."""
    every = cached_read(RULES, "all", _every_queue_rules)
    return {queue_id: every[queue_id] for queue_id in queue_ids if queue_id in every}


def queue_rules_changed(**kwargs: object) -> None:
    """Receiver of the changes to the queues, their skills, their routing and the skill levels they
    ask: every process reads the routing rules again."""
    cached_forget(RULES)


def _every_queue_rules() -> dict[int, QueueRules]:
    queues = Queue.objects.select_related("routing")
    skills: dict[int, list[int]] = defaultdict(list)
    for queue_id, skill_id in Queue.skills.through.objects.values_list("queue_id", "skill_id"):
        skills[queue_id].append(skill_id)
    levels = {
        (queue_id, skill_id): level
        for queue_id, skill_id, level in QueueSkillLevel.objects.values_list("queue_id", "skill_id", "level")
    }
    rules = {}
    for queue in queues:
        settings: QueueRouting | None = getattr(queue, "routing", None)
        required = tuple(sorted((skill, levels.get((queue.pk, skill), 1)) for skill in skills[queue.pk]))
        extra = {}
        if settings is not None:
            extra = {
                "prefer_last_agent": settings.prefer_last_agent,
                "offer_timeout_seconds": settings.offer_timeout_seconds,
                "blending": settings.blending,
                "priority": settings.priority,
                "sla_jump_seconds": settings.sla_jump_seconds,
            }
        rules[queue.pk] = QueueRules(
            queue_id=queue.pk,
            channel=queue.channel,
            service_level_seconds=queue.service_level_seconds,
            required=required,
            **extra,
        )
    return rules


@cache
def _members_query(ready_only: bool, blending: bool, one: bool) -> CompiledRows:
    """The queue memberships of the agents, for one variant (ready only, blending, one agent):
    compiled once each (:mod:`contactcenter.core.compiled`), the dispatcher reads them on every offer."""

    def build(queue_ids: list[int], user_id: int | None = None) -> QuerySet:
        who = Q(agentprofile__user__is_active=True)
        if one:
            who &= Q(agentprofile__user_id=user_id)
        if ready_only:
            statuses = [Status.AVAILABLE, *(BLENDED_STATUSES if blending else ())]
            who &= Q(
                agentprofile__status__in=statuses, agentprofile__pending_status="", agentprofile__work_offered=False
            )
        return AgentProfile.queues.through.objects.filter(who, queue_id__in=queue_ids).values_list(
            "agentprofile_id", "queue_id"
        )

    return CompiledRows(build, samples=[Many(-7_100_000), -7_200_001] if one else [Many(-7_100_000)])


#: The agents' profiles as the rules read them (user, capacities, load per channel).
_PROFILES = CompiledQuery(
    lambda profile_ids: (
        AgentProfile.objects.filter(pk__in=profile_ids)
        .select_related("user", "routing")
        .only(
            "pk",
            "user_id",
            "user__username",
            "status",
            "status_since",
            "pending_status",
            "work_offered",
            "extension",
            "routing__voice_capacity",
            "routing__chat_capacity",
            "routing__email_capacity",
        )
        .annotate(**_load_counts())
    ),
    samples=[Many(-7_100_000)],
)

#: The skills the agents hold, with their levels (none stored: level 1).
_SKILLS = CompiledRows(
    lambda profile_ids: (
        AgentProfile.skills.through.objects.filter(agentprofile_id__in=profile_ids)
        .annotate(
            level=Subquery(
                AgentSkillLevel.objects.filter(
                    profile_id=OuterRef("agentprofile_id"), skill_id=OuterRef("skill_id")
                ).values("level")[:1]
            )
        )
        .values_list("agentprofile_id", "skill_id", "level")
    ),
    samples=[Many(-7_100_000)],
)


def routing_candidates(
    *, queue_ids: Iterable[int], ready_only: bool = False, blending: bool = False, user_id: int | None = None
) -> list[Candidate]:
    """The active agents of the queues, as the rules see them. Three queries, whatever their number
    (one when none is left), each compiled once: the queues they serve; their profiles with their
    users, capacities, assigned work per channel and open calls; their skills with their levels.

    ``ready_only``: only the agents who may take some work now (:func:`~contactcenter.distribution.
    selection.may_take_work`, with ``blending`` when some queue allows it), chosen by the database:
    at any moment most agents are on a contact, on a break or already offered work, and the rest
    of their reads is skipped. ``user_id``: that agent only."""
    members: dict[int, set[int]] = defaultdict(set)
    links = _members_query(ready_only, ready_only and blending, user_id is not None)
    for profile_id, queue_id in links.fetch(list(queue_ids), *(() if user_id is None else (user_id,))):
        members[profile_id].add(queue_id)
    if not members:
        return []
    profiles = _PROFILES.fetch(list(members))
    held: dict[int, dict[int, int]] = defaultdict(dict)
    for profile_id, skill_id, level in _SKILLS.fetch(list(members)):
        held[profile_id][skill_id] = level or 1  # a skill held without a level is level 1
    return [
        Candidate(
            user_id=profile.user_id,
            username=profile.user.username,
            status=profile.status,
            since=profile.status_since,
            queue_ids=frozenset(members[profile.pk]),
            levels=dict(held[profile.pk]),
            load={channel: n for channel in LOAD_CHANNELS if (n := getattr(profile, f"load_{channel}"))},
            capacity=_capacity(profile),
            pending=bool(profile.pending_status),
            offered=profile.work_offered,
            extension=profile.extension,
        )
        for profile in profiles
    ]


#: The channels whose open work counts against an agent's capacity.
LOAD_CHANNELS = (Channel.VOICE, Channel.CHAT, Channel.EMAIL)


def _load_counts() -> dict[str, Expression]:
    """Per channel, the agent's assigned items of the kinds that use it, and on voice their open
    calls too (answered, wrap-up not over): subqueries of the profile's row."""
    assigned = WorkItem.objects.filter(assigned_to_id=OuterRef("user_id"), state=WorkState.ASSIGNED).order_by()
    counts: dict[str, Expression] = {}
    for channel in LOAD_CHANNELS:
        kinds = [kind for kind, used in KIND_CHANNEL.items() if used == channel]
        items = assigned.filter(kind__in=kinds).values("assigned_to_id").annotate(n=Count("pk")).values("n")
        counts[f"load_{channel}"] = Coalesce(Subquery(items[:1]), 0)
    calls = (
        Interaction.objects.filter(
            agent_id=OuterRef("user_id"),
            answered_at__isnull=False,
            wrapup_ended_at__isnull=True,
            cti_call__isnull=False,
        )
        .order_by()
        .values("agent_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    counts[f"load_{Channel.VOICE}"] = counts[f"load_{Channel.VOICE}"] + Coalesce(Subquery(calls[:1]), 0)
    return counts


def _capacity(profile: AgentProfile) -> dict[str, int]:
    try:
        row = profile.routing
    except AgentRouting.DoesNotExist:
        return DEFAULT_CAPACITY
    return {Channel.VOICE: row.voice_capacity, Channel.CHAT: row.chat_capacity, Channel.EMAIL: row.email_capacity}


def last_agents(*, customer_ids: Iterable[int]) -> dict[int, int]:
    """customer id → the agent of their most recent contact handled by an agent (any channel).
    One query (each customer's newest contact read by the ``(customer, offered_at)`` index)."""
    customer_ids = [pk for pk in set(customer_ids) if pk is not None]
    if not customer_ids:
        return {}
    newest = (
        Interaction.objects.filter(customer_id=OuterRef("pk"), agent__isnull=False)
        .order_by("-offered_at")
        .values("agent_id")[:1]
    )
    rows = (
        Customer.objects.filter(pk__in=customer_ids)
        .annotate(last_agent=Subquery(newest))
        .values_list("pk", "last_agent")
    )
    return {pk: agent for pk, agent in rows if agent is not None}


#: The declines and timeouts of items since a time (compiled once: each dispatch reads them).
_REFUSED = CompiledRows(
    lambda item_ids, since: WorkOffer.objects.filter(
        item_id__in=item_ids,
        outcome__in=[OfferOutcome.DECLINED, OfferOutcome.TIMED_OUT],
        answered_at__gte=since,
    ).values_list("item_id", "agent_id", "answered_at", "item__queue_id"),
    samples=[Many(-7_400_000), SAMPLE_TIME],
)


def recently_refused(*, item_ids: Iterable[int], now: datetime, rules: dict[int, QueueRules]) -> dict[int, set[int]]:
    """item id → the agents who declined it or let it time out within its queue's offer timeout
    (they are not offered it again before). One query."""
    item_ids = list(item_ids)
    if not item_ids:
        return {}
    longest = max((rule.offer_timeout_seconds for rule in rules.values()), default=30)
    rows = _REFUSED.fetch(item_ids, now - timedelta(seconds=longest))
    refused: dict[int, set[int]] = defaultdict(set)
    for item_id, agent_id, answered_at, queue_id in rows:
        rule = rules.get(queue_id)
        if rule is None or answered_at >= now - timedelta(seconds=rule.offer_timeout_seconds):
            refused[item_id].add(agent_id)
    return refused


def customer_by_phone(phone: str) -> int | None:
    """The id of the customer holding ``phone`` (any usual format), ``None`` when nobody or not a
    number. One query at most."""
    e164 = try_normalize_phone(phone)
    if e164 is None:
        return None
    return (
        ContactPoint.objects.filter(kind=ContactPoint.Kind.PHONE, value=e164)
        .order_by("customer_id")
        .values_list("customer_id", flat=True)
        .first()
    )


def next_agent(*, queue: Queue, customer_id: int | None = None, now: datetime | None = None) -> Choice:
    """Who would be offered a new piece of the queue's work now (its channel's kind), and why."""
    now = now or timezone.now()
    rules = queue_rules(queue_ids=[queue.pk])[queue.pk]
    preferred = None
    if rules.prefer_last_agent and customer_id is not None:
        preferred = last_agents(customer_ids=[customer_id]).get(customer_id)
    kind = CHANNEL_KIND.get(queue.channel, WorkKind.CHAT)
    demand = Demand(
        queue_id=queue.pk,
        channel=KIND_CHANNEL[kind],
        required=rules.required,
        blending=rules.blending,
        preferred=preferred,
    )
    candidates = routing_candidates(queue_ids=[queue.pk], ready_only=True, blending=rules.blending)
    return choose(candidates, demand, now=now)


def queues_waiting_for(*, user_id: int) -> list[int]:
    """The queues of the agent where work waits. One query."""
    return [queue_id for (queue_id,) in _QUEUES_WAITING.fetch(user_id)]


#: An agent's queues where work waits (compiled once: every move to available reads them).
_QUEUES_WAITING = CompiledRows(
    lambda user_id: (
        WorkItem.objects.filter(state=WorkState.WAITING, queue__agents__user_id=user_id)
        .order_by()
        .values_list("queue_id")
        .distinct()
    ),
    samples=[-7_500_001],
)


#: An item with its queue and assignee (compiled once: every answer to an offer shows it).
_ITEM_SHOWN = CompiledQuery(
    lambda item_id: WorkItem.objects.select_related("queue", "assigned_to").filter(pk=item_id)[:1],
    samples=[-7_600_031],
)


def answered_item(*, item_id: int) -> WorkItem:
    """The item an offer's answer shows, with its queue and assignee. One query."""
    item = _ITEM_SHOWN.first(item_id)
    if item is None:
        raise WorkItem.DoesNotExist(item_id)
    return item


def open_offer_of(*, offer_id: int, user: object) -> WorkOffer | None:
    """Offer ``offer_id`` when it was made to ``user`` (any outcome), else ``None``. One query."""
    return WorkOffer.objects.filter(pk=offer_id, agent_id=getattr(user, "pk", None)).first()


def waiting_filter(queue_ids: Iterable[int] | None) -> Q:
    condition = Q(state=WorkState.WAITING)
    if queue_ids is not None:
        condition &= Q(queue_id__in=list(queue_ids))
    return condition


# --- Tickets offered per queue, the agent's offer and work (the desk) --------------------------------

#: The cache group of the queues whose tickets are routed.
TICKET_QUEUES = "routing-ticket-queues"


class AllQueues:
    """Every queue (``ROUTING_TICKETS=1``): ``queue_id in ALL_QUEUES`` is always true."""

    def __contains__(self, queue_id: object) -> bool:
        return True

    def __bool__(self) -> bool:
        return True


ALL_QUEUES = AllQueues()


def ticket_routed_queue_ids() -> frozenset[int] | AllQueues:
    """The queues whose tickets are offered to agents: those whose routing says so
    (``routes_tickets``), or every queue with ``ROUTING_TICKETS=1``. No query while no queue's
    routing has changed (kept in the cache, :mod:`contactcenter.core.cached`)."""
    if settings.ROUTING_TICKETS:
        return ALL_QUEUES
    return cached_read(
        TICKET_QUEUES,
        "ids",
        lambda: frozenset(QueueRouting.objects.filter(routes_tickets=True).values_list("queue_id", flat=True)),
    )


def queue_routing_changed(**kwargs: object) -> None:
    """Receiver of the queue routings' ``post_save``/``post_delete``: every process reads again which
    queues route their tickets."""
    cached_forget(TICKET_QUEUES)


def agent_open_offer(*, user: object) -> WorkOffer | None:
    """The open offer made to ``user`` (at most one), with its item's queue, customer and ticket
    joined: what the desk's offer card shows. One query."""
    return (
        WorkOffer.objects.filter(agent_id=getattr(user, "pk", None), outcome=OfferOutcome.OPEN)
        .select_related("item__queue", "item__customer", "item__ticket")
        .first()
    )


@dataclass(frozen=True)
class ChannelLoad:
    """The agent's assigned work on one channel and how much they take at once."""

    channel: str
    label: str
    load: int
    capacity: int

    @property
    def full(self) -> bool:
        return self.load >= self.capacity


@dataclass(frozen=True)
class AgentWork:
    """The work assigned to an agent and not done, oldest first, and their load per channel."""

    items: list[WorkItem]
    loads: list[ChannelLoad]


#: The channels routed work uses, in the order the desk shows them.
WORK_CHANNELS = (
    (Channel.VOICE, Channel.VOICE.label),
    (Channel.CHAT, Channel.CHAT.label),
    (Channel.EMAIL, Channel.EMAIL.label),
)


def agent_work(*, user: object, limit: int = 50) -> AgentWork:
    """The items assigned to ``user`` and not done (up to ``limit``, oldest first, their queue,
    customer and ticket joined) and their load against their capacity per channel (open calls
    count as voice). Three queries: the items, the capacities, the open calls."""
    user_id = getattr(user, "pk", None)
    items = list(
        WorkItem.objects.filter(assigned_to_id=user_id, state=WorkState.ASSIGNED)
        .select_related("queue", "customer", "ticket")
        .order_by("assigned_at", "pk")[: limit + 1]
    )
    row = AgentRouting.objects.filter(profile__user_id=user_id).first()
    capacity = (
        {Channel.VOICE: row.voice_capacity, Channel.CHAT: row.chat_capacity, Channel.EMAIL: row.email_capacity}
        if row is not None
        else DEFAULT_CAPACITY
    )
    load: dict[str, int] = defaultdict(int)
    if len(items) > limit:  # more than the list shows (past any usual capacity): counted in SQL
        assigned = WorkItem.objects.filter(assigned_to_id=user_id, state=WorkState.ASSIGNED)
        for kind, count in assigned.values_list("kind").annotate(n=Count("pk")).order_by():
            load[KIND_CHANNEL[kind]] += count
    else:
        for item in items:
            load[item.channel] += 1
    load[Channel.VOICE] += Interaction.objects.filter(
        agent_id=user_id, answered_at__isnull=False, wrapup_ended_at__isnull=True, cti_call__isnull=False
    ).count()
    loads = [
        ChannelLoad(channel=channel, label=str(label), load=load[channel], capacity=capacity.get(channel, 0))
        for channel, label in WORK_CHANNELS
    ]
    return AgentWork(items=items[:limit], loads=loads)


# --- Callbacks ------------------------------------------------------------------------------------


def promised_agents(*, item_ids: Iterable[int]) -> dict[int, int]:
    """callback work item id → the agent who promised the callback. One query; none without items."""
    item_ids = list(item_ids)
    if not item_ids:
        return {}
    rows = Callback.objects.filter(work_item_id__in=item_ids, promised_by__isnull=False).values_list(
        "work_item_id", "promised_by_id"
    )
    return dict(rows)


def callback_list(*, user: AbstractBaseUser) -> QuerySet[Callback]:
    """The callbacks ``user`` may see, soonest due first, with what a list shows (one query a page)."""
    return Callback.objects.visible_to(user).select_related("queue", "promised_by").order_by("due_at", "id")


def callback_detail(*, user: AbstractBaseUser) -> QuerySet[Callback]:
    """As :func:`callback_list`, with each callback's attempts (one more query)."""
    return callback_list(user=user).prefetch_related(
        Prefetch("attempt_log", queryset=CallbackAttempt.objects.select_related("agent"))
    )


def callback_counts(*, queryset: QuerySet[Callback]) -> dict[str, int]:
    """How many of ``queryset``'s callbacks are in each state (every state named, 0 included), and
    among those tried, how many were kept on time (``kept_on_time``) or not (``late``). One query."""
    counts = dict.fromkeys(CallbackState.values, 0) | {"kept_on_time": 0, "late": 0}
    for state, kept, count in queryset.order_by().values_list("state", "kept_on_time").annotate(n=Count("pk")):
        counts[state] += count
        if kept is not None:
            counts["kept_on_time" if kept else "late"] += count
    return counts


def my_callbacks(*, user: AbstractBaseUser, now: datetime | None = None) -> list[Callback]:
    """The desk's "my callbacks": those in ``user``'s hands (their accepted work item) first, then
    the open ones they promised, soonest due first. One query."""
    rows = (
        Callback.objects.filter(
            Q(work_item__assigned_to=user, work_item__state=WorkState.ASSIGNED, state=CallbackState.IN_PROGRESS)
            | Q(promised_by=user, state__in=CALLBACK_OPEN_STATES)
        )
        .select_related("queue", "customer")
        .order_by("due_at", "id")[:50]
    )
    return sorted(rows, key=lambda row: (row.state != CallbackState.IN_PROGRESS, row.due_at, row.pk))


def callback_promised_on(*, interaction_id: int) -> Callback | None:
    """The callback the log of contact ``interaction_id`` promised (the newest), ``None``. One query."""
    return Callback.objects.filter(interaction_id=interaction_id).order_by("-created_at", "-id").first()


def callback_for_desk(*, user: AbstractBaseUser, callback_id: int) -> Callback | None:
    """Callback ``callback_id`` when ``user`` may work it on the desk: one they see (their own and
    their queues') or one whose work item they accepted. One query."""
    return (
        Callback.objects.filter(
            Q(pk__in=Callback.objects.visible_to(user).filter(pk=callback_id).values("pk"))
            | Q(pk=callback_id, work_item__assigned_to=user)
        )
        .select_related("queue", "customer")
        .first()
    )
