"""The quality pages (``docs/quality.md`` "On the desk"): the evaluator's queue, a search to pick a
contact, the evaluation page (the recording or transcript and the script path beside the scorecard),
the agent's evaluations (acknowledge, dispute), the disputes to decide and the calibration sessions.

Reads go through :mod:`contactcenter.desk.quality_selectors` (built on
:func:`contactcenter.quality.selectors.evaluations_visible_to`) and writes through
:mod:`contactcenter.quality.services`: an evaluation, contact, dispute or session the user may not
see answers 404. The score shown while the form is filled is a preview (``quality.js``); the one
kept is the server's, computed when the evaluation is saved and published.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contactcenter.core import access
from contactcenter.core.db import MAX_ID
from contactcenter.core.roles import MANAGERS_UP, QUALITY, role_of
from contactcenter.desk import quality_selectors as selectors
from contactcenter.desk.access import page_for
from contactcenter.quality.models import (
    CalibrationState,
    DisputeDecision,
    Evaluation,
    EvaluationState,
    ScorecardVersion,
)
from contactcenter.quality.selectors import (
    agent_qm_trend,
    calibration_report,
    evaluator_queue,
)
from contactcenter.quality.services import (
    calibration_close,
    calibration_create,
    dispute_decide,
    evaluation_acknowledge,
    evaluation_dispute,
    evaluation_publish,
    evaluation_save,
    evaluation_start,
)
from interactions.models import Channel
from kpis.charts import line_chart

#: The action of the evaluator's pages (queue, search, evaluation form, disputes, calibrations).
EVALUATE = "quality.evaluate"
#: The action of the agent's pages (their evaluations, the trend on the desktop).
READ = "quality.read"
#: The agent evaluated acknowledges or disputes.
RESPOND = "quality.respond"
#: Another evaluator decides a dispute.
DECIDE = "quality.decide"
#: Who sets up calibration sessions.
CALIBRATE = "calibration.write"


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """``render`` with what the quality pages' top bar shows (from the role: no query)."""
    user = request.user
    context["perms_quality"] = {
        "evaluate": access.can(user, EVALUATE),
        "calibrate": access.can(user, CALIBRATE),
        "desktop": role_of(user) != QUALITY,
    }
    return render(request, template, context, status=status)


def _pk(pk: int) -> int:
    if pk > MAX_ID:
        raise Http404
    return pk


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [message for messages_ in exc.message_dict.values() for message in messages_]
    return list(exc.messages)


# --- The evaluator's queue and search ------------------------------------------------------------


@page_for(EVALUATE)
@require_GET
def quality_queue(request: HttpRequest) -> HttpResponse:
    """My queue: the sampled contacts assigned to me, my drafts, the open calibrations I score in."""
    items = list(
        evaluator_queue(user=request.user).select_related(
            "interaction", "interaction__customer", "interaction__queue", "agent", "rule__scorecard"
        )
    )
    context = {
        "items": items,
        "drafts": list(selectors.my_drafts(user=request.user)),
        "calibrations": list(selectors.open_calibrations(user=request.user)),
        "disputes": list(selectors.disputes_waiting(user=request.user)[:20]),
    }
    return _render(request, "desk/quality/queue.html", context)


def _day(value: str, *, end: bool = False) -> datetime | None:
    day = parse_date(value or "") if value and len(value) <= 10 else None
    if day is None:
        return None
    moment = timezone.make_aware(datetime.combine(day, time.min))
    return moment + timedelta(days=1) if end else moment


@page_for(EVALUATE)
@require_GET
def quality_search(request: HttpRequest) -> HttpResponse:
    """Pick a contact to evaluate: by its number or customer's name, agent, channel and day."""
    query = request.GET
    searched = any(query.get(name) for name in ("q", "agent", "channel", "since", "until"))
    results = (
        selectors.interaction_search(
            user=request.user,
            q=query.get("q", "")[:100],
            agent=query.get("agent", "")[:150],
            channel=query.get("channel", "") if query.get("channel") in Channel.values else "",
            since=_day(query.get("since", "")),
            until=_day(query.get("until", ""), end=True),
        )
        if searched
        else []
    )
    context = {
        "query": query,
        "searched": searched,
        "results": results,
        "channels": Channel.choices,
        "limit": selectors.SEARCH_LIMIT,
    }
    return _render(request, "desk/quality/search.html", context)


