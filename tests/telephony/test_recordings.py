"""Call recordings (docs/telephony.md "Recordings"): upload, access, HTTP Range, fetch from the phone
system (a real HTTP server on 127.0.0.1, a real folder), the PCI pauses, retention and erasure.

The recordings storage is the media folder, pointed at a temporary folder by the ``media`` fixture:
every test looks at the files really written there."""

from __future__ import annotations

import base64
import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from contactcenter.core.uploads import audio_content_type
from contactcenter.privacy.models import RetentionKind, RetentionPolicy
from contactcenter.privacy.services import retention_apply
from contactcenter.telephony import recordings, tasks
from contactcenter.telephony.models import Recording, RecordingSource
from customers.services import customer_erase
from interactions.cti import CallEvent, cti_event_apply, recording_paused_spans
from interactions.models import CtiCall, CtiEventType
from tests.interactions.factories import T0, InteractionFactory
from tests.telephony.recording_files import PNG, TEXT, mp3_bytes, wav_bytes

PAUSED, RESUMED = CtiEventType.RECORDING_PAUSED, CtiEventType.RECORDING_RESUMED


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def url_of(interaction) -> str:
    return reverse("interaction-recording", kwargs={"pk": interaction.pk})


def stored_files(media: Path) -> list[Path]:
    return sorted(path for path in media.rglob("*") if path.is_file()) if media.exists() else []


def upload(client, interaction, content: bytes, name: str = "call.wav"):
    return client.post(url_of(interaction), {"file": SimpleUploadedFile(name, content)}, format="multipart")


@pytest.fixture
def contact(org):
    """A call of Queue A, answered by agent A; its customer's number is in nothing stored."""
    return InteractionFactory(queue=org.queue_a, agent=org.agent_a)


# --- What is audio ----------------------------------------------------------------------------


def test_audio_is_recognised_by_its_content():
    assert audio_content_type(wav_bytes()) == "audio/wav"
    assert audio_content_type(mp3_bytes()) == "audio/mpeg"
    assert audio_content_type(mp3_bytes()[10:]) == "audio/mpeg"  # a bare frame, no ID3 tag
    assert audio_content_type(b"OggS\x00\x02" + b"\x00" * 30) == "audio/ogg"
    assert audio_content_type(PNG) is None
    assert audio_content_type(TEXT) is None
    assert audio_content_type(b"\xff\xf1\x50\x80") is None  # ADTS AAC, not MPEG audio layer I–III


def test_a_wav_s_duration_comes_from_its_header():
    assert recordings.wav_duration(wav_bytes(0.5)) == 0.5
    assert recordings.wav_duration(wav_bytes(1.25, rate=16000)) == 1.25
    assert recordings.wav_duration(mp3_bytes()) is None


# --- Upload -----------------------------------------------------------------------------------


