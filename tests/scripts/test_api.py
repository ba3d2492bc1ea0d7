"""``/api/v1/scripts/``: agents read published scripts, managers write drafts and publish."""

from __future__ import annotations

import pytest
from django.urls import reverse

from contactcenter.scripts.models import ScriptVersion
from contactcenter.scripts.services import script_publish
from tests.scripts.factories import make_published, make_script, steps

pytestmark = pytest.mark.django_db


def test_agents_list_published_active_scripts_without_drafts(org, api_client_for, django_assert_max_num_queries):
    _published, _v = make_published(name="Billing", queues=[org.queue_a], versions=2)
    make_published(name="Sales", queues=[org.queue_b])
    make_script(name="Draft only", queues=[org.queue_a])
    retired, _v = make_published(name="Retired")
    retired.is_active = False
    retired.save()
    client = api_client_for(org.agent_a)

    with django_assert_max_num_queries(6):
        response = client.get(reverse("script-list"))

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["name"], row["latest_version"], row["draft"], row["problems"]) for row in rows] == [
        ("Billing", 2, None, None),
        ("Sales", 1, None, None),
    ]
    assert rows[0]["queues"] == ["Queue A"]
    queue_a = client.get(reverse("script-list"), {"queue": "Queue A"}).json()["results"]
    assert [row["name"] for row in queue_a] == ["Billing"]
    assert client.get(reverse("script-detail", args=[retired.pk])).status_code == 404


def test_managers_see_every_script_with_its_draft_and_problems(org, api_client_for):
    broken = steps()
    broken[1]["answers"][0]["next"] = "nowhere"
    script = make_script(name="Broken", draft=broken)

    response = api_client_for(org.manager).get(reverse("script-detail", args=[script.pk]))

    assert response.status_code == 200
    body = response.json()
    assert body["draft"] == broken and body["latest_version"] is None
    assert [(p["level"], p["code"], p["step"], p["answer"]) for p in body["problems"]] == [
        ("error", "dangling_answer", "billing", 1),
        ("error", "orphan_step", "closing", None),
    ]


def test_a_manager_creates_edits_and_publishes_a_script(org, api_client_for):
    client = api_client_for(org.manager)

    created = client.post(
        reverse("script-list"), {"name": "Billing", "queues": ["Queue A"], "draft": steps()}, format="json"
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    published = client.post(reverse("script-version-list", args=[pk]))
    assert published.status_code == 201
    assert published.json()["number"] == 1 and published.json()["published_by"] == "manager"

    changed = steps()
    changed[0]["text"] = "Good morning {first_name}."
    patched = client.patch(reverse("script-detail", args=[pk]), {"draft": changed}, format="json")
    assert patched.status_code == 200 and patched.json()["draft"] == changed
    client.post(reverse("script-version-list", args=[pk]))

    versions = client.get(reverse("script-version-list", args=[pk])).json()["results"]
    assert [v["number"] for v in versions] == [2, 1]
    first = client.get(reverse("script-version-detail", args=[pk, 1])).json()
    assert first["steps"] == steps()
    assert client.get(reverse("script-version-detail", args=[pk, 3])).status_code == 404


def test_publishing_an_invalid_draft_answers_400_naming_each_problem(org, api_client_for):
    broken = steps()
    broken.append({"key": "lost", "text": "Nobody comes here"})
    script = make_script(draft=broken)

    response = api_client_for(org.admin).post(reverse("script-version-list", args=[script.pk]))

    assert response.status_code == 400
    assert response.json() == {"draft": ["No answer leads to step “lost”: link it from another step or remove it."]}
    assert not ScriptVersion.objects.exists()


def test_a_draft_of_the_wrong_shape_is_kept_but_publishing_it_answers_400_naming_each_problem(org, api_client_for):
    script = make_script()
    client = api_client_for(org.manager)
    draft = [{"key": "start", "text": 3, "answers": [{"label": "Go", "next": "start", "color": "red"}]}]

    patched = client.patch(reverse("script-detail", args=[script.pk]), {"draft": draft}, format="json")

    assert patched.status_code == 200
    assert [(p["code"], p["step"], p["answer"]) for p in patched.json()["problems"]] == [
        ("bad_type", "start", None),
        ("unknown_field", "start", 1),
    ]
    published = client.post(reverse("script-version-list", args=[script.pk]))
    assert published.status_code == 400
    assert published.json() == {
        "draft": [
            "Step “start”: “text” must be a string.",
            "Step “start”, answer 1: unknown field “color”; an answer holds label and next.",
        ]
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"draft": "steps"}, "draft"),
        ({"draft": ["a"]}, "draft"),
        ({"draft": None}, "draft"),
        # PostgreSQL's JSON holds no NUL character: refused before it reaches the database.
        ({"draft": [{"key": "a", "text": "x\x00y"}]}, "draft"),
        ({"draft": [{"k\x00": "a"}]}, "draft"),
        ({"draft": [{"key": "a", "text": "x", "answers": [{"label": "\x00", "next": "a"}]}]}, "draft"),
        ({"queues": ["Nope"]}, "queues"),
    ],
)
def test_a_bad_draft_or_queue_answers_400_naming_the_field(org, api_client_for, body, field):
    script = make_script()

    response = api_client_for(org.manager).patch(reverse("script-detail", args=[script.pk]), body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    script.refresh_from_db()
    assert script.draft == steps()


def test_an_agent_reading_an_unpublished_scripts_versions_gets_404(org, api_client_for):
    script = make_script()

    assert api_client_for(org.agent_a).get(reverse("script-version-list", args=[script.pk])).status_code == 404
    assert api_client_for(org.manager).get(reverse("script-version-list", args=[script.pk])).status_code == 200


def test_listing_versions_costs_the_same_queries_for_1_or_many(org, api_client_for, django_assert_max_num_queries):
    script, _v = make_published(versions=1)
    client = api_client_for(org.agent_a)
    url = reverse("script-version-list", args=[script.pk])
    client.get(url)

    with django_assert_max_num_queries(5) as one:
        assert client.get(url).status_code == 200
    for _ in range(5):
        script_publish(script=script, by=org.manager)
    with django_assert_max_num_queries(len(one.captured_queries)):
        body = client.get(url).json()
    assert [v["number"] for v in body["results"]] == [6, 5, 4, 3, 2, 1]
    assert body["results"][0]["published_by"] == "manager"