def _review(interaction: Any) -> dict[str, Any]:
    """What the evaluation page shows of the contact: its recording with the paused spans, its
    mail, the script the agent had (:func:`selectors.review_context`)."""
    return selectors.review_context(interaction=interaction)


@page_for(EVALUATE)
@require_GET
def quality_interaction(request: HttpRequest, pk: int) -> HttpResponse:
    """A contact the evaluator may evaluate: the recording or transcript, the script path, the
    evaluations made of it, and *Evaluate*."""
    interaction = selectors.evaluable_interaction(user=request.user, pk=_pk(pk))
    if interaction is None:
        raise Http404
    context = {
        "interaction": interaction,
        "review": _review(interaction),
        "evaluations": selectors.evaluations_of_interaction(user=request.user, interaction=interaction),
        "versions": selectors.published_versions(),
    }
    return _render(request, "desk/quality/interaction.html", context)


@page_for(EVALUATE)
@require_POST
def quality_evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    """*Evaluate*: start an evaluation of the contact (with the scorecard chosen, or the one that
    applies to it) and open it."""
    interaction = selectors.evaluable_interaction(user=request.user, pk=_pk(pk))
    if interaction is None:
        raise Http404
    version = None
    chosen = request.POST.get("version", "")
    if chosen.isdigit() and int(chosen) <= MAX_ID:
        version = ScorecardVersion.objects.filter(pk=int(chosen)).first()
    sample = selectors.open_sample_of(user=request.user, interaction=interaction)
    try:
        evaluation = evaluation_start(interaction=interaction, by=request.user, version=version, sample=sample)
    except (ValidationError, PermissionDenied) as exc:
        for message in _errors(exc) if isinstance(exc, ValidationError) else [str(exc) or _("Not allowed.")]:
            messages.error(request, message)
        return redirect("desk:quality_interaction", pk=interaction.pk)
    return redirect("desk:quality_evaluation", pk=evaluation.pk)


# --- The evaluation page -------------------------------------------------------------------------


def answers_from(data: QueryDict, rows: list[selectors.SectionRow]) -> list[dict[str, Any]]:
    """The answers of the form: per criterion ``criterion-<id>`` (``na``, or the value: 1/0 for yes
    or no, the points) and ``comment-<id>``. A value the criterion cannot take is kept as not given,
    for the service to refuse on publishing."""
    answers = []
    for section in rows:
        for row in section.criteria:
            criterion = row.criterion
            raw = data.get(f"criterion-{criterion.pk}", "")
            value = int(raw) if raw.isdigit() and int(raw) <= criterion.maximum else None
            answers.append(
                {
                    "criterion": criterion.pk,
                    "value": value,
                    "not_applicable": raw == "na" and criterion.allow_na,
                    "comment": data.get(f"comment-{criterion.pk}", "")[:5000],
                }
            )
    return answers


def _keep_posted(rows: list[selectors.SectionRow], answers: list[dict[str, Any]]) -> None:
    """After a refused submission the form shows what was sent, not what was stored."""
    posted = {answer["criterion"]: answer for answer in answers}
    for section in rows:
        for row in section.criteria:
            sent = posted.get(row.criterion.pk)
            if sent is not None:
                row.answer = _Posted(sent["value"], sent["not_applicable"], sent["comment"])


class _Posted:
    """An answer as sent in the form (not stored)."""

    def __init__(self, value: int | None, not_applicable: bool, comment: str) -> None:
        self.value, self.not_applicable, self.comment = value, not_applicable, comment


def _evaluation_or_404(request: HttpRequest, pk: int) -> Evaluation:
    evaluation = selectors.evaluation_for_page(user=request.user, pk=_pk(pk))
    if evaluation is None:
        raise Http404
    return evaluation


