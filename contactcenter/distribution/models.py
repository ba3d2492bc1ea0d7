"""Routing (``docs/routing.md``): the queues' routing settings, the agents' capacities and skill
levels, the work items waiting for an agent, and the log of every offer."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contactcenter.agents.models import AgentProfile, Queue, Skill
from contactcenter.core.choices import Channel
from contactcenter.distribution.querysets import CallbackQuerySet

#: Skill levels run from 1 (holds the skill) to 5 (expert).
MIN_LEVEL, MAX_LEVEL = 1, 5
_LEVELS = [MinValueValidator(MIN_LEVEL), MaxValueValidator(MAX_LEVEL)]
#: Priorities run from 0 to 100, higher first.
MAX_PRIORITY = 100
_PRIORITIES = [MinValueValidator(0), MaxValueValidator(MAX_PRIORITY)]


class WorkKind(models.TextChoices):
    CHAT = "chat", _("Chat")
    EMAIL = "email", _("Email")
    TICKET = "ticket", _("Ticket")
    CALLBACK = "callback", _("Callback")


#: The channel whose capacity a kind of work uses: a callback is a call, a ticket is written work.
KIND_CHANNEL: dict[str, str] = {
    WorkKind.CHAT: Channel.CHAT,
    WorkKind.EMAIL: Channel.EMAIL,
    WorkKind.TICKET: Channel.EMAIL,
    WorkKind.CALLBACK: Channel.VOICE,
}


class WorkState(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    OFFERED = "offered", _("Offered")
    ASSIGNED = "assigned", _("Assigned")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


#: The states of an item still in the routing's hands or an agent's (not done, not cancelled).
OPEN_STATES = (WorkState.WAITING, WorkState.OFFERED, WorkState.ASSIGNED)


class OfferOutcome(models.TextChoices):
    OPEN = "", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    TIMED_OUT = "timed_out", _("Timed out")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class QueueRouting(models.Model):
    """How Switchboard offers the work of one queue (a queue without this row takes the defaults)."""

    queue = models.OneToOneField(Queue, on_delete=models.CASCADE, related_name="routing", verbose_name=_("queue"))
    prefer_last_agent = models.BooleanField(
        _("prefer the customer's last agent"),
        default=False,
        help_text=_("Offer the work to the agent who last handled the customer, when they are eligible."),
    )
    offer_timeout_seconds = models.PositiveIntegerField(
        _("offer timeout (seconds)"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(3600)],
        help_text=_("An offer not answered within this many seconds goes to the next agent."),
    )
    blending = models.BooleanField(
        _("blending"),
        default=False,
        help_text=_(
            "Agents on a call (busy or in wrap-up) may still be offered this queue's work. "
            "Off: a call blocks every other work."
        ),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        default=50,
        validators=_PRIORITIES,
        help_text=_("From 0 to 100: an agent serving several queues is offered the higher priority first."),
    )
    sla_jump_seconds = models.PositiveIntegerField(
        _("SLA jump threshold (seconds)"),
        null=True,
        blank=True,
        help_text=_(
            "Work due within this many seconds passes ahead of older work of the same priority "
            "(empty: oldest first only)."
        ),
    )
    routes_tickets = models.BooleanField(
        _("offer this queue's tickets to agents"),
        default=False,
        help_text=_(
            "Tickets in this queue that nobody holds are offered to its agents one at a time. "
            "Off: they wait to be picked or assigned."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["queue__name"]
        verbose_name = _("queue routing")
        verbose_name_plural = _("queue routing")
        constraints = [
            models.CheckConstraint(
                condition=Q(offer_timeout_seconds__gte=5) & Q(offer_timeout_seconds__lte=3600),
                name="routing_offer_timeout_5_3600",
                violation_error_message=_("The offer timeout is from 5 to 3600 seconds."),
            ),
            models.CheckConstraint(
                condition=Q(priority__lte=MAX_PRIORITY),
                name="routing_queue_priority_0_100",
                violation_error_message=_("The priority is from 0 to 100."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.queue)


class QueueSkillLevel(models.Model):
    """The level a queue asks of one of its skills (a skill of the queue without a row: level 1)."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="skill_levels", verbose_name=_("queue"))
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="+", verbose_name=_("skill"))
    level = models.PositiveSmallIntegerField(_("minimum level"), default=MIN_LEVEL, validators=_LEVELS)

    class Meta:
        ordering = ["queue__name", "skill__name"]
        verbose_name = _("skill level asked by a queue")
        verbose_name_plural = _("skill levels asked by queues")
        constraints = [
            models.UniqueConstraint(fields=["queue", "skill"], name="routing_queue_skill_level_unique"),
            models.CheckConstraint(
                condition=Q(level__gte=MIN_LEVEL) & Q(level__lte=MAX_LEVEL),
                name="routing_queue_skill_level_1_5",
                violation_error_message=_("A skill level is from 1 to 5."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.queue} {self.skill} ≥ {self.level}"


class AgentRouting(models.Model):
    """How much work an agent takes at once, per channel (an agent without this row: the defaults)."""

    profile = models.OneToOneField(
        AgentProfile, on_delete=models.CASCADE, related_name="routing", verbose_name=_("agent")
    )
    voice_capacity = models.PositiveSmallIntegerField(
        _("voice capacity"), default=1, help_text=_("Calls and callbacks at once.")
    )
    chat_capacity = models.PositiveSmallIntegerField(_("chat capacity"), default=3, help_text=_("Chats at once."))
    email_capacity = models.PositiveSmallIntegerField(
        _("email capacity"), default=5, help_text=_("Emails and tickets at once.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["profile__user__username"]
        verbose_name = _("agent capacity")
        verbose_name_plural = _("agent capacities")

    def __str__(self) -> str:
        return str(self.profile)


#: Capacities of an agent without an :class:`AgentRouting` row.
DEFAULT_CAPACITY: dict[str, int] = {Channel.VOICE: 1, Channel.CHAT: 3, Channel.EMAIL: 5}


class AgentSkillLevel(models.Model):
    """The level at which an agent holds one of their skills (a skill held without a row: level 1)."""

    profile = models.ForeignKey(
        AgentProfile, on_delete=models.CASCADE, related_name="skill_levels", verbose_name=_("agent")
    )
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="+", verbose_name=_("skill"))
    level = models.PositiveSmallIntegerField(_("level"), default=MIN_LEVEL, validators=_LEVELS)

    class Meta:
        ordering = ["profile__user__username", "skill__name"]
        verbose_name = _("agent skill level")
        verbose_name_plural = _("agent skill levels")
        constraints = [
            models.UniqueConstraint(fields=["profile", "skill"], name="routing_agent_skill_level_unique"),
            models.CheckConstraint(
                condition=Q(level__gte=MIN_LEVEL) & Q(level__lte=MAX_LEVEL),
                name="routing_agent_skill_level_1_5",
                violation_error_message=_("A skill level is from 1 to 5."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.profile} {self.skill} {self.level}"


class WorkItem(models.Model):
    """One piece of work that Switchboard routes: it waits in its queue, is offered to one agent
    at a time, and is assigned to the agent who accepts it."""

    kind = models.CharField(_("kind"), max_length=10, choices=WorkKind.choices)
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="work_items", verbose_name=_("queue"))
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=50, validators=_PRIORITIES, help_text=_("From 0 to 100, higher first.")
    )
    required_skills = models.JSONField(
        _("required skills"),
        default=list,
        blank=True,
        help_text=_("[skill id, minimum level] pairs, the queue's when the item arrived."),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    ticket = models.ForeignKey(
        "interactions.Ticket",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="work_items",
        verbose_name=_("ticket"),
    )
    arrived_at = models.DateTimeField(_("arrived at"))
    sla_due_at = models.DateTimeField(_("SLA due at"), null=True, blank=True)
    jump_at = models.DateTimeField(
        _("passes ahead from"),
        null=True,
        blank=True,
        help_text=_("From then on the item goes before older items of its priority: its SLA due time is near."),
    )
    state = models.CharField(_("state"), max_length=10, choices=WorkState.choices, default=WorkState.WAITING)
    offered_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("offered to"),
    )
    offer_expires_at = models.DateTimeField(_("offer expires at"), null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-arrived_at", "-id"]
        verbose_name = _("work item")
        verbose_name_plural = _("work items")
        indexes = [
            # The dispatcher's read: the waiting items of some queues, in their order.
            models.Index(fields=["state", "queue", "priority", "arrived_at"], name="routing_item_waiting_idx"),
            # The offer timeout's read: offers past their expiry.
            models.Index(fields=["state", "offer_expires_at"], name="routing_item_offer_expiry_idx"),
            # An agent's load: their assigned items.
            models.Index(fields=["assigned_to", "state"], name="routing_item_assigned_idx"),
            # The queue state's handle times: a queue's items finished lately.
            models.Index(fields=["queue", "state", "closed_at"], name="routing_item_closed_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="offered") | (Q(offered_to__isnull=False) & Q(offer_expires_at__isnull=False)),
                name="routing_item_offer_has_agent_and_expiry",
                violation_error_message=_("An offered item names its agent and when the offer expires."),
            ),
            models.CheckConstraint(
                condition=~Q(state="assigned") | Q(assigned_to__isnull=False),
                name="routing_item_assigned_has_agent",
                violation_error_message=_("An assigned item names its agent."),
            ),
            models.CheckConstraint(
                condition=Q(priority__lte=MAX_PRIORITY),
                name="routing_item_priority_0_100",
                violation_error_message=_("The priority is from 0 to 100."),
            ),
            # A ticket waits in one queue at a time, at most once.
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(state__in=["waiting", "offered", "assigned"]),
                name="routing_item_one_open_per_ticket",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.queue})"

    @property
    def channel(self) -> str:
        return KIND_CHANNEL[self.kind]


class WorkOffer(models.Model):
    """One offer of a work item to an agent, and how it ended: the routing's log and figures."""

    item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="offers", verbose_name=_("work item"))
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="work_offers", verbose_name=_("agent")
    )
    rule = models.CharField(_("chosen by"), max_length=20, blank=True)
    offered_at = models.DateTimeField(_("offered at"))
    expires_at = models.DateTimeField(_("expires at"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=OfferOutcome.choices, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["-offered_at", "-id"]
        verbose_name = _("work offer")
        verbose_name_plural = _("work offers")
        indexes = [
            models.Index(fields=["agent", "offered_at"], name="routing_offer_agent_idx"),
            # The KPI engine's routing figures: the offers of a period (kpis/routing_figures.py).
            models.Index(fields=["offered_at"], name="routing_offer_time_idx"),
        ]
        constraints = [
            # One offer at a time per item and per agent, whatever the dispatchers.
            models.UniqueConstraint(fields=["item"], condition=Q(outcome=""), name="routing_offer_one_open_per_item"),
            models.UniqueConstraint(fields=["agent"], condition=Q(outcome=""), name="routing_offer_one_open_per_agent"),
            models.CheckConstraint(
                condition=Q(outcome="") | Q(answered_at__isnull=False),
                name="routing_offer_closed_has_time",
                violation_error_message=_("A closed offer says when it closed."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} → {self.agent}"


# --- Moving work (queue state and supervisors' control) ------------------------------------------


class MoveTarget(models.TextChoices):
    QUEUE = "queue", _("To a queue")
    AGENT = "agent", _("To an agent")


class WorkItemMove(models.Model):
    """One move of a work item by a supervisor, a manager or an admin: to another queue, or to a
    given agent (``docs/routing.md``, "Moving work"). The log of who moved what, when, from where to
    where; written by :func:`contactcenter.distribution.services.work_item_move` only."""

    item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="moves", verbose_name=_("work item"))
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("moved by"),
    )
    moved_at = models.DateTimeField(_("moved at"))
    target = models.CharField(_("move"), max_length=10, choices=MoveTarget.choices)
    state_before = models.CharField(_("state before"), max_length=10, choices=WorkState.choices)
    from_queue = models.ForeignKey(
        Queue, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("from queue")
    )
    to_queue = models.ForeignKey(
        Queue, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("to queue")
    )
    from_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from agent"),
        help_text=_("The agent the item was offered or assigned to before the move."),
    )
    to_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("to agent"),
    )

    class Meta:
        ordering = ["-moved_at", "-id"]
        verbose_name = _("work item move")
        verbose_name_plural = _("work item moves")
        indexes = [models.Index(fields=["item", "moved_at"], name="routing_move_item_idx")]

    def __str__(self) -> str:
        return f"{self.item} ({self.get_target_display()})"


# --- Callbacks ------------------------------------------------------------------------------------


class CallbackState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    WAITING = "waiting", _("Waiting for an agent")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


#: A callback still to be made: due later, waiting in its queue, or in an agent's hands.
CALLBACK_OPEN_STATES = (CallbackState.SCHEDULED, CallbackState.WAITING, CallbackState.IN_PROGRESS)


class CallbackOutcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    VOICEMAIL = "voicemail", _("Voicemail")
    WRONG_NUMBER = "wrong_number", _("Wrong number")


#: Outcomes after which the callback is tried again later (until its attempts run out).
CALLBACK_RETRIED_OUTCOMES = (CallbackOutcome.NO_ANSWER, CallbackOutcome.BUSY, CallbackOutcome.VOICEMAIL)


class Callback(models.Model):
    """A call promised to a customer at a given time: due, it waits in its queue as a work item
    (``kind=callback``) and is offered first to the agent who promised it."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    phone = models.CharField(_("phone"), max_length=20, help_text=_("The number to call, in E.164 (+…)."))
    due_at = models.DateTimeField(_("due at"))
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="callbacks", verbose_name=_("queue"))
    note = models.TextField(_("note"), blank=True, max_length=2000)
    promised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("promised by"),
    )
    # An id, not a foreign key: interactions may be partitioned by month (a foreign key to them is
    # then triggers), and a callback outlives the retention of the contact that promised it.
    interaction_id = models.BigIntegerField(
        _("promised on contact"),
        null=True,
        blank=True,
        help_text=_("The id of the contact whose log promised it (the desk's callback disposition)."),
    )
    state = models.CharField(_("state"), max_length=12, choices=CallbackState.choices, default=CallbackState.SCHEDULED)
    next_attempt_at = models.DateTimeField(
        _("next attempt at"), help_text=_("When it next waits for an agent: its due time, then each retry's.")
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    work_item = models.ForeignKey(
        WorkItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("work item"),
        help_text=_("The work item of its present (or last) attempt."),
    )
    first_attempt_at = models.DateTimeField(_("first attempt at"), null=True, blank=True)
    kept_on_time = models.BooleanField(
        _("kept on time"),
        null=True,
        blank=True,
        help_text=_("Whether the first attempt came within the on-time window of the due time (empty: none yet)."),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CallbackQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        indexes = [
            # The due job's read: scheduled callbacks whose time has come.
            models.Index(fields=["state", "next_attempt_at"], name="routing_callback_due_idx"),
            models.Index(fields=["queue", "due_at"], name="routing_callback_queue_idx"),
            models.Index(fields=["promised_by", "due_at"], name="routing_callback_promised_idx"),
            models.Index(fields=["interaction_id"], name="routing_callback_contact_idx"),
            # The KPI engine's callbacks kept on time: the callbacks due in a period (kpis/routing_figures.py).
            models.Index(fields=["due_at"], name="routing_callback_due_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.phone} @ {self.due_at:%Y-%m-%d %H:%M} ({self.queue})"


class CallbackAttempt(models.Model):
    """One try of a callback and how it went."""

    callback = models.ForeignKey(
        Callback, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("callback")
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=CallbackOutcome.choices)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    at = models.DateTimeField(_("tried at"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("callback attempt")
        verbose_name_plural = _("callback attempts")

    def __str__(self) -> str:
        return f"{self.callback_id} {self.get_outcome_display()}"
