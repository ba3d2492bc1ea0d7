"""SPEC §5 and §8: ``interactions/`` as an integration and the agent desktop use it."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse

from contactcenter.core import events as live
from contactcenter.scripts.models import Script, ScriptVersion
from interactions import services
from interactions.api.pagination import Cursor
from interactions.models import Interaction
from tests.concurrency import race, role_groups, run_concurrently  # noqa: F401 (role_groups: a fixture)
from tests.customers.factories import CustomerFactory
from tests.interactions.factories import T0, InteractionFactory, TicketFactory

pytestmark = pytest.mark.django_db

LIST = reverse("interaction-list")


def detail(pk: int) -> str:
    return reverse("interaction-detail", kwargs={"pk": pk})


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def call(**fields) -> dict:
    """The smoke check's call: answered after 10 s, 300 s conversation with 20 s hold, 60 s wrap-up."""
    body = {
        "channel": "voice",
        "direction": "inbound",
        "offered_at": at(0),
        "answered_at": at(10),
        "ended_at": at(310),
        "wrapup_ended_at": at(370),
        "hold_seconds": 20,
    }
    body.update(fields)
    return body


@pytest.fixture
def agent(org, api_client_for):
    return api_client_for(org.agent_a)


@pytest.fixture
def manager(org, api_client_for):
    return api_client_for(org.manager)


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, list[str], dict]]:
    """Live events as they leave after commit: (type, groups, payload)."""
    messages: list[tuple[str, list[str], dict]] = []
    monkeypatch.setattr(
        live, "_send", lambda groups, event_type, payload: messages.append((event_type, groups, payload))
    )
    return messages


