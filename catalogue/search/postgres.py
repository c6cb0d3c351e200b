"""PostgreSQL: one SQL statement per results page over the `catalogue_search` index table.

The statement counts the matches, picks the page's ids and computes every facet. Each facet
is counted over a "context": the matches under every selection except the facet's own. A
context of about `exact_threshold` rows or fewer (estimated from a 1/64 probe; for a phrase,
also at most twice as many candidate documents to check) is counted exactly; a larger one
from a random sample of about `sample_size` rows (the `sample` column holds hash(id) mod
1024), scaled up and flagged approximate. A context with no condition at all is the whole
catalogue: its counts come from `catalogue_search_facet`, kept exact by the index triggers.
Relevance ranks every match of an exactly counted search and the sampled matches of a larger
one. The total is exact whenever a facet value is selected or the matches are few; the
matches of words alone above the threshold are estimated (flagged).
Statements run through catalogue_search_run (migration 0004_search_settings): no sequential
scans, exact bitmaps, no JIT.
"""

# ruff: noqa: S608 -- SQL is assembled from constants, column names and int()-ed limits;
# every value from a request is a bound parameter.

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection

from catalogue.search.facets import FACETS, ID_FACETS
from catalogue.search.params import SearchParams
from catalogue.search.query import Query, Term
from catalogue.search.results import Raw
from catalogue.search.statement import Fragment, join, where

# ts_rank weights for {D, C, B, A}: author names, abstract, keywords, title.
RANK_WEIGHTS = "{0.2,0.2,0.5,1.0}"
SAMPLE_BUCKETS = 1024

# facet -> (column of catalogue_search, holds an array of ids, SQL array type)
COLUMNS: dict[str, tuple[str, bool, str]] = {
    name: (facet.pg_column, facet.pg_array, facet.pg_array_type) for name, facet in FACETS.items()
}

SORT_COLUMNS = {
    "relevance": "{a}.score DESC, {a}.date_key DESC NULLS LAST, {a}.article_id DESC",
    "newest": "{a}.date_key DESC NULLS LAST, {a}.article_id DESC",
    "oldest": "{a}.date_key ASC NULLS LAST, {a}.article_id ASC",
    "title": "{a}.title_key ASC, {a}.article_id ASC",
}

# facet -> (table, alias, label) of the id facets: how every statement labels their values,
# and the labels that the trigram indexes of migration 0011 cover.
LABEL_TABLES = {name: (*FACETS[name].table, FACETS[name].pg_label) for name in ID_FACETS}


@dataclass
class Settings:
    """The thresholds of exact counting and the sample size (from SEARCH_* settings)."""

    exact_threshold: int
    sample_size: int
    # For the matches without a selected facet's own selection (its other values' counts).
    context_threshold: int = 5_000


# --- Query text ----------------------------------------------------------------------------------


def _term(term: Term, *, positions: bool = True) -> Fragment:
    function = "phraseto_tsquery" if term.phrase and positions else "plainto_tsquery"
    return Fragment(f"{function}('catalogue', %s)", [term.text])


def tsquery(query: Query, *, positions: bool = True) -> Fragment:
    """Return a tsquery expression for `query` (every group, none of the excluded terms).

    Without `positions`, phrases become all of their words: the candidates the GIN index
    finds without reading a document (a phrase is then checked on each candidate's document).
    """
    groups = [
        Fragment("(") + join((_term(t, positions=positions) for t in group), " || ") + Fragment(")")
        for group in query.groups
    ]
    expression = join(groups, " && ")
    for term in query.excluded:
        # An excluded phrase cannot be relaxed to its words: keep it exact.
        expression = expression + Fragment(" && !!") + _term(term)
    return Fragment("(") + expression + Fragment(")")


def has_phrase(query: Query) -> bool:
    """Return whether `query` has a quoted phrase (its candidates need their documents read)."""
    return any(term.phrase for term in query.terms)


# --- Conditions ----------------------------------------------------------------------------------


def _selection(facet: str, values: Sequence, *, negate: bool, alias: str) -> Fragment:
    column, is_array, array_type = COLUMNS[facet]
    values = list(values)
    if is_array:
        test = Fragment(f"{alias}.{column} && %s::{array_type}", [values])
    elif len(values) == 1:
        # "=" of the column's own type: a GIN index (btree_gin, migration 0012) can read
        # it with the other conditions in one scan; it cannot read "= ANY(...)".
        test = Fragment(f"{alias}.{column} = %s::{array_type[:-2]}", values)
    else:
        test = Fragment(f"{alias}.{column} = ANY(%s::{array_type})", [values])
    if not negate:
        return test
    if FACETS[facet].nullable:
        # Articles without a journal are not in any excluded journal.
        return Fragment(f"({alias}.{column} IS NULL OR NOT ") + test + Fragment(")")
    return Fragment("NOT (") + test + Fragment(")")


