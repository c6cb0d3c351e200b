"""Answering a results page from the embedded index, as the PostgreSQL statement would.

Same matches (queries.py), the same total, the same facet rows (each facet over its context:
the matches without its own selection; the top values by count then value, plus the selected
values), labels from PostgreSQL. The total is always exact and relevance (BM25) ranks every
match; facet counts are exact up to the exact threshold as PostgreSQL's are, and above it
estimated from a sample of the matches as PostgreSQL's are (_facet_counts). A facet whose
context is the whole catalogue takes its counts from catalogue_search_facet, and the scalar
facets of a search without words selecting only scalar facets from the cells (postgres/
cube.py), as the statement does. `supports` says which searches go to PostgreSQL instead.
"""

# ruff: noqa: S608 -- SQL assembled from constants; values are bound parameters.

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import tantivy

from catalogue import conf, routers
from catalogue.search.facets import FACETS, ID_FACETS
from catalogue.search.params import SearchParams
from catalogue.search.postgres import cube
from catalogue.search.postgres.page import LABEL_TABLES, _catalogue_counts
from catalogue.search.query import Term
from catalogue.search.results import Raw
from catalogue.search.statement import Fragment, join
from catalogue.search.tantivy import outbox
from catalogue.search.tantivy.node import Node
from catalogue.search.tantivy.outbox import Position
from catalogue.search.tantivy.queries import Builder, Occur, Query
from catalogue.search.tantivy.schema import FACET_FIELDS, TEXT_FACETS

# Buckets asked of a terms aggregation at first (an id facet's; each segment returns
# SEGMENT_BUCKETS: the more, the smaller the error bound of several segments); ties at the
# cut-off ask for every value.
FIRST_BUCKETS = 100
SEGMENT_BUCKETS = 10_000
EVERY_BUCKET = 10_000_000
# Facets of one value an article and few values (years, types, languages, true/false):
# counted over every match at any size, every value asked for.
SCALAR_FACETS = frozenset({"year", "type", "language", "peer_reviewed"})
SCALAR_BUCKETS = 5_000
# Values of a facet counted one by one when several segments leave their counts uncertain.
MAX_CANDIDATES = 40
# The sample field's values (catalogue_search.sample) and the aggregation of a sample's size.
SAMPLE_BUCKETS = 1024
# Contexts above the exact threshold are sampled only from this size: the sample's postings
# (1024 x SEARCH_FACET_SAMPLE / size values: 205 of them, 200,000 articles, for a context of
# 25,000) cost more to gather than counting so few matches in full (about 5 ms at 1M).
SAMPLE_FROM = 60_000
SAMPLED = "_sampled"
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


def _aggregate(
    searcher: tantivy.Searcher,
    matches: Query,
    names: Sequence[str],
    size: int,
    *,
    sampled: bool = False,
    whole: bool = False,
) -> dict:
    """Return the terms aggregation of `names` (a scalar facet's every value; an id facet's top
    `size`), and with `sampled` the number of matches as `SAMPLED`."""
    request: dict = {}
    for name in names:
        wanted = SCALAR_BUCKETS if name in SCALAR_FACETS else size
        request[name] = {
            "terms": {
                "field": FACET_FIELDS[name],
                "size": wanted,
                # One segment's counts are whole: its top values are the answer's. Several:
                # more values from each make the error bound smaller.
                "segment_size": wanted if whole else max(wanted, SEGMENT_BUCKETS),
            }
        }
    if sampled:
        request[SAMPLED] = {"value_count": {"field": "article_id"}}
    return searcher.aggregate(matches, request)


class Inexact(RuntimeError):
    """Facet counts of a context within the exact threshold that Tantivy cannot make exact
    cheaply: PostgreSQL answers the search instead."""


def _aggregate_every(
    searcher: tantivy.Searcher, matches: Query, names: Sequence[str], size: int
) -> dict:
    """Return each of `names`' top `size` values with every segment's every value counted
    (exact), from one aggregation."""
    request = {
        name: {"terms": {"field": FACET_FIELDS[name], "size": size, "segment_size": EVERY_BUCKET}}
        for name in names
    }
    return searcher.aggregate(matches, request)


def _one_segment(searcher: tantivy.Searcher) -> bool:
    """Whether the index is one segment: every value's count is then whole in its answer."""
    return searcher.num_segments == 1


