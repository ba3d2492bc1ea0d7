"""Every write of quality management (STYLE.md principle 1).

Scorecards are written by managers as a draft version (:func:`scorecard_version_set_content`)
and published as an immutable, numbered version (:func:`scorecard_version_publish`); a change
goes into a new draft copied from the latest published version (:func:`scorecard_version_new_draft`).

An evaluation (:func:`evaluation_start`) scores one interaction against one published version;
its evaluator answers every criterion (:func:`evaluation_save`) and publishes it
(:func:`evaluation_publish`): the score is worked out (:mod:`contactcenter.quality.scoring`), the
agent is told on their stream (``quality.evaluation``) and the hooks registered with
:func:`evaluation_hooks_register` run (the training rules). The agent acknowledges it or disputes
it; a dispute is decided by another evaluator than the one who scored it
(:func:`dispute_decide`), once and for all, and the history of the evaluation, its answers and the
dispute keeps every step.

A calibration session (:func:`calibration_create`) puts one interaction in front of several
evaluators blind; closing it (:func:`calibration_close`) shows the report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from contactcenter.agents.models import Queue
from contactcenter.core.access import can
from contactcenter.core.db import full_clean
from contactcenter.core.events import agent_group, publish_on_commit
from contactcenter.core.roles import EVALUATORS, MANAGERS_UP, role_of
from contactcenter.core.transactions import service_atomic
from contactcenter.core.unset import UNSET, Unset, given
from contactcenter.quality.models import (
    CalibrationSession,
    CalibrationState,
    Criterion,
    Dispute,
    DisputeDecision,
    Evaluation,
    EvaluationAnswer,
    EvaluationKind,
    EvaluationState,
    EvaluatorTeam,
    SampleItem,
    SampleState,
    Scale,
    Scorecard,
    ScorecardSection,
    ScorecardVersion,
    VersionState,
)
from contactcenter.quality.scoring import ScoringError, score_of
from contactcenter.quality.selectors import (
    criteria_of,
    evaluations_visible_to,
    may_evaluate_agent,
    published_version_for,
    scoring_items,
)
from interactions.models import Interaction

#: The live event an agent's stream gets when an evaluation of theirs is published or decided.
EVALUATION_EVENT = "quality.evaluation"

_scored_hooks: list[Callable[..., None]] = []


def evaluation_hooks_register(*, scored: Callable[..., None]) -> None:
    """Call ``scored(evaluation=)`` each time a regular evaluation gets its score for the agent: at
    :func:`evaluation_publish` and when :func:`dispute_decide` overturns it. Runs inside the
    service's transaction (an error undoes the publishing). Registered once, from an
    ``AppConfig.ready``; a hook registered twice runs once."""
    if scored not in _scored_hooks:
        _scored_hooks.append(scored)


def _refuse(message: str) -> None:
    raise PermissionDenied(message)


# --- Scorecards -----------------------------------------------------------------------------------


def _require_scorecard_writer(by: AbstractBaseUser | None) -> None:
    if by is not None and not can(by, "scorecard.write"):
        _refuse(_("Only managers and admins write scorecards."))


@service_atomic
def scorecard_create(
    *,
    name: str,
    by: AbstractBaseUser | None,
    description: str = "",
    queue: Queue | None = None,
    channel: str = "",
    is_active: bool = True,
) -> Scorecard:
    """A new scorecard with an empty draft, version 1."""
    _require_scorecard_writer(by)
    scorecard = Scorecard(
        name=name, description=description, queue=queue, channel=channel, is_active=is_active, created_by=by
    )
    full_clean(scorecard)
    scorecard.save()
    ScorecardVersion.objects.create(scorecard=scorecard, number=1, state=VersionState.DRAFT)
    return scorecard


@service_atomic
def scorecard_update(
    *,
    scorecard: Scorecard,
    by: AbstractBaseUser | None,
    name: str | Unset = UNSET,
    description: str | Unset = UNSET,
    queue: Queue | Unset | None = UNSET,
    channel: str | Unset = UNSET,
    is_active: bool | Unset = UNSET,
) -> Scorecard:
    """Change the scorecard's own fields given (its versions are untouched)."""
    _require_scorecard_writer(by)
    changes = given({"name": name, "description": description, "queue": queue, "channel": channel})
    changes.update(given({"is_active": is_active}))
    for attribute, value in changes.items():
        setattr(scorecard, attribute, value)
    full_clean(scorecard)
    scorecard.save()
    return scorecard


