"""SPEC §7, the CTI intake: call events from the telephony system become one voice interaction,
each applied once, in whatever order they arrive (design: interactions/cti.py, contract: docs/cti.md)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from contactcenter.agents.models import AgentProfile, PresenceInterval
from contactcenter.agents.services import agent_set_status
from contactcenter.core.events import WALLBOARD_GROUP, agent_group, queue_group
from customers.services import customer_create
from interactions.cti import CallEvent, call_state, cti_call_erase_numbers, cti_event_apply, held_since, hold_seconds
from interactions.models import CtiCall, CtiEvent, Interaction
from tests.agents.factories import AgentProfileFactory, QueueFactory
from tests.concurrency import race, role_groups, run_concurrently  # noqa: F401 (role_groups: a fixture)
from tests.hypothesis_profiles import examples
from tests.interactions.factories import T0

URL = reverse("cti-events")
_calls = itertools.count()


def at(seconds: float):
    return T0 + timedelta(seconds=seconds)


def stored_nothing() -> bool:
    return not (CtiCall.objects.exists() or CtiEvent.objects.exists() or Interaction.objects.exists())


def interaction_of(call_id: str) -> Interaction:
    return Interaction.objects.get(source="cti", external_id=call_id)


def status_of(user) -> str:
    return AgentProfile.objects.get(user=user).status


@pytest.fixture
def center(org):
    """The ``org`` center, its agents signed in a day before the calls of these tests."""
    AgentProfile.objects.update(status_since=T0 - timedelta(days=1))
    return org


@pytest.fixture
def pbx(center, api_client_for):
    """``pbx(event, call_id, seconds_after_T0, **fields)``: the telephony system posting an event
    with its integration account (manager role); ``caller`` is sent as ``from``."""
    client = api_client_for(center.manager)

    def post(event: str, call_id: str, seconds: float, caller: str | None = "+33 1 23 45 67 89", **fields):
        body = {"event": event, "call_id": call_id, "timestamp": at(seconds).isoformat(), "from": caller, **fields}
        body.setdefault("to", "3900")
        body.setdefault("queue", center.queue_a.name)
        return client.post(URL, body, format="json")

    return post


def full_call(pbx, call_id: str, agent: str = "agent_a", backwards: bool = False, **fields) -> list:
    """offered 0 s → answered 10 s → held 60–80 s and 100–115 s → ended 310 s → wrap-up end 370 s
    (posted last to first with ``backwards``)."""
    steps = [
        ("call.offered", 0, {}),
        ("call.answered", 10, {"agent": agent}),
        ("call.held", 60, {"agent": agent}),
        ("call.resumed", 80, {"agent": agent}),
        ("call.held", 100, {"agent": agent}),
        ("call.resumed", 115, {"agent": agent}),
        ("call.ended", 310, {"agent": agent}),
        ("call.wrapup_ended", 370, {"agent": agent}),
    ]
    if backwards:
        steps.reverse()
    return [pbx(event, call_id, seconds, **extra, **fields) for event, seconds, extra in steps]


# --- Every event ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_call_offered_creates_the_inbound_voice_interaction_matched_to_the_caller(pbx, center):
    customer = customer_create(first_name="Anne", last_name="Martin", phones=["+33 6 12 34 56 78"])
    response = pbx("call.offered", "c-1", 0, caller="0612345678")
    assert response.status_code == 201, response.data
    interaction = interaction_of("c-1")
    assert response.data == {
        "call_id": "c-1",
        "event": "call.offered",
        "interaction": interaction.pk,
        "duplicate": False,
    }
    assert (interaction.channel, interaction.direction, interaction.source) == ("voice", "inbound", "cti")
    assert (interaction.customer, interaction.queue, interaction.agent) == (customer, center.queue_a, None)
    assert (interaction.offered_at, interaction.answered_at, interaction.ended_at) == (at(0), None, None)
    event = CtiEvent.objects.get()
    assert (event.event, event.timestamp, event.caller, event.queue) == (
        "call.offered",
        at(0),
        "0612345678",
        center.queue_a,
    )
    assert event.payload["from"] == "0612345678" and event.payload["to"] == "3900"
    assert event.received_by == center.manager


@pytest.mark.django_db
@pytest.mark.parametrize(
    "caller", ["0033612345678", "+33612345678", "06.12.34.56.78", "tel:+33612345678", "sip:0612345678@pbx.local"]
)
def test_the_caller_is_matched_in_any_format(pbx, caller):
    customer = customer_create(first_name="Anne", last_name="Martin", phones=["06 12 34 56 78"])
    assert pbx("call.offered", "c-any", 0, caller=caller).status_code == 201
    assert interaction_of("c-any").customer == customer


@pytest.mark.django_db
@pytest.mark.parametrize("caller", ["+33 1 99 99 99 99", "anonymous", "", None, "12"])
def test_an_unknown_or_withheld_caller_gives_an_interaction_without_customer(pbx, caller):
    customer_create(first_name="Anne", last_name="Martin", phones=["06 12 34 56 78"])
    assert pbx("call.offered", "c-unknown", 0, caller=caller).status_code == 201
    assert interaction_of("c-unknown").customer is None


@pytest.mark.django_db
def test_a_full_call_ends_with_every_timestamp_hold_and_duration(pbx, center):
    responses = full_call(pbx, "c-full")
    assert [r.status_code for r in responses] == [201] * 8
    interaction = interaction_of("c-full")
    assert interaction.agent == center.agent_a
    assert (interaction.offered_at, interaction.answered_at) == (at(0), at(10))
    assert (interaction.ended_at, interaction.wrapup_ended_at) == (at(310), at(370))
    assert interaction.hold_seconds == 35  # two holds: 20 s and 15 s
    assert (interaction.wait_seconds, interaction.talk_seconds) == (10, 300 - 35)
    assert interaction.handle_seconds == 300 + 60
    assert not interaction.abandoned
    assert CtiEvent.objects.count() == 8
    assert Interaction.objects.count() == 1


@pytest.mark.django_db
def test_a_hold_still_open_at_the_end_counts_until_the_end(pbx):
    for event, seconds, extra in [
        ("call.offered", 0, {}),
        ("call.answered", 10, {"agent": "agent_a"}),
        ("call.held", 20, {}),
        ("call.resumed", 30, {}),
        ("call.held", 100, {}),
        ("call.ended", 130, {}),
    ]:
        assert pbx(event, "c-open-hold", seconds, **extra).status_code == 201
    assert interaction_of("c-open-hold").hold_seconds == 10 + 30


@pytest.mark.django_db
def test_an_open_hold_counts_nothing_before_the_end_is_known(pbx):
    pbx("call.offered", "c-on-hold", 0)
    pbx("call.answered", "c-on-hold", 10, agent="agent_a")
    pbx("call.held", "c-on-hold", 20)
    assert interaction_of("c-on-hold").hold_seconds == 0


def held_since_of(call_id: str):
    return CtiCall.objects.get(call_id=call_id).held_since


@pytest.mark.django_db
def test_the_call_keeps_when_its_current_hold_began_for_the_desktop(pbx):
    pbx("call.offered", "c-held-since", 0)
    pbx("call.answered", "c-held-since", 10, agent="agent_a")
    assert held_since_of("c-held-since") is None
    pbx("call.held", "c-held-since", 20)
    assert held_since_of("c-held-since") == at(20)
    pbx("call.held", "c-held-since", 25)  # a second hold while on hold changes nothing
    assert held_since_of("c-held-since") == at(20)
    pbx("call.resumed", "c-held-since", 40)
    assert held_since_of("c-held-since") is None
    pbx("call.held", "c-held-since", 50)
    assert held_since_of("c-held-since") == at(50)
    assert interaction_of("c-held-since").hold_seconds == 20  # the closed hold; the open one counts at the end
    pbx("call.ended", "c-held-since", 70)  # an open hold ends with the call
    assert held_since_of("c-held-since") is None
    assert interaction_of("c-held-since").hold_seconds == 20 + 20


def test_hold_arithmetic_pairs_each_hold_with_the_next_resume():
    def events(*pairs):
        return [CallEvent(kind, at(seconds)) for kind, seconds in pairs]

    answered, ended = at(0), at(200)
    two_holds = events(("call.held", 10), ("call.resumed", 30), ("call.held", 50), ("call.resumed", 65))
    assert hold_seconds(two_holds, answered_at=answered, ended_at=ended) == 35
    # A repeated hold while on hold, or a resume while not, changes nothing.
    noisy = events(("call.resumed", 5), ("call.held", 10), ("call.held", 20), ("call.resumed", 30))
    assert hold_seconds(noisy, answered_at=answered, ended_at=ended) == 20
    # Back to back at the same instant: the resume closes the first hold, the hold opens the second.
    back_to_back = events(("call.held", 10), ("call.resumed", 20), ("call.held", 20), ("call.resumed", 30))
    assert hold_seconds(back_to_back, answered_at=answered, ended_at=ended) == 20
    # Hold time counts only inside the conversation, and not at all before the answer is known.
    outside = events(("call.held", -20), ("call.resumed", 10), ("call.held", 190))
    assert hold_seconds(outside, answered_at=answered, ended_at=ended) == 10 + 10
    assert hold_seconds(two_holds, answered_at=None, ended_at=ended) == 0


def test_held_since_is_the_start_of_the_hold_open_now_during_the_conversation():
    def events(*pairs):
        return [CallEvent(kind, at(seconds)) for kind, seconds in pairs]

    answered = at(0)
    open_hold = events(("call.held", 10), ("call.resumed", 30), ("call.held", 50))
    assert held_since(open_hold, answered_at=answered, ended_at=None) == at(50)
    assert held_since(open_hold[:2], answered_at=answered, ended_at=None) is None
    # Paired as hold time is: a resume first, then a hold at the same instant, opens a new hold.
    back_to_back = events(("call.held", 10), ("call.resumed", 20), ("call.held", 20))
    assert held_since(back_to_back, answered_at=answered, ended_at=None) == at(20)
    # Counted from the answer at the earliest; nothing before the answer, nothing once over.
    assert held_since(events(("call.held", -5)), answered_at=answered, ended_at=None) == answered
    assert held_since(open_hold, answered_at=None, ended_at=None) is None
    assert held_since(open_hold, answered_at=answered, ended_at=at(60)) is None


@pytest.mark.django_db
def test_call_abandoned_gives_an_abandoned_interaction(pbx, center):
    pbx("call.offered", "c-ab", 0)
    assert pbx("call.abandoned", "c-ab", 42).status_code == 201
    interaction = interaction_of("c-ab")
    assert (interaction.answered_at, interaction.ended_at, interaction.agent) == (None, at(42), None)
    assert interaction.abandoned
    assert status_of(center.agent_a) == "offline"


@pytest.mark.django_db
def test_an_end_without_answer_is_an_abandon(pbx):
    pbx("call.offered", "c-end", 0)
    pbx("call.ended", "c-end", 30)
    interaction = interaction_of("c-end")
    assert interaction.abandoned and interaction.answered_at is None and interaction.ended_at == at(30)


@pytest.mark.django_db
def test_an_abandoned_call_cannot_also_be_answered(pbx):
    pbx("call.offered", "c-both", 0)
    pbx("call.abandoned", "c-both", 20)
    response = pbx("call.answered", "c-both", 10, agent="agent_a")
    assert response.status_code == 400 and "event" in response.data
    assert interaction_of("c-both").answered_at is None
    assert CtiEvent.objects.count() == 2


# --- Exactly once -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_repeat_answers_200_and_changes_nothing(pbx, django_capture_on_commit_callbacks):
    first = pbx("call.offered", "c-rep", 0)
    history = interaction_of("c-rep").history.count()
    with django_capture_on_commit_callbacks() as callbacks:
        again = pbx("call.offered", "c-rep", 0)
        # The first delivery stands: a repeat with other fields changes nothing either.
        other = pbx("call.offered", "c-rep", 5, caller="0612345678", queue="Queue B")
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 200)
    assert again.data == {**first.data, "duplicate": True}
    interaction = interaction_of("c-rep")
    assert (interaction.offered_at, interaction.queue.name) == (at(0), "Queue A")
    assert interaction.history.count() == history
    assert CtiEvent.objects.count() == 1
    assert callbacks == []  # nothing announced


@pytest.mark.django_db
def test_a_second_hold_is_told_apart_by_its_timestamp_and_its_repeat_is_not(pbx):
    pbx("call.offered", "c-holds", 0)
    pbx("call.answered", "c-holds", 10, agent="agent_a")
    codes = [
        pbx(event, "c-holds", seconds).status_code
        for event, seconds in [
            ("call.held", 20),
            ("call.resumed", 40),
            ("call.held", 20),  # a repeat of the first hold
            ("call.held", 50),  # a second hold
            ("call.resumed", 40),  # a repeat
            ("call.resumed", 65),
        ]
    ]
    assert codes == [201, 201, 200, 201, 200, 201]
    pbx("call.ended", "c-holds", 100)
    assert interaction_of("c-holds").hold_seconds == 20 + 15
    assert CtiEvent.objects.filter(event__in=["call.held", "call.resumed"]).count() == 4


# --- Bad input: 400 naming the field, nothing stored --------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"agent": "nobody_here"}, "agent"),
        ({"agent": "nobody"}, "agent"),  # a user without an agent profile
        ({"queue": "No such queue"}, "queue"),
        ({"agent": "ghost", "queue": "ghost"}, {"agent", "queue"}),
    ],
)
def test_an_unknown_agent_or_queue_answers_400_and_stores_nothing(pbx, fields, bad):
    response = pbx("call.answered", "c-bad", 10, **{"agent": "agent_a", **fields})
    assert response.status_code == 400
    assert set(response.data) == ({bad} if isinstance(bad, str) else bad)
    assert stored_nothing()


@pytest.mark.django_db
def test_missing_fields_are_each_named(center, api_client_for):
    response = api_client_for(center.manager).post(URL, {"from": "0612345678"}, format="json")
    assert response.status_code == 400
    assert set(response.data) == {"event", "call_id", "timestamp"}
    assert stored_nothing()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "bad"),
    [
        ({"event": "call.transferred"}, "event"),
        ({"call_id": ""}, "call_id"),
        ({"call_id": "x" * 151}, "call_id"),
        ({"timestamp": "2026-01-05T10:00:00"}, "timestamp"),  # no offset
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"timestamp": "2999-01-05T10:00:00+00:00"}, "timestamp"),  # in the future
        ({"timestamp": "1999-12-31T23:59:59+00:00"}, "timestamp"),  # a clock reset
        ({"timestamp": "0001-01-01T00:00:00+01:00"}, "timestamp"),  # before the first instant in UTC
        ({"timestamp": 1767603600}, "timestamp"),
        ({"event": "call.answered", "agent": None}, "agent"),  # who answered?
        ({"event": "call.answered", "agent": ""}, "agent"),
        ({"from": "0" * 201}, "from"),
    ],
)
def test_invalid_fields_answer_400_naming_them(center, api_client_for, body, bad):
    base = {"event": "call.offered", "call_id": "c-invalid", "timestamp": at(0).isoformat(), "from": "0612345678"}
    response = api_client_for(center.manager).post(URL, {**base, **body}, format="json")
    assert response.status_code == 400, response.data
    assert set(response.data) == {bad}
    assert stored_nothing()


@pytest.mark.django_db
def test_a_body_that_is_not_an_object_answers_400(center, api_client_for):
    response = api_client_for(center.manager).post(URL, ["call.offered"], format="json")
    assert response.status_code == 400
    assert stored_nothing()


@pytest.mark.django_db
def test_an_event_that_makes_the_interaction_impossible_answers_400_and_stores_nothing(pbx):
    pbx("call.offered", "c-before", 60)
    response = pbx("call.answered", "c-before", 30, agent="agent_a")  # answered before offered
    assert response.status_code == 400
    assert "answered before it was offered" in str(response.data["timestamp"])
    assert CtiEvent.objects.count() == 1
    assert interaction_of("c-before").answered_at is None
    # Ended before it was answered, the other way round.
    assert pbx("call.ended", "c-impossible", 10).status_code == 201
    assert pbx("call.answered", "c-impossible", 20, agent="agent_a").status_code == 400
    assert not CtiEvent.objects.filter(cti_call__call_id="c-impossible", event="call.answered").exists()
    assert interaction_of("c-impossible").answered_at is None


@pytest.mark.django_db
def test_errors_name_the_fields_in_french_too(center, api_client_for):
    client = api_client_for(center.manager)
    body = {"event": "call.offered", "call_id": "c-fr", "timestamp": "2026-01-05T10:00:00", "queue": "Nulle part"}
    response = client.post(URL, body, format="json", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    assert set(response.data) == {"timestamp", "queue"}


# --- Out of order -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_event_before_the_offer_creates_the_interaction_and_the_offer_fixes_it(pbx, center):
    assert pbx("call.answered", "c-late-offer", 10, agent="agent_a", queue=None).status_code == 201
    interaction = interaction_of("c-late-offer")
    assert (interaction.offered_at, interaction.answered_at, interaction.agent) == (at(10), at(10), center.agent_a)
    assert pbx("call.offered", "c-late-offer", 0).status_code == 201
    interaction.refresh_from_db()
    assert (interaction.offered_at, interaction.queue) == (at(0), center.queue_a)
    assert interaction.wait_seconds == 10


@pytest.mark.django_db
def test_a_wrap_up_end_before_the_end_waits_for_it(pbx):
    pbx("call.offered", "c-wrap", 0)
    pbx("call.answered", "c-wrap", 10, agent="agent_a")
    assert pbx("call.wrapup_ended", "c-wrap", 400).status_code == 201
    assert interaction_of("c-wrap").wrapup_ended_at is None
    pbx("call.ended", "c-wrap", 300)
    interaction = interaction_of("c-wrap")
    assert (interaction.ended_at, interaction.wrapup_ended_at) == (at(300), at(400))


@pytest.mark.django_db
def test_reverse_delivery_ends_in_the_same_interaction(pbx, center):
    full_call(pbx, "c-in-order")
    assert [r.status_code for r in full_call(pbx, "c-reversed", agent="agent_b", backwards=True)] == [201] * 8
    assert [r.status_code for r in full_call(pbx, "c-reversed", agent="agent_b")] == [200] * 8
    in_order, reversed_ = interaction_of("c-in-order"), interaction_of("c-reversed")
    for field in ("offered_at", "answered_at", "ended_at", "wrapup_ended_at", "hold_seconds", "queue"):
        assert getattr(in_order, field) == getattr(reversed_, field)
    assert (in_order.agent, reversed_.agent) == (center.agent_a, center.agent_b)
    assert status_of(center.agent_a) == status_of(center.agent_b) == "available"


@pytest.mark.django_db
def test_the_caller_of_a_later_offer_finds_the_customer(pbx):
    customer = customer_create(first_name="Anne", last_name="Martin", phones=["06 12 34 56 78"])
    pbx("call.answered", "c-caller-late", 10, agent="agent_a", caller=None)
    assert interaction_of("c-caller-late").customer is None
    pbx("call.offered", "c-caller-late", 0, caller="+33612345678")
    assert interaction_of("c-caller-late").customer == customer


# --- What the telephony system does not own -----------------------------------------------------


@pytest.mark.django_db
def test_later_events_keep_what_the_agent_logged(pbx):
    pbx("call.offered", "c-agent-fields", 0, caller="0612345678")
    pbx("call.answered", "c-agent-fields", 10, agent="agent_a", caller="0612345678")
    identified = customer_create(first_name="Paul", last_name="Durand", phones=["07 81 23 45 67"])
    Interaction.objects.filter(source="cti", external_id="c-agent-fields").update(
        customer=identified, notes="Billing question", resolved=True
    )
    pbx("call.ended", "c-agent-fields", 100, caller="0612345678")
    interaction = interaction_of("c-agent-fields")
    assert (interaction.customer, interaction.notes, interaction.resolved) == (identified, "Billing question", True)
    assert interaction.ended_at == at(100)


@pytest.mark.django_db
def test_an_interaction_stored_with_the_call_id_by_another_route_is_the_call(pbx, center):
    existing = Interaction.objects.create(
        channel="voice", direction="inbound", source="cti", external_id="c-known", offered_at=at(0), notes="Logged"
    )
    caller = customer_create(first_name="Anne", last_name="Martin", phones=["06 12 34 56 78"])
    # The stored interaction and the caller's customer are looked up together (one query).
    assert pbx("call.answered", "c-known", 10, caller="06 12 34 56 78", agent="agent_a").status_code == 201
    assert Interaction.objects.filter(external_id="c-known").count() == 1
    existing.refresh_from_db()
    assert (existing.answered_at, existing.agent, existing.notes) == (at(10), center.agent_a, "Logged")
    assert existing.customer == caller


@pytest.mark.django_db
def test_a_new_call_finds_its_caller_or_nobody(pbx, center):
    known = customer_create(first_name="Anne", last_name="Martin", phones=["06 12 34 56 78"])
    assert pbx("call.offered", "c-new-known", 0, caller="06 12 34 56 78").status_code == 201
    assert pbx("call.offered", "c-new-unknown", 0, caller="06 99 99 99 99").status_code == 201
    assert pbx("call.offered", "c-new-withheld", 0, caller=None).status_code == 201
    assert interaction_of("c-new-known").customer == known
    assert interaction_of("c-new-unknown").customer is None
    assert interaction_of("c-new-withheld").customer is None


# --- Presence and live events -----------------------------------------------------------------


@pytest.mark.django_db
def test_presence_goes_busy_then_wrap_up_then_available(pbx, center):
    pbx("call.offered", "c-presence", 0)
    pbx("call.answered", "c-presence", 10, agent="agent_a")
    assert status_of(center.agent_a) == "busy"
    pbx("call.held", "c-presence", 20)
    assert status_of(center.agent_a) == "busy"
    pbx("call.ended", "c-presence", 310)
    assert status_of(center.agent_a) == "wrap_up"
    pbx("call.wrapup_ended", "c-presence", 370)
    assert status_of(center.agent_a) == "available"
    intervals = PresenceInterval.objects.filter(agent=center.agent_a).order_by("started_at")
    assert [(i.status, i.started_at) for i in intervals] == [
        ("busy", at(10)),
        ("wrap_up", at(310)),
        ("available", at(370)),
    ]


@pytest.mark.django_db
def test_presence_follows_the_newest_event_whatever_the_order(pbx, center):
    pbx("call.answered", "c-p-order", 10, agent="agent_a")
    pbx("call.wrapup_ended", "c-p-order", 370)
    # Its end is not known yet: the call is still on, as the interaction says.
    assert status_of(center.agent_a) == "busy"
    pbx("call.ended", "c-p-order", 310)
    assert status_of(center.agent_a) == "available"
    pbx("call.offered", "c-p-order", 0)
    assert status_of(center.agent_a) == "available"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "order",
    [
        ("call.offered", "call.ended", "call.answered", "call.wrapup_ended"),
        ("call.offered", "call.ended", "call.wrapup_ended", "call.answered"),
        ("call.offered", "call.wrapup_ended", "call.ended", "call.answered"),
    ],
    ids=["end-then-answer", "wrap-up-then-answer", "wrap-up-end-answer"],
)
def test_an_offer_that_looked_missed_but_was_answered_leaves_no_missed_break(pbx, center, order):
    """Its end came before its answer: for a moment the offer looked missed (break/missed); once
    the answer arrives, the agent's state is what their calls say."""
    seconds = {"call.offered": 0, "call.answered": 10, "call.ended": 100, "call.wrapup_ended": 130}
    for event in order:
        pbx(event, "c-unmissed", seconds[event], agent="agent_a")
    assert status_of(center.agent_a) == "available"
    assert CtiCall.objects.get(call_id="c-unmissed").presence_status != "missed"