def _dates(params: SearchParams, *, alias: str, indexable: bool = True) -> list[Fragment]:
    # A year range as a date_key range (year * 10000 + month * 100 + day): the index on
    # (journal_id, date_key) then answers a journal and years together, and the date indexes
    # a range of years, where the year index would add a bitmap of every row in the range.
    # "+ 0" keeps the planner from reading an index for it (see _context).
    date_key = f"{alias}.date_key" if indexable else f"({alias}.date_key + 0)"
    parts = []
    if params.year_min is not None:
        parts.append(Fragment(f"{date_key} >= %s", [params.year_min * 10000]))
    if params.year_max is not None:
        parts.append(Fragment(f"{date_key} <= %s", [params.year_max * 10000 + 9999]))
    return parts


def conditions(
    params: SearchParams, *, alias: str = "s", positions: bool = True, dates: str = "index"
) -> list[Fragment]:
    """Return the SQL conditions of `params` on the index table aliased `alias`.

    `dates`: "index" (the year range may be read from an index), "filter" (it may not), or
    "none" (left out).
    """
    parts = []
    if params.has_text:
        parts.append(Fragment(f"{alias}.document @@ ") + tsquery(params.query, positions=positions))
    if dates != "none":
        parts.extend(_dates(params, alias=alias, indexable=dates == "index"))
    for facet, values in params.include:
        parts.append(_selection(facet, values, negate=False, alias=alias))
    for facet, values in params.exclude:
        parts.append(_selection(facet, values, negate=True, alias=alias))
    return parts


def _probe_indexed(params: SearchParams) -> bool:
    """Whether params have a condition that the probe's GIN index reads."""
    return params.has_text or any(
        # A scalar column is read from the GIN index for "=" only: one value (see _selection).
        params.included(name) if facet.pg_array else len(params.included(name)) == 1
        for name, facet in FACETS.items()
        if facet.pg_gin
    )


def filters_dates(params: SearchParams) -> bool:
    """Whether a year range may be better checked on the rows the other conditions find.

    Read from an index, a range of years is a bitmap of every article in it (400,000 for
    2021 on, 36 ms) ANDed with the others; checked on the rows of a word and a keyword, it
    costs a few thousand row reads. A selected journal's index holds the dates already.
    """
    if params.year_min is None and params.year_max is None:
        return False
    if any(params.included(name) for name, facet in FACETS.items() if facet.pg_with_dates):
        return False
    return _probe_indexed(params)


def _range_rows(params: SearchParams) -> str:
    """Return a scalar subquery: the number of indexed articles in params' year range."""
    low = -32768 if params.year_min is None else int(params.year_min)
    high = 32767 if params.year_max is None else int(params.year_max)
    return (
        "(SELECT coalesce(sum(count), 0) FROM catalogue_search_facet WHERE facet = 'year' "
        f"AND CASE WHEN facet = 'year' THEN value::int END BETWEEN {low} AND {high})"
    )


def rank(query: Query, *, alias: str = "s") -> Fragment:
    """Return the relevance of the row aliased `alias` for `query`."""
    return (
        Fragment(f"ts_rank('{RANK_WEIGHTS}', {alias}.document, ") + tsquery(query) + Fragment(")")
    )


# --- The results statement ---------------------------------------------------------------------
#
# A context CTE trio:
#   <name>_probe: how many of its rows fall in a fixed 1/64 sample (cheap: the sample index
#                 is ANDed into the bitmap, so only those rows are read);
#   <name>_k:     1024 when the estimate (probe x 64) is within the exact threshold, else the
#                 sample cut giving about `sample_size` rows;
#   <name>:       every row (k = 1024) or the rows with sample < k; both branches are planned,
#                 a one-time filter runs one.


PROBE_BUCKETS = 16  # of 1024: the probe reads 1/64 of a context (its index: migration 0012)
# The sample index is on (sample + 0) (migration 0010): "s.sample < 16" alone is then read
# only through the probe's own GIN indexes, which hold just those rows. ANDed with a whole-
# table index on sample, the planner counted the restriction twice (37 rows expected, 2,300
# read, a word checked on each from TOAST).
SAMPLE_KEY = "(s.sample + 0)"
# What reading and checking a row costs, in index entries added to a bitmap (measured: 20x).
ROW_READ_COST = 20


