"""Computing and storing fingerprints: catalogue statistics, record fingerprints, related
records, people's and journals' fingerprints (refresh_topics), and the fingerprints of a few
new or updated records against the stored statistics (import and admin)."""

from __future__ import annotations

import heapq
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, Max, Model, OuterRef, Q
from django.utils import timezone
from scipy import sparse

from catalogue.db import foreign_keys
from catalogue.importer.writing import insert_values
from catalogue.models import (
    Article,
    ArticleTopic,
    AuthorTopic,
    ConceptKind,
    JournalTopic,
    Keyword,
    RelatedArticle,
    SubjectArea,
    TopicConcept,
    TopicStatistics,
)
from catalogue.topics.related import (
    MAX_POSTINGS,
    MAX_RELATED,
    SIMILARITY_FLOOR,
    MatrixIndex,
    matrix_from_rows,
    shared_concepts,
)
from catalogue.topics.text import normalise
from catalogue.topics.unions import union_all
from catalogue.topics.weighting import (
    MIN_RECORDS,
    Mentions,
    RecordText,
    Weighted,
    fingerprint,
    mentions,
    record_keys,
)

logger = logging.getLogger(__name__)

# Records read and written per batch (one transaction each: a refresh stopped mid-way resumes
# after the last finished batch).
BATCH_SIZE = 2000
# Concepts kept in a person's or a journal's fingerprint.
MAX_PERSON_CONCEPTS = 50
# A record this many years older than the newest counts half in a person's fingerprint (a
# hyperbola: 1 / (1 + age / HALF_WEIGHT_YEARS); plain arithmetic in both databases' SQL).
HALF_WEIGHT_YEARS = 10
# While counting, when more distinct terms than this are held, those seen once so far are
# forgotten (lossy counting: a term first seen late in a huge catalogue may be undercounted by
# one; it bounds memory at 1M records).
PRUNE_ABOVE = 3_000_000
# A few records' related records (import, admin): the strongest postings read per concept, and
# the records best on those scored exactly (docs/topics.md: agreement with a refresh).
INDEX_POSTINGS = 200
CANDIDATES = 50
# Products (an owner's records' concepts) per slice of people aggregated at a time.
PEOPLE_WORK = 500_000
# Rows fetched at a time when streaming every fingerprint.
STREAM_ROWS = 50_000
# Rows per INSERT/IN list: below SQLite's bound on variables.
CHUNK = 900

_RELATED_FIELDS = ["article_id", "related_id", "similarity", "shared"]

Progress = Callable[[str, int, int], None]


def _quiet(phase: str, done: int, total: int) -> None:
    """Report nothing."""


@dataclass
class Statistics:
    """The catalogue statistics a fingerprint is weighed against."""

    frequencies: dict[str, int]
    articles: int
    average_length: float
    vocabulary: set[str]


def texts(ids: Sequence[int]) -> dict[int, RecordText]:
    """Return the text of each record (three queries per call)."""
    found = {
        pk: RecordText(title=title, abstract=abstract, keywords=[], subjects=[])
        for pk, title, abstract in _select_in(
            "SELECT id, title, abstract FROM catalogue_article WHERE id {member}", ids
        )
    }
    # Keywords and subject areas in the order their links were written (the importer writes
    # them as the record lists them): a fingerprint's label of a concept two given values name
    # alike is the later one's, the same whatever plan the database chooses.
    for pk, term in _select_in(
        "SELECT l.article_id, k.term FROM catalogue_article_keywords l "
        "JOIN catalogue_keyword k ON k.id = l.keyword_id WHERE l.article_id {member} "
        "ORDER BY l.article_id, l.id",
        ids,
    ):
        found[pk].keywords.append(term)  # type: ignore[union-attr]
    for pk, name in _select_in(
        "SELECT l.article_id, s.name FROM catalogue_article_subject_areas l "
        "JOIN catalogue_subjectarea s ON s.id = l.subjectarea_id WHERE l.article_id {member} "
        "ORDER BY l.article_id, l.id",
        ids,
    ):
        found[pk].subjects.append(name)  # type: ignore[union-attr]
    return found


def _select_in(sql: str, values: Sequence, params: Sequence = ()) -> list[tuple]:
    """Return the rows of `sql` (fixed catalogue SQL) with `{member}` a membership test in
    `values`; `params` are its other parameters, before the values.

    One array parameter on PostgreSQL (`= ANY(%s)`), lists of CHUNK placeholders on SQLite
    (its bound on variables): Django's `__in` lookups prepare each value in Python, which cost
    more than the queries for the hundred thousand keys of an import's fingerprints.
    """
    if not len(values):
        return []
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(sql.format(member="= ANY(%s)"), [*params, list(values)])
            return cursor.fetchall()
        for start in range(0, len(values), CHUNK):
            chunk = list(values[start : start + CHUNK])
            member = f"IN ({', '.join(['%s'] * len(chunk))})"
            cursor.execute(sql.format(member=member), [*params, *chunk])
            rows.extend(cursor.fetchall())
    return rows


