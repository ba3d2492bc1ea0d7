"""Twilio's webhooks (``POST /api/v1/cti/twilio/``, docs/telephony.md "Twilio"): signed with the
account's auth token, each becomes the call event the CTI intake would get from any phone system,
applied once. The sequences are data files (``transcripts/twilio/``): an inbound call answered
through TaskRouter, an abandoned one, a click-to-dial and a recorded call."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django_q.models import OrmQ
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle
from twilio.request_validator import RequestValidator

from contactcenter.agents.models import AgentProfile
from contactcenter.agents.queues import queue_named
from contactcenter.telephony.runtime import event_apply
from contactcenter.telephony.services import call_dial
from contactcenter.telephony.twilio_bridge import agent_for_worker, twilio_time, webhook_events
from interactions.models import CtiCall, CtiEvent, Interaction

pytestmark = pytest.mark.django_db

TOKEN = "0123456789abcdef0123456789abcdef"  # a test auth token: Twilio's are 32 hex digits
URL = reverse("cti-twilio")
TRANSCRIPTS = Path(__file__).parent / "transcripts" / "twilio"
#: What the intake decides of a call, compared between the Twilio path and the plain events.
FIELDS = (
    "channel",
    "direction",
    "offered_at",
    "answered_at",
    "ended_at",
    "wrapup_ended_at",
    "hold_seconds",
    "agent_id",
    "queue_id",
    "customer_id",
)


def transcript(name: str, command: int | None = None) -> list[dict]:
    """The requests of a transcript, ``{command}`` replaced by the test's command id."""
    raw = (TRANSCRIPTS / f"{name}.json").read_text()
    if command is not None:
        raw = raw.replace("{command}", str(command))
    return json.loads(raw)["requests"]


def path_of(query: dict[str, str]) -> str:
    return URL + (f"?{urlencode(query)}" if query else "")


def signed(params: dict[str, str], query: dict[str, str] | None = None, *, base: str = "http://testserver") -> str:
    """Twilio's signature of this request, computed as Twilio does, with the test token."""
    return RequestValidator(TOKEN).compute_signature(base + path_of(query or {}), params)


def post(client: APIClient, params: dict[str, str], query: dict[str, str] | None = None, *, signature=None, **extra):
    headers = {} if signature is False else {"HTTP_X_TWILIO_SIGNATURE": signature or signed(params, query)}
    return client.post(
        path_of(query or {}),
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        **headers,
        **extra,
    )


def snapshot(call_id: str) -> dict:
    interaction = Interaction.objects.get(source="cti", external_id=call_id)
    return {name: getattr(interaction, name) for name in FIELDS}


@pytest.fixture
def twilio(settings, org):
    """The ``org`` center with Twilio's account configured; its agents signed in since New Year, so
    that the January calls of the transcripts move them."""
    settings.TWILIO_ACCOUNT_SID = "AC0f3c6e1a2b4d5e6f708192a3b4c5d6e7"
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_CALLER_ID = "+33170000000"
    settings.TWILIO_WEBHOOK_BASE_URL = ""
    AgentProfile.objects.update(status_since=datetime(2026, 1, 1, tzinfo=UTC))
    return org


@pytest.fixture
def dial_command(twilio, settings):
    """agent_a's click-to-dial of +33 6 12 34 56 78 in Queue A, as the desk asks it (the Twilio
    bridge is online once its settings are complete)."""
    settings.TWILIO_WEBHOOK_BASE_URL = "https://switchboard.example"
    AgentProfile.objects.filter(user=twilio.agent_a).update(extension="agent_a")
    twilio.agent_a.agent_profile.refresh_from_db()  # the user as a request reads it, profile and all
    command = call_dial(by=twilio.agent_a, to="06 12 34 56 78", queue=twilio.queue_a)
    settings.TWILIO_WEBHOOK_BASE_URL = ""
    return command


# --- The signature -------------------------------------------------------------------------------

CREATED = transcript("inbound_answered")[0]["params"]


def test_a_request_signed_with_the_account_token_is_applied(twilio):
    response = post(APIClient(), CREATED)
    assert response.status_code == 204  # TaskRouter asks for 204
    assert response["Content-Type"] == "application/json"
    assert CtiEvent.objects.filter(event="call.offered").count() == 1


def test_a_request_without_a_signature_is_refused(twilio):
    response = post(APIClient(), CREATED, signature=False)
    assert response.status_code == 403
    assert not CtiCall.objects.exists()


