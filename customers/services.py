"""Every write on customers and their contact points."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import connection, transaction
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from contactcenter.core.compiled import attach_prefetched, insert_row
from contactcenter.core.db import full_clean
from contactcenter.core.models import IdempotencyKey
from contactcenter.core.transactions import service_atomic
from contactcenter.core.unset import UNSET, Unset, given
from customers.models import ContactPoint, Customer, CustomerRead, ErasureRecord, normalize_contact_value
from interactions.cti import cti_call_erase_numbers
from interactions.models import Interaction, SurveyResponse, Ticket, TicketComment
from interactions.services import interaction_update


def _normalized(kind: str, values: Iterable[str], field: str) -> list[str]:
    """Normalize every value; one ValidationError naming ``field`` lists all bad ones."""
    result: list[str] = []
    problems: list[str] = []
    for value in values:
        try:
            normalized = normalize_contact_value(kind, value)
        except ValidationError as exc:
            problems.extend(exc.message_dict.get("value", exc.messages))
            continue
        if normalized not in result:
            result.append(normalized)
    if problems:
        raise ValidationError({field: problems})
    return result


@service_atomic
def customer_create(
    *,
    first_name: str = "",
    last_name: str = "",
    company: str = "",
    language: str | None = None,
    notes: str = "",
    tags: list[str] | None = None,
    consent_marketing: bool = False,
    consent_recording: bool = True,
    consent_surveys: bool = True,
    external_id: str = "",
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    by: AbstractBaseUser | None = None,
) -> Customer:
    """Create a customer with its phone numbers (any format, stored E.164) and emails.

    ``language`` ``None`` is the model's default. Everything is validated before anything is
    written: a bad phone stores nothing. The customer returned holds its contact points as saved
    (``customer.contact_points.all()`` reads nothing).
    """
    customer = Customer(
        first_name=first_name,
        last_name=last_name,
        company=company,
        notes=notes,
        tags=tags if tags is not None else [],
        consent_marketing=consent_marketing,
        consent_recording=consent_recording,
        consent_surveys=consent_surveys,
        external_id=external_id,
    )
    if language is not None:
        customer.language = language
    errors: dict[str, list[str]] = {}
    try:
        full_clean(customer)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        phone_values = _normalized(ContactPoint.Kind.PHONE, phones, "phones")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        email_values = _normalized(ContactPoint.Kind.EMAIL, emails, "emails")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    customer._history_user = by
    customer.save()
    points = [
        ContactPoint(customer=customer, kind=kind, value=value, is_primary=position == 0)
        for kind, values in ((ContactPoint.Kind.PHONE, phone_values), (ContactPoint.Kind.EMAIL, email_values))
        for position, value in enumerate(values)
    ]
    # A customer created in this transaction holds no contact point but these, each value once
    # (``_normalized``): their uniqueness is not looked up.
    _contact_points_insert(points, by=by)
    return _holding(customer, points)


@service_atomic(joins=True)
def customer_create_from_call(
    *,
    interaction: Interaction,
    by: AbstractBaseUser | None,
    first_name: str = "",
    last_name: str = "",
    company: str = "",
    language: str | None = None,
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
) -> Customer:
    """The caller of ``interaction`` is a new customer: create it (:func:`customer_create`) and put
    it on the contact (:func:`interactions.services.interaction_update`), both or neither: one
    transaction, without a savepoint for each (:func:`contactcenter.core.transactions.service_atomic`).

    ``ValidationError`` naming each bad field (``phones``, ``emails`` included); nothing is written
    then. The contact is announced again on the wallboard (``interaction_logged``).
    """
    customer = customer_create(
        first_name=first_name,
        last_name=last_name,
        company=company,
        language=language,
        phones=phones,
        emails=emails,
        by=by,
    )
    interaction_update(interaction=interaction, by=by, customer=customer)
    return customer


@transaction.atomic
def customer_update(
    *,
    customer: Customer,
    by: AbstractBaseUser | None = None,
    first_name: str | Unset = UNSET,
    last_name: str | Unset = UNSET,
    company: str | Unset = UNSET,
    language: str | Unset = UNSET,
    notes: str | Unset = UNSET,
    tags: list[str] | Unset = UNSET,
    consent_marketing: bool | Unset = UNSET,
    consent_recording: bool | Unset = UNSET,
    consent_surveys: bool | Unset = UNSET,
    external_id: str | Unset = UNSET,
    phones: Iterable[str] | None = None,
    emails: Iterable[str] | None = None,
) -> Customer:
    """Change the customer's fields given (``UNSET``: unchanged) and, when given, replace its
    phones or its emails.

    ``phones``/``emails`` (any format; ``None``: unchanged) become the customer's whole list of
    that kind, the first one primary: values already held are kept (same row), the others are
    deleted and the new ones added, each change leaving a contact point history row. Everything is
    validated before anything is written: one ``ValidationError`` names every bad field. The
    customer returned holds its contact points as saved (``customer.contact_points.all()`` reads
    nothing).
    """
    changes = given(
        {
            "first_name": first_name,
            "last_name": last_name,
            "company": company,
            "language": language,
            "notes": notes,
            "tags": tags,
            "consent_marketing": consent_marketing,
            "consent_recording": consent_recording,
            "consent_surveys": consent_surveys,
            "external_id": external_id,
        }
    )
    for name, value in changes.items():
        setattr(customer, name, value)
    errors: dict[str, list[str]] = {}
    try:
        full_clean(customer)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    replacements: list[tuple[str, list[str]]] = []
    for kind, values, field in (
        (ContactPoint.Kind.PHONE, phones, "phones"),
        (ContactPoint.Kind.EMAIL, emails, "emails"),
    ):
        if values is None:
            continue
        try:
            replacements.append((kind, _normalized(kind, values, field)))
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    customer._history_user = by
    # The customer's row, updated, stays locked until the transaction ends: two edits of one
    # customer's contact points do not interleave (the second waits here, then reads the points the
    # first left).
    customer.save()
    points = list(ContactPoint.objects.filter(customer=customer))
    for kind, values in replacements:
        points = _contact_points_replace(customer=customer, points=points, kind=kind, values=values, by=by)
    return _holding(customer, points)


def _holding(customer: Customer, points: list[ContactPoint]) -> Customer:
    """``customer`` holding ``points`` (all its contact points, as saved) as its prefetched
    ``contact_points``, primary first then oldest, as ``customers.selectors`` prefetches them."""
    attach_prefetched(customer, "contact_points", sorted(points, key=lambda point: (not point.is_primary, point.pk)))
    return customer


def _contact_points_insert(points: list[ContactPoint], *, by: AbstractBaseUser | None) -> None:
    """Insert new contact points and their history rows, two queries whatever their number. The
    caller knows their values are new to their customer (its uniqueness is not looked up)."""
    for point in points:
        point._history_user = by
        full_clean(point, exclude=["customer"])
    if points:
        bulk_create_with_history(points, ContactPoint, default_user=by)


def _contact_points_replace(
    *, customer: Customer, points: list[ContactPoint], kind: str, values: list[str], by: AbstractBaseUser | None
) -> list[ContactPoint]:
    """Make ``values`` (normalized, distinct) the customer's contact points of ``kind``; ``points``
    are all its contact points, read under its lock. Returns them as they are now."""
    existing = {point.value: point for point in points if point.kind == kind}
    _contact_points_delete([point for value, point in existing.items() if value not in values], by=by)
    added = []
    for position, value in enumerate(values):
        primary = position == 0
        point = existing.get(value)
        if point is None:
            added.append(ContactPoint(customer=customer, kind=kind, value=value, is_primary=primary))
        elif point.is_primary != primary:
            point.is_primary = primary
            point._history_user = by
            point.save(update_fields=["is_primary", "updated_at"])
    # Every point of this kind was read under the customer's lock: a value not among them is new.
    _contact_points_insert(added, by=by)
    return [point for point in points if point.kind != kind or point.value in values] + added


@transaction.atomic
def customer_delete(*, customer: Customer, by: AbstractBaseUser | None = None) -> None:
    """Delete a customer and its contact points; its interactions and tickets stay, without a
    customer. History keeps the past values: a data-protection request is :func:`customer_erase`."""
    _contact_points_delete(list(ContactPoint.objects.filter(customer=customer)), by=by)
    customer._history_user = by
    customer.delete()


def _contact_points_delete(points: list[ContactPoint], *, by: AbstractBaseUser | None) -> None:
    """Delete contact points, each leaving its history row (``-``, by ``by``, as a delete of one
    leaves it), in two queries whatever their number: the history rows in one insert, then the
    rows in one delete. Nothing else refers to a contact point: the delete has nothing to follow."""
    if not points:
        return
    historical = ContactPoint.history.model
    now = timezone.now()
    historical.objects.bulk_create(
        [
            historical(
                history_date=now,
                history_type="-",
                history_user=by,
                history_change_reason=None,
                **{field.attname: getattr(point, field.attname) for field in historical.tracked_fields},
            )
            for point in points
        ]
    )
    table, key = ContactPoint._meta.db_table, ContactPoint._meta.pk.column
    quote = connection.ops.quote_name
    # Names from the model's meta, quoted; the ids go as parameters.
    sql = f"DELETE FROM {quote(table)} WHERE {quote(key)} IN ({', '.join(['%s'] * len(points))})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [point.pk for point in points])


@transaction.atomic
def contact_point_add(
    *,
    customer: Customer,
    kind: str,
    value: str,
    label: str = "",
    network: str = "",
    is_primary: bool = False,
    by: AbstractBaseUser | None = None,
) -> ContactPoint:
    """Attach a phone (normalized to E.164), email or social handle to a customer."""
    return _contact_point_add(
        customer=customer, kind=kind, value=value, label=label, network=network, is_primary=is_primary, by=by
    )


def _contact_point_add(*, customer: Customer, by: AbstractBaseUser | None, **fields) -> ContactPoint:
    # The body of contact_point_add, for the services that are atomic already (no savepoint of its own).
    point = ContactPoint(customer=customer, **fields)
    point._history_user = by
    full_clean(point)
    point.save()
    return point


# --- Merge ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeResult:
    customer: Customer
    duplicate_id: int
    contact_points_moved: int
    contact_points_already_held: int
    interactions_moved: int
    tickets_moved: int


def _lock_customers(*pks: int) -> dict[int, Customer]:
    """Lock these customers' rows, always in primary-key order (STYLE.md: lock in a fixed order)."""
    return {
        customer.pk: customer for customer in Customer.objects.select_for_update().filter(pk__in=pks).order_by("pk")
    }