def _context(
    name: str,
    params: SearchParams,
    columns: list[str],
    settings: Settings,
    score: Fragment | None,
    *,
    sample: int,
    threshold: int,
    derive: Sequence[tuple[str, Fragment]] = (),
) -> Fragment:
    parts = conditions(params)
    condition = where(parts)
    threshold, sample = int(threshold), int(sample)
    selected = ", ".join(f"s.{column}" for column in columns)
    scored = Fragment(", ") + score + Fragment(" AS score") if score else Fragment("")
    scale = SAMPLE_BUCKETS // PROBE_BUCKETS
    # The probe counts candidates (c) and, for a phrase, the matches among them (m): the
    # work of an exact answer is rechecking every candidate's document.
    phrase = has_phrase(params.query)
    # Without a score to compute or a phrase to recheck, the probe keeps its rows: when they
    # are as many as the sample wanted they are the sample (k = PROBE_BUCKETS), and the
    # context's index conditions are not evaluated a second time. A popular keyword's posting
    # list is what a context costs most to read.
    reuse = score is None and not phrase
    # Without a condition that a probe GIN index reads, the sample index selects its rows.
    restrict = f" AND s.sample < {PROBE_BUCKETS}"
    if not _probe_indexed(params):
        restrict += f" AND {SAMPLE_KEY} < {PROBE_BUCKETS}"
    # With a year range and other conditions to read from indexes, the probe leaves the
    # years out of its scan and counts its rows in the range (c) and in all (a); {name}_d then
    # says whether reading the range's index (every article in it) costs more than checking
    # the years on the rows the other conditions find, for all of them (whole) and for the
    # sample (part). Each scan has both forms; one-time filters run one.
    switch = filters_dates(params)
    in_range = where(_dates(params, alias="s", indexable=False)) if switch else Fragment("TRUE")
    dates = "none" if switch else "index"
    if phrase:
        probe = (
            Fragment("SELECT count(*) FILTER (WHERE ")
            + in_range
            + Fragment(") AS c, count(*) FILTER (WHERE ")
            + in_range
            + Fragment(" AND ")
            + join(parts, " AND ")
            + Fragment(") AS m, count(*) AS a FROM catalogue_search s WHERE ")
            + where(conditions(params, positions=False, dates=dates))
            + Fragment(restrict)
        )
    else:
        counted = (
            Fragment("count(*) FILTER (WHERE ")
            + in_range
            + Fragment(") AS c, count(*) FILTER (WHERE ")
            + in_range
            + Fragment(") AS m, count(*) AS a FROM ")
        )
        if reuse:
            probe = Fragment("SELECT ") + counted + Fragment(f"{name}_rows0 s")
        else:
            probe = (
                Fragment("SELECT ")
                + counted
                + Fragment("catalogue_search s WHERE ")
                + where(conditions(params, dates=dates))
                + Fragment(restrict)
            )
    smallest = PROBE_BUCKETS if reuse else 1
    ctes = Fragment("")
    if reuse:
        ctes = (
            Fragment(f"{name}_rows0 AS MATERIALIZED (SELECT {selected} ")
            + Fragment("FROM catalogue_search s WHERE ")
            + where(conditions(params, dates=dates))
            + Fragment(f"{restrict}), ")
        )
    k = f"(SELECT k FROM {name}_k)"
    # (condition, one-time filter) of each form of a scan; "{part}" becomes whole or part.
    forms = [(condition, "")]
    if switch:
        forms = [
            (condition, f" AND NOT (SELECT {{part}} FROM {name}_d)"),
            (where(conditions(params, dates="filter")), f" AND (SELECT {{part}} FROM {name}_d)"),
        ]
    sampled = Fragment("")
    for form, choice in forms:
        sampled = sampled + (
            Fragment(f" UNION ALL (SELECT {selected}")
            + scored
            + Fragment(" FROM catalogue_search s WHERE ")
            + form
            + Fragment(
                # "= ANY(buckets)", not "< k": the planner then expects few rows and ANDs the
                # sample index into the bitmap, so only sampled rows are read.
                f" AND {SAMPLE_KEY} = ANY((SELECT b FROM {name}_buckets)::int[]) "
                f"AND {k} > {smallest} AND {k} < {SAMPLE_BUCKETS}{choice.format(part='part')})"
            )
        )
    if reuse:
        sampled = sampled + (
            Fragment(f" UNION ALL (SELECT * FROM {name}_rows0 s WHERE ")
            + in_range
            + Fragment(f" AND {k} = {PROBE_BUCKETS})")
        )
    sized = (
        f"(SELECT CASE WHEN m * {scale} <= {threshold} AND c * {scale} <= {2 * threshold} "
        f"THEN {SAMPLE_BUCKETS} ELSE greatest({smallest}, least({SAMPLE_BUCKETS - 1}, "
        f"ceil({SAMPLE_BUCKETS}.0 * {sample} / (c * {scale}))))::int END FROM {name}_probe)"
    )
    derived, scanned = Fragment(""), ""
    if derive:
        # The matches are a subset of every context that leaves out one selection: when one
        # of those is exact, its rows filtered by that selection are the matches, and the
        # probe and the scan of the index are not needed (lazy: CASE and one-time filters).
        candidates = ", ".join(
            f"('{context}', (SELECT k FROM {context}_k), (SELECT c FROM {context}_probe))"
            for context, _ in derive
        )
        ctes = ctes + Fragment(
            f"{name}_from AS MATERIALIZED (SELECT f FROM (VALUES {candidates}) AS v (f, k, c) "
            f"WHERE k = {SAMPLE_BUCKETS} ORDER BY c, f LIMIT 1), "
        )
        sized = (
            f"(SELECT CASE WHEN EXISTS (SELECT 1 FROM {name}_from) THEN {SAMPLE_BUCKETS} "
            f"ELSE {sized} END)"
        )
        scanned = f" AND NOT EXISTS (SELECT 1 FROM {name}_from)"
        columns_c = ", ".join(f"c.{column}" for column in columns)
        for context, own in derive:
            if score is None:
                head = Fragment(f"(SELECT {columns_c} FROM {context} c WHERE ")
            else:
                # The document is read for the matches only, not for the context's rows.
                head = (
                    Fragment(f"(SELECT {columns_c}, ")
                    + score
                    + Fragment(
                        f" AS score FROM {context} c JOIN catalogue_search s "
                        "ON s.article_id = c.article_id WHERE "
                    )
                )
            derived = derived + (
                head
                + Fragment(f"(SELECT f FROM {name}_from) = '{context}' AND ")
                + own
                + Fragment(") UNION ALL ")
            )
    exact = join(
        (
            Fragment(f"(SELECT {selected}")
            + scored
            + Fragment(" FROM catalogue_search s WHERE ")
            + form
            + Fragment(f" AND {k} = {SAMPLE_BUCKETS}{scanned}{choice.format(part='whole')})")
            for form, choice in forms
        ),
        " UNION ALL ",
    )
    decision = Fragment("")
    if switch:
        # Heap reads of the rows outside the range against the range's bitmap: a row read
        # and checked costs about 20 times an index entry added to a bitmap (measured).
        decision = Fragment(
            f"{name}_d AS MATERIALIZED (SELECT (p.a - p.c) * {scale} * {ROW_READ_COST} "
            f"< r.n AS whole, (p.a - p.c) * {scale} * {ROW_READ_COST}.0 * q.k / {SAMPLE_BUCKETS} "
            f"< r.n AS part FROM {name}_probe p, {name}_k q, (SELECT {_range_rows(params)} "
            "AS n) r), "
        )
    return (
        ctes
        + Fragment(f"{name}_probe AS MATERIALIZED (")
        + probe
        + Fragment(
            f"), {name}_k AS MATERIALIZED (SELECT {sized} AS k), "
            f"{name}_buckets AS MATERIALIZED (SELECT "
            f"array(SELECT generate_series(0, k - 1)) AS b FROM {name}_k), "
        )
        + decision
        + Fragment(f"{name} AS MATERIALIZED (")
        + derived
        + exact
        + sampled
        + Fragment(")")
    )


