"""The tickets part of the agent desktop (issue #6): the panel's lists with their SLA countdowns, a
ticket's detail, comments, changes carrying the version read, and the new-ticket form, through
Django's client as htmx calls them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from contactcenter.desk.tickets import LIST_LIMIT, sla_text
from interactions.models import Interaction, Ticket, TicketCategory, TicketComment
from interactions.services import ticket_comment_add, ticket_create, ticket_update
from tests.customers.factories import CustomerFactory
from tests.interactions.factories import InteractionFactory, TicketFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
LISTS = reverse("desk:tickets_list")
NEW = reverse("desk:ticket_new")


def detail_url(ticket: Ticket) -> str:
    return reverse("desk:ticket_detail", args=[ticket.pk])


def comment_url(ticket: Ticket) -> str:
    return reverse("desk:ticket_comment", args=[ticket.pk])


def change_url(ticket: Ticket) -> str:
    return reverse("desk:ticket_change", args=[ticket.pk])


def triggers(response) -> dict:
    return json.loads(response.headers.get("HX-Trigger", "{}"))


@pytest.fixture
def tickets(org):
    """Agent A's own ticket, an unassigned one and agent B's in queue A, one in queue B, a resolved
    one of agent A's."""
    now = timezone.now()
    mine = TicketFactory(
        subject="Router blinks red", queue=org.queue_a, assignee=org.agent_a, resolution_due=now + timedelta(hours=5)
    )
    free = TicketFactory(
        subject="Invoice twice",
        queue=org.queue_a,
        assignee=None,
        first_response_due=now - timedelta(minutes=90),
        resolution_due=now + timedelta(days=2),
    )
    others = TicketFactory(subject="Moving house", queue=org.queue_a, assignee=org.supervisor_a)
    elsewhere = TicketFactory(subject="Team B matter", queue=org.queue_b, assignee=org.agent_b)
    done = TicketFactory(subject="Old and resolved", queue=org.queue_a, assignee=org.agent_a, status="resolved")
    return type("Tickets", (), {"mine": mine, "free": free, "others": others, "elsewhere": elsewhere, "done": done})


# --- The panel and its lists ----------------------------------------------------------------------


def test_the_panel_holds_the_lists_the_editor_and_the_new_ticket_button(rf):
    html = render_to_string("desk/tickets/panel.html")
    assert 'id="tickets-panel"' in html
    assert 'id="ticket-editor"' in html and 'id="ticket-dialog"' in html
    assert "tickets-changed from:body, resync from:body" in html
    assert 'data-shortcut="new-ticket-panel"' in html
    assert f'hx-get="{NEW}"' in html