def _criterion_fields(raw: dict[str, Any]) -> dict[str, Any]:
    scale = raw.get("scale", Scale.YES_NO)
    return {
        "key": raw.get("key", ""),
        "title": raw.get("title", ""),
        "guidance": raw.get("guidance", ""),
        "weight": raw.get("weight", 1),
        "scale": scale,
        "max_points": raw.get("max_points") if scale == Scale.POINTS else None,
        "allow_na": bool(raw.get("allow_na", False)),
        "critical": bool(raw.get("critical", False)),
    }


@service_atomic
def scorecard_version_set_content(
    *, version: ScorecardVersion, by: AbstractBaseUser | None, sections: list[dict[str, Any]]
) -> ScorecardVersion:
    """Replace the draft's sections and criteria with ``sections``:
    ``[{"title", "criteria": [{"key", "title", "guidance", "weight", "scale", "max_points",
    "allow_na", "critical"}, ...]}, ...]``, in order. Every problem is named at once
    (``ValidationError({"sections": [...]})``); a criterion's key is unique in the version.
    A published version refuses."""
    _require_scorecard_writer(by)
    version = ScorecardVersion.objects.select_for_update().get(pk=version.pk)
    if version.state != VersionState.DRAFT:
        raise ValidationError(_("A published scorecard version cannot be changed; make a new draft."))
    errors: list[str] = []
    seen_keys: set[str] = set()
    built: list[tuple[ScorecardSection, list[Criterion]]] = []
    for s_index, raw_section in enumerate(sections, start=1):
        if not isinstance(raw_section, dict):
            errors.append(_("Section %(n)s: an object is expected.") % {"n": s_index})
            continue
        section = ScorecardSection(version=version, title=raw_section.get("title", ""), position=s_index)
        try:
            section.clean_fields(exclude=["version"])
        except ValidationError as error:
            errors.extend(_section_errors(s_index, None, error))
        criteria = []
        for c_index, raw in enumerate(raw_section.get("criteria") or [], start=1):
            if not isinstance(raw, dict):
                errors.append(
                    _("Section %(n)s, criterion %(c)s: an object is expected.") % {"n": s_index, "c": c_index}
                )
                continue
            criterion = Criterion(position=c_index, **_criterion_fields(raw))
            try:
                criterion.clean_fields(exclude=["section"])
                criterion.clean()
            except ValidationError as error:
                errors.extend(_section_errors(s_index, c_index, error))
            if criterion.key in seen_keys:
                errors.append(
                    _("Section %(n)s, criterion %(c)s: the key “%(key)s” is used twice.")
                    % {"n": s_index, "c": c_index, "key": criterion.key}
                )
            seen_keys.add(criterion.key)
            criteria.append(criterion)
        built.append((section, criteria))
    if errors:
        raise ValidationError({"sections": errors})
    # The version is a draft, locked: its parts are written in bulk (their save() would ask the
    # version's state once per row).
    ScorecardSection.objects.filter(version=version).delete()
    sections_made = ScorecardSection.objects.bulk_create([section for section, _criteria in built])
    for section, (_unsaved, criteria) in zip(sections_made, built, strict=True):
        for criterion in criteria:
            criterion.section = section
    Criterion.objects.bulk_create([criterion for _section, criteria in built for criterion in criteria])
    return version


def _section_errors(section: int, criterion: int | None, error: ValidationError) -> list[str]:
    where = (
        _("Section %(n)s") % {"n": section}
        if criterion is None
        else _("Section %(n)s, criterion %(c)s") % {"n": section, "c": criterion}
    )
    messages = []
    for field, field_errors in error.message_dict.items():
        for message in field_errors:
            messages.append(f"{where}, {field}: {message}")
    return messages


@service_atomic
def scorecard_version_publish(*, version: ScorecardVersion, by: AbstractBaseUser | None) -> ScorecardVersion:
    """Publish the draft ``version``: frozen from then on, the one new evaluations of its
    scorecard use. Refuses a version without a criterion, or already published."""
    _require_scorecard_writer(by)
    Scorecard.objects.select_for_update().filter(pk=version.scorecard_id).first()
    version = ScorecardVersion.objects.select_for_update().get(pk=version.pk)
    if version.state != VersionState.DRAFT:
        raise ValidationError(_("This version is already published."))
    keys = list(Criterion.objects.filter(section__version=version).values_list("key", flat=True))
    if not keys:
        raise ValidationError({"sections": [_("A scorecard needs at least one criterion to be published.")]})
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        message = _("Each criterion's key is used once in a version: %(keys)s.") % {"keys": ", ".join(twice)}
        raise ValidationError({"sections": [message]})
    version.state = VersionState.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = by
    full_clean(version)
    version.save()
    return version