@pytest.mark.django_db
class TestUpload:
    def test_a_manager_attaches_a_wav_stored_under_a_random_name(self, org, contact, media, api_client_for):
        content = wav_bytes()
        response = upload(api_client_for(org.manager), contact, content, name="+33612345678.wav")
        assert response.status_code == 201, response.data
        assert response.data["content_type"] == "audio/wav"
        assert response.data["size"] == len(content)
        assert response.data["duration"] == 0.5
        assert response.data["source"] == RecordingSource.UPLOADED
        assert response.data["url"].endswith(url_of(contact))
        [path] = stored_files(media)
        assert path.read_bytes() == content
        relative = path.relative_to(media)
        now = timezone.now()
        assert relative.parts[:3] == ("recordings", f"{now:%Y}", f"{now:%m}")
        assert "33612345678" not in str(relative) and len(relative.stem) == 32
        assert relative.suffix == ".wav"

    def test_an_mp3_is_taken_whatever_its_name(self, org, contact, media, api_client_for):
        response = upload(api_client_for(org.admin), contact, mp3_bytes(), name="recording.bin")
        assert response.status_code == 201
        assert response.data["content_type"] == "audio/mpeg"
        assert stored_files(media)[0].suffix == ".mp3"

    @pytest.mark.parametrize("content", [PNG, TEXT], ids=["png", "text"])
    def test_a_file_that_is_not_audio_is_refused_and_nothing_is_stored(
        self, org, contact, media, api_client_for, content
    ):
        response = upload(api_client_for(org.manager), contact, content, name="call.wav")
        assert response.status_code == 400
        assert "file" in response.data
        assert not Recording.objects.exists() and stored_files(media) == []

    def test_a_file_too_large_is_refused(self, org, contact, media, api_client_for, settings):
        settings.RECORDING_MAX_BYTES = 2048
        response = upload(api_client_for(org.manager), contact, wav_bytes(0.5))
        assert response.status_code == 400
        assert "2048" in str(response.data["file"])
        assert stored_files(media) == []

    def test_a_recording_may_be_larger_than_the_api_s_other_bodies(self, org, contact, media, api_client_for, settings):
        settings.API_MAX_BODY_BYTES = 1024
        assert upload(api_client_for(org.manager), contact, wav_bytes(0.5)).status_code == 201
        other = api_client_for(org.manager).post(reverse("cti-events"), {"event": "x" * 2000}, format="json")
        assert other.status_code == 413

    def test_a_second_recording_is_a_conflict(self, org, contact, media, api_client_for):
        client = api_client_for(org.manager)
        assert upload(client, contact, wav_bytes()).status_code == 201
        response = upload(client, contact, mp3_bytes())
        assert response.status_code == 409
        assert len(stored_files(media)) == 1

    def test_agents_and_supervisors_may_not_attach(self, org, contact, media, api_client_for):
        for user in (org.agent_a, org.supervisor_a):
            assert upload(api_client_for(user), contact, wav_bytes()).status_code == 403
        assert stored_files(media) == []

    def test_only_admins_delete_and_the_file_goes_after_the_commit(
        self, org, contact, media, api_client_for, django_capture_on_commit_callbacks
    ):
        assert upload(api_client_for(org.manager), contact, wav_bytes()).status_code == 201
        assert api_client_for(org.manager).delete(url_of(contact)).status_code == 403
        with django_capture_on_commit_callbacks(execute=True):
            assert api_client_for(org.admin).delete(url_of(contact)).status_code == 204
        assert not Recording.objects.exists() and stored_files(media) == []
        assert api_client_for(org.admin).delete(url_of(contact)).status_code == 404


# --- Listening: access and HTTP Range ---------------------------------------------------------------


