"""Every read on training, with its joins (STYLE.md: selectors own reads).

Who sees what (SPEC §5, Access):

- every role takes the courses assigned to them (directly, through their team or their role),
  active ones only, and reads their own progress; a course not assigned to them is absent (404);
- managers and admins, who write the material, read every course and everyone's progress;
- supervisors read the progress of their own team's agents.

An agent's due date for a course is the earliest due date among the assignments that reach them;
they are overdue when it has passed (before today, local) and the course is not completed.
Each selector costs a fixed number of queries, whatever the number of rows (see each docstring).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Exists, F, IntegerField, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from contactcenter.agents.models import AgentProfile
from contactcenter.core import access
from contactcenter.core.roles import role_of
from contactcenter.knowledge.models import Article
from contactcenter.training.models import (
    Assignment,
    Course,
    CourseCompletion,
    Lesson,
    LessonAttachment,
    LessonCompletion,
    Question,
    Quiz,
    QuizAttempt,
)


def _today() -> date:
    return timezone.localdate()


def _assigned_q(user: AbstractBaseUser) -> Q:
    """The assignments (rows of :class:`Assignment`) that reach ``user``."""
    condition = Q(agent_id=user.pk)
    profile = getattr(user, "agent_profile", None)
    if profile is not None and profile.team_id is not None:
        condition |= Q(team_id=profile.team_id)
    role = role_of(user)
    if role:
        condition |= Q(role=role)
    return condition


def courses_assigned_to(user: AbstractBaseUser) -> QuerySet[Course]:
    """The active courses assigned to ``user``, each annotated with ``due_on`` (their earliest
    due date, or ``None``) and ``lesson_total``; soonest due first, then by title. One query."""
    if not user.is_authenticated or not access.can(user, "training.read"):
        return Course.objects.none()
    reaching = Assignment.objects.filter(_assigned_q(user), course=OuterRef("pk"))
    earliest = reaching.order_by(F("due_on").asc(nulls_last=True)).values("due_on")[:1]
    reason = reaching.exclude(reason="").order_by("-created_at", "-pk").values("reason")[:1]
    lessons = Lesson.objects.filter(course=OuterRef("pk")).order_by().values("course").annotate(n=Count("pk"))
    return (
        Course.objects.filter(Exists(reaching), is_active=True)
        .select_related("grants_skill")
        .annotate(
            due_on=Subquery(earliest),
            reason=Subquery(reason),
            lesson_total=Coalesce(Subquery(lessons.values("n"), output_field=IntegerField()), 0),
        )
        .order_by(F("due_on").asc(nulls_last=True), "title", "pk")
    )


def courses_readable_by(user: AbstractBaseUser) -> QuerySet[Course]:
    """The courses ``user`` may open: every course for those who write them, else the ones
    assigned to them (see :func:`courses_assigned_to`)."""
    if user.is_authenticated and access.can(user, "training.write"):
        return Course.objects.all()
    return courses_assigned_to(user)


@dataclass
class CourseProgress:
    """One course as an agent sees it in their list."""

    course: Course
    due_on: date | None
    lessons_total: int
    lessons_done: int
    has_quiz: bool
    quiz_attempts: int = 0
    best_score: float | None = None
    quiz_passed: bool = False
    completed_at: datetime | None = None
    #: Why the course was assigned (the latest reason given, e.g. by a quality rule), or "".
    reason: str = ""
    #: The skill the completion granted and the level the agent then held (None: none granted).
    skill_granted: str | None = None
    level_after: int | None = None
    today: date = field(default_factory=_today, repr=False)

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None

    @property
    def is_overdue(self) -> bool:
        return self.due_on is not None and self.due_on < self.today and not self.is_completed

    @property
    def percent(self) -> int:
        """Lessons done and the quiz passed, as a whole percentage of the course's steps."""
        if self.is_completed:
            return 100
        steps = self.lessons_total + (1 if self.has_quiz else 0)
        done = self.lessons_done + (1 if self.quiz_passed else 0)
        return round(100 * done / steps) if steps else 0


