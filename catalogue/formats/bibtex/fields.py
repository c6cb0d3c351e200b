"""Readers for single BibTeX field values: pages, dates, languages, identifiers, keywords.

Each reader takes the field's text (macros expanded, LaTeX not yet decoded unless
said otherwise) and returns catalogue values plus warning messages, never raising.
"""

from __future__ import annotations

import calendar
import re

from django.conf.locale import LANG_INFO
from django.core.exceptions import ValidationError

from catalogue import identifiers

from .latex import latex_to_unicode

MONTH_MACROS = {
    "jan": "January",
    "feb": "February",
    "mar": "March",
    "apr": "April",
    "may": "May",
    "jun": "June",
    "jul": "July",
    "aug": "August",
    "sep": "September",
    "oct": "October",
    "nov": "November",
    "dec": "December",
}
_MONTH_NAMES = {
    **{name.lower(): number for number, name in enumerate(calendar.month_name) if name},
    **{name.lower(): number for number, name in enumerate(calendar.month_abbr) if name},
    "sept": 9,
}

# Types not in this table are imported as "other" with a warning.
OUTPUT_TYPES = {
    "article": "article",
    "inproceedings": "conference-paper",
    "conference": "conference-paper",
    "book": "book",
    "inbook": "book",
    "booklet": "book",
    "mvbook": "book",
    "bookinbook": "book",
    "collection": "book",
    "mvcollection": "book",
    "proceedings": "book",
    "mvproceedings": "book",
    "reference": "book",
    "mvreference": "book",
    "incollection": "chapter",
    "inreference": "chapter",
    "suppbook": "chapter",
    "suppcollection": "chapter",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "thesis": "thesis",
    "techreport": "report",
    "report": "report",
    "standard": "report",
    "misc": "other",
    "manual": "other",
    "software": "other",
    "patent": "other",
    "periodical": "other",
    "online": "webpage",
    "electronic": "webpage",
    "www": "webpage",
    "webpage": "webpage",
    "dataset": "dataset",
    "data": "dataset",
    "unpublished": "preprint",
    "preprint": "preprint",
}
# Types whose `booktitle` names the container (the proceedings or book).
CONTAINER_TYPES = {"inproceedings", "conference", "incollection", "inbook", "inreference"}

_LANGUAGE_ALIASES = {
    "american": "en",
    "british": "en",
    "usenglish": "en",
    "ukenglish": "en",
    "australian": "en",
    "canadian": "en",
    "newzealand": "en",
    "eng": "en",
    "ngerman": "de",
    "deutsch": "de",
    "austrian": "de",
    "naustrian": "de",
    "swissgerman": "de",
    "nswissgerman": "de",
    "ger": "de",
    "deu": "de",
    "francais": "fr",
    "français": "fr",
    "frenchb": "fr",
    "acadian": "fr",
    "fre": "fr",
    "fra": "fr",
    "español": "es",
    "espanol": "es",
    "castellano": "es",
    "spa": "es",
    "italiano": "it",
    "ita": "it",
    "portuges": "pt",
    "brazil": "pt",
    "brazilian": "pt",
    "português": "pt",
    "portugues": "pt",
    "por": "pt",
    "nederlands": "nl",
    "flemish": "nl",
    "dut": "nl",
    "nld": "nl",
    "rus": "ru",
    "русский": "ru",
    "chinese": "zh",
    "chi": "zh",
    "zho": "zh",
    "mandarin": "zh",
    "中文": "zh",
    "jpn": "ja",
    "日本語": "ja",
    "kor": "ko",
    "polski": "pl",
    "pol": "pl",
    "cze": "cs",
    "ces": "cs",
    "slk": "sk",
    "slo": "sk",
    "slovene": "sl",
    "slv": "sl",
    "hrv": "hr",
    "srp": "sr",
    "svenska": "sv",
    "swe": "sv",
    "norsk": "no",
    "nor": "no",
    "bokmal": "nb",
    "dansk": "da",
    "dan": "da",
    "suomi": "fi",
    "fin": "fi",
    "ice": "is",
    "isl": "is",
    "polutonikogreek": "el",
    "gre": "el",
    "ell": "el",
    "tur": "tr",
    "ara": "ar",
    "heb": "he",
    "farsi": "fa",
    "per": "fa",
    "fas": "fa",
    "hin": "hi",
    "magyar": "hu",
    "hun": "hu",
    "rum": "ro",
    "ron": "ro",
    "bul": "bg",
    "ukr": "uk",
    "cat": "ca",
    "lat": "la",
    "latin": "la",
    "bahasa": "id",
    "scottish": "gd",
}
_LANGUAGE_CODES: dict[str, str] = {}
for _code, _info in LANG_INFO.items():
    if len(_code) == 2 and "name" in _info:
        _LANGUAGE_CODES[_code] = _code
        _LANGUAGE_CODES[_info["name"].lower()] = _code
        _LANGUAGE_CODES.setdefault(_info.get("name_local", "").lower(), _code)
