"""Training fixtures: a course of two lessons and a quiz, assigned to team A."""

from __future__ import annotations

import pytest

from tests.training.factories import assign, make_course


@pytest.fixture
def course(org):
    course = make_course(title="Billing basics", by=org.manager)
    assign(course, team=org.team_a)
    return course
