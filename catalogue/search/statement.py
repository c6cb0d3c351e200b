"""SQL assembled in pieces, for both backends: text with %s placeholders and its parameters,
and which backend answers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection


@dataclass
class Fragment:
    """SQL text with %s placeholders and their parameters, in order."""

    sql: str
    params: list = field(default_factory=list)

    def __add__(self, other: Fragment) -> Fragment:
        return Fragment(self.sql + other.sql, self.params + other.params)


def join(fragments: Iterable[Fragment], separator: str) -> Fragment:
    """Return the fragments joined by `separator`."""
    fragments = list(fragments)
    return Fragment(
        separator.join(fragment.sql for fragment in fragments),
        [param for fragment in fragments for param in fragment.params],
    )


def where(parts: list[Fragment]) -> Fragment:
    """Return the conditions ANDed, or TRUE when there are none."""
    return join(parts, " AND ") if parts else Fragment("TRUE")


def is_postgres() -> bool:
    """Return whether the database is PostgreSQL (postgres.py answers) rather than SQLite."""
    return connection.vendor == "postgresql"
