"""Services called by a service in one transaction (contactcenter/core/transactions.py): no
savepoint each inside services_joined, and still all or nothing; a savepoint each elsewhere."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contactcenter.agents.models import Team
from contactcenter.core.transactions import service_atomic, services_joined

pytestmark = pytest.mark.django_db


@service_atomic
def add_team(name: str) -> Team:
    team = Team.objects.create(name=name)
    if name.startswith("bad"):
        raise ValidationError({"name": ["Not this name."]})
    return team


@service_atomic
def add_teams(*names: str) -> None:
    for name in names:
        try:
            add_team(name)
        except ValidationError:
            continue  # a service that goes on after another's error: it keeps their savepoints


def savepoints(context: CaptureQueriesContext) -> int:
    return sum(query["sql"].startswith("SAVEPOINT") for query in context.captured_queries)


def test_joined_services_take_no_savepoint_of_their_own():
    with CaptureQueriesContext(connection) as context, services_joined():
        add_team("North")
        add_team("South")
    assert savepoints(context) == 1  # the block's own (a test runs in a transaction already)
    assert set(Team.objects.values_list("name", flat=True)) >= {"North", "South"}


def test_an_error_in_a_joined_service_rolls_back_every_one():
    with pytest.raises(ValidationError), services_joined():
        add_team("North")
        add_team("bad East")
    assert not Team.objects.filter(name__in=["North", "bad East"]).exists()
    Team.objects.create(name="West")  # the transaction goes on after the block
    assert Team.objects.filter(name="West").exists()


def test_outside_a_join_a_service_keeps_its_savepoint_and_its_caller_may_go_on():
    with CaptureQueriesContext(connection) as context:
        add_teams("North", "bad East", "South")
    assert savepoints(context) == 4  # add_teams's, then one for each add_team
    assert set(Team.objects.filter(name__in=["North", "bad East", "South"]).values_list("name", flat=True)) == {
        "North",
        "South",
    }


def test_a_joined_service_gives_the_services_it_calls_their_savepoints():
    with CaptureQueriesContext(connection) as context, services_joined():
        add_teams("North", "bad East")
    assert savepoints(context) == 3  # the block's, then add_team's twice: add_teams runs without one
    assert not Team.objects.filter(name="bad East").exists()
    assert Team.objects.filter(name="North").exists()


@service_atomic(joins=True)
def add_pair(first: str, second: str) -> None:
    add_team(first)
    add_team(second)


def test_a_service_that_joins_runs_the_services_it_calls_in_its_savepoint_only():
    with CaptureQueriesContext(connection) as context:
        add_pair("North", "South")
    assert savepoints(context) == 1
    with pytest.raises(ValidationError):
        add_pair("East", "bad West")
    assert not Team.objects.filter(name__in=["East", "bad West"]).exists()
    assert Team.objects.filter(name__in=["North", "South"]).count() == 2
