"""Rich text (docs/knowledge.md, docs/training.md): Markdown in, sanitized HTML out, for knowledge
articles and training lessons alike, on the desktop pages and in the API."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString
from hypothesis import given
from hypothesis import strategies as st

from contactcenter.core.richtext import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    HELP_TEXT,
    markdown_to_text,
    render_markdown,
)
from contactcenter.demo.content.knowledge import ARTICLES
from contactcenter.demo.content.training import LESSONS
from tests.knowledge.factories import ArticleFactory
from tests.training.factories import assign, lessons_of, make_course

REL = 'rel="noopener noreferrer nofollow"'


# --- Markdown ------------------------------------------------------------------------------------


def test_headings_paragraphs_and_emphasis():
    html = render_markdown("# Title\n\nA *first*\nparagraph with **bold**.\n\n## Steps\n\n> A quote\n\n---")

    assert html == (
        "<h1>Title</h1>\n<p>A <em>first</em>\nparagraph with <strong>bold</strong>.</p>\n<h2>Steps</h2>\n"
        "<blockquote>\n<p>A quote</p>\n</blockquote>\n<hr>"
    )
    assert isinstance(html, SafeString)


def test_top_heading_moves_the_highest_heading_to_that_level_and_the_others_along():
    text = "## Before you start\n\n### Checks\n\n###### Deep"

    assert render_markdown(text, top_heading=4) == "<h4>Before you start</h4>\n<h5>Checks</h5>\n<h6>Deep</h6>"
    assert render_markdown("# One", top_heading=2) == "<h2>One</h2>"
    assert render_markdown(text).startswith("<h2>")


def test_bulleted_and_numbered_lists():
    html = render_markdown("- one\n- two\n\n1. first\n2. second\n\n3) third")

    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert "<ol>\n<li>first</li>\n<li>second</li>\n</ol>" in html
    assert '<ol start="3">\n<li>third</li>\n</ol>' in html


def test_links_are_kept_safe_with_their_title():
    html = render_markdown(
        '[The site](https://example.org "Home"), <https://example.org/a?b=1&c=2>, '
        "[an article](/desk/knowledge/3/), [write](mailto:help@example.org)"
    )

    assert f'<a href="https://example.org" title="Home" {REL}>The site</a>' in html
    assert f'<a href="https://example.org/a?b=1&amp;c=2" {REL}>https://example.org/a?b=1&amp;c=2</a>' in html
    assert f'<a href="/desk/knowledge/3/" {REL}>an article</a>' in html
    assert f'<a href="mailto:help@example.org" {REL}>write</a>' in html


def test_inline_and_fenced_code_show_their_markup_as_text():
    html = render_markdown("Type `<b>` here.\n\n```python\nprint('<script>')\n```")

    assert "<p>Type <code>&lt;b&gt;</code> here.</p>" in html
    # The language class is not kept: no class attribute at all.
    assert "<pre><code>print('&lt;script&gt;')\n</code></pre>" in html


def test_tables():
    html = render_markdown("| Amount | Treatment |\n|---:|---|\n| ≤ 15 € | Next bill |\n| > 15 € | Transfer |")

    assert html.startswith("<table>\n<thead>\n<tr>\n<th>Amount</th>\n<th>Treatment</th>")
    assert "<td>≤ 15 €</td>\n<td>Next bill</td>" in html and "<td>&gt; 15 €</td>" in html
    assert "style" not in html  # column alignment is a style: not kept


def test_indentation_alone_does_not_make_code():
    assert render_markdown("Intro.\n\n    Indented for looks.") == "<p>Intro.</p>\n<p>Indented for looks.</p>"


def test_an_image_is_a_link_to_it_never_loaded():
    html = render_markdown("![The chart](https://example.org/chart.png) <img src='https://example.org/x.png'>")

    assert html == f'<p><a href="https://example.org/chart.png" {REL}>The chart</a> </p>'


@pytest.mark.parametrize("spec", ARTICLES, ids=lambda spec: spec.slug)
def test_the_demo_articles_render_their_headings_and_lists(spec):
    html = render_markdown(spec.body, top_heading=4)

    assert "<h4>" in html and "<li>" in html
    assert "## " not in html and "\n- " not in html


def test_authors_are_told_what_they_may_write_in_their_language():
    assert str(HELP_TEXT).startswith("Markdown: a blank line starts a paragraph")
    with translation.override("fr"):
        assert str(HELP_TEXT).startswith("Markdown\u00a0: une ligne vide commence un paragraphe")


# --- HTML ----------------------------------------------------------------------------------------


def test_the_html_of_the_allow_list_passes_through():
    text = (
        '<h2 lang="fr">Rembourser</h2>\n<p>Un <abbr title="trop-perçu">TP</abbr> de <strong>15 €</strong>.</p>\n'
        '<table><thead><tr><th scope="col" colspan="2">Montant</th></tr></thead></table>'
    )

    assert render_markdown(text) == text


def test_html_and_markdown_mix():
    html = render_markdown("Press <kbd>Alt</kbd>+<kbd>K</kbd>, then **Enter**.\n\n<p>A block.</p>\n\n- an item")

    assert html == (
        "<p>Press <kbd>Alt</kbd>+<kbd>K</kbd>, then <strong>Enter</strong>.</p>\n<p>A block.</p>\n"
        "<ul>\n<li>an item</li>\n</ul>"
    )


@pytest.mark.parametrize(("title", "written", "_articles"), LESSONS)
def test_the_demo_lessons_written_as_html_render_as_written(title, written, _articles):
    html = render_markdown(written)

    assert html == written.strip()


def test_a_lesson_indented_with_blank_lines_keeps_its_list():
    html = render_markdown("<ul>\n  <li>a</li>\n\n    <li>b</li>\n</ul>")

    assert "<li>a</li>" in html and "<li>b</li>" in html and "<pre>" not in html


# --- What never gets through ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<script>alert(1)</script>Hello", "Hello"),
        ("Hi <script>alert(1)</script> there", "<p>Hi  there</p>"),
        ("<img src=x onerror=alert(1)>", ""),
        ('<p onclick="steal()" onmouseover="x()">Text</p>', "<p>Text</p>"),
        ('<a href="javascript:alert(1)">a</a>', f"<p><a {REL}>a</a></p>"),
        ('<a href="JaVaScRiPt:alert(1)">a</a>', f"<p><a {REL}>a</a></p>"),
        ('<a href="&#106;avascript:alert(1)">a</a>', f"<p><a {REL}>a</a></p>"),
        ("[a](javascript:alert(1))", "<p>[a](javascript:alert(1))</p>"),
        ("[a](data:text/html;base64,PHNjcmlwdD4=)", "<p>[a](data:text/html;base64,PHNjcmlwdD4=)</p>"),
        ("<style>p { color: red }</style>Text", "Text"),
        ('<p style="background: url(javascript:x)" class="big" id="main">Text</p>', "<p>Text</p>"),
        ('<iframe src="https://evil.example"></iframe><object data="x"></object>', ""),
        ('<form action="https://evil.example"><input name="card"></form>', ""),
        ('<svg onload="alert(1)"><circle/></svg>', "<p></p>"),
        (
            '<a href="https://example.org" target="_blank" rel="opener">t</a>',
            f'<p><a href="https://example.org" {REL}>t</a></p>',
        ),
        ("<!-- a note for editors -->Visible", "Visible"),
    ],
)
def test_scripts_styles_handlers_and_dangerous_urls_are_removed(dirty, clean):
    assert render_markdown(dirty) == clean


class _Audit(HTMLParser):
    """Every tag and attribute of a piece of HTML, with the URLs of its links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[tuple[str, str]] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            self.attributes.add((tag, name))
            if name == "href":
                self.hrefs.append(value or "")


