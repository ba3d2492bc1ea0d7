"""SPEC §5 ``knowledge/``: agents search and read published articles; drafts are absent (404) to
them; managers and admins see drafts; bad input answers 400 naming the parameter."""

from __future__ import annotations

import pytest
from django.utils.dateparse import parse_datetime
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from contactcenter.knowledge.selectors import MAX_SEARCH_LENGTH
from tests.knowledge.factories import ArticleCategoryFactory, ArticleFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/knowledge/"


def detail(pk: int) -> str:
    return f"{URL}{pk}/"


@pytest.fixture
def articles():
    billing = ArticleCategoryFactory(name="Billing")
    return {
        "fr": ArticleFactory(
            title="Remboursement d'un trop-perçu",
            language="fr",
            category=billing,
            summary="Quand rembourser.",
            tags=["remboursement"],
            body="Un solde créditeur est remboursé par virement.",
        ),
        "en": ArticleFactory(title="Issuing a refund", language="en", category=billing, body="Refunds take 15 days."),
        "modem": ArticleFactory(title="Restarting the modem", language="en", category=None, body="Unplug it."),
        "draft": ArticleFactory(title="Refund policy 2027 (draft)", language="en", publish=False, body="Refunds."),
    }


def test_an_agent_lists_published_articles_newest_first_without_their_body(api_client_for, org, articles):
    response = api_client_for(org.agent_a).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None and body["previous"] is None
    assert [row["title"] for row in body["results"]] == [
        "Restarting the modem",
        "Issuing a refund",
        "Remboursement d'un trop-perçu",
    ]
    row = body["results"][-1]
    assert set(row) == {
        "id",
        "title",
        "slug",
        "summary",
        "language",
        "category",
        "tags",
        "audience",
        "status",
        "published_at",
        "updated_at",
    }
    assert (row["language"], row["category"], row["tags"], row["status"]) == (
        "fr",
        "Billing",
        ["remboursement"],
        "published",
    )
    assert parse_datetime(row["published_at"]).utcoffset() is not None
    assert body["results"][0]["category"] is None


def test_search_finds_the_article_in_its_language(api_client_for, org, articles):
    client = api_client_for(org.agent_a)

    french = client.get(URL, {"search": "rembourser"}).json()["results"]
    english = client.get(URL, {"search": "refund", "language": "en"}).json()["results"]

    assert french[0]["id"] == articles["fr"].pk
    assert [row["id"] for row in english] == [articles["en"].pk]


def test_the_category_filter_takes_a_name(api_client_for, org, articles):
    rows = api_client_for(org.agent_a).get(URL, {"category": "Billing"}).json()["results"]

    assert {row["id"] for row in rows} == {articles["fr"].pk, articles["en"].pk}


def test_a_manager_sees_drafts_in_the_list_and_the_search(api_client_for, org, articles):
    client = api_client_for(org.manager)

    listed = [row["id"] for row in client.get(URL).json()["results"]]
    found = [row["id"] for row in client.get(URL, {"search": "refund"}).json()["results"]]

    assert articles["draft"].pk in listed and articles["draft"].pk in found
    assert client.get(detail(articles["draft"].pk)).json()["status"] == "draft"


def test_the_detail_has_the_body_as_written_and_rendered(api_client_for, org, articles):
    response = api_client_for(org.agent_b).get(detail(articles["fr"].pk))

    assert response.status_code == 200
    body = response.json()
    assert body["body"] == "Un solde créditeur est remboursé par virement."
    assert body["body_html"] == "<p>Un solde créditeur est remboursé par virement.</p>"
    assert body["title"] == "Remboursement d'un trop-perçu" and body["category"] == "Billing"
    assert "search_vector" not in body and "search_text" not in body


@pytest.mark.parametrize("role", ["agent_a", "agent_b", "supervisor_a"])
def test_a_draft_does_not_exist_for_agents_and_supervisors(api_client_for, org, articles, role):
    client = api_client_for(getattr(org, role))

    assert client.get(detail(articles["draft"].pk)).status_code == 404
    assert articles["draft"].pk not in [row["id"] for row in client.get(URL, {"search": "refund"}).json()["results"]]


def test_an_unknown_article_is_404(api_client_for, org):
    assert api_client_for(org.agent_a).get(detail(999_999)).status_code == 404


def test_a_user_without_a_role_is_refused_and_an_anonymous_one_asked_to_log_in(api_client_for, org, articles):
    assert api_client_for(org.nobody).get(URL).status_code == 403
    assert APIClient().get(URL).status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"search": "x" * (MAX_SEARCH_LENGTH + 1)}, "search"),
        ({"search": "x" * (MAX_SEARCH_LENGTH * 2 + 1)}, "search"),
        ({"search": " ".join(["word"] * 17)}, "search"),
        ({"language": "de"}, "language"),
        ({"category": "c" * 101}, "category"),
        ({"page_size": "501"}, "page_size"),
    ],
)
def test_bad_parameters_answer_400_naming_them(api_client_for, org, params, field):
    response = api_client_for(org.agent_a).get(URL, params)

    assert response.status_code == 400
    assert field in response.json()


def test_writes_are_not_offered(api_client_for, org, articles):
    client = api_client_for(org.manager)

    assert client.post(URL, {"title": "x"}, format="json").status_code == 405
    assert client.patch(detail(articles["en"].pk), {"title": "x"}, format="json").status_code == 405
    assert client.delete(detail(articles["en"].pk)).status_code == 405


def test_pages_follow_one_another(api_client_for, org):
    for n in range(5):
        ArticleFactory(title=f"Modem {n}")
    client = api_client_for(org.agent_a)

    first = client.get(URL, {"page_size": 2}).json()
    second = client.get(first["next"]).json()

    assert len(first["results"]) == len(second["results"]) == 2
    assert second["previous"] is not None
    assert not {row["id"] for row in first["results"]} & {row["id"] for row in second["results"]}


def test_a_list_costs_the_same_queries_for_1_or_30_articles(api_client_for, org, django_assert_max_num_queries):
    client = api_client_for(org.agent_a)
    ArticleFactory(title="Modem 0", tags=["modem"])
    client.get(URL)  # warm the content-type and token caches

    with django_assert_max_num_queries(4) as few:
        assert client.get(URL, {"search": "modem"}).status_code == 200
    for n in range(1, 30):
        ArticleFactory(title=f"Modem {n}", category=ArticleCategoryFactory(name=f"Shelf {n}"))
    with django_assert_max_num_queries(4) as many:
        response = client.get(URL, {"search": "modem"})

    assert len(response.json()["results"]) == 30
    assert len(many) == len(few)


def test_the_schema_documents_the_knowledge_endpoints():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)

    listing = schema["paths"]["/api/v1/knowledge/"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"search", "language", "category", "page", "page_size"}
    assert set(listing["responses"]) >= {"200", "400", "401", "403"}
    assert "404" in schema["paths"]["/api/v1/knowledge/{id}/"]["get"]["responses"]
