"""The indexes of the two busiest tables: every foreign key still leads an index (its look-ups
and the deletes of what it points at use it), and no key carries a second index of its own."""

from __future__ import annotations

import pytest
from django.db import connection

from interactions.models import Interaction, Ticket

pytestmark = pytest.mark.django_db


def _leading_columns(table: str) -> list[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return [info["columns"][0] for info in constraints.values() if info["index"] and info["columns"]]


@pytest.mark.parametrize("model", [Interaction, Ticket])
def test_every_foreign_key_leads_an_index(model):
    leading = _leading_columns(model._meta.db_table)
    keys = [field.column for field in model._meta.concrete_fields if field.many_to_one]
    assert keys
    assert [key for key in keys if key not in leading] == []


@pytest.mark.parametrize(
    ("model", "keys"),
    [
        (Interaction, ["customer_id", "agent_id", "queue_id", "ticket_id"]),
        (Ticket, ["customer_id", "queue_id", "assignee_id"]),
    ],
)
def test_the_keys_led_by_a_composite_index_have_no_index_of_their_own(model, keys):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    single = [info["columns"][0] for info in constraints.values() if info["index"] and len(info["columns"]) == 1]
    # The contacts of a ticket have one index (``interaction_ticket_idx``), no longer two.
    assert {key: single.count(key) for key in keys} == {
        key: int(model is Interaction and key == "ticket_id") for key in keys
    }
