"""SPEC §5, customers: CRUD, search, screen pop, timeline and who may do what, through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.dateparse import parse_datetime
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from contactcenter.agents.models import Role
from contactcenter.core.tokens import api_token_issue
from customers.models import ContactPoint, Customer
from customers.services import customer_create
from tests.agents.factories import AgentProfileFactory, QueueFactory, TeamFactory, UserFactory
from tests.customers.factories import CustomerFactory, EmailFactory, PhoneFactory
from tests.interactions.factories import T0, InteractionFactory, TicketCommentFactory, TicketFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"


def detail(customer: Customer | int, action: str = "") -> str:
    pk = customer if isinstance(customer, int) else customer.pk
    return f"{URL}{pk}/{action + '/' if action else ''}"


@pytest.fixture
def queue():
    return QueueFactory(name="support")


@pytest.fixture
def agent(queue):
    return AgentProfileFactory(role=Role.AGENT, team=TeamFactory(name="Lyon"), queues=[queue]).user


@pytest.fixture
def supervisor():
    return AgentProfileFactory(role=Role.SUPERVISOR, team=TeamFactory(name="Lyon")).user


@pytest.fixture
def admin():
    return AgentProfileFactory(role=Role.ADMIN).user


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def api(agent) -> APIClient:
    """An agent's client: every role reads and writes customers."""
    return client_for(agent)


def anne() -> Customer:
    return customer_create(
        first_name="Anne",
        last_name="Martin",
        company="ACME SAS",
        phones=["06 12 34 56 78"],
        emails=["Anne.Martin@Example.FR"],
    )


# --- CRUD --------------------------------------------------------------------------------------


def test_a_customer_is_created_with_its_phones_in_e164_and_read_back(api):
    response = api.post(
        URL,
        {
            "first_name": "Anne",
            "last_name": "Martin",
            "company": "ACME",
            "language": "FR",
            "notes": "Prefers mornings",
            "tags": ["vip", " vip ", "b2b"],
            "phones": ["06 12 34 56 78", "+33 1 70 00 00 00", "0033612345678"],
            "emails": ["Anne.Martin@Example.FR"],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["phones"] == ["+33612345678", "+33170000000"]
    assert body["emails"] == ["anne.martin@example.fr"]
    assert body["tags"] == ["vip", "b2b"]
    assert body["language"] == "fr"
    assert set(body) >= {"id", "first_name", "last_name", "company", "notes", "created_at", "updated_at"}
    assert parse_datetime(body["created_at"]).tzinfo is not None  # never naive

    again = api.get(detail(body["id"])).json()
    assert again == body


@pytest.mark.parametrize(
    ("field", "values"),
    [("phones", ["06 12 34 56 78", "not a number"]), ("phones", ["12"]), ("emails", ["anne@", "ok@example.fr"])],
)
def test_a_bad_phone_or_email_answers_400_naming_the_field_and_stores_nothing(api, field, values):
    response = api.post(URL, {"last_name": "Martin", field: values})
    assert response.status_code == 400
    assert field in response.json()
    assert not Customer.objects.exists()
    assert not ContactPoint.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"last_name": "x" * 101},
        {"last_name": "Nul\x00"},
        {"last_name": "Martin", "phones": "0612345678"},
        {"last_name": "Martin", "phones": [None]},
        {"last_name": "Martin", "phones": [{"value": 1}]},
        {"last_name": "Martin", "tags": "vip"},
        {"last_name": "Martin", "tags": ["x" * 51]},
        {"last_name": "Martin", "language": ""},
        {"first_name": "", "last_name": "", "company": ""},
        {"last_name": "Martin", "phones": ["0612345678"] * 21},
    ],
)
def test_malformed_input_answers_400_never_500(api, body):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert not Customer.objects.exists()


def test_a_body_that_is_not_an_object_answers_400(api):
    assert api.post(URL, [1, 2], format="json").status_code == 400
    assert api.post(URL, "{nope", content_type="application/json").status_code == 400


