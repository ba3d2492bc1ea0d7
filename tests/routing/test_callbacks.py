"""Callbacks (docs/routing.md, *Callbacks*): promised, due → routed (the promiser first), accepted,
tried, retried, missed; the API's answers and refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from contactcenter.agents.models import AgentProfile
from contactcenter.distribution import events, selectors
from contactcenter.distribution.models import Callback, CallbackAttempt, WorkItem, WorkKind, WorkState
from contactcenter.distribution.selection import RULE_PROMISED
from contactcenter.distribution.services import (
    NO_BRIDGE,
    NO_EXTENSION,
    ON_CONTACT,
    CallbackClosed,
    callback_attempt_log,
    callback_cancel,
    callback_create,
    callback_dial,
    callback_make_due,
    callbacks_make_due,
    offer_accept,
    routing_dispatch,
)
from contactcenter.distribution.tasks import routing_callbacks
from contactcenter.telephony.models import Command
from customers.services import customer_erase, customer_merge
from tests.customers.factories import CustomerFactory
from tests.routing.factories import idle_agent
from tests.telephony.helpers import bridge_online, give_extension

pytestmark = pytest.mark.django_db

API = "/api/v1/callbacks/"


def promise(org, *, by=None, minutes: int = 60, **extra) -> Callback:
    return callback_create(
        queue=extra.pop("queue", org.queue_a),
        phone=extra.pop("phone", "06 12 34 56 78"),
        due_at=timezone.now() + timedelta(minutes=minutes),
        by=by or org.agent_a,
        customer=extra.pop("customer", None),
        **extra,
    )


def fresh(callback: Callback) -> Callback:
    return Callback.objects.get(pk=callback.pk)


# --- The service ------------------------------------------------------------------------------------


def test_a_callback_is_scheduled_with_its_number_in_e164(org):
    callback = promise(org, note="About the invoice")
    assert (callback.phone, callback.state, callback.promised_by, callback.attempts) == (
        "+33612345678",
        "scheduled",
        org.agent_a,
        0,
    )
    assert callback.next_attempt_at == callback.due_at
    assert callback.work_item is None


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"phone": "not a number"}, "phone"),
        ({"phone": "12"}, "phone"),
        ({"minutes": -60}, "due_at"),
        ({"minutes": 60 * 24 * 400}, "due_at"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(org, extra, field):
    with pytest.raises(ValidationError) as refused:
        promise(org, **extra)
    assert field in refused.value.message_dict
    assert not Callback.objects.exists()


def test_due_now_it_waits_in_its_queue_at_once(org):
    callback = promise(org, minutes=0)
    callback = fresh(callback)
    assert callback.state == "waiting"
    assert (callback.work_item.kind, callback.work_item.state, callback.work_item.queue) == (
        "callback",
        "waiting",
        org.queue_a,
    )


def test_the_due_job_enqueues_once_when_run_twice(org):
    callback = promise(org, minutes=10)
    assert routing_callbacks() == {"enqueued": 0}  # not due yet
    later = timezone.now() + timedelta(minutes=11)
    assert callbacks_make_due(now=later) == [callback.pk]
    assert callbacks_make_due(now=later) == []
    assert callback_make_due(callback_id=callback.pk, now=later) is False
    assert WorkItem.objects.filter(kind=WorkKind.CALLBACK).count() == 1
    assert fresh(callback).state == "waiting"


def test_the_promiser_is_offered_it_before_the_longest_idle(org):
    idle_agent(org.queue_a, "longest", minutes=30)
    promiser = idle_agent(org.queue_a, "promiser", minutes=1)
    callback = promise(org, by=promiser.user, minutes=0)
    offers = routing_dispatch()
    assert [(offer.agent_id, offer.rule) for offer in offers] == [(promiser.user_id, RULE_PROMISED)]
    assert offers[0].item_id == fresh(callback).work_item_id


def test_the_offer_carries_the_number_to_dial_and_the_list_finds_it_by_work_item(org, api_client_for):
    promiser = idle_agent(org.queue_a, "promiser", minutes=1)
    callback = promise(org, by=promiser.user, minutes=0, note="Invoice")
    (offer,) = routing_dispatch()
    item = events.offer_payload(offer.pk)["item"]
    assert item["kind"] == "callback"
    assert item["callback"] == {
        "id": callback.pk,
        "phone": "+33612345678",
        "due_at": callback.due_at.isoformat(),
        "note": "Invoice",
        "attempts": 0,
        "promised_by": "promiser",
    }
    listed = api_client_for(promiser.user).get(API, {"work_item": offer.item_id}).json()["results"]
    assert [row["id"] for row in listed] == [callback.pk]


def test_a_promiser_who_is_not_eligible_leaves_it_to_the_rest(org):
    longest = idle_agent(org.queue_a, "longest", minutes=30)
    promise(org, by=org.manager, minutes=0)  # not an agent of the queue
    offers = routing_dispatch()
    assert [(offer.agent_id, offer.rule) for offer in offers] == [(longest.user_id, "longest_idle")]


def test_accepting_puts_it_in_progress_and_the_dial_seam_says_no_bridge(org):
    agent = idle_agent(org.queue_a, "promiser", minutes=1)
    callback = promise(org, by=agent.user, minutes=0)
    (offer,) = routing_dispatch()
    item = offer_accept(offer_id=offer.pk, by=agent.user)
    assert item.state == WorkState.ASSIGNED
    callback = fresh(callback)
    assert callback.state == "in_progress"
    assert selectors.my_callbacks(user=agent.user) == [callback]
    result = callback_dial(callback=callback, by=agent.user)
    assert (result.placed, result.reason) == (False, NO_BRIDGE)
    assert not Command.objects.exists()


def test_dialling_a_callback_asks_the_bridge_for_the_callbacks_number_customer_and_queue(org):
    agent = idle_agent(org.queue_a, "promiser", minutes=1)
    customer = CustomerFactory()
    callback = promise(org, by=agent.user, minutes=0, customer=customer)
    (offer,) = routing_dispatch()
    offer_accept(offer_id=offer.pk, by=agent.user)
    bridge_online("dial")
    # No extension on the agent's profile: nothing to ring first.
    result = callback_dial(callback=fresh(callback), by=agent.user)
    assert (result.placed, result.reason) == (False, NO_EXTENSION)
    give_extension(agent.user, "1001")
    user = type(agent.user).objects.get(pk=agent.user.pk)  # as a request reads it, with the extension
    result = callback_dial(callback=fresh(callback), by=user)
    assert result.placed and result.command == Command.objects.get()
    assert (result.command.action, result.command.state, result.command.bridge) == ("dial", "pending", "asterisk")
    assert result.command.arguments == {
        "to": callback.phone,
        "extension": "1001",
        "agent": agent.user.username,
        "customer": customer.pk,
        "queue": org.queue_a.name,
    }
    # On a contact: not now.
    AgentProfile.objects.filter(pk=agent.pk).update(status="busy")
    result = callback_dial(callback=fresh(callback), by=user)
    assert (result.placed, result.reason) == (False, ON_CONTACT)
    assert Command.objects.count() == 1


def test_reached_is_done_kept_on_time_and_the_work_item_is_over(org):
    agent = idle_agent(org.queue_a, "promiser", minutes=1)
    callback = promise(org, by=agent.user, minutes=0)
    (offer,) = routing_dispatch()
    offer_accept(offer_id=offer.pk, by=agent.user)
    attempt = callback_attempt_log(callback=callback, outcome="reached", note="All good", by=agent.user)
    callback = fresh(callback)
    assert (callback.state, callback.attempts, callback.kept_on_time) == ("done", 1, True)
    assert callback.first_attempt_at == attempt.at and callback.closed_at == attempt.at
    assert callback.work_item.state == WorkState.DONE
    with pytest.raises(CallbackClosed):
        callback_attempt_log(callback=callback, outcome="reached", by=agent.user)


def test_no_answer_is_retried_after_the_delay_then_missed(org, settings):
    settings.CALLBACK_MAX_ATTEMPTS, settings.CALLBACK_RETRY_MINUTES = 3, 15
    callback = promise(org, minutes=0)
    now = timezone.now()
    for attempt in (1, 2):
        callback_attempt_log(callback=callback, outcome="no_answer", by=org.agent_a, now=now)
        callback = fresh(callback)
        assert (callback.state, callback.attempts) == ("scheduled", attempt)
        assert callback.next_attempt_at == now + timedelta(minutes=15)
        assert callback.work_item.state == WorkState.CANCELLED  # it waited: it leaves the line
        assert callbacks_make_due(now=now + timedelta(minutes=14)) == []
        now += timedelta(minutes=15)
        assert callbacks_make_due(now=now) == [callback.pk]
        assert fresh(callback).state == "waiting"
    callback_attempt_log(callback=callback, outcome="busy", by=org.agent_a, now=now)
    callback = fresh(callback)
    assert (callback.state, callback.attempts, callback.closed_at) == ("missed", 3, now)
    assert list(CallbackAttempt.objects.filter(callback=callback).values_list("outcome", flat=True)) == [
        "no_answer",
        "no_answer",
        "busy",
    ]


def test_a_late_first_attempt_is_not_kept_on_time(org, settings):
    settings.CALLBACK_ON_TIME_MINUTES = 15
    callback = promise(org, minutes=0)
    late = callback.due_at + timedelta(minutes=16)
    callback_attempt_log(callback=callback, outcome="wrong_number", by=org.agent_a, now=late)
    callback = fresh(callback)
    assert (callback.state, callback.kept_on_time) == ("missed", False)


def test_an_unknown_outcome_is_refused_naming_it(org):
    callback = promise(org, minutes=0)
    with pytest.raises(ValidationError) as refused:
        callback_attempt_log(callback=callback, outcome="maybe", by=org.agent_a)
    assert "outcome" in refused.value.message_dict
    assert fresh(callback).attempts == 0


def test_cancel_withdraws_the_open_offer_and_frees_the_agent(org):
    agent = idle_agent(org.queue_a, "promiser", minutes=1)
    callback = promise(org, by=agent.user, minutes=0)
    (offer,) = routing_dispatch()
    callback_cancel(callback=callback, by=agent.user)
    callback = fresh(callback)
    assert callback.state == "cancelled"
    assert callback.work_item.state == WorkState.CANCELLED
    offer.refresh_from_db()
    assert offer.outcome == "withdrawn"
    with pytest.raises(CallbackClosed):
        callback_cancel(callback=callback, by=agent.user)


def test_an_agent_cancels_only_what_they_promised(org):
    callback = promise(org, by=org.supervisor_a)
    with pytest.raises(PermissionDenied):
        callback_cancel(callback=callback, by=org.agent_a)
    assert fresh(callback).state == "scheduled"


# --- The API ----------------------------------------------------------------------------------------


def _body(org, **changes) -> dict:
    customer = changes.pop("customer_obj", None) or CustomerFactory()
    due = (timezone.now() + timedelta(hours=1)).isoformat()
    return {
        "customer": customer.pk,
        "phone": "+33 1 70 00 00 02",
        "due_at": due,
        "queue": "Queue A",
        "note": "Call back about the invoice",
    } | changes


def test_post_as_admin_answers_201_with_the_callback(org, api_client_for):
    body = _body(org)
    response = api_client_for(org.admin).post(API, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["phone"], data["queue"], data["state"], data["promised_by"], data["customer"]) == (
        "+33170000002",
        "Queue A",
        "scheduled",
        "admin_user",
        body["customer"],
    )
    assert Callback.objects.get(pk=data["id"]).note == "Call back about the invoice"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"phone": "call me"}, "phone"),
        ({"phone": ""}, "phone"),
        ({"due_at": "2020-01-01T10:00:00Z"}, "due_at"),
        ({"due_at": "2030-01-01T10:00:00"}, "due_at"),  # no offset
        ({"due_at": "tomorrow"}, "due_at"),
        ({"queue": "Nope"}, "queue"),
        ({"customer": 999999}, "customer"),
        ({"customer": None}, "customer"),
        ({"note": "x" * 2001}, "note"),
    ],
)
def test_each_bad_input_answers_400_naming_the_field(org, api_client_for, changes, field):
    response = api_client_for(org.agent_a).post(API, _body(org, **changes), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Callback.objects.exists()


def test_an_inactive_queue_is_refused(org, api_client_for):
    org.queue_b.is_active = False
    org.queue_b.save()
    response = api_client_for(org.admin).post(API, _body(org, queue="Queue B"), format="json")
    assert response.status_code == 400 and "queue" in response.json()


def test_a_user_without_a_role_may_not(org, api_client_for):
    assert api_client_for(org.nobody).post(API, _body(org), format="json").status_code == 403
    assert api_client_for(org.nobody).get(API).status_code == 403


def test_agents_see_theirs_and_their_queues(org, api_client_for):
    mine = promise(org, by=org.agent_a, queue=org.queue_b)  # promised by them, in another queue
    in_my_queue = promise(org, by=org.supervisor_a)
    other = promise(org, by=org.agent_b, queue=org.queue_b)
    listed = [row["id"] for row in api_client_for(org.agent_a).get(API).json()["results"]]
    assert sorted(listed) == sorted([mine.pk, in_my_queue.pk])
    assert api_client_for(org.agent_a).get(f"{API}{other.pk}/").status_code == 404
    everyone = [row["id"] for row in api_client_for(org.manager).get(API).json()["results"]]
    assert sorted(everyone) == sorted([mine.pk, in_my_queue.pk, other.pk])


def test_the_list_filters_by_state_queue_and_due_range(org, api_client_for):
    soon = promise(org, minutes=30)
    later = promise(org, minutes=300, queue=org.queue_b, by=org.manager)
    missed = promise(org, minutes=0)
    callback_attempt_log(callback=missed, outcome="wrong_number", by=org.agent_a)
    client = api_client_for(org.manager)

    def ids(**query) -> list[int]:
        response = client.get(API, query)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(state="missed") == [missed.pk]
    assert ids(queue="Queue B") == [later.pk]
    cut = (timezone.now() + timedelta(minutes=60)).isoformat()
    assert ids(due_after=cut) == [later.pk]
    assert ids(due_before=cut) == [missed.pk, soon.pk]
    assert client.get(API, {"state": "lost"}).status_code == 400
    assert client.get(API, {"due_after": "2030-01-01T10:00:00"}).status_code == 400
    counts = client.get(f"{API}counts/").json()
    assert counts == {
        "scheduled": 2,
        "waiting": 0,
        "in_progress": 0,
        "done": 0,
        "missed": 1,
        "cancelled": 0,
        "kept_on_time": 1,
        "late": 0,
    }
    assert client.get(f"{API}counts/", {"state": "missed"}).json()["missed"] == 1


def test_detail_shows_the_attempts(org, api_client_for):
    callback = promise(org, minutes=0)
    client = api_client_for(org.agent_a)
    response = client.post(f"{API}{callback.pk}/attempts/", {"outcome": "no_answer", "note": "Rang 10 times"})
    assert response.status_code == 201, response.json()
    assert response.json()["state"] == "scheduled"
    detail = client.get(f"{API}{callback.pk}/").json()
    assert [(a["outcome"], a["note"], a["agent"]) for a in detail["attempt_log"]] == [
        ("no_answer", "Rang 10 times", "agent_a")
    ]
    bad = client.post(f"{API}{callback.pk}/attempts/", {"outcome": "maybe"})
    assert bad.status_code == 400 and "outcome" in bad.json()


def test_cancel_then_409(org, api_client_for):
    callback = promise(org)
    client = api_client_for(org.agent_a)
    response = client.post(f"{API}{callback.pk}/cancel/")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    assert client.post(f"{API}{callback.pk}/cancel/").status_code == 409
    assert client.post(f"{API}{callback.pk}/attempts/", {"outcome": "reached"}).status_code == 409


def test_an_agent_may_not_cancel_a_colleagues_callback(org, api_client_for):
    callback = promise(org, by=org.supervisor_a)
    assert api_client_for(org.agent_a).post(f"{API}{callback.pk}/cancel/").status_code == 403
    assert api_client_for(org.supervisor_a).post(f"{API}{callback.pk}/cancel/").status_code == 200


# --- The customer's merges and erasures ------------------------------------------------------------


def test_a_merged_duplicates_callbacks_go_to_the_kept_customer(org):
    kept, duplicate = CustomerFactory(), CustomerFactory()
    callback = promise(org, customer=duplicate)
    customer_merge(customer=kept, duplicate=duplicate, by=org.admin)
    assert fresh(callback).customer == kept


def test_an_erased_customers_callbacks_are_cancelled_and_blanked(org):
    customer = CustomerFactory()
    agent = idle_agent(org.queue_a, "promiser", minutes=1)
    waiting = promise(org, by=agent.user, customer=customer, minutes=0, note="Ask for Anne")
    (offer,) = routing_dispatch()
    done = promise(org, customer=customer, minutes=0)
    callback_attempt_log(callback=done, outcome="reached", note="Anne was pleased", by=org.agent_a)
    other = promise(org, customer=CustomerFactory())
    record = customer_erase(customer=customer, by=org.admin)
    assert record.counts["callbacks"] == 2
    waiting, done = fresh(waiting), fresh(done)
    assert (waiting.state, waiting.phone, waiting.note, waiting.work_item.state) == ("cancelled", "", "", "cancelled")
    offer.refresh_from_db()
    assert offer.outcome == "withdrawn"
    assert (done.state, done.phone) == ("done", "")
    assert list(CallbackAttempt.objects.filter(callback=done).values_list("note", flat=True)) == [""]
    assert fresh(other).phone == "+33612345678"
