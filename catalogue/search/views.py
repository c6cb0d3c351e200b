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
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from django.core.paginator import Page, Paginator
from django.db.models import Count, Model, Q, QuerySet
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
from catalogue.models import Article, Author, EvidenceSummary, Journal, Keyword, SubjectArea
from catalogue.search import FACETS, SORTS, SearchError, SearchParams, SearchResult
from catalogue.search.cache import cached_body
from catalogue.search.filters import ArticleFilterSet
from catalogue.search.params import NUL_MESSAGE, has_nul, list_page, parse_page, plain_int
from catalogue.search.trail import result_link, without_page

TEMPLATE = "catalogue/search_results.html"
BODY_TEMPLATE = "catalogue/includes/_search_body.html"
# Parameters that describe the result set (page and page size only say which slice).
PAGING = ("page", "page_size")
# The facet list parameter naming an entity page's scope ("author:12").
WITHIN = "within"


@dataclass(frozen=True)
class Scope:
    """An entity page's fixed part of the search: its facet, its values and its page.

    The journal, author, keyword and subject pages are the search page with the entity's
    values of its facet fixed; the reader's own parameters narrow them further.
    """

    kind: str  # the entity's kind: "journal", "author", "keyword" or "subject"
    pk: int  # the entity's key
    facet: str  # the facet the entity is a value of
    values: tuple[int, ...]  # the fixed values: the entity (a subject's narrower ones too)
    path: str  # the entity page's path; its states are links to it
    label: str  # the heading of the facet's other values there ("Co-authors")
    value_url: Callable[[int], str]  # where another value of the facet links (its own page)
    empty_message: str = "There are no articles here yet."

    @property
    def within(self) -> str:
        """Return the scope as a facet list's `within` parameter ("author:12")."""
        return f"{self.kind}:{self.pk}"

    @property
    def export_url(self) -> str:
        """Return the entity's export URL (the page's path and "export/")."""
        return f"{self.path}export/"


def scoped_state(data: QueryDict, scope: Scope | None) -> QueryDict:
    """Return a mutable copy of `data` with the scope's fixed facet values set."""
    state = data.copy()
    if scope is not None:
        state.setlist(scope.facet, [str(value) for value in scope.values])
    return state


def scope_errors(data: QueryDict, scope: Scope | None) -> list[tuple[str, str]]:
    """Return the error of a parameter that would widen an entity page beyond its entity."""
    # A facet's values are alternatives (any of them), so a second journal or author on its
    # page would add articles instead of narrowing them: the search page combines those.
    if scope is None or not any(value for value in data.getlist(scope.facet)):
        return []
    noun = FACETS[scope.facet].noun
    return [
        (
            scope.facet,
            f"This page lists the articles of one {noun}, so it takes no other “{scope.facet}” "
            f"parameter. To combine several, use the search page.",
        )
    ]


def feed_url(state: QueryDict) -> str:
    """Return the Atom feed URL of a list's state (its parameters without the page)."""
    query = _querystring(state)
    return reverse("catalogue:search-feed") + (query if query != "?" else "")


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


# An entity page's own facet (its co-authors, other keywords or subjects): how many values the
# sidebar shows before "All ... values", as the engine's facets do.
SCOPE_FACET_TOP = 10
# Above this many articles the sidebar counts an entity page's own facet in the most recently
# added this many of its list only (and says so): counting every article's keywords of a
# 19,000-article keyword took 145-270 ms at 100,000 articles on PostgreSQL, and grows with it.
SCOPE_FACET_ARTICLES = 5_000
# How the other values of an entity page's own facet are read, labelled and filtered:
# (model, fields ordering equal counts, fields a facet list's filter words look in).
_SCOPE_FACET_MODELS: dict[str, tuple[type[Model], tuple[str, ...], tuple[str, ...]]] = {
    "journal": (Journal, ("title",), ("title",)),
    "author": (
        Author,
        ("family_name", "given_names", "corporate_name"),
        ("family_name", "given_names", "corporate_name"),
    ),
    "keyword": (Keyword, ("term",), ("term",)),
    "subject": (SubjectArea, ("name",), ("name",)),
}