@service_atomic
def scorecard_version_new_draft(*, scorecard: Scorecard, by: AbstractBaseUser | None) -> ScorecardVersion:
    """A new draft, numbered after the last version, holding a copy of the latest published
    version's sections and criteria (their keys kept). Refuses while a draft is open."""
    _require_scorecard_writer(by)
    scorecard = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
    versions = ScorecardVersion.objects.filter(scorecard=scorecard)
    if versions.filter(state=VersionState.DRAFT).exists():
        raise ValidationError(_("This scorecard already has a draft: edit or publish it first."))
    last_number = versions.aggregate(last=Max("number"))["last"] or 0
    source = versions.filter(state=VersionState.PUBLISHED).order_by("-number").first()
    draft = ScorecardVersion.objects.create(scorecard=scorecard, number=last_number + 1, state=VersionState.DRAFT)
    if source is not None:
        criteria = criteria_of(source)
        originals = list(source.sections.order_by("position", "id"))
        copies = ScorecardSection.objects.bulk_create(
            [ScorecardSection(version=draft, title=section.title, position=section.position) for section in originals]
        )
        copied = []
        for section, copy in zip(originals, copies, strict=True):
            for criterion in (c for c in criteria if c.section_id == section.pk):
                copied.append(
                    Criterion(
                        section=copy,
                        key=criterion.key,
                        title=criterion.title,
                        guidance=criterion.guidance,
                        weight=criterion.weight,
                        scale=criterion.scale,
                        max_points=criterion.max_points,
                        allow_na=criterion.allow_na,
                        critical=criterion.critical,
                        position=criterion.position,
                    )
                )
        Criterion.objects.bulk_create(copied)
    return draft


@service_atomic
def scorecard_version_delete_draft(*, version: ScorecardVersion, by: AbstractBaseUser | None) -> None:
    """Throw a draft away (a published version stays forever)."""
    _require_scorecard_writer(by)
    if version.state != VersionState.DRAFT:
        raise ValidationError(_("A published scorecard version cannot be deleted."))
    version.delete()


# --- Evaluations ----------------------------------------------------------------------------------


@service_atomic
def evaluation_start(
    *,
    interaction: Interaction,
    by: AbstractBaseUser,
    version: ScorecardVersion | None = None,
    sample: SampleItem | None = None,
    calibration: CalibrationSession | None = None,
) -> Evaluation:
    """A draft evaluation of ``interaction`` by ``by`` against ``version`` (default: the latest
    published version of the scorecard that fits the interaction best).

    ``by`` must cover the interaction's agent (a supervisor: their team; a QA evaluator: their
    assigned teams; managers and admins: anyone) and never evaluates their own work. In a
    calibration session the session says the interaction and version, and ``by`` must sit in it
    (once). An interaction without an agent (abandoned, self-service) is not evaluated.
    """
    if not can(by, "quality.evaluate"):
        _refuse(_("Your role does not evaluate interactions."))
    if calibration is not None:
        calibration = CalibrationSession.objects.select_for_update().get(pk=calibration.pk)
        if not calibration.is_open:
            raise ValidationError(_("This calibration session is closed."))
        if not calibration.evaluators.filter(pk=by.pk).exists():
            _refuse(_("You are not one of this calibration session's evaluators."))
        if Evaluation.objects.filter(calibration=calibration, evaluator=by).exists():
            raise ValidationError(_("You have already evaluated this session's interaction."))
        interaction, version = calibration.interaction, calibration.version
    if interaction.agent_id is None:
        raise ValidationError({"interaction": [_("This interaction has no agent to evaluate.")]})
    agent = interaction.agent
    if calibration is None and not may_evaluate_agent(by, agent):
        _refuse(_("You do not evaluate this agent's interactions."))
    if version is None:
        version = published_version_for(interaction)
        if version is None:
            raise ValidationError({"version": [_("No published scorecard fits this interaction.")]})
    elif version.state != VersionState.PUBLISHED:
        raise ValidationError({"version": [_("Only a published scorecard version is used to evaluate.")]})
    if sample is not None and sample.interaction_id != interaction.pk:
        raise ValidationError({"sample": [_("This sample is about another interaction.")]})
    evaluation = Evaluation(
        interaction=interaction,
        version=version,
        evaluator=by,
        agent=agent,
        kind=EvaluationKind.CALIBRATION if calibration is not None else EvaluationKind.REGULAR,
        calibration=calibration,
        sample=sample,
    )
    full_clean(evaluation)
    evaluation._history_user = by  # type: ignore[attr-defined]
    evaluation.save()
    return evaluation


