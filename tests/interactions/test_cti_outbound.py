"""The CTI intake's ``direction`` and ``customer`` (docs/cti.md): a click-to-dial call's events say
it is outbound and may name the customer; the interaction's direction and customer come from the
call's events whatever order they arrive in."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.urls import reverse

from contactcenter.agents.models import AgentProfile
from customers.services import customer_create
from interactions.cti import CallEvent, call_state
from interactions.models import CtiCall, CtiEvent, Interaction
from tests.interactions.factories import T0

pytestmark = pytest.mark.django_db

URL = reverse("cti-events")
AGENT_SIDE = "1001"
ANNE, BRUNO = "+33612345678", "+33698765432"


def at(seconds: float):
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def pbx(org, api_client_for):
    """``pbx(event, call_id, seconds, **fields)``: the telephony system posting one event."""
    AgentProfile.objects.update(status_since=T0 - timedelta(days=1))
    client = api_client_for(org.manager)

    def post(event: str, call_id: str, seconds: float, **fields):
        body = {"event": event, "call_id": call_id, "timestamp": at(seconds).isoformat(), **fields}
        return client.post(URL, body, format="json")

    return post


@pytest.fixture
def people():
    anne = customer_create(first_name="Anne", last_name="Martin", phones=[ANNE])
    bruno = customer_create(first_name="Bruno", last_name="Petit", phones=[BRUNO])
    return anne, bruno


def interaction_of(call_id: str) -> Interaction:
    return Interaction.objects.get(source="cti", external_id=call_id)


def test_an_outbound_call_is_matched_by_the_number_called(pbx, people):
    anne, _bruno = people
    # The agent's side calls Anne; Bruno's number as "from" must not make it his.
    response = pbx("call.offered", "out-1", 0, direction="outbound", to="06 12 34 56 78", **{"from": BRUNO})
    assert response.status_code == 201, response.data
    interaction = interaction_of("out-1")
    assert (interaction.direction, interaction.customer) == ("outbound", anne)
    event = CtiEvent.objects.get()
    assert (event.direction, event.called, event.payload["direction"]) == ("outbound", "06 12 34 56 78", "outbound")


def test_an_inbound_call_stays_matched_by_the_caller(pbx, people):
    anne, _bruno = people
    assert pbx("call.offered", "in-1", 0, to=BRUNO, **{"from": "0612345678"}).status_code == 201
    interaction = interaction_of("in-1")
    assert (interaction.direction, interaction.customer) == ("inbound", anne)
    assert pbx("call.offered", "in-2", 0, direction="inbound", to=BRUNO, **{"from": ANNE}).status_code == 201
    assert interaction_of("in-2").customer == anne


def test_the_customer_named_wins_over_the_number(pbx, people):
    _anne, bruno = people
    response = pbx("call.offered", "out-2", 0, direction="outbound", to=ANNE, customer=bruno.pk, **{"from": "1001"})
    assert response.status_code == 201, response.data
    assert interaction_of("out-2").customer == bruno


def test_an_unknown_customer_or_direction_is_a_400_and_stores_nothing(pbx, people):
    response = pbx("call.offered", "bad-1", 0, direction="outbound", to=ANNE, customer=999999)
    assert response.status_code == 400
    assert "customer" in response.json()
    response = pbx("call.offered", "bad-2", 0, direction="sideways", to=ANNE)
    assert response.status_code == 400
    assert "direction" in response.json()
    assert not (CtiCall.objects.exists() or CtiEvent.objects.exists() or Interaction.objects.exists())


def _outbound_steps(anne_id: int) -> list[tuple[str, int, dict]]:
    """A click-to-dial call where only the offer says outbound, only the end names the customer."""
    return [
        ("call.offered", 0, {"direction": "outbound", "from": AGENT_SIDE, "to": BRUNO}),
        ("call.answered", 8, {"agent": "agent_a", "from": AGENT_SIDE, "to": BRUNO}),
        ("call.ended", 120, {"agent": "agent_a", "customer": anne_id}),
        ("call.wrapup_ended", 150, {"agent": "agent_a"}),
    ]


def test_direction_and_customer_come_from_the_events_whatever_their_order(pbx, people):
    anne, _bruno = people
    outcomes = set()
    for n, order in enumerate(itertools.permutations(_outbound_steps(anne.pk))):
        call_id = f"perm-{n}"
        for event, seconds, fields in order:
            response = pbx(event, call_id, seconds, **fields)
            assert response.status_code == 201, (order, response.data)
        interaction = interaction_of(call_id)
        outcomes.add((interaction.direction, interaction.customer_id, interaction.answered_at, interaction.ended_at))
    assert outcomes == {("outbound", anne.pk, at(8), at(120))}


def test_a_late_outbound_offer_moves_the_match_from_the_caller_to_the_number_called(pbx, people):
    anne, bruno = people
    # The answer comes first and says nothing of the direction: inbound for now, matched by "from".
    assert pbx("call.answered", "late-1", 8, agent="agent_a", to=ANNE, **{"from": BRUNO}).status_code == 201
    assert (interaction_of("late-1").direction, interaction_of("late-1").customer) == ("inbound", bruno)
    # The offer says outbound: the customer is the number called.
    response = pbx("call.offered", "late-1", 0, direction="outbound", to=ANNE, **{"from": BRUNO})
    assert response.status_code == 201
    assert (interaction_of("late-1").direction, interaction_of("late-1").customer) == ("outbound", anne)


def test_a_customer_set_by_hand_stays_while_the_match_does_not_change(pbx, people):
    _anne, bruno = people
    pbx("call.offered", "hand-1", 0, direction="outbound", to=ANNE, **{"from": AGENT_SIDE})
    Interaction.objects.filter(external_id="hand-1").update(customer=bruno)
    assert pbx("call.answered", "hand-1", 5, agent="agent_a", to=ANNE, **{"from": AGENT_SIDE}).status_code == 201
    assert interaction_of("hand-1").customer == bruno


def test_call_state_takes_the_direction_from_any_event():
    events = [
        CallEvent("call.offered", at(0), "1001", called=BRUNO),
        CallEvent("call.ended", at(30), direction="outbound", customer_id=7),
    ]
    for order in (events, events[::-1]):
        state = call_state(order)
        assert (state.direction, state.called, state.customer_id) == ("outbound", BRUNO, 7)
        assert state.customer_match == ("customer", 7)
    assert call_state([CallEvent("call.offered", at(0), "1001", called=BRUNO)]).customer_match == ("number", "1001")
    outbound = call_state([CallEvent("call.offered", at(0), "1001", direction="outbound", called=BRUNO)])
    assert outbound.customer_match == ("number", BRUNO)