def _id_batches(after: int = 0) -> Iterator[list[int]]:
    """Yield the article ids in ascending batches, starting after `after`."""
    size = BATCH_SIZE
    while True:
        ids = list(
            Article.objects.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:size]
        )
        if not ids:
            return
        yield ids
        after = ids[-1]


def statistics_row() -> TopicStatistics:
    """Return the statistics row, made empty if there is none."""
    row = TopicStatistics.objects.order_by("pk").first()
    return row or TopicStatistics.objects.create()


def count_catalogue(progress: Progress = _quiet) -> TopicStatistics:
    """Count every concept's records over the catalogue and store them (the first phase)."""
    total = Article.objects.count()
    frequencies: Counter[str] = Counter()
    lengths = articles = 0
    for ids in _id_batches():
        for text in texts(ids).values():
            keys, length = record_keys(text)
            frequencies.update(keys)
            lengths += length
            articles += 1
        if len(frequencies) > PRUNE_ABOVE:
            frequencies = Counter({k: n for k, n in frequencies.items() if n > 1})
        progress("statistics", articles, total)
    given = _given_concepts()
    with transaction.atomic():
        _store_frequencies(frequencies, given)
        row = statistics_row()
        row.articles = articles
        row.average_length = lengths / articles if articles else 0.0
        row.concepts = TopicConcept.objects.count()
        row.phase, row.resume_after = "fingerprints", 0
        row.save()
    return row


def _given_concepts() -> dict[str, dict]:
    """Return the keyword and subject-area concepts by key: their label, kind and link."""
    given: dict[str, dict] = {}
    for pk, name in SubjectArea.objects.order_by("pk").values_list("pk", "name"):
        key = normalise(name)
        if key:
            given.setdefault(key, {"label": name, "kind": ConceptKind.SUBJECT})
            given[key]["subject_area_id"] = pk
    for pk, term in Keyword.objects.order_by("pk").values_list("pk", "term"):
        key = normalise(term)
        if key:
            # A keyword naming the same thing as a subject area is one concept, the keyword's.
            entry = given.setdefault(key, {})
            entry.update(label=term, kind=ConceptKind.KEYWORD, keyword_id=pk)
    return given


def _store_frequencies(frequencies: Counter[str], given: dict[str, dict]) -> None:
    """Write every concept's record count; new concepts get a label when a fingerprint uses them."""
    existing = dict(TopicConcept.objects.values_list("key", "pk"))
    TopicConcept.objects.update(document_frequency=0)
    keep = {key for key, n in frequencies.items() if n >= MIN_RECORDS} | set(given)
    new, changed, relabelled = [], [], []
    for key in sorted(keep):
        if len(key) > 255:
            continue
        entry = given.get(key, {})
        values = (
            frequencies.get(key, 0),
            entry.get("kind", ConceptKind.TERM),
            entry.get("keyword_id"),
            entry.get("subject_area_id"),
        )
        if key in existing:
            changed.append((*values, existing[key]))
            if entry:
                relabelled.append((entry["label"][:255], existing[key]))
        else:
            new.append(
                TopicConcept(
                    key=key,
                    label=entry.get("label", "")[:255],
                    document_frequency=values[0],
                    kind=values[1],
                    keyword_id=values[2],
                    subject_area_id=values[3],
                )
            )
    TopicConcept.objects.bulk_create(new, batch_size=CHUNK)
    # Plain UPDATEs by id: bulk_update's CASE expressions cost seconds per thousand rows.
    _execute_many(
        "UPDATE catalogue_topicconcept SET document_frequency = %s, kind = %s, "
        "keyword_id = %s, subject_area_id = %s WHERE id = %s",
        changed,
    )
    _execute_many("UPDATE catalogue_topicconcept SET label = %s WHERE id = %s", relabelled)


def _execute_many(sql: str, rows: Sequence[Sequence]) -> None:
    """Run one statement for each row, a chunk at a time."""
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK * 10):
            cursor.executemany(sql, rows[start : start + CHUNK * 10])


def load_statistics(keys: Iterable[str] | None = None) -> Statistics:
    """Return the stored statistics; only for `keys` when given (a few records' worth)."""
    row = statistics_row()
    concepts = TopicConcept.objects.filter(
        Q(document_frequency__gt=0) | Q(kind=ConceptKind.KEYWORD)
    ).values_list("key", "document_frequency", "kind")
    if keys is None:
        rows = list(concepts.iterator(chunk_size=20000))
    else:
        rows = _select_in(
            "SELECT key, document_frequency, kind FROM catalogue_topicconcept "
            "WHERE (document_frequency > 0 OR kind = %s) AND key {member}",
            sorted(set(keys)),
            [ConceptKind.KEYWORD.value],
        )
    frequencies = {key: df for key, df, _ in rows if df}
    vocabulary = {key for key, _, kind in rows if kind == ConceptKind.KEYWORD}
    return Statistics(frequencies, row.articles, row.average_length, vocabulary)