def _merged_notes(kept: str, duplicate: str, duplicate_id: int) -> str:
    if not duplicate.strip() or duplicate.strip() in kept:
        return kept
    heading = _("Merged from customer #%(id)s:") % {"id": duplicate_id}
    return f"{kept.rstrip()}\n\n{heading}\n{duplicate.strip()}" if kept.strip() else duplicate.strip()


#: What apps above this one keep of a customer follows merges and erasures (the routing's callbacks):
#: ``merged(kept=, duplicate=)`` before the duplicate is deleted, ``erased(customer=)`` returning
#: counts for the erasure record; both inside the merge's or erasure's transaction.
_merge_hooks: list[Callable[..., None]] = []
_erase_hooks: list[Callable[..., dict[str, int]]] = []


def customer_hooks_register(
    *, merged: Callable[..., None] | None = None, erased: Callable[..., dict[str, int]] | None = None
) -> None:
    """Call ``merged(kept=, duplicate=)`` in every :func:`customer_merge` before the duplicate is
    deleted (move what points at it), and ``erased(customer=)`` in every :func:`customer_erase`
    (blank what it keeps of them; the counts it returns join the erasure record's). Registered
    once, from an ``AppConfig.ready`` of an app above this one; a hook registered twice runs once."""
    if merged is not None and merged not in _merge_hooks:
        _merge_hooks.append(merged)
    if erased is not None and erased not in _erase_hooks:
        _erase_hooks.append(erased)


