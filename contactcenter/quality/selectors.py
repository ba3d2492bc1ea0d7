"""Every read of quality management, with its joins (STYLE.md principle 2).

Who sees which evaluation (docs/quality.md, "Access"):

- an agent: their own, once published to them (never a draft, never a calibration's);
- a supervisor: their team's agents', and the ones they made;
- a QA evaluator (the ``quality`` role): those of the agents of the teams assigned to them
  (:class:`EvaluatorTeam`), and the ones they made;
- managers and admins: all.

Everyone but the evaluator misses a draft (managers and admins excepted), and a calibration
session is blind: while it is open, its evaluations are seen by their own evaluator only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Avg, Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from contactcenter.agents.models import Team
from contactcenter.core.access import can
from contactcenter.core.roles import EVALUATORS_RELATION, MANAGERS_UP, QUALITY, SUPERVISOR, role_of, team_id_of
from contactcenter.quality.models import (
    SHOWN_TO_AGENT,
    CalibrationSession,
    CalibrationState,
    Criterion,
    Dispute,
    Evaluation,
    EvaluationAnswer,
    EvaluationKind,
    EvaluationState,
    EvaluatorTeam,
    SampleItem,
    SampleState,
    Scorecard,
    ScorecardSection,
    ScorecardVersion,
    VersionState,
)
from contactcenter.quality.scoring import Item, item_percent, spread
from interactions.models import Interaction

# --- Whose work an evaluator covers ---------------------------------------------------------------


def evaluated_team_ids(user: AbstractBaseUser) -> QuerySet:
    """The ids of the teams assigned to the QA evaluator ``user``, as a subquery."""
    return Team.objects.filter(**{f"{EVALUATORS_RELATION}__user": user}).values("pk")


def covered_agents_q(user: AbstractBaseUser, prefix: str = "agent") -> Q | None:
    """The condition on ``<prefix>`` (a user; ``""``: the user model itself) of the agents whose
    work ``user`` evaluates: all for managers and admins (``Q()``), their team's for a supervisor,
    their assigned teams' for a QA evaluator; ``None`` for anyone else (an agent evaluates nobody)."""
    role = role_of(user)
    team = f"{prefix}__agent_profile__team_id" if prefix else "agent_profile__team_id"
    if role in MANAGERS_UP:
        return Q()
    if role == SUPERVISOR:
        team_id = team_id_of(user)
        return Q(**{team: team_id}) if team_id is not None else Q(pk__in=[])
    if role == QUALITY:
        return Q(**{f"{team}__in": evaluated_team_ids(user)})
    return None


def may_evaluate_agent(user: AbstractBaseUser, agent: AbstractBaseUser) -> bool:
    """Whether ``user`` may evaluate ``agent``'s work (never their own). One query at most."""
    if not can(user, "quality.evaluate") or agent.pk == user.pk:
        return False
    condition = covered_agents_q(user, prefix="")
    if condition is None:
        return False
    if condition == Q():
        return True
    from_profile = type(agent)._default_manager.filter(pk=agent.pk)
    return from_profile.filter(condition).exists()


def interactions_evaluable_by(user: AbstractBaseUser) -> QuerySet[Interaction]:
    """The interactions ``user`` may evaluate: those with an agent (not their own) they cover."""
    condition = covered_agents_q(user)
    if condition is None or not can(user, "quality.evaluate"):
        return Interaction.objects.none()
    return Interaction.objects.filter(condition, agent__isnull=False).exclude(agent=user)


# --- Scorecards ------------------------------------------------------------------------------------


def scorecards_visible_to(user: AbstractBaseUser) -> QuerySet[Scorecard]:
    """Every scorecard for those who write them; the active ones with a published version for the
    other evaluators; none for agents (they see the scorecard inside their evaluations)."""
    if can(user, "scorecard.write"):
        return Scorecard.objects.all()
    if can(user, "scorecard.read"):
        published = ScorecardVersion.objects.filter(scorecard=OuterRef("pk"), state=VersionState.PUBLISHED)
        return Scorecard.objects.filter(Exists(published), is_active=True)
    return Scorecard.objects.none()