def weigh(text: RecordText, stats: Statistics) -> list[Weighted]:
    """Return a record's fingerprint against `stats`."""
    return fingerprint(
        text,
        frequencies=stats.frequencies,
        articles=stats.articles,
        average_length=stats.average_length,
        vocabulary=stats.vocabulary,
    )


def write_fingerprints(prints: dict[int, list[Weighted]]) -> None:
    """Replace the stored fingerprints of these records, creating concepts they need."""
    keys = {item.key for items in prints.values() for item in items}
    concepts = _concepts(keys, prints)
    ArticleTopic.objects.filter(article_id__in=list(prints)).delete()
    # The importer's bulk writer (COPY on PostgreSQL): model instances cost more than the SQL.
    insert_values(
        ArticleTopic,
        ["article_id", "concept_id", "weight", "unit", "fields", "occurrences"],
        [
            (
                pk,
                concepts[item.key],
                item.weight,
                item.unit,
                ",".join(item.fields),
                min(item.occurrences, 32767),
            )
            for pk, items in prints.items()
            for item in items
            if item.key in concepts
        ],
    )


def _concepts(keys: set[str], prints: dict[int, list[Weighted]]) -> dict[str, int]:
    """Return the concept ids of `keys`, creating missing ones and labelling unlabelled ones."""
    labels: dict[str, Weighted] = {}
    for items in prints.values():
        for item in items:
            labels.setdefault(item.key, item)
    wanted = sorted(keys)
    found: dict[str, tuple[int, str]] = {
        key: (pk, label)
        for key, pk, label in _select_in(
            "SELECT key, id, label FROM catalogue_topicconcept WHERE key {member}", wanted
        )
    }
    new = [
        TopicConcept(
            key=key,
            label=labels[key].label[:255],
            kind=labels[key].kind,
            document_frequency=max(labels[key].document_frequency, 1),
        )
        for key in wanted
        if key not in found and len(key) <= 255
    ]
    if new:
        TopicConcept.objects.bulk_create(new, batch_size=CHUNK, ignore_conflicts=True)
        found.update(
            (key, (pk, label))
            for key, pk, label in _select_in(
                "SELECT key, id, label FROM catalogue_topicconcept WHERE key {member}",
                [concept.key for concept in new],
            )
        )
    # Two transactions fingerprinting at once (an import's two workers after its commit) write
    # the same concepts: new ones inserted in key order (above), then labels set in id order,
    # each once per transaction (a call per transaction, as update_articles makes for at most
    # BATCH_SIZE records), so neither can hold a row the other needs while waiting for one the
    # other holds (in the order of the rows read, the labels deadlocked at once at 1M). A label
    # set by the other meanwhile is kept: only an empty one is written, as one at a time would.
    unlabelled = sorted(
        ((labels[key].label[:255], pk) for key, (pk, label) in found.items() if not label),
        key=lambda row: row[1],
    )
    _execute_many(
        "UPDATE catalogue_topicconcept SET label = %s WHERE id = %s AND label = ''", unlabelled
    )
    return {key: pk for key, (pk, _) in found.items()}


def fingerprint_catalogue(progress: Progress = _quiet) -> TopicStatistics:
    """Fingerprint every record in batches, resuming after the last finished batch."""
    row = statistics_row()
    stats = load_statistics()
    total = Article.objects.count()
    done = Article.objects.filter(pk__lte=row.resume_after).count()
    for ids in _id_batches(row.resume_after):
        prints = {pk: weigh(text, stats) for pk, text in texts(ids).items()}
        with transaction.atomic():
            write_fingerprints(prints)
            row.resume_after = ids[-1]
            row.save(update_fields=["resume_after"])
        done += len(ids)
        progress("fingerprints", done, total)
    row.phase, row.resume_after = "related", 0
    row.save(update_fields=["phase", "resume_after"])
    return row


def _fingerprint_matrix() -> MatrixIndex:
    """Return every stored fingerprint's unit weights as one sparse matrix index."""
    ids, matrix = _stream_matrix("unit")
    return MatrixIndex(ids, matrix, max_postings=MAX_POSTINGS)


def _stream_matrix(column: str) -> tuple[np.ndarray, sparse.csr_matrix]:
    """Return the record ids and a matrix of every stored fingerprint's `column` ("unit" or
    "weight"), streamed from the database in article order (a server-side cursor on
    PostgreSQL: nothing holds all rows as Python objects)."""
    assert column in ("unit", "weight")
    entries = ArticleTopic.objects.count()

    def chunks() -> Iterator[np.ndarray]:
        with transaction.atomic(), connection.chunked_cursor() as cursor:
            cursor.execute(
                f"SELECT article_id, concept_id, {column} FROM catalogue_articletopic "  # noqa: S608
                "ORDER BY article_id, concept_id"
            )
            while rows := cursor.fetchmany(STREAM_ROWS):
                yield np.array(rows, dtype=np.float64)

    return matrix_from_rows(chunks(), entries=entries)