@transaction.atomic
def customer_merge(*, customer: Customer, duplicate: Customer, by: AbstractBaseUser | None = None) -> MergeResult:
    """Merge ``duplicate`` into ``customer``, then delete ``duplicate``; all or nothing.

    - contact points move over, except a value the kept customer already has (that one is
      dropped); the kept customer's primary phone and email stay primary;
    - interactions and tickets are re-linked (with their history rows); survey responses follow
      their interactions;
    - tags are united, the duplicate's notes are appended, and a blank company, external id or
      name of the kept customer is filled from the duplicate;
    - the duplicate's history rows (customer, contact points, interactions, tickets) and admin
      log entries are re-pointed to the kept customer, so that its export and a later erasure
      reach them; the merge is a history row of the kept customer naming the duplicate's id.

    ``ValidationError`` naming ``duplicate`` for the customer itself, a vanished duplicate or an
    erased one; naming nothing (``__all__``) when the kept customer itself was erased.
    """
    if duplicate.pk == customer.pk:
        raise ValidationError({"duplicate": [_("A customer cannot be merged into itself.")]})
    locked = _lock_customers(customer.pk, duplicate.pk)
    if customer.pk not in locked:
        raise Customer.DoesNotExist
    if duplicate.pk not in locked:
        raise ValidationError({"duplicate": [_("This customer does not exist (any more).")]})
    kept, dup = locked[customer.pk], locked[duplicate.pk]
    if kept.erased_at is not None:
        raise ValidationError(
            _("This customer's personal data was erased: nothing can be merged into it."), code="erased"
        )
    if dup.erased_at is not None:
        raise ValidationError(
            {"duplicate": [_("This customer's personal data was erased: it cannot be merged into another one.")]}
        )

    # Everything that could be refused is checked before the first write.
    kept.tags = list(dict.fromkeys([*(kept.tags or []), *(dup.tags or [])]))
    kept.notes = _merged_notes(kept.notes, dup.notes, dup.pk)
    if not kept.company.strip():
        kept.company = dup.company
    if not (kept.first_name.strip() or kept.last_name.strip()):
        kept.first_name, kept.last_name = dup.first_name, dup.last_name
    take_external_id = not kept.external_id and bool(dup.external_id)
    kept.clean_fields()
    kept.clean()

    now = timezone.now()
    reason = _("Merged customer #%(id)s into this customer") % {"id": dup.pk}

    held = {(point.kind, point.value): point for point in kept.contact_points.all()}
    has_primary = {kind for (kind, _value), point in held.items() if point.is_primary}
    moved = dropped = 0
    for point in dup.contact_points.order_by("-is_primary", "id"):
        point._history_user = by
        point._change_reason = reason
        if (point.kind, point.value) in held:
            point.delete()
            dropped += 1
            continue
        point.customer = kept
        if point.kind in has_primary:
            point.is_primary = False
        elif point.is_primary:
            has_primary.add(point.kind)
        full_clean(point)
        point.save()
        held[(point.kind, point.value)] = point
        moved += 1

    interactions = list(Interaction.objects.filter(customer=dup))
    for interaction in interactions:
        interaction.customer, interaction.updated_at = kept, now
    bulk_update_with_history(
        interactions,
        Interaction,
        ["customer", "updated_at"],
        batch_size=500,
        default_user=by,
        default_change_reason=reason,
    )
    tickets = list(Ticket.objects.filter(customer=dup))
    for ticket in tickets:
        # A merge changes the ticket: clients holding the old version must re-read it (SPEC §5, 409).
        ticket.customer, ticket.updated_at, ticket.version = kept, now, ticket.version + 1
    bulk_update_with_history(
        tickets,
        Ticket,
        ["customer", "updated_at", "version"],
        batch_size=500,
        default_user=by,
        default_change_reason=reason,
    )

    for hook in _merge_hooks:
        hook(kept=kept, duplicate=dup)

    dup_pk, dup_external_id = dup.pk, dup.external_id
    dup._history_user = by
    dup.delete()
    # The duplicate lives on as part of the kept customer: its deletion row would say otherwise.
    HistoricalCustomer = Customer.history.model
    HistoricalCustomer.objects.filter(id=dup_pk, history_type="-").delete()
    HistoricalCustomer.objects.filter(id=dup_pk).update(id=kept.pk)
    ContactPoint.history.model.objects.filter(customer_id=dup_pk).update(customer_id=kept.pk)
    Interaction.history.model.objects.filter(customer_id=dup_pk).update(customer_id=kept.pk)
    Ticket.history.model.objects.filter(customer_id=dup_pk).update(customer_id=kept.pk)
    LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Customer), object_id=str(dup_pk)).update(
        object_id=str(kept.pk)
    )

    if take_external_id:
        kept.external_id = dup_external_id
    kept._history_user = by
    kept._change_reason = reason
    full_clean(kept)
    kept.save()
    return MergeResult(kept, dup_pk, moved, dropped, len(interactions), len(tickets))


