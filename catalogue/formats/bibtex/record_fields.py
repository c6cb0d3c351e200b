"""The fields of a record as printed: pages, issue and numbers, dates as written, containers.

Each reader takes `get(name)` (a field's text, macros expanded, LaTeX still in; "" when
absent) and `values` (the fields present), fills an Entry and appends warning messages.
The rules (issue 14, docs/fidelity.md): pages and issues are kept as printed with `--` as
an en dash; page numbers and counts are derived only from plain numbers
(catalogue.pages); an article number comes only from `eid`/`articleno`/`article-number`;
`number` is the issue of a periodical, the series number of a book in a series and the
report number of a report.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from catalogue import pages as printed

from . import fields as readers
from .latex import latex_to_unicode, math_may_be_kept, undecodable_math
from .results import Entry

Getter = Callable[[str], str]

# Types whose `number` is the issue of the periodical they appeared in.
PERIODICAL_TYPES = {"article", "periodical", "suppperiodical"}
# Types whose `number` is the number in a series (when the entry names the series).
SERIES_TYPES = {
    "book",
    "mvbook",
    "inbook",
    "bookinbook",
    "suppbook",
    "booklet",
    "collection",
    "mvcollection",
    "incollection",
    "suppcollection",
    "proceedings",
    "mvproceedings",
    "inproceedings",
    "conference",
    "reference",
    "mvreference",
    "inreference",
    "manual",
}
REPORT_TYPES = {"techreport", "report"}

_PAGE_LABEL = re.compile(r"\A(?:pp?\.|pages?\b|pp\b)\s*", re.IGNORECASE)
# A plain page or range ("311", "311–325"), printed as catalogue.pages.printed_pages prints it.
_PLAIN_PAGES = re.compile("([1-9][0-9]{0,8})(?:\u2013([1-9][0-9]{0,8}))?")
_MAX_PAGES = 100  # characters: longer `pages` values are notes, not pages
_PLAIN_YEAR = re.compile(r"\d{4}")
_PLAIN_DATE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
_STATE_WORDS = re.compile(
    r"in[\s-]*press|inpress|forthcoming|to\s+appear|accepted|submitted|in\s+print|"
    r"ahead\s+of\s+print|epub\s+ahead|early\s+(?:view|access)|online\s+first",
    re.IGNORECASE,
)
CONTAINER_FIELDS = frozenset(
    (
        "booktitle",
        "edition",
        "series",
        "address",
        "location",
        "isbn",
        "chapter",
        "type",
        "howpublished",
        "urldate",
    )
)
EPRINT_FIELDS = frozenset(("eprint", "archiveprefix", "eprinttype", "primaryclass", "eprintclass"))
# Fields decoded as text, whose math may be kept as written.
TEXT_FIELDS = (
    "title",
    "subtitle",
    "abstract",
    "journal",
    "journaltitle",
    "booktitle",
    "note",
    "annote",
    "annotation",
    "series",
    "publisher",
    "school",
    "institution",
    "organization",
    "howpublished",
    "edition",
    "chapter",
    "type",
    "address",
    "location",
    "keywords",
)
_NOT_YEAR_WARNING = re.compile(r"\A(?:Year|Date) `.*` is (?:not a year|not a date|out of range)")


def _plain(value: str) -> str:
    """Return a field's text decoded without markup or prose ligatures (numbers, codes)."""
    return latex_to_unicode(value, prose=False, markup=False)


def _text(value: str) -> str:
    """Return a field's text decoded without markup, `--` as an en dash."""
    return latex_to_unicode(value, markup=False)


def read_numbers(get: Getter, values: dict[str, str], entry: Entry, warnings: list[str]) -> None:
    """Read pages, issue (or series/report number), article number and page count."""
    for name in ("eid", "articleno", "article-number"):
        if name in values:
            number = _plain(get(name))
            if number:
                entry.article_number = number
                break
    if "number" in values:
        number = _text(get("number"))
        if entry.entry_type in REPORT_TYPES:
            entry.report_number = number
        elif entry.entry_type in SERIES_TYPES and "series" in values:
            entry.series_number = number
        else:
            entry.issue = number
    if "issue" in values and not entry.issue:
        # biblatex's `issue` ("Spring") beside a `number`: the number stays the issue, as
        # before; TUGboat's files carry a running issue count there on every entry.
        entry.issue = _text(get("issue"))
    if "pages" in values:
        entry.pages = pages = _read_pages(get("pages"), warnings)
        plain = _PLAIN_PAGES.fullmatch(pages)
        if plain and (plain.group(2) is None or int(plain.group(2)) >= int(plain.group(1))):
            # The common case, read without catalogue.pages (same result, a third the time).
            entry.first_page = int(plain.group(1))
            entry.last_page = int(plain.group(2) or plain.group(1))
        elif pages:
            entry.first_page, entry.last_page = printed.page_numbers(pages)
            if entry.first_page is None and printed.EN_DASH in pages:
                _check_backwards(pages, warnings)
    if "numpages" in values or "pagetotal" in values:
        for name in ("numpages", "pagetotal"):
            if name in values:
                count, count_warnings = readers.parse_count(get(name), name)
                warnings.extend(count_warnings)
                if count:
                    entry.page_count = count
                    break
    if entry.page_count is None and entry.first_page is not None and entry.last_page is not None:
        entry.page_count = entry.last_page - entry.first_page + 1  # catalogue.pages.page_count


