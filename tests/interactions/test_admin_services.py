"""The interaction admin writes through the interaction services, so that the back office, the
API and the desktop apply the same rules (a resolving disposition, the wallboard's event)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from contactcenter.core import events as live
from interactions.models import Disposition, Interaction
from tests.interactions.factories import InteractionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch) -> list[str]:
    types: list[str] = []
    monkeypatch.setattr(live, "_send", lambda groups, event_type, payload: types.append(event_type))
    return types


def split(moment) -> dict[str, str]:
    local = timezone.localtime(moment)
    return {"0": local.strftime("%Y-%m-%d"), "1": local.strftime("%H:%M:%S")}


def form_of(interaction: Interaction, **changes) -> dict[str, object]:
    data: dict[str, object] = {
        "channel": interaction.channel,
        "direction": interaction.direction,
        "customer": interaction.customer_id or "",
        "agent": interaction.agent_id or "",
        "queue": interaction.queue_id or "",
        "ticket": interaction.ticket_id or "",
        "hold_seconds": interaction.hold_seconds,
        "disposition": interaction.disposition_id or "",
        "notes": interaction.notes,
        "sentiment": "" if interaction.sentiment is None else interaction.sentiment,
        "script_version": "",
        "source": interaction.source,
        "external_id": interaction.external_id,
        "recording": interaction.recording,
        "survey_responses-TOTAL_FORMS": 0,
        "survey_responses-INITIAL_FORMS": 0,
        "survey_responses-MIN_NUM_FORMS": 0,
        "survey_responses-MAX_NUM_FORMS": 1000,
        # The recording's inline (read-only: its management form only).
        "telephony_recording-TOTAL_FORMS": 0,
        "telephony_recording-INITIAL_FORMS": 0,
        "telephony_recording-MIN_NUM_FORMS": 0,
        "telephony_recording-MAX_NUM_FORMS": 1,
    }
    for name in ("offered_at", "answered_at", "ended_at", "wrapup_ended_at"):
        moment = getattr(interaction, name)
        for part, value in (split(moment) if moment else {"0": "", "1": ""}).items():
            data[f"{name}_{part}"] = value
    if interaction.resolved:
        data["resolved"] = "on"
    data.update(changes)
    return data


def test_a_resolving_disposition_chosen_in_the_admin_marks_the_contact_resolved(
    admin_client, admin_user, sent, django_capture_on_commit_callbacks
):
    interaction = InteractionFactory(resolved=False, offered_at=timezone.now() - timedelta(hours=1))
    resolving = Disposition.objects.filter(resolves=True).first()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:interactions_interaction_change", args=[interaction.pk]),
            form_of(interaction, disposition=resolving.pk),
        )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    stored = Interaction.objects.get(pk=interaction.pk)
    assert (stored.disposition, stored.resolved) == (resolving, True)
    assert stored.history.latest().history_user == admin_user
    assert "interaction_logged" in sent


def test_an_interaction_added_in_the_admin_follows_the_same_rules(
    admin_client, admin_user, sent, django_capture_on_commit_callbacks
):
    template = InteractionFactory.build(offered_at=timezone.now() - timedelta(hours=1), customer=None, queue=None)
    resolving = Disposition.objects.filter(resolves=True).first()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:interactions_interaction_add"), form_of(template, disposition=resolving.pk, notes="Added")
        )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    stored = Interaction.objects.get(notes="Added")
    assert stored.resolved is True
    assert stored.history.get().history_user == admin_user
    assert "interaction_logged" in sent
