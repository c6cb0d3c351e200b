"""The RIS export entry: a record as one RIS record (CRLF line endings), markup dropped.

Tags follow the RIS specification as Zotero, EndNote and rispy read it: AU authors, A2
editors, A3 series editors, A4 translators, T2 the container (journal, proceedings or book),
T3 the series, SN the ISBN and the ISSNs, SP/EP the printed pages' two ends. RIS has no way to
say that an author list is incomplete: an `N1` note says so ("et al."), the names stay as
printed. docs/formats.md, "RIS", has every mapping.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from catalogue.formats.bibtex import Name
from catalogue.models import ContributorRole, OutputType
from catalogue.pages import split_range
from catalogue.records import ArticleRecord
from catalogue.rich_text import one_line, plain_text

RIS_TYPES = {
    OutputType.ARTICLE: "JOUR",
    OutputType.REVIEW: "JOUR",
    OutputType.EDITORIAL: "JOUR",
    OutputType.LETTER: "JOUR",
    OutputType.COMMENT: "JOUR",
    OutputType.CONFERENCE_PAPER: "CPAPER",
    OutputType.CONFERENCE_ABSTRACT: "ABST",
    OutputType.BOOK: "BOOK",
    OutputType.CHAPTER: "CHAP",
    OutputType.REPORT: "RPRT",
    OutputType.THESIS: "THES",
    OutputType.PREPRINT: "UNPB",
    OutputType.DATASET: "DATA",
    OutputType.WEBPAGE: "ELEC",
    OutputType.OTHER: "GEN",
}
CRLF = "\r\n"
# Name tags of the contributor roles RIS has one for (book authors, compilers, annotators and
# the authors of an introduction, foreword or afterword have none and are not written).
CONTRIBUTOR_TAGS = {
    ContributorRole.EDITOR: "A2",
    ContributorRole.SERIES_EDITOR: "A3",
    ContributorRole.TRANSLATOR: "A4",
}
ET_AL_NOTE = "Author list incomplete: et al."


@lru_cache(maxsize=4096)
def _plain_cached(rich_text: str) -> str:
    # Journal titles recur across records: strip each distinct one once.
    return plain_text(rich_text)


@lru_cache(maxsize=65_536)
def _ris_name(name: Name) -> str:
    if name.corporate:
        return one_line(name.corporate)
    last = " ".join(filter(None, [name.particle, name.family]))
    return ", ".join(one_line(part) for part in (last, name.given, name.suffix) if part)


def ris_entry(record: ArticleRecord, *, key: str) -> str:
    """Return one RIS record (CRLF line endings, ending with "ER  - " and a blank line)."""
    lines: list[tuple[str, str]] = [("TY", RIS_TYPES.get(record.output_type, "GEN"))]

    def add(tag: str, value: Any) -> None:
        text = one_line(str(value)) if value is not None else ""
        if text:
            lines.append((tag, text))

    add("ID", key)
    for name in record.authors:
        add("AU", _ris_name(name))
    for role, tag in CONTRIBUTOR_TAGS.items():
        for name in record.names(role):
            add(tag, _ris_name(name))
    add("TI", plain_text(record.title))
    add("T2", _plain_cached(record.journal_title or record.book_title))
    add("JO", _plain_cached(record.journal_abbreviation))
    add("T3", record.series)
    add("PY", record.year)
    if record.year or record.date_text:
        year = record.year or ""
        month = f"{record.month:02d}" if record.month else ""
        day = f"{record.day:02d}" if record.day else ""
        add("DA", f"{year}/{month}/{day}/{one_line(record.date_text)}")
    add("Y2", record.accessed)
    add("ET", record.edition)
    add("VL", record.volume)
    add("IS", record.issue)
    add("SE", record.chapter)
    if record.pages:
        first, last = split_range(record.pages)
        add("SP", first)
        add("EP", last)
    else:
        add("SP", record.article_number)
    add("M1", record.report_number or record.series_number)
    add("M3", record.genre)
    add("PB", record.publisher or record.howpublished)
    add("CY", record.place)
    add("SN", record.isbn)
    add("SN", "; ".join(record.issns))
    add("DO", record.doi)
    url = record.url
    if not url and record.eprint and record.eprint_type.strip().lower() == "arxiv":
        url = f"https://arxiv.org/abs/{record.eprint}"
    add("UR", url)
    add("AN", record.pmid)
    add("AB", plain_text(record.abstract))
    for term in record.keywords:
        add("KW", term)
    add("LA", record.language)
    add("N1", record.note)
    if record.et_al:
        add("N1", ET_AL_NOTE)
    if record.is_in_press:
        add("N1", "In press")
    text = "".join(f"{tag}  - {value}{CRLF}" for tag, value in lines)
    return text + "ER  - " + CRLF + CRLF