def _own(params: SearchParams, facet: str) -> SearchParams:
    """Return params holding only `facet`'s own selection: what params.without(facet) drops."""
    if facet == "year":
        return SearchParams(year_min=params.year_min, year_max=params.year_max)
    return SearchParams(
        include=tuple(item for item in params.include if item[0] == facet),
        exclude=tuple(item for item in params.exclude if item[0] == facet),
    )


def _total(params: SearchParams, *, exact: bool) -> Fragment:
    """Return the CTE `ctx0_n` (n, approximate): the number of matches.

    Counted from the materialised rows when they are all there; above the threshold counted
    exactly when `exact` (a facet value is selected), else estimated from the sample.
    """
    full = f"(SELECT k FROM ctx0_k) = {SAMPLE_BUCKETS}"
    if exact:
        counted = Fragment(
            f"ctx0_n AS MATERIALIZED (SELECT CASE WHEN {full} THEN (SELECT count(*) FROM ctx0) "
        )
        if filters_dates(params):
            counted = (
                counted
                + Fragment(
                    "WHEN (SELECT whole FROM ctx0_d) "
                    "THEN (SELECT count(*) FROM catalogue_search s WHERE "
                )
                + where(conditions(params, dates="filter"))
                + Fragment(") ")
            )
        return (
            counted
            + Fragment("ELSE (SELECT count(*) FROM catalogue_search s WHERE ")
            + where(conditions(params))
            + Fragment(") END AS n, false AS approximate)")
        )
    return Fragment(
        f"ctx0_n AS MATERIALIZED (SELECT CASE WHEN {full} THEN count(*) ELSE "
        f"round(count(*) * {SAMPLE_BUCKETS}.0 / (SELECT k FROM ctx0_k)) END::bigint AS n, "
        f"NOT {full} AS approximate FROM ctx0)"
    )