def _labels(concepts: Iterable[int]) -> dict[int, str]:
    """Return the labels of these concepts (a query per CHUNK of them)."""
    return dict(
        _select_in(
            "SELECT id, label FROM catalogue_topicconcept WHERE id {member}",
            sorted(set(concepts)),
        )
    )


def relate_catalogue(progress: Progress = _quiet) -> TopicStatistics:
    """Store every record's related records, in batches, resuming after the last one."""
    row = statistics_row()
    index = _fingerprint_matrix()
    ids = index.ids
    first = int(np.searchsorted(ids, row.resume_after, "right"))
    total, done = len(ids), first
    for start in range(first, len(ids), BATCH_SIZE):
        stop = min(start + BATCH_SIZE, len(ids))
        pairs, others, scores = index.related(start, stop)
        shared = index.shared(pairs, others)
        labels = _labels(concept for concepts in shared for concept in concepts)
        rows = [
            (
                int(ids[pair]),
                int(ids[other]),
                round(float(score), 4),
                "; ".join(labels.get(concept, str(concept)) for concept in concepts),
            )
            for pair, other, score, concepts in zip(
                pairs.tolist(), others.tolist(), scores.tolist(), shared, strict=True
            )
        ]
        batch = ids[start:stop].tolist()
        # Each row's references checked at COMMIT: checked once per key instead (as the
        # people phase is), a batch's 17,000 records referred to are locked all the same,
        # which is most of the cost (docs/topics.md: not faster at 100,000 records).
        with transaction.atomic():
            _delete_related(batch)
            insert_values(RelatedArticle, _RELATED_FIELDS, rows)
            row.resume_after = batch[-1]
            row.save(update_fields=["resume_after"])
        done += len(batch)
        progress("related", done, total)
    del index
    with transaction.atomic():
        # Records without a fingerprint any more keep no related list. NOT EXISTS, not NOT IN:
        # PostgreSQL runs NOT IN over a subquery too big to hash as a scan per row.
        RelatedArticle.objects.exclude(
            Exists(ArticleTopic.objects.filter(article_id=OuterRef("article_id")))
        ).delete()
        row.phase, row.resume_after = "people", 0
        row.save(update_fields=["phase", "resume_after"])
    return row


def _delete_related(ids: list[int]) -> None:
    """Delete the related lists of these records (by id range: one indexed statement)."""
    RelatedArticle.objects.filter(article_id__gte=ids[0], article_id__lte=ids[-1]).delete()


def aggregate_people(progress: Progress = _quiet) -> TopicStatistics:
    """Make people's and journals' fingerprints (sparse matrix products) and the concepts'
    subject groups (SQL)."""
    row = statistics_row()
    newest = Article.objects.aggregate(newest=Max("year"))["newest"] or timezone.now().year
    ids, weights = _stream_matrix("weight")
    recency = _recency(ids, int(newest))
    with transaction.atomic():
        with references_checked_once(AuthorTopic, JournalTopic):
            owners = _owners("SELECT author_id, article_id FROM catalogue_authorship", ids)
            _aggregate(AuthorTopic, "author_id", owners, recency, weights)
            progress("people", 1, 3)
            owners = _owners(
                "SELECT journal_id, id FROM catalogue_article WHERE journal_id IS NOT NULL", ids
            )
            _aggregate(JournalTopic, "journal_id", owners, recency, weights)
            progress("people", 2, 3)
            del weights
        _main_subjects()
        progress("people", 3, 3)
        row.phase, row.resume_after = "", 0
        row.computed_at = timezone.now()
        row.concepts = TopicConcept.objects.filter(document_frequency__gt=0).count()
        row.save()
    return row


