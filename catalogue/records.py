"""The record every format and citation uses: one article's bibliographic fields, no model.

`ArticleRecord` is the one declaration of the shape. A record is made from a saved article
(`as_record`, using its prefetched authors and keywords) or read from a queryset in batches
(`iter_record_batches`, a few queries per batch and no model objects); both go through
`_record`, so the columns read and the fields derived from them are written down once.

Names are the authorships' and contributors' printed forms (what the source printed), not the
person's display form; an authorship without a printed form (rows written before printed forms
existed, the synthetic catalogue) shows its person's name.

Citation keys are the stored key of the record's source entry (`Article.citation_key`), else a
generated one: ascii-folded first author family name + year ("ZilchaMano2017"). Within one
export a key already used gets a suffix: "ZilchaMano2017a", "ZilchaMano2017b". The same key is
the BibTeX key, the RIS `ID`, the CSL-JSON `id` and `citation-key`, and the download's file
name.
"""

from __future__ import annotations

import dataclasses
import operator
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from django.db.models import QuerySet

from catalogue import pages as printed
from catalogue.formats.bibtex import Name
from catalogue.models import (
    BIBLIOGRAPHIC_FIELDS,
    Article,
    Authorship,
    Contributor,
    ContributorRole,
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
    issue: str = ""  # as printed ("4B", "1–3")
    pages: str = ""  # as printed, ranges with an en dash ("052102", "E3313–E3322", "123–")
    first_page: int | None = None  # derived from `pages` when it is plain numbers
    last_page: int | None = None
    article_number: str = ""
    number_of_pages: int | None = None
    state: str = PublicationState.PUBLISHED
    year: int | None = None
    month: int | None = None
    day: int | None = None
    date_text: str = ""  # the date as written when year/month/day cannot say it ("1978/79")
    doi: str = ""
    pmid: str = ""
    url: str = ""
    note: str = ""
    # Books, chapters, reports, theses, e-prints: as printed (models.RECORD_TEXT_FIELDS).
    book_title: str = ""
    edition: str = ""
    series: str = ""
    series_number: str = ""
    place: str = ""
    isbn: str = ""
    chapter: str = ""
    report_number: str = ""
    genre: str = ""
    howpublished: str = ""
    eprint: str = ""
    eprint_type: str = ""
    eprint_class: str = ""
    accessed: str = ""
    citation_key: str = ""  # the source entry's key; "" when the record was made otherwise
    updated: datetime | None = None
    authors: list[Name] = field(default_factory=list)
    et_al: bool = False  # the source's author list ended with "and others"
    # Every other contributor by ContributorRole value ("editor", "translator", ...), each list
    # in the source's order; roles without contributors are absent.
    contributors: dict[str, list[Name]] = field(default_factory=dict)
    keywords: list[str] = field(default_factory=list)

    @classmethod
    def from_article(cls, article: Article) -> ArticleRecord:
        """Return the record of a saved article (uses its prefetched names and keywords)."""
        journal = article.journal
        record = _record(
            (
                *(getattr(article, column) for column in ARTICLE_COLUMNS),
                *(getattr(journal, column) if journal else None for column in JOURNAL_COLUMNS),
            )
        )
        record.authors = [
            author_name(authorship.shown_name) for authorship in article.ordered_authorships
        ]
        contributors = sorted(
            article.contributors.all(),
            key=lambda contributor: (contributor.role, contributor.position),
        )
        for contributor in contributors:
            record.contributors.setdefault(contributor.role, []).append(author_name(contributor))
        record.contributors = _in_role_order(record.contributors)
        record.keywords = [keyword.term for keyword in article.keywords.all()]
        return record

    @property
    def page_range(self) -> str:
        """Return the pages as printed: "311–325", "E3313–E3322", "052102", "123–", or ""."""
        return self.pages

    def names(self, role: str) -> list[Name]:
        """Return the contributors in `role` (a ContributorRole value), [] when none."""
        return self.contributors.get(role, [])

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
_PAGE_COUNT, _PAGES, _FIRST_PAGE, _LAST_PAGE, _PUBLISHER, _NOTE = (
    ARTICLE_COLUMNS.index(name)
    for name in (
        "page_count",
        "pages",
        "first_page",
        "last_page",
        "publisher",
        "bibliographical_note",
    )
)
_JOURNAL = len(ARTICLE_COLUMNS)


def _record(row: Sequence[Any]) -> ArticleRecord:
    """Return the record of one row of RECORD_COLUMNS values (None for no journal's)."""
    journal_title, abbreviation, issn_print, issn_electronic, journal_publisher = row[_JOURNAL:]
    # Positions, not a dict per row: this runs for every record of a long export.
    record = ArticleRecord(
        **dict(zip(_COPIED, _copied_values(row), strict=True)),
        journal_title=journal_title or "",
        journal_abbreviation=abbreviation or "",
        issns=[issn for issn in (issn_print, issn_electronic) if issn],
        # A book's or thesis's own publisher, else its journal's.
        publisher=row[_PUBLISHER] or journal_publisher or "",
        note=row[_NOTE],
    )
    if not record.pages and row[_FIRST_PAGE]:
        # Rows written with page numbers only (bulk writers that predate printed pages).
        first_page, last_page = row[_FIRST_PAGE], row[_LAST_PAGE]
        record.pages = printed.printed_pages(
            f"{first_page}-{last_page}"
            if last_page and last_page != first_page
            else str(first_page)
        )
    record.number_of_pages = row[_PAGE_COUNT] or printed.page_count(record.pages)
    return record


def author_name(author: Any) -> Name:
    """Return a name's five parts (an Author, Authorship or Contributor) as the record's Name."""
    return Name(
        family=author.family_name,
        given=author.given_names,
        particle=author.particle,
        suffix=author.suffix,
        corporate=author.corporate_name,
    )


# Roles in their declaration order, so that a record's contributors read the same whichever
# way it was loaded.
_ROLE_ORDER = {role.value: index for index, role in enumerate(ContributorRole)}


def _in_role_order(contributors: dict[str, list[Name]]) -> dict[str, list[Name]]:
    if len(contributors) < 2:
        return contributors
    return dict(
        sorted(contributors.items(), key=lambda item: _ROLE_ORDER.get(item[0], len(_ROLE_ORDER)))
    )


def iter_record_batches(
    articles: QuerySet[Article], *, batch_size: int = DEFAULT_BATCH_SIZE
) -> Iterator[list[ArticleRecord]]:
    """Yield the queryset's articles as lists of up to `batch_size` records, in its order.

    Rows come through `iterator(chunk_size)` (a server-side cursor on PostgreSQL); authors,
    contributors and keywords are fetched with one query each per batch, and no model objects
    are built, so memory stays flat and the query count grows per batch, not per record.
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
        .values_list("article_id", *_NAME_COLUMNS, *_PERSON_COLUMNS)
    )
    for article_id, *parts in authorships:
        # The printed form; the person's name only where no printed form is stored.
        key = tuple(parts[:5]) if parts[0] or parts[4] or parts[1] else tuple(parts[5:])
        records[article_id].authors.append(_shared_name(key, names))
    contributors = (
        Contributor.objects.filter(article_id__in=records)
        .order_by("article_id", "role", "position")
        .values_list("article_id", "role", *_NAME_COLUMNS)
    )
    with_contributors = set()
    for article_id, role, *parts in contributors:
        record = records[article_id]
        record.contributors.setdefault(role, []).append(_shared_name(tuple(parts), names))
        with_contributors.add(article_id)
    for article_id in with_contributors:
        records[article_id].contributors = _in_role_order(records[article_id].contributors)
    keywords = (
        Article.keywords.through.objects.filter(article_id__in=records)
        .order_by("article_id", "keyword__term")
        .values_list("article_id", "keyword__term")
    )
    for article_id, term in keywords:
        records[article_id].keywords.append(term)
    return list(records.values())


# Name parts in Name's order (family, given, particle, suffix, corporate).
_NAME_COLUMNS = Authorship.NAME_FIELDS
_PERSON_COLUMNS = tuple(f"author__{column}" for column in _NAME_COLUMNS)


def _shared_name(parts: tuple, names: dict[tuple, Name]) -> Name:
    # Names recur across articles: one Name per distinct form, shared.
    name = names.get(parts)
    if name is None:
        name = names[parts] = Name(*parts)
    return name


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
    """Return the record's key: the stored key of its source entry, else generated_key."""
    return record.citation_key or generated_key(record)


def generated_key(record: ArticleRecord) -> str:
    """Return the generated key: first author's family name (with particle) in ASCII + year."""
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


def assign_citation_key(*, article: Article) -> str:
    """Return the article's stored key, storing a generated one unique in the catalogue if none.

    Records made in the admin have no source entry: they get `generated_key` ("Nguyen2020"),
    suffixed a, b, ... when another record holds it, once, so the key stays the same afterwards.
    """
    if article.citation_key:
        return article.citation_key
    record = as_record(Article.objects.with_related().get(pk=article.pk))
    base = generated_key(record)
    taken = set(
        Article.objects.filter(citation_key__startswith=base).values_list("citation_key", flat=True)
    )
    key, index = base, 0
    while key in taken:
        key = base + _suffix(index)
        index += 1
    Article.objects.filter(pk=article.pk).update(citation_key=key)
    article.citation_key = key
    return key


_UNSAFE_IN_FILE_NAMES = re.compile(r"[^A-Za-z0-9._-]+")


def file_stem(key: str) -> str:
    """Return a citation key as a download's file name stem ("smith:2020/a" -> "smith-2020-a").

    Stored keys are whatever the source used; a file name keeps ASCII letters, digits, dots,
    hyphens and underscores.
    """
    return _UNSAFE_IN_FILE_NAMES.sub("-", key).strip("-.") or "record"


class KeyAllocator:
    """Hands out citation keys unique within one export (a, b, ... z, aa, ab, ... suffixes).

    Each record gets its citation_key (stored, else generated) the first time a key is seen;
    only a key already given out in this export gets a suffix.
    """

    def __init__(self) -> None:
        self._used: set[str] = set()
        self._next_suffix: dict[str, int] = {}

    def key(self, record: ArticleRecord) -> str:
        """Return the record's key: its own the first time, then suffixed ones."""
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
