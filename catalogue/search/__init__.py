"""Faceted full-text search over the catalogue: the engine behind /search/ and /api/articles/.

PostgreSQL: a weighted tsvector (title A, keywords B, abstract C, author names D) and the
facet columns in `catalogue_search`, one SQL statement per page (see postgres.py). SQLite:
FTS5 with the same query language and ranking order (see sqlite.py). Both indexes are kept
current by database triggers created in migration 0004_search, so every write path (admin,
importer, generator COPY, bulk_create, raw SQL) is covered; `refresh_search_index` re-indexes
explicitly (after restoring a dump, or to repair).

A page costs a constant number of queries: the index generation, the results statement (or a
cache hit keyed by generation and parameters), the page's articles with highlights, and their
authorships (plus one "did you mean" lookup when nothing matched).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils.safestring import SafeString, mark_safe

from catalogue import identifiers
from catalogue.models import Article, OutputType
from catalogue.search import postgres, sqlite
from catalogue.search.params import (
    DEFAULT_SORT,
    FACETS,
    SORTS,
    VALUE_FACETS,
    Facet,
    SearchParams,
)
from catalogue.search.query import (
    MAX_QUERY_LENGTH,
    Query,
    QueryError,
    Term,
    parse_query,
)
from catalogue.search.results import (
    FacetList,
    FacetResult,
    FacetValue,
    SearchError,
    SearchResult,
)

__all__ = [
    "DEFAULT_SORT",
    "FACETS",
    "MAX_QUERY_LENGTH",
    "SORTS",
    "VALUE_FACETS",
    "Facet",
    "FacetList",
    "FacetResult",
    "FacetValue",
    "Query",
    "QueryError",
    "SearchError",
    "SearchParams",
    "SearchResult",
    "Term",
    "facet_values",
    "highlight_html",
    "matching_ids_sql",
    "parse_query",
    "refresh_search_index",
    "search",
    "search_generation",
]

MARK_START, MARK_END = "\ue000", "\ue001"
FACET_LIST_PAGE_SIZE = 100
SNIPPET_WORDS = 40
ID_FACET_NOUNS = {
    "journal": "journal",
    "author": "author",
    "keyword": "keyword",
    "subject": "subject area",
}


def setting(name: str) -> Any:
    """Return a search setting (see the "# Search" block of catalogue/settings.py)."""
    defaults = {
        "SEARCH_EXACT_THRESHOLD": 20_000,
        "SEARCH_EXACT_THRESHOLD_OTHER_VALUES": 5_000,
        "SEARCH_FACET_SAMPLE": 5_000,
        "SEARCH_PAGE_SIZE": 20,
        "SEARCH_MAX_PAGE_SIZE": 100,
        "SEARCH_MAX_RESULT_WINDOW": 10_000,
        "SEARCH_CACHE_ALIAS": "default",
        "SEARCH_CACHE_SECONDS": 600,
        "SEARCH_EXPORT_MAX": 10_000,
    }
    return getattr(settings, name, defaults[name])


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


# --- Index maintenance -------------------------------------------------------------------------


def refresh_search_index(article_ids: Iterable[int] | None = None) -> int:
    """Re-index the given articles (all when None) now; return how many were re-indexed.

    On PostgreSQL only the articles whose index row changed are counted. The triggers
    already keep the index current: this is for repairs and restored dumps.
    """
    if article_ids is None:
        ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted(set(article_ids))
    changed = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if _is_postgres():
            cursor.execute("SELECT catalogue_search_flush()")
            changed += cursor.fetchone()[0]
            for start in range(0, len(ids), 5000):
                cursor.execute(
                    "SELECT catalogue_search_refresh(%s::bigint[])", [ids[start : start + 5000]]
                )
                changed += cursor.fetchone()[0]
            if article_ids is None:
                # Also drop rows of articles that no longer exist, and recount the facets.
                cursor.execute(
                    "DELETE FROM catalogue_search s WHERE NOT EXISTS "
                    "(SELECT 1 FROM catalogue_article a WHERE a.id = s.article_id)"
                )
                changed += cursor.rowcount
                cursor.execute(
                    "SELECT catalogue_search_recount(); UPDATE catalogue_search_state "
                    "SET generation = nextval('catalogue_search_generation')"
                )
        else:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                # Rewriting the title fires the FTS triggers, which rebuild these rows.
                changed += Article.objects.filter(pk__in=chunk).update(title=F("title"))
    return changed


def search_generation() -> int:
    """Return the index's current generation (changes on every write to indexed data)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT generation FROM catalogue_search_state WHERE id = 1")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