def _check_answer(criterion: Criterion, raw: dict[str, Any]) -> tuple[int | None, bool, list[str]]:
    """The answer's value and n.a. flag, and what is wrong with it."""
    errors: list[str] = []
    not_applicable = bool(raw.get("not_applicable", False))
    value = raw.get("value")
    if not_applicable:
        if not criterion.allow_na:
            errors.append(_("“%(title)s” cannot be not applicable.") % {"title": criterion.title})
        value = None
    elif value is not None:
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(_("“%(title)s”: the value must be a whole number.") % {"title": criterion.title})
            value = None
        elif not 0 <= value <= criterion.maximum:
            errors.append(
                _("“%(title)s”: the value must lie between 0 and %(max)s.")
                % {"title": criterion.title, "max": criterion.maximum}
            )
    comment = raw.get("comment", "")
    if not isinstance(comment, str):
        errors.append(_("“%(title)s”: the comment must be text.") % {"title": criterion.title})
    return value, not_applicable, errors


def _write_answers(
    *, evaluation: Evaluation, by: AbstractBaseUser, answers: Iterable[dict[str, Any]], criteria: list[Criterion]
) -> None:
    by_id = {criterion.pk: criterion for criterion in criteria}
    errors: list[str] = []
    parsed: dict[int, tuple[int | None, bool, str]] = {}
    for raw in answers:
        if not isinstance(raw, dict):
            errors.append(_("Each answer must be an object."))
            continue
        criterion_id = raw.get("criterion")
        criterion = by_id.get(criterion_id) if isinstance(criterion_id, int) else None
        if criterion is None:
            errors.append(_("Criterion %(id)s is not part of this scorecard version.") % {"id": criterion_id})
            continue
        if criterion.pk in parsed:
            errors.append(_("“%(title)s” is answered twice.") % {"title": criterion.title})
            continue
        value, not_applicable, problems = _check_answer(criterion, raw)
        errors.extend(problems)
        parsed[criterion.pk] = (value, not_applicable, raw.get("comment", "") or "")
    if errors:
        raise ValidationError({"answers": errors})
    existing = {answer.criterion_id: answer for answer in EvaluationAnswer.objects.filter(evaluation=evaluation)}
    for criterion_id, (value, not_applicable, comment) in parsed.items():
        answer = existing.get(criterion_id) or EvaluationAnswer(evaluation=evaluation, criterion_id=criterion_id)
        if answer.pk is not None and (answer.value, answer.not_applicable, answer.comment) == (
            value,
            not_applicable,
            comment,
        ):
            continue
        answer.value, answer.not_applicable, answer.comment = value, not_applicable, comment
        answer._history_user = by  # type: ignore[attr-defined]
        answer.save()


def _require_own_draft(evaluation: Evaluation, by: AbstractBaseUser) -> Evaluation:
    locked = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if locked.evaluator_id != by.pk:
        _refuse(_("Only its evaluator changes an evaluation."))
    if locked.state != EvaluationState.DRAFT:
        raise ValidationError(_("A published evaluation cannot be changed."))
    return locked


@service_atomic
def evaluation_save(
    *,
    evaluation: Evaluation,
    by: AbstractBaseUser,
    answers: list[dict[str, Any]],
    comment: str | Unset = UNSET,
) -> Evaluation:
    """Store answers of the draft (each ``{"criterion": id, "value": int | None,
    "not_applicable": bool, "comment": str}``; a criterion not given keeps its answer) and the
    overall comment. Only its evaluator, only while a draft; every bad answer is named at once."""
    evaluation = _require_own_draft(evaluation, by)
    _write_answers(evaluation=evaluation, by=by, answers=answers, criteria=criteria_of(evaluation.version_id))
    if comment is not UNSET and comment != evaluation.comment:
        evaluation.comment = comment
        evaluation._history_user = by  # type: ignore[attr-defined]
        full_clean(evaluation, unchanged={"interaction", "version", "evaluator", "agent", "calibration", "sample"})
        evaluation.save()
    return evaluation


