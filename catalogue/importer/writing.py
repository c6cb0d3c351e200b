"""Writing a plan in bulk inside the import's transaction: COPY on PostgreSQL, INSERTs elsewhere."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.db import connection
from django.db.models import NOT_PROVIDED, Value
from django.utils import timezone

from catalogue import db, topics
from catalogue.importer import backlog, matchkeys
from catalogue.importer.cleaning import PRINTED_COLUMNS
from catalogue.importer.common import BULK_BATCH_SIZE, Progress, chunks, pk_of
from catalogue.importer.plan import ImportPlan, NewRow, PlanItem
from catalogue.models import (
    BIBLIOGRAPHIC_FIELDS,
    Article,
    Author,
    Authorship,
    Contributor,
    ImportAction,
    ImportBatch,
    ImportRecord,
    Journal,
    Keyword,
)

# Any constant shared by every process that imports; the key of the PostgreSQL advisory lock.
LOCK_KEY = 0x0B1B_7E58

# Rows per COPY statement: its text is built in memory first (a whole file's articles in one
# COPY held a few hundred MB of text for a 50 MB file).
COPY_BATCH_ROWS = 5000

# The article columns an import sets (and undo restores).
ARTICLE_FIELDS = [*BIBLIOGRAPHIC_FIELDS, "journal_id"]


def lock_imports() -> None:
    """Serialise imports and undos: the lock is released when the transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def write_plan(
    *,
    plan: ImportPlan,
    batch: ImportBatch,
    progress: Progress | None = None,
    defer: bool = False,
) -> None:
    """Write the plan's new and updated records; call inside a transaction.

    With `defer` (see `backlog.defers`), the records' search indexing and research topics are
    queued in the backlog, for after the commit, instead of being done in the transaction.
    """
    step = _stepper(progress, total=6)
    insert_rows(Journal, plan.new_journals)
    with matchkeys.keyed_by_writer():
        insert_rows(Author, plan.new_authors)
    insert_rows(Keyword, plan.new_keywords)
    step()
    created = [
        item
        for item in plan.items
        if item.action in (ImportAction.CREATED, ImportAction.PROBABLE_DUPLICATE)
    ]
    updated = [item for item in plan.items if item.action == ImportAction.UPDATED]
    now = timezone.now()
    if not _use_copy():
        now = connection.ops.adapt_datetimefield_value(now)
    for item in created:
        item.article.values.update(journal_id=pk_of(item.journal), created=now, updated=now)
    with matchkeys.keyed_by_writer():
        insert_rows(Article, [item.article for item in created])
    step()
    if updated:
        _write_updates(updated)
    step()
    # The rows below are generated batch by batch as they are sent, never all at once.
    authorships = (
        (item.article_id, pk_of(ref), position, "", *printed)
        for item in created
        for position, (ref, printed) in enumerate(
            zip(item.authors, item.author_names, strict=True), start=1
        )
    )
    insert_values(
        Authorship,
        ["article_id", "author_id", "position", "affiliation", *PRINTED_COLUMNS],
        itertools.chain(authorships, _updated_authorships(updated)),
    )
    insert_values(
        Contributor,
        ["article_id", "role", "position", *PRINTED_COLUMNS],
        (
            (item.article_id, role, position, *printed)
            for item in itertools.chain(created, updated)
            for role, position, printed in item.contributors
        ),
    )
    step()
    insert_values(
        Article.keywords.through,
        ["article_id", "keyword_id"],
        (
            (item.article_id, pk_of(ref))
            for item in itertools.chain(created, updated)
            for ref in item.keywords
        ),
    )
    _analyse_grown_tables(
        {
            Journal: len(plan.new_journals),
            Author: len(plan.new_authors),
            Keyword: len(plan.new_keywords),
            Article: len(created),
        }
    )
    step()
    insert_values(
        ImportRecord,
        [
            "batch_id",
            "action",
            "article_id",
            "similar_to_id",
            "line",
            "key",
            "title",
            "et_al",
            "note",
            "previous",
        ],
        (
            (
                batch.pk,
                item.action,
                item.article_id,
                item.resembles_id,
                item.line,
                item.key[:255],
                item.title,
                item.et_al,
                item.note,
                None if item.previous is None else json.dumps(item.previous),
            )
            for item in plan.items
        ),
    )
    batch.created_objects = {
        "journal": [journal.pk for journal in plan.new_journals],
        "author": [author.pk for author in plan.new_authors],
        "keyword": [keyword.pk for keyword in plan.new_keywords],
    }
    # The match keys of the records just written, so that the next import does not pay for
    # them: the new ones from their values, the updated ones (queued by the triggers) read back.
    matchkeys.store_new(
        articles=((item.article.pk, item.article.values["title"]) for item in created),
        people=(
            (
                row.pk,
                row.values["family_name"],
                row.values["given_names"],
                row.values["particle"],
                row.values["suffix"],
                row.values["corporate_name"],
            )
            for row in plan.new_authors
        ),
    )
    matchkeys.refresh()
    # Research topics of the new and updated records, against the stored catalogue statistics
    # (refresh_topics recounts the catalogue and other records' related lists).
    fingerprint = (item.article_id for item in itertools.chain(created, updated))
    if defer:
        backlog.queue(batch_id=batch.pk, fingerprint=fingerprint)
    else:
        topics.update_articles(fingerprint)
    step()


