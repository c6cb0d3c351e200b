"""Bulk loading into PostgreSQL with COPY FROM STDIN, the one COPY writer of the catalogue, and
the foreign keys a bulk writer checks once instead of per row.

The BibTeX import and the synthetic generator both load rows this way: COPY loads rows about
three times faster than multi-row INSERTs. Works with psycopg2 and psycopg 3.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import connection, models

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})

# Bytes psycopg2 sends per write; its default of 8 kB costs a round of calls per few rows.
_COPY_CHUNK = 1 << 20


def _escape(text: str) -> str:
    """Return `text` with COPY's text-format escapes applied."""
    # Checking first is about ten times faster than translate() on the usual text that needs
    # no escape.
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_ESCAPES)
    return text


def copy_lines(rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """Yield each row as a line of COPY's text format (None is NULL, booleans t and f)."""
    escape = _escape
    # Inline rather than a function per value: an import formats close to a million values.
    for row in rows:
        yield (
            "\t".join(
                [
                    "\\N"
                    if value is None
                    else escape(value)
                    if type(value) is str
                    else str(value)
                    if type(value) is int
                    else ("t" if value else "f")
                    if type(value) is bool
                    else escape(str(value))
                    for value in row
                ]
            )
            + "\n"
        )


def copy_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Load `rows` (database-ready values of `model`'s `fields`, in order) with COPY.

    Constraint violations and other driver errors are raised as Django's database errors
    (e.g. django.db.IntegrityError), as the ORM raises them.
    """
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    buffer = io.StringIO()
    buffer.writelines(copy_lines(rows))
    buffer.seek(0)
    # The driver's COPY API bypasses Django's cursor wrapper, and so its error mapping.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor
        if hasattr(raw, "copy_expert"):  # psycopg2
            raw.copy_expert(sql, buffer, size=_COPY_CHUNK)
        else:  # psycopg 3
            with raw.copy(sql) as copy:
                copy.write(buffer.getvalue())


def foreign_keys(cursor, tables: Sequence[str]) -> list[tuple[str, str, str, str, str]]:
    """Return (constraint, table, column, target table, target column) of every one-column
    foreign key of these PostgreSQL tables, by table and constraint name."""
    cursor.execute(
        "SELECT c.conname, c.conrelid::regclass::text, a.attname, "
        "c.confrelid::regclass::text, fa.attname "
        "FROM pg_constraint c "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
        "JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1] "
        "WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 "
        "AND c.conrelid = ANY(%s::regclass[]) ORDER BY 2, 1",
        [list(tables)],
    )
    return cursor.fetchall()