# --- Erasure --------------------------------------------------------------------------------------

#: What replaces a ticket subject or a comment body that must stay non-empty.
ERASED_TEXT = "[erased]"
#: The change reason of the history rows an erasure writes (it holds no personal data).
ERASE_REASON = "personal data erased"


def _ids_as_text(queryset: QuerySet, field: str = "pk") -> QuerySet:
    """``queryset``'s ``field`` (an object id) as text, to match admin log entries' ``object_id``."""
    return queryset.annotate(id_text=Cast(field, output_field=CharField())).values("id_text")


def _personal_texts(customer: Customer, interactions: QuerySet, tickets: QuerySet) -> set[str]:
    """The strings that identify the customer or tell about them, to look for in stored copies."""
    HistoricalCustomer = Customer.history.model
    texts: set[str] = set()
    for row in HistoricalCustomer.objects.filter(id=customer.pk).values_list(
        "first_name", "last_name", "company", "external_id", "notes"
    ):
        texts.update(row)
    texts.update(ContactPoint.history.model.objects.filter(customer_id=customer.pk).values_list("value", flat=True))
    texts.update(interactions.values_list("notes", flat=True))
    texts.update(tickets.values_list("subject", flat=True))
    texts.update(tickets.values_list("description", flat=True))
    texts.update(TicketComment.objects.filter(ticket__in=tickets.values("pk")).values_list("body", flat=True))
    return {text for text in texts if text and text.strip() and text != ERASED_TEXT}


