"""Exports: BibTeX, RIS and CSL-JSON for one article, or streamed batch by batch for many.

Every format is written as UTF-8 text (BibTeX too: accented letters stay as they are, which
biber and bibtexu read directly; LaTeX's special characters are escaped). Each format is an
`ExportFormat` in `EXPORT_FORMATS` with its media type, file extension and two functions:
`render(article)` for one record and `stream(articles)` yielding chunks for a queryset.

Citation keys are readable and unique within one export: ascii-folded first author family
name + year ("ZilchaMano2017"), then "ZilchaMano2017a", "ZilchaMano2017b" for the next ones
with the same base. The same key is the BibTeX key, the RIS `ID` and the CSL-JSON `id`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import Any

from django.db.models import QuerySet

from catalogue import identifiers
from catalogue.citations import (
    ArticleRecord,
    Name,
    article_to_csl,
    as_record,
    iter_record_batches,
    one_line,
)
from catalogue.models import Article, OutputType, PublicationState

DEFAULT_BATCH_SIZE = 1000
EXPORT_BASENAME = "catalogue-export"


class UnknownExportFormat(ValueError):
    """An export format name that is not in EXPORT_FORMATS."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"Unknown export format {name!r}; available formats: {', '.join(EXPORT_FORMATS)}."
        )


# --- Records in batches --------------------------------------------------------------------------


