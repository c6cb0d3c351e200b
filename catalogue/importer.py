"""BibTeX import: match parsed entries against the catalogue, write them in one transaction, undo.

The parser (`catalogue.bibtex`) turns bytes into `Entry` objects; this module decides what each
entry is and writes the result with bulk queries.

Matching rules, in order, for one entry:

1. Same normalised DOI as an existing article: the same record. With on_duplicate="skip" it is
   counted as a duplicate; with "update" the existing article takes the entry's non-empty
   values (counted as updated, or as a duplicate when nothing would change).
2. No DOI on either side, and the same normalised title (markup, case, accents, punctuation and
   spacing ignored), year, first author's family name (with particle; case and accents ignored;
   corporate name for a corporate author) and journal (resolved as below, or none on both
   sides): the same record, as in 1.
3. Same title, year and first author but anything else different (a DOI on one side only, two
   different DOIs, another journal): a *probable* duplicate. The entry is imported as a new
   article and reported with a link to the existing one; never merged.
4. Otherwise a new article.

Duplicates inside one source follow the same rules: a later entry that is the same record as
an earlier one is reported as a duplicate of it, a similar one as a probable duplicate.

Related records are reused rather than duplicated:

- Journals: by ISSN (any of the entry's ISSNs against either slot), else by normalised title.
  A new journal gets the entry's ISSNs (print slot first), abbreviation and publisher.
- Keywords: by term, ignoring case and repeated spaces.
- Corporate authors: by corporate name, ignoring case, accents and punctuation.
- Persons: by ORCID when both sides have one; else by family name (with particle) + given names
  + suffix, ignoring case, accents and punctuation ("Huibers, Marcus J. H." = "HUIBERS, Marcus
  J.H."). An initials-only form ("Huibers, M. J. H.") is taken for a full form with the same
  initials, or the other way round, only when exactly one author in the catalogue (or created
  earlier in the same import) fits; otherwise a new author is created, so that two different
  people are never merged on initials alone.

One import is one transaction, serialised with other imports (a PostgreSQL advisory lock; SQLite
serialises writers itself), and planned again inside it, so concurrent imports of overlapping
files never create one DOI twice and a failure leaves the catalogue exactly as before.
"""

from __future__ import annotations

import calendar
import contextlib
import dataclasses
import datetime
import functools
import gc
import hashlib
import io
import json
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from catalogue import bibtex, identifiers
from catalogue.models import (
    Article,
    Author,
    Authorship,
    ImportAction,
    ImportBatch,
    ImportRecord,
    ImportStatus,
    Journal,
    Keyword,
    OnDuplicate,
    OutputType,
    PublicationState,
    fold,
)

# Any constant shared by every process that imports; the key of the PostgreSQL advisory lock.
LOCK_KEY = 0x0B1B_7E58
# Rows per IN (...) query: below SQLite's historical limit of 999 bound parameters.
CHUNK = 900
BULK_BATCH_SIZE = 1000
# How long an upload awaiting confirmation is kept.
PENDING_LIFETIME = datetime.timedelta(days=7)
FAILED = "failed"
WARNING = "warning"

Progress = Callable[[str, int, int], None]


class ImportFileError(ValueError):
    """The source cannot be imported at all: unreadable, too big, binary, or without entries."""


class ImportStateError(ValueError):
    """The batch cannot be confirmed, cancelled or undone in its current state."""


# --- normalisation ---------------------------------------------------------------------------

_MARKUP = re.compile(r"</?(?:i|b|sup|sub|span|sc)\b[^>]*>", re.IGNORECASE)
_NON_WORD = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    # Most bibliographic text is ASCII: skip the Unicode decomposition for it (10x faster).
    return text.casefold() if text.isascii() else fold(text)


@functools.lru_cache(maxsize=65536)
def normalise_title(text: str) -> str:
    """Return `text` without markup, case, accents, punctuation or repeated spaces."""
    if not text:
        return ""
    if "<" in text:
        text = _MARKUP.sub("", text)
    return _NON_WORD.sub(" ", _fold(text)).strip()


@functools.lru_cache(maxsize=65536)
def _compact(text: str) -> str:
    return _NON_WORD.sub("", _fold(text or ""))


@functools.lru_cache(maxsize=65536)
def _given_tokens(given: str) -> tuple[str, ...]:
    tokens: list[str] = []
    for word in _NON_WORD.split(given or ""):
        if not word:
            continue
        # "MJH" in Vancouver style is three initials, not a given name.
        if word.isupper() and word.isalpha() and len(word) <= 3:
            tokens.extend(_fold(letter) for letter in word)
        else:
            tokens.append(_fold(word))
    return tuple(tokens)


def _family_key(*, family: str, particle: str = "", corporate: str = "") -> str:
    if corporate:
        return "corporate:" + _compact(corporate)
    return _compact(f"{particle} {family}")


def _keyword_key(term: str) -> str:
    return " ".join(term.split()).lower()


def _is_initials(tokens: tuple[str, ...]) -> bool:
    return bool(tokens) and all(len(token) == 1 for token in tokens)


def _initials(tokens: tuple[str, ...]) -> str:
    return "".join(token[0] for token in tokens)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the duration of the block."""
    # Parsing and matching allocate millions of objects that live until the import ends, and
    # each full collection would walk them all (about 20% of a large import's time).
    # Reference counting still frees everything else.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _pk(ref: Any) -> int | None:
    """Return the id of an existing row given as an int, or of a (saved) new model instance."""
    if ref is None or isinstance(ref, int):
        return ref
    return ref.pk


# --- plan --------------------------------------------------------------------------------------


class NewRow:
    """A row this import will insert: its column values, and its id once inserted.

    Lighter than an unsaved model instance, which matters at tens of thousands of rows.
    """

    __slots__ = ("pk", "values")

    def __init__(self, **values: Any) -> None:
        self.values = values
        self.pk: int | None = None

    def __repr__(self) -> str:
        return f"NewRow(pk={self.pk}, {self.values})"


@dataclass
class PlanItem:
    """What one parsed entry will do (or did) to the catalogue."""

    source: str
    line: int
    key: str
    title: str
    action: str = ImportAction.CREATED  # an ImportAction value
    note: str = ""  # why it matched, for the preview and the record
    et_al: bool = False
    fields: dict[str, Any] = field(default_factory=dict)
    journal: Any = None  # existing journal id, NewRow, or None
    authors: list[Any] = field(default_factory=list)  # existing author ids or NewRows
    keywords: list[Any] = field(default_factory=list)  # existing keyword ids or NewRows
    target_id: int | None = None  # the existing article matched (duplicate, updated)
    similar_to_id: int | None = None  # probable duplicate: the existing article it resembles
    earlier: PlanItem | None = None  # the earlier entry of this import it duplicates/resembles
    article: NewRow | None = None  # created: the new article (with its pk once written)
    previous: dict[str, Any] | None = None  # updated: the article's state before
    changes: list[str] = field(default_factory=list)  # updated: what changes

    @property
    def article_id(self) -> int | None:
        """Return the id of the article this entry created, updated or matched, if known."""
        if self.article is not None and self.article.pk:
            return self.article.pk
        if self.target_id:
            return self.target_id
        if self.earlier is not None and self.action == ImportAction.DUPLICATE:
            return self.earlier.article_id
        return None

    @property
    def resembles_id(self) -> int | None:
        """Return the id of the article a probable duplicate resembles, if it exists yet."""
        if self.similar_to_id:
            return self.similar_to_id
        if self.earlier is not None:
            return self.earlier.article_id
        return None


@dataclass
class ReportRow:
    """One line of a preview or import report: an entry's outcome or a problem."""

    source: str
    line: int
    key: str
    action: str  # an ImportAction value, "failed" or "warning"
    title: str = ""
    message: str = ""
    raw: str = ""
    article_id: int | None = None
    similar_to_id: int | None = None
    in_source: bool = False  # duplicate of / similar to an earlier entry of the same import
    et_al: bool = False

    @property
    def action_label(self) -> str:
        return ROW_LABELS.get(self.action, self.action)

    @property
    def is_suspicious(self) -> bool:
        """Return whether the command lists this row under the summary."""
        return self.action in {FAILED, WARNING, ImportAction.PROBABLE_DUPLICATE} or (
            self.action == ImportAction.DUPLICATE and self.in_source
        )

    def as_line(self) -> str:
        """Return the row as `FILE:LINE: KEY: reason` for terminals and logs."""
        return f"{self.source}:{self.line}: {self.key or '(no key)'}: {self.message}"


