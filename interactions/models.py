"""Interactions, tickets, SLA policies and business hours, dispositions, survey responses (SPEC §3)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contactcenter.core.choices import Channel, Direction
from contactcenter.core.db import CleanCheckedConstraintsModel
from interactions import durations
from interactions.querysets import InteractionQuerySet, TicketQuerySet


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending (waiting on the customer)")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_TICKET_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)


class Disposition(models.Model):
    """The outcome an agent picks when logging an interaction (a configurable list)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    label = models.CharField(_("label"), max_length=100)
    resolves = models.BooleanField(
        _("resolves the contact"), default=False, help_text=_("Picking it marks the interaction resolved.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["sort_order", "label"]
        verbose_name = _("disposition")
        verbose_name_plural = _("dispositions")

    def __str__(self) -> str:
        # The default labels are in the translation catalogue; a center's own ones pass through.
        return gettext(self.label)


class BusinessHours(models.Model):
    """One opening window of the center's weekly calendar; SLA clocks run only inside them."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))

    class Meta:
        ordering = ["weekday", "opens_at"]
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")),
                name="business_hours_close_after_open",
                violation_error_message=_("Closing time must be after opening time."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"


class Holiday(models.Model):
    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class SlaPolicy(models.Model):
    """First-response and resolution targets for the tickets of one priority."""

    name = models.CharField(_("name"), max_length=100)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, unique=True)
    first_response_minutes = models.PositiveIntegerField(_("first response within (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (minutes)"))
    business_hours_only = models.BooleanField(
        _("count business hours only"),
        default=True,
        help_text=_("When on, the clock stops outside business hours and on holidays."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["first_response_minutes"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(resolution_minutes__gte=F("first_response_minutes")),
                name="sla_resolution_after_first_response",
                violation_error_message=_("The resolution target cannot come before the first-response target."),
            ),
        ]

    def __str__(self) -> str:
        return gettext(self.name)


class TicketCategory(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("ticket category")
        verbose_name_plural = _("ticket categories")

    def __str__(self) -> str:
        return gettext(self.name)


class ReferenceCounter(models.Model):
    """Gap-free counters for human references (T-000042), incremented under a row lock."""

    name = models.CharField(max_length=30, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("reference counter")
        verbose_name_plural = _("reference counters")

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class Ticket(CleanCheckedConstraintsModel):
    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="tickets",
        verbose_name=_("customer"),
    )
    status = models.CharField(_("status"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.NEW)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    category = models.ForeignKey(
        TicketCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("category"),
    )
    queue = models.ForeignKey(
        "agents.Queue",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        related_name="tickets",
        verbose_name=_("queue"),
    )
    team = models.ForeignKey(
        "agents.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("team"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    sla_policy = models.ForeignKey(
        SlaPolicy,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("SLA policy"),
    )
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    sla_paused_at = models.DateTimeField(
        _("SLA paused since"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set while the ticket is pending on the customer: its SLA clocks stop."),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    version = models.PositiveIntegerField(
        _("version"), default=1, help_text=_("Raised on every change; a write must carry the version it read.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(verbose_name=_("historical ticket"), verbose_name_plural=_("ticket history"))
    objects = TicketQuerySet.as_manager()

    CLEAN_CHECKED_CONSTRAINTS = frozenset({"ticket_resolved_after_created"})

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        # The customer, queue and assignee keys have no index of their own (``db_index=False``):
        # each leads one of these, which serves their look-ups and the deletes of what they point
        # at, and a ticket written keeps three indexes fewer up to date.
        indexes = [
            models.Index(fields=["status", "assignee"], name="ticket_status_assignee_idx"),
            models.Index(fields=["queue", "status"], name="ticket_queue_status_idx"),
            models.Index(fields=["customer", "status"], name="ticket_customer_status_idx"),
            models.Index(fields=["status", "created_at"], name="ticket_status_created_idx"),
            models.Index(fields=["resolution_due"], name="ticket_resolution_due_idx"),
            # The lists' order (-created_at, -id), whole or by queue or assignee: a page is the
            # first rows of one index range, whatever the number of tickets.
            models.Index(fields=["created_at", "id"], name="ticket_created_idx"),
            models.Index(fields=["queue", "created_at", "id"], name="ticket_queue_created_idx"),
            models.Index(fields=["assignee", "created_at", "id"], name="ticket_assignee_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(version__gte=1),
                name="ticket_version_positive",
                violation_error_message=_("A ticket's version starts at 1."),
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("created_at")),
                name="ticket_resolved_after_created",
                violation_error_message=_("A ticket cannot be resolved before it was created."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not (self.subject or "").strip():
            errors["subject"] = _("Give the ticket a subject.")
        if self.created_at:
            for field in ("first_responded_at", "resolved_at", "closed_at"):
                value = getattr(self, field)
                if value and value < self.created_at:
                    errors[field] = _("This cannot be earlier than the ticket's creation.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TICKET_STATUSES


class TicketComment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments", verbose_name=_("ticket"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ticket_comments",
        verbose_name=_("author"),
    )
    body = models.TextField(_("comment"))
    public = models.BooleanField(
        _("public"), default=False, help_text=_("Public comments are sent to the customer; internal ones are not.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket comment")
        verbose_name_plural = _("ticket comments")
        # The admin lists every comment newest first.
        indexes = [models.Index(fields=["created_at", "id"], name="ticket_comment_created_idx")]

    def __str__(self) -> str:
        return f"{self.ticket.reference} #{self.pk}"

    def clean(self) -> None:
        if not (self.body or "").strip():
            raise ValidationError({"body": _("A comment cannot be empty.")})


class SlaBreach(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response overdue")
    RESOLUTION = "resolution", _("Resolution overdue")


class TicketEscalation(models.Model):
    """One SLA breach of a ticket and the priority step it caused.

    Recorded once per ticket and kind of breach, so that ``escalate_overdue`` raises the priority
    once for each breach however often it runs; it is also the audit trail of escalations.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="escalations", verbose_name=_("ticket"))
    breach = models.CharField(_("breach"), max_length=20, choices=SlaBreach.choices)
    due_at = models.DateTimeField(_("was due at"))
    from_priority = models.CharField(_("priority before"), max_length=10, choices=Priority.choices)
    to_priority = models.CharField(_("priority after"), max_length=10, choices=Priority.choices)
    created_at = models.DateTimeField(_("escalated at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket escalation")
        verbose_name_plural = _("ticket escalations")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "breach"],
                name="ticket_escalation_once_per_breach",
                violation_error_message=_("This breach of this ticket was already escalated."),
            ),
        ]

    def __str__(self) -> str:
        change = f"{self.get_from_priority_display()}→{self.get_to_priority_display()}"
        return f"{self.ticket_id} {self.get_breach_display()} {change}"


