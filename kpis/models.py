"""The KPI rollup's tables (docs/kpis.md "Rollups"): pre-aggregated daily counts and their fill state.

Survey responses, which the KPIs count, are records of the interactions
(:class:`interactions.models.SurveyResponse`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# --- Pre-aggregated counts (docs/kpis.md "Rollups") ------------------------------------------------


class KpiDay(models.Model):
    """The fill state of one local day of :class:`KpiDailyCount` (Zulip's ``FillState``, per day).

    ``counts_final``: the day's volume, time, sentiment and survey sums are in the rollup and
    current; ``fcr_final``: so are its first-contact-resolution counts (only once the
    ``FCR_WINDOW_DAYS`` after the day are over); ``presence_final``: its
    :class:`KpiDailyPresence` rows. Database triggers (``kpis/migrations/0002``) turn
    either flag off as soon as a write touches what it sums (a day's row exists: its counts are
    watched; ``fcr_watched``: its FCR too), so the engine falls back to the raw interactions for
    that day until ``kpis_rollup`` fills it again. ``lower``/``upper`` are the
    day's UTC bounds and ``fcr_until`` is ``upper`` + the FCR window: the triggers compare instants,
    the database never needs the time zone. ``definition`` names the settings the day was computed
    with (time zone, short-abandon threshold, FCR window): another one makes the day unusable.
    ``presence_sealed``: retention has deleted the day's presence log (``retention_apply``), so its
    :class:`KpiDailyPresence` rows are the only record of its occupancy: they are read whatever the
    flags and the definition say, and never recomputed.
    """

    day = models.DateField(_("day"), primary_key=True)
    lower = models.DateTimeField(_("starts at"))
    upper = models.DateTimeField(_("ends at"))
    fcr_until = models.DateTimeField(_("FCR window ends at"))
    definition = models.CharField(_("definition"), max_length=100)
    counts_final = models.BooleanField(_("counts final"), default=False)
    fcr_final = models.BooleanField(_("FCR final"), default=False)
    fcr_watched = models.BooleanField(_("FCR watched"), default=False)
    presence_final = models.BooleanField(_("occupancy final"), default=False)
    presence_sealed = models.BooleanField(
        _("occupancy sealed"),
        default=False,
        help_text=_("The presence log of the day was deleted by retention: its occupancy is kept in the rollup only."),
    )
    filled_at = models.DateTimeField(_("filled at"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("KPI rollup day")
        verbose_name_plural = _("KPI rollup days")
        indexes = [models.Index(fields=["lower"], name="kpiday_lower_idx")]

    def __str__(self) -> str:
        return self.day.isoformat()


class FcrFlags(models.Model):
    """The one row (``id`` 1) saying how ``Interaction.fcr_repeated`` is kept (docs/kpis.md, "How
    FCR is counted").

    The database triggers of ``kpis/migrations/0005`` read the short-abandon threshold and the
    window from here, not from the settings, so that every writer keeps the flags under the same
    definition; ``ready`` says every flag was computed under it. The engine uses the flags only when
    ``ready`` and these values are the settings' (``kpis_rollup`` recomputes them otherwise).
    """

    short_abandon_seconds = models.FloatField(_("short-abandon threshold (seconds)"))
    window_days = models.PositiveIntegerField(_("FCR window (days)"))
    ready = models.BooleanField(_("ready"), default=False)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("FCR repeat flags")
        verbose_name_plural = _("FCR repeat flags")

    def __str__(self) -> str:
        return f"{self.short_abandon_seconds} s, {self.window_days} d, {'ready' if self.ready else 'not ready'}"


class DailyCounts(models.Model):
    """The additive sums behind every interaction KPI of one local day in one queue and channel,
    named after :class:`kpis.selectors.KpiRow`'s counts: the columns of both rollups of counts.

    ``queue`` (and :class:`KpiDailyCount`'s ``agent``) carry no database constraint: a rollup row
    never blocks deleting anything (the triggers mark the day to refill instead).
    """

    day = models.DateField(_("day"))
    queue = models.ForeignKey(
        "agents.Queue",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
        verbose_name=_("queue"),
    )
    channel = models.CharField(_("channel"), max_length=10)
    offered = models.IntegerField(default=0)
    handled = models.IntegerField(default=0)
    abandoned = models.IntegerField(default=0)
    short_abandons = models.IntegerField(default=0)
    answered_in_threshold = models.IntegerField(default=0)
    handled_ended = models.IntegerField(default=0)
    handle_seconds = models.FloatField(default=0)
    handled_inbound = models.IntegerField(default=0)
    wait_seconds = models.FloatField(default=0)
    sentiment_scored = models.IntegerField(default=0)
    sentiment_sum = models.FloatField(default=0)
    sentiment_positives = models.IntegerField(default=0)
    sentiment_negatives = models.IntegerField(default=0)
    fcr_contacts = models.IntegerField(default=0)
    fcr_repeats = models.IntegerField(default=0)
    csat_responses = models.IntegerField(default=0)
    csat_satisfied = models.IntegerField(default=0)
    nps_responses = models.IntegerField(default=0)
    nps_promoters = models.IntegerField(default=0)
    nps_detractors = models.IntegerField(default=0)
    ces_responses = models.IntegerField(default=0)
    ces_sum = models.IntegerField(default=0)

    class Meta:
        abstract = True


class KpiDailyCount(DailyCounts):
    """The additive sums behind every interaction KPI of one local day, per agent × queue ×
    channel (the engine joins the agent's current team and the names at query time)."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # kpidailycount_agent_day_idx below
        null=True,
        related_name="+",
        verbose_name=_("agent"),
    )

    class Meta:
        ordering = ["day", "id"]
        verbose_name = _("KPI daily count")
        verbose_name_plural = _("KPI daily counts")
        indexes = [
            models.Index(fields=["day", "agent", "queue"], name="kpidailycount_day_idx"),
            # A report by agent (one agent's or a team's) reads each agent's days of the period,
            # not their whole history.
            models.Index(fields=["agent", "day"], name="kpidailycount_agent_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.agent_id} {self.queue_id} {self.channel}"


class KpiDailyQueueCount(DailyCounts):
    """:class:`KpiDailyCount` summed over the agents: one local day per queue × channel, written
    with it (the day's fill, the FCR triggers' moves), so that a report with no agent in it (the
    whole center, by queue, channel or period) reads as many rows whatever the number of agents."""

    class Meta:
        ordering = ["day", "id"]
        verbose_name = _("KPI daily count per queue")
        verbose_name_plural = _("KPI daily counts per queue")
        indexes = [models.Index(fields=["day", "queue"], name="kpidailyqueuecount_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.queue_id} {self.channel}"


class KpiDailyPresence(models.Model):
    """Occupancy's sums of one local day per agent: the seconds of their presence stretches inside
    the day, staffed (available, busy, wrap-up) and occupied (busy, wrap-up)."""

    day = models.DateField(_("day"))
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("agent"),
    )
    staffed_seconds = models.FloatField(default=0)
    occupied_seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["day", "id"]
        verbose_name = _("KPI daily presence")
        verbose_name_plural = _("KPI daily presence")
        indexes = [models.Index(fields=["day", "agent"], name="kpidailypresence_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.agent_id}"


# --- The wallboard's queue counters (docs/kpis.md "Queue counters kept at write time") -------------


class KpiQueueCount(models.Model):
    """What the wallboard counts of one queue's contacts offered in one quarter hour (UTC, by
    ``offered_at``): offered, handled, abandoned, and handled within the queue's service-level
    threshold. Kept in the writing transaction by the database triggers of
    ``kpis/migrations/0006_queue_counts.py`` (a row's contribution added on insert, taken off on
    delete, both on update); the wallboard sums a local day's quarter hours.

    ``service_level_seconds`` is the queue's threshold that ``answered_in_threshold`` was counted
    with (the queue's when the row was made): a row whose threshold is no longer the queue's is not
    used. ``queue`` carries no database constraint: a counter never blocks deleting anything.
    """

    queue = models.ForeignKey(
        "agents.Queue",
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,  # the unique (queue, quarter) index serves it
        related_name="+",
        verbose_name=_("queue"),
    )
    #: ``floor(epoch seconds of offered_at / 900)``.
    quarter = models.BigIntegerField(_("quarter hour"))
    service_level_seconds = models.PositiveIntegerField(_("service-level threshold (seconds)"))
    offered = models.IntegerField(default=0)
    handled = models.IntegerField(default=0)
    abandoned = models.IntegerField(default=0)
    answered_in_threshold = models.IntegerField(default=0)

    class Meta:
        ordering = ["queue", "quarter"]
        verbose_name = _("queue counter")
        verbose_name_plural = _("queue counters")
        constraints = [models.UniqueConstraint(fields=["queue", "quarter"], name="kpiqueuecount_queue_quarter_uniq")]

    def __str__(self) -> str:
        return f"{self.queue_id} {self.quarter}"


class QueueCountState(models.Model):
    """The one row (``id`` 1) saying how :class:`KpiQueueCount` is kept: the short-abandon
    threshold the triggers read (not the settings, so that every writer counts alike), the
    ``definition`` (the counters' version and that threshold) and ``ready`` (every counter was
    computed under it). The wallboard uses the counters only when ``ready`` and the definition is
    the current one (``kpis_rollup`` rebuilds them otherwise); without this row the triggers
    keep nothing."""

    short_abandon_seconds = models.FloatField(_("short-abandon threshold (seconds)"))
    definition = models.CharField(_("definition"), max_length=100)
    ready = models.BooleanField(_("ready"), default=False)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("queue counters state")
        verbose_name_plural = _("queue counters state")

    def __str__(self) -> str:
        return f"{self.definition}, {'ready' if self.ready else 'not ready'}"
