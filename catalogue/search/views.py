"""The search page, a facet's full value list, and exports of a result set.

The whole state is in the URL (/search/?q=alliance&keyword=12&not_type=editorial&year_min=2010
&sort=newest&page=2): every link on the page is a plain link to another state, so the page
works without JavaScript; catalogue/static/catalogue/search.js swaps the results in place.

The journal, author, keyword and subject pages are this same page narrowed by a `Scope`: the
entity's facet values are fixed (a subject's include its narrower subjects), the reader's
parameters add to them, and the body is cached per entity and state like the search page's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from django.core.paginator import Page, Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    QueryDict,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import Resolver404, get_script_prefix, resolve, reverse
from django.utils.safestring import mark_safe

from catalogue import conf, search
from catalogue.formats import exports, negotiation
from catalogue.formats.registry import EXPORT_FORMATS
from catalogue.models import Article, EvidenceSummary
from catalogue.search import FACETS, SORTS, SearchError, SearchParams, SearchResult, markup
from catalogue.search.cache import cached_body
from catalogue.search.filters import ArticleFilterSet
from catalogue.search.links import (
    count_text,
    decorate_values,
    detail_url,
    feed_url,
    hidden_inputs,
    querystring,
)
from catalogue.search.params import list_page
from catalogue.search.scopes import (
    SCOPE_FACET_ARTICLES,
    SCOPE_FACET_TOP,
    WITHIN,
    Scope,
    scope_errors,
    scope_facet_values,
    scoped_state,
)
from catalogue.search.trail import result_link, without_page

TEMPLATE = "catalogue/search_results.html"
BODY_TEMPLATE = "catalogue/includes/_search_body.html"


def list_state(back: str) -> QueryDict | None:
    """Return the search state of a list page from its path and query, or None.

    The search page's state is its parameters; an entity page's adds the entity's fixed facet
    values (its scope). The page parameter is dropped. None when `back` is not a list page,
    names no entity, or widens an entity page (see scope_errors).
    """
    parts = urlsplit(back)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    path = parts.path
    prefix = get_script_prefix()
    if prefix != "/":
        if not path.startswith(prefix):
            return None
        path = "/" + path[len(prefix) :]
    try:
        match = resolve(path)
    except Resolver404:
        return None
    data = QueryDict(parts.query, mutable=True)
    data.pop("page", None)
    if match.func is search_page:
        return data
    from catalogue.views import pages  # the entity pages import this module

    if match.func is not pages.entity_detail:
        return None
    lookup = dict(match.kwargs)
    entity = lookup.pop("entity")
    try:
        scope = pages.entity_scope(entity, entity.get(**lookup))
    except Http404:
        return None
    if scope_errors(data, scope):
        return None
    return scoped_state(data, scope)


def _decorate(
    result: SearchResult,
    data: QueryDict,
    scope: Scope | None = None,
    scoped_values: list[search.FacetValue] | None = None,
) -> None:
    """Give every facet its "more" link and every value its links (see decorate_values);
    on an entity page, its own facet shows its other values (`scoped_values`, counted within
    the page's list, with the reader's exclusions) under the scope's label."""
    within = {WITHIN: scope.within} if scope is not None else {}
    for name, facet in result.facets.items():
        if FACETS[name].kind == "year":
            continue
        facet.more_url = _facet_list_path(name, get_script_prefix()) + querystring(data, **within)
        if scope is not None and name == scope.facet:
            others = list(scoped_values or [])
            facet.label = scope.label
            facet.has_more = len(others) > SCOPE_FACET_TOP
            facet.approximate = False
            if result.total > SCOPE_FACET_ARTICLES:
                facet.note = (
                    f"Counted in the {SCOPE_FACET_ARTICLES:,} most recently added of these "
                    "articles."
                )
            facet.values = [value for value in facet.values if value.excluded] + others[
                :SCOPE_FACET_TOP
            ]
        decorate_values(facet.values, name, data, scope=scope)


