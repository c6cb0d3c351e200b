"""The BibTeX export entry: a record as UTF-8 BibTeX (biblatex fields where BibTeX has none).

Accented letters stay as they are (biber and bibtexu read UTF-8 directly); LaTeX's special
characters are escaped, CSL rich text becomes LaTeX commands, and words with capitals in
titles are braced so styles keep their case. The parser in this package reads it back to the
same record (tests/test_roundtrip.py, tests/test_round_trip.py): names are written in a form
that parses back to the same parts, `and others` ends an incomplete author list, every output
type has an entry type that imports as that type, and containers, contributors and the fields
of books, chapters, reports and theses are written (docs/formats.md, "BibTeX").
"""

from __future__ import annotations

import re
from functools import lru_cache

from catalogue import identifiers
from catalogue.formats.bibtex import Name
from catalogue.formats.bibtex.names import parse_names
from catalogue.models import ContributorRole, OutputType, PublicationState
from catalogue.pages import EN_DASH, page_count
from catalogue.records import ArticleRecord
from catalogue.rich_text import RICH_TEXT_TAG, one_line

# Each output type's entry type; the parser imports each back as that output type
# (formats/bibtex/fields.py OUTPUT_TYPES), except the journal item kinds (review, editorial,
# letter, comment: BibTeX has only @article) and conference abstracts (@inproceedings).
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
    # @misc with its e-print, as arXiv writes it, else @unpublished (both import as preprints).
    OutputType.PREPRINT: "unpublished",
    OutputType.DATASET: "dataset",
    OutputType.WEBPAGE: "online",
    OutputType.OTHER: "misc",
}
# Types whose `booktitle` is the container the catalogue keeps as the journal.
_BOOKTITLE_CONTAINER = {"inproceedings", "incollection"}
_BIBTEX_PUBLISHER = {"techreport": "institution", "phdthesis": "school", "mastersthesis": "school"}
# Name list fields of the contributor roles, in the order they are written. A compiler is
# biblatex's `editora` with `editoratype = {compiler}`.
CONTRIBUTOR_FIELDS = {
    ContributorRole.EDITOR: "editor",
    ContributorRole.BOOK_AUTHOR: "bookauthor",
    ContributorRole.TRANSLATOR: "translator",
    ContributorRole.SERIES_EDITOR: "serieseditor",
    ContributorRole.COMPILER: "editora",
    ContributorRole.ANNOTATOR: "annotator",
    ContributorRole.COMMENTATOR: "commentator",
    ContributorRole.INTRODUCTION: "introduction",
    ContributorRole.FOREWORD: "foreword",
    ContributorRole.AFTERWORD: "afterword",
}
_ISO_DATE = re.compile(r"[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?(?:/(?:[0-9]{4}(?:-[0-9]{2}){0,2})?)?")
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


# TeX ligatures: "--" is an en dash, "''" a closing quote, "!`" an inverted "!" ... An empty
# group between the characters keeps them as typed.
_LIGATURE = re.compile(r"-(?=-)|'(?=')|`(?=`)|[!?](?=`)")


def latex_escape(text: str) -> str:
    """Return plain text with LaTeX's special characters escaped and ligatures broken."""
    escaped = _LATEX_SPECIAL.sub(_latex_character, text)
    if "-" in escaped or "'" in escaped or "`" in escaped:
        escaped = _LIGATURE.sub(lambda match: match.group() + "{}", escaped)
    return escaped


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
    """Return the name as BibTeX writes it, in the first form that parses back to `name`.

    "von Last, Jr, First" as BibTeX reads it; where that would split differently (a particle
    with capitals such as "Van", a family name with a lower-case word, a suffix without given
    names) the parts are braced, and failing that biblatex's `family=..., prefix=...` form.
    """
    candidates = _name_forms(name)
    for candidate in candidates:
        parsed, et_al = parse_names(candidate)
        if parsed == [name] and not et_al:
            return candidate
    return candidates[-1]