def _score(evaluation: Evaluation, criteria: list[Criterion]) -> None:
    """Work out the evaluation's score from its stored answers (every criterion answered)."""
    fresh = Evaluation.objects.prefetch_related("answers").get(pk=evaluation.pk)
    answers = {answer.criterion_id: answer for answer in fresh.answers.all()}
    missing = [
        criterion.title
        for criterion in criteria
        if criterion.pk not in answers
        or (answers[criterion.pk].value is None and not answers[criterion.pk].not_applicable)
    ]
    if missing:
        titles = ", ".join(missing)
        raise ValidationError({"answers": [_("Every criterion needs an answer: %(titles)s.") % {"titles": titles}]})
    try:
        result = score_of(scoring_items(fresh, criteria))
    except ScoringError as error:  # the answers were checked when stored: a criterion changed since
        raise ValidationError({"answers": [str(error)]}) from error
    evaluation.score = result.percent
    evaluation.critical_failed = result.critical_failed


def _tell_agent(evaluation: Evaluation) -> None:
    if evaluation.kind != EvaluationKind.REGULAR:
        return
    publish_on_commit(
        event_type=EVALUATION_EVENT,
        groups=[agent_group(evaluation.agent_id)],
        payload={
            "evaluation": evaluation.pk,
            "state": evaluation.state,
            "score": str(evaluation.score) if evaluation.score is not None else None,
            "critical_failed": evaluation.critical_failed,
        },
    )


@service_atomic
def evaluation_publish(*, evaluation: Evaluation, by: AbstractBaseUser) -> Evaluation:
    """Score the draft (every criterion answered, see :mod:`~contactcenter.quality.scoring`) and
    publish it: the agent sees it and is told on ``ws/agent/`` (``quality.evaluation``), its
    sample is done and the ``scored`` hooks run. A calibration evaluation is scored and published
    to the session only: the agent is neither shown nor told."""
    evaluation = _require_own_draft(evaluation, by)
    _score(evaluation, criteria_of(evaluation.version_id))
    evaluation.state = EvaluationState.PUBLISHED
    evaluation.published_at = timezone.now()
    evaluation._history_user = by  # type: ignore[attr-defined]
    full_clean(evaluation, unchanged={"interaction", "version", "evaluator", "agent", "calibration", "sample"})
    evaluation.save()
    if evaluation.sample_id is not None:
        SampleItem.objects.filter(pk=evaluation.sample_id, state=SampleState.OPEN).update(state=SampleState.DONE)
    if evaluation.kind == EvaluationKind.REGULAR:
        _tell_agent(evaluation)
        for hook in _scored_hooks:
            hook(evaluation=evaluation)
    return evaluation


def _require_agent_answer(evaluation: Evaluation, by: AbstractBaseUser) -> Evaluation:
    locked = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if locked.agent_id != by.pk or locked.kind != EvaluationKind.REGULAR:
        _refuse(_("Only the agent evaluated answers an evaluation."))
    if not can(by, "quality.respond"):
        _refuse(_("Your role does not answer evaluations."))
    if locked.state != EvaluationState.PUBLISHED:
        raise ValidationError(_("This evaluation has already been answered."))
    return locked


@service_atomic
def evaluation_acknowledge(*, evaluation: Evaluation, by: AbstractBaseUser) -> Evaluation:
    """The agent has read their published evaluation and accepts it."""
    evaluation = _require_agent_answer(evaluation, by)
    evaluation.state = EvaluationState.ACKNOWLEDGED
    evaluation.acknowledged_at = timezone.now()
    evaluation._history_user = by  # type: ignore[attr-defined]
    evaluation.save(update_fields=["state", "acknowledged_at", "updated_at"])
    return evaluation