@functools.lru_cache(maxsize=64)
def _facet_list_path(name: str, script_prefix: str) -> str:
    """Return the path of facet `name`'s full list: reversed once per facet and script prefix
    (seven reverse() calls a page otherwise)."""
    return reverse("catalogue:search-facet", args=[name])


def _chips(
    result: SearchResult, data: QueryDict, scope: Scope | None = None
) -> list[dict[str, str]]:
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
                "url": querystring(data, year_min=None, year_max=None),
            }
        )
    for name in search.VALUE_FACETS:
        for negated, parameter in ((False, name), (True, FACETS[name].not_name)):
            current = [v for v in data.getlist(parameter) if v]
            values = params.excluded(name) if negated else params.included(name)
            if scope is not None and name == scope.facet and not negated:
                continue  # the entity itself: the page's subject, not a filter
            for value in values:
                text = search.FacetValue(value, "", 0).param
                chips.append(
                    {
                        "facet": FACETS[name].label,
                        "label": result.label(name, text),
                        "negated": negated,
                        "url": querystring(
                            data,
                            **{parameter: [v for v in current if v.lower() != text.lower()]},
                        ),
                    }
                )
    return chips


def _years(result: SearchResult, data: QueryDict) -> list[dict]:
    """Return a bar for every year from the first to the last with results, empty ones too
    (a gap in the chart is a gap in the record, not a year left out)."""
    facet = result.facets["year"]
    counted = {value.id: value for value in facet.values if value.count and value.id is not None}
    if not counted:
        return []
    highest = max(value.count for value in counted.values()) or 1
    low, high = result.params.year_min, result.params.year_max
    year_url = _year_url(data)
    bars = []
    for year in range(min(counted), max(counted) + 1):
        value = counted.get(year)
        count = value.count if value is not None else 0
        bars.append(
            {
                "year": year,
                "count": count,
                "count_text": count_text(value) if value is not None else "0",
                "height": max(4, round(100 * count / highest)) if count else 0,
                "in_range": (low is None or year >= low) and (high is None or year <= high),
                # An estimated chart's empty year may have a few: it stays a link then.
                "url": year_url(year) if count or facet.approximate else "",
            }
        )
    return bars


def _year_url(data: QueryDict) -> Callable[[int], str]:
    """Return a function giving querystring(data, year_min=year, year_max=year) for a year.

    A century of bars is a century of query strings of the same state: it is encoded once
    with a NUL for the year (a URL's NUL is "%00"; any other parameter's value is encoded,
    so no other pair reads "year_min=%00"), and each year put in its two places.
    """
    pieces = querystring(data, year_min="\x00", year_max="\x00")[1:].split("&")
    slots = {"year_min=%00": "year_min=", "year_max=%00": "year_max="}

    def url(year: int) -> str:
        return "?" + "&".join(
            f"{slots[piece]}{int(year)}" if piece in slots else piece for piece in pieces
        )

    return url


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
        "state_for_years": hidden_inputs(data, skip=["year_min", "year_max"]),
        "state_for_sort": hidden_inputs(data, skip=["sort"]),
        "max_query_length": search.MAX_QUERY_LENGTH,
        "list_url": reverse("catalogue:search"),
    }
    context.update(extra)
    return context


def search_page(request: HttpRequest) -> HttpResponse:
    """Return the search page: results, total and facets for the state in the URL."""
    return results_page(
        request,
        TEMPLATE,
        # The header's search box is the page's: it carries the filters and the sort along.
        search_box_state=hidden_inputs(request.GET, skip=["q"]),
        search_box_help=True,
    )