_LANGUAGE_CODES.pop("", None)
_LANGUAGE_CODES.update(_LANGUAGE_ALIASES)

_PAGE_PREFIX = re.compile(r"^(?:pp?\.|pages?\b|pp\b)\s*", re.IGNORECASE)
_DASHES = re.compile(r"\s*(?:-+|[–—‐‑−])\s*")
_PAGE_RANGE = re.compile(r"(\d{1,9})(?:-(\d{1,9}))?\+?")
_EID_LIKE = re.compile(r"[A-Za-z]{1,4}\d{2,}|\d{5,}|\d+[A-Za-z]+\d*")
_YEAR_ONLY = re.compile(r"[\[(]?(?:c\.?\s*)?(\d{4})[a-z]?[\])]?\.?")
_YEAR_ANYWHERE = re.compile(r"(?<!\d)([12]\d{3})(?!\d)")
_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ].*)?(?:/.*)?")
_IN_PRESS = re.compile(
    r"(?:in[\s-]*press|inpress|forthcoming|to\s+appear|accepted|submitted|in\s+print|"
    r"ahead\s+of\s+print|epub\s+ahead|early\s+(?:view|access)|online\s+first|n\.\s*d\.|no\s+date)",
    re.IGNORECASE,
)
_PUBSTATES = {
    "inpress": "in-press",
    "in press": "in-press",
    "forthcoming": "in-press",
    "prepublished": "in-press",
    "accepted": "accepted",
    "submitted": "submitted",
}
_URL = re.compile(r"(?:https?|ftp)://[^\s/$.?#]\S*", re.IGNORECASE)
_DOI_URL = re.compile(r"^(?:https?://)?(?:dx\.)?doi\.org/", re.IGNORECASE)
_DOI_INSIDE = re.compile(r"(?:https?://[^\s/]+/|doi\s*:?\s*)(10\.\d{4,9}/\S+)$", re.IGNORECASE)
_URL_WRAPPER = re.compile(r"\\(?:url|href|doi|path)\s*\{([^{}]*)\}")
_ISSN_SPLIT = re.compile(r"[,;\s]+")
_KEYWORD_SPLIT = re.compile(r"[{};,]")
_MAX_INT = 2_147_483_647
_MAX_ARTICLE_NUMBER = 50
_MAX_URL = 1000


def parse_pages(value: str) -> tuple[int | None, int | None, str, list[str]]:
    """Return (first page, last page, article number, warnings) for a `pages` value."""
    warnings: list[str] = []
    text = latex_to_unicode(value, prose=False, markup=False)
    text = _PAGE_PREFIX.sub("", text).strip()
    if not text:
        return None, None, "", warnings
    text = _DASHES.sub("-", text)
    for separator in (",", ";", " and "):
        if separator in text:
            first_part = text.split(separator, 1)[0].strip()
            warnings.append(f"Pages `{text}` hold several ranges: only `{first_part}` was kept.")
            text = first_part
            break
    match = _PAGE_RANGE.fullmatch(text)
    if not match:
        if len(text) > _MAX_ARTICLE_NUMBER:
            warnings.append(f"Pages `{text[:80]}` are not page numbers and too long to keep.")
            return None, None, "", warnings
        return None, None, text, warnings
    first = int(match.group(1))
    last_text = match.group(2)
    last = None
    if last_text:
        first_text = match.group(1)
        if len(last_text) < len(first_text):
            # Abbreviated range: 311-25 means 311-325.
            last_text = first_text[: len(first_text) - len(last_text)] + last_text
        last = int(last_text)
        if last < first:
            warnings.append(
                f"Pages `{text}`: the last page comes before the first; only the first was kept."
            )
            last = None
        elif last == first:
            last = None
    if first == 0:
        return None, None, text, warnings
    return first, last, "", warnings


def is_eid_like(value: str) -> bool:
    """Return True for an electronic article number (e0123, aac4716, 115701), not an issue."""
    return bool(_EID_LIKE.fullmatch(value.strip()))


def parse_count(value: str, name: str) -> tuple[int | None, list[str]]:
    """Return a positive page count from `numpages`/`pagetotal`, or None with a warning."""
    text = latex_to_unicode(value, prose=False, markup=False)
    digits = re.sub(r"\s*(?:pp?\.?|pages?)$", "", text, flags=re.IGNORECASE).strip()
    if digits.isdigit() and 0 < int(digits) <= _MAX_INT:
        return int(digits), []
    return None, [f"`{name} = {text}` is not a number of pages: left empty."]


