"""The reference for the search benchmark: Tantivy over the catalogue's own articles.

    from tantivy_peer import PeerQuery, open_peer
    peer = open_peer(directory=None)        # built once per catalogue, cached under /tmp
    answer = peer.answer(PeerQuery(words=("alliance",), include={"type": ("article",)}))
    answer.total, answer.top, answer.facets["journal"]  # exact count, top 20 ids, exact counts

Needs Django set up on the catalogue (bench/databases.open_catalogue, or the test database): the
articles are read with plain SQL that both backends run. The index lives in
/tmp/catalogue-tantivy/<fingerprint>/, the fingerprint naming the database, its index
generation (any change to the catalogue takes a new one), its article count and this file's
SCHEMA_VERSION: a changed catalogue is indexed afresh, an unchanged one opened in a second.

What is indexed, and how words and phrases are analysed, is the catalogue's own embedded
index's definition (catalogue/search/tantivy/schema.py and queries.py: one definition for both):
four text fields boosted as ts_rank's weights, the catalogue's analyzer, fast fields for every
facet. The peer reads each article's facet values from the article's own tables (both
backends) where the engine reads catalogue_search's columns; SCHEMA_VERSION there is part of
the fingerprint here.

Known differences from PostgreSQL's text search (they change counts only where a document has
such a token; the benchmark reports each disagreement with its words' lexemes on both sides):

- PostgreSQL's parser keeps "40.5", "covid-19", e-mail addresses, hosts and paths as tokens of
  their own (plus, for hyphenated words, their parts); the simple tokenizer splits them at
  every character that is no letter or digit. A query of plain words matches the same
  documents either way; a query for "40.5" would not (the benchmark draws words of letters).
  A hyphenated word of letters takes one position before its parts here too (schema 5), as
  the whole word does there, so phrases next to one match alike.
- The peer asks Tantivy's own phrase query (the words' positions); the catalogue asks its
  pairs fields (schema.PAIR_FIELDS) for phrases of consecutive words: the same matches.
- A phrase lies within one title, keyword, abstract, name or key on both sides (PostgreSQL
  since migration 0028: 400 positions between two values; here schema.VALUE_GAP stop-word
  positions besides Tantivy's one, so a phrase with stop words inside spanning up to
  VALUE_GAP + 1 positions stays within one value; the catalogue sends longer ones to
  PostgreSQL, the peer does not). A peer index built before VALUE_GAP (cached under
  CACHE_ROOT) lacks the gap: delete it to rebuild.
- The stemmers' versions may differ on rare words (PostgreSQL 15 ships Snowball 2.x).
"""

from __future__ import annotations

import hashlib
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import tantivy

from catalogue.search.tantivy.queries import Builder
from catalogue.search.tantivy.schema import (
    FACET_FIELDS,
    SCHEMA_VERSION,
    TEXT_FACETS,
    Record,
    create_index,
    document,
    open_index,
)

CACHE_ROOT = Path("/tmp/catalogue-tantivy")  # noqa: S108 -- a benchmark's scratch index
CHUNK = 50_000
HEAP = 3_900_000_000
# Candidates each segment returns to a terms aggregation: its top values are exact when no
# segment cut off a value that could be among them (checked: doc_count_error_upper_bound).
SEGMENT_SIZE = 1_000
# Buckets asked of a terms aggregation; more values than this are counted by a query each.
FACET_SIZE = {"year": 1000, "type": 50, "language": 50, "peer_reviewed": 2}
DEFAULT_FACET_SIZE = 50