ROW_LABELS = {
    ImportAction.CREATED: "New",
    ImportAction.UPDATED: "Update",
    ImportAction.DUPLICATE: "Duplicate",
    ImportAction.PROBABLE_DUPLICATE: "Probable duplicate",
    FAILED: "Failed",
    WARNING: "Warning",
}


@dataclass
class ImportPlan:
    """What an import would do, computed without writing anything."""

    on_duplicate: str
    items: list[PlanItem]
    problems: list[bibtex.Problem]
    source_entry_count: int
    new_journals: list[NewRow] = field(default_factory=list)
    new_authors: list[NewRow] = field(default_factory=list)
    new_keywords: list[NewRow] = field(default_factory=list)

    COUNT_FIELDS = (
        "created_count",
        "updated_count",
        "duplicate_count",
        "probable_duplicate_count",
        "failed_count",
    )

    def count(self, action: str) -> int:
        """Return how many entries take `action`."""
        return sum(1 for item in self.items if item.action == action)

    @property
    def failed_count(self) -> int:
        """Return the number of entries not imported (distinct located errors)."""
        return len(
            {
                (problem.source, problem.line, problem.key)
                for problem in self.problems
                if problem.severity == "error" and problem.line > 0
            }
        )

    @property
    def counts(self) -> dict[str, int]:
        """Return the summary counts keyed like the ImportBatch fields."""
        return {
            "created_count": self.count(ImportAction.CREATED),
            "updated_count": self.count(ImportAction.UPDATED),
            "duplicate_count": self.count(ImportAction.DUPLICATE),
            "probable_duplicate_count": self.count(ImportAction.PROBABLE_DUPLICATE),
            "failed_count": self.failed_count,
        }

    def rows(self) -> list[ReportRow]:
        """Return every entry outcome and problem as report rows, in source order."""
        rows = [_item_row(item) for item in self.items]
        rows.extend(_problem_row(problem) for problem in self.problems)
        rows.sort(key=lambda row: (row.source, row.line, _ROW_ORDER.get(row.action, 0)))
        return rows


# Within one line: the entry's outcome, then why it failed or what was doubtful.
_ROW_ORDER = {FAILED: 1, WARNING: 2}


def _item_row(item: PlanItem) -> ReportRow:
    if item.action == ImportAction.PROBABLE_DUPLICATE:
        message = f"probable duplicate: {item.note}"
    elif item.action == ImportAction.DUPLICATE:
        message = f"duplicate: {item.note}"
    elif item.action == ImportAction.UPDATED:
        message = f"updates {', '.join(item.changes)}: {item.note}"
    else:
        message = "new record"
    if item.et_al:
        message += " (author list ends with “and others”)"
    return ReportRow(
        source=item.source,
        line=item.line,
        key=item.key,
        action=item.action,
        title=item.title,
        message=message,
        article_id=item.article_id,
        similar_to_id=item.resembles_id,
        in_source=item.earlier is not None,
        et_al=item.et_al,
    )


def _problem_row(problem: bibtex.Problem) -> ReportRow:
    return ReportRow(
        source=problem.source,
        line=problem.line,
        key=problem.key,
        action=FAILED if problem.severity == "error" else WARNING,
        message=problem.message,
        raw=problem.raw,
    )


# --- cleaning one entry ------------------------------------------------------------------------

# A web address as the catalogue links it: a scheme, a host, no spaces. (Django's URLValidator
# is stricter but costs 50 µs a call, a quarter of the matching time of a large file.)
_URL = re.compile(r"(?:https?|ftps?)://[^\s/?#@]+(?:[/?#]\S*)?", re.IGNORECASE)
_MAX_INT = 2_147_483_647  # PositiveIntegerField on PostgreSQL
_OUTPUT_TYPES = set(OutputType.values)
_STATES = set(PublicationState.values)
_TEXT_LIMITS = {"volume": 50, "issue": 50, "article_number": 50}


@dataclass
class _PersonName:
    family: str = ""
    given: str = ""
    particle: str = ""
    suffix: str = ""
    corporate: str = ""
    orcid: str = ""


@dataclass
class _Clean:
    fields: dict[str, Any]
    journal_title: str
    journal_abbreviation: str
    issns: list[str]
    publisher: str
    authors: list[_PersonName]
    keywords: list[str]
    warnings: list[str]
    error: str = ""


def _truncate(value: str, limit: int, label: str, warnings: list[str]) -> str:
    if len(value) <= limit:
        return value
    warnings.append(f"{label} is longer than {limit} characters and was cut.")
    return value[:limit]


