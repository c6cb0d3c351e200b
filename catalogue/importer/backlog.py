"""A big import's derived work done after its commit, in batches: search index, research topics.

On PostgreSQL an import writes its records in one transaction as before (all or nothing), but
two kinds of work derived from them are left out of it: indexing its articles for search (the
index's deferred flush did it inside the COMMIT, seconds during which the import's locks were
held) and fingerprinting them for research topics. Inside the transaction the ids of the
articles to index and to fingerprint are written to `catalogue_import_backlog`, so the work is
committed with the records or not at all. Right after the commit the import does it, `BATCH`
articles per transaction (the search side through catalogue.search.index.index_in_batches,
which also analyses the index as it doubles), each deleting its backlog row; the import (and
its job) reports done only then, so its records are searchable when it does. Each batch takes
the import lock, so an undo or another import never interleaves with one.

A worker killed in between leaves backlog rows: every import first finishes them (`drain`),
and running the interrupted job again does too (`catalogue.importer.jobs`). Duplicate matching
never depends on them (it reads the stored match keys, `matchkeys`).

An import inside a transaction of its caller (tests, a script's own `atomic()`) cannot work
after a commit it does not make: it works as before (the index's flush at the caller's COMMIT,
topics inside). So does SQLite, whose search triggers index each row as it is written.
"""

# Only this module's constant table name is put into SQL; values are always parameters.
# ruff: noqa: S608

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from django.db import connection, transaction

from catalogue import topics
from catalogue.importer.common import Progress, database_errors, gc_paused
from catalogue.search.index import index_in_batches

logger = logging.getLogger(__name__)

TABLE = "catalogue_import_backlog"
SEARCH = "search"
TOPICS = "topics"
# Articles per transaction after the commit: about a second of work each.
BATCH = 5_000
# Records fingerprinted per transaction (at most BATCH): one call of the topics' own batch,
# whose concepts are written once, in key and id order (catalogue.topics.store._concepts), so
# that two workers fingerprinting at once cannot deadlock on them.
TOPICS_BATCH = 2_000
# The progress stage of the work after the commit (ImportJob.stage holds 20 characters).
STAGE = "indexing"


def defers() -> bool:
    """Return whether an import starting now does its derived work after its own commit."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [TABLE])
        return cursor.fetchone()[0]


def start_deferring() -> None:
    """Queue every search-index change of this transaction rather than indexing it at once.

    Call first inside the import's transaction. The search triggers then put the ids of all
    the articles the import touches in the index's queue (`catalogue_search_pending`), once
    per statement, and `queue` moves them to the backlog before the commit.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL catalogue.search_defer_rows = 0")


def queue(*, batch_id: int | None, fingerprint: Iterable[int]) -> None:
    """Move this transaction's queued search work and `fingerprint`'s ids to the backlog.

    Call last inside the import's transaction: the index's flush then finds nothing to do at
    the COMMIT. Only the transaction's own queue rows can be there (other writers' are flushed
    by their own COMMIT).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH taken AS (DELETE FROM catalogue_search_pending RETURNING article_ids), "
            f"ids AS (SELECT DISTINCT id FROM taken, unnest(article_ids) AS id), "
            f"numbered AS (SELECT id, (row_number() OVER (ORDER BY id) - 1) / %s AS part "
            f"FROM ids) "
            f"INSERT INTO {TABLE} (batch_id, kind, article_ids) "
            f"SELECT %s, %s, array_agg(id ORDER BY id) FROM numbered GROUP BY part ORDER BY part",
            [BATCH, batch_id, SEARCH],
        )
        ids = sorted(set(fingerprint))
        size = min(BATCH, TOPICS_BATCH)
        for start in range(0, len(ids), size):
            cursor.execute(
                f"INSERT INTO {TABLE} (batch_id, kind, article_ids) VALUES (%s, %s, %s)",
                [batch_id, TOPICS, ids[start : start + size]],
            )


def pending(batch_id: int | None = None) -> int:
    """Return how many articles wait in the backlog (of one batch, or of all)."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [TABLE])
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute(
            f"SELECT COALESCE(sum(cardinality(article_ids)), 0) FROM {TABLE} "
            f"WHERE %s::bigint IS NULL OR batch_id = %s",
            [batch_id, batch_id],
        )
        return int(cursor.fetchone()[0])


