"""The desktop's callbacks (docs/desktop.md, *Callbacks*): the log's "callback" disposition promises
one; the "My callbacks" panel shows the number to dial and logs each try's outcome."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from contactcenter.agents.models import AgentProfile, Status
from contactcenter.distribution.models import Callback, WorkState
from contactcenter.distribution.services import callback_create, offer_accept, routing_dispatch
from contactcenter.telephony.models import Command
from customers.services import customer_create
from interactions.models import Interaction
from tests.desk.test_desktop import HTMX, call
from tests.telephony.helpers import bridge_online

pytestmark = pytest.mark.django_db


@pytest.fixture
def center(org):
    """``org`` with agent A available since yesterday."""
    AgentProfile.objects.filter(user=org.agent_a).update(
        status=Status.AVAILABLE, status_since=timezone.now() - timedelta(days=1)
    )
    return org


@pytest.fixture
def amelie(center):
    return customer_create(first_name="Amélie", last_name="Poulain", phones=["06 12 34 56 78"])


PARIS = ZoneInfo("Europe/Paris")


def tomorrow() -> datetime:
    return (timezone.now().astimezone(PARIS) + timedelta(days=1)).replace(hour=10, minute=30, second=0, microsecond=0)


def callback_log(when: datetime | None = None, **changes) -> dict:
    when = when or tomorrow()
    return {
        "disposition": "callback",
        "notes": "Wants a call tomorrow",
        "callback_date": when.date().isoformat(),
        "callback_time": when.strftime("%H:%M"),
        "callback_phone": "06 12 34 56 78",
        "callback_note": "About the March invoice",
    } | changes


def test_the_callback_disposition_promises_a_callback_by_the_agent_in_the_calls_queue(client, center, amelie):
    interaction = call(center, "call.offered", "call.answered")
    client.force_login(center.agent_a)
    url = reverse("desk:call_log", args=[interaction.pk])
    response = client.post(url, callback_log(), **HTMX)
    assert response.status_code == 200, response.content.decode()
    assert "callbacks-changed" in json.loads(response["HX-Trigger"])
    assert "Callback promised for" in response.content.decode()
    callback = Callback.objects.get()
    assert (callback.promised_by, callback.queue, callback.customer, callback.phone) == (
        center.agent_a,
        center.queue_a,
        amelie,
        "+33612345678",
    )
    assert (callback.due_at, callback.note, callback.interaction_id, callback.state) == (
        tomorrow(),
        "About the March invoice",
        interaction.pk,
        "scheduled",
    )
    assert Interaction.objects.get(pk=interaction.pk).disposition.code == "callback"
    # Saving the log again (a correction) promises nothing more.
    again = client.post(url, callback_log(callback_date="", callback_time=""), **HTMX)
    assert again.status_code == 200
    assert Callback.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"callback_date": ""}, "callback_date", "Needed for a callback"),
        ({"callback_time": ""}, "callback_time", "Needed for a callback"),
        ({"callback_phone": ""}, "callback_phone", "Needed for a callback"),
        ({"callback_phone": "call me"}, "callback_phone", "is not a phone number"),
        ({"callback_date": "2020-01-01"}, "callback_date", "This time is past"),
    ],
)
def test_a_bad_callback_is_named_and_nothing_is_saved(client, center, amelie, changes, field, message):
    interaction = call(center, "call.offered", "call.answered")
    client.force_login(center.agent_a)
    response = client.post(reverse("desk:call_log", args=[interaction.pk]), callback_log(**changes), **HTMX)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert 'id="log-callback" class="log-callback">' in page  # shown, not hidden
    assert not Callback.objects.exists()
    stored = Interaction.objects.get(pk=interaction.pk)
    assert (stored.disposition, stored.notes) == (None, "")


def test_the_callback_fields_show_only_with_the_callback_disposition_prefilled_with_the_caller(client, center):
    interaction = call(center, "call.offered", "call.answered")
    client.force_login(center.agent_a)
    page = client.get(reverse("desk:call", args=[interaction.pk]), **HTMX).content.decode()
    assert 'id="log-callback" class="log-callback" hidden>' in page
    assert 'value="+33 6 12 34 56 78"' in page


def _in_hand(center) -> Callback:
    """A callback agent A promised, due now, offered to them and accepted."""
    callback = callback_create(
        queue=center.queue_a, phone="+33170000002", due_at=timezone.now(), by=center.agent_a, note="Invoice"
    )
    (offer,) = routing_dispatch()
    offer_accept(offer_id=offer.pk, by=center.agent_a)
    return Callback.objects.get(pk=callback.pk)


def test_my_callbacks_shows_the_number_dials_without_a_bridge_and_logs_the_outcome(client, center):
    callback = _in_hand(center)
    assert callback.state == "in_progress"
    client.force_login(center.agent_a)
    panel = client.get(reverse("desk:callbacks"), **HTMX).content.decode()
    assert 'href="tel:+33170000002"' in panel and "+33 1 70 00 00 02" in panel and "In progress" in panel

    dial = client.post(reverse("desk:callback_dial", args=[callback.pk]), **HTMX)
    assert "No telephony bridge is connected: dial +33 1 70 00 00 02 yourself" in dial.content.decode()

    url = reverse("desk:callback_attempt", args=[callback.pk])
    assert client.post(url, {"outcome": "maybe"}, **HTMX).status_code == 400
    logged = client.post(url, {"outcome": "reached", "note": "Sorted"}, **HTMX)
    assert logged.status_code == 200 and "Outcome logged." in logged.content.decode()
    callback.refresh_from_db()
    assert (callback.state, callback.attempts, callback.work_item.state) == ("done", 1, WorkState.DONE)
    assert client.post(url, {"outcome": "reached"}, **HTMX).status_code == 409


def test_dial_with_a_bridge_asks_it_to_call_and_says_so(client, center):
    callback = _in_hand(center)
    bridge_online("dial")
    client.force_login(center.agent_a)
    # No extension on the agent's profile: said in the panel, nothing asked.
    refused = client.post(reverse("desk:callback_dial", args=[callback.pk]), **HTMX).content.decode()
    assert "You have no phone extension: an admin sets it on your agent profile." in refused
    assert not Command.objects.exists()
    AgentProfile.objects.filter(user=center.agent_a).update(extension="1001")
    client.force_login(center.agent_a)
    placed = client.post(reverse("desk:callback_dial", args=[callback.pk]), **HTMX).content.decode()
    assert "Calling +33 1 70 00 00 02: your phone rings first, pick it up." in placed
    command = Command.objects.get()
    assert command.arguments == {
        "to": "+33170000002",
        "extension": "1001",
        "agent": "agent_a",
        "queue": "Queue A",
    }


def test_another_teams_agent_cannot_work_a_callback(client, center):
    callback = _in_hand(center)
    client.force_login(center.agent_b)
    assert "No callback to make" in client.get(reverse("desk:callbacks"), **HTMX).content.decode()
    assert client.post(reverse("desk:callback_attempt", args=[callback.pk]), {"outcome": "reached"}).status_code == 404
    assert client.post(reverse("desk:callback_dial", args=[callback.pk])).status_code == 404


def test_the_panel_and_the_refusals_are_in_french(client, center, api_client_for):
    client.force_login(center.agent_a)
    panel = client.get(reverse("desk:callbacks"), HTTP_ACCEPT_LANGUAGE="fr", **HTMX).content.decode()
    assert "Aucun rappel à faire." in panel
    body = {"phone": "06 12 34 56 78", "due_at": "2020-01-01T10:00:00Z", "queue": "Queue A", "customer": None}
    response = api_client_for(center.agent_a).post(
        "/api/v1/callbacks/", body | {"customer": customer_create(last_name="Martin").pk}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.json()["due_at"] == ["Cette heure est passée\u00a0: un rappel est prévu à partir de maintenant."]
