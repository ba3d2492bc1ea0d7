"""A property of the agent state machine (docs/agent-states.md): whatever the telephony system,
the agent and their supervisor do, in any order, the agent's state is the one their open calls
say, nothing waits when no call is open, and the presence log never overlaps itself."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from contactcenter.agents.models import AgentProfile, PresenceInterval, Status
from contactcenter.agents.states import agent_state_request
from interactions.cti import cti_event_apply
from interactions.models import CtiCall, Disposition, Interaction
from interactions.services import WrapupAlreadyEnded, interaction_wrapup_log, interactions_wrapup_limit
from tests.agents.factories import AgentProfileFactory, QueueFactory, TeamFactory
from tests.hypothesis_profiles import examples

_runs = itertools.count()
CALLS = 3

#: One step: what happens, to which of the run's calls, with what.
steps = st.one_of(
    st.tuples(st.just("offer"), st.integers(0, CALLS - 1), st.sampled_from(["agent", "nobody"])),
    st.tuples(st.just("answer"), st.integers(0, CALLS - 1), st.sampled_from(["agent", "other"])),
    st.tuples(st.sampled_from(["end", "abandon", "wrapup_ended", "log"]), st.integers(0, CALLS - 1), st.just("")),
    st.tuples(st.just("ask"), st.just(0), st.sampled_from(["available", "break", "offline"])),
    st.tuples(st.just("supervisor"), st.just(0), st.sampled_from(["break", "offline"])),
    st.tuples(st.just("limit"), st.just(0), st.just("")),
)


def expected_contact_status(agent) -> str | None:
    """The agent's state as their calls say it, read straight from the records."""
    calls = Interaction.objects.filter(
        agent=agent, answered_at__isnull=False, wrapup_ended_at__isnull=True, cti_call__isnull=False
    )
    if calls.filter(ended_at__isnull=True).exists():
        return Status.BUSY
    if CtiCall.objects.filter(presence_agent=agent, presence_status=Status.RINGING).exists():
        return Status.RINGING
    if calls.exists():
        return Status.WRAP_UP
    return None


def check_invariants(agent) -> None:
    profile = AgentProfile.objects.get(user=agent)
    expected = expected_contact_status(agent)
    if expected is not None:
        assert profile.status == expected
    else:
        assert profile.status in (Status.AVAILABLE, Status.BREAK, Status.OFFLINE)
        assert profile.pending_status == ""
    intervals = list(PresenceInterval.objects.filter(agent=agent).order_by("started_at", "pk"))
    assert sum(interval.ended_at is None for interval in intervals) <= 1
    for earlier, later in itertools.pairwise(intervals):
        assert earlier.ended_at is not None and earlier.ended_at <= later.started_at
    open_interval = next((interval for interval in intervals if interval.ended_at is None), None)
    if profile.status == Status.OFFLINE:
        assert open_interval is None
    else:
        assert (open_interval.status, open_interval.reason) == (profile.status, profile.status_reason)


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(script=st.lists(steps, min_size=1, max_size=25))
def test_the_state_always_matches_the_open_calls_and_the_log_never_overlaps(script, db):
    run = next(_runs)
    team = TeamFactory(name=f"prop-team-{run}")
    queue = QueueFactory(name=f"prop-queue-{run}", wrapup_limit_seconds=20)
    start = timezone.now() - timedelta(hours=2)
    agent, other, supervisor = (
        AgentProfileFactory(team=team, queues=[queue], role=role, status_since=start - timedelta(hours=1)).user
        for role in ("agent", "agent", "supervisor")
    )
    agent_state_request(profile=AgentProfile.objects.get(user=agent), status="available", by=agent, at=start)
    disposition = Disposition.objects.order_by("pk").first()
    call_ids = [f"prop-state-{run}-{n}" for n in range(CALLS)]

    for step, (action, call, arg) in enumerate(script, start=1):
        at = start + timedelta(seconds=10 * step)
        who = {"agent": agent, "other": other, "nobody": None}.get(arg)
        try:
            if action in ("offer", "answer", "end", "abandon", "wrapup_ended"):
                event = {"offer": "call.offered", "answer": "call.answered", "end": "call.ended"}.get(
                    action, f"call.{action}"
                )
                cti_event_apply(
                    event=event, call_id=call_ids[call], timestamp=at, caller="+33612345678", queue=queue, agent=who
                )
            elif action == "log":
                interaction = Interaction.objects.filter(external_id=call_ids[call], agent=agent).first()
                if interaction is not None:
                    interaction_wrapup_log(interaction=interaction, by=agent, disposition=disposition, at=at)
            elif action in ("ask", "supervisor"):
                by = agent if action == "ask" else supervisor
                agent_state_request(
                    profile=AgentProfile.objects.get(user=agent),
                    status=arg,
                    reason="lunch" if arg == "break" else "",
                    by=by,
                    at=at,
                )
            else:
                interactions_wrapup_limit(now=at)
        except (ValidationError, PermissionDenied, WrapupAlreadyEnded):
            pass  # refused: nothing was written
        check_invariants(agent)
        check_invariants(other)