@service_atomic
def evaluation_dispute(*, evaluation: Evaluation, by: AbstractBaseUser, reason: str) -> Dispute:
    """The agent disputes their published evaluation, saying why: it waits for another evaluator's
    decision (:func:`dispute_decide`). Once per evaluation."""
    evaluation = _require_agent_answer(evaluation, by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why you dispute this evaluation.")]})
    dispute = Dispute(evaluation=evaluation, raised_by=by, reason=reason, score_before=evaluation.score)
    full_clean(dispute, exclude=["evaluation"])
    dispute._history_user = by  # type: ignore[attr-defined]
    dispute.save()
    evaluation.state = EvaluationState.DISPUTED
    evaluation._history_user = by  # type: ignore[attr-defined]
    evaluation.save(update_fields=["state", "updated_at"])
    return dispute


def _require_reviewer(dispute: Dispute, by: AbstractBaseUser) -> None:
    """``by`` may review ``dispute``: an evaluator who sees it, not the one who scored it nor the
    agent, and its assigned reviewer when it has one (managers and admins: any)."""
    if not can(by, "quality.decide"):
        _refuse(_("Your role does not decide disputes."))
    evaluation = dispute.evaluation
    if by.pk == evaluation.evaluator_id:
        _refuse(_("A dispute is decided by another evaluator than the one who scored the evaluation."))
    if by.pk == evaluation.agent_id:
        _refuse(_("You cannot decide a dispute of your own evaluation."))
    if not evaluations_visible_to(by).filter(pk=evaluation.pk).exists():
        _refuse(_("You do not evaluate this agent's interactions."))
    if dispute.reviewer_id not in (None, by.pk) and role_of(by) not in MANAGERS_UP:
        _refuse(_("This dispute is assigned to another reviewer."))


@service_atomic
def dispute_assign(*, dispute: Dispute, reviewer: AbstractBaseUser, by: AbstractBaseUser) -> Dispute:
    """Give an open dispute to ``reviewer`` (managers and admins; or an evaluator taking it
    themselves), never the evaluator who scored it."""
    dispute = Dispute.objects.select_for_update().select_related("evaluation").get(pk=dispute.pk)
    if not dispute.is_open:
        raise ValidationError(_("This dispute has been decided."))
    if reviewer.pk != by.pk and role_of(by) not in MANAGERS_UP:
        _refuse(_("Only managers and admins give a dispute to someone else."))
    if role_of(reviewer) not in EVALUATORS:
        raise ValidationError({"reviewer": [_("The reviewer must be an evaluator.")]})
    _require_reviewer(dispute, reviewer)
    dispute.reviewer = reviewer
    dispute._history_user = by  # type: ignore[attr-defined]
    dispute.save(update_fields=["reviewer"])
    return dispute


@service_atomic
def dispute_decide(
    *,
    dispute: Dispute,
    by: AbstractBaseUser,
    decision: str,
    comment: str,
    answers: list[dict[str, Any]] | None = None,
) -> Dispute:
    """Decide an open dispute, once and for all: ``upheld`` (the evaluation stands) or
    ``overturned`` (``answers`` correct the evaluator's, the score is worked out again). The
    evaluation becomes final, the agent is told, and the history keeps the answers and score
    before and after. The reviewer is ``by``: never the evaluator who scored it."""
    dispute = Dispute.objects.select_for_update().select_related("evaluation").get(pk=dispute.pk)
    if not dispute.is_open:
        raise ValidationError(_("This dispute has been decided; the decision is final."))
    _require_reviewer(dispute, by)
    if decision not in (DisputeDecision.UPHELD, DisputeDecision.OVERTURNED):
        raise ValidationError({"decision": [_("Choose upheld or overturned.")]})
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": [_("Say why you decided so.")]})
    evaluation = Evaluation.objects.select_for_update().get(pk=dispute.evaluation_id)
    if decision == DisputeDecision.OVERTURNED:
        if not answers:
            raise ValidationError({"answers": [_("Give the corrected answers of an overturned evaluation.")]})
        criteria = criteria_of(evaluation.version_id)
        _write_answers(evaluation=evaluation, by=by, answers=answers, criteria=criteria)
        _score(evaluation, criteria)
    elif answers:
        raise ValidationError({"answers": [_("An upheld evaluation keeps its answers.")]})
    evaluation.state = EvaluationState.FINAL
    evaluation._history_user = by  # type: ignore[attr-defined]
    evaluation.save(update_fields=["state", "score", "critical_failed", "updated_at"])
    dispute.reviewer = by
    dispute.decision = decision
    dispute.decision_comment = comment
    dispute.decided_at = timezone.now()
    dispute.score_after = evaluation.score
    dispute._history_user = by  # type: ignore[attr-defined]
    full_clean(dispute, unchanged={"evaluation", "raised_by"})
    dispute.save()
    _tell_agent(evaluation)
    if decision == DisputeDecision.OVERTURNED:
        for hook in _scored_hooks:
            hook(evaluation=evaluation)
    return dispute


# --- Calibration ----------------------------------------------------------------------------------


@service_atomic
def calibration_create(
    *,
    title: str,
    interaction: Interaction,
    version: ScorecardVersion,
    evaluators: Iterable[AbstractBaseUser],
    by: AbstractBaseUser,
) -> CalibrationSession:
    """A blind calibration session: ``evaluators`` (two at least, each an evaluator) score
    ``interaction`` against the published ``version`` without seeing each other's scores until
    the session is closed."""
    if not can(by, "calibration.write"):
        _refuse(_("Your role does not set up calibration sessions."))
    evaluators = list(dict.fromkeys(evaluators))
    errors: dict[str, list[str]] = {}
    if version.state != VersionState.PUBLISHED:
        errors["version"] = [_("Only a published scorecard version is used to evaluate.")]
    if interaction.agent_id is None:
        errors["interaction"] = [_("This interaction has no agent to evaluate.")]
    if len(evaluators) < 2:
        errors["evaluators"] = [_("A calibration session needs two evaluators at least.")]
    not_evaluating = [user.get_username() for user in evaluators if role_of(user) not in EVALUATORS]
    if not_evaluating:
        errors.setdefault("evaluators", []).append(
            _("These users do not evaluate: %(names)s.") % {"names": ", ".join(not_evaluating)}
        )
    if interaction.agent_id is not None and any(user.pk == interaction.agent_id for user in evaluators):
        errors.setdefault("evaluators", []).append(_("The agent of the interaction cannot evaluate it."))
    if errors:
        raise ValidationError(errors)
    session = CalibrationSession(title=title, interaction=interaction, version=version, created_by=by)
    full_clean(session)
    session.save()
    session.evaluators.set(evaluators)
    return session


@service_atomic
def calibration_close(
    *, session: CalibrationSession, by: AbstractBaseUser, reference: Evaluation | None = None
) -> CalibrationSession:
    """Close the session: its evaluations (published ones) show to those who see the session,
    drafts are thrown away. ``reference`` is the evaluation the others are compared with (default:
    the one of the session's creator, when they scored it)."""
    session = CalibrationSession.objects.select_for_update().get(pk=session.pk)
    if session.created_by_id != by.pk and role_of(by) not in MANAGERS_UP:
        _refuse(_("Only its creator, a manager or an admin closes a calibration session."))
    if not session.is_open:
        raise ValidationError(_("This calibration session is closed."))
    published = Evaluation.objects.filter(calibration=session).exclude(state=EvaluationState.DRAFT)
    if reference is not None:
        if not published.filter(pk=reference.pk).exists():
            raise ValidationError(
                {"reference": [_("The reference must be one of the session's published evaluations.")]}
            )
        session.reference = reference
    elif session.reference_id is None:
        session.reference = published.filter(evaluator_id=session.created_by_id).first()
    Evaluation.objects.filter(calibration=session, state=EvaluationState.DRAFT).delete()
    session.state = CalibrationState.CLOSED
    session.closed_at = timezone.now()
    full_clean(session, unchanged={"interaction", "version", "created_by"})
    session.save()
    return session


# --- Evaluator teams ------------------------------------------------------------------------------


@service_atomic
def evaluator_team_add(*, user: AbstractBaseUser, team: Any, by: AbstractBaseUser | None) -> EvaluatorTeam:
    """Let the QA evaluator ``user`` see and evaluate ``team``'s interactions (admins)."""
    if by is not None and not can(by, "evaluator_team.write"):
        _refuse(_("Only admins assign teams to QA evaluators."))
    if role_of(user) != "quality":
        raise ValidationError({"user": [_("Teams are assigned to users with the quality role.")]})
    link = EvaluatorTeam(user=user, team=team)
    full_clean(link)
    link.save()
    return link


@service_atomic
def evaluator_team_remove(*, link: EvaluatorTeam, by: AbstractBaseUser | None) -> None:
    """The QA evaluator no longer covers the team (admins)."""
    if by is not None and not can(by, "evaluator_team.write"):
        _refuse(_("Only admins assign teams to QA evaluators."))
    link.delete()
