"""SPEC §8: every POST of the API takes an ``Idempotency-Key``: same key and body, the first answer
again; another body, 422; keys kept 7 days; concurrent duplicates do the work once."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError, transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from contactcenter.agents.models import Team
from contactcenter.core.api.idempotency import request_fingerprint
from contactcenter.core.models import IdempotencyKey
from interactions import services
from interactions.models import Interaction, Ticket
from tests.agents.factories import PASSWORD
from tests.concurrency import race, role_groups, run_concurrently  # noqa: F401 (role_groups: a fixture)

pytestmark = pytest.mark.django_db

TICKETS = reverse("ticket-list")
INTERACTIONS = reverse("interaction-list")


def post(client: APIClient, url: str, body, key: str | None = "key-1", **headers):
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(url, body, format="json", **headers)


@pytest.fixture
def agent(org, api_client_for) -> APIClient:
    return api_client_for(org.agent_a)


def test_the_same_key_and_body_get_the_first_answer_again_and_do_the_work_once(agent):
    first = post(agent, TICKETS, {"subject": "Router down", "queue": "Queue A"})
    again = post(agent, TICKETS, {"subject": "Router down", "queue": "Queue A"})

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Ticket.objects.count() == 1


def test_the_same_json_written_differently_is_the_same_body(agent):
    post(agent, TICKETS, {"subject": "Router down", "queue": "Queue A"})
    raw = json.dumps({"queue": "Queue A", "subject": "Router down"}, indent=2)
    again = agent.post(TICKETS, raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="key-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1


def test_the_same_key_with_another_body_or_path_answers_422_and_does_nothing(agent):
    post(agent, TICKETS, {"subject": "Router down"})
    other_body = post(agent, TICKETS, {"subject": "Printer down"})
    other_path = post(agent, INTERACTIONS, {"channel": "chat", "offered_at": "2026-01-05T09:00:00Z"})

    assert (other_body.status_code, other_path.status_code) == (422, 422)
    assert "another request" in other_body.json()["detail"]
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["Router down"]
    assert not Interaction.objects.exists()


def test_keys_belong_to_their_user(org, agent, api_client_for):
    post(agent, TICKETS, {"subject": "Router down"})
    theirs = post(api_client_for(org.agent_b), TICKETS, {"subject": "Router down"})
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs
    assert Ticket.objects.count() == 2


def test_a_refused_request_is_not_remembered_so_the_corrected_one_goes_through(agent):
    refused = post(agent, TICKETS, {"subject": ""})
    corrected = post(agent, TICKETS, {"subject": "Router down"})
    assert (refused.status_code, corrected.status_code) == (400, 201)
    assert IdempotencyKey.objects.get().response_status == 201


@pytest.mark.parametrize("key", ["", "   ", "k" * 256, "tab\there"])
def test_a_key_that_is_empty_or_longer_than_255_characters_answers_400(agent, key):
    response = post(agent, TICKETS, {"subject": "Router down"}, key=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert not Ticket.objects.exists()


def test_a_key_of_255_characters_is_fine(agent):
    assert post(agent, TICKETS, {"subject": "Router down"}, key="k" * 255).status_code == 201


def test_every_post_of_the_api_is_covered_without_its_view_knowing(org, api_client_for):
    admin = api_client_for(org.admin)
    first = post(admin, reverse("team-list"), {"name": "Night shift"})
    again = post(admin, reverse("team-list"), {"name": "Night shift"})
    assert (first.status_code, again.status_code) == (201, 201)  # without the key: 400, the name is taken
    assert Team.objects.filter(name="Night shift").count() == 1


def test_requests_without_a_key_or_not_posts_are_left_alone(agent):
    assert post(agent, TICKETS, {"subject": "Router down"}, key=None).status_code == 201
    assert agent.get(TICKETS, HTTP_IDEMPOTENCY_KEY="key-1").status_code == 200
    assert not IdempotencyKey.objects.exists()


def test_an_anonymous_request_gets_the_views_answer(org):
    response = post(APIClient(), TICKETS, {"subject": "Router down"})
    assert response.status_code == 401
    assert not IdempotencyKey.objects.exists()


def test_a_duplicate_that_finds_the_first_still_running_answers_409(org, agent):
    body = {"subject": "Router down"}
    IdempotencyKey.objects.create(
        user=org.agent_a,
        key="key-1",
        method="POST",
        path=TICKETS,
        request_hash=request_fingerprint("POST", TICKETS, json.dumps(body).encode()),
    )
    response = post(agent, TICKETS, body)
    assert response.status_code == 409 and response["Retry-After"] == "1"
    assert not Ticket.objects.exists()


def test_a_database_outage_answers_503_with_retry_after(agent, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(IdempotencyKey.objects, "create", down)
    response = post(agent, TICKETS, {"subject": "Router down"})
    assert response.status_code == 503 and response["Retry-After"]
    assert not Ticket.objects.exists()


def test_token_requests_are_never_stored(org, agent):
    body = {"username": "agent_a", "password": PASSWORD}
    assert post(agent, reverse("auth-token"), body).status_code == 200
    assert not IdempotencyKey.objects.exists()


def test_keys_are_kept_seven_days_then_count_as_new_and_are_purged(agent):
    post(agent, TICKETS, {"subject": "Router down"})
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(days=7, minutes=1))

    again = post(agent, TICKETS, {"subject": "Printer down"})  # an expired key is a new key
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    post(agent, TICKETS, {"subject": "Old"}, key="key-2")
    IdempotencyKey.objects.filter(key="key-2").update(created_at=timezone.now() - timedelta(days=8))

    call_command("purge_idempotency_keys", verbosity=0)

    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["key-1"]


@race
def test_concurrent_duplicates_do_the_work_once_and_both_get_the_answer(org, api_client_for, monkeypatch):
    original = services.interaction_create

    def slow_create(**fields):
        with transaction.atomic():
            interaction = original(**fields)
            time.sleep(0.3)  # the duplicate arrives while this one runs
        return interaction

    monkeypatch.setattr(services, "interaction_create", slow_create)
    body = {"channel": "chat", "queue": "Queue A", "offered_at": "2026-01-05T09:00:00Z"}

    responses = run_concurrently(
        *(lambda: post(api_client_for(org.agent_a), INTERACTIONS, body, key="race") for _ in range(2))
    )

    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].json() == responses[1].json()
    assert sum(r.has_header("Idempotent-Replayed") for r in responses) == 1
    assert Interaction.objects.count() == 1