def course_progress(
    *, user: AbstractBaseUser, courses: list[Course], today: date | None = None
) -> list[CourseProgress]:
    """The progress of ``user`` in each of ``courses`` (from :func:`courses_assigned_to`: they carry
    ``due_on`` and ``lesson_total``), in their order. Three queries, whatever their number."""
    today = today or _today()
    ids = [course.pk for course in courses]
    if not ids:
        return []
    done = dict(
        LessonCompletion.objects.filter(agent=user, lesson__course_id__in=ids)
        .order_by()
        .values_list("lesson__course_id")
        .annotate(n=Count("pk"))
    )
    quizzes = {
        row["course_id"]: row
        for row in Quiz.objects.filter(course_id__in=ids)
        .order_by()
        .values("course_id")
        .annotate(
            attempt_count=Count("attempts", filter=Q(attempts__agent=user)),
            best=Max("attempts__score", filter=Q(attempts__agent=user)),
            passes=Count("attempts", filter=Q(attempts__agent=user, attempts__passed=True)),
        )
    }
    completed = {
        row[0]: row[1:]
        for row in CourseCompletion.objects.filter(agent=user, course_id__in=ids).values_list(
            "course_id", "completed_at", "skill_granted__name", "level_after"
        )
    }
    rows = []
    for course in courses:
        quiz = quizzes.get(course.pk)
        best = quiz["best"] if quiz else None
        rows.append(
            CourseProgress(
                course=course,
                due_on=getattr(course, "due_on", None),
                lessons_total=getattr(course, "lesson_total", 0),
                lessons_done=done.get(course.pk, 0),
                has_quiz=quiz is not None,
                quiz_attempts=quiz["attempt_count"] if quiz else 0,
                best_score=best,
                quiz_passed=quiz is not None and quiz["passes"] > 0,
                completed_at=completed.get(course.pk, (None,))[0],
                reason=getattr(course, "reason", None) or "",
                skill_granted=completed.get(course.pk, (None, None))[1],
                level_after=completed.get(course.pk, (None, None, None))[2],
                today=today,
            )
        )
    return rows


def assigned_courses(*, user: AbstractBaseUser, today: date | None = None) -> list[CourseProgress]:
    """The courses assigned to ``user`` with their progress, due date (earliest) and overdue flag:
    soonest due first. Four queries, whatever the number of courses."""
    return course_progress(user=user, courses=list(courses_assigned_to(user)), today=today)


def course_detail(*, user: AbstractBaseUser, pk: int) -> Course:
    """The course ``pk`` if ``user`` may open it, with its lessons (their attachments and the
    knowledge articles ``user`` may read) and its quiz's questions and choices; ``Course.DoesNotExist``
    otherwise. Six queries."""
    lessons = Lesson.objects.order_by("order", "pk").prefetch_related(
        Prefetch("attachments", queryset=LessonAttachment.objects.order_by("title", "pk")),
        Prefetch("articles", queryset=Article.objects.visible_to(user).defer("body", "search_vector", "search_text")),
    )
    course = (
        courses_readable_by(user)
        .select_related("grants_skill")
        .prefetch_related(Prefetch("lessons", queryset=lessons))
        .get(pk=pk)
    )
    course.quiz_or_none = (
        Quiz.objects.filter(course=course)
        .prefetch_related(Prefetch("questions", queryset=Question.objects.prefetch_related("choices")))
        .first()
    )
    return course


def lessons_done_by(*, user: AbstractBaseUser, course: Course) -> set[int]:
    """The ids of the lessons of ``course`` that ``user`` has done. One query."""
    return set(LessonCompletion.objects.filter(agent=user, lesson__course=course).values_list("lesson_id", flat=True))


def quiz_attempts_of(*, user: AbstractBaseUser, quiz: Quiz) -> list[QuizAttempt]:
    """The attempts of ``user`` at ``quiz``, newest first. One query."""
    return list(QuizAttempt.objects.filter(agent=user, quiz=quiz))


