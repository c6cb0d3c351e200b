"""The embedded search index (Tantivy) of a node, kept in step with PostgreSQL by an outbox.

Enabled by SEARCH_INDEX_DIR on PostgreSQL (ignored on SQLite). `run_results` answers a results
page as postgres.run_results does, or returns None for a search it leaves to PostgreSQL
(search.supports) or when the node has no usable index. Modules: `schema.py` (fields and
analyzer, shared with bench/tantivy_peer.py), `queries.py` (the query language's semantics),
`source.py` (reading articles), `outbox.py` (the outbox's rows and a node's position),
`node.py` (the index directory, build, sync), `search.py` (a results page). Design and
measurements: docs/search-design.md, docs/search-index.md ("Embedded index").
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from catalogue.search.params import SearchParams
from catalogue.search.results import Raw

logger = logging.getLogger(__name__)


def run_results(
    *, directory: str, params: SearchParams, offset: int, limit: int, facet_names: Sequence[str]
) -> Raw | None:
    """Return the results page from the node's index, or None when PostgreSQL should answer."""
    from catalogue import routers
    from catalogue.search.tantivy import node as nodes
    from catalogue.search.tantivy import search

    node = nodes.node(directory)
    try:
        position = node.load()
    except nodes.IndexUnavailable as error:
        logger.warning("search: the embedded index is not used: %s", error)
        return None
    _, builder = node.search_state()
    if not search.supports(params, builder):
        return None
    try:
        raw, news = search.run_results(
            node=node,
            params=params,
            offset=offset,
            limit=limit,
            facet_names=facet_names,
            news=position,
        )
        if not news:
            return raw
        # The outbox has rows this index lacks (asked in the labels' statement, after the
        # search): apply them and search again.
        try:
            node.refresh(routers.read_connection())
        except nodes.IndexUnavailable as error:
            logger.warning("search: the embedded index is not used: %s", error)
            return None
        except Exception:
            # Applying the outbox failed part-way (a bad row, the disk, the database): what
            # was committed stays, the position says where to resume, and the next search does.
            logger.exception("search: the embedded index could not follow the outbox")
            return None
        raw, _ = search.run_results(
            node=node, params=params, offset=offset, limit=limit, facet_names=facet_names
        )
        return raw
    except search.Inexact as error:
        logger.info("search: left to PostgreSQL: %s", error)
        return None