@dataclass(frozen=True)
class PeerQuery:
    """A search as the peer answers it: every word and phrase must match, no excluded one."""

    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    include: dict[str, tuple] = field(default_factory=dict)
    exclude: dict[str, tuple] = field(default_factory=dict)
    year_min: int | None = None
    year_max: int | None = None

    @property
    def has_text(self) -> bool:
        return bool(self.words or self.phrases)

    def without(self, facet: str) -> PeerQuery:
        """Return the query without `facet`'s selections (the context its counts are over)."""
        if facet == "year":
            return PeerQuery(self.words, self.phrases, self.excluded, self.include, self.exclude)
        return PeerQuery(
            self.words,
            self.phrases,
            self.excluded,
            {k: v for k, v in self.include.items() if k != facet},
            {k: v for k, v in self.exclude.items() if k != facet},
            self.year_min,
            self.year_max,
        )

    @property
    def is_everything(self) -> bool:
        """Whether nothing narrows the search: the whole catalogue."""
        return not self.has_text and not self.excluded and not self.selected

    @property
    def selected(self) -> set[str]:
        names = set(self.include) | set(self.exclude)
        if self.year_min is not None or self.year_max is not None:
            names.add("year")
        return names


@dataclass
class PeerAnswer:
    """The exact total, the top ids (relevance, or newest without words) and facet counts."""

    total: int
    top: list[int]
    # facet -> {value: count}: every value a terms aggregation returned (its top values).
    facets: dict[str, dict]
    # facet -> the query its counts are over (the search without the facet's own selection).
    contexts: dict[str, object]
    seconds: float


# --- Reading the catalogue -----------------------------------------------------------------------


def fingerprint(connection) -> str:
    """Return a key naming this catalogue's current contents (and this peer's schema)."""
    from catalogue.search import search_generation

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), max(id) FROM catalogue_article")
        count, top = cursor.fetchone()
    text = repr((SCHEMA_VERSION, connection.settings_dict["NAME"], search_generation(), count, top))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _name(parts: tuple) -> str:
    return " ".join(part for part in parts if part)


def read_articles(connection):
    """Yield (article row, [(keyword id, term)], [name], {author id}, {subject id}) by id.

    Plain SQL both backends run, in id ranges, so a million articles stream.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM catalogue_article")
        low, high = cursor.fetchone()
    if low is None:
        return
    for start in range(low, high + 1, CHUNK):
        end = start + CHUNK - 1
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, title, abstract, citation_key, year, month, day, output_type, "
                "language, peer_reviewed, journal_id FROM catalogue_article "
                "WHERE id BETWEEN %s AND %s ORDER BY id",
                [start, end],
            )
            articles = cursor.fetchall()
            cursor.execute(
                "SELECT ak.article_id, ak.keyword_id, k.term FROM catalogue_article_keywords ak "
                "JOIN catalogue_keyword k ON k.id = ak.keyword_id "
                "WHERE ak.article_id BETWEEN %s AND %s ORDER BY ak.article_id, ak.keyword_id",
                [start, end],
            )
            keywords: dict[int, list] = {}
            for article_id, keyword_id, term in cursor.fetchall():
                keywords.setdefault(article_id, []).append((keyword_id, term))
            cursor.execute(
                "SELECT au.article_id, au.author_id, au.given_names, au.particle, "
                "au.family_name, au.suffix, au.corporate_name, p.given_names, p.particle, "
                "p.family_name, p.suffix, p.corporate_name FROM catalogue_authorship au "
                "JOIN catalogue_author p ON p.id = au.author_id "
                "WHERE au.article_id BETWEEN %s AND %s ORDER BY au.article_id, au.position, au.id",
                [start, end],
            )
            names: dict[int, list] = {}
            authors: dict[int, set] = {}
            for row in cursor.fetchall():
                printed, person = tuple(row[2:7]), tuple(row[7:12])
                # The name as printed, then the person's when it differs: each a value of its
                # own, as the catalogue's index holds them (schema 4, migration 0028).
                names.setdefault(row[0], []).append(_name(printed))
                if printed != person:
                    names[row[0]].append(_name(person))
                authors.setdefault(row[0], set()).add(row[1])
            cursor.execute(
                "SELECT article_id, subjectarea_id FROM catalogue_article_subject_areas "
                "WHERE article_id BETWEEN %s AND %s",
                [start, end],
            )
            subjects: dict[int, set] = {}
            for article_id, subject_id in cursor.fetchall():
                subjects.setdefault(article_id, set()).add(subject_id)
        for row in articles:
            article_id = row[0]
            yield (
                row,
                keywords.get(article_id, []),
                names.get(article_id, []),
                authors.get(article_id, set()),
                subjects.get(article_id, set()),
            )


def _document(row, keywords, names, authors, subjects) -> tantivy.Document:
    """Return the catalogue's own document definition (catalogue/search/tantivy/schema.py) of
    an article read by read_articles, its facet values from the article's own tables."""
    (article_id, title, abstract, key, year, month, day, output_type, language, peer, journal) = row
    date_key = None if year is None else year * 10000 + (month or 0) * 100 + (day or 0)
    return document(
        Record(
            article_id=article_id,
            title=title or "",
            keywords=[term for _, term in keywords],
            abstract=abstract or "",
            names=names,
            citation_key=key or "",
            year=year,
            date_key=date_key,
            output_type=output_type or "",
            language=language or "",
            peer_reviewed=bool(peer),
            journal_id=journal,
            keyword_ids=[keyword_id for keyword_id, _ in keywords],
            author_ids=sorted(authors),
            subject_ids=sorted(subjects),
        )
    )


