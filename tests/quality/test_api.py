"""``/api/v1/quality/…``: scorecards, evaluations, disputes, calibration, evaluator teams."""

from __future__ import annotations

import pytest

from contactcenter.quality.models import EvaluatorTeam
from tests.customers.factories import CustomerFactory
from tests.interactions.factories import InteractionFactory, TicketFactory
from tests.quality.factories import DEMO_SECTIONS, FULL_MARKS, WORKED_EXAMPLE, answers

pytestmark = pytest.mark.django_db

API = "/api/v1/quality"


def test_a_manager_writes_and_publishes_a_scorecard(qm, api_client_for):
    client = api_client_for(qm.manager)
    created = client.post(f"{API}/scorecards/", {"name": "Chats", "channel": "chat", "queue": "Queue A"}, format="json")
    assert created.status_code == 201, created.data
    card = created.json()
    assert (card["queue"], card["channel"], card["published_number"], card["has_draft"]) == (
        "Queue A",
        "chat",
        None,
        True,
    )

    bad = client.patch(
        f"{API}/scorecards/{card['id']}/versions/1/",
        {"sections": [{"title": "A", "criteria": [{"key": "x y", "title": "X", "scale": "stars"}]}]},
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.data["sections"][0]["criteria"][0]) == {"key", "scale"}

    content = client.patch(f"{API}/scorecards/{card['id']}/versions/1/", {"sections": DEMO_SECTIONS}, format="json")
    assert content.status_code == 200, content.data
    assert [c["key"] for s in content.data["sections"] for c in s["criteria"]] == [
        "greeting",
        "identification",
        "solution",
        "closing",
    ]
    published = client.post(f"{API}/scorecards/{card['id']}/versions/1/publish/")
    assert published.status_code == 200
    assert published.data["state"] == "published"

    frozen = client.patch(f"{API}/scorecards/{card['id']}/versions/1/", {"sections": DEMO_SECTIONS}, format="json")
    assert frozen.status_code == 400
    again = client.post(f"{API}/scorecards/{card['id']}/versions/1/publish/")
    assert again.status_code == 400

    draft = client.post(f"{API}/scorecards/{card['id']}/versions/")
    assert (draft.status_code, draft.data["number"], draft.data["state"]) == (201, 2, "draft")
    assert client.post(f"{API}/scorecards/{card['id']}/versions/").status_code == 400

    # Other evaluators read published versions only; agents no scorecard at all.
    versions = api_client_for(qm.qa).get(f"{API}/scorecards/{card['id']}/versions/").json()["results"]
    assert [v["number"] for v in versions] == [1]
    assert api_client_for(qm.qa).get(f"{API}/scorecards/{card['id']}/versions/2/").status_code == 404
    assert api_client_for(qm.agent_a).get(f"{API}/scorecards/").status_code == 403
    assert api_client_for(qm.qa).post(f"{API}/scorecards/", {"name": "Mine"}, format="json").status_code == 403