@pytest.fixture
def recorded(org, contact, media, api_client_for) -> tuple:
    content = wav_bytes(0.25)
    assert upload(api_client_for(org.manager), contact, content).status_code == 201
    return contact, content


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.django_db
class TestListening:
    def test_whoever_sees_the_interaction_hears_it_whole(self, org, recorded, api_client_for):
        contact, content = recorded
        for user in (org.agent_a, org.supervisor_a, org.manager, org.admin):
            response = api_client_for(user).get(url_of(contact), HTTP_ACCEPT="audio/*")
            assert response.status_code == 200, user
            assert body_of(response) == content
            assert response["Content-Type"] == "audio/wav"
            assert response["Content-Length"] == str(len(content))
            assert response["Accept-Ranges"] == "bytes"
            assert response["ETag"].strip('"') == Recording.objects.get().sha256

    def test_an_agent_who_may_not_see_the_interaction_gets_404(self, org, recorded, api_client_for):
        contact, _content = recorded
        assert api_client_for(org.agent_b).get(url_of(contact)).status_code == 404
        assert api_client_for(org.nobody).get(url_of(contact)).status_code == 403

    def test_no_recording_is_404(self, org, media, api_client_for):
        other = InteractionFactory(queue=org.queue_a)
        assert api_client_for(org.agent_a).get(url_of(other)).status_code == 404

    @pytest.mark.parametrize(
        ("header", "first", "last"),
        [("bytes=0-99", 0, 99), ("bytes=100-199", 100, 199), ("bytes=3000-", 3000, None), ("bytes=-16", -16, None)],
    )
    def test_a_range_answers_206_with_exactly_those_bytes(self, org, recorded, api_client_for, header, first, last):
        contact, content = recorded
        response = api_client_for(org.agent_a).get(url_of(contact), HTTP_RANGE=header)
        assert response.status_code == 206
        expected = content[first : (last + 1 if last is not None else None)]
        assert body_of(response) == expected
        start = first if first >= 0 else len(content) + first
        assert response["Content-Range"] == f"bytes {start}-{start + len(expected) - 1}/{len(content)}"
        assert response["Content-Length"] == str(len(expected))

    def test_a_range_past_the_end_answers_416(self, org, recorded, api_client_for):
        contact, content = recorded
        response = api_client_for(org.agent_a).get(url_of(contact), HTTP_RANGE=f"bytes={len(content)}-")
        assert response.status_code == 416
        assert response["Content-Range"] == f"bytes */{len(content)}"

    def test_a_range_running_past_the_end_stops_at_it(self, org, recorded, api_client_for):
        contact, content = recorded
        response = api_client_for(org.agent_a).get(url_of(contact), HTTP_RANGE=f"bytes={len(content) - 10}-99999999")
        assert response.status_code == 206
        assert body_of(response) == content[-10:]

    def test_several_ranges_or_a_stale_if_range_answer_the_whole_file(self, org, recorded, api_client_for):
        contact, content = recorded
        client = api_client_for(org.agent_a)
        assert body_of(client.get(url_of(contact), HTTP_RANGE="bytes=0-1,5-6")) == content
        response = client.get(url_of(contact), HTTP_RANGE="bytes=0-1", HTTP_IF_RANGE='"another"')
        assert response.status_code == 200 and body_of(response) == content

    def test_the_etag_answers_304(self, org, recorded, api_client_for):
        contact, _content = recorded
        client = api_client_for(org.agent_a)
        etag = client.get(url_of(contact))["ETag"]
        assert client.get(url_of(contact), HTTP_IF_NONE_MATCH=etag).status_code == 304

    def test_the_interaction_shows_its_recording(self, org, recorded, api_client_for):
        contact, content = recorded
        data = api_client_for(org.agent_a).get(reverse("interaction-detail", kwargs={"pk": contact.pk})).data
        assert data["recording_file"]["url"].endswith(url_of(contact))
        assert data["recording_file"]["size"] == len(content)
        assert data["recording_file"]["duration"] == 0.25
        assert data["recording_file"]["paused_spans"] == []
        bare = InteractionFactory(queue=org.queue_a)
        assert (
            api_client_for(org.agent_a)
            .get(reverse("interaction-detail", kwargs={"pk": bare.pk}))
            .data["recording_file"]
            is None
        )


def test_byte_range_reads_one_range_and_answers_whole_otherwise():
    assert recordings.byte_range(None, 100) is None
    assert recordings.byte_range("bytes=0-0", 100) == (0, 0)
    assert recordings.byte_range("bytes=-200", 100) == (0, 99)
    assert recordings.byte_range("bytes=99-", 100) == (99, 99)
    assert recordings.byte_range("bytes=100-", 100) == recordings.UNSATISFIABLE
    assert recordings.byte_range("bytes=-0", 100) == recordings.UNSATISFIABLE
    for ignored in ("items=0-1", "bytes=5-2", "bytes=a-b", "bytes=0-1,3-4", "bytes"):
        assert recordings.byte_range(ignored, 100) is None, ignored


# --- PCI pauses -------------------------------------------------------------------------------------


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_paused_spans_are_the_same_whatever_order_the_events_came_in():
    events = [
        CallEvent(CtiEventType.OFFERED, at(0)),
        CallEvent(CtiEventType.ANSWERED, at(5), agent_id=1),
        CallEvent(PAUSED, at(30)),
        CallEvent(RESUMED, at(45)),
        CallEvent(PAUSED, at(60)),
        CallEvent(PAUSED, at(62)),  # reported twice (the bridge and the phone system): one pause
        CallEvent(RESUMED, at(70)),
        CallEvent(RESUMED, at(71)),  # a resume while not paused changes nothing
        CallEvent(PAUSED, at(90)),  # still paused when the call ends
        CallEvent(CtiEventType.ENDED, at(100)),
    ]
    expected = ((at(30), at(45)), (at(60), at(70)), (at(90), at(100)))
    shuffler = random.Random(15)
    for _ in range(200):
        order = list(events)
        shuffler.shuffle(order)
        assert recording_paused_spans(order, ended_at=at(100)) == expected
    assert recording_paused_spans(reversed(events), ended_at=at(100)) == expected
    # During the call, the pause going on has no end yet.
    assert recording_paused_spans(events[:-1], ended_at=None)[-1] == (at(90), None)