def _forget_stored_answers(texts: set[str]) -> int:
    """Blank the stored Idempotency-Key answers quoting one of ``texts``: their rows stay, so that a
    repeated delivery still changes nothing. A key that itself quotes one (a client may build keys
    from an email) cannot be kept: its row goes. Returns how many rows were blanked or deleted."""
    in_body, in_key = Q(), Q()
    for text in texts:
        line = text.strip().splitlines()[0][:100].strip()
        if len(line) < 3:  # too short to tell a person apart: it would blank unrelated answers
            continue
        in_key |= Q(key__icontains=line)
        # As stored: raw UTF-8 (PostgreSQL's jsonb) or JSON-escaped (SQLite's text).
        for form in {line, json.dumps(line)[1:-1], json.dumps(line, ensure_ascii=False)[1:-1]}:
            in_body |= Q(response_body__icontains=form)
    if not in_key:
        return 0
    deleted, _per_model = IdempotencyKey.objects.filter(in_key).delete()
    return deleted + IdempotencyKey.objects.filter(in_body).update(response_body=None)


@transaction.atomic
def customer_erase(*, customer: Customer, by: AbstractBaseUser | None = None) -> ErasureRecord:
    """Erase a customer's personal data everywhere in the database, history included (SPEC §8).

    - the customer's names, company, notes, tags and external id are blanked, its consents
      withdrawn and ``erased_at`` set; its contact points are deleted;
    - its interactions lose their notes and recording reference, its tickets their subject
      (``[erased]``) and description, their comments their body, its survey responses their
      comment;
    - every history row of those objects (``Historical*`` tables, updated in place) and every
      admin log entry about them is blanked the same way;
    - the caller numbers kept with the telephony system's call events of its interactions are
      blanked, and stored Idempotency-Key answers quoting it are blanked (a key quoting it is
      deleted);
    - the interactions and tickets stay, linked to the now anonymous customer, so that the KPIs
      (FCR repeats included) keep their counts.

    Erasing again is allowed and safe: it blanks whatever was added since and records it too.
    Returns the :class:`ErasureRecord`, which holds no personal data.
    """
    locked = _lock_customers(customer.pk)
    if customer.pk not in locked:
        raise Customer.DoesNotExist
    customer = locked[customer.pk]
    interactions = Interaction.objects.filter(customer=customer)
    tickets = Ticket.objects.filter(customer=customer)
    HistoricalCustomer = Customer.history.model
    HistoricalContactPoint = ContactPoint.history.model
    HistoricalInteraction = Interaction.history.model
    HistoricalTicket = Ticket.history.model
    # Contact points the customer ever had, including those moved away or deleted since.
    point_ids = HistoricalContactPoint.objects.filter(customer_id=customer.pk).values("id")
    counts: dict[str, int] = {}
    needles = _personal_texts(customer, interactions, tickets)

    points = list(customer.contact_points.all())
    for point in points:
        point._history_user = by
        point._change_reason = ERASE_REASON
        point.delete()
    counts["contact_points"] = len(points)

    to_blank = list(interactions.exclude(notes="", recording=""))
    for interaction in to_blank:
        interaction.notes, interaction.recording = "", ""
    bulk_update_with_history(
        to_blank,
        Interaction,
        ["notes", "recording"],
        batch_size=500,
        default_user=by,
        default_change_reason=ERASE_REASON,
    )
    counts["interactions"] = len(to_blank)

    ticket_rows = list(tickets.exclude(subject=ERASED_TEXT, description=""))
    for ticket in ticket_rows:
        ticket.subject, ticket.description, ticket.version = ERASED_TEXT, "", ticket.version + 1
    bulk_update_with_history(
        ticket_rows,
        Ticket,
        ["subject", "description", "version"],
        batch_size=500,
        default_user=by,
        default_change_reason=ERASE_REASON,
    )
    counts["tickets"] = len(ticket_rows)
    counts["ticket_comments"] = (
        TicketComment.objects.filter(ticket__in=tickets.values("pk")).exclude(body=ERASED_TEXT).update(body=ERASED_TEXT)
    )
    counts["survey_responses"] = (
        SurveyResponse.objects.filter(interaction__in=interactions.values("pk")).exclude(comment="").update(comment="")
    )

    customer.first_name = customer.last_name = customer.company = customer.notes = customer.external_id = ""
    customer.tags = []
    customer.consent_marketing = customer.consent_recording = customer.consent_surveys = False
    customer.erased_at = timezone.now()
    customer._history_user = by
    customer._change_reason = ERASE_REASON
    full_clean(customer)
    customer.save()

    # History, in place. A change reason may quote anything: only the erasure's own is kept.
    def scrub_reason(queryset: QuerySet) -> None:
        queryset.exclude(history_change_reason=ERASE_REASON).exclude(history_change_reason__isnull=True).update(
            history_change_reason=None
        )

    customer_rows = HistoricalCustomer.objects.filter(id=customer.pk)
    point_rows = HistoricalContactPoint.objects.filter(Q(customer_id=customer.pk) | Q(id__in=point_ids))
    interaction_rows = HistoricalInteraction.objects.filter(
        Q(customer_id=customer.pk) | Q(id__in=interactions.values("pk"))
    )
    ticket_rows_history = HistoricalTicket.objects.filter(Q(customer_id=customer.pk) | Q(id__in=tickets.values("pk")))
    for rows in (customer_rows, point_rows, interaction_rows, ticket_rows_history):
        scrub_reason(rows)
    history = customer_rows.update(first_name="", last_name="", company="", notes="", tags=[], external_id="")
    history += point_rows.update(value="", label="", network="")
    history += interaction_rows.update(notes="", recording="")
    history += ticket_rows_history.update(subject=ERASED_TEXT, description="")
    counts["history_rows"] = history

    # The admin's log names objects by their str() (a name, a phone, a ticket subject).
    content_type = ContentType.objects.get_for_model
    logged = Q(content_type=content_type(Customer), object_id=str(customer.pk))
    logged |= Q(content_type=content_type(ContactPoint), object_id__in=_ids_as_text(point_rows, "id"))
    logged |= Q(content_type=content_type(Interaction), object_id__in=_ids_as_text(interactions))
    logged |= Q(content_type=content_type(Ticket), object_id__in=_ids_as_text(tickets))
    logged |= Q(
        content_type=content_type(TicketComment),
        object_id__in=_ids_as_text(TicketComment.objects.filter(ticket__in=tickets.values("pk"))),
    )
    logged |= Q(
        content_type=content_type(SurveyResponse),
        object_id__in=_ids_as_text(SurveyResponse.objects.filter(interaction__in=interactions.values("pk"))),
    )
    counts["admin_log_entries"] = LogEntry.objects.filter(logged).update(object_repr=ERASED_TEXT, change_message="")

    # The telephony system's call events keep the caller's number as received.
    counts["cti_events"] = sum(
        cti_call_erase_numbers(interaction=interaction)
        for interaction in interactions.filter(cti_call__isnull=False).only("pk")
    )
    # Answers kept for Idempotency-Key replays (7 days) may quote any of it.
    counts["stored_answers"] = _forget_stored_answers(needles)
    for hook in _erase_hooks:
        counts.update(hook(customer=customer))

    username = by.get_username() if by is not None and by.is_authenticated else ""
    record = ErasureRecord(
        customer_id=customer.pk,
        erased_by=by if username else None,
        erased_by_username=username,
        erased_at=customer.erased_at,
        counts=counts,
    )
    full_clean(record)
    record.save()
    return record