# --- Searching ---------------------------------------------------------------------------------


def _check_paging(page: int, page_size: int) -> None:
    maximum = setting("SEARCH_MAX_PAGE_SIZE")
    if not 1 <= page_size <= maximum:
        raise SearchError(
            f"The page size must be between 1 and {maximum} results (it was {page_size}).",
            field="page_size",
        )
    if page < 1:
        raise SearchError("Pages are numbered from 1.", field="page")
    window = setting("SEARCH_MAX_RESULT_WINDOW")
    if (page - 1) * page_size >= window:
        raise SearchError(
            f"Only the first {window:,} results can be paged through (page {page:,} of "
            f"{page_size} would start after them): narrow the search or change the sort.",
            field="page",
        )


def _postgres_settings() -> postgres.Settings:
    return postgres.Settings(
        exact_threshold=setting("SEARCH_EXACT_THRESHOLD"),
        sample_size=setting("SEARCH_FACET_SAMPLE"),
        context_threshold=setting("SEARCH_EXACT_THRESHOLD_OTHER_VALUES"),
    )


def _run(params: SearchParams, offset: int, limit: int) -> tuple[postgres.Raw, str]:
    facet_names = list(FACETS)
    if _is_postgres():
        raw = postgres.run_results(
            params=params,
            offset=offset,
            limit=limit,
            facet_names=facet_names,
            settings=_postgres_settings(),
        )
    else:
        raw = sqlite.run_results(params=params, offset=offset, limit=limit, facet_names=facet_names)
    suggestion = ""
    if raw.total == 0 and params.has_text:
        suggestion = _suggestion(params.query)
    return raw, suggestion


def _suggestion(query: Query) -> str:
    words = [
        term.text.casefold()
        for term in query.terms
        if not term.phrase and term.text.isalpha() and len(term.text) >= 3
    ]
    words = list(dict.fromkeys(words))[:8]
    if not words:
        return ""
    suggestions = (postgres if _is_postgres() else sqlite).suggest_words(words)
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
        page_size = setting("SEARCH_PAGE_SIZE")
    _check_paging(page, page_size)
    cache = caches[setting("SEARCH_CACHE_ALIAS")]
    if generation is None:
        generation = search_generation()
    key = f"catalogue-search:{generation}:{params.cache_key()}:{page}:{page_size}"
    cached = cache.get(key)
    if cached is None:
        raw, suggestion = _run(params, (page - 1) * page_size, page_size)
        cache.set(key, (raw, suggestion), setting("SEARCH_CACHE_SECONDS"))
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
        result_window=setting("SEARCH_MAX_RESULT_WINDOW"),
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
    result.articles = _articles(raw.hits, params.query, detail=detail)
    return result


def _check_known(params: SearchParams, labels: dict[tuple[str, str], str | None]) -> None:
    for facet, noun in ID_FACET_NOUNS.items():
        for value in (*params.included(facet), *params.excluded(facet)):
            if labels.get((facet, str(value))) is None:
                raise SearchError(f"There is no {noun} with the id {value}.", field=facet)


def choice_label(facet: str, value: str) -> str:
    """Return the label of a type, language, peer-review or year value."""
    if facet == "type":
        return str(OutputType(value).label) if value in OutputType.values else value
    if facet == "language":
        return identifiers.language_name(value) or value
    if facet == "peer_reviewed":
        return "Peer reviewed" if value in ("true", True) else "Not peer reviewed"
    return str(value)