def test_a_pause_and_a_resume_at_the_same_instant_pair_up():
    events = [
        CallEvent(PAUSED, at(10)),
        CallEvent(RESUMED, at(20)),
        CallEvent(PAUSED, at(20)),
        CallEvent(RESUMED, at(30)),
    ]
    assert recording_paused_spans(events, ended_at=None) == ((at(10), at(20)), (at(20), at(30)))


@pytest.mark.django_db
def test_pause_events_are_kept_on_the_call_in_any_order_and_do_not_count_as_hold(org):
    AgentProfile = org.agent_a.agent_profile.__class__
    AgentProfile.objects.update(status_since=T0 - timedelta(days=1))
    steps = [
        (CtiEventType.OFFERED, 0, {}),
        (CtiEventType.ANSWERED, 5, {"agent": org.agent_a}),
        (PAUSED, 30, {}),
        (RESUMED, 45, {}),
        (CtiEventType.ENDED, 100, {}),
    ]
    for number, order in enumerate((steps, list(reversed(steps)), [steps[3], steps[0], steps[4], steps[2], steps[1]])):
        call_id = f"pci-{number}"
        for event, seconds, extra in order:
            cti_event_apply(event=event, call_id=call_id, timestamp=at(seconds), queue=org.queue_a, **extra)
        call = CtiCall.objects.select_related("interaction").get(call_id=call_id)
        assert call.recording_paused == [[at(30).astimezone(UTC).isoformat(), at(45).astimezone(UTC).isoformat()]]
        assert call.interaction.hold_seconds == 0
        # A repeat changes nothing.
        again = cti_event_apply(event=PAUSED, call_id=call_id, timestamp=at(30))
        assert again.duplicate


# --- Fetching from the phone system -------------------------------------------------------------


class PbxHandler(BaseHTTPRequestHandler):
    """The phone system's recordings over HTTP: ``/rec/<name>`` with Basic credentials
    (twilio/secret), ``/open/<name>`` without, ``/later/<name>`` 404 until told otherwise,
    ``/moved/<name>`` a redirect to ``/open/<name>``, ``/broken`` a 500."""

    files: dict[str, bytes] = {}
    seen: list[tuple[str, str | None]] = []
    ready: set[str] = set()

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("Authorization")))
        kind, _sep, name = self.path.strip("/").partition("/")
        expected = "Basic " + base64.b64encode(b"twilio:secret").decode()
        if kind == "moved":
            self.send_response(302)
            self.send_header("Location", f"/open/{name}")
            self.end_headers()
            return
        if kind == "broken":
            self.send_response(500)
            self.end_headers()
            return
        if kind == "rec" and self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.end_headers()
            return
        if name not in self.files or (kind == "later" and name not in self.ready):
            self.send_response(404)
            self.end_headers()
            return
        body = self.files[name]
        self.send_response(200)
        self.send_header("Content-Type", "audio/x-wav")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def pbx_http() -> Iterator[str]:
    PbxHandler.files, PbxHandler.seen, PbxHandler.ready = {}, [], set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), PbxHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def fetch_settings(settings, tmp_path):
    settings.RECORDINGS_FETCH_USERNAME, settings.RECORDINGS_FETCH_PASSWORD = "twilio", "secret"
    settings.RECORDINGS_FETCH_TIMEOUT = 5
    settings.RECORDINGS_PBX_ROOT = str(tmp_path / "spool")
    (tmp_path / "spool" / "2026").mkdir(parents=True)
    return settings


