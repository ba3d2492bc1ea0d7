from datetime import UTC, datetime, timedelta

import factory

from interactions.models import Interaction, SurveyResponse, Ticket, TicketComment
from tests.agents.factories import QueueFactory
from tests.customers.factories import CustomerFactory

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class InteractionFactory(factory.django.DjangoModelFactory):
    """An answered inbound voice call: 10 s wait, 5 min conversation, 1 min wrap-up."""

    class Meta:
        model = Interaction

    channel = "voice"
    direction = "inbound"
    customer = factory.SubFactory(CustomerFactory)
    queue = factory.SubFactory(QueueFactory)
    offered_at = T0
    answered_at = factory.LazyAttribute(lambda i: i.offered_at + timedelta(seconds=10))
    ended_at = factory.LazyAttribute(lambda i: i.answered_at + timedelta(minutes=5))
    wrapup_ended_at = factory.LazyAttribute(lambda i: i.ended_at + timedelta(minutes=1))
    hold_seconds = 0


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    reference = factory.Sequence(lambda n: f"T-F{n:06d}")
    subject = factory.Faker("sentence", nb_words=5)
    customer = factory.SubFactory(CustomerFactory)
    queue = factory.SubFactory(QueueFactory)


class TicketCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketComment

    ticket = factory.SubFactory(TicketFactory)
    body = factory.Faker("paragraph")


class SurveyResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyResponse

    interaction = factory.SubFactory(InteractionFactory)
    kind = "csat"
    score = 5
