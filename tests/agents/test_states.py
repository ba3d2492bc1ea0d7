"""Agent states (docs/agent-states.md): one state at a time, always the one the agent's open calls
say; what a person asks for during a call waits for the end of its wrap-up.

Calls are played through the real CTI intake (:func:`interactions.cti.cti_event_apply`), requests
through the API, the desktop and the services, as users make them.
"""

from __future__ import annotations

import itertools
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from contactcenter.agents.models import AgentProfile, PresenceInterval, Status
from contactcenter.agents.presence import presence_mark_seen, presence_sweep
from contactcenter.agents.states import agent_state_request
from contactcenter.desk.simulation import simulated_call_pick_agent
from interactions.cti import cti_event_apply
from interactions.models import Disposition, Interaction
from interactions.services import interaction_wrapup_log, interactions_wrapup_limit
from interactions.tasks import wrapup_limit

pytestmark = pytest.mark.django_db
_calls = itertools.count()


def profile_of(user) -> AgentProfile:
    return AgentProfile.objects.select_related("user").get(user=user)


def status_of(user) -> tuple[str, str, str]:
    profile = profile_of(user)
    return profile.status, profile.status_reason, profile.pending_status


@pytest.fixture
def center(org):
    """The ``org`` center, agent A available since an hour."""
    AgentProfile.objects.update(status_since=timezone.now() - timedelta(hours=2))
    agent_state_request(
        profile=profile_of(org.agent_a), status=Status.AVAILABLE, by=org.agent_a, at=timezone.now() - timedelta(hours=1)
    )
    return org


class Call:
    """A call of the telephony system, its events posted now (or ``seconds`` ago)."""

    def __init__(self, org, *, offered_to=None, ago: float = 0) -> None:
        self.org, self.call_id = org, f"state-call-{next(_calls)}"
        self.event("call.offered", agent=offered_to, ago=ago)

    def event(self, event: str, *, agent=None, ago: float = 0) -> Interaction:
        return cti_event_apply(
            event=event,
            call_id=self.call_id,
            timestamp=timezone.now() - timedelta(seconds=ago),
            caller="+33612345678",
            queue=self.org.queue_a,
            agent=agent,
        ).interaction


def disposition() -> Disposition:
    return Disposition.objects.order_by("pk").first()


# --- The defects this fixes ----------------------------------------------------------------------


def test_available_during_a_call_keeps_the_agent_busy_and_out_of_the_next_call(center, api_client_for):
    call = Call(center)
    call.event("call.answered", agent=center.agent_a)

    response = api_client_for(center.agent_a).put("/api/v1/agents/me/status/", {"status": "available"}, format="json")

    assert response.status_code == 202
    assert response.json()["status"] == "busy" and response.json()["pending"] is None
    assert status_of(center.agent_a) == ("busy", "", "")
    with pytest.raises(ValidationError):
        simulated_call_pick_agent(queue=center.queue_a)  # nobody available: agent A is on a call


def test_the_wrap_up_cannot_end_without_the_disposition_the_queue_requires(center):
    call = Call(center)
    call.event("call.answered", agent=center.agent_a)
    interaction = call.event("call.ended")

    with pytest.raises(ValidationError) as refused:
        interaction_wrapup_log(interaction=interaction, by=center.agent_a, notes="Explained the bill")
    assert "disposition" in refused.value.message_dict
    assert status_of(center.agent_a) == ("wrap_up", "", "")
    assert Interaction.objects.get(pk=interaction.pk).notes == ""  # nothing half-written

    interaction_wrapup_log(interaction=interaction, by=center.agent_a, disposition=disposition())
    assert status_of(center.agent_a) == ("available", "", "")


def test_a_queue_may_require_notes_and_the_refusal_is_in_french_too(center, api_client_for):
    center.queue_a.wrapup_requires_notes = True
    center.queue_a.save()
    call = Call(center)
    call.event("call.answered", agent=center.agent_a)
    interaction = call.event("call.ended")
    client = api_client_for(center.agent_a)

    url = reverse("interaction-wrapup", kwargs={"pk": interaction.pk})
    refused = client.post(url, {"disposition": disposition().code}, format="json", HTTP_ACCEPT_LANGUAGE="fr")

    assert refused.status_code == 400
    assert "note" in refused.json()["notes"][0].lower()
    with translation.override("fr"), pytest.raises(ValidationError) as french:
        interaction_wrapup_log(interaction=interaction, by=center.agent_a, disposition=disposition())
    assert "note" in french.value.messages[0] and "Write" not in french.value.messages[0]