@pytest.mark.django_db
def test_a_late_event_of_an_old_call_does_not_undo_a_newer_call(pbx, center):
    pbx("call.answered", "c-old", 10, agent="agent_a")
    pbx("call.answered", "c-new", 400, agent="agent_a")
    pbx("call.ended", "c-old", 300)  # older than the new call's answer
    assert status_of(center.agent_a) == "busy"


@pytest.mark.django_db
def test_a_late_event_does_not_undo_a_status_the_agent_set_since(pbx, center):
    pbx("call.answered", "c-break", 10, agent="agent_a")
    pbx("call.ended", "c-break", 300)
    profile = AgentProfile.objects.get(user=center.agent_a)
    agent_set_status(profile=profile, status="break", reason="lunch", at=at(500))
    pbx("call.wrapup_ended", "c-break", 360)  # arrives after the break was taken
    assert status_of(center.agent_a) == "break"


@pytest.mark.django_db
def test_the_answer_pops_the_screen_of_the_agent_after_commit(pbx, center, django_capture_on_commit_callbacks):
    pbx("call.offered", "c-pop", 0)
    layer, group = get_channel_layer(), agent_group(center.agent_a.pk)
    pending = []

    def answer() -> None:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            pbx("call.answered", "c-pop", 10, agent="agent_a")
        pending.extend(callbacks)

    def commit() -> None:
        for callback in pending:
            callback()

    async def listen() -> list[dict]:
        # One event loop for the whole exchange: the Redis pub/sub layer of CI serves a channel in
        # the loop that made it. The database work runs in this (the test's) thread.
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        try:
            await sync_to_async(answer)()
            assert pending  # scheduled for after commit: nothing was sent inside the transaction
            await sync_to_async(commit)()
            return [await asyncio.wait_for(layer.receive(channel), timeout=5) for _ in range(2)]
        finally:
            await layer.group_discard(group, channel)

    messages = async_to_sync(listen)()
    assert {m["event"] for m in messages} == {"screen_pop", "status_changed"}
    pop = next(m for m in messages if m["event"] == "screen_pop")
    interaction = interaction_of("c-pop")
    assert pop["payload"] == {
        "interaction": interaction.pk,
        "channel": "voice",
        "queue": center.queue_a.pk,
        "agent": center.agent_a.pk,
        "customer": None,
    }


