"""Hot-path queries compiled once (contactcenter/core/compiled.py): the same rows and objects as
the ORM, one query each, constants kept, misuse refused when compiling."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from contactcenter.agents.models import AgentProfile
from contactcenter.agents.states import agent_lock, agent_try_lock
from contactcenter.core.compiled import (
    SAMPLE_TIME,
    CompiledQuery,
    CompiledRows,
    Many,
    ViewerQuery,
    attach_prefetched,
    fetch_together,
    insert_row,
    insert_row_if_new,
)
from contactcenter.core.roles import role_of
from contactcenter.core.tokens import api_token_find, api_token_issue
from contactcenter.quality.models import EvaluatorTeam
from customers.models import ContactPoint, Customer, CustomerRead
from customers.selectors import customer_detail, customer_queryset
from customers.services import customer_create
from interactions.contacts import _OPEN_CONTACTS, _open_contacts_counts
from interactions.models import CtiCall, Interaction, ReferenceCounter, Ticket
from tests.agents.factories import AgentProfileFactory, UserFactory
from tests.interactions.factories import InteractionFactory, TicketFactory

pytestmark = pytest.mark.django_db

PROFILES = CompiledQuery(
    lambda team_id, role: (
        AgentProfile.objects.select_related("user", "team")
        .filter(team_id=team_id, role=role, user__is_active=True)
        .annotate(label=Concat(F("user__username"), Value("@"), F("team__name")))
        .order_by("user__username")
    ),
    samples=[-7_900_001, "\x00role"],
)


def test_the_rows_and_related_objects_are_the_orms(org, django_assert_num_queries):
    expected = list(
        AgentProfile.objects.select_related("user", "team")
        .filter(team_id=org.team_a.pk, role="agent", user__is_active=True)
        .order_by("user__username")
    )
    assert expected
    PROFILES.fetch(org.team_a.pk, "agent")  # compiles (and reads) once
    with django_assert_num_queries(1):
        found = PROFILES.fetch(org.team_a.pk, "agent")
        # select_related objects came with the row: reading them costs nothing.
        names = [(p.user.username, p.team.name, p.label) for p in found]
    assert [p.pk for p in found] == [p.pk for p in expected]
    assert names == [(p.user.username, p.team.name, f"{p.user.username}@{p.team.name}") for p in expected]
    # Other values, the same compiled SQL: another team, another role, nothing.
    assert [p.pk for p in PROFILES.fetch(org.team_b.pk, "agent")] == list(
        AgentProfile.objects.filter(team_id=org.team_b.pk, role="agent")
        .order_by("user__username")
        .values_list("pk", flat=True)
    )
    assert PROFILES.fetch(org.team_a.pk, "nobody") == []
    assert PROFILES.first(org.team_a.pk, "nobody") is None


def test_a_parameter_that_is_no_sample_is_a_constant(org):
    active = CompiledQuery(lambda pk: AgentProfile.objects.filter(pk=pk, user__is_active=True), samples=[-7_900_002])
    profile = AgentProfile.objects.get(user=org.agent_a)
    assert active.first(profile.pk).pk == profile.pk
    org.agent_a.is_active = False
    org.agent_a.save(update_fields=["is_active"])
    assert active.first(profile.pk) is None


def test_misuse_is_refused_when_compiling(org):
    with pytest.raises(ImproperlyConfigured, match="not parameters"):
        CompiledQuery(lambda name: Customer.objects.filter(last_name__icontains=name), samples=["\x00n"]).fetch("x")
    with pytest.raises(ImproperlyConfigured, match="prefetches"):
        CompiledQuery(lambda pk: customer_queryset(user=org.agent_a).filter(pk=pk), samples=[-7_900_003]).fetch(1)
    with pytest.raises(ImproperlyConfigured, match="distinct"):
        CompiledQuery(lambda a, b: Customer.objects.filter(pk=a, id=b), samples=[-1, -1])
    with pytest.raises(TypeError):
        PROFILES.fetch(1)


def test_the_token_lookup_reads_the_user_profile_and_team_at_once(org, django_assert_num_queries):
    key = api_token_issue(user=org.agent_a).key
    api_token_find(key=key)
    with django_assert_num_queries(1):
        token = api_token_find(key=key)
        assert (token.user.username, token.user.agent_profile.team.name) == ("agent_a", org.team_a.name)
    assert api_token_find(key=key + "x") is None
    token.expires_at = timezone.now() - timedelta(seconds=1)
    token.save(update_fields=["expires_at"])
    assert api_token_find(key=key) is None


def test_the_customer_detail_is_the_querysets_customer_with_its_points(org, django_assert_num_queries):
    customer = customer_create(
        first_name="Anne", last_name="Martin", phones=["06 12 34 56 78", "01 70 00 00 00"], emails=["a@x.org"], by=None
    )
    ContactPoint.objects.create(customer=customer, kind="social", value="@anne")
    expected = customer_queryset(user=org.agent_a).get(pk=customer.pk)
    customer_detail(user=org.agent_a, pk=customer.pk)
    with django_assert_num_queries(2):
        found = customer_detail(user=org.agent_a, pk=customer.pk)
        points = [(p.kind, p.value, p.is_primary) for p in found.contact_points.all()]
    assert points == [(p.kind, p.value, p.is_primary) for p in expected.contact_points.all()]
    assert [kind for kind, _value, _primary in points] == ["phone", "email", "phone"]
    assert customer_detail(user=org.agent_a, pk=customer.pk + 1000) is None
    assert customer_detail(user=org.agent_a, pk=2**63) is None  # past bigint: no query, no error
    assert customer_detail(user=org.nobody, pk=customer.pk) is None


def test_attached_rows_answer_all_and_a_filter_still_queries(org, django_assert_num_queries):
    customer = customer_create(first_name="Bob", last_name="Durand", phones=["06 98 76 54 32"], by=None)
    found = Customer.objects.get(pk=customer.pk)
    attach_prefetched(found, "contact_points", [])
    with django_assert_num_queries(0):
        assert list(found.contact_points.all()) == []
    with django_assert_num_queries(1):
        assert found.contact_points.filter(kind="phone").count() == 1


def test_insert_row_writes_one_row_in_one_query(org, django_assert_num_queries):
    now = timezone.now()
    with django_assert_num_queries(1):
        insert_row(
            CustomerRead,
            customer_id=42,
            user_id=org.agent_a.pk,
            username="agent_a",
            what="detail",
            read_at=now,
            ip=None,
            request_id="",
        )
    row = CustomerRead.objects.get(customer_id=42)
    assert (row.user_id, row.username, row.what, row.read_at, row.ip) == (
        org.agent_a.pk,
        "agent_a",
        "detail",
        now,
        None,
    )


def test_insert_row_if_new_inserts_once_and_says_so(django_assert_num_queries):
    before = timezone.now()
    call = CtiCall(call_id="call-42", caller="0612345678")
    with django_assert_num_queries(1):
        assert insert_row_if_new(call, unique=["call_id"]) is True
    stored = CtiCall.objects.get(call_id="call-42")
    assert (stored.pk, stored.caller, stored._state.adding) == (call.pk, "0612345678", False)
    assert call._state.adding is False
    assert before <= stored.created_at <= stored.updated_at  # filled as save() fills them

    again = CtiCall(call_id="call-42", caller="other")
    with django_assert_num_queries(1):
        assert insert_row_if_new(again, unique=["call_id"]) is False
    assert again.pk is None
    assert CtiCall.objects.get(call_id="call-42").caller == "0612345678"  # the first row stands


def test_insert_row_if_new_needs_an_auto_primary_key():
    with pytest.raises(ImproperlyConfigured):
        insert_row_if_new(ReferenceCounter(name="ticket"), unique=["name"])


def test_on_postgresql_a_lookup_run_again_is_prepared_once_per_connection(org):
    """DATABASE_PREPARED (on with the pool): the token lookup every API request makes is planned
    once per connection, then run by name."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's (DATABASE_URL)")
    key = api_token_issue(user=org.agent_a).key
    for _ in range(3):
        assert api_token_find(key=key) is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s AND statement LIKE %s",
            ["%contactcenter_apitoken%", "%digest%"],
        )
        assert cursor.fetchone()[0] == 1