def _clean_entry(entry: bibtex.Entry) -> _Clean:
    """Return the entry's values made safe for the database, with warnings for what was dropped."""
    warnings: list[str] = []
    title = (entry.title or "").strip()
    fields: dict[str, Any] = {
        "title": title,
        "abstract": entry.abstract or "",
        "bibliographical_note": entry.note or "",
        "output_type": entry.output_type,
        "state": entry.state or PublicationState.PUBLISHED,
    }
    if fields["output_type"] not in _OUTPUT_TYPES:
        warnings.append(f"Unknown output type {entry.output_type!r}: imported as “Other”.")
        fields["output_type"] = OutputType.OTHER
    if fields["state"] not in _STATES:
        warnings.append(f"Unknown publication state {entry.state!r}: imported as published.")
        fields["state"] = PublicationState.PUBLISHED

    language = (entry.language or "").strip()
    if language:
        try:
            identifiers.validate_language(language)
        except ValidationError:
            warnings.append(f"Language {language!r} is not an ISO 639 code and was left out.")
            language = ""
    fields["language"] = language

    for name in ("volume", "issue", "article_number"):
        value = (getattr(entry, name) or "").strip()
        if len(value) > _TEXT_LIMITS[name]:
            warnings.append(
                f"{name.replace('_', ' ').capitalize()} {value[:60]!r} is longer than "
                f"{_TEXT_LIMITS[name]} characters and was left out."
            )
            value = ""
        fields[name] = value

    first, last, count = entry.first_page, entry.last_page, entry.page_count
    if first is not None and not 0 < first <= _MAX_INT:
        warnings.append(f"First page {first} is out of range; the pages were left out.")
        first = last = None
    if last is not None and (first is None or not first <= last <= _MAX_INT):
        warnings.append(f"Last page {last} does not follow first page {first}; it was left out.")
        last = None
    if count is not None and not 0 < count <= _MAX_INT:
        warnings.append(f"Page count {count} is out of range and was left out.")
        count = None
    if count is None and first and last:
        count = last - first + 1
    fields.update(first_page=first, last_page=last, page_count=count)

    year, month, day = entry.year, entry.month, entry.day
    if year is not None and not 1000 <= year <= 2999:
        warnings.append(f"Year {year} is out of range; the date was left out.")
        year = month = day = None
    if month is not None and (year is None or not 1 <= month <= 12):
        warnings.append(f"Month {month} is out of range or has no year; it was left out.")
        month = day = None
    if day is not None and (month is None or not 1 <= day <= _days_in(year, month)):
        warnings.append(f"Day {day} does not exist in that month; it was left out.")
        day = None
    fields.update(year=year, month=month, day=day)

    doi = identifiers.normalise_doi(entry.doi or "")
    if doi and (len(doi) > 255 or not identifiers.DOI_PATTERN.match(doi)):
        warnings.append(f"DOI {doi[:100]!r} is not a DOI and was left out.")
        doi = ""
    fields["doi"] = doi

    pmid = (entry.pmid or "").strip()
    if pmid:
        try:
            identifiers.validate_pmid(pmid)
        except ValidationError:
            warnings.append(f"PMID {pmid[:30]!r} is not a PubMed identifier and was left out.")
            pmid = ""
    fields["pmid"] = pmid

    url = (entry.url or "").strip()
    if url and (len(url) > 1000 or not _URL.fullmatch(url)):
        warnings.append(f"URL {url[:100]!r} is not a valid web address and was left out.")
        url = ""
    fields["url"] = url

    issns = []
    for issn in entry.issns:
        issn = identifiers.normalise_issn(issn)
        try:
            identifiers.validate_issn(issn)
        except ValidationError as error:
            warnings.append(f"ISSN left out: {error.messages[0]}")
            continue
        if issn not in issns:
            issns.append(issn)

    authors = []
    for name in entry.authors:
        person = _PersonName(
            family=_truncate((name.family or "").strip(), 255, "A family name", warnings),
            given=_truncate((name.given or "").strip(), 255, "A given name", warnings),
            particle=_truncate((name.particle or "").strip(), 50, "A name particle", warnings),
            suffix=_truncate((name.suffix or "").strip(), 50, "A name suffix", warnings),
            corporate=_truncate((name.corporate or "").strip(), 500, "An author name", warnings),
            # The parser's Name may learn ORCIDs (biblatex `orcid` annotations); use them if so.
            orcid=identifiers.normalise_orcid(getattr(name, "orcid", "") or ""),
        )
        if person.orcid:
            try:
                identifiers.validate_orcid(person.orcid)
            except ValidationError:
                warnings.append(f"ORCID {person.orcid!r} is not valid and was left out.")
                person.orcid = ""
        if person.corporate:
            person.family = person.given = person.particle = person.suffix = ""
        elif not person.family:
            if not person.given:
                warnings.append("An empty author name was left out.")
                continue
            # A single-word name ("Plato") parsed as a given name: keep it as the family name.
            person.family, person.given = person.given, ""
        authors.append(person)

    keywords: list[str] = []
    seen: set[str] = set()
    for term in entry.keywords:
        term = " ".join((term or "").split())
        if not term:
            continue
        if len(term) > 255:
            warnings.append(f"Keyword {term[:60]!r}… is longer than 255 characters; left out.")
            continue
        if _keyword_key(term) not in seen:
            seen.add(_keyword_key(term))
            keywords.append(term)

    journal_title = " ".join((entry.journal_title or "").split())
    journal_abbreviation = " ".join((entry.journal_abbreviation or "").split())
    if journal_title and not normalise_title(journal_title):
        warnings.append(f"Journal title {journal_title[:60]!r} has no letters; left out.")
        journal_title = ""
    if journal_abbreviation and not normalise_title(journal_abbreviation):
        journal_abbreviation = ""
    clean = _Clean(
        fields=fields,
        journal_title=_truncate(journal_title, 500, "The journal title", warnings),
        journal_abbreviation=_truncate(
            journal_abbreviation, 255, "The journal abbreviation", warnings
        ),
        issns=issns,
        publisher=_truncate(
            " ".join((entry.publisher or "").split()), 255, "The publisher", warnings
        ),
        authors=authors,
        keywords=keywords,
        warnings=warnings,
    )
    if not title:
        clean.error = "The entry has no title."
    return clean


def _days_in(year: int | None, month: int) -> int:
    return calendar.monthrange(year or 2000, month)[1]


# --- indexes of what exists (and what this import creates) ----------------------------------


class _JournalIndex:
    def __init__(self) -> None:
        self.by_issn: dict[str, Any] = {}
        self.by_title: dict[str, Any] = {}
        self.new: list[NewRow] = []
        self.titles: dict[int, set[str]] = {}
        rows = Journal.objects.order_by("pk").values_list(
            "pk", "title", "abbreviated_title", "issn_print", "issn_electronic"
        )
        for pk, title, abbreviation, issn_print, issn_electronic in rows:
            self._add(pk, title, [issn_print, issn_electronic])
            self.titles[pk] = {normalise_title(title), normalise_title(abbreviation)} - {""}

    def container_keys(self, ref: Any) -> set[str]:
        """Return the normalised title and abbreviation of a journal (id or NewRow)."""
        if ref is None or ref is _NEW:
            return set()
        if isinstance(ref, int):
            return self.titles.get(ref, set())
        values = ref.values
        return {normalise_title(values["title"]), normalise_title(values["abbreviated_title"])} - {
            ""
        }

    def _add(self, ref: Any, title: str, issns: Iterable[str]) -> None:
        for issn in issns:
            if issn:
                self.by_issn.setdefault(identifiers.normalise_issn(issn), ref)
        key = normalise_title(title)
        if key:
            self.by_title.setdefault(key, ref)

    def find(self, clean: _Clean) -> Any:
        """Return the journal the entry names (id or NewRow), None if none, or _NEW."""
        for issn in clean.issns:
            if issn in self.by_issn:
                return self.by_issn[issn]
        for title in (clean.journal_title, clean.journal_abbreviation):
            key = normalise_title(title)
            if key and key in self.by_title:
                return self.by_title[key]
        if clean.journal_title or clean.journal_abbreviation or clean.issns:
            return _NEW
        return None

    def get_or_create(self, clean: _Clean) -> Any:
        found = self.find(clean)
        if found is not _NEW:
            return found
        journal = NewRow(
            title=clean.journal_title or clean.journal_abbreviation or clean.issns[0],
            abbreviated_title=clean.journal_abbreviation,
            issn_print=clean.issns[0] if clean.issns else "",
            issn_electronic=clean.issns[1] if len(clean.issns) > 1 else "",
            publisher=clean.publisher,
        )
        self.new.append(journal)
        self._add(journal, journal.values["title"], clean.issns)
        return journal


# Stands for "a journal that does not exist yet": equal to nothing that exists.
_NEW = object()


class _AuthorIndex:
    def __init__(self) -> None:
        self.by_orcid: dict[str, Any] = {}
        self.by_corporate: dict[str, Any] = {}
        self.by_full: dict[tuple[str, tuple[str, ...], str], Any] = {}
        self.by_family: dict[tuple[str, str], list[tuple[tuple[str, ...], Any]]] = defaultdict(list)
        self.new: list[NewRow] = []
        rows = Author.objects.order_by("pk").values_list(
            "pk", "family_name", "given_names", "particle", "suffix", "corporate_name", "orcid"
        )
        for pk, family, given, particle, suffix, corporate, orcid in rows:
            self._add(
                pk,
                _PersonName(
                    family=family,
                    given=given,
                    particle=particle,
                    suffix=suffix,
                    corporate=corporate,
                    orcid=orcid,
                ),
            )

    def _add(self, ref: Any, name: _PersonName) -> None:
        if name.orcid:
            self.by_orcid.setdefault(name.orcid, ref)
        if name.corporate:
            self.by_corporate.setdefault(_compact(name.corporate), ref)
            return
        family = _family_key(family=name.family, particle=name.particle)
        given = _given_tokens(name.given)
        suffix = _compact(name.suffix)
        if (family, given, suffix) not in self.by_full:
            self.by_full[(family, given, suffix)] = ref
            self.by_family[(family, suffix)].append((given, ref))

    def _find(self, name: _PersonName) -> Any:
        if name.orcid and name.orcid in self.by_orcid:
            return self.by_orcid[name.orcid]
        if name.corporate:
            return self.by_corporate.get(_compact(name.corporate))
        family = _family_key(family=name.family, particle=name.particle)
        given = _given_tokens(name.given)
        suffix = _compact(name.suffix)
        exact = self.by_full.get((family, given, suffix))
        if exact is not None or not given:
            return exact
        initials = _initials(given)
        same_initials = [
            (tokens, ref)
            for tokens, ref in self.by_family.get((family, suffix), ())
            if tokens and _initials(tokens) == initials
        ]
        if _is_initials(given):
            # "M. J. H." fits one known "Marcus J. H." (or "Marcus J. Henk"): only if unique.
            candidates = same_initials
        else:
            # "Marcus J. H." fits a known "M. J. H." only if no other full name shares it.
            full_forms = [pair for pair in same_initials if not _is_initials(pair[0])]
            candidates = [] if full_forms else same_initials
        return candidates[0][1] if len(candidates) == 1 else None

    def get_or_create(self, name: _PersonName) -> Any:
        found = self._find(name)
        if found is not None:
            return found
        author = NewRow(
            family_name=name.family,
            given_names=name.given,
            particle=name.particle,
            suffix=name.suffix,
            corporate_name=name.corporate,
            orcid=name.orcid if name.orcid not in self.by_orcid else "",
        )
        self.new.append(author)
        self._add(author, name)
        return author