def drain(*, progress: Progress | None = None) -> int:
    """Do every backlog row's work, a row per transaction; return the articles done.

    Two workers, on two connections (the caller's thread and another), work the rows off side
    by side: one the search index's rows (PostgreSQL's work) and then what is left of research
    topics', the other research topics' (mostly this process's) and then what is left of the
    search index's, so that on two cores the longer side is shared rather than waited for.
    (Two fingerprinting transactions once deadlocked at once at 1M, labelling the same
    concepts in different orders; a topics row is now TOPICS_BATCH records, whose concepts
    are written once, in order.) Each transaction takes the import lock
    (shared: an import or an undo waits, the workers do not) and the oldest row no one is working on
    (FOR UPDATE SKIP LOCKED); when none is left, a worker waits for the rows others are
    working on, so when this returns every row queued before it was called has been done.
    Once a worker fails the other takes no new row. Call outside any transaction.
    """
    total = pending()
    if not total:
        return 0
    counter = _Counter(total, progress)
    errors: list[BaseException] = []
    failed = threading.Event()

    def work(kinds: tuple[str, ...]) -> None:
        try:
            for kind in kinds:
                _drain_kind(kind, counter, failed)
        except BaseException as error:  # raised again by the caller's thread
            failed.set()
            errors.append(error)

    def other_worker() -> None:
        try:
            work((SEARCH, TOPICS))
        finally:
            connection.close()

    # The import's parsed file and plan (millions of objects) are still alive meanwhile: each
    # full collection of the cyclic garbage collector would walk them all (one import into an
    # empty catalogue: 1,100 collections, 9.9 s). Reference counting frees the rest.
    with gc_paused():
        thread = threading.Thread(target=other_worker, name="import-backlog-search", daemon=True)
        thread.start()
        try:
            work((TOPICS, SEARCH))
        finally:
            thread.join()
    if errors:
        raise errors[0]
    return counter.done


class _Counter:
    """The articles done by both workers, reported as the STAGE's progress."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total = total
        self.done = 0
        self.progress = progress
        self.lock = threading.Lock()
        self.add(0)

    def add(self, articles: int) -> None:
        with self.lock:
            self.done += articles
            if self.progress is not None:
                self.progress(STAGE, min(self.done, self.total), self.total)


# A deadlock between the two workers' refreshes (which can add the same new words to the
# index's vocabulary in different orders) rolls one batch back; it is taken again, up to this
# often.
DEADLOCK_RETRIES = 3


def _drain_kind(kind: str, counter: _Counter, failed: threading.Event) -> None:
    """Do the work of the backlog rows of `kind` left, oldest first, a row per transaction."""
    retries = 0
    while True:
        try:
            if kind == SEARCH:
                index_in_batches(
                    batches=iter(lambda: _take(SEARCH, failed), None),
                    progress=lambda done, ids: counter.add(len(ids)),
                )
                return
            while True:
                with transaction.atomic():
                    ids = _take(kind, failed)
                    if ids is None:
                        return
                    topics.update_articles(ids)
                counter.add(len(ids))
        except database_errors() as error:
            if not _deadlocked(error) or retries >= DEADLOCK_RETRIES:
                raise
            retries += 1
            logger.info("A backlog batch of %s was rolled back by a deadlock; taken again", kind)


def _deadlocked(error: BaseException) -> bool:
    """Return whether a database error is PostgreSQL's deadlock detected (SQLSTATE 40P01)."""
    cause = error.__cause__ if error.__cause__ is not None else error
    return getattr(cause, "pgcode", None) == "40P01"


def _take(kind: str, failed: threading.Event) -> list[int] | None:
    """Take the oldest backlog row of `kind` no one is working on, in the caller's transaction;
    return its article ids, or None when none is left (or another worker failed).

    Rows another connection is working on are skipped while others are left; with none left,
    they are waited for (and are then found gone, or back after a failure). The row is
    deleted at once: the work done in the same transaction commits with its deletion, or a
    failure rolls both back and the row stays for the next drain.
    """
    if failed.is_set():
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [_lock_key()])
        for skip in (" SKIP LOCKED", ""):
            cursor.execute(
                f"SELECT id, article_ids FROM {TABLE} WHERE kind = %s "
                f"ORDER BY id LIMIT 1 FOR UPDATE{skip}",
                [kind],
            )
            row = cursor.fetchone()
            if row is not None:
                if failed.is_set():  # the other worker failed while this one waited: left
                    return None
                cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [row[0]])
                return row[1]
    return None


def _lock_key() -> int:
    from catalogue.importer.writing import LOCK_KEY  # writing imports this module

    return LOCK_KEY


def finish_after_commit(*, progress: Progress | None = None) -> bool:
    """Drain the backlog after an import's commit; return False if it failed (logged, kept).

    The import itself is committed by then: a failure here must not report it failed. The
    rows stay, and the next import (or running the job again) does their work.
    """
    try:
        drain(progress=progress)
    except database_errors():
        logger.exception("Indexing an import's records after its commit failed; kept for later")
        return False
    return True
