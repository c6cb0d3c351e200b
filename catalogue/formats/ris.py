"""The RIS export entry: a record as one RIS record (CRLF line endings), markup dropped."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from catalogue.formats.bibtex import Name
from catalogue.models import OutputType
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
    add("TI", plain_text(record.title))
    add("T2", _plain_cached(record.journal_title))
    add("JO", _plain_cached(record.journal_abbreviation))
    add("PY", record.year)
    if record.year:
        month = f"{record.month:02d}" if record.month else ""
        day = f"{record.day:02d}" if record.day else ""
        add("DA", f"{record.year}/{month}/{day}/")
    add("VL", record.volume)
    add("IS", record.issue)
    add("SP", record.first_page or record.article_number)
    if record.last_page and record.last_page != record.first_page:
        add("EP", record.last_page)
    add("PB", record.publisher)
    add("SN", "; ".join(record.issns))
    add("DO", record.doi)
    add("UR", record.url)
    add("AN", record.pmid)
    add("AB", plain_text(record.abstract))
    for term in record.keywords:
        add("KW", term)
    add("LA", record.language)
    add("N1", record.note)
    if record.is_in_press:
        add("N1", "In press")
    text = "".join(f"{tag}  - {value}{CRLF}" for tag, value in lines)
    return text + "ER  - " + CRLF + CRLF
