"""SQLite: the same searches over FTS5 (porter stemming, diacritics removed) and the join tables.

For the small catalogues SQLite serves (see docs/performance.md) every count is exact and
facets are counted through the link tables; one statement per results page, as on PostgreSQL.
"""

# ruff: noqa: S608 -- SQL is assembled from constants, column names and int()-ed limits;
# every value from a request is a bound parameter.

from __future__ import annotations

import difflib
from collections.abc import Sequence

from django.db import connection

from catalogue.search.facets import FACETS, ID_FACETS
from catalogue.search.params import SearchParams
from catalogue.search.query import Query, Term
from catalogue.search.results import Raw
from catalogue.search.statement import Fragment, join, where

# bm25 weights for the FTS columns (title, keywords, authors, abstract): far enough apart that,
# as with PostgreSQL's weights, any title match outranks any keyword match, which outranks
# abstract and author-name matches (bm25's term frequency saturates at about 2.2).
BM25 = "bm25(catalogue_search_fts, 100.0, 10.0, 1.0, 1.0)"
MARK_START, MARK_END = "char(57344)", "char(57345)"  # U+E000, U+E001
# Joins the keywords, the names and the citation key in their FTS columns (the triggers'
# char(57360), migration 0028): a word of its own to the tokenizer, so a phrase cannot run from
# one value into the next. Removed from the terms, so no search can bridge two values with it.
VALUE_SEPARATOR = "\ue010"

SORTS = {
    "relevance": "r.score ASC, c.year DESC NULLS LAST, c.month DESC NULLS LAST, "
    "c.day DESC NULLS LAST, c.id DESC",
    "newest": "c.year DESC NULLS LAST, c.month DESC NULLS LAST, c.day DESC NULLS LAST, c.id DESC",
    "oldest": "c.year ASC NULLS LAST, c.month ASC NULLS LAST, c.day ASC NULLS LAST, c.id ASC",
    "title": "lower(c.title) ASC, c.id ASC",
}


def _quoted(term: Term) -> str:
    text = term.text.replace(VALUE_SEPARATOR, " ")
    return '"' + text.replace('"', '""') + '"'


def match_expression(query: Query) -> str:
    """Return the FTS5 MATCH expression for `query`; every term is a quoted string."""
    groups = ["(" + " OR ".join(map(_quoted, group)) + ")" for group in query.groups]
    expression = " AND ".join(groups)
    for term in query.excluded:
        expression = f"({expression}) NOT {_quoted(term)}"
    return expression


def _placeholders(values: Sequence) -> str:
    return ", ".join(["%s"] * len(values))


def _sql_value(facet: str, value: object) -> object:
    if FACETS[facet].kind == "bool":
        return 1 if value else 0
    return value


def _selection(facet: str, values: Sequence, *, negate: bool) -> Fragment:
    values = [_sql_value(facet, value) for value in values]
    marks = _placeholders(values)
    declared = FACETS[facet]
    if declared.link:
        table, column = declared.link
        test = f"c.id {'NOT ' if negate else ''}IN (SELECT article_id FROM {table} "
        return Fragment(f"{test}WHERE {column} IN ({marks}))", values)
    column = declared.sqlite_column
    if negate and declared.nullable:
        return Fragment(f"({column} IS NULL OR {column} NOT IN ({marks}))", values)
    return Fragment(f"{column} {'NOT ' if negate else ''}IN ({marks})", values)


def conditions(params: SearchParams) -> list[Fragment]:
    """Return the SQL conditions of `params` on catalogue_article aliased c."""
    parts = []
    if params.has_text:
        parts.append(
            Fragment(
                "c.id IN (SELECT rowid FROM catalogue_search_fts "
                "WHERE catalogue_search_fts MATCH %s)",
                [match_expression(params.query)],
            )
        )
    if params.year_min is not None:
        parts.append(Fragment("c.year >= %s", [params.year_min]))
    if params.year_max is not None:
        parts.append(Fragment("c.year <= %s", [params.year_max]))
    for facet, values in params.include:
        parts.append(_selection(facet, values, negate=False))
    for facet, values in params.exclude:
        parts.append(_selection(facet, values, negate=True))
    return parts


def _context(name: str, parts: list[Fragment]) -> Fragment:
    return (
        Fragment(f"{name} AS MATERIALIZED (SELECT c.* FROM catalogue_article c WHERE ")
        + where(parts)
        + Fragment(")")
    )


