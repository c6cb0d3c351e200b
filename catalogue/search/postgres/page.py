"""PostgreSQL: the one statement answering a results page (total, page ids, facets, labels)."""

# ruff: noqa: S608 -- SQL is assembled from constants, column names and int()-ed limits;
# every value from a request is a bound parameter.

from __future__ import annotations

from collections.abc import Sequence

from catalogue import routers
from catalogue.search.facets import FACETS, ID_FACETS
from catalogue.search.params import SearchParams
from catalogue.search.postgres import cube
from catalogue.search.postgres.conditions import COLUMNS, conditions, filters_dates, rank
from catalogue.search.postgres.contexts import SAMPLE_BUCKETS, Settings, context_ctes
from catalogue.search.results import Raw
from catalogue.search.statement import Fragment, join, where

SORT_COLUMNS = {
    "relevance": "{a}.score DESC, {a}.date_key DESC NULLS LAST, {a}.article_id DESC",
    "newest": "{a}.date_key DESC NULLS LAST, {a}.article_id DESC",
    "oldest": "{a}.date_key ASC NULLS LAST, {a}.article_id ASC",
    "title": "{a}.title_key ASC, {a}.article_id ASC",
}

# facet -> (table, alias, label) of the id facets: how every statement labels their values,
# and the labels that the trigram indexes of migration 0011 cover.
LABEL_TABLES = {name: (*FACETS[name].table, FACETS[name].pg_label) for name in ID_FACETS}


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
    k = f"(SELECT k FROM {context}_k)"
    # Scaled and made text only once the top values are chosen: numeric arithmetic on each of
    # the 20,000 authors of 12,000 matches cost a third of counting them (measured).
    head = (
        f"SELECT '{facet}'::text AS facet, t.v::text AS value, "
        f"round(t.n * {SAMPLE_BUCKETS}.0 / {k})::bigint AS n, "
        f"{k} < {SAMPLE_BUCKETS} AS approximate FROM (SELECT v, count(*) AS n FROM {source} "
    )
    limit = f" LIMIT {int(top) + 1}" if top else ""
    parts = [Fragment(f"({head}WHERE {present} GROUP BY v ORDER BY count(*) DESC, v{limit}) t)")]
    if selected and top:
        parts.append(
            Fragment(f"({head}WHERE v = ANY(%s::{array_type}) GROUP BY v) t)", [list(selected)])
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


def label_rows(rows: str) -> str:
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


def _keyed(params: SearchParams) -> Fragment:
    """Return the CTE `keyed` (ids): the articles whose citation key is a term of the search.

    One lookup in the index on catalogue_article.citation_key (exact, as typed). The key is
    indexed as words too (weight D, migration 0018), so these articles are among the matches;
    this puts them first. Measured: docs/search-index.md, "Citation keys".
    """
    return Fragment(
        "keyed AS MATERIALIZED (SELECT array(SELECT a.id FROM catalogue_article a "
        "WHERE a.citation_key = ANY(%s::text[])) AS ids)",
        [params.query.key_texts],
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
        # (ranking all of 150,000 matches reads 150,000 documents). A match whose citation
        # key is a term of the search comes first (the CTE `keyed`, see _keyed).
        order_c = f"(c.article_id = ANY((SELECT ids FROM keyed)::bigint[])) DESC, {order_c}"
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
    # No words and only scalar facets selected: the total and those facets' counts are the
    # cells' (cube.py), exact, and no context is scanned for them.
    cells = live and settings.cube and cube.applies(params)
    ctes: list[Fragment] = []
    sized: list[bool] = []

    def size(context: SearchParams) -> Fragment | None:
        # A context with no words and only scalar facets selected: its size is the cells'.
        if settings.cube and cube.applies(context):
            sized.append(True)
            return cube.size(context)
        return None

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
        if cells and facet in cube.CUBE_FACETS:
            counts.append(cube.counts(facet, params, top=top, selected=selected))
        elif facet in selected_facets:
            if conditions(params.without(facet)):
                name = f"ctx_{facet}"
                # Only this facet's other values are counted here: a lower exact threshold
                # and a tenth of the sample do. The rows carry the matches' columns too, so
                # that the matches can be taken from them (see contexts.context_ctes).
                ctes.append(
                    context_ctes(
                        name,
                        params.without(facet),
                        sorted(main_columns | {COLUMNS[facet][0]}),
                        settings,
                        None,
                        sample=max(500, settings.sample_size // 10),
                        threshold=settings.context_threshold,
                        size=size(params.without(facet)),
                    )
                )
                derive.append((name, where(conditions(params.only(facet), alias="c"))))
                counts.append(_live_counts(facet, name, top=top, selected=selected))
            else:
                counts.append(_catalogue_counts(facet, top=top, selected=selected))
        elif live:
            counts.append(_live_counts(facet, "ctx0", top=top, selected=selected))
        else:
            counts.append(_catalogue_counts(facet, top=top, selected=selected))
    if live:
        ctes.append(
            context_ctes(
                "ctx0",
                params,
                sorted(main_columns),
                settings,
                score,
                sample=settings.sample_size,
                threshold=settings.exact_threshold,
                derive=derive,
                size=size(params),
            )
        )
        # The total under any selection is exact; the matches of words alone may be estimated.
        ctes.append(cube.total(params) if cells else _total(params, exact=bool(selected_facets)))

    if cells or sized:
        ctes.insert(0, Fragment(cube.CELLS))
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
    if live and sort == "relevance":
        ctes.append(_keyed(params))
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
            f"FROM ({label_rows('facet_rows')}) l"
        )
    )


RESULT_COLUMNS = "kind text, facet text, value text, n bigint, label text, extra float8"


def run_statement(statement: Fragment, columns: str) -> list[tuple]:
    """Run `statement` through catalogue_search_run (its own planner settings); return rows."""
    with routers.read_connection().cursor() as cursor:
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
