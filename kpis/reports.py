"""The admin reports: registered classes with HTML and CSV/XLSX output (STYLE §8).

A report is a class registered with :func:`register`: a ``name`` (its URL), a ``title``,
:meth:`Report.is_available_to` (who may open it), :meth:`Report.context` (its HTML page) and
:meth:`Report.headers`/:meth:`Report.rows` (its CSV and XLSX export, see :mod:`kpis.exports`).
The pages are served by :mod:`kpis.admin_views` under ``/admin/reports/<name>/``; a report's
parameters come from the query string, read by a form that names what is wrong.

Every analytic built on the KPI engine is a report here, so the other apps link to it (by URL
name) and never import the figures:

- ``performance``: every KPI of a period beside its goal (:func:`kpis.selectors.kpi_rows`);
- ``staffing``: the staffing forecast of a queue (:func:`kpis.forecast.queue_forecast`);
- ``script-versions`` (``?script=<id>``): each published version of a script beside the previous
  one (:func:`kpis.script_versions.version_figures`), linked from the script's admin pages;
- ``training-before-after`` (``?course=<id>``): each agent's KPIs before and after completing a
  course (:func:`kpis.before_after.before_after`), linked from the course's admin pages.

Figures are counted within the user's :func:`~kpis.definitions.scope_for` (managers and admins
everything, a supervisor their team); nothing is computed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contactcenter.agents.models import AgentProfile, Queue, Team
from contactcenter.core import access
from contactcenter.core.choices import Channel
from contactcenter.core.formats import format_span
from contactcenter.core.roles import SUPERVISORS_UP, role_of
from contactcenter.scripts.models import Script
from contactcenter.training.models import Course
from contactcenter.training.selectors import courses_followed_by
from kpis.before_after import BEFORE_AFTER_DAYS, BeforeAfter, before_after
from kpis.charts import bar_chart, line_chart
from kpis.definitions import MAX_PERIOD_DAYS, KpiFilters, scope_for
from kpis.drilldown import KPI_FIGURES
from kpis.forecast import Forecast, ForecastError, queue_forecast
from kpis.quality_figures import KPI_EVALUATION_FIGURES
from kpis.routing_figures import KPI_CALLBACK_FIGURES, KPI_OFFER_FIGURES
from kpis.script_versions import VersionFigures, version_figures
from kpis.selectors import KpiRow, kpi_rows

_registry: dict[str, type[Report]] = {}


def register(report: type[Report]) -> type[Report]:
    """Class decorator: make ``report`` one of the admin's reports."""
    _registry[report.name] = report
    return report


def get_report(name: str) -> type[Report] | None:
    return _registry.get(name)


def reports_for(user: AbstractBaseUser) -> list[type[Report]]:
    """The reports ``user`` may open, in the order they were registered."""
    return [report for report in _registry.values() if report.is_available_to(user)]


class Report:
    """One report. Subclasses set ``name``, ``title``, ``description``, ``template_name`` and
    implement the methods below; an instance serves one request."""

    name: ClassVar[str] = ""
    title: ClassVar[Any] = ""
    description: ClassVar[Any] = ""
    template_name: ClassVar[str] = ""
    #: Templates list the report classes: never call them.
    do_not_call_in_templates: ClassVar[bool] = True

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.user = request.user

    @classmethod
    def is_available_to(cls, user: AbstractBaseUser) -> bool:
        raise NotImplementedError

    def context(self) -> dict[str, Any]:
        """The template's context."""
        raise NotImplementedError

    def headers(self) -> list[str]:
        """The export's header row."""
        raise NotImplementedError

    def rows(self) -> list[list[Any]]:
        """The export's rows: numbers as numbers (unrounded), text as text."""
        raise NotImplementedError

    def filename(self) -> str:
        return self.name


def _supervisors_up(user: AbstractBaseUser) -> bool:
    return role_of(user) in SUPERVISORS_UP