def _name_forms(name: Name) -> list[str]:
    if name.corporate:
        escaped = latex_escape(one_line(name.corporate))
        return ["{" + escaped + "}", "{{" + escaped + "}}"]

    def part(text: str) -> str:
        escaped = latex_escape(one_line(text))
        # A comma or a stand-alone "and" would split the name list or the name.
        if "," in text or _AND.search(text):
            return "{" + escaped + "}"
        return escaped

    def braced(text: str) -> str:
        return "{" + latex_escape(one_line(text)) + "}" if text else ""

    forms = []
    for family in (part(name.family), braced(name.family)):
        last = " ".join(filter(None, [part(name.particle), family]))
        pieces = [last]
        if name.suffix:
            pieces.append(part(name.suffix))
        if name.given or name.suffix:
            pieces.append(part(name.given) if name.given else "{}")
        forms.append(", ".join(pieces))
    extended = [
        f"{key}={braced(value)}"
        for key, value in (
            ("family", name.family),
            ("given", name.given),
            ("prefix", name.particle),
            ("suffix", name.suffix),
        )
        if value
    ]
    if name.particle:
        extended.append("useprefix=true")
    forms.append(", ".join(extended))
    return forms


def bibtex_names(names: list[Name], *, et_al: bool = False) -> str:
    """Return a BibTeX name list: the names joined with `and`, `and others` when et_al."""
    written = [_bibtex_name(name) for name in names]
    if et_al:
        written.append("others")
    return " and ".join(written)


def _url_safe(text: str) -> str:
    # URL and DOI fields are verbatim for biblatex and \url for BibTeX: only braces must go.
    return text.replace("{", "%7B").replace("}", "%7D")


# biblatex `pubstate` values; an accepted article is "in press" to readers.
_PUBSTATES = {
    PublicationState.IN_PRESS: "inpress",
    PublicationState.ACCEPTED: "inpress",
    PublicationState.SUBMITTED: "submitted",
}


def _verbatim(text: str) -> str:
    # ISBN and e-print fields are never LaTeX-decoded on import: written as they are.
    return one_line(text).replace("{", "").replace("}", "")


def bibtex_pages(pages: str) -> str:
    """Return printed pages as BibTeX writes them: an en dash as `--` ("E3313--E3322")."""
    return latex_escape(one_line(pages)).replace(EN_DASH, "--")


def _entry_type(record: ArticleRecord) -> str:
    if record.output_type == OutputType.PREPRINT and record.eprint:
        return "misc"
    if record.output_type == OutputType.THESIS and "master" in record.genre.lower():
        return "mastersthesis"
    return BIBTEX_TYPES.get(record.output_type, "misc")


def _date_fields(record: ArticleRecord) -> list[tuple[str, str]]:
    """Return the date fields: year, month (macro) and an ISO date when there is a day.

    A date as written (date_text) that is an ISO date or range ("2019-05/2019-06") is written
    as biblatex's `date`; any other ("1978/79", "300 BC", "c. 1850") as `year`, with the month.
    """
    if record.date_text:
        text = latex_escape(one_line(record.date_text))
        if _ISO_DATE.fullmatch(record.date_text.strip()):
            return [("date", "{" + text + "}")]
        fields = [("year", "{" + text + "}")]
        if record.month:
            fields.append(("month", MONTH_MACROS[record.month - 1]))
        return fields
    fields = []
    if record.year:
        fields.append(("year", "{" + str(record.year) + "}"))
    if record.year and record.month:
        fields.append(("month", MONTH_MACROS[record.month - 1]))
    if record.year and record.month and record.day:
        # BibTeX has no day: biblatex's ISO date keeps it (year and month stay for BibTeX).
        fields.append(("date", f"{{{record.year:04d}-{record.month:02d}-{record.day:02d}}}"))
    return fields


def _bibtex_keyword(term: str) -> str:
    escaped = latex_escape(one_line(term))
    # Keyword lists split on commas and semicolons: braces keep such a keyword whole.
    return "{" + escaped + "}" if "," in term or ";" in term else escaped