def _live_counts(facet: str, context: str, *, top: int | None, selected: list) -> Fragment:
    column, is_array, array_type = COLUMNS[facet]
    source = (
        f"(SELECT unnest(c.{column}) AS v FROM {context} c) x"
        if is_array
        else f"(SELECT c.{column} AS v FROM {context} c) x"
    )
    present = "v IS NOT NULL" + (" AND v <> ''" if FACETS[facet].blank_is_none else "")
    head = (
        f"SELECT '{facet}'::text AS facet, v::text AS value, "
        f"round(count(*) * {SAMPLE_BUCKETS}.0 / (SELECT k FROM {context}_k))::bigint AS n, "
        f"(SELECT k FROM {context}_k) < {SAMPLE_BUCKETS} AS approximate FROM {source} "
    )
    limit = f" LIMIT {int(top) + 1}" if top else ""
    parts = [Fragment(f"({head}WHERE {present} GROUP BY v ORDER BY count(*) DESC, v{limit})")]
    if selected and top:
        parts.append(
            Fragment(f"({head}WHERE v = ANY(%s::{array_type}) GROUP BY v)", [list(selected)])
        )
    return join(parts, " UNION ")


def _catalogue_counts(facet: str, *, top: int | None, selected: list) -> Fragment:
    head = (
        f"SELECT '{facet}'::text AS facet, value, count AS n, false AS approximate "
        f"FROM catalogue_search_facet WHERE facet = '{facet}' AND count > 0"
    )
    limit = f" LIMIT {int(top) + 1}" if top else ""
    parts = [Fragment(f"({head} ORDER BY count DESC, value{limit})")]
    if selected and top:
        parts.append(
            Fragment(f"({head} AND value = ANY(%s::text[]))", [[str(v) for v in selected]])
        )
    return join(parts, " UNION ")


def _labels(rows: str) -> str:
    """Return a SELECT adding each id facet row's label (NULL for an unknown id)."""
    cases = " ".join(
        f"WHEN '{facet}' THEN {label}" for facet, (_, _, label) in LABEL_TABLES.items()
    )
    joins = " ".join(
        f"LEFT JOIN {table} {alias} ON r.facet = '{facet}' "
        f"AND {alias}.id = CASE WHEN r.facet = '{facet}' THEN r.value::bigint END"
        for facet, (table, alias, _) in LABEL_TABLES.items()
    )
    return (
        f"SELECT r.facet, r.value, r.n, r.approximate, CASE r.facet {cases} "
        f"ELSE r.value END AS label FROM {rows} r {joins}"
    )


def _page(params: SearchParams, *, offset: int, limit: int, live: bool) -> Fragment:
    sort = params.effective_sort
    order_c = SORT_COLUMNS[sort].format(a="c")
    paging = f"LIMIT {int(limit)} OFFSET {int(offset)}"
    if not live:
        order_s = SORT_COLUMNS[sort].format(a="s")
        return Fragment(
            f"(SELECT s.article_id, NULL::real AS score, row_number() OVER () AS position "
            f"FROM (SELECT s.article_id FROM catalogue_search s ORDER BY {order_s} {paging}) s)"
        )
    full = f"(SELECT k FROM ctx0_k) = {SAMPLE_BUCKETS}"
    if sort == "relevance":
        # Every match when they are few; above the threshold, the random sample's matches
        # (ranking all of 150,000 matches reads 150,000 documents).
        return Fragment(
            f"(SELECT c.article_id, c.score, row_number() OVER (ORDER BY {order_c}) "
            f"AS position FROM ctx0 c ORDER BY {order_c} {paging})"
        )
    order_s = SORT_COLUMNS[sort].format(a="s")
    exact = Fragment(
        f"(SELECT c.article_id, NULL::real AS score, row_number() OVER (ORDER BY {order_c}) "
        f"AS position FROM ctx0 c WHERE {full} ORDER BY {order_c} {paging})"
    )
    broad = (
        Fragment(
            f"(SELECT s.article_id, NULL::real AS score, row_number() OVER (ORDER BY "
            f"{order_s}) AS position FROM catalogue_search s WHERE "
        )
        + where(conditions(params))
        + Fragment(f" AND NOT {full} ORDER BY {order_s} {paging})")
    )
    return exact + Fragment(" UNION ALL ") + broad