def results_page(
    request: HttpRequest, template: str, *, scope: Scope | None = None, **extra: object
) -> HttpResponse:
    """Return a results page: the search page, or an entity page narrowed by `scope`.

    One implementation for both: the same validation, engine, body template and cache (the
    body is cached per state, and per entity for an entity page). An entity page keeps its
    lenient `page` (see _scoped_page) and the catalogue's list page size.
    """
    state = scoped_state(request.GET, scope)
    extra.update(scope=scope, feed_url=feed_url(state.lists()))
    if scope is not None:
        extra["list_url"] = scope.path
        page_value = state.pop("page", [""])[-1]
    filterset = ArticleFilterSet(state)
    errors = scope_errors(request.GET, scope)
    if not filterset.is_valid():
        errors += filterset.error_list()
    if errors:
        return render(request, template, _context(request, errors=errors, **extra), status=400)
    params = filterset.search_params()
    if params.query.doi:
        article = Article.objects.with_doi(params.query.doi).only("pk").first()
        if article is not None:
            return redirect(article)
        message = (
            f"No article in the catalogue has the DOI “{params.query.doi}”. Check the DOI, "
            "or search for words of the title."
        )
        return render(
            request, template, _context(request, errors=[("q", message)], **extra), status=404
        )

    def render_results(generation: int) -> str:
        if scope is None:
            result = search.search(
                params=params,
                page=filterset.page,
                page_size=filterset.page_size,
                generation=generation,
            )
        else:
            page_size = filterset.form.cleaned_data.get("page_size") or conf.get(
                "CATALOGUE_PAGE_SIZE"
            )
            result = _scoped_page(params, page_value, page_size, generation)
        scoped_values = None
        if scope is not None and scope.facet != "journal":  # an article has one journal
            # Many articles: their most recently added ones only (SCOPE_FACET_ARTICLES).
            many = result.total > SCOPE_FACET_ARTICLES
            scoped_values = scope_facet_values(
                filterset.qs,
                scope,
                limit=SCOPE_FACET_TOP + 1,
                newest=SCOPE_FACET_ARTICLES if many else None,
            )
        context = _results_context(
            request,
            result,
            scope=scope,
            list_url=extra.get("list_url"),
            scoped_values=scoped_values,
        )
        return render_to_string(BODY_TEMPLATE, context, request)

    kind = "page" if scope is None else f"page-{scope.within}"
    try:
        body = cached_body(kind, request, render_results)
    except SearchError as error:
        first_page = querystring(request.GET) if error.field == "page" else ""
        return render(
            request,
            template,
            _context(
                request, errors=[(error.field, error.message)], first_page_url=first_page, **extra
            ),
            status=400,
        )
    summaries = []
    if scope is None:
        summaries = matching_summaries(params=params, page=filterset.page)
    return render(
        request,
        template,
        _context(request, body=mark_safe(body), summaries=summaries, **extra),  # noqa: S308
    )


def _scoped_page(params: SearchParams, value: str, page_size: int, generation: int) -> SearchResult:
    """Return an entity page's results at its `page` value, read leniently as list pages
    always have: a value that is no ASCII number is the first page, one out of range the last."""
    text = list_page(value)
    try:
        number: int | None = int(text)
    except ValueError:
        number = 1
    if number is not None and number < 1:
        number = None
    if number is not None:
        try:
            return search.search(
                params=params, page=number, page_size=page_size, generation=generation
            )
        except SearchError as error:
            if error.field != "page":
                raise
    # Past the end (or past the pageable window): the last page, counted from the first.
    first = search.search(params=params, page=1, page_size=page_size, generation=generation)
    if first.num_pages == 1:
        return first
    return search.search(
        params=params, page=first.num_pages, page_size=page_size, generation=generation
    )


def matching_summaries(*, params: SearchParams, page: int) -> list[EvidenceSummary]:
    """Return up to five published summaries matching the query's words (first page only)."""
    # Outside the cached results: summary edits do not change the search index generation.
    words = " ".join(term.text for term in params.query.terms)
    if not words or page != 1:
        return []
    summaries = EvidenceSummary.objects.published().matching(words).newest_first()
    return list(summaries.for_listing()[:5])


def _link_articles(articles: Iterable[Article], *, back: str, start: int) -> None:
    """Give each result its `url` (with the list's trail: `back`, and its rank from `start`)
    and each author slot shown (the first ten) its `author_url`."""
    for position, article in enumerate(articles, start=start):
        article.url = result_link(
            detail_url("catalogue:article-detail", article.pk), back=back, position=position
        )
        for authorship in article.ordered_authorships[: markup.AUTHORS_SHOWN]:
            authorship.author_url = detail_url("catalogue:author-detail", authorship.author_id)


