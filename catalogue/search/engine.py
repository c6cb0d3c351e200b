"""The search engine: a page of results with every facet's counts, and a facet's full list.

PostgreSQL: a weighted tsvector (title A, keywords B, abstract C, author names D: each name
as printed, its person's where that differs, and the citation key, since migration 0018) and
the facet columns in `catalogue_search`, one SQL statement per page (see postgres/). SQLite:
FTS5 with the same query language and ranking order (see sqlite.py). Both indexes are kept
current by database triggers (migrations 0004_search and 0018_search_printed_names), so every
write path (admin, importer, generator COPY, bulk_create, raw SQL) is covered. Under the
relevance sort, a match whose citation key is a term of the search comes first.

A page costs a constant number of queries: the index generation, the results statement (or a
cache hit keyed by generation and parameters, cache.py), the page's articles with
highlights, and their authorships (plus one "did you mean" lookup when nothing matched).
"""

from __future__ import annotations

import math

from catalogue import conf
from catalogue.models import fold
from catalogue.search import cache, postgres, sqlite
from catalogue.search.facets import FACETS, ID_FACETS, VALUE_FACETS
from catalogue.search.highlight import marked_articles
from catalogue.search.params import SearchParams
from catalogue.search.query import Query, Term
from catalogue.search.results import (
    FacetList,
    FacetResult,
    FacetValue,
    Raw,
    SearchError,
    SearchResult,
)
from catalogue.search.statement import is_postgres

FACET_LIST_PAGE_SIZE = 100


# --- Searching ---------------------------------------------------------------------------------


def _check_paging(page: int, page_size: int) -> None:
    maximum = conf.get("SEARCH_MAX_PAGE_SIZE")
    if not 1 <= page_size <= maximum:
        raise SearchError(
            f"The page size must be between 1 and {maximum} results (it was {page_size}).",
            field="page_size",
        )
    if page < 1:
        raise SearchError("Pages are numbered from 1.", field="page")
    window = conf.get("SEARCH_MAX_RESULT_WINDOW")
    if (page - 1) * page_size >= window:
        raise SearchError(
            f"Only the first {window:,} results can be paged through (page {page:,} of "
            f"{page_size} would start after them): narrow the search or change the sort.",
            field="page",
        )


def postgres_settings() -> postgres.Settings:
    """Return the PostgreSQL statements' thresholds and sample size from the settings."""
    return postgres.Settings(
        exact_threshold=conf.get("SEARCH_EXACT_THRESHOLD"),
        sample_size=conf.get("SEARCH_FACET_SAMPLE"),
        context_threshold=conf.get("SEARCH_EXACT_THRESHOLD_OTHER_VALUES"),
    )


def _run(params: SearchParams, offset: int, limit: int) -> tuple[Raw, str]:
    facet_names = list(FACETS)
    raw = _embedded(params, offset, limit, facet_names)
    if raw is None and is_postgres():
        raw = postgres.run_results(
            params=params,
            offset=offset,
            limit=limit,
            facet_names=facet_names,
            settings=postgres_settings(),
        )
    elif raw is None:
        raw = sqlite.run_results(params=params, offset=offset, limit=limit, facet_names=facet_names)
    suggestion = ""
    if raw.total == 0 and params.has_text:
        suggestion = _suggestion(params.query)
    return raw, suggestion


def _embedded(params: SearchParams, offset: int, limit: int, facet_names: list[str]) -> Raw | None:
    """Return the page from the node's embedded index (SEARCH_INDEX_DIR, PostgreSQL only), or
    None when there is none or it leaves this search to PostgreSQL (catalogue/search/tantivy/)."""
    directory = conf.get("SEARCH_INDEX_DIR")
    if not directory or not is_postgres():
        return None
    from catalogue.search import tantivy

    return tantivy.run_results(
        directory=directory, params=params, offset=offset, limit=limit, facet_names=facet_names
    )


