"""One node's embedded index: its directory, building it, following the outbox.

Layout of SEARCH_INDEX_DIR:
    current           -> a symbolic link to the index in use
    index-<ns>/       Tantivy's files and state.json (schema version, outbox position, counts)
    sync.lock         held while the outbox is applied (the node's processes take turns)

A build writes a new index-<ns>/ and then points `current` at it, so that searches keep
using the old index until the new one is complete; every process of the node notices the
link change on its next search and opens the new one.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import tantivy

from catalogue.search.tantivy import outbox, source
from catalogue.search.tantivy.queries import Builder
from catalogue.search.tantivy.schema import (
    SCHEMA_VERSION,
    VALUE_GAP,
    create_index,
    document,
    open_index,
)

logger = logging.getLogger(__name__)

# Tantivy's indexing memory: one segment per this much text. The largest Tantivy takes (4 GB
# less its margin), so that up to about a million articles the build is one segment: each
# value's count from a terms aggregation is then whole, never counted again (search.py). It is
# used as the text is read (peak RSS 1.4 GB at a million articles), not taken at once.
BUILD_HEAP = 3_900_000_000
SYNC_HEAP = 50_000_000


class IndexUnavailable(RuntimeError):
    """The node has no usable index (not built, another schema, or behind a pruned outbox)."""


@contextmanager
def _locked(path: Path):
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_json(path: Path, data: dict) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data))
    os.replace(temporary, path)


class Node:
    """The index of one directory as this process sees it; `refresh` before searching."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.directory: Path | None = None
        self.index: tantivy.Index | None = None
        self.searcher: tantivy.Searcher | None = None
        self.builder: Builder | None = None
        self.loaded_position = -1
        self._lock = threading.Lock()

    # --- State ------------------------------------------------------------------------------

    def current(self) -> Path | None:
        """Return the directory `current` points at (None: never built)."""
        link = self.root / "current"
        try:
            return (self.root / os.readlink(link)).resolve()
        except OSError:
            return None

    @staticmethod
    def read_state(directory: Path) -> dict:
        """Return the state.json of an index directory."""
        return json.loads((directory / "state.json").read_text())

    def _position(self, state: dict) -> outbox.Position:
        return outbox.Position(**state["outbox"])

    # --- Opening and following ---------------------------------------------------------------

    def _open(self) -> dict:
        """Open `current` if it changed; reload when another process advanced it."""
        directory = self.current()
        if directory is None:
            raise IndexUnavailable(f"no index in {self.root} (run manage.py search_index build)")
        state = self.read_state(directory)
        if state.get("schema") != SCHEMA_VERSION:
            raise IndexUnavailable(f"the index in {directory} is of another schema: rebuild it")
        if directory != self.directory:
            self.index = open_index(str(directory))
            # An index built before values were kept apart says nothing: no gap.
            self.builder = Builder(
                self.index.schema,
                value_gap=state.get("value_gap", 0),
                has_sample=state.get("sample", False),
            )
            self.directory = directory
            self.loaded_position = -1
        if state["applied"] != self.loaded_position:
            self.index.reload()
            searcher = self.index.searcher()
            self.builder.present_years = present_years(searcher)
            self.searcher = searcher
            self.loaded_position = state["applied"]
        return state

    def load(self) -> outbox.Position:
        """Open `current` as it is on disk (no database); return the outbox position it is at.

        A search then asks the outbox for news in its labels' statement (search.run_results)
        and, only when there is some, `refresh`es and searches again: one round trip to
        PostgreSQL instead of two.
        """
        with self._lock:
            return self._position(self._open())

    def refresh(self, connection) -> None:
        """Make the searcher current: apply any outbox rows not yet applied (one query if none)."""
        with self._lock:
            state = self._open()
            if outbox.has_news(connection, self._position(state)):
                self.sync(connection)
                self._open()

    def sync(self, connection, *, log=None) -> int:
        """Apply the outbox's new rows to the index; return how many articles were re-read."""
        if self.current() is None:
            raise IndexUnavailable(f"no index in {self.root} (run manage.py search_index build)")
        applied = 0
        with _locked(self.root / "sync.lock"):
            directory = self.current()
            state = self.read_state(directory)
            position = self._position(state)
            index = open_index(str(directory))
            writer = None
            try:
                while True:
                    batch = outbox.pending(connection, position, limit=outbox.BATCH)
                    if position.position < batch.pruned_through:
                        raise IndexUnavailable(
                            f"the index in {directory} is behind the pruned outbox "
                            f"(at {position.position}, pruned to {batch.pruned_through}): "
                            "rebuild it"
                        )
                    if not batch.rows:
                        if batch.horizon != position.horizon:
                            position = outbox.advance(position, batch, batch.horizon)
                            state["outbox"] = asdict(position)
                            _write_json(directory / "state.json", state)
                        break
                    if writer is None:
                        writer = index.writer(heap_size=SYNC_HEAP, num_threads=1)
                    applied += _apply(connection, index, writer, batch.rows)
                    writer.commit()
                    position = outbox.advance(position, batch, batch.horizon)
                    state["outbox"] = asdict(position)
                    state["applied"] = state.get("applied", 0) + 1
                    _write_json(directory / "state.json", state)
                    if log:
                        log(f"  applied {len(batch.rows):,} outbox rows (seq {position.position})")
                    if len(batch.rows) < outbox.BATCH:
                        break
            finally:
                if writer is not None:
                    # Small commits make small segments: let their merges finish (cheap) so
                    # that the index does not fragment.
                    writer.wait_merging_threads()
        return applied

    def search_state(self) -> tuple[tantivy.Searcher, Builder]:
        """Return the searcher and query builder opened by the last refresh."""
        if self.searcher is None or self.builder is None:
            raise IndexUnavailable("the index is not open")
        return self.searcher, self.builder