@pytest.mark.django_db
def test_each_event_announces_through_the_live_module(pbx, center, django_capture_on_commit_callbacks, monkeypatch):
    sent: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(
        "contactcenter.core.events._send", lambda groups, event_type, payload: sent.append((event_type, groups))
    )

    def announced(event: str, seconds: int, call_id: str = "c-live", **fields) -> list[tuple[str, list[str]]]:
        sent.clear()
        with django_capture_on_commit_callbacks(execute=True):
            pbx(event, call_id, seconds, **fields)
        return list(sent)

    wallboard, queue, agent = [WALLBOARD_GROUP], queue_group(center.queue_a.pk), agent_group(center.agent_a.pk)
    assert announced("call.offered", 0) == [("incoming", [WALLBOARD_GROUP, queue])]
    answered = announced("call.answered", 10, agent="agent_a")
    assert ("screen_pop", [agent]) in answered and ("interaction_logged", wallboard) in answered
    # A hold or a resume tells the agent's desktop (the call bar) whether the call is on hold now.
    assert announced("call.held", 20) == announced("call.resumed", 30) == [("call_hold", [agent])]
    assert ("interaction_logged", wallboard) in announced("call.ended", 40)
    assert ("interaction_logged", wallboard) in announced("call.wrapup_ended", 50)
    assert announced("call.abandoned", 5, call_id="c-live-ab") == [("interaction_logged", wallboard)]
    assert announced("call.answered", 10, agent="agent_a") == []  # a repeat
    assert announced("call.answered", 5, call_id="c-live-2", agent="agent_a", queue="ghost") == []  # refused