def test_my_tickets_are_my_open_ones(client, org, tickets):
    client.force_login(org.agent_a)
    response = client.get(LISTS, {"tab": "mine"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert tickets.mine.reference in html
    for other in (tickets.free, tickets.others, tickets.elsewhere, tickets.done):
        assert other.reference not in html
    assert "tickets-changed from:body, resync from:body" in html  # it refreshes itself, same tab
    assert "?tab=mine" in html


def test_my_queues_tickets_are_the_open_ones_of_my_queues_unassigned_first(client, org, tickets):
    client.force_login(org.agent_a)
    html = client.get(LISTS, {"tab": "queues"}, **HTMX).content.decode()
    for shown in (tickets.free, tickets.mine, tickets.others):
        assert shown.reference in html
    assert tickets.elsewhere.reference not in html
    assert tickets.done.reference not in html
    assert html.index(tickets.free.reference) < html.index(tickets.mine.reference)
    assert html.index(tickets.free.reference) < html.index(tickets.others.reference)
    assert "Unassigned" in html
    assert tickets.free.customer.display_name in html


def test_another_agent_sees_none_of_them(client, org, tickets):
    client.force_login(org.agent_b)
    mine = client.get(LISTS, {"tab": "mine"}, **HTMX).content.decode()
    queues = client.get(LISTS, {"tab": "queues"}, **HTMX).content.decode()
    assert tickets.elsewhere.reference in mine and tickets.elsewhere.reference in queues
    for hidden in (tickets.mine, tickets.free, tickets.others):
        assert hidden.reference not in mine + queues


def test_a_manager_in_no_queue_is_told_so(client, org, tickets):
    client.force_login(org.manager)
    html = client.get(LISTS, {"tab": "queues"}, **HTMX).content.decode()
    assert "You work in no queue." in html


def test_the_sla_countdown_shows_time_left_overdue_and_paused(client, org):
    now = timezone.now()
    TicketFactory(
        subject="left", queue=org.queue_a, assignee=org.agent_a, first_response_due=now + timedelta(minutes=90)
    )
    TicketFactory(
        subject="late",
        queue=org.queue_a,
        assignee=org.agent_a,
        first_response_due=now - timedelta(minutes=90, seconds=5),
    )
    TicketFactory(
        subject="answered",
        queue=org.queue_a,
        assignee=org.agent_a,
        first_response_due=now - timedelta(hours=1),
        first_responded_at=now - timedelta(hours=2),
        resolution_due=now + timedelta(days=1, hours=3, minutes=30),
    )
    TicketFactory(
        subject="waiting",
        queue=org.queue_a,
        assignee=org.agent_a,
        status="pending",
        resolution_due=now - timedelta(days=1),
    )
    client.force_login(org.agent_a)
    html = client.get(LISTS, {"tab": "mine"}, **HTMX).content.decode()
    assert "1 h 30 min left" in html
    assert "overdue by 1 h 30 min" in html and "sla-overdue" in html
    assert "1 d 3 h left" in html  # first response given: the resolution clock counts
    assert "paused" in html and "sla-paused" in html
    assert 'data-due="' in html and 'data-sla-overdue="overdue by %(time)s"' in html  # the script's inputs
    # The most urgent first, paused ones last.
    assert html.index("late") < html.index(">left<") < html.index("answered") < html.index("waiting")


def test_sla_text_is_to_the_minute():
    assert sla_text(30) == "1 min left"
    assert sla_text(59 * 60 + 1) == "1 h 00 min left"
    assert sla_text(-20) == "overdue by 1 min"
    assert sla_text(-(2 * 86400 + 3600 + 59)) == "overdue by 2 d 1 h"


def test_lists_are_bounded_with_a_show_more(client, org):
    TicketFactory.create_batch(LIST_LIMIT + 2, queue=org.queue_a, assignee=org.agent_a)
    client.force_login(org.agent_a)
    html = client.get(LISTS, {"tab": "mine"}, **HTMX).content.decode()
    assert html.count('class="ticket-row"') == LIST_LIMIT
    assert f"offset={LIST_LIMIT}" in html
    more = client.get(LISTS, {"tab": "mine", "offset": LIST_LIMIT}, **HTMX).content.decode()
    assert more.count('class="ticket-row"') == 2
    assert "offset=" not in more


@pytest.mark.parametrize("tab", ["mine", "queues"])
def test_list_queries_do_not_grow_with_rows(client, org, django_assert_max_num_queries, tab):
    client.force_login(org.agent_a)
    TicketFactory.create_batch(2, queue=org.queue_a, assignee=org.agent_a)
    with django_assert_max_num_queries(5) as few:
        client.get(LISTS, {"tab": tab}, **HTMX)
    TicketFactory.create_batch(20, queue=org.queue_a, assignee=org.agent_a)
    TicketFactory.create_batch(5, queue=org.queue_a, assignee=None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LISTS, {"tab": tab}, **HTMX)
    assert response.content.decode().count('class="ticket-row"') >= 20


# --- Detail ---------------------------------------------------------------------------------------


def test_the_detail_shows_the_ticket_and_its_comments_newest_last(client, org, tickets):
    ticket_comment_add(ticket=tickets.mine, body="First, internal", public=False, author=org.agent_a)
    ticket_comment_add(ticket=tickets.mine, body="Then, to the customer", public=True, author=org.agent_a)
    client.force_login(org.agent_a)
    response = client.get(detail_url(tickets.mine), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert tickets.mine.subject in html and tickets.mine.customer.display_name in html and "Queue A" in html
    assert html.index("First, internal") < html.index("Then, to the customer")
    assert "is-internal" in html and "is-public" in html
    assert f'name="version" value="{tickets.mine.version}"' in html
    assert "<html" not in html  # a fragment for the editor


def test_a_ticket_one_may_not_see_answers_404(client, org, tickets):
    client.force_login(org.agent_b)
    assert client.get(detail_url(tickets.free), **HTMX).status_code == 404
    response = client.post(comment_url(tickets.free), {"body": "sneaky"}, **HTMX)
    assert response.status_code == 404
    response = client.post(change_url(tickets.free), {"version": 1, "status": "closed", "priority": "low"}, **HTMX)
    assert response.status_code == 404
    assert not TicketComment.objects.exists()
    assert Ticket.objects.get(pk=tickets.free.pk).status == "new"


def test_detail_queries_do_not_grow_with_comments(client, org, tickets, django_assert_max_num_queries):
    client.force_login(org.supervisor_a)
    ticket_comment_add(ticket=tickets.mine, body="one", author=org.agent_a)
    with django_assert_max_num_queries(10) as few:
        client.get(detail_url(tickets.mine), **HTMX)
    for n in range(8):
        ticket_comment_add(ticket=tickets.mine, body=f"more {n}", author=org.supervisor_a)
    InteractionFactory.create_batch(3, ticket=tickets.mine, queue=org.queue_a, agent=org.agent_a)
    with django_assert_max_num_queries(len(few.captured_queries) + 1):  # + the interactions' list, now shown
        client.get(detail_url(tickets.mine), **HTMX)


def test_outside_htmx_the_detail_is_a_page(client, org, tickets):
    client.force_login(org.agent_a)
    html = client.get(detail_url(tickets.mine)).content.decode()
    assert "<html" in html and 'id="ticket-editor"' in html and tickets.mine.subject in html


# --- Comments -------------------------------------------------------------------------------------


def test_adding_a_comment(client, org, tickets):
    client.force_login(org.agent_a)
    response = client.post(comment_url(tickets.free), {"body": "Called back, no answer.", "public": "on"}, **HTMX)
    assert response.status_code == 200
    comment = TicketComment.objects.get()
    assert (comment.ticket, comment.author, comment.public) == (tickets.free, org.agent_a, True)
    assert "tickets-changed" in triggers(response)
    html = response.content.decode()
    assert "Called back, no answer." in html and "Comment added." in html
    assert 'hx-swap-oob="true"' in html  # the dues, now that the first response is given
    assert Ticket.objects.get(pk=tickets.free.pk).first_responded_at is not None


def test_an_empty_comment_is_refused_and_nothing_saved(client, org, tickets):
    client.force_login(org.agent_a)
    response = client.post(comment_url(tickets.mine), {"body": "   "}, **HTMX)
    assert response.status_code == 400
    assert "A comment cannot be empty." in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert not TicketComment.objects.exists()
    assert "HX-Trigger" not in response.headers


# --- Changes --------------------------------------------------------------------------------------


def test_changing_the_status(client, org, tickets):
    client.force_login(org.agent_a)
    response = client.post(change_url(tickets.mine), {"version": 1, "status": "pending", "priority": "high"}, **HTMX)
    assert response.status_code == 200
    ticket = Ticket.objects.get(pk=tickets.mine.pk)
    assert (ticket.status, ticket.priority, ticket.version) == ("pending", "high", 2)
    assert response.headers["HX-Retarget"] == "#ticket-editor"  # the whole detail, fresh
    assert "tickets-changed" in triggers(response)
    html = response.content.decode()
    assert "Changes saved." in html and 'name="version" value="2"' in html


def test_the_status_offers_only_the_workflow_moves(client, org, tickets):
    ticket_update(ticket=tickets.mine, changes={"status": "closed"}, by=org.agent_a)
    client.force_login(org.agent_a)
    html = client.get(detail_url(tickets.mine), **HTMX).content.decode()
    select = html[html.index('name="status"') : html.index("</select>", html.index('name="status"'))]
    assert 'value="open"' in select and 'value="closed"' in select
    assert 'value="pending"' not in select and 'value="new"' not in select


def test_a_move_the_workflow_refuses_shows_why_and_saves_nothing(client, org, tickets):
    ticket = ticket_update(ticket=tickets.mine, changes={"status": "closed"}, by=org.agent_a)
    client.force_login(org.agent_a)
    response = client.post(
        change_url(ticket), {"version": ticket.version, "status": "pending", "priority": "normal"}, **HTMX
    )
    assert response.status_code == 400
    assert "cannot go from closed to pending" in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"


def test_a_stale_version_shows_the_conflict_and_saves_nothing(client, org, tickets):
    client.force_login(org.agent_a)
    read = client.get(detail_url(tickets.mine), **HTMX).content.decode()
    assert 'name="version" value="1"' in read
    ticket_update(ticket=tickets.mine, changes={"priority": "urgent"}, by=org.supervisor_a)  # someone else

    response = client.post(change_url(tickets.mine), {"version": 1, "status": "resolved", "priority": "low"}, **HTMX)

    assert response.status_code == 409
    html = response.content.decode()
    assert (
        "This ticket was changed by someone else while you were editing it. "
        "Reload it to see the changes; your edit was not saved."
    ) in html
    assert "Reload" in html and f'hx-get="{detail_url(tickets.mine)}"' in html
    assert "Status: Resolved" in html  # what was not saved, to do again
    ticket = Ticket.objects.get(pk=tickets.mine.pk)
    assert (ticket.status, ticket.priority, ticket.version) == ("new", "urgent", 2)
    assert "HX-Trigger" not in response.headers


def test_an_invalid_change_says_so_next_to_the_field(client, org, tickets):
    client.force_login(org.agent_a)
    response = client.post(
        change_url(tickets.mine), {"version": 1, "status": "open", "priority": "apocalyptic"}, **HTMX
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="ticket-change-priority_error"' in html and 'aria-invalid="true"' in html
    assert Ticket.objects.get(pk=tickets.mine.pk).version == 1


def test_an_agent_may_take_a_free_ticket_but_not_reassign_anothers(client, org, tickets):
    client.force_login(org.agent_a)
    others = client.get(detail_url(tickets.others), **HTMX).content.decode()
    assert 'name="assignee"' not in others  # assigned to someone else: no choice to offer
    free = client.get(detail_url(tickets.free), **HTMX).content.decode()
    assert 'name="assignee"' in free
    response = client.post(
        change_url(tickets.free),
        {"version": 1, "status": "open", "priority": "normal", "assignee": org.agent_a.pk},
        **HTMX,
    )
    assert response.status_code == 200
    assert Ticket.objects.get(pk=tickets.free.pk).assignee == org.agent_a
    # Posting an assignment the rules refuse: the service says why, nothing is saved.
    response = client.post(
        change_url(tickets.others),
        {"version": 1, "status": "new", "priority": "normal", "assignee": org.agent_a.pk},
        **HTMX,
    )
    assert response.status_code == 400
    assert "only a supervisor, a manager or an admin can reassign it" in response.content.decode()
    assert Ticket.objects.get(pk=tickets.others.pk).assignee == org.supervisor_a


def test_a_supervisor_reassigns_within_the_team_only(client, org, tickets):
    client.force_login(org.supervisor_a)
    html = client.get(detail_url(tickets.mine), **HTMX).content.decode()
    select = html[html.index('name="assignee"') : html.index("</select>", html.index('name="assignee"'))]
    assert f'value="{org.supervisor_a.pk}"' in select and f'value="{org.agent_a.pk}"' in select
    assert f'value="{org.agent_b.pk}"' not in select
    response = client.post(
        change_url(tickets.mine),
        {"version": 1, "status": "new", "priority": "normal", "assignee": org.supervisor_a.pk},
        **HTMX,
    )
    assert response.status_code == 200
    assert Ticket.objects.get(pk=tickets.mine.pk).assignee == org.supervisor_a
    response = client.post(
        change_url(tickets.mine),
        {"version": 2, "status": "new", "priority": "normal", "assignee": org.agent_b.pk},
        **HTMX,
    )
    assert response.status_code == 400
    assert "is not in your team" in response.content.decode()
    assert Ticket.objects.get(pk=tickets.mine.pk).assignee == org.supervisor_a


def test_a_change_that_takes_the_ticket_out_of_sight_closes_the_editor(client, org, tickets):
    client.force_login(org.agent_a)
    ticket = TicketFactory(queue=org.queue_b, assignee=org.agent_a)  # seen only as its assignee
    response = client.post(
        change_url(ticket), {"version": 1, "status": "new", "priority": "normal", "assignee": ""}, **HTMX
    )
    assert response.status_code == 200
    assert Ticket.objects.get(pk=ticket.pk).assignee is None
    assert "no longer in your lists" in response.content.decode()
    assert 'hx-swap-oob="innerHTML"' in response.content.decode()


# --- New ticket -----------------------------------------------------------------------------------


def test_the_new_ticket_form_is_prefilled_from_the_call(client, org):
    customer = CustomerFactory(first_name="Léa", last_name="Martin")
    call = InteractionFactory(customer=customer, queue=org.queue_a, agent=org.agent_a)
    client.force_login(org.agent_a)
    response = client.get(NEW, {"customer": customer.pk, "interaction": call.pk}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'name="customer" value="{customer.pk}"' in html
    assert f'name="interaction" value="{call.pk}"' in html
    assert "Léa Martin" in html
    assert f'<option value="{org.queue_a.pk}" selected>' in html
    for label in ("Subject", "Description", "Priority", "Category", "Queue"):
        assert f">{label}</label>" in html


def test_an_empty_customer_parameter_is_no_customer(client, org):
    client.force_login(org.agent_a)
    response = client.get(NEW, {"customer": "", "interaction": ""}, **HTMX)
    assert response.status_code == 200
    assert f'<option value="{org.queue_a.pk}" selected>' in response.content.decode()  # the agent's first queue


def test_prefilling_with_what_one_may_not_see_answers_404(client, org):
    call = InteractionFactory(queue=org.queue_b, agent=org.agent_b)
    client.force_login(org.agent_a)
    assert client.get(NEW, {"interaction": call.pk}, **HTMX).status_code == 404


def test_creating_a_ticket_links_the_interaction(client, org):
    customer = CustomerFactory()
    call = InteractionFactory(customer=customer, queue=org.queue_a, agent=org.agent_a)
    category, _ = TicketCategory.objects.get_or_create(name="Billing")
    client.force_login(org.agent_a)
    response = client.post(
        NEW,
        {
            "subject": "Refund the double charge",
            "description": "Charged twice in March.",
            "priority": "high",
            "category": category.pk,
            "queue": org.queue_a.pk,
            "customer": customer.pk,
            "interaction": call.pk,
            "assign_to_me": "on",
        },
        **HTMX,
    )
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.priority, ticket.category, ticket.queue) == (
        "Refund the double charge",
        "high",
        category,
        org.queue_a,
    )
    assert (ticket.customer, ticket.assignee) == (customer, org.agent_a)
    assert ticket.resolution_due is not None  # the SLA policy of its priority
    assert Interaction.objects.get(pk=call.pk).ticket == ticket
    assert "tickets-changed" in triggers(response)
    html = response.content.decode()
    assert ticket.reference in html and 'id="tickets-notice"' in html
    assert 'id="ticket-new"' not in html  # the editor is emptied: the dialog closes


def test_the_customer_comes_from_the_interaction_when_not_given(client, org):
    call = InteractionFactory(queue=org.queue_a, agent=org.agent_a)
    client.force_login(org.agent_a)
    response = client.post(NEW, {"subject": "From the call", "priority": "normal", "interaction": call.pk}, **HTMX)
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.customer == call.customer and ticket.assignee is None


def test_an_invalid_new_ticket_shows_its_errors_and_saves_nothing(client, org):
    call = InteractionFactory(queue=org.queue_a, agent=org.agent_a)
    client.force_login(org.agent_a)
    response = client.post(
        NEW, {"subject": "  ", "priority": "whenever", "interaction": call.pk, "queue": org.queue_a.pk}, **HTMX
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Give the ticket a subject." in html
    assert 'id="ticket-new-priority_error"' in html
    assert "autofocus" in html[html.index('name="subject"') - 200 : html.index('name="subject"') + 200]
    assert f'name="interaction" value="{call.pk}"' in html  # kept for the next try
    assert not Ticket.objects.exists()
    assert Interaction.objects.get(pk=call.pk).ticket is None
    assert "HX-Trigger" not in response.headers


def test_a_superuser_who_is_no_agent_is_not_offered_the_assignment(client, org, user_factory):
    root = user_factory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)
    assert "assign_to_me" not in client.get(NEW, **HTMX).content.decode()
    response = client.post(NEW, {"subject": "x", "priority": "normal", "assign_to_me": "on"}, **HTMX)
    assert response.status_code == 200
    assert Ticket.objects.get().assignee is None


def test_outside_htmx_creating_goes_to_the_ticket_page(client, org):
    client.force_login(org.agent_a)
    response = client.post(NEW, {"subject": "No script", "priority": "normal", "queue": org.queue_a.pk})
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response.url == detail_url(ticket)


# --- Who may ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [LISTS, NEW])
def test_anonymous_goes_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("desk:login"))
    response = client.get(url, **HTMX)
    assert response.headers["HX-Redirect"] == reverse("desk:login")


def test_anonymous_posts_save_nothing(client, org):
    ticket = ticket_create(subject="Quiet")
    response = client.post(comment_url(ticket), {"body": "hello"}, **HTMX)
    assert "HX-Redirect" in response.headers
    assert not TicketComment.objects.exists()


def test_a_user_without_a_role_is_refused(client, org, tickets):
    client.force_login(org.nobody)
    assert client.get(LISTS, **HTMX).status_code == 403
    assert client.get(detail_url(tickets.mine), **HTMX).status_code == 403
