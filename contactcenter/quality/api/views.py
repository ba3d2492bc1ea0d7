"""Quality endpoints under ``/api/v1/quality/`` (docs/quality.md, "API").

Adapters only: reads go through :mod:`contactcenter.quality.selectors` (what a user may not see
answers 404), writes through :mod:`contactcenter.quality.services`; who may attempt what is the
access policy's (``contactcenter.core.access``: ``quality.*``, ``scorecard.*``, ``calibration.write``,
``evaluator_team.*``). A refusal of the service answers 403 with its reason in ``detail``.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from contactcenter.core.api.views import PolicyViewSet
from contactcenter.quality import selectors, services
from contactcenter.quality.api.serializers import (
    CalibrationCloseSerializer,
    CalibrationCreateSerializer,
    CalibrationReportSerializer,
    CalibrationSerializer,
    DisputeDecideSerializer,
    DisputeRaiseSerializer,
    DisputeSerializer,
    EvaluationAnswersSerializer,
    EvaluationDetailSerializer,
    EvaluationSerializer,
    EvaluationStartSerializer,
    EvaluatorTeamSerializer,
    ScorecardSerializer,
    ScorecardVersionSerializer,
    VersionContentSerializer,
)
from contactcenter.quality.models import (
    CalibrationState,
    EvaluationKind,
    EvaluationState,
    SampleItem,
    Scorecard,
    ScorecardVersion,
    VersionState,
)
from interactions.models import Interaction

TAGS = ["quality"]
ERRORS = {
    400: OpenApiResponse(description="A field or parameter is wrong: the body names each one."),
    401: OpenApiResponse(description="No or wrong credentials."),
    403: OpenApiResponse(description="Your role may not do this, or not on this object: `detail` says why."),
    404: OpenApiResponse(description="No such object, or not one you may see."),
}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}


#: The largest id a row may have (a bigger number in a path or a body is no row's).
MAX_ID = 2**63 - 1


class QualityViewSet(PolicyViewSet):
    """A policy viewset whose services' refusals keep their reason."""

    filter_backends: list = []
    lookup_value_regex = "[0-9]+"

    def initial(self, request: Request, *args: object, **kwargs: object) -> None:
        super().initial(request, *args, **kwargs)
        if any(str(value).isdigit() and int(str(value)) > MAX_ID for value in self.kwargs.values()):
            raise exceptions.NotFound()

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DjangoPermissionDenied) and exc.args:
            exc = exceptions.PermissionDenied(str(exc.args[0]))
        return super().handle_exception(exc)

    def _paginated(self, queryset, serializer_class) -> Response:
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(
            serializer_class(page, many=True, context=self.get_serializer_context()).data
        )