def _suggestion(query: Query) -> str:
    words = [
        term.text.casefold()
        for term in query.terms
        if not term.phrase and term.text.isalpha() and len(term.text) >= 3
    ]
    words = list(dict.fromkeys(words))[:8]
    if not words:
        return ""
    suggestions = (postgres if is_postgres() else sqlite).suggest_words(words)
    changed = False
    groups = []
    for group in query.groups:
        terms = []
        for term in group:
            better = suggestions.get(term.text.casefold())
            if better and not term.phrase and better != term.text.casefold():
                terms.append(Term(better))
                changed = True
            else:
                terms.append(term)
        groups.append(tuple(terms))
    if not changed:
        return ""
    return str(Query(groups=tuple(groups), excluded=query.excluded))


def search(
    *,
    params: SearchParams,
    page: int = 1,
    page_size: int | None = None,
    detail: bool = False,
    generation: int | None = None,
) -> SearchResult:
    """Return one page of results with the total and every facet's counts.

    Raises SearchError for a page or page size out of range and for unknown ids.
    `detail` also loads each article's keywords and subject areas (for the API);
    `generation` is the index generation when the caller has just read it.
    """
    if page_size is None:
        page_size = conf.get("SEARCH_PAGE_SIZE")
    _check_paging(page, page_size)
    if generation is None:
        generation = cache.search_generation()
    key = cache.results_key(generation, params, page, page_size)
    cached = cache.lookup(key)
    if cached is None:
        raw, suggestion = _run(params, (page - 1) * page_size, page_size)
        cache.store(key, (raw, suggestion))
    else:
        raw, suggestion = cached
    _check_known(params, raw.labels)
    ranking_window = raw.ranked_window or None
    result = SearchResult(
        params=params,
        total=raw.total if raw.total_exact else _rounded(raw.total, figures=3),
        total_exact=raw.total_exact,
        articles=[],
        page=page,
        page_size=page_size,
        facets=_facets(params, raw),
        ranking_window=ranking_window,
        result_window=conf.get("SEARCH_MAX_RESULT_WINDOW"),
        suggestion=suggestion,
        warnings=list(params.query.warnings),
        labels=_chip_labels(params, raw.labels),
        from_cache=cached is not None,
    )
    if page > 1 and page > result.num_pages:
        raise SearchError(
            f"There is no page {page:,}: the results have {result.num_pages:,} "
            f"page{'s' if result.num_pages != 1 else ''}.",
            field="page",
        )
    result.articles = marked_articles(hits=raw.hits, query=params.query, detail=detail)
    return result


def unknown_ids(
    params: SearchParams, labels: dict[tuple[str, str], str | None]
) -> list[tuple[str, object]]:
    """Return (facet, id) of every selected id that names no row, in the facets' order."""
    return [
        (facet, value)
        for facet in ID_FACETS
        for value in (*params.included(facet), *params.excluded(facet))
        # No row: NULL, or on PostgreSQL an author's name built from NULL parts, "".
        if not labels.get((facet, str(value)))
    ]


def _check_known(params: SearchParams, labels: dict[tuple[str, str], str | None]) -> None:
    for facet, value in unknown_ids(params, labels)[:1]:
        noun = FACETS[facet].noun
        raise SearchError(f"There is no {noun} with the id {value}.", field=facet)


def _label(facet: str, value: str, labels: dict[tuple[str, str], str | None]) -> str:
    if FACETS[facet].kind == "ids":
        return labels.get((facet, value)) or value
    return FACETS[facet].choice_label(value)


def _chip_labels(params: SearchParams, labels: dict[tuple[str, str], str | None]) -> dict:
    chips = {}
    for facet in VALUE_FACETS:
        for value in (*params.included(facet), *params.excluded(facet)):
            text = FacetValue(value, "", 0).param
            chips[(facet, text)] = _label(facet, text, labels)
    return chips