def results_statement(
    *, params: SearchParams, offset: int, limit: int, settings: Settings, facet_names: Sequence[str]
) -> Fragment:
    """Return the one statement answering a results page: total, page ids, facets, labels."""
    live = bool(conditions(params))
    ctes: list[Fragment] = []
    counts: list[Fragment] = []
    selected_facets = set(params.selected_facets)
    sort = params.effective_sort

    main_columns = {"article_id", "date_key", "title_key"}
    for facet in facet_names:
        if facet not in selected_facets:
            main_columns.add(COLUMNS[facet][0])
    score = rank(params.query) if sort == "relevance" else None
    derive: list[tuple[str, Fragment]] = []
    for facet in facet_names:
        top = FACETS[facet].top or None
        selected = params.selected_values(facet)
        if facet in selected_facets:
            if conditions(params.without(facet)):
                name = f"ctx_{facet}"
                # Only this facet's other values are counted here: a lower exact threshold
                # and a tenth of the sample do. The rows carry the matches' columns too, so
                # that the matches can be taken from them (see _context).
                ctes.append(
                    _context(
                        name,
                        params.without(facet),
                        sorted(main_columns | {COLUMNS[facet][0]}),
                        settings,
                        None,
                        sample=max(500, settings.sample_size // 10),
                        threshold=settings.context_threshold,
                    )
                )
                derive.append((name, where(conditions(_own(params, facet), alias="c"))))
                counts.append(_live_counts(facet, name, top=top, selected=selected))
            else:
                counts.append(_catalogue_counts(facet, top=top, selected=selected))
        elif live:
            counts.append(_live_counts(facet, "ctx0", top=top, selected=selected))
        else:
            counts.append(_catalogue_counts(facet, top=top, selected=selected))
    if live:
        ctes.append(
            _context(
                "ctx0",
                params,
                sorted(main_columns),
                settings,
                score,
                sample=settings.sample_size,
                threshold=settings.exact_threshold,
                derive=derive,
            )
        )
        # The total under any selection is exact; the matches of words alone may be estimated.
        ctes.append(_total(params, exact=bool(selected_facets)))

    # Selected ids appear even with no results, so chips have labels and unknown ids show.
    for facet in ID_FACETS:
        values = params.selected_values(facet)
        if values:
            counts.append(
                Fragment(
                    f"(SELECT '{facet}'::text, v::text, NULL::bigint, false "
                    "FROM unnest(%s::bigint[]) AS v)",
                    [values],
                )
            )
    if not counts:
        counts.append(
            Fragment("SELECT NULL::text, NULL::text, NULL::bigint, NULL::boolean WHERE false")
        )
    ctes.append(
        Fragment("facet_rows (facet, value, n, approximate) AS (")
        + join(counts, " UNION ALL ")
        + Fragment(")")
    )
    page = _page(params, offset=offset, limit=limit, live=live)
    ctes.append(Fragment("page_rows AS (") + page + Fragment(")"))
    if live:
        total = "(SELECT n FROM ctx0_n)"
        approximate = "(SELECT approximate FROM ctx0_n)"
        broad = (
            f"CASE WHEN (SELECT k FROM ctx0_k) < {SAMPLE_BUCKETS} "
            "THEN (SELECT count(*) FROM ctx0) ELSE 0 END"
        )
    else:
        total = "(SELECT coalesce(sum(count), 0) FROM catalogue_search_facet WHERE facet = 'total')"
        approximate, broad = "false", "0"
    return (
        Fragment("WITH ")
        + join(ctes, ", ")
        + Fragment(
            f" SELECT 'total'::text AS kind, NULL::text AS facet, NULL::text AS value, "
            f"{total}::bigint AS n, NULL::text AS label, "
            f"CASE WHEN {approximate} THEN 1 ELSE 0 END::float8 AS extra "
            f"UNION ALL SELECT 'broad', NULL, NULL, NULL, NULL, ({broad})::float8 "
            "UNION ALL SELECT 'hit', NULL, article_id::text, position, NULL, score "
            "FROM page_rows "
            f"UNION ALL SELECT 'facet', l.facet, l.value, l.n, l.label, l.approximate::int "
            f"FROM ({_labels('facet_rows')}) l"
        )
    )


RESULT_COLUMNS = "kind text, facet text, value text, n bigint, label text, extra float8"


def run_statement(statement: Fragment, columns: str) -> list[tuple]:
    """Run `statement` through catalogue_search_run (its own planner settings); return rows."""
    with connection.cursor() as cursor:
        text = cursor.mogrify(statement.sql, statement.params)
        if isinstance(text, bytes):
            text = text.decode()
        cursor.execute(f"SELECT * FROM catalogue_search_run(%s) AS t({columns})", [text])
        return cursor.fetchall()


def run_results(
    *, params: SearchParams, offset: int, limit: int, settings: Settings, facet_names: Sequence[str]
) -> Raw:
    """Run the results statement and return its rows sorted out."""
    statement = results_statement(
        params=params, offset=offset, limit=limit, settings=settings, facet_names=facet_names
    )
    rows = run_statement(statement, RESULT_COLUMNS)
    total, total_exact, broad = 0, True, 0
    hits: list[tuple[int, int, float | None]] = []
    counts: dict[str, list[tuple[str, int, bool]]] = {}
    labels: dict[tuple[str, str], str | None] = {}
    approximate: dict[str, bool] = {}
    for kind, facet, value, n, label, extra in rows:
        if kind == "total":
            total, total_exact = int(n), not extra
        elif kind == "broad":
            broad = int(extra)
        elif kind == "hit":
            hits.append((int(n), int(value), extra))
        else:
            labels[(facet, value)] = label
            if n is not None:
                counts.setdefault(facet, []).append((value, int(n), bool(extra)))
                approximate[facet] = approximate.get(facet, False) or bool(extra)
    hits.sort()
    return Raw(
        total=total,
        total_exact=total_exact,
        hits=[(article_id, score) for _, article_id, score in hits],
        counts=counts,
        labels=labels,
        ranked_window=broad if params.effective_sort == "relevance" else 0,
        approximate=approximate,
    )


# --- The "more" list of one facet --------------------------------------------------------------


def facet_list_statement(
    *,
    params: SearchParams,
    facet: str,
    sort: str,
    text: str,
    offset: int,
    limit: int,
    settings: Settings,
) -> Fragment:
    """Return the statement listing every value of `facet` with its count and label.

    Counted like the facet on the results page: exactly up to the threshold, else from the
    sample (flagged); the whole catalogue's counts come from catalogue_search_facet.
    """
    column, is_array, _ = COLUMNS[facet]
    own = params.without(facet)
    whole_catalogue = not conditions(own)
    offset, limit = int(offset), int(limit)
    if sort == "az" and not text and whole_catalogue and facet in LABEL_TABLES:
        return _whole_list_by_label(facet, offset=offset, limit=limit)
    ctes = Fragment("")
    wanted = ""
    if text and facet in LABEL_TABLES:
        # The values whose label contains the text, found through the label's trigram index
        # before anything is counted or labelled.
        table, alias, label = LABEL_TABLES[facet]
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        ctes = Fragment(
            f"wanted AS MATERIALIZED (SELECT {alias}.id FROM {table} {alias} "
            f"WHERE catalogue_fold({label}) LIKE '%%' || catalogue_fold(%s) || '%%'), ",
            [escaped],
        )
        wanted = " AND {value} IN (SELECT id{cast} FROM wanted)"
    if not whole_catalogue:
        ctes += _context(
            "ctx",
            own,
            [column],
            settings,
            None,
            sample=settings.sample_size,
            threshold=settings.exact_threshold,
        ) + Fragment(", ")
        source = (
            f"(SELECT unnest(c.{column}) AS v FROM ctx c) x"
            if is_array
            else f"(SELECT c.{column} AS v FROM ctx c) x"
        )
        present = "v IS NOT NULL" + (" AND v <> ''" if FACETS[facet].blank_is_none else "")
        counts = Fragment(
            f"SELECT '{facet}'::text AS facet, v::text AS value, "
            f"round(count(*) * {SAMPLE_BUCKETS}.0 / (SELECT k FROM ctx_k))::bigint AS n, "
            f"(SELECT k FROM ctx_k) < {SAMPLE_BUCKETS} AS approximate FROM {source} "
            f"WHERE {present}{wanted.format(value='v', cast='')} GROUP BY v"
        )
    else:
        counts = Fragment(
            f"SELECT '{facet}'::text AS facet, value, count AS n, false AS approximate "
            f"FROM catalogue_search_facet WHERE facet = '{facet}' AND count > 0"
            + wanted.format(value="value", cast="::text")
        )
    sort_key = _sort_key(facet) if facet in LABEL_TABLES else "r.value"
    if sort == "count":
        # Only the values whose counts are on the page are labelled (a search's authors can
        # be 15,000 joins): the page lies between the counts at its first and last positions;
        # the values counted above its first are skipped, ties are ordered by label.
        # The bounds are scalar subqueries so that, over the whole catalogue, they are index
        # conditions on catalogue_search_facet_top rather than a filter on every count.
        band = (
            f"), band AS (SELECT (SELECT n FROM counted ORDER BY n DESC OFFSET {offset} LIMIT 1) "
            f"AS hi, (SELECT n FROM counted ORDER BY n DESC OFFSET {offset + limit - 1} LIMIT 1) "
            "AS lo), banded AS (SELECT c.* FROM counted c WHERE c.n <= (SELECT hi FROM band) "
            "AND c.n >= coalesce((SELECT lo FROM band), 0)"
        )
        rows, order = "banded", "l.n DESC, l.sort_key, l.value"
        skip = f"{offset} - (SELECT count(*) FROM counted c WHERE c.n > (SELECT hi FROM band))"
    else:
        band, rows, order, skip = "", "counted", "l.sort_key, l.n DESC, l.value", str(offset)
    labelled = _labels(rows).replace(
        "END AS label FROM", f"END AS label, {sort_key} AS sort_key FROM"
    )
    # The whole catalogue's counts are read from their (facet, count) index where needed;
    # a search's are counted once.
    materialized = " NOT MATERIALIZED" if whole_catalogue and not text else " MATERIALIZED"
    return (
        Fragment("WITH ")
        + ctes
        + Fragment(f"counted AS{materialized} (")
        + counts
        + Fragment(
            f"{band}) SELECT l.value, l.n, l.label, (SELECT count(*) FROM counted), "
            f"l.approximate FROM ({labelled}) l ORDER BY {order} LIMIT {limit} OFFSET ({skip})"
        )
    )


def _sort_key(facet: str) -> str:
    return FACETS[facet].pg_sort_key or f"catalogue_fold({LABEL_TABLES[facet][2]})"


def _whole_list_by_label(facet: str, *, offset: int, limit: int) -> Fragment:
    """Return the statement listing the whole catalogue's values of an id facet A-Z.

    Labelling and sorting every value took 1.3 s for 400,000 authors; this reads them in
    order from the sort key's index (migration 0014) and looks up each one's count until the
    page is full. A page in the second half is read from the end, and a page past the end
    reads nothing. Same columns and order as the general statement.
    """
    table, alias, label = LABEL_TABLES[facet]
    key = _sort_key(facet)
    rows = (
        f"SELECT {alias}.id::text AS value, f.count AS n, {label}::text AS label, "
        f"{key} AS sort_key FROM {table} {alias} JOIN catalogue_search_facet f "
        f"ON f.facet = '{facet}' AND f.value = {alias}.id::text AND f.count > 0"
    )
    total = "(SELECT n FROM total)"
    end = f"least({offset + limit}, {total})"
    return Fragment(
        f"WITH total AS MATERIALIZED (SELECT count(*) AS n FROM catalogue_search_facet "
        f"WHERE facet = '{facet}' AND count > 0) "
        f"SELECT l.value, l.n, l.label, {total}, false FROM ("
        f"(SELECT * FROM ({rows}) r WHERE {offset * 2} < {total} "
        f"ORDER BY r.sort_key, r.n DESC, r.value LIMIT {limit} OFFSET {offset}) "
        "UNION ALL "
        f"(SELECT * FROM ({rows}) r WHERE {offset * 2} >= {total} AND {offset} < {total} "
        f"ORDER BY r.sort_key DESC, r.n, r.value DESC "
        # The LIMIT is evaluated even when the branch is skipped, so it must not go negative.
        f"LIMIT greatest({end} - {offset}, 0) OFFSET {total} - {end})"
        ") l ORDER BY l.sort_key, l.n DESC, l.value"
    )


def run_facet_list(
    *,
    params: SearchParams,
    facet: str,
    sort: str,
    text: str,
    offset: int,
    limit: int,
    settings: Settings,
) -> tuple[list[tuple[str, int, str]], int, bool]:
    """Return ([(value, count, label)], number of values matching `text`, approximate)."""
    statement = facet_list_statement(
        params=params,
        facet=facet,
        sort=sort,
        text=text,
        offset=offset,
        limit=limit,
        settings=settings,
    )
    rows = run_statement(
        statement, "value text, n bigint, label text, total bigint, approximate boolean"
    )
    total = rows[0][3] if rows else 0
    approximate = any(row[4] for row in rows)
    return [(value, int(n), label) for value, n, label, _, _ in rows], int(total), approximate


# --- Did you mean -----------------------------------------------------------------------------


def suggest_words(words: list[str]) -> dict[str, str]:
    """Return {word: the most similar indexed word} for the words that have one."""
    if not words:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w.term, (SELECT v.word FROM catalogue_search_word v WHERE v.word %% w.term "
            "ORDER BY similarity(v.word, w.term) DESC, v.word LIMIT 1) "
            "FROM unnest(%s::text[]) AS w(term)",
            [words],
        )
        return {term: word for term, word in cursor.fetchall() if word}


def headline_sql(query: Query, column: str, *, snippet: bool) -> Fragment:
    """Return a ts_headline expression marking `query`'s words in `column` with U+E000/U+E001."""
    options = (
        "StartSel=\ue000, StopSel=\ue001, MaxWords=40, MinWords=20, MaxFragments=2, "
        'FragmentDelimiter=" … "'
        if snippet
        else "StartSel=\ue000, StopSel=\ue001, HighlightAll=true"
    )
    return (
        Fragment(f"ts_headline('catalogue', {column}, ")
        + tsquery(query)
        + Fragment(", %s)", [options])
    )
