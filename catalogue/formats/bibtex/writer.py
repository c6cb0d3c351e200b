"""The BibTeX export entry: a record as UTF-8 BibTeX (biblatex fields where BibTeX has none).

Accented letters stay as they are (biber and bibtexu read UTF-8 directly); LaTeX's special
characters are escaped, CSL rich text becomes LaTeX commands, and words with capitals in
titles are braced so styles keep their case. The parser in this package reads it back
(tests/test_roundtrip.py).
"""

from __future__ import annotations

import re
from functools import lru_cache

from catalogue import identifiers
from catalogue.formats.bibtex import Name
from catalogue.models import OutputType, PublicationState
from catalogue.records import ArticleRecord
from catalogue.rich_text import RICH_TEXT_TAG, one_line

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
    for match in RICH_TEXT_TAG.finditer(text):
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


@lru_cache(maxsize=4096)
def _latex_container(title: str) -> str:
    return rich_text_to_latex(title)


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