def _analyse_grown_tables(written: dict[type, int]) -> None:
    """ANALYZE (PostgreSQL) the tables this import at least doubled, inside its transaction.

    The planner's statistics of a table come from its last ANALYZE: those of a table that was
    (nearly) empty say it still is. The deferred foreign-key checks at COMMIT then looked up
    each new article through a whole scan of another index of the table (one 16,500-entry
    import into an empty catalogue: 20 s of checks instead of 1 s), and the search index's
    and research topics' statements planned as badly. ANALYZE counts the transaction's own
    rows; it reads a bounded sample (at most 30,000 rows), and a table this import did not
    double is left alone (at 1M articles an import never doubles the article table). The
    article table is also analysed when its statistics say empty and it is not (a re-import
    whose import records all reference existing articles, before autovacuum came by).
    """
    if connection.vendor != "postgresql":
        return
    tables = {model._meta.db_table: rows for model, rows in written.items()}
    # The link tables grow with their articles.
    for model in (Authorship, Contributor, Article.keywords.through):
        tables[model._meta.db_table] = tables.get(Article._meta.db_table, 0)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples, relname = %s AND reltuples <= 0 "
            "AND pg_relation_size(oid) > %s FROM pg_class WHERE oid = ANY(%s::regclass[])",
            [Article._meta.db_table, _STALE_PAGES * 8192, list(tables)],
        )
        grown = sorted(
            name
            for name, estimate, believed_empty in cursor.fetchall()
            if (tables[name] and tables[name] > estimate) or believed_empty
        )
        if grown:
            # Only model table names go into the SQL.
            cursor.execute(f"ANALYZE {', '.join(map(quote, grown))}")


# A table of more pages than this whose statistics say it is empty is analysed.
_STALE_PAGES = 10


