"""The record every format and citation uses: one article's bibliographic fields, no model.

`ArticleRecord` is the one declaration of the shape. A record is made from a saved article
(`as_record`, using its prefetched authors and keywords) or read from a queryset in batches
(`iter_record_batches`, a few queries per batch and no model objects); both go through
`_record`, so the columns read and the fields derived from them are written down once.

Citation keys are readable and unique within one export: ascii-folded first author family
name + year ("ZilchaMano2017"), then "ZilchaMano2017a", "ZilchaMano2017b" for the next ones
with the same base. The same key is the BibTeX key, the RIS `ID`, the CSL-JSON `id` and the
download's file name.
"""

from __future__ import annotations

import dataclasses
import operator
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from django.db.models import QuerySet

from catalogue.formats.bibtex import Name
from catalogue.models import (
    BIBLIOGRAPHIC_FIELDS,
    Article,
    Authorship,
    OutputType,
    PublicationState,
)
from catalogue.rich_text import plain_text

DEFAULT_BATCH_SIZE = 1000


@dataclass(slots=True)
class ArticleRecord:
    """The fields of one article that citations and exports use, loaded without model objects."""

    pk: int
    output_type: str = OutputType.ARTICLE
    title: str = ""
    abstract: str = ""
    language: str = ""
    journal_title: str = ""
    journal_abbreviation: str = ""
    issns: list[str] = field(default_factory=list)
    publisher: str = ""
    volume: str = ""
    issue: str = ""
    first_page: int | None = None
    last_page: int | None = None
    article_number: str = ""
    number_of_pages: int | None = None
    state: str = PublicationState.PUBLISHED
    year: int | None = None
    month: int | None = None
    day: int | None = None
    doi: str = ""
    pmid: str = ""
    url: str = ""
    note: str = ""
    updated: datetime | None = None
    authors: list[Name] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)

    @classmethod
    def from_article(cls, article: Article) -> ArticleRecord:
        """Return the record of a saved article (uses its prefetched authors and keywords)."""
        journal = article.journal
        record = _record(
            (
                *(getattr(article, column) for column in ARTICLE_COLUMNS),
                *(getattr(journal, column) if journal else None for column in JOURNAL_COLUMNS),
            )
        )
        record.authors = [
            author_name(authorship.author) for authorship in article.ordered_authorships
        ]
        record.keywords = [keyword.term for keyword in article.keywords.all()]
        return record

    @property
    def page_range(self) -> str:
        """Return "311-325", a single page "311", or ""."""
        if self.first_page and self.last_page and self.last_page != self.first_page:
            return f"{self.first_page}-{self.last_page}"
        return str(self.first_page) if self.first_page else ""

    @property
    def is_in_press(self) -> bool:
        """Return whether the article is accepted or in press and has no year yet."""
        return (
            self.state in (PublicationState.IN_PRESS, PublicationState.ACCEPTED) and not self.year
        )


# What a record is read from: the article's bibliographic columns (the models' list) and its
# journal's. Every other record field is derived from these in _record, or is a relation.
ARTICLE_COLUMNS = ("pk", *BIBLIOGRAPHIC_FIELDS, "updated")
JOURNAL_COLUMNS = ("title", "abbreviated_title", "issn_print", "issn_electronic", "publisher")
RECORD_COLUMNS = (*ARTICLE_COLUMNS, *(f"journal__{column}" for column in JOURNAL_COLUMNS))
# Record fields holding the article column of the same name as it is, read by position.
_COPIED = tuple(
    record_field.name
    for record_field in dataclasses.fields(ArticleRecord)
    if record_field.name in ARTICLE_COLUMNS and record_field.name != "publisher"
)
_copied_values = operator.itemgetter(*(ARTICLE_COLUMNS.index(name) for name in _COPIED))
_PAGE_COUNT, _FIRST_PAGE, _LAST_PAGE, _PUBLISHER, _NOTE = (
    ARTICLE_COLUMNS.index(name)
    for name in ("page_count", "first_page", "last_page", "publisher", "bibliographical_note")
)
_JOURNAL = len(ARTICLE_COLUMNS)


def _record(row: Sequence[Any]) -> ArticleRecord:
    """Return the record of one row of RECORD_COLUMNS values (None for no journal's)."""
    journal_title, abbreviation, issn_print, issn_electronic, journal_publisher = row[_JOURNAL:]
    page_count = row[_PAGE_COUNT]
    first_page, last_page = row[_FIRST_PAGE], row[_LAST_PAGE]
    if not page_count and first_page and last_page:
        page_count = last_page - first_page + 1
    # Positions, not a dict per row: this runs for every record of a long export.
    return ArticleRecord(
        **dict(zip(_COPIED, _copied_values(row), strict=True)),
        journal_title=journal_title or "",
        journal_abbreviation=abbreviation or "",
        issns=[issn for issn in (issn_print, issn_electronic) if issn],
        # A book's or thesis's own publisher, else its journal's.
        publisher=row[_PUBLISHER] or journal_publisher or "",
        number_of_pages=page_count or None,
        note=row[_NOTE],
    )


