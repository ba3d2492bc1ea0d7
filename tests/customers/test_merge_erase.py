"""SPEC §5 and §8, data protection: merging duplicates, exporting and erasing a customer.

The erasure is checked down to the database: every text column of every model (history included)
is scanned for the customer's personal data, and on PostgreSQL a ``pg_dump`` of the test database
too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.utils import timezone
from rest_framework.test import APIClient

from contactcenter.agents.models import Role
from contactcenter.core.models import IdempotencyKey
from contactcenter.core.tokens import api_token_issue
from customers.models import ContactPoint, Customer, ErasureRecord
from customers.services import customer_create, customer_erase, customer_merge, customer_update
from interactions.cti import cti_event_apply
from interactions.models import Interaction, SurveyResponse, Ticket, TicketComment
from interactions.services import ticket_comment_add
from tests.agents.factories import AgentProfileFactory, TeamFactory
from tests.interactions.factories import T0, InteractionFactory, SurveyResponseFactory, TicketFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"


def detail(customer: Customer | int, action: str = "") -> str:
    pk = customer if isinstance(customer, int) else customer.pk
    return f"{URL}{pk}/{action + '/' if action else ''}"


@pytest.fixture
def admin():
    return AgentProfileFactory(role=Role.ADMIN).user


@pytest.fixture
def supervisor():
    return AgentProfileFactory(role=Role.SUPERVISOR, team=TeamFactory(name="Lyon")).user


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- Merge -------------------------------------------------------------------------------------


def test_a_merge_moves_everything_onto_the_kept_customer_and_deletes_the_duplicate(supervisor):
    kept = customer_create(
        last_name="Martin", phones=["06 12 34 56 78"], emails=["anne@x.fr"], tags=["vip"], notes="Kept notes"
    )
    duplicate = customer_create(
        first_name="Anne",
        last_name="Martin",
        company="ACME",
        phones=["+33 6 12 34 56 78", "01 70 00 00 00"],
        emails=["anne.martin@acme.fr"],
        tags=["b2b", "vip"],
        notes="Duplicate notes",
        external_id="crm-42",
    )
    customer_update(customer=duplicate, first_name="Annie")  # a history row of the duplicate
    calls = [InteractionFactory(customer=duplicate, offered_at=T0 + timedelta(hours=h)) for h in range(2)]
    survey = SurveyResponseFactory(interaction=calls[0])
    ticket = TicketFactory(customer=duplicate)
    InteractionFactory(customer=kept)

    response = client_for(supervisor).post(detail(kept, "merge"), {"duplicate": duplicate.pk})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["duplicate"] == duplicate.pk
    assert body["customer"]["phones"] == ["+33612345678", "+33170000000"]  # no value twice, kept's primary first
    assert body["customer"]["emails"] == ["anne@x.fr", "anne.martin@acme.fr"]
    assert body["customer"]["tags"] == ["vip", "b2b"]
    assert body["customer"]["notes"].startswith("Kept notes")
    assert "Duplicate notes" in body["customer"]["notes"]
    assert body["customer"]["company"] == "ACME"  # blank on the kept one: filled
    assert body["customer"]["external_id"] == "crm-42"
    assert (body["contact_points_moved"], body["contact_points_already_held"]) == (2, 1)
    assert (body["interactions_moved"], body["tickets_moved"]) == (2, 1)

    assert not Customer.objects.filter(pk=duplicate.pk).exists()
    assert Interaction.objects.filter(customer=kept).count() == 3
    assert SurveyResponse.objects.get(pk=survey.pk).interaction.customer_id == kept.pk
    ticket.refresh_from_db()
    assert ticket.customer_id == kept.pk
    assert ticket.version == 2  # clients holding the old version must re-read it

    # History: the duplicate's rows now belong to the kept customer, and the merge is recorded.
    assert not Customer.history.filter(id=duplicate.pk).exists()
    assert not ContactPoint.history.filter(customer_id=duplicate.pk).exists()
    assert not Interaction.history.filter(customer_id=duplicate.pk).exists()
    kept_history = Customer.history.filter(id=kept.pk)
    assert kept_history.filter(first_name="Annie").exists()
    assert not kept_history.filter(history_type="-").exists()
    latest = kept_history.latest()
    assert latest.history_change_reason == f"Merged customer #{duplicate.pk} into this customer"
    assert latest.history_user == supervisor


def test_a_customer_cannot_be_merged_into_itself(supervisor):
    customer = customer_create(last_name="Martin")
    response = client_for(supervisor).post(detail(customer, "merge"), {"duplicate": customer.pk})
    assert response.status_code == 400
    assert "duplicate" in response.json()
    assert Customer.objects.filter(pk=customer.pk).exists()


@pytest.mark.parametrize("duplicate", [999_999, 0, -1, "x", None, 2**64])
def test_an_unknown_or_malformed_duplicate_answers_400_naming_it(supervisor, duplicate):
    customer = customer_create(last_name="Martin")
    response = client_for(supervisor).post(detail(customer, "merge"), {"duplicate": duplicate}, format="json")
    assert response.status_code == 400
    assert "duplicate" in response.json()


def test_merging_into_an_unknown_customer_answers_404(supervisor):
    duplicate = customer_create(last_name="Martin")
    assert client_for(supervisor).post(detail(999_999, "merge"), {"duplicate": duplicate.pk}).status_code == 404


def test_a_merge_that_cannot_finish_changes_nothing(supervisor):
    kept = customer_create(last_name="Martin", tags=[f"k{i}" for i in range(20)])
    duplicate = customer_create(last_name="Martin", phones=["0612345678"], tags=[f"d{i}" for i in range(20)])
    call = InteractionFactory(customer=duplicate)

    response = client_for(supervisor).post(detail(kept, "merge"), {"duplicate": duplicate.pk})

    assert response.status_code == 400
    assert "tags" in response.json()  # 40 tags: more than a customer may have
    assert Customer.objects.filter(pk=duplicate.pk).exists()
    assert ContactPoint.objects.get(value="+33612345678").customer_id == duplicate.pk
    call.refresh_from_db()
    assert call.customer_id == duplicate.pk


def test_an_erased_customer_is_neither_merged_nor_merged_into(supervisor, admin):
    live, erased = customer_create(last_name="Martin"), customer_create(last_name="Gone")
    customer_erase(customer=erased, by=admin)
    client = client_for(supervisor)
    response = client.post(detail(live, "merge"), {"duplicate": erased.pk})
    assert response.status_code == 400
    assert "duplicate" in response.json()
    response = client.post(detail(erased, "merge"), {"duplicate": live.pk})
    assert response.status_code == 400
    assert Customer.objects.filter(pk=live.pk).exists()


# --- Export ------------------------------------------------------------------------------------


def test_the_export_holds_everything_on_the_customer(admin):
    customer = customer_create(
        first_name="Anne", last_name="Martin", phones=["0612345678"], emails=["anne@x.fr"], notes="Likes tea"
    )
    customer_update(customer=customer, company="ACME")
    call = InteractionFactory(customer=customer, notes="Asked for a refund")
    SurveyResponseFactory(interaction=call, comment="Great agent")
    ticket = TicketFactory(customer=customer, subject="Refund", description="Order 12")
    ticket_comment_add(ticket=ticket, body="Refund sent", author=admin)
    InteractionFactory(customer=customer_create(last_name="Other"), notes="Not hers")

    response = client_for(admin).get(detail(customer, "export"))

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = response.json()
    assert data["customer"]["first_name"] == "Anne"
    assert data["customer"]["notes"] == "Likes tea"
    assert {p["value"] for p in data["contact_points"]} == {"+33612345678", "anne@x.fr"}
    assert [i["notes"] for i in data["interactions"]] == ["Asked for a refund"]
    assert [s["comment"] for s in data["survey_responses"]] == ["Great agent"]
    assert data["tickets"][0]["subject"] == "Refund"
    assert [c["body"] for c in data["tickets"][0]["comments"]] == ["Refund sent"]
    assert [h["company"] for h in data["history"]["customer"]] == ["", "ACME"]
    assert {h["value"] for h in data["history"]["contact_points"]} == {"+33612345678", "anne@x.fr"}
    assert "Not hers" not in json.dumps(data)


# --- Erase -------------------------------------------------------------------------------------

FIRST, LAST, COMPANY = "Zéphyrine", "Quetzalbrune", "Brunehaut Industries"
PHONE, PHONE_TYPED, EMAIL = "+33612345678", "06 12 34 56 78", "zephyrine.q@private-mail.test"
NOTE, CALL_NOTE, SUBJECT = "Allergic to peanuts", "Spoke about her divorce", "Lost card ending 4242"
COMMENT, SURVEY_COMMENT, RECORDING = "Called her husband Gontran", "Gontran was rude", "rec/zephyrine-0001.wav"
# The duplicate merged into her before the erasure: its data must go too.
DUP_FIRST, DUP_EMAIL, DUP_PHONE = "Zephyrinette", "zq.old@private-mail.test", "+33781234567"

NEEDLES = [
    FIRST,
    LAST,
    COMPANY,
    PHONE,
    "0612345678",
    PHONE_TYPED,
    EMAIL,
    NOTE,
    CALL_NOTE,
    SUBJECT,
    COMMENT,
    SURVEY_COMMENT,
    RECORDING,
    DUP_FIRST,
    DUP_EMAIL,
    DUP_PHONE,
    "0781234567",
]


def _personal_customer(admin) -> tuple[Customer, list[Interaction]]:
    """A customer with personal data everywhere: fields, contact points, history, interactions,
    tickets, comments, surveys, a merged duplicate and admin log entries."""
    customer = customer_create(
        first_name=FIRST, last_name=LAST, company=COMPANY, phones=[PHONE_TYPED], emails=[EMAIL], notes=NOTE, by=admin
    )
    customer_update(customer=customer, notes=f"{NOTE}. Second line.", tags=["peanuts"], by=admin)
    customer_update(customer=customer, emails=[EMAIL, "temp@private-mail.test"], by=admin)
    customer_update(customer=customer, emails=[EMAIL], by=admin)  # a deleted contact point, in history
    # The duplicate comes from an integration, with an Idempotency-Key: its answer is stored.
    integration = APIClient()
    integration.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=admin).key}")
    created = integration.post(
        URL,
        {"first_name": DUP_FIRST, "last_name": LAST, "phones": [DUP_PHONE], "emails": [DUP_EMAIL]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="crm-sync-000173",
    )
    assert created.status_code == 201, created.content
    duplicate = Customer.objects.get(pk=created.json()["id"])
    InteractionFactory(customer=duplicate, notes=f"{DUP_FIRST} called", offered_at=T0 - timedelta(days=30))
    customer_merge(customer=customer, duplicate=duplicate, by=admin)

    first = InteractionFactory(customer=customer, notes=CALL_NOTE, recording=RECORDING, offered_at=T0)
    # A call from her number through the telephony system: its events keep the number as received.
    rang = timezone.now() - timedelta(hours=1)
    for event, seconds in (("call.offered", 0), ("call.ended", 30)):
        cti_event_apply(
            event=event,
            call_id="pbx-zq-1",
            timestamp=rang + timedelta(seconds=seconds),
            caller=PHONE_TYPED,
            payload={"event": event, "call_id": "pbx-zq-1", "from": PHONE_TYPED, "to": "3900"},
        )
    assert Interaction.objects.get(external_id="pbx-zq-1").customer_id == customer.pk
    repeat = InteractionFactory(customer=customer, channel="email", offered_at=T0 + timedelta(days=2))
    first.notes = f"{CALL_NOTE} (edited)"
    first.save()  # a second history row with the notes
    SurveyResponseFactory(interaction=first, comment=SURVEY_COMMENT)
    ticket = TicketFactory(customer=customer, subject=SUBJECT, description=f"{FIRST} {LAST} {PHONE}")
    ticket.description += " again"
    ticket.save()
    ticket_comment_add(ticket=ticket, body=COMMENT, author=admin)
    for obj in (customer, ContactPoint.objects.filter(customer=customer).first(), ticket):
        LogEntry.objects.create(
            user=admin,
            content_type=ContentType.objects.get_for_model(obj),
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            action_flag=CHANGE,
            change_message=json.dumps([{"added": {"name": "contact point", "object": PHONE}}]),
        )
    interactions = list(Interaction.objects.filter(customer=customer).order_by("pk"))
    assert [first, repeat] == [i for i in interactions if i.source != "cti"][-2:]
    return customer, interactions


def traces_in_database(needles: list[str]) -> list[str]:
    """Every text, char and JSON column of every model of every installed app (``Historical*``
    and many-to-many tables included) that contains one of ``needles``, case-insensitively."""
    wanted = [needle.lower() for needle in needles]
    found: list[str] = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [
            field
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        for row in model._base_manager.values_list("pk", *(field.attname for field in fields)).iterator():
            for field, value in zip(fields, row[1:], strict=True):
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                text = text.lower()
                found += [f"{model._meta.label}.{field.name} #{row[0]}: {n}" for n in wanted if n in text]
    return found


def test_the_traces_scan_finds_personal_data_before_the_erasure(admin):
    _personal_customer(admin)
    found = traces_in_database(NEEDLES)
    for needle in (FIRST, EMAIL, PHONE, NOTE, DUP_FIRST, SUBJECT, COMMENT, SURVEY_COMMENT):
        assert any(needle.lower() in trace for trace in found), needle
    assert any(trace.startswith("customers.HistoricalCustomer.") for trace in found)
    assert any(trace.startswith("admin.LogEntry.") for trace in found)
    assert any(trace.startswith("interactions.CtiEvent.payload") for trace in found)
    assert any(trace.startswith("contactcenter.IdempotencyKey.response_body") for trace in found)


def test_an_erasure_leaves_no_personal_data_anywhere_in_the_database(admin):
    customer, _interactions = _personal_customer(admin)

    response = client_for(admin).post(detail(customer, "erase"))

    assert response.status_code == 200, response.json()
    assert traces_in_database(NEEDLES) == []
    body = response.json()
    assert body["customer"] == customer.pk
    assert body["erased_by"] == admin.username
    assert body["counts"]["contact_points"] == 4  # hers and the merged duplicate's
    assert body["counts"]["interactions"] >= 2
    assert body["counts"]["history_rows"] > 0
    assert body["counts"]["cti_events"] == 2
    assert body["counts"]["stored_answers"] == 1


def test_an_erasure_keeps_the_interactions_linked_for_the_kpis(admin):
    customer, interactions = _personal_customer(admin)

    customer_erase(customer=customer, by=admin)

    customer.refresh_from_db()
    assert customer.erased_at is not None
    assert (customer.first_name, customer.last_name, customer.notes, customer.tags) == ("", "", "", [])
    assert not customer.contact_points.exists()
    assert list(Interaction.objects.filter(customer=customer).order_by("pk")) == interactions
    # FCR repeat detection still sees the email two days after the call, from the same customer.
    first, repeat = [i for i in interactions if i.source != "cti"][-2:]
    repeats = Interaction.objects.filter(
        customer_id=first.customer_id,
        direction="inbound",
        offered_at__gt=first.offered_at,
        offered_at__lte=first.offered_at + timedelta(days=7),
    )
    assert list(repeats) == [repeat]
    assert SurveyResponse.objects.filter(interaction__customer=customer).count() == 1
    assert Ticket.objects.filter(customer=customer, subject="[erased]").count() == 1
    assert set(TicketComment.objects.filter(ticket__customer=customer).values_list("body", flat=True)) == {"[erased]"}


def test_erasing_twice_answers_200_both_times_and_records_both(admin):
    customer = customer_create(last_name=LAST, phones=["0612345678"])
    client = client_for(admin)
    first = client.post(detail(customer, "erase"))
    customer_update(customer=Customer.objects.get(pk=customer.pk), notes="typed after the erasure")
    second = client.post(detail(customer, "erase"))

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["counts"]["contact_points"] == 1
    assert second.json()["counts"]["contact_points"] == 0
    assert ErasureRecord.objects.filter(customer_id=customer.pk).count() == 2
    assert traces_in_database(["typed after the erasure", "+33612345678", LAST]) == []


def test_an_idempotency_key_quoting_the_customer_is_forgotten(admin):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=admin).key}")
    # A name no factory makes up: "Martin", the commonest French name, may be a user's made-up name.
    body = {"last_name": LAST, "emails": [EMAIL]}
    created = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=f"create-{EMAIL}")
    stored = IdempotencyKey.objects.get()
    assert stored.response_body["id"] == created.json()["id"]

    record = customer_erase(customer=Customer.objects.get(pk=created.json()["id"]), by=admin)

    assert record.counts["stored_answers"] == 1
    assert not IdempotencyKey.objects.exists()
    assert traces_in_database([EMAIL, LAST]) == []


def test_the_erasure_record_holds_no_personal_data(admin):
    customer = customer_create(first_name=FIRST, last_name=LAST, phones=[PHONE])
    record = customer_erase(customer=customer, by=admin)
    text = json.dumps([record.customer_id, record.erased_by_username, record.counts, str(record)])
    assert FIRST not in text and LAST not in text and PHONE not in text


def test_an_erased_customer_no_longer_pops_on_its_old_number(admin):
    customer = customer_create(last_name="Martin", phones=["0612345678"])
    customer_erase(customer=customer, by=admin)
    assert client_for(admin).get(f"{URL}lookup/", {"phone": "0612345678"}).status_code == 404


PG_DUMP = shutil.which("pg_dump")


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump needs PostgreSQL (DATABASE_URL)")
@pytest.mark.skipif(PG_DUMP is None, reason="the pg_dump binary is not installed")
@pytest.mark.django_db(transaction=True)
def test_a_pg_dump_after_an_erasure_holds_no_personal_data():
    # The flush that ends a transactional test empties every table; post_migrate puts back the
    # data that migrations load (role groups, SLA policies, dispositions) for the tests after it.
    # Committed data, or pg_dump (another session) would not see it: hence a transactional test.
    admin = AgentProfileFactory(role=Role.ADMIN).user
    customer, _interactions = _personal_customer(admin)
    settings = connection.settings_dict

    def dump() -> str:
        command = [PG_DUMP, "--data-only", "--no-owner", "--dbname", settings["NAME"]]
        for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
            if settings.get(key):
                command += [option, str(settings[key])]
        env = {**os.environ, "PGPASSWORD": settings.get("PASSWORD") or ""}
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)  # noqa: S603
        if result.returncode != 0 and "version mismatch" in result.stderr:
            pytest.skip(f"pg_dump cannot dump this server: {result.stderr.strip()}")
        assert result.returncode == 0, result.stderr
        return result.stdout.lower()

    before = dump()
    assert FIRST.lower() in before and EMAIL in before  # the dump does see committed data

    customer_erase(customer=customer, by=admin)

    after = dump()
    assert [needle for needle in NEEDLES if needle.lower() in after] == []
