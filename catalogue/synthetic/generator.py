"""The run: check the request, write the pools, then stream the articles in batches."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from catalogue.importer import matchkeys
from catalogue.models import Article
from catalogue.synthetic.articles import ArticleStream, doi_for
from catalogue.synthetic.authors import write_authors
from catalogue.synthetic.indexing import index_articles, unindexed_articles
from catalogue.synthetic.journals import write_journals
from catalogue.synthetic.keywords import ensure_keywords
from catalogue.synthetic.subjects import ensure_subject_areas
from catalogue.synthetic.writers import write_articles, writer_for_connection

DEFAULT_BATCH_SIZE = 5_000
MAX_BATCH_SIZE = 100_000

_T = TypeVar("_T")
# Progress callback: (stage, done, total), e.g. ("articles", 15_000, 1_000_000).
Progress = Callable[[str, int, int], None]


class GenerationError(Exception):
    """A generation request refused before anything was written, or (PostgreSQL) articles
    written and committed but not all indexed for search; the message says which and why."""


@dataclass
class GenerationReport:
    """What one run wrote: rows per table, how long it took, and where the time went."""

    articles: int
    seed: int
    vendor: str
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)
    # Seconds per phase, in order: pools, articles, checks, commit, search index, match keys.
    phases: dict[str, float] = field(default_factory=dict)
    # The longest single statement (a COPY, a check, a batch of the search index) and COMMIT.
    longest_statement: tuple[float, str] = (0.0, "")
    longest_commit: float = 0.0
    # Articles indexed for search after the data commit (PostgreSQL), and whether this run
    # only finished indexing an earlier, interrupted run of the same seed.
    indexed: int = 0
    resumed: bool = False

    def statement(self, seconds: float, what: str) -> None:
        """Note a statement's duration."""
        if seconds > self.longest_statement[0]:
            self.longest_statement = (seconds, what)

    def commit(self, seconds: float) -> None:
        """Note a COMMIT's duration."""
        self.longest_commit = max(self.longest_commit, seconds)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds else 0.0

    @property
    def articles_per_second(self) -> float:
        return self.articles / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class PoolSizes:
    """How many journals, authors and keywords a catalogue of N articles draws from."""

    journals: int
    authors: int
    keywords: int