def parse_year(value: str) -> tuple[int | None, str, list[str]]:
    """Return (year, publication state or "", warnings) for a `year` value."""
    text = latex_to_unicode(value, prose=False, markup=False)
    if not text:
        return None, "", []
    match = _YEAR_ONLY.fullmatch(text)
    if match:
        return _checked_year(int(match.group(1)), text)
    state_match = _IN_PRESS.search(text)
    if state_match:
        state = _state_from_words(state_match.group())
        years = _YEAR_ANYWHERE.findall(text)
        if years:
            year, _state, warnings = _checked_year(int(years[0]), text)
            return year, state, warnings
        return None, state, []
    years = _YEAR_ANYWHERE.findall(text)
    if years:
        year = int(years[0])
        return year, "", [f"Year `{text}` read as {year}."]
    return None, "", [f"Year `{text}` is not a year: left empty."]


def _state_from_words(words: str) -> str:
    """Return the publication state a phrase such as "in press" or "submitted" means."""
    lowered = words.lower()
    if lowered.startswith("submitted"):
        return "submitted"
    if lowered.startswith("accepted"):
        return "accepted"
    if lowered.startswith(("n.", "no")):
        return ""
    return "in-press"


def _checked_year(year: int, text: str) -> tuple[int | None, str, list[str]]:
    if 1000 <= year <= 2999:
        return year, "", []
    return None, "", [f"Year `{text}` is out of range: left empty."]


def parse_pubstate(value: str) -> str:
    """Return the publication state for a biblatex `pubstate` value, or ""."""
    return _PUBSTATES.get(latex_to_unicode(value, prose=False, markup=False).lower(), "")


def split_state_note(note: str) -> tuple[str, str]:
    """Return (note, state) with a closing "In press"/"Forthcoming"/"Submitted" taken out."""
    # Plain BibTeX has no pubstate field, so exports (ours included) say it in the note.
    head, _, last = note.rpartition(". ") if ". " in note else ("", "", note)
    state = _PUBSTATES.get(last.strip().rstrip(".").lower(), "")
    if not state:
        return note, ""
    return head.strip(), state


def parse_month(value: str) -> tuple[int | None, int | None, list[str]]:
    """Return (month, day, warnings) for `month = dec`, "December", "Dec.", "12", "Dec 15"."""
    text = latex_to_unicode(value, prose=False, markup=False)
    if not text:
        return None, None, []
    tokens = re.findall(r"[^\W\d_]+|\d+", text.lower())
    month = None
    day = None
    numbers = []
    extra_months = False
    for token in tokens:
        if token.isdigit():
            numbers.append(int(token))
        elif token in _MONTH_NAMES:
            if month is None:
                month = _MONTH_NAMES[token]
            else:
                extra_months = True
    warnings: list[str] = []
    if month is None:
        if len(numbers) == 1 and 1 <= numbers[0] <= 12:
            return numbers[0], None, []
        return None, None, [f"Month `{text}` is not a month: left empty."]
    if extra_months:
        warnings.append(f"Month `{text}` names several months: the first was kept.")
    elif numbers:
        if len(numbers) == 1 and 1 <= numbers[0] <= 31:
            day = numbers[0]
        else:
            warnings.append(f"Month `{text}`: the day was not understood and left empty.")
    return month, day, warnings


def parse_date(value: str) -> tuple[int | None, int | None, int | None, list[str]]:
    """Return (year, month, day, warnings) for a biblatex `date` (2017, 2017-05, 2017-05-03)."""
    text = latex_to_unicode(value, prose=False, markup=False)
    match = _DATE.fullmatch(text)
    if not match:
        return None, None, None, [f"Date `{text}` is not a date (YYYY-MM-DD): left empty."]
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else None
    day = int(match.group(3)) if match.group(3) else None
    if not 1000 <= year <= 2999:
        return None, None, None, [f"Date `{text}` is out of range: left empty."]
    if month is not None and not 1 <= month <= 12:
        return year, None, None, [f"Date `{text}` has no month {month}: only the year was kept."]
    return year, month, day, []


def check_day(year: int | None, month: int | None, day: int | None) -> tuple[int | None, list[str]]:
    """Return the day if it exists in that month (and year), else None with a warning."""
    if day is None or year is None or month is None:
        return day, []
    last = calendar.monthrange(year, month)[1]
    if 1 <= day <= last:
        return day, []
    return None, [f"{calendar.month_name[month]} {year} has no day {day}: the day was left empty."]


