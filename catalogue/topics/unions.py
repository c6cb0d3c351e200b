"""Many bounded lookups in few statements: one subquery per item (each its own bounded index
scan, e.g. a concept's strongest postings), joined by UNION ALL, a chunk of items at a time."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

# Items per statement by default. SQLite allows 500 terms in a compound SELECT: a part of two
# terms (one UNION ALL inside it) may take up to 250 items, one of a single term 500.
UNION_SIZE = 100
# The most terms one statement may hold (SQLite's SQLITE_MAX_COMPOUND_SELECT).
MAX_TERMS = 500

Item = TypeVar("Item")


def union_all(
    cursor,
    part: str,
    items: Sequence[Item],
    params: Callable[[Item], Iterable],
    *,
    size: int = UNION_SIZE,
) -> list[tuple]:
    """Return the rows of `part` run once per item: `part` is a SELECT with `{i}` where its
    subquery aliases need a number unique in the statement and `%s` for the values that
    `params(item)` gives, in order; items are sent `size` at a time, one UNION ALL each."""
    terms = part.upper().count(" UNION ALL ") + 1
    if size < 1 or size * terms > MAX_TERMS:
        raise ValueError(f"{size} items of {terms} terms exceed {MAX_TERMS} terms a statement")
    wanted = part.count("%s")
    rows: list[tuple] = []
    for start in range(0, len(items), size):
        chunk = items[start : start + size]
        values: list = []
        for item in chunk:
            given = list(params(item))
            if len(given) != wanted:
                raise ValueError(f"{len(given)} parameters for a part taking {wanted}")
            values.extend(given)
        cursor.execute(" UNION ALL ".join(part.format(i=i) for i in range(len(chunk))), values)
        rows.extend(cursor.fetchall())
    return rows
