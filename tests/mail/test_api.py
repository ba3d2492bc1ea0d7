"""``mailboxes/``: admins manage the mailboxes; the IMAP password goes in and never comes out."""

from __future__ import annotations

import pytest
from django.urls import reverse

from contactcenter.mail.inbound import email_receive
from contactcenter.mail.models import Mailbox
from contactcenter.mail.services import mailbox_create
from tests.mail.conftest import corpus

pytestmark = pytest.mark.django_db

LIST = reverse("mailbox-list")


def detail(mailbox: Mailbox) -> str:
    return reverse("mailbox-detail", kwargs={"pk": mailbox.pk})


def test_an_admin_creates_a_piped_mailbox_with_address_queue_and_language(org, api_client_for):
    response = api_client_for(org.admin).post(
        LIST, {"address": "Support@Example.com", "queue": "Queue A", "language": "fr"}, format="json"
    )

    assert response.status_code == 201, response.data
    mailbox = Mailbox.objects.get()
    assert (mailbox.address, mailbox.queue, mailbox.language) == ("support@example.com", org.queue_a, "fr")
    assert (mailbox.imap_host, mailbox.imap_port, mailbox.imap_use_tls, mailbox.imap_folder) == ("", 993, True, "INBOX")
    assert response.data["queue"] == "Queue A" and response.data["has_imap_password"] is False


def test_the_imap_password_is_write_only_and_kept_when_left_blank(org, api_client_for):
    client = api_client_for(org.admin)
    created = client.post(
        LIST,
        {
            "address": "imap@example.com",
            "queue": "Queue A",
            "language": "en",
            "imap_host": "imap.example.com",
            "imap_username": "support",
            "imap_password": "Imap-secret-1",
        },
        format="json",
    )
    assert created.status_code == 201, created.data
    mailbox = Mailbox.objects.get()
    for answer in (created, client.get(detail(mailbox)), client.get(LIST)):
        assert "Imap-secret-1" not in answer.content.decode() and '"imap_password"' not in answer.content.decode()
    assert created.data["has_imap_password"] is True

    changed = client.patch(detail(mailbox), {"imap_password": "", "signature": "Merci"}, format="json")
    assert changed.status_code == 200
    mailbox.refresh_from_db()
    assert (mailbox.imap_password, mailbox.signature) == ("Imap-secret-1", "Merci")
    client.patch(detail(mailbox), {"imap_password": "Imap-secret-2"}, format="json")
    mailbox.refresh_from_db()
    assert mailbox.imap_password == "Imap-secret-2"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"address": "not-an-address", "queue": "Queue A"}, "address"),
        ({"address": "a@example.com", "queue": "No such queue"}, "queue"),
        ({"address": "a@example.com"}, "queue"),
        ({"address": "a@example.com", "queue": "Queue A", "imap_host": "imap.example.com"}, "imap_username"),
        ({"address": "a@example.com", "queue": "Queue A", "imap_port": 0}, "imap_port"),
        (
            {"address": "a@example.com", "queue": "Queue A", "acknowledgement_body": "Hi {first}"},
            "acknowledgement_body",
        ),
    ],
)
def test_bad_fields_are_named_and_nothing_is_created(org, api_client_for, body, field):
    response = api_client_for(org.admin).post(LIST, body, format="json")
    assert response.status_code == 400 and field in response.data, response.data
    assert not Mailbox.objects.exists()


def test_an_address_is_one_mailbox(org, api_client_for):
    mailbox_create(address="support@example.com", queue=org.queue_a)
    response = api_client_for(org.admin).post(
        LIST, {"address": "SUPPORT@example.com", "queue": "Queue A"}, format="json"
    )
    assert response.status_code == 400 and "address" in response.data


def test_a_mailbox_with_mail_is_deactivated_not_deleted(org, api_client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    mailbox = mailbox_create(address="support@example.com", queue=org.queue_a)
    email_receive(mailbox=mailbox, raw=corpus("apple_mail.eml"))

    response = api_client_for(org.admin).delete(detail(mailbox))

    assert response.status_code == 409 and "deactivate" in response.data["detail"]
    assert Mailbox.objects.filter(pk=mailbox.pk).exists()


def test_the_list_is_paginated_in_a_bounded_number_of_queries(org, api_client_for, django_assert_num_queries):
    for index in range(3):
        mailbox_create(address=f"box{index}@example.com", queue=org.queue_a)
    client = api_client_for(org.admin)
    client.get(LIST)  # the token's first use is recorded once
    # The token and its user, then the page (mailboxes with their queue joined): whatever the rows.
    with django_assert_num_queries(2):
        response = client.get(LIST, {"page_size": 2})
    assert [row["address"] for row in response.data["results"]] == ["box0@example.com", "box1@example.com"]
    assert response.data["next"] is not None
