"""Twilio as a bridge (docs/telephony.md "Twilio"): online when its settings are complete, it
carries out click-to-dial, transfers and the recording's pause through Twilio's REST API, from a
background job. The real ``twilio`` client talks HTTP to a stand-in of the API on 127.0.0.1
(``twilio_server.py``), which checks the credentials and records each request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ
from django_q.signing import SignedPackage
from rest_framework.test import APIClient

from contactcenter.agents.models import AgentProfile
from contactcenter.telephony.models import Command, CommandAction, CommandState
from contactcenter.telephony.services import NoBridge, bridges_online, call_dial, command_request
from contactcenter.telephony.tasks import twilio_command
from contactcenter.telephony.twilio_bridge import twilio_settings_check
from interactions.models import Interaction
from tests.telephony.test_twilio_webhook import post, signed, transcript
from tests.telephony.twilio_server import ACCOUNT_SID, REST, TwilioServer, calls_path

pytestmark = pytest.mark.django_db

TOKEN = "0123456789abcdef0123456789abcdef"
CALL = REST["call_created"]["sid"]
LEG = REST["child_calls"]["calls"][0]["sid"]


@pytest.fixture
def api():
    server = TwilioServer(token=TOKEN)
    server.base_url = server.start()
    yield server
    server.stop()


@pytest.fixture
def twilio(settings, org, api):
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_CALLER_ID = "+33170000000"
    settings.TWILIO_WEBHOOK_BASE_URL = "https://switchboard.example"
    settings.TWILIO_API_BASE_URL = api.base_url
    AgentProfile.objects.filter(user=org.agent_a).update(extension="1001")
    org.agent_a.agent_profile.refresh_from_db()  # the user as a request reads it, profile and all
    return org


def state_of(command: Command) -> Command:
    return Command.objects.get(pk=command.pk)


# --- Online --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "missing", ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_CALLER_ID", "TWILIO_WEBHOOK_BASE_URL"]
)
def test_twilio_is_a_bridge_only_with_all_its_settings(twilio, settings, missing):
    (bridge,) = bridges_online()
    assert bridge.kind == "twilio"
    assert bridge.capabilities == {"dial", "transfer", "recording_pause"}
    setattr(settings, missing, "")
    assert bridges_online() == []
    with pytest.raises(NoBridge):
        call_dial(by=twilio.agent_a, to="06 12 34 56 78")


def test_a_half_configured_twilio_is_reported(twilio, settings):
    assert twilio_settings_check() == []
    settings.TWILIO_CALLER_ID = ""
    (warning,) = twilio_settings_check()
    assert warning.id == "twilio.W001" and "TWILIO_CALLER_ID" in warning.msg
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_WEBHOOK_BASE_URL"):
        setattr(settings, name, "")
    assert twilio_settings_check() == []  # not configured at all: nothing to say


# --- Click-to-dial -------------------------------------------------------------------------------


def test_a_dial_is_queued_as_a_job_once_the_request_commits(twilio, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        command = call_dial(by=twilio.agent_a, to="06 12 34 56 78", queue=twilio.queue_a)
    (row,) = OrmQ.objects.all()
    task = SignedPackage.loads(row.payload)
    assert (task["func"], task["args"]) == ("contactcenter.telephony.tasks.twilio_command", (command.pk,))
    assert command.bridge == "twilio"


def test_a_dial_rings_the_agent_then_the_customer(twilio, api):
    api.routes[("POST", calls_path())] = (201, REST["call_created"])
    command = call_dial(by=twilio.agent_a, to="06 12 34 56 78", queue=twilio.queue_a)

    result = twilio_command(command.pk)

    assert result == {"call_id": CALL, "status": "queued"}
    done = state_of(command)
    assert (done.state, done.call_id, done.error) == (CommandState.DONE, CALL, "")
    (request,) = api.seen
    callback = f"https://switchboard.example/api/v1/cti/twilio/?command={command.pk}"
    assert (request.method, request.path) == ("POST", calls_path())
    assert request.one("To") == "client:1001"
    assert request.one("From") == "+33170000000"
    assert request.one("StatusCallback") == callback
    assert request.form["StatusCallbackEvent"] == ["initiated", "completed"]
    assert request.one("StatusCallbackMethod") == "POST"
    twiml = request.one("Twiml")
    assert '<Dial callerId="+33170000000">' in twiml
    assert "<Number " in twiml and ">+33612345678</Number>" in twiml
    assert f'statusCallback="{callback.replace("&", "&amp;")}"' in twiml
    assert 'statusCallbackEvent="answered"' in twiml
    assert "record=" not in twiml


def test_a_recorded_dial_reports_its_recording(twilio, api, settings):
    settings.TWILIO_RECORD_OUTBOUND = True
    api.routes[("POST", calls_path())] = (201, REST["call_created"])
    command = call_dial(by=twilio.agent_a, to="+33612345678")
    twilio_command(command.pk)
    twiml = api.seen[0].one("Twiml")
    assert 'record="record-from-answer-dual"' in twiml
    assert f'recordingStatusCallback="https://switchboard.example/api/v1/cti/twilio/?command={command.pk}"' in twiml


def test_a_dial_twilio_refuses_fails_with_its_reason(twilio, api):
    api.routes[("POST", calls_path())] = (400, REST["error_invalid_to"])
    command = call_dial(by=twilio.agent_a, to="06 12 34 56 78")
    twilio_command(command.pk)
    failed = state_of(command)
    assert failed.state == CommandState.FAILED
    assert "400" in failed.error and "21211" in failed.error and "Invalid 'To' Phone Number" in failed.error


def test_wrong_credentials_fail_the_command(twilio, api, settings):
    settings.TWILIO_AUTH_TOKEN = "ffffffffffffffffffffffffffffffff"
    command = call_dial(by=twilio.agent_a, to="06 12 34 56 78")
    twilio_command(command.pk)
    assert api.refused == 1 and not api.seen
    assert state_of(command).state == CommandState.FAILED
    assert "401" in state_of(command).error


def test_an_unreachable_api_fails_the_command(twilio, api, settings):
    api.stop()
    command = call_dial(by=twilio.agent_a, to="06 12 34 56 78")
    twilio_command(command.pk)
    failed = state_of(command)
    assert failed.state == CommandState.FAILED and "could not be reached" in failed.error
    api.start()  # the fixture stops it again


def test_a_job_run_twice_dials_once(twilio, api):
    api.routes[("POST", calls_path())] = (201, REST["call_created"])
    command = call_dial(by=twilio.agent_a, to="06 12 34 56 78")
    twilio_command(command.pk)
    assert twilio_command(command.pk) is None
    assert len(api.seen) == 1


def test_a_dial_that_waited_too_long_expires_unplaced(twilio, api):
    command = call_dial(by=twilio.agent_a, to="06 12 34 56 78")
    Command.objects.filter(pk=command.pk).update(created_at=timezone.now() - timedelta(minutes=1))
    assert twilio_command(command.pk) is None
    assert state_of(command).state == CommandState.EXPIRED
    assert not api.seen


# --- On a call: transfer, the recording's pause ----------------------------------------------------


def ask(twilio, action: str, **arguments) -> Command:
    return command_request(action=action, by=twilio.agent_a, arguments={"call_id": CALL, **arguments}, call_id=CALL)


def test_a_transfer_of_a_click_to_dial_moves_the_customers_leg(twilio, api):
    api.routes[("GET", calls_path(CALL))] = (200, REST["call_outbound_in_progress"])
    api.routes[("GET", calls_path())] = (200, REST["child_calls"])
    api.routes[("POST", calls_path(LEG))] = (200, REST["child_updated"])
    command = ask(twilio, CommandAction.TRANSFER, target="1002")

    twilio_command(command.pk)

    assert state_of(command).state == CommandState.DONE
    fetch, children, update = api.seen
    assert (fetch.method, fetch.path) == ("GET", calls_path(CALL))
    assert children.query["ParentCallSid"] == [CALL] and children.query["Status"] == ["in-progress"]
    assert (update.method, update.path) == ("POST", calls_path(LEG))
    assert "<Dial" in update.one("Twiml") and "<Client>1002</Client>" in update.one("Twiml")
    assert state_of(command).result == {"call_id": CALL, "leg": LEG, "target": "1002"}


def test_a_transfer_of_an_inbound_call_moves_the_call_itself(twilio, api):
    inbound = {**REST["call_outbound_in_progress"], "direction": "inbound"}
    api.routes[("GET", calls_path(CALL))] = (200, inbound)
    api.routes[("POST", calls_path(CALL))] = (200, inbound)
    command = ask(twilio, CommandAction.TRANSFER, target="+33 1 70 00 00 99")
    twilio_command(command.pk)
    assert state_of(command).state == CommandState.DONE
    assert [seen.method for seen in api.seen] == ["GET", "POST"]
    assert "<Number>+33 1 70 00 00 99</Number>" in api.seen[1].one("Twiml")


def test_pausing_and_resuming_the_recording(twilio, api):
    path = calls_path(CALL, "Recordings", "Twilio.CURRENT")
    api.routes[("POST", path)] = (200, REST["recording_paused"])
    pause = ask(twilio, CommandAction.RECORDING_PAUSE)
    twilio_command(pause.pk)
    assert state_of(pause).state == CommandState.DONE
    assert api.seen[-1].form == {"Status": ["paused"], "PauseBehavior": ["skip"]}

    api.routes[("POST", path)] = (200, REST["recording_resumed"])
    resume = ask(twilio, CommandAction.RECORDING_RESUME)
    twilio_command(resume.pk)
    assert state_of(resume).state == CommandState.DONE
    assert api.seen[-1].form == {"Status": ["in-progress"]}
    assert state_of(resume).result["status"] == "in-progress"


def test_pausing_a_call_twilio_does_not_know_fails(twilio, api):
    command = ask(twilio, CommandAction.RECORDING_PAUSE)
    twilio_command(command.pk)
    failed = state_of(command)
    assert failed.state == CommandState.FAILED and "404" in failed.error


# --- From the click to the interaction ------------------------------------------------------------


def test_a_click_to_dial_becomes_the_outbound_interaction_of_the_call_it_placed(twilio, api):
    """The command placed a call (its CallSid from the API's answer); Twilio's status callbacks,
    posted to the URL the command gave, make the interaction of that same call."""
    api.routes[("POST", calls_path())] = (201, REST["call_created"])
    AgentProfile.objects.update(status_since=timezone.now() - timedelta(days=400))
    command = call_dial(by=twilio.agent_a, to="06 12 34 56 78", queue=twilio.queue_a)
    twilio_command(command.pk)
    callback = api.seen[0].one("StatusCallback")
    assert callback == f"https://switchboard.example/api/v1/cti/twilio/?command={command.pk}"

    for request in transcript("click_to_dial", command.pk):
        signature = signed(request["params"], request["query"], base="https://switchboard.example")
        assert post(APIClient(), request["params"], request["query"], signature=signature).status_code == 200

    interaction = Interaction.objects.get(source="cti", external_id=state_of(command).call_id)
    assert (interaction.agent, interaction.queue) == (twilio.agent_a, twilio.queue_a)
    assert interaction.answered_at is not None and interaction.ended_at is not None
