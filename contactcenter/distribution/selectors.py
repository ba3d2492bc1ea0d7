"""Reads of the routing (``docs/routing.md``): the queues' settings, the agents as the rules see
them (:class:`~contactcenter.distribution.selection.Candidate`), the customers' last agents, and
the next agent of a queue. Each read is a fixed number of queries, whatever the number of agents
or items."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from contactcenter.agents.models import AgentProfile, Queue
from contactcenter.core.choices import Channel
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
from contactcenter.distribution.selection import Candidate, Choice, Demand, choose
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


def queue_rules(*, queue_ids: Iterable[int]) -> dict[int, QueueRules]:
    """The routing rules of each queue. Three queries: the queues with their settings, their
    skills, the levels asked."""
    queue_ids = list(queue_ids)
    queues = Queue.objects.filter(pk__in=queue_ids).select_related("routing")
    skills: dict[int, list[int]] = defaultdict(list)
    for queue_id, skill_id in Queue.skills.through.objects.filter(queue_id__in=queue_ids).values_list(
        "queue_id", "skill_id"
    ):
        skills[queue_id].append(skill_id)
    levels = {
        (queue_id, skill_id): level
        for queue_id, skill_id, level in QueueSkillLevel.objects.filter(queue_id__in=queue_ids).values_list(
            "queue_id", "skill_id", "level"
        )
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


def routing_candidates(*, queue_ids: Iterable[int]) -> list[Candidate]:
    """The active agents of the queues, as the rules see them. Seven queries: the members, their
    profiles, skills, skill levels, capacities, assigned work and open calls, whatever their
    number."""
    members: dict[int, set[int]] = defaultdict(set)
    for profile_id, queue_id in AgentProfile.queues.through.objects.filter(queue_id__in=list(queue_ids)).values_list(
        "agentprofile_id", "queue_id"
    ):
        members[profile_id].add(queue_id)
    if not members:
        return []
    profiles = list(
        AgentProfile.objects.filter(pk__in=members, user__is_active=True)
        .select_related("user")
        .only(
            "pk",
            "user_id",
            "user__username",
            "status",
            "status_since",
            "pending_status",
            "work_offered",
        )
    )
    profile_ids = [profile.pk for profile in profiles]
    user_ids = [profile.user_id for profile in profiles]
    held: dict[int, dict[int, int]] = defaultdict(dict)
    for profile_id, skill_id in AgentProfile.skills.through.objects.filter(agentprofile_id__in=profile_ids).values_list(
        "agentprofile_id", "skill_id"
    ):
        held[profile_id][skill_id] = 1
    for profile_id, skill_id, level in AgentSkillLevel.objects.filter(profile_id__in=profile_ids).values_list(
        "profile_id", "skill_id", "level"
    ):
        if skill_id in held[profile_id]:  # a level counts for a skill the agent holds
            held[profile_id][skill_id] = level
    capacities = {
        row.profile_id: {
            Channel.VOICE: row.voice_capacity,
            Channel.CHAT: row.chat_capacity,
            Channel.EMAIL: row.email_capacity,
        }
        for row in AgentRouting.objects.filter(profile_id__in=profile_ids)
    }
    load: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    assigned = (
        WorkItem.objects.filter(assigned_to_id__in=user_ids, state=WorkState.ASSIGNED)
        .values_list("assigned_to_id", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for user_id, kind, count in assigned:
        load[user_id][KIND_CHANNEL[kind]] += count
    calls = (
        Interaction.objects.filter(
            agent_id__in=user_ids, answered_at__isnull=False, wrapup_ended_at__isnull=True, cti_call__isnull=False
        )
        .values_list("agent_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for user_id, count in calls:
        load[user_id][Channel.VOICE] += count
    return [
        Candidate(
            user_id=profile.user_id,
            username=profile.user.username,
            status=profile.status,
            since=profile.status_since,
            queue_ids=frozenset(members[profile.pk]),
            levels=dict(held[profile.pk]),
            load=dict(load[profile.user_id]),
            capacity=capacities.get(profile.pk, DEFAULT_CAPACITY),
            pending=bool(profile.pending_status),
            offered=profile.work_offered,
        )
        for profile in profiles
    ]


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


def recently_refused(*, item_ids: Iterable[int], now: datetime, rules: dict[int, QueueRules]) -> dict[int, set[int]]:
    """item id → the agents who declined it or let it time out within its queue's offer timeout
    (they are not offered it again before). One query."""
    item_ids = list(item_ids)
    if not item_ids:
        return {}
    longest = max((rule.offer_timeout_seconds for rule in rules.values()), default=30)
    rows = WorkOffer.objects.filter(
        item_id__in=item_ids,
        outcome__in=[OfferOutcome.DECLINED, OfferOutcome.TIMED_OUT],
        answered_at__gte=now - timedelta(seconds=longest),
    ).values_list("item_id", "agent_id", "answered_at", "item__queue_id")
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
    return choose(routing_candidates(queue_ids=[queue.pk]), demand, now=now)


def queues_waiting_for(*, user_id: int) -> list[int]:
    """The queues of the agent where work waits. One query."""
    return list(
        WorkItem.objects.filter(state=WorkState.WAITING, queue__agents__user_id=user_id)
        .order_by()
        .values_list("queue_id", flat=True)
        .distinct()
    )


def open_offer_of(*, offer_id: int, user: object) -> WorkOffer | None:
    """Offer ``offer_id`` when it was made to ``user`` (any outcome), else ``None``. One query."""
    return WorkOffer.objects.filter(pk=offer_id, agent_id=getattr(user, "pk", None)).first()


def waiting_filter(queue_ids: Iterable[int] | None) -> Q:
    condition = Q(state=WorkState.WAITING)
    if queue_ids is not None:
        condition &= Q(queue_id__in=list(queue_ids))
    return condition


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
