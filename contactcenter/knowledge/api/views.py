"""Knowledge endpoints (SPEC §5): ``knowledge/`` and ``knowledge/{id}/``, read-only.

Adapters only: parameters are checked by serializers, reads go through
:mod:`contactcenter.knowledge.selectors` (drafts only for managers and admins: a draft answers 404
to anyone else). Articles are written in the back office, through the services.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response

from contactcenter.core.api.views import PolicyViewSet
from contactcenter.knowledge.api.serializers import (
    ArticleListParamsSerializer,
    ArticleListSerializer,
    ArticleSerializer,
)
from contactcenter.knowledge.models import Article
from contactcenter.knowledge.selectors import MAX_SEARCH_LENGTH, MAX_SEARCH_RESULTS, article_search

TAGS = ["knowledge"]
ERRORS = {
    400: OpenApiResponse(description="A parameter is wrong: the body names each one."),
    401: OpenApiResponse(description="No or wrong credentials."),
    403: OpenApiResponse(description="Your account has no role."),
    404: OpenApiResponse(description="No such article, or not one you may read (a draft)."),
}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}


@extend_schema_view(
    list=extend_schema(
        summary="Knowledge base articles, searched",
        description=(
            "`search`: words to look for (at most "
            f"{MAX_SEARCH_LENGTH} characters). Articles matching any of them come best first, at most "
            f"{MAX_SEARCH_RESULTS}: on PostgreSQL by full-text search in each article's own language (French or "
            "English stemming, accents optional, the last word a prefix), elsewhere by a simpler word match. "
            "Without `search`: the most recently published first. `language`, `category` (a name) and `audience` "
            "(`internal` or `public`) narrow the "
            "list. Agents and supervisors read published articles; managers and admins drafts too."
        ),
        tags=TAGS,
        parameters=[ArticleListParamsSerializer],
        responses={200: ArticleListSerializer(many=True), **_errors(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="A knowledge base article, with its body",
        tags=TAGS,
        responses={200: ArticleSerializer, **_errors(401, 403, 404)},
    ),
)
class ArticleViewSet(PolicyViewSet):
    serializer_class = ArticleSerializer
    policy_actions = {"list": "knowledge.read", "retrieve": "knowledge.read"}
    http_method_names = ["get", "head", "options"]
    lookup_value_regex = "[0-9]+"
    # Search and filters are the selector's job.
    filter_backends: list = []

    def get_queryset(self):
        return (
            Article.objects.visible_to(self.request.user)
            .select_related("category")
            .defer("search_vector", "search_text")
        )

    def list(self, request: Request) -> Response:
        params = ArticleListParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        queryset = article_search(
            user=request.user,
            query=data["search"],
            language=data.get("language"),
            category=data.get("category"),
            audience=data.get("audience"),
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(ArticleListSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(ArticleSerializer(self.get_object()).data)
