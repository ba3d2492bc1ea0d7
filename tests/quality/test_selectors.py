"""Reads of quality management that the services' tests do not cover."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contactcenter.quality.selectors import interaction_review_context
from contactcenter.telephony.recordings import recording_store
from interactions.models import CtiCall
from tests.scripts.factories import make_published
from tests.telephony.recording_files import wav_bytes

pytestmark = pytest.mark.django_db


def test_the_review_context_has_the_recording_with_its_paused_spans_and_the_script(qm, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    _script, version = make_published(name="Review script", queues=[qm.queue_a])
    qm.interaction.script_version = version
    qm.interaction.notes = "Refund promised"
    qm.interaction.save()
    recording_store(interaction=qm.interaction, file=SimpleUploadedFile("call.wav", wav_bytes(0.2)))
    CtiCall.objects.create(
        call_id="review-1",
        interaction=qm.interaction,
        recording_paused=[["2026-01-05T09:01:00+00:00", "2026-01-05T09:01:40+00:00"]],
    )

    context = interaction_review_context(interaction=qm.interaction)

    assert context["recording"]["paused"] == [["2026-01-05T09:01:00+00:00", "2026-01-05T09:01:40+00:00"]]
    assert context["recording"]["duration_seconds"] is not None
    assert context["script"]["number"] == version.number and context["script"]["steps"]
    assert context["notes"] == "Refund promised"
    assert context["emails"] == []


def test_the_review_context_of_a_call_without_recording(qm):
    context = interaction_review_context(interaction=qm.interaction)
    assert context["recording"] is None
    assert context["script"] is None