def scope_facet_values(
    articles: QuerySet[Article],
    scope: Scope,
    *,
    sort: str = "count",
    text: str = "",
    offset: int = 0,
    limit: int = SCOPE_FACET_TOP,
    newest: int | None = None,
) -> list[search.FacetValue]:
    """Return the other values of an entity page's own facet among `articles` (its whole,
    filtered list) with their counts, most frequent first (or A-Z), one query.

    The engine counts a facet without its own selection (so that its values are
    alternatives), which for the entity's facet would be the whole catalogue's: its
    co-authors, the keywords used with it or the other subjects of its articles are counted
    here instead, within the page's list (its `newest` most recently added articles only,
    when given).
    """
    _, order, _ = _SCOPE_FACET_MODELS[scope.facet]
    ordering = (*order, "pk") if sort == "az" else ("-results", *order, "pk")
    ids = articles.order_by().values("pk")
    if newest is not None:
        ids = articles.order_by("-pk").values("pk")[:newest]
    rows = _scope_facet_rows(ids, scope, text).order_by(*ordering)
    return [
        search.FacetValue(row.pk, _label_of(row), row.results)
        for row in rows[offset : offset + limit]
    ]


def _scope_facet_rows(ids: QuerySet, scope: Scope, text: str) -> QuerySet:
    """Return the other values of the scope's facet among the articles `ids` selects,
    counted (`results`), those whose label holds `text` only."""
    model, _, searched = _SCOPE_FACET_MODELS[scope.facet]
    rows = model.objects.filter(articles__in=ids).exclude(pk__in=scope.values)
    words = " ".join(text.split())[:100]
    if words:
        condition = Q()
        for name in searched:
            condition |= Q(**{f"{name}__icontains": words})
        rows = rows.filter(condition)
    # A person listed twice on one article counts it once; a keyword or subject is linked to
    # an article once, and counting without DISTINCT is cheaper (the largest keyword of a
    # 100,000-article catalogue, 19,000 articles: 290 ms with it, 145 ms without).
    return rows.annotate(results=Count("articles", distinct=scope.facet == "author"))


def _label_of(row: Model) -> str:
    for attribute in ("display_name", "title", "term", "name"):
        if hasattr(row, attribute):
            return str(getattr(row, attribute))
    return str(row)


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


def _decorate(
    result: SearchResult,
    data: QueryDict,
    scope: Scope | None = None,
    scoped_values: list[search.FacetValue] | None = None,
) -> None:
    """Give every facet its "more" link and every value its links (see _decorate_values);
    on an entity page, its own facet shows its other values (`scoped_values`, counted within
    the page's list, with the reader's exclusions) under the scope's label."""
    within = {WITHIN: scope.within} if scope is not None else {}
    for name, facet in result.facets.items():
        if FACETS[name].kind == "year":
            continue
        facet.more_url = reverse("catalogue:search-facet", args=[name]) + _querystring(
            data, **within
        )
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
        _decorate_values(facet.values, name, data, scope=scope)


def _decorate_values(
    values: Iterable[search.FacetValue],
    name: str,
    data: QueryDict,
    *,
    base: str = "",
    scope: Scope | None = None,
) -> None:
    """Give each value of facet `name` its count text and links: select, exclude, or remove
    the selection (relative to `base`), the same on the results page and a facet's list.

    The entity page's own facet links each other value to that value's page instead: a
    facet's values are alternatives, so selecting one there would widen the list."""
    not_name = FACETS[name].not_name
    included = [v for v in data.getlist(name) if v]
    excluded = [v for v in data.getlist(not_name) if v]
    own = scope is not None and name == scope.facet
    for value in values:
        param = value.param
        value.count_text = count_text(value)
        if own:
            value.include_url = scope.value_url(value.id)
        else:
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
                "url": _querystring(data, year_min=None, year_max=None),
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
                        "url": _querystring(
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
                "url": _querystring(data, year_min=str(year), year_max=str(year))
                if count or facet.approximate
                else "",
            }
        )
    return bars


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
    extra.update(scope=scope, feed_url=feed_url(state))
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
        first_page = _querystring(request.GET) if error.field == "page" else ""
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