class _KeywordIndex:
    def __init__(self) -> None:
        self.by_term: dict[str, Any] = {}
        self.slugs: set[str] = set()
        self.new: list[NewRow] = []
        for pk, term, slug in Keyword.objects.order_by("pk").values_list("pk", "term", "slug"):
            self.by_term.setdefault(_keyword_key(term), pk)
            self.slugs.add(slug)

    def get_or_create(self, term: str) -> Any:
        key = _keyword_key(term)
        if key in self.by_term:
            return self.by_term[key]
        base = slugify(fold(term))[:240] or "keyword"
        slug, counter = base, 2
        while slug in self.slugs:
            slug = f"{base}-{counter}"
            counter += 1
        keyword = NewRow(term=term, slug=slug)
        self.slugs.add(slug)
        self.by_term[key] = keyword
        self.new.append(keyword)
        return keyword


@dataclass
class _Candidate:
    """An article (existing, or planned earlier in this import) keyed by title/year/author."""

    doi: str
    journal: Any
    article_id: int | None = None
    item: PlanItem | None = None


def _first_author_key(authors: Sequence[_PersonName]) -> str:
    if not authors:
        return ""
    first = authors[0]
    return _family_key(family=first.family, particle=first.particle, corporate=first.corporate)


def _same_container(
    candidate: Any, journal: Any, entry_titles: set[str], journals: _JournalIndex
) -> bool:
    """Return whether an article's journal and an entry's journal are one container.

    Either no journal on both sides, the same resolved journal, or the same normalised title or
    abbreviation (the entry's ISSN may resolve to another journal record than its title does).
    """
    if candidate is None or (journal is None and not entry_titles):
        return candidate is None and journal is None and not entry_titles
    if journal is not _NEW and (
        candidate == journal if isinstance(candidate, int) else candidate is journal
    ):
        return True
    return bool(entry_titles & journals.container_keys(candidate))


def _existing_by_doi(dois: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(set(dois))):
        found.update(
            (doi, pk) for pk, doi in Article.objects.filter(doi__in=chunk).values_list("pk", "doi")
        )
    return found


def _existing_by_title(
    keys: set[tuple[str, int | None]],
) -> dict[tuple[str, int | None, str], list[_Candidate]]:
    """Return existing articles whose (normalised title, year) is in `keys`, by key."""
    years = sorted({year for _, year in keys if year is not None})
    rows: list[tuple[int, str, int | None, str, int | None]] = []
    for chunk in _chunks(years):
        rows.extend(
            Article.objects.filter(year__in=chunk)
            .order_by()
            .values_list("pk", "title", "year", "doi", "journal_id")
        )
    if any(year is None for _, year in keys):
        rows.extend(
            Article.objects.filter(year__isnull=True)
            .order_by()
            .values_list("pk", "title", "year", "doi", "journal_id")
        )
    matching = [
        (pk, normalise_title(title), year, doi, journal_id)
        for pk, title, year, doi, journal_id in rows
    ]
    matching = [row for row in matching if (row[1], row[2]) in keys]
    first_authors: dict[int, str] = {}
    ids = [row[0] for row in matching]
    for chunk in _chunks(ids):
        for article_id, family, particle, corporate in Authorship.objects.filter(
            article_id__in=chunk, position=1
        ).values_list(
            "article_id", "author__family_name", "author__particle", "author__corporate_name"
        ):
            first_authors[article_id] = _family_key(
                family=family, particle=particle, corporate=corporate
            )
    index: dict[tuple[str, int | None, str], list[_Candidate]] = defaultdict(list)
    for pk, title_key, year, doi, journal_id in sorted(matching):
        index[(title_key, year, first_authors.get(pk, ""))].append(
            _Candidate(doi=doi, journal=journal_id, article_id=pk)
        )
    return index


# --- planning ----------------------------------------------------------------------------------


def plan_import(
    results: bibtex.ParseResult | Sequence[bibtex.ParseResult],
    *,
    on_duplicate: str,
    progress: Progress | None = None,
) -> ImportPlan:
    """Return what importing the parsed sources would do now; writes nothing."""
    with _gc_paused():
        return _plan(results, on_duplicate=on_duplicate, progress=progress)


def _plan(
    results: bibtex.ParseResult | Sequence[bibtex.ParseResult],
    *,
    on_duplicate: str,
    progress: Progress | None,
) -> ImportPlan:
    if on_duplicate not in OnDuplicate.values:
        raise ValueError(f"on_duplicate must be one of {OnDuplicate.values}, not {on_duplicate!r}")
    if isinstance(results, bibtex.ParseResult):
        results = [results]
    problems: list[bibtex.Problem] = []
    pairs: list[tuple[str, bibtex.Entry, _Clean]] = []
    for result in results:
        problems.extend(
            problem if problem.source else dataclasses.replace(problem, source=result.source)
            for problem in result.problems
        )
        for entry in result.entries:
            clean = _clean_entry(entry)
            problems.extend(
                warning if warning.source else dataclasses.replace(warning, source=result.source)
                for warning in entry.warnings
            )
            problems.extend(
                bibtex.Problem(
                    line=entry.line,
                    key=entry.key,
                    message=message,
                    raw=entry.raw if clean.error else "",
                    severity="error" if clean.error == message else "warning",
                    source=result.source,
                )
                for message in [*clean.warnings, clean.error]
                if message
            )
            if not clean.error:
                pairs.append((result.source, entry, clean))

    plan = ImportPlan(
        on_duplicate=on_duplicate,
        items=[],
        problems=problems,
        source_entry_count=sum(result.source_entry_count for result in results),
    )
    journals, authors, keywords = _JournalIndex(), _AuthorIndex(), _KeywordIndex()
    by_doi = _existing_by_doi([clean.fields["doi"] for _, _, clean in pairs if clean.fields["doi"]])
    title_keys = {
        (normalise_title(clean.fields["title"]), clean.fields["year"]) for _, _, clean in pairs
    }
    by_title = _existing_by_title(title_keys)

    planned_doi: dict[str, PlanItem] = {}
    planned_title: dict[tuple[str, int | None, str], list[_Candidate]] = defaultdict(list)
    targeted: dict[int, PlanItem] = {}
    updates: list[tuple[PlanItem, _Clean]] = []
    total = len(pairs)
    for done, (source, entry, clean) in enumerate(pairs, start=1):
        if progress is not None and done % 500 == 0:
            progress("matching", done, total)
        item = PlanItem(
            source=source,
            line=entry.line,
            key=entry.key,
            title=clean.fields["title"],
            et_al=entry.et_al,
            fields=clean.fields,
        )
        plan.items.append(item)
        doi = clean.fields["doi"]
        title_key = (
            normalise_title(clean.fields["title"]),
            clean.fields["year"],
            _first_author_key(clean.authors),
        )
        journal = journals.find(clean)
        entry_titles = {
            normalise_title(clean.journal_title),
            normalise_title(clean.journal_abbreviation),
        } - {""}

        def same_container(candidate: Any, journal=journal, entry_titles=entry_titles) -> bool:
            return _same_container(candidate, journal, entry_titles, journals)

        _match(item, doi, title_key, same_container, planned_doi, planned_title, by_doi, by_title)

        if item.target_id is not None:
            if item.target_id in targeted:
                earlier = targeted[item.target_id]
                item.earlier, item.target_id = earlier, None
                item.note = f"same record as {_where(earlier)} earlier in this import"
            else:
                targeted[item.target_id] = item
                if doi:
                    planned_doi[doi] = item
                if on_duplicate == OnDuplicate.UPDATE:
                    updates.append((item, clean))
                    _resolve_related(item, clean, journals, authors, keywords)
            continue
        if item.action == ImportAction.DUPLICATE:
            continue
        _resolve_related(item, clean, journals, authors, keywords)
        # journal_id, created and updated are set when written.
        item.article = NewRow(peer_reviewed=False, **item.fields)
        if doi:
            planned_doi[doi] = item
        planned_title[title_key].append(_Candidate(doi=doi, journal=item.journal, item=item))

    if updates:
        _plan_updates(updates)
    plan.new_journals, plan.new_authors, plan.new_keywords = (
        journals.new,
        authors.new,
        keywords.new,
    )
    if progress is not None:
        progress("matching", total, total)
    return plan


