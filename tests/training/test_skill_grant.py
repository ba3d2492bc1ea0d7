"""A course can grant a skill at a level, which routing uses: completing it raises the agent's
skill level (never lowers it), records what was granted, and waiting work for that skill is then
offered to them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from contactcenter.distribution.models import AgentSkillLevel, QueueSkillLevel, WorkItem, WorkState
from contactcenter.distribution.selectors import routing_candidates
from contactcenter.distribution.services import agent_skill_raise
from contactcenter.training.models import CourseCompletion
from contactcenter.training.selectors import assigned_courses, course_agent_progress
from contactcenter.training.services import lesson_complete, quiz_submit
from tests.agents.factories import SkillFactory
from tests.routing.factories import agent_in, chat_queue, waiting_item
from tests.training.factories import all_right, assign, make_course

pytestmark = pytest.mark.django_db


def _complete(course, user):
    for lesson in course.lessons.order_by("order"):
        lesson_complete(agent=user, lesson=lesson)
    if hasattr(course, "quiz"):
        quiz_submit(agent=user, quiz=course.quiz, answers=all_right(course.quiz))
    return CourseCompletion.objects.get(agent=user, course=course)


def _level(profile, skill) -> int:
    (candidate,) = routing_candidates(
        queue_ids=list(profile.queues.values_list("pk", flat=True)), user_id=profile.user_id
    )
    return candidate.levels.get(skill.pk, 0)


@pytest.fixture
def french():
    return SkillFactory(name="french")


def test_completing_the_course_grants_the_skill_at_its_level(french):
    queue = chat_queue()
    profile = agent_in(queue, "anna", status="offline")
    course = make_course(title="French for support", grants_skill=french, grants_level=3)
    assign(course, agent=profile.user)
    # Given the agent does not hold the skill; the course is not done yet.
    lesson_complete(agent=profile.user, lesson=course.lessons.order_by("order").first())
    assert _level(profile, french) == 0
    # When they complete it, then routing reads the skill at level 3.
    completion = _complete(course, profile.user)
    assert _level(profile, french) == 3
    assert AgentSkillLevel.objects.get(profile=profile, skill=french).level == 3
    assert (completion.skill_granted, completion.level_before, completion.level_after) == (french, 0, 3)


def test_a_higher_level_is_never_lowered(french):
    queue = chat_queue()
    profile = agent_in(queue, "expert", status="offline")
    profile.skills.add(french)
    AgentSkillLevel.objects.create(profile=profile, skill=french, level=5)
    course = make_course(grants_skill=french, grants_level=2, quiz=False)
    assign(course, agent=profile.user)
    completion = _complete(course, profile.user)
    assert _level(profile, french) == 5
    assert (completion.level_before, completion.level_after) == (5, 5)


def test_a_lower_level_is_raised_and_level_one_needs_no_row(french):
    queue = chat_queue()
    profile = agent_in(queue, "beginner", status="offline")
    profile.skills.add(french)  # held without a level: 1
    assert agent_skill_raise(agent=profile.user, skill=french, level=1).after == 1
    assert not AgentSkillLevel.objects.filter(profile=profile).exists()
    raised = agent_skill_raise(agent=profile.user, skill=french, level=4)
    assert (raised.before, raised.after) == (1, 4)
    assert _level(profile, french) == 4


def test_a_course_without_skill_grants_nothing(org):
    course = make_course(quiz=False)
    assign(course, agent=org.agent_a)
    completion = _complete(course, org.agent_a)
    assert (completion.skill_granted, completion.level_before, completion.level_after) == (None, None, None)


def test_a_user_without_agent_profile_is_granted_nothing(org, french):
    assert agent_skill_raise(agent=org.nobody, skill=french, level=2) is None


def test_then_routing_offers_the_waiting_work_asking_that_skill(french, django_capture_on_commit_callbacks):
    # Given a chat queue asking French at level 3 and a chat waiting in it, and an available agent
    # of that queue without the skill: nothing is offered to them.
    queue = chat_queue()
    queue.skills.add(french)
    QueueSkillLevel.objects.create(queue=queue, skill=french, level=3)
    profile = agent_in(queue, "anna")
    item = waiting_item(queue, required_skills=[[french.pk, 3]])
    course = make_course(quiz=False, lessons=1, grants_skill=french, grants_level=3)
    assign(course, agent=profile.user)
    # When they complete the course granting French at level 3,
    with django_capture_on_commit_callbacks(execute=True):
        lesson_complete(agent=profile.user, lesson=course.lessons.get())
    # then the waiting chat is offered to them at once.
    item.refresh_from_db()
    assert (item.state, item.offered_to_id) == (WorkState.OFFERED, profile.user_id)
    assert WorkItem.objects.filter(state=WorkState.OFFERED).count() == 1


def test_the_grant_shows_in_the_agents_list_and_the_progress(org, french):
    course = make_course(quiz=False, lessons=1, grants_skill=french, grants_level=2)
    assign(course, agent=org.agent_a, reason="Greeting under 60 % over the last 5 evaluations")
    (row,) = assigned_courses(user=org.agent_a)
    assert (row.reason, row.skill_granted) == ("Greeting under 60 % over the last 5 evaluations", None)
    lesson_complete(agent=org.agent_a, lesson=course.lessons.get())
    (row,) = assigned_courses(user=org.agent_a)
    assert (row.skill_granted, row.level_after) == ("french", 2)
    (progress,) = course_agent_progress(course=course, user=org.manager)
    assert (progress.skill_granted, progress.level_after, progress.reason) == (
        "french",
        2,
        "Greeting under 60 % over the last 5 evaluations",
    )


def test_the_desk_and_the_api_show_the_reason_and_the_grant(org, french, client, api_client_for):
    course = make_course(title="French for support", quiz=False, lessons=1, grants_skill=french, grants_level=3)
    assign(course, agent=org.agent_a, reason="“Greeting” averaged 0 % over your last 3 evaluations")
    client.force_login(org.agent_a)
    page = client.get(reverse("desk:training")).content.decode()
    assert "Why: “Greeting” averaged 0 % over your last 3 evaluations" in page
    assert "Grants the skill french, level 3" in page
    detail = client.get(reverse("desk:training_course", args=[course.pk])).content.decode()
    assert "Completing this course grants the skill french, level 3." in detail
    (row,) = api_client_for(org.agent_a).get("/api/v1/training/").json()["results"]
    assert row["reason"].startswith("“Greeting” averaged 0 %")
    assert (row["grants"], row["progress"]["skill_granted"]) == ({"skill": "french", "level": 3}, None)
    lesson_complete(agent=org.agent_a, lesson=course.lessons.get())
    assert "Skill granted: french, level 3" in client.get(reverse("desk:training")).content.decode()
    (row,) = api_client_for(org.agent_a).get("/api/v1/training/").json()["results"]
    assert (row["progress"]["skill_granted"], row["progress"]["level_after"]) == ("french", 3)
    body = api_client_for(org.agent_a).get(f"/api/v1/training/{course.pk}/").json()
    assert body["grants"] == {"skill": "french", "level": 3}