#: The request header a proxy may set to tie a request to its own logs (kept with a read).
REQUEST_ID_HEADER = "HTTP_X_REQUEST_ID"


def _client_ip(request: HttpRequest) -> str | None:
    """The peer address of ``request`` as the server saw it (a proxy's own ``X-Forwarded-For`` is
    not trusted: anybody can send one)."""
    address = request.META.get("REMOTE_ADDR") or ""
    try:
        validate_ipv46_address(address)
    except ValidationError:
        return None
    return address


def customer_read_record(*, request: HttpRequest, customer_id: int, what: str) -> None:
    """Record that ``request``'s user read customer ``customer_id``'s data (a :class:`CustomerRead`
    of kind ``what``), with the request's peer address and ``X-Request-ID`` when it has them.

    Exactly one ``INSERT`` and nothing else: no ``full_clean()`` (it would read the user again to
    check a key the request has just authenticated), no savepoint (a single statement is atomic by
    itself), no primary key read back, and the statement built once
    (:func:`contactcenter.core.compiled.insert_row`). Called by every page and endpoint that shows
    a customer, once the customer is found in
    what the user may see and before anything of it is shown: one row per read, whatever the role.
    """
    user = request.user
    authenticated = user is not None and user.is_authenticated
    insert_row(
        CustomerRead,
        customer_id=customer_id,
        user_id=user.pk if authenticated else None,
        username=user.get_username() if authenticated else "",
        what=what,
        read_at=timezone.now(),
        ip=_client_ip(request),
        request_id=(request.META.get(REQUEST_ID_HEADER) or "")[:64],
    )