_pieces = st.sampled_from(
    [
        "<script>", "</script>", "<style>", "<img src=x onerror=", "javascript:", "JaVaScRiPt:", "<a href=\"",
        "\">", "[x](", ")", "![y](", "<", ">", "\"", "'", "`", "*", "#", "\n", "\n\n", "    ", "- ", "1. ",
        "| a |", "|---|", "&#106;", "&lt;", "on", "click=", "style=", "data:", "<iframe", "<svg", "<p ", "x",
    ]
)  # fmt: skip


@given(st.lists(_pieces | st.text(max_size=5), max_size=30).map("".join))
def test_whatever_is_typed_the_output_holds_only_the_allow_list(text):
    audit = _Audit()
    audit.feed(render_markdown(text))

    assert audit.tags <= ALLOWED_TAGS
    allowed = {(tag, name) for tag, names in ALLOWED_ATTRIBUTES.items() for name in names}
    for tag, name in audit.attributes:
        assert (tag, name) in allowed or ("*", name) in allowed or (tag, name) == ("a", "rel")
    for href in audit.hrefs:
        assert href.split(":", 1)[0].lower() in {"http", "https", "mailto"} or ":" not in href.split("/", 1)[0]


# --- Plain text ----------------------------------------------------------------------------------


def test_the_plain_text_is_what_a_reader_sees_one_line_per_block():
    text = (
        "## Steps\n\n1. Unplug *the* box\n2. Wait\n\nSee [the guide](https://example.org/x) & call.\n\n"
        "<script>x</script>"
    )

    assert markdown_to_text(text) == "Steps\nUnplug the box\nWait\nSee the guide & call."


