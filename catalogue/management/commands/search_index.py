"""The node's embedded search index (SEARCH_INDEX_DIR, PostgreSQL only), and re-indexing
PostgreSQL's own search index online.

    python manage.py search_index build    # index every article into a new directory
    python manage.py search_index sync [--keep-hours N]   # apply the outbox, prune old rows
    python manage.py search_index status
    python manage.py search_index reindex [--after ID]   # catalogue_search, 5,000 a transaction

Searches apply the outbox themselves before answering; `sync` from cron keeps the outbox
pruned (rows older than SEARCH_OUTBOX_KEEP_HOURS). See docs/search-index.md, "Embedded index".
"""

from __future__ import annotations

import json
import resource
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from catalogue import conf


class Command(BaseCommand):
    help = "Build, sync or report the node's embedded search index (SEARCH_INDEX_DIR)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["build", "sync", "status", "reindex"])
        parser.add_argument(
            "--directory", default="", help="The index directory (default: SEARCH_INDEX_DIR)."
        )
        parser.add_argument(
            "--keep-hours",
            type=int,
            default=None,
            help="sync: prune outbox rows older than this (default: SEARCH_OUTBOX_KEEP_HOURS).",
        )
        parser.add_argument(
            "--after",
            type=int,
            default=0,
            help="reindex: start after this article id (to resume a stopped run).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Parse the arguments, run the action and report it."""
        if options["action"] == "reindex":
            self._reindex(after=options["after"])
            return
        directory = options["directory"] or conf.get("SEARCH_INDEX_DIR")
        if not directory:
            raise CommandError("Set SEARCH_INDEX_DIR (or pass --directory).")
        if connection.vendor != "postgresql":
            raise CommandError("The embedded search index needs PostgreSQL (SQLite: not used).")
        from catalogue.search.tantivy import node

        def log(line: str) -> None:
            self.stdout.write(line)

        action = options["action"]
        try:
            if action == "build":
                state = node.build(directory, connection, log=log)
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                self.stdout.write(
                    f"Built: {state['documents']:,} articles in {state['built_seconds']} s, "
                    f"{state['bytes'] / 1e6:,.0f} MB, peak RSS {peak:,.0f} MB"
                )
            elif action == "sync":
                keep = options["keep_hours"]
                report = node.sync(
                    directory,
                    connection,
                    keep_hours=conf.get("SEARCH_OUTBOX_KEEP_HOURS") if keep is None else keep,
                    log=log,
                )
                self.stdout.write(
                    f"Synced: {report['articles']:,} articles re-read, {report['pruned']:,} "
                    f"outbox rows pruned, {report['seconds']} s"
                )
            else:
                self.stdout.write(json.dumps(node.status(directory, connection), indent=2))
        except node.IndexUnavailable as error:
            raise CommandError(str(error)) from error

    def _reindex(self, *, after: int) -> None:
        if after < 0:
            raise CommandError("--after must be an article id (0 or more).")
        if connection.vendor != "postgresql":
            raise CommandError("SQLite's search index is rebuilt by its migrations.")
        from catalogue.search.index import reindex_articles

        def progress(done: int, total: int, last: int) -> None:
            self.stdout.write(f"{done:,} of {total:,} articles (resume with --after {last})")

        changed, total = reindex_articles(after=after, progress=progress)
        self.stdout.write(f"Re-indexed {total:,} articles, {changed:,} index rows changed.")
