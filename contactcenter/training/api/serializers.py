"""Training API shapes (SPEC §5 ``training/``). A quiz's questions are sent without their correct
answers: only the choice ids and texts; the score comes back from a submission."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contactcenter.core.api.serializers import ModelSerializer
from contactcenter.core.richtext import render_markdown
from contactcenter.training.models import Choice, Course, Lesson, LessonAttachment, Question, QuestionKind, Quiz


class ProgressSerializer(serializers.Serializer):
    """The caller's progress in one course (see ``selectors.CourseProgress``)."""

    lessons_total = serializers.IntegerField()
    lessons_done = serializers.IntegerField()
    has_quiz = serializers.BooleanField()
    quiz_attempts = serializers.IntegerField()
    best_score = serializers.FloatField(allow_null=True, help_text=_("Best quiz score in percent, or null."))
    quiz_passed = serializers.BooleanField()
    completed_at = serializers.DateTimeField(allow_null=True)
    is_completed = serializers.BooleanField()
    is_overdue = serializers.BooleanField()
    percent = serializers.IntegerField(help_text=_("Lessons done and quiz passed, in percent of the course."))
    skill_granted = serializers.CharField(allow_null=True, help_text=_("The skill the completion granted, or null."))
    level_after = serializers.IntegerField(
        allow_null=True, help_text=_("The level of that skill the agent held after the completion, or null.")
    )


class GrantSerializer(serializers.Serializer):
    """The skill a course grants on completion, and at which level."""

    skill = serializers.CharField(source="grants_skill.name")
    level = serializers.IntegerField(source="grants_level")


class AssignedCourseSerializer(serializers.Serializer):
    """A course assigned to the caller, with their earliest due date and their progress."""

    id = serializers.IntegerField(source="course.pk")
    title = serializers.CharField(source="course.title")
    description = serializers.CharField(source="course.description")
    due_on = serializers.DateField(allow_null=True)
    reason = serializers.CharField(help_text=_("Why the course was assigned (e.g. by a quality rule), or empty."))
    grants = serializers.SerializerMethodField(help_text=_("The skill completing the course grants, or null."))
    progress = serializers.SerializerMethodField()

    @extend_schema_field(GrantSerializer(allow_null=True))
    def get_grants(self, row) -> dict | None:
        return GrantSerializer(row.course).data if row.course.grants_skill_id else None

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, row) -> dict:
        return ProgressSerializer(row).data


class ChoiceSerializer(ModelSerializer):
    class Meta:
        model = Choice
        fields = ["id", "text"]
        read_only_fields = fields


class QuestionSerializer(ModelSerializer):
    kind = serializers.ChoiceField(choices=QuestionKind.choices, read_only=True)
    choices = ChoiceSerializer(many=True, read_only=True)

    class Meta:
        model = Question
        fields = ["id", "order", "text", "kind", "choices"]
        read_only_fields = fields


class QuizSerializer(ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta:
        model = Quiz
        fields = ["id", "title", "pass_mark", "questions"]
        read_only_fields = fields


class AttachmentSerializer(ModelSerializer):
    url = serializers.SerializerMethodField(
        help_text=_("Where the file is downloaded (signed-in users it is assigned to).")
    )

    class Meta:
        model = LessonAttachment
        fields = ["id", "title", "url"]
        read_only_fields = fields

    def get_url(self, obj: LessonAttachment) -> str:
        return reverse("desk:training_attachment", args=[obj.pk])


class LinkedArticleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    slug = serializers.CharField()


class LessonSerializer(ModelSerializer):
    body = serializers.SerializerMethodField(
        help_text=_("The lesson rendered from its Markdown (HTML allowed) and sanitized: HTML safe to show as it is.")
    )
    attachments = AttachmentSerializer(many=True, read_only=True)
    articles = LinkedArticleSerializer(many=True, read_only=True)
    done = serializers.SerializerMethodField()

    class Meta:
        model = Lesson
        fields = ["id", "order", "title", "body", "attachments", "articles", "done"]
        read_only_fields = fields

    def get_body(self, obj: Lesson) -> str:
        return render_markdown(obj.body)

    def get_done(self, obj: Lesson) -> bool:
        return obj.pk in self.context.get("done", set())


class CourseDetailSerializer(ModelSerializer):
    lessons = LessonSerializer(many=True, read_only=True)
    quiz = serializers.SerializerMethodField()
    grants = serializers.SerializerMethodField(help_text=_("The skill completing the course grants, or null."))

    class Meta:
        model = Course
        fields = ["id", "title", "description", "grants", "lessons", "quiz"]
        read_only_fields = fields

    @extend_schema_field(GrantSerializer(allow_null=True))
    def get_grants(self, obj: Course) -> dict | None:
        return GrantSerializer(obj).data if obj.grants_skill_id else None

    @extend_schema_field(QuizSerializer(allow_null=True))
    def get_quiz(self, obj: Course) -> dict | None:
        quiz = getattr(obj, "quiz_or_none", None)
        return QuizSerializer(quiz).data if quiz is not None else None


class LessonCompletionSerializer(serializers.Serializer):
    lesson = serializers.IntegerField(source="lesson_id")
    completed_at = serializers.DateTimeField()
    course_completed = serializers.BooleanField()


class QuizAnswersSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField(), allow_empty=True),
        help_text=_("Question id → the ids of the choices picked (one for a single-choice question)."),
    )


class QuizResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    score = serializers.FloatField(help_text=_("Percent of the questions answered right."))
    passed = serializers.BooleanField()
    pass_mark = serializers.IntegerField(source="quiz.pass_mark")
    submitted_at = serializers.DateTimeField()
    course_completed = serializers.BooleanField()
