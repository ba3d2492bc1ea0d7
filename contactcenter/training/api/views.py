"""Training endpoints (SPEC §5 ``training/``): the caller's assigned courses and progress, a
course with its lessons and quiz (no correct answers), completing a lesson, submitting the quiz.

Adapters only: reads through :mod:`contactcenter.training.selectors`, writes through
:mod:`contactcenter.training.services`. A course the caller may not open answers 404; lessons and
quizzes are recorded only for courses assigned to the caller (404 otherwise, managers included).
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from contactcenter.core.api.views import PolicyViewSet
from contactcenter.core.db import MAX_ID
from contactcenter.training.api.serializers import (
    AssignedCourseSerializer,
    CourseDetailSerializer,
    LessonCompletionSerializer,
    QuizAnswersSerializer,
    QuizResultSerializer,
)
from contactcenter.training.models import Course, CourseCompletion, Lesson, Quiz
from contactcenter.training.selectors import course_detail, course_progress, courses_assigned_to, lessons_done_by
from contactcenter.training.services import NotAssigned, lesson_complete, quiz_submit

TAGS = ["training"]
ERRORS = {
    400: OpenApiResponse(description="The answers are wrong: the body names each bad question."),
    401: OpenApiResponse(description="No or wrong credentials."),
    403: OpenApiResponse(description="Your account has no role."),
    404: OpenApiResponse(description="No such course or lesson, or not one assigned to you."),
}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}


def _id(raw: str) -> int:
    value = int(raw)
    if value > MAX_ID:
        raise Http404
    return value


@extend_schema_view(
    list=extend_schema(
        summary="My training: the courses assigned to me, with my progress",
        description=(
            "Active courses assigned to the caller directly, through their team or their role; the earliest "
            "due date first. `progress` counts lessons done, quiz attempts and best score."
        ),
        tags=TAGS,
        responses={200: AssignedCourseSerializer(many=True), **_errors(401, 403)},
    ),
    retrieve=extend_schema(
        summary="A course: its lessons (rendered, sanitized HTML) and its quiz without the answers",
        tags=TAGS,
        responses={200: CourseDetailSerializer, **_errors(401, 403, 404)},
    ),
)
class TrainingViewSet(PolicyViewSet):
    serializer_class = AssignedCourseSerializer
    policy_actions = {
        "list": "training.read",
        "retrieve": "training.read",
        "complete_lesson": "training.read",
        "quiz": "training.read",
    }
    http_method_names = ["get", "post", "head", "options"]
    lookup_value_regex = "[0-9]+"
    filter_backends: list = []

    def get_queryset(self):
        return courses_assigned_to(self.request.user)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        rows = course_progress(user=request.user, courses=list(page))
        return self.get_paginated_response(AssignedCourseSerializer(rows, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        try:
            course = course_detail(user=request.user, pk=_id(pk))
        except Course.DoesNotExist:
            raise Http404 from None
        done = lessons_done_by(user=request.user, course=course)
        return Response(CourseDetailSerializer(course, context={"done": done}).data)

    def _assigned_course(self, pk: str) -> Course:
        course = self.get_queryset().filter(pk=_id(pk)).first()
        if course is None:
            raise Http404
        return course

    @extend_schema(
        summary="Mark a lesson of an assigned course as done",
        description="Doing it again changes nothing. May complete the course.",
        tags=TAGS,
        request=None,
        responses={200: LessonCompletionSerializer, **_errors(401, 403, 404)},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"lessons/(?P<lesson_pk>[0-9]+)/complete",
        url_name="lesson-complete",
    )
    def complete_lesson(self, request: Request, pk: str, lesson_pk: str) -> Response:
        course = self._assigned_course(pk)
        lesson = Lesson.objects.filter(course=course, pk=_id(lesson_pk)).select_related("course").first()
        if lesson is None:
            raise Http404
        try:
            completion = lesson_complete(agent=request.user, lesson=lesson)
        except NotAssigned:
            raise Http404 from None
        completed = CourseCompletion.objects.filter(agent=request.user, course=course).exists()
        data = {"lesson_id": lesson.pk, "completed_at": completion.completed_at, "course_completed": completed}
        return Response(LessonCompletionSerializer(data).data)

    @extend_schema(
        summary="Submit the course's quiz",
        description=(
            "`answers`: question id → list of choice ids, every question answered (exactly one choice for a "
            "single-choice question). A multiple-choice question counts only when exactly its correct choices "
            "are picked. Every attempt is kept; the score is the percentage of questions answered right."
        ),
        tags=TAGS,
        request=QuizAnswersSerializer,
        responses={201: QuizResultSerializer, **_errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="quiz", url_name="quiz")
    def quiz(self, request: Request, pk: str) -> Response:
        course = self._assigned_course(pk)
        quiz = Quiz.objects.filter(course=course).select_related("course").first()
        if quiz is None:
            raise Http404
        params = QuizAnswersSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            attempt = quiz_submit(agent=request.user, quiz=quiz, answers=params.validated_data["answers"])
        except NotAssigned:
            raise Http404 from None
        attempt.course_completed = CourseCompletion.objects.filter(agent=request.user, course=course).exists()
        return Response(QuizResultSerializer(attempt).data, status=status.HTTP_201_CREATED)
