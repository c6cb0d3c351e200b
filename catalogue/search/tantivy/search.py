"""Answering a results page from the embedded index, as the PostgreSQL statement would.

Same matches (queries.py), the same total, the same facet rows (each facet over its context:
the matches without its own selection; the top values by count then value, plus the selected
values), labels from PostgreSQL. The total is always exact and relevance (BM25) ranks every
match; facet counts are exact up to the exact threshold as PostgreSQL's are, and above it
flagged approximate only when an index of several segments cannot show them exact from its
first answer (_facet_counts). A facet whose context is the whole catalogue takes its counts
from catalogue_search_facet, as the statement does. `supports` says which searches go to
PostgreSQL instead.
"""

# ruff: noqa: S608 -- SQL assembled from constants; values are bound parameters.

from __future__ import annotations

import re
from collections.abc import Sequence

import tantivy

from catalogue import conf, routers
from catalogue.search.facets import FACETS, ID_FACETS
from catalogue.search.params import SearchParams
from catalogue.search.postgres.page import _catalogue_counts, label_rows
from catalogue.search.query import Term
from catalogue.search.results import Raw
from catalogue.search.statement import Fragment, join
from catalogue.search.tantivy.node import Node
from catalogue.search.tantivy.queries import Builder, Occur, Query
from catalogue.search.tantivy.schema import FACET_FIELDS, TEXT_FACETS

# Buckets asked of a terms aggregation at first; ties at the cut-off ask for every value.
FIRST_BUCKETS = 100
EVERY_BUCKET = 10_000_000
# A term's characters the index splits exactly as PostgreSQL's parser does: letters (a token
# with digits is a `numword` there, never stemmed), spaces, and the ':' and '_' of keys.
_PLAIN_TERM = re.compile(r"[^\W\d_]+(?:[\s:_]+[^\W\d_]+)*", re.UNICODE)
_SORT_FIELDS = {
    "newest": ("newest", tantivy.Order.Desc),
    "oldest": ("oldest", tantivy.Order.Asc),
    "title": ("title_sort", tantivy.Order.Asc),
}


def _term_supported(term: Term, builder: Builder) -> bool:
    if not _PLAIN_TERM.fullmatch(term.text):
        return False
    if term.in_order and not builder.phrase_fits(term.text):
        return False
    return bool(builder.tokens(term.text))


def supports(params: SearchParams, builder: Builder) -> bool:
    """Whether the embedded index answers `params` exactly as PostgreSQL would.

    Not: a DOI, nothing to narrow (the whole catalogue: PostgreSQL's kept counts), or a term
    with a character other than a letter, a space, ':' or '_' ("covid-19", "o'brien",
    "40.5", "e.coli", "3d": PostgreSQL's parser keeps such tokens whole, or leaves digits
    unstemmed), one with no indexed word, or a phrase spanning more positions than the index
    leaves between two values of a field (Builder.phrase_fits: it could run into the next).
    """
    if params.query.doi or params.is_browse:
        return False
    terms = (*params.query.terms, *params.query.excluded)
    return all(_term_supported(term, builder) for term in terms)


def _term_query(term: Term, builder: Builder) -> Query | None:
    return builder.phrase(term.text) if term.in_order else builder.word(term.text)


def query(params: SearchParams, builder: Builder) -> Query:
    """Return the Tantivy query of `params`: words scored, selections as filters."""
    scored: list[tuple] = []
    for group in params.query.groups:
        queries = [q for q in (_term_query(term, builder) for term in group) if q is not None]
        if len(queries) == 1:
            scored.append((Occur.Must, queries[0]))
        elif queries:
            scored.append((Occur.Must, Query.boolean_query([(Occur.Should, q) for q in queries])))
    for term in params.query.excluded:
        excluded = _term_query(term, builder)
        if excluded is not None:
            scored.append((Occur.MustNot, excluded))
    filters: list[tuple] = []
    for facet, values in params.include:
        filters.append((Occur.Must, builder.selection(facet, values)))
    for facet, values in params.exclude:
        filters.append((Occur.MustNot, builder.selection(facet, values)))
    if params.year_min is not None or params.year_max is not None:
        filters.append((Occur.Must, builder.years(params.year_min, params.year_max)))
    return builder.combine(scored, filters)


# --- The page's ids ---------------------------------------------------------------------------


def _ids(searcher: tantivy.Searcher, hits) -> list[int]:
    addresses = [address for _, address in hits]
    if not addresses:
        return []
    return [int(value) for value in searcher.fast_field_values("article_id", addresses)]