class Interaction(CleanCheckedConstraintsModel):
    """One contact on one channel, from arrival to the end of after-call work.

    Durations and outcome flags follow SPEC §4 and are defined once, in
    :mod:`interactions.durations`.
    """

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.INBOUND)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="interactions",
        verbose_name=_("customer"),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        related_name="interactions",
        verbose_name=_("agent"),
    )
    queue = models.ForeignKey(
        "agents.Queue",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        related_name="interactions",
        verbose_name=_("queue"),
    )
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="interactions",
        verbose_name=_("ticket"),
    )
    offered_at = models.DateTimeField(_("offered at"), help_text=_("Arrived in the queue, or started."))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    wrapup_ended_at = models.DateTimeField(_("after-call work ended at"), null=True, blank=True)
    hold_seconds = models.IntegerField(_("hold (seconds)"), default=0)
    disposition = models.ForeignKey(
        Disposition,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interactions",
        verbose_name=_("disposition"),
    )
    resolved = models.BooleanField(_("resolved"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    sentiment = models.FloatField(_("sentiment"), null=True, blank=True, help_text=_("From -1 (negative) to 1."))
    sentiment_computed = models.BooleanField(
        _("sentiment computed"),
        default=False,
        editable=False,
        help_text=_("Scored from the notes by the sentiment analyser, not supplied."),
    )
    fcr_repeated = models.BooleanField(
        _("repeated within the FCR window"),
        default=False,
        editable=False,
        help_text=_(
            "A handled inbound contact of a customer who made another inbound contact within the first-contact "
            'resolution window after it; kept by the database (docs/kpis.md, "How FCR is counted").'
        ),
    )
    script_version = models.ForeignKey(
        "scripts.ScriptVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interactions",
        verbose_name=_("script version"),
    )
    # Nullable, no default: SQLite adds the column in place (a default would rebuild the table,
    # which the KPI triggers on it forbid).
    script_path = models.JSONField(
        _("script path"),
        null=True,
        blank=True,
        help_text=_("The keys of the script's steps the agent went through, in order: the last is where they ended."),
    )
    recording = models.CharField(_("recording reference"), max_length=500, blank=True)
    source = models.CharField(
        _("source"), max_length=50, blank=True, help_text=_("The system the interaction came from (pbx, crm, …).")
    )
    external_id = models.CharField(
        _("external id"), max_length=150, blank=True, help_text=_("Its id in the source system, unique per source.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # The FCR flag is derived data the database keeps; its changes are nobody's edit.
    history = HistoricalRecords(
        verbose_name=_("historical interaction"),
        verbose_name_plural=_("interaction history"),
        excluded_fields=["fcr_repeated"],
    )
    objects = InteractionQuerySet.as_manager()

    CLEAN_CHECKED_CONSTRAINTS = frozenset(
        {
            "interaction_answered_after_offered",
            "interaction_ended_after_offered",
            "interaction_ended_after_answered",
            "interaction_wrapup_after_end",
            "interaction_sentiment_in_range",
            "interaction_hold_not_negative",
        }
    )

    class Meta:
        ordering = ["-offered_at", "-id"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        # The customer, agent, queue and ticket keys have no index of their own (``db_index=False``):
        # each leads one of these, which serves their look-ups and the deletes of what they point
        # at, and every contact written keeps four indexes fewer up to date (at 10M contacts, 370
        # MB less to keep in memory).
        indexes = [
            models.Index(fields=["offered_at"], name="interaction_offered_idx"),
            models.Index(fields=["customer", "offered_at"], name="interaction_customer_idx"),
            models.Index(fields=["agent", "offered_at"], name="interaction_agent_idx"),
            models.Index(fields=["queue", "offered_at"], name="interaction_queue_idx"),
            # The contacts waiting in a queue (neither answered nor ended): the wallboard reads them
            # without going through the day's answered and ended ones.
            models.Index(
                fields=["queue", "offered_at"],
                condition=Q(answered_at__isnull=True, ended_at__isnull=True),
                name="interaction_waiting_idx",
            ),
            models.Index(fields=["ticket"], name="interaction_ticket_idx"),
            # An agent's current call: their answered contacts whose after-call work is not over,
            # the newest first, read without going through their whole history.
            models.Index(
                fields=["agent", "answered_at"],
                condition=Q(wrapup_ended_at__isnull=True),
                name="interaction_agent_open_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="interaction_external_id_unique_per_source",
                violation_error_message=_("An interaction with this external id already exists for this source."),
            ),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | Q(answered_at__gte=F("offered_at")),
                name="interaction_answered_after_offered",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("offered_at")),
                name="interaction_ended_after_offered",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(answered_at__isnull=True) | Q(ended_at__gte=F("answered_at")),
                name="interaction_ended_after_answered",
            ),
            models.CheckConstraint(
                condition=Q(wrapup_ended_at__isnull=True)
                | (Q(ended_at__isnull=False) & Q(wrapup_ended_at__gte=F("ended_at"))),
                name="interaction_wrapup_after_end",
            ),
            models.CheckConstraint(condition=Q(hold_seconds__gte=0), name="interaction_hold_not_negative"),
            models.CheckConstraint(
                condition=Q(sentiment__isnull=True) | (Q(sentiment__gte=-1) & Q(sentiment__lte=1)),
                name="interaction_sentiment_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.get_direction_display()} #{self.pk}"

    def clean(self) -> None:
        errors = durations.validation_errors(self)
        if errors:
            raise ValidationError(errors)

    @property
    def wait_seconds(self) -> float | None:
        return durations.wait_seconds(self)

    @property
    def talk_seconds(self) -> float | None:
        return durations.talk_seconds(self)

    @property
    def acw_seconds(self) -> float | None:
        return durations.acw_seconds(self)

    @property
    def handle_seconds(self) -> float | None:
        return durations.handle_seconds(self)

    @property
    def is_short_abandon(self) -> bool:
        return durations.is_short_abandon(self)

    @property
    def abandoned(self) -> bool:
        return durations.is_abandoned(self)


# --- CTI intake (SPEC §7): the telephony system's call events, and the call they belong to -------


class CtiEventType(models.TextChoices):
    OFFERED = "call.offered", _("Call offered")
    ANSWERED = "call.answered", _("Call answered")
    HELD = "call.held", _("Call put on hold")
    RESUMED = "call.resumed", _("Call resumed from hold")
    ENDED = "call.ended", _("Call ended")
    WRAPUP_ENDED = "call.wrapup_ended", _("After-call work ended")
    ABANDONED = "call.abandoned", _("Call abandoned")
    RECORDING_PAUSED = "call.recording_paused", _("Call recording paused")
    RECORDING_RESUMED = "call.recording_resumed", _("Call recording resumed")


#: The events of a call's holds.
CTI_HOLD_EVENTS = (CtiEventType.HELD, CtiEventType.RESUMED)
#: The events of the pauses of a call's recording (card payments: nothing of them is recorded).
CTI_RECORDING_EVENTS = (CtiEventType.RECORDING_PAUSED, CtiEventType.RECORDING_RESUMED)
#: Events that may happen several times in one call; each one is identified by its timestamp.
CTI_REPEATABLE_EVENTS = (*CTI_HOLD_EVENTS, *CTI_RECORDING_EVENTS)


class CtiCall(models.Model):
    """One call of the telephony system, by its ``call_id``: the row locked while one of its events
    is applied (so that the events of one call are applied one at a time), the interaction it
    became, and what was last derived from its events outside the interaction."""

    call_id = models.CharField(_("call id"), max_length=150, unique=True)
    interaction = models.OneToOneField(
        Interaction,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cti_call",
        verbose_name=_("interaction"),
    )
    caller = models.CharField(
        _("caller"),
        max_length=200,
        blank=True,
        help_text=_("The caller number the interaction's customer was last matched on."),
    )
    presence_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent the call was offered to"),
    )
    presence_status = models.CharField(
        _("offer"),
        max_length=10,
        blank=True,
        help_text=_("ringing: offered to the agent, not taken yet; missed: the agent did not take it."),
    )
    presence_at = models.DateTimeField(_("offer changed at"), null=True, blank=True)
    held_since = models.DateTimeField(
        _("on hold since"),
        null=True,
        blank=True,
        help_text=_("When the hold the call is in now began; empty when it is not on hold."),
    )
    recording_paused = models.JSONField(
        _("recording paused"),
        default=list,
        blank=True,
        help_text=_(
            "The spans during which the recording was paused, as recomputed from the call's events: "
            "[start, end] in ISO 8601, end null while the pause lasts."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("CTI call")
        verbose_name_plural = _("CTI calls")
        indexes = [models.Index(fields=["presence_agent", "presence_at"], name="cti_call_presence_idx")]

    def __str__(self) -> str:
        return self.call_id


class CtiEvent(models.Model):
    """One call event accepted from the telephony system, stored as received.

    Each ``(call, event)`` is stored once; a hold and a resume (and a pause or resume of the
    recording) may happen several times in a call, so for them the key is ``(call, event,
    timestamp)``: the telephony system's timestamp of a hold tells it apart from the call's other
    holds, and a repeated delivery carries the same one.
    """

    cti_call = models.ForeignKey(CtiCall, on_delete=models.CASCADE, related_name="events", verbose_name=_("call"))
    event = models.CharField(_("event"), max_length=30, choices=CtiEventType.choices)
    timestamp = models.DateTimeField(_("timestamp"), help_text=_("When it happened, by the telephony system's clock."))
    caller = models.CharField(_("caller"), max_length=200, blank=True, help_text=_("The caller number, as received."))
    called = models.CharField(
        _("number called"), max_length=200, blank=True, help_text=_("The number called (to), as received.")
    )
    direction = models.CharField(
        _("direction"),
        max_length=10,
        blank=True,
        choices=Direction.choices,
        help_text=_("Inbound or outbound, when the event said so."),
    )
    # The id as received, not a relation: the event log stays as it came (deleting or merging a
    # customer does not touch it); the interaction's customer is the relation.
    named_customer = models.PositiveBigIntegerField(
        _("customer named"),
        null=True,
        blank=True,
        help_text=_("The id of the customer the event named (a click-to-dial call knows whom it calls)."),
    )
    queue = models.ForeignKey(
        "agents.Queue",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cti_events",
        verbose_name=_("queue"),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cti_events",
        verbose_name=_("agent"),
    )
    payload = models.JSONField(_("payload"), default=dict, blank=True, help_text=_("The event's fields, as received."))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("received from"),
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["timestamp", "id"]
        verbose_name = _("CTI event")
        verbose_name_plural = _("CTI events")
        constraints = [
            models.UniqueConstraint(
                fields=["cti_call", "event"],
                condition=~Q(event__in=CTI_REPEATABLE_EVENTS),
                name="cti_event_once_per_call",
                violation_error_message=_("This event of this call is already stored."),
            ),
            models.UniqueConstraint(
                fields=["cti_call", "event", "timestamp"],
                condition=Q(event__in=CTI_REPEATABLE_EVENTS),
                name="cti_repeatable_event_once_per_timestamp",
                violation_error_message=_("This event of this call is already stored at this time."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} {timezone.localtime(self.timestamp):%Y-%m-%d %H:%M:%S}"


# --- Survey responses (SPEC §3): CSAT 1–5, NPS 0–10, CES 1–7, each linked to an interaction ------


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("CSAT (1–5)")
    NPS = "nps", _("NPS (0–10)")
    CES = "ces", _("CES (1–7)")


#: The inclusive score range of each kind of survey.
SCALES: dict[str, tuple[int, int]] = {
    SurveyKind.CSAT: (1, 5),
    SurveyKind.NPS: (0, 10),
    SurveyKind.CES: (1, 7),
}


def _scale_condition() -> Q:
    condition = Q()
    for kind, (low, high) in SCALES.items():
        condition |= Q(kind=kind, score__gte=low, score__lte=high)
    return condition


class SurveyResponse(CleanCheckedConstraintsModel):
    """A customer's answer to a survey about one interaction (at most one per kind).

    The table keeps the name it was created with (``kpis_surveyresponse``): the model moved here
    from the KPI app without touching the data, and the KPI rollup's triggers watch that table.
    """

    interaction = models.ForeignKey(
        "interactions.Interaction",
        on_delete=models.CASCADE,
        related_name="survey_responses",
        verbose_name=_("interaction"),
    )
    kind = models.CharField(_("kind"), max_length=5, choices=SurveyKind.choices)
    score = models.SmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    CLEAN_CHECKED_CONSTRAINTS = frozenset({"survey_score_on_its_scale"})

    class Meta:
        db_table = "kpis_surveyresponse"
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        # The API and the admin list every answer newest first.
        indexes = [models.Index(fields=["created_at", "id"], name="survey_created_idx")]
        constraints = [
            models.CheckConstraint(condition=_scale_condition(), name="survey_score_on_its_scale"),
            models.UniqueConstraint(
                fields=["interaction", "kind"],
                name="survey_one_response_per_interaction_and_kind",
                violation_error_message=_("This interaction already has a response to this survey."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.score}"

    def clean(self) -> None:
        scale = SCALES.get(self.kind)
        if scale is None or self.score is None:
            return  # the field validation already says what is missing
        low, high = scale
        if not low <= self.score <= high:
            raise ValidationError(
                {
                    "score": _("A %(kind)s score is between %(low)s and %(high)s; %(score)s is outside.")
                    % {"kind": self.kind.upper(), "low": low, "high": high, "score": self.score}
                }
            )