def present_years(searcher: tantivy.Searcher) -> frozenset[int]:
    """Return every year an indexed article has (one terms aggregation over the index)."""
    answer = searcher.aggregate(
        tantivy.Query.all_query(),
        {"years": {"terms": {"field": "year", "size": 100_000, "segment_size": 100_000}}},
    )
    return frozenset(int(bucket["key"]) for bucket in answer["years"]["buckets"])


def _apply(connection, index: tantivy.Index, writer: tantivy.IndexWriter, rows) -> int:
    """Replace the documents of the rows' articles by their current records; return count."""
    ids = sorted({article_id for _, article_id, _ in rows if article_id is not None})
    if any(article_id is None for _, article_id, _ in rows):
        # catalogue_search was truncated: whatever is in it now is re-read below.
        writer.delete_all_documents()
    elif ids:
        # By query: a term of an int deletes nothing from an unsigned field (tantivy 0.27).
        writer.delete_documents_by_query(
            tantivy.Query.term_set_query(index.schema, "article_id", ids)
        )
    for record in source.records(connection, ids):
        writer.add_document(document(record))
    return len(ids)


def build(root: str | Path, connection, *, log=print, heap: int = BUILD_HEAP) -> dict:
    """Index every article of catalogue_search into a new directory and make it current.

    The outbox is enabled first, and its position read before the articles: a change made
    while the index is built is applied by the next sync (twice at worst, harmlessly).
    Returns the new state (documents, seconds, bytes).
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    seq, horizon = outbox.enable(connection)
    directory = root / f"index-{time.time_ns()}"
    directory.mkdir()
    index = create_index(str(directory))
    writer = index.writer(heap_size=heap, num_threads=1)
    count = 0
    for record in source.records(connection):
        writer.add_document(document(record))
        count += 1
        if count % 100_000 == 0:
            log(f"  {count:,} articles indexed ({time.perf_counter() - started:.0f} s)")
    writer.commit()
    writer.wait_merging_threads()
    size = sum(path.stat().st_size for path in directory.iterdir() if path.is_file())
    state = {
        "schema": SCHEMA_VERSION,
        "value_gap": VALUE_GAP,
        "sample": True,
        "applied": 0,
        "documents": count,
        "built_seconds": round(time.perf_counter() - started, 1),
        "bytes": size,
        "outbox": asdict(outbox.Position(position=seq, horizon=horizon)),
    }
    _write_json(directory / "state.json", state)
    link = root / "current.tmp"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(directory.name)
    with _locked(root / "sync.lock"):
        os.replace(link, root / "current")
    for old in root.glob("index-*"):
        if old.name != directory.name:
            shutil.rmtree(old, ignore_errors=True)
    log(f"  {count:,} articles indexed in {state['built_seconds']} s, {size / 1e6:.0f} MB")
    return state


_nodes: dict[str, Node] = {}
_nodes_lock = threading.Lock()


def node(root: str | Path) -> Node:
    """Return this process's Node of `root` (one per directory)."""
    key = str(root)
    with _nodes_lock:
        if key not in _nodes:
            _nodes[key] = Node(root)
        return _nodes[key]


def sync(root: str | Path, connection, *, keep_hours: int | None, log=print) -> dict:
    """Apply the outbox to the node's index, then prune rows older than `keep_hours`."""
    started = time.perf_counter()
    applied = node(root).sync(connection, log=log)
    pruned = outbox.prune(connection, keep_hours=keep_hours) if keep_hours is not None else 0
    return {
        "articles": applied,
        "pruned": pruned,
        "seconds": round(time.perf_counter() - started, 2),
    }


def status(root: str | Path, connection) -> dict:
    """Return the node's index state and the outbox's, and how far behind the index is."""
    root = Path(root)
    report: dict = {"directory": str(root), "outbox": outbox.status(connection)}
    directory = Node(root).current()
    if directory is None:
        report["index"] = None
        return report
    state = Node.read_state(directory)
    index = open_index(str(directory))
    searcher = index.searcher()
    position = outbox.Position(**state["outbox"])
    report["index"] = {
        "path": str(directory),
        "schema": state.get("schema"),
        "schema_current": state.get("schema") == SCHEMA_VERSION,
        "documents": searcher.num_docs,
        "segments": searcher.num_segments,
        "bytes": sum(p.stat().st_size for p in directory.iterdir() if p.is_file()),
        "position": position.position,
        "behind": outbox.has_news(connection, position),
        "needs_rebuild": position.position < report["outbox"]["pruned_through"]
        or state.get("schema") != SCHEMA_VERSION,
    }
    return report