@contextmanager
def references_checked_once(*models: type[Model]) -> Iterator[None]:
    """Inside a transaction that writes these tables in bulk, check the foreign keys of the
    rows it inserts once per key rather than once per row.

    Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: PostgreSQL queues a check per
    inserted row and runs them all at COMMIT (20 million for the people phase at 1M records,
    about 4 minutes). As a superuser (internal triggers need one), the tables' per-row insert
    checks are switched off here (ALTER TABLE ... DISABLE TRIGGER: a SHARE ROW EXCLUSIVE
    lock on these tables, readers go on), and at the end, per foreign key, one statement
    over the rows inserted (ids above the largest before: ids only grow) locks the rows
    they refer to as the per-row checks lock them (FOR KEY SHARE: none can be deleted
    before the commit) and counts them against the values referred to (IntegrityError,
    worded as PostgreSQL words it, for a missing one); then the triggers are switched back
    on. A rollback restores them too. Elsewhere (SQLite, which counts deferred violations;
    PostgreSQL as another user) the rows are checked as any write's are.
    """
    tables = [model._meta.db_table for model in models]
    switched, last = _switch_off_insert_checks(tables)
    yield
    if not switched:
        return
    with connection.cursor() as cursor:
        for table in tables:
            # The checks need the new rows' statistics (the planner reads rows it believes
            # are not there with nested loops).
            cursor.execute(f"ANALYZE {_quote(table)}")
        for key in foreign_keys(cursor, tables):
            _check_reference(cursor, *key, after=last[key[1]])
        for table, trigger in switched:
            cursor.execute(f"ALTER TABLE {_quote(table)} ENABLE TRIGGER {_quote(trigger)}")


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _switch_off_insert_checks(tables: list[str]) -> tuple[list[tuple[str, str]], dict]:
    """Switch off the foreign keys' per-row insert checks of these tables for the
    transaction, when the database allows it (PostgreSQL, a superuser); return (table,
    trigger) of those switched off, and each table's largest id before."""
    if connection.vendor != "postgresql":
        return [], {}
    with connection.cursor() as cursor:
        cursor.execute("SHOW is_superuser")
        if cursor.fetchone()[0] != "on":
            return [], {}
        cursor.execute(
            "SELECT t.tgrelid::regclass::text, t.tgname FROM pg_trigger t "
            "WHERE t.tgrelid = ANY(%s::regclass[]) AND t.tgisinternal AND t.tgenabled <> 'D' "
            "AND t.tgfoid = 'pg_catalog.\"RI_FKey_check_ins\"'::regproc ORDER BY 1, 2",
            [tables],
        )
        switched = cursor.fetchall()
        # A table with checks still queued by this transaction (an outer one's writes)
        # cannot be altered: run them now, and defer Django's keys again.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        last = {}
        for table in tables:
            # After the lock below: no row of another writer commits in between.
            cursor.execute(f"LOCK TABLE {_quote(table)} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {_quote(table)}")  # noqa: S608
            last[table] = cursor.fetchone()[0]
        for table, trigger in switched:
            cursor.execute(f"ALTER TABLE {_quote(table)} DISABLE TRIGGER {_quote(trigger)}")
    return switched, last


def _check_reference(
    cursor, name: str, table: str, column: str, target: str, to: str, *, after: int
) -> None:
    """Lock the rows of `target` that the rows of `table` with ids above `after` refer to
    (FOR KEY SHARE), and raise IntegrityError, as PostgreSQL words it, when one is missing."""
    col = f"c.{_quote(column)}"
    written = f"{_quote(table)} c WHERE c.id > %s AND {col} IS NOT NULL"
    # The distinct values referred to, then their rows locked by index (= ANY: a batch's
    # few thousand rows of a large table are not worth a scan of it); one locked per value
    # when none is missing. A row deleted by another transaction before the lock is missing
    # here; one deleted after waits for this transaction's end.
    cursor.execute(
        f"WITH w AS MATERIALIZED (SELECT ARRAY(SELECT DISTINCT {col} FROM {written}) AS ids) "  # noqa: S608
        f"SELECT cardinality(w.ids), (SELECT COUNT(*) FROM (SELECT 1 FROM {_quote(target)} t "
        f"WHERE t.{_quote(to)} = ANY(w.ids) FOR KEY SHARE OF t) AS l) FROM w",
        [after],
    )
    wanted, locked = cursor.fetchone()
    if wanted == locked:
        return
    cursor.execute(
        f"SELECT {col} FROM {written} AND NOT EXISTS "  # noqa: S608 (catalogue names)
        f"(SELECT 1 FROM {_quote(target)} t WHERE t.{_quote(to)} = {col}) LIMIT 1",
        [after],
    )
    missing = cursor.fetchone()
    raise IntegrityError(
        f'insert or update on table "{table}" violates foreign key constraint "{name}"\n'
        f"DETAIL:  Key ({column})=({missing[0] if missing else '?'}) is not present in table "
        f'"{target}".'
    )


def _recency(ids: np.ndarray, newest: int) -> np.ndarray:
    """Return each fingerprinted record's weight in its people's fingerprints: a record `age`
    years older than the newest counts 1 / (1 + age / HALF_WEIGHT_YEARS); undated (or
    future-dated) records count as HALF_WEIGHT_YEARS old."""
    ages = np.full(len(ids), float(HALF_WEIGHT_YEARS))
    rows = Article.objects.filter(year__isnull=False, year__lte=newest).order_by()
    for pk, year in rows.values_list("pk", "year").iterator(chunk_size=STREAM_ROWS):
        at = int(np.searchsorted(ids, pk))
        if at < len(ids) and ids[at] == pk:
            ages[at] = newest - year
    return 1.0 / (1.0 + ages / HALF_WEIGHT_YEARS)


