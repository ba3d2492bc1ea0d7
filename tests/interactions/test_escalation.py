"""``manage.py escalate_overdue``: a missed SLA due time raises the priority one step, once per
breach, and the assignee hears of it."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from contactcenter.core import events as live
from interactions.models import SlaPolicy, Ticket, TicketEscalation
from interactions.services import ticket_create, ticket_sla_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, list[str], dict]]:
    messages: list[tuple[str, list[str], dict]] = []
    monkeypatch.setattr(live, "_send", lambda groups, kind, payload: messages.append((kind, groups, payload)))
    return messages


@pytest.fixture
def round_the_clock():
    """SLA clocks in calendar time, so that the tests do not depend on the weekday they run."""
    SlaPolicy.objects.update(business_hours_only=False)


def ticket_opened(hours_ago: float, priority: str = "low", **fields) -> Ticket:
    """A ticket created ``hours_ago``, with the due times its policy gave it then."""
    ticket = ticket_create(subject="Router down", priority=priority, **fields)
    created = timezone.now() - timedelta(hours=hours_ago)
    _policy, first, resolution = ticket_sla_due(priority=priority, start=created)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created, first_response_due=first, resolution_due=resolution)
    ticket.refresh_from_db()
    return ticket


def escalate(*args: str, verbosity: int = 0) -> str:
    out = StringIO()
    call_command("escalate_overdue", *args, verbosity=verbosity, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.usefixtures("round_the_clock")
class TestEscalation:
    def test_a_missed_first_response_raises_the_priority_one_step_once(
        self, org, sent, django_capture_on_commit_callbacks
    ):
        ticket = ticket_opened(10, priority="low", assignee=org.agent_a)  # low: first response within 9 h

        with django_capture_on_commit_callbacks(execute=True):
            escalate()
        ticket.refresh_from_db()

        assert (ticket.priority, ticket.version) == ("normal", 2)
        assert ticket.sla_policy.priority == "normal"
        escalation = TicketEscalation.objects.get()
        assert (escalation.breach, escalation.from_priority, escalation.to_priority) == (
            "first_response",
            "low",
            "normal",
        )
        assert ("ticket_updated", [live.agent_group(org.agent_a.pk)]) in [(kind, groups) for kind, groups, _ in sent]

        escalate()  # again, and again: the same breach is never escalated twice
        escalate()
        ticket.refresh_from_db()
        assert (ticket.priority, TicketEscalation.objects.count()) == ("normal", 1)

    def test_a_tighter_target_already_missed_is_its_own_breach_in_the_same_run(self):
        # low: 9 h / 45 h. 30 h in, only the first response is late; at normal (4 h / 27 h) the
        # resolution is late too: two steps, whatever the schedule of the command.
        ticket = ticket_opened(30, priority="low")
        escalate()
        ticket.refresh_from_db()
        assert ticket.priority == "high"
        assert list(TicketEscalation.objects.order_by("id").values_list("breach", "from_priority", "to_priority")) == [
            ("first_response", "low", "normal"),
            ("resolution", "normal", "high"),
        ]

    def test_a_later_resolution_breach_escalates_once_more(self):
        ticket = ticket_opened(5, priority="normal")  # normal: 4 h / 27 h
        escalate()
        ticket.refresh_from_db()
        assert ticket.priority == "high"  # high: 1 h / 8 h, resolution due in 3 h

        Ticket.objects.filter(pk=ticket.pk).update(resolution_due=timezone.now() - timedelta(minutes=1))
        escalate()
        ticket.refresh_from_db()
        assert ticket.priority == "urgent"
        assert list(TicketEscalation.objects.order_by("id").values_list("breach", flat=True)) == [
            "first_response",
            "resolution",
        ]

    def test_an_urgent_ticket_stays_urgent_but_its_breach_is_recorded_and_told(
        self, org, sent, django_capture_on_commit_callbacks
    ):
        ticket = ticket_opened(1, priority="urgent", assignee=org.agent_a)  # first response within 30 min
        with django_capture_on_commit_callbacks(execute=True):
            escalate()
        ticket.refresh_from_db()
        assert (ticket.priority, ticket.version) == ("urgent", 1)
        assert TicketEscalation.objects.get().to_priority == "urgent"
        assert [kind for kind, _groups, _ in sent] == ["ticket_updated"]

    def test_tickets_answered_waiting_on_the_customer_done_or_without_sla_are_left_alone(self):
        responded = ticket_opened(10)
        Ticket.objects.filter(pk=responded.pk).update(first_responded_at=responded.created_at + timedelta(hours=1))
        for status in ("pending", "resolved", "closed"):
            late = ticket_opened(100)
            Ticket.objects.filter(pk=late.pk).update(status=status)
        no_sla = ticket_opened(100)
        Ticket.objects.filter(pk=no_sla.pk).update(first_response_due=None, resolution_due=None)

        assert "0 tickets escalated" in escalate(verbosity=1)
        assert not TicketEscalation.objects.exists()
        assert set(Ticket.objects.values_list("priority", flat=True)) == {"low"}

    def test_a_dry_run_says_what_it_would_do_and_does_nothing(self):
        ticket = ticket_opened(30, priority="low")
        out = escalate("--dry-run", verbosity=2)
        assert f"{ticket.reference}: First response overdue, Low → Normal" in out
        assert f"{ticket.reference}: Resolution overdue, Normal → High" in out
        assert "Dry run: 1 ticket would be escalated for 2 SLA breach(es)." in out
        ticket.refresh_from_db()
        assert (ticket.priority, ticket.version) == ("low", 1)
        assert not TicketEscalation.objects.exists()

    def test_progress_is_shown_on_stderr_unless_quiet(self):
        ticket_opened(10)
        err = StringIO()
        call_command("escalate_overdue", "--dry-run", verbosity=1, stdout=StringIO(), stderr=err)
        assert "1/1" in err.getvalue()
        err = StringIO()
        call_command("escalate_overdue", "--dry-run", verbosity=0, stdout=StringIO(), stderr=err)
        assert err.getvalue() == ""