def author_name(author: Any) -> Name:
    """Return an Author as the record's Name."""
    return Name(
        family=author.family_name,
        given=author.given_names,
        particle=author.particle,
        suffix=author.suffix,
        corporate=author.corporate_name,
    )


def iter_record_batches(
    articles: QuerySet[Article], *, batch_size: int = DEFAULT_BATCH_SIZE
) -> Iterator[list[ArticleRecord]]:
    """Yield the queryset's articles as lists of up to `batch_size` records, in its order.

    Rows come through `iterator(chunk_size)` (a server-side cursor on PostgreSQL); authors and
    keywords are fetched with one query each per batch, and no model objects are built, so
    memory stays flat and the query count grows per batch, not per record.
    """
    rows = articles.values_list(*RECORD_COLUMNS).iterator(chunk_size=batch_size)
    names: dict[tuple, Name] = {}
    while batch := list(islice(rows, batch_size)):
        if len(names) > 100_000:
            names.clear()
        yield _records_from_rows(batch, names=names)


def _records_from_rows(rows: list[tuple], *, names: dict[tuple, Name]) -> list[ArticleRecord]:
    records: dict[int, ArticleRecord] = {}
    for row in rows:
        record = _record(row)
        records[record.pk] = record
    authorships = (
        Authorship.objects.filter(article_id__in=records)
        .order_by("article_id", "position")
        .values_list(
            "article_id",
            "author__family_name",
            "author__given_names",
            "author__particle",
            "author__suffix",
            "author__corporate_name",
        )
    )
    for article_id, *parts in authorships:
        # Authors recur across articles: one Name per distinct author, shared.
        key = tuple(parts)
        name = names.get(key)
        if name is None:
            name = names[key] = Name(*parts)
        records[article_id].authors.append(name)
    keywords = (
        Article.keywords.through.objects.filter(article_id__in=records)
        .order_by("article_id", "keyword__term")
        .values_list("article_id", "keyword__term")
    )
    for article_id, term in keywords:
        records[article_id].keywords.append(term)
    return list(records.values())


def as_record(article: Article | ArticleRecord) -> ArticleRecord:
    """Return `article` as a record (records pass through)."""
    return article if isinstance(article, ArticleRecord) else ArticleRecord.from_article(article)


def record_batches(
    articles: QuerySet[Article] | Iterable[Article | ArticleRecord],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Iterator[list[ArticleRecord]]:
    """Yield the articles as lists of records, `batch_size` at a time, in the given order.

    A queryset is read with a few queries per batch (see iter_record_batches); other
    iterables should hold records or articles with their authors and keywords prefetched.
    """
    if isinstance(articles, QuerySet):
        yield from iter_record_batches(articles, batch_size=batch_size)
        return
    iterator = iter(articles)
    while batch := list(islice(iterator, batch_size)):
        yield [as_record(article) for article in batch]


# --- Citation keys -----------------------------------------------------------------------------


def _ascii_alnum(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if char.isascii() and char.isalnum())


def citation_key(record: ArticleRecord) -> str:
    """Return the base key: first author's family name (with particle) folded to ASCII + year."""
    name = ""
    if record.authors:
        first = record.authors[0]
        if first.corporate:
            name = _ascii_alnum(first.corporate.title())[:40]
        else:
            name = _ascii_alnum(first.particle) + _ascii_alnum(first.family)
    if not name:
        words = [_ascii_alnum(word) for word in plain_text(record.title).split()]
        name = next((word.capitalize() for word in words if word), "") or "Anonymous"
    if record.year:
        year = str(record.year)
    elif record.is_in_press:
        year = "InPress"
    else:
        year = "ND"
    return name + year


class KeyAllocator:
    """Hands out citation keys unique within one export (a, b, ... z, aa, ab, ... suffixes)."""

    def __init__(self) -> None:
        self._used: set[str] = set()
        self._next_suffix: dict[str, int] = {}

    def key(self, record: ArticleRecord) -> str:
        """Return the record's key: the base key the first time, then suffixed ones."""
        base = citation_key(record)
        key = base
        while key in self._used:
            index = self._next_suffix.get(base, 0)
            self._next_suffix[base] = index + 1
            key = base + _suffix(index)
        self._used.add(key)
        return key


def _suffix(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("a") + remainder) + letters
    return letters