@pytest.mark.django_db
class TestFetch:
    def test_a_url_is_fetched_with_the_basic_credentials(self, contact, media, pbx_http, fetch_settings):
        PbxHandler.files["RE123.wav"] = content = wav_bytes()
        result = tasks.recording_fetch(contact.pk, f"{pbx_http}/rec/RE123.wav")
        recording = Recording.objects.get(interaction=contact)
        assert result == {"recording": recording.pk}
        assert recording.source == RecordingSource.FETCHED
        assert recording.location == f"{pbx_http}/rec/RE123.wav"
        assert recording.file.read() == content and recording.duration_seconds == 0.5
        # Idempotent: a second run reads nothing.
        tasks.recording_fetch(contact.pk, f"{pbx_http}/rec/RE123.wav")
        assert len(PbxHandler.seen) == 1 and len(stored_files(media)) == 1

    def test_credentials_are_not_sent_on_along_a_redirect(self, contact, media, pbx_http, fetch_settings):
        PbxHandler.files["RE9.wav"] = wav_bytes()
        recordings.recording_fetch(interaction_id=contact.pk, location=f"{pbx_http}/moved/RE9.wav")
        assert Recording.objects.filter(interaction=contact).exists()
        assert PbxHandler.seen[0][1] is not None and PbxHandler.seen[1] == ("/open/RE9.wav", None)

    def test_a_recording_not_there_yet_is_tried_again_later(self, contact, media, pbx_http, fetch_settings):
        PbxHandler.files["RE5.wav"] = wav_bytes()
        location = f"{pbx_http}/later/RE5.wav"
        with pytest.raises(recordings.RecordingUnavailable):
            tasks.recording_fetch(contact.pk, location)
        retry = Schedule.objects.get(func="contactcenter.telephony.tasks.recording_fetch")
        assert retry.next_run > timezone.now() and "'_attempt': 2" in retry.kwargs
        PbxHandler.ready.add("RE5.wav")
        tasks.recording_fetch(contact.pk, location, _attempt=2)
        assert Recording.objects.filter(interaction=contact).exists()

    def test_a_server_error_is_retried_a_refusal_is_not(self, contact, media, pbx_http, fetch_settings, settings):
        with pytest.raises(recordings.RecordingUnavailable):
            recordings.recording_fetch(interaction_id=contact.pk, location=f"{pbx_http}/broken")
        settings.RECORDINGS_FETCH_PASSWORD = "wrong"
        PbxHandler.files["RE7.wav"] = wav_bytes()
        assert "401" in tasks.recording_fetch(contact.pk, f"{pbx_http}/rec/RE7.wav")["refused"]
        assert not Schedule.objects.filter(func="contactcenter.telephony.tasks.recording_fetch").exists()

    def test_a_download_over_the_size_limit_is_refused(self, contact, media, pbx_http, fetch_settings, settings):
        settings.RECORDING_MAX_BYTES = 1024
        PbxHandler.files["big.wav"] = wav_bytes(1)
        assert "RECORDING_MAX_BYTES" in tasks.recording_fetch(contact.pk, f"{pbx_http}/open/big.wav")["refused"]
        assert stored_files(media) == []

    def test_a_page_that_is_not_audio_is_refused(self, contact, media, pbx_http, fetch_settings):
        PbxHandler.files["login.wav"] = b"<html><body>Please sign in</body></html>"
        assert "not a recording" in tasks.recording_fetch(contact.pk, f"{pbx_http}/open/login.wav")["refused"]
        assert not Recording.objects.exists() and stored_files(media) == []

    def test_a_path_under_the_pbx_folder_is_copied(self, contact, media, fetch_settings):
        source = Path(fetch_settings.RECORDINGS_PBX_ROOT) / "2026" / "q-4711.wav"
        source.write_bytes(content := wav_bytes())
        recording = recordings.recording_fetch(interaction_id=contact.pk, location=str(source))
        assert recording.file.read() == content
        assert source.exists()  # the phone system's copy is left alone

    @pytest.mark.parametrize(
        "location",
        ["{root}/../secret.wav", "{root}/2026/../../secret.wav", "{outside}", "{root}/link.wav", "{root}"],
        ids=["dot-dot", "deeper-dot-dot", "outside", "symlink-out", "the-folder-itself"],
    )
    def test_a_path_outside_the_pbx_folder_is_refused(self, contact, media, fetch_settings, tmp_path, location):
        root = Path(fetch_settings.RECORDINGS_PBX_ROOT)
        outside = tmp_path / "secret.wav"
        outside.write_bytes(wav_bytes())
        (root / "link.wav").symlink_to(outside)
        with pytest.raises(recordings.RecordingRefused):
            recordings.recording_fetch(interaction_id=contact.pk, location=location.format(root=root, outside=outside))
        assert not Recording.objects.exists() and stored_files(media) == []

    def test_paths_are_refused_without_a_pbx_folder(self, contact, media, fetch_settings, settings):
        settings.RECORDINGS_PBX_ROOT = ""
        assert (
            "RECORDINGS_PBX_ROOT" in tasks.recording_fetch(contact.pk, "/var/spool/asterisk/monitor/a.wav")["refused"]
        )

    def test_a_file_not_written_yet_is_tried_again(self, contact, media, fetch_settings):
        with pytest.raises(recordings.RecordingUnavailable):
            recordings.recording_fetch(
                interaction_id=contact.pk, location=f"{fetch_settings.RECORDINGS_PBX_ROOT}/2026/later.wav"
            )


