"""Training material (SPEC §3, issue #7): courses of ordered lessons with an optional final quiz,
assigned to agents, teams or roles, and what each agent has done of them.

- A **course** holds ordered **lessons** (rich text: Markdown or HTML, sanitized when shown;
  attachments, links to knowledge articles) and at most one **quiz** (questions with single or multiple choice, a pass
  mark in percent).
- An **assignment** gives a course to exactly one target (an agent, a team or a role) with an
  optional due date.
- An agent's **lesson completions** and **quiz attempts** are recorded by
  :mod:`contactcenter.training.services`, which also writes the **course completion** the moment
  the last requirement is met (every lesson done, the quiz passed if there is one).
- A course may **grant a skill** at a level: on completion the agent holds it at that level at
  least (routing reads it), and the completion records what was granted.

The material (courses, lessons, attachments, quizzes, questions, choices, assignments) keeps a
history of every edit with who and when; what agents do is a record of its own, not edited.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contactcenter.agents.models import Role, Skill, Team
from contactcenter.core import richtext
from contactcenter.core.uploads import FileContentValidator
from contactcenter.distribution.models import MAX_LEVEL, MIN_LEVEL

#: Attachments: the formats agents open without surprises, and a size a browser fetches quickly.
ATTACHMENT_EXTENSIONS = (
    "pdf", "png", "jpg", "jpeg", "gif", "webp", "txt", "csv", "docx", "xlsx", "pptx", "odt", "ods", "odp",
)  # fmt: skip
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def validate_attachment_size(file) -> None:
    if file is not None and getattr(file, "size", 0) > MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            _("A file may weigh %(max)s MB at most.") % {"max": MAX_ATTACHMENT_BYTES // (1024 * 1024)},
            code="file_too_large",
        )


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("single choice")
    MULTIPLE = "multiple", _("multiple choice")


class Course(models.Model):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive courses are hidden from agents; their records stay.")
    )
    grants_skill = models.ForeignKey(
        Skill,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="granting_courses",
        verbose_name=_("grants skill"),
        help_text=_("Completing the course gives the agent this skill, which routing uses."),
    )
    grants_level = models.PositiveSmallIntegerField(
        _("granted level"),
        default=MIN_LEVEL,
        validators=[MinValueValidator(MIN_LEVEL), MaxValueValidator(MAX_LEVEL)],
        help_text=_("The skill level (1 to 5) the agent holds at least once the course is completed."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(verbose_name=_("historical course"), verbose_name_plural=_("course history"))

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        constraints = [
            models.CheckConstraint(
                condition=~Q(title=""), name="course_title_not_blank", violation_error_message=_("Give a title.")
            ),
            models.CheckConstraint(
                condition=Q(grants_level__gte=MIN_LEVEL, grants_level__lte=MAX_LEVEL),
                name="course_grants_level_1_5",
                violation_error_message=_("A skill level is from 1 to 5."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        self.title = " ".join((self.title or "").split())
        if not self.title:
            raise ValidationError({"title": [_("Give the course a title.")]})


class Lesson(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons", verbose_name=_("course"))
    order = models.PositiveSmallIntegerField(_("order"), default=1, help_text=_("Lessons are taken in this order."))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("body"),
        help_text=richtext.HELP_TEXT,
    )
    articles = models.ManyToManyField(
        "knowledge.Article",
        blank=True,
        related_name="lessons",
        verbose_name=_("knowledge articles"),
        help_text=_("Articles the lesson refers to; agents open them from the lesson."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(
        m2m_fields=[articles], verbose_name=_("historical lesson"), verbose_name_plural=_("lesson history")
    )

    class Meta:
        ordering = ["course", "order", "pk"]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        constraints = [
            models.UniqueConstraint(
                fields=["course", "order"],
                name="lesson_order_unique_in_course",
                violation_error_message=_("Another lesson of this course has this order."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        # The body is kept as written (Markdown, HTML allowed) and sanitized each time it is shown
        # (contactcenter.core.richtext); a body of which nothing would show is refused.
        if not richtext.markdown_to_text(self.body):
            raise ValidationError({"body": [_("A lesson needs a body.")]})


class LessonAttachment(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("lesson"))
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(
        _("file"),
        upload_to="training/%Y/%m/",
        # The name, then the content: a file is of the type its extension says (contactcenter.core.uploads).
        validators=[
            FileExtensionValidator(ATTACHMENT_EXTENSIONS),
            FileContentValidator(ATTACHMENT_EXTENSIONS),
            validate_attachment_size,
        ],
        help_text=_("PDF, image, text or office document, 10 MB at most."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords(verbose_name=_("historical attachment"), verbose_name_plural=_("attachment history"))

    class Meta:
        ordering = ["lesson", "title", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.title


class Quiz(models.Model):
    """A course's final quiz: passed with a score (percent of questions answered right) at least
    ``pass_mark``."""

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="quiz", verbose_name=_("course"))
    title = models.CharField(_("title"), max_length=200)
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark (%)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("The score, in percent of the questions answered right, that passes the quiz."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(verbose_name=_("historical quiz"), verbose_name_plural=_("quiz history"))

    class Meta:
        ordering = ["course", "pk"]
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")
        constraints = [
            models.CheckConstraint(
                condition=Q(pass_mark__gte=1, pass_mark__lte=100),
                name="quiz_pass_mark_percent",
                violation_error_message=_("The pass mark is a percentage from 1 to 100."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions", verbose_name=_("quiz"))
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    text = models.TextField(_("question"))
    kind = models.CharField(_("kind"), max_length=10, choices=QuestionKind.choices, default=QuestionKind.SINGLE)

    history = HistoricalRecords(verbose_name=_("historical question"), verbose_name_plural=_("question history"))

    class Meta:
        ordering = ["quiz", "order", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(
                fields=["quiz", "order"],
                name="question_order_unique_in_quiz",
                violation_error_message=_("Another question of this quiz has this order."),
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices", verbose_name=_("question"))
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    text = models.CharField(_("answer"), max_length=300)
    is_correct = models.BooleanField(_("correct"), default=False)

    history = HistoricalRecords(verbose_name=_("historical choice"), verbose_name_plural=_("choice history"))

    class Meta:
        ordering = ["question", "order", "pk"]
        verbose_name = _("choice")
        verbose_name_plural = _("choices")

    def __str__(self) -> str:
        return self.text


class Assignment(models.Model):
    """A course given to exactly one of: an agent (a user), a team, or everyone with a role."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("course"))
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="training_assignments",
        verbose_name=_("agent"),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="training_assignments",
        verbose_name=_("team"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    due_on = models.DateField(_("due date"), null=True, blank=True)
    reason = models.TextField(
        _("reason"),
        blank=True,
        help_text=_("Why the course was assigned, shown to the agent (written by the quality rules)."),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords(verbose_name=_("historical assignment"), verbose_name_plural=_("assignment history"))

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        indexes = [models.Index(fields=["due_on"], name="assignment_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(agent__isnull=False, team__isnull=True, role="")
                    | Q(agent__isnull=True, team__isnull=False, role="")
                    | (Q(agent__isnull=True, team__isnull=True) & ~Q(role=""))
                ),
                name="assignment_exactly_one_target",
                violation_error_message=_("Assign the course to exactly one of: an agent, a team, a role."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course} → {self.target_label}"

    @property
    def target_label(self) -> str:
        if self.agent_id:
            return str(self.agent)
        if self.team_id:
            return str(self.team)
        return str(Role(self.role).label) if self.role in Role.values else self.role


class LessonCompletion(models.Model):
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_completions", verbose_name=_("agent")
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="completions", verbose_name=_("lesson"))
    completed_at = models.DateTimeField(_("completed at"))

    class Meta:
        ordering = ["-completed_at", "-pk"]
        verbose_name = _("lesson completion")
        verbose_name_plural = _("lesson completions")
        constraints = [
            models.UniqueConstraint(fields=["agent", "lesson"], name="lesson_completion_once"),
        ]

    def __str__(self) -> str:
        return f"{self.agent} · {self.lesson}"


class QuizAttempt(models.Model):
    """One submission of a quiz: the answers as given (``{question id: [choice ids]}``), the score
    in percent of the questions answered right, and whether it reached the pass mark."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts", verbose_name=_("agent")
    )
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("quiz"))
    answers = models.JSONField(_("answers"), default=dict)
    score = models.FloatField(_("score (%)"))
    passed = models.BooleanField(_("passed"))
    submitted_at = models.DateTimeField(_("submitted at"))

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")
        indexes = [models.Index(fields=["agent", "quiz"], name="attempt_agent_quiz_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=100),
                name="attempt_score_percent",
                violation_error_message=_("A score is a percentage from 0 to 100."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} · {self.quiz} · {self.score:.0f} %"


class CourseCompletion(models.Model):
    """Written once, when an agent meets the course's last requirement; its date anchors the
    before/after view of their KPIs. When the course grants a skill, what was granted: the skill,
    the level held before (0: not held) and after (never lower than before)."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_completions", verbose_name=_("agent")
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="completions", verbose_name=_("course"))
    completed_at = models.DateTimeField(_("completed at"))
    skill_granted = models.ForeignKey(
        Skill,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("skill granted"),
    )
    level_before = models.PositiveSmallIntegerField(
        _("level before"), null=True, blank=True, help_text=_("0: the agent did not hold the skill.")
    )
    level_after = models.PositiveSmallIntegerField(_("level after"), null=True, blank=True)

    class Meta:
        ordering = ["-completed_at", "-pk"]
        verbose_name = _("course completion")
        verbose_name_plural = _("course completions")
        constraints = [
            models.UniqueConstraint(fields=["agent", "course"], name="course_completion_once"),
        ]

    def __str__(self) -> str:
        return f"{self.agent} · {self.course}"