def bibtex_entry(record: ArticleRecord, *, key: str) -> str:
    """Return one BibTeX entry for the record, with `key` as its citation key."""
    entry_type = _entry_type(record)
    fields: list[tuple[str, str]] = []

    def add(name: str, value: str, *, bare: bool = False) -> None:
        if value:
            fields.append((name, value if bare else "{" + value + "}"))

    if record.authors or record.et_al:
        add("author", bibtex_names(record.authors, et_al=record.et_al))
    for role, field_name in CONTRIBUTOR_FIELDS.items():
        names = record.names(role)
        if names:
            add(field_name, bibtex_names(names))
            if role == ContributorRole.COMPILER:
                add("editoratype", "compiler")
    add("title", rich_text_to_latex(record.title, protect=True))
    _add_containers(record, entry_type, add)
    fields.extend(_date_fields(record))
    add("edition", latex_escape(one_line(record.edition)))
    add("volume", latex_escape(record.volume))
    add("series", latex_escape(one_line(record.series)))
    _add_numbers(record, entry_type, add)
    add("chapter", latex_escape(one_line(record.chapter)))
    add("pages", bibtex_pages(record.pages))
    add("eid", latex_escape(record.article_number))
    if record.number_of_pages and record.number_of_pages != page_count(record.pages):
        add("pagetotal", str(record.number_of_pages))
    add("type", latex_escape(one_line(record.genre)))
    add(_BIBTEX_PUBLISHER.get(entry_type, "publisher"), latex_escape(record.publisher))
    add("address", latex_escape(one_line(record.place)))
    add("howpublished", latex_escape(one_line(record.howpublished)))
    add("isbn", _verbatim(record.isbn))
    add("doi", _url_safe(record.doi))
    add("issn", ", ".join(record.issns))
    add("url", _url_safe(record.url))
    add("urldate", latex_escape(one_line(record.accessed)))
    _add_eprints(record, add)
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


def _add_containers(record: ArticleRecord, entry_type: str, add) -> None:
    """Add the journal, proceedings or book the record is in.

    A paper's or chapter's container is kept as the journal and written as `booktitle`; a
    record's own book title (`book_title`) is `booktitle` for other types, and for a paper or
    chapter with both, the journal stays `journal`.
    """
    journal = _latex_container(record.journal_title) if record.journal_title else ""
    book_title = _latex_container(record.book_title) if record.book_title else ""
    if entry_type in _BOOKTITLE_CONTAINER and not book_title:
        add("booktitle", journal)
    else:
        add("journal", journal)
        add("booktitle", book_title)
    if journal:
        # biblatex's field for the NLM/ISO 4 abbreviation Vancouver and AMA print.
        add("shortjournal", _latex_container(record.journal_abbreviation))


def _add_numbers(record: ArticleRecord, entry_type: str, add) -> None:
    """Add `number`: an article's issue, a report's number, else the number in a series.

    The issue of any other type is biblatex's `issue`.
    """
    if entry_type == "article":
        add("number", latex_escape(record.issue))
        return
    number = record.report_number if entry_type == "techreport" else record.series_number
    add("number", latex_escape(one_line(number)))
    add("issue", latex_escape(record.issue))


def _add_eprints(record: ArticleRecord, add) -> None:
    """Add the e-print (arXiv id, archive and class) and the PMID.

    The e-print is written as stored: `eprint` with `archiveprefix` (biblatex's
    `eprinttype = {pubmed}` for a PubMed one) and `primaryclass`. A PMID that is not the
    e-print is a `pmid` field, which imports as the PMID alone.
    """
    pubmed = record.eprint_type.strip().lower() == "pubmed"
    if record.eprint:
        add("eprint", _verbatim(record.eprint))
        add("eprinttype" if pubmed else "archiveprefix", _verbatim(record.eprint_type))
        add("primaryclass", _verbatim(record.eprint_class))
    if record.pmid and not (pubmed and record.eprint == record.pmid):
        add("pmid", record.pmid)
