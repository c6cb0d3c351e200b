"""The search index's SQL, one file per database object version, as the migrations load it.

`postgres/<object>.v<N>.sql` and `sqlite/<object>.v<N>.sql` install version N of an object
(functions and views whole, with CREATE OR REPLACE, so that loading an older version reverts
to it); `<object>.v<N>.down.sql` removes what version N added that loading version N-1 does
not (indexes, table options). A released file is never edited: a change is a new version
file and a new migration that loads it (README.md here, docs/search-index.md for the map).
"""

import sqlite3
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def sql(name: str) -> str:
    """Return the text of the SQL file `name` (e.g. "postgres/catalogue_search_refresh.v2.sql")."""
    return (ROOT / name).read_text(encoding="utf-8")


def statements(text: str) -> list[str]:
    """Return the SQLite statements of `text` in order (a trigger's BEGIN ... END is one)."""
    result, pending = [], ""
    for line in text.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            result.append(pending.strip())
            pending = ""
    if pending.strip() and not all(
        line.lstrip().startswith("--") or not line.strip() for line in pending.splitlines()
    ):
        raise ValueError(f"Incomplete SQL statement at the end: {pending.strip()[:80]!r}")
    return result


def execute(schema_editor, *names: str) -> None:
    """Run the SQL files `names` in order on the migration's connection; return nothing.

    PostgreSQL takes a file in one call; SQLite's driver runs one statement per call.
    """
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for name in names:
            text = sql(name)
            if connection.vendor == "sqlite":
                for statement in statements(text):
                    cursor.execute(statement)
            else:
                cursor.execute(text)