def record_batches(
    articles: QuerySet[Article] | Iterable[Article | ArticleRecord],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Iterator[list[ArticleRecord]]:
    """Yield the articles as lists of records, `batch_size` at a time, in the given order.

    A queryset is read with a few queries per batch (see citations.iter_record_batches); other
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
        words = [_ascii_alnum(word) for word in _plain(record.title).split()]
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


# --- Rich text ---------------------------------------------------------------------------------

_TAG = re.compile(
    r"</?(?:i|b|sup|sub|sc)>"
    r'|<span\s+(?:class="no(?:case|decor)"|style="font-variant:\s*small-caps;?")\s*>'
    r"|</span>"
)


@lru_cache(maxsize=4096)
def _plain_cached(rich_text: str) -> str:
    return _plain(rich_text)


def _plain(rich_text: str) -> str:
    """Return CSL rich text without its markup tags, on one line."""
    return one_line(_TAG.sub("", rich_text))


# --- BibTeX --------------------------------------------------------------------------------------

BIBTEX_TYPES = {
    OutputType.ARTICLE: "article",
    OutputType.REVIEW: "article",
    OutputType.EDITORIAL: "article",
    OutputType.LETTER: "article",
    OutputType.COMMENT: "article",
    OutputType.CONFERENCE_PAPER: "inproceedings",
    OutputType.CONFERENCE_ABSTRACT: "inproceedings",
    OutputType.BOOK: "book",
    OutputType.CHAPTER: "incollection",
    OutputType.REPORT: "techreport",
    OutputType.THESIS: "phdthesis",
    OutputType.PREPRINT: "misc",
    OutputType.DATASET: "misc",
    OutputType.WEBPAGE: "misc",
    OutputType.OTHER: "misc",
}
# The field that names the container (journal, proceedings, book) per BibTeX type.
_BIBTEX_CONTAINER = {
    "article": "journal",
    "inproceedings": "booktitle",
    "incollection": "booktitle",
    "misc": "howpublished",
}
_BIBTEX_PUBLISHER = {"techreport": "institution", "phdthesis": "school"}
MONTH_MACROS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

_LATEX_REPLACEMENT = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}
_LATEX_COMMAND = {
    "<i>": r"\textit{",
    "<b>": r"\textbf{",
    "<sup>": r"\textsuperscript{",
    "<sub>": r"\textsubscript{",
    "<sc>": r"\textsc{",
}
_AND = re.compile(r"\band\b", re.IGNORECASE)


_LATEX_SPECIAL = re.compile(r"[\\&%$#_{}~^<>]")


def _latex_character(match: re.Match) -> str:
    return _LATEX_REPLACEMENT[match.group()]


def latex_escape(text: str) -> str:
    """Return plain text with LaTeX's special characters escaped."""
    return _LATEX_SPECIAL.sub(_latex_character, text)


def _protect_case(text: str, *, first_word: bool) -> str:
    """Return escaped text with every word holding a capital letter in braces.

    BibTeX and biblatex styles may lower-case titles; braces keep acronyms (DNA), proper names
    (Zürich) and the stored capitalisation. The title's first word keeps a plain initial
    capital, which styles never lower-case. Trailing punctuation stays outside the braces.
    """
    words = latex_escape(text).split(" ")
    for index, word in enumerate(words):
        if not word:
            continue
        is_first, first_word = first_word, False
        if word == word.lower():
            continue
        core = word.rstrip(".,:;!?")
        if is_first and core[1:] == core[1:].lower():
            continue
        words[index] = "{" + core + "}" + word[len(core) :]
    return " ".join(words)


def rich_text_to_latex(rich_text: str, *, protect: bool = False) -> str:
    """Return CSL rich text as LaTeX: <i> -> \\textit{}, <sub> -> \\textsubscript{}, ...

    protect=True also braces words with capitals (for titles); text inside a nocase span is
    braced as a whole. Braces always balance, whatever the markup.
    """
    text = one_line(rich_text)
    if "<" not in text:
        return _protect_case(text, first_word=True) if protect else latex_escape(text)
    out: list[str] = []
    closers: list[tuple[str, bool]] = []  # (closing tag, is a nocase span) per open group
    first_word = True
    position = 0
    for match in _TAG.finditer(text):
        segment = text[position : match.start()]
        nocase = any(is_nocase for _, is_nocase in closers)
        if segment:
            if protect and not nocase:
                out.append(_protect_case(segment, first_word=first_word))
            else:
                out.append(latex_escape(segment))
            first_word = first_word and not segment.strip()
        tag = match.group()
        position = match.end()
        if tag in _LATEX_COMMAND:
            out.append(_LATEX_COMMAND[tag])
            closers.append(("</" + tag[1:], False))
        elif tag.startswith("<span"):
            out.append(r"\textsc{" if "small-caps" in tag else "{")
            closers.append(("</span>", "nocase" in tag))
        elif closers and closers[-1][0] == tag:
            closers.pop()
            out.append("}")
        # A closing tag with no matching opening tag is dropped.
    tail = text[position:]
    if protect and not any(is_nocase for _, is_nocase in closers):
        out.append(_protect_case(tail, first_word=first_word))
    else:
        out.append(latex_escape(tail))
    out.append("}" * len(closers))
    return "".join(out)


# Authors and journals recur across records (a few are very common): formatting each distinct
# one once keeps exports fast.
@lru_cache(maxsize=65_536)
def _bibtex_name(name: Name) -> str:
    if name.corporate:
        return "{" + latex_escape(one_line(name.corporate)) + "}"

    def part(text: str) -> str:
        escaped = latex_escape(one_line(text))
        # A comma or a stand-alone "and" would split the name list or the name.
        if "," in text or _AND.search(text):
            return "{" + escaped + "}"
        return escaped

    last = " ".join(filter(None, [part(name.particle), part(name.family)]))
    pieces = [last]
    if name.suffix:
        pieces.append(part(name.suffix))
    if name.given or name.suffix:
        pieces.append(part(name.given))
    return ", ".join(pieces)


def _url_safe(text: str) -> str:
    # URL and DOI fields are verbatim for biblatex and \url for BibTeX: only braces must go.
    return text.replace("{", "%7B").replace("}", "%7D")


# biblatex `pubstate` values; an accepted article is "in press" to readers.
_PUBSTATES = {
    PublicationState.IN_PRESS: "inpress",
    PublicationState.ACCEPTED: "inpress",
    PublicationState.SUBMITTED: "submitted",
}


def _range_length(record: ArticleRecord) -> int | None:
    """Return the page count an importer derives from the exported `pages` (None for "7")."""
    if record.first_page and record.last_page and record.last_page != record.first_page:
        return record.last_page - record.first_page + 1
    return None


def _bibtex_keyword(term: str) -> str:
    escaped = latex_escape(one_line(term))
    # Keyword lists split on commas and semicolons: braces keep such a keyword whole.
    return "{" + escaped + "}" if "," in term or ";" in term else escaped


def bibtex_entry(record: ArticleRecord, *, key: str) -> str:
    """Return one BibTeX entry for the record, with `key` as its citation key."""
    entry_type = BIBTEX_TYPES.get(record.output_type, "misc")
    fields: list[tuple[str, str]] = []

    def add(name: str, value: str, *, bare: bool = False) -> None:
        if value:
            fields.append((name, value if bare else "{" + value + "}"))

    add("author", " and ".join(_bibtex_name(name) for name in record.authors))
    add("title", rich_text_to_latex(record.title, protect=True))
    container = _BIBTEX_CONTAINER.get(entry_type)
    if container and record.journal_title:
        add(container, _latex_container(record.journal_title))
        # biblatex's field for the NLM/ISO 4 abbreviation Vancouver and AMA print.
        add("shortjournal", _latex_container(record.journal_abbreviation))
    if record.year:
        add("year", str(record.year))
    if record.year and record.month:
        add("month", MONTH_MACROS[record.month - 1], bare=True)
    if record.year and record.month and record.day:
        # BibTeX has no day: biblatex's ISO date keeps it (year and month stay for BibTeX).
        add("date", f"{record.year:04d}-{record.month:02d}-{record.day:02d}")
    add("volume", latex_escape(record.volume))
    add("number", latex_escape(record.issue))
    if record.first_page:
        pages = record.page_range.replace("-", "--")
    else:
        pages = latex_escape(record.article_number)
    add("pages", pages)
    if record.number_of_pages and record.number_of_pages != _range_length(record):
        add("pagetotal", str(record.number_of_pages))
    add(_BIBTEX_PUBLISHER.get(entry_type, "publisher"), latex_escape(record.publisher))
    add("doi", _url_safe(record.doi))
    add("issn", ", ".join(record.issns))
    add("url", _url_safe(record.url))
    if record.pmid:
        add("eprint", record.pmid)
        add("eprinttype", "pubmed")
    add("abstract", rich_text_to_latex(record.abstract))
    add("keywords", ", ".join(_bibtex_keyword(term) for term in record.keywords))
    if record.language:
        add("language", latex_escape(identifiers.language_name(record.language).lower()))
    notes = [one_line(record.note)] if record.note.strip() else []
    if record.is_in_press:
        notes.append("In press")
    add("pubstate", _PUBSTATES.get(record.state, ""))
    add("note", latex_escape(". ".join(notes)))
    lines = [f"@{entry_type}{{{key},"]
    lines += [f"  {name} = {value}," for name, value in fields]
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- RIS ---------------------------------------------------------------------------------------

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
def _latex_container(title: str) -> str:
    return rich_text_to_latex(title)


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
    add("TI", _plain(record.title))
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
    add("AB", _plain(record.abstract))
    for term in record.keywords:
        add("KW", term)
    add("LA", record.language)
    add("N1", record.note)
    if record.is_in_press:
        add("N1", "In press")
    text = "".join(f"{tag}  - {value}{CRLF}" for tag, value in lines)
    return text + "ER  - " + CRLF + CRLF


# --- CSL-JSON ----------------------------------------------------------------------------------


def csl_json_item(record: ArticleRecord, *, key: str) -> dict[str, Any]:
    """Return the record's CSL-JSON item with `key` as its id."""
    item = article_to_csl(record)
    item["id"] = key
    return item


# --- Formats -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFormat:
    name: str
    label: str
    media_type: str
    extension: str
    entry: Callable[[ArticleRecord, str], str]
    opening: str = ""
    separator: str = ""
    closing: str = ""

    @property
    def content_type(self) -> str:
        """Return the Content-Type header value (the media type with charset=utf-8)."""
        return f"{self.media_type}; charset=utf-8"

    def filename(self, article: Article | ArticleRecord | None = None) -> str:
        """Return the download file name: "<key>.<ext>" for one article, else "catalogue-export"."""
        base = citation_key(as_record(article)) if article is not None else EXPORT_BASENAME
        return f"{base}.{self.extension}"

    def render(self, article: Article | ArticleRecord) -> str:
        """Return one article as a complete document in this format."""
        record = as_record(article)
        return self.opening + self.entry(record, citation_key(record)) + self.closing

    def stream(
        self,
        articles: QuerySet[Article] | Iterable[Article | ArticleRecord],
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> Iterator[str]:
        """Yield the articles as one document in this format, one chunk per batch."""
        keys = KeyAllocator()
        yield self.opening
        first = True
        for batch in record_batches(articles, batch_size=batch_size):
            parts = []
            for record in batch:
                if not first:
                    parts.append(self.separator)
                first = False
                parts.append(self.entry(record, keys.key(record)))
            yield "".join(parts)
        yield self.closing


def _bibtex(record: ArticleRecord, key: str) -> str:
    return bibtex_entry(record, key=key)


def _ris(record: ArticleRecord, key: str) -> str:
    return ris_entry(record, key=key)


def _csl_json(record: ArticleRecord, key: str) -> str:
    return json.dumps(csl_json_item(record, key=key), ensure_ascii=False)


EXPORT_FORMATS: dict[str, ExportFormat] = {
    "bibtex": ExportFormat(
        name="bibtex",
        label="BibTeX",
        media_type="application/x-bibtex",
        extension="bib",
        entry=_bibtex,
        separator="\n",
    ),
    "ris": ExportFormat(
        name="ris",
        label="RIS",
        media_type="application/x-research-info-systems",
        extension="ris",
        entry=_ris,
    ),
    "csl-json": ExportFormat(
        name="csl-json",
        label="CSL-JSON",
        media_type="application/vnd.citationstyles.csl+json",
        extension="json",
        entry=_csl_json,
        opening="[\n",
        separator=",\n",
        closing="\n]\n",
    ),
}


def get_export_format(name: str) -> ExportFormat:
    """Return the export format called `name`, or raise UnknownExportFormat."""
    try:
        return EXPORT_FORMATS[name]
    except (KeyError, TypeError):
        raise UnknownExportFormat(str(name)) from None


def export_format_for_media_type(media_type: str) -> ExportFormat | None:
    """Return the format serving `media_type` ("application/x-bibtex"), or None."""
    wanted = media_type.split(";")[0].strip().lower()
    return next((export for export in EXPORT_FORMATS.values() if export.media_type == wanted), None)


def article_to_bibtex(article: Article | ArticleRecord) -> str:
    """Return the article as a BibTeX entry keyed like "ZilchaMano2017"."""
    return EXPORT_FORMATS["bibtex"].render(article)


def article_to_ris(article: Article | ArticleRecord) -> str:
    """Return the article as one RIS record."""
    return EXPORT_FORMATS["ris"].render(article)


def article_to_csl_json(article: Article | ArticleRecord) -> str:
    """Return the article as a CSL-JSON document (an array of one item)."""
    return EXPORT_FORMATS["csl-json"].render(article)


def stream_bibtex(articles: Any, *, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[str]:
    """Yield the articles as BibTeX, one chunk per batch."""
    return EXPORT_FORMATS["bibtex"].stream(articles, batch_size=batch_size)


def stream_ris(articles: Any, *, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[str]:
    """Yield the articles as RIS, one chunk per batch."""
    return EXPORT_FORMATS["ris"].stream(articles, batch_size=batch_size)


def stream_csl_json(articles: Any, *, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[str]:
    """Yield the articles as a CSL-JSON array, one chunk per batch."""
    return EXPORT_FORMATS["csl-json"].stream(articles, batch_size=batch_size)
