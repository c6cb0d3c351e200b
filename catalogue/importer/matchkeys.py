"""Stored match keys: what duplicate matching looks up by index instead of loading the catalogue.

Matching compares normalised forms (titles without markup, case, accents or punctuation; names
folded), which no database can compute as Python does. So each article's normalised title and
each person's normalised family name are computed here, in Python, and kept beside the records
in two tables of their own, each with an index:

- `catalogue_article_match`: article id, a 64-bit hash of the normalised title;
- `catalogue_author_match`: person id, the whole normalised name (`author_full_key`), its
  group "family key|suffix key|first initial" (`author_name_key`), initials, and whether the
  given names are initials only.

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

from catalogue.importer.normalise import (
    compact,
    family_key,
    given_tokens,
    initials_of,
    is_initials,
    normalise_title,
)

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


def author_name_key(*, family: str, given: str, particle: str, corporate: str, suffix: str) -> str:
    """Return the stored key of a name's group: family key, suffix key and first initial.

    A name resembles by initials (`AuthorIndex._doubts`) only people of its group.
    """
    if corporate:
        return family_key(family=family, particle=particle, corporate=corporate) + "||"
    tokens = given_tokens(given)
    return "|".join(
        (
            family_key(family=family, particle=particle),
            compact(suffix),
            tokens[0][0] if tokens else "",
        )
    )


def author_full_key(*, family: str, given: str, particle: str, corporate: str, suffix: str) -> str:
    """Return the stored key of a whole name: what `AuthorIndex` links a name to a person by."""
    if corporate:
        return family_key(family=family, particle=particle, corporate=corporate) + "||"
    # Folded tokens hold no space and no "|", family and suffix keys neither.
    return "|".join(
        (
            family_key(family=family, particle=particle),
            " ".join(given_tokens(given)),
            compact(suffix),
        )
    )


def _author_row(
    pk: int, family: str, given: str, particle: str, suffix: str, corporate: str
) -> tuple[Any, ...]:
    """Return the stored keys of a person: id, group key, whole-name key, initials, abbreviated."""
    tokens = () if corporate else given_tokens(given)
    parts = {
        "family": family,
        "given": given,
        "particle": particle,
        "corporate": corporate,
        "suffix": suffix,
    }
    return (
        pk,
        author_name_key(**parts),
        author_full_key(**parts),
        initials_of(tokens),
        is_initials(tokens),
    )


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


_PEOPLE = "a.id, a.family_name, a.given_names, a.particle, a.suffix, a.corporate_name, a.orcid"


def authors_by_full_key(keys: Iterable[str]) -> list[tuple[Any, ...]]:
    """Return (id, family, given, particle, suffix, corporate, orcid) of the people whose whole
    name has one of `keys` (`author_full_key`)."""
    return select_in(
        f"SELECT {_PEOPLE} FROM {AUTHOR_TABLE} m JOIN catalogue_author a ON a.id = m.author_id "
        "WHERE m.full_key {in}",
        sorted(set(keys)),
    )


def authors_resembling(groups: Iterable[tuple[str, str, bool]]) -> list[tuple[Any, ...]]:
    """Return people as `authors_by_full_key` does: for each (group key, initials, whether
    initials only) the first `MAX_RESEMBLING` people by id of the group whose initials
    resemble those as `AuthorIndex._doubts` asks (on SQLite: the whole group)."""
    groups = sorted(set(groups))
    if connection.vendor != "postgresql":
        return select_in(
            f"SELECT {_PEOPLE} FROM {AUTHOR_TABLE} m JOIN catalogue_author a "
            "ON a.id = m.author_id WHERE m.name_key {in}",
            sorted({group for group, _, _ in groups}),
        )
    # The first few of each group by id, walked in the (name_key, author_id) index: a bounded
    # number of rows per name, however many people share a common name.
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(groups), _POSTGRES_IN):
            chunk = groups[start : start + _POSTGRES_IN]
            cursor.execute(
                f"SELECT {_PEOPLE} FROM unnest(%s::text[], %s::text[], %s::boolean[]) "
                "AS k(name_key, initials, abbreviated) CROSS JOIN LATERAL ("
                f"SELECT m.author_id FROM {AUTHOR_TABLE} m WHERE m.name_key = k.name_key "
                "AND (m.initials = k.initials "
                "OR (k.abbreviated AND starts_with(m.initials, k.initials)) "
                "OR (m.abbreviated AND starts_with(k.initials, m.initials))) "
                "ORDER BY m.author_id LIMIT %s) d JOIN catalogue_author a ON a.id = d.author_id",
                [
                    [group for group, _, _ in chunk],
                    [initials for _, initials, _ in chunk],
                    [abbreviated for _, _, abbreviated in chunk],
                    MAX_RESEMBLING,
                ],
            )
            rows.extend(cursor.fetchall())
    return rows


# The "possibly the same person" notes kept per name (indexes._MAX_DOUBTS).
MAX_RESEMBLING = 5


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


def store_new(*, articles: Iterable[tuple[int, str]], people: Iterable[tuple[Any, ...]]) -> None:
    """Store the keys of rows inserted within `keyed_by_writer`: (id, title) and (id, family,
    given, particle, suffix, corporate)."""
    if connection.vendor != "postgresql":
        return  # queued by the triggers: `refresh` keys them
    with connection.cursor() as cursor:
        _store(cursor, ARTICLE_TABLE, _ARTICLE_COLUMNS, _article_keys(articles))
        _store(cursor, AUTHOR_TABLE, _AUTHOR_COLUMNS, _author_keys(people))


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
    _store(cursor, ARTICLE_TABLE, _ARTICLE_COLUMNS, _article_keys(rows))
    _forget(cursor, ARTICLE_TABLE, "article_id", set(ids) - {pk for pk, _ in rows})


def _key_authors(cursor: Any, ids: Sequence[int]) -> None:
    """Store the name keys of the people `ids` (forgetting those that no longer exist)."""
    rows: list[tuple[Any, ...]] = []
    for chunk, condition in _in_chunks(ids):
        cursor.execute(
            "SELECT id, family_name, given_names, particle, suffix, corporate_name "
            f"FROM catalogue_author WHERE id {condition}",
            chunk,
        )
        rows.extend(cursor.fetchall())
    _store(cursor, AUTHOR_TABLE, _AUTHOR_COLUMNS, _author_keys(rows))
    _forget(cursor, AUTHOR_TABLE, "author_id", set(ids) - {row[0] for row in rows})


def _article_keys(rows: Iterable[tuple[int, str]]) -> list[tuple[int, int]]:
    return [(pk, title_hash(normalise_title(title))) for pk, title in rows]


def _author_keys(rows: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Return the stored keys of people (id, family, given, particle, suffix, corporate)."""
    return [_author_row(*row) for row in rows]


