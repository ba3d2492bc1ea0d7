"""What the portal keeps of a customer follows their merge and goes with their erasure."""

from __future__ import annotations

import pytest

from contactcenter.portal.models import PortalLink, PortalMessage
from contactcenter.portal.services import portal_link_request, portal_reply_add
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