def pool_sizes(*, articles: int) -> PoolSizes:
    """Return the pool sizes for `articles` (1M: 5,000 journals, 400k authors, 50k keywords)."""
    return PoolSizes(
        journals=max(20, articles // 200),
        authors=max(50, articles * 2 // 5),
        keywords=max(50, articles // 20),
    )


def seed_is_loaded(*, seed: int) -> bool:
    """Return whether the catalogue already holds the articles generated with `seed`."""
    return Article.objects.filter(doi=doi_for(seed=seed, number=1)).exists()


def generate_catalogue(
    *,
    articles: int,
    seed: int,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    today: date | None = None,
) -> GenerationReport:
    """Write `articles` synthetic articles with their journals, authors, keywords and subjects.

    No record is dated after `today` (the local date by default; pass one to make the records
    independent of the day they are generated). Return a report of the rows written. The
    records are all or nothing: one transaction. On PostgreSQL the search index is then built
    for them in batches of their own (indexing.py); if that is interrupted, the records stay
    and running again with the same seed finishes the index (the report says `resumed`).
    Raises GenerationError for bad arguments or a seed already loaded, or when indexing the
    committed records failed.
    """
    _check_count("articles", articles, minimum=1)
    _check_count("seed", seed, minimum=0)
    _check_count("batch size", batch_size, minimum=1, maximum=MAX_BATCH_SIZE)
    started = time.perf_counter()
    sizes = pool_sizes(articles=articles)
    writer = writer_for_connection()
    report = GenerationReport(articles=0, seed=seed, vendor=connection.vendor, seconds=0.0)
    if writer.indexes_after_commit and seed_is_loaded(seed=seed):
        left = unindexed_articles()
        if left:  # an interrupted run of this seed: finish its search index
            report.resumed = True
            _index(report, left, articles=len(left), progress=progress)
            report.seconds = time.perf_counter() - started
            return report
    mark = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        report.phases[name] = now - mark
        mark = now

    with transaction.atomic():
        writer.begin()
        if seed_is_loaded(seed=seed):
            raise GenerationError(
                f"The catalogue already holds the articles of seed {seed} "
                f"(DOI {doi_for(seed=seed, number=1)} exists): use another --seed."
            )
        subjects = ensure_subject_areas(writer)
        keyword_ids = ensure_keywords(writer, count=sizes.keywords)
        journals = write_journals(
            writer, seed=seed, count=sizes.journals, subjects=subjects,
            keyword_count=len(keyword_ids),
        )  # fmt: skip
        author_first_id, author_names = write_authors(
            writer, seed=seed, count=sizes.authors, batch_size=batch_size, progress=progress
        )
        stream = ArticleStream(
            seed=seed,
            articles=articles,
            journals=journals,
            subjects=subjects,
            keyword_ids=keyword_ids,
            author_first_id=author_first_id,
            author_names=author_names,
            today=today or timezone.localdate(),
        )
        first_article = writer.first_free_id(Article)
        batches = stream.batches(first_id=first_article, batch_size=batch_size, now=writer.now)
        phase("pools")
        written = 0
        # Generating (Python) and storing (the database) overlap: the next batch is made
        # in a thread while this one is written.
        for batch in _in_background(batches):
            write_articles(writer, batch)
            written += len(batch.articles)
            if progress:
                progress("articles", written, articles)
        phase("articles")
        if progress:
            progress("checking references", 0, 0)
        writer.finish()
        phase("checks")
    phase("commit")
    report.commit(report.phases["commit"])
    report.statement(*writer.longest)
    report.articles = articles
    report.rows = dict(writer.rows)
    if writer.indexes_after_commit:
        _index(report, range(first_article, first_article + articles), articles=articles,
               progress=progress)  # fmt: skip
        phase("search index")
    if matchkeys.is_installed():
        # The import's duplicate-matching keys of the new rows, queued by their triggers, in
        # bounded batches now rather than in the first import's transaction (a minute at 1M).
        matchkeys.refresh()
        phase("match keys")
    report.seconds = time.perf_counter() - started
    return report


def _index(
    report: GenerationReport, ids: range | list[int], *, articles: int, progress: Progress | None
) -> None:
    """Index committed articles for search in batches; a failure is a GenerationError that
    says the records are there and how to finish."""
    try:
        report.indexed = index_articles(
            ids, progress=progress, statement=report.statement, commit=report.commit
        )
    except DatabaseError as error:
        raise GenerationError(
            f"The {articles:,} articles of seed {report.seed} are written, but indexing them "
            f"for search failed ({error}). Run the generator again with the same seed to "
            f"finish the index."
        ) from error


def _check_count(name: str, value: object, *, minimum: int, maximum: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise GenerationError(f"The {name} must be a whole number, not {value!r}.")
    if value < minimum:
        raise GenerationError(f"The {name} must be at least {minimum}, not {value}.")
    if maximum is not None and value > maximum:
        raise GenerationError(f"The {name} must be at most {maximum:,}, not {value:,}.")


def _in_background(items: Iterator[_T], *, depth: int = 2) -> Iterator[_T]:
    """Yield `items`, computed in a thread at most `depth` ahead; its exceptions surface here."""
    pending: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def put(entry: tuple) -> bool:
        while not stop.is_set():
            try:
                pending.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((end, None))
        except BaseException as error:  # handed to the consumer, which re-raises it
            put((end, error))

    thread = threading.Thread(target=produce, name="synthetic-catalogue", daemon=True)
    thread.start()
    try:
        while True:
            item, error = pending.get()
            if error is not None:
                raise error
            if item is end:
                return
            yield item
    finally:
        stop.set()
        thread.join()