def _bad(field: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({field: [message]})


# --- Scorecards ------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Scorecards",
        description="Managers and admins: every scorecard. Other evaluators: the active ones with a published version.",
        tags=TAGS,
        responses={200: ScorecardSerializer(many=True), **_errors(401, 403)},
    ),
    create=extend_schema(
        summary="Create a scorecard (managers), with an empty draft version 1",
        tags=TAGS,
        request=ScorecardSerializer,
        responses={201: ScorecardSerializer, **_errors(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="A scorecard", tags=TAGS, responses={200: ScorecardSerializer, **_errors(401, 403, 404)}
    ),
    partial_update=extend_schema(
        summary="Change a scorecard's name, description, queue, channel or active flag (managers)",
        tags=TAGS,
        request=ScorecardSerializer,
        responses={200: ScorecardSerializer, **_errors(400, 401, 403, 404)},
    ),
)
class ScorecardViewSet(QualityViewSet):
    serializer_class = ScorecardSerializer
    policy_actions = {
        "list": "scorecard.read",
        "retrieve": "scorecard.read",
        "create": "scorecard.write",
        "partial_update": "scorecard.write",
    }

    def get_queryset(self):
        return selectors.scorecard_list(user=self.request.user)

    def list(self, request: Request) -> Response:
        return self._paginated(self.get_queryset(), ScorecardSerializer)

    def create(self, request: Request) -> Response:
        serializer = ScorecardSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        scorecard = services.scorecard_create(by=request.user, **serializer.validated_data)
        return Response(
            ScorecardSerializer(self.get_queryset().get(pk=scorecard.pk)).data, status=status.HTTP_201_CREATED
        )

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(ScorecardSerializer(self.get_object()).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        scorecard = self.get_object()
        serializer = ScorecardSerializer(scorecard, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.scorecard_update(scorecard=scorecard, by=request.user, **serializer.validated_data)
        return Response(ScorecardSerializer(self.get_queryset().get(pk=scorecard.pk)).data)


@extend_schema_view(
    list=extend_schema(
        summary="A scorecard's versions, newest first, with their sections and criteria",
        description="Managers and admins see the draft too; other evaluators the published versions.",
        tags=TAGS,
        responses={200: ScorecardVersionSerializer(many=True), **_errors(401, 403, 404)},
    ),
    create=extend_schema(
        summary="Open a new draft (managers), a copy of the latest published version",
        description="No body. Refused (400) while a draft is open.",
        tags=TAGS,
        request=None,
        responses={201: ScorecardVersionSerializer, **_errors(400, 401, 403, 404)},
    ),
    retrieve=extend_schema(
        summary="One version of a scorecard",
        tags=TAGS,
        responses={200: ScorecardVersionSerializer, **_errors(401, 403, 404)},
    ),
    partial_update=extend_schema(
        summary="Replace the draft's sections and criteria (managers)",
        description=(
            "The whole content, in order: `sections`: [{`title`, `criteria`: [{`key`, `title`, `guidance`, `weight`, "
            "`scale` (`yes_no` | `points`), `max_points` (points: 1–10), `allow_na`, `critical`}]}]. A published "
            "version answers 400: it never changes."
        ),
        tags=TAGS,
        request=VersionContentSerializer,
        responses={200: ScorecardVersionSerializer, **_errors(400, 401, 403, 404)},
    ),
)
class ScorecardVersionViewSet(QualityViewSet):
    serializer_class = ScorecardVersionSerializer
    policy_actions = {
        "list": "scorecard.read",
        "retrieve": "scorecard.read",
        "create": "scorecard.write",
        "partial_update": "scorecard.write",
        "publish": "scorecard.write",
    }

    def _scorecard(self) -> Scorecard:
        return get_object_or_404(selectors.scorecards_visible_to(self.request.user), pk=self.kwargs["scorecard_pk"])

    def get_queryset(self):
        versions = selectors.versions_visible_to(self.request.user).filter(scorecard=self._scorecard())
        return selectors.version_with_content(versions).order_by("-number")

    def _version(self) -> ScorecardVersion:
        return get_object_or_404(self.get_queryset(), number=self.kwargs["number"])

    def _answer(self, version: ScorecardVersion, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.version_with_content(ScorecardVersion.objects.filter(pk=version.pk)).get()
        return Response(ScorecardVersionSerializer(fresh).data, status=code)

    def list(self, request: Request, scorecard_pk: int) -> Response:
        return self._paginated(self.get_queryset(), ScorecardVersionSerializer)

    def retrieve(self, request: Request, scorecard_pk: int, number: int) -> Response:
        return Response(ScorecardVersionSerializer(self._version()).data)

    def create(self, request: Request, scorecard_pk: int) -> Response:
        draft = services.scorecard_version_new_draft(scorecard=self._scorecard(), by=request.user)
        return self._answer(draft, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, scorecard_pk: int, number: int) -> Response:
        version = self._version()
        serializer = VersionContentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if version.state != VersionState.DRAFT:
            raise _bad("sections", _("A published scorecard version cannot be changed; make a new draft."))
        services.scorecard_version_set_content(
            version=version, by=request.user, sections=serializer.validated_data["sections"]
        )
        return self._answer(version)

    @extend_schema(
        summary="Publish the draft (managers): frozen from then on",
        tags=TAGS,
        request=None,
        responses={200: ScorecardVersionSerializer, **_errors(400, 401, 403, 404)},
    )
    def publish(self, request: Request, scorecard_pk: int, number: int) -> Response:
        version = services.scorecard_version_publish(version=self._version(), by=request.user)
        return self._answer(version)


# --- Evaluations -----------------------------------------------------------------------------------


EVALUATION_FILTERS = [
    OpenApiParameter("agent", str, description="The agent's username."),
    OpenApiParameter("evaluator", str, description="The evaluator's username."),
    OpenApiParameter("state", str, enum=EvaluationState.values),
    OpenApiParameter("kind", str, enum=EvaluationKind.values),
    OpenApiParameter("interaction", int),
]


@extend_schema_view(
    list=extend_schema(
        summary="Evaluations you may see, newest first",
        description=(
            "An agent: their own, once published to them. A supervisor: their team's. A QA evaluator: their assigned "
            "teams'. Managers and admins: all. Someone else's draft, and an open calibration session's evaluations "
            "but your own, are never listed."
        ),
        tags=TAGS,
        parameters=EVALUATION_FILTERS,
        responses={200: EvaluationSerializer(many=True), **_errors(400, 401, 403)},
    ),
    create=extend_schema(
        summary="Start evaluating an interaction (a draft)",
        description=(
            "`version` defaults to the latest published version of the active scorecard that fits the interaction "
            "(its queue, then its channel, then any). In a calibration session the session gives the interaction "
            "and version."
        ),
        tags=TAGS,
        request=EvaluationStartSerializer,
        responses={201: EvaluationDetailSerializer, **_errors(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="An evaluation with its answers and dispute",
        tags=TAGS,
        responses={200: EvaluationDetailSerializer, **_errors(401, 403, 404)},
    ),
    answers=extend_schema(
        summary="Store answers and the comment of your draft",
        description=(
            "Each answer: `criterion` (its id), `value` (yes/no: 1 or 0; points: 0 to the maximum), `not_applicable` "
            "(where the criterion allows it), `comment`. A criterion not sent keeps its answer."
        ),
        tags=TAGS,
        request=EvaluationAnswersSerializer,
        responses={200: EvaluationDetailSerializer, **_errors(400, 401, 403, 404)},
    ),
    publish=extend_schema(
        summary="Score and publish your draft: the agent sees it and is told",
        tags=TAGS,
        request=None,
        responses={200: EvaluationDetailSerializer, **_errors(400, 401, 403, 404)},
    ),
    acknowledge=extend_schema(
        summary="Acknowledge your evaluation (the agent evaluated)",
        tags=TAGS,
        request=None,
        responses={200: EvaluationDetailSerializer, **_errors(400, 401, 403, 404)},
    ),
    dispute=extend_schema(
        summary="Dispute your evaluation (the agent evaluated), saying why",
        tags=TAGS,
        request=DisputeRaiseSerializer,
        responses={201: DisputeSerializer, **_errors(400, 401, 403, 404)},
    ),
)
class EvaluationViewSet(QualityViewSet):
    serializer_class = EvaluationSerializer
    policy_actions = {
        "list": "quality.read",
        "retrieve": "quality.read",
        "create": "quality.evaluate",
        "answers": "quality.evaluate",
        "publish": "quality.evaluate",
        "acknowledge": "quality.respond",
        "dispute": "quality.respond",
    }

    def get_queryset(self):
        return selectors.evaluation_list(user=self.request.user)

    def _detail(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        evaluation = selectors.evaluation_detail(user=self.request.user, pk=pk)
        if evaluation is None:
            raise exceptions.NotFound()
        return Response(EvaluationDetailSerializer(evaluation).data, status=code)

    def _evaluation(self):
        return get_object_or_404(selectors.evaluations_visible_to(self.request.user), pk=self.kwargs["pk"])

    def list(self, request: Request) -> Response:
        queryset = self.get_queryset()
        params = request.query_params
        if params.get("agent"):
            queryset = queryset.filter(agent__username=params["agent"])
        if params.get("evaluator"):
            queryset = queryset.filter(evaluator__username=params["evaluator"])
        if params.get("state"):
            if params["state"] not in EvaluationState.values:
                raise _bad("state", _("Choose one of: %(values)s.") % {"values": ", ".join(EvaluationState.values)})
            queryset = queryset.filter(state=params["state"])
        if params.get("kind"):
            if params["kind"] not in EvaluationKind.values:
                raise _bad("kind", _("Choose one of: %(values)s.") % {"values": ", ".join(EvaluationKind.values)})
            queryset = queryset.filter(kind=params["kind"])
        if params.get("interaction"):
            if not params["interaction"].isdigit() or int(params["interaction"]) > MAX_ID:
                raise _bad("interaction", _("A whole number is expected."))
            queryset = queryset.filter(interaction_id=int(params["interaction"]))
        return self._paginated(queryset, EvaluationSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._detail(int(pk))

    def create(self, request: Request) -> Response:
        serializer = EvaluationStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = request.user
        calibration = None
        if data.get("calibration") is not None:
            calibration = selectors.calibrations_visible_to(user).filter(pk=data["calibration"]).first()
            if calibration is None:
                raise _bad("calibration", _("No such calibration session, or not one you sit in."))
        interaction = None
        if calibration is None:
            interaction = Interaction.objects.visible_to(user).filter(pk=data["interaction"]).first()
            if interaction is None:
                raise _bad("interaction", _("No such interaction, or not one you may see."))
        elif calibration.interaction_id != data["interaction"]:
            raise _bad("interaction", _("The calibration session is about another interaction."))
        version = None
        if data.get("version") is not None:
            version = selectors.versions_visible_to(user).filter(pk=data["version"]).first()
            if version is None:
                raise _bad("version", _("No such scorecard version."))
        sample = None
        if data.get("sample") is not None:
            sample = SampleItem.objects.filter(pk=data["sample"]).first()
            if sample is None:
                raise _bad("sample", _("No such sample."))
        evaluation = services.evaluation_start(
            interaction=interaction or calibration.interaction,
            by=user,
            version=version,
            sample=sample,
            calibration=calibration,
        )
        return self._detail(evaluation.pk, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def answers(self, request: Request, pk: str) -> Response:
        evaluation = self._evaluation()
        serializer = EvaluationAnswersSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        extra = {"comment": data["comment"]} if "comment" in data else {}
        services.evaluation_save(evaluation=evaluation, by=request.user, answers=data["answers"], **extra)
        return self._detail(evaluation.pk)

    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        evaluation = services.evaluation_publish(evaluation=self._evaluation(), by=request.user)
        return self._detail(evaluation.pk)

    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str) -> Response:
        evaluation = services.evaluation_acknowledge(evaluation=self._evaluation(), by=request.user)
        return self._detail(evaluation.pk)

    @action(detail=True, methods=["post"])
    def dispute(self, request: Request, pk: str) -> Response:
        serializer = DisputeRaiseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        dispute = services.evaluation_dispute(
            evaluation=self._evaluation(), by=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(DisputeSerializer(dispute).data, status=status.HTTP_201_CREATED)


# --- Disputes --------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Disputes of the evaluations you may see, newest first",
        description="`open=true`: only those waiting for a decision that you may take.",
        tags=TAGS,
        parameters=[OpenApiParameter("open", bool)],
        responses={200: DisputeSerializer(many=True), **_errors(401, 403)},
    ),
    retrieve=extend_schema(
        summary="A dispute", tags=TAGS, responses={200: DisputeSerializer, **_errors(401, 403, 404)}
    ),
    decide=extend_schema(
        summary="Decide a dispute, once and for all (another evaluator than the one who scored it)",
        description=(
            "`upheld`: the evaluation stands. `overturned`: `answers` correct the evaluator's and the score is worked "
            "out again. The evaluation becomes final; the history keeps both."
        ),
        tags=TAGS,
        request=DisputeDecideSerializer,
        responses={200: DisputeSerializer, **_errors(400, 401, 403, 404)},
    ),
)
class DisputeViewSet(QualityViewSet):
    serializer_class = DisputeSerializer
    policy_actions = {"list": "quality.read", "retrieve": "quality.read", "decide": "quality.decide"}

    def get_queryset(self):
        return selectors.disputes_visible_to(self.request.user)

    def list(self, request: Request) -> Response:
        queryset = self.get_queryset()
        if request.query_params.get("open") in ("true", "1"):
            queryset = selectors.disputes_to_decide(user=request.user)
        return self._paginated(queryset, DisputeSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(DisputeSerializer(self.get_object()).data)

    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str) -> Response:
        dispute = self.get_object()
        serializer = DisputeDecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        decided = services.dispute_decide(
            dispute=dispute,
            by=request.user,
            decision=data["decision"],
            comment=data["comment"],
            answers=data.get("answers") or None,
        )
        return Response(DisputeSerializer(self.get_queryset().get(pk=decided.pk)).data)


# --- Calibration -----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Calibration sessions",
        description="Managers and admins: all; other evaluators: those they set up or sit in.",
        tags=TAGS,
        responses={200: CalibrationSerializer(many=True), **_errors(401, 403)},
    ),
    create=extend_schema(
        summary="Set up a blind calibration session (managers, QA evaluators)",
        tags=TAGS,
        request=CalibrationCreateSerializer,
        responses={201: CalibrationSerializer, **_errors(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="A calibration session", tags=TAGS, responses={200: CalibrationSerializer, **_errors(401, 403, 404)}
    ),
    report=extend_schema(
        summary="The report of a closed session",
        description=(
            "Per criterion: each evaluator's value and criterion score in %, beside the reference's, their deviation "
            "and the spread (highest minus lowest). While the session is open the scores stay blind: 400."
        ),
        tags=TAGS,
        responses={200: CalibrationReportSerializer, **_errors(400, 401, 403, 404)},
    ),
    close=extend_schema(
        summary="Close the session (its creator, managers, admins) and show the report",
        tags=TAGS,
        request=CalibrationCloseSerializer,
        responses={200: CalibrationSerializer, **_errors(400, 401, 403, 404)},
    ),
)
class CalibrationViewSet(QualityViewSet):
    serializer_class = CalibrationSerializer
    policy_actions = {
        "list": "quality.evaluate",
        "retrieve": "quality.evaluate",
        "report": "quality.evaluate",
        "create": "calibration.write",
        "close": "calibration.write",
    }

    def get_queryset(self):
        return selectors.calibration_list(user=self.request.user)

    def list(self, request: Request) -> Response:
        return self._paginated(self.get_queryset(), CalibrationSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(CalibrationSerializer(self.get_object()).data)

    def create(self, request: Request) -> Response:
        serializer = CalibrationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        interaction = Interaction.objects.visible_to(request.user).filter(pk=data["interaction"]).first()
        if interaction is None:
            raise _bad("interaction", _("No such interaction, or not one you may see."))
        version = selectors.versions_visible_to(request.user).filter(pk=data["version"]).first()
        if version is None:
            raise _bad("version", _("No such scorecard version."))
        users = {user.username: user for user in get_user_model().objects.filter(username__in=data["evaluators"])}
        unknown = sorted(set(data["evaluators"]) - set(users))
        if unknown:
            raise _bad("evaluators", _("No such users: %(names)s.") % {"names": ", ".join(unknown)})
        session = services.calibration_create(
            title=data["title"],
            interaction=interaction,
            version=version,
            evaluators=[users[name] for name in data["evaluators"]],
            by=request.user,
        )
        return Response(
            CalibrationSerializer(self.get_queryset().get(pk=session.pk)).data, status=status.HTTP_201_CREATED
        )

    @action(detail=True, methods=["get"])
    def report(self, request: Request, pk: str) -> Response:
        session = self.get_object()
        if session.state != CalibrationState.CLOSED:
            raise exceptions.ValidationError({"state": [_("The scores stay blind until the session is closed.")]})
        return Response(CalibrationReportSerializer(selectors.calibration_report(session=session)).data)

    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        session = self.get_object()
        serializer = CalibrationCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reference = None
        reference_id = serializer.validated_data.get("reference")
        if reference_id is not None:
            reference = session.evaluations.filter(pk=reference_id).first()
            if reference is None:
                raise _bad("reference", _("The reference must be one of the session's published evaluations."))
        services.calibration_close(session=session, by=request.user, reference=reference)
        return Response(CalibrationSerializer(self.get_queryset().get(pk=session.pk)).data)


# --- Evaluator teams -------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Which teams each QA evaluator covers (managers, admins)",
        tags=TAGS,
        responses={200: EvaluatorTeamSerializer(many=True), **_errors(401, 403)},
    ),
    create=extend_schema(
        summary="Let a QA evaluator cover a team (admins)",
        tags=TAGS,
        request=EvaluatorTeamSerializer,
        responses={201: EvaluatorTeamSerializer, **_errors(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="One QA evaluator's team", tags=TAGS, responses={200: EvaluatorTeamSerializer, **_errors(401, 403, 404)}
    ),
    destroy=extend_schema(
        summary="The QA evaluator no longer covers the team (admins)",
        tags=TAGS,
        responses={204: None, **_errors(401, 403, 404)},
    ),
)
class EvaluatorTeamViewSet(QualityViewSet):
    serializer_class = EvaluatorTeamSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]
    policy_actions = {
        "list": "evaluator_team.read",
        "retrieve": "evaluator_team.read",
        "create": "evaluator_team.write",
        "destroy": "evaluator_team.write",
    }

    def get_queryset(self):
        return selectors.evaluator_teams_visible_to(self.request.user)

    def list(self, request: Request) -> Response:
        return self._paginated(self.get_queryset(), EvaluatorTeamSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(EvaluatorTeamSerializer(self.get_object()).data)

    def create(self, request: Request) -> Response:
        serializer = EvaluatorTeamSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        link = services.evaluator_team_add(by=request.user, **serializer.validated_data)
        return Response(EvaluatorTeamSerializer(link).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        services.evaluator_team_remove(link=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