def _facets(params: SearchParams, raw: Raw) -> dict[str, FacetResult]:
    facets = {}
    for name, facet in FACETS.items():
        included = {FacetValue(v, "", 0).param for v in params.included(name)}
        excluded = {FacetValue(v, "", 0).param for v in params.excluded(name)}
        rows = raw.counts.get(name, [])
        approximate = raw.approximate.get(name, False)
        values = {
            value: FacetValue(
                id=FACETS[name].value_id(value),
                label=_label(name, value, raw.labels),
                count=_rounded(count) if approx else count,
                selected=value in included,
                excluded=value in excluded,
                approximate=approx,
            )
            for value, count, approx in rows
        }
        for value in included | excluded:
            if value not in values:
                values[value] = FacetValue(
                    id=FACETS[name].value_id(value),
                    label=_label(name, value, raw.labels),
                    count=0,
                    selected=value in included,
                    excluded=value in excluded,
                    # Missing from a sample is not "none": only an exact count says 0.
                    approximate=approximate,
                )
        ordered = sorted(values.values(), key=facet.order())
        has_more = False
        if facet.top:
            unselected = [value for value in ordered if not value.selected and not value.excluded]
            has_more = len(unselected) > facet.top or (
                len(rows) > facet.top and facet.kind == "ids"
            )
            keep = {id(value) for value in unselected[: facet.top]}
            ordered = [
                value for value in ordered if value.selected or value.excluded or id(value) in keep
            ]
        facets[name] = FacetResult(
            name=name,
            label=facet.label,
            values=ordered,
            approximate=approximate,
            has_more=has_more,
        )
    return facets


def _rounded(count: int, *, figures: int = 2) -> int:
    """Return an estimated count to `figures` significant figures (it is no more precise)."""
    if count < 10**figures:
        return count
    digits = math.floor(math.log10(count)) - (figures - 1)
    return round(count, -digits)


# --- The "more" list of one facet --------------------------------------------------------------


def facet_values(
    *,
    params: SearchParams,
    facet: str,
    sort: str = "count",
    text: str = "",
    page: int = 1,
) -> FacetList:
    """Return every value of `facet` for the search (its own selection left out), paged.

    `sort` is "count" or "az"; `text` keeps the values whose label contains it, ignoring case
    and accents. Counted like the results page's facets: exact up to the threshold, else
    estimated from the sample (`approximate`).
    """
    if facet not in FACETS:
        raise SearchError(f"There is no facet called “{facet}”.", field="facet")
    sort = sort if sort in ("count", "az") else "count"
    text = " ".join((text or "").split())[:100]
    if page < 1:
        raise SearchError("Pages are numbered from 1.", field="page")
    size = FACET_LIST_PAGE_SIZE
    included = {FacetValue(v, "", 0).param for v in params.included(facet)}
    excluded = {FacetValue(v, "", 0).param for v in params.excluded(facet)}
    approximate = False
    if is_postgres() and FACETS[facet].kind == "ids":
        rows, total, approximate = postgres.run_facet_list(
            params=params,
            facet=facet,
            sort=sort,
            text=text,
            offset=(page - 1) * size,
            limit=size,
            settings=postgres_settings(),
        )
    else:
        if is_postgres():
            listed, _, approximate = postgres.run_facet_list(
                params=params,
                facet=facet,
                sort="count",
                text="",
                offset=0,
                limit=100_000,
                settings=postgres_settings(),
            )
            all_rows = [(value, count, label, label) for value, count, label in listed]
        else:
            all_rows = sqlite.run_facet_list(params=params, facet=facet)
        if FACETS[facet].kind != "ids":
            all_rows = [
                (value, count, FACETS[facet].choice_label(value), FACETS[facet].choice_label(value))
                for value, count, _, _ in all_rows
            ]
        if text:
            wanted = fold(text)
            all_rows = [row for row in all_rows if wanted in fold(row[2] or "")]
        if sort == "az":
            all_rows.sort(key=lambda row: (fold(row[3] or ""), -row[1], row[0]))
        else:
            all_rows.sort(key=lambda row: (-row[1], fold(row[3] or ""), row[0]))
        total = len(all_rows)
        rows = [row[:3] for row in all_rows[(page - 1) * size : page * size]]
    if page > 1 and (page - 1) * size >= total:
        raise SearchError(f"There is no page {page} of this list.", field="page")
    values = [
        FacetValue(
            id=FACETS[facet].value_id(value),
            label=label if FACETS[facet].kind == "ids" else FACETS[facet].choice_label(value),
            count=count,
            selected=value in included,
            excluded=value in excluded,
            approximate=approximate,
        )
        for value, count, label in rows
    ]
    return FacetList(
        facet=facet,
        label=FACETS[facet].label,
        values=values,
        total_values=total,
        page=page,
        page_size=size,
        sort=sort,
        text=text,
        approximate=approximate,
    )
