"""The search parameters, declared once: validated here for the page, the API and exports.

`ArticleFilterSet(request.GET)` validates `q`, `year_min`, `year_max`, each facet and its
`not_<facet>`, `sort`, `page` and `page_size`. `search_params()` hands the cleaned values to
the search engine (catalogue.search, one SQL statement per page); `.qs` applies the same
filters with the ORM, for streaming exports of the whole result set.
"""

from __future__ import annotations

import re
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from catalogue import search
from catalogue.models import Article, Authorship, OutputType
from catalogue.search import FACETS, SORTS, Query, QueryError, SearchParams

# More values than this for one facet is not a real selection, and would make long SQL.
MAX_VALUES_PER_FACET = 50
MAX_ID = 2**63 - 1
PEER_REVIEWED_CHOICES = [("true", "Peer reviewed"), ("false", "Not peer reviewed")]
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


class QueryField(forms.CharField):
    """The search box: cleans to a parsed Query (empty Query for no words)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(strip=True, **kwargs)

    def clean(self, value: Any) -> Query:
        text = super().clean(value)
        if not text:
            return Query()
        try:
            return search.parse_query(text)
        except QueryError as error:
            raise ValidationError(str(error), code="query") from None


class ValueListField(forms.Field):
    """A repeatable parameter (?keyword=1&keyword=2): cleans to a list of values."""

    widget = forms.MultipleHiddenInput
    noun = "value"

    def __init__(self, *, noun: str = "value", **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.noun = noun

    def to_python(self, value: Any) -> list:
        if value in (None, ""):
            return []
        values = value if isinstance(value, list | tuple) else [value]
        values = [str(item).strip() for item in values if str(item).strip()]
        if len(values) > MAX_VALUES_PER_FACET:
            raise ValidationError(
                f"Too many {self.noun} values ({len(values)}): at most {MAX_VALUES_PER_FACET}.",
                code="too_many",
            )
        return list(dict.fromkeys(self.convert(item) for item in values))

    def convert(self, item: str) -> Any:
        return item


class IdListField(ValueListField):
    def convert(self, item: str) -> int:
        if not item.isdigit() or not 1 <= int(item) <= MAX_ID:
            raise ValidationError(
                f"“{item[:50]}” is not a {self.noun} id: ids are whole numbers such as 12.",
                code="invalid_id",
            )
        return int(item)


class ChoiceListField(ValueListField):
    def __init__(self, *, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choices = dict(choices)

    def convert(self, item: str) -> Any:
        if item not in self.choices:
            raise ValidationError(
                f"“{item[:50]}” is not a known {self.noun}; use one of: {', '.join(self.choices)}.",
                code="invalid_choice",
            )
        return item == "true" if set(self.choices) == {"true", "false"} else item


class LanguageListField(ValueListField):
    def convert(self, item: str) -> str:
        item = item.lower()
        if not _LANGUAGE.match(item):
            raise ValidationError(
                f"“{item[:50]}” is not a language code: use ISO 639 codes such as en or de.",
                code="invalid_language",
            )
        return item


class YearField(forms.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(
            min_value=1000,
            max_value=2999,
            error_messages={
                "invalid": "The year must be a whole number such as 2010.",
                "min_value": "The year must be 1000 or later.",
                "max_value": "The year must be 2999 or earlier.",
            },
            **kwargs,
        )


class QueryFilter(django_filters.Filter):
    field_class = QueryField


class YearFilter(django_filters.Filter):
    field_class = YearField


class ValueListFilter(django_filters.Filter):
    """A facet (or its `not_` twin) on the ORM queryset; the engine reads cleaned_data."""

    def __init__(self, *, facet: str, negate: bool = False, field_class: type, **kwargs: Any):
        self.facet, self.negate = facet, negate
        self.field_class = field_class
        super().__init__(**kwargs)

    def filter(self, qs: QuerySet[Article], value: list) -> QuerySet[Article]:
        if not value:
            return qs
        condition = _orm_condition(self.facet, value)
        if self.negate:
            if self.facet == "journal":
                return qs.filter(Q(journal__isnull=True) | ~condition)
            return qs.exclude(condition)
        return qs.filter(condition)


def _orm_condition(facet: str, values: list) -> Q:
    if facet == "type":
        return Q(output_type__in=values)
    if facet == "journal":
        return Q(journal_id__in=values)
    if facet == "language":
        return Q(language__in=values)
    if facet == "peer_reviewed":
        return Q(peer_reviewed__in=values)
    if facet == "author":
        return Q(pk__in=Authorship.objects.filter(author_id__in=values).values("article_id"))
    through = {"keyword": Article.keywords.through, "subject": Article.subject_areas.through}[facet]
    column = {"keyword": "keyword_id", "subject": "subjectarea_id"}[facet]
    return Q(pk__in=through.objects.filter(**{f"{column}__in": values}).values("article_id"))


class SearchForm(forms.Form):
    """The non-filter parameters: which page of how many results."""

    page = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=10**9,
        error_messages={
            "invalid": "The page must be a whole number such as 2.",
            "min_value": "Pages are numbered from 1.",
            "max_value": "There is no such page.",
        },
    )
    page_size = forms.CharField(required=False, max_length=20)

    def clean_page_size(self) -> int | None:
        text = self.cleaned_data.get("page_size")
        if not text:
            return None
        maximum = search.setting("SEARCH_MAX_PAGE_SIZE")
        if not text.isdigit():
            raise ValidationError(
                f"The page size must be a whole number between 1 and {maximum}.", code="invalid"
            )
        size = int(text)
        if not 1 <= size <= maximum:
            raise ValidationError(
                f"The page size must be between 1 and {maximum} results (it was {size:,}).",
                code="page_size",
            )
        return size


def facet_filter(name: str, *, negate: bool = False) -> ValueListFilter:
    """Return the filter for facet `name` (or, negated, for not_<name>)."""
    facet = FACETS[name]
    extra: dict[str, Any] = {}
    if facet.kind == "ids":
        field_class = IdListField
    elif name == "language":
        field_class = LanguageListField
    else:
        field_class = ChoiceListField
        extra["choices"] = OutputType.choices if name == "type" else PEER_REVIEWED_CHOICES
    return ValueListFilter(
        facet=name,
        negate=negate,
        field_class=field_class,
        label=f"Not {facet.label.lower()}" if negate else facet.label,
        noun=facet.label.lower(),
        **extra,
    )


class ArticleFilterSet(django_filters.FilterSet):
    """Search parameters shared by /search/, /api/articles/ and the exports."""

    q = QueryFilter(method="filter_q", label="Search")
    year_min = YearFilter(field_name="year", lookup_expr="gte", label="From year")
    year_max = YearFilter(field_name="year", lookup_expr="lte", label="To year")
    type = facet_filter("type")
    not_type = facet_filter("type", negate=True)
    journal = facet_filter("journal")
    not_journal = facet_filter("journal", negate=True)
    author = facet_filter("author")
    not_author = facet_filter("author", negate=True)
    keyword = facet_filter("keyword")
    not_keyword = facet_filter("keyword", negate=True)
    subject = facet_filter("subject")
    not_subject = facet_filter("subject", negate=True)
    language = facet_filter("language")
    not_language = facet_filter("language", negate=True)
    peer_reviewed = facet_filter("peer_reviewed")
    not_peer_reviewed = facet_filter("peer_reviewed", negate=True)
    sort = django_filters.ChoiceFilter(
        choices=list(SORTS.items()),
        method="filter_sort",
        empty_label=None,
        label="Sort",
        error_messages={
            "invalid_choice": "“%(value)s” is not a sort order; use one of: "
            + ", ".join(SORTS)
            + "."
        },
    )

    class Meta:
        model = Article
        fields: list[str] = []
        form = SearchForm

    def filter_q(self, queryset: QuerySet[Article], name: str, value: Query) -> QuerySet[Article]:
        if value.doi:
            return queryset.with_doi(value.doi)
        if not value.groups:
            return queryset
        sql, params = search.matching_ids_sql(value)
        return queryset.filter(pk__in=RawSQL(sql, params))  # noqa: S611 -- words are params

    def filter_sort(self, queryset: QuerySet[Article], name: str, value: str) -> QuerySet[Article]:
        return queryset  # ordering is applied last, in filter_queryset

    def filter_queryset(self, queryset: QuerySet[Article]) -> QuerySet[Article]:
        """Return the queryset filtered like the search, in the search's order."""
        for name, value in self.form.cleaned_data.items():
            if name in self.filters:
                queryset = self.filters[name].filter(queryset, value)
        return search.order_queryset(queryset, params=self.search_params())

    def search_params(self) -> SearchParams:
        """Return the validated parameters for catalogue.search.search()."""
        data = self.form.cleaned_data
        include, exclude = {}, {}
        for name in FACETS:
            if name in self.filters:
                include[name] = data.get(name) or []
                exclude[name] = data.get(f"not_{name}") or []
        return SearchParams.build(
            query=data.get("q") or Query(),
            year_min=data.get("year_min"),
            year_max=data.get("year_max"),
            include=include,
            exclude=exclude,
            sort=data.get("sort") or search.DEFAULT_SORT,
        )

    @property
    def page(self) -> int:
        return self.form.cleaned_data.get("page") or 1

    @property
    def page_size(self) -> int:
        return self.form.cleaned_data.get("page_size") or search.setting("SEARCH_PAGE_SIZE")

    def error_list(self) -> list[tuple[str, str]]:
        """Return [(parameter, message)] for every invalid parameter."""
        return [
            (name, str(message))
            for name, messages in self.form.errors.items()
            for message in messages
        ]