@pytest.mark.django_db
def test_the_wallboard_gets_the_call_behind_the_agents_new_status_as_read_after_commit(
    pbx, center, django_capture_on_commit_callbacks, monkeypatch
):
    """The call that moves its agent to busy or wrap-up, their only one of that status, is the
    wallboard's contact of the agent: known when the event is applied (not read after commit), and
    the same as what the read after commit gives, times in UTC whatever offset the events carried."""
    from zoneinfo import ZoneInfo

    from contactcenter.agents.events import contact_payload
    from interactions.selectors import agents_current_contacts

    boards: list[dict] = []
    monkeypatch.setattr(
        "contactcenter.core.events._send",
        lambda groups, event_type, payload: boards.append(payload) if event_type == "agent_status" else None,
    )
    paris = ZoneInfo("Europe/Paris")

    def board_after(event: str, call_id: str, seconds: int, **fields) -> dict:
        boards.clear()
        with django_capture_on_commit_callbacks(execute=True):
            timestamp = at(seconds).astimezone(paris).isoformat()
            assert pbx(event, call_id, seconds, timestamp=timestamp, **fields).status_code == 201
        [board] = boards
        read = agents_current_contacts(statuses={center.agent_a.pk: board["status"]})
        assert board["contact"] == contact_payload(read.get(center.agent_a.pk))
        return board

    pbx("call.offered", "c-board", 0)
    answered = board_after("call.answered", "c-board", 10, agent="agent_a")
    assert (answered["status"], answered["contact"]["queue"]) == ("busy", "Queue A")
    assert answered["contact"]["since"] == at(10).isoformat()
    assert board_after("call.ended", "c-board", 40, agent="agent_a")["status"] == "wrap_up"
    # Back on a call during the wrap-up of the first: busy, with the new call.
    pbx("call.offered", "c-board-2", 45)
    assert board_after("call.answered", "c-board-2", 50, agent="agent_a")["contact"]["since"] == at(50).isoformat()