@pytest.mark.parametrize(
    "signature",
    [
        RequestValidator("fedcba9876543210fedcba9876543210").compute_signature(f"http://testserver{URL}", CREATED),
        RequestValidator(TOKEN).compute_signature(f"http://elsewhere.example{URL}", CREATED),
        RequestValidator(TOKEN).compute_signature(f"http://testserver{URL}", {**CREATED, "EventType": "task.canceled"}),
        "not a signature",
    ],
    ids=["another-token", "another-url", "other-fields", "garbage"],
)
def test_a_request_not_signed_by_twilio_is_refused(twilio, signature):
    response = post(APIClient(), CREATED, signature=signature)
    assert response.status_code == 403
    assert "Twilio" in response.json()["detail"]
    assert not CtiCall.objects.exists()


def test_without_an_auth_token_the_webhook_is_unavailable(twilio, settings):
    settings.TWILIO_AUTH_TOKEN = ""
    response = post(APIClient(), CREATED)
    assert response.status_code == 503
    assert "TWILIO_AUTH_TOKEN" in response.json()["detail"]
    assert not CtiCall.objects.exists()


@pytest.mark.parametrize("role", ["agent_a", "supervisor_a", "manager", "admin"])
def test_an_api_token_is_no_credential_here(twilio, api_client_for, role):
    """Twilio sends no token: a role's token without Twilio's signature gets 403, and a token
    sent with a good signature changes nothing."""
    client = api_client_for(getattr(twilio, role))
    assert post(client, CREATED, signature=False).status_code == 403
    assert post(client, CREATED).status_code == 204


def test_behind_a_proxy_the_signed_url_is_the_public_one(twilio, settings):
    """Twilio signs the URL it called (https, the public host); the proxy forwards plain http to
    another host. TWILIO_WEBHOOK_BASE_URL says the public address."""
    settings.TWILIO_WEBHOOK_BASE_URL = "https://switchboard.example"
    public = signed(CREATED, base="https://switchboard.example")
    assert post(APIClient(), CREATED, signature=signed(CREATED)).status_code == 403
    assert post(APIClient(), CREATED, signature=public).status_code == 204