def test_patch_changes_fields_and_replaces_the_phone_list_keeping_history(api):
    customer = customer_create(last_name="Martin", phones=["0612345678", "0170000000"], emails=["a@x.fr"])
    response = api.patch(detail(customer), {"first_name": "Anne", "phones": ["01 70 00 00 00", "07 81 23 45 67"]})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["first_name"] == "Anne"
    assert body["phones"] == ["+33170000000", "+33781234567"]  # the first given is the primary one
    assert body["emails"] == ["a@x.fr"]  # not given: unchanged

    history = ContactPoint.history.filter(customer_id=customer.pk)
    assert history.filter(value="+33612345678", history_type="-").exists()
    assert history.filter(value="+33781234567", history_type="+").exists()
    # The number kept is the same row, now primary.
    kept = ContactPoint.objects.get(customer=customer, value="+33170000000")
    assert kept.is_primary
    assert history.filter(id=kept.pk, history_type="+").count() == 1


def test_patch_with_an_empty_list_removes_every_email(api):
    customer = customer_create(last_name="Martin", emails=["a@x.fr", "b@x.fr"])
    assert api.patch(detail(customer), {"emails": []}).json()["emails"] == []


def test_a_bad_phone_in_a_patch_changes_nothing(api):
    customer = customer_create(last_name="Martin", phones=["0612345678"])
    response = api.patch(detail(customer), {"last_name": "Durand", "phones": ["0170000000", "garbage"]})
    assert response.status_code == 400
    assert "phones" in response.json()
    customer.refresh_from_db()
    assert customer.last_name == "Martin"
    assert list(customer.contact_points.values_list("value", flat=True)) == ["+33612345678"]


def test_put_is_not_offered(api):
    customer = anne()
    assert api.put(detail(customer), {"last_name": "X"}).status_code == 405


def test_an_admin_deletes_a_customer_and_its_interactions_stay(admin):
    customer = anne()
    call = InteractionFactory(customer=customer)
    response = client_for(admin).delete(detail(customer))
    assert response.status_code == 204
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert not ContactPoint.objects.filter(customer_id=customer.pk).exists()
    call.refresh_from_db()
    assert call.customer_id is None


@pytest.mark.parametrize("pk", ["999999", "9" * 30])
def test_an_unknown_customer_answers_404(api, pk):
    assert api.get(f"{URL}{pk}/").status_code == 404
    assert api.get(f"{URL}{pk}/timeline/").status_code == 404


# --- Search ------------------------------------------------------------------------------------


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    "term", ["06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678", "+33612345678", "06.12.34.56.78"]
)
def test_search_by_a_phone_in_any_format_finds_the_customer(api, term):
    wanted = anne()
    customer_create(last_name="Durand", phones=["0698765432"])
    assert ids(api.get(URL, {"search": term})) == [wanted.pk]


@pytest.mark.parametrize(
    "term", ["mart", "MARTIN", "anne martin", "martin anne", "ACME", "acme anne", "anne.martin@", "example.fr"]
)
def test_search_by_part_of_the_name_company_or_email(api, term):
    wanted = anne()
    customer_create(first_name="Jean", last_name="Durand", company="Globex", emails=["jean@globex.com"])
    assert ids(api.get(URL, {"search": term})) == [wanted.pk]


def test_every_word_of_the_search_must_match(api):
    anne()
    assert ids(api.get(URL, {"search": "anne durand"})) == []
    assert ids(api.get(URL, {"search": "0698765432"})) == []  # a phone matches phones only


def test_wildcards_in_a_search_are_taken_literally(api):
    anne()
    assert ids(api.get(URL, {"search": "%"})) == []
    assert ids(api.get(URL, {"search": "_"})) == []


@pytest.mark.parametrize(
    ("term", "field"), [("x" * 201, "search"), ("a b c d e f g h i", "search"), ("ann\x00e", "search")]
)
def test_an_unusable_search_answers_400_naming_search(api, term, field):
    response = api.get(URL, {"search": term})
    assert response.status_code == 400
    assert field in response.json()