def _read_pages(value: str, warnings: list[str]) -> str:
    """Return `pages` as printed: decoded, `pp.` label dropped, each range with an en dash."""
    text = _text(value)
    if text[:1] in ("p", "P"):
        text = _PAGE_LABEL.sub("", text).strip()
    if len(text) > _MAX_PAGES:
        warnings.append(f"Pages `{text[:80]}...` are too long to be pages: left empty.")
        return ""
    return printed.printed_pages(text)


def _check_backwards(pages: str, warnings: list[str]) -> None:
    """Warn about a range of full numbers that runs backwards ("325–311", not "311–25")."""
    first, last = printed.split_range(pages)
    if last.isdigit() and first.isdigit() and len(last) >= len(first) and int(last) < int(first):
        # "311–25" is an abbreviated range, printed so on purpose; "325–311" is a slip.
        warnings.append(
            f"Pages `{pages}`: the last page comes before the first; "
            "kept as printed, without page numbers."
        )


def read_date_text(get: Getter, values: dict[str, str], entry: Entry, warnings: list[str]) -> None:
    """Keep the date as written when year, month and day cannot say it ("1978/79", "300 BC").

    A plain year, year-month or year-month-day says nothing more and leaves `date_text`
    empty, as does a publication state ("in press") that the record's state says.
    """
    if "date" not in values and ("month" not in values or entry.month is not None):
        raw_year = values.get("year", "").strip('{}" \t\n')
        if len(raw_year) == 4 and raw_year.isdigit():
            return  # the common case: a plain year says everything
    written = ""
    if "date" in values:
        date = _text(get("date"))
        if date and not _PLAIN_DATE.fullmatch(date):
            written = date
    if not written and "year" in values and (entry.year is None or "date" not in values):
        year = _text(get("year"))
        if year and not _PLAIN_YEAR.fullmatch(year) and not _only_state(year, entry.year):
            written = year
        if "month" in values and entry.month is None and entry.year is not None and year:
            month = _text(get("month"))
            if any(char.isalpha() for char in month):
                written = f"{month} {written or year}"
    if not written or not any(char.isdigit() for char in written):
        return  # "n.d.", "?": nothing a date could say either
    entry.date_text = written
    if entry.year is None:
        # The record keeps the date as written; say so instead of "left empty".
        kept = [message for message in warnings if not _NOT_YEAR_WARNING.match(message)]
        if len(kept) != len(warnings):
            warnings[:] = kept
            warnings.append(
                f"Date `{written}` has no year the catalogue can sort by: kept as written."
            )


def _only_state(text: str, year: int | None) -> bool:
    """Return True if `text` says only a publication state, perhaps with the year."""
    rest = _STATE_WORDS.sub("", text)
    if rest == text:
        return False
    if year is not None:
        rest = rest.replace(str(year), "")
    return not re.sub(r"[\W_]", "", rest)


def read_container_fields(
    get: Getter, values: dict[str, str], entry: Entry, booktitle_is_journal: bool
) -> None:
    """Read book title, edition, series, place, ISBN, chapter, genre, howpublished, urldate."""
    if values.keys().isdisjoint(CONTAINER_FIELDS):
        return
    if "booktitle" in values and not booktitle_is_journal:
        entry.book_title = latex_to_unicode(get("booktitle"))
    if "edition" in values:
        entry.edition = _text(get("edition"))
    if "series" in values:
        entry.series = _text(get("series"))
    for name in ("address", "location"):
        if name in values:
            entry.place = _text(get(name))
            if entry.place:
                break
    if "isbn" in values:
        entry.isbn = readers.clean_identifier(get("isbn"))
    if "chapter" in values:
        entry.chapter = _text(get("chapter"))
    if "type" in values:
        entry.genre = _text(get("type"))
    if "howpublished" in values:
        howpublished = _text(get("howpublished"))
        # A howpublished that is only the URL became the record's URL: not kept twice.
        if not (entry.url and howpublished in (entry.url, f"URL: {entry.url}")):
            entry.howpublished = howpublished
    if "urldate" in values:
        entry.accessed = _plain(get("urldate"))


def read_eprint(get: Getter, values: dict[str, str], entry: Entry) -> None:
    """Read eprint, its type (`archiveprefix`/`eprinttype`) and class (`primaryclass`/...)."""
    if values.keys().isdisjoint(EPRINT_FIELDS):
        return
    if "eprint" in values:
        entry.eprint = readers.clean_identifier(get("eprint"))
    for name in ("archiveprefix", "eprinttype"):
        if name in values:
            entry.eprint_type = _plain(get(name))
            if entry.eprint_type:
                break
    for name in ("primaryclass", "eprintclass"):
        if name in values:
            entry.eprint_class = _plain(get(name))
            if entry.eprint_class:
                break


def check_math(get: Getter, values: dict[str, str], raw: str, warnings: list[str]) -> None:
    """Warn about math that could not be decoded and was kept as written (`$\\frac{a}{b}$`).

    `raw` is the entry's source text: most entries have no math at all (values inherited
    through `crossref` are not in it).
    """
    if "$" not in raw and "\\(" not in raw and "crossref" not in values:
        return
    for name in TEXT_FIELDS:
        raw = values.get(name)
        if raw is None or not math_may_be_kept(raw):
            continue
        for math in undecodable_math(get(name)):
            warnings.append(
                f"`{name}`: the math `{math[:80]}` could not be turned into plain text "
                "and was kept as written."
            )