def test_compiled_rows_are_the_orms_values_with_their_converters(org, django_assert_num_queries):
    rows = CompiledRows(
        lambda team_id: (
            AgentProfile.objects.filter(team_id=team_id)
            .annotate(since=F("status_since"))
            .order_by("user__username")
            .values_list("user__username", "since", "role")
        ),
        samples=[-7_900_011],
    )
    expected = list(
        AgentProfile.objects.filter(team_id=org.team_a.pk)
        .order_by("user__username")
        .values_list("user__username", "status_since", "role")
    )
    with django_assert_num_queries(1):
        assert rows.fetch(org.team_a.pk) == expected
    assert rows.fetch(-1) == []
    # The agent state machine's open contacts: one query, the ORM's own counts.
    agent = org.agent_a.pk
    orm = list(_open_contacts_counts(agent))
    with django_assert_num_queries(1):
        assert _OPEN_CONTACTS_FOR(agent) == orm == [(0, 0, 0)]
    with pytest.raises(ImproperlyConfigured, match="values_list"):
        CompiledRows(lambda pk: AgentProfile.objects.filter(pk=pk), samples=[-7_900_012]).fetch(1)


def _OPEN_CONTACTS_FOR(agent_id: int) -> list[tuple]:
    return _OPEN_CONTACTS.fetch(agent_id)


