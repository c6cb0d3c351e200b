"""Writing rows: one writer per backend (COPY on PostgreSQL, bulk_create elsewhere)."""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.management.color import no_style
from django.db import IntegrityError, connection, models
from django.utils import timezone

from catalogue import db
from catalogue.models import (
    RECORD_TEXT_FIELDS,
    Article,
    Author,
    Authorship,
    Contributor,
    Journal,
    Keyword,
    SubjectArea,
)

# Ids are allocated from MAX(id) so that link rows can be written without a round trip: on
# PostgreSQL these tables are locked against other writers (not readers) until the commit.
_WRITTEN_MODELS = (
    Journal,
    Author,
    Keyword,
    SubjectArea,
    Article,
    Authorship,
    Contributor,
    Article.keywords.through,
    Article.subject_areas.through,
)
_WRITTEN_TABLES = [model._meta.db_table for model in _WRITTEN_MODELS]
# The search index's insert triggers on the written tables: a PostgreSQL run switches them off
# for its transaction and indexes its articles after the data commit, in batches
# (catalogue/synthetic/indexing.py). Every other trigger (e.g. the importer's match keys) runs.
_SEARCH_INSERT_TRIGGER = r"^catalogue_[a-z_]+_search_insert$"


class Writer:
    """Inserts rows given as tuples of attribute values, in order, with explicit ids."""

    # Whether the search index still has to be built for the written articles after the
    # commit (PostgreSQL); SQLite's triggers index each row as it is written.
    indexes_after_commit = False

    def __init__(self) -> None:
        self.rows: dict[str, int] = {}
        self.now = timezone.now()
        # The longest single write (seconds, what): bench/generate.py reports it.
        self.longest: tuple[float, str] = (0.0, "")

    def begin(self) -> None:
        """Prepare the connection; called first inside the transaction."""

    def first_free_id(self, model: type[models.Model]) -> int:
        with connection.cursor() as cursor:
            table = _quote(model._meta.db_table)
            cursor.execute(f"SELECT MAX(id) FROM {table}")  # noqa: S608 (a model's own table)
            return (cursor.fetchone()[0] or 0) + 1

    def insert(self, model: type[models.Model], fields: Sequence[str], rows: list[tuple]) -> None:
        if not rows:
            return
        started = time.perf_counter()
        self._insert(model, fields, rows)
        label = model._meta.db_table.removeprefix("catalogue_")
        self._timed(started, f"write {len(rows):,} {label} rows")
        self.rows[label] = self.rows.get(label, 0) + len(rows)

    def _timed(self, started: float, what: str) -> None:
        seconds = time.perf_counter() - started
        if seconds > self.longest[0]:
            self.longest = (seconds, what)

    def _insert(self, model: type[models.Model], fields: Sequence[str], rows: list[tuple]) -> None:
        model.objects.bulk_create(model(**dict(zip(fields, row, strict=True))) for row in rows)

    def finish(self) -> None:
        """Check references and bring id sequences past the explicit ids written; called last."""
        # SQLite checks deferred foreign keys only at the outermost COMMIT: check them here so
        # that a violation fails this run even inside an outer transaction.
        connection.check_constraints(table_names=_WRITTEN_TABLES)


class _PostgresWriter(Writer):
    """COPY FROM STDIN, the fastest way into PostgreSQL (about 50,000 article rows/s).

    Readers are never locked out: the written tables are locked in SHARE ROW EXCLUSIVE mode
    (other writers wait, readers do not) and no constraint is dropped. For its transaction the
    run switches off (ALTER TABLE ... DISABLE TRIGGER, the same lock) the search index's insert
    triggers, whose work would otherwise all be done by the COMMIT (463 s at 1M articles):
    the generator indexes the articles after the commit, in batches. A superuser's run also
    switches off the foreign keys' per-row insert checks (checking ~24 million link rows one by
    one took half of a 1M run) and checks every reference it wrote in one anti-join per
    foreign key instead (finish()); other runs check them as any write does. Every trigger is
    switched back on before the commit, and a rollback restores them too.
    """

    indexes_after_commit = True

    def __init__(self) -> None:
        super().__init__()
        self.disabled: list[tuple[str, str]] = []  # (table, trigger)
        self.checks_references = False
        self.last_ids: dict[str, int] = {}  # table -> MAX(id) before the run
        self.last_pending = 0

    def begin(self) -> None:
        tables = ", ".join(map(_quote, _WRITTEN_TABLES))
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
            for table in _WRITTEN_TABLES:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {_quote(table)}")  # noqa: S608
                self.last_ids[table] = cursor.fetchone()[0]
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM catalogue_search_pending")
            self.last_pending = cursor.fetchone()[0]
            cursor.execute("SHOW is_superuser")
            self.checks_references = cursor.fetchone()[0] == "on"
            self.disabled = triggers_to_switch_off(cursor, references=self.checks_references)
            for table, trigger in self.disabled:
                cursor.execute(f"ALTER TABLE {_quote(table)} DISABLE TRIGGER {_quote(trigger)}")

    def _insert(self, model: type[models.Model], fields: Sequence[str], rows: list[tuple]) -> None:
        db.copy_rows(model, fields, rows)

    def finish(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), list(_WRITTEN_MODELS))
        with connection.cursor() as cursor:
            # Our articles are indexed after the commit, in batches: take any of their ids a
            # search trigger still queued out of the index's queue, so the COMMIT does not
            # index them all at once.
            cursor.execute(
                "DELETE FROM catalogue_search_pending WHERE id > %s", [self.last_pending]
            )
            if self.checks_references:
                for table in _WRITTEN_TABLES:
                    # The anti-joins below need the new rows' statistics (a nested loop over
                    # "empty" tables is quadratic).
                    cursor.execute(f"ANALYZE {_quote(table)}")
                for check in self._reference_checks(cursor):
                    started = time.perf_counter()
                    check()
                    self._timed(started, "check references")
            # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: run the queued checks
            # (and any other deferred trigger) now rather than at COMMIT, so that a violation
            # surfaces here and the triggers can be switched on again; then restore the mode.
            started = time.perf_counter()
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            self._timed(started, "check references")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for table, trigger in self.disabled:
                cursor.execute(f"ALTER TABLE {_quote(table)} ENABLE TRIGGER {_quote(trigger)}")
            for statement in statements:
                cursor.execute(statement)

    def _reference_checks(self, cursor) -> list:
        """Return one check per foreign key of the written tables, over the rows written."""
        return [
            functools.partial(self._check_reference, *constraint)
            for constraint in db.foreign_keys(cursor, _WRITTEN_TABLES)
        ]

    def _check_reference(
        self, name: str, table: str, column: str, target: str, target_column: str
    ) -> None:
        """Raise IntegrityError, as PostgreSQL words it, for a written row whose reference
        is missing."""
        sql = (
            f"SELECT c.{_quote(column)} FROM {_quote(table)} c "  # noqa: S608 (catalogue names)
            f"WHERE c.id > %s AND c.{_quote(column)} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {_quote(target)} t WHERE t.{_quote(target_column)} = "
            f"c.{_quote(column)}) LIMIT 1"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.last_ids[table]])
            missing = cursor.fetchone()
        if missing:
            raise IntegrityError(
                f'insert or update on table "{table}" violates foreign key constraint '
                f'"{name}"\nDETAIL:  Key ({column})=({missing[0]}) is not present in table '
                f'"{target}".'
            )


