"""Signing in to the portal by a single-use link mailed to the customer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client
from django.utils import timezone

from contactcenter.portal.models import PortalLink
from contactcenter.portal.services import portal_link_request, portal_link_send, portal_links_purge, token_hash
from contactcenter.portal.session import CUSTOMER_KEY, EXPIRES_KEY
from contactcenter.portal.tasks import purge_portal_links
from tests.portal.conftest import mailed_link, sign_in

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_the_portal_answers_anonymous_visitors(client):
    response = client.get("/portal/")
    assert response.status_code == 200
    assert "Sign in with your email address" in response.content.decode()


def test_a_link_signs_in_once(customer, client):
    response = client.post("/portal/sign-in/", {"email": " Chloe.Martin@Example.test "})
    assert response.status_code == 200
    url = mailed_link()
    assert mail.outbox[0].to == ["chloe.martin@example.test"]
    # In the customer's language (French).
    assert "lien" in mail.outbox[0].subject.lower()

    # Opening the link only asks to confirm: nothing is used yet.
    assert client.get(path_of(url)).status_code == 200
    assert client.get("/portal/surveys/").status_code == 302
    before = client.session.session_key
    response = client.post(path_of(url))
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert client.session[CUSTOMER_KEY] == customer.pk
    assert client.session.session_key != before  # rotated at sign-in
    assert client.get("/portal/surveys/").status_code == 200

    # The same link again, in another browser: refused.
    again = Client()
    assert again.get(path_of(url)).status_code == 410
    assert again.post(path_of(url)).status_code == 410
    assert CUSTOMER_KEY not in again.session


def test_the_token_is_not_stored(customer):
    link = portal_link_request(email="chloe.martin@example.test", base_url="http://testserver/")
    url = mailed_link()
    token = url.rstrip("/").rsplit("/", 1)[1]
    link.refresh_from_db()
    stored = " ".join(str(value) for value in PortalLink.objects.filter(pk=link.pk).values().first().values())
    assert token not in stored
    assert link.token_hash == token_hash(token)


def test_any_of_the_customers_addresses_signs_in(customer, client):
    sign_in(client, "chloe@work.example.test")
    assert client.session[CUSTOMER_KEY] == customer.pk
    assert mail.outbox[0].to == ["chloe@work.example.test"]


def test_an_expired_link_is_refused(customer, client):
    client.post("/portal/sign-in/", {"email": "chloe.martin@example.test"})
    url = mailed_link()
    PortalLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(path_of(url)).status_code == 410
    assert client.post(path_of(url)).status_code == 410
    assert CUSTOMER_KEY not in client.session


def test_a_link_is_valid_fifteen_minutes(customer):
    link = portal_link_request(email="chloe.martin@example.test", base_url="http://testserver/")
    assert timedelta(minutes=14, seconds=59) < link.expires_at - link.created_at <= timedelta(minutes=15, seconds=1)


def test_an_unknown_link_is_refused(client, customer):
    assert client.get("/portal/link/not-a-token/").status_code == 410
    assert client.post("/portal/link/not-a-token/").status_code == 410


def test_known_and_unknown_addresses_get_the_same_answer(customer):
    known = Client().post("/portal/sign-in/", {"email": "chloe.martin@example.test"})
    unknown = Client().post("/portal/sign-in/", {"email": "nobody@example.test"})
    assert known.status_code == unknown.status_code == 200

    def text(response, email):
        return response.content.decode().replace(email, "ADDRESS").split('name="csrfmiddlewaretoken" value="')[0]

    assert text(known, "chloe.martin@example.test") == text(unknown, "nobody@example.test")
    assert PortalLink.objects.count() == 1
    mailed_link()
    assert len(mail.outbox) == 1


def test_link_requests_are_limited_per_address_and_client(customer, settings):
    settings.LOGIN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT = 3
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _attempt in range(3):
        assert client.post("/portal/sign-in/", {"email": "nobody@example.test"}).status_code == 200
    refused = client.post("/portal/sign-in/", {"email": "nobody@example.test"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    # Known or not, the same: the known address is limited the same way.
    for _attempt in range(3):
        client.post("/portal/sign-in/", {"email": "chloe.martin@example.test"})
    assert client.post("/portal/sign-in/", {"email": "chloe.martin@example.test"}).status_code == 429
    # Another client address is counted apart.
    assert (
        Client(REMOTE_ADDR="198.51.100.4").post("/portal/sign-in/", {"email": "nobody@example.test"}).status_code == 200
    )
    assert AccessAttempt.objects.filter(username="nobody@example.test", ip_address="203.0.113.7").exists()


def test_the_limit_counts_the_address_behind_a_trusted_proxy(customer, settings):
    settings.LOGIN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT = 2
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    first = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    for _attempt in range(2):
        first.post("/portal/sign-in/", {"email": "nobody@example.test"})
    assert first.post("/portal/sign-in/", {"email": "nobody@example.test"}).status_code == 429
    second = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert second.post("/portal/sign-in/", {"email": "nobody@example.test"}).status_code == 200


def test_wrong_links_are_limited_per_client(customer, settings):
    settings.LOGIN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT = 2
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _attempt in range(2):
        assert client.post("/portal/link/guess/").status_code == 410
    assert client.post("/portal/link/guess/").status_code == 429


def test_links_sent_to_one_customer_are_capped(customer, settings):
    settings.PORTAL_LINKS_PER_CUSTOMER = 2
    for _attempt in range(4):
        Client().post("/portal/sign-in/", {"email": "chloe.martin@example.test"})
    assert PortalLink.objects.count() == 2


def test_a_link_is_mailed_once_and_never_once_used(customer):
    link = portal_link_request(email="chloe.martin@example.test", base_url="http://testserver/")
    mailed_link()
    assert portal_link_send(link_id=link.pk) == "skipped"
    assert len(mail.outbox) == 1


def test_sign_out_ends_the_portal_session(signed_in):
    assert signed_in.get("/portal/surveys/").status_code == 200
    before = signed_in.session.session_key
    assert signed_in.post("/portal/sign-out/").status_code == 302
    assert signed_in.get("/portal/surveys/").status_code == 302
    assert signed_in.session.session_key != before


def test_the_portal_session_expires(signed_in):
    session = signed_in.session
    session[EXPIRES_KEY] = 1.0
    session.save()
    assert signed_in.get("/portal/surveys/").status_code == 302
    assert CUSTOMER_KEY not in signed_in.session


def test_an_erased_customer_is_signed_out(signed_in, customer):
    customer.erased_at = timezone.now()
    customer.save(update_fields=["erased_at"])
    assert signed_in.get("/portal/surveys/").status_code == 302


def test_the_page_speaks_the_customers_language_unless_they_chose(signed_in, settings):
    assert 'lang="fr"' in signed_in.get("/portal/").content.decode()
    signed_in.post("/i18n/setlang/", {"language": "en", "next": "/portal/"})
    assert 'lang="en"' in signed_in.get("/portal/").content.decode()


def test_old_links_are_purged(customer):
    link = portal_link_request(email="chloe.martin@example.test", base_url="http://testserver/")
    assert portal_links_purge() == 0
    PortalLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(days=8))
    assert purge_portal_links() == {"deleted": 1, "messages_blanked": 0}