@pytest.mark.django_db
class TestIntake:
    def test_the_end_of_a_call_naming_its_recording_queues_the_fetch(self, org, api_client_for):
        client = api_client_for(org.manager)
        url = reverse("cti-events")
        base = {"call_id": "pbx-rec-1", "from": "+33 1 23 45 67 89", "queue": org.queue_a.name}
        org.agent_a.agent_profile.__class__.objects.update(status_since=T0 - timedelta(days=1))
        for event, seconds, extra in (
            ("call.offered", 0, {}),
            ("call.answered", 5, {"agent": "agent_a"}),
            ("call.ended", 60, {"recording": "https://api.twilio.example/Recordings/RE1.wav"}),
        ):
            body = {**base, "event": event, "timestamp": at(seconds).isoformat(), **extra}
            assert client.post(url, body, format="json").status_code == 201
        [job] = OrmQ.objects.all()
        task = job.task
        assert task["func"] == "contactcenter.telephony.tasks.recording_fetch"
        interaction = CtiCall.objects.get(call_id="pbx-rec-1").interaction
        assert task["args"] == (interaction.pk, "https://api.twilio.example/Recordings/RE1.wav")
        stored = interaction.cti_call.events.get(event="call.ended")
        assert stored.payload["recording"] == "https://api.twilio.example/Recordings/RE1.wav"
        # A repeat of the end queues nothing more.
        body = {**base, "event": "call.ended", "timestamp": at(60).isoformat(), "recording": "/x.wav"}
        assert client.post(url, body, format="json").status_code == 200
        assert OrmQ.objects.count() == 1

    def test_a_repeated_end_naming_the_recording_first_has_it_fetched(self, org):
        """Twilio's recording callback comes after the call's end was told, as a repeat of it."""
        cti_event_apply(event="call.offered", call_id="c4", timestamp=at(0))
        cti_event_apply(event="call.ended", call_id="c4", timestamp=at(30))
        assert not OrmQ.objects.exists()
        outcome = cti_event_apply(
            event="call.ended", call_id="c4", timestamp=at(30), payload={"recording": "https://rec.example/RE4.wav"}
        )
        assert outcome.duplicate
        assert OrmQ.objects.get().task["args"] == (outcome.interaction.pk, "https://rec.example/RE4.wav")
        assert (
            CtiCall.objects.get(call_id="c4").events.get(event="call.ended").payload == {}
        )  # the repeat changed nothing

    def test_a_recording_named_before_the_end_is_fetched_at_the_end(self, org):
        cti_event_apply(event="call.offered", call_id="c2", timestamp=at(0), payload={"recording": "/spool/c2.wav"})
        assert not OrmQ.objects.exists()
        cti_event_apply(event="call.abandoned", call_id="c2", timestamp=at(20), payload={})
        assert OrmQ.objects.get().task["args"][1] == "/spool/c2.wav"

    @pytest.mark.parametrize(
        "location", ["ftp://pbx/rec.wav", "rec.wav", "https://sid:token@api.twilio.example/RE1.wav", "file:///etc"]
    )
    def test_a_location_that_is_neither_a_path_nor_a_plain_url_is_refused(self, org, api_client_for, location):
        body = {"event": "call.offered", "call_id": "c3", "timestamp": at(0).isoformat(), "recording": location}
        response = api_client_for(org.manager).post(reverse("cti-events"), body, format="json")
        assert response.status_code == 400 and "recording" in response.data


