"""Index maintenance: re-indexing articles by hand (the triggers keep the index current)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence

from django.db import connection, transaction
from django.db.models import F

from catalogue.models import Article
from catalogue.search.statement import is_postgres


def refresh_search_index(article_ids: Iterable[int] | None = None) -> int:
    """Re-index the given articles (all when None) now; return how many were re-indexed.

    On PostgreSQL only the articles whose index row changed are counted. The triggers
    already keep the index current: this is for repairs and restored dumps.
    """
    if article_ids is None:
        ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted(set(article_ids))
    changed = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if is_postgres():
            cursor.execute("SELECT catalogue_search_flush()")
            changed += cursor.fetchone()[0]
            for start in range(0, len(ids), 5000):
                cursor.execute(
                    "SELECT catalogue_search_refresh(%s::bigint[])", [ids[start : start + 5000]]
                )
                changed += cursor.fetchone()[0]
            if article_ids is None:
                # Also drop rows of articles that no longer exist, and recount the facets.
                cursor.execute(
                    "DELETE FROM catalogue_search s WHERE NOT EXISTS "
                    "(SELECT 1 FROM catalogue_article a WHERE a.id = s.article_id)"
                )
                changed += cursor.rowcount
                cursor.execute(
                    "SELECT catalogue_search_recount(); UPDATE catalogue_search_state "
                    "SET generation = nextval('catalogue_search_generation')"
                )
        else:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                # Rewriting the title fires the FTS triggers, which rebuild these rows.
                changed += Article.objects.filter(pk__in=chunk).update(title=F("title"))
    return changed


# Articles per transaction of the online re-index: about a second or two of work each at 1M.
REINDEX_BATCH = 5_000
# Below this many index rows the planner's estimate is never worth an ANALYZE: a misjudged
# lookup in a table this small costs nothing measurable, and an ANALYZE of a large one a second.
ANALYSE_MINIMUM = 5_000


def index_in_batches(
    *,
    batches: Iterable[Sequence[int]],
    analyse_minimum: int | None = None,
    progress: Callable[[int, Sequence[int]], None] | None = None,
    statement: Callable[[float, str], None] | None = None,
    commit: Callable[[float], None] | None = None,
) -> int:
    """Index each batch of article ids for search in a transaction of its own; return the index
    rows changed.

    Each batch is drawn from `batches` inside its transaction, so a source may lock or delete
    what it hands out (the import backlog's rows) and a batch that fails undoes that too; the
    batches before it stay committed. On PostgreSQL the search index is analysed whenever it
    has doubled since the planner last counted it and holds at least `analyse_minimum`
    (default ANALYSE_MINIMUM) rows. `progress(done, batch)` hears each committed batch,
    `statement(seconds, what)` each batch's and each ANALYZE's duration, `commit(seconds)`
    each batch's COMMIT.
    """
    postgres = is_postgres()
    minimum = ANALYSE_MINIMUM if analyse_minimum is None else analyse_minimum
    rows = analysed = _planner_rows() if postgres else 0
    changed = done = 0
    source = iter(batches)
    while True:
        started = time.perf_counter()
        with transaction.atomic():
            batch = next(source, None)
            if batch is None:
                break
            changed += refresh_search_index(batch)
            written = time.perf_counter()
        if statement:
            statement(written - started, f"index {len(batch):,} articles for search")
        if commit:
            commit(time.perf_counter() - written)
        done += len(batch)
        rows += len(batch)
        # The planner sees the index grow only when it is analysed: without it, a refresh's
        # lookups in a "small" index become scans of a large one (an import or a generation
        # into an empty catalogue). Each doubling is analysed; a large catalogue seldom doubles.
        if postgres and rows >= 2 * analysed and rows >= minimum:
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE catalogue_search")
            if statement:
                statement(time.perf_counter() - started, "analyze the search index")
            analysed = rows
        if progress:
            progress(done, batch)
    return changed


def batched(ids: Sequence[int], *, size: int) -> Iterator[Sequence[int]]:
    """Yield `ids` in consecutive slices of `size`."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _planner_rows() -> int:
    """Return the planner's estimate of the search index's rows (0 before any ANALYZE)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass",
            ["catalogue_search"],
        )
        return cursor.fetchone()[0]


def reindex_articles(
    *, after: int = 0, progress: Callable[[int, int, int], None] | None = None
) -> tuple[int, int]:
    """Re-index every article after id `after` (PostgreSQL), REINDEX_BATCH per transaction, and
    return (index rows changed, articles visited).

    Online: each batch is its own short transaction through the index's refresh, so readers and
    writers go on (a new version of the source after migration 0028 on a large catalogue); the
    index is analysed as it doubles, so a whole re-index ends with fresh statistics.
    `progress(done, total, last_id)` hears each batch; a stopped run resumes with
    `after=last_id`.
    """
    ids = list(Article.objects.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True))
    changed = index_in_batches(
        batches=batched(ids, size=REINDEX_BATCH),
        progress=(lambda done, batch: progress(done, len(ids), batch[-1])) if progress else None,
    )
    return changed, len(ids)


MATCH_COST = 100
_MATCH_FUNCTION = "pg_catalog.ts_match_vq(tsvector, tsquery)"


def restore_planner_costs(*, using: str = "default", verbosity: int = 1, **kwargs: object) -> bool:
    """Set the planner cost of migration 0009 again if it was lost; return True if it was.

    pg_dump never writes out a change to a pg_catalog function, so a database restored from a
    dump has ts_match_vq back at cost 1. Connected to post_migrate (catalogue/apps.py): every
    `migrate`, as compose runs on each start and the restore steps say, puts it back.
    """
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    applied = MigrationRecorder(connection).applied_migrations()
    if ("catalogue", "0009_search_match_cost") not in applied:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT procost FROM pg_proc WHERE oid = %s::regprocedure", [_MATCH_FUNCTION]
        )
        if cursor.fetchone()[0] == MATCH_COST:
            return False
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            if verbosity:
                print(f"  Not a superuser: {_MATCH_FUNCTION} keeps cost 1 (see migration 0009).")
            return False
        cursor.execute(f"ALTER FUNCTION {_MATCH_FUNCTION} COST {MATCH_COST}")
    if verbosity:
        print(f"  Restored the planner cost of {_MATCH_FUNCTION} (pg_dump does not keep it).")
    return True