@page_for(READ)
@require_http_methods(["GET", "POST"])
def quality_evaluation(request: HttpRequest, pk: int) -> HttpResponse:
    """One evaluation. Its evaluator, while it is a draft: the contact beside the scorecard form
    (POST ``action=save`` keeps the draft, ``action=publish`` scores it and sends it to the agent).
    Anyone else who may see it (the agent, once published): the scores with their comments, and for
    the agent *Acknowledge* and *Dispute*."""
    evaluation = _evaluation_or_404(request, pk)
    editing = evaluation.state == EvaluationState.DRAFT and evaluation.evaluator_id == request.user.pk
    if request.method == "POST" and not editing:
        raise PermissionDenied
    rows = selectors.scorecard_rows(version=evaluation.version, evaluation=evaluation)
    errors: list[str] = []
    comment = evaluation.comment
    if request.method == "POST":
        answers = answers_from(request.POST, rows)
        comment = request.POST.get("comment", "")[:10000]
        publishing = request.POST.get("action") == "publish"
        try:
            evaluation = evaluation_save(evaluation=evaluation, by=request.user, answers=answers, comment=comment)
            if publishing:
                evaluation = evaluation_publish(evaluation=evaluation, by=request.user)
        except ValidationError as exc:
            errors = _errors(exc)
        if not errors:
            if publishing:
                messages.success(request, _("Evaluation published: the agent has been told."))
            else:
                messages.success(request, _("Draft saved."))
            return redirect("desk:quality_evaluation", pk=evaluation.pk)
        _keep_posted(rows, answers)
    context = {
        "evaluation": evaluation,
        "rows": rows,
        "editing": editing,
        "errors": errors,
        "comment": comment,
        # Whoever opens it hears the call (the agent their own) beside the scores.
        "review": _review(evaluation.interaction),
        "disputes": selectors.disputes_of(evaluation=evaluation),
        "is_agent": evaluation.agent_id == request.user.pk,
        "may_answer": evaluation.agent_id == request.user.pk and evaluation.state == EvaluationState.PUBLISHED,
    }
    return _render(request, "desk/quality/evaluation.html", context, status=400 if errors else 200)


@page_for(RESPOND)
@require_POST
def quality_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """The agent acknowledges an evaluation published to them."""
    evaluation = _evaluation_or_404(request, pk)
    if evaluation.agent_id != request.user.pk:
        raise PermissionDenied
    try:
        evaluation_acknowledge(evaluation=evaluation, by=request.user)
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("Evaluation acknowledged."))
    return redirect("desk:quality_evaluation", pk=evaluation.pk)


@page_for(RESPOND)
@require_POST
def quality_dispute(request: HttpRequest, pk: int) -> HttpResponse:
    """The agent disputes an evaluation published to them, saying why: another evaluator reviews it."""
    evaluation = _evaluation_or_404(request, pk)
    if evaluation.agent_id != request.user.pk:
        raise PermissionDenied
    try:
        evaluation_dispute(evaluation=evaluation, by=request.user, reason=request.POST.get("reason", "")[:5000])
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("Dispute sent: another evaluator will review the evaluation."))
    return redirect("desk:quality_evaluation", pk=evaluation.pk)


@page_for(READ)
@require_GET
def quality_mine(request: HttpRequest) -> HttpResponse:
    """The agent's evaluations: published to them, newest first, with their state."""
    return _render(
        request, "desk/quality/mine.html", {"evaluations": list(selectors.my_evaluations(user=request.user))}
    )


@page_for(READ)
@require_GET
def quality_trend(request: HttpRequest) -> HttpResponse:
    """The agent's own quality trend, week by week (the desktop loads it): a small chart and the
    same figures in a table."""
    weeks = agent_qm_trend(agent=request.user, weeks=12)
    chart = None
    if any(week.get("average") is not None for week in weeks):
        labels = [week["week"].strftime("%d/%m") for week in weeks]
        values = [float(week["average"]) if week.get("average") is not None else None for week in weeks]
        chart = line_chart(
            title=_("My quality score"),
            desc=_("Average score of my evaluations per week, in %."),
            labels=labels,
            series=[(_("Average score"), values)],
            y_max=100,
            y_format=lambda v: f"{v:.0f} %",
        )
    return _render(request, "desk/quality/trend.html", {"weeks": weeks, "chart": chart})