def _page(
    params: SearchParams,
    searcher: tantivy.Searcher,
    builder: Builder,
    matches: Query,
    *,
    offset: int,
    limit: int,
) -> tuple[int, list[tuple[int, float | None]]]:
    """Return the exact number of matches and the page's (id, score)."""
    sort = params.effective_sort
    if sort != "relevance":
        field, order = _SORT_FIELDS[sort]
        result = searcher.search(
            matches, limit, count=True, order_by_field=field, order=order, offset=offset
        )
        return result.count, [(article_id, None) for article_id in _ids(searcher, result.hits)]
    # A match whose citation key is a term of the search comes first (postgres/page._keyed).
    keyed: list[tuple[int, float]] = []
    keys = params.query.key_texts
    if keys:
        keyed_query = Query.boolean_query(
            [
                (Occur.Must, matches),
                (Occur.Must, Query.term_set_query(builder.schema, "citation_key", keys)),
            ]
        )
        found = searcher.search(keyed_query, 100, count=False)
        keyed = list(
            zip(_ids(searcher, found.hits), (score for score, _ in found.hits), strict=True)
        )
    if not keyed:
        result = searcher.search(matches, limit, count=True, offset=offset)
        ids = _ids(searcher, result.hits)
        return result.count, list(zip(ids, (float(score) for score, _ in result.hits), strict=True))
    result = searcher.search(matches, offset + limit + len(keyed), count=True)
    first = {article_id for article_id, _ in keyed}
    ranked = keyed + [
        (article_id, float(score))
        for article_id, (score, _) in zip(_ids(searcher, result.hits), result.hits, strict=True)
        if article_id not in first
    ]
    return result.count, ranked[offset : offset + limit]


# --- Facets -----------------------------------------------------------------------------------


def _key(facet: str, key) -> object:
    """Return a bucket's key as the facet's native value (the statement's sort order)."""
    if facet == "peer_reviewed":
        return bool(key) if not isinstance(key, str) else key == "true"
    if facet in TEXT_FACETS:
        return str(key)
    return int(key)


def _text(facet: str, value: object) -> str:
    """Return a value as the statement's `v::text`."""
    if facet == "peer_reviewed":
        return "true" if value else "false"
    return str(value)


def _aggregate(searcher: tantivy.Searcher, matches: Query, names: Sequence[str], size: int) -> dict:
    request = {
        name: {
            "terms": {
                "field": FACET_FIELDS[name],
                "size": size,
                "segment_size": max(size, 1_000),
            }
        }
        for name in names
    }
    return searcher.aggregate(matches, request)


class Inexact(RuntimeError):
    """Facet counts of a context within the exact threshold that Tantivy cannot make exact
    cheaply: PostgreSQL answers the search instead."""


def _aggregate_every(searcher: tantivy.Searcher, matches: Query, name: str, size: int) -> dict:
    """Return `name`'s top `size` values with every segment's every value counted (exact)."""
    request = {
        name: {"terms": {"field": FACET_FIELDS[name], "size": size, "segment_size": EVERY_BUCKET}}
    }
    return searcher.aggregate(matches, request)[name]


def _buckets(name: str, answer: dict) -> tuple[list[tuple[object, int]], bool, bool]:
    """Return (buckets, every value present, exact top values) of an aggregation's answer."""
    buckets = [(_key(name, b["key"]), int(b["doc_count"])) for b in answer["buckets"]]
    complete = not answer.get("sum_other_doc_count", 0)
    top = FACETS[name].top
    # A value cut off may tie with the last one shown (the statement breaks ties by value).
    tie = not complete and (not top or len(buckets) <= top or buckets[top][1] <= buckets[-1][1])
    return buckets, complete, not tie and not answer.get("doc_count_error_upper_bound", 0)


def _facet_counts(
    searcher: tantivy.Searcher,
    builder: Builder,
    context: SearchParams,
    names: Sequence[str],
    *,
    threshold: int,
    size: int | None = None,
) -> dict[str, tuple[list[tuple[object, int]], bool, bool]]:
    """Return facet -> (buckets by count, every value present, approximate) over `context`.

    Each segment returns its top values to a terms aggregation; with several segments (a
    big build, the syncs' small ones) a value cut off in one may be missing or undercounted
    (doc_count_error_upper_bound > 0), and a facet's cut-off may fall in a tie. A context of
    up to `threshold` matches (`size`, when known) is then counted again with every value of
    every segment: exact, as the statement's counts are; past Tantivy's bucket limit (65,000
    values) Inexact, and PostgreSQL answers. A larger context keeps the first answer's
    counts, flagged approximate when not provably exact (PostgreSQL's "about" as well).
    """
    matches = query(context, builder)
    result: dict[str, tuple[list[tuple[object, int]], bool, bool]] = {}
    aggregated = _aggregate(searcher, matches, list(names), FIRST_BUCKETS)
    for name in names:
        buckets, complete, exact = _buckets(name, aggregated[name])
        if exact:
            result[name] = (buckets, complete, False)
            continue
        if size is None:
            size = searcher.search(matches, 1, count=True).count
        if size > threshold:
            result[name] = (buckets, complete, True)
            continue
        for wanted in (FIRST_BUCKETS * 20, EVERY_BUCKET):
            try:
                buckets, complete, exact = _buckets(
                    name, _aggregate_every(searcher, matches, name, wanted)
                )
            except ValueError as error:  # "bucket limit was exceeded"
                raise Inexact(f"{name}: {error}") from error
            if exact:
                break
        if not exact:
            raise Inexact(f"{name}: counts of {context} not exact")
        result[name] = (buckets, complete, False)
    return result