def test_an_evaluation_from_start_to_dispute_decision(qm, api_client_for):
    qa, agent, reviewer = api_client_for(qm.qa), api_client_for(qm.agent_a), api_client_for(qm.qa2)

    started = qa.post(f"{API}/evaluations/", {"interaction": qm.interaction.pk}, format="json")
    assert started.status_code == 201, started.data
    evaluation = started.data
    assert (evaluation["state"], evaluation["agent"], evaluation["version"]) == ("draft", "agent_a", qm.version.pk)
    url = f"{API}/evaluations/{evaluation['id']}"

    wrong = qa.post(
        f"{url}/answers/",
        {"answers": [{"criterion": answers(qm.version, solution=5)[0]["criterion"], "value": 5}]},
        format="json",
    )
    assert wrong.status_code == 400
    assert "between 0 and 4" in wrong.data["answers"][0]
    incomplete = qa.post(f"{url}/publish/")
    assert incomplete.status_code == 400 and "Every criterion needs an answer" in incomplete.data["answers"][0]

    saved = qa.post(
        f"{url}/answers/", {"answers": answers(qm.version, **WORKED_EXAMPLE), "comment": "Clear"}, format="json"
    )
    assert saved.status_code == 200, saved.data
    assert saved.data["comment"] == "Clear" and len(saved.data["answers"]) == 4
    assert agent.get(f"{url}/").status_code == 404  # a draft is the evaluator's

    published = qa.post(f"{url}/publish/")
    assert published.status_code == 200
    assert (published.data["score"], published.data["critical_failed"]) == ("88.89", False)

    seen = agent.get(f"{API}/evaluations/").json()["results"]
    assert [e["id"] for e in seen] == [evaluation["id"]]
    assert api_client_for(qm.agent_b).get(f"{url}/").status_code == 404
    assert qa.post(f"{url}/acknowledge/").status_code == 403

    disputed = agent.post(f"{url}/dispute/", {"reason": "The customer was identified"}, format="json")
    assert disputed.status_code == 201, disputed.data
    dispute = disputed.data
    assert agent.get(f"{url}/").data["state"] == "disputed"

    mine = qa.post(f"{API}/disputes/{dispute['id']}/decide/", {"decision": "upheld", "comment": "No"}, format="json")
    assert mine.status_code == 403
    assert "another evaluator" in str(mine.data["detail"])
    open_for_reviewer = reviewer.get(f"{API}/disputes/?open=true").json()["results"]
    assert [d["id"] for d in open_for_reviewer] == [dispute["id"]]

    decided = reviewer.post(
        f"{API}/disputes/{dispute['id']}/decide/",
        {"decision": "overturned", "comment": "Closing applied", "answers": answers(qm.version, closing=0)},
        format="json",
    )
    assert decided.status_code == 200, decided.data
    assert (decided.data["decision"], decided.data["reviewer"]) == ("overturned", "qa2")
    assert (decided.data["score_before"], decided.data["score_after"]) == ("88.89", "80.00")
    final = agent.get(f"{url}/").data
    assert (final["state"], final["score"]) == ("final", "80.00")
    assert final["disputes"][0]["decision"] == "overturned"


def test_evaluation_list_filters_and_their_errors(qm, api_client_for):
    client = api_client_for(qm.manager)
    other = InteractionFactory(agent=qm.agent_b, queue=qm.queue_b)
    for interaction in (qm.interaction, other):
        made = client.post(f"{API}/evaluations/", {"interaction": interaction.pk}, format="json").data
        client.post(
            f"{API}/evaluations/{made['id']}/answers/", {"answers": answers(qm.version, **FULL_MARKS)}, format="json"
        )
    assert [e["agent"] for e in client.get(f"{API}/evaluations/?agent=agent_b").json()["results"]] == ["agent_b"]
    assert len(client.get(f"{API}/evaluations/?state=draft").json()["results"]) == 2
    assert client.get(f"{API}/evaluations/?state=nope").status_code == 400
    assert client.get(f"{API}/evaluations/?interaction=x").status_code == 400
    # The supervisor of team A sees no draft of someone else's; QA evaluator qa covers team A only.
    assert client.post(f"{API}/evaluations/", {"interaction": 999999}, format="json").status_code == 400
    refused = api_client_for(qm.qa).post(f"{API}/evaluations/", {"interaction": other.pk}, format="json")
    assert refused.status_code == 400  # another team's interaction: not one qa may see
    assert "interaction" in refused.data


def test_a_calibration_session_through_the_api(qm, api_client_for):
    manager = api_client_for(qm.manager)
    bad = manager.post(
        f"{API}/calibrations/",
        {"title": "Jan", "interaction": qm.interaction.pk, "version": qm.version.pk, "evaluators": ["qa", "ghost"]},
        format="json",
    )
    assert bad.status_code == 400 and "ghost" in bad.data["evaluators"][0]
    created = manager.post(
        f"{API}/calibrations/",
        {"title": "Jan", "interaction": qm.interaction.pk, "version": qm.version.pk, "evaluators": ["qa", "qa2"]},
        format="json",
    )
    assert created.status_code == 201, created.data
    session = created.data
    for user, values in ((qm.qa, FULL_MARKS), (qm.qa2, {**FULL_MARKS, "greeting": 0})):
        client = api_client_for(user)
        made = client.post(
            f"{API}/evaluations/", {"interaction": qm.interaction.pk, "calibration": session["id"]}, format="json"
        )
        assert made.status_code == 201, made.data
        client.post(
            f"{API}/evaluations/{made.data['id']}/answers/", {"answers": answers(qm.version, **values)}, format="json"
        )
        assert client.post(f"{API}/evaluations/{made.data['id']}/publish/").status_code == 200
    assert len(api_client_for(qm.qa).get(f"{API}/evaluations/").json()["results"]) == 1  # blind
    assert manager.get(f"{API}/calibrations/{session['id']}/report/").status_code == 400

    reference = api_client_for(qm.qa).get(f"{API}/evaluations/").json()["results"][0]["id"]
    closed = manager.post(f"{API}/calibrations/{session['id']}/close/", {"reference": reference}, format="json")
    assert closed.status_code == 200, closed.data
    report = api_client_for(qm.qa2).get(f"{API}/calibrations/{session['id']}/report/")
    assert report.status_code == 200
    greeting = next(row for row in report.data["criteria"] if row["key"] == "greeting")
    assert greeting["reference_value"] == 1
    assert greeting["spread"] == "0.00"  # one evaluator beside the reference
    assert {c["evaluator"]: c["deviation"] for c in greeting["evaluators"]} == {"qa": "0.00", "qa2": "-100.00"}