def _counts_source(facet: str, context: str) -> str:
    declared = FACETS[facet]
    if declared.link:
        table, column = declared.link
        return (
            f"SELECT CAST(x.{column} AS TEXT) AS v, count(DISTINCT c.id) AS n FROM {context} c "
            f"JOIN {table} x ON x.article_id = c.id GROUP BY x.{column}"
        )
    return (
        f"SELECT {declared.sqlite_text} AS v, count(*) AS n FROM {context} c "
        f"WHERE {declared.sqlite_text} IS NOT NULL GROUP BY 1"
    )


def _counts(facet: str, context: str, *, top: int | None, selected: list) -> Fragment:
    source = _counts_source(facet, context)
    head = f"SELECT '{facet}' AS facet, v AS value, n, 0 AS approximate FROM ({source})"
    if not top:
        return Fragment(head)
    parts = [
        Fragment(
            f"SELECT * FROM ({head} ORDER BY n DESC, CAST(v AS INTEGER), v LIMIT {int(top) + 1})"
        )
    ]
    if selected:
        values = [
            str(value).lower() if isinstance(value, bool) else str(value) for value in selected
        ]
        parts.append(
            Fragment(f"SELECT * FROM ({head} WHERE v IN ({_placeholders(values)}))", values)
        )
    return join(parts, " UNION ")


# Adds each id facet row's label (NULL for an unknown id) to the rows named {rows}.
LABELS = (
    "SELECT r.facet, r.value, r.n, r.approximate, CASE r.facet "
    + " ".join(f"WHEN '{name}' THEN {FACETS[name].sqlite_label}" for name in ID_FACETS)
    + " ELSE r.value END AS label FROM {rows} r "
    + " ".join(
        f"LEFT JOIN {FACETS[name].table[0]} {FACETS[name].table[1]} ON r.facet = '{name}' "
        f"AND {FACETS[name].table[1]}.id = CAST(r.value AS INTEGER)"
        for name in ID_FACETS
    )
)


def results_statement(
    *, params: SearchParams, offset: int, limit: int, facet_names: Sequence[str]
) -> Fragment:
    """Return the one statement answering a results page: total, page ids, facets, labels."""
    selected_facets = set(params.selected_facets)
    ctes = [_context("ctx0", conditions(params))]
    counts = []
    for facet in facet_names:
        top = FACETS[facet].top or None
        context = "ctx0"
        if facet in selected_facets:
            context = f"ctx_{facet}"
            ctes.append(_context(context, conditions(params.without(facet))))
        counts.append(_counts(facet, context, top=top, selected=params.selected_values(facet)))
    for facet in ID_FACETS:
        values = params.selected_values(facet)
        if values:
            rows = " UNION ALL ".join(
                f"SELECT '{facet}', CAST(%s AS TEXT), NULL, 0" for _ in values
            )
            counts.append(Fragment(rows, [str(value) for value in values]))
    if not counts:
        counts.append(Fragment("SELECT NULL, NULL, NULL, NULL WHERE 0"))
    ctes.append(
        Fragment("facet_rows (facet, value, n, approximate) AS (")
        + join(counts, " UNION ALL ")
        + Fragment(")")
    )
    sort = params.effective_sort
    paging = f"LIMIT {int(limit)} OFFSET {int(offset)}"
    if sort == "relevance":
        # A match whose citation key is a term of the search comes first (its key is indexed
        # in the authors column too, so it is among the matches).
        keys = params.query.key_texts
        order = Fragment(f"(c.citation_key IN ({_placeholders(keys)})) DESC, {SORTS[sort]}", keys)
        page = (
            Fragment("SELECT c.id, -r.score AS score, row_number() OVER (ORDER BY ")
            + order
            + Fragment(
                f") AS position FROM ctx0 c JOIN (SELECT rowid AS id, {BM25} AS score "
                "FROM catalogue_search_fts WHERE catalogue_search_fts MATCH %s) r "
                "ON r.id = c.id ORDER BY ",
                [match_expression(params.query)],
            )
            + order
            + Fragment(f" {paging}")
        )
    else:
        page = Fragment(
            f"SELECT c.id, NULL AS score, row_number() OVER (ORDER BY {SORTS[sort]}) AS position "
            f"FROM ctx0 c ORDER BY {SORTS[sort]} {paging}"
        )
    ctes.append(Fragment("page_rows AS (") + page + Fragment(")"))
    return (
        Fragment("WITH ")
        + join(ctes, ", ")
        + Fragment(
            " SELECT 'total' AS kind, NULL AS facet, NULL AS value, (SELECT count(*) FROM ctx0) "
            "AS n, NULL AS label, 0 AS extra "
            "UNION ALL SELECT 'hit', NULL, CAST(id AS TEXT), position, NULL, score FROM page_rows "
            "UNION ALL SELECT 'facet', l.facet, l.value, l.n, l.label, l.approximate FROM ("
            + LABELS.format(rows="facet_rows")
            + ") l"
        )
    )


