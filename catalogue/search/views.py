"""The search page, a facet's full value list, and exports of a result set.

The whole state is in the URL (/search/?q=alliance&keyword=12&not_type=editorial&year_min=2010
&sort=newest&page=2): every link on the page is a plain link to another state, so the page
works without JavaScript; catalogue/static/catalogue/search.js swaps the results in place.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.http import (
    HttpRequest,
    HttpResponse,
    QueryDict,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils.safestring import mark_safe

from catalogue import conf, search
from catalogue.formats import exports, negotiation
from catalogue.formats.registry import EXPORT_FORMATS
from catalogue.models import Article, EvidenceSummary
from catalogue.search import FACETS, SORTS, SearchError, SearchParams, SearchResult
from catalogue.search.cache import cached_body
from catalogue.search.filters import ArticleFilterSet
from catalogue.search.params import NUL_MESSAGE, has_nul, parse_page

TEMPLATE = "catalogue/search_results.html"
BODY_TEMPLATE = "catalogue/includes/_search_body.html"
# Parameters that describe the result set (page and page size only say which slice).
PAGING = ("page", "page_size")


def _querystring(data: QueryDict | dict, **changes: Iterable[str] | str | None) -> str:
    """Return "?..." for `data` with the given parameters replaced (None or [] removes them)."""
    pairs: dict[str, list[str]] = {
        name: list(values) for name, values in _lists(data) if name not in PAGING
    }
    for name, value in changes.items():
        if value is None or value == []:
            pairs.pop(name, None)
        else:
            pairs[name] = [value] if isinstance(value, str) else list(value)
    encoded = "&".join(_pair(name, value) for name, values in pairs.items() for value in values)
    return f"?{encoded}" if encoded else "?"


@functools.lru_cache(maxsize=4096)
def _pair(name: str, value: str) -> str:
    # A results page links every facet value three ways: some 120 query strings, mostly
    # the same pairs (about 3 ms a page encoded anew each time).
    return urlencode([(name, value)])


def _lists(data: QueryDict | dict) -> Iterable[tuple[str, list[str]]]:
    if isinstance(data, QueryDict):
        return data.lists()
    return (
        (name, values if isinstance(values, list) else [values]) for name, values in data.items()
    )


def hidden_inputs(data: QueryDict, *, skip: Iterable[str]) -> list[tuple[str, str]]:
    """Return (name, value) pairs of the state to carry in a form's hidden inputs."""
    skipped = set(skip) | set(PAGING)
    return [
        (name, value) for name, values in data.lists() if name not in skipped for value in values
    ]


def _decorate(result: SearchResult, data: QueryDict) -> None:
    """Give every facet its "more" link and every value its links (see _decorate_values)."""
    for name, facet in result.facets.items():
        if FACETS[name].kind == "year":
            continue
        facet.more_url = reverse("catalogue:search-facet", args=[name]) + _querystring(data)
        _decorate_values(facet.values, name, data)


def _decorate_values(
    values: Iterable[search.FacetValue], name: str, data: QueryDict, *, base: str = ""
) -> None:
    """Give each value of facet `name` its count text and links: select, exclude, or remove
    the selection (relative to `base`), the same on the results page and a facet's list."""
    not_name = FACETS[name].not_name
    included = [v for v in data.getlist(name) if v]
    excluded = [v for v in data.getlist(not_name) if v]
    for value in values:
        param = value.param
        value.count_text = count_text(value)
        value.include_url = base + _querystring(
            data, **{name: [*included, param], not_name: [v for v in excluded if v != param]}
        )
        value.exclude_url = base + _querystring(
            data, **{not_name: [*excluded, param], name: [v for v in included if v != param]}
        )
        value.remove_url = base + _querystring(
            data,
            **{
                name: [v for v in included if v != param],
                not_name: [v for v in excluded if v != param],
            },
        )