def _buckets(
    name: str, answer: dict, *, whole: bool
) -> tuple[list[tuple[object, int]], bool, bool, int]:
    """Return (buckets, every value present, exact top values, error bound) of an answer.

    `whole`: the index is one segment, so every count returned is the value's whole count
    (Tantivy still reports the largest count it cut off as doc_count_error_upper_bound).
    """
    buckets = [(_key(name, b["key"]), int(b["doc_count"])) for b in answer["buckets"]]
    complete = not answer.get("sum_other_doc_count", 0)
    top = FACETS[name].top
    # A value cut off may tie with the last one shown (the statement breaks ties by value).
    tie = not complete and (not top or len(buckets) <= top or buckets[top][1] <= buckets[-1][1])
    error = 0 if whole else int(answer.get("doc_count_error_upper_bound", 0) or 0)
    return buckets, complete, not tie and not error, error


def _candidates(
    searcher: tantivy.Searcher,
    matches: Query,
    builder: Builder,
    name: str,
    buckets: list[tuple[object, int]],
    error: int,
) -> list[tuple[object, int]] | None:
    """Return the exact counts of every value that may be among the top ones, or None.

    Several segments: a value's count may lack up to `error` (the counts its segments cut
    off); one not returned has at most the last count plus `error`. When that is below the
    (top + 1)th count, the top values are among those returned within `error` of it, and
    those are counted over the matches having any of them (not every value again).
    """
    top = FACETS[name].top
    if not top or len(buckets) <= top:
        return None
    floor = buckets[top][1]
    if buckets[-1][1] + error >= floor:
        return None
    wanted = [value for value, n in buckets if n + error >= floor]
    if len(wanted) > MAX_CANDIDATES:
        return None
    # One aggregation over the matches having any of them: each query evaluates the matches
    # again, which for a phrase read from positions costs as much as the search. Those
    # articles are few, so every value of every segment is returned: the counts are whole.
    having = Query.boolean_query(
        [(Occur.Must, matches), (Occur.Must, builder.selection(name, wanted))]
    )
    try:
        answer = _aggregate_every(searcher, having, [name], EVERY_BUCKET)[name]
    except ValueError:  # "bucket limit was exceeded": one by one
        counted = []
        for value in wanted:
            both = Query.boolean_query(
                [(Occur.Must, matches), (Occur.Must, builder.selection(name, [value]))]
            )
            counted.append((value, searcher.search(both, 1, count=True).count))
    else:
        counts = {
            _key(name, bucket["key"]): int(bucket["doc_count"]) for bucket in answer["buckets"]
        }
        counted = [(value, counts.get(value, 0)) for value in wanted]
    return sorted(counted, key=lambda b: (-b[1], b[0]))


def _exact_counts(
    searcher: tantivy.Searcher,
    builder: Builder,
    matches: Query,
    names: Sequence[str],
    *,
    threshold: int,
    size: int,
    context: SearchParams,
) -> dict[str, tuple[list[tuple[object, int]], bool, bool]]:
    """Return the facets' counts over every match: exact, or flagged above `threshold`."""
    result: dict[str, tuple[list[tuple[object, int]], bool, bool]] = {}
    whole = _one_segment(searcher)
    aggregated = _aggregate(searcher, matches, list(names), FIRST_BUCKETS, whole=whole)
    pending: list[str] = []
    for name in names:
        buckets, complete, exact, error = _buckets(name, aggregated[name], whole=whole)
        if exact:
            result[name] = (buckets, complete, False)
            continue
        if error:
            counted = _candidates(searcher, matches, builder, name, buckets, error)
            if counted is not None:
                result[name] = (counted, False, False)
                continue
        if size > threshold:
            result[name] = (buckets, complete, True)
            continue
        pending.append(name)
    if pending:
        result.update(_every_value(searcher, matches, pending, context=context))
    return result


def _every_value(
    searcher: tantivy.Searcher, matches: Query, names: Sequence[str], *, context: SearchParams
) -> dict[str, tuple[list[tuple[object, int]], bool, bool]]:
    """Return the exact counts of `names` from every segment's every value, or raise Inexact.

    The facets together in one aggregation: each aggregation evaluates the matches again,
    which for a phrase read from the words' positions costs as much as the search itself.
    """
    result: dict[str, tuple[list[tuple[object, int]], bool, bool]] = {}
    for wanted in (FIRST_BUCKETS * 20, EVERY_BUCKET):
        try:
            answer = _aggregate_every(searcher, matches, names, wanted)
        except ValueError as error:  # "bucket limit was exceeded"
            if len(names) == 1:
                raise Inexact(f"{names[0]}: {error}") from error
            # Together past the limit, perhaps not one by one.
            for name in names:
                result.update(_every_value(searcher, matches, [name], context=context))
            return result
        left = []
        for name in names:
            buckets, complete, exact, _ = _buckets(name, answer[name], whole=True)
            if exact:
                result[name] = (buckets, complete, False)
            else:
                left.append(name)
        names = left
        if not names:
            return result
    raise Inexact(f"{', '.join(names)}: counts of {context} not exact")