def scorecard_list(*, user: AbstractBaseUser) -> QuerySet[Scorecard]:
    """The scorecards ``user`` sees with their queue, creator, the latest published number and
    whether a draft is open, in one query."""
    latest = (
        ScorecardVersion.objects.filter(scorecard=OuterRef("pk"), state=VersionState.PUBLISHED)
        .order_by("-number")
        .values("number")[:1]
    )
    drafts = ScorecardVersion.objects.filter(scorecard=OuterRef("pk"), state=VersionState.DRAFT)
    return (
        scorecards_visible_to(user)
        .select_related("queue", "created_by")
        .annotate(published_number=Subquery(latest), has_draft=Exists(drafts))
        .order_by("name")
    )


def versions_visible_to(user: AbstractBaseUser) -> QuerySet[ScorecardVersion]:
    """Drafts for those who write scorecards; published versions for every evaluator."""
    versions = ScorecardVersion.objects.filter(scorecard__in=scorecards_visible_to(user).values("pk"))
    if can(user, "scorecard.write"):
        return versions
    return versions.filter(state=VersionState.PUBLISHED)


def version_with_content(queryset: QuerySet[ScorecardVersion]) -> QuerySet[ScorecardVersion]:
    """``queryset`` with each version's scorecard, sections and their criteria (three queries)."""
    return queryset.select_related("scorecard", "published_by").prefetch_related(
        Prefetch(
            "sections",
            queryset=ScorecardSection.objects.order_by("position", "id").prefetch_related(
                Prefetch("criteria", queryset=Criterion.objects.order_by("position", "id"))
            ),
        )
    )


def criteria_of(version: ScorecardVersion | int) -> list[Criterion]:
    """The criteria of the version (or version id) in order (section by section), with their
    section; one query."""
    version_id = version if isinstance(version, int) else version.pk
    return list(
        Criterion.objects.filter(section__version_id=version_id)
        .select_related("section")
        .order_by("section__position", "section_id", "position", "id")
    )


def published_version_for(interaction: Interaction) -> ScorecardVersion | None:
    """The latest published version of the active scorecard that fits ``interaction`` best: one
    for its queue (and channel), else one for its channel, else one for any queue and channel;
    ``None`` when none fits. One query."""
    candidates = (
        ScorecardVersion.objects.filter(state=VersionState.PUBLISHED, scorecard__is_active=True)
        .filter(Q(scorecard__queue__isnull=True) | Q(scorecard__queue_id=interaction.queue_id))
        .filter(Q(scorecard__channel="") | Q(scorecard__channel=interaction.channel))
        .select_related("scorecard")
        .order_by("-number")
    )
    best: ScorecardVersion | None = None
    best_rank: tuple[int, int] | None = None
    for version in candidates:
        card = version.scorecard
        rank = (int(card.queue_id is not None), int(card.channel != ""))
        if best_rank is None or rank > best_rank:
            best, best_rank = version, rank
    return best


# --- Evaluations ----------------------------------------------------------------------------------


def evaluations_visible_to(user: AbstractBaseUser) -> QuerySet[Evaluation]:
    """The evaluations ``user`` may see (the module's docstring)."""
    if not can(user, "quality.read"):
        return Evaluation.objects.none()
    role = role_of(user)
    own_made = Q(evaluator=user)
    shown_to_agent = Q(agent=user, kind=EvaluationKind.REGULAR, state__in=SHOWN_TO_AGENT)
    # Blind calibration: an open session's evaluations are their evaluator's only.
    blind = Q(kind=EvaluationKind.CALIBRATION, calibration__state=CalibrationState.OPEN) & ~own_made
    evaluations = Evaluation.objects.exclude(blind)
    if role in MANAGERS_UP:
        return evaluations
    covered = covered_agents_q(user)
    if covered is None:
        return evaluations.filter(shown_to_agent)
    # Another evaluator's draft is theirs until it is published.
    return evaluations.filter(own_made | shown_to_agent | (covered & ~Q(state=EvaluationState.DRAFT)))


def evaluation_list(*, user: AbstractBaseUser) -> QuerySet[Evaluation]:
    """The evaluations ``user`` sees, newest first, with what a list shows: the interaction, the
    scorecard version, the evaluator and the agent (one query)."""
    return evaluations_visible_to(user).select_related(
        "interaction", "version__scorecard", "evaluator", "agent", "calibration"
    )


def evaluation_detail(*, user: AbstractBaseUser, pk: int) -> Evaluation | None:
    """One evaluation ``user`` sees with its answers and their criteria (two queries), ``None``
    when they do not see it."""
    return (
        evaluation_list(user=user)
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=EvaluationAnswer.objects.select_related("criterion__section").order_by(
                    "criterion__section__position", "criterion__position", "criterion_id"
                ),
            ),
            Prefetch("disputes", queryset=Dispute.objects.select_related("raised_by", "reviewer")),
        )
        .filter(pk=pk)
        .first()
    )