def test_an_agents_lock_is_the_orms_profile_with_its_user(org, django_assert_num_queries):
    with transaction.atomic():
        with django_assert_num_queries(1):
            locked = agent_lock(user_id=org.agent_a.pk)
            assert locked.user.username == "agent_a"
        assert locked == AgentProfile.objects.get(user=org.agent_a)
        assert agent_try_lock(user_id=org.agent_b.pk).user_id == org.agent_b.pk
        assert agent_lock(user_id=org.nobody.pk) is None


PROFILES_IN = CompiledRows(
    lambda ids, since: (
        AgentProfile.objects.filter(pk__in=ids, status_since__lte=since)
        .order_by("pk")
        .values_list("pk", "status_since")
    ),
    samples=[Many(-7_900_100), SAMPLE_TIME],
)


def test_a_list_of_ids_compiles_once_per_length_and_a_time_is_a_parameter(org, django_assert_num_queries):
    ids = list(AgentProfile.objects.order_by("pk").values_list("pk", flat=True))
    assert len(ids) >= 3
    later = timezone.now() + timedelta(days=1)
    for chosen in (ids[:1], ids[:3], ids[1:3], ids[:3] + ids[:1]):  # the last one repeats an id
        expected = list(
            AgentProfile.objects.filter(pk__in=chosen, status_since__lte=later)
            .order_by("pk")
            .values_list("pk", "status_since")
        )
        with django_assert_num_queries(1):
            assert PROFILES_IN.fetch(chosen, later) == expected
    # The time is the query's, not compiled in: before every status began, nobody.
    assert PROFILES_IN.fetch(ids[:3], timezone.now() - timedelta(days=3650)) == []
    # An empty list finds nothing without asking the database, as the ORM does.
    with django_assert_num_queries(0):
        assert PROFILES_IN.fetch([], later) == []
    assert {key[1] for key in PROFILES_IN._compiled} >= {(1,), (3,), (2,)}


def test_a_compiled_lock_of_a_list_is_the_orms(org, django_assert_num_queries):
    locks = CompiledQuery(
        lambda ids: AgentProfile.objects.select_for_update().filter(pk__in=ids).order_by("pk"),
        samples=[Many(-7_900_200)],
    )
    ids = list(AgentProfile.objects.order_by("pk").values_list("pk", flat=True)[:2])
    with transaction.atomic(), django_assert_num_queries(1):
        assert [profile.pk for profile in locks.fetch(ids)] == ids


VISIBLE_CONTACTS: ViewerQuery[Interaction] = ViewerQuery(
    lambda viewer, customer_id: (
        Interaction.objects.visible_to(viewer)
        .filter(customer_id=customer_id)
        .select_related("agent", "queue")
        .order_by("-offered_at", "-id")
    ),
    samples=[-7_900_101],
)
VISIBLE_TICKET_IDS = ViewerQuery(
    lambda viewer, customer_id: (
        Ticket.objects.visible_to(viewer)
        .filter(customer_id=customer_id)
        .order_by("id")
        .values_list("id", "queue__name")
    ),
    samples=[-7_900_102],
    rows=True,
)


