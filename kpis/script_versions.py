"""Script analytics: how the interactions that followed each published version went (the figures
of the "Script analytics" report, :class:`kpis.reports.ScriptVersionsReport`).

Per version of a script: the interactions that recorded it, their AHT, FCR and CSAT (the SPEC §4
definitions), and the dispositions logged, with, for each end step suggesting a disposition, how
often that disposition was the one logged. Each version sits beside the previous one.

Why not :func:`kpis.selectors.kpi_rows`: a report there is a period of days, and a version is
compared over its whole life. The figures are computed here with the same SQL building blocks,
so that one KPI is still computed one way: ``interactions.durations`` (handled, handle time) and
:func:`kpis.definitions.repeat_contacts` (a repeat contact within ``FCR_WINDOW_DAYS``), grouped by
version in three aggregate queries whatever the number of interactions and versions. Who sees
what follows the KPI scope (:func:`kpis.definitions.scope_for`): managers and admins every
interaction, a supervisor their team's.

The desktop records the version, not the end step the agent reached: "how often the suggestion
was followed" is the share of the version's interactions logged with the suggested disposition.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Exists, Q, Sum

from contactcenter.scripts.models import Script, ScriptVersion
from interactions import durations
from interactions.models import Disposition, Interaction, SurveyKind, SurveyResponse
from kpis.definitions import KpiScope, fcr_contacts_q, repeat_contacts, scope_for


@dataclass
class DispositionShare:
    code: str
    label: str
    count: int
    share: float | None


@dataclass
class EndStepFollowing:
    """An end step that suggests ``code``: ``count`` interactions logged with it, ``share`` of the
    version's interactions."""

    key: str
    code: str
    count: int
    share: float | None


@dataclass
class VersionFigures:
    """The figures of one version; rates ``None`` over an empty denominator, AHT in seconds."""

    version: ScriptVersion
    interactions: int = 0
    handled: int = 0
    aht: float | None = None
    fcr: float | None = None
    fcr_contacts: int = 0
    csat: float | None = None
    csat_responses: int = 0
    dispositions: list[DispositionShare] = field(default_factory=list)
    end_steps: list[EndStepFollowing] = field(default_factory=list)
    previous: VersionFigures | None = None


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return (numerator or 0) / denominator if denominator else None


def version_figures(
    *, script: Script, user: AbstractBaseUser | None = None, scope: KpiScope | None = None
) -> list[VersionFigures]:
    """Every published version of ``script``, newest first, with its figures and ``previous`` (the
    figures of the version numbered just before, or ``None``). Interactions are those ``user`` may
    count (:func:`kpis.definitions.scope_for`; ``scope`` given instead wins). Five queries at most."""
    scope = scope or (scope_for(user) if user is not None else KpiScope(everything=True))
    versions = list(ScriptVersion.objects.filter(script=script).select_related("script").order_by("-number"))
    if not versions:
        return []
    ids = [version.pk for version in versions]
    interactions = Interaction.objects.filter(scope.interactions_q(), script_version_id__in=ids)
    handled, ended = durations.handled_q(), Q(ended_at__isnull=False)
    fcr_contact = fcr_contacts_q()
    volumes = {
        row["script_version_id"]: row
        for row in interactions.order_by()
        .values("script_version_id")
        .annotate(
            interactions=Count("pk"),
            handled=Count("pk", filter=handled),
            handled_ended=Count("pk", filter=handled & ended),
            handle_seconds=Sum(durations.handle_seconds_sql(), filter=handled & ended),
            fcr_contacts=Count("pk", filter=fcr_contact),
            fcr_repeats=Count("pk", filter=fcr_contact & Exists(repeat_contacts())),
        )
    }
    surveys = {
        row["interaction__script_version_id"]: row
        for row in SurveyResponse.objects.filter(
            scope.interactions_q("interaction__"), interaction__script_version_id__in=ids, kind=SurveyKind.CSAT
        )
        .order_by()
        .values("interaction__script_version_id")
        .annotate(responses=Count("pk"), satisfied=Count("pk", filter=Q(score__gte=4)))
    }
    logged: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        interactions.filter(disposition__isnull=False)
        .order_by()
        .values("script_version_id", "disposition__code")
        .annotate(n=Count("pk"))
    ):
        logged[row["script_version_id"]][row["disposition__code"]] = row["n"]
    labels = {d.code: str(d) for d in Disposition.objects.all()}

    figures = []
    for version in versions:
        volume, survey = volumes.get(version.pk, {}), surveys.get(version.pk, {})
        total = volume.get("interactions", 0)
        fcr_contacts = volume.get("fcr_contacts", 0)
        by_code = logged.get(version.pk, {})
        figures.append(
            VersionFigures(
                version=version,
                interactions=total,
                handled=volume.get("handled", 0),
                aht=_ratio(volume.get("handle_seconds"), volume.get("handled_ended", 0)),
                fcr=_ratio(fcr_contacts - volume.get("fcr_repeats", 0), fcr_contacts),
                fcr_contacts=fcr_contacts,
                csat=_ratio(survey.get("satisfied"), survey.get("responses", 0)),
                csat_responses=survey.get("responses", 0),
                dispositions=[
                    DispositionShare(code, labels.get(code, code), count, _ratio(count, total))
                    for code, count in sorted(by_code.items(), key=lambda item: (-item[1], item[0]))
                ],
                end_steps=_end_steps(version.steps, by_code, total),
            )
        )
    for newer, older in itertools.pairwise(figures):
        newer.previous = older
    return figures


def _end_steps(steps: Any, by_code: dict[str, int], total: int) -> list[EndStepFollowing]:
    result = []
    for raw in steps if isinstance(steps, list) else []:
        if isinstance(raw, dict) and not raw.get("answers") and raw.get("disposition"):
            code = str(raw["disposition"])
            count = by_code.get(code, 0)
            result.append(EndStepFollowing(str(raw.get("key") or ""), code, count, _ratio(count, total)))
    return result