def _rows_per_statement(columns: int) -> int:
    limit = connection.features.max_query_params
    return max(1, min(BULK_BATCH_SIZE, limit // columns if limit else BULK_BATCH_SIZE))


def _use_copy() -> bool:
    # PostgreSQL's COPY loads rows about three times faster than multi-row INSERTs.
    return connection.vendor == "postgresql"


def _columns(model: type, fields: Sequence[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in fields]


def _insert_sql(model: type, columns: Sequence[str], count: int) -> str:
    """Return an INSERT of `count` rows into `model`'s `columns`, the values as parameters."""
    quote = connection.ops.quote_name
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    # Only quoted model table/column names go into the SQL; values are parameters.
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) "  # noqa: S608
        f"VALUES {', '.join([placeholder] * count)}"
    )


def _batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Yield the rows in lists of `size` (the last shorter), taking them as they are made."""
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def insert_values(model: type, fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert `rows` (database-ready values for `fields`): COPY or multi-row INSERTs.

    bulk_create without the model instances, which cost more than the SQL at this scale.
    `rows` may be a generator: it is read one batch at a time.
    """
    if isinstance(rows, Sequence) and not rows:
        return
    if _use_copy():
        # One COPY per batch: the text of a COPY is built in memory before it is sent.
        for batch in _batches(rows, COPY_BATCH_ROWS):
            db.copy_rows(model, fields, batch)
        return
    columns = _columns(model, fields)
    with connection.cursor() as cursor:
        for chunk in _batches(rows, _rows_per_statement(len(fields))):
            cursor.execute(
                _insert_sql(model, columns, len(chunk)),
                [value for row in chunk for value in row],
            )


def _all_default(model: type, name: str, rows: Sequence[NewRow]) -> bool:
    """Return whether every row holds the column's database default (it need not be sent)."""
    # Most records of a file are journal articles: the columns of books, reports and e-prints
    # are empty in all of them, and leaving them out of the COPY saves a fifth of its values.
    default = getattr(model._meta.get_field(name), "db_default", NOT_PROVIDED)
    if default is NOT_PROVIDED:
        return False
    if hasattr(default, "resolve_expression"):
        if not isinstance(default, Value):
            return False
        default = default.value
    return all(row.values[name] == default for row in rows)


def insert_rows(model: type, rows: Sequence[NewRow]) -> None:
    """Insert NewRows of `model` (all with the same fields) and set their ids."""
    if not rows:
        return
    fields = [name for name in rows[0].values if not _all_default(model, name, rows)]
    if _use_copy():
        # Take the ids from the table's sequence first: COPY cannot return them.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, model._meta.pk.column, len(rows)],
            )
            ids = sorted(pk for (pk,) in cursor.fetchall())
        for row, pk in zip(rows, ids, strict=True):
            row.pk = pk
        for chunk in chunks(rows, COPY_BATCH_ROWS):
            db.copy_rows(
                model,
                [model._meta.pk.name, *fields],
                ([row.pk, *(row.values[name] for name in fields)] for row in chunk),
            )
        return
    if not connection.features.can_return_rows_from_bulk_insert:
        objects = [model(**row.values) for row in rows]
        model.objects.bulk_create(objects, batch_size=BULK_BATCH_SIZE)
        for row, obj in zip(rows, objects, strict=True):
            row.pk = obj.pk
        return
    columns = _columns(model, fields)
    pk_column = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        for chunk in chunks(rows, _rows_per_statement(len(fields))):
            cursor.execute(
                f"{_insert_sql(model, columns, len(chunk))} RETURNING {pk_column}",
                [row.values[name] for row in chunk for name in fields],
            )
            # Ids grow in the order the VALUES rows are inserted; RETURNING's order is
            # not promised by every database.
            ids = sorted(pk for (pk,) in cursor.fetchall())
            for row, pk in zip(chunk, ids, strict=True):
                row.pk = pk


def _stepper(progress: Progress | None, *, total: int) -> Callable[[], None]:
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress("writing", done, total)

    return step


def _write_updates(items: list[PlanItem]) -> None:
    now = timezone.now()
    articles = []
    for item in items:
        values = dict(item.fields)
        if item.journal is not None and not isinstance(item.journal, int):
            values["journal_id"] = item.journal.pk
        articles.append(Article(pk=item.target_id, updated=now, **values))
    bulk_update_articles(articles)
    replaced = [item.target_id for item in items if item.authors]
    for chunk in chunks(replaced):
        Authorship.objects.filter(article_id__in=chunk).delete()
    # An update's contributors are the article's whole new list (roles not in the entry kept).
    for chunk in chunks([item.target_id for item in items if item.contributors]):
        Contributor.objects.filter(article_id__in=chunk).delete()


def bulk_update_articles(articles: Sequence[Article]) -> None:
    """Save the columns an import sets, and `updated`, of existing `articles`."""
    Article.objects.bulk_update(
        articles,
        [name.removesuffix("_id") for name in ARTICLE_FIELDS] + ["updated"],
        batch_size=200,
    )


def _updated_authorships(items: list[PlanItem]) -> list[tuple[Any, ...]]:
    authorships = []
    for item in items:
        if not item.authors:
            continue
        authorships.extend(
            (item.target_id, pk_of(ref), position, affiliation, *printed)
            for position, (ref, affiliation, printed) in enumerate(
                zip(item.authors, item.affiliations, item.author_names, strict=True), start=1
            )
        )
    return authorships