def _link_articles(articles: Iterable[Article], *, back: str, start: int) -> None:
    """Give each result its `url` (with the list's trail: `back`, and its rank from `start`)
    and each author slot shown (the first ten) its `author_url`."""
    for position, article in enumerate(articles, start=start):
        article.url = result_link(
            detail_url("catalogue:article-detail", article.pk), back=back, position=position
        )
        for authorship in article.ordered_authorships[:10]:
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
        years=_years(result, data),
        year_approximate=result.facets["year"].approximate,
        chips=chips,
        filter_count=len(chips),
        clear_url=_querystring(data, **_cleared(data)),
        page_obj=_page_obj(result),
        suggestion_url=_querystring(data, q=result.suggestion) if result.suggestion else "",
        exports=[
            (
                export.label,
                export_url + _querystring(data, format=export.name, sort=data.get("sort")),
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
    for name in ("values_sort", "values_filter", "values_page", WITHIN):
        state.pop(name, None)
    scope, errors = _within(request.GET.get(WITHIN, ""))
    errors += scope_errors(state, scope)
    filterset = ArticleFilterSet(scoped_state(state, scope))
    if not filterset.is_valid():
        errors += filterset.error_list()
    values_page, values_filter, list_errors = _list_parameters(request.GET)
    errors += list_errors
    listing = None
    if not errors and scope is not None and facet == scope.facet:
        listing = _scope_facet_list(filterset, scope, request.GET, values_filter, values_page)
        if listing is None:
            errors = [("values_page", f"There is no page {values_page} of this list.")]
    elif not errors:
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
    base = scope.path if scope is not None else reverse("catalogue:search")
    if listing is not None:
        _decorate_values(listing.values, facet, state, base=base, scope=scope)
    hidden = [(WITHIN, scope.within)] if scope is not None else []
    context = {
        "facet": FACETS[facet],
        "facet_label": scope.label if scope is not None and facet == scope.facet else "",
        "listing": listing,
        "errors": errors,
        "back_url": base + _querystring(state).rstrip("?"),
        "state": hidden_inputs(state, skip=[]) + hidden,
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


def _scope_facet_list(
    filterset: ArticleFilterSet, scope: Scope, data: QueryDict, text: str, page: int
) -> search.FacetList | None:
    """Return a page of an entity page's own facet's other values (scope_facet_values), or
    None past the last page."""
    sort = "az" if data.get("values_sort") == "az" else "count"
    size = search.FACET_LIST_PAGE_SIZE
    total = _scope_facet_rows(filterset.qs.order_by().values("pk"), scope, text).count()
    if page > 1 and (page - 1) * size >= total:
        return None
    values = scope_facet_values(
        filterset.qs, scope, sort=sort, text=text, offset=(page - 1) * size, limit=size
    )
    return search.FacetList(
        facet=scope.facet,
        label=scope.label,
        values=values,
        total_values=total,
        page=page,
        page_size=size,
        sort=sort,
        text=" ".join(text.split())[:100],
    )


def _within(value: str) -> tuple[Scope | None, list[tuple[str, str]]]:
    """Return the entity page scope a facet list's `within` names ("author:12"), or the
    error of one that names none."""
    if not value:
        return None, []
    from catalogue.views import pages  # the entity pages import this module

    kind, _, key = value.partition(":")
    entity = pages.ENTITY_KINDS.get(kind)
    number = plain_int(key)
    if entity is None or number is None or has_nul(value):
        shown = value.replace("\x00", "%00")[:50]
        return None, [(WITHIN, f"“{shown}” names no journal, author, keyword or subject page.")]
    try:
        found = entity.get_by_pk(number)
    except Http404 as error:
        return None, [(WITHIN, str(error))]
    return pages.entity_scope(entity, found), []


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


def export_results(
    request: HttpRequest, *, scope: Scope | None = None, basename: str = "catalogue-export"
) -> HttpResponse:
    """Stream the current result set (up to SEARCH_EXPORT_MAX articles) in any export format
    or as a formatted bibliography in any style and locale (`format=text&style=ieee&locale=de`);
    an entity's export is the same, narrowed by its `scope`."""
    state = scoped_state(request.GET, scope)
    export_format = state.pop("format", [None])[-1]
    style = state.pop("style", [None])[-1]
    locale = state.pop("locale", [None])[-1]
    filterset = ArticleFilterSet(state)
    errors = scope_errors(request.GET, scope)
    if not filterset.is_valid():
        errors += filterset.error_list()
    if errors:
        return render(request, TEMPLATE, _context(request, errors=errors), status=400)
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
            articles, format=export_format, style=style, locale=locale, basename=basename
        )
    except exports.ExportRequestError as error:
        errors = [(error.field, str(error))]
        return render(request, TEMPLATE, _context(request, errors=errors), status=error.status)
