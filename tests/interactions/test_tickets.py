"""Tickets: references, SLA due times from the policy of their priority in business hours,
versions, comments and history."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from interactions.models import Holiday, SlaPolicy, Ticket
from interactions.services import ticket_comment_add, ticket_create, ticket_save_changes, ticket_save_new
from interactions.sla import NoBusinessHours, add_business_time, business_minutes_between
from tests.customers.factories import CustomerFactory

PARIS = ZoneInfo("Europe/Paris")
OFFICE = [(weekday, time(9), time(18)) for weekday in range(5)]


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


class TestBusinessTime:
    def test_inside_one_day(self):
        assert add_business_time(paris(2026, 1, 5, 10), 90, windows=OFFICE, holidays=set()) == paris(2026, 1, 5, 11, 30)

    def test_the_clock_stops_overnight_and_over_the_weekend(self):
        friday_late = paris(2026, 1, 9, 17, 30)
        assert add_business_time(friday_late, 60, windows=OFFICE, holidays=set()) == paris(2026, 1, 12, 9, 30)

    def test_a_start_before_opening_waits_for_it(self):
        assert add_business_time(paris(2026, 1, 5, 6), 30, windows=OFFICE, holidays=set()) == paris(2026, 1, 5, 9, 30)

    def test_holidays_are_closed(self):
        due = add_business_time(paris(2026, 1, 9, 17, 30), 60, windows=OFFICE, holidays={date(2026, 1, 12)})
        assert due == paris(2026, 1, 13, 9, 30)

    def test_split_windows(self):
        lunch_break = [(0, time(9), time(12)), (0, time(14), time(18))]
        assert add_business_time(paris(2026, 1, 5, 11), 120, windows=lunch_break, holidays=set()) == paris(
            2026, 1, 5, 15
        )

    def test_across_the_change_to_summer_time(self):
        # Friday 27 March 2026 17:00 (UTC+1) + 2 h of opening time → Monday 30 March 10:00 (UTC+2).
        due = add_business_time(paris(2026, 3, 27, 17), 120, windows=OFFICE, holidays=set())
        assert due == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)

    def test_a_calendar_that_never_opens_says_so(self):
        with pytest.raises(NoBusinessHours):
            add_business_time(paris(2026, 1, 5), 10, windows=[], holidays=set())


@pytest.mark.django_db
class TestTickets:
    def test_references_are_sequential(self):
        first = ticket_create(subject="Broken router")
        second = ticket_create(subject="Invoice question")
        assert (first.reference, second.reference) == ("T-000001", "T-000002")

    def test_due_times_come_from_the_policy_of_its_priority_in_business_hours(self):
        # Default policy for "high": first response 1 h, resolution 8 h, Mon–Fri 09:00–18:00.
        ticket = ticket_save_new(ticket=Ticket(subject="Outage", priority="high"), now=paris(2026, 1, 9, 17, 30))
        assert ticket.sla_policy.priority == "high"
        assert ticket.first_response_due == paris(2026, 1, 12, 9, 30)
        assert ticket.resolution_due == paris(2026, 1, 12, 16, 30)

    def test_holidays_move_the_due_times(self):
        Holiday.objects.create(date=date(2026, 1, 12), name="Closed")
        ticket = ticket_save_new(ticket=Ticket(subject="Outage", priority="high"), now=paris(2026, 1, 9, 17, 30))
        assert ticket.first_response_due == paris(2026, 1, 13, 9, 30)

    def test_a_round_the_clock_policy_counts_calendar_time(self):
        SlaPolicy.objects.filter(priority="urgent").update(business_hours_only=False)
        now = paris(2026, 1, 10, 23)  # a Saturday night
        ticket = ticket_save_new(ticket=Ticket(subject="Down", priority="urgent"), now=now)
        assert ticket.first_response_due == now + timedelta(minutes=30)
        assert ticket.resolution_due == now + timedelta(hours=4)

    def test_a_priority_change_moves_the_due_times_and_raises_the_version(self):
        ticket = ticket_create(subject="Question", priority="low")
        low_due = ticket.first_response_due
        ticket.priority = "urgent"
        ticket_save_changes(ticket=ticket, changed={"priority"})
        ticket.refresh_from_db()
        assert ticket.first_response_due < low_due
        assert ticket.version == 2

    def test_resolving_and_closing_are_stamped(self):
        ticket = ticket_create(subject="Question")
        ticket.status = "closed"
        ticket_save_changes(ticket=ticket, changed={"status"})
        assert ticket.resolved_at is not None and ticket.closed_at is not None
        ticket.status = "open"
        ticket_save_changes(ticket=ticket, changed={"status"})
        assert ticket.resolved_at is None and ticket.closed_at is None

    def test_a_subject_is_required(self):
        with pytest.raises(ValidationError) as excinfo:
            ticket_create(subject="   ")
        assert excinfo.value.message_dict["subject"] == ["Give the ticket a subject."]
        assert not Ticket.objects.exists()

    def test_unknown_status_or_priority_is_refused(self):
        with pytest.raises(ValidationError) as excinfo:
            ticket_create(subject="x", status="lost", priority="whenever")
        assert {"status", "priority"} <= set(excinfo.value.message_dict)

    def test_a_ticket_cannot_be_resolved_before_it_was_created(self):
        ticket = ticket_create(subject="Question")
        ticket.resolved_at = ticket.created_at - timedelta(days=1)
        with pytest.raises(ValidationError) as excinfo:
            ticket.full_clean()
        assert "earlier than the ticket's creation" in excinfo.value.message_dict["resolved_at"][0]

    def test_the_first_public_comment_is_the_first_response(self):
        ticket = ticket_create(subject="Question", customer=CustomerFactory())
        ticket_comment_add(ticket=ticket, body="Looking into it", public=False)
        ticket.refresh_from_db()
        assert ticket.first_responded_at is None
        reply = ticket_comment_add(ticket=ticket, body="Hello, here is the answer", public=True)
        ticket_comment_add(ticket=ticket, body="And more", public=True)
        ticket.refresh_from_db()
        assert ticket.first_responded_at == reply.created_at

    def test_an_empty_comment_is_refused(self):
        ticket = ticket_create(subject="Question")
        with pytest.raises(ValidationError) as excinfo:
            ticket_comment_add(ticket=ticket, body="  ")
        assert excinfo.value.message_dict["body"] == ["A comment cannot be empty."]

    def test_history_rows_are_written_on_change(self, user_factory):
        agent = user_factory()
        ticket = ticket_create(subject="Question", by=agent)
        ticket.status = "open"
        ticket_save_changes(ticket=ticket, changed={"status"}, by=agent)
        history = ticket.history.order_by("history_date")
        assert [h.status for h in history] == ["new", "open"]
        assert all(h.history_user == agent for h in history)

    def test_overdue_tickets(self):
        ticket = ticket_create(subject="Late")
        Ticket.objects.filter(pk=ticket.pk).update(resolution_due=datetime(2020, 1, 1, tzinfo=UTC))
        assert list(Ticket.objects.overdue()) == [ticket]


class TestBusinessMinutesBetween:
    def test_counts_only_opening_time(self):
        # Monday 10:30 → Tuesday 10:30: 7 h 30 on Monday and 1 h 30 on Tuesday.
        minutes = business_minutes_between(
            paris(2026, 1, 5, 10, 30), paris(2026, 1, 6, 10, 30), windows=OFFICE, holidays=set()
        )
        assert minutes == 540

    def test_weekends_holidays_and_inverted_periods_count_nothing(self):
        assert business_minutes_between(paris(2026, 1, 10), paris(2026, 1, 12), windows=OFFICE, holidays=set()) == 0
        holiday = {date(2026, 1, 5)}
        assert business_minutes_between(paris(2026, 1, 5), paris(2026, 1, 6), windows=OFFICE, holidays=holiday) == 0
        assert business_minutes_between(paris(2026, 1, 6), paris(2026, 1, 5), windows=OFFICE, holidays=set()) == 0

    def test_is_the_inverse_of_adding_business_time(self):
        start = paris(2026, 1, 9, 16, 45)
        due = add_business_time(start, 200, windows=OFFICE, holidays=set())
        assert business_minutes_between(start, due, windows=OFFICE, holidays=set()) == 200


@pytest.mark.django_db
class TestSlaPausedWhilePending:
    """SPEC §3: SLA due times are paused while the ticket is pending on the customer."""

    def test_time_spent_pending_pushes_the_due_times_back(self):
        ticket = ticket_save_new(ticket=Ticket(subject="Outage", priority="high"), now=paris(2026, 1, 5, 10))
        assert ticket.first_response_due == paris(2026, 1, 5, 11)
        ticket.status = "pending"
        ticket_save_changes(ticket=ticket, changed={"status"}, now=paris(2026, 1, 5, 10, 30))
        assert ticket.sla_paused_at == paris(2026, 1, 5, 10, 30)
        assert not Ticket.objects.overdue(now=paris(2026, 1, 5, 12)).exists()  # paused, so not late

        ticket.status = "open"
        ticket_save_changes(ticket=ticket, changed={"status"}, now=paris(2026, 1, 6, 10, 30))
        # 540 business minutes pending: 11:00 Monday + 540 → 11:00 Tuesday; 18:00 Monday → 18:00 Tuesday.
        assert ticket.sla_paused_at is None
        assert ticket.first_response_due == paris(2026, 1, 6, 11)
        assert ticket.resolution_due == paris(2026, 1, 6, 18)

    def test_an_answered_ticket_keeps_its_first_response_due_time(self):
        ticket = ticket_save_new(ticket=Ticket(subject="Outage", priority="high"), now=paris(2026, 1, 5, 10))
        Ticket.objects.filter(pk=ticket.pk).update(created_at=paris(2026, 1, 5, 10))
        ticket.refresh_from_db()
        ticket.first_responded_at = paris(2026, 1, 5, 10, 10)
        ticket.status = "pending"
        ticket_save_changes(ticket=ticket, changed={"status", "first_responded_at"}, now=paris(2026, 1, 5, 10, 30))
        ticket.status = "open"
        ticket_save_changes(ticket=ticket, changed={"status"}, now=paris(2026, 1, 5, 11, 30))
        assert ticket.first_response_due == paris(2026, 1, 5, 11)
        # Resolution was due 18:00 Monday; one business hour pending moves it to 10:00 Tuesday.
        assert ticket.resolution_due == paris(2026, 1, 6, 10)

    def test_calendar_time_for_round_the_clock_policies(self):
        SlaPolicy.objects.filter(priority="urgent").update(business_hours_only=False)
        ticket = ticket_save_new(ticket=Ticket(subject="Down", priority="urgent"), now=paris(2026, 1, 10, 23))
        ticket.status = "pending"
        ticket_save_changes(ticket=ticket, changed={"status"}, now=paris(2026, 1, 10, 23, 10))
        ticket.status = "open"
        ticket_save_changes(ticket=ticket, changed={"status"}, now=paris(2026, 1, 11, 1, 10))
        assert ticket.first_response_due == paris(2026, 1, 10, 23, 30) + timedelta(hours=2)

    def test_a_ticket_created_pending_starts_paused(self):
        ticket = ticket_save_new(
            ticket=Ticket(subject="Waiting for documents", status="pending"), now=paris(2026, 1, 5, 10)
        )
        assert ticket.sla_paused_at == paris(2026, 1, 5, 10)


@pytest.mark.django_db
def test_a_ticket_surely_visible_without_a_query_is_visible(org, django_assert_num_queries):
    """``ticket_surely_visible`` answers without a query, and never says yes to a ticket that
    ``visible_to`` leaves out (a no asks the database)."""
    from contactcenter.agents.models import AgentProfile
    from interactions.querysets import ticket_surely_visible
    from tests.interactions.factories import TicketFactory

    tickets = [
        TicketFactory(queue=queue, assignee=assignee)
        for queue in (org.queue_a, org.queue_b, None)
        for assignee in (org.agent_a, org.agent_b, org.supervisor_a, None)
    ]
    users = [org.agent_a, org.agent_b, org.supervisor_a, org.manager, org.admin]
    for user in users:
        user.agent_profile = AgentProfile.objects.filter(user=user).first()  # as the request has it
    said = {}
    with django_assert_num_queries(0):
        for user in users:
            for ticket in tickets:
                said[user.pk, ticket.pk] = ticket_surely_visible(user, ticket)
    for user in users:
        visible = set(Ticket.objects.visible_to(user).values_list("pk", flat=True))
        assert {pk for (who, pk), sure in said.items() if who == user.pk and sure} <= visible
    # It does say yes: to the assignee, and to managers and admins for every ticket.
    assert said[org.agent_a.pk, tickets[0].pk] and said[org.manager.pk, tickets[-1].pk]
    assert not said[org.agent_a.pk, tickets[1].pk]  # agent B's ticket in queue A: the database says
