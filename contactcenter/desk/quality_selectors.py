"""The reads of the quality pages (``contactcenter/desk/quality.py``), each with its joins.

What a user may see of the evaluations is :func:`contactcenter.quality.selectors.evaluations_visible_to`;
these selectors only shape it for the pages: the scorecard form with its answers, the queue's open
calibrations, the disputes waiting for a decision, the interactions an evaluator may pick.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, Q, QuerySet

from contactcenter.agents.models import AgentProfile
from contactcenter.chat.models import ChatMessage
from contactcenter.mail.models import EmailMessage
from contactcenter.quality.models import (
    CalibrationSession,
    CalibrationState,
    Criterion,
    Dispute,
    Evaluation,
    EvaluationAnswer,
    EvaluationKind,
    EvaluationState,
    SampleItem,
    SampleState,
    ScorecardSection,
    ScorecardVersion,
    VersionState,
)
from contactcenter.quality.selectors import (
    calibrations_visible_to,
    disputes_to_decide,
    evaluations_visible_to,
    interactions_evaluable_by,
)
from interactions.models import Channel, Interaction

#: The most interactions a search lists (the newest first): narrow it down rather than page through.
SEARCH_LIMIT = 50

#: What the pages show of an evaluation, joined with it.
EVALUATION_RELATIONS = (
    "interaction",
    "interaction__customer",
    "interaction__queue",
    "interaction__agent",
    "interaction__disposition",
    "interaction__script_version__script",
    "interaction__telephony_recording",
    "interaction__cti_call",
    "agent",
    "evaluator",
    "version",
    "version__scorecard",
    "calibration",
)


#: The most mail an email contact's review shows (oldest first).
EMAILS_SHOWN = 50
#: A chat's messages shown at most (a chat of more is cut, oldest first).
CHAT_LINES_SHOWN = 500

#: What the review of a contact shows of it, joined with it (:func:`review_context`).
REVIEW_RELATIONS = (
    "customer",
    "agent",
    "queue",
    "disposition",
    "script_version__script",
    "telephony_recording",
    "cti_call",
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
    """The evaluation ``pk`` if ``user`` may open it (:func:`evaluations_visible_to`: their own
    drafts, never another evaluator's blind calibration scoring), with what the page shows of it
    (one query)."""
    return evaluations_visible_to(user).filter(pk=pk).select_related(*EVALUATION_RELATIONS).first()


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
    """The open calibration sessions ``user`` scores in or set up, with their interaction."""
    return calibrations_for(user=user).filter(state=CalibrationState.OPEN)


def calibrations_for(*, user: AbstractBaseUser) -> QuerySet[CalibrationSession]:
    """The calibration sessions ``user`` sees (:func:`calibrations_visible_to`), newest first."""
    return (
        calibrations_visible_to(user)
        .select_related("interaction", "interaction__agent", "version__scorecard", "created_by")
        .order_by("-created_at", "-pk")
    )


def calibration_for_page(*, user: AbstractBaseUser, pk: int) -> CalibrationSession | None:
    return calibrations_for(user=user).filter(pk=pk).first()


def my_calibration_evaluation(*, session: CalibrationSession, user: AbstractBaseUser) -> Evaluation | None:
    return Evaluation.objects.filter(calibration=session, evaluator=user).first()


def disputes_waiting(*, user: AbstractBaseUser) -> QuerySet[Dispute]:
    """The disputes ``user`` may decide (:func:`disputes_to_decide`), oldest first, with what the
    list shows."""
    return disputes_to_decide(user=user).select_related("evaluation__interaction").order_by("raised_at", "pk")


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
    """The contacts ``user`` may evaluate (:func:`interactions_evaluable_by`: a QA evaluator their
    assigned teams', a supervisor their team's, managers and admins every team's, nobody their own)."""
    return interactions_evaluable_by(user)


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
    return evaluable_interactions(user=user).filter(pk=pk).select_related(*REVIEW_RELATIONS).first()


def evaluations_of_interaction(*, user: AbstractBaseUser, interaction: Interaction) -> list[Evaluation]:
    """The regular evaluations of ``interaction`` ``user`` may open (their own drafts included)."""
    return list(
        evaluations_visible_to(user)
        .filter(interaction=interaction, kind=EvaluationKind.REGULAR)
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


def _script_path(interaction: Interaction) -> list[dict[str, str]]:
    """The steps the agent went through in the contact's script version, in order: each step's
    key, its text and the answer that led on to the next one (blank for the last, or a jump)."""
    version = interaction.script_version
    if version is None or not interaction.script_path:
        return []
    steps = {step.get("key"): step for step in version.steps or [] if isinstance(step, dict)}
    path = []
    keys = list(interaction.script_path)
    for index, key in enumerate(keys):
        step = steps.get(key) or {}
        following = keys[index + 1] if index + 1 < len(keys) else None
        answer = next(
            (a.get("label", "") for a in step.get("answers") or [] if following and a.get("next") == following), ""
        )
        path.append({"key": key, "text": step.get("text", ""), "answer": answer})
    return path


def review_context(*, interaction: Interaction) -> dict[str, Any]:
    """What the evaluation page shows of ``interaction`` beside the scorecard: its recording (with
    the spans it was paused, on its CTI call), the mail of an email contact (its own and its
    ticket's), a chat's transcript, the script version the agent had. ``interaction`` comes with
    :data:`REVIEW_RELATIONS` joined: no query for a call, one for an email contact's mail or a chat's
    messages."""
    emails: list[EmailMessage] = []
    if interaction.channel == Channel.EMAIL:
        mail = Q(interaction=interaction)
        if interaction.ticket_id is not None:
            mail |= Q(ticket_id=interaction.ticket_id)
        emails = list(EmailMessage.objects.filter(mail).order_by("created_at", "pk")[:EMAILS_SHOWN])
    transcript: list[dict[str, Any]] = []
    if interaction.channel == Channel.CHAT:
        messages = (
            ChatMessage.objects.filter(conversation__interaction=interaction)
            .select_related("agent")
            .order_by("created_at", "pk")[:CHAT_LINES_SHOWN]
        )
        transcript = [
            {
                "side": message.author,
                "author": (message.agent.get_full_name() or message.agent.get_username())
                if message.agent is not None
                else message.get_author_display(),
                "at": message.created_at,
                "text": message.text,
            }
            for message in messages
        ]
    return {
        "recording": getattr(interaction, "telephony_recording", None),
        "emails": emails,
        "transcript": transcript,
        "script_version": interaction.script_version,
        "script_path": _script_path(interaction),
    }
