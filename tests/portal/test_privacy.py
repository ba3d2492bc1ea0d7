"""What the portal keeps of a customer follows their merge and goes with their erasure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from contactcenter.portal.models import PortalLink, PortalMessage
from contactcenter.portal.services import portal_link_request, portal_reply_add
from contactcenter.portal.tasks import purge_portal_links
from contactcenter.privacy.models import RetentionKind, RetentionPolicy
from contactcenter.privacy.services import retention_apply
from customers.services import customer_erase, customer_merge
from tests.interactions.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_an_erasure_deletes_the_links_and_blanks_the_messages(customer):
    ticket = TicketFactory(customer=customer)
    portal_link_request(email="chloe.martin@example.test", base_url="http://testserver/")
    portal_reply_add(customer=customer, ticket=ticket, body="Mon adresse est 12 rue des Lilas")

    record = customer_erase(customer=customer)

    assert not PortalLink.objects.exists()
    assert PortalMessage.objects.get().body == "[erased]"
    assert "portal_messages" in str(record.__dict__)


def test_a_merge_moves_the_links_and_messages(customer, other):
    ticket = TicketFactory(customer=other)
    portal_link_request(email="paul@example.test", base_url="http://testserver/")
    portal_reply_add(customer=other, ticket=ticket, body="Bonjour")

    customer_merge(customer=customer, duplicate=other)

    assert PortalLink.objects.get().customer == customer
    assert PortalMessage.objects.get().customer == customer


def test_the_retention_of_notes_reaches_the_portal_messages(customer):
    old = TicketFactory(customer=customer)
    recent = TicketFactory(customer=customer)
    portal_reply_add(customer=customer, ticket=old, body="Ancien message", now=timezone.now() - timedelta(days=400))
    portal_reply_add(customer=customer, ticket=recent, body="Message récent")
    RetentionPolicy.objects.filter(kind=RetentionKind.INTERACTION_NOTES).update(days=365)
    retention_apply()

    assert purge_portal_links()["messages_blanked"] == 1
    assert dict(PortalMessage.objects.values_list("ticket", "body")) == {
        old.pk: "[erased]",
        recent.pk: "Message récent",
    }
    assert purge_portal_links()["messages_blanked"] == 0
