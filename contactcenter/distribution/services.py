"""Every write of the routing (``docs/routing.md``): work items in, offers out, answers back.

* **One item, one agent.** The dispatcher (:func:`routing_dispatch`) takes the waiting items with
  ``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL; on SQLite every transaction takes the write lock
  at its start, ``transaction_mode=IMMEDIATE``, so dispatchers run one after the other), and moves
  an item out of ``waiting`` with a conditional ``UPDATE``. An agent is locked without waiting
  (:func:`~contactcenter.agents.states.agent_try_lock`) and checked again once locked, so two
  dispatchers never offer one item twice nor one agent two items; the database says so too (one
  open offer per item and per agent).
* **Answers.** Accepting, declining and the offer timeout lock the item first and check that its
  offer is still the open one; an item is assigned once.
* **Locks** in a fixed order: a ticket, then its work items, then the agent's profile (the
  state machine), as the CTI intake locks a call before the profile.
* **States.** An offer rings the agent (:func:`~contactcenter.agents.states.agent_state_offer`);
  its end frees them; a timeout sends them on a ``missed`` break.
* **After commit.** The offer reaches the agent's socket; a new item, a declined or timed-out
  offer, finished work and an agent becoming available run the dispatcher again.
* **Callbacks** (:func:`callback_create`): due, a callback waits in its queue as a ``callback`` work
  item, offered first to the agent who promised it; its attempts' outcomes say whether it is done,
  tried again later or missed. Locks: a callback's work item before the callback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contactcenter.agents.models import AgentProfile, Queue, Skill, Status
from contactcenter.agents.states import agent_state_offer, agent_try_lock
from contactcenter.core.choices import Channel
from contactcenter.core.compiled import SAMPLE_TIME, CompiledQuery, Many
from contactcenter.core.db import full_clean
from contactcenter.core.jobs import enqueue_at, job
from contactcenter.core.roles import AGENT, role_of
from contactcenter.distribution import events, queue_state, selectors
from contactcenter.distribution.models import (
    CALLBACK_OPEN_STATES,
    CALLBACK_RETRIED_OUTCOMES,
    MAX_LEVEL,
    MAX_PRIORITY,
    MIN_LEVEL,
    OPEN_STATES,
    AgentSkillLevel,
    Callback,
    CallbackAttempt,
    CallbackOutcome,
    CallbackState,
    MoveTarget,
    OfferOutcome,
    WorkItem,
    WorkItemMove,
    WorkKind,
    WorkOffer,
    WorkState,
)
from contactcenter.distribution.selection import Candidate, Demand, choose, jump_at, refusal
from contactcenter.telephony.models import Capability, Command
from contactcenter.telephony.services import AgentOnContact, NoBridge, call_dial, capabilities_online
from customers.models import Customer
from customers.phones import normalize_phone
from interactions.models import Priority, Ticket, TicketStatus
from interactions.services import ticket_lock, ticket_update

logger = logging.getLogger(__name__)

#: Waiting items one dispatcher takes at once.
DISPATCH_BATCH = 50
#: Offers past their time reclaimed per run of the timeout job.
EXPIRE_BATCH = 500
#: A ticket's priority moves its item's priority from the queue's.
TICKET_PRIORITY_STEP = {Priority.LOW: -10, Priority.NORMAL: 0, Priority.HIGH: 10, Priority.URGENT: 20}
#: The ticket statuses whose tickets wait for an agent when nobody holds them.
ROUTABLE_TICKET_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN)


#: Called inside :func:`offer_accept`'s transaction, ``hook(item=, by=, now=)``: what an app above
#: this one does when its work is accepted (a chat becomes the agent's), without this app importing it.
_accepted_hooks: list[Callable[..., None]] = []


def offer_accepted_hook_register(hook: Callable[..., None]) -> None:
    """Call ``hook(item=, by=, now=)`` in every :func:`offer_accept`, once the item is the agent's
    and inside its transaction (once, from an ``AppConfig.ready``; registered twice, called once)."""
    if hook not in _accepted_hooks:
        _accepted_hooks.append(hook)


class OfferGone(Exception):
    """The offer is not open any more (answered, timed out, withdrawn): the API answers 409."""


class OfferNotFound(Exception):
    """No such offer made to this user: the API answers 404."""


# --- Items in -------------------------------------------------------------------------------------


def _clamp(priority: int) -> int:
    return max(0, min(MAX_PRIORITY, priority))


@transaction.atomic
def work_item_enqueue(
    *,
    kind: str,
    queue: Queue,
    customer: Customer | None = None,
    ticket: Ticket | None = None,
    priority: int | None = None,
    required_skills: Iterable[tuple[int, int]] | None = None,
    sla_due_at: datetime | None = None,
    arrived_at: datetime | None = None,
    dispatch: bool = True,
) -> WorkItem:
    """Put a piece of work in ``queue``'s line: it waits for an agent (dispatched after commit;
    ``dispatch=False``: the caller, putting many items in line, dispatches once).

    By default it takes the queue's priority and required skills, and is due the queue's service
    level threshold after it arrived (now). From the queue's SLA jump threshold before that due
    time (``jump_at``) it passes ahead of older items of its priority."""
    rules = selectors.queue_rules(queue_ids=[queue.pk])[queue.pk]
    arrived_at = arrived_at or timezone.now()
    sla_due_at = sla_due_at or arrived_at + timedelta(seconds=rules.service_level_seconds)
    item = WorkItem(
        kind=kind,
        queue=queue,
        customer=customer,
        ticket=ticket,
        priority=_clamp(rules.priority if priority is None else priority),
        required_skills=[list(pair) for pair in (rules.required if required_skills is None else required_skills)],
        arrived_at=arrived_at,
        sla_due_at=sla_due_at,
        # Set once, from the queue's threshold when the item arrives.
        jump_at=jump_at(sla_due_at, rules.sla_jump_seconds),
    )
    full_clean(item, exclude=["queue", "customer", "ticket"])
    item.save()
    if dispatch:
        dispatch_on_commit([queue.pk])
    return item


def ticket_routable(ticket: Ticket) -> bool:
    """A ticket waits for an agent when it is in a queue, nobody holds it, and it is new or open."""
    return ticket.queue_id is not None and ticket.assignee_id is None and ticket.status in ROUTABLE_TICKET_STATUSES


def _ticket_due(ticket: Ticket) -> datetime | None:
    if ticket.first_responded_at is None and ticket.first_response_due is not None:
        return ticket.first_response_due
    return ticket.resolution_due


@transaction.atomic
def work_item_enqueue_ticket(*, ticket: Ticket, now: datetime | None = None, dispatch: bool = True) -> WorkItem | None:
    """Put ``ticket`` (in a queue, nobody's) in its queue's line, once: a ticket already waiting
    there keeps its place (its priority follows the ticket's); one waiting in another queue moves
    (its offer, if any, is withdrawn). ``None`` for a ticket that is not routable
    (:func:`ticket_routable`). The caller holds the ticket's lock or just created it."""
    if not ticket_routable(ticket):
        return None
    now = now or timezone.now()
    rules = selectors.queue_rules(queue_ids=[ticket.queue_id])[ticket.queue_id]
    priority = _clamp(rules.priority + TICKET_PRIORITY_STEP.get(ticket.priority, 0))
    for item in WorkItem.objects.select_for_update().filter(ticket=ticket, state__in=OPEN_STATES).order_by("pk"):
        if item.queue_id == ticket.queue_id and item.state != WorkState.ASSIGNED:
            if item.priority != priority:
                item.priority = priority
                item.save(update_fields=["priority", "updated_at"])
            return item
        _close(item, state=WorkState.CANCELLED, now=now)
    return work_item_enqueue(
        kind=WorkKind.TICKET,
        queue=ticket.queue,
        customer=ticket.customer,
        ticket=ticket,
        priority=priority,
        sla_due_at=_ticket_due(ticket),
        arrived_at=now,
        dispatch=dispatch,
    )


def ticket_followed(*, ticket: Ticket, created: bool, changed: frozenset[str]) -> None:
    """The ticket watcher (registered with :func:`interactions.services.ticket_watcher_register`),
    inside the ticket's transaction. A ticket put in a queue that routes its tickets
    (:func:`~contactcenter.distribution.selectors.ticket_routed_queue_ids`) with nobody holding it
    waits for an agent; one that someone takes, that leaves its queue (or its queue stops routing
    tickets), or that is no longer new or open leaves the line (its offer withdrawn); the work of an
    agent on a ticket that they resolve, put on hold or that goes to someone else is done (their
    capacity is freed). Nothing at all, not even a query, while no queue routes its tickets."""
    routed = selectors.ticket_routed_queue_ids()
    if not routed:
        return
    if created:
        if ticket_routable(ticket) and ticket.queue_id in routed:
            work_item_enqueue_ticket(ticket=ticket)
        return
    if ticket.assignee_id is not None and "assignee" not in changed:
        if "status" in changed and ticket.status not in ROUTABLE_TICKET_STATUSES:
            # The holder resolved it or put it on hold: their work on it is done. One UPDATE.
            finished = WorkItem.objects.filter(ticket=ticket, state=WorkState.ASSIGNED).update(
                state=WorkState.DONE, closed_at=timezone.now(), updated_at=timezone.now()
            )
            if finished:
                dispatch_on_commit([ticket.queue_id] if ticket.queue_id else None)
        return
    relevant = changed & {"queue", "status", "assignee", "priority"}
    if ticket_routable(ticket):
        if ticket.queue_id in routed:
            if relevant:
                work_item_enqueue_ticket(ticket=ticket)
            return
        if not relevant:  # waiting nowhere before this change either
            return
    now = timezone.now()
    items = (
        WorkItem.objects.select_for_update()
        .filter(ticket=ticket, state__in=OPEN_STATES)
        .exclude(state=WorkState.ASSIGNED, assigned_to_id=ticket.assignee_id)
        .order_by("pk")
    )
    for item in items:
        _close(item, state=WorkState.DONE if item.state == WorkState.ASSIGNED else WorkState.CANCELLED, now=now)


@transaction.atomic
def queue_tickets_routing_switched(*, queue: Queue, now: datetime | None = None) -> int:
    """The queue's routing now says whether its tickets are offered to agents (``routes_tickets``,
    or ``ROUTING_TICKETS=1`` for every queue): switched on, its tickets that nobody holds (new or
    open) join its line, oldest first; switched off, its tickets leave the line (waiting ones and
    open offers cancelled, the offer withdrawn; tickets an agent accepted are done: they keep the
    ticket, their capacity is freed). The number of tickets that joined or left. Each ticket is
    locked before its items, as a ticket's change locks them."""
    now = now or timezone.now()
    moved = 0
    if queue.pk in selectors.ticket_routed_queue_ids():
        tickets = (
            Ticket.objects.select_for_update(of=("self",))
            .filter(queue=queue, assignee__isnull=True, status__in=ROUTABLE_TICKET_STATUSES)
            .select_related("queue", "customer")
            .order_by("created_at", "pk")
        )
        for ticket in tickets:
            before = WorkItem.objects.filter(ticket=ticket, state__in=OPEN_STATES, queue=queue).exists()
            if work_item_enqueue_ticket(ticket=ticket, now=now, dispatch=False) is not None and not before:
                moved += 1
        if moved:
            dispatch_on_commit([queue.pk])  # once for them all
        return moved
    item_ids = list(
        WorkItem.objects.filter(queue=queue, kind=WorkKind.TICKET, state__in=OPEN_STATES)
        .order_by("ticket_id", "pk")
        .values_list("pk", "ticket_id")
    )
    for item_id, ticket_id in item_ids:
        if ticket_id is not None:
            ticket_lock(ticket_id)
        item = WorkItem.objects.select_for_update().filter(pk=item_id, state__in=OPEN_STATES).first()
        if item is not None:
            _close(item, state=WorkState.DONE if item.state == WorkState.ASSIGNED else WorkState.CANCELLED, now=now)
            moved += 1
    return moved


def _close(item: WorkItem, *, state: str, now: datetime) -> None:
    """Take the locked ``item`` out of the routing (``done`` or ``cancelled``); an open offer of it
    is withdrawn and its agent freed."""
    if item.state == WorkState.OFFERED:
        offer = WorkOffer.objects.filter(item=item, outcome=OfferOutcome.OPEN).first()
        if offer is not None:
            _answer(offer, OfferOutcome.WITHDRAWN, now)
    was_assigned = item.state == WorkState.ASSIGNED
    item.state, item.closed_at = state, now
    item.offered_to, item.offer_expires_at = None, None
    item.save(update_fields=["state", "closed_at", "offered_to", "offer_expires_at", "updated_at"])
    if was_assigned or item.state == WorkState.CANCELLED:
        dispatch_on_commit([item.queue_id])


@transaction.atomic
def work_item_finish(*, item: WorkItem, now: datetime | None = None) -> WorkItem:
    """The agent's work on ``item`` is over (a chat ended, an email answered): it is ``done``, their
    capacity is freed and waiting work is offered again."""
    now = now or timezone.now()
    locked = WorkItem.objects.select_for_update().get(pk=item.pk)
    if locked.state in OPEN_STATES:
        _close(locked, state=WorkState.DONE, now=now)
    return locked


@transaction.atomic
def work_item_cancel(*, item: WorkItem, now: datetime | None = None) -> WorkItem:
    """Nobody needs to take ``item`` any more (the visitor left the chat before an agent took it):
    a waiting or offered item is ``cancelled`` (an open offer withdrawn); one an agent holds is
    ``done`` (their capacity freed)."""
    now = now or timezone.now()
    locked = WorkItem.objects.select_for_update().get(pk=item.pk)
    if locked.state in OPEN_STATES:
        state = WorkState.DONE if locked.state == WorkState.ASSIGNED else WorkState.CANCELLED
        _close(locked, state=state, now=now)
    return locked


# --- Offers out ---------------------------------------------------------------------------------------


def waiting_order(now: datetime) -> list:
    """The order of the waiting items in SQL, as :func:`~contactcenter.distribution.selection.order_key`
    says it: priority, then due within the jump threshold (``jump_at`` passed), then oldest."""
    near_due = Case(When(jump_at__lte=now, then=Value(0)), default=Value(1), output_field=IntegerField())
    return ["-priority", near_due, "arrived_at", "pk"]


@cache
def _waiting_query(limit: int, every_queue: bool) -> CompiledQuery[WorkItem]:
    """The dispatcher's read of the waiting items, compiled once per batch size and scope."""

    def build(now: datetime, queue_ids: list[int] | None = None) -> QuerySet[WorkItem]:
        return (
            WorkItem.objects.select_for_update(skip_locked=True)
            .filter(selectors.waiting_filter(queue_ids))
            .order_by(*waiting_order(now))
            # What the rules read (the other fields of a batch's rows cost more to load than to read).
            .only("pk", "kind", "queue_id", "priority", "required_skills", "customer_id", "ticket_id")[:limit]
        )

    return CompiledQuery(build, samples=[SAMPLE_TIME] if every_queue else [SAMPLE_TIME, Many(-7_300_000)])


def _waiting(queue_ids: list[int] | None, now: datetime, limit: int) -> list[WorkItem]:
    query = _waiting_query(limit, queue_ids is None)
    return query.fetch(now) if queue_ids is None else query.fetch(now, queue_ids)


def routing_dispatch(
    *, queue_ids: Iterable[int] | None = None, now: datetime | None = None, limit: int = DISPATCH_BATCH
) -> list[WorkOffer]:
    """Offer the waiting items of ``queue_ids`` (all queues: ``None``) to the agents the rules
    choose (:func:`~contactcenter.distribution.selection.choose`), in the items' order, one offer per
    agent; up to ``limit`` items, in one transaction. Items offered by another dispatcher at the
    same time are skipped, not waited for. Returns the offers made."""
    clock = now is None  # each offer is timed when it is made (see _offer)
    now = now or timezone.now()
    queue_ids = None if queue_ids is None else sorted(set(queue_ids))
    with transaction.atomic():
        items = _waiting(queue_ids, now, limit)
        if not items:
            return []
        rules = selectors.queue_rules(queue_ids={item.queue_id for item in items})
        blending = any(rule.blending for rule in rules.values())
        # Only the agents who could take some work now, chosen by the database: the items' loop
        # scans them for each item.
        pool = selectors.routing_candidates(queue_ids=rules, ready_only=True, blending=blending)
        if not pool:
            return []
        preferring = [item.customer_id for item in items if rules[item.queue_id].prefer_last_agent]
        lasts = selectors.last_agents(customer_ids=preferring)
        promised = selectors.promised_agents(item_ids=[item.pk for item in items if item.kind == WorkKind.CALLBACK])
        refused = selectors.recently_refused(item_ids=[item.pk for item in items], now=now, rules=rules)
        offers: list[WorkOffer] = []
        for item in items:
            if not pool:
                break
            rule = rules[item.queue_id]
            demand = Demand(
                queue_id=item.queue_id,
                channel=item.channel,
                required=tuple((int(skill), int(level)) for skill, level in item.required_skills),
                blending=rule.blending,
                preferred=lasts.get(item.customer_id) if rule.prefer_last_agent else None,
                excluded=frozenset(refused.get(item.pk, ())),
                promised=promised.get(item.pk),
            )
            while True:
                choice = choose(pool, demand, now=now)
                if choice.agent is None:
                    break
                pool = [candidate for candidate in pool if candidate.user_id != choice.agent.user_id]
                offer = _offer(
                    item, choice.agent, rule=choice.rule, timeout=rule.offer_timeout_seconds, now=None if clock else now
                )
                if offer is not None:
                    offers.append(offer)
                    break
        return offers


def _offer(item: WorkItem, candidate: Candidate, *, rule: str, timeout: int, now: datetime | None) -> WorkOffer | None:
    """Offer the locked ``item`` to ``candidate`` if their profile, locked without waiting, is as
    the rules read it (nothing offered, status unchanged since); ``None`` otherwise. The offer's
    time (``now``, else the clock's) is taken once both rows are locked: after the commit of whatever
    freed either (an offer's answer), so that neither's offers overlap in time."""
    profile = agent_try_lock(user_id=candidate.user_id)
    if (
        profile is None
        or profile.work_offered
        or profile.pending_status
        or (profile.status, profile.status_since) != (candidate.status, candidate.since)
    ):
        return None
    now = now or timezone.now()
    expires_at = now + timedelta(seconds=timeout)
    offer = WorkOffer(item=item, agent_id=candidate.user_id, rule=rule, offered_at=now, expires_at=expires_at)
    full_clean(offer, exclude=["item", "agent"])
    offer.save()
    moved = WorkItem.objects.filter(pk=item.pk, state=WorkState.WAITING).update(
        state=WorkState.OFFERED, offered_to_id=candidate.user_id, offer_expires_at=expires_at, updated_at=now
    )
    if moved != 1:  # cannot happen while the item's row is ours: stop rather than offer it twice
        raise RuntimeError(f"work item {item.pk} left the line while locked")
    agent_state_offer(user_id=candidate.user_id, offered=True, at=now, locked=profile)
    events.offer_on_commit(offer)
    # The timeout, on time (the periodic job is the safety net).
    enqueue_at(expires_at, routing_offer_timeout, item.pk)
    return offer


def _dispatch_safely(queue_ids: list[int] | None) -> None:
    try:
        routing_dispatch(queue_ids=queue_ids)
    except Exception:  # the change that asked for it stands; the periodic job dispatches again
        logger.exception("routing dispatch after commit failed")


def dispatch_on_commit(queue_ids: Iterable[int] | None) -> None:
    """Run the dispatcher for ``queue_ids`` (``None``: every queue) once the transaction commits."""
    ids = None if queue_ids is None else sorted(set(queue_ids))
    transaction.on_commit(lambda: _dispatch_safely(ids))


def routing_agent_available(user_id: int) -> None:
    """The state machine's hook, after the commit of an agent's move to ``available``: offer them
    (and their queues' other agents) the waiting work of their queues. One query when nothing waits."""
    try:
        queue_ids = selectors.queues_waiting_for(user_id=user_id)
        if queue_ids:
            routing_dispatch(queue_ids=queue_ids)
    except Exception:
        logger.exception("routing dispatch for an available agent failed")


@dataclass(frozen=True)
class SkillRaise:
    """What :func:`agent_skill_raise` did: the level held before (0: not held) and after."""

    skill_id: int
    before: int
    after: int


@transaction.atomic
def agent_skill_raise(*, agent: AbstractBaseUser, skill: Skill, level: int) -> SkillRaise | None:
    """Make ``agent`` hold ``skill`` at ``level`` at least, as routing reads it (the profile's
    skills, their :class:`AgentSkillLevel`): a skill not held is added at ``level``; one held
    lower is raised; one held at ``level`` or higher is never lowered. ``None`` for a user with no
    agent profile. Once committed, the agent's queues are dispatched again: work waiting for that
    skill may now be offered to them."""
    if not MIN_LEVEL <= level <= MAX_LEVEL:
        raise ValidationError({"level": [_("A skill level is from 1 to 5.")]})
    profile = AgentProfile.objects.select_for_update().filter(user_id=agent.pk).first()
    if profile is None:
        return None
    held = profile.skills.filter(pk=skill.pk).exists()
    row = AgentSkillLevel.objects.filter(profile=profile, skill=skill).first()
    before = (row.level if row is not None else MIN_LEVEL) if held else 0
    after = max(before, level)
    if not held:
        profile.skills.add(skill)
    if row is None and after > MIN_LEVEL:
        AgentSkillLevel.objects.create(profile=profile, skill=skill, level=after)
    elif row is not None and row.level != after:
        row.level = after
        full_clean(row)
        row.save(update_fields=["level"])
    if after != before:
        dispatch_on_commit(list(profile.queues.values_list("pk", flat=True)))
    return SkillRaise(skill_id=skill.pk, before=before, after=after)


# --- Answers back -----------------------------------------------------------------------------------


def _answer(offer: WorkOffer, outcome: str, now: datetime):
    """Close the open ``offer`` with ``outcome`` and free its agent (a timeout: ``missed``); the
    agent's profile as saved."""
    offer.outcome, offer.answered_at = outcome, max(now, offer.offered_at)
    offer.save(update_fields=["outcome", "answered_at"])
    profile = agent_state_offer(user_id=offer.agent_id, offered=False, missed=outcome == OfferOutcome.TIMED_OUT, at=now)
    events.offer_closed_on_commit(offer)
    return profile


#: The answer's reads, compiled once (each answer runs them): an agent's offer with its item, then
#: the item locked.
_OFFER_OF = CompiledQuery(
    lambda offer_id, agent_id: WorkOffer.objects.filter(pk=offer_id, agent_id=agent_id).select_related("item")[:1],
    samples=[-7_600_011, -7_600_012],
)
_ITEM_LOCK = CompiledQuery(
    lambda item_id: WorkItem.objects.select_for_update().filter(pk=item_id)[:1], samples=[-7_600_013]
)


def _locked_open_offer(*, offer_id: int, by: AbstractBaseUser, now: datetime) -> tuple[WorkOffer, WorkItem]:
    offer = _OFFER_OF.first(offer_id, by.pk)
    if offer is None:
        raise OfferNotFound(offer_id)
    if offer.item.ticket_id is not None:
        ticket_lock(offer.item.ticket_id)  # a ticket before its items (module docstring, "Locks")
    item = _ITEM_LOCK.first(offer.item_id)
    # An offer ends only under its item's lock, and its end moves the item (assigned, waiting again,
    # withdrawn…): the locked item still offered to ``by`` until this offer's expiry is this offer,
    # still open, whatever happened between the read above and the lock. Another offer of the item to
    # them would expire at another time (its own offer time plus the timeout).
    if (
        offer.outcome != OfferOutcome.OPEN
        or item.state != WorkState.OFFERED
        or item.offered_to_id != by.pk
        or item.offer_expires_at != offer.expires_at
        or now >= offer.expires_at
    ):
        raise OfferGone(offer_id)
    offer.item = item
    return offer, item


@transaction.atomic
def offer_accept(*, offer_id: int, by: AbstractBaseUser, now: datetime | None = None) -> WorkItem:
    """``by`` accepts their open offer: the item is theirs (a ticket's assignee is them), once.
    :class:`OfferNotFound` for an offer not made to them, :class:`OfferGone` for one that is not
    open any more or past its time."""
    now = now or timezone.now()
    offer, item = _locked_open_offer(offer_id=offer_id, by=by, now=now)
    item.state, item.assigned_to_id, item.assigned_at = WorkState.ASSIGNED, by.pk, now
    item.offered_to, item.offer_expires_at = None, None
    item.save(update_fields=["state", "assigned_to", "assigned_at", "offered_to", "offer_expires_at", "updated_at"])
    _answer(offer, OfferOutcome.ACCEPTED, now)
    if item.ticket_id is not None:
        ticket_update(ticket=item.ticket, changes={"assignee": by}, by=None, now=now)
    if item.kind == WorkKind.CALLBACK:
        # The callback is in the agent's hands (the item is locked: items before callbacks).
        Callback.objects.filter(work_item=item, state=CallbackState.WAITING).update(
            state=CallbackState.IN_PROGRESS, updated_at=now
        )
    for hook in _accepted_hooks:
        hook(item=item, by=by, now=now)
    return item


@transaction.atomic
def offer_decline(*, offer_id: int, by: AbstractBaseUser, now: datetime | None = None) -> WorkItem:
    """``by`` declines their open offer: the item waits again and goes to the next agent (not to
    them again within the queue's offer timeout). Same refusals as :func:`offer_accept`."""
    now = now or timezone.now()
    offer, item = _locked_open_offer(offer_id=offer_id, by=by, now=now)
    _requeue(item, now)
    profile = _answer(offer, OfferOutcome.DECLINED, now)
    if profile is None or profile.status != Status.AVAILABLE:
        # An agent back to available runs the dispatcher of their queues (the state machine's
        # hook); otherwise (on a call, a break pending) the item's queue is dispatched here.
        dispatch_on_commit([item.queue_id])
    return item


def _requeue(item: WorkItem, now: datetime) -> None:
    item.state, item.offered_to, item.offer_expires_at = WorkState.WAITING, None, None
    item.save(update_fields=["state", "offered_to", "offer_expires_at", "updated_at"])


def offer_expire(*, item_id: int, now: datetime | None = None) -> bool:
    """Reclaim ``item_id`` if its offer is past its time: the item waits again, the agent who let it
    time out goes on a ``missed`` break. False when there was nothing to do (answered meanwhile,
    or another run holds it)."""
    now = now or timezone.now()
    with transaction.atomic():
        item = (
            WorkItem.objects.select_for_update(skip_locked=True)
            .filter(pk=item_id, state=WorkState.OFFERED, offer_expires_at__lte=now)
            .first()
        )
        if item is None:
            return False
        offer = WorkOffer.objects.filter(item=item, outcome=OfferOutcome.OPEN).first()
        _requeue(item, now)
        if offer is not None:
            _answer(offer, OfferOutcome.TIMED_OUT, now)
        return True


@job(retries=0)
def routing_offer_timeout(item_id: int) -> dict[str, bool]:
    """The timeout of one offer, queued for the moment it expires (:func:`_offer`); declared here
    rather than in ``tasks.py`` because the offer that queues it is made here.

    Runs twice safely: an item whose offer was answered or reclaimed is left alone. Not retried:
    the periodic ``routing_timeouts`` job reclaims whatever this one missed."""
    reclaimed = offer_expire(item_id=item_id)
    return {"reclaimed": reclaimed}


def offers_expire(*, now: datetime | None = None, limit: int = EXPIRE_BATCH) -> list[int]:
    """Reclaim every item whose offer is past its time (:func:`offer_expire`, each in its own
    transaction); the ids reclaimed. Nothing stays ``offered`` past its time once this runs."""
    now = now or timezone.now()
    due = WorkItem.objects.filter(state=WorkState.OFFERED, offer_expires_at__lte=now).order_by("offer_expires_at")
    return [item_id for item_id in due.values_list("pk", flat=True)[:limit] if offer_expire(item_id=item_id, now=now)]


# --- Moving work (supervisors, managers, admins) -----------------------------------------------------


#: The rule of an offer made by a supervisor's move (the offers' ``chosen by``).
RULE_MOVED = "moved"


class WorkItemGone(Exception):
    """The item is over (done or cancelled): nothing to move. The API answers 409."""


#: Why an agent may not be given an item now, in words (the codes of
#: :func:`~contactcenter.distribution.selection.refusal`).
MOVE_REFUSALS = {
    "status": gettext_lazy("%(name)s is not available (%(status)s)."),
    "pending": gettext_lazy("%(name)s has a status change waiting for the end of their contact."),
    "offered": gettext_lazy("%(name)s is being offered other work: wait for their answer."),
    "capacity": gettext_lazy("%(name)s has no room for more %(channel)s work (%(load)s of %(capacity)s)."),
    "voice": gettext_lazy("%(name)s is on voice work, which blocks other work in this queue."),
}


def _may_move_in(by: AbstractBaseUser, queue_id: int) -> bool:
    return queue_state.queues_for_moves(by).filter(pk=queue_id).exists()


def _person(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()


def _candidate(*, user_id: int) -> Candidate | None:
    """The agent ``user_id`` as the rules see them (through their own queues), ``None`` when they
    serve no queue or are inactive."""
    queue_ids = list(
        AgentProfile.queues.through.objects.filter(agentprofile__user_id=user_id).values_list("queue_id", flat=True)
    )
    return next(iter(selectors.routing_candidates(queue_ids=queue_ids, user_id=user_id)), None)


def _refusal_text(code: str, candidate: Candidate, agent: AbstractBaseUser, channel: str) -> str:
    return MOVE_REFUSALS[code] % {
        "name": _person(agent),
        "status": Status(candidate.status).label,
        "channel": Channel(channel).label,
        "load": candidate.load.get(channel, 0),
        "capacity": candidate.capacity.get(channel, 0),
    }


def _log_move(item: WorkItem, *, by: AbstractBaseUser, target: str, before: tuple, now: datetime) -> WorkItemMove:
    state, queue_id, agent_id = before
    move = WorkItemMove(
        item=item,
        moved_by=by,
        moved_at=now,
        target=target,
        state_before=state,
        from_queue_id=queue_id,
        to_queue_id=item.queue_id,
        from_agent_id=agent_id,
        to_agent_id=item.offered_to_id or item.assigned_to_id,
    )
    move.save()
    return move


def _withdraw(item: WorkItem, now: datetime) -> None:
    """Withdraw the open offer of the locked, offered ``item``: it waits again, its agent is freed
    (not sent on a break)."""
    offer = WorkOffer.objects.filter(item=item, outcome=OfferOutcome.OPEN).first()
    _requeue(item, now)
    if offer is not None:
        _answer(offer, OfferOutcome.WITHDRAWN, now)


def _move_to_queue(item: WorkItem, queue: Queue, *, by: AbstractBaseUser, holder: bool, now: datetime) -> None:
    held = item.state == WorkState.ASSIGNED
    if held and item.ticket_id is not None:
        raise ValidationError({"queue": _("Work an agent holds moves to another agent, not to a queue.")})
    if queue.pk == item.queue_id and not held:
        raise ValidationError({"queue": _("The item is in %(queue)s already.") % {"queue": queue.name}})
    if holder:
        # Its own agent hands it back: to any active queue of its channel.
        if not queue.is_active or queue.channel != item.channel:
            raise ValidationError({"queue": _("%(name)s does not take this kind of work.") % {"name": queue.name}})
    elif not queue.is_active or not _may_move_in(by, queue.pk):
        raise ValidationError({"queue": _("%(name)s is not a queue your team serves.") % {"name": queue.name}})
    if item.state == WorkState.OFFERED:
        _withdraw(item, now)
    elif held:
        # Waiting again (its arrival time kept), its agent's room freed.
        previous_queue_id = item.queue_id
        item.state, item.assigned_to, item.assigned_at = WorkState.WAITING, None, None
        item.save(update_fields=["state", "assigned_to", "assigned_at", "updated_at"])
        dispatch_on_commit([previous_queue_id])
    rules = selectors.queue_rules(queue_ids=[queue.pk])[queue.pk]
    item.queue = queue
    item.required_skills = [list(pair) for pair in rules.required]
    if item.ticket_id is not None:
        item.priority = _clamp(rules.priority + TICKET_PRIORITY_STEP.get(item.ticket.priority, 0))
    else:
        item.priority = rules.priority
        item.sla_due_at = item.arrived_at + timedelta(seconds=rules.service_level_seconds)
    item.jump_at = jump_at(item.sla_due_at, rules.sla_jump_seconds)
    item.save(update_fields=["queue", "required_skills", "priority", "sla_due_at", "jump_at", "updated_at"])
    if item.ticket_id is not None:
        # The ticket follows its work: the watcher finds the item in the ticket's new queue and keeps it.
        ticket_update(ticket=item.ticket, changes={"queue": queue}, by=by, now=now)
    dispatch_on_commit([queue.pk])


def _give_to_agent(item: WorkItem, agent: AbstractBaseUser, *, by: AbstractBaseUser, now: datetime) -> None:
    holder = item.offered_to_id or item.assigned_to_id
    if holder == agent.pk:
        raise ValidationError({"agent": _("%(name)s has this item already.") % {"name": _person(agent)}})
    busy = _("%(name)s is busy right now: try again.") % {"name": _person(agent)}
    # Assigned: their load is read under their lock (their row stays ours until the commit).
    if item.state == WorkState.ASSIGNED and agent_try_lock(user_id=agent.pk) is None:
        raise ValidationError({"agent": busy})
    candidate = _candidate(user_id=agent.pk)
    if candidate is None:
        raise ValidationError({"agent": _("%(name)s serves no queue.") % {"name": _person(agent)}})
    channel = item.channel
    if item.state == WorkState.ASSIGNED:
        # Reassigned at once: only their room for the channel counts (they may be on a break).
        if candidate.load.get(channel, 0) >= candidate.capacity.get(channel, 0):
            raise ValidationError({"agent": _refusal_text("capacity", candidate, agent, channel)})
        item.assigned_to_id, item.assigned_at = agent.pk, now
        item.save(update_fields=["assigned_to", "assigned_at", "updated_at"])
        if item.ticket_id is not None:
            ticket_update(ticket=item.ticket, changes={"assignee": agent}, by=by, now=now)
        dispatch_on_commit([item.queue_id])  # the previous holder has room again
        return
    # Offered to them now, ahead of the line: the rules' checks, but for the queue and the skills.
    rules = selectors.queue_rules(queue_ids=[item.queue_id])[item.queue_id]
    demand = Demand(queue_id=item.queue_id, channel=channel, blending=rules.blending)
    code = refusal(replace(candidate, queue_ids=frozenset({item.queue_id})), demand)
    if code is not None:
        raise ValidationError({"agent": _refusal_text(code, candidate, agent, channel)})
    if item.state == WorkState.OFFERED:
        _withdraw(item, now)
    offer = _offer(item, candidate, rule=RULE_MOVED, timeout=rules.offer_timeout_seconds, now=now)
    if offer is None:  # their row is another transaction's, or their status just changed
        raise ValidationError({"agent": busy})
    item.state, item.offered_to_id, item.offer_expires_at = WorkState.OFFERED, agent.pk, offer.expires_at


@transaction.atomic
def work_item_move(
    *,
    item: WorkItem,
    by: AbstractBaseUser,
    queue: Queue | None = None,
    agent: AbstractBaseUser | None = None,
    now: datetime | None = None,
) -> WorkItem:
    """Move ``item`` (one ``by`` may see: :func:`~contactcenter.distribution.queue_state.work_items_visible_to`)
    to another ``queue`` or give it to ``agent``; logged as a :class:`WorkItemMove`.

    - To a queue (a waiting or offered item): an open offer is withdrawn (its agent freed, not sent
      on a break); the item keeps its arrival time and takes the new queue's required skills and
      priority (a ticket's: moved by the ticket's priority, and the ticket moves to that queue); a
      chat, email or callback is due the new queue's threshold after its arrival.
    - To an agent, waiting or offered: offered to them now, ahead of the line, when the rules allow
      it but for queue membership and skills (available, nothing pending, no other offer, room for
      the channel); an open offer to someone else is withdrawn first. Assigned: reassigned to them
      at once when they have room for the channel (a ticket's assignee becomes them).

    - A chat or callback an agent holds (assigned, no ticket) moves to a queue too: it waits there
      again, its arrival time kept, its agent's room freed. Its own agent may move it (a transfer):
      to any active queue of its channel, or to any active agent.

    Refusals: ``ValidationError`` naming ``queue`` or ``agent`` (or neither: both or none given),
    :class:`WorkItemGone` for an item done or cancelled, ``PermissionDenied`` for an item ``by``
    may not move. Locks the ticket, then the item, then the agents' profiles; nothing is written
    on a refusal."""
    now = now or timezone.now()
    if (queue is None) == (agent is None):
        raise ValidationError(_("Name either a queue or an agent to move the item to."))
    # The agent who holds a chat or a callback may hand it on themselves (a transfer).
    # (Read on the item given, no query; checked again under the lock below.)
    holder = item.ticket_id is None and item.state == WorkState.ASSIGNED and item.assigned_to_id == by.pk
    if not holder and not queue_state.work_items_visible_to(by).filter(pk=item.pk).exists():
        raise PermissionDenied
    colleagues = AgentProfile.objects.all() if holder else AgentProfile.objects.visible_to(by)
    if agent is not None and not colleagues.filter(user_id=agent.pk, user__is_active=True).exists():
        raise ValidationError({"agent": _("No agent of yours is named %(name)s.") % {"name": agent.get_username()}})
    if item.ticket_id is not None:
        ticket_lock(item.ticket_id)  # a ticket before its items (module docstring, "Locks")
    locked = WorkItem.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=item.pk)
    if locked.state not in OPEN_STATES:
        raise WorkItemGone(item.pk)
    if holder and (locked.state != WorkState.ASSIGNED or locked.assigned_to_id != by.pk):
        raise PermissionDenied  # moved or finished since: no longer theirs
    before = (locked.state, locked.queue_id, locked.offered_to_id or locked.assigned_to_id)
    if queue is not None:
        _move_to_queue(locked, queue, by=by, holder=holder, now=now)
        target = MoveTarget.QUEUE
    else:
        _give_to_agent(locked, agent, by=by, now=now)
        target = MoveTarget.AGENT
    _log_move(locked, by=by, target=target, before=before, now=now)
    return locked


# --- Callbacks ------------------------------------------------------------------------------------


class CallbackClosed(Exception):
    """The callback is over (done, missed or cancelled): nothing more is done on it (the API: 409)."""


@transaction.atomic
def callback_create(
    *,
    queue: Queue,
    phone: str,
    due_at: datetime,
    by: AbstractBaseUser,
    customer: Customer | None = None,
    note: str = "",
    interaction_id: int | None = None,
    now: datetime | None = None,
) -> Callback:
    """Promise a call to ``phone`` (any usual format, stored in E.164) at ``due_at``, in ``queue``;
    ``by`` promised it (the dispatcher offers it to them first). Due now or already (a few minutes
    late at most, ``CALLBACK_PAST_MINUTES``), it waits in the queue at once; later, a job queued for
    its due time puts it there (the ``routing_callbacks`` job every minute is the net).
    ``interaction_id``: the contact whose log promised it (the desk's callback disposition).
    ``ValidationError`` naming the field: not a number, due too long ago or too far ahead
    (``CALLBACK_AHEAD_DAYS``), an erased customer, an inactive queue."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    e164 = ""
    try:
        e164 = normalize_phone(phone)
    except ValidationError as exc:
        errors["phone"] = exc.messages
    if due_at < now - timedelta(minutes=settings.CALLBACK_PAST_MINUTES):
        errors["due_at"] = [_("This time is past: a callback is due from now on.")]
    elif due_at > now + timedelta(days=settings.CALLBACK_AHEAD_DAYS):
        errors["due_at"] = [
            _("A callback is due within %(days)s days at most.") % {"days": settings.CALLBACK_AHEAD_DAYS}
        ]
    if customer is not None and customer.erased_at is not None:
        errors["customer"] = [_("This customer was erased.")]
    if not queue.is_active:
        errors["queue"] = [_("This queue is not active.")]
    if errors:
        raise ValidationError(errors)
    callback = Callback(
        customer=customer,
        phone=e164,
        due_at=due_at,
        queue=queue,
        note=note,
        promised_by=by if by.is_authenticated else None,
        interaction_id=interaction_id,
        next_attempt_at=due_at,
    )
    full_clean(callback, exclude=["customer", "queue", "promised_by", "work_item"])
    callback.save()
    if due_at <= now:
        _callback_enqueue(callback, now)
    else:
        enqueue_at(due_at, routing_callback_due, callback.pk)
    return callback


def _callback_enqueue(callback: Callback, now: datetime) -> None:
    """The locked, scheduled ``callback`` waits in its queue: a ``callback`` work item, due (for the
    queue's SLA jump) by the end of the on-time window of its attempt."""
    item = work_item_enqueue(
        kind=WorkKind.CALLBACK,
        queue=callback.queue,
        customer=callback.customer,
        arrived_at=now,
        sla_due_at=max(callback.next_attempt_at, now) + timedelta(minutes=settings.CALLBACK_ON_TIME_MINUTES),
    )
    callback.state, callback.work_item = CallbackState.WAITING, item
    callback.save(update_fields=["state", "work_item", "updated_at"])


def callback_make_due(*, callback_id: int, now: datetime | None = None) -> bool:
    """Put ``callback_id`` in its queue's line if it is scheduled and its time has come; False when
    there was nothing to do (waiting already, over, not due yet). Once, however many run it."""
    now = now or timezone.now()
    with transaction.atomic():
        callback = (
            Callback.objects.select_for_update(of=("self",))
            .select_related("queue", "customer")
            .filter(pk=callback_id, state=CallbackState.SCHEDULED, next_attempt_at__lte=now)
            .first()
        )
        if callback is None:
            return False
        _callback_enqueue(callback, now)
        return True


@job(retries=0)
def routing_callback_due(callback_id: int) -> dict[str, bool]:
    """A callback's due time (or its retry's), queued when it is made or tried in vain.

    Runs twice safely: a callback waits once per attempt (:func:`callback_make_due`). Not retried:
    the periodic ``routing_callbacks`` job puts whatever this one missed in the line."""
    return {"enqueued": callback_make_due(callback_id=callback_id)}


def callbacks_make_due(*, now: datetime | None = None, limit: int = EXPIRE_BATCH) -> list[int]:
    """Put every scheduled callback whose time has come in its queue's line (each in its own
    transaction); the ids put there."""
    now = now or timezone.now()
    due = Callback.objects.filter(state=CallbackState.SCHEDULED, next_attempt_at__lte=now).order_by("next_attempt_at")
    return [pk for pk in due.values_list("pk", flat=True)[:limit] if callback_make_due(callback_id=pk, now=now)]


def _locked_callback(callback_id: int) -> tuple[Callback, WorkItem | None]:
    """The callback and its open work item, locked in the fixed order: the item, then the callback."""
    item_id = Callback.objects.filter(pk=callback_id).values_list("work_item_id", flat=True).order_by().first()
    item = None
    if item_id is not None:
        item = WorkItem.objects.select_for_update().filter(pk=item_id, state__in=OPEN_STATES).first()
    callback = (
        Callback.objects.select_for_update(of=("self",)).select_related("queue", "promised_by").get(pk=callback_id)
    )
    if item is not None and callback.work_item_id != item.pk:  # moved on meanwhile: not this one's
        item = None
    return callback, item


@transaction.atomic
def callback_attempt_log(
    *,
    callback: Callback,
    outcome: str,
    by: AbstractBaseUser,
    note: str = "",
    now: datetime | None = None,
) -> CallbackAttempt:
    """Record one try of ``callback`` and its outcome; its work item, if open, is over (the agent's
    capacity freed). ``reached``: done. ``wrong_number``: missed (nobody to call again). No answer,
    busy or voicemail: tried again ``CALLBACK_RETRY_MINUTES`` later, up to ``CALLBACK_MAX_ATTEMPTS``
    tries in all, then missed. The first try says whether it was kept on time (within
    ``CALLBACK_ON_TIME_MINUTES`` of the due time). :class:`CallbackClosed` when it is over already;
    ``ValidationError`` naming ``outcome`` or ``note``."""
    now = now or timezone.now()
    callback, item = _locked_callback(callback.pk)
    if callback.state not in CALLBACK_OPEN_STATES:
        raise CallbackClosed(callback.pk)
    attempt = CallbackAttempt(
        callback=callback, agent=by if by.is_authenticated else None, outcome=outcome, note=note, at=now
    )
    full_clean(attempt, exclude=["callback", "agent"])
    attempt.save()
    if item is not None:
        _close(item, state=WorkState.DONE if item.state == WorkState.ASSIGNED else WorkState.CANCELLED, now=now)
    callback.attempts += 1
    if callback.first_attempt_at is None:
        callback.first_attempt_at = now
        callback.kept_on_time = now <= callback.due_at + timedelta(minutes=settings.CALLBACK_ON_TIME_MINUTES)
    if outcome in CALLBACK_RETRIED_OUTCOMES and callback.attempts < settings.CALLBACK_MAX_ATTEMPTS:
        callback.state = CallbackState.SCHEDULED
        callback.next_attempt_at = now + timedelta(minutes=settings.CALLBACK_RETRY_MINUTES)
        enqueue_at(callback.next_attempt_at, routing_callback_due, callback.pk)
    else:
        callback.state = CallbackState.DONE if outcome == CallbackOutcome.REACHED else CallbackState.MISSED
        callback.closed_at = now
    callback.save(
        update_fields=[
            "attempts",
            "first_attempt_at",
            "kept_on_time",
            "state",
            "next_attempt_at",
            "closed_at",
            "updated_at",
        ]
    )
    return attempt


@transaction.atomic
def callback_cancel(*, callback: Callback, by: AbstractBaseUser, now: datetime | None = None) -> Callback:
    """Call it off: the callback is ``cancelled`` and its work item, if open, leaves the line (an
    open offer withdrawn). An agent cancels the callbacks they promised (else ``PermissionDenied``);
    supervisors, managers and admins those they see. :class:`CallbackClosed` when it is over."""
    now = now or timezone.now()
    if role_of(by) == AGENT and callback.promised_by_id != by.pk:
        raise PermissionDenied(_("You may cancel only the callbacks you promised."))
    callback, item = _locked_callback(callback.pk)
    if callback.state not in CALLBACK_OPEN_STATES:
        raise CallbackClosed(callback.pk)
    _callback_cancel_locked(callback, item, now)
    return callback


def _callback_cancel_locked(callback: Callback, item: WorkItem | None, now: datetime) -> None:
    if item is not None:
        _close(item, state=WorkState.DONE if item.state == WorkState.ASSIGNED else WorkState.CANCELLED, now=now)
    callback.state, callback.closed_at = CallbackState.CANCELLED, now
    callback.save(update_fields=["state", "closed_at", "updated_at"])


def callbacks_customer_merged(*, kept: Customer, duplicate: Customer) -> None:
    """The customer hook of a merge (:func:`customers.services.customer_hooks_register`): the
    duplicate's callbacks are the kept customer's."""
    Callback.objects.filter(customer=duplicate).update(customer=kept, updated_at=timezone.now())


def callbacks_customer_erased(*, customer: Customer) -> dict[str, int]:
    """The customer hook of an erasure: the customer's open callbacks are cancelled (nobody calls
    them back), and every callback of theirs loses its number and note, its attempts their notes."""
    now = timezone.now()
    open_ids = Callback.objects.filter(customer=customer, state__in=CALLBACK_OPEN_STATES).values_list("pk", flat=True)
    for callback_id in list(open_ids):
        callback, item = _locked_callback(callback_id)
        if callback.state in CALLBACK_OPEN_STATES:
            _callback_cancel_locked(callback, item, now)
    blanked = Callback.objects.filter(customer=customer).exclude(phone="", note="").update(phone="", note="")
    CallbackAttempt.objects.filter(callback__customer=customer).exclude(note="").update(note="")
    return {"callbacks": blanked}


@dataclass(frozen=True)
class DialResult:
    """What asking the telephony to dial a callback gave: ``placed`` when a bridge was asked to call
    (``command``: what it was asked), else ``reason`` (:data:`NO_BRIDGE`, :data:`NO_EXTENSION`,
    :data:`ON_CONTACT`, :data:`NOT_A_NUMBER`) with ``message`` in words."""

    placed: bool
    reason: str = ""
    message: str = ""
    command: Command | None = None


#: :func:`callback_dial`'s reason when no telephony bridge that can dial is connected.
NO_BRIDGE = "no_bridge"
#: … when the agent has no phone extension on their profile.
NO_EXTENSION = "no_extension"
#: … when the agent is on a contact (ringing, on a call, in wrap-up).
ON_CONTACT = "on_contact"
#: … when the callback has no number any more (its customer's data was erased).
NOT_A_NUMBER = "not_a_number"


def callback_dial(*, callback: Callback, by: AbstractBaseUser) -> DialResult:
    """Click-to-dial a callback: ask a connected telephony bridge to ring ``by``'s phone, then
    ``callback.phone``, for the callback's customer and queue
    (:func:`contactcenter.telephony.services.call_dial`).

    ``DialResult(placed=True, command=…)`` when a bridge was asked; otherwise ``placed=False`` with
    the reason, and the desk shows the number for the agent to dial by hand. Either way the agent
    then logs the outcome (:func:`callback_attempt_log`)."""
    try:
        command = call_dial(by=by, to=callback.phone, customer=callback.customer, queue=callback.queue)
    except NoBridge as error:
        return DialResult(placed=False, reason=NO_BRIDGE, message=error.message)
    except AgentOnContact as error:
        return DialResult(placed=False, reason=ON_CONTACT, message=error.message)
    except ValidationError as error:
        if "extension" not in getattr(error, "error_dict", {}):
            return DialResult(placed=False, reason=NOT_A_NUMBER, message=" ".join(error.messages))
        if Capability.DIAL not in capabilities_online():
            # Without a bridge the extension does not matter: the agent dials by hand either way.
            return DialResult(placed=False, reason=NO_BRIDGE, message=NoBridge(Capability.DIAL).message)
        return DialResult(placed=False, reason=NO_EXTENSION, message=" ".join(error.messages))
    return DialResult(placed=True, command=command)
