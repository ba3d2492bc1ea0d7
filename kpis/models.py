"""Survey responses (SPEC §3): CSAT 1–5, NPS 0–10, CES 1–7, each linked to an interaction."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contactcenter.core.db import CleanCheckedConstraintsModel


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
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
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
    filled_at = models.DateTimeField(_("filled at"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("KPI rollup day")
        verbose_name_plural = _("KPI rollup days")
        indexes = [models.Index(fields=["lower"], name="kpiday_lower_idx")]

    def __str__(self) -> str:
        return self.day.isoformat()


class KpiDailyCount(models.Model):
    """The additive sums behind every interaction KPI of one local day, per agent × queue ×
    channel (the engine joins the agent's current team and the names at query time).

    Columns are named after :class:`kpis.selectors.KpiRow`'s counts. ``agent`` and ``queue`` carry
    no database constraint: a rollup row never blocks deleting anything (the triggers mark the day
    to refill instead).
    """

    day = models.DateField(_("day"))
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
        verbose_name=_("agent"),
    )
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
        ordering = ["day", "id"]
        verbose_name = _("KPI daily count")
        verbose_name_plural = _("KPI daily counts")
        indexes = [models.Index(fields=["day", "agent", "queue"], name="kpidailycount_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.agent_id} {self.queue_id} {self.channel}"


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
