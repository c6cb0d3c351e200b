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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import tantivy

from catalogue.search.query import STOP_WORDS

# Bump when the schema or the analyzer changes: an index of another version is rebuilt.
SCHEMA_VERSION = 4
TEXT_FIELDS = {"title": 1.0, "keywords": 0.5, "abstract": 0.2, "names": 0.2}
ANALYZER = "catalogue"
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
    """Return the analyzer without stop words and stemming: a phrase's word positions."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(255))
        .filter(tantivy.Filter.lowercase())
        .build()
    )


def build_schema() -> tantivy.Schema:
    """Return the index schema (text fields, facet fast fields, sort keys)."""
    builder = tantivy.SchemaBuilder()
    for name in TEXT_FIELDS:
        builder.add_text_field(name, tokenizer_name=ANALYZER, index_option="position")
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
    return index


def create_index(directory: str) -> tantivy.Index:
    """Return a new empty index in `directory` (which must exist and be empty)."""
    index = tantivy.Index(build_schema(), path=directory)
    index.register_tokenizer(ANALYZER, analyzer())
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


def document(record: Record) -> tantivy.Document:
    """Return the Tantivy document of `record`."""
    doc = tantivy.Document()
    article_id = record.article_id
    doc.add_unsigned("article_id", article_id)
    doc.add_text("title", TAG.sub(" ", record.title or ""))
    # A keyword, a name, the citation key: each a value of its own, VALUE_GAP positions
    # apart, so that a phrase lies within one of them.
    for n, term in enumerate(record.keywords):
        doc.add_text("keywords", _value(TAG.sub(" ", term), n))
    doc.add_text("abstract", TAG.sub(" ", record.abstract or ""))
    names = [*record.names, *([record.citation_key] if record.citation_key else [])]
    for n, name in enumerate(names):
        doc.add_text("names", _value(TAG.sub(" ", name), n))
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
