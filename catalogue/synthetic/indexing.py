"""Indexing generated articles for search after their data commit, in bounded batches.

A PostgreSQL run writes its articles with the search triggers' work left out (writers.py) and
indexes them here once they are committed, `SEARCH_BATCH` articles per transaction, with the
index's own refresh (catalogue.search.index.refresh_search_index): no single COMMIT builds the
index for the whole run (at 1,000,000 articles one COMMIT took 463 s doing it), and readers
are never locked out. Until it finishes, the newest articles are in the catalogue but not yet
found by search; stopped part-way (a crash, Ctrl-C), running the generator again with the
same seed finishes it (`unindexed_articles` finds what is left).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from django.db import connection, transaction

from catalogue.search.index import refresh_search_index

# Articles indexed per transaction: about a second or two of work each at 1M on two cores.
SEARCH_BATCH = 5_000


def unindexed_articles() -> list[int]:
    """Return the ids of the articles that have no search index row (PostgreSQL), in order."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.id FROM catalogue_article a WHERE NOT EXISTS "
            "(SELECT 1 FROM catalogue_search s WHERE s.article_id = a.id) ORDER BY a.id"
        )
        return [row[0] for row in cursor.fetchall()]


def index_articles(
    ids: Sequence[int],
    *,
    batch_size: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    statement: Callable[[float, str], None] | None = None,
    commit: Callable[[float], None] | None = None,
) -> int:
    """Index `ids` for search, `batch_size` (default SEARCH_BATCH) per transaction; return the
    rows changed.

    `statement(seconds, what)` hears each batch's and each ANALYZE's duration, `commit(seconds)`
    each batch's COMMIT.
    """
    batch_size = batch_size or SEARCH_BATCH
    changed = done = 0
    rows = analysed = _index_rows()
    for start in range(0, len(ids), batch_size):
        chunk = list(ids[start : start + batch_size])
        started = time.perf_counter()
        with transaction.atomic():
            changed += refresh_search_index(chunk)
            written = time.perf_counter()
        if statement:
            statement(written - started, f"index {len(chunk):,} articles for search")
        if commit:
            commit(time.perf_counter() - written)
        done += len(chunk)
        rows += len(chunk)
        # The planner sees the index grow only when it is analysed: without it, a refresh's
        # lookups in a "small" index become scans of a large one. Each doubling is analysed.
        if rows >= 2 * analysed:
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE catalogue_search")
            if statement:
                statement(time.perf_counter() - started, "analyze the search index")
            analysed = rows
        if progress:
            progress("search index", done, len(ids))
    return changed


def _index_rows() -> int:
    """Return the planner's estimate of the search index's rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass",
            ["catalogue_search"],
        )
        return cursor.fetchone()[0]
