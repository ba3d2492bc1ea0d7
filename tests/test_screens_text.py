"""What a person reads on the screens: never a Python ``None``, never Django's ``---------``,
labels rather than codes, times in the center's time zone.

A crawler signs in as an agent, a supervisor, a manager and an admin of the demo center, opens
every page of the desk and, in the back office, every changelist and add page, the change page
and the history page of one row of each model, the reports, the script editor's and the courses'
screens, and reads the visible text of each answer (what the
browser draws: text nodes outside scripts and styles; attribute values and the ``value`` of an
``<option>`` are not read).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Model
from django.test import Client, RequestFactory
from django.urls import reverse

from contactcenter.agents.models import AgentProfile, BreakReason, Status
from contactcenter.agents.services import agent_set_status
from contactcenter.knowledge.models import Article
from contactcenter.scripts.models import Script
from contactcenter.scripts.services import script_update_draft
from contactcenter.training.models import Course
from customers.models import Customer
from customers.services import customer_create, customer_update
from interactions.models import Interaction, Priority, Ticket, TicketStatus
from interactions.services import TICKET_TRANSITIONS, interaction_update, ticket_update
from kpis.exports import csv_response
from kpis.reports import reports_for
from tests.interactions.factories import TicketFactory

pytestmark = pytest.mark.django_db

User = get_user_model()

# A small demo center, the same run after run (a Wednesday evening in Paris).
DEMO = ("--customers=12", "--days=2", "--now=2026-11-18T18:30:00+01:00")
ROLES = {"agent": "agent1", "supervisor": "supervisor1", "manager": "manager", "admin": "admin"}
#: "None" as a value (a word of its own, not the start of a sentence such as Django's "None
#: available"), and Django's empty choice.
FORBIDDEN = re.compile(r"(?<![\w-])None(?![\w-]| [a-z])|-{5,}")


class VisibleText(HTMLParser):
    """The text a browser draws: text nodes, outside ``<script>``, ``<style>`` and ``<template>``."""

    SKIPPED = {"script", "style", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return parser.parts


def offending(html: str) -> list[str]:
    return [part for part in visible_text(html) if FORBIDDEN.search(part)]


def test_the_text_reader_reads_what_a_browser_draws():
    html = (
        '<p title="None">Status: None</p><select><option value="">---------</option></select>'
        '<script>var x = "None";</script><span data-x="None">— Nonessential</span>'
    )
    assert offending(html) == ["Status: None", "---------"]


@pytest.fixture
def demo(settings):
    """The demo center, with an agent on a break (a reason code), and history to list: a ticket,
    an interaction and a customer changed since they were made (codes, times, empty values)."""
    settings.REQUIRE_2FA_ROLES = []
    call_command("demo", *DEMO, verbosity=0, stdout=StringIO(), stderr=StringIO())
    profile = AgentProfile.objects.get(user__username="agent2")
    agent_set_status(profile=profile, status=Status.AVAILABLE)
    agent_set_status(profile=profile, status=Status.BREAK, reason=BreakReason.LUNCH)
    # The newest of each: the rows whose pages the crawler opens.
    ticket = Ticket.objects.order_by("-pk").first()
    status = sorted(TICKET_TRANSITIONS[ticket.status])[0]
    priority = Priority.URGENT if ticket.priority != Priority.URGENT else Priority.LOW
    ticket_update(ticket=ticket, changes={"status": status, "priority": priority})
    interaction = Interaction.objects.order_by("-pk").first()
    interaction_update(interaction=interaction, disposition=None, resolved=not interaction.resolved, queue=None)
    customer = Customer.objects.order_by("-pk").first()
    customer_update(customer=customer, company="", language="en", tags=[])


def desk_pages() -> Iterator[str]:
    yield reverse("desk:desktop")
    yield reverse("desk:status")
    yield reverse("desk:current_call")
    yield reverse("desk:search") + "?q=a"
    yield reverse("desk:tickets_list")
    yield reverse("desk:ticket_new")
    yield reverse("desk:knowledge_search") + "?q=a"
    yield reverse("desk:training")
    yield reverse("desk:twofactor")
    yield reverse("desk:wallboard")
    yield reverse("desk:wallboard_board")
    customer = Customer.objects.filter(interactions__isnull=False).order_by("pk").first()
    yield reverse("desk:customer", args=[customer.pk])
    for interaction in (
        Interaction.objects.filter(agent__username="agent1").order_by("-offered_at").first(),
        Interaction.objects.filter(customer__isnull=True, agent__username="agent1").order_by("pk").first(),
    ):
        if interaction is not None:
            yield reverse("desk:call", args=[interaction.pk])
            yield reverse("desk:call_state", args=[interaction.pk])
    for ticket in Ticket.objects.order_by("pk")[:3]:
        yield reverse("desk:ticket_detail", args=[ticket.pk])
    yield reverse("desk:knowledge_article", args=[Article.objects.order_by("pk").first().pk])
    course = Course.objects.order_by("pk").first()
    yield reverse("desk:training_course", args=[course.pk])
    lesson = course.lessons.order_by("pk").first()
    if lesson is not None:
        yield reverse("desk:training_lesson", args=[course.pk, lesson.pk])
    yield reverse("desk:training_quiz", args=[course.pk])


def admin_url(model: type[Model], view: str, *args: object) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def admin_pages(user: object) -> Iterator[str]:
    request = RequestFactory().get("/")
    request.user = user
    yield reverse("admin:index")
    for model, model_admin in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label):
        if not model_admin.has_view_or_change_permission(request):
            continue
        yield admin_url(model, "changelist")
        if model_admin.has_add_permission(request):
            yield admin_url(model, "add")
        obj = model_admin.get_queryset(request).order_by("-pk").first()
        if obj is None:
            continue
        yield admin_url(model, "change", obj.pk)
        yield admin_url(model, "history", obj.pk)
    yield reverse("admin:kpis-reports")
    for report in reports_for(user):
        yield reverse("admin:kpis-report", args=[report.name])
    # The back office's own screens beside the changelists: the script editor and its versions,
    # a course's progress.
    script = Script.objects.order_by("pk").first()
    for name in ("steps", "preview", "publish", "compare", "analytics"):
        yield reverse(f"admin:scripts_script_{name}", args=[script.pk])
    yield reverse("admin:scripts_script_version", args=[script.pk, 1])
    course = Course.objects.order_by("pk").first()
    yield reverse("admin:training_course_overdue")
    for name in ("progress", "before_after"):
        yield reverse(f"admin:training_course_{name}", args=[course.pk])


@pytest.mark.parametrize("role", ROLES)
def test_no_screen_shows_none_or_dashes(client: Client, demo, role):
    user = User.objects.get(username=ROLES[role])
    client.force_login(user)
    problems, read = [], []
    for url in [*desk_pages(), *(admin_pages(user) if user.is_staff else [])]:
        # The desk's fragments as htmx asks for them; the pages a role may not open are left out.
        fragment = url.startswith("/desk/") and url.rstrip("/") != "/desk"
        response = client.get(url, headers={"HX-Request": "true"} if fragment else {})
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        read.append(url)
        problems += [f"{url}: {text!r}" for text in offending(response.content.decode())]
    assert reverse("desk:desktop") in read
    assert len(read) >= (60 if user.is_staff else 15), read  # the crawl really read the screens
    assert not problems, "\n".join(problems)


def test_a_history_page_lists_labels_and_local_times_not_codes(admin_client):
    ticket = TicketFactory(status=TicketStatus.OPEN, priority=Priority.NORMAL)
    # 13:00 UTC is 14:00 in Paris (the center's TIME_ZONE).
    ticket_update(
        ticket=ticket,
        changes={"status": TicketStatus.PENDING, "priority": Priority.URGENT},
        now=datetime(2026, 3, 4, 13, 0, tzinfo=UTC),
    )

    response = admin_client.get(reverse("admin:interactions_ticket_history", args=[ticket.pk]))

    changes = re.sub(r"\s+", " ", " ".join(visible_text(response.content.decode())))
    assert "Status: Open → Pending (waiting on the customer)" in changes
    assert "Priority: Normal → Urgent" in changes
    assert "pending" not in changes and "urgent" not in changes
    assert "+00:00" not in changes  # a due time moved with the priority: in the center's time, not UTC
    assert offending(response.content.decode()) == []

    admin_client.cookies["django_language"] = "fr"
    response = admin_client.get(reverse("admin:interactions_ticket_history", args=[ticket.pk]))
    changes = " ".join(visible_text(response.content.decode()))
    assert "Priorité\u00a0:" in changes  # French typography: a no-break space before the colon
    assert "Normale\u00a0→\u00a0\u00a0Urgente" in changes


def test_a_history_page_shows_tags_as_a_line_and_steps_as_json(admin_client, admin_user):
    customer = customer_create(first_name="Anne", last_name="Martin", tags=["vip"])
    customer_update(customer=customer, tags=["vip", "late payer"], consent_marketing=True)
    script = Script.objects.create(name="Billing", draft=[{"key": "hello", "text": "Hello", "answers": []}])
    script_update_draft(
        script=script, steps=[{"key": "hello", "text": "Hi", "answers": [], "disposition": None}], by=admin_user
    )

    customer_page = admin_client.get(reverse("admin:customers_customer_history", args=[customer.pk]))
    script_page = admin_client.get(reverse("admin:scripts_script_history", args=[script.pk]))

    customer_changes = re.sub(r"\s+", " ", " ".join(visible_text(customer_page.content.decode())))
    assert "Tags: vip → vip, late payer" in customer_changes
    assert "No → Yes" in customer_changes
    script_changes = " ".join(visible_text(script_page.content.decode()))
    assert '"disposition": null' in script_changes
    assert offending(customer_page.content.decode()) == offending(script_page.content.decode()) == []


def options_of(html: str, name: str) -> list[str]:
    """The texts of the options of the select named ``name``."""
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select named {name}"
    return [text.strip() for text in re.findall(r"<option[^>]*>(.*?)</option>", select.group(1), re.S)]


def test_an_empty_choice_says_none_where_a_field_may_stay_empty_and_choose_where_it_must_be_filled(admin_client):
    form = admin_client.get(reverse("admin:interactions_interaction_add")).content.decode()
    changelist = admin_client.get(reverse("admin:interactions_ticket_changelist")).content.decode()

    assert options_of(form, "queue")[0] == "— none —"  # optional
    assert options_of(form, "channel")[0] == "— choose —"  # required
    assert options_of(changelist, "action")[0] == "— choose —"


def test_the_empty_choice_is_translated(admin_client):
    admin_client.cookies["django_language"] = "fr"

    form = admin_client.get(reverse("admin:interactions_interaction_add")).content.decode()

    assert options_of(form, "queue")[0] == "— aucun —"
    assert options_of(form, "channel")[0] == "— choisir —"


def test_exports_write_times_in_the_centers_zone_with_its_offset():
    # 13:00 UTC on 4 March is 14:00 in Paris (winter time), 13:00 UTC on 4 July 15:00 (summer time).
    rows = [[datetime(2026, 3, 4, 13, 0, tzinfo=UTC)], [datetime(2026, 7, 4, 13, 0, tzinfo=UTC)]]

    response = csv_response("times", ["At"], rows)

    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[1:] == [["2026-03-04T14:00:00+01:00"], ["2026-07-04T15:00:00+02:00"]]
