"""The simulated call (issue #6): a call played through the real CTI intake from the wallboard's
button, the desktop's "End simulated call" button and ``manage.py simulate_call``."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from contactcenter.agents.models import AgentProfile, Status
from contactcenter.desk import simulation
from contactcenter.desk.simulation import (
    simulated_call_end,
    simulated_call_offer,
    simulated_call_pick_agent,
    simulated_call_start,
    simulated_call_wrapup_end,
    simulated_caller_number,
)
from customers.models import ContactPoint
from interactions.cti import cti_event_apply
from interactions.models import CtiCall, CtiEvent, Interaction
from tests.agents.factories import AgentProfileFactory
from tests.customers.factories import PhoneFactory
from tests.interactions.factories import InteractionFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def set_status(user, status: str, *, minutes_ago: float = 10) -> None:
    AgentProfile.objects.filter(user=user).update(
        status=status, status_reason="", status_since=timezone.now() - timedelta(minutes=minutes_ago)
    )


def status_of(user) -> str:
    return AgentProfile.objects.get(user=user).status


@pytest.fixture
def center(org):
    """``org`` with agent A available, and a customer with a phone number."""
    set_status(org.agent_a, Status.AVAILABLE)
    org.phone = PhoneFactory(value="+33612345678")
    return org


def call_id_of(interaction: Interaction) -> str:
    return CtiCall.objects.get(interaction=interaction).call_id


# --- Services -------------------------------------------------------------------------------------


def test_a_simulated_call_rings_and_an_available_agent_of_the_queue_answers(center):
    interaction = simulated_call_start(queue=center.queue_a, by=center.supervisor_a)

    interaction.refresh_from_db()
    assert interaction.agent == center.agent_a
    assert interaction.queue == center.queue_a
    assert interaction.answered_at is not None and interaction.ended_at is None
    assert (interaction.channel, interaction.direction, interaction.source) == ("voice", "inbound", "cti")
    # The only customer with a phone: the screen pop shows a known customer.
    assert interaction.customer == center.phone.customer
    call_id = call_id_of(interaction)
    assert call_id.startswith("sim-") and interaction.external_id == call_id
    events = list(CtiEvent.objects.filter(cti_call__call_id=call_id).order_by("pk"))
    assert [e.event for e in events] == ["call.offered", "call.answered"]
    assert events[0].caller == "+33612345678" and events[1].agent == center.agent_a
    assert events[0].received_by == center.supervisor_a
    assert all(e.payload["simulated"] for e in events)
    assert status_of(center.agent_a) == Status.BUSY


def test_the_agent_available_for_the_longest_time_answers_first(center):
    other = AgentProfileFactory(user__username="agent_a2", team=center.team_a, queues=[center.queue_a]).user
    set_status(other, Status.AVAILABLE, minutes_ago=60)

    assert simulated_call_pick_agent(queue=center.queue_a) == other


def test_the_call_goes_to_the_agent_named(center):
    other = AgentProfileFactory(user__username="agent_a2", team=center.team_a, queues=[center.queue_a]).user
    set_status(other, Status.AVAILABLE, minutes_ago=1)

    interaction = simulated_call_start(queue=center.queue_a, agent=other, by=center.supervisor_a)

    assert interaction.agent == other


def test_no_available_agent_means_no_call_at_all(org):
    with pytest.raises(ValidationError) as caught:
        simulated_call_start(queue=org.queue_a, by=org.supervisor_a)

    assert "Nobody is available in the queue Queue A" in caught.value.message_dict["agent"][0]
    assert not Interaction.objects.exists() and not CtiCall.objects.exists()


@pytest.mark.parametrize(
    ("who", "message"),
    [("agent_b", "does not answer the queue Queue A"), ("agent_on_break", "is not available (now: Break)")],
)
def test_a_named_agent_must_be_in_the_queue_and_available(center, who, message):
    if who == "agent_on_break":
        agent = center.agent_a
        AgentProfile.objects.filter(user=agent).update(status=Status.BREAK, status_reason="lunch")
    else:
        agent = center.agent_b
        set_status(agent, Status.AVAILABLE)

    with pytest.raises(ValidationError) as caught:
        simulated_call_start(queue=center.queue_a, agent=agent, by=center.supervisor_a)

    assert message in caught.value.message_dict["agent"][0]
    assert not CtiCall.objects.exists()


def test_a_user_without_profile_is_not_an_agent(center):
    with pytest.raises(ValidationError, match="is not an active agent"):
        simulated_call_pick_agent(queue=center.queue_a, agent=center.nobody)


def test_an_inactive_queue_takes_no_call(center):
    center.queue_a.is_active = False
    center.queue_a.save()

    with pytest.raises(ValidationError, match="not active"):
        simulated_call_start(queue=center.queue_a, by=None)


def test_an_unknown_caller_matches_no_customer(center):
    interaction = simulated_call_start(queue=center.queue_a, caller="unknown", by=None)

    assert interaction.customer is None
    caller = CtiCall.objects.get(interaction=interaction).caller
    assert caller.startswith("+33") and not ContactPoint.objects.filter(value=caller).exists()


def test_a_number_given_in_any_format_is_the_caller(center):
    interaction = simulated_call_start(queue=center.queue_a, caller="06 12 34 56 78", by=None)

    assert interaction.customer == center.phone.customer


def test_a_caller_that_is_not_a_number_is_refused(center):
    with pytest.raises(ValidationError) as caught:
        simulated_call_start(queue=center.queue_a, caller="hello", by=None)

    assert "caller" in caught.value.message_dict
    assert not CtiCall.objects.exists()


def test_with_no_customer_at_all_the_caller_is_unknown(org):
    number = simulated_caller_number()

    assert number.startswith("+") and not ContactPoint.objects.exists()


def test_erased_customers_are_never_the_random_caller(center):
    center.phone.customer.erased_at = timezone.now()
    center.phone.customer.save()

    assert simulated_caller_number() != "+33612345678"


def test_ending_a_simulated_call_ends_it_and_the_agent_wraps_up(center):
    interaction = simulated_call_start(queue=center.queue_a, by=None)

    simulated_call_end(interaction=interaction, by=center.agent_a)

    interaction.refresh_from_db()
    assert interaction.ended_at is not None and interaction.answered_at is not None
    assert not interaction.abandoned
    assert status_of(center.agent_a) == Status.WRAP_UP
    assert list(CtiEvent.objects.filter(cti_call__interaction=interaction).values_list("event", flat=True)) == [
        "call.offered",
        "call.answered",
        "call.ended",
    ]
    simulated_call_wrapup_end(interaction=interaction, by=None)
    interaction.refresh_from_db()
    assert interaction.wrapup_ended_at is not None
    assert status_of(center.agent_a) == Status.AVAILABLE


def test_a_simulated_call_ends_once(center):
    interaction = simulated_call_start(queue=center.queue_a, by=None)
    simulated_call_end(interaction=interaction, by=None)

    with pytest.raises(ValidationError, match="already over"):
        simulated_call_end(interaction=interaction, by=None)


def test_a_real_call_cannot_be_ended_from_the_pages(center):
    real = cti_event_apply(
        event="call.offered", call_id="pbx-1", timestamp=timezone.now(), caller="+33612345678", queue=center.queue_a
    ).interaction
    logged = InteractionFactory(queue=center.queue_a, ended_at=None, wrapup_ended_at=None)

    for interaction in (real, logged):
        with pytest.raises(ValidationError, match="not a simulated call"):
            simulated_call_end(interaction=interaction, by=None)
    real.refresh_from_db()
    assert real.ended_at is None


def test_an_unanswered_simulated_call_hung_up_is_abandoned(center):
    interaction = simulated_call_offer(queue=center.queue_a, by=None, at=timezone.now() - timedelta(seconds=30))

    simulated_call_end(interaction=interaction, by=None)

    interaction.refresh_from_db()
    assert interaction.abandoned


def test_the_wrapup_ends_only_after_the_end(center):
    interaction = simulated_call_start(queue=center.queue_a, by=None)

    with pytest.raises(ValidationError, match="that is over"):
        simulated_call_wrapup_end(interaction=interaction, by=None)


def test_a_simulated_call_announces_itself_like_a_real_one(center, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr("contactcenter.core.events._send", lambda groups, kind, payload: sent.append(kind))

    with django_capture_on_commit_callbacks(execute=True):
        simulated_call_start(queue=center.queue_a, by=None)

    assert {"incoming", "screen_pop", "interaction_logged", "agent_status", "status_changed"} <= set(sent)


# --- The wallboard's button -----------------------------------------------------------------------


def test_a_supervisor_plays_a_simulated_call_from_the_wallboard(client, center):
    client.force_login(center.supervisor_a)

    response = client.post(
        reverse("desk:simulate_call"), {"queue": center.queue_a.pk, "agent": "", "caller": "known"}, **HTMX
    )

    assert response.status_code == 200
    assert response["HX-Trigger"] == "wallboard-changed"
    interaction = Interaction.objects.get()
    assert interaction.agent == center.agent_a
    assert f"Call {interaction.pk} rings in Queue A" in response.content.decode()


def test_without_htmx_the_button_answers_the_whole_page(client, center):
    client.force_login(center.supervisor_a)

    response = client.post(reverse("desk:simulate_call"), {"queue": center.queue_a.pk, "caller": "unknown"})

    assert response.status_code == 200
    assert "wb-board" in response.content.decode()
    assert Interaction.objects.get().customer is None


def test_the_button_says_why_no_call_was_played(client, org):
    client.force_login(org.supervisor_a)

    response = client.post(reverse("desk:simulate_call"), {"queue": org.queue_a.pk, "caller": "known"}, **HTMX)

    assert response.status_code == 400
    assert "Nobody is available in the queue Queue A" in response.content.decode()
    assert not Interaction.objects.exists()


def test_a_supervisor_cannot_simulate_in_another_teams_queue(client, center):
    set_status(center.agent_b, Status.AVAILABLE)
    client.force_login(center.supervisor_a)

    response = client.post(reverse("desk:simulate_call"), {"queue": center.queue_b.pk, "caller": "known"}, **HTMX)

    assert response.status_code == 400
    assert not Interaction.objects.exists()


def test_agents_may_not_play_simulated_calls(client, center):
    client.force_login(center.agent_a)

    response = client.post(reverse("desk:simulate_call"), {"queue": center.queue_a.pk, "caller": "known"})

    assert response.status_code == 403
    assert not Interaction.objects.exists()


def test_the_form_is_on_the_wallboard_for_supervisors(client, center):
    client.force_login(center.supervisor_a)

    html = client.get(reverse("desk:wallboard")).content.decode()

    assert "Play a simulated call" in html and reverse("desk:simulate_call") in html


# --- The desktop's "End simulated call" button -----------------------------------------------------


@pytest.fixture
def ringing(center):
    return simulated_call_start(queue=center.queue_a, by=None)


def test_the_calls_own_agent_ends_it(client, center, ringing):
    client.force_login(center.agent_a)

    response = client.post(reverse("desk:simulated_call_end", args=[ringing.pk]), **HTMX)

    assert response.status_code == 204
    assert response["HX-Trigger"] == "call-changed"
    ringing.refresh_from_db()
    assert ringing.ended_at is not None


def test_without_htmx_the_agent_goes_back_to_the_desktop(client, center, ringing):
    client.force_login(center.agent_a)

    response = client.post(reverse("desk:simulated_call_end", args=[ringing.pk]))

    assert response.status_code == 302 and response["Location"] == reverse("desk:desktop")


def test_a_supervisor_of_the_team_ends_it(client, center, ringing):
    client.force_login(center.supervisor_a)

    assert client.post(reverse("desk:simulated_call_end", args=[ringing.pk]), **HTMX).status_code == 204


def test_another_agent_of_the_queue_may_see_the_call_but_not_end_it(client, center, ringing):
    colleague = AgentProfileFactory(user__username="agent_a2", team=center.team_a, queues=[center.queue_a]).user
    client.force_login(colleague)

    response = client.post(reverse("desk:simulated_call_end", args=[ringing.pk]), **HTMX)

    assert response.status_code == 403
    ringing.refresh_from_db()
    assert ringing.ended_at is None


def test_a_call_the_user_may_not_see_answers_404(client, center, ringing):
    client.force_login(center.agent_b)

    assert client.post(reverse("desk:simulated_call_end", args=[ringing.pk]), **HTMX).status_code == 404
    assert client.post(reverse("desk:simulated_call_end", args=[999999]), **HTMX).status_code == 404


def test_ending_twice_answers_400_with_a_short_message(client, center, ringing):
    client.force_login(center.agent_a)
    client.post(reverse("desk:simulated_call_end", args=[ringing.pk]), **HTMX)

    response = client.post(reverse("desk:simulated_call_end", args=[ringing.pk]), **HTMX)

    assert response.status_code == 400
    assert "already over" in response.content.decode()


def test_ending_is_a_post(client, center, ringing):
    client.force_login(center.agent_a)

    assert client.get(reverse("desk:simulated_call_end", args=[ringing.pk])).status_code == 405


def test_anonymous_users_cannot_end_calls(client, center, ringing):
    response = client.post(reverse("desk:simulated_call_end", args=[ringing.pk]))

    assert response.status_code == 302
    ringing.refresh_from_db()
    assert ringing.ended_at is None


# --- manage.py simulate_call --------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("simulate_call", *args, stdout=out)
    return out.getvalue()


def test_the_command_plays_a_whole_call(center):
    output = run("--queue", "Queue A", "--ring", "0", "--talk", "0")

    interaction = Interaction.objects.get()
    assert interaction.agent == center.agent_a and interaction.ended_at is not None
    assert interaction.wrapup_ended_at is None
    assert status_of(center.agent_a) == Status.WRAP_UP
    assert f"Call {interaction.pk} offered in Queue A" in output
    assert "Answered by agent_a." in output and "Ended: agent_a is in wrap-up." in output
    assert "+33612345678" not in output  # no phone numbers in what a terminal may log


def test_the_command_waits_between_the_steps_and_can_end_the_wrapup(center, monkeypatch):
    pauses = []
    monkeypatch.setattr("contactcenter.desk.management.commands.simulate_call.time.sleep", pauses.append)

    output = run("--queue", "Queue A", "--agent", "agent_a", "--caller", "unknown", "--wrapup", "2")

    assert pauses == [3.0, 20.0, 2.0]
    interaction = Interaction.objects.get()
    assert interaction.customer is None and interaction.wrapup_ended_at is not None
    assert status_of(center.agent_a) == Status.AVAILABLE
    assert "After-call work over: agent_a is available." in output


def test_an_interrupted_command_hangs_the_call_up(center, monkeypatch):
    def interrupt(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr("contactcenter.desk.management.commands.simulate_call.time.sleep", interrupt)

    with pytest.raises(CommandError, match="hung up"):
        run("--queue", "Queue A")

    interaction = Interaction.objects.get()
    assert interaction.ended_at is not None and interaction.answered_at is None  # hung up while ringing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--queue", "Nope"], "No active queue is named “Nope”. Active queues: Queue A, Queue B."),
        (["--queue", "Queue A", "--agent", "ghost"], "No user is named “ghost”."),
        (["--queue", "Queue A", "--agent", "agent_b"], "agent_b does not answer the queue Queue A."),
        (["--queue", "Queue B"], "Nobody is available in the queue Queue B"),
        (["--queue", "Queue A", "--caller", "not a number"], "is not a phone number"),
    ],
)
def test_the_command_explains_what_is_wrong(center, args, message):
    with pytest.raises(CommandError) as caught:
        run(*args, "--ring", "0", "--talk", "0")

    assert message in str(caught.value)
    assert not Interaction.objects.exists()


def test_the_command_refuses_negative_pauses(center):
    with pytest.raises(CommandError, match="not a number of seconds"):
        run("--queue", "Queue A", "--ring", "-1")


def test_simulated_call_ids_are_recognised():
    assert simulation.is_simulated_call_id(simulation.simulated_call_id())
    assert not simulation.is_simulated_call_id("pbx-42")
    assert not simulation.is_simulated_call_id(None)