# The key tables' columns and their PostgreSQL types, the id first.
_ARTICLE_COLUMNS = (("article_id", "bigint"), ("title_hash", "bigint"))
_AUTHOR_COLUMNS = (
    ("author_id", "bigint"),
    ("name_key", "text"),
    ("full_key", "text"),
    ("initials", "text"),
    ("abbreviated", "boolean"),
)


def _store(cursor: Any, table: str, columns: Sequence[tuple[str, str]], rows: list[Any]) -> None:
    """Insert or replace rows of a key table (values of `columns`, the id first)."""
    names = [name for name, _ in columns]
    upsert = f"ON CONFLICT ({names[0]}) DO UPDATE SET " + ", ".join(
        f"{name} = excluded.{name}" for name in names[1:]
    )
    insert = f"INSERT INTO {table} ({', '.join(names)})"
    if connection.vendor == "postgresql":
        # One array parameter a column: far cheaper for the driver than one per value.
        arrays = ", ".join(f"%s::{kind}[]" for _, kind in columns)
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            cursor.execute(
                f"{insert} SELECT * FROM unnest({arrays}) {upsert}",
                [[row[index] for row in chunk] for index in range(len(columns))],
            )
        return
    # Within SQLite's historical limit of 999 parameters.
    size = 999 // len(columns)
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        cursor.execute(
            f"{insert} VALUES {', '.join([placeholder] * len(chunk))} {upsert}",
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
        for name, table, columns in (
            ("title_hash", ARTICLE_TABLE, "title_hash"),
            ("full_key", AUTHOR_TABLE, "full_key"),
            # The resemblance walk reads the initials from the index alone (index-only scan).
            ("name_key", AUTHOR_TABLE, "name_key, author_id, initials, abbreviated"),
        ):
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {table}_{name} ON {table} ({columns})")
        if connection.vendor == "postgresql":
            # Statistics now, not at autovacuum's leisure: the lookups' plans need them; and
            # (outside a transaction) the visibility map, for index-only scans.
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            cursor.execute(f"{command} {ARTICLE_TABLE}")
            cursor.execute(f"{command} {AUTHOR_TABLE}")


def fill(*, progress: Any = None) -> None:
    """Key every article and person, BATCH rows per transaction, in id order."""
    for table, read, keys, store in (
        (
            "catalogue_article",
            "id, title",
            _article_keys,
            (ARTICLE_TABLE, _ARTICLE_COLUMNS),
        ),
        (
            "catalogue_author",
            "id, family_name, given_names, particle, suffix, corporate_name",
            _author_keys,
            (AUTHOR_TABLE, _AUTHOR_COLUMNS),
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
            f"CREATE TABLE IF NOT EXISTS {AUTHOR_TABLE} (author_id bigint PRIMARY KEY, "
            "name_key text NOT NULL, full_key text NOT NULL, initials text NOT NULL, "
            "abbreviated boolean NOT NULL)",
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
            "given_names, particle, suffix, corporate_name ON catalogue_author FOR EACH ROW "
            "WHEN (OLD.family_name IS DISTINCT FROM NEW.family_name "
            "OR OLD.suffix IS DISTINCT FROM NEW.suffix "
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
        f"CREATE TABLE IF NOT EXISTS {AUTHOR_TABLE} (author_id integer PRIMARY KEY, "
        "name_key text NOT NULL, full_key text NOT NULL, initials text NOT NULL, "
        "abbreviated boolean NOT NULL)",
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
        "family_name, given_names, particle, suffix, corporate_name ON catalogue_author "
        "WHEN OLD.family_name IS NOT NEW.family_name OR OLD.given_names IS NOT NEW.given_names "
        "OR OLD.suffix IS NOT NEW.suffix "
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
