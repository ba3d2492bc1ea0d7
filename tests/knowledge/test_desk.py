"""The knowledge panel of the agent desktop: search as you type, open an article, come back;
agents never see a draft; a fragment costs a fixed number of queries."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.knowledge.factories import ArticleCategoryFactory, ArticleFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
SEARCH = reverse("desk:knowledge_search")


def article_url(pk: int) -> str:
    return reverse("desk:knowledge_article", args=[pk])


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def shelf():
    support = ArticleCategoryFactory(name="Technical support")
    return {
        "modem": ArticleFactory(
            title="Restarting the modem",
            language="en",
            category=support,
            summary="Before sending a technician.",
            body="## Steps\n1. Unplug it <b>now</b>\n2. Wait",
            tags=["router"],
        ),
        "box": ArticleFactory(title="Redémarrer la box", language="fr", category=support, body="Débranchez la box."),
        "draft": ArticleFactory(title="Modem recall (draft)", language="en", publish=False, body="Secret plan."),
    }


def test_the_panel_lists_the_newest_articles_with_category_language_and_summary(org, shelf):
    response = client_for(org.agent_a).get(SEARCH, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # a fragment, swapped into the panel
    assert html.index("Redémarrer la box") < html.index("Restarting the modem")
    assert "Technical support" in html and "Before sending a technician." in html
    assert ">FR</abbr>" in html and ">EN</abbr>" in html
    assert 'hx-swap-oob="true"' in html and "2 articles found." in html
    assert "Modem recall" not in html


def test_typing_searches_and_each_result_opens_its_article_in_the_panel(org, shelf):
    response = client_for(org.agent_a).get(SEARCH, {"q": "modem", "language": "en"}, **HTMX)

    html = response.content.decode()
    assert "Restarting the modem" in html and "Redémarrer" not in html and "Modem recall" not in html
    link = f"{article_url(shelf['modem'].pk)}?q=modem&amp;language=en"
    assert f'href="{link}"' in html and f'hx-get="{link}"' in html
    assert 'hx-target="#knowledge-body"' in html


def test_an_article_is_shown_rendered_with_a_way_back_to_the_results(org, shelf):
    response = client_for(org.agent_a).get(article_url(shelf["modem"].pk), {"q": "modem"}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    # Markdown, its headings under the article's <h3>; the HTML of the allow-list is kept.
    assert "<h4>Steps</h4>" in html and "<li>Unplug it <b>now</b></li>" in html
    assert 'lang="en"' in html and "autofocus" in html
    back = f"{SEARCH}?q=modem&amp;opened={shelf['modem'].pk}"
    assert f'hx-get="{back}"' in html and "Back to the results" in html
    # Escape in the article clicks the way back (desk.js: no inline handler under the CSP).
    assert 'data-escape-clicks=".knowledge-back"' in html


def test_coming_back_focuses_the_article_that_was_open(org, shelf):
    response = client_for(org.agent_a).get(SEARCH, {"q": "modem", "opened": shelf["modem"].pk}, **HTMX)

    html = response.content.decode()
    link_start = html.index(f'href="{article_url(shelf["modem"].pk)}')
    assert "autofocus" in html[link_start : html.index("</a>", link_start)]


@pytest.mark.parametrize("role", ["agent_a", "supervisor_a"])
def test_a_draft_does_not_exist_for_agents_and_supervisors(org, shelf, role):
    client = client_for(getattr(org, role))

    assert client.get(article_url(shelf["draft"].pk), **HTMX).status_code == 404
    assert "Modem recall" not in client.get(SEARCH, {"q": "modem"}, **HTMX).content.decode()


def test_a_manager_sees_drafts_marked_as_such(org, shelf):
    client = client_for(org.manager)

    html = client.get(SEARCH, {"q": "modem"}, **HTMX).content.decode()
    assert "Modem recall" in html and 'class="badge draft"' in html
    assert client.get(article_url(shelf["draft"].pk), **HTMX).status_code == 200


def test_a_refused_term_is_explained_in_place_of_the_results(org, shelf):
    response = client_for(org.agent_a).get(SEARCH, {"q": "x" * 300}, **HTMX)

    assert response.status_code == 200  # htmx swaps only successful answers
    assert "at most 200 characters" in response.content.decode()


def test_nothing_found_says_so(org, shelf):
    html = client_for(org.agent_a).get(SEARCH, {"q": "zzzz"}, **HTMX).content.decode()

    assert "No article matches “zzzz”." in html


def test_without_htmx_a_whole_page_holds_the_fragment(org, shelf):
    client = client_for(org.agent_a)

    page = client.get(article_url(shelf["box"].pk)).content.decode()
    results = client.get(SEARCH, {"q": "box"}).content.decode()

    assert "<html" in page and "Débranchez la box." in page and 'id="knowledge-q"' in page
    assert "<html" in results and "Redémarrer la box" in results
    assert results.count('id="knowledge-status"') == 1


def test_anonymous_users_go_to_the_login_page_and_users_without_a_role_are_refused(org, shelf):
    anonymous = Client()

    assert anonymous.get(SEARCH).status_code == 302
    assert anonymous.get(SEARCH, **HTMX)["HX-Redirect"] == reverse("desk:login")
    assert client_for(org.nobody).get(SEARCH, **HTMX).status_code == 403
    assert client_for(org.nobody).get(article_url(shelf["box"].pk), **HTMX).status_code == 403


def test_only_get_is_answered(org, shelf):
    assert client_for(org.agent_a).post(SEARCH, {"q": "modem"}, **HTMX).status_code == 405


def test_a_fragment_costs_the_same_queries_for_3_or_20_results(org, shelf, django_assert_max_num_queries):
    client = client_for(org.agent_a)
    client.get(SEARCH, **HTMX)  # warm the session

    with django_assert_max_num_queries(5) as few:
        client.get(SEARCH, {"q": "modem"}, **HTMX)
    for n in range(20):
        ArticleFactory(title=f"Modem {n}", category=ArticleCategoryFactory(name=f"Shelf {n}"))
    with django_assert_max_num_queries(5) as many:
        response = client.get(SEARCH, {"q": "modem"}, **HTMX)
    with django_assert_max_num_queries(5):
        client.get(article_url(shelf["modem"].pk), **HTMX)

    assert response.content.decode().count('class="knowledge-hit"') == 20
    assert len(many) == len(few)


def test_the_desktop_holds_the_panel(org):
    html = client_for(org.agent_a).get(reverse("desk:desktop")).content.decode()

    assert 'id="knowledge-panel"' in html
    assert 'data-shortcut="knowledge"' in html and 'type="search"' in html
    assert 'hx-trigger="input changed delay:250ms, search"' in html
    assert f'hx-get="{SEARCH}" hx-trigger="load"' in html
    assert '<label for="knowledge-q">' in html