def test_behind_a_proxy_the_forwarded_scheme_counts_when_trusted(twilio, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    public = signed(CREATED, base="https://testserver")
    assert post(APIClient(), CREATED, signature=public).status_code == 403  # no header: http
    assert post(APIClient(), CREATED, signature=public, HTTP_X_FORWARDED_PROTO="https").status_code == 204


def test_the_query_string_is_signed_too(dial_command):
    params = transcript("click_to_dial", dial_command.pk)[0]["params"]
    other = {"command": str(dial_command.pk + 1)}
    forged = signed(params, {"command": str(dial_command.pk)})
    assert post(APIClient(), params, other, signature=forged).status_code == 403
    assert post(APIClient(), params, {"command": str(dial_command.pk)}).status_code == 200


def test_the_webhook_is_rate_limited_like_the_api(twilio):
    """Twilio's requests count against the API's limit for one client address."""
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = {**api_settings.DEFAULT_THROTTLE_RATES, "user": "3/min"}
    try:
        answers = [post(APIClient(), CREATED).status_code for _ in range(4)]
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original
    assert answers == [204, 204, 204, 429]


# --- Webhooks → call events ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["inbound_answered", "inbound_abandoned", "recording"])
def test_a_taskrouter_sequence_is_the_call_its_events_describe(twilio, name):
    """Each webhook gives the call events of the transcript; the interaction they make is the one
    the same events posted as plain CTI events make."""
    requests = transcript(name)
    expected = []
    for request in requests:
        assert webhook_events(params=request["params"], query=request["query"]) == request["events"]
        response = post(APIClient(), request["params"], request["query"])
        assert response.status_code in (200, 204)
        expected += request["events"]
    call_id = expected[0]["call_id"]
    for event in expected:
        event_apply({**event, "call_id": event["call_id"] + "-direct"})
    assert snapshot(call_id) == snapshot(call_id + "-direct")


def test_an_answered_call_through_taskrouter(twilio):
    for request in transcript("inbound_answered"):
        post(APIClient(), request["params"], request["query"])
    interaction = Interaction.objects.get(external_id="CA6f1b2c3d4e5f60718293a4b5c6d7e801")
    assert interaction.agent == twilio.agent_a  # agent_b rejected the reservation
    assert interaction.queue == twilio.queue_a
    assert interaction.answered_at == datetime(2026, 1, 6, 9, 0, 12, tzinfo=UTC)
    assert interaction.ended_at == datetime(2026, 1, 6, 9, 6, 12, tzinfo=UTC)
    assert interaction.wrapup_ended_at == datetime(2026, 1, 6, 9, 7, 12, tzinfo=UTC)
    assert AgentProfile.objects.get(user=twilio.agent_a).status == "available"


def test_an_abandoned_call_through_taskrouter(twilio):
    for request in transcript("inbound_abandoned"):
        post(APIClient(), request["params"], request["query"])
    interaction = Interaction.objects.get(external_id="CA7a2b3c4d5e6f70819203a4b5c6d7e802")
    assert interaction.answered_at is None and interaction.agent is None
    assert interaction.queue == twilio.queue_a
    assert interaction.ended_at == datetime(2026, 1, 6, 10, 0, 40, tzinfo=UTC)


def test_a_click_to_dial_is_an_outbound_call_of_the_agent(dial_command, twilio):
    requests = transcript("click_to_dial", dial_command.pk)
    expected = []
    for request in requests:
        events = webhook_events(params=request["params"], query=request["query"])
        assert events == request["events"]
        assert all(event["direction"] == "outbound" for event in events)
        assert post(APIClient(), request["params"], request["query"]).status_code == 200
        expected += events
    call_id = "CA8b3c4d5e6f708192a3b4c5d6e7f80903"  # the call Switchboard placed, not the customer's leg
    interaction = Interaction.objects.get(external_id=call_id)
    assert interaction.agent == twilio.agent_a and interaction.queue == twilio.queue_a
    assert interaction.answered_at == datetime(2026, 1, 6, 11, 0, 15, tzinfo=UTC)
    assert interaction.ended_at == datetime(2026, 1, 6, 11, 3, 16, tzinfo=UTC)
    for event in expected:
        event_apply({**event, "call_id": call_id + "-direct"})
    assert snapshot(call_id) == snapshot(call_id + "-direct")


def test_status_callbacks_of_calls_switchboard_did_not_place_say_nothing(twilio):
    params = transcript("click_to_dial", 0)[0]["params"]
    assert webhook_events(params=params, query={}) == []
    assert webhook_events(params=params, query={"command": "999999"}) == []
    assert post(APIClient(), params).status_code == 200
    assert not CtiCall.objects.exists()


def test_the_voice_answer_is_empty_twiml(twilio):
    params = transcript("inbound_answered")[6]["params"]  # the number's own status callback
    response = post(APIClient(), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.decode().endswith("<Response/>")


def test_a_recording_of_a_call_switchboard_does_not_follow_is_ignored(twilio):
    recording = transcript("recording")[2]["params"]
    assert webhook_events(params=recording, query={}) == []
    assert post(APIClient(), recording).status_code == 200
    assert not CtiCall.objects.exists()


def test_the_recording_rides_on_the_end_of_its_call(twilio):
    requests = transcript("recording")
    for request in requests[:3]:
        post(APIClient(), request["params"], request["query"])
    ended = CtiEvent.objects.get(cti_call__call_id="CA0d5e6f708192a3b4c5d6e7f8091a2b05", event="call.ended")
    assert ended.timestamp == datetime(2026, 1, 6, 12, 2, 8, tzinfo=UTC)  # start + duration, on every retry
    assert requests[2]["events"][0]["recording"].endswith("/Recordings/RE1e2f30415263a7b8c9d0e1f2a3b4c5d6")


def test_the_recording_is_fetched_whether_its_callback_comes_before_or_after_the_end(twilio):
    """The recording's callback repeats the call's end with its URL: told first, or after the
    TaskRouter's wrap-up told the end, the recording is queued for fetching (a later event of the
    call may queue it again: the job leaves an interaction that has its recording alone)."""
    requests = transcript("recording")
    for order in (requests, [*requests[:2], *requests[3:], requests[2]]):
        OrmQ.objects.all().delete()
        CtiCall.objects.all().delete()
        for request in order:
            post(APIClient(), request["params"], request["query"])
        jobs = [job for job in OrmQ.objects.all() if job.func().endswith("recording_fetch")]
        assert jobs and {job.task["args"][1].rsplit("/", 1)[1] for job in jobs} == {
            "RE1e2f30415263a7b8c9d0e1f2a3b4c5d6"
        }


def test_twilio_retries_change_nothing(twilio, dial_command):
    """Twilio retries a webhook that timed out: the whole of each transcript posted twice makes the
    same calls and stores each event once."""
    sequences = [transcript(name) for name in ("inbound_answered", "inbound_abandoned", "recording")]
    sequences.append(transcript("click_to_dial", dial_command.pk))
    for requests in sequences:
        for request in requests:
            post(APIClient(), request["params"], request["query"])
    calls = {call.call_id: snapshot(call.call_id) for call in CtiCall.objects.all()}
    stored = CtiEvent.objects.count()
    assert len(calls) == 4 and stored == 4 + 2 + 4 + 3
    for requests in sequences:
        for request in reversed(requests):
            assert post(APIClient(), request["params"], request["query"]).status_code in (200, 204)
    assert {call.call_id: snapshot(call.call_id) for call in CtiCall.objects.all()} == calls
    assert CtiEvent.objects.count() == stored


def test_an_unknown_task_queue_keeps_the_call_without_it(twilio):
    params = {**transcript("inbound_abandoned")[4]["params"], "TaskQueueName": "Night shift"}
    (event,) = webhook_events(params=params, query={})
    assert event["queue"] is None
    assert post(APIClient(), params).status_code == 204
    assert Interaction.objects.get(external_id=event["call_id"]).queue is None


def test_an_answer_by_a_worker_who_is_no_agent_is_dropped(twilio):
    params = {**transcript("inbound_answered")[5]["params"], "WorkerName": "temp", "WorkerAttributes": "{}"}
    assert post(APIClient(), params).status_code == 204
    assert not CtiEvent.objects.exists()


def test_a_task_that_is_no_call_says_nothing(twilio):
    params = {**CREATED, "TaskAttributes": json.dumps({"channelType": "web", "name": "Chat visitor"})}
    assert webhook_events(params=params, query={}) == []


# --- Agents and times ------------------------------------------------------------------------------


def test_a_worker_is_known_by_contact_uri_extension_or_name(org):
    AgentProfile.objects.filter(user=org.agent_b).update(extension="client:desk-7")
    assert agent_for_worker(name="Anyone", attributes={"contact_uri": "client:agent_a"}) == "agent_a"
    assert agent_for_worker(name="Anyone", attributes={"contact_uri": "client:desk-7"}) == "agent_b"
    assert agent_for_worker(name="agent_b", attributes={}) == "agent_b"
    assert agent_for_worker(name="Ghost", attributes={"contact_uri": "client:ghost"}) is None
    org.agent_a.is_active = False
    org.agent_a.save()
    assert agent_for_worker(name="agent_a", attributes={}) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1767690000", datetime(2026, 1, 6, 9, 0, tzinfo=UTC)),
        ("1767690000250", datetime(2026, 1, 6, 9, 0, 0, 250000, tzinfo=UTC)),
        ("Tue, 06 Jan 2026 09:00:00 +0000", datetime(2026, 1, 6, 9, 0, tzinfo=UTC)),
        ("2026-01-06T10:00:00+01:00", datetime(2026, 1, 6, 9, 0, tzinfo=UTC)),
        ("2026-01-06T10:00:00", None),
        ("99999999999999999999999", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_twilio_times(raw, expected):
    assert twilio_time(raw) == expected


# --- Cost ----------------------------------------------------------------------------------------


def test_a_webhook_costs_the_intakes_queries_and_one_for_the_worker(twilio, django_assert_num_queries):
    """Every call of the center goes through here several times: the signature and the translation
    cost nothing in the database but the worker's lookup; the rest is the intake's own work."""
    requests = transcript("inbound_answered")
    post(APIClient(), requests[0]["params"])  # the offer: the call exists
    queue_named("Queue A")  # the queue names' cache, warm as in a running server
    with django_assert_num_queries(0):
        assert post(APIClient(), requests[3]["params"]).status_code == 204  # a rejection: nothing to do
    # 14 (12 in production): the worker → agent_a (username or extension, one query); the intake
    # as for POST /cti/events/: the agent's profile (serializer), savepoint, the call locked, its
    # events, the answer stored, the interaction updated with its history row, the agent's profile
    # locked, their open contacts counted, their presence interval closed and the new one opened,
    # the profile saved, release.
    with django_assert_num_queries(14):
        assert post(APIClient(), requests[5]["params"]).status_code == 204  # the answer