def scoring_items(evaluation: Evaluation, criteria: list[Criterion] | None = None) -> list[Item]:
    """The evaluation's answers as the score's items (criteria without an answer are left out)."""
    criteria = criteria if criteria is not None else criteria_of(evaluation.version_id)
    answers = {answer.criterion_id: answer for answer in evaluation.answers.all()}
    items = []
    for criterion in criteria:
        answer = answers.get(criterion.pk)
        if answer is None:
            continue
        items.append(
            Item(
                weight=criterion.weight,
                maximum=criterion.maximum,
                value=answer.value,
                not_applicable=answer.not_applicable,
                critical=criterion.critical,
            )
        )
    return items


def disputes_visible_to(user: AbstractBaseUser) -> QuerySet[Dispute]:
    """The disputes of the evaluations ``user`` sees, with their evaluation and people."""
    return Dispute.objects.filter(evaluation__in=evaluations_visible_to(user).values("pk")).select_related(
        "evaluation__agent", "evaluation__evaluator", "evaluation__version__scorecard", "raised_by", "reviewer"
    )


def disputes_to_decide(*, user: AbstractBaseUser) -> QuerySet[Dispute]:
    """The open disputes ``user`` may decide: not on their own evaluation, not raised by them, and
    assigned to them or to nobody (managers and admins: any)."""
    if not can(user, "quality.decide"):
        return Dispute.objects.none()
    disputes = disputes_visible_to(user).filter(decision="").exclude(evaluation__evaluator=user).exclude(raised_by=user)
    if role_of(user) in MANAGERS_UP:
        return disputes
    return disputes.filter(Q(reviewer__isnull=True) | Q(reviewer=user))


# --- Calibration ----------------------------------------------------------------------------------


def calibrations_visible_to(user: AbstractBaseUser) -> QuerySet[CalibrationSession]:
    """Managers and admins: every session; anyone else: the sessions they set up or sit in."""
    if role_of(user) in MANAGERS_UP:
        return CalibrationSession.objects.all()
    if not can(user, "quality.evaluate"):
        return CalibrationSession.objects.none()
    sitting = CalibrationSession.evaluators.through.objects.filter(
        calibrationsession_id=OuterRef("pk"), user_id=user.pk
    )
    return CalibrationSession.objects.filter(Q(created_by=user) | Exists(sitting))


def calibration_list(*, user: AbstractBaseUser) -> QuerySet[CalibrationSession]:
    """The sessions ``user`` sees with their interaction and version, the evaluators (prefetched)
    and how many have published (two queries)."""
    # A subquery, not a Count over a join: grouping by the joined interaction would need its whole
    # key, which a partitioned interactions table does not give (no functional dependency on id).
    published = (
        Evaluation.objects.filter(calibration=OuterRef("pk"))
        .exclude(state=EvaluationState.DRAFT)
        .order_by()
        .values("calibration")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        calibrations_visible_to(user)
        .select_related("interaction", "version__scorecard", "created_by")
        .prefetch_related("evaluators")
        .annotate(published_count=Coalesce(Subquery(published, output_field=IntegerField()), 0))
    )