def _where(item: PlanItem) -> str:
    return f"{item.key or 'the entry'} (line {item.line})"


def _match(
    item: PlanItem,
    doi: str,
    title_key: tuple[str, int | None, str],
    same_container: Callable[[Any], bool],
    planned_doi: dict[str, PlanItem],
    planned_title: dict[tuple[str, int | None, str], list[_Candidate]],
    by_doi: dict[str, int],
    by_title: dict[tuple[str, int | None, str], list[_Candidate]],
) -> None:
    """Set the item's action, target and note from the matching rules."""
    if doi and doi in planned_doi:
        earlier = planned_doi[doi]
        item.action, item.earlier = ImportAction.DUPLICATE, earlier
        item.note = f"same DOI {doi} as {_where(earlier)} earlier in this import"
        return
    if doi and doi in by_doi:
        item.action, item.target_id = ImportAction.DUPLICATE, by_doi[doi]
        item.note = f"same DOI {doi}"
        return
    candidates = [*by_title.get(title_key, ()), *planned_title.get(title_key, ())]
    for candidate in candidates:
        if not doi and not candidate.doi and same_container(candidate.journal):
            item.action = ImportAction.DUPLICATE
            reason = "same title, year, first author and journal; neither has a DOI"
            if candidate.item is not None:
                item.earlier = candidate.item
                item.note = f"{reason}, as {_where(candidate.item)} earlier in this import"
            else:
                item.target_id = candidate.article_id
                item.note = reason
            return
    if candidates:
        candidate = candidates[0]
        item.action = ImportAction.PROBABLE_DUPLICATE
        if doi and candidate.doi:
            difference = f"DOI {doi} differs from {candidate.doi}"
        elif doi or candidate.doi:
            difference = "only one of them has a DOI"
        else:
            difference = "the journal differs"
        reason = f"same title, year and first author, but {difference}"
        if candidate.item is not None:
            item.earlier = candidate.item
            item.note = f"{reason}; resembles {_where(candidate.item)} earlier in this import"
        else:
            item.similar_to_id = candidate.article_id
            item.note = f"{reason}; resembles article #{candidate.article_id}"


def _resolve_related(
    item: PlanItem,
    clean: _Clean,
    journals: _JournalIndex,
    authors: _AuthorIndex,
    keywords: _KeywordIndex,
) -> None:
    item.journal = journals.get_or_create(clean)
    item.authors = []
    for name in clean.authors:
        ref = authors.get_or_create(name)
        # One person twice in a list (a parse slip) would break nothing but reads oddly; keep.
        item.authors.append(ref)
    item.keywords = [keywords.get_or_create(term) for term in clean.keywords]


ARTICLE_FIELDS = [
    "output_type",
    "title",
    "abstract",
    "language",
    "journal_id",
    "volume",
    "issue",
    "first_page",
    "last_page",
    "article_number",
    "page_count",
    "state",
    "year",
    "month",
    "day",
    "doi",
    "pmid",
    "url",
    "bibliographical_note",
]
_REPLACED_WHEN_GIVEN = [
    "title",
    "abstract",
    "language",
    "volume",
    "issue",
    "article_number",
    "doi",
    "pmid",
    "url",
    "bibliographical_note",
]


