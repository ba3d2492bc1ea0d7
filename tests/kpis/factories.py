import factory

from kpis.models import SurveyResponse
from tests.interactions.factories import InteractionFactory


class SurveyResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyResponse

    interaction = factory.SubFactory(InteractionFactory)
    kind = "csat"
    score = 5