# --- The agent's own requests --------------------------------------------------------------------


def test_a_break_asked_during_a_call_waits_for_the_end_of_its_wrap_up(center, api_client_for):
    client = api_client_for(center.agent_a)
    call = Call(center)
    call.event("call.answered", agent=center.agent_a)

    response = client.put("/api/v1/agents/me/status/", {"status": "break", "reason": "lunch"}, format="json")

    assert response.status_code == 202
    assert {k: response.json()[k] for k in ("status", "pending", "reason")} == {
        "status": "busy",
        "pending": "break",
        "reason": "lunch",
    }
    interaction = call.event("call.ended")
    assert status_of(center.agent_a) == ("wrap_up", "", "break")
    interaction_wrapup_log(interaction=interaction, by=center.agent_a, disposition=disposition())
    assert status_of(center.agent_a) == ("break", "lunch", "")
    latest = PresenceInterval.objects.filter(agent=center.agent_a).order_by("-started_at", "-pk").first()
    assert (latest.status, latest.reason, latest.set_by) == ("break", "lunch", center.agent_a)


def test_available_clears_what_was_pending(center, api_client_for):
    client = api_client_for(center.agent_a)
    call = Call(center)
    call.event("call.answered", agent=center.agent_a)
    client.put("/api/v1/agents/me/status/", {"status": "offline"}, format="json")

    response = client.put("/api/v1/agents/me/status/", {"status": "available"}, format="json")

    assert (response.status_code, response.json()["pending"]) == (202, None)
    call.event("call.ended")
    call.event("call.wrapup_ended")
    assert status_of(center.agent_a) == ("available", "", "")


def test_available_in_wrap_up_ends_the_wrap_up(center, api_client_for):
    client = api_client_for(center.agent_a)
    call = Call(center, ago=70)
    call.event("call.answered", agent=center.agent_a, ago=60)
    interaction = call.event("call.ended", ago=30)

    refused = client.put("/api/v1/agents/me/status/", {"status": "available"}, format="json")
    assert refused.status_code == 400 and "disposition" in refused.json()
    assert status_of(center.agent_a) == ("wrap_up", "", "")

    interaction_wrapup_log(interaction=interaction, by=center.agent_a, disposition=disposition(), end_wrapup=False)
    ready = client.put("/api/v1/agents/me/status/", {"status": "available"}, format="json")

    assert (ready.status_code, ready.json()["status"]) == (200, "available")
    assert Interaction.objects.get(pk=interaction.pk).wrapup_ended_at is not None


def test_a_break_from_available_applies_at_once_and_missed_is_not_a_choice(center, api_client_for):
    client = api_client_for(center.agent_a)
    missed = client.put("/api/v1/agents/me/status/", {"status": "break", "reason": "missed"}, format="json")
    assert missed.status_code == 400 and "reason" in missed.json()
    lunch = client.put("/api/v1/agents/me/status/", {"status": "break", "reason": "lunch"}, format="json")
    assert (lunch.status_code, lunch.json()["status"], lunch.json()["pending"]) == (200, "break", None)


def test_the_desktop_shows_what_waits_for_the_end_of_the_call(center, client):
    call = Call(center)
    call.event("call.answered", agent=center.agent_a)
    client.force_login(center.agent_a)

    page = client.post(reverse("desk:status"), {"status": "break", "reason": "lunch"}, HTTP_HX_REQUEST="true")

    assert page.status_code == 200
    assert "Break after this call" in page.content.decode()
    assert status_of(center.agent_a) == ("busy", "", "break")


# --- The system ------------------------------------------------------------------------------------


def test_an_offer_rings_and_a_missed_one_puts_the_agent_on_a_missed_break(center):
    other = AgentProfile.objects.get(user=center.agent_b)
    other.queues.add(center.queue_a)
    call = Call(center, offered_to=center.agent_a)
    assert status_of(center.agent_a) == ("ringing", "", "")

    call.event("call.answered", agent=center.agent_b)

    assert status_of(center.agent_a) == ("break", "missed", "")
    assert status_of(center.agent_b)[0] == "busy"


def test_an_offer_taken_goes_busy_then_wrap_up_then_available(center):
    call = Call(center, offered_to=center.agent_a)
    call.event("call.answered", agent=center.agent_a)
    assert status_of(center.agent_a)[0] == "busy"
    call.event("call.ended")
    assert status_of(center.agent_a)[0] == "wrap_up"
    call.event("call.wrapup_ended")
    assert status_of(center.agent_a)[0] == "available"
    statuses = list(
        PresenceInterval.objects.filter(agent=center.agent_a)
        .order_by("started_at", "pk")
        .values_list("status", flat=True)
    )
    assert statuses[-4:] == ["ringing", "busy", "wrap_up", "available"]


