"""The agent desktop (issue #6): login, the role-aware home, the status switch, the screen pop,
search, the new-customer form, the script walk and the interaction log, through Django's client.

Calls come in through the real CTI intake (``cti_event_apply``), as the telephony system makes them.
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from contactcenter.agents.models import AgentProfile, Status
from contactcenter.scripts.models import Script, ScriptVersion
from customers.models import Customer
from customers.services import customer_create
from interactions.cti import cti_event_apply
from interactions.models import Disposition, Interaction, Ticket
from tests.agents.factories import PASSWORD
from tests.interactions.factories import InteractionFactory, TicketFactory

pytestmark = pytest.mark.django_db

STEPS = [
    {
        "key": "greeting",
        "text": "Hello {first_name}, {agent} speaking.",
        "answers": [{"label": "Billing", "next": "billing"}, {"label": "Other", "next": "other"}],
    },
    {"key": "billing", "text": "Which invoice, {first_name}?", "answers": [{"label": "Done", "next": "end"}]},
    {"key": "other", "text": "Tell me more.", "answers": [{"label": "Done", "next": "end"}]},
    {"key": "end", "text": "Goodbye {customer}.", "answers": [], "disposition": "resolved"},
]
_calls = itertools.count()
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def center(org):
    """``org`` with agent A available since yesterday and a published script on Queue A."""
    AgentProfile.objects.filter(user=org.agent_a).update(
        status=Status.AVAILABLE, status_since=timezone.now() - timedelta(days=1)
    )
    script = Script.objects.create(name="Billing greeting")
    script.queues.add(org.queue_a)
    org.script = ScriptVersion.objects.create(script=script, number=1, steps=STEPS)
    org.agent_a.first_name = "Alice"
    org.agent_a.save()
    return org


@pytest.fixture
def amelie(center):
    return customer_create(
        first_name="Amélie", last_name="Poulain", phones=["06 12 34 56 78"], emails=["a@example.test"]
    )


def call(
    center, *events: str, caller: str = "+33 6 12 34 56 78", call_id: str | None = None, agent=None
) -> Interaction:
    """Apply CTI events of one call (one second apart, ending a few seconds ago) and return its interaction."""
    call_id = call_id or f"call-{next(_calls)}"
    start = timezone.now() - timedelta(seconds=10)
    outcome = None
    for n, event in enumerate(events):
        outcome = cti_event_apply(
            event=event,
            call_id=call_id,
            timestamp=start + timedelta(seconds=n),
            caller=caller,
            queue=center.queue_a,
            agent=(agent or center.agent_a) if event != "call.offered" else None,
            by=center.manager,
        )
    return outcome.interaction


def status_of(user) -> str:
    return AgentProfile.objects.get(user=user).status


# --- Login and home ----------------------------------------------------------------------------------


def test_the_login_page_logs_in_and_the_home_page_sends_each_role_where_it_works(client, center):
    assert client.get(reverse("desk:login")).status_code == 200
    response = client.post(reverse("desk:login"), {"username": "agent_a", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/")["Location"] == "/desk/"


@pytest.mark.parametrize(
    ("who", "where"),
    [("agent_a", "/desk/"), ("supervisor_a", "/wallboard/")],
)
def test_home_sends_agents_to_the_desktop_and_supervisors_to_the_wallboard(client, center, who, where):
    client.force_login(getattr(center, who))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == where


@pytest.mark.parametrize("who", ["manager", "admin"])
def test_managers_and_admins_choose_between_desktop_wallboard_and_back_office(client, center, who):
    client.force_login(getattr(center, who))
    response = client.get("/")
    assert response.status_code == 200
    for url in ("/desk/", "/wallboard/", "/admin/"):
        assert f'href="{url}"' in response.content.decode()


def test_a_user_without_a_role_is_told_so_and_anonymous_users_go_to_the_login_page(client, center):
    assert client.get("/")["Location"] == reverse("desk:login")
    client.force_login(center.nobody)
    assert client.get("/").status_code == 403
    assert client.get("/desk/").status_code == 403


def test_anonymous_desktop_requests_go_to_the_login_page_and_fragments_reload_the_page(client, center):
    response = client.get("/desk/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=/desk/")
    fragment = client.get(reverse("desk:current_call"), **HTMX)
    assert fragment["HX-Redirect"] == reverse("desk:login")


def test_login_attempts_are_limited_per_username_and_address(client, center, settings):
    for _ in range(10):
        assert client.post(reverse("desk:login"), {"username": "agent_a", "password": "wrong"}).status_code == 200
    refused = client.post(reverse("desk:login"), {"username": "agent_a", "password": "wrong"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "Too many attempts" in refused.content.decode()


# --- Status switch -------------------------------------------------------------------------------------


def test_the_status_switch_changes_the_agents_presence_and_a_break_needs_a_reason(client, center):
    client.force_login(center.agent_a)
    page = client.get("/desk/").content.decode()
    assert 'id="status-switch"' in page and 'data-status="available"' in page

    refused = client.post(reverse("desk:status"), {"status": "break"}, **HTMX)
    assert refused.status_code == 400
    assert "A break needs a reason." in refused.content.decode()
    assert status_of(center.agent_a) == Status.AVAILABLE

    client.post(reverse("desk:status"), {"status": "break", "reason": "lunch"}, **HTMX)
    profile = AgentProfile.objects.get(user=center.agent_a)
    assert (profile.status, profile.status_reason) == (Status.BREAK, "lunch")

    assert client.post(reverse("desk:status"), {"status": "busy"}, **HTMX).status_code == 400
    assert status_of(center.agent_a) == Status.BREAK


# --- Screen pop ------------------------------------------------------------------------------------------


def test_the_screen_pop_shows_the_caller_their_tickets_history_and_the_queues_script(client, center, amelie):
    TicketFactory(customer=amelie, queue=center.queue_a, subject="Broken modem", reference="T-000042")
    InteractionFactory(customer=amelie, queue=center.queue_a, channel="email", notes="Asked for a refund")
    interaction = call(center, "call.offered", "call.answered")
    client.force_login(center.agent_a)

    pop = client.get(reverse("desk:call", args=[interaction.pk]), **HTMX).content.decode()

    assert "Call from +33612345678" in pop
    assert "Amélie Poulain" in pop and "a@example.test" in pop
    assert "T-000042" in pop and "Broken modem" in pop
    assert "Asked for a refund" in pop
    assert "Hello Amélie, Alice speaking." in pop  # the script's first step, placeholders filled
    assert 'id="script-panel"' in pop and 'hx-swap-oob="true"' in pop
    assert f'name="script_version" value="{center.script.pk}"' in pop


def test_the_desktop_shows_the_current_call_after_a_reload(client, center, amelie):
    interaction = call(center, "call.offered", "call.answered")
    client.force_login(center.agent_a)
    page = client.get("/desk/").content.decode()
    assert f'data-interaction="{interaction.pk}"' in page
    assert "Hello Amélie" in page
    assert f'data-interaction="{interaction.pk}"' in client.get(reverse("desk:current_call"), **HTMX).content.decode()


def test_a_call_is_not_shown_to_an_agent_who_may_not_see_it(client, center, amelie):
    interaction = call(center, "call.offered", "call.answered")
    client.force_login(center.agent_b)
    assert client.get(reverse("desk:call", args=[interaction.pk]), **HTMX).status_code == 404
    assert client.post(reverse("desk:call_log", args=[interaction.pk]), {"notes": "x"}, **HTMX).status_code == 404


def test_the_screen_pop_reads_a_bounded_number_of_queries(client, center, amelie, django_assert_max_num_queries):
    for _ in range(30):
        InteractionFactory(customer=amelie, queue=center.queue_a)
        TicketFactory(customer=amelie, queue=center.queue_a)
    interaction = call(center, "call.offered", "call.answered")
    client.force_login(center.agent_a)
    with django_assert_max_num_queries(24):
        response = client.get(reverse("desk:call", args=[interaction.pk]), **HTMX)
    assert response.status_code == 200


# --- Unknown caller -----------------------------------------------------------------------------------------


def test_an_unknown_caller_gets_a_prefilled_new_customer_form_that_links_the_call(client, center):
    interaction = call(center, "call.offered", "call.answered", caller="0033 6 98 76 54 32")
    client.force_login(center.agent_a)
    pop = client.get(reverse("desk:call", args=[interaction.pk]), **HTMX).content.decode()
    assert "Unknown caller" in pop and 'value="+33698765432"' in pop

    url = reverse("desk:call_new_customer", args=[interaction.pk])
    refused = client.post(url, {"first_name": "", "last_name": "", "language": "fr", "phone": "+33698765432"}, **HTMX)
    assert refused.status_code == 400
    assert not Customer.objects.exists()

    created = client.post(
        url, {"first_name": "Jean", "last_name": "Valjean", "language": "fr", "phone": "06 98 76 54 32"}, **HTMX
    )
    assert created.status_code == 200
    customer = Customer.objects.get()
    assert Interaction.objects.get(pk=interaction.pk).customer == customer
    assert list(customer.contact_points.values_list("value", flat=True)) == ["+33698765432"]
    assert "Jean Valjean" in created.content.decode()


def test_a_bad_phone_on_the_new_customer_form_is_named_and_nothing_is_stored(client, center):
    interaction = call(center, "call.offered", "call.answered", caller="")
    client.force_login(center.agent_a)
    refused = client.post(
        reverse("desk:call_new_customer", args=[interaction.pk]),
        {"first_name": "Jean", "last_name": "Valjean", "language": "fr", "phone": "not a phone"},
        **HTMX,
    )
    assert refused.status_code == 400
    assert not Customer.objects.exists()
    assert Interaction.objects.get(pk=interaction.pk).customer is None


# --- Search ---------------------------------------------------------------------------------------------------


def test_search_finds_a_customer_by_a_phone_in_another_format_and_can_name_the_caller(client, center, amelie):
    interaction = call(center, "call.offered", "call.answered", caller="+33 1 00 00 00 00")
    client.force_login(center.agent_a)
    results = client.get(reverse("desk:search"), {"q": "0612345678"}, **HTMX).content.decode()
    assert "Amélie" in results and "This is the caller" in results
    assert "Amélie" in client.get(reverse("desk:search"), {"q": "poulain"}, **HTMX).content.decode()
    assert "No customer matches" in client.get(reverse("desk:search"), {"q": "zzzz"}, **HTMX).content.decode()

    region = client.post(reverse("desk:call_set_customer", args=[interaction.pk]), {"customer": amelie.pk}, **HTMX)
    assert Interaction.objects.get(pk=interaction.pk).customer == amelie
    assert "Amélie" in region.content.decode()  # the call region drawn again shows who the caller is now


def test_a_search_the_search_refuses_says_why(client, center):
    client.force_login(center.agent_a)
    response = client.get(reverse("desk:search"), {"q": "x" * 500}, **HTMX)
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()


def test_the_customer_panel_shows_a_customer_found_by_search(client, center, amelie):
    client.force_login(center.agent_a)
    panel = client.get(reverse("desk:customer", args=[amelie.pk]), **HTMX).content.decode()
    assert "Amélie Poulain" in panel and "+33612345678" in panel
    assert client.get(reverse("desk:customer", args=[999999]), **HTMX).status_code == 404
    assert client.get(reverse("desk:customer", args=[amelie.pk]), {"cursor": "bogus"}, **HTMX).status_code == 404


def test_the_customer_panel_offers_a_ticket_for_this_customer_and_the_call_only_during_one(client, center, amelie):
    client.force_login(center.agent_a)
    panel = client.get(reverse("desk:customer", args=[amelie.pk]), **HTMX).content.decode()
    new_ticket = f"{reverse('desk:ticket_new')}?customer={amelie.pk}"
    assert f'hx-get="{new_ticket}"' in panel
    assert "Back to the call" not in panel
    form = client.get(new_ticket, **HTMX).content.decode()
    assert f'name="customer" value="{amelie.pk}"' in form
    assert "Amélie Poulain" in form
    call(center, "call.offered", "call.answered")
    during = client.get(reverse("desk:customer", args=[amelie.pk]), **HTMX).content.decode()
    assert "Back to the call" in during


# --- Script --------------------------------------------------------------------------------------------------------


def test_the_script_panel_follows_the_branch_of_the_customers_answer(client, center, amelie):
    interaction = call(center, "call.offered", "call.answered")
    client.force_login(center.agent_a)
    url = reverse("desk:script_step", args=[center.script.pk])

    billing = client.get(url, {"step": "billing", "interaction": interaction.pk, "trail": "greeting"}, **HTMX)
    text = billing.content.decode()
    assert "Which invoice, Amélie?" in text
    assert "trail=greeting,billing" in text  # the next answer carries the path so far
    assert "step=greeting&amp;interaction" in text  # and "previous step" goes back

    end = client.get(url, {"step": "end", "interaction": interaction.pk, "trail": "greeting,billing"}, **HTMX)
    assert "Goodbye Amélie Poulain." in end.content.decode()
    assert 'data-suggest-disposition="resolved" data-suggest-resolves' in end.content.decode()
    # The agent reads the disposition's label, not its code.
    assert "Suggested disposition: Resolved." in end.content.decode()
    french = client.get(
        url, {"step": "end", "interaction": interaction.pk}, HTTP_ACCEPT_LANGUAGE="fr", **HTMX
    ).content.decode()
    assert "Qualification suggérée : Résolu." in french

    assert client.get(url, {"step": "nowhere"}, **HTMX).status_code == 404
    assert client.get(reverse("desk:script_step", args=[999999]), **HTMX).status_code == 404


# --- Log -----------------------------------------------------------------------------------------------------------


def test_logging_during_the_call_keeps_the_agent_busy_and_after_it_ends_the_wrap_up(client, center, amelie):
    interaction = call(center, "call.offered", "call.answered", call_id="call-log")
    client.force_login(center.agent_a)
    url = reverse("desk:call_log", args=[interaction.pk])
    resolved = Disposition.objects.filter(resolves=True).first()

    during = client.post(
        url,
        {"disposition": resolved.code, "notes": "Explained the invoice", "script_version": center.script.pk},
        **HTMX,
    )
    assert during.status_code == 200
    assert json.loads(during["HX-Trigger"])["call-logged"] == {"interaction": interaction.pk}
    stored = Interaction.objects.get(pk=interaction.pk)
    assert (stored.notes, stored.disposition, stored.resolved) == ("Explained the invoice", resolved, True)
    assert stored.script_version == center.script
    assert stored.wrapup_ended_at is None and status_of(center.agent_a) == Status.BUSY

    cti_event_apply(
        event="call.ended",
        call_id="call-log",
        timestamp=timezone.now(),
        queue=center.queue_a,
        agent=center.agent_a,
        by=center.manager,
    )
    assert status_of(center.agent_a) == Status.WRAP_UP
    assert "Save and end wrap-up" in client.get(reverse("desk:current_call"), **HTMX).content.decode()

    after = client.post(url, {"disposition": resolved.code, "notes": "Explained the invoice"}, **HTMX)
    assert "After-call work is over" in after.content.decode()
    stored = Interaction.objects.get(pk=interaction.pk)
    assert stored.wrapup_ended_at is not None and stored.wrapup_ended_at >= stored.ended_at
    assert status_of(center.agent_a) == Status.AVAILABLE
    assert "No call" in client.get(reverse("desk:current_call"), **HTMX).content.decode()


def test_the_log_can_open_a_follow_up_ticket_linked_to_the_contact(client, center, amelie):
    interaction = call(center, "call.offered", "call.answered")
    client.force_login(center.agent_a)
    url = reverse("desk:call_log", args=[interaction.pk])

    refused = client.post(url, {"follow_up": "on", "follow_up_subject": "  ", "notes": "Keep"}, **HTMX)
    assert refused.status_code == 400 and "needs a subject" in refused.content.decode()
    assert not Ticket.objects.exists() and Interaction.objects.get(pk=interaction.pk).notes == ""

    saved = client.post(
        url, {"follow_up": "on", "follow_up_subject": "Refund the March invoice", "follow_up_priority": "high"}, **HTMX
    )
    assert saved.status_code == 200
    assert "tickets-changed" in json.loads(saved["HX-Trigger"])
    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.customer, ticket.queue, ticket.priority) == (
        "Refund the March invoice",
        amelie,
        center.queue_a,
        "high",
    )
    assert Interaction.objects.get(pk=interaction.pk).ticket == ticket
    # The log form drawn again offers the new ticket, linked (the customer's open tickets read again).
    assert f'value="{ticket.pk}" selected' in saved.content.decode()


def test_a_follow_up_ticket_needs_a_known_caller_and_cannot_be_both_linked_and_new(client, center, amelie):
    unknown = call(center, "call.offered", "call.answered", caller="")
    client.force_login(center.agent_a)
    refused = client.post(
        reverse("desk:call_log", args=[unknown.pk]), {"follow_up": "on", "follow_up_subject": "Call back"}, **HTMX
    )
    assert refused.status_code == 400 and "Identify the caller first" in refused.content.decode()

    known = call(center, "call.offered", "call.answered")
    ticket = TicketFactory(customer=amelie, queue=center.queue_a)
    both = client.post(
        reverse("desk:call_log", args=[known.pk]),
        {"follow_up": "on", "follow_up_subject": "Call back", "ticket": ticket.pk},
        **HTMX,
    )
    assert both.status_code == 400
    assert Ticket.objects.count() == 1


def test_the_log_links_an_existing_open_ticket_of_the_caller_only(client, center, amelie):
    interaction = call(center, "call.offered", "call.answered")
    mine = TicketFactory(customer=amelie, queue=center.queue_a)
    someone_elses = TicketFactory(queue=center.queue_a)
    client.force_login(center.agent_a)
    url = reverse("desk:call_log", args=[interaction.pk])
    assert client.post(url, {"ticket": someone_elses.pk}, **HTMX).status_code == 400
    assert client.post(url, {"ticket": mine.pk}, **HTMX).status_code == 200
    assert Interaction.objects.get(pk=interaction.pk).ticket == mine


def test_saving_the_log_keeps_a_ticket_linked_from_the_call_after_the_form_was_drawn(client, center, amelie):
    interaction = call(center, "call.offered", "call.answered")
    client.force_login(center.agent_a)
    created = client.post(
        reverse("desk:ticket_new"),
        {"subject": "Duplicate invoice", "priority": "normal", "customer": amelie.pk, "interaction": interaction.pk},
        **HTMX,
    )
    assert created.status_code == 200
    ticket = Ticket.objects.get()
    assert Interaction.objects.get(pk=interaction.pk).ticket == ticket

    client.post(reverse("desk:call_log", args=[interaction.pk]), {"notes": "Done", "ticket": ""}, **HTMX)
    assert Interaction.objects.get(pk=interaction.pk).ticket == ticket


def test_a_simulated_call_offers_its_end_button_only_while_it_is_on(client, center, amelie):
    interaction = call(center, "call.offered", "call.answered", call_id="sim-test-1")
    client.force_login(center.agent_a)
    state_url = reverse("desk:call_state", args=[interaction.pk])
    assert "End the simulated call" in client.get(state_url, **HTMX).content.decode()
    real = call(center, "call.offered", "call.answered", call_id="pbx-1")
    real_state = client.get(reverse("desk:call_state", args=[real.pk]), **HTMX).content.decode()
    assert "End the simulated call" not in real_state

    ended = client.post(reverse("desk:simulated_call_end", args=[interaction.pk]), **HTMX)
    assert ended.status_code == 204 and "call-changed" in ended["HX-Trigger"]
    assert "End the simulated call" not in client.get(state_url, **HTMX).content.decode()


# --- Drafts: a reload during a call keeps the log and the script step ------------------------------


def test_a_reload_draws_the_log_as_typed_and_the_script_where_it_was(client, center, amelie):
    interaction = call(center, "call.offered", "call.answered")
    client.force_login(center.agent_a)
    draft = client.post(
        reverse("desk:call_draft", args=[interaction.pk]),
        {"notes": "Wants a refund", "disposition": "resolved", "resolved": "on"},
        **HTMX,
    )
    assert draft.status_code == 204
    step_url = reverse("desk:script_step", args=[center.script.pk])
    client.get(step_url, {"step": "billing", "interaction": interaction.pk, "trail": "greeting"}, **HTMX)
    # Nothing is recorded on the contact until the log is saved.
    assert Interaction.objects.get(pk=interaction.pk).notes == ""

    page = client.get(reverse("desk:call", args=[interaction.pk]), **HTMX).content.decode()
    assert "Wants a refund</textarea>" in page
    assert '<option value="resolved" selected>' in page
    assert "checked" in re.search(r'<input type="checkbox" name="resolved"[^>]*>', page).group(0)
    assert "Which invoice, Amélie?" in page  # the step the agent had reached
    assert "trail=greeting,billing" in page  # with its way back

    # Once the log is saved, the record is what the form draws.
    saved = client.post(
        reverse("desk:call_log", args=[interaction.pk]),
        {"notes": "Refund promised", "disposition": "resolved", "ticket": ""},
        **HTMX,
    )
    assert saved.status_code == 200
    again = client.get(reverse("desk:call", args=[interaction.pk]), **HTMX).content.decode()
    assert "Refund promised</textarea>" in again and "Wants a refund" not in again


def test_the_log_records_the_script_path_the_agent_went_through(client, center, amelie):
    interaction = call(center, "call.offered", "call.answered", call_id="call-path")
    client.force_login(center.agent_a)
    step_url = reverse("desk:script_step", args=[center.script.pk])
    client.get(step_url, {"step": "billing", "interaction": interaction.pk, "trail": "greeting"}, **HTMX)
    client.get(step_url, {"step": "end", "interaction": interaction.pk, "trail": "greeting,billing"}, **HTMX)
    saved = client.post(
        reverse("desk:call_log", args=[interaction.pk]),
        {"notes": "Explained", "disposition": "resolved", "script_version": center.script.pk},
        **HTMX,
    )
    assert saved.status_code == 200
    assert Interaction.objects.get(pk=interaction.pk).script_path == ["greeting", "billing", "end"]
    # A log saved without the script (no version in the form) leaves the path as recorded.
    client.post(reverse("desk:call_log", args=[interaction.pk]), {"notes": "Again", "disposition": "resolved"}, **HTMX)
    assert Interaction.objects.get(pk=interaction.pk).script_path == ["greeting", "billing", "end"]


def test_a_draft_needs_a_call_the_agent_may_log(client, center, amelie):
    interaction = call(center, "call.offered", "call.answered")
    client.force_login(center.agent_b)
    assert client.post(reverse("desk:call_draft", args=[interaction.pk]), {"notes": "x"}, **HTMX).status_code == 404
