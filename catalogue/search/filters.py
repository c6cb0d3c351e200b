"""The search parameters, validated once for the page, the API and exports.

`ArticleFilterSet(request.GET)` validates `q`, `year_min`, `year_max`, each facet and its
`not_<facet>` (one pair per declaration in facets.py), `sort`, `page` and `page_size`.
Numbers are plain ASCII digits and bounded: int() reads "١٢" or "１２" as 12, and "²" or "①"
pass str.isdigit() but not int(). No parameter may hold a NUL character (PostgreSQL refuses
it in text).
`search_params()` hands the cleaned values to the search engine (one SQL statement per
page); `.qs` applies the same filters with the ORM (orm.py), for streaming exports of the
whole result set.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from catalogue import conf
from catalogue.models import Article
from catalogue.search.facets import FACETS, VALUE_FACETS
from catalogue.search.fields import QueryField, YearField
from catalogue.search.orm import filter_facet, matching_ids_sql, order_queryset
from catalogue.search.params import (
    DEFAULT_SORT,
    NUL_MESSAGE,
    SORTS,
    SearchParams,
    has_nul,
    parse_page,
    plain_int,
)
from catalogue.search.query import Query


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
        return filter_facet(qs, self.facet, value, negate=self.negate)


class SearchForm(forms.Form):
    """The non-filter parameters: which page of how many results."""

    # Plain ASCII digits, bounded: clean_page and clean_page_size say what is wrong.
    page = forms.CharField(required=False)
    page_size = forms.CharField(required=False)

    def clean_page(self) -> int | None:
        text = self.cleaned_data.get("page")
        if not text:
            return None
        try:
            return parse_page(text)
        except ValueError as error:
            raise ValidationError(str(error), code="page") from None

    def clean_page_size(self) -> int | None:
        text = self.cleaned_data.get("page_size")
        if not text:
            return None
        maximum = conf.get("SEARCH_MAX_PAGE_SIZE")
        if plain_int(text) is None:
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

    def clean(self) -> dict[str, Any]:
        """Refuse a NUL character in any parameter, the ones no field reads included."""
        cleaned = super().clean()
        for name in self.data:
            values = self.data.getlist(name) if hasattr(self.data, "getlist") else [self.data[name]]
            if has_nul(name) or any(has_nul(value) for value in values):
                if name in self.fields and name not in self.errors:
                    self.add_error(name, ValidationError(NUL_MESSAGE, code="null_characters"))
                elif name not in self.fields:
                    shown = name.replace("\x00", "%00")[:50]
                    raise ValidationError(
                        f"The parameter “{shown}” holds a NUL character (%00). {NUL_MESSAGE}",
                        code="null_characters",
                    )
        return cleaned


def facet_filter(name: str, *, negate: bool = False) -> ValueListFilter:
    """Return the filter for facet `name` (or, negated, for not_<name>) from its declaration."""
    facet = FACETS[name]
    extra: dict[str, Any] = {"choices": list(facet.choices)} if facet.choices else {}
    return ValueListFilter(
        facet=name,
        negate=negate,
        field_class=facet.field,
        label=f"Not {facet.noun}" if negate else facet.label,
        noun=facet.noun,
        **extra,
    )


def facet_filters() -> dict[str, ValueListFilter]:
    """Return every value facet's filter and its not_ twin, in the declarations' order."""
    filters = {}
    for name in VALUE_FACETS:
        filters[name] = facet_filter(name)
        filters[FACETS[name].not_name] = facet_filter(name, negate=True)
    return filters


class ArticleFilterSet(django_filters.FilterSet):
    """Search parameters shared by /search/, /api/articles/ and the exports."""

    q = QueryFilter(method="filter_q", label="Search")
    year_min = YearFilter(field_name="year", lookup_expr="gte", label="From year")
    year_max = YearFilter(field_name="year", lookup_expr="lte", label="To year")
    # The class body is a dict in definition order, which is the order of the form's fields
    # and so of its error messages: the facets come between the years and the sort.
    locals().update(facet_filters())
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
        sql, params = matching_ids_sql(value)
        return queryset.filter(pk__in=RawSQL(sql, params))  # noqa: S611 -- words are params

    def filter_sort(self, queryset: QuerySet[Article], name: str, value: str) -> QuerySet[Article]:
        return queryset  # ordering is applied last, in filter_queryset

    def filter_queryset(self, queryset: QuerySet[Article]) -> QuerySet[Article]:
        """Return the queryset filtered like the search, in the search's order."""
        for name, value in self.form.cleaned_data.items():
            if name in self.filters:
                queryset = self.filters[name].filter(queryset, value)
        return order_queryset(queryset, params=self.search_params())

    def search_params(self) -> SearchParams:
        """Return the validated parameters for catalogue.search.search()."""
        data = self.form.cleaned_data
        include, exclude = {}, {}
        for name, facet in FACETS.items():
            if name in self.filters:
                include[name] = data.get(name) or []
                exclude[name] = data.get(facet.not_name) or []
        return SearchParams.build(
            query=data.get("q") or Query(),
            year_min=data.get("year_min"),
            year_max=data.get("year_max"),
            include=include,
            exclude=exclude,
            sort=data.get("sort") or DEFAULT_SORT,
        )

    @property
    def page(self) -> int:
        """Return the page asked for (1 when none)."""
        return self.form.cleaned_data.get("page") or 1

    @property
    def page_size(self) -> int:
        """Return the page size asked for, else SEARCH_PAGE_SIZE."""
        return self.form.cleaned_data.get("page_size") or conf.get("SEARCH_PAGE_SIZE")

    def error_list(self) -> list[tuple[str, str]]:
        """Return [(parameter, message)] for every invalid parameter."""
        return [
            ("" if name == NON_FIELD_ERRORS else name, str(message))
            for name, messages in self.form.errors.items()
            for message in messages
        ]