# --- Disputes ------------------------------------------------------------------------------------


@page_for(DECIDE)
@require_GET
def quality_disputes(request: HttpRequest) -> HttpResponse:
    """The disputes waiting for a decision, other evaluators' evaluations only."""
    return _render(
        request, "desk/quality/disputes.html", {"disputes": list(selectors.disputes_waiting(user=request.user))}
    )


@page_for(DECIDE)
@require_http_methods(["GET", "POST"])
def quality_dispute_review(request: HttpRequest, pk: int) -> HttpResponse:
    """A dispute: the evaluation, the agent's reason; another evaluator upholds it or overturns it,
    optionally scoring the criteria again (``rescore``)."""
    dispute = selectors.dispute_for_page(user=request.user, pk=_pk(pk))
    if dispute is None:
        raise Http404
    evaluation = dispute.evaluation
    rows = selectors.scorecard_rows(version=evaluation.version, evaluation=evaluation)
    errors: list[str] = []
    own = evaluation.evaluator_id == request.user.pk
    if request.method == "POST":
        if own or dispute.decision:
            raise PermissionDenied
        decision = request.POST.get("decision", "")
        answers = None
        if decision == DisputeDecision.OVERTURNED and request.POST.get("rescore"):
            answers = answers_from(request.POST, rows)
        try:
            dispute_decide(
                dispute=dispute,
                by=request.user,
                decision=decision,
                comment=request.POST.get("comment", "")[:5000],
                answers=answers,
            )
        except ValidationError as exc:
            errors = _errors(exc)
            if answers is not None:
                _keep_posted(rows, answers)
        else:
            messages.success(request, _("Decision recorded: the agent and the evaluator have been told."))
            return redirect("desk:quality_dispute_review", pk=dispute.pk)
    context = {
        "dispute": dispute,
        "evaluation": evaluation,
        "rows": rows,
        "errors": errors,
        "own": own,
        "review": _review(evaluation.interaction),
        "decisions": [
            (DisputeDecision.UPHELD, DisputeDecision.UPHELD.label),
            (DisputeDecision.OVERTURNED, DisputeDecision.OVERTURNED.label),
        ],
    }
    return _render(request, "desk/quality/dispute.html", context, status=400 if errors else 200)


# --- Calibration ---------------------------------------------------------------------------------


@page_for(EVALUATE)
@require_GET
def quality_calibrations(request: HttpRequest) -> HttpResponse:
    """The calibration sessions I score in or created (managers: all)."""
    sessions = list(selectors.calibrations_for(user=request.user)[:100])
    may_create = access.can(request.user, CALIBRATE)
    return _render(request, "desk/quality/calibrations.html", {"sessions": sessions, "may_create": may_create})