def facet_value_id(facet: str, value: str) -> Any:
    """Return a facet value as its parameter type: int ids and years, bools, codes."""
    if FACETS[facet].kind in ("ids", "year"):
        return int(value)
    if FACETS[facet].kind == "bool":
        return value == "true"
    return value


def _label(facet: str, value: str, labels: dict[tuple[str, str], str | None]) -> str:
    if FACETS[facet].kind == "ids":
        return labels.get((facet, value)) or value
    return choice_label(facet, value)


def _chip_labels(params: SearchParams, labels: dict[tuple[str, str], str | None]) -> dict:
    chips = {}
    for facet in VALUE_FACETS:
        for value in (*params.included(facet), *params.excluded(facet)):
            text = FacetValue(value, "", 0).param
            chips[(facet, text)] = _label(facet, text, labels)
    return chips


def _facets(params: SearchParams, raw: postgres.Raw) -> dict[str, FacetResult]:
    facets = {}
    for name, facet in FACETS.items():
        included = {FacetValue(v, "", 0).param for v in params.included(name)}
        excluded = {FacetValue(v, "", 0).param for v in params.excluded(name)}
        rows = raw.counts.get(name, [])
        approximate = raw.approximate.get(name, False)
        values = {
            value: FacetValue(
                id=facet_value_id(name, value),
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
                    id=facet_value_id(name, value),
                    label=_label(name, value, raw.labels),
                    count=0,
                    selected=value in included,
                    excluded=value in excluded,
                )
        ordered = sorted(values.values(), key=_value_order(name))
        has_more = False
        if facet.top:
            unselected = [value for value in ordered if not value.selected and not value.excluded]
            has_more = len(unselected) > facet.top or (
                len(rows) > facet.top and name in ("journal", "author", "keyword", "subject")
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


def _value_order(facet: str):
    if facet == "year":
        return lambda value: -value.id
    if facet == "peer_reviewed":
        return lambda value: (not value.id,)
    return lambda value: (-value.count, value.label.casefold(), str(value.id))


def _rounded(count: int, *, figures: int = 2) -> int:
    """Return an estimated count to `figures` significant figures (it is no more precise)."""
    if count < 10**figures:
        return count
    digits = math.floor(math.log10(count)) - (figures - 1)
    return round(count, -digits)


def _articles(hits: Sequence[tuple[int, float | None]], query: Query, *, detail: bool) -> list:
    if not hits:
        return []
    ids = [article_id for article_id, _ in hits]
    articles = Article.objects.filter(pk__in=ids).for_listing()
    if detail:
        articles = articles.prefetch_related("keywords", "subject_areas")
    if query.groups:
        if _is_postgres():
            title = postgres.headline_sql(query, "catalogue_article.title", snippet=False)
            abstract = postgres.headline_sql(query, "catalogue_article.abstract", snippet=True)
        else:
            title = sqlite.headline_sql(query, 0, snippet=False)
            abstract = sqlite.headline_sql(query, 3, snippet=True)
        # The SQL is built from constants; the query's words are parameters.
        articles = articles.annotate(
            title_marked=RawSQL(title.sql, title.params),  # noqa: S611
            abstract_marked=RawSQL(abstract.sql, abstract.params),  # noqa: S611
        )
    scores = dict(hits)
    by_id = {article.pk: article for article in articles}
    ordered = []
    for article_id in ids:
        article = by_id.get(article_id)
        if article is None:  # deleted since the results were cached
            continue
        article.score = scores[article_id]
        article.title_html = highlight_html(getattr(article, "title_marked", None) or article.title)
        marked = getattr(article, "abstract_marked", None)
        article.snippet_html = (
            highlight_html(marked) if marked else _plain_snippet(article.abstract)
        )
        ordered.append(article)
    return ordered


def _plain_snippet(abstract: str) -> SafeString:
    words = (abstract or "").split()
    text = " ".join(words[:SNIPPET_WORDS]) + (" …" if len(words) > SNIPPET_WORDS else "")
    return highlight_html(text)


def highlight_html(text: str | None) -> SafeString:
    """Return `text` as safe HTML: escaped, CSL rich-text tags kept, U+E000…U+E001 as <mark>."""
    from catalogue.templatetags.catalogue_tags import render_rich_text

    text = text or ""
    if text.count(MARK_START) != text.count(MARK_END):
        text = text.replace(MARK_START, "").replace(MARK_END, "")
    html = str(render_rich_text(text))
    return mark_safe(  # noqa: S308 -- escaped above; only our own markers become tags
        html.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    )


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
    from catalogue.models import fold

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
    if _is_postgres() and FACETS[facet].kind == "ids":
        rows, total, approximate = postgres.run_facet_list(
            params=params,
            facet=facet,
            sort=sort,
            text=text,
            offset=(page - 1) * size,
            limit=size,
            settings=_postgres_settings(),
        )
    else:
        if _is_postgres():
            listed, _, approximate = postgres.run_facet_list(
                params=params,
                facet=facet,
                sort="count",
                text="",
                offset=0,
                limit=100_000,
                settings=_postgres_settings(),
            )
            all_rows = [(value, count, label, label) for value, count, label in listed]
        else:
            all_rows = sqlite.run_facet_list(params=params, facet=facet)
        if FACETS[facet].kind != "ids":
            all_rows = [
                (value, count, choice_label(facet, value), choice_label(facet, value))
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
            id=facet_value_id(facet, value),
            label=label if FACETS[facet].kind == "ids" else choice_label(facet, value),
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


# --- For querysets (exports, the FilterSet) ------------------------------------------------------


# The SQL below is constants around tsquery()/MATCH fragments whose words are parameters.


def matching_ids_sql(query: Query) -> tuple[str, list]:
    """Return (SQL, params) selecting the ids of the articles matching `query`'s words."""
    if _is_postgres():
        expression = postgres.tsquery(query)
        return (
            f"SELECT article_id FROM catalogue_search WHERE document @@ {expression.sql}",  # noqa: S608
            expression.params,
        )
    return (
        "SELECT rowid FROM catalogue_search_fts WHERE catalogue_search_fts MATCH %s",
        [sqlite.match_expression(query)],
    )


def relevance_sql(query: Query) -> tuple[str, list]:
    """Return (SQL, params): a correlated relevance score for catalogue_article's row."""
    if _is_postgres():
        score = postgres.rank(query, alias="x")
        return (
            f"(SELECT {score.sql} FROM catalogue_search x "  # noqa: S608
            "WHERE x.article_id = catalogue_article.id)",
            score.params,
        )
    return (
        f"(SELECT -{sqlite.BM25} FROM catalogue_search_fts "  # noqa: S608
        "WHERE catalogue_search_fts MATCH %s "
        "AND catalogue_search_fts.rowid = catalogue_article.id)",
        [sqlite.match_expression(query)],
    )


def order_queryset(articles: QuerySet[Article], *, params: SearchParams) -> QuerySet[Article]:
    """Return `articles` in the order the search page shows them."""
    sort = params.effective_sort
    newest = [
        F("year").desc(nulls_last=True),
        F("month").desc(nulls_last=True),
        F("day").desc(nulls_last=True),
        F("pk").desc(),
    ]
    if sort == "relevance":
        sql, sql_params = relevance_sql(params.query)
        score = RawSQL(sql, sql_params)  # noqa: S611 -- constants; the words are parameters
        return articles.annotate(search_score=score).order_by(
            F("search_score").desc(nulls_last=True), *newest
        )
    if sort == "oldest":
        return articles.order_by(
            F("year").asc(nulls_last=True),
            F("month").asc(nulls_last=True),
            F("day").asc(nulls_last=True),
            "pk",
        )
    if sort == "title":
        return articles.order_by(Lower("title"), "pk")
    return articles.order_by(*newest)
