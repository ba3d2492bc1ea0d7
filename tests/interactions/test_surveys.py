"""SPEC §3: survey scores on their kind's scale; one response per interaction and kind."""

import pytest
from django.core.exceptions import ValidationError

from interactions.models import SurveyResponse
from interactions.surveys import survey_response_create
from tests.interactions.factories import InteractionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("kind", "low", "high"), [("csat", 1, 5), ("nps", 0, 10), ("ces", 1, 7)])
def test_scores_on_the_scale_are_accepted_and_off_it_refused(kind, low, high):
    for score in (low, high):
        survey_response_create(interaction=InteractionFactory(), kind=kind, score=score)
    for score in (low - 1, high + 1):
        with pytest.raises(ValidationError) as excinfo:
            survey_response_create(interaction=InteractionFactory(), kind=kind, score=score)
        message = excinfo.value.message_dict["score"][0]
        assert f"between {low} and {high}" in message
    assert SurveyResponse.objects.count() == 2


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        survey_response_create(interaction=InteractionFactory(), kind="happiness", score=3)
    assert "kind" in excinfo.value.message_dict


def test_one_response_per_interaction_and_kind():
    call = InteractionFactory()
    survey_response_create(interaction=call, kind="csat", score=4)
    survey_response_create(interaction=call, kind="nps", score=9)
    with pytest.raises(ValidationError) as excinfo:
        survey_response_create(interaction=call, kind="csat", score=5)
    assert "already has a response" in str(excinfo.value)