def parse_language(value: str) -> tuple[str, list[str]]:
    """Return the ISO 639-1 code for a language name or code ("ngerman" -> "de"), or ""."""
    text = latex_to_unicode(value, prose=False, markup=False)
    if not text:
        return "", []
    parts = [part.strip() for part in re.split(r"[,;/]| and ", text) if part.strip()]
    code = _language_code(parts[0]) if parts else ""
    if not code:
        return "", [f"Language `{text}` is not a language the catalogue knows: left empty."]
    if len(parts) > 1:
        return code, [f"Language `{text}` names several languages: `{code}` was kept."]
    return code, []


def _language_code(name: str) -> str:
    lowered = name.lower().strip()
    code = _LANGUAGE_CODES.get(lowered)
    if code:
        return code
    # Locale-style codes: en-US, de_DE, pt-BR.
    head = re.split(r"[-_\s]", lowered, maxsplit=1)[0]
    return _LANGUAGE_CODES.get(head, "") if head != lowered else ""


def clean_identifier(value: str) -> str:
    """Return an identifier or URL without `\\url{}`, braces and TeX escapes (no decoding)."""
    text = value
    if "\\" in text:
        text = _URL_WRAPPER.sub(r"\1", text)
        for escaped, plain in (
            ("\\textasciitilde", "~"),
            ("\\~{}", "~"),
            ("\\_", "_"),
            ("\\%", "%"),
            ("\\&", "&"),
            ("\\#", "#"),
            ("\\$", "$"),
        ):
            text = text.replace(escaped, plain)
    if "{" in text or "}" in text:
        text = text.replace("{", "").replace("}", "")
    return text.strip()


def parse_doi(value: str) -> tuple[str, list[str]]:
    """Return the normalised DOI, or "" with a warning if it is not one."""
    text = clean_identifier(value)
    if not text:
        return "", []
    doi = identifiers.normalise_doi(text)
    if identifiers.DOI_PATTERN.match(doi):
        return doi, []
    # Other resolvers and publisher links: http://doi.acm.org/10.1145/..., doi:10....
    match = _DOI_INSIDE.match(text)
    if match:
        return identifiers.normalise_doi(match.group(1)), []
    return "", [f"DOI `{text}` is not a DOI (10.<registrant>/<suffix>): left empty."]


def doi_from_url(url: str) -> str:
    """Return the DOI if `url` is a doi.org link, else ""."""
    if not _DOI_URL.match(url):
        return ""
    doi = identifiers.normalise_doi(url)
    return doi if identifiers.DOI_PATTERN.match(doi) else ""


def parse_url(value: str) -> tuple[str, list[str]]:
    """Return the first http(s)/ftp URL of a `url` value, or "" with a warning."""
    text = clean_identifier(value)
    if not text:
        return "", []
    words = text.split()
    url = words[0].rstrip(",;")
    warnings: list[str] = []
    if len(words) > 1:
        warnings.append(f"URL field holds several values: only `{url[:200]}` was kept.")
    if not _URL.fullmatch(url):
        return "", [f"URL `{url[:200]}` is not a web address (http://, https://): left empty."]
    if len(url) > _MAX_URL:
        return "", [f"URL is {len(url):,} characters long (limit {_MAX_URL:,}): left empty."]
    return url, warnings


def parse_pmid(value: str) -> tuple[str, list[str]]:
    """Return the PubMed identifier, or "" with a warning if it is not one."""
    text = clean_identifier(value)
    text = re.sub(r"^pmid\s*:?\s*", "", text, flags=re.IGNORECASE)
    if not text:
        return "", []
    try:
        identifiers.validate_pmid(text)
    except ValidationError:
        return "", [f"PMID `{text[:80]}` is not a PubMed identifier (up to 9 digits): left empty."]
    return text, []


def parse_issns(value: str) -> tuple[list[str], list[str]]:
    """Return the valid normalised ISSNs in an `issn` value (one or two) and warnings."""
    # Tokens without a digit are labels: "(Print)", "Online".
    tokens = _ISSN_SPLIT.split(clean_identifier(value))
    issns, errors = identifiers.valid_issns(t for t in tokens if any(c.isdigit() for c in t))
    return issns, [f"ISSN dropped: {error}" for error in errors]


def parse_keywords(value: str) -> list[str]:
    """Return the keywords split on `,` and `;` (outside braces), decoded, deduplicated."""
    pieces: list[str] = []
    depth = 0
    start = 0
    for match in _KEYWORD_SPLIT.finditer(value):
        char = match.group()
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(depth - 1, 0)
        elif depth == 0 and value[match.start() - 1 : match.start()] != "\\":
            pieces.append(value[start : match.start()])
            start = match.end()
    pieces.append(value[start:])
    keywords: list[str] = []
    seen: set[str] = set()
    for piece in pieces:
        keyword = latex_to_unicode(piece, prose=False, markup=False)
        folded = keyword.casefold()
        if keyword and folded not in seen:
            seen.add(folded)
            keywords.append(keyword)
    return keywords
