"""A caller the center does not know becomes a customer and is put on the call, both or neither
(:func:`customers.services.customer_create_from_call`, used by the desktop's new-customer form)."""

import pytest
from django.core.exceptions import ValidationError

from customers import services
from customers.models import ContactPoint, Customer
from customers.services import customer_create_from_call
from interactions.models import Interaction
from tests.interactions.factories import InteractionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def unknown_call(org) -> Interaction:
    return InteractionFactory(customer=None, agent=org.agent_a, queue=org.queue_a, wrapup_ended_at=None)


def test_the_new_customer_is_created_with_the_callers_number_and_put_on_the_call(
    org, unknown_call, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        customer = customer_create_from_call(
            interaction=unknown_call,
            by=org.agent_a,
            first_name="Jean",
            last_name="Valjean",
            language="fr",
            phones=["0033 6 98 76 54 32"],
            emails=["Jean@Example.FR"],
        )

    assert Interaction.objects.get(pk=unknown_call.pk).customer == customer
    assert set(customer.contact_points.values_list("value", flat=True)) == {"+33698765432", "jean@example.fr"}
    assert customer.history.get().history_user == org.agent_a
    assert Interaction.objects.get(pk=unknown_call.pk).history.latest().history_user == org.agent_a
    assert callbacks  # the wallboard hears of the contact again (interaction_logged), after commit


def test_bad_fields_are_all_named_and_nothing_is_written(org, unknown_call):
    with pytest.raises(ValidationError) as caught:
        customer_create_from_call(
            interaction=unknown_call, by=org.agent_a, last_name="x" * 101, phones=["not a phone"], emails=["nope"]
        )

    assert {"last_name", "phones", "emails"} <= set(caught.value.message_dict)
    assert not Customer.objects.exists() and not ContactPoint.objects.exists()
    assert Interaction.objects.get(pk=unknown_call.pk).customer is None


def test_a_call_that_cannot_take_the_customer_leaves_no_customer_behind(org, unknown_call, monkeypatch):
    def refuse(**kwargs):
        raise ValidationError({"customer": ["The contact is locked."]})

    monkeypatch.setattr(services, "interaction_update", refuse)
    with pytest.raises(ValidationError):
        customer_create_from_call(interaction=unknown_call, by=org.agent_a, last_name="Valjean", phones=["0698765432"])

    assert not Customer.objects.exists() and not ContactPoint.objects.exists()
