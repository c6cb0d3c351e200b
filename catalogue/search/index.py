"""Index maintenance: re-indexing articles by hand (the triggers keep the index current)."""

from __future__ import annotations

from collections.abc import Iterable

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