def test_a_viewer_query_shows_each_user_what_visible_to_shows_them(org, django_assert_num_queries):
    """One compiled form per kind of viewer, run with each user's own ids: every role, a
    supervisor without a team, a QA evaluator, a superuser without a profile and a user without a
    role each get exactly the rows of the ORM's ``visible_to``."""
    customer = customer_create(first_name="Anne", last_name="Martin", phones=["0612345678"])
    other = customer_create(first_name="Paul", last_name="Durand")
    teamless = AgentProfileFactory(user__username="supervisor_x", role="supervisor", team=None).user
    evaluator = AgentProfileFactory(user__username="qa", role="quality", team=None).user
    EvaluatorTeam.objects.create(user=evaluator, team=org.team_b)
    root = UserFactory(username="root")
    root.is_superuser = True
    root.save()
    for agent, queue in ((org.agent_a, org.queue_a), (org.agent_b, org.queue_b), (None, org.queue_b)):
        for owner in (customer, other):
            InteractionFactory(customer=owner, agent=agent, queue=queue)
            TicketFactory(customer=owner, assignee=agent, queue=queue)
    InteractionFactory(customer=customer, agent=org.supervisor_a, queue=None)
    viewers = [org.agent_a, org.agent_b, org.supervisor_a, teamless, evaluator, org.manager, org.admin, root]
    seen = set()
    for viewer in viewers:
        expected = list(
            Interaction.objects.visible_to(viewer)
            .filter(customer=customer)
            .select_related("agent", "queue")
            .order_by("-offered_at", "-id")
        )
        found = VISIBLE_CONTACTS.fetch(viewer, customer.pk)
        assert [i.pk for i in found] == [i.pk for i in expected], viewer.username
        with django_assert_num_queries(0):  # joined with the row
            assert [(i.agent_id and i.agent.username, i.queue_id and i.queue.name) for i in found] == [
                (i.agent_id and i.agent.username, i.queue_id and i.queue.name) for i in expected
            ]
        expected_tickets = list(
            Ticket.objects.visible_to(viewer).filter(customer=customer).order_by("id").values_list("id", "queue__name")
        )
        assert VISIBLE_TICKET_IDS.fetch(viewer, customer.pk) == expected_tickets, viewer.username
        seen.add(tuple(i.pk for i in expected))
        with django_assert_num_queries(1):  # compiled once per kind of viewer: one query now
            assert VISIBLE_CONTACTS.first(viewer, customer.pk) == (found[0] if found else None)
    assert len(seen) >= 4  # the viewers do see different things
    # A user without a role sees nothing, and no query is run to say so (once their profile, or
    # its absence, is known, as a request's user's is).
    assert role_of(org.nobody) is None
    with django_assert_num_queries(0):
        assert VISIBLE_CONTACTS.fetch(org.nobody, customer.pk) == []
        assert VISIBLE_TICKET_IDS.fetch(org.nobody, customer.pk) == []


def _note_pipeline(pipelined: list[bool], execute, sql, params, many, context):
    """An execute wrapper noting whether each statement left inside a psycopg pipeline."""
    pipelined.append(getattr(connection.connection, "_pipeline", None) is not None)
    return execute(sql, params, many, context)


def test_fetches_together_give_each_fetchs_rows_one_query_each(org, django_assert_num_queries):
    """:func:`fetch_together`: each fetch's own rows (objects, tuples, a viewer's), in the order
    given, as many queries as fetches that can match something; on PostgreSQL every statement
    leaves inside one pipeline (one round trip)."""
    customer = customer_create(first_name="Anne", last_name="Martin", phones=["0612345678"])
    for agent, queue in ((org.agent_a, org.queue_a), (org.agent_b, org.queue_b)):
        InteractionFactory(customer=customer, agent=agent, queue=queue)
        TicketFactory(customer=customer, assignee=agent, queue=queue)
    for viewer in (org.agent_a, org.supervisor_a, org.manager):
        alone = (
            VISIBLE_CONTACTS.fetch(viewer, customer.pk),
            VISIBLE_TICKET_IDS.fetch(viewer, customer.pk),
            PROFILES.fetch(org.team_a.pk, "agent"),
        )
        pipelined: list[bool] = []
        with django_assert_num_queries(3), connection.execute_wrapper(partial(_note_pipeline, pipelined)):
            contacts, tickets, profiles = fetch_together(
                VISIBLE_CONTACTS.later(viewer, customer.pk),
                VISIBLE_TICKET_IDS.later(viewer, customer.pk),
                PROFILES.later(org.team_a.pk, "agent"),
            )
        assert [i.pk for i in contacts] == [i.pk for i in alone[0]], viewer.username
        assert [(i.agent_id, i.queue.name) for i in contacts] == [(i.agent_id, i.queue.name) for i in alone[0]]
        assert tickets == alone[1] and [p.pk for p in profiles] == [p.pk for p in alone[2]]
        assert pipelined == [connection.vendor == "postgresql"] * 3
    # A fetch that can match nothing runs no query and finds nothing; one fetch alone is one query.
    assert role_of(org.nobody) is None  # (their missing profile read once, as a request's user's is)
    with django_assert_num_queries(1):
        nothing, contacts = fetch_together(
            VISIBLE_CONTACTS.later(org.nobody, customer.pk), VISIBLE_CONTACTS.later(org.manager, customer.pk)
        )
    assert nothing == [] and len(contacts) == 2
    assert fetch_together() == []
    # A pipeline leaves the connection as it found it: the next query runs as usual.
    assert Customer.objects.filter(pk=customer.pk).exists()
