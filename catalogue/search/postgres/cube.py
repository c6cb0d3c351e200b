"""PostgreSQL: exact counts of a search without words from the cells of the scalar facets.

`catalogue_search_facet` holds, besides each facet value's count, one row per combination of
year, language, peer review and output type (facet 'cube', migration 0026; the key is
"year|language|peer_reviewed|type"), kept exact by the index's refresh like every other count.
A search with no words whose selections are only these facets and a year range (`applies`)
then takes its total and these facets' counts from the cells: a sum over a few thousand rows
instead of counting every matching article (`type=article`: 743,000 rows at 1,000,000
articles). The id facets (journal, author, keyword, subject) and the page's rows still come
from the matches (contexts.py). Measured: docs/search-design.md.
"""

# ruff: noqa: S608 -- SQL is assembled from constants and column names; every value from a
# request is a bound parameter.

from __future__ import annotations

from catalogue.search.facets import FACETS
from catalogue.search.params import SearchParams
from catalogue.search.statement import Fragment, join, where

# The facets of a cell, and each one's column in the CTE `cube`.
CUBE_FACETS = ("year", "language", "peer_reviewed", "type")

_YEAR, _LANGUAGE, _PEER = (f"split_part(f.value, '|', {n})" for n in (1, 2, 3))
CELLS = (
    f"cube AS MATERIALIZED (SELECT nullif({_YEAR}, '')::int AS year, {_LANGUAGE} AS language, "
    f"{_PEER} AS peer_reviewed, substr(f.value, length({_YEAR}) + length({_LANGUAGE}) "
    f"+ length({_PEER}) + 4) AS type, f.count AS n FROM catalogue_search_facet f "
    "WHERE f.facet = 'cube' AND f.count > 0)"
)


def applies(params: SearchParams) -> bool:
    """Whether the cells answer `params`: no words and only cube facets (or years) selected."""
    return (
        params.query.is_empty
        and bool(params.selected_facets)
        and all(facet in CUBE_FACETS for facet in params.selected_facets)
    )


def _text(facet: str, values: tuple) -> list[str]:
    # The cells hold text: booleans as PostgreSQL writes them.
    if FACETS[facet].kind == "bool":
        return ["true" if value else "false" for value in values]
    return [str(value) for value in values]


def conditions(params: SearchParams) -> list[Fragment]:
    """Return the conditions on a cell (alias c) of the articles matching `params`."""
    parts = []
    # A year range keeps dated articles only, as its date_key range does.
    if params.year_min is not None:
        parts.append(Fragment("c.year >= %s", [int(params.year_min)]))
    if params.year_max is not None:
        parts.append(Fragment("c.year <= %s", [int(params.year_max)]))
    for facet, values in params.include:
        parts.append(Fragment(f"c.{facet} = ANY(%s::text[])", [_text(facet, values)]))
    for facet, values in params.exclude:
        parts.append(Fragment(f"NOT (c.{facet} = ANY(%s::text[]))", [_text(facet, values)]))
    return parts


def size(params: SearchParams) -> Fragment:
    """Return a scalar subquery: the exact number of articles matching `params` (applies)."""
    return (
        Fragment("(SELECT coalesce(sum(c.n), 0) FROM cube c WHERE ")
        + where(conditions(params))
        + Fragment(")")
    )


def total(params: SearchParams) -> Fragment:
    """Return the CTE `ctx0_n` (n, approximate): the exact number of matches, from the cells."""
    return (
        Fragment("ctx0_n AS MATERIALIZED (SELECT coalesce(sum(c.n), 0)::bigint AS n, ")
        + Fragment("false AS approximate FROM cube c WHERE ")
        + where(conditions(params))
        + Fragment(")")
    )


def counts(facet: str, params: SearchParams, *, top: int | None, selected: list) -> Fragment:
    """Return (facet, value, n, approximate) rows: `facet`'s exact counts without its own
    selection, its top values (the same order as contexts' counts) and any selected ones."""
    condition = where(conditions(params.without(facet)))
    present = "c.year IS NOT NULL" if facet == "year" else "TRUE"
    if facet == "language":
        present = "c.language <> ''"
    value = f"c.{facet}::text"
    head = Fragment(
        f"SELECT '{facet}'::text AS facet, {value} AS value, sum(c.n)::bigint AS n, "
        f"false AS approximate FROM cube c WHERE {present} AND "
    )
    limit = f" LIMIT {int(top) + 1}" if top else ""
    parts = [
        Fragment("(")
        + head
        + condition
        + Fragment(f" GROUP BY {value} ORDER BY sum(c.n) DESC, {value}{limit})")
    ]
    if selected and top:
        parts.append(
            Fragment("(")
            + head
            + condition
            + Fragment(
                f" AND {value} = ANY(%s::text[]) GROUP BY {value})", [_text(facet, selected)]
            )
        )
    return join(parts, " UNION ")