def _results_context(
    request: HttpRequest,
    result: SearchResult,
    *,
    scope: Scope | None = None,
    list_url: str | None = None,
    scoped_values: list[search.FacetValue] | None = None,
) -> dict:
    """Return the context of the results region (_search_body.html)."""
    data = request.GET
    _decorate(result, data, scope, scoped_values)
    _link_articles(
        result.articles, back=without_page(request.get_full_path()), start=result.start_index
    )
    facets = dict(result.facets)
    facets.pop("year")
    chips = _chips(result, data, scope)
    years = _years(result, data)
    export_url = scope.export_url if scope is not None else reverse("catalogue:search-export")
    narrowed = bool(chips) or result.params.has_text
    return _context(
        request,
        result=result,
        params=result.params,
        scope=scope,
        list_url=list_url or reverse("catalogue:search"),
        narrowed=narrowed,
        facets=facets.values(),
        facet_sections=markup.facet_sections(facets.values()),
        years=years,
        year_bars=markup.year_bars(years),
        year_approximate=result.facets["year"].approximate,
        chips=chips,
        filter_count=len(chips),
        clear_url=querystring(data, **_cleared(data)),
        page_obj=_page_obj(result),
        result_rows=markup.result_rows(result.articles, scope=scope),
        suggestion_url=querystring(data, q=result.suggestion) if result.suggestion else "",
        exports=[
            (
                export.label,
                export_url + querystring(data, format=export.name, sort=data.get("sort")),
            )
            for export in EXPORT_FORMATS.values()
        ],
        export_max=conf.get("SEARCH_EXPORT_MAX"),
        # The Export form (any format, or a bibliography in any style and language) carries
        # the search along: its words, filters and sort.
        export=exports.export_menu(
            export_url,
            hidden=[
                (name, value)
                for name, values in data.lists()
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


def export_results(
    request: HttpRequest, *, scope: Scope | None = None, basename: str = "catalogue-export"
) -> HttpResponse:
    """Stream the current result set (up to SEARCH_EXPORT_MAX articles) in any export format
    or as a formatted bibliography in any style and locale (`format=text&style=ieee&locale=de`);
    an entity's export is the same, narrowed by its `scope`.

    A bad request answers the search's export with the search page and its messages; an
    entity's export (a download link of its page) with short plain text, as the record's.
    """

    def refuse(errors: list[tuple[str, str]], status: int) -> HttpResponse:
        if scope is not None:
            text = "".join(f"{message}\n" for _, message in errors)
            response = negotiation.plain_response(text, status=status)
            if status == 503:
                response["Retry-After"] = "60"
            return response
        return render(request, TEMPLATE, _context(request, errors=errors), status=status)

    state = scoped_state(request.GET, scope)
    export_format = state.pop("format", [None])[-1]
    style = state.pop("style", [None])[-1]
    locale = state.pop("locale", [None])[-1]
    filterset = ArticleFilterSet(state)
    errors = scope_errors(request.GET, scope)
    if not filterset.is_valid():
        errors += filterset.error_list()
    if errors:
        return refuse(errors, 400)
    limit = conf.get("SEARCH_EXPORT_MAX")
    if (export_format or "").strip().lower() != negotiation.TEXT_FORMAT:
        articles = filterset.qs[:limit]
    elif scope is not None:
        # The entity's whole list: export_response counts it and refuses a bibliography
        # longer than bibliography_max() saying how long it is.
        articles = filterset.qs
    else:
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
            return refuse([("format", message)], 400)
        articles = Article.objects.filter(pk__in=ids)
    try:
        return exports.export_response(
            articles, format=export_format, style=style, locale=locale, basename=basename
        )
    except exports.ExportRequestError as error:
        return refuse([(error.field, str(error))], error.status)
