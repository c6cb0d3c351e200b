"""PostgreSQL: the "more" list of one facet, every value with its count and label, paged."""

# ruff: noqa: S608 -- SQL is assembled from constants, column names and int()-ed limits;
# every value from a request is a bound parameter.

from __future__ import annotations

from catalogue.search.facets import FACETS
from catalogue.search.params import SearchParams
from catalogue.search.postgres.conditions import COLUMNS, conditions
from catalogue.search.postgres.contexts import SAMPLE_BUCKETS, Settings, context_ctes
from catalogue.search.postgres.page import LABEL_TABLES, label_rows, run_statement
from catalogue.search.statement import Fragment


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
        ctes += context_ctes(
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
    labelled = label_rows(rows).replace(
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
