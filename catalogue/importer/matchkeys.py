"""Stored match keys: what duplicate matching looks up by index instead of loading the catalogue.

Matching compares normalised forms (titles without markup, case, accents or punctuation; names
folded), which no database can compute as Python does. So each article's normalised title and
each person's normalised family name are computed here, in Python, and kept beside the records
in two tables of their own, each with an index:

- `catalogue_article_match`: article id, a 64-bit hash of the normalised title;
- `catalogue_author_match`: person id, "family key|first initial" (`author_name_key`).

They are an index only: the importer fetches the rows whose key one of the file's entries or
names has, then decides from those rows' own stored values exactly as before (a hash collision
or a stale key can add a row to look at, never a match). Stored titles and names stay as the
source said (docs/fidelity.md): nothing here is shown or exported.

Keeping them current: triggers on the article and author tables queue the id of every row
inserted, or whose title (name) changes, in `catalogue_match_pending`, and remove the keys of
deleted rows; `refresh()` computes the queued keys in bounded batches (every import does, before
it matches and after it writes). Whoever writes records (admin, API, fixtures, the generator)
needs to do nothing else. Django rebuilds a SQLite table to alter it, which drops its triggers:
`ensure_current()` notices and installs them again with every key (`install`).
"""

# Only this module's constant table, column and trigger names are put into SQL; values are
# always parameters.
# ruff: noqa: S608

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import connection, transaction

from catalogue.importer.normalise import family_key, given_tokens, normalise_title

ARTICLE_TABLE = "catalogue_article_match"
AUTHOR_TABLE = "catalogue_author_match"
PENDING_TABLE = "catalogue_match_pending"
# Every trigger's name starts so (and no other's).
TRIGGER_PREFIX = "catalogue_match_"
_TRIGGERS = 6

# Rows read, keyed and written per statement when filling or refreshing the tables: bounded
# memory at any catalogue size.
BATCH = 10_000
# Values per IN (...) on SQLite (below its historical limit of 999 parameters).
_SQLITE_IN = 900
# PostgreSQL takes one array parameter: this many values per query.
_POSTGRES_IN = 20_000

# A transaction-local setting: "writer" while the rows inserted are keyed by their writer.
_SETTING = "catalogue.match_keys"

_ARTICLE_KIND = "a"
_AUTHOR_KIND = "u"


def title_hash(key: str) -> int:
    """Return the stored 64-bit hash of a normalised title (signed, as a bigint column holds)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def author_name_key(*, family: str, given: str, particle: str, corporate: str) -> str:
    """Return the stored lookup key of a person's name: family key and first initial.

    Two forms of one name that matching links (the same whole normalised name), or notes as
    resembling by initials, have the same family key and the same first initial.
    """
    if corporate:
        return family_key(family=family, particle=particle, corporate=corporate) + "|"
    tokens = given_tokens(given)
    return family_key(family=family, particle=particle) + "|" + (tokens[0][0] if tokens else "")


# --- looking keys up -------------------------------------------------------------------------


def articles_by_title(keys: Iterable[str]) -> list[tuple[Any, ...]]:
    """Return (id, title, year, doi, journal id, citation key) of the articles keyed by `keys`.

    `keys` are normalised titles; the rows are a superset of the articles with those titles.
    """
    hashes = sorted({title_hash(key) for key in keys})
    sql = (
        "SELECT a.id, a.title, a.year, a.doi, a.journal_id, a.citation_key "
        f"FROM {ARTICLE_TABLE} m JOIN catalogue_article a ON a.id = m.article_id "
        "WHERE m.title_hash {in}"
    )
    return select_in(sql, hashes)


def authors_by_name(keys: Iterable[str]) -> list[tuple[Any, ...]]:
    """Return (id, family, given, particle, suffix, corporate, orcid) of the people keyed by `keys`.

    `keys` are `author_name_key` values; the rows are a superset of the people with them.
    """
    sql = (
        "SELECT a.id, a.family_name, a.given_names, a.particle, a.suffix, "
        f"a.corporate_name, a.orcid FROM {AUTHOR_TABLE} m "
        "JOIN catalogue_author a ON a.id = m.author_id WHERE m.name_key {in}"
    )
    return select_in(sql, sorted(set(keys)))


def select_in(sql: str, values: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Run `sql` with its `{in}` standing for "IN `values`", a chunk at a time; return all rows."""
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for chunk, condition in _in_chunks(values):
            cursor.execute(sql.replace("{in}", condition), chunk)
            rows.extend(cursor.fetchall())
    return rows


