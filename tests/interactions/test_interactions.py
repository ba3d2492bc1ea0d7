"""SPEC §3 and §4: what an interaction may contain, and its durations, exactly."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from interactions.models import Interaction
from interactions.services import interaction_create
from tests.interactions.factories import T0, InteractionFactory

pytestmark = pytest.mark.django_db


def at(seconds: float):
    return T0 + timedelta(seconds=seconds)


def test_durations_follow_the_spec_example():
    # The smoke check's call: answered after 10 s, 300 s conversation with 20 s hold, 60 s wrap-up.
    call = InteractionFactory.build(
        offered_at=at(0), answered_at=at(10), ended_at=at(310), wrapup_ended_at=at(370), hold_seconds=20
    )
    assert call.wait_seconds == 10
    assert call.talk_seconds == 280  # ended − answered − hold
    assert call.acw_seconds == 60
    assert call.handle_seconds == 360  # talk + hold + ACW
    assert not call.abandoned


def test_after_call_work_is_zero_without_a_wrap_up_end():
    call = InteractionFactory.build(answered_at=at(5), ended_at=at(65), wrapup_ended_at=None)
    assert call.acw_seconds == 0
    assert call.handle_seconds == 60


def test_an_unanswered_contact_has_no_wait_talk_or_handle_time():
    call = InteractionFactory.build(answered_at=None, ended_at=at(40), wrapup_ended_at=None)
    assert (call.wait_seconds, call.talk_seconds, call.handle_seconds) == (None, None, None)
    assert call.abandoned


def test_a_contact_still_in_progress_is_not_abandoned():
    call = InteractionFactory.build(answered_at=None, ended_at=None, wrapup_ended_at=None)
    assert not call.abandoned


def test_short_abandons_are_not_abandons(settings):
    settings.SHORT_ABANDON_SECONDS = 5
    short = InteractionFactory.build(answered_at=None, ended_at=at(4.9), wrapup_ended_at=None)
    limit = InteractionFactory.build(answered_at=None, ended_at=at(5), wrapup_ended_at=None)
    assert short.is_short_abandon and not short.abandoned
    assert not limit.is_short_abandon and limit.abandoned


def test_ivr_and_outbound_contacts_are_never_abandoned():
    ivr = InteractionFactory.build(channel="ivr", answered_at=None, ended_at=at(60), wrapup_ended_at=None)
    outbound = InteractionFactory.build(direction="outbound", answered_at=None, ended_at=at(60), wrapup_ended_at=None)
    assert not ivr.abandoned
    assert not outbound.abandoned


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"answered_at": at(-1)}, "answered_at", "cannot be answered before it was offered"),
        ({"ended_at": at(-5), "answered_at": None, "wrapup_ended_at": None}, "ended_at", "before it was offered"),
        ({"ended_at": at(5), "wrapup_ended_at": None}, "ended_at", "cannot end before it was answered"),
        ({"ended_at": None}, "wrapup_ended_at", "while the conversation has no end time"),
        ({"wrapup_ended_at": at(100)}, "wrapup_ended_at", "before the conversation ended"),
        ({"hold_seconds": -1}, "hold_seconds", "Hold time cannot be negative"),
        ({"hold_seconds": 301}, "hold_seconds", "cannot be longer than the time between answer and end"),
        (
            {"answered_at": None, "ended_at": at(60), "wrapup_ended_at": None, "hold_seconds": 5},
            "hold_seconds",
            "never answered cannot have been on hold",
        ),
        ({"sentiment": 1.01}, "sentiment", "between -1 and 1"),
        ({"sentiment": -2}, "sentiment", "between -1 and 1"),
        ({"channel": "fax"}, "channel", "is not a valid choice"),
        ({"direction": "sideways"}, "direction", "is not a valid choice"),
    ],
)
def test_impossible_interactions_are_refused_with_their_message(changes, field, message):
    fields = {
        "channel": "voice",
        "direction": "inbound",
        "offered_at": at(0),
        "answered_at": at(10),
        "ended_at": at(310),
        "wrapup_ended_at": at(370),
    }
    fields.update(changes)
    with pytest.raises(ValidationError) as excinfo:
        interaction_create(**fields)
    errors = excinfo.value.message_dict
    assert message in " ".join(errors[field])
    # One message for one problem: the database constraint does not repeat it.
    assert len(errors[field]) == 1
    assert "__all__" not in errors
    assert not Interaction.objects.exists()


def test_boundaries_are_accepted():
    call = interaction_create(
        channel="voice",
        direction="inbound",
        offered_at=at(0),
        answered_at=at(0),
        ended_at=at(100),
        wrapup_ended_at=at(100),
        hold_seconds=100,
        sentiment=-1,
    )
    assert call.talk_seconds == 0 and call.handle_seconds == 100


def test_the_database_refuses_impossible_rows_that_skip_validation():
    with pytest.raises(IntegrityError), transaction.atomic():
        InteractionFactory(answered_at=at(-10))
    with pytest.raises(IntegrityError), transaction.atomic():
        InteractionFactory(sentiment=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        InteractionFactory(hold_seconds=-3)


def test_external_id_is_unique_per_source():
    InteractionFactory(source="pbx", external_id="call-1")
    InteractionFactory(source="crm", external_id="call-1")
    InteractionFactory(source="pbx", external_id="")
    InteractionFactory(source="pbx", external_id="")
    with pytest.raises(ValidationError) as excinfo:
        interaction_create(channel="voice", direction="inbound", offered_at=at(0), source="pbx", external_id="call-1")
    assert "already exists for this source" in str(excinfo.value)


def test_history_rows_are_written_on_change():
    call = InteractionFactory(notes="first")
    call.notes = "second"
    call.save()
    assert list(call.history.order_by("history_date").values_list("notes", flat=True)) == ["first", "second"]


def test_a_disposition_that_resolves_the_contact_marks_it_resolved():
    """``Disposition.resolves``: "Picking it marks the interaction resolved", whoever picks it
    (the API, the desktop, the admin's services)."""
    from interactions.models import Disposition
    from interactions.services import interaction_update
    from tests.customers.factories import CustomerFactory

    resolving = Disposition.objects.filter(resolves=True).first()
    other = Disposition.objects.filter(resolves=False).first()
    created = interaction_create(
        channel="email", customer=CustomerFactory(), offered_at=T0, disposition=resolving, resolved=False
    )
    assert created.resolved is True

    interaction = InteractionFactory(resolved=False)
    assert interaction_update(interaction=interaction, disposition=other).resolved is False
    assert interaction_update(interaction=interaction, disposition=resolving).resolved is True