# --- Progress for the back office ------------------------------------------------------------------


@dataclass
class AgentProgress:
    """One agent's progress in one course, for the back office."""

    profile: AgentProfile
    course: Course
    due_on: date | None
    lessons_total: int = 0
    lessons_done: int = 0
    best_score: float | None = None
    completed_at: datetime | None = None
    #: Why the course was assigned (the latest reason given, e.g. by a quality rule), or "".
    reason: str = ""
    #: The skill the completion granted and the level the agent then held (None: none granted).
    skill_granted: str | None = None
    level_after: int | None = None
    today: date = field(default_factory=_today, repr=False)

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None

    @property
    def is_overdue(self) -> bool:
        return self.due_on is not None and self.due_on < self.today and not self.is_completed

    @property
    def days_overdue(self) -> int:
        return (self.today - self.due_on).days if self.is_overdue else 0


@dataclass
class TeamProgress:
    name: str
    assigned: int = 0
    completed: int = 0
    overdue: int = 0


def profiles_visible_for_progress(user: AbstractBaseUser) -> QuerySet[AgentProfile]:
    """The agents whose training ``user`` may follow: everyone for managers and admins, the
    supervisor's own team for a supervisor, nobody else."""
    if access.can(user, "training.write"):
        return AgentProfile.objects.all()
    if access.can(user, "training.progress"):
        return AgentProfile.objects.visible_to(user)
    return AgentProfile.objects.none()


def courses_followed_by(user: AbstractBaseUser) -> QuerySet[Course]:
    """The courses whose progress ``user`` may follow (supervisors and up: every course, as the
    back office lists them), by title; none for anyone else."""
    if not access.can(user, "training.progress"):
        return Course.objects.none()
    return Course.objects.order_by("title", "pk")


@dataclass(frozen=True)
class Completion:
    """An agent who completed a course, and when."""

    profile: AgentProfile
    completed_at: datetime


def course_completions(*, course: Course, user: AbstractBaseUser) -> list[Completion]:
    """The completions of ``course`` by the agents ``user`` may follow
    (:func:`profiles_visible_for_progress`), the earliest first, each with the agent's profile,
    user and team. Two queries, whatever the number of agents."""
    visible = profiles_visible_for_progress(user).values("user_id")
    completions = list(
        CourseCompletion.objects.filter(course=course, agent_id__in=visible).order_by("completed_at", "pk")
    )
    if not completions:
        return []
    profiles = {
        p.user_id: p
        for p in AgentProfile.objects.filter(user_id__in=[c.agent_id for c in completions]).select_related(
            "user", "team"
        )
    }
    return [
        Completion(profile=profiles[completion.agent_id], completed_at=completion.completed_at)
        for completion in completions
        if completion.agent_id in profiles
    ]


def _reached(assignments: list[Assignment], viewer: AbstractBaseUser) -> dict[tuple[int, int], tuple]:
    """``{(user id, course id): (profile, earliest due date)}`` for the agents ``viewer`` may
    follow that ``assignments`` reach. One query."""
    users, teams, roles = set(), set(), set()
    for assignment in assignments:
        if assignment.agent_id:
            users.add(assignment.agent_id)
        elif assignment.team_id:
            teams.add(assignment.team_id)
        else:
            roles.add(assignment.role)
    if not assignments:
        return {}
    profiles = list(
        profiles_visible_for_progress(viewer)
        .filter(Q(user_id__in=users) | Q(team_id__in=teams) | Q(role__in=roles))
        .select_related("user", "team")
        .order_by("team__name", "user__username")
    )
    reached: dict[tuple[int, int], tuple] = {}
    for profile in profiles:
        for assignment in assignments:
            if not (
                assignment.agent_id == profile.user_id
                or (assignment.team_id is not None and assignment.team_id == profile.team_id)
                or (assignment.role and assignment.role == profile.role)
            ):
                continue
            key = (profile.user_id, assignment.course_id)
            due = assignment.due_on
            if key in reached:
                earlier = reached[key][1]
                due = min(d for d in (earlier, due) if d is not None) if (earlier or due) else None
            reached[key] = (profile, due)
    return reached