def _count_value(
    searcher: tantivy.Searcher, builder: Builder, context: SearchParams, facet: str, value
) -> int:
    matches = Query.boolean_query(
        [(Occur.Must, query(context, builder)), (Occur.Must, builder.selection(facet, [value]))]
    )
    return searcher.search(matches, 1, count=True).count


def _rows(
    facet: str,
    buckets: list[tuple[object, int]],
    complete: bool,
    selected: list,
    counter,
    approximate: bool = False,
) -> list[tuple[str, str, int, bool]]:
    """Return the statement's rows of `facet`: its top values (+1) and the selected ones."""
    top = FACETS[facet].top
    ordered = sorted(((value, n) for value, n in buckets if n > 0), key=lambda b: (-b[1], b[0]))
    if top:
        ordered = ordered[: top + 1]
    rows = {_text(facet, value): n for value, n in ordered}
    if top:
        counts = dict(buckets)
        for value in selected:
            native = _key(facet, value if facet != "peer_reviewed" else value in (True, "true"))
            n = counts.get(native)
            if n is None and not complete:
                n = counter(native)
            if n:
                rows[_text(facet, native)] = n
    return [(facet, value, n, approximate) for value, n in rows.items()]


def run_results(
    *,
    node: Node,
    params: SearchParams,
    offset: int,
    limit: int,
    facet_names: Sequence[str],
) -> Raw:
    """Return the page of `params` from the node's index (refreshed by the caller)."""
    searcher, builder = node.search_state()
    matches = query(params, builder)
    total, hits = _page(params, searcher, builder, matches, offset=offset, limit=limit)
    selected_facets = set(params.selected_facets)
    rows: list[tuple[str, str, int, bool]] = []
    threshold = conf.get("SEARCH_EXACT_THRESHOLD")
    catalogue: list[Fragment] = []
    plain = [facet for facet in facet_names if facet not in selected_facets]
    contexts: list[tuple[SearchParams, list[str]]] = [(params, plain)] if plain else []
    for facet in facet_names:
        if facet in selected_facets:
            context = params.without(facet)
            if context.is_browse:
                catalogue.append(
                    _catalogue_counts(
                        facet, top=FACETS[facet].top or None, selected=params.selected_values(facet)
                    )
                )
            else:
                contexts.append((context, [facet]))
    for context, names in contexts:
        known = total if context is params else None
        counted = _facet_counts(searcher, builder, context, names, threshold=threshold, size=known)
        for facet, (buckets, complete, approximate) in counted.items():
            rows.extend(
                _rows(
                    facet,
                    buckets,
                    complete,
                    params.selected_values(facet),
                    lambda value, context=context, facet=facet: _count_value(
                        searcher, builder, context, facet, value
                    ),
                    approximate,
                )
            )
    counts, labels = _labelled(params, rows, catalogue)
    return Raw(
        total=total,
        total_exact=True,
        hits=hits,
        counts=counts,
        labels=labels,
        ranked_window=0,
        approximate={facet: True for facet, _, _, approximate in rows if approximate},
    )


def _labelled(
    params: SearchParams, rows: list[tuple[str, str, int, bool]], catalogue: list[Fragment]
) -> tuple[dict, dict]:
    """Return the counts and labels of the rows, as postgres.run_results sorts them out.

    One statement: the rows counted here, the kept counts of whole-catalogue contexts, the
    selected ids (labelled even without results), each id labelled from its table.
    """
    parts = [
        Fragment(
            "(SELECT f, v, n, a "
            "FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::boolean[]) AS r(f, v, n, a))",
            [
                [r[0] for r in rows],
                [r[1] for r in rows],
                [r[2] for r in rows],
                [r[3] for r in rows],
            ],
        ),
        *catalogue,
    ]
    for facet in ID_FACETS:
        values = params.selected_values(facet)
        if values:
            parts.append(
                Fragment(
                    f"(SELECT '{facet}'::text, v::text, NULL::bigint, false "
                    "FROM unnest(%s::bigint[]) AS v)",
                    [values],
                )
            )
    statement = (
        Fragment("WITH facet_rows (facet, value, n, approximate) AS (")
        + join(parts, " UNION ALL ")
        + Fragment(f") {label_rows('facet_rows')}")
    )
    counts: dict[str, list[tuple[str, int, bool]]] = {}
    labels: dict[tuple[str, str], str | None] = {}
    with routers.read_connection().cursor() as cursor:
        cursor.execute(statement.sql, statement.params)
        for facet, value, n, approximate, label in cursor.fetchall():
            labels[(facet, value)] = label
            if n is not None:
                counts.setdefault(facet, []).append((value, int(n), bool(approximate)))
    return counts, labels
