"""``contactcenter.core.db.relations_carried``: a saved row keeps the related rows read with it
before the write, as long as it still points to them."""

import pytest

from contactcenter.core.db import relations_carried
from interactions.models import Interaction
from tests.customers.factories import CustomerFactory
from tests.interactions.factories import InteractionFactory

pytestmark = pytest.mark.django_db

RELATIONS = ("queue", "agent", "customer", "script_version__script", "cti_call")


def test_the_relations_still_named_travel_and_the_others_are_read_again(org, django_assert_num_queries):
    before = CustomerFactory()
    interaction = InteractionFactory(queue=org.queue_a, agent=org.agent_a, customer=before)
    read = Interaction.objects.select_related("queue", "agent", "customer", "cti_call").get(pk=interaction.pk)
    saved = Interaction.objects.get(pk=interaction.pk)
    saved.queue_id = org.queue_b.pk  # the write moved it: its queue is not the one read
    with django_assert_num_queries(0):
        relations_carried(saved, read=read, names=RELATIONS)
        assert (saved.agent, saved.customer) == (org.agent_a, before)
        assert getattr(saved, "cti_call", None) is None  # read as none: carried as none
    with django_assert_num_queries(1):
        assert saved.queue == org.queue_b


def test_a_relation_the_saved_row_holds_already_stays_its_own(org):
    interaction = InteractionFactory(queue=org.queue_a, agent=org.agent_a, customer=CustomerFactory())
    read = Interaction.objects.select_related("customer").get(pk=interaction.pk)
    saved = Interaction.objects.get(pk=interaction.pk)
    chosen = CustomerFactory()
    saved.customer = chosen
    relations_carried(saved, read=read, names=RELATIONS)
    assert saved.customer is chosen


def test_only_the_same_row(org):
    one, other = InteractionFactory(queue=org.queue_a), InteractionFactory(queue=org.queue_a)
    with pytest.raises(ValueError):
        relations_carried(one, read=other, names=RELATIONS)