class TestLogging:
    def test_every_field_goes_in_and_comes_back_with_the_computed_durations(self, org, agent):
        customer = CustomerFactory()
        ticket = TicketFactory(queue=org.queue_a)
        script = Script.objects.create(name="Welcome")
        version = ScriptVersion.objects.create(script=script, number=1, steps=[])

        response = agent.post(
            LIST,
            call(
                customer=customer.pk,
                agent="agent_a",
                queue="Queue A",
                ticket=ticket.pk,
                disposition="resolved",
                resolved=True,
                notes="Router reset",
                sentiment=0.5,
                script_version=version.pk,
                recording="rec/2026/01/05/1.wav",
                source="pbx",
                external_id="call-1",
            ),
        )

        assert response.status_code == 201, response.data
        data = response.json()
        assert data | {"id": None, "created_at": None, "updated_at": None} == {
            "id": None,
            "channel": "voice",
            "direction": "inbound",
            "customer": customer.pk,
            "agent": "agent_a",
            "queue": "Queue A",
            "ticket": ticket.pk,
            "offered_at": "2026-01-05T09:00:00Z",
            "answered_at": "2026-01-05T09:00:10Z",
            "ended_at": "2026-01-05T09:05:10Z",
            "wrapup_ended_at": "2026-01-05T09:06:10Z",
            "hold_seconds": 20,
            "disposition": "resolved",
            "resolved": True,
            "notes": "Router reset",
            "sentiment": 0.5,
            "sentiment_computed": False,  # supplied, not computed by the analyser
            "script_version": version.pk,
            "recording": "rec/2026/01/05/1.wav",
            "recording_file": None,  # no recording kept by Switchboard yet
            "source": "pbx",
            "external_id": "call-1",
            "wait_seconds": 10.0,
            "talk_seconds": 280.0,
            "handle_seconds": 360.0,
            "abandoned": False,
            "created_at": None,
            "updated_at": None,
        }
        stored = Interaction.objects.get()
        assert (stored.wait_seconds, stored.talk_seconds, stored.handle_seconds) == (10, 280, 360)
        assert stored.history.get().history_user == org.agent_a

    def test_an_unanswered_call_is_abandoned(self, agent):
        response = agent.post(LIST, call(answered_at=None, ended_at=at(40), wrapup_ended_at=None, hold_seconds=0))
        assert response.status_code == 201
        assert response.data["abandoned"] is True
        assert response.data["wait_seconds"] is None and response.data["handle_seconds"] is None

    def test_a_timestamp_with_an_offset_is_stored_as_that_moment_and_given_back_in_utc(self, agent):
        response = agent.post(LIST, call(offered_at="2026-01-05T10:00:00+01:00", answered_at="2026-01-05T09:00:10Z"))
        assert response.status_code == 201, response.data
        assert response.data["offered_at"] == "2026-01-05T09:00:00Z"
        assert response.data["wait_seconds"] == 10

    def test_a_timestamp_without_an_offset_is_refused(self, agent):
        response = agent.post(LIST, call(offered_at="2026-01-05T09:00:00"))
        assert response.status_code == 400
        assert "offset" in response.data["offered_at"][0]
        assert not Interaction.objects.exists()

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"answered_at": at(-1)}, "answered_at", "cannot be answered before it was offered"),
            ({"ended_at": at(5)}, "ended_at", "cannot end before it was answered"),
            ({"ended_at": None}, "wrapup_ended_at", "After-call work cannot end"),
            ({"hold_seconds": 301}, "hold_seconds", "cannot be longer than the time between answer and end"),
            ({"hold_seconds": -1}, "hold_seconds", "greater than or equal to 0"),
            ({"sentiment": 1.5}, "sentiment", "between -1 and 1"),
            ({"channel": "fax"}, "channel", "not a valid choice"),
            ({"offered_at": None}, "offered_at", "may not be null"),
        ],
    )
    def test_impossible_data_is_refused_with_a_message_naming_the_field(self, agent, changes, field, message):
        response = agent.post(LIST, call(**changes))
        assert response.status_code == 400
        assert message in " ".join(str(m) for m in response.data[field])
        assert not Interaction.objects.exists()

    def test_a_new_interaction_is_announced_on_the_wallboard(self, agent, sent, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = agent.post(LIST, call(queue="Queue A"))
        assert [(kind, groups) for kind, groups, _payload in sent] == [("interaction_logged", [live.WALLBOARD_GROUP])]
        assert sent[0][2]["interaction"] == response.data["id"]


class TestExternalId:
    def test_the_same_external_id_again_answers_200_with_the_stored_one_and_creates_nothing(self, agent):
        first = agent.post(LIST, call(queue="Queue A", source="pbx", external_id="call-7", notes="first"))
        again = agent.post(LIST, call(queue="Queue A", source="pbx", external_id="call-7", notes="second"))

        assert (first.status_code, again.status_code) == (201, 200)
        assert again.data == first.data
        assert Interaction.objects.count() == 1
        assert Interaction.objects.get().notes == "first"

    def test_the_same_external_id_from_another_source_is_another_interaction(self, agent):
        assert agent.post(LIST, call(queue="Queue A", source="pbx", external_id="7")).status_code == 201
        assert agent.post(LIST, call(queue="Queue A", source="crm", external_id="7")).status_code == 201
        assert Interaction.objects.count() == 2

    def test_an_empty_external_id_is_no_key(self, agent):
        assert agent.post(LIST, call(source="pbx")).status_code == 201
        assert agent.post(LIST, call(source="pbx")).status_code == 201
        assert Interaction.objects.count() == 2

    def test_an_external_id_stored_out_of_sight_is_refused_without_showing_it(self, org, api_client_for):
        InteractionFactory(queue=org.queue_a, agent=None, source="pbx", external_id="call-9", notes="secret")
        response = api_client_for(org.agent_b).post(LIST, call(source="pbx", external_id="call-9"))
        assert response.status_code == 400
        assert "already exists" in response.data["external_id"][0]
        assert "secret" not in response.content.decode()
        assert Interaction.objects.count() == 1


class TestVisibility:
    def test_objects_out_of_sight_are_as_if_they_did_not_exist(self, org, agent):
        other_teams_ticket = TicketFactory(queue=org.queue_b)
        response = agent.post(LIST, call(ticket=other_teams_ticket.pk, agent="agent_b"))
        assert response.status_code == 400
        assert set(response.data) == {"ticket", "agent"}
        assert not Interaction.objects.exists()

    def test_agents_see_their_own_and_their_queues_interactions(self, org, api_client_for):
        own = InteractionFactory(agent=org.agent_a)
        queue = InteractionFactory(queue=org.queue_a, agent=None)
        other = InteractionFactory(queue=org.queue_b, agent=org.agent_b)

        ids = {row["id"] for row in api_client_for(org.agent_a).get(LIST).data["results"]}
        assert ids == {own.pk, queue.pk}
        assert api_client_for(org.agent_a).get(detail(other.pk)).status_code == 404
        assert {row["id"] for row in api_client_for(org.supervisor_a).get(LIST).data["results"]} == {own.pk, queue.pk}
        assert len(api_client_for(org.manager).get(LIST).data["results"]) == 3

    def test_what_a_user_may_not_see_answers_404_to_a_change(self, org, agent):
        other = InteractionFactory(queue=org.queue_b, agent=org.agent_b, notes="")
        assert agent.patch(detail(other.pk), {"notes": "mine now"}).status_code == 404
        other.refresh_from_db()
        assert other.notes == ""


class TestChanges:
    def test_a_patch_changes_what_it_names_and_keeps_the_rest(self, org, agent):
        interaction = InteractionFactory(queue=org.queue_a, agent=org.agent_a, notes="", hold_seconds=0)
        response = agent.patch(detail(interaction.pk), {"notes": "Called back", "disposition": "callback"})
        assert response.status_code == 200, response.data
        assert (response.data["notes"], response.data["disposition"]) == ("Called back", "callback")
        assert response.data["offered_at"] == "2026-01-05T09:00:00Z"

    def test_a_patch_is_checked_against_the_stored_fields(self, org, manager):
        # The times are the telephony system's: after logging, a supervisor or up corrects them.
        interaction = InteractionFactory(queue=org.queue_a, agent=org.agent_a)
        response = manager.patch(detail(interaction.pk), {"ended_at": at(-60)})
        assert response.status_code == 400
        assert "before it was offered" in response.data["ended_at"][0]
        interaction.refresh_from_db()
        assert interaction.ended_at == T0 + timedelta(seconds=310)

    def test_put_is_not_offered(self, org, agent):
        interaction = InteractionFactory(queue=org.queue_a)
        assert agent.put(detail(interaction.pk), call()).status_code == 405


class TestFilters:
    def test_each_filter_narrows_the_list(self, org, manager):
        customer = CustomerFactory()
        voice = InteractionFactory(customer=customer, agent=org.agent_a, queue=org.queue_a, offered_at=T0)
        chat = InteractionFactory(channel="chat", queue=org.queue_b, offered_at=T0 + timedelta(hours=1))
        late = InteractionFactory(queue=org.queue_b, offered_at=T0 + timedelta(days=1))

        def ids(**params) -> set[int]:
            response = manager.get(LIST, params)
            assert response.status_code == 200, response.data
            return {row["id"] for row in response.data["results"]}

        assert ids(customer=customer.pk) == {voice.pk}
        assert ids(agent="agent_a") == {voice.pk}
        assert ids(queue="Queue B") == {chat.pk, late.pk}
        assert ids(channel="chat") == {chat.pk}
        assert ids(offered_after="2026-01-05T10:00:00Z") == {chat.pk, late.pk}  # inclusive
        assert ids(offered_before="2026-01-05T10:00:00+00:00") == {voice.pk}  # exclusive
        assert ids(offered_after="2026-01-05T10:30:00+01:00", offered_before="2026-01-06T00:00:00Z") == {chat.pk}
        assert ids(queue="No such queue") == set()
        assert ids(offered_after="2026-01-07T05:31:00+20:31") == {late.pk}  # any offset Python reads

    @pytest.mark.parametrize(
        ("param", "value"),
        [
            ("customer", "abc"),
            ("customer", "0"),
            ("channel", "fax"),
            ("offered_after", "yesterday"),
            ("offered_before", "2026-01-05T09:00:00"),
            ("offered_before", "0001-01-01T00:00:00+01:00"),
            ("page_size", "501"),
            ("cursor", "not-a-cursor"),
        ],
    )
    def test_a_bad_value_answers_400_naming_the_filter(self, manager, param, value):
        response = manager.get(LIST, {param: value})
        assert response.status_code == 400
        assert list(response.data) == [param]


class TestCursorPagination:
    def test_the_next_links_walk_every_row_once_newest_first_and_the_previous_links_walk_back(self, manager):
        # 23 rows, many sharing one offered_at: the order is (offered_at, id), newest first.
        rows = [InteractionFactory(offered_at=T0 + timedelta(minutes=i // 4)) for i in range(23)]
        expected = [r.pk for r in sorted(rows, key=lambda r: (r.offered_at, r.pk), reverse=True)]

        pages, url = [], f"{LIST}?page_size=5"
        while url:
            response = manager.get(url)
            assert response.status_code == 200
            pages.append([row["id"] for row in response.data["results"]])
            assert (response.data["previous"] is None) == (len(pages) == 1)
            url = response.data["next"]
        assert [pk for page in pages for pk in page] == expected
        assert [len(page) for page in pages] == [5, 5, 5, 5, 3]

        back, url = [], manager.get(f"{LIST}?page_size=5").data["next"]
        while url:  # to the last page, then back
            last = manager.get(url).data
            url = last["next"]
        url = last["previous"]
        while url:
            response = manager.get(url)
            back.append([row["id"] for row in response.data["results"]])
            url = response.data["previous"]
        assert back == pages[-2::-1]

    def test_rows_arriving_meanwhile_do_not_shift_the_pages(self, manager):
        rows = [InteractionFactory(offered_at=T0 + timedelta(minutes=i)) for i in range(6)]
        first = manager.get(f"{LIST}?page_size=3").data
        InteractionFactory(offered_at=T0 + timedelta(hours=1))  # newer than everything
        second = manager.get(first["next"]).data
        assert [row["id"] for row in second["results"]] == [r.pk for r in rows[2::-1]]
        assert second["next"] is None

    def test_filters_are_kept_along_the_links(self, org, manager):
        for i in range(4):
            InteractionFactory(queue=org.queue_a, offered_at=T0 + timedelta(minutes=i))
            InteractionFactory(queue=org.queue_b, offered_at=T0 + timedelta(minutes=i))
        first = manager.get(LIST, {"queue": "Queue A", "page_size": 3}).data
        second = manager.get(first["next"]).data
        assert {row["queue"] for row in first["results"] + second["results"]} == {"Queue A"}
        assert len(second["results"]) == 1

    def test_a_forged_cursor_is_refused_and_a_real_one_is_opaque(self, manager):
        cursor = Cursor(offered_at=T0, id=1, forward=True)
        assert Cursor.decode(cursor.encode()) == cursor

        def token(data: dict) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()

        for forged in (
            "x",
            cursor.encode()[:-3],
            token({"t": 1}),
            token([]),
            token({"t": "2026-01-05T09:00:00", "i": 1, "f": True}),  # naive
            token({"t": "0001-01-01T00:00:00+01:00", "i": 1, "f": True}),  # before year 1 in UTC
            token({"t": "2026-01-05T09:00:00Z", "i": 2**63, "f": True}),
        ):
            response = manager.get(LIST, {"cursor": forged})
            assert response.status_code == 400, forged
            assert "cursor" in response.data
        exotic_offset = token({"t": "2026-01-05T09:00:00+20:31", "i": 1, "f": True})
        assert manager.get(LIST, {"cursor": exotic_offset}).status_code == 200

    @pytest.mark.parametrize("rows", [1, 60])
    def test_a_page_costs_the_same_queries_for_1_or_60_rows(
        self, org, api_client_for, rows, django_assert_max_num_queries
    ):
        ticket = TicketFactory(queue=org.queue_a)
        for _ in range(rows):
            InteractionFactory(agent=org.agent_a, queue=org.queue_a, ticket=ticket)
        client = api_client_for(org.supervisor_a)
        with django_assert_max_num_queries(4):
            response = client.get(LIST, {"page_size": 100})
        assert len(response.data["results"]) == rows
        first = response.data["results"][0]
        assert (first["agent"], first["queue"], first["ticket"]) == ("agent_a", "Queue A", ticket.pk)


@race
def test_two_requests_with_one_external_id_store_one_interaction(org, api_client_for, monkeypatch):
    original = services.interaction_create

    def slow_create(**fields):
        # Hold the new row uncommitted for a moment: the other request's insert must wait for it.
        with transaction.atomic():
            interaction = original(**fields)
            time.sleep(0.3)
        return interaction

    monkeypatch.setattr(services, "interaction_create", slow_create)
    body = call(queue="Queue A", source="pbx", external_id="call-race")
    clients = [api_client_for(org.agent_a), api_client_for(org.supervisor_a)]

    responses = run_concurrently(*(lambda c=c: c.post(LIST, body, format="json") for c in clients))

    assert sorted(r.status_code for r in responses) == [200, 201]
    assert responses[0].data["id"] == responses[1].data["id"]
    assert Interaction.objects.filter(external_id="call-race").count() == 1
