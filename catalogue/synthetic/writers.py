"""Writing rows: one writer per backend (COPY on PostgreSQL, bulk_create elsewhere)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.management.color import no_style
from django.db import connection, models
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

# From this many articles on, PostgreSQL runs drop the foreign keys of the tables they write
# and re-add them at the end (one validating join each), as PostgreSQL's manual advises for
# bulk loads: checking ~24 million link rows one by one took half of a 1M run. The price is
# an ACCESS EXCLUSIVE lock, so readers wait for the commit; smaller runs let them in.
BULK_LOAD_ARTICLES = 50_000


# Ids are allocated from MAX(id) so that link rows can be written without a round trip: on
# PostgreSQL these tables are locked against other writers until the commit.
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


class Writer:
    """Inserts rows given as tuples of attribute values, in order, with explicit ids."""

    def __init__(self) -> None:
        self.rows: dict[str, int] = {}
        self.now = timezone.now()

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
        self._insert(model, fields, rows)
        label = model._meta.db_table.removeprefix("catalogue_")
        self.rows[label] = self.rows.get(label, 0) + len(rows)

    def _insert(self, model: type[models.Model], fields: Sequence[str], rows: list[tuple]) -> None:
        model.objects.bulk_create(model(**dict(zip(fields, row, strict=True))) for row in rows)

    def finish(self) -> None:
        """Check references and bring id sequences past the explicit ids written; called last."""
        # SQLite checks deferred foreign keys only at the outermost COMMIT: check them here so
        # that a violation fails this run even inside an outer transaction.
        connection.check_constraints(table_names=_WRITTEN_TABLES)


class _PostgresWriter(Writer):
    """COPY FROM STDIN, the fastest way into PostgreSQL (about 50,000 article rows/s)."""

    def __init__(self, *, bulk: bool) -> None:
        super().__init__()
        self.bulk = bulk
        self.foreign_keys: list[tuple[str, str, str]] = []  # (table, name, definition)

    def begin(self) -> None:
        tables = ", ".join(map(_quote, _WRITTEN_TABLES))
        # SHARE ROW EXCLUSIVE still lets readers in; dropping constraints needs them out.
        mode = "ACCESS EXCLUSIVE" if self.bulk else "SHARE ROW EXCLUSIVE"
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {tables} IN {mode} MODE")
            if not self.bulk:
                return
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) "
                "ORDER BY conrelid::regclass::text, conname",
                [_WRITTEN_TABLES],
            )
            self.foreign_keys = cursor.fetchall()
            for table, name, _ in self.foreign_keys:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {_quote(name)}")

    def _insert(self, model: type[models.Model], fields: Sequence[str], rows: list[tuple]) -> None:
        db.copy_rows(model, fields, rows)

    def finish(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), list(_WRITTEN_MODELS))
        with connection.cursor() as cursor:
            if self.bulk:
                # The rows are uncommitted, so autovacuum has no statistics for them; without
                # these the join that re-adding a foreign key runs is planned as a nested loop
                # over "empty" tables: quadratic, over 45 minutes at 1,000,000 articles.
                for table in _WRITTEN_TABLES:
                    cursor.execute(f"ANALYZE {_quote(table)}")
                # Re-adding a foreign key checks every row in one join: a violation fails here.
                for table, name, definition in self.foreign_keys:
                    cursor.execute(
                        f"ALTER TABLE {table} ADD CONSTRAINT {_quote(name)} {definition}"
                    )
            else:
                # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: run the queued checks
                # now rather than at COMMIT, so a violation surfaces here; then restore the mode.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for statement in statements:
                cursor.execute(statement)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def writer_for_connection(*, articles: int) -> Writer:
    """Return the writer for the database in use: COPY on PostgreSQL, bulk_create elsewhere."""
    if connection.vendor == "postgresql":
        return _PostgresWriter(bulk=articles >= BULK_LOAD_ARTICLES)
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