def _owners(sql: str, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (owner ids ascending, each pair's owner row, each pair's record row) for the
    (owner, article) pairs `sql` selects, of fingerprinted records only."""
    owners, records = [], []
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(STREAM_ROWS):
            pairs = np.array(rows, dtype=np.int64)
            at = np.minimum(np.searchsorted(ids, pairs[:, 1]), max(len(ids) - 1, 0))
            known = (ids[at] == pairs[:, 1]) if len(ids) else np.zeros(len(pairs), bool)
            owners.append(pairs[known, 0])
            records.append(at[known])
    owner = np.concatenate(owners) if owners else np.zeros(0, np.int64)
    record = np.concatenate(records) if records else np.zeros(0, np.int64)
    unique, row = np.unique(owner, return_inverse=True)
    return unique, row, record


def _aggregate(model, owner: str, owners, recency: np.ndarray, weights) -> None:
    """Sum the records' concept weights per owner, recent records counting more, and store
    each owner's strongest MAX_PERSON_CONCEPTS as percents of their strongest.

    A product of sparse matrices (owners x records, weighted by recency, times records x
    concepts), a slice of owners at a time: the same sums as a GROUP BY over the join of
    every authorship with every fingerprint row (87 million rows at 1M records), without
    the database sorting them."""
    unique, row, record = owners
    model.objects.all().delete()
    if not len(unique):
        return
    shape = (len(unique), weights.shape[0])
    scaled = sparse.csr_matrix((recency[record], (row, record)), shape=shape)
    counted = sparse.csr_matrix((np.ones(len(row)), (row, record)), shape=shape)
    present = weights.copy()
    present.data[:] = 1.0
    # Owners per slice: about PEOPLE_WORK products (their records' concepts) each.
    cost = np.cumsum(counted @ np.diff(weights.indptr).astype(np.float64))
    first = 0
    while first < len(unique):
        last = int(np.searchsorted(cost, (cost[first - 1] if first else 0.0) + PEOPLE_WORK))
        last = max(last, first + 1)
        scores = (scaled[first:last] @ weights).tocsr()
        counts = (counted[first:last] @ present).tocsr()
        scores.sort_indices()
        counts.sort_indices()
        insert_values(
            model,
            [owner, "concept_id", "score", "weight", "records"],
            _strongest(unique[first:last], scores, counts),
        )
        first = last


def _strongest(owner_ids: np.ndarray, scores, counts) -> list[tuple]:
    """Return rows (owner, concept, score, percent of the owner's strongest, records) of each
    owner's MAX_PERSON_CONCEPTS strongest concepts, ties by the smaller concept id."""
    row = np.repeat(np.arange(scores.shape[0]), np.diff(scores.indptr))
    concept, score = scores.indices, scores.data
    # The same pattern (all weights are positive): counts line up with scores entry by entry.
    records = counts.data
    order = np.lexsort((concept, -score, row))
    row, concept, score, records = row[order], concept[order], score[order], records[order]
    start = np.searchsorted(row, row, "left")
    keep = np.arange(len(row)) - start < MAX_PERSON_CONCEPTS
    strongest = score[start]
    return list(
        zip(
            owner_ids[row[keep]].tolist(),
            concept[keep].tolist(),
            score[keep].tolist(),
            (100.0 * score[keep] / strongest[keep]).tolist(),
            np.rint(records[keep]).astype(np.int64).tolist(),
            strict=True,
        )
    )


def _roomy(cursor) -> None:
    """Let PostgreSQL sort and hash a whole catalogue's aggregates in memory for this
    transaction (the default 4 MB spills tens of millions of rows to disk)."""
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL work_mem = '256MB'")


def _main_subjects() -> None:
    """Set each concept's subject group: the subject area its records most often have (ties:
    the smaller id); one set-based pass, writing only the concepts whose group changes."""
    chosen = (
        "SELECT concept_id, subjectarea_id FROM (SELECT t.concept_id, s.subjectarea_id, "
        "ROW_NUMBER() OVER (PARTITION BY t.concept_id ORDER BY COUNT(*) DESC, "
        "s.subjectarea_id) AS rank FROM catalogue_articletopic t "
        "JOIN catalogue_article_subject_areas s ON s.article_id = t.article_id "
        "GROUP BY t.concept_id, s.subjectarea_id) ranked WHERE rank = 1"
    )
    with connection.cursor() as cursor:
        _roomy(cursor)
        cursor.execute(
            f"UPDATE catalogue_topicconcept SET main_subject_id = m.subjectarea_id "  # noqa: S608
            f"FROM ({chosen}) m WHERE catalogue_topicconcept.id = m.concept_id "
            f"AND catalogue_topicconcept.main_subject_id IS DISTINCT FROM m.subjectarea_id"
        )
        cursor.execute(
            "UPDATE catalogue_topicconcept SET main_subject_id = NULL "
            "WHERE main_subject_id IS NOT NULL AND NOT EXISTS (SELECT 1 "
            "FROM catalogue_articletopic t JOIN catalogue_article_subject_areas s "
            "ON s.article_id = t.article_id WHERE t.concept_id = catalogue_topicconcept.id)"
        )


def _analyze(*models) -> None:
    """Refresh PostgreSQL's planner statistics of tables just rewritten in bulk: before
    autovacuum gets to them, the planner reads 300,000 new rows as none and joins them with
    nested loops (minutes instead of milliseconds)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def is_current() -> bool:
    """Return whether a finished refresh covers the catalogue as it is now: no record
    added, changed or removed since its statistics were computed."""
    row = TopicStatistics.objects.order_by("pk").first()
    if row is None or row.computed_at is None or row.phase:
        return False
    articles = Article.objects.all()
    return articles.count() == row.articles and not (
        articles.filter(updated__gt=row.computed_at).exists()
    )


def refresh(
    *,
    restart: bool = False,
    progress: Progress = _quiet,
    on_phase: Callable[[str], None] | None = None,
) -> TopicStatistics:
    """Recompute the statistics and every fingerprint, resuming an interrupted refresh;
    `on_phase` is told each phase as it starts, and "" at the end."""
    started = on_phase or (lambda phase: None)
    row = statistics_row()
    if restart or row.phase not in ("fingerprints", "related", "people"):
        started("statistics")
        row = count_catalogue(progress)
    if row.phase == "fingerprints":
        started("fingerprints")
        row = fingerprint_catalogue(progress)
        _analyze(TopicConcept, ArticleTopic)
    if row.phase == "related":
        started("related")
        row = relate_catalogue(progress)
        _analyze(RelatedArticle)
    if row.phase == "people":
        started("people")
        row = aggregate_people(progress)
        _analyze(AuthorTopic, JournalTopic, TopicConcept)
    started("")
    return row


# The PreparedMentions published, whose mentions update_articles takes.
_published: list[PreparedMentions] = []
_published_lock = threading.Lock()


def _text_key(text: RecordText) -> tuple:
    return (text.title, text.abstract, tuple(text.keywords), tuple(text.subjects))


class PreparedMentions:
    """Records' mentions (the candidate concepts of their text, most of fingerprinting's own
    work) found ahead, in a thread, while the caller waits on the database for other work.

    An import starts one with the texts its new records will have once written and works on
    (its COPYs are PostgreSQL's work, during which this process's core is free); `publish()`,
    after its commit, offers them to `update_articles`, which waits for the thread (whose work
    it would otherwise do itself) and takes the mentions of a record read back with the very
    same text (title, abstract, keywords and subject areas, in order) instead of finding them
    again; any other record is done as before, so the fingerprints are the same whatever this
    found. `close()` stops the thread and withdraws them. Nothing here touches the database.
    """

    def __init__(self, records: Iterable[RecordText]) -> None:
        self._records = list(records)
        self._found: dict[tuple, Mentions] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._find, name="topics-prepare", daemon=True)
        self._thread.start()

    def _find(self) -> None:
        try:
            for text in self._records:
                if self._stop.is_set():
                    return
                self._found[_text_key(text)] = mentions(text)
        except Exception:  # only a saving: the records are fingerprinted all the same
            logger.exception("Finding records' mentions ahead failed; found when fingerprinted")

    def publish(self) -> None:
        """Offer the mentions found (and being found) to update_articles."""
        with _published_lock:
            _published.append(self)

    def found(self) -> dict[tuple, Mentions]:
        """Wait for the thread; return the mentions found by record text."""
        self._thread.join()
        return self._found

    def close(self) -> None:
        """Stop the thread and withdraw what it found."""
        self._stop.set()
        self._thread.join()
        with _published_lock:
            if self in _published:
                _published.remove(self)
        self._found = {}
        self._records = []


def _take_prepared(records: Iterable[RecordText]) -> None:
    """Give records whose very text was prepared (PreparedMentions) their mentions."""
    if not _published:
        return
    with _published_lock:
        prepared = list(_published)
    for preparer in prepared:
        found = preparer.found()
        for text in records:
            if text.found is None:
                text.found = found.get(_text_key(text))


def update_articles(ids: Iterable[int]) -> int:
    """Fingerprint these new or updated records against the stored statistics and store
    their related records; return how many were fingerprinted.

    The catalogue statistics and other records' lists stay as they are until the next
    refresh_topics (recounting the catalogue per saved record would cost a full pass).
    """
    ids = sorted(set(ids))
    if not ids:
        return 0
    count = 0
    for start in range(0, len(ids), BATCH_SIZE):
        found = texts(ids[start : start + BATCH_SIZE])
        _take_prepared(found.values())
        keys: set[str] = set()
        for text in found.values():
            keys |= record_keys(text)[0]
        stats = load_statistics(keys)
        prints = {pk: weigh(text, stats) for pk, text in found.items()}
        write_fingerprints(prints)
        _relate_from_index([pk for pk, items in prints.items() if items])
        count += len(prints)
    return count


def _relate_from_index(ids: list[int]) -> None:
    """Store related records of these records from the database's inverted index, at a cost
    per record bounded whatever the catalogue's size.

    For each concept of the records (those in at most MAX_POSTINGS records, as a refresh
    counts them), only its INDEX_POSTINGS strongest postings are read; the CANDIDATES records
    scoring best on those are then scored exactly on their whole fingerprints. A record related
    only through weak postings of each concept it shares can be missed (docs/topics.md gives
    the agreement with a refresh); the cosines listed are exact.
    """
    RelatedArticle.objects.filter(article_id__in=ids).delete()
    vectors = _stored_vectors(ids)
    searched = _searched_concepts({c for vector in vectors.values() for c in vector})
    postings = _strongest_postings(sorted(searched))
    candidates: dict[int, list[int]] = {}
    for pk, vector in vectors.items():
        partial: dict[int, float] = {}
        for concept, unit in vector.items():
            for other, weight in postings.get(concept, ()):
                if other != pk:
                    partial[other] = partial.get(other, 0.0) + unit * weight
        best = heapq.nlargest(CANDIDATES, partial.items(), key=lambda item: (item[1], -item[0]))
        candidates[pk] = [other for other, _ in best]
    wanted = {other for others in candidates.values() for other in others} - set(vectors)
    vectors.update(_stored_vectors(sorted(wanted)))
    rows: list[tuple[int, int, float, list[int]]] = []
    for pk, others in candidates.items():
        vector = vectors[pk]
        scored = []
        for other in others:
            theirs = vectors.get(other, {})
            score = sum(
                unit * theirs[concept]
                for concept, unit in vector.items()
                if concept in searched and concept in theirs
            )
            scored.append((score, other))
        for score, other in heapq.nlargest(MAX_RELATED, scored, key=lambda i: (i[0], -i[1])):
            if score >= SIMILARITY_FLOOR:
                rows.append((pk, other, score, shared_concepts(vector, vectors[other], {})))
    labels = _labels(concept for *_, concepts in rows for concept in concepts)
    insert_values(
        RelatedArticle,
        _RELATED_FIELDS,
        [
            (pk, other, round(score, 4), "; ".join(labels.get(c, str(c)) for c in concepts))
            for pk, other, score, concepts in rows
        ],
    )


def _stored_vectors(ids: Sequence[int]) -> dict[int, dict[int, float]]:
    """Return these records' stored fingerprints as unit weights by concept id."""
    vectors: dict[int, dict[int, float]] = {}
    for article, concept, unit in _select_in(
        "SELECT article_id, concept_id, unit FROM catalogue_articletopic WHERE article_id {member}",
        ids,
    ):
        vectors.setdefault(article, {})[concept] = unit
    return vectors


def _searched_concepts(concepts: set[int]) -> set[int]:
    """Return those of `concepts` in at most MAX_POSTINGS stored fingerprints (the refresh's
    rule), counting at most MAX_POSTINGS + 1 postings of each: a bounded index-only scan."""
    # A concept in fewer records' texts than the bound is in fewer fingerprints too.
    maybe_common = [
        pk
        for (pk,) in _select_in(
            "SELECT id FROM catalogue_topicconcept WHERE document_frequency > %s AND id {member} "
            "ORDER BY id",
            sorted(concepts),
            [MAX_POSTINGS],
        )
    ]
    with connection.cursor() as cursor:
        counted = union_all(
            cursor,
            "SELECT %s, (SELECT COUNT(*) FROM (SELECT 1 FROM catalogue_articletopic "
            "WHERE concept_id = %s LIMIT %s) AS p{i})",
            maybe_common,
            lambda concept: (concept, concept, MAX_POSTINGS + 1),
        )
    return concepts - {concept for concept, n in counted if n > MAX_POSTINGS}


def _strongest_postings(concepts: list[int]) -> dict[int, list[tuple[int, float]]]:
    """Return each concept's INDEX_POSTINGS strongest postings (article id, unit), read from
    the (concept, -unit) index: a bounded range scan per concept."""
    postings: dict[int, list[tuple[int, float]]] = {}
    with connection.cursor() as cursor:
        rows = union_all(
            cursor,
            "SELECT * FROM (SELECT concept_id, article_id, unit FROM catalogue_articletopic "
            "WHERE concept_id = %s ORDER BY unit DESC, article_id LIMIT %s) AS p{i}",
            concepts,
            lambda concept: (concept, INDEX_POSTINGS),
        )
    for concept, article, unit in rows:
        postings.setdefault(concept, []).append((article, unit))
    return postings
