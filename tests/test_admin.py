"""The back office (Django admin): every screen answers, lists cost a fixed number of queries,
and writes go through the services exactly as the API's do."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Model
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contactcenter.agents.models import AgentProfile, Passkey, PresenceInterval, Role, Status
from contactcenter.agents.services import agent_set_status
from contactcenter.distribution.services import callback_attempt_log, callback_create
from contactcenter.knowledge.models import Article
from contactcenter.scripts.models import Script, ScriptVersion
from customers.models import ContactPoint, Customer, CustomerRead
from customers.services import customer_create
from interactions.models import Disposition, Holiday, Interaction, SurveyResponse, Ticket, TicketComment
from interactions.services import ticket_comment_add, ticket_create
from tests.agents.factories import AgentProfileFactory, QueueFactory, SkillFactory, TeamFactory, UserFactory
from tests.customers.factories import CustomerFactory, EmailFactory, PhoneFactory
from tests.interactions.factories import (
    T0,
    InteractionFactory,
    SurveyResponseFactory,
    TicketCommentFactory,
    TicketFactory,
)
from tests.knowledge.factories import ArticleFactory
from tests.training.factories import assign, make_course

pytestmark = pytest.mark.django_db

User = get_user_model()

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def admin_url(model: type[Model] | Model, view: str, *args: Any) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def management_form(prefix: str, total: int, initial: int = 0) -> dict[str, int]:
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


@pytest.fixture
def one_of_everything(admin_user) -> None:
    """At least one row of every registered model, linked the way real data is."""
    agent = AgentProfileFactory(team=TeamFactory(), queues=[QueueFactory()])
    agent.skills.set([SkillFactory()])
    agent_set_status(profile=agent, status=Status.AVAILABLE)
    script = Script.objects.create(name="Billing", draft=[{"key": "hello", "text": "Hello", "answers": []}])
    version = ScriptVersion.objects.create(script=script, number=1, steps=script.draft, published_by=admin_user)
    customer = customer_create(first_name="Anne", last_name="Martin", phones=["06 12 34 56 78"], emails=["a@x.fr"])
    CustomerRead.objects.create(customer_id=customer.pk, user=admin_user, username="admin", what="admin")
    ticket = ticket_create(subject="Broken router", customer=customer, by=admin_user)
    ticket_comment_add(ticket=ticket, body="We are on it.", public=True, author=admin_user)
    interaction = InteractionFactory(
        customer=customer,
        agent=agent.user,
        ticket=ticket,
        script_version=version,
        disposition=Disposition.objects.first(),
    )
    SurveyResponseFactory(interaction=interaction)
    callback = callback_create(
        queue=agent.queues.first(), phone="06 12 34 56 78", due_at=timezone.now(), by=admin_user, customer=customer
    )
    callback_attempt_log(callback=callback, outcome="no_answer", note="Voicemail full", by=admin_user)
    Holiday.objects.create(date=T0.date(), name="New year")
    ArticleFactory(title="Restart the box", by=admin_user)
    assign(make_course(title="Welcome", by=admin_user), team=agent.team)
    # A passkey as the desk stores it (tests/security/test_auth_passkeys.py makes real ones).
    Passkey.objects.create(user=agent.user, name="Laptop", credential_id=b"id", public_key=b"key", aaguid="0" * 36)


# --- every screen answers ---------------------------------------------------------------


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=[m._meta.label for m, _ in REGISTERED])
def test_every_registered_model_has_a_changelist_and_an_add_page(admin_client, admin_user, model, model_admin):
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200

    request = RequestFactory().get("/")
    request.user = admin_user
    expected = 200 if model_admin.has_add_permission(request) else 403
    assert admin_client.get(admin_url(model, "add")).status_code == expected


OWN_APPS = {"customers", "interactions", "kpis", "agents", "scripts", "knowledge", "training", "auth"}


def test_every_registered_model_has_a_change_page(admin_client, one_of_everything):
    for model in admin.site._registry:
        obj = model._default_manager.order_by("pk").first()
        if obj is None and model._meta.app_label not in OWN_APPS:
            continue  # a library's model (API tokens…) that the fixture does not create
        assert obj is not None, f"no {model._meta.label} to open"
        response = admin_client.get(admin_url(model, "change", obj.pk))
        assert response.status_code == 200, model._meta.label


def test_the_models_the_back_office_needs_are_all_registered():
    labels = {model._meta.label for model in admin.site._registry}
    assert labels >= {
        "agents.Team",
        "agents.Skill",
        "agents.Queue",
        "agents.AgentProfile",
        "agents.PresenceInterval",
        "scripts.Script",
        "scripts.ScriptVersion",
        "customers.Customer",
        "customers.ContactPoint",
        "interactions.Interaction",
        "interactions.Ticket",
        "interactions.TicketComment",
        "interactions.Disposition",
        "interactions.SlaPolicy",
        "interactions.BusinessHours",
        "interactions.Holiday",
        "interactions.TicketCategory",
        "interactions.SurveyResponse",
        "auth.User",
    }


# --- changelists cost a fixed number of queries --------------------------------------------


def make_customer() -> None:
    customer = CustomerFactory(tags=["vip"])
    PhoneFactory(customer=customer)
    EmailFactory(customer=customer)


def make_interaction() -> None:
    disposition = Disposition.objects.order_by("?").first()
    InteractionFactory(agent=UserFactory(), disposition=disposition, ticket=TicketFactory())


def make_ticket() -> None:
    TicketFactory(assignee=UserFactory(), team=TeamFactory())


def make_comment() -> None:
    TicketCommentFactory(author=UserFactory())


def make_survey() -> None:
    SurveyResponseFactory(interaction=InteractionFactory(agent=UserFactory()))


def make_agent() -> None:
    profile = AgentProfileFactory(queues=[QueueFactory()])
    agent_set_status(profile=profile, status=Status.AVAILABLE)
    agent_set_status(profile=profile, status=Status.BREAK, reason="lunch", at=timezone.now() + timedelta(seconds=1))


def make_article() -> None:
    ArticleFactory(by=UserFactory())


def make_script() -> None:
    script = Script.objects.create(
        name=f"script-{Script.objects.count()}", draft=[{"key": "a", "text": "Welcome", "answers": []}]
    )
    script.queues.set([QueueFactory(), QueueFactory()])
    ScriptVersion.objects.create(script=script, number=1, steps=script.draft, published_by=UserFactory())


# Measured on the changelist with filters, date hierarchy and session: a query per row breaks them.
CHANGELISTS: list[tuple[type[Model], Callable[[], None], int]] = [
    (Customer, make_customer, 5),
    (ContactPoint, make_customer, 4),
    (Interaction, make_interaction, 8),
    (Ticket, make_ticket, 9),
    (TicketComment, make_comment, 4),
    (SurveyResponse, make_survey, 8),
    (AgentProfile, make_agent, 6),
    (PresenceInterval, make_agent, 6),
    (User, make_agent, 6),
    (Script, make_script, 7),
    (ScriptVersion, make_script, 6),
    (Article, make_article, 8),
]


@pytest.mark.parametrize(("model", "make", "bound"), CHANGELISTS, ids=[m._meta.label for m, _, _ in CHANGELISTS])
def test_a_changelist_costs_the_same_queries_for_1_or_25_rows(
    admin_client, django_assert_max_num_queries, model, make, bound
):
    url = admin_url(model, "changelist")
    admin_client.get(url)  # warm the session and content-type caches
    make()
    with django_assert_max_num_queries(bound) as few:
        response = admin_client.get(url)
    assert response.status_code == 200
    one_row = response.context["cl"].result_count

    for _ in range(24):
        make()
    with django_assert_max_num_queries(bound) as many:
        response = admin_client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count > one_row
    assert len(many) == len(few)


def test_the_customer_page_costs_a_fixed_number_of_queries(admin_client):
    customer = CustomerFactory()
    url = admin_url(Customer, "change", customer.pk)

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert admin_client.get(url).status_code == 200
        return len(context)

    admin_client.get(url)
    PhoneFactory(customer=customer)
    InteractionFactory(customer=customer, agent=UserFactory())
    TicketFactory(customer=customer, assignee=UserFactory())
    few = queries()
    for _ in range(10):
        PhoneFactory(customer=customer)
        InteractionFactory(customer=customer, agent=UserFactory())
        TicketFactory(customer=customer, assignee=UserFactory())
    assert queries() == few


def test_the_ticket_page_costs_a_fixed_number_of_queries(admin_client):
    ticket = TicketFactory(assignee=UserFactory())
    url = admin_url(Ticket, "change", ticket.pk)

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert admin_client.get(url).status_code == 200
        return len(context)

    admin_client.get(url)
    TicketCommentFactory(ticket=ticket, author=UserFactory())
    InteractionFactory(ticket=ticket, agent=UserFactory())
    few = queries()
    for _ in range(10):
        TicketCommentFactory(ticket=ticket, author=UserFactory())
        InteractionFactory(ticket=ticket, agent=UserFactory())
    assert queries() == few


# --- customers ------------------------------------------------------------------------------


def test_the_customer_page_shows_contact_points_and_the_newest_20_interactions(admin_client):
    customer = customer_create(first_name="Anne", last_name="Martin", phones=["06 12 34 56 78"], emails=["anne@x.fr"])
    interactions = [InteractionFactory(customer=customer, offered_at=T0 + timedelta(hours=n)) for n in range(25)]
    other = InteractionFactory()

    response = admin_client.get(admin_url(Customer, "change", customer.pk))

    content = response.content.decode()
    assert response.status_code == 200
    assert 'value="+33612345678"' in content
    assert 'value="anne@x.fr"' in content
    shown = [i for i in interactions if admin_url(Interaction, "change", i.pk) + '"' in content]
    assert shown == interactions[5:]  # the newest 20
    assert admin_url(Interaction, "change", other.pk) + '"' not in content
    filtered = f"{admin_url(Interaction, 'changelist')}?customer__id__exact={customer.pk}"
    assert filtered in content

    listing = admin_client.get(filtered)
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 25


def customer_form(customer: Customer, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "company": customer.company,
        "language": customer.language,
        "tags": ", ".join(customer.tags),
        "external_id": customer.external_id,
        "notes": customer.notes,
        "consent_recording": "on",
        "consent_surveys": "on",
    }
    points = list(customer.contact_points.all())
    data.update(management_form("contact_points", len(points), len(points)))
    for n, point in enumerate(points):
        data.update(
            {
                f"contact_points-{n}-id": point.pk,
                f"contact_points-{n}-customer": customer.pk,
                f"contact_points-{n}-kind": point.kind,
                f"contact_points-{n}-value": point.value,
                f"contact_points-{n}-label": point.label,
                f"contact_points-{n}-network": point.network,
            }
        )
    data.update(changes)
    return data


def test_a_phone_typed_in_the_admin_is_stored_in_e164(admin_client):
    data = {
        "first_name": "Jean",
        "last_name": "Dupont",
        "language": "fr",
        "tags": "vip, b2b, vip",
        "consent_recording": "on",
        **management_form("contact_points", 2),
        "contact_points-0-kind": "phone",
        "contact_points-0-value": "06 12 34 56 78",
        "contact_points-1-kind": "email",
        "contact_points-1-value": "Jean.Dupont@Example.FR",
    }

    response = admin_client.post(admin_url(Customer, "add"), data)

    assert response.status_code == 302, response.context["errors"] if response.context else response
    customer = Customer.objects.get(last_name="Dupont")
    assert customer.tags == ["vip", "b2b"]
    assert sorted(customer.contact_points.values_list("value", flat=True)) == ["+33612345678", "jean.dupont@example.fr"]


def test_a_bad_phone_is_refused_with_a_message(admin_client):
    data = {
        "last_name": "Dupont",
        "language": "fr",
        **management_form("contact_points", 1),
        "contact_points-0-kind": "phone",
        "contact_points-0-value": "not a number",
    }

    response = admin_client.post(admin_url(Customer, "add"), data)

    assert response.status_code == 200
    assert "is not a phone number" in response.content.decode()
    assert not Customer.objects.exists()


@pytest.mark.parametrize("typed", ["06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678", "+33612345678"])
def test_customers_are_found_by_a_phone_typed_in_any_format(admin_client, typed):
    wanted = customer_create(last_name="Martin", phones=["+33612345678"])
    customer_create(last_name="Durand", phones=["+33698765432"])

    response = admin_client.get(admin_url(Customer, "changelist"), {"q": typed})

    assert list(response.context["cl"].result_list) == [wanted]


def test_customers_are_found_by_name_company_and_email(admin_client):
    anne = customer_create(first_name="Anne", last_name="Martin", emails=["anne@example.fr"])
    acme = customer_create(last_name="Durand", company="Acme SA")
    customer_create(last_name="Petit")

    def search(term: str) -> list[Customer]:
        return list(admin_client.get(admin_url(Customer, "changelist"), {"q": term}).context["cl"].result_list)

    assert search("martin") == [anne]
    assert search("acme") == [acme]
    assert search("anne@example") == [anne]


def test_the_customer_autocomplete_finds_a_caller_by_phone(admin_client):
    wanted = customer_create(last_name="Martin", phones=["+33612345678"])
    customer_create(last_name="Durand", phones=["+33698765432"])

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "interactions", "model_name": "interaction", "field_name": "customer", "term": "06 12 34 56 78"},
    )

    assert [row["id"] for row in response.json()["results"]] == [str(wanted.pk)]


def test_the_history_of_a_customer_lists_its_changes_and_cannot_be_reverted(admin_client, admin_user):
    customer = customer_create(first_name="Anne", last_name="Martin", phones=["0612345678"], by=admin_user)
    change_url = admin_url(Customer, "change", customer.pk)
    response = admin_client.post(change_url, customer_form(customer, first_name="Annie"))
    assert response.status_code == 302

    history = admin_client.get(admin_url(Customer, "history", customer.pk))

    assert history.status_code == 200
    content = history.content.decode()
    assert "Annie" in content
    assert "Changed" in content
    records = customer.history.order_by("history_date")
    assert [r.first_name for r in records] == ["Anne", "Annie"]
    assert records.last().history_user == admin_user

    # The old version can be read, but a POST to it does not bring it back.
    old = records.first()
    version_url = admin_url(Customer, "simple_history", customer.pk, old.history_id)
    assert admin_client.get(version_url).status_code == 200
    assert admin_client.post(version_url, customer_form(customer, first_name="Anne")).status_code == 403
    customer.refresh_from_db()
    assert customer.first_name == "Annie"
    assert 'name="_continue"' not in admin_client.get(version_url).content.decode()


@pytest.mark.parametrize("model", [Customer, ContactPoint, Interaction, Ticket])
def test_historied_models_have_a_history_page(admin_client, one_of_everything, model):
    obj = model._default_manager.first()
    assert admin_client.get(admin_url(model, "history", obj.pk)).status_code == 200


# --- interactions -----------------------------------------------------------------------


def test_the_interaction_list_shows_wait_and_handle_time_as_the_desk_does(admin_client):
    InteractionFactory(hold_seconds=30)

    response = admin_client.get(admin_url(Interaction, "changelist"))

    content = response.content.decode()
    # 10 s and 360 s, written m:ss as on the desk and the wallboard.
    assert '<td class="field-wait_column">0:10</td>' in content
    assert '<td class="field-handle_column">6:00</td>' in content


def test_interactions_are_found_by_external_id_and_customer_name(admin_client):
    mine = InteractionFactory(external_id="pbx-42", source="pbx", customer=customer_create(last_name="Zidane"))
    InteractionFactory(external_id="pbx-43", source="pbx")

    def search(term: str) -> list[Interaction]:
        return list(admin_client.get(admin_url(Interaction, "changelist"), {"q": term}).context["cl"].result_list)

    assert search("pbx-42") == [mine]
    assert search("zidane") == [mine]


def test_the_interaction_form_uses_autocomplete_not_a_giant_select(admin_client):
    CustomerFactory.create_batch(3)

    content = admin_client.get(admin_url(Interaction, "add")).content.decode()

    for field in ("customer", "agent", "ticket", "script_version"):
        tag = re.search(rf'<select name="{field}"[^>]*>', content)
        assert tag is not None, field
        assert "admin-autocomplete" in tag.group(0)
        assert content[tag.end() :].split("</select>", 1)[0].count("<option") <= 1  # the blank one


# --- tickets --------------------------------------------------------------------------------


def ticket_form(ticket: Ticket | None = None, comments: list[dict[str, Any]] = (), **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "subject": ticket.subject if ticket else "",
        "description": ticket.description if ticket else "",
        "customer": ticket.customer_id or "" if ticket else "",
        "status": ticket.status if ticket else "new",
        "priority": ticket.priority if ticket else "normal",
        "category": ticket.category_id or "" if ticket else "",
        "queue": ticket.queue_id or "" if ticket else "",
        "team": ticket.team_id or "" if ticket else "",
        "assignee": ticket.assignee_id or "" if ticket else "",
        "read_version": ticket.version if ticket else "",
        **management_form("comments", len(comments)),
    }
    for n, comment in enumerate(comments):
        data.update({f"comments-{n}-{key}": value for key, value in comment.items()})
    data.update(fields)
    return data


def test_a_ticket_created_in_the_admin_gets_a_reference_and_sla_due_times(admin_client, admin_user):
    customer = CustomerFactory()
    queue = QueueFactory()

    response = admin_client.post(
        admin_url(Ticket, "add"),
        ticket_form(subject="Router down", customer=customer.pk, queue=queue.pk, priority="high"),
    )

    assert response.status_code == 302, response.context["errors"] if response.context else response
    ticket = Ticket.objects.get(subject="Router down")
    assert ticket.reference.startswith("T-")
    assert ticket.sla_policy.priority == "high"
    assert ticket.first_response_due is not None
    assert ticket.resolution_due is not None
    assert ticket.first_response_due <= ticket.resolution_due
    assert ticket.version == 1
    assert ticket.history.get().history_user == admin_user


def test_a_public_comment_added_in_the_admin_is_the_first_response(admin_client, admin_user):
    ticket = ticket_create(subject="Router down", customer=CustomerFactory())

    response = admin_client.post(
        admin_url(Ticket, "change", ticket.pk),
        ticket_form(ticket, comments=[{"body": "We are sending a technician.", "public": "on"}]),
    )

    assert response.status_code == 302, response.context["errors"] if response.context else response
    ticket.refresh_from_db()
    comment = ticket.comments.get()
    assert comment.public
    assert comment.author == admin_user
    assert ticket.first_responded_at == comment.created_at
    assert ticket.version == 1  # the first-response stamp is no edit: the version stays


def test_an_internal_comment_is_not_a_first_response(admin_client):
    ticket = ticket_create(subject="Router down")

    admin_client.post(
        admin_url(Ticket, "change", ticket.pk), ticket_form(ticket, comments=[{"body": "Customer is angry."}])
    )

    ticket.refresh_from_db()
    assert ticket.comments.get().public is False
    assert ticket.first_responded_at is None


def test_existing_comments_are_shown_but_not_editable(admin_client, admin_user):
    ticket = ticket_create(subject="Router down")
    ticket_comment_add(ticket=ticket, body="First answer", public=True, author=admin_user)

    content = admin_client.get(admin_url(Ticket, "change", ticket.pk)).content.decode()

    assert "First answer" in content
    assert 'name="comments-0-body"' not in content  # read-only
    assert 'name="comments-1-body"' in content  # the blank form for a new comment


def test_an_edit_goes_through_the_service(admin_client, admin_user):
    ticket = ticket_create(subject="Router down", priority="low")
    low_due = ticket.resolution_due

    response = admin_client.post(
        admin_url(Ticket, "change", ticket.pk), ticket_form(ticket, priority="urgent", status="resolved")
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.version == 2
    assert ticket.sla_policy.priority == "urgent"
    assert ticket.resolution_due < low_due
    assert ticket.resolved_at is not None
    assert ticket.history.latest().history_user == admin_user


def test_a_stale_edit_is_refused(admin_client):
    ticket = ticket_create(subject="Router down")
    form = ticket_form(ticket, subject="Edited in the admin")
    Ticket.objects.filter(pk=ticket.pk).update(version=2, subject="Edited through the API")

    response = admin_client.post(admin_url(Ticket, "change", ticket.pk), form)

    assert response.status_code == 200
    assert "Someone changed this ticket" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.subject == "Edited through the API"


def test_the_ticket_form_shows_service_fields_read_only(admin_client):
    ticket = ticket_create(subject="Router down")

    content = admin_client.get(admin_url(Ticket, "change", ticket.pk)).content.decode()

    assert ticket.reference in content
    for field in ("reference", "version", "first_response_due", "resolution_due", "first_responded_at"):
        assert f'name="{field}"' not in content
        assert f'name="{field}_0"' not in content


def test_overdue_tickets_are_marked_and_filtered(admin_client):
    now = timezone.now()
    late = TicketFactory(resolution_due=now - timedelta(hours=1))
    on_time = TicketFactory(resolution_due=now + timedelta(hours=1))
    TicketFactory(resolution_due=now - timedelta(hours=1), status="closed")

    response = admin_client.get(admin_url(Ticket, "changelist"), {"overdue": "yes"})

    assert list(response.context["cl"].result_list) == [late]
    assert 'alt="True"' in response.content.decode()
    response = admin_client.get(admin_url(Ticket, "changelist"), {"overdue": "no"})
    assert on_time in response.context["cl"].result_list
    assert late not in response.context["cl"].result_list


def test_a_comment_added_from_the_comment_admin_goes_through_the_service(admin_client, admin_user):
    ticket = ticket_create(subject="Router down")

    response = admin_client.post(
        admin_url(TicketComment, "add"), {"ticket": ticket.pk, "body": "Fixed remotely.", "public": "on"}
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    comment = ticket.comments.get()
    assert comment.author == admin_user
    assert ticket.first_responded_at == comment.created_at


# --- agents ---------------------------------------------------------------------------------


def test_the_set_offline_action_sets_an_agent_offline(admin_client):
    profile = AgentProfileFactory()
    agent_set_status(profile=profile, status=Status.AVAILABLE)
    other = AgentProfileFactory()
    agent_set_status(profile=other, status=Status.AVAILABLE)

    response = admin_client.post(
        admin_url(AgentProfile, "changelist"), {"action": "set_offline", "_selected_action": [profile.pk]}
    )

    assert response.status_code == 302
    profile.refresh_from_db()
    other.refresh_from_db()
    assert profile.status == Status.OFFLINE
    assert other.status == Status.AVAILABLE
    assert not PresenceInterval.objects.filter(agent=profile.user, ended_at__isnull=True).exists()


def test_a_role_changed_in_the_agent_admin_moves_the_user_to_its_group(admin_client):
    profile = AgentProfileFactory(role=Role.AGENT)
    team = profile.team

    response = admin_client.post(
        admin_url(AgentProfile, "change", profile.pk), {"role": Role.SUPERVISOR, "team": team.pk}
    )

    assert response.status_code == 302
    user = profile.user
    user.refresh_from_db()
    assert set(user.groups.values_list("name", flat=True)) == {Role.SUPERVISOR}
    assert user.is_staff


def user_form(user: Any, **changes: Any) -> dict[str, Any]:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "groups": list(user.groups.values_list("pk", flat=True)),
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    if user.is_staff:
        data["is_staff"] = "on"
    data.update(changes)
    return data


def test_a_role_changed_in_the_user_admin_moves_the_user_to_its_group(admin_client):
    profile = AgentProfileFactory(role=Role.AGENT)
    user = profile.user
    data = user_form(
        user,
        **management_form("agent_profile", 1, 1),
        **{
            "agent_profile-0-id": profile.pk,
            "agent_profile-0-user": user.pk,
            "agent_profile-0-role": Role.MANAGER,
            "agent_profile-0-team": profile.team_id,
        },
    )

    response = admin_client.post(admin_url(user, "change", user.pk), data)

    assert response.status_code == 302, response.context["errors"] if response.context else response
    user.refresh_from_db()
    assert user.agent_profile.role == Role.MANAGER
    assert set(user.groups.values_list("name", flat=True)) == {Role.MANAGER}
    assert user.is_staff


def test_a_user_gets_a_profile_and_its_role_group_from_the_user_admin(admin_client):
    user = UserFactory()
    team = TeamFactory()
    queue = QueueFactory()
    data = user_form(
        user,
        **management_form("agent_profile", 1, 0),
        **{"agent_profile-0-role": Role.AGENT, "agent_profile-0-team": team.pk, "agent_profile-0-queues": [queue.pk]},
    )

    response = admin_client.post(admin_url(user, "change", user.pk), data)

    assert response.status_code == 302, response.context["errors"] if response.context else response
    profile = AgentProfile.objects.get(user=user)
    assert list(profile.queues.all()) == [queue]
    assert list(user.groups.all()) == [Group.objects.get(name=Role.AGENT)]


def test_the_presence_log_is_read_only(admin_client):
    profile = AgentProfileFactory()
    agent_set_status(profile=profile, status=Status.AVAILABLE)
    interval = PresenceInterval.objects.get()

    page = admin_client.get(admin_url(PresenceInterval, "change", interval.pk)).content.decode()

    assert 'name="_save"' not in page
    assert admin_client.post(admin_url(PresenceInterval, "change", interval.pk), {"status": "busy"}).status_code == 403
    assert admin_client.get(admin_url(PresenceInterval, "add")).status_code == 403


# --- scripts ----------------------------------------------------------------------------------


def test_publishing_a_draft_makes_numbered_versions(admin_client, admin_user):
    script = Script.objects.create(name="Billing", draft=[{"key": "hello", "text": "Hello", "answers": []}])
    empty = Script.objects.create(name="Empty")

    for _ in range(2):
        admin_client.post(
            admin_url(Script, "changelist"), {"action": "publish_draft", "_selected_action": [script.pk, empty.pk]}
        )

    versions = list(script.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].steps == script.draft
    assert versions[0].published_by == admin_user
    assert not empty.versions.exists()


def test_a_published_version_cannot_be_changed(admin_client):
    script = Script.objects.create(name="Billing", draft=[{"key": "hello", "text": "Hello", "answers": []}])
    version = ScriptVersion.objects.create(script=script, number=1, steps=script.draft)

    response = admin_client.post(admin_url(ScriptVersion, "change", version.pk), {"steps": "[]"})

    assert response.status_code == 403
    version.refresh_from_db()
    assert version.steps == [{"key": "hello", "text": "Hello", "answers": []}]


def test_a_version_added_in_the_admin_is_numbered_after_the_last(admin_client, admin_user):
    script = Script.objects.create(name="Billing", draft=[{"key": "hello", "text": "Hello", "answers": []}])
    ScriptVersion.objects.create(script=script, number=1, steps=script.draft)

    response = admin_client.post(admin_url(ScriptVersion, "add"), {"script": script.pk, "steps": ""})

    assert response.status_code == 302, response.context["errors"] if response.context else response
    latest = script.versions.get(number=2)
    assert latest.steps == script.draft
    assert latest.published_by == admin_user


def test_a_customer_edit_in_the_admin_is_recorded_with_its_author(admin_client, admin_user):
    customer = customer_create(first_name="Zoé", last_name="Petit")

    response = admin_client.post(admin_url(Customer, "change", customer.pk), customer_form(customer, company="Acme"))

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.company == "Acme"
    assert customer.history.latest().history_user == admin_user


# --- roles: the admin applies the API's access policy -----------------------------------------


@pytest.fixture
def supervisor_client(client):
    profile = AgentProfileFactory(role=Role.SUPERVISOR)
    client.force_login(profile.user)
    client.profile = profile
    return client


def test_a_supervisor_assigns_in_the_admin_by_the_rules_of_the_api(supervisor_client):
    # The admin's ticket form asks the services' rules: within the team, and the status workflow.
    team = supervisor_client.profile.team
    ticket = TicketFactory(team=team)
    member, outsider = AgentProfileFactory(team=team).user, AgentProfileFactory(team=TeamFactory()).user
    url = admin_url(Ticket, "change", ticket.pk)

    refused = supervisor_client.post(url, ticket_form(ticket, assignee=outsider.pk))
    assert refused.status_code == 200
    assert "is not in your team" in str(refused.context["adminform"].form.errors["assignee"])
    ticket.refresh_from_db()
    assert ticket.assignee is None

    done = supervisor_client.post(url, ticket_form(ticket, assignee=member.pk))
    assert done.status_code == 302, done.context["errors"] if done.context else done
    ticket.refresh_from_db()
    assert ticket.assignee == member

    closed = TicketFactory(team=team, status="closed")
    refused = supervisor_client.post(admin_url(Ticket, "change", closed.pk), ticket_form(closed, status="pending"))
    assert refused.status_code == 200
    assert "cannot go from closed to pending" in str(refused.context["adminform"].form.errors["status"])
    closed.refresh_from_db()
    assert closed.status == "closed"


def test_a_supervisor_sees_the_tickets_of_their_team_only(supervisor_client):
    team = supervisor_client.profile.team
    ours = TicketFactory(team=team)
    TicketFactory(team=TeamFactory())

    response = supervisor_client.get(admin_url(Ticket, "changelist"))

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [ours]


def test_a_supervisor_can_pick_an_assignee_but_not_read_user_accounts(supervisor_client):
    colleague = AgentProfileFactory(team=supervisor_client.profile.team, user__username="colleague")

    response = supervisor_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "interactions", "model_name": "ticket", "field_name": "assignee", "term": "colleague"},
    )

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(colleague.user.pk)]
    assert supervisor_client.get(admin_url(User, "changelist")).status_code == 403
    assert supervisor_client.get(admin_url(User, "change", colleague.user.pk)).status_code == 403


def test_a_supervisor_changes_no_agent_profile_nor_hands_out_roles(supervisor_client):
    # What is provisioned on an agent (team, queues, skills, role) is an admin's: a supervisor
    # moving an agent, or themselves, to another team would widen what they see.
    team = supervisor_client.profile.team
    agent = AgentProfileFactory(team=team)
    new_team = TeamFactory()

    for profile in (agent, supervisor_client.profile):
        response = supervisor_client.post(
            admin_url(AgentProfile, "change", profile.pk), {"role": Role.ADMIN, "team": new_team.pk}
        )
        assert response.status_code == 403
    agent.refresh_from_db()
    assert agent.team == team
    assert agent.role == Role.AGENT
    assert set(agent.user.groups.values_list("name", flat=True)) == {Role.AGENT}