@pytest.mark.django_db
def test_one_event_costs_a_bounded_number_of_queries(pbx, center, django_assert_max_num_queries):
    customer_create(first_name="Anne", last_name="Martin", phones=["06 12 34 56 78"])
    for n in range(3):  # the bounds do not grow with the center's other calls and customers
        full_call(pbx, f"c-other-{n}", agent="agent_b")
    # Token and user, names, call lock, the call's events, the event, the interaction and its history
    # row, the customer match (about 12 statements, savepoints aside).
    with django_assert_max_num_queries(16):
        assert pbx("call.offered", "c-queries", 0, caller="0612345678").status_code == 201
    # ... and a presence change: agent lock, newer-call check, the status change with its log.
    with django_assert_max_num_queries(36):
        assert pbx("call.answered", "c-queries", 10, agent="agent_a", caller="0612345678").status_code == 201
    with django_assert_max_num_queries(36):
        assert pbx("call.ended", "c-queries", 40, agent="agent_a", caller="0612345678").status_code == 201
    # A repeat reads and writes nothing more than the call and its events.
    with django_assert_max_num_queries(8):
        assert pbx("call.answered", "c-queries", 10, agent="agent_a", caller="0612345678").status_code == 200


# --- Access (the whole matrix is tests/interactions/cti_access.py) ------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "expected"), [("agent_a", 403), ("supervisor_a", 403), ("manager", 201), ("admin", 201)]
)
def test_integration_accounts_are_managers_or_admins(center, api_client_for, who, expected):
    user = {
        "agent_a": center.agent_a,
        "supervisor_a": center.supervisor_a,
        "manager": center.manager,
        "admin": center.admin,
    }[who]
    body = {"event": "call.offered", "call_id": f"c-{who}", "timestamp": at(0).isoformat()}
    assert api_client_for(user).post(URL, body, format="json").status_code == expected


