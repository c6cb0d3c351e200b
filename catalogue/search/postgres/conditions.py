"""PostgreSQL: a search's words and selections as conditions on the `catalogue_search` table."""

# ruff: noqa: S608 -- SQL is assembled from constants, column names and int()-ed limits;
# every value from a request is a bound parameter.

from __future__ import annotations

from collections.abc import Sequence

from catalogue.search.facets import FACETS
from catalogue.search.params import SearchParams
from catalogue.search.query import Query, Term
from catalogue.search.statement import Fragment, join

# ts_rank weights for {D, C, B, A}: author names (as printed and the people's) and citation key,
# abstract, keywords, title.
RANK_WEIGHTS = "{0.2,0.2,0.5,1.0}"

# facet -> (column of catalogue_search, holds an array of ids, SQL array type)
COLUMNS: dict[str, tuple[str, bool, str]] = {
    name: (facet.pg_column, facet.pg_array, facet.pg_array_type) for name, facet in FACETS.items()
}


# --- Query text ----------------------------------------------------------------------------------


def _term(term: Term, *, positions: bool = True) -> Fragment:
    function = "phraseto_tsquery" if term.in_order and positions else "plainto_tsquery"
    return Fragment(f"{function}('catalogue', %s)", [term.text])


def tsquery(query: Query, *, positions: bool = True) -> Fragment:
    """Return a tsquery expression for `query` (every group, none of the excluded terms).

    Without `positions`, phrases (and words matched as phrases, Term.in_order) become all of
    their words: the candidates the GIN index finds without reading a document (a phrase is
    then checked on each candidate's document).
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
    """Return whether `query` has a phrase (its candidates need their documents read).

    A quoted phrase, or a word matched as one (Term.in_order: a key such as Knuth:1984:TB).
    """
    return any(term.in_order for term in query.terms)


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


def date_conditions(params: SearchParams, *, alias: str, indexable: bool = True) -> list[Fragment]:
    """Return the year range of `params` as conditions on the date key of the row `alias`."""
    # A year range as a date_key range (year * 10000 + month * 100 + day): the index on
    # (journal_id, date_key) then answers a journal and years together, and the date indexes
    # a range of years, where the year index would add a bitmap of every row in the range.
    # "+ 0" keeps the planner from reading an index for it (see contexts.context_ctes).
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
        parts.extend(date_conditions(params, alias=alias, indexable=dates == "index"))
    for facet, values in params.include:
        parts.append(_selection(facet, values, negate=False, alias=alias))
    for facet, values in params.exclude:
        parts.append(_selection(facet, values, negate=True, alias=alias))
    return parts


def probe_indexed(params: SearchParams) -> bool:
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
    return probe_indexed(params)


def range_rows(params: SearchParams) -> str:
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
