"""The knowledge panel of the agent desktop: search as you type, read an article, go back.

Two fragments, asked for by htmx from ``desk/knowledge/panel.html`` and swapped into the panel's
body: the results of a search (``desk:knowledge_search``) and one article
(``desk:knowledge_article``). Opened without htmx (a link opened in a new tab), each answers a
whole page holding the same fragment. Reads go through :mod:`contactcenter.knowledge.selectors`:
what an agent may not read (a draft) answers 404 here as on the API.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from contactcenter.core.richtext import render_markdown
from contactcenter.desk.access import page_for
from contactcenter.knowledge.models import Article, ArticleAudience
from contactcenter.knowledge.selectors import (
    MAX_SEARCH_LENGTH,
    article_detail,
    article_search,
    is_draft_visible,
)

#: Results the panel shows: enough to scroll through, few enough to read.
DESK_RESULTS = 20


def _language(request: HttpRequest) -> str:
    """The ``language`` asked for, if it is one of the center's; anything else means all."""
    wanted = request.GET.get("language", "")
    return wanted if wanted in dict(settings.LANGUAGES) else ""


def _back_query(query: str, language: str) -> str:
    """The query string that brings the panel back to these results."""
    return urlencode({key: value for key, value in (("q", query), ("language", language)) if value})


def public_article_url(request: HttpRequest, article: Article) -> str:
    """The customer portal's address of ``article`` when visitors may read it (public and
    published), for the link an agent puts in a chat; the empty string otherwise."""
    if article.audience != ArticleAudience.PUBLIC or not article.is_published:
        return ""
    try:
        address = reverse("portal:article", args=[article.slug])
    except NoReverseMatch:  # the portal's pages are not installed
        address = f"/portal/articles/{article.slug}/"
    return request.build_absolute_uri(address)


def _fragment(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    if getattr(request, "htmx", False):
        return render(request, template, context, status=status)
    return render(request, "desk/knowledge/page.html", {**context, "fragment": template}, status=status)


@page_for("knowledge.read")
@require_GET
def knowledge_search(request: HttpRequest) -> HttpResponse:
    """The articles matching ``q`` (blank: the newest), at most :data:`DESK_RESULTS`, best first.

    ``language`` narrows them; ``opened`` (an article id) is the one to focus when coming back
    from it. A term the search refuses (too long…) is answered with its message, status 200 so
    that htmx shows it in place of the results.
    """
    query = request.GET.get("q", "")[: MAX_SEARCH_LENGTH * 2]
    language = _language(request)
    error = ""
    try:
        articles = list(article_search(user=request.user, query=query, language=language or None, limit=DESK_RESULTS))
    except ValidationError as exc:
        articles, error = [], " ".join(exc.messages)
    context = {
        "articles": articles,
        "query": query.strip(),
        "language": language,
        "error": error,
        "opened": request.GET.get("opened", ""),
        "back_query": _back_query(query.strip(), language),
        "show_status": is_draft_visible(request.user),
    }
    return _fragment(request, "desk/knowledge/results.html", context)


@page_for("knowledge.read")
@require_GET
def knowledge_article(request: HttpRequest, pk: int) -> HttpResponse:
    """One article the user may read, its body rendered (Markdown, sanitized; its headings under
    the article's title), with a way back to the results of ``q`` and ``language``."""
    try:
        article = article_detail(user=request.user, pk=pk)
    except Article.DoesNotExist:
        raise Http404 from None
    query, language = request.GET.get("q", "")[: MAX_SEARCH_LENGTH * 2].strip(), _language(request)
    context = {
        "article": article,
        "body": render_markdown(article.body, top_heading=4),
        "query": query,
        "language": language,
        "back_query": _back_query(query, language),
        "show_status": is_draft_visible(request.user),
        "public_url": public_article_url(request, article),
    }
    return _fragment(request, "desk/knowledge/article.html", context)


urlpatterns = [
    path("desk/knowledge/", knowledge_search, name="knowledge_search"),
    path("desk/knowledge/<int:pk>/", knowledge_article, name="knowledge_article"),
]