# --- Data protection --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_numbers_kept_with_a_call_can_be_erased(pbx):
    pbx("call.offered", "c-erase", 0, caller="0612345678")
    pbx("call.ended", "c-erase", 20, caller="0612345678")
    assert cti_call_erase_numbers(interaction=interaction_of("c-erase")) == 2
    for event in CtiEvent.objects.all():
        assert event.caller == "" and "from" not in event.payload and "to" not in event.payload
    assert CtiCall.objects.get(call_id="c-erase").caller == ""


# --- Property: any order, any repeats, the same interaction -----------------------------------


@st.composite
def call_scripts(draw) -> list[tuple[str, int]]:
    """The events of one plausible call, in time order: (event, seconds after T0)."""
    t = 0
    events = [("call.offered", 0)]
    ending = draw(st.sampled_from(["answered", "abandoned", "ended unanswered"]))
    if ending == "answered":
        t += draw(st.integers(0, 60))
        events.append(("call.answered", t))
        holds = draw(st.integers(0, 3))
        for n in range(holds):
            t += draw(st.integers(1, 30))
            events.append(("call.held", t))
            if n < holds - 1 or draw(st.booleans()):  # the last hold may stay open until the end
                t += draw(st.integers(0, 40))
                events.append(("call.resumed", t))
        t += draw(st.integers(1, 300))
        events.append(("call.ended", t))
        if draw(st.booleans()):
            events.append(("call.wrapup_ended", t + draw(st.integers(0, 120))))
    else:
        t += draw(st.integers(1, 120))
        events.append(("call.abandoned" if ending == "abandoned" else "call.ended", t))
    return events


