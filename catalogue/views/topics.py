"""Research topics' pages and API (issue 19): finding experts (`/experts/?q=`), and in the API
a record's related records and fingerprint and the expert search.

Each validates its input (a bad query or unknown id is a 400 or 404 with a message, never a
500) and runs a fixed number of queries.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue.models import Article, TopicStatistics
from catalogue.topics import record_fingerprint, related_records
from catalogue.topics.experts import MAX_QUERY_LENGTH, QueryError, clean_query, find_experts
from catalogue.views.pages import get_or_404


def _computed_at() -> Any:
    return TopicStatistics.objects.order_by("pk").values_list("computed_at", flat=True).first()


def expert_list(request: HttpRequest) -> HttpResponse:
    """Return the expert search: people whose research topics match the query."""
    raw = request.GET.get("q", "")
    context: dict[str, Any] = {"query": "", "result": None, "error": "", "max": MAX_QUERY_LENGTH}
    status = 200
    try:
        query = clean_query(raw)
    except QueryError as error:
        context["error"], status = str(error), 400
    else:
        context["query"] = query
        if query:
            context["result"] = find_experts(query)
    context["computed_at"] = _computed_at()
    return render(request, "catalogue/expert_list.html", context, status=status)


def _error(message: str, status: int) -> Response:
    return Response({"detail": message}, status=status)


def _article(pk: int) -> Article:
    return get_or_404(Article.objects.all(), f"There is no article with the id {pk}.", pk=pk)


def _article_json(request: Request, article: Article) -> dict[str, Any]:
    return {
        "id": article.pk,
        "title": article.title,
        "year": article.year,
        "url": request.build_absolute_uri(article.get_absolute_url()),
        "api_url": request.build_absolute_uri(
            reverse("catalogue:api-article-detail", args=[article.pk])
        ),
    }


class RelatedView(APIView):
    """A record's related records: up to 10 by cosine of their fingerprints, above a floor,
    with the concepts they share."""

    @extend_schema(operation_id="articles_related", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        article = _article(pk)
        return Response(
            {
                "article": article.pk,
                "statistics_computed_at": _computed_at(),
                "related": [
                    {
                        **_article_json(request, item.article),
                        "similarity": round(item.similarity, 4),
                        "shared": item.shared,
                    }
                    for item in related_records(article)
                ],
            }
        )


class TopicsView(APIView):
    """A record's research topics: its concepts with their weights and where they came from."""

    @extend_schema(operation_id="articles_topics", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        article = _article(pk)
        fingerprint = record_fingerprint(article, limit=50)
        return Response(
            {
                "article": article.pk,
                "statistics_computed_at": fingerprint.computed_at,
                "catalogue_records": fingerprint.articles,
                "topics": [
                    {
                        "concept": concept.label,
                        "kind": concept.kind,
                        "weight": concept.weight,
                        "fields": concept.fields,
                        "occurrences": concept.occurrences,
                        "catalogue_records_with_it": concept.document_frequency,
                        "search_url": request.build_absolute_uri(concept.search_url),
                    }
                    for concept in fingerprint.concepts
                ],
            }
        )


class ExpertsView(APIView):
    """People ranked by how well their research topics match the query, with the records
    supporting each match."""

    @extend_schema(
        operation_id="experts_search",
        parameters=[OpenApiParameter("q", str, required=True, description="A topic.")],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        try:
            query = clean_query(request.query_params.get("q", ""))
        except QueryError as error:
            return _error(str(error), 400)
        if not query:
            return _error("Give a topic to search for: ?q=...", 400)
        result = find_experts(query)
        return Response(
            {
                "query": query,
                "concepts": [concept.label or concept.key for concept in result.concepts],
                "statistics_computed_at": _computed_at(),
                "experts": [
                    {
                        "id": expert.author.pk,
                        "name": expert.author.display_name,
                        "url": request.build_absolute_uri(expert.author.get_absolute_url()),
                        "score": round(expert.score, 2),
                        "concepts": expert.concepts,
                        "records": [
                            {
                                "id": record.article_id,
                                "title": record.title,
                                "year": record.year,
                                "concept": record.concept,
                                "weight": record.weight,
                                "url": request.build_absolute_uri(
                                    reverse("catalogue:article-detail", args=[record.article_id])
                                ),
                            }
                            for record in expert.records
                        ],
                    }
                    for expert in result.experts
                ],
            }
        )


urlpatterns: list[URLPattern] = [
    path("experts/", expert_list, name="expert-list"),
    path("api/experts/", ExpertsView.as_view(), name="api-experts"),
    path("api/articles/<int:pk>/related/", RelatedView.as_view(), name="api-article-related"),
    path("api/articles/<int:pk>/topics/", TopicsView.as_view(), name="api-article-topics"),
]
