"""Logging a contact and ending its after-call work: one service
(:func:`interactions.services.interaction_wrapup_log`), used by the desktop's log form and by
``POST /api/v1/interactions/{id}/wrapup/``, so that both behave the same."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from contactcenter.agents.models import AgentProfile, Status
from contactcenter.agents.services import agent_set_status
from contactcenter.core import events as live
from contactcenter.core.unset import UNSET
from contactcenter.scripts.models import Script, ScriptVersion
from interactions import services
from interactions.models import Disposition, Interaction, Ticket
from interactions.services import WrapupAlreadyEnded, interaction_wrapup_log
from tests.customers.factories import CustomerFactory
from tests.interactions.factories import InteractionFactory, TicketFactory

pytestmark = pytest.mark.django_db


def wrapup_url(pk: int) -> str:
    return reverse("interaction-wrapup", kwargs={"pk": pk})


@pytest.fixture
def sent(monkeypatch) -> list[str]:
    """The types of the live events as they leave, after commit."""
    types: list[str] = []
    monkeypatch.setattr(live, "_send", lambda groups, event_type, payload: types.append(event_type))
    return types


def status_of(user) -> str:
    return AgentProfile.objects.get(user=user).status


def contact(org, *, ended: bool = True, **fields) -> Interaction:
    """Agent A's call in Queue A, answered two minutes ago; when ``ended``, over a minute ago and
    the agent in wrap-up, else the agent busy on it."""
    now = timezone.now()
    AgentProfile.objects.filter(user=org.agent_a).update(status=Status.AVAILABLE, status_since=now - timedelta(hours=1))
    profile = AgentProfile.objects.get(user=org.agent_a)
    agent_set_status(profile=profile, status=Status.BUSY, at=now - timedelta(minutes=2))
    interaction = InteractionFactory(
        agent=org.agent_a,
        queue=org.queue_a,
        offered_at=now - timedelta(minutes=2, seconds=10),
        answered_at=now - timedelta(minutes=2),
        ended_at=now - timedelta(minutes=1) if ended else None,
        wrapup_ended_at=None,
        # The queue requires a disposition to end the wrap-up (tests/interactions/test_wrapup_rules.py).
        **{"disposition": Disposition.objects.order_by("pk").first(), **fields},
    )
    if ended:
        agent_set_status(profile=profile, status=Status.WRAP_UP, at=now - timedelta(minutes=1))
    return interaction


# --- The service ----------------------------------------------------------------------------------


class TestService:
    def test_during_the_call_the_log_is_saved_and_the_agent_stays_busy(self, org):
        interaction = contact(org, ended=False)

        logged = interaction_wrapup_log(interaction=interaction, by=org.agent_a, notes="Explained the invoice")

        assert (logged.notes, logged.wrapup_ended_at) == ("Explained the invoice", None)
        assert status_of(org.agent_a) == Status.BUSY

    def test_after_the_call_it_ends_the_wrap_up_and_the_agent_is_available_after_commit(
        self, org, sent, django_capture_on_commit_callbacks
    ):
        interaction = contact(org)
        resolving = Disposition.objects.filter(resolves=True).first()
        sent.clear()

        with django_capture_on_commit_callbacks(execute=True):
            logged = interaction_wrapup_log(
                interaction=interaction, by=org.agent_a, disposition=resolving, resolved=False, notes="Done"
            )
            assert sent == []  # nothing leaves before the commit

        assert logged.wrapup_ended_at is not None and logged.wrapup_ended_at >= logged.ended_at
        assert (logged.disposition, logged.resolved, logged.notes) == (resolving, True, "Done")
        assert status_of(org.agent_a) == Status.AVAILABLE
        assert {"interaction_logged", "status_changed"} <= set(sent)

    def test_what_is_not_given_is_kept(self, org):
        script = Script.objects.create(name="Welcome")
        version = ScriptVersion.objects.create(script=script, number=1, steps=[])
        ticket = TicketFactory(queue=org.queue_a)
        disposition = Disposition.objects.filter(resolves=False).first()
        interaction = contact(org, notes="First notes", ticket=ticket, disposition=disposition, script_version=version)

        logged = interaction_wrapup_log(interaction=interaction, by=org.agent_a)

        assert (logged.notes, logged.ticket, logged.disposition, logged.script_version) == (
            "First notes",
            ticket,
            disposition,
            version,
        )
        assert logged.wrapup_ended_at is not None

    def test_a_follow_up_ticket_is_opened_for_the_customer_and_linked(
        self, org, sent, django_capture_on_commit_callbacks
    ):
        interaction = contact(org)

        with django_capture_on_commit_callbacks(execute=True):
            logged = interaction_wrapup_log(
                interaction=interaction,
                by=org.agent_a,
                notes="Wants a refund",
                follow_up_subject="  Refund the March invoice ",
                follow_up_priority="high",
            )

        ticket = Ticket.objects.get()
        assert (ticket.subject, ticket.description, ticket.customer, ticket.queue, ticket.priority) == (
            "Refund the March invoice",
            "Wants a refund",
            interaction.customer,
            org.queue_a,
            "high",
        )
        assert logged.ticket == ticket
        assert ticket.history.get().history_user == org.agent_a

    @pytest.mark.parametrize(
        ("case", "message"),
        [
            ("blank subject", "needs a subject"),
            ("with a ticket", "not both"),
            ("unknown caller", "Identify the caller first"),
        ],
    )
    def test_a_refused_follow_up_writes_nothing(self, org, case, message):
        interaction = contact(org, customer=None if case == "unknown caller" else CustomerFactory())
        ticket = TicketFactory(queue=org.queue_a) if case == "with a ticket" else UNSET
        tickets = Ticket.objects.count()

        with pytest.raises(ValidationError) as caught:
            interaction_wrapup_log(
                interaction=interaction,
                by=org.agent_a,
                notes="Keep me",
                ticket=ticket,
                follow_up_subject="   " if case == "blank subject" else "Call back",
            )

        assert message in " ".join(caught.value.message_dict["follow_up_subject"])
        assert Ticket.objects.count() == tickets
        stored = Interaction.objects.get(pk=interaction.pk)
        assert (stored.notes, stored.wrapup_ended_at) == ("", None)
        assert status_of(org.agent_a) == Status.WRAP_UP

    def test_a_wrap_up_over_already_is_a_conflict_and_a_correction_does_not_touch_it(self, org):
        interaction = contact(org)
        first = interaction_wrapup_log(interaction=interaction, by=org.agent_a, notes="First")

        with pytest.raises(WrapupAlreadyEnded) as caught:
            interaction_wrapup_log(interaction=interaction, by=org.agent_a, notes="Second")
        assert caught.value.ended_at == first.wrapup_ended_at
        assert Interaction.objects.get(pk=interaction.pk).notes == "First"

        corrected = interaction_wrapup_log(interaction=interaction, by=org.agent_a, notes="Second", end_wrapup=False)
        assert (corrected.notes, corrected.wrapup_ended_at) == ("Second", first.wrapup_ended_at)

    def test_an_agent_who_left_wrap_up_keeps_their_status(self, org):
        interaction = contact(org)
        profile = AgentProfile.objects.get(user=org.agent_a)
        agent_set_status(profile=profile, status=Status.BREAK, reason="lunch")

        logged = interaction_wrapup_log(interaction=interaction, by=org.agent_a)

        assert logged.wrapup_ended_at is not None
        assert status_of(org.agent_a) == Status.BREAK

    def test_one_transaction_a_failure_at_the_end_leaves_nothing_written(self, org, monkeypatch):
        interaction = contact(org)

        def refuse(**kwargs):
            raise ValidationError({"status": ["The status store is down."]})

        monkeypatch.setattr(services, "agent_state_sync", refuse)
        with pytest.raises(ValidationError):
            interaction_wrapup_log(interaction=interaction, by=org.agent_a, notes="Lost", follow_up_subject="Call back")

        stored = Interaction.objects.get(pk=interaction.pk)
        assert (stored.notes, stored.ticket, stored.wrapup_ended_at) == ("", None, None)
        assert not Ticket.objects.exists()
        assert status_of(org.agent_a) == Status.WRAP_UP


# --- The API ----------------------------------------------------------------------------------------


class TestApi:
    def test_the_agent_logs_the_contact_and_ends_the_wrap_up(self, org, api_client_for):
        interaction = contact(org)
        resolving = Disposition.objects.filter(resolves=True).first()

        response = api_client_for(org.agent_a).post(
            wrapup_url(interaction.pk),
            {"disposition": resolving.code, "notes": "Explained the invoice", "follow_up_subject": "Send the refund"},
            format="json",
        )

        assert response.status_code == 200, response.json()
        body = response.json()
        ticket = Ticket.objects.get()
        assert (body["id"], body["disposition"], body["resolved"], body["notes"], body["ticket"]) == (
            interaction.pk,
            resolving.code,
            True,
            "Explained the invoice",
            ticket.pk,
        )
        assert body["wrapup_ended_at"].endswith("Z")
        assert status_of(org.agent_a) == Status.AVAILABLE

    def test_bad_fields_answer_400_naming_each_and_change_nothing(self, org, api_client_for):
        interaction = contact(org, customer=None)
        hidden_ticket = TicketFactory(queue=org.queue_b)
        client = api_client_for(org.agent_a)

        shapes = client.post(
            wrapup_url(interaction.pk),
            {"disposition": "no-such-code", "ticket": hidden_ticket.pk, "follow_up_priority": "asap", "end_wrapup": 3},
            format="json",
        )
        assert shapes.status_code == 400
        assert {"disposition", "ticket", "follow_up_priority", "end_wrapup"} <= set(shapes.json())

        rule = client.post(wrapup_url(interaction.pk), {"follow_up_subject": "Call back"}, format="json")
        assert rule.status_code == 400
        assert "Identify the caller first" in " ".join(rule.json()["follow_up_subject"])

        stored = Interaction.objects.get(pk=interaction.pk)
        assert stored.wrapup_ended_at is None and list(Ticket.objects.all()) == [hidden_ticket]

    def test_a_contact_the_caller_may_not_see_is_404(self, org, api_client_for):
        interaction = contact(org)
        assert api_client_for(org.agent_b).post(wrapup_url(interaction.pk), {}, format="json").status_code == 404
        assert api_client_for(org.agent_a).post(wrapup_url(999999), {}, format="json").status_code == 404
        assert Interaction.objects.get(pk=interaction.pk).wrapup_ended_at is None

    def test_a_wrap_up_over_already_answers_409_and_a_correction_200(self, org, api_client_for):
        interaction = contact(org)
        client = api_client_for(org.agent_a)
        assert client.post(wrapup_url(interaction.pk), {"notes": "First"}, format="json").status_code == 200

        again = client.post(wrapup_url(interaction.pk), {"notes": "Second"}, format="json")
        assert again.status_code == 409
        stored = Interaction.objects.get(pk=interaction.pk)
        assert again.json()["wrapup_ended_at"] == stored.wrapup_ended_at.isoformat().replace("+00:00", "Z")
        assert stored.notes == "First"

        corrected = client.post(wrapup_url(interaction.pk), {"notes": "Second", "end_wrapup": False}, format="json")
        assert corrected.status_code == 200 and corrected.json()["notes"] == "Second"

    def test_the_desktop_and_the_api_give_the_same_refusal(self, org, api_client_for, client):
        """One rule, two doors: a follow-up for an unknown caller."""
        from_api = contact(org, customer=None)
        api = api_client_for(org.agent_a).post(
            wrapup_url(from_api.pk), {"follow_up_subject": "Call back"}, format="json"
        )

        from_desk = InteractionFactory(
            agent=org.agent_a,
            queue=org.queue_a,
            customer=None,
            offered_at=from_api.offered_at,
            answered_at=from_api.answered_at,
            ended_at=from_api.ended_at,
            wrapup_ended_at=None,
        )
        client.force_login(org.agent_a)
        desk = client.post(
            reverse("desk:call_log", args=[from_desk.pk]),
            {"follow_up": "on", "follow_up_subject": "Call back"},
            HTTP_HX_REQUEST="true",
        )

        assert (api.status_code, desk.status_code) == (400, 400)
        message = api.json()["follow_up_subject"][0]
        assert message in desk.content.decode()
