"""The reads of the quality pages (``contactcenter/desk/quality.py``), each with its joins.

What a user may see of the evaluations is :func:`contactcenter.quality.selectors.evaluations_visible_to`;
these selectors only shape it for the pages: the scorecard form with its answers, the queue's open
calibrations, the disputes waiting for a decision, the interactions an evaluator may pick.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, Q, QuerySet

from contactcenter.agents.models import AgentProfile
from contactcenter.core.roles import MANAGERS_UP, SUPERVISOR, role_of, team_id_of
from contactcenter.quality.models import (
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
    ScorecardSection,
    ScorecardVersion,
    VersionState,
)
from contactcenter.quality.selectors import evaluations_visible_to
from interactions.models import Interaction

#: The most interactions a search lists (the newest first): narrow it down rather than page through.
SEARCH_LIMIT = 50

#: What the pages show of an evaluation, joined with it.
EVALUATION_RELATIONS = (
    "interaction",
    "interaction__customer",
    "interaction__queue",
    "agent",
    "evaluator",
    "version",
    "version__scorecard",
    "calibration",
)


@dataclass
class CriterionRow:
    """One criterion of the form, with the answer given so far (``None``: not answered yet)."""

    criterion: Criterion
    answer: EvaluationAnswer | None
    errors: list[str] = field(default_factory=list)

    @property
    def choice(self) -> str:
        """The form's value for the answer: ``"na"``, the number, or ``""``."""
        if self.answer is None:
            return ""
        if self.answer.not_applicable:
            return "na"
        return "" if self.answer.value is None else str(self.answer.value)

    @property
    def points(self) -> list[int]:
        """The values offered for a criterion scored in points: 0 to its maximum."""
        return list(range(0, (self.criterion.max_points or 1) + 1))


@dataclass
class SectionRow:
    section: ScorecardSection
    criteria: list[CriterionRow]


def evaluation_for_page(*, user: AbstractBaseUser, pk: int) -> Evaluation | None:
    """The evaluation ``pk`` if ``user`` may open it, with what the page shows of it (one query).

    Those the user may see (:func:`evaluations_visible_to`), and their own drafts. A calibration
    evaluation is blind: while its session is open, only its evaluator and the session's creator
    open it."""
    visible = evaluations_visible_to(user).values("pk")
    evaluation = (
        Evaluation.objects.filter(Q(pk__in=visible) | Q(evaluator=user), pk=pk)
        .select_related(*EVALUATION_RELATIONS)
        .first()
    )
    if evaluation is None:
        return None
    session = evaluation.calibration
    if (
        session is not None
        and evaluation.evaluator_id != user.pk
        and session.state == CalibrationState.OPEN
        and session.created_by_id != user.pk
    ):
        return None
    return evaluation


def scorecard_rows(*, version: ScorecardVersion, evaluation: Evaluation | None = None) -> list[SectionRow]:
    """The version's sections with their criteria in order and, for ``evaluation``, the answers given
    (two queries, three with answers)."""
    sections = ScorecardSection.objects.filter(version=version).order_by("position", "pk")
    sections = sections.prefetch_related(
        Prefetch("criteria", queryset=Criterion.objects.order_by("position", "pk"), to_attr="ordered")
    )
    answers = (
        {answer.criterion_id: answer for answer in EvaluationAnswer.objects.filter(evaluation=evaluation)}
        if evaluation is not None
        else {}
    )
    return [
        SectionRow(section, [CriterionRow(criterion, answers.get(criterion.pk)) for criterion in section.ordered])
        for section in sections
    ]


def my_evaluations(*, user: AbstractBaseUser) -> QuerySet[Evaluation]:
    """The evaluations published to ``user`` as the agent evaluated, newest first."""
    return (
        evaluations_visible_to(user)
        .filter(agent=user, kind=EvaluationKind.REGULAR)
        .exclude(state=EvaluationState.DRAFT)
        .select_related("interaction", "interaction__queue", "evaluator", "version__scorecard")
        .order_by("-published_at", "-pk")
    )


def my_drafts(*, user: AbstractBaseUser) -> QuerySet[Evaluation]:
    """The evaluations ``user`` started and has not published yet."""
    return (
        Evaluation.objects.filter(evaluator=user, state=EvaluationState.DRAFT)
        .select_related("interaction", "agent", "version__scorecard")
        .order_by("-created_at", "-pk")
    )


def open_calibrations(*, user: AbstractBaseUser) -> QuerySet[CalibrationSession]:
    """The open calibration sessions ``user`` scores in or created, with their interaction."""
    return (
        CalibrationSession.objects.filter(Q(evaluators=user) | Q(created_by=user), state=CalibrationState.OPEN)
        .distinct()
        .select_related("interaction", "interaction__agent", "version__scorecard", "created_by")
        .order_by("-created_at", "-pk")
    )


def calibrations_for(*, user: AbstractBaseUser) -> QuerySet[CalibrationSession]:
    """The calibration sessions ``user`` may list: those they score in or created; managers and
    admins: all."""
    sessions = CalibrationSession.objects.all()
    if role_of(user) not in MANAGERS_UP:
        sessions = sessions.filter(Q(evaluators=user) | Q(created_by=user)).distinct()
    return sessions.select_related("interaction", "interaction__agent", "version__scorecard", "created_by").order_by(
        "-created_at", "-pk"
    )


def calibration_for_page(*, user: AbstractBaseUser, pk: int) -> CalibrationSession | None:
    return calibrations_for(user=user).filter(pk=pk).first()


def my_calibration_evaluation(*, session: CalibrationSession, user: AbstractBaseUser) -> Evaluation | None:
    return Evaluation.objects.filter(calibration=session, evaluator=user).first()