def _chips(result: SearchResult, data: QueryDict) -> list[dict[str, str]]:
    params = result.params
    chips = []
    if params.year_min is not None or params.year_max is not None:
        low, high = params.year_min, params.year_max
        text = f"{low}–{high}" if low and high and low != high else str(low or "")
        if low is None:
            text = f"until {high}"
        elif high is None:
            text = f"from {low}"
        chips.append(
            {
                "facet": "Year",
                "label": text,
                "negated": False,
                "url": _querystring(data, year_min=None, year_max=None),
            }
        )
    for name in search.VALUE_FACETS:
        for negated, parameter in ((False, name), (True, FACETS[name].not_name)):
            current = [v for v in data.getlist(parameter) if v]
            values = params.excluded(name) if negated else params.included(name)
            for value in values:
                text = search.FacetValue(value, "", 0).param
                chips.append(
                    {
                        "facet": FACETS[name].label,
                        "label": result.label(name, text),
                        "negated": negated,
                        "url": _querystring(
                            data,
                            **{parameter: [v for v in current if v.lower() != text.lower()]},
                        ),
                    }
                )
    return chips


def _years(result: SearchResult, data: QueryDict) -> list[dict]:
    values = sorted(result.facets["year"].values, key=lambda value: value.id)
    if not values:
        return []
    highest = max(value.count for value in values) or 1
    low, high = result.params.year_min, result.params.year_max
    return [
        {
            "year": value.id,
            "count_text": count_text(value),
            "height": max(4, round(100 * value.count / highest)),
            "in_range": (low is None or value.id >= low) and (high is None or value.id <= high),
            "url": _querystring(data, year_min=str(value.id), year_max=str(value.id)),
        }
        for value in values
    ]


def count_text(value: search.FacetValue) -> str:
    """Return a facet count as shown: "1,234", or "about 1,200" for an estimate."""
    return f"about {value.count:,}" if value.approximate else f"{value.count:,}"


def _page_obj(result: SearchResult) -> Page:
    """Return a Paginator page for the shared _pagination.html partial."""
    paginator = Paginator(range(result.reachable), result.page_size)
    return paginator.page(min(result.page, paginator.num_pages))


def _context(request: HttpRequest, **extra: object) -> dict:
    data = request.GET
    context = {
        "query_text": data.get("q", ""),
        "sorts": SORTS,
        "sort": data.get("sort") or search.DEFAULT_SORT,
        "state_for_query": hidden_inputs(data, skip=["q"]),
        "state_for_years": hidden_inputs(data, skip=["year_min", "year_max"]),
        "state_for_sort": hidden_inputs(data, skip=["sort"]),
        "max_query_length": search.MAX_QUERY_LENGTH,
    }
    context.update(extra)
    return context


def search_page(request: HttpRequest) -> HttpResponse:
    """Return the search page: results, total and facets for the state in the URL."""
    filterset = ArticleFilterSet(request.GET)
    if not filterset.is_valid():
        return render(
            request, TEMPLATE, _context(request, errors=filterset.error_list()), status=400
        )
    params = filterset.search_params()
    if params.query.doi:
        article = Article.objects.with_doi(params.query.doi).only("pk").first()
        if article is not None:
            return redirect(article)
        message = (
            f"No article in the catalogue has the DOI “{params.query.doi}”. Check the DOI, "
            "or search for words of the title."
        )
        return render(request, TEMPLATE, _context(request, errors=[("q", message)]), status=404)

    def render_results(generation: int) -> str:
        result = search.search(
            params=params, page=filterset.page, page_size=filterset.page_size, generation=generation
        )
        return render_to_string(BODY_TEMPLATE, _results_context(request, result), request)

    try:
        body = cached_body("page", request, render_results)
    except SearchError as error:
        first_page = _querystring(request.GET) if error.field == "page" else ""
        return render(
            request,
            TEMPLATE,
            _context(request, errors=[(error.field, error.message)], first_page_url=first_page),
            status=400,
        )
    return render(
        request,
        TEMPLATE,
        _context(
            request,
            body=mark_safe(body),  # noqa: S308
            summaries=matching_summaries(params=params, page=filterset.page),
        ),
    )