def _sample_buckets(size: int, sample: int) -> int:
    """Return how many of the 1024 sample values give about `sample` of `size` matches."""
    return min(SAMPLE_BUCKETS, max(1, math.ceil(SAMPLE_BUCKETS * sample / max(size, 1))))


def _sampled_counts(
    searcher: tantivy.Searcher,
    builder: Builder,
    matches: Query,
    names: Sequence[str],
    *,
    size: int,
    sample: int,
) -> dict[str, tuple[list[tuple[object, int]], bool, bool]]:
    """Return the facets' counts estimated from about `sample` of the `size` matches.

    The articles whose `sample` (catalogue_search.sample, a hash of the id mod 1024) is below
    k, k / 1024 of the catalogue as PostgreSQL's samples are; counts scaled by the matches
    over the sampled matches, and flagged approximate.
    """
    buckets_wanted = _sample_buckets(size, sample)
    restricted = Query.boolean_query(
        [(Occur.Must, matches), (Occur.Must, builder.sample(buckets_wanted))]
    )
    aggregated = _aggregate(
        searcher, restricted, list(names), FIRST_BUCKETS, sampled=True, whole=True
    )
    drawn = int(aggregated[SAMPLED]["value"] or 0)
    scale = size / drawn if drawn else 0.0
    result = {}
    for name in names:
        buckets = [
            (_key(name, b["key"]), max(1, round(int(b["doc_count"]) * scale)))
            for b in aggregated[name]["buckets"]
        ]
        result[name] = (buckets, False, True)
    return result


def _facet_counts(
    searcher: tantivy.Searcher,
    builder: Builder,
    context: SearchParams,
    names: Sequence[str],
    *,
    threshold: int,
    sample: int,
    size: int | None = None,
) -> dict[str, tuple[list[tuple[object, int]], bool, bool]]:
    """Return facet -> (buckets by count, every value present, approximate) over `context`.

    Up to `threshold` matches, every facet's counts are exact, as the statement's are. Each
    segment returns its top values to a terms aggregation: one segment's counts are whole;
    with several (a build's, the syncs' small ones) a value cut off in one may be missing or
    undercounted (doc_count_error_upper_bound > 0): the values that may be among the top ones
    are then counted on their own (_candidates), or failing that every value of every segment
    is counted again (past Tantivy's bucket limit, 65,000 values: Inexact, and PostgreSQL
    answers). Above `threshold` and SAMPLE_FROM, the facets are estimated from a sample of the
    matches when the index has the sample field, as PostgreSQL's are (between the two, one
    aggregation over every match: exact with one segment, else flagged approximate); without
    words the scalar facets (one value an article, few values) are still counted over every
    match (exact, as PostgreSQL's cells give them; cheap when no words are evaluated).
    """
    matches = query(context, builder)
    if size is None:
        size = searcher.search(matches, 1, count=True).count
    sampled = []
    if (
        size > max(threshold, SAMPLE_FROM)
        and builder.has_sample
        and _sample_buckets(size, sample) < SAMPLE_BUCKETS
    ):
        # With words, every facet from the sample, as PostgreSQL's: counting the scalar facets
        # over every match evaluates the words once more (a phrase over 75,000 matches: 100 ms
        # and more). Without words they stay exact, as PostgreSQL's cells give them.
        sampled = [name for name in names if context.has_text or name not in SCALAR_FACETS]
    whole = [name for name in names if name not in sampled]
    result = {}
    if whole:
        result.update(
            _exact_counts(
                searcher,
                builder,
                matches,
                whole,
                threshold=threshold,
                size=size,
                context=context,
            )
        )
    if sampled:
        result.update(
            _sampled_counts(searcher, builder, matches, sampled, size=size, sample=sample)
        )
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
    news: Position | None = None,
) -> tuple[Raw, bool]:
    """Return the page of `params` from the node's index, and whether the outbox has rows the
    index lacks (asked when `news`, the index's position, is given: the caller then refreshes
    and asks again)."""
    searcher, builder = node.search_state()
    matches = query(params, builder)
    total, hits = _page(params, searcher, builder, matches, offset=offset, limit=limit)
    selected_facets = set(params.selected_facets)
    rows: list[tuple[str, str, int, bool]] = []
    threshold = conf.get("SEARCH_EXACT_THRESHOLD")
    sample = conf.get("SEARCH_FACET_SAMPLE")
    catalogue: list[Fragment] = []
    # No words and only scalar facets selected: those facets' exact counts are sums of
    # PostgreSQL's cells (postgres/cube.py), in the labels' statement, as the PostgreSQL
    # engine takes them; the index would count every match again (743,000 for type=article).
    cells = cube.applies(params)
    in_cells = [f for f in facet_names if cells and f in cube.CUBE_FACETS]
    for facet in in_cells:
        catalogue.append(
            cube.counts(
                facet, params, top=FACETS[facet].top or None, selected=params.selected_values(facet)
            )
        )
    plain = [f for f in facet_names if f not in selected_facets and f not in in_cells]
    contexts: list[tuple[SearchParams, list[str]]] = [(params, plain)] if plain else []
    for facet in facet_names:
        if facet in in_cells:
            continue
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
        counted = _facet_counts(
            searcher, builder, context, names, threshold=threshold, sample=sample, size=known
        )
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
    counts, labels, behind = _labelled(params, rows, catalogue, cells=bool(in_cells), news=news)
    raw = Raw(
        total=total,
        total_exact=True,
        hits=hits,
        counts=counts,
        labels=labels,
        ranked_window=0,
        approximate={facet: True for facet, _, _, approximate in rows if approximate},
    )
    return raw, behind


