"""The embedded index's definition, shared by the engine and bench/tantivy_peer.py.

What is indexed, as catalogue_search's document (catalogue/search/sql/postgres/
catalogue_search_source.v3.sql) and facet columns hold it:

- four text fields searched together: `title`, `keywords` (each term a value), `abstract`
  and `names` (each authorship's name as printed, then its person's when that differs, each
  a value of its own since schema 4, as migration 0028 keeps them apart for phrases; then the
  citation key). HTML tags are dropped, as PostgreSQL's parser
  skips them. Relevance: BM25 with the fields boosted 1.0 / 0.5 / 0.2 / 0.2, the catalogue's
  ts_rank weights for A / B / C / D.
- one analyzer: runs of letters and digits, lower case, ASCII folding (PostgreSQL: unaccent),
  PostgreSQL's English stop words (query.STOP_WORDS), the Snowball English stemmer (the
  algorithm of PostgreSQL's english_stem).
- fast fields for every facet (absent for no value: a journal, a language, a year), the
  `citation_key` as typed (a term of the search equal to it ranks the record first), and
  three sort keys that make every sort a single fast-field order with the statement's ties:
  `newest` and `oldest` (date key and article id in one integer) and `title_sort`.
- since schema 5, a pairs field beside each text field (`title_pairs`, ...): every two
  neighbouring words of a value as one term ("climat_chang"), at the first word's position,
  so that a phrase of consecutive words is one term (two words) or a phrase of those terms
  (more) instead of a phrase of words whose positions are read for every article having all
  of them (queries.Builder.phrase). And a hyphenated word ("data-driven") takes one position
  before its parts, as PostgreSQL's parser gives the whole word a position of its own.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

import tantivy

from catalogue.search.query import STOP_WORDS

# Bump when the schema or the analyzer changes: an index of another version is rebuilt (until
# then PostgreSQL answers). 5: the pairs fields, and a position for a hyphenated word.
SCHEMA_VERSION = 5
TEXT_FIELDS = {"title": 1.0, "keywords": 0.5, "abstract": 0.2, "names": 0.2}
ANALYZER = "catalogue"
# Each text field's pairs field (its boost is the text field's) and their analyzer: the terms
# are written out in Python (pairs_text), split at spaces; PAIR_FILLER marks a position without
# a pair (a stop word between, or a value's gap) and is dropped, its position kept.
PAIR_FIELDS = {name: f"{name}_pairs" for name in TEXT_FIELDS}
PAIR_ANALYZER = "catalogue_pairs"
PAIR_FILLER = "a"
# The facets as the catalogue names them (catalogue/search/facets.py) -> field.
FACET_FIELDS = {
    "year": "year",
    "type": "output_type",
    "journal": "journal_id",
    "author": "author_ids",
    "keyword": "keyword_ids",
    "subject": "subject_ids",
    "language": "language",
    "peer_reviewed": "peer_reviewed",
}
TEXT_FACETS = {"type", "language"}
# An HTML tag as PostgreSQL's parser recognises one (a "<" not followed by a letter or "/" is
# text: "p < 0.05").
TAG = re.compile(r"</?[A-Za-z][^<>]*>")
# Positions left between two values of a field (a keyword, a name), besides Tantivy's own one:
# each value after the first starts with this many stop words, which the analyzer drops but
# whose positions it keeps, so a phrase spanning up to VALUE_GAP + 1 positions (stop words
# inside included) never runs from one value into the next, as PostgreSQL's 400-position gap
# (migration 0028) keeps it. Longer phrases go to PostgreSQL (queries.Builder.phrase_fits).
# Dropped tokens count neither in a field's length (BM25) nor in its positions' end.
VALUE_GAP = 32
_GAP_TEXT = "a " * VALUE_GAP
# A hyphenated word of letters ("data-driven", "state-of-the-art"): PostgreSQL's parser gives
# the whole word a position and its parts the next ones, so "novel data" does not match "novel
# data-driven" there. A stop word put before it takes that position here. (With digits the
# parser's rules differ, "covid-19" being a word and a number: such documents are among the
# differences docs/search-index.md lists.)
HYPHENATED = re.compile(r"(?<![^\W_])(?<!-)[^\W\d_]+(?:-[^\W\d_]+)+(?![^\W_])")
# The date key of an article without a year sorts last both ways (NULLS LAST).
_ID_BITS = 32
_NO_DATE_OLDEST = 99_999_999


def analyzer() -> tantivy.TextAnalyzer:
    """Return the text analyzer closest to the catalogue's PostgreSQL configuration."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(255))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.custom_stopword(sorted(STOP_WORDS)))
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def plain_analyzer() -> tantivy.TextAnalyzer:
    """Return the analyzer's tokens before any is dropped: one a position (Words.stems)."""
    return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).build()


