"""The portal's fixtures: a customer with two addresses, a client signed in as them."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from contactcenter.portal.models import PortalLink
from contactcenter.portal.services import portal_link_send_job
from customers.services import customer_create

LINK = re.compile(r"https?://\S+/portal/link/[A-Za-z0-9_-]+/")


@pytest.fixture
def customer(db):
    return customer_create(
        first_name="Chloé",
        last_name="Martin",
        language="fr",
        emails=["chloe.martin@example.test", "chloe@work.example.test"],
    )


@pytest.fixture
def other(db):
    return customer_create(first_name="Paul", last_name="Durand", language="en", emails=["paul@example.test"])


def mailed_link(outbox=None) -> str:
    """Send the queued links (what the job does) and return the link of the last mail."""
    for link in PortalLink.objects.filter(sent_at__isnull=True).order_by("pk"):
        portal_link_send_job(link.pk)
    outbox = mail.outbox if outbox is None else outbox
    assert outbox, "no mail was sent"
    found = LINK.search(outbox[-1].body)
    assert found, outbox[-1].body
    return found.group(0)


def sign_in(client: Client, email: str) -> str:
    """Ask for a link for ``email``, use it; returns the link's path."""
    response = client.post("/portal/sign-in/", {"email": email})
    assert response.status_code == 200
    path = "/" + mailed_link().split("/", 3)[3]
    assert client.post(path).status_code == 302
    return path


@pytest.fixture
def signed_in(customer) -> Client:
    client = Client()
    sign_in(client, "chloe.martin@example.test")
    return client