# --- Performance -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    """A column of the performance report: the :class:`KpiRow` field, its label, how it is shown
    (``count``, ``rate``, ``seconds``, ``score``) and whether lower is better."""

    field: str
    label: Any
    kind: str
    lower_is_better: bool = False


KPIS = (
    Kpi("offered", gettext_lazy("Offered"), "count"),
    Kpi("handled", gettext_lazy("Handled"), "count"),
    Kpi("abandoned", gettext_lazy("Abandoned"), "count", True),
    Kpi("service_level", gettext_lazy("Service level"), "rate"),
    Kpi("abandonment_rate", gettext_lazy("Abandonment rate"), "rate", True),
    Kpi("asa", gettext_lazy("ASA (s)"), "seconds", True),
    Kpi("aht", gettext_lazy("AHT (s)"), "seconds", True),
    Kpi("fcr", gettext_lazy("FCR"), "rate"),
    Kpi("csat", gettext_lazy("CSAT"), "rate"),
    Kpi("nps", gettext_lazy("NPS"), "score"),
    Kpi("ces", gettext_lazy("CES"), "score"),
    Kpi("sentiment", gettext_lazy("Sentiment"), "score"),
    Kpi("sentiment_positive", gettext_lazy("Positive sentiment"), "rate"),
    Kpi("sentiment_negative", gettext_lazy("Negative sentiment"), "rate", True),
    Kpi("occupancy", gettext_lazy("Occupancy"), "rate"),
    # Routing figures: the offers of work items (chats, emails, tickets, callbacks) to agents.
    Kpi("offers", gettext_lazy("Offers"), "count"),
    Kpi("offers_accepted", gettext_lazy("Offers accepted"), "count"),
    Kpi("offers_declined", gettext_lazy("Offers declined"), "count", True),
    Kpi("offers_timed_out", gettext_lazy("Offers timed out"), "count", True),
    Kpi("offers_withdrawn", gettext_lazy("Offers withdrawn"), "count"),
    Kpi("accept_rate", gettext_lazy("Accept rate"), "rate"),
    Kpi("time_to_accept", gettext_lazy("Time to accept (s)"), "seconds", True),
    Kpi("time_to_accept_p90", gettext_lazy("Time to accept, 90th percentile (s)"), "seconds", True),
    # Callbacks kept on time: the callbacks due in the period (kpis.routing_figures.CALLBACK_FIGURES).
    Kpi("callbacks_due", gettext_lazy("Callbacks due"), "count"),
    Kpi("callbacks_tried", gettext_lazy("Callbacks tried"), "count"),
    Kpi("callbacks_kept_on_time", gettext_lazy("Callbacks kept on time"), "count"),
    Kpi("callbacks_missed", gettext_lazy("Callbacks missed"), "count", True),
    Kpi("callbacks_on_time_rate", gettext_lazy("Callbacks on time rate"), "rate"),
    # Web chat: the chats the bot closed by itself (kpis.chat_figures).
    Kpi("chats_started", gettext_lazy("Chats started"), "count"),
    Kpi("bot_containment", gettext_lazy("Bot containment"), "rate"),
    # Quality figures: evaluations published, sampled interactions, disputes (kpis.quality_figures).
    Kpi("qm_evaluations", gettext_lazy("Evaluations"), "count"),
    Kpi("qm_score", gettext_lazy("QM score (%)"), "score"),
    Kpi("qm_critical_fails", gettext_lazy("Critical fails"), "count", True),
    Kpi("qm_critical_fail_rate", gettext_lazy("Critical-fail rate"), "rate", True),
    Kpi("qm_planned", gettext_lazy("Evaluations planned"), "count"),
    Kpi("qm_done", gettext_lazy("Evaluations done"), "count"),
    Kpi("qm_done_rate", gettext_lazy("Evaluations done vs planned"), "rate"),
    Kpi("qm_disputes_decided", gettext_lazy("Disputes decided"), "count"),
    Kpi("qm_disputes_overturned", gettext_lazy("Disputes overturned"), "count", True),
    Kpi("qm_overturn_rate", gettext_lazy("Disputes overturned rate"), "rate", True),
)


def goals() -> dict[str, float]:
    """The goal beside each KPI: ``settings.KPI_GOALS`` (the service level's goal is the queue's own
    when the row or the filter is one queue)."""
    return dict(settings.KPI_GOALS)


def show(kind: str, value: float | None) -> str:
    """A figure as the page shows it (rounded, localized); an em dash for none."""
    if value is None:
        return "—"
    if kind == "count":
        return formats.number_format(value, 0)
    if kind == "rate":
        return f"{formats.number_format(value * 100, 1)}\u00a0%"
    return formats.number_format(value, 1)


def natural_key(text: str) -> tuple[Any, ...]:
    """Sorts text as people read it: "agent2" before "agent10", case left aside."""
    return tuple(int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", text))


#: How the group of the contacts without an agent, team, queue or channel is named, and why it is there.
NO_GROUP = {
    "agent": (
        gettext_lazy("(no agent)"),
        gettext_lazy(
            "“(no agent)” counts the contacts no agent answered: abandoned, still waiting, or ended in self-service."
        ),
    ),
    "team": (
        gettext_lazy("(no team)"),
        gettext_lazy("“(no team)” counts the contacts no agent answered and those of agents who are in no team."),
    ),
    "queue": (
        gettext_lazy("(no queue)"),
        gettext_lazy("“(no queue)” counts the contacts that went through no queue, such as calls placed by agents."),
    ),
    "channel": (gettext_lazy("(no channel)"), ""),
}


def rounded(kind: str, value: float | None) -> float | int | None:
    """A figure rounded as the page shows it, as a number: rates in percent with one decimal."""
    if value is None:
        return None
    if kind == "count":
        return int(value)
    if kind == "rate":
        return round(value * 100, 1)
    return round(value, 1)


PRESETS = (
    ("this_month", gettext_lazy("This month")),
    ("last_month", gettext_lazy("Last month")),
    ("last_7_days", gettext_lazy("Last 7 days")),
)


def preset_period(preset: str, today: date) -> tuple[date, date]:
    """``(first day, last day)`` of a preset, both included."""
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if preset == "last_7_days":
        return today - timedelta(days=6), today
    return today.replace(day=1), today


class PerformanceForm(forms.Form):
    preset = forms.ChoiceField(
        label=gettext_lazy("Period"), required=False, choices=[("", gettext_lazy("Dates below")), *PRESETS]
    )
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(
        label=gettext_lazy("To (included)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    group_by = forms.ChoiceField(
        label=gettext_lazy("Group by"),
        required=False,
        choices=[
            ("", gettext_lazy("No grouping")),
            ("agent", gettext_lazy("Agent")),
            ("team", gettext_lazy("Team")),
            ("queue", gettext_lazy("Queue")),
            ("channel", gettext_lazy("Channel")),
            ("day", gettext_lazy("Day")),
            ("week", gettext_lazy("Week")),
            ("month", gettext_lazy("Month")),
        ],
    )
    compare = forms.ChoiceField(
        label=gettext_lazy("Compare"),
        required=False,
        choices=[("agent", gettext_lazy("Agents")), ("queue", gettext_lazy("Queues"))],
    )
    agent = forms.ChoiceField(label=gettext_lazy("Agent"), required=False)
    team = forms.ChoiceField(label=gettext_lazy("Team"), required=False)
    queue = forms.ChoiceField(label=gettext_lazy("Queue"), required=False)
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"), required=False, choices=[("", gettext_lazy("All")), *Channel.choices]
    )

    def __init__(self, *args: Any, user: AbstractBaseUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everyone = [("", _("All"))]
        profiles = AgentProfile.objects.visible_to(user).select_related("user", "team").order_by("user__username")
        agents = [(p.user.username, p.user.get_full_name() or p.user.username) for p in profiles]
        self.fields["agent"].choices = everyone + agents
        if access.can(user, "kpi.read_all"):
            teams = list(Team.objects.visible_to(user).order_by("name").values_list("name", flat=True))
        else:
            teams = sorted({p.team.name for p in profiles if p.team is not None})
        self.fields["team"].choices = everyone + [(name, name) for name in teams]
        queues = Queue.objects.visible_to(user).order_by("name").values_list("name", flat=True)
        self.fields["queue"].choices = everyone + [(name, name) for name in queues]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        today = timezone.localdate()
        if data.get("preset") or not (data.get("start") or data.get("end")):
            data["start"], data["end"] = preset_period(data.get("preset") or "this_month", today)
        elif data.get("start") is None:
            data["start"] = data["end"].replace(day=1)
        elif data.get("end") is None:
            data["end"] = max(data["start"], today)
        if data["end"] < data["start"]:
            self.add_error("end", _("The period must end on or after its first day."))
        elif (data["end"] - data["start"]).days >= MAX_PERIOD_DAYS:
            self.add_error("end", _("A report covers %(days)s days at most.") % {"days": MAX_PERIOD_DAYS})
        return data


@register
class PerformanceReport(Report):
    name = "performance"
    title = gettext_lazy("Performance")
    description = gettext_lazy("Every KPI of a period beside its goal, by agent, team, queue, channel or time.")
    template_name = "admin/kpis/reports/performance.html"

    @classmethod
    def is_available_to(cls, user: AbstractBaseUser) -> bool:
        """Managers and admins (all figures) and supervisors (their team's); not agents."""
        return _supervisors_up(user) and access.can(user, "kpi.read")

    def __init__(self, request: HttpRequest) -> None:
        super().__init__(request)
        self.form = PerformanceForm(request.GET or None, user=self.user)
        if not self.form.is_bound:
            self.form = PerformanceForm({"preset": "this_month"}, user=self.user)
        self.valid = self.form.is_valid()
        self.scope = scope_for(self.user)
        self._rows: list[KpiRow] | None = None

    # The report's parameters, once the form is valid.
    @property
    def period(self) -> tuple[date, date]:
        """``[start, end)``: the form's "to" is included."""
        return self.form.cleaned_data["start"], self.form.cleaned_data["end"] + timedelta(days=1)

    @property
    def group_by(self) -> str | None:
        return self.form.cleaned_data.get("group_by") or None

    @property
    def filters(self) -> KpiFilters:
        data = self.form.cleaned_data
        return KpiFilters(
            agent=data.get("agent") or None,
            team=data.get("team") or None,
            queue=data.get("queue") or None,
            channel=data.get("channel") or None,
        )

    def _kpi_rows(self, group_by: str | None, *, routing: bool = True) -> list[KpiRow]:
        start, end = self.period
        return kpi_rows(
            scope=self.scope,
            start=start,
            end=end,
            group_by=group_by,
            filters=self.filters,
            routing=routing,
            quality=routing,
        )

    def grouped_rows(self) -> list[KpiRow]:
        if self._rows is None:
            self._rows = self._in_order(self._kpi_rows(self.group_by), self.group_by)
        return self._rows

    # How groups are named and ordered.
    def label(self, group_by: str | None, key: str | None) -> str:
        """A group as people read it: an agent by name, a channel by its label, the group of
        contacts with none as "(no agent)", "(no queue)"…"""
        if key is None:
            return str(NO_GROUP[group_by][0]) if group_by in NO_GROUP else str(_("All contacts"))
        if group_by == "agent":
            return self._agent_names().get(key, key)
        if group_by == "channel":
            return str(dict(Channel.choices).get(key, key))
        return key

    def _agent_names(self) -> dict[str, str]:
        """Agents by username: their name, or their username when it is not unique (or unknown)."""
        names = dict(self.form.fields["agent"].choices)
        names.pop("", None)
        taken: dict[str, int] = {}
        for name in names.values():
            taken[name] = taken.get(name, 0) + 1
        return {key: (name if taken[name] == 1 else f"{name} ({key})") for key, name in names.items()}

    def _in_order(self, rows: list[KpiRow], group_by: str | None) -> list[KpiRow]:
        """Time groups in time order; the others by their label as people sort it, the group of
        contacts with none last."""
        if group_by is None or group_by in ("day", "week", "month"):
            return rows
        return sorted(rows, key=lambda row: (row.key is None, natural_key(self.label(group_by, row.key))))

    def filters_text(self) -> str:
        """The filters in force, as "Queue: Support, Channel: Voice"; empty without any."""
        data = self.form.cleaned_data
        parts = []
        for name in ("agent", "team", "queue", "channel"):
            if data.get(name):
                choice = dict(self.form.fields[name].choices).get(data[name], data[name])
                parts.append(f"{self.form.fields[name].label}: {choice}")
        return ", ".join(str(part) for part in parts)

    # Goals.
    def _queue_goals(self) -> dict[str, tuple[float, int]]:
        queues = Queue.objects.visible_to(self.user).values_list(
            "name", "service_level_target", "service_level_seconds"
        )
        return {name: (target, seconds) for name, target, seconds in queues}

    def goal_for(self, kpi: Kpi, key: str | None, queue_goals: dict) -> tuple[float | None, str]:
        """``(goal, how it is shown)`` for ``kpi`` in the row ``key``."""
        values = goals()
        goal = values.get(kpi.field)
        if goal is None:
            return None, ""
        if kpi.field == "service_level":
            queue = key if self.group_by == "queue" else self.filters.queue
            if queue in queue_goals:
                target, seconds = queue_goals[queue]
                return target, _("≥ %(goal)s in %(span)s") % {
                    "goal": show("rate", target),
                    "span": format_span(seconds),
                }
        sign = "≤" if kpi.lower_is_better else "≥"
        return goal, f"{sign} {show(kpi.kind, goal)}"

    @staticmethod
    def meets(kpi: Kpi, value: float | None, goal: float | None) -> bool | None:
        if value is None or goal is None:
            return None
        return value <= goal if kpi.lower_is_better else value >= goal

    def drill_url(self, figure: str, key: str | None, grouped: bool, *, rows: str = "interactions") -> str:
        """The list of the rows a figure counts: ``interactions``, ``offers`` or ``callbacks``."""
        start, end = self.period
        params = {"figure": figure, "start": start.isoformat(), "end": (end - timedelta(days=1)).isoformat()}
        for name in ("agent", "team", "queue", "channel"):
            if getattr(self.filters, name):
                params[name] = getattr(self.filters, name)
        if grouped and self.group_by:
            params["group_by"] = self.group_by
            if key is not None:
                params["key"] = key
        page = {
            "interactions": "admin:kpis-report-drilldown",
            "offers": "admin:kpis-report-offers",
            "callbacks": "admin:kpis-report-callbacks",
            "evaluations": "admin:kpis-report-evaluations",
        }[rows]
        return f"{reverse(page, args=[self.name])}?{urlencode(params)}"

    def _table(self, rows: list[KpiRow], grouped: bool, queue_goals: dict) -> list[dict[str, Any]]:
        table = []
        for row in rows:
            cells = []
            for kpi in KPIS:
                value = getattr(row, kpi.field)
                goal, goal_text = self.goal_for(kpi, row.key, queue_goals)
                figure = KPI_FIGURES.get(kpi.field)
                offer_figure = KPI_OFFER_FIGURES.get(kpi.field)
                callback_figure = KPI_CALLBACK_FIGURES.get(kpi.field)
                evaluation_figure = KPI_EVALUATION_FIGURES.get(kpi.field)
                if figure:
                    url = self.drill_url(figure, row.key, grouped)
                elif offer_figure:
                    url = self.drill_url(offer_figure, row.key, grouped, rows="offers")
                elif callback_figure:
                    url = self.drill_url(callback_figure, row.key, grouped, rows="callbacks")
                elif evaluation_figure:
                    url = self.drill_url(evaluation_figure, row.key, grouped, rows="evaluations")
                else:
                    url = None
                cells.append(
                    {
                        "kpi": kpi,
                        "value": value,
                        "text": show(kpi.kind, value),
                        "goal": goal_text,
                        "met": self.meets(kpi, value, goal),
                        "url": url,
                    }
                )
            table.append({"key": row.key, "label": self.label(self.group_by, row.key), "cells": cells})
        return table

    def context(self) -> dict[str, Any]:
        context: dict[str, Any] = {"form": self.form, "kpis": KPIS, "valid": self.valid}
        if not self.valid:
            return context
        queue_goals = self._queue_goals()
        compare = self.form.cleaned_data.get("compare") or "agent"
        grouped = self.grouped_rows() if self.group_by else []
        total = self._kpi_rows(None)[0] if self.group_by else self.grouped_rows()[0]
        # The trend and the comparison show no routing figure: they leave its query out.
        trend = grouped if self.group_by == "day" else self._kpi_rows("day", routing=False)
        comparison = (
            grouped if self.group_by == compare else self._in_order(self._kpi_rows(compare, routing=False), compare)
        )
        summary = self._table([total], False, queue_goals)[0]
        by_agent = compare == "agent"
        days = [row.key for row in trend]
        start, end = self.period
        period_text = _("%(start)s to %(end)s") % {
            "start": formats.date_format(start, "SHORT_DATE_FORMAT"),
            "end": formats.date_format(end - timedelta(days=1), "SHORT_DATE_FORMAT"),
        }
        filters_text = self.filters_text()
        shown = [total, *grouped, *comparison]
        notes = []
        if not self.filters.channel and self.group_by != "channel":
            notes.append(
                _(
                    "Every channel is counted together (calls, emails, chats…): service level, ASA and "
                    "abandonment mix their waits. Choose a channel to read one alone."
                )
            )
        if any(row.handled > row.offered for row in shown):
            notes.append(
                _(
                    "Handled counts every contact an agent answered, outbound ones included; Offered counts "
                    "the inbound contacts only: Handled can be higher than Offered."
                )
            )
        if total.offers:
            notes.append(
                _(
                    "Offers count the work Switchboard offered to agents (chats, emails, tickets, callbacks) "
                    "by the time of the offer, one line per offer: an item offered to three agents in turn "
                    "counts three times. Calls are routed by the telephone system and are not among them."
                )
            )
        if total.callbacks_due:
            notes.append(
                _(
                    "Callbacks count those due in the period, by their due time, under the agent who promised "
                    "them; cancelled ones are left out. Kept on time: first tried within %(minutes)s minutes "
                    "of the due time. A callback not tried yet counts as not kept on time."
                )
                % {"minutes": settings.CALLBACK_ON_TIME_MINUTES}
            )
        for group in dict.fromkeys(name for name in (self.group_by, compare) if name in NO_GROUP):
            rows_of_group = grouped if group == self.group_by else comparison
            if NO_GROUP[group][1] and any(row.key is None for row in rows_of_group):
                notes.append(str(NO_GROUP[group][1]))
        context.update(
            {
                "period_text": period_text,
                "heading": (
                    _("%(filters)s, %(period)s") % {"filters": filters_text, "period": period_text}
                    if filters_text
                    else _("All contacts, %(period)s") % {"period": period_text}
                ),
                "notes": notes,
                "group_label": str(dict(self.form.fields["group_by"].choices).get(self.group_by or "", _("Group"))),
                "summary": summary,
                "table": self._table(grouped, True, queue_goals),
                "group_by": self.group_by,
                "trend": trend,
                "comparison": comparison,
                "compare": compare,
                "volume_chart": line_chart(
                    title=_("Offered, handled and abandoned per day"),
                    desc=_("Contacts per day, %(period)s; the table below gives the figures.")
                    % {"period": period_text},
                    labels=[day[5:] for day in days],
                    series=[
                        (_("Offered"), [row.offered for row in trend]),
                        (_("Handled"), [row.handled for row in trend]),
                        (_("Abandoned"), [row.abandoned for row in trend]),
                    ],
                ),
                "level_chart": line_chart(
                    title=_("Service level and abandonment rate per day"),
                    desc=_("Shares per day from 0 to 100 %%, %(period)s; the table below gives the figures.")
                    % {"period": period_text},
                    labels=[day[5:] for day in days],
                    series=[
                        (_("Service level"), [row.service_level for row in trend]),
                        (_("Abandonment rate"), [row.abandonment_rate for row in trend]),
                    ],
                    y_max=1,
                    y_format=lambda v: f"{v * 100:.0f}\u00a0%",
                ),
                "comparison_chart": bar_chart(
                    title=_("Offered and handled per agent") if by_agent else _("Offered and handled per queue"),
                    desc=_("One group of bars per agent; the table below gives the figures.")
                    if by_agent
                    else _("One group of bars per queue; the table below gives the figures."),
                    labels=[self.label(compare, row.key) for row in comparison],
                    series=[
                        (_("Offered"), [row.offered for row in comparison]),
                        (_("Handled"), [row.handled for row in comparison]),
                    ],
                ),
                "trend_table": [
                    {
                        "key": row.key,
                        "offered": row.offered,
                        "handled": row.handled,
                        "abandoned": row.abandoned,
                        "service_level": show("rate", row.service_level),
                        "abandonment_rate": show("rate", row.abandonment_rate),
                    }
                    for row in trend
                ],
                "comparison_table": [
                    {"key": self.label(compare, row.key), "offered": row.offered, "handled": row.handled}
                    for row in comparison
                ],
            }
        )
        return context

    # The export: the figures rounded as the page shows them, then the exact ones.
    def _keyed(self) -> bool:
        """Whether the export adds the groups' own keys (usernames, channel codes) beside their labels."""
        return self.group_by in ("agent", "channel")

    def headers(self) -> list[str]:
        label = str(dict(self.form.fields["group_by"].choices).get(self.group_by or "", _("Group")))
        shown = [f"{kpi.label} (%)" if kpi.kind == "rate" else str(kpi.label) for kpi in KPIS]
        exact = [_("%(kpi)s (exact)") % {"kpi": kpi.label} for kpi in KPIS if kpi.kind != "count"]
        key = [_("Username") if self.group_by == "agent" else _("Channel code")] if self._keyed() else []
        return [label, *shown, *exact, *key]

    def rows(self) -> list[list[Any]]:
        if not self.valid:
            return []
        return [
            [
                self.label(self.group_by, row.key) if self.group_by else _("All contacts"),
                *[rounded(kpi.kind, getattr(row, kpi.field)) for kpi in KPIS],
                *[getattr(row, kpi.field) for kpi in KPIS if kpi.kind != "count"],
                *([row.key] if self._keyed() else []),
            ]
            for row in self.grouped_rows()
        ]

    def filename(self) -> str:
        start, end = self.period if self.valid else (timezone.localdate(), timezone.localdate())
        return f"performance-{start:%Y%m%d}-{end - timedelta(days=1):%Y%m%d}"


# --- Staffing --------------------------------------------------------------------------------------


class StaffingForm(forms.Form):
    queue = forms.ChoiceField(label=gettext_lazy("Queue"))
    day = forms.DateField(label=gettext_lazy("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    weeks = forms.IntegerField(label=gettext_lazy("Weeks of history"), min_value=1, max_value=52, initial=6)
    aht = forms.FloatField(
        label=gettext_lazy("What-if AHT (s)"),
        required=False,
        min_value=0.001,
        help_text=gettext_lazy("Leave empty to use the history's AHT."),
    )
    shrinkage = forms.FloatField(
        label=gettext_lazy("Shrinkage (%)"),
        required=False,
        min_value=0,
        max_value=99.9,
        initial=0,
        help_text=gettext_lazy("Share of paid time not on the phones (breaks, training, absence)."),
    )

    def __init__(self, *args: Any, user: AbstractBaseUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = Queue.objects.visible_to(user).filter(is_active=True).order_by("name").values_list("name", flat=True)
        self.fields["queue"].choices = [(name, name) for name in names]


@register
class StaffingReport(Report):
    name = "staffing"
    title = gettext_lazy("Staffing forecast")
    description = gettext_lazy("Calls and agents per half hour of a day for a queue, from its history; what-ifs.")
    template_name = "admin/kpis/reports/staffing.html"

    @classmethod
    def is_available_to(cls, user: AbstractBaseUser) -> bool:
        """Who plans staffing: supervisors and up (``staffing.read``)."""
        return access.can(user, "staffing.read")

    def __init__(self, request: HttpRequest) -> None:
        super().__init__(request)
        self.form = StaffingForm(request.GET or None, user=self.user)
        if not self.form.is_bound:
            queues = self.form.fields["queue"].choices
            initial = {"day": timezone.localdate() + timedelta(days=1), "weeks": 6, "shrinkage": 0}
            if queues:
                initial["queue"] = queues[0][0]
            self.form = StaffingForm(initial, user=self.user)
        self.forecast: Forecast | None = None
        self.baseline: Forecast | None = None
        if self.form.is_valid():
            self._run()

    def _run(self) -> None:
        data = self.form.cleaned_data
        queue = Queue.objects.visible_to(self.user).get(name=data["queue"])
        shrinkage = (data.get("shrinkage") or 0) / 100
        try:
            self.forecast = queue_forecast(
                queue=queue, day=data["day"], weeks=data["weeks"], aht=data.get("aht"), shrinkage=shrinkage
            )
            if data.get("aht") is not None or shrinkage:
                self.baseline = queue_forecast(queue=queue, day=data["day"], weeks=data["weeks"])
        except ForecastError as error:
            for name, message in error.errors.items():
                self.form.add_error(name if name in self.form.fields else None, message)
            self.forecast = self.baseline = None

    def context(self) -> dict[str, Any]:
        context: dict[str, Any] = {"form": self.form, "forecast": self.forecast, "baseline": self.baseline}
        forecast = self.forecast
        if forecast is None:
            return context
        baseline = self.baseline.intervals if self.baseline else [None] * len(forecast.intervals)
        context["intervals"] = [
            {
                "start": f"{i.local_start:%H:%M}",
                "end": f"{i.local_end:%H:%M}",
                "calls": formats.number_format(i.calls, 1),
                "aht": formats.number_format(i.aht, 0) if i.calls else "—",
                "agents": i.agents,
                "scheduled": i.scheduled,
                "baseline": base.scheduled if base else None,
                "service_level": show("rate", i.service_level),
                "occupancy": show("rate", i.occupancy),
            }
            for i, base in zip(forecast.intervals, baseline, strict=True)
        ]
        totals = forecast.totals
        context["totals"] = {
            "calls": formats.number_format(totals.calls, 1),
            "aht": show("seconds", totals.aht),
            "agent_hours": formats.number_format(totals.agent_hours, 1),
            "scheduled_hours": formats.number_format(totals.scheduled_hours, 1),
            "baseline_hours": formats.number_format(self.baseline.totals.scheduled_hours, 1) if self.baseline else None,
            "peak_agents": totals.peak_agents,
            "peak_scheduled": totals.peak_scheduled,
            "service_level": show("rate", totals.service_level),
            "occupancy": show("rate", totals.occupancy),
        }
        context["goal"] = _("%(goal)s within %(span)s") % {
            "goal": show("rate", forecast.target),
            "span": format_span(forecast.threshold),
        }
        context["chart"] = line_chart(
            title=_("Forecast calls and agents per half hour"),
            desc=_(
                "Queue %(queue)s on %(day)s: calls, agents needed and agents to schedule; the table gives the figures."
            )
            % {"queue": forecast.queue.name, "day": formats.date_format(forecast.day, "SHORT_DATE_FORMAT")},
            labels=[f"{i.local_start:%H:%M}" for i in forecast.intervals],
            series=[
                (_("Calls"), [i.calls for i in forecast.intervals]),
                (_("Agents needed"), [i.agents for i in forecast.intervals]),
                (_("Agents to schedule"), [i.scheduled for i in forecast.intervals]),
            ],
        )
        return context

    def headers(self) -> list[str]:
        return [
            _("Start"),
            _("End"),
            _("Calls"),
            _("AHT (s)"),
            _("Agents needed"),
            _("Agents to schedule"),
            _("Service level"),
            _("Occupancy"),
        ]

    def rows(self) -> list[list[Any]]:
        if self.forecast is None:
            return []
        return [
            [
                i.local_start.isoformat(),
                i.local_end.isoformat(),
                i.calls,
                i.aht,
                i.agents,
                i.scheduled,
                i.service_level,
                i.occupancy,
            ]
            for i in self.forecast.intervals
        ]

    def filename(self) -> str:
        if self.forecast is None:
            return "staffing"
        return f"staffing-{self.forecast.queue.pk}-{self.forecast.day:%Y%m%d}"


# --- Script analytics ------------------------------------------------------------------------------


class ScriptVersionsForm(forms.Form):
    script = forms.ModelChoiceField(
        label=gettext_lazy("Script"),
        queryset=Script.objects.none(),
        empty_label=gettext_lazy("Choose a script"),
        error_messages={
            "required": gettext_lazy("Choose a script."),
            "invalid_choice": gettext_lazy("No script you may read has the id “%(value)s”."),
        },
    )

    def __init__(self, *args: Any, user: AbstractBaseUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["script"].queryset = Script.objects.visible_to(user).order_by("name", "pk")


@register
class ScriptVersionsReport(Report):
    """``?script=<id>``: every published version of the script, newest first, beside the previous
    one (the script's admin pages link here)."""

    name = "script-versions"
    title = gettext_lazy("Script analytics")
    description = gettext_lazy(
        "Per published version of a script: interactions, AHT, FCR, CSAT and the dispositions logged, "
        "beside the previous version."
    )
    template_name = "admin/kpis/reports/script_versions.html"

    @classmethod
    def is_available_to(cls, user: AbstractBaseUser) -> bool:
        """Supervisors and up, who read scripts in the back office; figures within their KPI scope."""
        return _supervisors_up(user) and access.can(user, "kpi.read") and access.can(user, "script.read")

    def __init__(self, request: HttpRequest) -> None:
        super().__init__(request)
        self.form = ScriptVersionsForm(request.GET or None, user=self.user)
        self.script: Script | None = self.form.cleaned_data["script"] if self.form.is_valid() else None
        self._figures: list[VersionFigures] | None = None

    def figures(self) -> list[VersionFigures]:
        if self._figures is None:
            self._figures = version_figures(script=self.script, user=self.user) if self.script else []
        return self._figures

    def context(self) -> dict[str, Any]:
        context: dict[str, Any] = {"form": self.form, "script": self.script}
        if self.script is not None:
            context["title"] = _("Analytics of %(script)s") % {"script": self.script}
            context["figures"] = self.figures()
        return context

    def headers(self) -> list[str]:
        return [
            _("Version"),
            _("Published"),
            _("Interactions"),
            _("Handled"),
            _("AHT (s)"),
            _("FCR"),
            _("FCR contacts"),
            _("CSAT"),
            _("CSAT responses"),
        ]

    def rows(self) -> list[list[Any]]:
        return [
            [
                row.version.number,
                timezone.localtime(row.version.published_at),
                row.interactions,
                row.handled,
                row.aht,
                row.fcr,
                row.fcr_contacts,
                row.csat,
                row.csat_responses,
            ]
            for row in self.figures()
        ]

    def filename(self) -> str:
        return f"script-{self.script.pk}-versions" if self.script else "script-versions"


# --- Training before/after -------------------------------------------------------------------------


class BeforeAfterForm(forms.Form):
    course = forms.ModelChoiceField(
        label=gettext_lazy("Course"),
        queryset=Course.objects.none(),
        empty_label=gettext_lazy("Choose a course"),
        error_messages={
            "required": gettext_lazy("Choose a course."),
            "invalid_choice": gettext_lazy("No course you may follow has the id “%(value)s”."),
        },
    )

    def __init__(self, *args: Any, user: AbstractBaseUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses_followed_by(user)


@register
class BeforeAfterReport(Report):
    """``?course=<id>``: each agent the user may follow who completed the course, with their KPIs
    over the days before and after (the course's admin pages link here)."""

    name = "training-before-after"
    title = gettext_lazy("Training before/after")
    description = gettext_lazy(
        "Each agent's AHT, FCR, CSAT and QM score over the 30 days before and the 30 days after completing a course."
    )
    template_name = "admin/kpis/reports/before_after.html"

    @classmethod
    def is_available_to(cls, user: AbstractBaseUser) -> bool:
        """Who follows training (supervisors their team, managers and admins everyone)."""
        return access.can(user, "training.progress") and access.can(user, "kpi.read")

    def __init__(self, request: HttpRequest) -> None:
        super().__init__(request)
        self.form = BeforeAfterForm(request.GET or None, user=self.user)
        self.course: Course | None = self.form.cleaned_data["course"] if self.form.is_valid() else None
        self._rows: list[BeforeAfter] | None = None

    def agent_rows(self) -> list[BeforeAfter]:
        if self._rows is None:
            self._rows = before_after(course=self.course, user=self.user) if self.course else []
        return self._rows

    def context(self) -> dict[str, Any]:
        context: dict[str, Any] = {"form": self.form, "course": self.course, "days": BEFORE_AFTER_DAYS}
        if self.course is not None:
            context["title"] = _("Before/after: %(course)s") % {"course": self.course}
            context["rows"] = self.agent_rows()
        return context

    def headers(self) -> list[str]:
        headers = [_("Agent"), _("Team"), _("Completed")]
        for label in (_("AHT (s)"), _("FCR"), _("CSAT"), _("QM score (%)")):
            headers += [
                _("%(kpi)s before") % {"kpi": label},
                _("%(kpi)s after") % {"kpi": label},
                _("%(kpi)s change") % {"kpi": label},
            ]
        return [*headers, _("Handled before"), _("Handled after"), _("After period over")]

    def rows(self) -> list[list[Any]]:
        rows = []
        for row in self.agent_rows():
            user = row.profile.user
            cells: list[Any] = [
                user.get_username(),
                row.profile.team.name if row.profile.team else "",
                timezone.localtime(row.completed_at),
            ]
            for name in ("aht", "fcr", "csat", "qm_score"):
                cells += [row.before[name], row.after[name], row.delta(name)]
            rows.append(
                [*cells, row.before["handled"], row.after["handled"], _("yes") if row.after_complete else _("no")]
            )
        return rows

    def filename(self) -> str:
        return f"course-{self.course.pk}-before-after" if self.course else "training-before-after"