def triggers_to_switch_off(cursor, *, references: bool) -> list[tuple[str, str]]:
    """Return (table, trigger) of the enabled triggers a run switches off: the search index's
    insert triggers, and with `references` (a superuser's run: internal triggers need one)
    the foreign keys' per-row insert checks. Any other trigger stays on."""
    cursor.execute(
        "SELECT t.tgrelid::regclass::text, t.tgname FROM pg_trigger t "
        "WHERE t.tgrelid = ANY(%s::regclass[]) AND t.tgenabled <> 'D' AND ("
        "(NOT t.tgisinternal AND t.tgname ~ %s) "
        "OR (%s AND t.tgisinternal AND t.tgfoid = 'pg_catalog.\"RI_FKey_check_ins\"'::regproc)"
        ") ORDER BY 1, 2",
        [_WRITTEN_TABLES, _SEARCH_INSERT_TRIGGER, references],
    )
    return cursor.fetchall()


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def writer_for_connection() -> Writer:
    """Return the writer for the database in use: COPY on PostgreSQL, bulk_create elsewhere."""
    if connection.vendor == "postgresql":
        return _PostgresWriter()
    return Writer()


ARTICLE_FIELDS = (
    "id", "output_type", "peer_reviewed", "title", "abstract", "language", "journal_id",
    "volume", "issue", "first_page", "last_page", "article_number", "page_count", "state",
    "year", "month", "day", "doi", "pmid", "url", "bibliographical_note", "created", "updated",
    # Columns with a database default, written because some records have a value: pages
    # as printed (Article.save() is bypassed, so first_page/last_page are printed here).
    "pages", "publisher", *RECORD_TEXT_FIELDS, "et_al", "citation_key",
)  # fmt: skip
# Each authorship's printed name (PrintedName.NAME_FIELDS) follows its person.
AUTHORSHIP_FIELDS = ("article_id", "author_id", "position", "affiliation", *Authorship.NAME_FIELDS)
CONTRIBUTOR_FIELDS = ("article_id", "role", "position", *Contributor.NAME_FIELDS)
ARTICLE_KEYWORD_FIELDS = ("article_id", "keyword_id")
ARTICLE_SUBJECT_FIELDS = ("article_id", "subjectarea_id")


@dataclass
class ArticleBatch:
    """One batch of article rows and their link and contributor rows, as tuples in the
    *_FIELDS orders."""

    articles: list[tuple] = field(default_factory=list)
    authorships: list[tuple] = field(default_factory=list)
    keyword_links: list[tuple] = field(default_factory=list)
    subject_links: list[tuple] = field(default_factory=list)
    contributors: list[tuple] = field(default_factory=list)


def write_articles(writer: Writer, batch: ArticleBatch) -> None:
    """Write a batch of articles, their authorships, contributors, keyword and subject links."""
    # Every synthetic article and its links are written here and nowhere else: derived
    # columns that must be kept in step with an article (e.g. a search vector) go here.
    writer.insert(Article, ARTICLE_FIELDS, batch.articles)
    writer.insert(Authorship, AUTHORSHIP_FIELDS, batch.authorships)
    writer.insert(Contributor, CONTRIBUTOR_FIELDS, batch.contributors)
    writer.insert(Article.keywords.through, ARTICLE_KEYWORD_FIELDS, batch.keyword_links)
    writer.insert(Article.subject_areas.through, ARTICLE_SUBJECT_FIELDS, batch.subject_links)
