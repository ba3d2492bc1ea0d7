"""SPEC §3 and §5: ``tickets/`` and ``tickets/{id}/comments/``: SLA due times, the status workflow,
versions and 409, assignment rules, first responses, and what each role sees."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from contactcenter.core import events as live
from interactions import services
from interactions.models import SlaPolicy, Ticket, TicketCategory, TicketComment
from tests.agents.factories import AgentProfileFactory
from tests.concurrency import race, role_groups, run_concurrently  # noqa: F401 (role_groups: a fixture)
from tests.customers.factories import CustomerFactory
from tests.interactions.factories import TicketCommentFactory, TicketFactory

pytestmark = pytest.mark.django_db

LIST = reverse("ticket-list")


def detail(pk: int) -> str:
    return reverse("ticket-detail", kwargs={"pk": pk})


def comments(pk: int) -> str:
    return reverse("ticket-comment-list", kwargs={"ticket_pk": pk})


@pytest.fixture
def agent(org, api_client_for):
    return api_client_for(org.agent_a)


@pytest.fixture
def supervisor(org, api_client_for):
    return api_client_for(org.supervisor_a)


@pytest.fixture
def manager(org, api_client_for):
    return api_client_for(org.manager)


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, list[str], dict]]:
    """Live events as they leave after commit: (type, groups, payload)."""
    messages: list[tuple[str, list[str], dict]] = []
    monkeypatch.setattr(live, "_send", lambda groups, kind, payload: messages.append((kind, groups, payload)))
    return messages


def open_ticket(client, **fields) -> dict:
    response = client.post(LIST, {"subject": "Router down", "queue": "Queue A", **fields})
    assert response.status_code == 201, response.data
    return response.data


class TestOpening:
    def test_a_new_ticket_gets_a_reference_version_1_and_due_times_from_its_priority(self, org, agent):
        customer = CustomerFactory()
        data = open_ticket(agent, customer=customer.pk, priority="urgent", category="Billing", description="No sync")

        assert data["reference"].startswith("T-") and data["version"] == 1
        assert (data["status"], data["priority"], data["category"], data["queue"]) == (
            "new",
            "urgent",
            "Billing",
            "Queue A",
        )
        assert (data["customer"], data["assignee"], data["first_responded_at"], data["resolved_at"]) == (
            customer.pk,
            None,
            None,
            None,
        )
        ticket = Ticket.objects.get(pk=data["id"])
        assert ticket.sla_policy == SlaPolicy.objects.get(priority="urgent")
        assert parse_datetime(data["first_response_due"]) == ticket.first_response_due
        assert data["first_response_due"].endswith("Z")
        assert ticket.first_response_due < ticket.resolution_due
        assert ticket.history.get().history_user == org.agent_a

    def test_a_ticket_starts_new_open_or_pending(self, agent):
        assert open_ticket(agent, status="open")["status"] == "open"
        response = agent.post(LIST, {"subject": "Done already", "status": "resolved"})
        assert response.status_code == 400 and "status" in response.data

    def test_a_subject_is_required(self, agent):
        response = agent.post(LIST, {"subject": "  "})
        assert response.status_code == 400 and "subject" in response.data
        assert not Ticket.objects.exists()

    def test_an_assignee_gets_told(self, agent, sent, django_capture_on_commit_callbacks, org):
        with django_capture_on_commit_callbacks(execute=True):
            data = open_ticket(agent, assignee="agent_a")
        assert data["assignee"] == "agent_a"
        assert [(kind, groups) for kind, groups, _ in sent] == [("ticket_assigned", [live.agent_group(org.agent_a.pk)])]


class TestVersions:
    def test_a_patch_without_the_version_read_is_refused(self, org, agent):
        ticket = TicketFactory(queue=org.queue_a)
        response = agent.patch(detail(ticket.pk), {"priority": "high"})
        assert response.status_code == 400
        assert "version" in response.data
        ticket.refresh_from_db()
        assert (ticket.priority, ticket.version) == ("normal", 1)

    def test_a_stale_version_answers_409_with_the_current_one_and_changes_nothing(self, org, agent):
        ticket = TicketFactory(queue=org.queue_a)
        assert agent.patch(detail(ticket.pk), {"version": 1, "subject": "First edit"}).status_code == 200

        response = agent.patch(detail(ticket.pk), {"version": 1, "subject": "Second edit", "priority": "urgent"})

        assert response.status_code == 409
        assert response.data["version"] == 2
        ticket.refresh_from_db()
        assert (ticket.subject, ticket.priority, ticket.version) == ("First edit", "normal", 2)

    def test_each_change_raises_the_version_and_a_priority_change_moves_the_due_times(self, agent):
        data = open_ticket(agent, priority="low")
        response = agent.patch(detail(data["id"]), {"version": 1, "priority": "urgent"})
        assert response.status_code == 200, response.data
        assert response.data["version"] == 2
        assert response.data["resolution_due"] < data["resolution_due"]

    def test_a_patch_that_changes_nothing_keeps_the_version(self, agent):
        data = open_ticket(agent, priority="high")
        response = agent.patch(detail(data["id"]), {"version": 1, "priority": "high", "subject": "Router down"})
        assert response.status_code == 200
        assert response.data["version"] == 1

    def test_comments_stamp_the_first_response_without_raising_the_version(self, org, agent):
        # SPEC §5 (and the contract smoke check): a client that read version 1, then replied
        # publicly, still saves its change with version 1.
        ticket = TicketFactory(queue=org.queue_a)
        agent.post(comments(ticket.pk), {"body": "Internal note"})
        ticket.refresh_from_db()
        assert (ticket.version, ticket.first_responded_at) == (1, None)

        reply = agent.post(comments(ticket.pk), {"body": "Hello, we are on it", "public": True})
        agent.post(comments(ticket.pk), {"body": "Update", "public": True})

        ticket.refresh_from_db()
        assert ticket.version == 1
        assert ticket.first_responded_at == parse_datetime(reply.data["created_at"])
        assert agent.patch(detail(ticket.pk), {"version": 1, "status": "open"}).status_code == 200
        assert agent.patch(detail(ticket.pk), {"version": 1, "status": "pending"}).status_code == 409


@race
def test_two_concurrent_patches_with_one_version_let_one_win_and_the_other_409(org, api_client_for, monkeypatch):
    ticket = TicketFactory(queue=org.queue_a)
    original = services.ticket_save_changes

    def slow_save(**kwargs):
        time.sleep(0.3)  # holding the row lock: the other request waits for it, then sees version 2
        return original(**kwargs)

    monkeypatch.setattr(services, "ticket_save_changes", slow_save)
    edits = [("agent_a", {"subject": "Edited by the agent"}), ("supervisor_a", {"priority": "urgent"})]
    users = {"agent_a": org.agent_a, "supervisor_a": org.supervisor_a}

    responses = run_concurrently(
        *(
            lambda who=who, body=body: api_client_for(users[who]).patch(
                detail(ticket.pk), {"version": 1, **body}, format="json"
            )
            for who, body in edits
        )
    )

    assert sorted(r.status_code for r in responses) == [200, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.data["version"] == 2
    ticket.refresh_from_db()
    assert ticket.version == 2
    winner_edit = edits[[r.status_code for r in responses].index(200)][1]
    assert (ticket.subject == "Edited by the agent") == ("subject" in winner_edit)
    assert (ticket.priority == "urgent") == ("priority" in winner_edit)


class TestWorkflow:
    @pytest.mark.parametrize(
        ("path", "refused"),
        [
            (["open", "pending", "open", "resolved", "closed"], None),
            (["resolved", "open"], None),  # reopening a resolved ticket goes to open
            (["closed", "open"], None),  # so does reopening a closed one
            (["pending", "resolved", "closed"], None),
            (["closed", "new"], "new"),
            (["open", "new"], "new"),
            (["resolved", "pending"], "pending"),
            (["closed", "resolved"], "resolved"),
        ],
    )
    def test_status_moves_follow_the_workflow(self, agent, path, refused):
        data = open_ticket(agent)
        version = 1
        for status in path:
            response = agent.patch(detail(data["id"]), {"version": version, "status": status})
            if status == refused:
                assert response.status_code == 400
                assert "cannot go from" in response.data["status"][0]
                return
            assert response.status_code == 200, response.data
            version = response.data["version"]
        assert refused is None

    def test_resolving_stamps_the_time_and_reopening_clears_it(self, agent):
        data = open_ticket(agent)
        resolved = agent.patch(detail(data["id"]), {"version": 1, "status": "resolved"}).data
        assert resolved["resolved_at"] is not None
        reopened = agent.patch(detail(data["id"]), {"version": 2, "status": "open"}).data
        assert (reopened["status"], reopened["resolved_at"]) == ("open", None)


class TestAssignment:
    def test_an_agent_takes_an_unassigned_ticket_and_gives_it_back(self, org, agent):
        ticket = TicketFactory(queue=org.queue_a)
        response = agent.patch(detail(ticket.pk), {"version": 1, "assignee": "agent_a"})
        assert response.status_code == 200 and response.data["assignee"] == "agent_a"
        response = agent.patch(detail(ticket.pk), {"version": 2, "assignee": None})
        assert response.status_code == 200 and response.data["assignee"] is None

    def test_an_agent_cannot_assign_someone_else_nor_take_someone_elses_ticket(self, org, agent):
        colleague = AgentProfileFactory(team=org.team_a, queues=[org.queue_a]).user
        ticket = TicketFactory(queue=org.queue_a)
        response = agent.patch(detail(ticket.pk), {"version": 1, "assignee": colleague.username})
        assert response.status_code == 400 and "yourself" in response.data["assignee"][0]

        theirs = TicketFactory(queue=org.queue_a, assignee=colleague)
        response = agent.patch(detail(theirs.pk), {"version": 1, "assignee": "agent_a"})
        assert response.status_code == 400 and "supervisor" in response.data["assignee"][0]
        assert agent.patch(detail(theirs.pk), {"version": 1, "assignee": None}).status_code == 400
        theirs.refresh_from_db()
        assert (theirs.assignee, theirs.version) == (colleague, 1)

    def test_a_supervisor_reassigns_within_the_team_only(self, org, supervisor):
        ticket = TicketFactory(queue=org.queue_a, assignee=org.agent_a)
        colleague = AgentProfileFactory(team=org.team_a).user
        response = supervisor.patch(detail(ticket.pk), {"version": 1, "assignee": colleague.username})
        assert response.status_code == 200 and response.data["assignee"] == colleague.username

        response = supervisor.patch(detail(ticket.pk), {"version": 2, "assignee": "agent_b"})
        assert response.status_code == 400
        assert "not in your team" in response.data["assignee"][0]

    def test_managers_assign_anyone_but_only_agents(self, org, manager):
        ticket = TicketFactory(queue=org.queue_a)
        response = manager.patch(detail(ticket.pk), {"version": 1, "assignee": "agent_b"})
        assert response.status_code == 200 and response.data["assignee"] == "agent_b"
        response = manager.patch(detail(ticket.pk), {"version": 2, "assignee": "nobody"})
        assert response.status_code == 400 and "assignee" in response.data

    def test_the_new_assignee_is_told_and_the_assignee_hears_of_changes(
        self, org, supervisor, sent, django_capture_on_commit_callbacks
    ):
        ticket = TicketFactory(queue=org.queue_a)
        with django_capture_on_commit_callbacks(execute=True):
            supervisor.patch(detail(ticket.pk), {"version": 1, "assignee": "agent_a"})
            supervisor.patch(detail(ticket.pk), {"version": 2, "priority": "high"})
        assert [(kind, groups, payload["version"]) for kind, groups, payload in sent] == [
            ("ticket_assigned", [live.agent_group(org.agent_a.pk)], 2),
            ("ticket_updated", [live.agent_group(org.agent_a.pk)], 3),
        ]


class TestFirstResponse:
    def test_an_outbound_contact_linked_to_the_ticket_is_its_first_response(self, org, agent):
        ticket = TicketFactory(queue=org.queue_a)
        sent_at = timezone.now() + timedelta(minutes=5)
        inbound = {"channel": "email", "direction": "inbound", "ticket": ticket.pk, "offered_at": sent_at.isoformat()}
        assert agent.post(reverse("interaction-list"), inbound).status_code == 201
        ticket.refresh_from_db()
        assert ticket.first_responded_at is None

        outbound = {**inbound, "direction": "outbound"}
        assert agent.post(reverse("interaction-list"), outbound).status_code == 201
        ticket.refresh_from_db()
        assert (ticket.first_responded_at, ticket.version) == (sent_at, 1)  # a stamp, not an edit

    def test_an_unanswered_outbound_call_is_no_response_until_answered(self, org, agent):
        ticket = TicketFactory(queue=org.queue_a)
        start = timezone.now() + timedelta(minutes=1)
        call = {
            "channel": "voice",
            "direction": "outbound",
            "agent": "agent_a",
            "ticket": ticket.pk,
            "offered_at": start.isoformat(),
        }
        created = agent.post(reverse("interaction-list"), call).data
        ticket.refresh_from_db()
        assert ticket.first_responded_at is None

        answered = start + timedelta(seconds=20)
        url = reverse("interaction-detail", kwargs={"pk": created["id"]})
        assert agent.patch(url, {"answered_at": answered.isoformat()}).status_code == 200
        ticket.refresh_from_db()
        assert ticket.first_responded_at == answered


class TestComments:
    def test_comments_are_listed_oldest_first_with_their_author(self, org, agent):
        ticket = TicketFactory(queue=org.queue_a)
        agent.post(comments(ticket.pk), {"body": "First"})
        agent.post(comments(ticket.pk), {"body": "Second", "public": True})
        response = agent.get(comments(ticket.pk))
        assert [(c["body"], c["public"], c["author"]) for c in response.data["results"]] == [
            ("First", False, "agent_a"),
            ("Second", True, "agent_a"),
        ]

    def test_an_empty_comment_is_refused(self, org, agent):
        ticket = TicketFactory(queue=org.queue_a)
        response = agent.post(comments(ticket.pk), {"body": " "})
        assert response.status_code == 400 and "body" in response.data
        assert not TicketComment.objects.exists()

    def test_a_ticket_out_of_sight_answers_404(self, org, agent):
        ticket = TicketFactory(queue=org.queue_b)
        assert agent.get(comments(ticket.pk)).status_code == 404
        assert agent.post(comments(ticket.pk), {"body": "Hi"}).status_code == 404
        assert not TicketComment.objects.exists()

    @pytest.mark.parametrize("rows", [1, 60])
    def test_a_page_of_comments_costs_the_same_queries_for_1_or_60(
        self, org, agent, rows, django_assert_max_num_queries
    ):
        ticket = TicketFactory(queue=org.queue_a)
        TicketCommentFactory.create_batch(rows, ticket=ticket, author=org.agent_a)
        with django_assert_max_num_queries(4):
            response = agent.get(comments(ticket.pk), {"page_size": 100})
        assert len(response.data["results"]) == rows


class TestListing:
    def test_agents_see_their_own_and_their_queues_tickets_supervisors_their_teams(self, org, api_client_for):
        in_queue = TicketFactory(queue=org.queue_a)
        assigned = TicketFactory(queue=None, assignee=org.agent_a)
        other = TicketFactory(queue=org.queue_b, assignee=org.agent_b)

        def ids(user) -> set[int]:
            return {row["id"] for row in api_client_for(user).get(LIST).data["results"]}

        assert ids(org.agent_a) == {in_queue.pk, assigned.pk}
        assert ids(org.supervisor_a) == {in_queue.pk, assigned.pk}
        assert ids(org.agent_b) == {other.pk}
        assert ids(org.manager) == {in_queue.pk, assigned.pk, other.pk}
        assert api_client_for(org.agent_a).get(detail(other.pk)).status_code == 404
        assert api_client_for(org.agent_a).patch(detail(other.pk), {"version": 1}).status_code == 404

    def test_each_filter_narrows_the_list(self, org, manager):
        customer = CustomerFactory()
        now = timezone.now()
        late = TicketFactory(queue=org.queue_a, customer=customer, resolution_due=now - timedelta(hours=1))
        unanswered = TicketFactory(queue=org.queue_b, priority="high", first_response_due=now - timedelta(minutes=1))
        mine = TicketFactory(queue=org.queue_b, status="pending", assignee=org.agent_b)
        TicketFactory(queue=org.queue_b, status="closed", resolution_due=now - timedelta(hours=1))
        everything = set(Ticket.objects.values_list("pk", flat=True))

        def ids(**params) -> set[int]:
            response = manager.get(LIST, params)
            assert response.status_code == 200, response.data
            return {row["id"] for row in response.data["results"]}

        assert ids(status="pending") == {mine.pk}
        assert ids(priority="high") == {unanswered.pk}
        assert ids(assignee="agent_b") == {mine.pk}
        assert ids(customer=customer.pk) == {late.pk}
        assert ids(queue="Queue A") == {late.pk}
        assert ids(overdue="true") == {late.pk, unanswered.pk}
        assert ids(overdue="false") == everything - {late.pk, unanswered.pk}

    @pytest.mark.parametrize(
        ("param", "value"),
        [("status", "lost"), ("priority", "asap"), ("customer", "x"), ("overdue", "maybe"), ("page", "0")],
    )
    def test_a_bad_filter_value_answers_400_naming_it(self, manager, param, value):
        response = manager.get(LIST, {param: value})
        assert response.status_code == 400
        assert list(response.data) == [param]

    @pytest.mark.parametrize("rows", [1, 60])
    def test_a_page_costs_the_same_queries_for_1_or_60_rows(self, org, supervisor, rows, django_assert_max_num_queries):
        category = TicketCategory.objects.first()
        TicketFactory.create_batch(rows, queue=org.queue_a, assignee=org.agent_a, category=category)
        with django_assert_max_num_queries(4):
            response = supervisor.get(LIST, {"page_size": 100})
        assert len(response.data["results"]) == rows
        assert response.data["results"][0]["assignee"] == "agent_a"