def test_the_queues_wrap_up_limit_ends_the_wrap_up_at_end_plus_limit(center):
    center.queue_a.wrapup_limit_seconds = 60
    center.queue_a.save()
    call = Call(center, ago=310)
    call.event("call.answered", agent=center.agent_a, ago=300)
    interaction = call.event("call.ended", ago=120)

    assert wrapup_limit() == {"ended": 1}  # the job of every minute

    interaction.refresh_from_db()
    assert interaction.wrapup_ended_at == interaction.ended_at + timedelta(seconds=60)
    profile = profile_of(center.agent_a)
    assert (profile.status, profile.status_since) == ("available", interaction.wrapup_ended_at)
    assert interactions_wrapup_limit() == []  # twice safely


def test_an_agent_gone_in_wrap_up_ends_it_and_goes_offline(center, settings):
    settings.PRESENCE_GRACE_SECONDS = 60
    call = Call(center, ago=610)
    call.event("call.answered", agent=center.agent_a, ago=600)
    interaction = call.event("call.ended", ago=400)
    presence_mark_seen(user_id=center.agent_a.pk, at=time.time() - 300)

    result = presence_sweep()

    assert "agent_a" in result.set_offline
    assert status_of(center.agent_a) == ("offline", "", "")
    assert Interaction.objects.get(pk=interaction.pk).wrapup_ended_at is not None


def test_a_busy_agent_gone_stays_busy(center, settings):
    settings.PRESENCE_GRACE_SECONDS = 60
    Call(center).event("call.answered", agent=center.agent_a)
    presence_mark_seen(user_id=center.agent_a.pk, at=time.time() - 300)
    presence_sweep()
    assert status_of(center.agent_a)[0] == "busy"


# --- Supervisors, managers, admins ------------------------------------------------------------------


def test_a_supervisor_sets_their_agent_offline_after_the_call(center, api_client_for):
    call = Call(center)
    call.event("call.answered", agent=center.agent_a)
    url = reverse("agent-status", kwargs={"username": "agent_a"})

    response = api_client_for(center.supervisor_a).put(url, {"status": "offline"}, format="json")

    assert response.status_code == 202 and response.json()["pending"] == "offline"
    call.event("call.ended")
    call.event("call.wrapup_ended")
    assert status_of(center.agent_a) == ("offline", "", "")
    closed = PresenceInterval.objects.filter(agent=center.agent_a).order_by("-started_at", "-pk").first()
    assert (closed.status, closed.ended_by) == ("wrap_up", center.supervisor_a)


def test_a_manager_puts_an_idle_agent_on_a_break_at_once(center, api_client_for):
    url = reverse("agent-status", kwargs={"username": "agent_a"})
    response = api_client_for(center.manager).put(url, {"status": "break", "reason": "coaching"}, format="json")
    assert (response.status_code, response.json()["status"], response.json()["reason"]) == (200, "break", "coaching")
    latest = PresenceInterval.objects.filter(agent=center.agent_a).order_by("-started_at", "-pk").first()
    assert latest.set_by == center.manager


def test_who_may_set_another_agents_status(center, api_client_for):
    url = reverse("agent-status", kwargs={"username": "agent_b"})
    assert api_client_for(center.supervisor_a).put(url, {"status": "offline"}, format="json").status_code == 404
    assert api_client_for(center.agent_a).put(url, {"status": "offline"}, format="json").status_code == 403
    own_team = reverse("agent-status", kwargs={"username": "agent_a"})
    refused = api_client_for(center.supervisor_a).put(own_team, {"status": "available"}, format="json")
    assert refused.status_code == 400 and "status" in refused.json()


# --- Queues -------------------------------------------------------------------------------------------


def test_a_queue_takes_a_goal_in_hours_and_a_wrap_up_limit(center, api_client_for):
    body = {"name": "Mail", "channel": "email", "service_level_seconds": 14400, "wrapup_limit_seconds": 60}
    response = api_client_for(center.admin).post("/api/v1/queues/", body, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["wrapup_limit_seconds"], response.json()["wrapup_requires_disposition"]) == (60, True)
    too_long = api_client_for(center.admin).post(
        "/api/v1/queues/", {"name": "Slow", "service_level_seconds": 8 * 24 * 3600}, format="json"
    )
    assert too_long.status_code == 400 and "service_level_seconds" in too_long.json()