def test_admins_assign_teams_to_qa_evaluators(qm, api_client_for):
    admin = api_client_for(qm.admin)
    not_quality = admin.post(f"{API}/evaluator-teams/", {"user": "agent_a", "team": "Team B"}, format="json")
    assert not_quality.status_code == 400 and "user" in not_quality.data
    made = admin.post(f"{API}/evaluator-teams/", {"user": "qa", "team": "Team B"}, format="json")
    assert made.status_code == 201, made.data
    twice = admin.post(f"{API}/evaluator-teams/", {"user": "qa", "team": "Team B"}, format="json")
    assert twice.status_code == 400
    other = InteractionFactory(agent=qm.agent_b, queue=qm.queue_b)
    assert (
        api_client_for(qm.qa).post(f"{API}/evaluations/", {"interaction": other.pk}, format="json").status_code == 201
    )
    assert admin.delete(f"{API}/evaluator-teams/{made.data['id']}/").status_code == 204
    assert not EvaluatorTeam.objects.filter(user=qm.qa, team=qm.team_b).exists()
    assert (
        api_client_for(qm.manager)
        .post(f"{API}/evaluator-teams/", {"user": "qa", "team": "Team B"}, format="json")
        .status_code
        == 403
    )


def test_a_quality_user_changes_no_customer_ticket_or_interaction(qm, api_client_for):
    """The existing write routes refuse the quality role, on what it may read too."""
    qa = api_client_for(qm.qa)
    customer = CustomerFactory()
    ticket = TicketFactory(queue=qm.queue_a, assignee=qm.agent_a, customer=customer)
    assert qa.get(f"/api/v1/interactions/{qm.interaction.pk}/").status_code == 200
    assert qa.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200
    assert qa.get(f"/api/v1/customers/{customer.pk}/").status_code == 200
    writes = [
        ("post", "/api/v1/customers/", {"last_name": "New"}),
        ("patch", f"/api/v1/customers/{customer.pk}/", {"notes": "x"}),
        ("post", "/api/v1/tickets/", {"subject": "New", "queue": "Queue A"}),
        ("patch", f"/api/v1/tickets/{ticket.pk}/", {"subject": "x", "version": ticket.version}),
        ("post", f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "x"}),
        ("patch", f"/api/v1/interactions/{qm.interaction.pk}/", {"notes": "x"}),
        (
            "post",
            "/api/v1/interactions/",
            {"channel": "email", "queue": "Queue A", "offered_at": "2026-01-05T08:58:00Z"},
        ),
        ("post", "/api/v1/surveys/", {"interaction": qm.interaction.pk, "kind": "csat", "score": 4}),
        ("post", "/api/v1/callbacks/", {"phone": "0612345678", "queue": "Queue A", "due_at": "2030-01-01T09:00Z"}),
    ]
    for method, url, body in writes:
        response = getattr(qa, method)(url, body, format="json")
        assert response.status_code == 403, (url, response.status_code, getattr(response, "data", None))
    customer.refresh_from_db()
    ticket.refresh_from_db()
    qm.interaction.refresh_from_db()
    assert (customer.notes, ticket.subject != "x", qm.interaction.notes) == ("", True, "")