def _in_chunks(values: Sequence[Any]) -> Iterator[tuple[list[Any], str]]:
    """Yield (parameters, condition) pairs that together say "IN `values`"."""
    if connection.vendor == "postgresql":
        for start in range(0, len(values), _POSTGRES_IN):
            yield [list(values[start : start + _POSTGRES_IN])], "= ANY(%s)"
        return
    for start in range(0, len(values), _SQLITE_IN):
        chunk = list(values[start : start + _SQLITE_IN])
        yield chunk, f"IN ({', '.join(['%s'] * len(chunk))})"


# --- keeping keys current --------------------------------------------------------------------


def ensure_current() -> None:
    """Bring the stored keys up to date: queued rows keyed, and the triggers there."""
    if not is_installed():
        install()
    refresh()


@contextlib.contextmanager
def keyed_by_writer() -> Iterator[None]:
    """Within the block, rows inserted are not queued: the caller keys them (`store_new`).

    PostgreSQL only (SQLite's triggers queue them as always). Saves queueing, reading back and
    unqueueing every row of a big import. On an error the transaction's rollback ends it.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'writer', true)", [_SETTING])
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, '', true)", [_SETTING])


def store_new(
    *, articles: Iterable[tuple[int, str]], people: Iterable[tuple[int, str, str, str, str]]
) -> None:
    """Store the keys of rows inserted within `keyed_by_writer`: (id, title) and (id, family,
    given, particle, corporate)."""
    if connection.vendor != "postgresql":
        return  # queued by the triggers: `refresh` keys them
    with connection.cursor() as cursor:
        _store(cursor, ARTICLE_TABLE, "article_id", "title_hash", _article_keys(articles))
        _store(cursor, AUTHOR_TABLE, "author_id", "name_key", _author_keys(people))


def refresh() -> None:
    """Store the keys of the rows queued as new or changed, a bounded batch at a time."""
    select = f"SELECT id, kind, row_id FROM {PENDING_TABLE} ORDER BY id LIMIT %s"
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(select, [BATCH])
            queued = cursor.fetchall()
            if not queued:
                return
            # Read after the queue: the values keyed are at least as new as what queued them.
            _key_articles(cursor, sorted({row for _, kind, row in queued if kind == _ARTICLE_KIND}))
            _key_authors(cursor, sorted({row for _, kind, row in queued if kind == _AUTHOR_KIND}))
            # Only the entries read: one queued meanwhile (a title changed again) stays queued.
            for chunk, condition in _in_chunks([pk for pk, _, _ in queued]):
                cursor.execute(f"DELETE FROM {PENDING_TABLE} WHERE id {condition}", chunk)


def _key_articles(cursor: Any, ids: Sequence[int]) -> None:
    """Store the title keys of the articles `ids` (forgetting those that no longer exist)."""
    rows: list[tuple[int, str]] = []
    for chunk, condition in _in_chunks(ids):
        cursor.execute(f"SELECT id, title FROM catalogue_article WHERE id {condition}", chunk)
        rows.extend(cursor.fetchall())
    _store(cursor, ARTICLE_TABLE, "article_id", "title_hash", _article_keys(rows))
    _forget(cursor, ARTICLE_TABLE, "article_id", set(ids) - {pk for pk, _ in rows})


def _key_authors(cursor: Any, ids: Sequence[int]) -> None:
    """Store the name keys of the people `ids` (forgetting those that no longer exist)."""
    rows: list[tuple[Any, ...]] = []
    for chunk, condition in _in_chunks(ids):
        cursor.execute(
            "SELECT id, family_name, given_names, particle, corporate_name "
            f"FROM catalogue_author WHERE id {condition}",
            chunk,
        )
        rows.extend(cursor.fetchall())
    _store(cursor, AUTHOR_TABLE, "author_id", "name_key", _author_keys(rows))
    _forget(cursor, AUTHOR_TABLE, "author_id", set(ids) - {row[0] for row in rows})


def _article_keys(rows: Iterable[tuple[int, str]]) -> list[tuple[int, int]]:
    return [(pk, title_hash(normalise_title(title))) for pk, title in rows]


def _author_keys(rows: Iterable[tuple[Any, ...]]) -> list[tuple[int, str]]:
    return [
        (
            pk,
            author_name_key(family=family, given=given, particle=particle, corporate=corporate),
        )
        for pk, family, given, particle, corporate in rows
    ]


def _store(cursor: Any, table: str, id_column: str, key_column: str, rows: list[Any]) -> None:
    """Insert or replace (id, key) rows."""
    upsert = f"ON CONFLICT ({id_column}) DO UPDATE SET {key_column} = excluded.{key_column}"
    if connection.vendor == "postgresql":
        # Two array parameters: far cheaper for the driver than 20,000 single ones.
        kind = "bigint" if key_column == "title_hash" else "text"
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            cursor.execute(
                f"INSERT INTO {table} ({id_column}, {key_column}) "
                f"SELECT * FROM unnest(%s::bigint[], %s::{kind}[]) {upsert}",
                [[row[0] for row in chunk], [row[1] for row in chunk]],
            )
        return
    # 2 parameters a row, within SQLite's historical limit of 999.
    for start in range(0, len(rows), 450):
        chunk = rows[start : start + 450]
        cursor.execute(
            f"INSERT INTO {table} ({id_column}, {key_column}) VALUES "
            + ", ".join(["(%s, %s)"] * len(chunk))
            + f" {upsert}",
            [value for row in chunk for value in row],
        )


def _forget(cursor: Any, table: str, id_column: str, ids: set[int]) -> None:
    for chunk, condition in _in_chunks(sorted(ids)):
        cursor.execute(f"DELETE FROM {table} WHERE {id_column} {condition}", chunk)


# --- installing ------------------------------------------------------------------------------


def is_installed() -> bool:
    """Return whether the key tables and all their triggers exist."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE %s",
                [TRIGGER_PREFIX + "%"],
            )
        else:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
                [TRIGGER_PREFIX + "%"],
            )
        return cursor.fetchone()[0] == _TRIGGERS


