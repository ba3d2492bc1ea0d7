"""Recordings in the pages: the call bar's PCI pause buttons (through a command to the bridge, whose
runner applies the pause to the call), the player in the customer's history, the back office,
and the data-protection export naming the recording's URL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from contactcenter.agents.models import AgentProfile, Status
from contactcenter.telephony import services
from contactcenter.telephony.models import BridgeKind, Command, CommandAction, CommandState
from contactcenter.telephony.recordings import recording_store
from contactcenter.telephony.runtime import BridgeRunner
from customers.selectors import customer_export
from customers.services import customer_create
from interactions.cti import cti_event_apply
from interactions.models import CtiCall, Interaction
from tests.interactions.factories import InteractionFactory
from tests.telephony.recording_files import wav_bytes

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def on_call(org) -> Interaction:
    """Agent A on a call of Queue A from a known customer, answered a minute ago, from the CTI intake."""
    customer_create(first_name="Anne", last_name="Martin", phones=["+33 6 12 34 56 78"])
    now = timezone.now()
    AgentProfile.objects.filter(user=org.agent_a).update(status=Status.AVAILABLE, status_since=now - timedelta(days=1))
    for event, ago in (("call.offered", 70), ("call.answered", 60)):
        outcome = cti_event_apply(
            event=event,
            call_id="pci-call",
            timestamp=now - timedelta(seconds=ago),
            caller="+33 6 12 34 56 78",
            queue=org.queue_a,
            agent=org.agent_a if event == "call.answered" else None,
        )
    return outcome.interaction


def bridge_that_pauses() -> None:
    services.bridge_connected(kind=BridgeKind.ASTERISK, capabilities=["recording_pause", "dial"], peer="pbx:5038")


def bar(client) -> str:
    return client.get(reverse("desk:callbar"), **HTMX).content.decode()


class AsteriskThatPauses:
    """The adapter side of a bridge whose phone system carries out every command it is given."""

    kind = BridgeKind.ASTERISK
    capabilities = frozenset({"recording_pause"})

    def __init__(self) -> None:
        self.executed: list[tuple[str, str]] = []

    async def execute(self, command: Command) -> dict:
        self.executed.append((command.action, command.call_id))
        return {"call_id": command.call_id}


class TestPauseButtons:
    def test_no_bridge_that_can_pause_shows_the_button_disabled_with_why(self, client, org, on_call):
        client.force_login(org.agent_a)
        html = bar(client)
        assert "Pause recording" in html
        assert "disabled" in html and "No connected telephony bridge can pause the recording." in html

    def test_the_button_asks_the_bridge_and_the_runner_keeps_the_pause(self, client, org, on_call):
        bridge_that_pauses()
        client.force_login(org.agent_a)
        assert "disabled" not in bar(client).split("Pause recording")[0].rsplit("<button", 1)[1]
        response = client.post(reverse("desk:callbar_recording", args=["pause"]), **HTMX)
        assert response.status_code == 200
        assert "asked to pause the recording" in response.content.decode()
        command = Command.objects.get()
        assert (command.action, command.call_id, command.arguments) == (
            CommandAction.RECORDING_PAUSE,
            "pci-call",
            {"call_id": "pci-call"},
        )
        # The bridge takes it; its phone system does it; the runner applies the pause to the call.
        adapter = AsteriskThatPauses()
        runner = BridgeRunner(adapter)
        [taken] = services.commands_take(kind=BridgeKind.ASTERISK)
        async_to_sync(runner._execute)(taken)
        assert adapter.executed == [(CommandAction.RECORDING_PAUSE, "pci-call")]
        assert Command.objects.get().state == CommandState.DONE
        paused = CtiCall.objects.get(call_id="pci-call").recording_paused
        assert len(paused) == 1 and paused[0][1] is None
        html = bar(client)
        assert "Recording paused" in html and "Resume recording" in html
        # Resumed the same way: the span closes.
        client.post(reverse("desk:callbar_recording", args=["resume"]), **HTMX)
        [taken] = services.commands_take(kind=BridgeKind.ASTERISK)
        async_to_sync(runner._execute)(taken)
        [span] = CtiCall.objects.get(call_id="pci-call").recording_paused
        assert span[1] is not None and span[1] >= span[0]
        on_call.refresh_from_db()
        assert on_call.hold_seconds == 0

    def test_without_a_call_nothing_is_asked(self, client, org):
        bridge_that_pauses()
        client.force_login(org.agent_a)
        response = client.post(reverse("desk:callbar_recording", args=["pause"]), **HTMX)
        assert "You are not on a call." in response.content.decode()
        assert not Command.objects.exists()
        assert client.post(reverse("desk:callbar_recording", args=["rewind"]), **HTMX).status_code == 404


class TestPlayers:
    def test_the_history_plays_the_recording_with_its_pauses(self, client, org, on_call, media):
        assert on_call.customer is not None
        earlier = InteractionFactory(queue=org.queue_a, customer=on_call.customer, agent=org.agent_a)
        recording_store(interaction=earlier, file=SimpleUploadedFile("a.wav", wav_bytes(0.1)))
        client.force_login(org.agent_a)
        html = client.get(reverse("desk:desktop")).content.decode()
        url = reverse("interaction-recording", kwargs={"pk": earlier.pk})
        assert f'<audio controls preload="none" src="{url}"' in html
        assert html.count("<audio") == 1  # the current call has no recording yet

    def test_the_back_office_plays_it(self, client, org, media):
        interaction = InteractionFactory(queue=org.queue_a)
        recording = recording_store(interaction=interaction, file=SimpleUploadedFile("a.wav", wav_bytes(0.1)))
        org.admin.is_staff = True
        org.admin.save()
        client.force_login(org.admin)
        url = reverse("interaction-recording", kwargs={"pk": interaction.pk})
        page = client.get(reverse("admin:telephony_recording_change", args=[recording.pk])).content.decode()
        assert f'src="{url}"' in page
        page = client.get(reverse("admin:interactions_interaction_change", args=[interaction.pk])).content.decode()
        assert f'src="{url}"' in page

    def test_the_export_names_the_recording_never_its_content(self, org, media):
        interaction = InteractionFactory(queue=org.queue_a)
        bare = InteractionFactory(queue=org.queue_a, customer=interaction.customer)
        recording_store(interaction=interaction, file=SimpleUploadedFile("a.wav", wav_bytes(0.1)))
        exported = customer_export(user=org.admin, customer=interaction.customer)
        by_id = {row["id"]: row for row in exported["interactions"]}
        assert by_id[interaction.pk]["recording_file"] == reverse(
            "interaction-recording", kwargs={"pk": interaction.pk}
        )
        assert by_id[bare.pk]["recording_file"] is None