@st.composite
def deliveries(draw) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """A call's events in time order, and the same events shuffled with some delivered twice."""
    script = draw(call_scripts())
    shuffled = list(draw(st.permutations(script)))
    for repeat in draw(st.lists(st.sampled_from(script), max_size=4)):
        shuffled.insert(draw(st.integers(0, len(shuffled))), repeat)
    return script, shuffled


def _deliver(events: list[tuple[str, int]], call_id: str, agent, queue, caller: str) -> list[bool]:
    return [
        cti_event_apply(
            event=event,
            call_id=call_id,
            timestamp=at(seconds),
            caller=caller,
            queue=queue,
            agent=agent if event != "call.offered" else None,
        ).duplicate
        for event, seconds in events
    ]


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=examples(50), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(delivery=deliveries())
def test_any_order_with_repeats_gives_the_in_order_interaction(delivery, center):
    script, shuffled = delivery
    n = next(_calls)
    queue = QueueFactory(name=f"prop-queue-{n}")
    phone = f"+3361{n:07d}"
    customer = customer_create(first_name="Prop", last_name=str(n), phones=[phone])
    agents = [AgentProfileFactory(status_since=T0 - timedelta(days=1)).user for _ in range(2)]

    _deliver(script, f"prop-{n}-in-order", agents[0], queue, phone)
    repeats = _deliver(shuffled, f"prop-{n}-shuffled", agents[1], queue, phone.replace("+33", "0"))

    assert sum(not duplicate for duplicate in repeats) == len(script)  # each event applied once
    in_order = interaction_of(f"prop-{n}-in-order")
    shuffled_ = interaction_of(f"prop-{n}-shuffled")
    fields = ("offered_at", "answered_at", "ended_at", "wrapup_ended_at", "hold_seconds", "queue_id", "customer_id")
    assert {f: getattr(shuffled_, f) for f in fields} == {f: getattr(in_order, f) for f in fields}
    assert shuffled_.customer_id == customer.pk
    assert (shuffled_.agent_id is None) == (in_order.agent_id is None)
    assert status_of(agents[1]) == status_of(agents[0])
    assert CtiEvent.objects.filter(cti_call__call_id=f"prop-{n}-shuffled").count() == len(script)
    # The stored events recompute to what is stored.
    state = call_state(
        CallEvent(e.event, e.timestamp, e.caller, e.queue_id, e.agent_id)
        for e in CtiEvent.objects.filter(cti_call__call_id=f"prop-{n}-shuffled")
    )
    assert (state.offered_at, state.ended_at, state.hold_seconds) == (
        shuffled_.offered_at,
        shuffled_.ended_at,
        shuffled_.hold_seconds,
    )