def author_label(parts: str | None) -> str | None:
    """Return an author's display name from the U+001F-joined name parts."""
    if parts is None:
        return None
    given, particle, family, suffix, corporate = (parts.split("\x1f") + [""] * 5)[:5]
    if corporate:
        return corporate
    full_family = " ".join(part for part in (particle, family) if part)
    name = " ".join(part for part in (given, full_family) if part)
    return f"{name} {suffix}" if suffix else name


def run_results(
    *, params: SearchParams, offset: int, limit: int, facet_names: Sequence[str]
) -> Raw:
    """Run the results statement and return its rows sorted out."""
    statement = results_statement(
        params=params, offset=offset, limit=limit, facet_names=facet_names
    )
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params)
        rows = cursor.fetchall()
    total = 0
    hits: list[tuple[int, int, float | None]] = []
    counts: dict[str, list[tuple[str, int, bool]]] = {}
    labels: dict[tuple[str, str], str | None] = {}
    for kind, facet, value, n, label, extra in rows:
        if kind == "total":
            total = int(n)
        elif kind == "hit":
            hits.append((int(n), int(value), extra))
        else:
            labels[(facet, value)] = author_label(label) if FACETS[facet].name_parts else label
            if n is not None:
                counts.setdefault(facet, []).append((value, int(n), False))
    hits.sort()
    return Raw(
        total=total,
        total_exact=True,
        hits=[(article_id, score) for _, article_id, score in hits],
        counts=counts,
        labels=labels,
        ranked_window=False,
        approximate={},
    )


def run_facet_list(*, params: SearchParams, facet: str) -> list[tuple[str, int, str, str]]:
    """Return every value of `facet` with its exact count, label and sort key."""
    statement = (
        Fragment("WITH ")
        + _context("ctx", conditions(params.without(facet)))
        + Fragment(
            f", counted (facet, value, n, approximate) AS (SELECT '{facet}', v, n, 0 FROM ("
            f"{_counts_source(facet, 'ctx')})) SELECT l.value, l.n, l.label FROM ("
            + LABELS.format(rows="counted")
            + ") l"
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params)
        rows = cursor.fetchall()
    return [
        (
            value,
            int(n),
            *(author_label_and_key(label) if FACETS[facet].name_parts else (label, label)),
        )
        for value, n, label in rows
    ]


def author_label_and_key(parts: str) -> tuple[str, str]:
    """Return an author's display name and sort key ("family given corporate")."""
    given, _, family, _, corporate = (parts.split("\x1f") + [""] * 5)[:5]
    key = " ".join(part for part in (family, given, corporate) if part)
    return author_label(parts) or "", key


def suggest_words(words: list[str]) -> dict[str, str]:
    """Return {word: the closest indexed word} for the words that have one."""
    if not words:
        return {}
    shortest = min(len(word) for word in words) - 2
    longest = max(len(word) for word in words) + 2
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT term FROM catalogue_search_vocabulary WHERE length(term) BETWEEN %s AND %s "
            "LIMIT 200000",
            [max(shortest, 1), longest],
        )
        vocabulary = [term for (term,) in cursor.fetchall()]
    suggestions = {}
    for word in words:
        match = difflib.get_close_matches(word, vocabulary, n=1, cutoff=0.7)
        if match:
            suggestions[word] = match[0]
    return suggestions


def headline_sql(query: Query, column: int, *, snippet: bool) -> Fragment:
    """Return an FTS5 highlight()/snippet() of FTS column `column` for catalogue_article's row."""
    function = (
        f"snippet(catalogue_search_fts, {column}, {MARK_START}, {MARK_END}, ' … ', 40)"
        if snippet
        else f"highlight(catalogue_search_fts, {column}, {MARK_START}, {MARK_END})"
    )
    return Fragment(
        f"(SELECT {function} FROM catalogue_search_fts WHERE catalogue_search_fts MATCH %s "
        "AND catalogue_search_fts.rowid = catalogue_article.id)",
        [match_expression(query)],
    )
