"""The parser's results: entries decoded into catalogue fields, and located problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Name:
    """One author's name in parts: as parsed from a BibTeX name list, or as cited."""

    family: str = ""
    given: str = ""
    particle: str = ""
    suffix: str = ""
    corporate: str = ""


@dataclass(frozen=True)
class Problem:
    """Something the parser could not take, or took with a doubt, located in the source."""

    line: int  # 1-based line of the entry's "@" in the source text (0: the whole file)
    key: str  # citation key, "" when unknown
    message: str  # a sentence a librarian can act on
    raw: str = ""  # the entry's raw text (truncated to a few kB)
    severity: str = "error"  # "error": entry not imported; "warning": imported with a doubt
    source: str = ""  # file name


class _FieldsView:
    """A slotted class whose `vars()` still gives its fields (as a new dict)."""

    __slots__ = ()

    @property
    def __dict__(self) -> dict[str, Any]:  # type: ignore[override]
        return {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]


@dataclass(slots=True)
class Entry(_FieldsView):
    """One BibTeX entry decoded into the catalogue's fields.

    Slotted: an import holds every entry of its file at once, and a dict of these 48 fields
    cost 1.5 kB an entry (more than the text of most entries). `vars(entry)` still gives
    the fields, as a new dict.
    """

    key: str
    entry_type: str  # BibTeX type, lower-case ("article", "inproceedings", ...)
    line: int
    raw: str
    output_type: str  # a catalogue.models.OutputType value
    title: str = ""
    abstract: str = ""
    language: str = ""  # ISO 639 code or ""
    journal_title: str = ""
    journal_abbreviation: str = ""
    issns: list[str] = field(default_factory=list)  # normalised NNNN-NNNC
    publisher: str = ""
    volume: str = ""
    issue: str = ""  # as printed ("4B", "1–3", "Suppl. 2")
    pages: str = ""  # as printed, `--` as an en dash ("052102", "E3313–E3322", "123–", "xii")
    first_page: int | None = None  # derived from `pages` only when it is plain numbers
    last_page: int | None = None
    article_number: str = ""  # eid, articleno, article-number (never from `pages`)
    page_count: int | None = None
    state: str = "published"  # a catalogue.models.PublicationState value
    year: int | None = None
    month: int | None = None
    day: int | None = None
    date_text: str = ""  # the date as written when year/month/day cannot say it ("1978/79")
    doi: str = ""  # normalised
    pmid: str = ""
    url: str = ""
    note: str = ""
    keywords: list[str] = field(default_factory=list)
    authors: list[Name] = field(default_factory=list)
    et_al: bool = False  # "and others" ended the author list
    editors: list[Name] = field(default_factory=list)  # from `editor` (books, proceedings)
    # Every contributor but the authors, by catalogue ContributorRole value ("editor",
    # "translator", "book-author", "series-editor", ...), each list in source order.
    contributors: dict[str, list[Name]] = field(default_factory=dict)
    book_title: str = ""  # `booktitle` when it is not the container kept as the journal
    edition: str = ""
    series: str = ""
    series_number: str = ""  # `number` of a book in a series
    place: str = ""  # `address` / `location`
    isbn: str = ""  # as printed
    chapter: str = ""
    report_number: str = ""  # `number` of a report
    genre: str = ""  # `type`: "PhD thesis", "Technical report", ...
    howpublished: str = ""
    eprint: str = ""  # e.g. arXiv id "2101.00001"
    eprint_type: str = ""  # `archiveprefix` / `eprinttype`, e.g. "arXiv"
    eprint_class: str = ""  # `primaryclass` / `eprintclass`, e.g. "cs.CL"
    accessed: str = ""  # `urldate` as written, e.g. "2020-05-01"
    warnings: list[Problem] = field(default_factory=list)

    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)


@dataclass
class ParseResult:
    """What one source (file or pasted text) yielded."""

    source: str
    encoding: str
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # entries not taken, file-level errors
    source_entry_count: int = 0  # "@type{" entries counted in the raw text (not @string etc.)