def course_agent_progress(*, course: Course, user: AbstractBaseUser, today: date | None = None) -> list[AgentProgress]:
    """Every agent ``user`` may follow whom ``course`` is assigned to, with their progress, by team
    then username. Six queries, whatever the number of agents."""
    today = today or _today()
    assignments = list(course.assignments.all())
    reasons = {a.agent_id: a.reason for a in sorted(assignments, key=lambda a: a.created_at) if a.agent_id and a.reason}
    reached = _reached(assignments, user)
    agent_ids = [agent_id for agent_id, _course in reached]
    if not agent_ids:
        return []
    total = Lesson.objects.filter(course=course).count()
    done = dict(
        LessonCompletion.objects.filter(lesson__course=course, agent_id__in=agent_ids)
        .order_by()
        .values_list("agent_id")
        .annotate(n=Count("pk"))
    )
    best = dict(
        QuizAttempt.objects.filter(quiz__course=course, agent_id__in=agent_ids)
        .order_by()
        .values_list("agent_id")
        .annotate(best=Max("score"))
    )
    completed = {
        row[0]: row[1:]
        for row in CourseCompletion.objects.filter(course=course, agent_id__in=agent_ids).values_list(
            "agent_id", "completed_at", "skill_granted__name", "level_after"
        )
    }
    return [
        AgentProgress(
            profile=profile,
            course=course,
            due_on=due,
            lessons_total=total,
            lessons_done=done.get(agent_id, 0),
            best_score=best.get(agent_id),
            completed_at=completed.get(agent_id, (None,))[0],
            reason=reasons.get(agent_id, ""),
            skill_granted=completed.get(agent_id, (None, None))[1],
            level_after=completed.get(agent_id, (None, None, None))[2],
            today=today,
        )
        for (agent_id, _course), (profile, due) in reached.items()
    ]


def team_progress(*, course: Course, user: AbstractBaseUser, today: date | None = None) -> list[TeamProgress]:
    """Per team (by name; agents without a team last): how many agents ``course`` is assigned to,
    how many completed it and how many are overdue. The queries of :func:`course_agent_progress`."""
    teams: dict[str, TeamProgress] = {}
    for row in course_agent_progress(course=course, user=user, today=today):
        name = row.profile.team.name if row.profile.team else ""
        summary = teams.setdefault(name, TeamProgress(name=name))
        summary.assigned += 1
        summary.completed += row.is_completed
        summary.overdue += row.is_overdue
    return sorted(teams.values(), key=lambda team: (team.name == "", team.name))


def overdue_assignments(*, user: AbstractBaseUser, today: date | None = None) -> list[AgentProgress]:
    """Every agent ``user`` may follow who is overdue on an active course (due before ``today``,
    not completed), the longest overdue first. Three queries, whatever the number of rows."""
    today = today or _today()
    assignments = list(Assignment.objects.filter(course__is_active=True, due_on__lt=today).select_related("course"))
    reached = _reached(assignments, user)
    if not reached:
        return []
    completed = set(
        CourseCompletion.objects.filter(
            course_id__in={course_id for _agent, course_id in reached},
            agent_id__in={agent_id for agent_id, _course in reached},
        ).values_list("agent_id", "course_id")
    )
    courses = {assignment.course_id: assignment.course for assignment in assignments}
    rows = [
        AgentProgress(profile=profile, course=courses[course_id], due_on=due, today=today)
        for (agent_id, course_id), (profile, due) in reached.items()
        if (agent_id, course_id) not in completed
    ]
    return sorted(rows, key=lambda row: (row.due_on, row.course.title, row.profile.user.get_username()))