# --- Concurrency, for real, on PostgreSQL (tests/concurrency.py: threads, own connections) ---------


@race
def test_concurrent_duplicates_make_one_interaction_and_one_event_on_postgresql():
    queue = QueueFactory(name="Concurrent queue")

    def offer():
        return cti_event_apply(
            event="call.offered", call_id="c-race", timestamp=at(0), caller="0612345678", queue=queue
        )

    outcomes = run_concurrently(*[offer] * 8)
    assert sorted(o.duplicate for o in outcomes) == [False] + [True] * 7
    assert len({o.interaction.pk for o in outcomes}) == 1
    assert CtiCall.objects.filter(call_id="c-race").count() == 1
    assert CtiEvent.objects.filter(cti_call__call_id="c-race").count() == 1
    assert Interaction.objects.filter(source="cti", external_id="c-race").count() == 1


@race
def test_concurrent_events_of_one_call_all_apply_on_postgresql():
    queue = QueueFactory(name="Concurrent queue")
    agent = AgentProfileFactory(status_since=T0 - timedelta(days=1)).user
    script = [
        ("call.offered", 0),
        ("call.answered", 10),
        ("call.held", 20),
        ("call.resumed", 40),
        ("call.ended", 100),
        ("call.wrapup_ended", 130),
    ]

    def deliver(event: str, seconds: int):
        return lambda: cti_event_apply(
            event=event, call_id="c-storm", timestamp=at(seconds), caller="0612345678", queue=queue, agent=agent
        )

    outcomes = run_concurrently(*[deliver(event, seconds) for event, seconds in script * 2])
    assert sum(not o.duplicate for o in outcomes) == len(script)
    interaction = Interaction.objects.get(source="cti", external_id="c-storm")
    assert (interaction.offered_at, interaction.answered_at, interaction.ended_at) == (at(0), at(10), at(100))
    assert (interaction.wrapup_ended_at, interaction.hold_seconds, interaction.agent) == (at(130), 20, agent)
    assert CtiEvent.objects.filter(cti_call__call_id="c-storm").count() == len(script)
    assert AgentProfile.objects.get(user=agent).status == "available"
