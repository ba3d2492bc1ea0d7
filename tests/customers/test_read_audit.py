"""README "Retention and audit": every read of a customer's data leaves one row (who, which
customer, what, when, from where) — the API's detail, timeline and export, the desk's customer
panel and screen pop, the admin's change page — shown read-only to admins, and in the export."""

from __future__ import annotations

import pytest
from django.urls import reverse

from customers.models import CustomerRead
from customers.services import customer_create
from interactions.cti import cti_event_apply
from tests.interactions.factories import T0

pytestmark = pytest.mark.django_db

API = "/api/v1/customers/"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def anne(org):
    return customer_create(first_name="Anne", last_name="Martin", phones=["06 12 34 56 78"])


def reads() -> list[tuple]:
    return list(CustomerRead.objects.order_by("id").values_list("customer_id", "user_id", "username", "what"))


@pytest.mark.parametrize(("suffix", "what"), [("", "detail"), ("timeline/", "timeline"), ("export/", "export")])
def test_each_api_read_leaves_one_row_with_the_user_the_address_and_the_request_id(
    org, anne, api_client_for, suffix, what
):
    client = api_client_for(org.admin)
    response = client.get(f"{API}{anne.pk}/{suffix}", HTTP_X_REQUEST_ID="req-42", REMOTE_ADDR="10.1.2.3")

    assert response.status_code == 200
    assert reads() == [(anne.pk, org.admin.pk, "admin_user", what)]
    row = CustomerRead.objects.get()
    assert (row.ip, row.request_id) == ("10.1.2.3", "req-42")


def test_a_customer_not_found_or_a_refused_export_leaves_no_row(org, anne, api_client_for):
    agent = api_client_for(org.agent_a)
    assert agent.get(f"{API}999999/").status_code == 404
    assert agent.get(f"{API}{anne.pk}/export/").status_code == 403  # agents may not export
    assert agent.get(f"{API}").status_code == 200  # a list is a search, not a read of one customer
    assert reads() == []


def test_the_audit_row_is_one_insert_and_nothing_else(org, anne, api_client_for, django_assert_num_queries):
    client = api_client_for(org.agent_a)
    client.get(f"{API}{anne.pk}/")
    with django_assert_num_queries(4) as captured:  # 3 for the detail itself (tests/api/test_query_counts.py)
        client.get(f"{API}{anne.pk}/")
    audit = [query["sql"] for query in captured.captured_queries if "customers_customerread" in query["sql"]]
    assert len(audit) == 1 and audit[0].startswith("INSERT")


def test_the_desk_panel_and_the_screen_pop_are_reads(client, org, anne):
    client.force_login(org.agent_a)
    assert client.get(reverse("desk:customer", args=[anne.pk]), **HTMX).status_code == 200
    outcome = cti_event_apply(
        event="call.offered", call_id="c-1", timestamp=T0, caller="+33612345678", queue=org.queue_a
    )
    assert client.get(reverse("desk:call", args=[outcome.interaction.pk]), **HTMX).status_code == 200
    # A call from an unknown number shows no customer: nothing to record.
    unknown = cti_event_apply(
        event="call.offered", call_id="c-2", timestamp=T0, caller="+33700000000", queue=org.queue_a
    )
    assert client.get(reverse("desk:call", args=[unknown.interaction.pk]), **HTMX).status_code == 200
    assert client.get(reverse("desk:customer", args=[999999]), **HTMX).status_code == 404

    assert reads() == [(anne.pk, org.agent_a.pk, "agent_a", "desk")] * 2


def test_the_admin_change_page_is_a_read_and_a_save_is_not(client, org, anne):
    client.force_login(org.admin)
    url = reverse("admin:customers_customer_change", args=[anne.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert f"?customer_id={anne.pk}" in page.content.decode()  # the link to who read it
    assert reads() == [(anne.pk, org.admin.pk, "admin_user", "admin")]
    assert client.get(reverse("admin:customers_customer_change", args=[999999])).status_code == 302
    assert len(reads()) == 1


def test_admins_see_the_audit_read_only_filtered_by_customer_user_and_date(client, org, anne, api_client_for):
    other = customer_create(last_name="Other")
    api_client_for(org.agent_a).get(f"{API}{anne.pk}/")
    api_client_for(org.agent_b).get(f"{API}{other.pk}/timeline/")
    client.force_login(org.admin)
    url = reverse("admin:customers_customerread_changelist")

    listing = client.get(url, {"q": str(anne.pk)})
    assert listing.status_code == 200
    assert [row.username for row in listing.context["cl"].result_list] == ["agent_a"]
    by_user = client.get(url, {"user__id__exact": org.agent_b.pk})
    assert [row.customer_id for row in by_user.context["cl"].result_list] == [other.pk]
    assert client.get(url, {"what__exact": "timeline"}).context["cl"].result_list.count() == 1
    assert client.get(url, {"q": "agent_a"}).context["cl"].result_list.count() == 0
    row = CustomerRead.objects.first()
    assert client.get(reverse("admin:customers_customerread_add")).status_code == 403
    delete = reverse("admin:customers_customerread_delete", args=[row.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert CustomerRead.objects.count() == 2

    client.force_login(org.supervisor_a)
    assert client.get(url).status_code == 403


def test_the_export_lists_who_read_the_customer_without_their_address(org, anne, api_client_for):
    api_client_for(org.agent_a).get(f"{API}{anne.pk}/")
    data = api_client_for(org.admin).get(f"{API}{anne.pk}/export/", REMOTE_ADDR="10.9.9.9").json()

    assert [(read["username"], read["what"]) for read in data["reads"]] == [
        ("agent_a", "detail"),
        ("admin_user", "export"),  # the export itself is a read
    ]
    assert "10.9.9.9" not in str(data) and "ip" not in data["reads"][0]