def matching_summaries(*, params: SearchParams, page: int) -> list[EvidenceSummary]:
    """Return up to five published summaries matching the query's words (first page only)."""
    # Outside the cached results: summary edits do not change the search index generation.
    words = " ".join(term.text for term in params.query.terms)
    if not words or page != 1:
        return []
    summaries = EvidenceSummary.objects.published().matching(words).newest_first()
    return list(summaries.for_listing()[:5])


# A placeholder primary key: reversed once, then replaced by each record's own key.
_PK_PLACEHOLDER = 918273645546372819


@functools.lru_cache(maxsize=32)
def _detail_url_parts(name: str, script_prefix: str) -> tuple[str, str]:
    head, _, tail = reverse(name, args=[_PK_PLACEHOLDER]).rpartition(str(_PK_PLACEHOLDER))
    return head, tail


def detail_url(name: str, pk: int) -> str:
    """Return reverse(name, args=[pk]) for a URL whose only argument is an integer key.

    A results page links every article and up to ten authors of each: some 120 reverse()
    calls, about 60 µs each. The URL is the same text around the key, so reverse it once
    (per script prefix) and put each key in place.
    """
    head, tail = _detail_url_parts(name, get_script_prefix())
    return f"{head}{int(pk)}{tail}"


def _link_articles(articles: Iterable[Article]) -> None:
    """Give each result its `url` and each author slot shown (the first ten) its `author_url`."""
    for article in articles:
        article.url = detail_url("catalogue:article-detail", article.pk)
        for authorship in article.ordered_authorships[:10]:
            authorship.author_url = detail_url("catalogue:author-detail", authorship.author_id)


def _results_context(request: HttpRequest, result: SearchResult) -> dict:
    """Return the context of the results region (_search_body.html)."""
    _decorate(result, request.GET)
    _link_articles(result.articles)
    facets = dict(result.facets)
    facets.pop("year")
    return _context(
        request,
        result=result,
        params=result.params,
        facets=facets.values(),
        years=_years(result, request.GET),
        year_approximate=result.facets["year"].approximate,
        chips=_chips(result, request.GET),
        clear_url=_querystring(request.GET, **_cleared(request.GET)),
        page_obj=_page_obj(result),
        suggestion_url=_querystring(request.GET, q=result.suggestion) if result.suggestion else "",
        exports=[
            (
                export.label,
                reverse("catalogue:search-export")
                + _querystring(request.GET, format=export.name, sort=request.GET.get("sort")),
            )
            for export in EXPORT_FORMATS.values()
        ],
        export_max=conf.get("SEARCH_EXPORT_MAX"),
        # The Export form (any format, or a bibliography in any style and language) carries
        # the search along: its words, filters and sort.
        export=exports.export_menu(
            reverse("catalogue:search-export"),
            hidden=[
                (name, value)
                for name, values in request.GET.lists()
                if name not in _NOT_EXPORTED
                for value in values
            ],
        ),
    )


_NOT_EXPORTED = frozenset({"format", "style", "locale", "page", "page_size"})


def _cleared(data: QueryDict) -> dict[str, None]:
    """Return the changes that clear every filter but keep the words and the sort."""
    names = {"year_min", "year_max"}
    for name in search.VALUE_FACETS:
        names.update((name, FACETS[name].not_name))
    return {name: None for name in names if name in data}