def _label_case() -> str:
    """Return the SQL labelling a row r (facet, value): an id by one index lookup in its table."""
    cases = " ".join(
        f"WHEN '{facet}' THEN (SELECT {label} FROM {table} {alias} "
        f"WHERE {alias}.id = r.value::bigint)"
        for facet, (table, alias, label) in LABEL_TABLES.items()
    )
    return f"CASE r.facet {cases} ELSE r.value END"


_LABEL = _label_case()


def _labelled(
    params: SearchParams,
    rows: list[tuple[str, str, int, bool]],
    catalogue: list[Fragment],
    *,
    cells: bool = False,
    news: Position | None = None,
) -> tuple[dict, dict, bool]:
    """Return the counts and labels of the rows, as postgres.run_results sorts them out.

    One statement: the kept counts of whole-catalogue contexts (and the sums of the cells,
    `cells`: the CTE `cube`), and a label for each id among
    them, the rows counted here and the selected ids (labelled even without results): each
    by one lookup of its table's key (the statement's joins read whole tables of keywords and
    journals: 1-5 ms more at a million articles).
    """
    counts: dict[str, list[tuple[str, int, bool]]] = {}
    labels: dict[tuple[str, str], str | None] = {}
    wanted: dict[tuple[str, str], None] = {}
    for facet, value, n, approximate in rows:
        counts.setdefault(facet, []).append((value, int(n), bool(approximate)))
        if facet in LABEL_TABLES:
            wanted[(facet, value)] = None
        else:
            labels[(facet, value)] = value
    for facet in ID_FACETS:
        for value in params.selected_values(facet):
            wanted[(facet, str(value))] = None
    parts = [
        Fragment(
            "(SELECT f, v, NULL::bigint, false FROM unnest(%s::text[], %s::text[]) AS u(f, v))",
            [[facet for facet, _ in wanted], [value for _, value in wanted]],
        )
    ]
    statement = Fragment("")
    if catalogue:
        statement = (
            Fragment(
                f"WITH {cube.CELLS + ', ' if cells else ''}kept (facet, value, n, approximate) AS ("
            )
            + join([Fragment("(") + part + Fragment(")") for part in catalogue], " UNION ALL ")
            + Fragment(") ")
        )
        parts.insert(0, Fragment("(SELECT facet, value, n, approximate FROM kept)"))
    statement = (
        statement
        + Fragment("SELECT r.facet, r.value, r.n, r.approximate, ")
        + Fragment(f"{_LABEL} FROM (")
        + join(parts, " UNION ALL ")
        + Fragment(") AS r (facet, value, n, approximate)")
    )
    if news is not None:
        # One row more, facet NULL: whether the outbox has news for the index.
        sql, values = outbox.news(news)
        statement = statement + Fragment(f" UNION ALL SELECT NULL, NULL, NULL, {sql}, NULL", values)
    behind = False
    with routers.read_connection().cursor() as cursor:
        cursor.execute(statement.sql, statement.params)
        for facet, value, n, approximate, label in cursor.fetchall():
            if facet is None:
                behind = bool(approximate)
                continue
            labels[(facet, value)] = label
            if n is not None:
                counts.setdefault(facet, []).append((value, int(n), bool(approximate)))
    return counts, labels, behind
