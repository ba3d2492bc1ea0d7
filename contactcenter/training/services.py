"""Every write on training material and on what agents do with it (STYLE.md principle 1).

Material (courses, lessons, attachments, quizzes, questions, choices, assignments) is written by
managers: each service is atomic, validates with ``full_clean()`` and sets ``_history_user`` so
that the history says who changed what and when. Lesson bodies are kept as written (Markdown,
HTML allowed) and sanitized each time they are shown; ``Lesson.clean`` (run by ``full_clean``)
refuses one of which nothing would show, whoever writes it.

Agents write their progress through :func:`lesson_complete` and :func:`quiz_submit`, which accept
only a course assigned to them (directly, through their team or through their role) and record the
course completion the moment its last requirement is met (:func:`course_completion_check`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, router, transaction
from django.db.models.deletion import Collector
from django.utils import timezone
from django.utils.translation import gettext as _

from contactcenter.agents.models import Skill, Team
from contactcenter.core.db import full_clean
from contactcenter.core.transactions import service_atomic
from contactcenter.core.unset import UNSET, Unset, given
from contactcenter.distribution.services import agent_skill_raise
from contactcenter.training.models import (
    Assignment,
    Choice,
    Course,
    CourseCompletion,
    Lesson,
    LessonAttachment,
    LessonCompletion,
    Question,
    QuestionKind,
    Quiz,
    QuizAttempt,
)
from contactcenter.training.selectors import courses_assigned_to


class NotAssigned(PermissionDenied):
    """The course is not assigned to this agent (or is inactive): nothing of it may be recorded."""


def max_quiz_attempts() -> int | None:
    """``settings.TRAINING_QUIZ_MAX_ATTEMPTS``: attempts allowed per agent and quiz; unset or
    ``None``: unlimited (every attempt is kept, the best counts)."""
    return getattr(settings, "TRAINING_QUIZ_MAX_ATTEMPTS", None)


# --- Material ---------------------------------------------------------------------------------


def _save(obj: Any, by: AbstractBaseUser | None) -> Any:
    obj._history_user = by
    full_clean(obj)
    obj.save()
    return obj


@transaction.atomic
def course_create(
    *,
    title: str,
    by: AbstractBaseUser | None,
    description: str = "",
    is_active: bool = True,
    grants_skill: Skill | None = None,
    grants_level: int = 1,
) -> Course:
    """A new course (granting ``grants_skill`` at ``grants_level`` on completion, when given); one
    history row by ``by``. ``ValidationError`` naming each bad field."""
    course = Course(
        title=title,
        description=description,
        is_active=is_active,
        grants_skill=grants_skill,
        grants_level=grants_level,
        created_by=by,
    )
    return _save(course, by)


@transaction.atomic
def course_update(
    *,
    course: Course,
    by: AbstractBaseUser | None,
    title: str | Unset = UNSET,
    description: str | Unset = UNSET,
    is_active: bool | Unset = UNSET,
    grants_skill: Skill | Unset | None = UNSET,
    grants_level: int | Unset = UNSET,
) -> Course:
    """Change the course's fields given (``UNSET``: unchanged); one history row by ``by``.
    ``ValidationError`` naming each bad field. A new skill or level applies to completions from
    then on; what earlier completions granted stays."""
    fields = {
        "title": title,
        "description": description,
        "is_active": is_active,
        "grants_skill": grants_skill,
        "grants_level": grants_level,
    }
    for name, value in given(fields).items():
        setattr(course, name, value)
    return _save(course, by)


@transaction.atomic
def lesson_save(*, lesson: Lesson, by: AbstractBaseUser | None, articles: Iterable[Any] | None = None) -> Lesson:
    """Create or update ``lesson`` (its fields as set on it); ``articles``
    (knowledge articles), when given, replace its links. One history row by ``by``.
    ``ValidationError`` naming ``body`` when nothing of it would show (``Lesson.clean``)."""
    _save(lesson, by)
    if articles is not None:
        lesson.articles.set(list(articles))
    return lesson


@transaction.atomic
def lesson_create(
    *,
    course: Course,
    title: str,
    body: str,
    by: AbstractBaseUser | None,
    order: int | None = None,
    articles: Iterable[Any] = (),
) -> Lesson:
    """A new lesson at the end of ``course`` (or at ``order``)."""
    if order is None:
        last = course.lessons.order_by("-order").values_list("order", flat=True).first()
        order = (last or 0) + 1
    return lesson_save(lesson=Lesson(course=course, title=title, body=body, order=order), by=by, articles=articles)


@transaction.atomic
def quiz_create(
    *,
    course: Course,
    title: str,
    pass_mark: int,
    questions: Iterable[tuple[str, str, Iterable[tuple[str, bool]]]],
    by: AbstractBaseUser | None,
) -> Quiz:
    """The course's quiz with its ``questions``: ``(text, kind, [(choice text, is correct), …])``.

    A single-choice question has exactly one correct choice, a multiple-choice one at least one.
    ``ValidationError`` naming the bad field; nothing is written then.
    """
    quiz = _save(Quiz(course=course, title=title, pass_mark=pass_mark), by)
    for number, (text, kind, choices) in enumerate(questions, start=1):
        question = _save(Question(quiz=quiz, order=number, text=text, kind=kind), by)
        choices = list(choices)
        for order, (choice_text, is_correct) in enumerate(choices, start=1):
            _save(Choice(question=question, order=order, text=choice_text, is_correct=is_correct), by)
        question_check(question=question, choices=choices)
    return quiz


def question_check(*, question: Question, choices: list[tuple[str, bool]] | None = None) -> None:
    """``ValidationError`` when ``question`` (or the ``choices`` about to be saved) cannot be
    answered right: no choices, or a number of correct choices its kind does not allow."""
    if choices is None:
        choices = [(c.text, c.is_correct) for c in question.choices.all()]
    correct = sum(1 for _text, is_correct in choices if is_correct)
    if len(choices) < 2:
        raise ValidationError({"choices": [_("A question needs at least two choices.")]})
    if question.kind == QuestionKind.SINGLE and correct != 1:
        raise ValidationError({"choices": [_("A single-choice question has exactly one correct choice.")]})
    if question.kind == QuestionKind.MULTIPLE and correct < 1:
        raise ValidationError({"choices": [_("A multiple-choice question has at least one correct choice.")]})


@transaction.atomic
def assignment_create(
    *,
    course: Course,
    by: AbstractBaseUser | None,
    agent: AbstractBaseUser | None = None,
    team: Team | None = None,
    role: str = "",
    due_on: date | None = None,
    reason: str = "",
) -> Assignment:
    """Give ``course`` to exactly one of ``agent``, ``team`` or ``role``, due ``due_on`` (optional),
    with the ``reason`` shown to the agent (optional). One history row by ``by`` (``None``: the
    system, e.g. a quality rule). ``ValidationError`` when there is not exactly one target."""
    targets = [target for target in (agent, team, role) if target]
    if len(targets) != 1:
        raise ValidationError({"__all__": [_("Assign the course to exactly one of: an agent, a team, a role.")]})
    assignment = Assignment(
        course=course, agent=agent, team=team, role=role or "", due_on=due_on, reason=reason, assigned_by=by
    )
    return _save(assignment, by)


#: The pieces of training material the back office writes one by one (its forms and inlines).
Material = Course | Lesson | LessonAttachment | Quiz | Question | Choice | Assignment


@transaction.atomic
def material_save(*, item: Material, by: AbstractBaseUser | None) -> Material:
    """Create or update one piece of material as it is set on ``item`` (what an admin form does):
    validated with ``full_clean`` (a lesson's body sanitized, an assignment's single target…),
    one history row by ``by``. A new course records ``by`` as its author, a new assignment as who
    assigned it. ``ValidationError`` naming each bad field; nothing is written then."""
    if item.pk is None and isinstance(item, Course):
        item.created_by = by
    if item.pk is None and isinstance(item, Assignment):
        item.assigned_by = by
    return _save(item, by)


@transaction.atomic
def material_delete(*, item: Material, by: AbstractBaseUser | None) -> None:
    """Delete one piece of material and what hangs on it (a course's lessons, quiz and
    assignments, a quiz's questions, a question's choices, agents' completions and attempts):
    every history row of the cascade says ``by``."""
    collector = Collector(using=router.db_for_write(type(item)))
    collector.collect([item])
    for instances in collector.data.values():
        for instance in instances:
            instance._history_user = by
    collector.delete()


# --- What agents do ---------------------------------------------------------------------------


def _check_assigned(agent: AbstractBaseUser, course: Course) -> None:
    if not courses_assigned_to(agent).filter(pk=course.pk).exists():
        raise NotAssigned(_("This course is not assigned to you."))


@service_atomic(joins=True)
def lesson_complete(*, agent: AbstractBaseUser, lesson: Lesson, at: datetime | None = None) -> LessonCompletion:
    """Record that ``agent`` has done ``lesson`` (``at``, default now); doing it again changes
    nothing and returns the first record. :class:`NotAssigned` when the lesson's course is not
    assigned to them. May complete the course (see :func:`course_completion_check`)."""
    _check_assigned(agent, lesson.course)
    existing = LessonCompletion.objects.filter(agent=agent, lesson=lesson).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            completion = LessonCompletion.objects.create(agent=agent, lesson=lesson, completed_at=at or timezone.now())
    except IntegrityError:
        # The same agent's double click: the other request has written it.
        return LessonCompletion.objects.get(agent=agent, lesson=lesson)
    course_completion_check(agent=agent, course=lesson.course, at=completion.completed_at)
    return completion


def _parse_answers(quiz: Quiz, answers: Any) -> dict[int, set[int]]:
    """``answers`` checked against the quiz: ``{question id: set of choice ids}``.

    ``ValidationError`` with one entry per problem, keyed ``answers`` (not an object, unknown
    questions) or ``answers.<question id>`` (missing, unknown choice, more than one choice to a
    single-choice question, none at all)."""
    questions = {q.pk: q for q in quiz.questions.all()}
    if not isinstance(answers, Mapping):
        raise ValidationError({"answers": [_("Give an object: question id → list of choice ids.")]})
    errors: dict[str, list[str]] = {}
    parsed: dict[int, set[int]] = {}
    unknown = []
    for raw_key, raw_value in answers.items():
        try:
            key = int(raw_key)
        except (TypeError, ValueError):
            key = None
        if key not in questions:
            unknown.append(str(raw_key))
            continue
        values = raw_value if isinstance(raw_value, list) else [raw_value]
        try:
            choice_ids = {int(value) for value in values}
        except (TypeError, ValueError):
            errors[f"answers.{key}"] = [_("Give a list of choice ids.")]
            continue
        parsed[key] = choice_ids
    if unknown:
        errors["answers"] = [_("Unknown questions: %(ids)s.") % {"ids": ", ".join(sorted(unknown))}]
    for pk, question in questions.items():
        field = f"answers.{pk}"
        if field in errors:
            continue
        chosen = parsed.get(pk)
        valid_choices = {choice.pk for choice in question.choices.all()}
        if not chosen:
            errors[field] = [_("Answer this question.")]
        elif chosen - valid_choices:
            errors[field] = [
                _("These choices are not of this question: %(ids)s.")
                % {"ids": ", ".join(str(i) for i in sorted(chosen - valid_choices))}
            ]
        elif question.kind == QuestionKind.SINGLE and len(chosen) != 1:
            errors[field] = [_("Choose exactly one answer.")]
    if errors:
        raise ValidationError(errors)
    return parsed


def score_answers(quiz: Quiz, answers: dict[int, set[int]]) -> float:
    """The percentage of the quiz's questions answered right, rounded to one decimal.

    A single-choice question is right when its one correct choice is chosen; a multiple-choice
    question when exactly its correct choices are chosen (no partial credit: one missing or one
    wrong choice makes it wrong, so ticking everything never pays)."""
    questions = list(quiz.questions.all())
    if not questions:
        return 0.0
    right = 0
    for question in questions:
        correct = {choice.pk for choice in question.choices.all() if choice.is_correct}
        if answers.get(question.pk, set()) == correct:
            right += 1
    return round(100 * right / len(questions), 1)


@service_atomic(joins=True)
def quiz_submit(*, agent: AbstractBaseUser, quiz: Quiz, answers: Any, at: datetime | None = None) -> QuizAttempt:
    """Score ``answers`` (``{question id: [choice ids]}``, every question answered) to ``quiz``
    and record the attempt (passed when the score reaches the pass mark).

    :class:`NotAssigned` when the quiz's course is not assigned to ``agent``; ``ValidationError``
    naming each bad answer (see :func:`_parse_answers`) or ``answers`` when the attempts allowed
    (:func:`max_quiz_attempts`) are used up; nothing is written then. A passing attempt may
    complete the course (see :func:`course_completion_check`)."""
    _check_assigned(agent, quiz.course)
    quiz = Quiz.objects.prefetch_related("questions__choices").get(pk=quiz.pk)
    parsed = _parse_answers(quiz, answers)
    limit = max_quiz_attempts()
    if limit is not None and QuizAttempt.objects.filter(agent=agent, quiz=quiz).count() >= limit:
        raise ValidationError({"answers": [_("You have used the %(max)s attempts allowed.") % {"max": limit}]})
    score = score_answers(quiz, parsed)
    attempt = QuizAttempt(
        agent=agent,
        quiz=quiz,
        answers={str(pk): sorted(ids) for pk, ids in sorted(parsed.items())},
        score=score,
        passed=score >= quiz.pass_mark,
        submitted_at=at or timezone.now(),
    )
    full_clean(attempt)
    attempt.save()
    if attempt.passed:
        course_completion_check(agent=agent, course=quiz.course, at=attempt.submitted_at)
    return attempt


@service_atomic
def course_completion_check(
    *, agent: AbstractBaseUser, course: Course, at: datetime | None = None
) -> CourseCompletion | None:
    """The agent's completion of ``course``, written (dated ``at``, default now) when every lesson
    is done and the quiz, if any, passed; ``None`` while something is missing. Once written it
    stays, whatever is added to the course later. Five queries at most."""
    existing = CourseCompletion.objects.filter(agent=agent, course=course).first()
    if existing is not None:
        return existing
    if Lesson.objects.filter(course=course).exclude(completions__agent=agent).exists():
        return None
    quiz = Quiz.objects.filter(course=course).first()
    if quiz is not None and not quiz.attempts.filter(agent=agent, passed=True).exists():
        return None
    completion, created = CourseCompletion.objects.get_or_create(
        agent=agent, course=course, defaults={"completed_at": at or timezone.now()}
    )
    if created and course.grants_skill_id is not None:
        course_skill_grant(completion=completion, course=course)
    return completion


def course_skill_grant(*, completion: CourseCompletion, course: Course) -> CourseCompletion:
    """The skill ``course`` grants, given to the agent of ``completion`` through routing's
    :func:`~contactcenter.distribution.services.agent_skill_raise` (a level already higher is
    kept) and recorded on the completion (level before and after). Nothing for a course that
    grants no skill or a user who is not an agent."""
    skill = course.grants_skill
    if skill is None:
        return completion
    raised = agent_skill_raise(agent=completion.agent, skill=skill, level=course.grants_level)
    if raised is None:
        return completion
    completion.skill_granted = skill
    completion.level_before = raised.before
    completion.level_after = raised.after
    completion.save(update_fields=["skill_granted", "level_before", "level_after"])
    return completion
