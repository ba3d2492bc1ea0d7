"""Before and after a course: each agent's KPIs over the days before and after they completed it
(the figures of the "Training before/after" report, :class:`kpis.reports.BeforeAfterReport`).

Who completed the course, and when, comes from the training (:mod:`contactcenter.training.selectors`:
the agents the viewer may follow); the KPIs from the engine (:func:`kpis.selectors.kpi_rows`), so
that AHT, FCR and CSAT are the SPEC §4 figures of every other report.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from contactcenter.agents.models import AgentProfile
from contactcenter.training.models import Course
from contactcenter.training.selectors import Completion, course_completions
from kpis.definitions import KpiScope
from kpis.selectors import KpiRow, kpi_rows

#: The before/after view compares this many local days before and after a completion.
BEFORE_AFTER_DAYS = 30
BEFORE_AFTER_KPIS = ("aht", "fcr", "csat", "qm_score", "handled")


@dataclass
class BeforeAfter:
    """An agent's AHT (seconds), FCR and CSAT (ratios 0–1) and QM score (mean evaluation score,
    percent 0–100), ``None`` without data, over the :data:`BEFORE_AFTER_DAYS` local days before
    and after the day they completed a course."""

    profile: AgentProfile
    completed_at: datetime
    before: dict[str, float | None]
    after: dict[str, float | None]
    after_complete: bool

    def delta(self, name: str) -> float | None:
        before, after = self.before.get(name), self.after.get(name)
        return None if before is None or after is None else after - before

    @property
    def cells(self) -> list[tuple[str, str]]:
        """``(name, text)`` for a table: AHT in whole seconds, FCR, CSAT and the QM score in whole
        percent, each before, after and the change (signed); ``—`` without data."""
        cells = []
        for name, factor in (("aht", 1), ("fcr", 100), ("csat", 100), ("qm_score", 1)):
            for period, value in (("before", self.before[name]), ("after", self.after[name])):
                cells.append((f"{name}-{period}", "—" if value is None else f"{value * factor:.0f}"))
            change = self.delta(name)
            cells.append((f"{name}-change", "—" if change is None else f"{change * factor:+.0f}"))
        return cells


def before_after(*, course: Course, user: AbstractBaseUser, today: date | None = None) -> list[BeforeAfter]:
    """For each agent ``user`` may follow who completed ``course`` on local day D: their KPIs
    (SPEC §4, through :func:`kpis.selectors.kpi_rows`, by agent, the QM score included) over ``[D − 30, D)`` and over
    ``[D + 1, D + 31)``; the day of completion itself, half before and half after, is left out.
    ``after_complete`` is false while the second period has not ended.

    Cost: two queries, then two ``kpi_rows`` calls (a fixed handful of queries each) per distinct
    completion day, not per agent: agents who completed the same day share them. So bounded by
    the number of days a course's completions spread over, not by the number of agents.
    """
    today = today or timezone.localdate()
    by_day: dict[date, list[Completion]] = defaultdict(list)
    for completion in course_completions(course=course, user=user):
        by_day[timezone.localdate(completion.completed_at)].append(completion)
    rows = []
    span = timedelta(days=BEFORE_AFTER_DAYS)
    everything = KpiScope(everything=True)
    for day, day_completions in sorted(by_day.items()):
        before = {
            r.key: r for r in kpi_rows(scope=everything, start=day - span, end=day, group_by="agent", quality=True)
        }
        after_start = day + timedelta(days=1)
        after = {
            r.key: r
            for r in kpi_rows(
                scope=everything, start=after_start, end=after_start + span, group_by="agent", quality=True
            )
        }
        for completion in day_completions:
            profile = completion.profile
            username = profile.user.get_username()
            rows.append(
                BeforeAfter(
                    profile=profile,
                    completed_at=completion.completed_at,
                    before=_kpis(before.get(username)),
                    after=_kpis(after.get(username)),
                    after_complete=after_start + span <= today,
                )
            )
    return sorted(rows, key=lambda row: (row.profile.team.name if row.profile.team else "", row.profile.user.username))


def _kpis(row: KpiRow | None) -> dict[str, float | None]:
    if row is None:
        return {"aht": None, "fcr": None, "csat": None, "qm_score": None, "handled": 0}
    return {name: getattr(row, name) for name in BEFORE_AFTER_KPIS}
