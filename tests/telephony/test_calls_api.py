"""``calls/``: click-to-dial from the agent's phone, following the commands, and holding, resuming
or transferring the call one is on (docs/telephony.md, *Click-to-dial*)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from contactcenter.agents.models import AgentProfile
from contactcenter.telephony.models import Bridge, Command
from customers.services import customer_create
from tests.telephony.helpers import bridge_online, call_answered_by, give_extension

pytestmark = pytest.mark.django_db

API = "/api/v1/calls/"


@pytest.fixture
def agent(org, api_client_for):
    give_extension(org.agent_a, "1001")
    return api_client_for(org.agent_a)


def test_not_a_number_is_a_400_naming_to_even_without_a_bridge(agent):
    response = agent.post(API, {"to": "not a number"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["to"]
    assert not Command.objects.exists()


def test_no_extension_is_a_400(org, api_client_for):
    bridge_online("dial")
    response = api_client_for(org.agent_b).post(API, {"to": "06 12 34 56 78"}, format="json")
    assert response.status_code == 400
    assert "extension" in response.json()


def test_no_bridge_is_a_503_with_retry_after(agent):
    response = agent.post(API, {"to": "06 12 34 56 78"}, format="json")
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response.json()["capability"] == "dial"
    # A bridge that went silent is as good as gone; one that cannot dial too.
    bridge_online("dial")
    Bridge.objects.update(seen_at=timezone.now() - timezone.timedelta(minutes=5))
    assert agent.post(API, {"to": "06 12 34 56 78"}, format="json").status_code == 503
    bridge_online("hold")
    assert agent.post(API, {"to": "06 12 34 56 78"}, format="json").status_code == 503
    assert not Command.objects.exists()


def test_dial_asks_the_bridge_and_answers_202_with_the_command(org, agent):
    bridge_online("dial", "hold", "transfer")
    customer = customer_create(first_name="Anne", last_name="Martin", phones=["+33612345678"])
    body = {"to": "06 12 34 56 78", "customer": customer.pk, "queue": "Queue A"}
    response = agent.post(API, body, format="json")
    assert response.status_code == 202, response.data
    command = Command.objects.get()
    answer = response.json()
    assert {key: answer[key] for key in ("id", "state", "to", "bridge", "call_id")} == {
        "id": command.pk,
        "state": "pending",
        "to": "+33612345678",
        "bridge": "asterisk",
        "call_id": "",
    }
    assert answer["created_at"].endswith("Z")
    assert (command.action, command.requested_by, command.agent.user) == ("dial", org.agent_a, org.agent_a)
    assert command.arguments == {
        "to": "+33612345678",
        "extension": "1001",
        "agent": "agent_a",
        "customer": customer.pk,
        "queue": "Queue A",
    }


def test_unknown_customer_or_queue_is_a_400(agent):
    bridge_online("dial")
    assert "customer" in agent.post(API, {"to": "0612345678", "customer": 999999}, format="json").json()
    assert "queue" in agent.post(API, {"to": "0612345678", "queue": "Nope"}, format="json").json()
    assert not Command.objects.exists()


def test_an_agent_on_a_contact_gets_a_409(org, agent):
    bridge_online("dial")
    AgentProfile.objects.filter(user=org.agent_a).update(status="busy")
    response = agent.post(API, {"to": "0612345678"}, format="json")
    assert response.status_code == 409
    assert "contact" in response.json()["detail"]
    assert not Command.objects.exists()


def test_following_a_command_own_team_and_all(org, agent, api_client_for):
    bridge_online("dial")
    command_id = agent.post(API, {"to": "0612345678"}, format="json").json()["id"]
    url = f"{API}{command_id}/"
    assert agent.get(url).json()["id"] == command_id
    assert api_client_for(org.agent_b).get(url).status_code == 404
    assert api_client_for(org.supervisor_a).get(url).status_code == 200
    assert api_client_for(org.manager).get(url).status_code == 200
    # The list: what each may see, paginated.
    assert [row["id"] for row in agent.get(API).json()["results"]] == [command_id]
    assert api_client_for(org.agent_b).get(API).json()["results"] == []
    page = api_client_for(org.admin).get(API, {"page_size": 1}).json()
    assert [row["id"] for row in page["results"]] == [command_id] and page["next"] is None


def test_hold_resume_transfer_the_call_one_is_on(org, agent):
    bridge_online("dial", "hold", "transfer")
    call_id = call_answered_by(org.agent_a, queue=org.queue_a)
    held = agent.post(f"{API}{call_id}/hold/")
    assert held.status_code == 202, held.data
    assert (held.json()["call_id"], held.json()["state"]) == (call_id, "pending")
    assert agent.post(f"{API}{call_id}/resume/").status_code == 202
    to_extension = agent.post(f"{API}{call_id}/transfer/", {"to": "1002"}, format="json")
    assert (to_extension.status_code, to_extension.json()["to"]) == (202, "1002")
    to_number = agent.post(f"{API}{call_id}/transfer/", {"to": "01 70 00 00 02"}, format="json")
    assert to_number.json()["to"] == "+33170000002"
    commands = list(Command.objects.order_by("id").values_list("action", "call_id", "arguments"))
    assert commands == [
        ("hold", call_id, {"call_id": call_id}),
        ("resume", call_id, {"call_id": call_id}),
        ("transfer", call_id, {"call_id": call_id, "target": "1002"}),
        ("transfer", call_id, {"call_id": call_id, "target": "+33170000002"}),
    ]


def test_call_control_refusals(org, agent, api_client_for):
    call_id = call_answered_by(org.agent_a, queue=org.queue_a)
    # No bridge can hold: 503.
    bridge_online("dial")
    assert agent.post(f"{API}{call_id}/hold/").status_code == 503
    bridge_online("dial", "hold", "transfer")
    # Not on that call: 409 (another's call, an unknown one).
    assert api_client_for(org.agent_b).post(f"{API}{call_id}/hold/").status_code == 409
    assert agent.post(f"{API}nope.1/hold/").status_code == 409
    # A transfer to nowhere: 400 naming "to".
    response = agent.post(f"{API}{call_id}/transfer/", {"to": "call my boss"}, format="json")
    assert response.status_code == 400 and "to" in response.json()
    assert agent.post(f"{API}{call_id}/transfer/", {}, format="json").status_code == 400
    assert not Command.objects.exists()


def test_refusals_in_french(org, agent):
    bridge_online("dial")
    AgentProfile.objects.filter(user=org.agent_a).update(status="busy")
    response = agent.post(API, {"to": "0612345678"}, format="json", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 409
    assert "contact" in response.json()["detail"] and "Vous" in response.json()["detail"]