@page_for(EVALUATE)
@require_http_methods(["GET", "POST"])
def quality_calibration_new(request: HttpRequest) -> HttpResponse:
    """A new calibration session: a title, the contact (its number), the scorecard version, the
    evaluators who score it blind."""
    if not access.can(request.user, CALIBRATE):
        raise PermissionDenied
    errors: list[str] = []
    versions = selectors.published_versions()
    candidates = list(selectors.calibration_candidates(user=request.user))
    data = request.POST if request.method == "POST" else QueryDict()
    if request.method == "POST":
        raw = data.get("interaction", "").strip()
        interaction = (
            selectors.evaluable_interaction(user=request.user, pk=int(raw))
            if raw.isdigit() and int(raw) <= MAX_ID
            else None
        )
        version = next((v for v in versions if str(v.pk) == data.get("version")), None)
        chosen = set(data.getlist("evaluators"))
        evaluators = [profile.user for profile in candidates if str(profile.user_id) in chosen]
        if interaction is None:
            errors.append(_("Give the number of a contact you may evaluate."))
        if version is None:
            errors.append(_("Choose a published scorecard."))
        if not evaluators:
            errors.append(_("Choose at least one evaluator."))
        if not errors:
            try:
                session = calibration_create(
                    title=data.get("title", "")[:200],
                    interaction=interaction,
                    version=version,
                    evaluators=evaluators,
                    by=request.user,
                )
            except ValidationError as exc:
                errors = _errors(exc)
            else:
                messages.success(request, _("Calibration session created: each evaluator scores it blind."))
                return redirect("desk:quality_calibration", pk=session.pk)
    context = {
        "versions": versions,
        "candidates": candidates,
        "errors": errors,
        "data": data,
        "chosen": set(data.getlist("evaluators")),
        "interaction_pk": request.GET.get("interaction", "")
        if request.method == "GET"
        else data.get("interaction", ""),
    }
    return _render(request, "desk/quality/calibration_new.html", context, status=400 if errors else 200)


@page_for(EVALUATE)
@require_http_methods(["GET", "POST"])
def quality_calibration(request: HttpRequest, pk: int) -> HttpResponse:
    """A calibration session. An evaluator scores it blind (*Score it* opens their own evaluation);
    its creator closes it; once closed, the report: each evaluator's score per criterion beside the
    reference, the deviations and the spread."""
    session = selectors.calibration_for_page(user=request.user, pk=_pk(pk))
    if session is None:
        raise Http404
    is_creator = session.created_by_id == request.user.pk or role_of(request.user) in MANAGERS_UP
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "score":
                mine = selectors.my_calibration_evaluation(session=session, user=request.user)
                if mine is None:
                    mine = evaluation_start(
                        interaction=session.interaction, by=request.user, version=session.version, calibration=session
                    )
                return redirect("desk:quality_evaluation", pk=mine.pk)
            if action == "close" and is_creator:
                calibration_close(session=session, by=request.user)
                messages.success(request, _("Session closed: the report is below."))
                return redirect("desk:quality_calibration", pk=session.pk)
        except ValidationError as exc:
            for message in _errors(exc):
                messages.error(request, message)
            return redirect("desk:quality_calibration", pk=session.pk)
        raise PermissionDenied
    closed = session.state == CalibrationState.CLOSED
    context = {
        "session": session,
        "is_creator": is_creator,
        "is_evaluator": session.evaluators.filter(pk=request.user.pk).exists(),
        "mine": selectors.my_calibration_evaluation(session=session, user=request.user),
        "report": calibration_report(session=session) if closed else None,
    }
    return _render(request, "desk/quality/calibration.html", context)


urlpatterns = [
    path("desk/quality/", quality_queue, name="quality_queue"),
    path("desk/quality/search/", quality_search, name="quality_search"),
    path("desk/quality/interactions/<int:pk>/", quality_interaction, name="quality_interaction"),
    path("desk/quality/interactions/<int:pk>/evaluate/", quality_evaluate, name="quality_evaluate"),
    path("desk/quality/evaluations/<int:pk>/", quality_evaluation, name="quality_evaluation"),
    path("desk/quality/evaluations/<int:pk>/acknowledge/", quality_acknowledge, name="quality_acknowledge"),
    path("desk/quality/evaluations/<int:pk>/dispute/", quality_dispute, name="quality_dispute"),
    path("desk/quality/mine/", quality_mine, name="quality_mine"),
    path("desk/quality/trend/", quality_trend, name="quality_trend"),
    path("desk/quality/disputes/", quality_disputes, name="quality_disputes"),
    path("desk/quality/disputes/<int:pk>/", quality_dispute_review, name="quality_dispute_review"),
    path("desk/quality/calibrations/", quality_calibrations, name="quality_calibrations"),
    path("desk/quality/calibrations/new/", quality_calibration_new, name="quality_calibration_new"),
    path("desk/quality/calibrations/<int:pk>/", quality_calibration, name="quality_calibration"),
]
