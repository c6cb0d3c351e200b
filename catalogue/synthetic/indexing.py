"""Indexing generated articles for search after their data commit, in bounded batches.

A PostgreSQL run writes its articles with the search triggers' work left out (writers.py) and
indexes them here once they are committed, `SEARCH_BATCH` articles per transaction, with the
index's own batched refresh (catalogue.search.index.index_in_batches): no single COMMIT builds the
index for the whole run (at 1,000,000 articles one COMMIT took 463 s doing it), and readers
are never locked out. Until it finishes, the newest articles are in the catalogue but not yet
found by search; stopped part-way (a crash, Ctrl-C), running the generator again with the
same seed finishes it (`unindexed_articles` finds what is left).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.db import connection

from catalogue.search.index import batched, index_in_batches

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
    each batch's COMMIT (catalogue.search.index.index_in_batches does the work).
    """
    return index_in_batches(
        batches=batched(ids, size=batch_size or SEARCH_BATCH),
        progress=(lambda done, batch: progress("search index", done, len(ids)))
        if progress
        else None,
        statement=statement,
        commit=commit,
    )