def pair_analyzer() -> tantivy.TextAnalyzer:
    """Return the pairs fields' analyzer: the written-out terms, fillers dropped."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
        .filter(tantivy.Filter.custom_stopword([PAIR_FILLER]))
        .build()
    )


class Words:
    """The index terms of a text at their positions, as the analyzer gives them.

    `stems` returns one entry a position of the simple tokenizer: the token's term, or "" for
    a token the analyzer drops (a stop word, one of 255 bytes or more), whose position stays.
    The text is analysed once without stemming (lower case, folded), and each folded token's
    term looked up in the terms seen so far (a catalogue's vocabulary; forgotten past MEMORY),
    or else stemmed by the analyzer; a text with a long token is analysed token by token (the
    analyzer itself says what it drops).
    """

    MEMORY = 200_000
    # A folded token of at most this many characters is under 255 bytes as written (a
    # character is at most 4 bytes, and lower-casing and folding never shorten a token).
    SHORT = 60

    def __init__(self) -> None:
        self._analyzer = analyzer()
        self._plain = plain_analyzer()
        self._folded = (
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.ascii_fold())
            .build()
        )
        self._terms: dict[str, str] = {}

    def stems(self, text: str) -> list[str]:
        """Return the term at each position of `text` ("" where none)."""
        folded = self._folded.analyze(text)
        if folded and max(map(len, folded)) > self.SHORT:
            return self._one_by_one(text)
        terms = self._terms
        result = []
        for token in folded:
            term = terms.get(token)
            if term is None:
                if not token.isalnum():
                    # Lower-casing made a mark of a letter ("İ": "i" and a combining dot),
                    # which the tokenizer would split: the analyzer must see the token whole.
                    return self._one_by_one(text)
                # A folded token analyses to itself stemmed, or to nothing (a stop word).
                term = next(iter(self._analyzer.analyze(token)), "")
                if len(terms) >= self.MEMORY:
                    terms.clear()
                terms[token] = term
            result.append(term)
        return result

    def _one_by_one(self, text: str) -> list[str]:
        return [
            next(iter(self._analyzer.analyze(token)), "") for token in self._plain.analyze(text)
        ]

    def pairs_text(self, text: str) -> str:
        """Return the pairs field's text of one value: "a_b" at each position whose word and
        the next are terms, PAIR_FILLER at the others (so positions stay those of the words)."""
        stems = self.stems(text)
        return " ".join(
            f"{first}_{second}" if first and second else PAIR_FILLER
            for first, second in itertools.pairwise(stems)
        )


def pair(first: str, second: str) -> str:
    """Return the pairs fields' term of two neighbouring terms."""
    return f"{first}_{second}"


def build_schema() -> tantivy.Schema:
    """Return the index schema (text fields, facet fast fields, sort keys)."""
    builder = tantivy.SchemaBuilder()
    for name in TEXT_FIELDS:
        builder.add_text_field(name, tokenizer_name=ANALYZER, index_option="position")
    for name in PAIR_FIELDS.values():
        builder.add_text_field(name, tokenizer_name=PAIR_ANALYZER, index_option="position")
    builder.add_unsigned_field("article_id", fast=True, indexed=True)
    builder.add_unsigned_field("date_key", fast=True)
    builder.add_unsigned_field("newest", fast=True)
    builder.add_unsigned_field("oldest", fast=True)
    builder.add_text_field("title_sort", fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("citation_key", tokenizer_name="raw", index_option="basic")
    # catalogue_search.sample (a hash of the id mod 1024): facet counts of a large context
    # from a sample of it. An index built before it existed lacks it (state.json "sample").
    builder.add_unsigned_field("sample", fast=True, indexed=True)
    builder.add_unsigned_field("year", fast=True, indexed=True)
    builder.add_text_field("output_type", fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("language", fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_boolean_field("peer_reviewed", fast=True, indexed=True)
    for name in ("journal_id", "keyword_ids", "author_ids", "subject_ids"):
        builder.add_unsigned_field(name, fast=True, indexed=True)
    return builder.build()


def open_index(directory: str) -> tantivy.Index:
    """Return the index in `directory` with the catalogue's analyzer registered."""
    index = tantivy.Index.open(directory)
    index.register_tokenizer(ANALYZER, analyzer())
    index.register_tokenizer(PAIR_ANALYZER, pair_analyzer())
    return index


def create_index(directory: str) -> tantivy.Index:
    """Return a new empty index in `directory` (which must exist and be empty)."""
    index = tantivy.Index(build_schema(), path=directory)
    index.register_tokenizer(ANALYZER, analyzer())
    index.register_tokenizer(PAIR_ANALYZER, pair_analyzer())
    return index


@dataclass
class Record:
    """One article as indexed: its text values and facet values (catalogue_search's)."""

    article_id: int
    title: str = ""
    keywords: list[str] = field(default_factory=list)
    abstract: str = ""
    names: list[str] = field(default_factory=list)
    citation_key: str = ""
    year: int | None = None
    date_key: int | None = None
    output_type: str = ""
    language: str = ""
    peer_reviewed: bool = False
    journal_id: int | None = None
    keyword_ids: list[int] = field(default_factory=list)
    author_ids: list[int] = field(default_factory=list)
    subject_ids: list[int] = field(default_factory=list)
    title_key: str = ""
    sample: int | None = None


def _value(text: str, n: int) -> str:
    """Return the `n`th value of a field as indexed: after the first, VALUE_GAP positions on."""
    return f"{_GAP_TEXT}{text}" if n else text


def _text(text: str) -> str:
    """Return a value's text as indexed: tags out, a position before each hyphenated word."""
    text = TAG.sub(" ", text)
    if "-" in text:
        text = HYPHENATED.sub(lambda match: f" {PAIR_FILLER} {match.group(0)}", text)
    return text


_words = Words()


def document(record: Record, words: Words | None = None) -> tantivy.Document:
    """Return the Tantivy document of `record` (`words`: the pairs' analyzer, shared)."""
    words = words or _words
    doc = tantivy.Document()
    article_id = record.article_id
    doc.add_unsigned("article_id", article_id)
    # A keyword, a name, the citation key: each a value of its own, VALUE_GAP positions
    # apart, so that a phrase lies within one of them.
    names = [*record.names, *([record.citation_key] if record.citation_key else [])]
    for name, values in (
        ("title", [record.title or ""]),
        ("keywords", record.keywords),
        ("abstract", [record.abstract or ""]),
        ("names", names),
    ):
        for n, value in enumerate(values):
            text = _text(value)
            doc.add_text(name, _value(text, n))
            # Pairs are made within a value, so none spans two: no gap needed.
            doc.add_text(PAIR_FIELDS[name], words.pairs_text(text))
    if record.citation_key:
        doc.add_text("citation_key", record.citation_key)
    date_key = record.date_key
    if record.sample is not None:
        # An index without the field (built before it) ignores it.
        doc.add_unsigned("sample", record.sample)
    if record.year is not None:
        doc.add_unsigned("year", record.year)
    doc.add_unsigned("date_key", date_key or 0)
    # Newest first: date_key DESC NULLS LAST, article_id DESC; oldest: both ASC, NULLS LAST.
    doc.add_unsigned(
        "newest", ((date_key + 1) if date_key is not None else 0) << _ID_BITS | article_id
    )
    oldest = date_key if date_key is not None else _NO_DATE_OLDEST
    doc.add_unsigned("oldest", oldest << _ID_BITS | article_id)
    # title_key ASC, article_id ASC: "\x01" sorts before any character of a key.
    doc.add_text("title_sort", f"{record.title_key}\x01{article_id:012d}")
    if record.output_type:
        doc.add_text("output_type", record.output_type)
    if record.language:
        doc.add_text("language", record.language)
    doc.add_boolean("peer_reviewed", bool(record.peer_reviewed))
    if record.journal_id is not None:
        doc.add_unsigned("journal_id", record.journal_id)
    for name in ("keyword_ids", "author_ids", "subject_ids"):
        for value in sorted(set(getattr(record, name))):
            doc.add_unsigned(name, value)
    return doc
