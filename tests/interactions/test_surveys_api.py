"""SPEC §3 and §5: ``surveys/``: scores on their kind's scale, one response per interaction and
kind (409 for a second), on interactions the caller may see."""

from __future__ import annotations

import pytest
from django.urls import reverse

from interactions.models import SurveyResponse
from tests.interactions.factories import InteractionFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db

LIST = reverse("survey-list")


@pytest.fixture
def agent(org, api_client_for):
    return api_client_for(org.agent_a)


@pytest.fixture
def call(org):
    return InteractionFactory(queue=org.queue_a, agent=org.agent_a)


def test_a_response_is_recorded_and_given_back(agent, call):
    response = agent.post(LIST, {"interaction": call.pk, "kind": "nps", "score": 9, "comment": "Quick and kind"})
    assert response.status_code == 201, response.data
    assert {k: response.data[k] for k in ("interaction", "kind", "score", "comment")} == {
        "interaction": call.pk,
        "kind": "nps",
        "score": 9,
        "comment": "Quick and kind",
    }
    assert response.data["created_at"].endswith("Z")
    assert SurveyResponse.objects.get().interaction == call


@pytest.mark.parametrize(("kind", "low", "high"), [("csat", 1, 5), ("nps", 0, 10), ("ces", 1, 7)])
def test_a_score_off_its_kinds_scale_answers_400_naming_score(agent, call, kind, low, high):
    for score in (low - 1, high + 1):
        response = agent.post(LIST, {"interaction": call.pk, "kind": kind, "score": score})
        assert response.status_code == 400
        assert list(response.data) == ["score"]
        assert f"between {low} and {high}" in response.data["score"][0]
    assert agent.post(LIST, {"interaction": call.pk, "kind": kind, "score": high}).status_code == 201


def test_a_second_response_of_one_kind_answers_409_and_the_first_stands(agent, call):
    first = agent.post(LIST, {"interaction": call.pk, "kind": "csat", "score": 2})
    second = agent.post(LIST, {"interaction": call.pk, "kind": "csat", "score": 5})
    other_kind = agent.post(LIST, {"interaction": call.pk, "kind": "ces", "score": 5})

    assert (first.status_code, second.status_code, other_kind.status_code) == (201, 409, 201)
    assert second.data["id"] == first.data["id"]
    assert "already has a response" in second.data["detail"]
    assert SurveyResponse.objects.get(kind="csat").score == 2


def test_an_interaction_out_of_sight_is_as_if_it_did_not_exist(org, api_client_for, call):
    response = api_client_for(org.agent_b).post(LIST, {"interaction": call.pk, "kind": "csat", "score": 5})
    missing = api_client_for(org.agent_b).post(LIST, {"interaction": 10**9, "kind": "csat", "score": 5})
    assert (response.status_code, missing.status_code) == (400, 400)
    assert response.data == missing.data | {
        "interaction": [m.replace(str(10**9), str(call.pk)) for m in missing.data["interaction"]]
    }
    assert not SurveyResponse.objects.exists()


def test_unknown_kind_and_missing_fields_name_each_field(agent):
    response = agent.post(LIST, {"kind": "happiness"})
    assert response.status_code == 400
    assert set(response.data) == {"interaction", "kind", "score"}


def test_each_role_lists_the_responses_of_the_interactions_it_sees(org, api_client_for, call):
    mine = SurveyResponseFactory(interaction=call)
    theirs = SurveyResponseFactory(interaction=InteractionFactory(queue=org.queue_b, agent=org.agent_b))

    def ids(user, **params) -> set[int]:
        response = api_client_for(user).get(LIST, params)
        assert response.status_code == 200, response.data
        return {row["id"] for row in response.data["results"]}

    assert ids(org.agent_a) == {mine.pk}
    assert ids(org.agent_b) == {theirs.pk}
    assert ids(org.manager) == {mine.pk, theirs.pk}
    assert ids(org.manager, interaction=call.pk) == {mine.pk}
    assert ids(org.manager, kind="nps") == set()


@pytest.mark.parametrize(("param", "value"), [("kind", "happiness"), ("interaction", "one")])
def test_a_bad_filter_value_answers_400_naming_it(org, api_client_for, param, value):
    response = api_client_for(org.manager).get(LIST, {param: value})
    assert response.status_code == 400 and list(response.data) == [param]


@pytest.mark.parametrize("rows", [1, 60])
def test_a_page_costs_the_same_queries_for_1_or_60_rows(org, api_client_for, rows, django_assert_max_num_queries):
    for _ in range(rows):
        SurveyResponseFactory(interaction=InteractionFactory(queue=org.queue_a))
    client = api_client_for(org.supervisor_a)
    with django_assert_max_num_queries(4):
        response = client.get(LIST, {"page_size": 100})
    assert len(response.data["results"]) == rows