# --- Retention and erasure ----------------------------------------------------------------------------


@pytest.mark.django_db
class TestRetention:
    def test_recordings_past_their_time_are_deleted_files_and_all(
        self, contact, media, settings, django_capture_on_commit_callbacks
    ):
        settings.RECORDING_RETENTION_DAYS = 30
        recording = recordings.recording_store(interaction=contact, file=SimpleUploadedFile("a.wav", wav_bytes()))
        assert recording.retain_until is not None
        kept = recordings.recording_store(
            interaction=InteractionFactory(), file=SimpleUploadedFile("b.wav", wav_bytes(0.1))
        )
        Recording.objects.filter(pk=recording.pk).update(retain_until=timezone.now() - timedelta(seconds=1))
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.recordings_expire() == {"deleted": 1}
        assert list(Recording.objects.all()) == [kept]
        assert stored_files(media) == [Path(kept.file.path)]
        assert tasks.recordings_expire() == {"deleted": 0}

    def test_the_retention_period_of_recordings_deletes_those_of_older_interactions(
        self, media, django_capture_on_commit_callbacks
    ):
        old = InteractionFactory(offered_at=timezone.now() - timedelta(days=100), recording="pbx/ref.wav")
        recent = InteractionFactory(offered_at=timezone.now() - timedelta(days=1))
        for interaction in (old, recent):
            recordings.recording_store(interaction=interaction, file=SimpleUploadedFile("a.wav", wav_bytes(0.1)))
        RetentionPolicy.objects.filter(kind=RetentionKind.INTERACTION_RECORDINGS).update(days=90)
        dry = {result.kind: result for result in retention_apply(dry_run=True)}
        assert dry[RetentionKind.INTERACTION_RECORDINGS].detail == {"recordings": 1}
        with django_capture_on_commit_callbacks(execute=True):
            results = {result.kind: result for result in retention_apply()}
        assert results[RetentionKind.INTERACTION_RECORDINGS].detail["recordings"] == 1
        assert list(Recording.objects.values_list("interaction_id", flat=True)) == [recent.pk]
        assert len(stored_files(media)) == 1
        old.refresh_from_db()
        assert old.recording == ""

    def test_erasing_a_customer_deletes_their_recordings(self, media, django_capture_on_commit_callbacks):
        theirs = InteractionFactory()
        other = InteractionFactory()
        for interaction in (theirs, other):
            recordings.recording_store(interaction=interaction, file=SimpleUploadedFile("a.wav", wav_bytes(0.1)))
        with django_capture_on_commit_callbacks(execute=True):
            record = customer_erase(customer=theirs.customer)
        assert record.counts["recordings"] == 1
        assert list(Recording.objects.values_list("interaction_id", flat=True)) == [other.pk]
        assert len(stored_files(media)) == 1

    def test_deleting_the_interaction_deletes_its_recording_and_file(
        self, contact, media, django_capture_on_commit_callbacks
    ):
        recordings.recording_store(interaction=contact, file=SimpleUploadedFile("a.wav", wav_bytes(0.1)))
        with django_capture_on_commit_callbacks(execute=True):
            contact.delete()
        assert not Recording.objects.exists() and stored_files(media) == []


@pytest.mark.django_db
def test_nothing_secret_is_logged_when_a_fetch_fails(contact, media, pbx_http, fetch_settings, caplog):
    location = f"{pbx_http}/broken?X-Amz-Signature=s3cr3t#part"
    with caplog.at_level("DEBUG", logger="contactcenter"), pytest.raises(recordings.RecordingUnavailable):
        tasks.recording_fetch(contact.pk, location)
    logged = caplog.text
    assert f"{pbx_http}/broken" in logged
    for secret in ("s3cr3t", "secret", base64.b64encode(b"twilio:secret").decode()):
        assert secret not in logged
    assert recordings.location_for_log("https://sid:token@api.example/RE1.wav?sig=1") == "https://api.example/RE1.wav"