def facet_page(request: HttpRequest, facet: str) -> HttpResponse:
    """Return the full list of a facet's values for the current search, sortable and filtered."""
    if facet not in FACETS or FACETS[facet].kind == "year":
        return render(
            request,
            "catalogue/search_facet.html",
            {"errors": [("facet", f"There is no facet called “{facet[:50]}”.")]},
            status=404,
        )
    state = request.GET.copy()
    for name in ("values_sort", "values_filter", "values_page"):
        state.pop(name, None)
    filterset = ArticleFilterSet(state)
    errors = [] if filterset.is_valid() else filterset.error_list()
    values_page, values_filter, list_errors = _list_parameters(request.GET)
    errors += list_errors
    listing = None
    if not errors:
        try:
            listing = search.facet_values(
                params=filterset.search_params(),
                facet=facet,
                sort=request.GET.get("values_sort", "count"),
                text=values_filter,
                page=values_page,
            )
        except SearchError as error:
            errors = [(error.field, error.message)]
    if listing is not None:
        _decorate_values(listing.values, facet, state, base=reverse("catalogue:search"))
    context = {
        "facet": FACETS[facet],
        "listing": listing,
        "errors": errors,
        "back_url": reverse("catalogue:search") + _querystring(state),
        "state": hidden_inputs(state, skip=[]),
        "sort_urls": {
            sort: _querystring(request.GET, values_sort=sort, values_page=None)
            for sort in ("count", "az")
        },
        "values_sort": request.GET.get("values_sort", "count"),
        "values_filter": request.GET.get("values_filter", ""),
        "page_urls": {},
    }
    if listing is not None:
        context["page_urls"] = {
            "previous": _querystring(request.GET, values_page=str(listing.page - 1)),
            "next": _querystring(request.GET, values_page=str(listing.page + 1)),
        }
    return render(request, "catalogue/search_facet.html", context, status=400 if errors else 200)


# A facet list's filter is cut to this many characters; a longer one is no label's words.
MAX_VALUES_FILTER = 1000


def _list_parameters(data: QueryDict) -> tuple[int, str, list[tuple[str, str]]]:
    """Return a facet list's page and filter words (`values_page`, `values_filter`), and the
    errors of invalid ones: a page in plain ASCII digits up to MAX_PAGE, no NUL character."""
    errors = []
    raw_page = data.get("values_page", "").strip()
    page = 1
    if raw_page:
        try:
            page = parse_page(raw_page)
        except ValueError as error:
            errors.append(("values_page", str(error)))
    text = data.get("values_filter", "")
    if has_nul(text) or has_nul(data.get("values_sort", "")):
        name = "values_filter" if has_nul(text) else "values_sort"
        errors.append((name, NUL_MESSAGE))
    elif len(text) > MAX_VALUES_FILTER:
        errors.append(
            ("values_filter", f"The filter is too long: at most {MAX_VALUES_FILTER} characters.")
        )
    return page, text, errors


def export_results(request: HttpRequest) -> HttpResponse:
    """Stream the current result set (up to SEARCH_EXPORT_MAX articles) in any export format
    or as a formatted bibliography in any style and locale (`format=text&style=ieee&locale=de`)."""
    state = request.GET.copy()
    export_format = state.pop("format", [None])[-1]
    style = state.pop("style", [None])[-1]
    locale = state.pop("locale", [None])[-1]
    filterset = ArticleFilterSet(state)
    if not filterset.is_valid():
        return render(
            request, TEMPLATE, _context(request, errors=filterset.error_list()), status=400
        )
    limit = conf.get("SEARCH_EXPORT_MAX")
    if (export_format or "").strip().lower() == negotiation.TEXT_FORMAT:
        # A bibliography is sorted by the style: it takes the matching set, not the ranked
        # slice; one more id than allowed lets export_response refuse an oversized list.
        allowed = min(limit, exports.bibliography_max() + 1)
        ids = list(filterset.qs.values_list("pk", flat=True)[:allowed])
        if len(ids) > exports.bibliography_max():
            message = (
                f"These results have more than {exports.bibliography_max():,} articles, the "
                "most a formatted bibliography can have. Narrow the search, or export BibTeX, "
                "RIS or CSL-JSON and format them in a reference manager."
            )
            return render(
                request, TEMPLATE, _context(request, errors=[("format", message)]), status=400
            )
        articles = Article.objects.filter(pk__in=ids)
    else:
        articles = filterset.qs[:limit]
    try:
        return exports.export_response(
            articles, format=export_format, style=style, locale=locale, basename="catalogue-export"
        )
    except exports.ExportRequestError as error:
        errors = [(error.field, str(error))]
        return render(request, TEMPLATE, _context(request, errors=errors), status=error.status)