def build_index(connection, directory: Path, *, log=print) -> int:
    """Index every article of the catalogue into `directory` (emptied first); return count."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    index = create_index(str(directory))
    # One thread and the largest heap Tantivy takes: few segments (one up to about a million
    # articles), so that a terms aggregation's top values are exact from each segment's top
    # values (doc_count_error_upper_bound is checked on every answer).
    writer = index.writer(heap_size=HEAP, num_threads=1)
    started, count = time.perf_counter(), 0
    for parts in read_articles(connection):
        writer.add_document(_document(*parts))
        count += 1
        if count % 200_000 == 0:
            log(f"  tantivy: {count:,} articles indexed ({time.perf_counter() - started:.0f} s)")
    writer.commit()
    writer.wait_merging_threads()
    (directory / "DONE").write_text(str(count))
    log(f"  tantivy: {count:,} articles indexed in {time.perf_counter() - started:.0f} s")
    return count


def open_peer(*, directory: Path | None = None, connection=None, log=print) -> Peer:
    """Return the peer over the current catalogue, indexing it first unless cached."""
    if connection is None:
        from django.db import connection
    if directory is None:
        directory = CACHE_ROOT / fingerprint(connection)
    built = False
    if not (directory / "DONE").exists():
        build_index(connection, directory, log=log)
        built = True
    index = open_index(str(directory))
    index.reload()
    return Peer(index, directory=directory, built=built)


# --- Answering -----------------------------------------------------------------------------------


class Peer:
    """Answers PeerQuery: exact total, the top 20, every facet's exact counts."""

    def __init__(self, index: tantivy.Index, *, directory: Path, built: bool) -> None:
        self.index = index
        self.schema = index.schema
        self.searcher = index.searcher()
        # Tantivy's own phrase query over the words' positions (the catalogue asks its pairs
        # fields): the reference is what Tantivy does unaided.
        self.builder = Builder(self.schema, pairs=False)
        self.directory = directory
        self.built = built
        self._everything: dict[str, dict] | None = None

    def tokens(self, text: str) -> list[str]:
        """Return the index terms of `text` (lower case, folded, stop words out, stemmed)."""
        return self.builder.tokens(text)

    def _word(self, word: str) -> tantivy.Query | None:
        return self.builder.word(word)

    def _phrase(self, phrase: str) -> tantivy.Query | None:
        return self.builder.phrase(phrase)

    def _selection(self, facet: str, values) -> tantivy.Query:
        return self.builder.selection(facet, values)

    def query(self, search: PeerQuery) -> tantivy.Query:
        """Return the Tantivy query of `search`: words scored, selections as filters."""
        clauses: list[tuple] = []
        for word in search.words:
            query = self._word(word)
            if query is not None:
                clauses.append((tantivy.Occur.Must, query))
        for phrase in search.phrases:
            query = self._phrase(phrase)
            if query is not None:
                clauses.append((tantivy.Occur.Must, query))
        for word in search.excluded:
            query = self._phrase(word) if " " in word else self._word(word)
            if query is not None:
                clauses.append((tantivy.Occur.MustNot, query))
        filters = []
        for facet, values in search.include.items():
            filters.append((tantivy.Occur.Must, self._selection(facet, values)))
        for facet, values in search.exclude.items():
            filters.append((tantivy.Occur.MustNot, self._selection(facet, values)))
        if search.year_min is not None or search.year_max is not None:
            filters.append(
                (tantivy.Occur.Must, self.builder.years(search.year_min, search.year_max))
            )
        return self.builder.combine(clauses, filters)

    def _aggregation(self, facets: list[str], *, segment_size: int = SEGMENT_SIZE) -> dict:
        return {
            facet: {
                "terms": {
                    "field": FACET_FIELDS[facet],
                    "size": FACET_SIZE.get(facet, DEFAULT_FACET_SIZE),
                    "segment_size": segment_size,
                }
            }
            for facet in facets
        }

    def answer(self, search: PeerQuery, *, limit: int = 20, offset: int = 0) -> PeerAnswer:
        """Return the exact total, `limit` ids from `offset` and every facet's counts.

        By relevance with words, else newest first (as the catalogue sorts by default).
        """
        started = time.perf_counter()
        query = self.query(search)
        if search.has_text:
            result = self.searcher.search(query, limit, count=True, offset=offset)
        else:
            result = self.searcher.search(
                query,
                limit,
                count=True,
                order_by_field="date_key",
                order=tantivy.Order.Desc,
                offset=offset,
            )
        addresses = [address for _, address in result.hits]
        top = self.searcher.fast_field_values("article_id", addresses) if addresses else []
        selected = search.selected
        contexts: dict[str, object] = {}
        facets: dict[str, dict] = {}
        plain = [facet for facet in FACET_FIELDS if facet not in selected]
        jobs = [(plain, search, query)] if plain else []
        for facet in FACET_FIELDS:
            if facet in selected:
                context = search.without(facet)
                jobs.append(([facet], context, self.query(context)))
        for names, context, context_query in jobs:
            if context.is_everything:
                counted = self.everything()
            else:
                counted = self._counts(context_query, names)
            for name in names:
                facets[name] = counted[name]
                contexts[name] = context
        return PeerAnswer(
            total=result.count,
            top=[int(value) for value in top],
            facets=facets,
            contexts=contexts,
            seconds=time.perf_counter() - started,
        )

    def _counts(self, query: tantivy.Query, names: list[str]) -> dict[str, dict]:
        aggregated = self.searcher.aggregate(query, self._aggregation(names))
        inexact = [n for n in names if aggregated[n].get("doc_count_error_upper_bound", 0)]
        if inexact:
            # A segment cut off candidates: count again with every value of every segment.
            aggregated.update(
                self.searcher.aggregate(query, self._aggregation(inexact, segment_size=10**7))
            )
        counts = {}
        for name in names:
            buckets = aggregated[name]
            if buckets.get("doc_count_error_upper_bound", 0):
                raise RuntimeError(f"{name}: counts not exact ({buckets})")
            counts[name] = {
                _key(name, bucket["key"]): bucket["doc_count"] for bucket in buckets["buckets"]
            }
        return counts

    def everything(self) -> dict[str, dict]:
        """Return the whole catalogue's facet counts, counted once and kept.

        The catalogue keeps the same counts in a table (catalogue_search_facet, maintained by
        its triggers) for browsing and for a selected facet's other values with nothing else
        selected; an index that never changes between queries may keep them as well.
        """
        if self._everything is None:
            self._everything = self._counts(tantivy.Query.all_query(), list(FACET_FIELDS))
        return self._everything

    def count_value(self, context: PeerQuery, facet: str, value) -> int:
        """Return the exact number of matches of `context` with `facet` = `value`."""
        query = self.query(context)
        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, query), (tantivy.Occur.Must, self._selection(facet, [value]))]
        )
        return self.searcher.search(query, 1, count=True).count


def _key(facet: str, key):
    """Return an aggregation bucket's key as the catalogue's API gives the value's id."""
    if facet == "peer_reviewed":
        return bool(key)
    if facet in TEXT_FACETS:
        return str(key)
    return int(key)
