"""Apply the retention periods (:class:`~contactcenter.privacy.models.RetentionPolicy`).

Each kind of personal data has one function here, which scrubs or deletes what is older than its
period, in batches of ids, one transaction per batch, so that a run can stop anywhere and start
again. **No KPI of the past changes**, whatever is removed:

- the call recordings kept by Switchboard are deleted, files and all (they feed no KPI);
- interactions, tickets, survey responses and call events keep their rows, with every timing,
  outcome, score, agent, queue and customer: only their free text (notes, recording reference,
  subject, description, comments, caller numbers, raw payloads) is blanked, in their history rows
  too. None of these columns is one that the KPIs sum or group by, so the rollup's triggers do not
  even mark a day for refilling;
- the presence log (occupancy) is deleted only for days whose occupancy the rollup holds, and
  those days are sealed first (:func:`kpis.rollups.rollup_presence_purge`);
- inactive customers are erased (:func:`customers.services.customer_erase`): their interactions
  stay linked to the anonymous customer, so first-contact resolution keeps its repeats;
- web chats keep their rows (states, times, CSAT, the bot's outcomes): their messages' texts, the
  questions put to the bot and the visitor's name and email are blanked;
- Idempotency-Key answers, the read audit and the back-office change log feed no KPI.

Running it twice is harmless: each function picks only what still holds personal data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.admin.models import LogEntry
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from contactcenter.chat.models import ChatConversation, ChatMessage
from contactcenter.chat.services import chat_transcripts_erase
from contactcenter.core.models import IdempotencyKey
from contactcenter.privacy.models import RetentionKind, RetentionPolicy
from contactcenter.telephony.recordings import recordings_delete, recordings_offered_before
from customers.models import Customer, CustomerRead
from customers.services import ERASED_TEXT, customer_erase
from interactions.models import (
    OPEN_TICKET_STATUSES,
    CtiCall,
    CtiEvent,
    Interaction,
    SurveyResponse,
    Ticket,
    TicketComment,
    TicketStatus,
)
from kpis.rollups import rollup_presence_purge

#: Rows per transaction.
BATCH_SIZE = 500

#: What happens to each kind once its period is over (shown in the admin and by the command).
ACTIONS: dict[str, Promise] = {
    RetentionKind.INTERACTION_NOTES: _(
        "Notes of interactions offered before the period are blanked, history included."
    ),
    RetentionKind.INTERACTION_RECORDINGS: _(
        "Recordings of interactions offered before the period are deleted, files included, and their "
        "references blanked, history included."
    ),
    RetentionKind.CLOSED_TICKETS: _(
        "Tickets closed before the period lose their subject, description and comment texts, history included; "
        "the tickets and comments stay."
    ),
    RetentionKind.SURVEY_COMMENTS: _(
        "Comments of survey responses received before the period are blanked; the scores stay."
    ),
    RetentionKind.CTI_EVENTS: _(
        "Caller numbers and raw payloads of call events older than the period are blanked; the events stay."
    ),
    RetentionKind.CHAT_TRANSCRIPTS: _(
        "Web chats ended before the period lose their messages' texts, the questions put to the bot and the "
        "visitor's name and email; the chats, their times, states and CSAT stay."
    ),
    RetentionKind.IDEMPOTENCY_KEYS: _("Stored answers older than the period are deleted."),
    RetentionKind.PRESENCE_INTERVALS: _(
        "Presence stretches ended before the period are deleted, only for days whose occupancy is in the KPI rollup."
    ),
    RetentionKind.CUSTOMER_READS: _("Reads older than the period are deleted."),
    RetentionKind.INACTIVE_CUSTOMERS: _(
        "Customers without change, interaction, open ticket or ticket activity during the period are erased "
        "(as a data-protection erasure)."
    ),
    RetentionKind.ADMIN_LOG: _("Back-office log entries older than the period are deleted."),
}

#: ``progress(kind, batches)`` wraps a kind's batches of ids (a progress bar in the command).
Progress = Callable[[str, list[list[int]]], Iterable[list[int]]]


@dataclass
class KindResult:
    """What retention did, or would do (``dry_run``), to one kind: ``rows`` scrubbed or deleted
    (the kind's own rows: interactions, tickets, customers…), ``detail`` by what was touched."""

    kind: str
    days: int | None
    cutoff: datetime | None
    rows: int = 0
    detail: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return str(RetentionKind(self.kind).label)


def _batches(ids: Iterable[int], size: int) -> list[list[int]]:
    ordered = sorted(set(ids))
    return [ordered[index : index + size] for index in range(0, len(ordered), size)]


def _run(
    kind: str, ids: Iterable[int], apply: Callable[[list[int]], dict[str, int]], *, size: int, progress: Progress | None
) -> dict[str, int]:
    """``apply`` to ``ids`` batch by batch, each batch in its own transaction; the summed counts."""
    batches = _batches(ids, size)
    totals: dict[str, int] = {}
    for batch in progress(kind, batches) if progress else batches:
        with transaction.atomic():
            for name, count in apply(batch).items():
                totals[name] = totals.get(name, 0) + count
    return totals


def _ids(queryset: QuerySet, name: str = "pk") -> list[int]:
    return list(queryset.order_by().values_list(name, flat=True).distinct())


# --- One function per kind: (kind, cutoff, dry_run, size, progress) -> (rows, detail) ------------------


def _interaction_text(column: str) -> Callable[..., tuple[int, dict[str, int]]]:
    """Blank ``column`` (notes, recording) of the interactions offered before the cutoff and of
    their history rows."""

    def apply_kind(
        kind: str, cutoff: datetime, dry_run: bool, size: int, progress: Progress | None
    ) -> tuple[int, dict[str, int]]:
        History = Interaction.history.model
        blank = Q(**{column: ""})
        ids = set(_ids(Interaction.objects.filter(offered_at__lt=cutoff).exclude(blank)))
        ids |= set(_ids(History.objects.filter(offered_at__lt=cutoff).exclude(blank), "id"))
        if dry_run:
            return len(ids), {}

        def apply(batch: list[int]) -> dict[str, int]:
            # Queryset updates: no new history row (it would copy what is being forgotten), and the
            # column is none that the KPIs read, so the rollup's triggers leave the days alone.
            return {
                "interactions": Interaction.objects.filter(pk__in=batch).exclude(blank).update(**{column: ""}),
                "history_rows": History.objects.filter(id__in=batch).exclude(blank).update(**{column: ""}),
            }

        return len(ids), _run(kind, ids, apply, size=size, progress=progress)

    return apply_kind


def _recordings(
    kind: str, cutoff: datetime, dry_run: bool, size: int, progress: Progress | None
) -> tuple[int, dict[str, int]]:
    """The recordings kept by Switchboard (files deleted from storage after each batch's commit),
    then the telephony system's references kept on the interactions."""
    recordings = recordings_offered_before(cutoff)
    rows, detail = _interaction_text("recording")(kind, cutoff, dry_run, size, progress)
    if dry_run:
        return rows, {"recordings": recordings.count()}
    detail["recordings"] = recordings_delete(recordings, batch_size=size)
    return rows, detail


def _closed_tickets(
    kind: str, cutoff: datetime, dry_run: bool, size: int, progress: Progress | None
) -> tuple[int, dict[str, int]]:
    History = Ticket.history.model
    closed = Ticket.objects.filter(status=TicketStatus.CLOSED).filter(
        Q(closed_at__lt=cutoff) | Q(closed_at__isnull=True, updated_at__lt=cutoff)
    )
    scrubbed = Q(subject=ERASED_TEXT, description="")
    ids = set(_ids(closed.exclude(scrubbed)))
    ids |= set(_ids(TicketComment.objects.filter(ticket__in=closed).exclude(body=ERASED_TEXT), "ticket_id"))
    ids |= set(_ids(History.objects.filter(id__in=closed.values("pk")).exclude(scrubbed), "id"))
    if dry_run:
        return len(ids), {}

    def apply(batch: list[int]) -> dict[str, int]:
        return {
            # The version moves on: a client holding the old text cannot write it back unnoticed.
            "tickets": Ticket.objects.filter(pk__in=batch)
            .exclude(scrubbed)
            .update(subject=ERASED_TEXT, description="", version=F("version") + 1),
            "ticket_comments": TicketComment.objects.filter(ticket_id__in=batch)
            .exclude(body=ERASED_TEXT)
            .update(body=ERASED_TEXT),
            "history_rows": History.objects.filter(id__in=batch)
            .exclude(scrubbed)
            .update(subject=ERASED_TEXT, description=""),
        }

    return len(ids), _run(kind, ids, apply, size=size, progress=progress)


def _survey_comments(
    kind: str, cutoff: datetime, dry_run: bool, size: int, progress: Progress | None
) -> tuple[int, dict[str, int]]:
    ids = _ids(SurveyResponse.objects.filter(created_at__lt=cutoff).exclude(comment=""))
    if dry_run:
        return len(ids), {}

    def apply(batch: list[int]) -> dict[str, int]:
        # The score, kind and interaction stay: the only columns the survey KPIs read.
        return {"survey_responses": SurveyResponse.objects.filter(pk__in=batch).exclude(comment="").update(comment="")}

    return len(ids), _run(kind, ids, apply, size=size, progress=progress)


def _cti_events(
    kind: str, cutoff: datetime, dry_run: bool, size: int, progress: Progress | None
) -> tuple[int, dict[str, int]]:
    # The events stay: a late or repeated delivery of an old call is still recognised, and the call
    # is still recomputed from all its events (the caller number plays no part in its timings). A
    # late event of such a call would look its customer up again, as after an erasure.
    personal = ~Q(caller="") | ~Q(payload={})
    ids = _ids(CtiEvent.objects.filter(personal, timestamp__lt=cutoff))
    # A call's number goes once its last event is older than the cutoff.
    events = CtiEvent.objects.filter(cti_call=OuterRef("pk"))
    calls = (
        CtiCall.objects.exclude(caller="")
        .filter(Exists(events.filter(timestamp__lt=cutoff)))
        .exclude(Exists(events.filter(timestamp__gte=cutoff)))
    )
    if dry_run:
        return len(ids), {"cti_calls": calls.count()}

    def apply(batch: list[int]) -> dict[str, int]:
        return {"cti_events": CtiEvent.objects.filter(personal, pk__in=batch).update(caller="", payload={})}

    detail = _run(kind, ids, apply, size=size, progress=progress)
    detail["cti_calls"] = calls.update(caller="")
    return len(ids), detail


def _chat_transcripts(
    kind: str, cutoff: datetime, dry_run: bool, size: int, progress: Progress | None
) -> tuple[int, dict[str, int]]:
    # The conversations stay (bot containment, CSAT and the chat interactions' KPIs count them):
    # only what was said, and by whom, goes.
    said = ChatMessage.objects.filter(conversation=OuterRef("pk")).exclude(text=ERASED_TEXT)
    ids = _ids(
        ChatConversation.objects.filter(ended_at__lt=cutoff).filter(
            Exists(said) | ~Q(visitor_name="") | ~Q(visitor_email="")
        )
    )
    if dry_run:
        return len(ids), {}
    return len(ids), _run(kind, ids, chat_transcripts_erase, size=size, progress=progress)


def _deletion(queryset_before: Callable[[datetime], QuerySet], name: str) -> Callable[..., tuple[int, dict[str, int]]]:
    """Delete the rows of ``queryset_before(cutoff)``."""

    def apply_kind(
        kind: str, cutoff: datetime, dry_run: bool, size: int, progress: Progress | None
    ) -> tuple[int, dict[str, int]]:
        queryset = queryset_before(cutoff)
        ids = _ids(queryset)
        if dry_run:
            return len(ids), {}

        def apply(batch: list[int]) -> dict[str, int]:
            deleted, _by_model = queryset.model.objects.filter(pk__in=batch).delete()
            return {name: deleted}

        return len(ids), _run(kind, ids, apply, size=size, progress=progress)

    return apply_kind


def _presence_intervals(
    kind: str, cutoff: datetime, dry_run: bool, size: int, progress: Progress | None
) -> tuple[int, dict[str, int]]:
    wrap = (lambda batches, total: progress(kind, list(batches))) if progress else None
    result = rollup_presence_purge(before=cutoff, batch_size=size, dry_run=dry_run, progress=wrap)
    return result.deleted, {"days_sealed": result.days_sealed}


def _inactive_customers(
    kind: str, cutoff: datetime, dry_run: bool, size: int, progress: Progress | None
) -> tuple[int, dict[str, int]]:
    # Without the null ids: NOT IN over a list holding a NULL is never true in SQL.
    recent_interactions = Interaction.objects.filter(offered_at__gte=cutoff, customer__isnull=False)
    recent_tickets = Ticket.objects.filter(
        Q(updated_at__gte=cutoff) | Q(status__in=OPEN_TICKET_STATUSES), customer__isnull=False
    )
    inactive = (
        Customer.objects.filter(erased_at__isnull=True, updated_at__lt=cutoff, created_at__lt=cutoff)
        .exclude(pk__in=recent_interactions.values("customer_id"))
        .exclude(pk__in=recent_tickets.values("customer_id"))
    )
    ids = _ids(inactive)
    if dry_run:
        return len(ids), {}
    totals: dict[str, int] = {}
    for batch in progress(kind, _batches(ids, size)) if progress else _batches(ids, size):
        # One transaction per customer (customer_erase's own): an erasure is all or nothing.
        for customer in inactive.filter(pk__in=batch):
            record = customer_erase(customer=customer, by=None)
            for name, count in record.counts.items():
                totals[name] = totals.get(name, 0) + count
    return len(ids), totals


KINDS: dict[str, Callable[..., tuple[int, dict[str, int]]]] = {
    RetentionKind.INTERACTION_NOTES: _interaction_text("notes"),
    RetentionKind.INTERACTION_RECORDINGS: _recordings,
    RetentionKind.CLOSED_TICKETS: _closed_tickets,
    RetentionKind.SURVEY_COMMENTS: _survey_comments,
    RetentionKind.CTI_EVENTS: _cti_events,
    RetentionKind.CHAT_TRANSCRIPTS: _chat_transcripts,
    RetentionKind.IDEMPOTENCY_KEYS: _deletion(
        lambda cutoff: IdempotencyKey.objects.filter(created_at__lt=cutoff), "idempotency_keys"
    ),
    RetentionKind.PRESENCE_INTERVALS: _presence_intervals,
    RetentionKind.CUSTOMER_READS: _deletion(lambda cutoff: CustomerRead.objects.filter(read_at__lt=cutoff), "reads"),
    RetentionKind.INACTIVE_CUSTOMERS: _inactive_customers,
    RetentionKind.ADMIN_LOG: _deletion(lambda cutoff: LogEntry.objects.filter(action_time__lt=cutoff), "log_entries"),
}


def retention_apply(
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> list[KindResult]:
    """Apply every retention period that is set (a kind without one is kept whole): scrub or
    delete what is older than ``now`` minus its days, kind by kind, in batches of ``batch_size``
    ids, each batch in its own transaction. ``dry_run`` only counts what would go. Returns one
    :class:`KindResult` per kind, in the order of :class:`RetentionKind` (``rows`` 0 and no
    ``cutoff`` for a kind kept for ever).

    Idempotent: a second run right after finds nothing left. No KPI of the past changes (see the
    module's docstring)."""
    now = now or timezone.now()
    days_of = dict(RetentionPolicy.objects.values_list("kind", "days"))
    results = []
    for kind in RetentionKind:
        days = days_of.get(kind)
        if days is None:
            results.append(KindResult(kind=kind, days=None, cutoff=None))
            continue
        cutoff = now - timedelta(days=days)
        rows, detail = KINDS[kind](kind, cutoff, dry_run, batch_size, progress)
        results.append(KindResult(kind=kind, days=days, cutoff=cutoff, rows=rows, detail=detail))
    return results