def disputes_to_decide(*, user: AbstractBaseUser) -> QuerySet[Dispute]:
    """The disputes waiting for a decision on evaluations ``user`` may see, other than their own
    (a dispute is reviewed by another evaluator), oldest first."""
    return (
        Dispute.objects.filter(decision="", evaluation__in=evaluations_visible_to(user).values("pk"))
        .exclude(evaluation__evaluator=user)
        .select_related(
            "evaluation", "evaluation__agent", "evaluation__evaluator", "evaluation__interaction", "raised_by"
        )
        .order_by("raised_at", "pk")
    )


def dispute_for_page(*, user: AbstractBaseUser, pk: int) -> Dispute | None:
    """Dispute ``pk`` on an evaluation ``user`` may see (decided or not), with its evaluation."""
    return (
        Dispute.objects.filter(pk=pk, evaluation__in=evaluations_visible_to(user).values("pk"))
        .select_related(
            *(f"evaluation__{name}" for name in EVALUATION_RELATIONS), "evaluation", "raised_by", "reviewer"
        )
        .first()
    )


def disputes_of(*, evaluation: Evaluation) -> list[Dispute]:
    return list(Dispute.objects.filter(evaluation=evaluation).select_related("raised_by", "reviewer").order_by("pk"))


def evaluable_interactions(*, user: AbstractBaseUser) -> QuerySet[Interaction]:
    """The contacts ``user`` may evaluate: handled by an agent (answered), of the teams they
    evaluate (a ``quality`` user: their assigned teams; a supervisor: their team; managers and
    admins: every team)."""
    contacts = Interaction.objects.filter(agent__isnull=False, answered_at__isnull=False)
    role = role_of(user)
    if role in MANAGERS_UP:
        return contacts
    if role == SUPERVISOR:
        return contacts.filter(agent__agent_profile__team_id=team_id_of(user))
    teams = EvaluatorTeam.objects.filter(user=user).values("team_id")
    return contacts.filter(agent__agent_profile__team_id__in=teams)


def interaction_search(
    *,
    user: AbstractBaseUser,
    q: str = "",
    agent: str = "",
    channel: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Interaction]:
    """Evaluable contacts (:func:`evaluable_interactions`) matching the search, newest first, at most
    ``SEARCH_LIMIT``: ``q`` an interaction's number or its customer's name, ``agent`` the agent's
    username, ``channel``, offered in ``[since, until)``. One query."""
    contacts = evaluable_interactions(user=user)
    q = q.strip()
    if q.isdigit():
        contacts = contacts.filter(pk=int(q))
    elif q:
        for word in q.split()[:4]:
            contacts = contacts.filter(
                Q(customer__last_name__icontains=word)
                | Q(customer__first_name__icontains=word)
                | Q(customer__company__icontains=word)
            )
    if agent.strip():
        contacts = contacts.filter(agent__username=agent.strip())
    if channel:
        contacts = contacts.filter(channel=channel)
    if since is not None:
        contacts = contacts.filter(offered_at__gte=since)
    if until is not None:
        contacts = contacts.filter(offered_at__lt=until)
    return list(
        contacts.select_related("customer", "agent", "queue", "telephony_recording").order_by("-offered_at", "-pk")[
            :SEARCH_LIMIT
        ]
    )


def evaluable_interaction(*, user: AbstractBaseUser, pk: int) -> Interaction | None:
    """Contact ``pk`` if ``user`` may evaluate it, with what its page shows joined (one query)."""
    return (
        evaluable_interactions(user=user)
        .filter(pk=pk)
        .select_related("customer", "agent", "queue", "disposition", "telephony_recording", "cti_call")
        .first()
    )


def evaluations_of_interaction(*, user: AbstractBaseUser, interaction: Interaction) -> list[Evaluation]:
    """The regular evaluations of ``interaction`` ``user`` may open (their drafts included)."""
    visible = evaluations_visible_to(user).values("pk")
    return list(
        Evaluation.objects.filter(Q(pk__in=visible) | Q(evaluator=user), interaction=interaction)
        .filter(kind=EvaluationKind.REGULAR)
        .select_related("evaluator", "version__scorecard")
        .order_by("-created_at", "-pk")
    )


def published_versions() -> list[ScorecardVersion]:
    """Each active scorecard's newest published version, by scorecard name (one query)."""
    versions = (
        ScorecardVersion.objects.filter(state=VersionState.PUBLISHED, scorecard__is_active=True)
        .select_related("scorecard")
        .order_by("scorecard__name", "-number")
    )
    newest: dict[int, ScorecardVersion] = {}
    for version in versions:
        newest.setdefault(version.scorecard_id, version)
    return list(newest.values())


def calibration_candidates(*, user: AbstractBaseUser) -> QuerySet[AgentProfile]:
    """Who may score in a calibration session: the users with the quality or supervisor role, and
    managers."""
    return (
        AgentProfile.objects.filter(role__in=("quality", "supervisor", "manager"), user__is_active=True)
        .select_related("user")
        .order_by("user__username")
    )


def open_sample_of(*, user: AbstractBaseUser, interaction: Interaction) -> SampleItem | None:
    """The open sample item of ``interaction`` assigned to ``user`` (or to nobody): evaluating the
    contact does it."""
    return (
        SampleItem.objects.filter(interaction=interaction, state=SampleState.OPEN)
        .filter(Q(assigned_to=user) | Q(assigned_to__isnull=True))
        .first()
    )


def average(values: list[Decimal | None]) -> Decimal | None:
    known = [value for value in values if value is not None]
    return sum(known, Decimal(0)) / len(known) if known else None
