"""Index maintenance: re-indexing articles by hand (the triggers keep the index current)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

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


REINDEX_BATCH = 5_000


def reindex_articles(
    *, after: int = 0, progress: Callable[[int, int, int], None] | None = None
) -> tuple[int, int]:
    """Re-index every article after id `after` (PostgreSQL), REINDEX_BATCH per transaction, and
    return (index rows changed, articles visited).

    Online: each batch is its own short transaction through the index's refresh, so readers and
    writers go on (a new version of the source after migration 0028 on a large catalogue).
    `progress(done, total, last_id)` hears each batch; a stopped run resumes with
    `after=last_id`.
    """
    ids = list(Article.objects.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True))
    changed = 0
    for start in range(0, len(ids), REINDEX_BATCH):
        chunk = ids[start : start + REINDEX_BATCH]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT catalogue_search_refresh(%s::bigint[])", [chunk])
            changed += cursor.fetchone()[0]
        if progress:
            progress(start + len(chunk), len(ids), chunk[-1])
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
