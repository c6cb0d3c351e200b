"""A facet's full value list for the current search (`/search/facets/<facet>/`), sortable,
filterable and paged; on an entity page, its own facet's values within its list.
"""

from __future__ import annotations

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    QueryDict,
)
from django.shortcuts import render
from django.urls import reverse

from catalogue import search
from catalogue.search import FACETS, SearchError
from catalogue.search.filters import ArticleFilterSet
from catalogue.search.links import decorate_values, hidden_inputs, querystring
from catalogue.search.params import NUL_MESSAGE, has_nul, parse_page, plain_int
from catalogue.search.scopes import (
    WITHIN,
    Scope,
    scope_errors,
    scope_facet_rows,
    scope_facet_values,
    scoped_state,
)


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
        decorate_values(listing.values, facet, state, base=base, scope=scope)
    hidden = [(WITHIN, scope.within)] if scope is not None else []
    context = {
        "facet": FACETS[facet],
        "facet_label": scope.label if scope is not None and facet == scope.facet else "",
        "listing": listing,
        "errors": errors,
        "back_url": base + querystring(state).rstrip("?"),
        "state": hidden_inputs(state, skip=[]) + hidden,
        "sort_urls": {
            sort: querystring(request.GET, values_sort=sort, values_page=None)
            for sort in ("count", "az")
        },
        "values_sort": request.GET.get("values_sort", "count"),
        "values_filter": request.GET.get("values_filter", ""),
        "page_urls": {},
    }
    if listing is not None:
        context["page_urls"] = {
            "previous": querystring(request.GET, values_page=str(listing.page - 1)),
            "next": querystring(request.GET, values_page=str(listing.page + 1)),
        }
    return render(request, "catalogue/search_facet.html", context, status=400 if errors else 200)


def _scope_facet_list(
    filterset: ArticleFilterSet, scope: Scope, data: QueryDict, text: str, page: int
) -> search.FacetList | None:
    """Return a page of an entity page's own facet's other values (scope_facet_values), or
    None past the last page."""
    sort = "az" if data.get("values_sort") == "az" else "count"
    size = search.FACET_LIST_PAGE_SIZE
    total = scope_facet_rows(filterset.qs.order_by().values("pk"), scope, text).count()
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