def test_the_list_is_paginated_without_count(api):
    for name in ("Alpha", "Bravo", "Charlie"):
        customer_create(last_name=name)
    first = api.get(URL, {"page_size": 2}).json()
    assert set(first) == {"next", "previous", "results"}
    assert [row["last_name"] for row in first["results"]] == ["Alpha", "Bravo"]
    second = api.get(first["next"]).json()
    assert [row["last_name"] for row in second["results"]] == ["Charlie"]
    assert second["next"] is None
    assert api.get(URL, {"page_size": 501}).status_code == 400


def test_erased_customers_are_listed_only_on_request(api, admin):
    kept, erased = anne(), customer_create(last_name="Gone")
    client_for(admin).post(detail(erased, "erase"))
    assert ids(api.get(URL)) == [kept.pk]
    assert ids(api.get(URL, {"erased": "true"})) == [erased.pk]
    assert api.get(URL, {"erased": "maybe"}).status_code == 400


def _customers_with_contacts(count: int) -> None:
    for _ in range(count):
        customer = CustomerFactory()
        PhoneFactory(customer=customer, is_primary=True)
        PhoneFactory(customer=customer)
        EmailFactory(customer=customer)


def _queries(client: APIClient, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.json()
    return len(context.captured_queries)


def test_a_list_of_1_and_of_60_customers_take_the_same_queries(api, django_assert_max_num_queries):
    _customers_with_contacts(1)
    one = _queries(api, URL, {"page_size": 100})
    _customers_with_contacts(59)
    with django_assert_max_num_queries(one):
        response = api.get(URL, {"page_size": 100})
    assert len(response.json()["results"]) == 60
    assert all(len(row["phones"]) == 2 and len(row["emails"]) == 1 for row in response.json()["results"])
    with django_assert_max_num_queries(one):
        api.get(URL, {"page_size": 100, "search": "example.test"})


# --- Screen pop --------------------------------------------------------------------------------


def test_lookup_gives_the_customer_its_open_tickets_and_its_10_last_interactions(api, queue):
    customer = anne()
    for minutes in range(12):
        InteractionFactory(customer=customer, queue=queue, offered_at=T0 + timedelta(minutes=minutes))
    open_ticket = TicketFactory(customer=customer, queue=queue, status="open")
    TicketFactory(customer=customer, queue=queue, status="resolved")

    response = api.get(f"{URL}lookup/", {"phone": "+33 6 12 34 56 78"})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["customer"]["id"] == customer.pk
    assert body["customer"]["phones"] == ["+33612345678"]
    assert [t["id"] for t in body["open_tickets"]] == [open_ticket.pk]
    offered = [i["offered_at"] for i in body["last_interactions"]]
    assert len(offered) == 10
    assert offered == sorted(offered, reverse=True)
    assert body["other_customers"] == []


def test_lookup_of_an_unknown_number_answers_404(api):
    anne()
    response = api.get(f"{URL}lookup/", {"phone": "07 81 23 45 67"})
    assert response.status_code == 404


@pytest.mark.parametrize("phone", ["hello", "12", "+", "0" * 200, "06 12\x00"])
def test_lookup_of_something_that_is_not_a_phone_answers_400_naming_phone(api, phone):
    response = api.get(f"{URL}lookup/", {"phone": phone})
    assert response.status_code == 400
    assert "phone" in response.json()


def test_lookup_without_a_phone_answers_400_naming_phone(api):
    response = api.get(f"{URL}lookup/")
    assert response.status_code == 400
    assert "phone" in response.json()


def test_lookup_shows_only_the_tickets_and_interactions_the_agent_may_see(api, queue):
    customer = anne()
    mine = InteractionFactory(customer=customer, queue=queue)
    InteractionFactory(customer=customer, queue=QueueFactory(name="billing"))
    my_ticket = TicketFactory(customer=customer, queue=queue)
    TicketFactory(customer=customer, queue=QueueFactory(name="billing"))
    body = api.get(f"{URL}lookup/", {"phone": "0612345678"}).json()
    assert [i["id"] for i in body["last_interactions"]] == [mine.pk]
    assert [t["id"] for t in body["open_tickets"]] == [my_ticket.pk]


def test_lookup_takes_the_same_queries_for_1_and_60_rows(admin, django_assert_max_num_queries):
    client = client_for(admin)
    customer = anne()
    InteractionFactory(customer=customer)
    TicketFactory(customer=customer)
    one = _queries(client, f"{URL}lookup/", {"phone": "0612345678"})
    queue = QueueFactory()
    for minutes in range(59):
        InteractionFactory(customer=customer, queue=queue, offered_at=T0 + timedelta(minutes=minutes))
        TicketFactory(customer=customer, queue=queue)
    with django_assert_max_num_queries(one):
        client.get(f"{URL}lookup/", {"phone": "0612345678"})


# --- Timeline ----------------------------------------------------------------------------------


def _at(obj, when) -> None:
    """Backdate ``created_at`` (set by the database on creation)."""
    type(obj).objects.filter(pk=obj.pk).update(created_at=when)


def test_the_timeline_lists_every_channel_newest_first(api, queue):
    customer = anne()
    call = InteractionFactory(customer=customer, queue=queue, channel="voice", offered_at=T0)
    ticket = TicketFactory(customer=customer, queue=queue)
    _at(ticket, T0 + timedelta(hours=1))
    email = InteractionFactory(customer=customer, queue=queue, channel="email", offered_at=T0 + timedelta(hours=2))
    comment = TicketCommentFactory(ticket=ticket, body="Called back")
    _at(comment, T0 + timedelta(hours=3))
    chat = InteractionFactory(customer=customer, queue=queue, channel="chat", offered_at=T0 + timedelta(hours=4))

    body = api.get(detail(customer, "timeline")).json()

    assert [(e["kind"], e["id"]) for e in body["results"]] == [
        ("interaction", chat.pk),
        ("comment", comment.pk),
        ("interaction", email.pk),
        ("ticket", ticket.pk),
        ("interaction", call.pk),
    ]
    assert [e["at"] for e in body["results"]] == sorted((e["at"] for e in body["results"]), reverse=True)
    assert body["results"][0]["channel"] == "chat"
    assert body["results"][1]["body"] == "Called back"
    assert body["results"][1]["ticket_reference"] == ticket.reference
    assert body["results"][3]["reference"] == ticket.reference
    assert body["next"] is None


def test_the_timeline_pages_with_a_cursor_and_loses_nothing(api, queue):
    customer = anne()
    expected = set()
    for minutes in range(7):
        expected.add(("interaction", InteractionFactory(customer=customer, queue=queue, offered_at=T0).pk))
        ticket = TicketFactory(customer=customer, queue=queue)
        _at(ticket, T0 + timedelta(minutes=minutes % 2))
        expected.add(("ticket", ticket.pk))
    seen: list[tuple[str, int]] = []
    url = detail(customer, "timeline") + "?limit=3"
    while url:
        page = api.get(url).json()
        assert len(page["results"]) <= 3
        seen += [(e["kind"], e["id"]) for e in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 14
    assert set(seen) == expected


@pytest.mark.parametrize("params", [{"cursor": "garbage"}, {"cursor": "Zm9vfGJhcnwx"}, {"limit": 0}, {"limit": 201}])
def test_a_bad_timeline_parameter_answers_400(api, params):
    response = api.get(detail(anne(), "timeline"), params)
    assert response.status_code == 400
    assert set(response.json()) <= {"cursor", "limit"}


def test_the_timeline_shows_only_what_the_agent_may_see(api, queue):
    customer = anne()
    mine = InteractionFactory(customer=customer, queue=queue)
    InteractionFactory(customer=customer, queue=QueueFactory(name="billing"))
    hidden_ticket = TicketFactory(customer=customer, queue=QueueFactory(name="billing"))
    TicketCommentFactory(ticket=hidden_ticket)
    body = api.get(detail(customer, "timeline")).json()
    assert [(e["kind"], e["id"]) for e in body["results"]] == [("interaction", mine.pk)]


def test_the_timeline_takes_the_same_queries_for_1_and_60_rows(admin, django_assert_max_num_queries):
    client = client_for(admin)
    customer = anne()
    ticket = TicketFactory(customer=customer)
    TicketCommentFactory(ticket=ticket)
    InteractionFactory(customer=customer)
    one = _queries(client, detail(customer, "timeline"), {"limit": 200})
    queue = QueueFactory()
    for minutes in range(59):
        InteractionFactory(customer=customer, queue=queue, offered_at=T0 + timedelta(minutes=minutes))
        TicketCommentFactory(ticket=TicketFactory(customer=customer, queue=queue))
    with django_assert_max_num_queries(one):
        response = client.get(detail(customer, "timeline"), {"limit": 200})
    assert len(response.json()["results"]) == 180


# --- Access ------------------------------------------------------------------------------------


def test_without_credentials_every_endpoint_answers_401():
    customer = anne()
    client = APIClient()
    assert client.get(URL).status_code == 401
    assert client.post(URL, {"last_name": "X"}).status_code == 401
    assert client.get(f"{URL}lookup/", {"phone": "0612345678"}).status_code == 401
    for action in ("", "timeline", "export"):
        assert client.get(detail(customer, action)).status_code == 401
    for action in ("merge", "erase"):
        assert client.post(detail(customer, action)).status_code == 401


def test_a_token_gives_access():
    user = AgentProfileFactory(role=Role.AGENT).user
    token = api_token_issue(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(URL).status_code == 200


def test_a_user_without_a_role_may_not_read_customers():
    client = client_for(UserFactory())
    assert client.get(URL).status_code == 403


def test_an_agent_may_not_delete_export_erase_or_merge(api):
    customer, other = anne(), customer_create(last_name="Durand")
    assert api.delete(detail(customer)).status_code == 403
    assert api.get(detail(customer, "export")).status_code == 403
    assert api.post(detail(customer, "erase")).status_code == 403
    assert api.post(detail(customer, "merge"), {"duplicate": other.pk}).status_code == 403
    assert Customer.objects.filter(pk__in=[customer.pk, other.pk], erased_at__isnull=True).count() == 2


def test_a_supervisor_may_merge_but_not_erase(supervisor):
    customer, other = anne(), customer_create(last_name="Martin", first_name="A.")
    client = client_for(supervisor)
    assert client.post(detail(customer, "merge"), {"duplicate": other.pk}).status_code == 200
    assert client.post(detail(customer, "erase")).status_code == 403
    assert client.get(detail(customer, "export")).status_code == 403


def test_every_role_reads_and_writes_customers():
    for role in (Role.AGENT, Role.SUPERVISOR, Role.MANAGER, Role.ADMIN):
        client = client_for(AgentProfileFactory(role=role).user)
        created = client.post(URL, {"last_name": f"By {role}", "phones": ["0612345678"]})
        assert created.status_code == 201
        assert client.patch(detail(created.json()["id"]), {"first_name": "X"}).status_code == 200


# --- Schema ------------------------------------------------------------------------------------


def test_every_customer_endpoint_is_in_the_openapi_schema_with_its_errors():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    paths = {path: ops for path, ops in schema["paths"].items() if path.startswith("/api/v1/customers/")}
    assert set(paths) == {
        "/api/v1/customers/",
        "/api/v1/customers/{id}/",
        "/api/v1/customers/lookup/",
        "/api/v1/customers/{id}/timeline/",
        "/api/v1/customers/{id}/merge/",
        "/api/v1/customers/{id}/export/",
        "/api/v1/customers/{id}/erase/",
    }
    for path, operations in paths.items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "403"} <= codes, (method, path)
            if "{id}" in path:
                assert "404" in codes, (method, path)
            if method in ("post", "patch") or path.endswith(("/customers/", "lookup/", "timeline/")):
                assert "400" in codes, (method, path)