def _snapshots(ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Return each article's fields, authorships, keywords and subjects as JSON-ready dicts."""
    snapshots: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(list(ids)):
        for row in Article.objects.filter(pk__in=chunk).values("pk", "updated", *ARTICLE_FIELDS):
            pk = row.pop("pk")
            updated = row.pop("updated")
            snapshots[pk] = {
                "fields": row,
                "updated": updated.isoformat() if updated else None,
                "authorships": [],
                "keywords": [],
                "subject_areas": [],
            }
        for article_id, author_id, position, affiliation, pk in (
            Authorship.objects.filter(article_id__in=chunk)
            .order_by("article_id", "position")
            .values_list("article_id", "author_id", "position", "affiliation", "pk")
        ):
            snapshots[article_id]["authorships"].append([author_id, position, affiliation, pk])
        for through, column, name in (
            (Article.keywords.through, "keyword_id", "keywords"),
            (Article.subject_areas.through, "subjectarea_id", "subject_areas"),
        ):
            for article_id, other_id in (
                through.objects.filter(article_id__in=chunk)
                .order_by(column)
                .values_list("article_id", column)
            ):
                snapshots[article_id][name].append(other_id)
    return snapshots


def _plan_updates(updates: list[tuple[PlanItem, _Clean]]) -> None:
    """Turn matched entries into updates of what differs, or duplicates when nothing does."""
    snapshots = _snapshots([item.target_id for item, _ in updates])
    for item, _clean in updates:
        previous = snapshots[item.target_id]
        old = previous["fields"]
        new = dict(old)
        entry = item.fields
        for name in _REPLACED_WHEN_GIVEN:
            if entry[name]:
                new[name] = entry[name]
        new["output_type"] = entry["output_type"]
        new["state"] = entry["state"]
        if entry["year"] and (entry["year"] != old["year"] or entry["month"]):
            new.update(year=entry["year"], month=entry["month"], day=entry["day"])
        if entry["first_page"] is not None:
            new.update(
                first_page=entry["first_page"],
                last_page=entry["last_page"],
                page_count=entry["page_count"],
            )
        elif entry["page_count"]:
            new["page_count"] = entry["page_count"]
        if item.journal is not None:
            new["journal_id"] = item.journal if isinstance(item.journal, int) else None
        changes = [name for name in ARTICLE_FIELDS if new[name] != old[name]]
        if item.journal is not None and not isinstance(item.journal, int):
            changes.append("journal_id")
        old_authors = [row[0] for row in previous["authorships"]]
        if item.et_al and item.authors == old_authors[: len(item.authors)]:
            # "Smith and others" confirms a longer list; it is no reason to cut it.
            item.authors = []
        if item.authors and item.authors != old_authors:
            changes.append("authors")
        else:
            item.authors = []
        added = [ref for ref in item.keywords if ref not in previous["keywords"]]
        item.keywords = added
        if added:
            changes.append("keywords")
        if not changes:
            item.action = ImportAction.DUPLICATE
            item.note += "; already up to date"
            continue
        item.action = ImportAction.UPDATED
        item.changes = sorted({name.removesuffix("_id") for name in changes})
        item.previous = previous
        item.fields = new


# --- reading and parsing -----------------------------------------------------------------------


def max_bytes() -> int:
    """Return the largest source size accepted, in bytes."""
    return settings.CATALOGUE_IMPORT_MAX_BYTES


def check_size(*, size: int, filename: str) -> None:
    """Raise ImportFileError when a source of `size` bytes is over the limit."""
    limit = max_bytes()
    if size > limit:
        raise ImportFileError(
            f"{filename} is {human_size(size)}; the largest file accepted is {human_size(limit)}."
        )


def human_size(size: int) -> str:
    """Return a byte count for people: "512 bytes", "3.2 kB", "50.0 MB"."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} kB"
    return f"{size} bytes"


def read_file(*, path: str) -> bytes:
    """Return the bytes of the file at `path`, or raise ImportFileError saying why not."""
    try:
        if os.path.isdir(path):
            raise ImportFileError(f"{path} is a directory, not a BibTeX file.")
        check_size(size=os.path.getsize(path), filename=path)
        with open(path, "rb") as handle:
            data = handle.read(max_bytes() + 1)
    except FileNotFoundError:
        raise ImportFileError(f"{path}: no such file.") from None
    except PermissionError:
        raise ImportFileError(f"{path}: permission denied.") from None
    except OSError as error:
        raise ImportFileError(f"{path}: cannot be read ({error.strerror or error}).") from None
    check_size(size=len(data), filename=path)
    return data


def parse_source(*, data: bytes, filename: str) -> bibtex.ParseResult:
    """Return the parsed source, or raise ImportFileError when it holds nothing importable."""
    check_size(size=len(data), filename=filename)
    if not data.strip():
        raise ImportFileError(f"{filename} is empty.")
    try:
        with _gc_paused():
            result = bibtex.parse_bytes(
                data,
                source=filename,
                max_field_length=settings.CATALOGUE_IMPORT_MAX_FIELD_LENGTH,
                max_nesting=settings.CATALOGUE_IMPORT_MAX_NESTING,
            )
    except bibtex.BibTeXError as error:
        raise ImportFileError(f"{filename}: {error}") from None
    if not result.source_entry_count and not result.entries:
        file_problems = [problem.message for problem in result.problems if problem.line == 0]
        reason = file_problems[0] if file_problems else "only comments or @string definitions?"
        raise ImportFileError(f"{filename} contains no BibTeX entries ({reason}).")
    return result


# --- writing -----------------------------------------------------------------------------------


def _lock() -> None:
    """Serialise imports and undos: the lock is released when the transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def write_plan(*, plan: ImportPlan, batch: ImportBatch, progress: Progress | None = None) -> None:
    """Write the plan's new and updated records; call inside a transaction."""
    step = _stepper(progress, total=6)
    insert_rows(Journal, plan.new_journals)
    insert_rows(Author, plan.new_authors)
    insert_rows(Keyword, plan.new_keywords)
    step()
    created = [
        item
        for item in plan.items
        if item.action in (ImportAction.CREATED, ImportAction.PROBABLE_DUPLICATE)
    ]
    updated = [item for item in plan.items if item.action == ImportAction.UPDATED]
    now = timezone.now()
    if not _use_copy():
        now = connection.ops.adapt_datetimefield_value(now)
    for item in created:
        item.article.values.update(journal_id=_pk(item.journal), created=now, updated=now)
    insert_rows(Article, [item.article for item in created])
    step()
    if updated:
        _write_updates(updated)
    step()
    authorships = [
        (item.article_id, _pk(ref), position, "")
        for item in created
        for position, ref in enumerate(item.authors, start=1)
    ]
    authorships.extend(_updated_authorships(updated))
    insert_values(Authorship, ["article_id", "author_id", "position", "affiliation"], authorships)
    step()
    insert_values(
        Article.keywords.through,
        ["article_id", "keyword_id"],
        [(item.article_id, _pk(ref)) for item in (*created, *updated) for ref in item.keywords],
    )
    step()
    insert_values(
        ImportRecord,
        [
            "batch_id",
            "action",
            "article_id",
            "similar_to_id",
            "line",
            "key",
            "title",
            "et_al",
            "note",
            "previous",
        ],
        [
            (
                batch.pk,
                item.action,
                item.article_id,
                item.resembles_id,
                item.line,
                item.key[:255],
                item.title,
                item.et_al,
                item.note,
                None if item.previous is None else json.dumps(item.previous),
            )
            for item in plan.items
        ],
    )
    batch.created_objects = {
        "journal": [journal.pk for journal in plan.new_journals],
        "author": [author.pk for author in plan.new_authors],
        "keyword": [keyword.pk for keyword in plan.new_keywords],
    }
    step()


def _rows_per_statement(columns: int) -> int:
    limit = connection.features.max_query_params
    return max(1, min(BULK_BATCH_SIZE, limit // columns if limit else BULK_BATCH_SIZE))


def _use_copy() -> bool:
    # PostgreSQL's COPY loads rows about three times faster than multi-row INSERTs.
    return connection.vendor == "postgresql"


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_field(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    return str(value).translate(_COPY_ESCAPES)


def _copy(model: type, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Load rows into `model`'s table with COPY (PostgreSQL text format)."""
    buffer = io.StringIO()
    buffer.writelines("\t".join(map(_copy_field, row)) + "\n" for row in rows)
    buffer.seek(0)
    quote = connection.ops.quote_name
    sql = f"COPY {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) FROM STDIN"
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(sql, buffer)


def _columns(model: type, fields: Sequence[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in fields]


def insert_values(model: type, fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert `rows` (database-ready values for `fields`): COPY or multi-row INSERTs.

    bulk_create without the model instances, which cost more than the SQL at this scale.
    """
    if not rows:
        return
    columns = _columns(model, fields)
    if _use_copy():
        _copy(model, columns, rows)
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column_list = ", ".join(map(quote, columns))
    placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, _rows_per_statement(len(fields))):
            # Only quoted model table/column names go into the SQL; values are parameters.
            values = ", ".join([placeholder] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({column_list}) VALUES {values}",  # noqa: S608
                [value for row in chunk for value in row],
            )


def insert_rows(model: type, rows: Sequence[NewRow]) -> None:
    """Insert NewRows of `model` (all with the same fields) and set their ids."""
    if not rows:
        return
    fields = list(rows[0].values)
    if _use_copy():
        # Take the ids from the table's sequence first: COPY cannot return them.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, model._meta.pk.column, len(rows)],
            )
            ids = sorted(pk for (pk,) in cursor.fetchall())
        for row, pk in zip(rows, ids, strict=True):
            row.pk = pk
        _copy(
            model,
            [model._meta.pk.column, *_columns(model, fields)],
            ([row.pk, *(row.values[name] for name in fields)] for row in rows),
        )
        return
    if not connection.features.can_return_rows_from_bulk_insert:
        objects = [model(**row.values) for row in rows]
        model.objects.bulk_create(objects, batch_size=BULK_BATCH_SIZE)
        for row, obj in zip(rows, objects, strict=True):
            row.pk = obj.pk
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column_list = ", ".join(map(quote, _columns(model, fields)))
    placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    pk_column = quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, _rows_per_statement(len(fields))):
            values = ", ".join([placeholder] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({column_list}) VALUES {values} RETURNING {pk_column}",  # noqa: S608
                [row.values[name] for row in chunk for name in fields],
            )
            # Ids grow in the order the VALUES rows are inserted; RETURNING's order is
            # not promised by every database.
            ids = sorted(pk for (pk,) in cursor.fetchall())
            for row, pk in zip(chunk, ids, strict=True):
                row.pk = pk


def _stepper(progress: Progress | None, *, total: int) -> Callable[[], None]:
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress("writing", done, total)

    return step


def _write_updates(items: list[PlanItem]) -> None:
    now = timezone.now()
    articles = []
    for item in items:
        values = dict(item.fields)
        if item.journal is not None and not isinstance(item.journal, int):
            values["journal_id"] = item.journal.pk
        articles.append(Article(pk=item.target_id, updated=now, **values))
    Article.objects.bulk_update(
        articles,
        [name.removesuffix("_id") for name in ARTICLE_FIELDS] + ["updated"],
        batch_size=200,
    )
    replaced = [item.target_id for item in items if item.authors]
    for chunk in _chunks(replaced):
        Authorship.objects.filter(article_id__in=chunk).delete()


def _updated_authorships(items: list[PlanItem]) -> list[tuple[Any, ...]]:
    authorships = []
    for item in items:
        if not item.authors:
            continue
        affiliations = {row[0]: row[2] for row in item.previous["authorships"]}
        authorships.extend(
            (item.target_id, _pk(ref), position, affiliations.get(_pk(ref), ""))
            for position, ref in enumerate(item.authors, start=1)
        )
    return authorships


# --- running an import -------------------------------------------------------------------------


def _new_batch(
    *, data: bytes, filename: str, user: Any, on_duplicate: str, status: str
) -> ImportBatch:
    if on_duplicate not in OnDuplicate.values:
        raise ValueError(f"on_duplicate must be one of {OnDuplicate.values}, not {on_duplicate!r}")
    return ImportBatch(
        user=user if user is not None and user.is_authenticated else None,
        filename=filename[:255],
        checksum=hashlib.sha256(data).hexdigest(),
        size=len(data),
        on_duplicate=on_duplicate,
        status=status,
    )


def _apply_plan_summary(batch: ImportBatch, plan: ImportPlan) -> None:
    for name, value in plan.counts.items():
        setattr(batch, name, value)
    batch.entry_count = plan.source_entry_count
    batch.problems = [
        {
            "line": problem.line,
            "key": problem.key,
            "message": problem.message,
            "raw": problem.raw,
            "severity": problem.severity,
            "source": problem.source,
        }
        for problem in plan.problems
    ]


def run_import(
    *,
    data: bytes,
    filename: str,
    user: Any = None,
    on_duplicate: str = OnDuplicate.SKIP,
    dry_run: bool = False,
    result: bibtex.ParseResult | None = None,
    progress: Progress | None = None,
) -> ImportBatch:
    """Return the batch recording the import of `data` (unsaved and unwritten on a dry run).

    The batch's `plan` attribute holds what was done (or would be done). Raises ImportFileError
    when the source cannot be imported at all; re-raises any error of the write phase after
    recording the batch as failed (the catalogue is then unchanged).
    """
    batch = _new_batch(
        data=data,
        filename=filename,
        user=user,
        on_duplicate=on_duplicate,
        status=ImportStatus.PREVIEWED if dry_run else ImportStatus.PENDING,
    )
    if result is None:
        if progress is not None:
            progress("parsing", 0, 1)
        result = parse_source(data=data, filename=filename)
    batch.encoding = result.encoding[:50]
    if dry_run:
        batch.plan = plan_import(result, on_duplicate=on_duplicate, progress=progress)
        _apply_plan_summary(batch, batch.plan)
        return batch
    return _execute(batch=batch, result=result, progress=progress)


def _execute(
    *,
    batch: ImportBatch,
    result: bibtex.ParseResult,
    progress: Progress | None = None,
    expected: Sequence[str] = (ImportStatus.PENDING,),
) -> ImportBatch:
    """Plan again and write inside one locked transaction; record a failure outside it.

    A new (unsaved) batch is saved inside the transaction, so that a killed process leaves no
    trace at all; a stored pending batch is checked, under the lock, to be still pending.
    """
    stored = batch.pk is not None
    try:
        with transaction.atomic():
            _lock()
            if stored:
                status = (
                    ImportBatch.objects.select_for_update()
                    .values_list("status", flat=True)
                    .get(pk=batch.pk)
                )
                if status not in expected:
                    raise ImportStateError(_state_message(batch.pk, status))
            else:
                batch.save()
            plan = plan_import(result, on_duplicate=batch.on_duplicate, progress=progress)
            with _gc_paused():
                write_plan(plan=plan, batch=batch, progress=progress)
            _apply_plan_summary(batch, plan)
            batch.status = ImportStatus.COMPLETED
            batch.finished = timezone.now()
            batch.source = b""
            batch.error = ""
            batch.save()
    except ImportStateError:
        raise
    except BaseException as error:
        # The transaction is rolled back: record the failure in a write of its own.
        if not stored:
            batch.pk = None
            batch._state.adding = True
        for name in ImportPlan.COUNT_FIELDS:
            setattr(batch, name, 0)
        batch.status = ImportStatus.FAILED
        batch.finished = timezone.now()
        batch.error = f"{type(error).__name__}: {error}"[:2000]
        batch.source = b""
        batch.created_objects = {}
        batch.save()
        raise
    batch.plan = plan
    return batch


def _state_message(pk: int | None, status: str) -> str:
    label = ImportStatus(status).label.lower() if status in ImportStatus.values else status
    return f"Import #{pk} cannot be run again: it is already {label}."


# --- web flow: pending batches -----------------------------------------------------------------


def prepare_import(
    *, data: bytes, filename: str, user: Any, on_duplicate: str = OnDuplicate.SKIP
) -> ImportBatch:
    """Return a saved pending batch holding `data`, after checking that it parses."""
    batch = _new_batch(
        data=data,
        filename=filename,
        user=user,
        on_duplicate=on_duplicate,
        status=ImportStatus.PENDING,
    )
    result = parse_source(data=data, filename=filename)
    batch.encoding = result.encoding[:50]
    batch.entry_count = result.source_entry_count
    batch.source = data
    batch.save()
    # Uploads never confirmed nor cancelled keep their bytes in the database: forget old ones.
    ImportBatch.objects.filter(
        status__in=[ImportStatus.PENDING, ImportStatus.PREVIEWED],
        created__lt=timezone.now() - PENDING_LIFETIME,
    ).delete()
    return batch


def preview_import(*, batch: ImportBatch) -> ImportPlan:
    """Return what confirming the pending batch would do against the catalogue as it is now."""
    if batch.status not in (ImportStatus.PENDING, ImportStatus.PREVIEWED):
        raise ImportStateError(f"Import #{batch.pk} is {batch.get_status_display().lower()}.")
    result = parse_source(data=bytes(batch.source), filename=batch.filename)
    plan = plan_import(result, on_duplicate=batch.on_duplicate)
    _apply_plan_summary(batch, plan)
    batch.status = ImportStatus.PREVIEWED
    batch.save(
        update_fields=[
            "status",
            "entry_count",
            "problems",
            "created_count",
            "updated_count",
            "duplicate_count",
            "probable_duplicate_count",
            "failed_count",
        ]
    )
    return plan


def confirm_import(*, batch: ImportBatch, user: Any = None) -> ImportBatch:
    """Return the batch after importing its stored source (planned again, inside the lock)."""
    if batch.status not in (ImportStatus.PENDING, ImportStatus.PREVIEWED):
        raise ImportStateError(_state_message(batch.pk, batch.status))
    result = parse_source(data=bytes(batch.source), filename=batch.filename)
    if user is not None and user.is_authenticated and batch.user_id is None:
        batch.user = user
    return _execute(
        batch=batch,
        result=result,
        expected=(ImportStatus.PENDING, ImportStatus.PREVIEWED),
    )


def cancel_import(*, batch: ImportBatch) -> None:
    """Forget a pending batch and its stored source."""
    if batch.status not in (ImportStatus.PENDING, ImportStatus.PREVIEWED):
        raise ImportStateError(
            f"Import #{batch.pk} is {batch.get_status_display().lower()}; only an import "
            "awaiting confirmation can be cancelled."
        )
    batch.delete()


# --- undo --------------------------------------------------------------------------------------


@dataclass
class UndoSummary:
    """What undoing a batch would do, for the confirmation page."""

    delete: int  # articles it created that still exist
    restore: int  # articles it updated
    edited_since: int  # of those, articles changed after the import
    blocked_by: list[int]  # later imports that updated the same articles


def undo_summary(*, batch: ImportBatch) -> UndoSummary:
    """Return what undoing `batch` would delete and restore."""
    records = batch.records.exclude(article=None)
    created = list(
        records.filter(
            action__in=[ImportAction.CREATED, ImportAction.PROBABLE_DUPLICATE]
        ).values_list("article_id", flat=True)
    )
    updated = list(records.filter(action=ImportAction.UPDATED).values_list("article_id", flat=True))
    touched = created + updated
    edited = 0
    if batch.finished:
        for chunk in _chunks(touched):
            edited += Article.objects.filter(pk__in=chunk, updated__gt=batch.finished).count()
    return UndoSummary(
        delete=len(created),
        restore=len(updated),
        edited_since=edited,
        blocked_by=_later_updates(batch, touched),
    )


def _later_updates(batch: ImportBatch, article_ids: Sequence[int]) -> list[int]:
    later: set[int] = set()
    for chunk in _chunks(list(article_ids)):
        later.update(
            ImportRecord.objects.filter(
                article_id__in=chunk,
                action=ImportAction.UPDATED,
                batch__status=ImportStatus.COMPLETED,
                batch__pk__gt=batch.pk,
            ).values_list("batch_id", flat=True)
        )
    return sorted(later)


def undo_import(*, batch: ImportBatch, user: Any = None) -> ImportBatch:
    """Return the batch marked undone, after deleting what it created and restoring what it updated.

    Journals, authors and keywords the import created are deleted only when nothing else uses
    them now. Raises ImportStateError when the batch was not completed (undone twice, failed,
    pending) or when a later import updated the same articles (undo that one first).
    """
    with transaction.atomic():
        _lock()
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status == ImportStatus.UNDONE:
            when = timezone.localtime(batch.undone).strftime("%Y-%m-%d %H:%M")
            raise ImportStateError(f"Import #{batch.pk} was already undone on {when}.")
        if batch.status != ImportStatus.COMPLETED:
            raise ImportStateError(
                f"Import #{batch.pk} is {batch.get_status_display().lower()}: "
                "only a completed import can be undone."
            )
        records = list(
            batch.records.exclude(article=None)
            .exclude(action=ImportAction.DUPLICATE)
            .values_list("action", "article_id", "previous")
        )
        created = [
            article_id
            for action, article_id, _ in records
            if action in (ImportAction.CREATED, ImportAction.PROBABLE_DUPLICATE)
        ]
        updated = {
            article_id: previous
            for action, article_id, previous in records
            if action == ImportAction.UPDATED
        }
        blocked_by = _later_updates(batch, [*created, *updated])
        if blocked_by:
            later = ", ".join(f"#{pk}" for pk in blocked_by)
            raise ImportStateError(
                f"Import #{batch.pk} cannot be undone: later import {later} updated the same "
                "articles. Undo that one first."
            )
        _restore(updated)
        for chunk in _chunks(created):
            Article.objects.filter(pk__in=chunk).delete()
        _delete_unused(batch.created_objects or {})
        batch.status = ImportStatus.UNDONE
        batch.undone = timezone.now()
        batch.undone_by = user if user is not None and user.is_authenticated else None
        batch.save(update_fields=["status", "undone", "undone_by"])
    return batch


def _restore(snapshots: dict[int, dict[str, Any]]) -> None:
    existing = set()
    for chunk in _chunks(list(snapshots)):
        existing.update(Article.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    snapshots = {pk: snapshot for pk, snapshot in snapshots.items() if pk in existing}
    if not snapshots:
        return
    now = timezone.now()
    Article.objects.bulk_update(
        [
            Article(
                pk=pk,
                # Back to the old modification time too: undo leaves no trace on the article.
                updated=parse_datetime(snapshot.get("updated") or "") or now,
                **snapshot["fields"],
            )
            for pk, snapshot in snapshots.items()
        ],
        [name.removesuffix("_id") for name in ARTICLE_FIELDS] + ["updated"],
        batch_size=200,
    )
    ids = list(snapshots)
    author_ids = {row[0] for s in snapshots.values() for row in s["authorships"]}
    keyword_ids = {k for s in snapshots.values() for k in s["keywords"]}
    live_authors, live_keywords = set(), set()
    for chunk in _chunks(sorted(author_ids)):
        live_authors.update(Author.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    for chunk in _chunks(sorted(keyword_ids)):
        live_keywords.update(Keyword.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    for chunk in _chunks(ids):
        Authorship.objects.filter(article_id__in=chunk).delete()
        Article.keywords.through.objects.filter(article_id__in=chunk).delete()
        Article.subject_areas.through.objects.filter(article_id__in=chunk).delete()
    Authorship.objects.bulk_create(
        [
            # With their old ids, so that the restored rows are the very same.
            Authorship(
                pk=row[3], article_id=pk, author_id=row[0], position=row[1], affiliation=row[2]
            )
            for pk, snapshot in snapshots.items()
            for row in snapshot["authorships"]
            if row[0] in live_authors
        ],
        batch_size=BULK_BATCH_SIZE,
    )
    keyword_through = Article.keywords.through
    keyword_through.objects.bulk_create(
        [
            keyword_through(article_id=pk, keyword_id=keyword_id)
            for pk, snapshot in snapshots.items()
            for keyword_id in snapshot["keywords"]
            if keyword_id in live_keywords
        ],
        batch_size=BULK_BATCH_SIZE,
    )
    subject_through = Article.subject_areas.through
    subject_through.objects.bulk_create(
        [
            subject_through(article_id=pk, subjectarea_id=subject_id)
            for pk, snapshot in snapshots.items()
            for subject_id in snapshot["subject_areas"]
        ],
        batch_size=BULK_BATCH_SIZE,
        ignore_conflicts=True,
    )


def _delete_unused(created_objects: dict[str, list[int]]) -> None:
    for chunk in _chunks(created_objects.get("keyword", [])):
        Keyword.objects.filter(pk__in=chunk, articles__isnull=True).delete()
    for chunk in _chunks(created_objects.get("author", [])):
        Author.objects.filter(pk__in=chunk, authorships__isnull=True).delete()
    for chunk in _chunks(created_objects.get("journal", [])):
        Journal.objects.filter(pk__in=chunk, articles__isnull=True).delete()


# --- reading a finished batch ------------------------------------------------------------------


def batch_rows(*, batch: ImportBatch) -> list[ReportRow]:
    """Return the recorded outcome of every entry and every problem of a batch, in line order."""
    rows = [
        ReportRow(
            source=batch.filename,
            line=record.line,
            key=record.key,
            action=record.action,
            title=record.title,
            message=record.note,
            article_id=record.article_id,
            similar_to_id=record.similar_to_id,
            in_source="earlier in this import" in record.note,
            et_al=record.et_al,
        )
        for record in batch.records.order_by("line", "pk").only(
            "line", "key", "action", "title", "note", "article_id", "similar_to_id", "et_al"
        )
    ]
    rows.extend(
        ReportRow(
            source=problem.get("source") or batch.filename,
            line=problem.get("line", 0),
            key=problem.get("key", ""),
            action=FAILED if problem.get("severity") == "error" else WARNING,
            message=problem.get("message", ""),
            raw=problem.get("raw", ""),
        )
        for problem in batch.problems or []
    )
    rows.sort(key=lambda row: (row.line, _ROW_ORDER.get(row.action, 0)))
    return rows


def can_import(user: Any) -> bool:
    """Return whether `user` may import BibTeX: staff, or holders of the import permission."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_staff or user.has_perm("catalogue.import_bibtex"))
    )