def install(*, progress: Any = None) -> None:
    """Create the key tables and triggers (if missing), then key every article and person.

    Safe to repeat and to run while others write: the triggers are there before the rows are
    read, so a row written meanwhile is queued. Each batch is its own transaction when not
    called inside one (the migration), so the tables are never locked for long.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in _schema(connection.vendor):
            cursor.execute(statement)
    fill(progress=progress)
    with connection.cursor() as cursor:
        # Built once the rows are in: faster than keeping them up to date row by row.
        for table, column in ((ARTICLE_TABLE, "title_hash"), (AUTHOR_TABLE, "name_key")):
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {table}_{column} ON {table} ({column})")
            if connection.vendor == "postgresql":
                # Statistics now, not at autovacuum's leisure: the lookups' plans need them.
                cursor.execute(f"ANALYZE {table}")


def fill(*, progress: Any = None) -> None:
    """Key every article and person, BATCH rows per transaction, in id order."""
    for table, read, keys, store in (
        (
            "catalogue_article",
            "id, title",
            _article_keys,
            (ARTICLE_TABLE, "article_id", "title_hash"),
        ),
        (
            "catalogue_author",
            "id, family_name, given_names, particle, corporate_name",
            _author_keys,
            (AUTHOR_TABLE, "author_id", "name_key"),
        ),
    ):
        last, done = 0, 0
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {read} FROM {table} WHERE id > %s ORDER BY id LIMIT %s",
                    [last, BATCH],
                )
                rows = cursor.fetchall()
                if not rows:
                    break
                _store(cursor, *store, keys(rows))
            last, done = rows[-1][0], done + len(rows)
            if progress is not None:
                progress(table, done)


def uninstall() -> None:
    """Drop the key tables, triggers and trigger functions."""
    with connection.cursor() as cursor:
        for statement in _drop(connection.vendor):
            cursor.execute(statement)


def _schema(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"CREATE TABLE IF NOT EXISTS {ARTICLE_TABLE} "
            "(article_id bigint PRIMARY KEY, title_hash bigint NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {AUTHOR_TABLE} "
            "(author_id bigint PRIMARY KEY, name_key text NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {PENDING_TABLE} "
            "(id bigserial PRIMARY KEY, kind varchar(1) NOT NULL, row_id bigint NOT NULL)",
            # Inserts are queued a statement at a time (an import's COPY: one INSERT ... SELECT).
            # Not when the writer keys the rows itself (`keyed_by_writer`: an import's COPY).
            f"""CREATE OR REPLACE FUNCTION {TRIGGER_PREFIX}inserted() RETURNS trigger
            LANGUAGE plpgsql AS $$ BEGIN
                IF current_setting('{_SETTING}', true) = 'writer' THEN
                    RETURN NULL;
                END IF;
                INSERT INTO {PENDING_TABLE} (kind, row_id) SELECT TG_ARGV[0], id FROM new_rows;
                RETURN NULL;
            END $$""",
            f"""CREATE OR REPLACE FUNCTION {TRIGGER_PREFIX}changed() RETURNS trigger
            LANGUAGE plpgsql AS $$ BEGIN
                INSERT INTO {PENDING_TABLE} (kind, row_id) VALUES (TG_ARGV[0], NEW.id);
                RETURN NULL;
            END $$""",
            f"""CREATE OR REPLACE FUNCTION {TRIGGER_PREFIX}article_deleted() RETURNS trigger
            LANGUAGE plpgsql AS $$ BEGIN
                DELETE FROM {ARTICLE_TABLE} WHERE article_id IN (SELECT id FROM old_rows);
                RETURN NULL;
            END $$""",
            f"""CREATE OR REPLACE FUNCTION {TRIGGER_PREFIX}author_deleted() RETURNS trigger
            LANGUAGE plpgsql AS $$ BEGIN
                DELETE FROM {AUTHOR_TABLE} WHERE author_id IN (SELECT id FROM old_rows);
                RETURN NULL;
            END $$""",
            *_drop_triggers(vendor),
            f"CREATE TRIGGER {TRIGGER_PREFIX}article_insert AFTER INSERT ON catalogue_article "
            "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {TRIGGER_PREFIX}inserted('{_ARTICLE_KIND}')",
            f"CREATE TRIGGER {TRIGGER_PREFIX}article_update AFTER UPDATE OF title "
            "ON catalogue_article FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title) "
            f"EXECUTE FUNCTION {TRIGGER_PREFIX}changed('{_ARTICLE_KIND}')",
            f"CREATE TRIGGER {TRIGGER_PREFIX}article_delete AFTER DELETE ON catalogue_article "
            "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {TRIGGER_PREFIX}article_deleted()",
            f"CREATE TRIGGER {TRIGGER_PREFIX}author_insert AFTER INSERT ON catalogue_author "
            "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {TRIGGER_PREFIX}inserted('{_AUTHOR_KIND}')",
            f"CREATE TRIGGER {TRIGGER_PREFIX}author_update AFTER UPDATE OF family_name, "
            "given_names, particle, corporate_name ON catalogue_author FOR EACH ROW WHEN ("
            "OLD.family_name IS DISTINCT FROM NEW.family_name "
            "OR OLD.given_names IS DISTINCT FROM NEW.given_names "
            "OR OLD.particle IS DISTINCT FROM NEW.particle "
            "OR OLD.corporate_name IS DISTINCT FROM NEW.corporate_name) "
            f"EXECUTE FUNCTION {TRIGGER_PREFIX}changed('{_AUTHOR_KIND}')",
            f"CREATE TRIGGER {TRIGGER_PREFIX}author_delete AFTER DELETE ON catalogue_author "
            "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {TRIGGER_PREFIX}author_deleted()",
        ]
    queue = f"INSERT INTO {PENDING_TABLE} (kind, row_id) VALUES"
    return [
        f"CREATE TABLE IF NOT EXISTS {ARTICLE_TABLE} "
        "(article_id integer PRIMARY KEY, title_hash integer NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {AUTHOR_TABLE} "
        "(author_id integer PRIMARY KEY, name_key text NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {PENDING_TABLE} "
        "(id integer PRIMARY KEY AUTOINCREMENT, kind varchar(1) NOT NULL, row_id integer NOT NULL)",
        f"CREATE TRIGGER IF NOT EXISTS {TRIGGER_PREFIX}article_insert AFTER INSERT ON "
        f"catalogue_article BEGIN {queue} ('{_ARTICLE_KIND}', NEW.id); END",
        f"CREATE TRIGGER IF NOT EXISTS {TRIGGER_PREFIX}article_update AFTER UPDATE OF title ON "
        "catalogue_article WHEN OLD.title IS NOT NEW.title "
        f"BEGIN {queue} ('{_ARTICLE_KIND}', NEW.id); END",
        f"CREATE TRIGGER IF NOT EXISTS {TRIGGER_PREFIX}article_delete AFTER DELETE ON "
        f"catalogue_article BEGIN DELETE FROM {ARTICLE_TABLE} WHERE article_id = OLD.id; END",
        f"CREATE TRIGGER IF NOT EXISTS {TRIGGER_PREFIX}author_insert AFTER INSERT ON "
        f"catalogue_author BEGIN {queue} ('{_AUTHOR_KIND}', NEW.id); END",
        f"CREATE TRIGGER IF NOT EXISTS {TRIGGER_PREFIX}author_update AFTER UPDATE OF "
        "family_name, given_names, particle, corporate_name ON catalogue_author "
        "WHEN OLD.family_name IS NOT NEW.family_name OR OLD.given_names IS NOT NEW.given_names "
        "OR OLD.particle IS NOT NEW.particle OR OLD.corporate_name IS NOT NEW.corporate_name "
        f"BEGIN {queue} ('{_AUTHOR_KIND}', NEW.id); END",
        f"CREATE TRIGGER IF NOT EXISTS {TRIGGER_PREFIX}author_delete AFTER DELETE ON "
        f"catalogue_author BEGIN DELETE FROM {AUTHOR_TABLE} WHERE author_id = OLD.id; END",
    ]


_TRIGGER_TABLES = {
    "article_insert": "catalogue_article",
    "article_update": "catalogue_article",
    "article_delete": "catalogue_article",
    "author_insert": "catalogue_author",
    "author_update": "catalogue_author",
    "author_delete": "catalogue_author",
}


def _drop_triggers(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {TRIGGER_PREFIX}{name} ON {table}"
            for name, table in _TRIGGER_TABLES.items()
        ]
    return [f"DROP TRIGGER IF EXISTS {TRIGGER_PREFIX}{name}" for name in _TRIGGER_TABLES]


def _drop(vendor: str) -> list[str]:
    statements = _drop_triggers(vendor)
    if vendor == "postgresql":
        statements += [
            f"DROP FUNCTION IF EXISTS {TRIGGER_PREFIX}{name}()"
            for name in ("inserted", "changed", "article_deleted", "author_deleted")
        ]
    return statements + [
        f"DROP TABLE IF EXISTS {table}" for table in (ARTICLE_TABLE, AUTHOR_TABLE, PENDING_TABLE)
    ]