@pytest.mark.parametrize("text", ["", "   \n\n", "<script>only()</script>", "<p> </p><!-- note -->", "<img src=x>"])
def test_nothing_to_see_is_an_empty_text(text):
    assert markdown_to_text(text) == ""


def test_a_nul_character_is_no_error():
    assert render_markdown("a\x00b") == "<p>a\ufffdb</p>"


# --- Where bodies are shown ----------------------------------------------------------------------

ARTICLE_BODY = (
    "Before **anything**:\n\n## Steps\n\n1. Unplug the box\n2. Wait 30 seconds\n\n"
    "| Light | Meaning |\n|---|---|\n| red | no line |\n\n"
    "[Guide](https://example.org/guide) <script>alert(1)</script><img src=x onerror=alert(2)>"
)
LESSON_BODY = (
    "## Greeting\n\nSay *hello*, then `check` the identity.\n\n"
    '<p onclick="x()">Kept <abbr title="as written">HTML</abbr></p>\n\n[bad](javascript:alert(1))'
)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_desk_and_the_api_show_an_article_rendered(org, api_client_for):
    article = ArticleFactory(title="Restarting the box", body=ARTICLE_BODY)

    page = (
        _client(org.agent_a)
        .get(reverse("desk:knowledge_article", args=[article.pk]), HTTP_HX_REQUEST="true")
        .content.decode()
    )
    api = api_client_for(org.agent_a).get(reverse("knowledge-article-detail", args=[article.pk])).json()

    assert "<p>Before <strong>anything</strong>:</p>" in page
    assert "<h4>Steps</h4>" in page  # under the article's <h3>
    assert "<li>Unplug the box</li>" in page and "<td>no line</td>" in page
    assert f'<a href="https://example.org/guide" {REL}>Guide</a>' in page
    assert "alert" not in page and "onerror" not in page
    assert api["body"] == ARTICLE_BODY
    assert "<h2>Steps</h2>" in api["body_html"] and "<th>Light</th>" in api["body_html"]
    assert "alert" not in api["body_html"]


@pytest.mark.django_db
def test_the_desk_and_the_api_show_a_lesson_rendered(org, api_client_for):
    course = make_course(title="Greeting customers", lessons=1, quiz=False, by=org.manager)
    assign(course, team=org.team_a)
    lesson = lessons_of(course)[0]
    lesson.body = LESSON_BODY
    lesson.save()

    page = _client(org.agent_a).get(reverse("desk:training_lesson", args=[course.pk, lesson.pk])).content.decode()
    api = api_client_for(org.agent_a).get(reverse("training-course-detail", args=[course.pk])).json()

    expected = (
        "<h2>Greeting</h2>\n<p>Say <em>hello</em>, then <code>check</code> the identity.</p>\n"
        '<p>Kept <abbr title="as written">HTML</abbr></p>\n<p>[bad](javascript:alert(1))</p>'
    )
    assert expected in page and "onclick" not in page
    assert api["lessons"][0]["body"] == expected


@pytest.mark.django_db
def test_search_reads_the_text_not_the_markup(org):
    article = ArticleFactory(title="Box", body="See [the guide](https://tracker.example.org/zzsecret) **now**.")

    assert "zzsecret" not in article.search_text and "the guide now" in article.search_text