def calibration_report(*, session: CalibrationSession) -> dict[str, Any]:
    """Each evaluator's answer per criterion beside the reference's, with its deviation, and the
    spread of every criterion (highest minus lowest criterion score in %, over the evaluators).

    Values compare as criterion scores in % (value / maximum), so yes/no and points read alike;
    ``deviation`` is the evaluator's minus the reference's (``None`` without a reference or when
    either was not applicable). Only published evaluations count. Four queries.
    """
    criteria = criteria_of(session.version_id)
    evaluations = list(
        session.evaluations.exclude(state=EvaluationState.DRAFT)
        .select_related("evaluator")
        .prefetch_related("answers")
        .order_by("evaluator__username", "pk")
    )
    percents: dict[int, dict[int, Decimal | None]] = defaultdict(dict)
    values: dict[int, dict[int, tuple[int | None, bool]]] = defaultdict(dict)
    for evaluation in evaluations:
        for answer in evaluation.answers.all():
            criterion = next((c for c in criteria if c.pk == answer.criterion_id), None)
            if criterion is None:
                continue
            values[evaluation.pk][criterion.pk] = (answer.value, answer.not_applicable)
            percents[evaluation.pk][criterion.pk] = item_percent(
                Item(criterion.weight, criterion.maximum, answer.value, answer.not_applicable, criterion.critical)
            )
    reference_id = session.reference_id
    rows = []
    for criterion in criteria:
        reference_percent = percents.get(reference_id, {}).get(criterion.pk) if reference_id else None
        reference_value = values.get(reference_id, {}).get(criterion.pk) if reference_id else None
        cells = []
        for evaluation in evaluations:
            value, not_applicable = values[evaluation.pk].get(criterion.pk, (None, False))
            percent = percents[evaluation.pk].get(criterion.pk)
            deviation = percent - reference_percent if percent is not None and reference_percent is not None else None
            cells.append(
                {
                    "evaluation": evaluation.pk,
                    "evaluator": evaluation.evaluator.get_username(),
                    "value": value,
                    "not_applicable": not_applicable,
                    "percent": percent,
                    "deviation": deviation,
                }
            )
        rows.append(
            {
                "criterion": criterion.pk,
                "key": criterion.key,
                "title": criterion.title,
                "section": criterion.section.title,
                "critical": criterion.critical,
                "reference_value": reference_value[0] if reference_value else None,
                "reference_not_applicable": reference_value[1] if reference_value else False,
                "reference_percent": reference_percent,
                "evaluators": cells,
                "spread": spread(cell["percent"] for cell in cells if cell["evaluation"] != reference_id),
            }
        )
    reference = next((e for e in evaluations if e.pk == reference_id), None)
    return {
        "session": session.pk,
        "title": session.title,
        "state": session.state,
        "reference": reference_id,
        "reference_score": reference.score if reference else None,
        "evaluators": [
            {
                "evaluation": evaluation.pk,
                "evaluator": evaluation.evaluator.get_username(),
                "score": evaluation.score,
                "critical_failed": evaluation.critical_failed,
                "deviation": (
                    evaluation.score - reference.score
                    if reference and reference.score is not None and evaluation.score is not None
                    else None
                ),
            }
            for evaluation in evaluations
        ],
        "criteria": rows,
        "score_spread": spread(e.score for e in evaluations if e.pk != reference_id),
    }


# --- Queues and trends ----------------------------------------------------------------------------


def evaluator_queue(*, user: AbstractBaseUser) -> QuerySet[SampleItem]:
    """The sampled interactions waiting for ``user``'s evaluation, oldest week first, with their
    interaction, agent and rule's scorecard (one query)."""
    return (
        SampleItem.objects.filter(assigned_to=user, state=SampleState.OPEN)
        .select_related("interaction", "agent", "rule__scorecard")
        .order_by("week", "created_at", "pk")
    )


def agent_qm_trend(*, agent: AbstractBaseUser, weeks: int = 12, now: dt.datetime | None = None) -> list[dict]:
    """``agent``'s published regular evaluations of the last ``weeks`` weeks (this one included),
    week by week (Monday): how many and their average score (``None`` for a week without any or
    with none scored); one query."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    first_monday = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks - 1)
    start = timezone.make_aware(dt.datetime.combine(first_monday, dt.time.min))
    rows = (
        Evaluation.objects.filter(
            agent=agent, kind=EvaluationKind.REGULAR, state__in=SHOWN_TO_AGENT, published_at__gte=start
        )
        .annotate(week=TruncWeek("published_at"))
        .values("week")
        .annotate(evaluations=Count("pk"), average=Avg("score"))
        .order_by("week")
    )
    by_week = {}
    for row in rows:
        week = row["week"]
        week = week.date() if isinstance(week, dt.datetime) else week
        by_week[week] = row
    trend = []
    for index in range(weeks):
        monday = first_monday + dt.timedelta(weeks=index)
        row = by_week.get(monday)
        average = row["average"] if row else None
        trend.append(
            {
                "week": monday,
                "evaluations": row["evaluations"] if row else 0,
                "average": Decimal(average).quantize(Decimal("0.01")) if average is not None else None,
            }
        )
    return trend


def evaluator_teams_visible_to(user: AbstractBaseUser) -> QuerySet[EvaluatorTeam]:
    """Every assignment for managers and admins; a QA evaluator their own; nobody else any."""
    if can(user, "evaluator_team.read"):
        teams = EvaluatorTeam.objects.all()
    elif role_of(user) == QUALITY:
        teams = EvaluatorTeam.objects.filter(user=user)
    else:
        return EvaluatorTeam.objects.none()
    return teams.select_related("user", "team")
