"""JSON API: /api/articles/ (search with facets, the page's parameters) and /api/articles/<id>/.

Read-only for everyone (writes are the admin's and the importer's). The OpenAPI schema is at
/api/schema/ and browsable at /api/docs/ (Swagger UI served locally, no CDN).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.db.models import prefetch_related_objects
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue import conf, search
from catalogue.models import Article, Authorship, Contributor, ContributorRole, OutputType
from catalogue.search import FACETS, SORTS, SearchError, SearchResult
from catalogue.search.cache import cached_body
from catalogue.search.fields import MAX_ID
from catalogue.search.filters import ArticleFilterSet
from catalogue.search.params import MAX_PAGE


def _many(serializer: type[serializers.Serializer]):
    return extend_schema_field(serializer(many=True))


def _optional(serializer: type[serializers.Serializer]):
    return extend_schema_field(serializer(allow_null=True))


class JournalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    issns = serializers.ListField(child=serializers.CharField())


class PersonSerializer(serializers.Serializer):
    """The person (author) a printed name is linked to, under their own display name."""

    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")
    url = serializers.CharField(help_text="The person's page.")


class AuthorSerializer(serializers.Serializer):
    """One author slot: the name as the source printed it, and the person it names."""

    id = serializers.IntegerField(source="author.pk", help_text="The person's id.")
    position = serializers.IntegerField()
    name = serializers.CharField(help_text="The name as printed, in reading order.")
    family_name = serializers.CharField(help_text="As printed, with its particle.")
    given_names = serializers.CharField()
    particle = serializers.CharField()
    suffix = serializers.CharField()
    corporate_name = serializers.CharField()
    orcid = serializers.CharField(source="author.orcid")
    affiliation = serializers.CharField()
    person = PersonSerializer()

    def to_representation(self, authorship: Authorship) -> dict[str, Any]:
        # By hand: this runs for every author of every result (a generic Serializer walks its
        # fields and sources each time).
        author = authorship.author
        printed = authorship.shown_name
        return {
            "id": author.pk,
            "position": authorship.position,
            "name": authorship.printed_name or author.display_name,
            "family_name": " ".join(
                part for part in (printed.particle, printed.family_name) if part
            ),
            "given_names": printed.given_names,
            "particle": printed.particle,
            "suffix": printed.suffix,
            "corporate_name": printed.corporate_name,
            "orcid": author.orcid,
            "affiliation": authorship.affiliation,
            "person": {
                "id": author.pk,
                "name": author.display_name,
                "url": self._absolute(author.get_absolute_url()),
            },
        }

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ContributorSerializer(serializers.Serializer):
    """A contributor other than the authors (editor, translator, ...), as printed."""

    role = serializers.ChoiceField(choices=ContributorRole.choices)
    role_label = serializers.CharField()
    position = serializers.IntegerField(help_text="1 for the first in this role.")
    name = serializers.CharField(help_text="The name as printed, in reading order.")
    family_name = serializers.CharField(help_text="As printed, with its particle.")
    given_names = serializers.CharField()
    particle = serializers.CharField()
    suffix = serializers.CharField()
    corporate_name = serializers.CharField()


_ROLE_ORDER = {role: index for index, role in enumerate(ContributorRole)}


def _contributor(contributor: Contributor) -> dict[str, Any]:
    return {
        "role": contributor.role,
        "role_label": contributor.get_role_display(),
        "position": contributor.position,
        "name": contributor.printed_name,
        "family_name": " ".join(
            part for part in (contributor.particle, contributor.family_name) if part
        ),
        "given_names": contributor.given_names,
        "particle": contributor.particle,
        "suffix": contributor.suffix,
        "corporate_name": contributor.corporate_name,
    }


class LabelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()


class ArticleSerializer(serializers.Serializer):
    """An article as the record page shows it; `url` is that page."""

    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    api_url = serializers.SerializerMethodField()
    title = serializers.CharField()
    authors = serializers.SerializerMethodField()
    journal = serializers.SerializerMethodField()
    publisher = serializers.CharField(source="publisher_name")
    output_type = serializers.ChoiceField(choices=OutputType.choices)
    output_type_label = serializers.CharField(source="get_output_type_display")
    peer_reviewed = serializers.BooleanField()
    year = serializers.IntegerField(allow_null=True)
    month = serializers.IntegerField(allow_null=True)
    day = serializers.IntegerField(allow_null=True)
    state = serializers.CharField()
    date_text = serializers.CharField(
        help_text="The date as written when year, month and day cannot say it (“1978/79”)."
    )
    volume = serializers.CharField()
    issue = serializers.CharField(help_text="As printed.")
    pages = serializers.CharField(help_text="As printed: “311–325”, “E3313–E3322”, “052102”.")
    article_number = serializers.CharField()
    number_of_pages = serializers.IntegerField(allow_null=True)
    book_title = serializers.CharField()
    chapter = serializers.CharField()
    edition = serializers.CharField()
    series = serializers.CharField()
    series_number = serializers.CharField()
    place = serializers.CharField(help_text="Place of publication.")
    isbn = serializers.CharField()
    report_number = serializers.CharField()
    genre = serializers.CharField(help_text="Thesis or report type as printed.")
    howpublished = serializers.CharField()
    eprint = serializers.CharField()
    eprint_type = serializers.CharField()
    eprint_class = serializers.CharField()
    accessed = serializers.CharField(help_text="When the URL was visited, as written.")
    citation_key = serializers.CharField(help_text="The key of the entry the record came from.")
    et_al = serializers.BooleanField(
        help_text="The author list is incomplete: the source ended it with “and others”."
    )
    contributors = serializers.SerializerMethodField()
    language = serializers.CharField()
    language_name = serializers.CharField()
    doi = serializers.CharField()
    pmid = serializers.CharField()
    external_url = serializers.CharField(source="url")
    abstract = serializers.CharField()
    keywords = serializers.SerializerMethodField()
    subjects = serializers.SerializerMethodField()

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_url(self, article: Article) -> str:
        return self._absolute(article.get_absolute_url())

    def get_api_url(self, article: Article) -> str:
        from django.urls import reverse

        return self._absolute(reverse("catalogue:api-article-detail", args=[article.pk]))

    @_many(AuthorSerializer)
    def get_authors(self, article: Article) -> list[dict[str, Any]]:
        # One serializer for every result: a nested AuthorSerializer(many=True) per article
        # deep-copied its fields again for each result (a few ms a page).
        authors = self._authors
        return [authors.to_representation(authorship) for authorship in article.ordered_authorships]

    @cached_property
    def _authors(self) -> AuthorSerializer:
        return AuthorSerializer(context=self.context)

    @_many(ContributorSerializer)
    def get_contributors(self, article: Article) -> list[dict[str, Any]]:
        """Return the contributors by role, then position (uses the prefetch)."""
        contributors = sorted(
            article.contributors.all(), key=lambda c: (_ROLE_ORDER.get(c.role, 99), c.position)
        )
        return [_contributor(contributor) for contributor in contributors]

    @_optional(JournalSerializer)
    def get_journal(self, article: Article) -> dict[str, Any] | None:
        journal = article.journal
        if journal is None:
            return None
        return {"id": journal.pk, "title": journal.title, "issns": journal.issns}

    @_many(LabelSerializer)
    def get_keywords(self, article: Article) -> list[dict[str, Any]]:
        return [{"id": keyword.pk, "label": keyword.term} for keyword in article.keywords.all()]

    @_many(LabelSerializer)
    def get_subjects(self, article: Article) -> list[dict[str, Any]]:
        return [
            {"id": subject.pk, "label": subject.name} for subject in article.subject_areas.all()
        ]


class HighlightSerializer(serializers.Serializer):
    """HTML (escaped text, matched words in <mark>) of the title and an abstract snippet."""

    title = serializers.CharField()
    abstract = serializers.CharField()


class SearchHitSerializer(ArticleSerializer):
    """A search result: the article, its relevance score and the matched words marked."""

    score = serializers.FloatField(allow_null=True)
    highlight = serializers.SerializerMethodField()

    @extend_schema_field(HighlightSerializer)
    def get_highlight(self, article: Article) -> dict[str, str]:
        return {"title": str(article.title_html), "abstract": str(article.snippet_html)}


FacetValueSerializer = inline_serializer(
    "FacetValue",
    {
        "id": serializers.JSONField(help_text="The value to pass back in the facet parameter."),
        "label": serializers.CharField(),
        "count": serializers.IntegerField(),
        "approximate": serializers.BooleanField(),
    },
)

SearchResponseSerializer = inline_serializer(
    "SearchResponse",
    {
        "count": serializers.IntegerField(),
        "count_is_approximate": serializers.BooleanField(),
        "facets_are_approximate": serializers.BooleanField(),
        "page": serializers.IntegerField(),
        "page_size": serializers.IntegerField(),
        "num_pages": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "ranking_window": serializers.IntegerField(
            allow_null=True,
            help_text="When set, relevance ranked only this many newest matches.",
        ),
        "results": SearchHitSerializer(many=True),
        "facets": serializers.DictField(
            child=serializers.ListField(child=FacetValueSerializer),
            help_text="Per facet, keyed by its parameter name: its top values with counts.",
        ),
        "warnings": serializers.ListField(child=serializers.CharField()),
        "suggestion": serializers.CharField(help_text="“Did you mean” query, or empty."),
    },
)

ErrorSerializer = inline_serializer(
    "Error",
    {
        "detail": serializers.CharField(),
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
    },
)


# Numbers are plain ASCII digits in these bounds (filters.py); anything else is a 400.
_YEAR = {"type": "integer", "minimum": 1000, "maximum": 2999}
_ID = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}


def _parameters() -> list[OpenApiParameter]:
    parameters = [
        OpenApiParameter(
            "q",
            {"type": "string", "maxLength": search.MAX_QUERY_LENGTH},
            description='Words (all must match), "exact phrase", a OR b, -excluded; a DOI or '
            "doi:... returns that record.",
        ),
        OpenApiParameter("year_min", _YEAR, description="From this year."),
        OpenApiParameter("year_max", _YEAR, description="Until this year."),
    ]
    for name, facet in FACETS.items():
        if facet.kind == "year":
            continue
        # drf-spectacular makes arrays (many=True) of basic types only: ids say their bounds.
        ids = facet.kind == "ids"
        kind = {"type": "array", "items": _ID} if ids else OpenApiTypes.STR
        enum = [value for value, _ in facet.choices] or None
        for parameter, verb in ((name, "Only"), (facet.not_name, "Not")):
            parameters.append(
                OpenApiParameter(
                    parameter,
                    kind,
                    many=not ids,
                    enum=enum,
                    explode=True,
                    style="form",
                    description=f"{verb} these {facet.noun} values "
                    f"({'ids; ' if facet.kind == 'ids' else ''}repeatable: several values "
                    "of one facet combine with OR).",
                )
            )
    parameters += [
        OpenApiParameter("sort", OpenApiTypes.STR, enum=list(SORTS), description="Order."),
        OpenApiParameter(
            "page",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
            description="Page number, from 1.",
        ),
        OpenApiParameter(
            "page_size",
            {"type": "integer", "minimum": 1, "maximum": conf.get("SEARCH_MAX_PAGE_SIZE")},
            description=f"Results per page, 1 to {conf.get('SEARCH_MAX_PAGE_SIZE')}.",
        ),
    ]
    return parameters


def _error(errors: list[tuple[str, str]], *, status_code: int = 400) -> Response:
    grouped: dict[str, list[str]] = {}
    for name, message in errors:
        grouped.setdefault(name or "non_field_errors", []).append(message)
    detail = " ".join(message for _, message in errors)
    return Response({"detail": detail, "errors": grouped}, status=status_code)


class ArticleListView(APIView):
    """Search the catalogue: the same parameters and results as the /search/ page."""

    @extend_schema(
        operation_id="articles_search",
        parameters=_parameters(),
        responses={200: SearchResponseSerializer, 400: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        filterset = ArticleFilterSet(request.query_params)
        if not filterset.is_valid():
            return _error(filterset.error_list())
        params = filterset.search_params()
        if params.query.doi:
            return self._doi(request, params)

        def make_body(generation: int) -> dict:
            result = search.search(
                params=params,
                page=filterset.page,
                page_size=filterset.page_size,
                detail=True,
                generation=generation,
            )
            return self._body(request, result)

        try:
            body = cached_body("api", request._request, make_body)
        except SearchError as error:
            return _error([(error.field, error.message)])
        return Response(body)

    def _link(self, request: Request, page: int | None) -> str | None:
        if page is None:
            return None
        pairs = [
            (k, v) for k, values in request.query_params.lists() if k != "page" for v in values
        ]
        if page > 1:
            pairs.append(("page", str(page)))
        return request.build_absolute_uri(request.path + "?" + urlencode(pairs))

    def _body(self, request: Request, result: SearchResult) -> dict[str, Any]:
        context = {"request": request}
        # The search loads what a result list shows; the API gives each result's contributors
        # too: one query for the page.
        prefetch_related_objects(result.articles, "contributors")
        return {
            "count": result.total,
            "count_is_approximate": not result.total_exact,
            "facets_are_approximate": any(f.approximate for f in result.facets.values()),
            "page": result.page,
            "page_size": result.page_size,
            "num_pages": result.num_pages,
            "next": self._link(request, result.page + 1 if result.has_next else None),
            "previous": self._link(request, result.page - 1 if result.has_previous else None),
            "ranking_window": result.ranking_window,
            "results": SearchHitSerializer(result.articles, many=True, context=context).data,
            "facets": {
                name: [
                    {
                        "id": value.id,
                        "label": value.label,
                        "count": value.count,
                        "approximate": value.approximate,
                    }
                    for value in facet.values
                ]
                for name, facet in result.facets.items()
            },
            "warnings": result.warnings,
            "suggestion": result.suggestion,
        }

    def _doi(self, request: Request, params: search.SearchParams) -> Response:
        articles = list(Article.objects.with_doi(params.query.doi).with_related())
        for article in articles:
            article.score = None
            article.title_html = search.highlight_html(article.title)
            article.snippet_html = search.highlight_html(article.abstract)
        return Response(
            {
                "count": len(articles),
                "count_is_approximate": False,
                "facets_are_approximate": False,
                "page": 1,
                "page_size": len(articles),
                "num_pages": 1,
                "next": None,
                "previous": None,
                "ranking_window": None,
                "results": SearchHitSerializer(
                    articles, many=True, context={"request": request}
                ).data,
                "facets": {name: [] for name in FACETS},
                "warnings": [] if articles else [f"No article has the DOI {params.query.doi}."],
                "suggestion": "",
            }
        )


class ArticleDetailView(generics.RetrieveAPIView):
    """One article with its authors (as printed) in order, contributors, journal, keywords
    and subject areas."""

    serializer_class = ArticleSerializer
    queryset = Article.objects.with_related()

    def get_object(self) -> Article:
        try:
            return self.get_queryset().get(pk=self.kwargs["pk"])
        except Article.DoesNotExist:
            raise Http404(f"There is no article with the id {self.kwargs['pk']}.") from None

    @extend_schema(
        operation_id="articles_retrieve", responses={200: ArticleSerializer, 404: ErrorSerializer}
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema of this API."""


class DocsView(SpectacularSwaggerSplitView):
    """The schema, browsable (Swagger UI); its start-up script is a file, as the CSP wants."""
