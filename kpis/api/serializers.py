"""The query and answer of ``kpis/`` (SPEC §5)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from contactcenter.core.choices import Channel
from kpis.definitions import GROUPS, MAX_PERIOD_DAYS

#: Dates outside these bounds cannot be meant (and the time-zone arithmetic would overflow).
KPI_MIN_DATE, KPI_MAX_DATE = date(1900, 1, 1), date(9000, 1, 1)


class KpiQuerySerializer(serializers.Serializer):
    """The query of ``GET kpis/``; ``from`` and ``to`` are declared as ``start`` and ``end`` (Python
    keywords) and renamed in :meth:`get_fields`."""

    start = serializers.DateField(
        required=False,
        help_text=_(
            "First local day of the period (YYYY-MM-DD, in the center's time zone). Default: the first day "
            "of the month of the day before `to`, or of the current month."
        ),
    )
    end = serializers.DateField(
        required=False,
        help_text=_(
            "Day after the last local day of the period (excluded). Default: the first day of the month "
            "after `from`'s. The period lasts at most 366 days."
        ),
    )
    group_by = serializers.ChoiceField(
        choices=GROUPS,
        required=False,
        allow_blank=True,
        help_text=_("One row per agent, team, queue, channel, day, week or month; none: one row."),
        error_messages={
            "invalid_choice": _(
                '"{input}" is not a grouping; choose one of: agent, team, queue, channel, day, week, month.'
            )
        },
    )
    agent = serializers.CharField(required=False, allow_blank=True, max_length=150, help_text=_("Agent username."))
    team = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text=_("Team name."))
    queue = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text=_("Queue name."))
    channel = serializers.ChoiceField(
        choices=Channel.choices, required=False, allow_blank=True, help_text=_("Channel code.")
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        return {"from": fields.pop("start"), "to": fields.pop("end"), **fields}

    def _in_range(self, name: str, value: date | None) -> None:
        if value is not None and not KPI_MIN_DATE <= value < KPI_MAX_DATE:
            raise serializers.ValidationError(
                {name: [_("Give a date from %(low)s to %(high)s.") % {"low": KPI_MIN_DATE, "high": KPI_MAX_DATE}]}
            )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("from"), attrs.get("to")
        self._in_range("from", start)
        self._in_range("to", end)
        if start is None:
            anchor = end - timedelta(days=1) if end is not None else timezone.localdate()
            start = anchor.replace(day=1)
        if end is None:
            end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        if end <= start:
            raise serializers.ValidationError(
                {"to": [_("The period must end after it starts: `to` is excluded, so it comes after `from`.")]}
            )
        if (end - start).days > MAX_PERIOD_DAYS:
            raise serializers.ValidationError(
                {"to": [_("A report covers %(days)s days at most.") % {"days": MAX_PERIOD_DAYS}]}
            )
        return {
            **attrs,
            "from": start,
            "to": end,
            "group_by": attrs.get("group_by") or None,
            **{name: attrs.get(name) or None for name in ("agent", "team", "queue", "channel")},
        }


class KpiRowSerializer(serializers.Serializer):
    key = serializers.CharField(
        allow_null=True,
        help_text=_(
            "The group: username, team or queue name, channel code, YYYY-MM-DD of a day or of a week's "
            "Monday, YYYY-MM of a month; null for interactions without one, and without grouping."
        ),
    )
    offered = serializers.IntegerField(help_text=_("Inbound, not IVR, short abandons left out."))
    handled = serializers.IntegerField(help_text=_("Answered by an agent, inbound or outbound."))
    abandoned = serializers.IntegerField(help_text=_("Offered, never answered, over."))
    aht = serializers.FloatField(allow_null=True, help_text=_("Mean handle time (seconds) of the handled ones."))
    asa = serializers.FloatField(allow_null=True, help_text=_("Mean wait (seconds) of the handled inbound ones."))
    service_level = serializers.FloatField(
        allow_null=True, help_text=_("Handled inbound within their queue's threshold ÷ offered.")
    )
    abandonment_rate = serializers.FloatField(allow_null=True, help_text=_("Abandoned ÷ offered."))
    fcr = serializers.FloatField(
        allow_null=True, help_text=_("Share of handled inbound contacts not followed by a repeat within the window.")
    )
    csat = serializers.FloatField(allow_null=True, help_text=_("Share of CSAT responses scoring 4 or 5."))
    nps = serializers.FloatField(allow_null=True, help_text=_("% promoters (9–10) − % detractors (0–6)."))
    ces = serializers.FloatField(allow_null=True, help_text=_("Mean CES score (1–7, higher is easier)."))
    sentiment = serializers.FloatField(allow_null=True, help_text=_("Mean sentiment of the scored interactions."))
    sentiment_positive = serializers.FloatField(allow_null=True, help_text=_("Share of scores above 0.05."))
    sentiment_negative = serializers.FloatField(allow_null=True, help_text=_("Share of scores below −0.05."))
    occupancy = serializers.FloatField(
        allow_null=True,
        help_text=_("Busy + wrap-up time ÷ available + busy + wrap-up time; null by queue or channel."),
    )
    short_abandons = serializers.IntegerField(help_text=_("Short abandons, left out of offered."))
    answered_in_threshold = serializers.IntegerField(help_text=_("The service level's numerator."))
    handle_seconds = serializers.FloatField(help_text=_("Total handle time of the handled ones that ended."))
    handled_ended = serializers.IntegerField(help_text=_("Handled ones that ended: AHT's denominator."))
    wait_seconds = serializers.FloatField(help_text=_("Total wait of the handled inbound ones."))
    handled_inbound = serializers.IntegerField(help_text=_("Handled inbound ones: ASA's denominator."))
    fcr_contacts = serializers.IntegerField(help_text=_("Handled inbound with a customer: FCR's denominator."))
    fcr_repeats = serializers.IntegerField(help_text=_("Those followed by a repeat contact within the window."))
    csat_responses = serializers.IntegerField()
    nps_responses = serializers.IntegerField()
    ces_responses = serializers.IntegerField()
    sentiment_scored = serializers.IntegerField(help_text=_("Interactions with a sentiment score."))
    occupied_seconds = serializers.FloatField(allow_null=True, help_text=_("Busy + wrap-up seconds."))
    staffed_seconds = serializers.FloatField(allow_null=True, help_text=_("Available + busy + wrap-up seconds."))
    offers = serializers.IntegerField(help_text=_("Offers of work items made to agents in the period."))
    offers_accepted = serializers.IntegerField(help_text=_("Offers accepted."))
    offers_declined = serializers.IntegerField(help_text=_("Offers declined."))
    offers_timed_out = serializers.IntegerField(help_text=_("Offers not answered within the queue's offer timeout."))
    offers_withdrawn = serializers.IntegerField(
        help_text=_("Offers withdrawn before an answer (the work left the line).")
    )
    offers_open = serializers.IntegerField(help_text=_("Offers still waiting for an answer."))
    accept_rate = serializers.FloatField(allow_null=True, help_text=_("Offers accepted ÷ (offers − withdrawn)."))
    time_to_accept = serializers.FloatField(
        allow_null=True, help_text=_("Mean seconds from the offer to its acceptance, of the accepted offers.")
    )
    time_to_accept_p90 = serializers.FloatField(
        allow_null=True,
        help_text=_("90th percentile (nearest rank) of the seconds from the offer to its acceptance."),
    )
    accept_seconds = serializers.FloatField(help_text=_("Total seconds to accept of the accepted offers."))
    callbacks_due = serializers.IntegerField(
        help_text=_("Callbacks due in the period (by their due time), cancelled ones left out.")
    )
    callbacks_tried = serializers.IntegerField(help_text=_("Callbacks due in the period tried at least once."))
    callbacks_kept_on_time = serializers.IntegerField(
        help_text=_("Callbacks due in the period first tried within the on-time window of their due time.")
    )
    callbacks_missed = serializers.IntegerField(help_text=_("Callbacks due in the period that were missed."))
    callbacks_on_time_rate = serializers.FloatField(
        allow_null=True, help_text=_("Callbacks kept on time ÷ callbacks due.")
    )
    chats_started = serializers.IntegerField(help_text=_("Web chats started in the period."))
    chats_bot_contained = serializers.IntegerField(
        help_text=_("Web chats started in the period that the bot closed without handing them over.")
    )
    bot_containment = serializers.FloatField(
        allow_null=True, help_text=_("Chats closed by the bot without hand-over ÷ chats started.")
    )
    qm_evaluations = serializers.IntegerField(
        help_text=_("Evaluations published in the period (regular ones, with a score).")
    )
    qm_score = serializers.FloatField(allow_null=True, help_text=_("Mean evaluation score, in percent (0–100)."))
    qm_score_sum = serializers.FloatField(help_text=_("Sum of the evaluations' scores."))
    qm_critical_fails = serializers.IntegerField(help_text=_("Evaluations failed by a critical criterion."))
    qm_critical_fail_rate = serializers.FloatField(
        allow_null=True, help_text=_("Evaluations failed by a critical criterion ÷ evaluations.")
    )
    qm_criteria = serializers.DictField(
        child=serializers.FloatField(),
        help_text=_("Criterion key → mean score of its answers (not n.a.), in percent of its maximum."),
    )
    qm_planned = serializers.IntegerField(help_text=_("Interactions sampled for evaluation, by the week sampled."))
    qm_done = serializers.IntegerField(help_text=_("Sampled interactions evaluated."))
    qm_done_rate = serializers.FloatField(allow_null=True, help_text=_("Sampled interactions evaluated ÷ sampled."))
    qm_disputes_decided = serializers.IntegerField(help_text=_("Disputes decided in the period."))
    qm_disputes_overturned = serializers.IntegerField(help_text=_("Disputes decided in the period and overturned."))
    qm_overturn_rate = serializers.FloatField(allow_null=True, help_text=_("Disputes overturned ÷ disputes decided."))


class KpiReportSerializer(serializers.Serializer):
    start = serializers.DateField(help_text=_("First local day of the period."))
    end = serializers.DateField(help_text=_("Day after the last local day (excluded)."))
    group_by = serializers.ChoiceField(choices=GROUPS, allow_null=True)
    time_zone = serializers.CharField(help_text=_("The time zone of the days (TIME_ZONE)."))
    results = KpiRowSerializer(many=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        return {"from": fields.pop("start"), "to": fields.pop("end"), **fields}
