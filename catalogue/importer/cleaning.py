"""Cleaning one parsed entry: its values made safe for the database, with warnings."""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from catalogue import identifiers
from catalogue.formats import bibtex
from catalogue.importer.normalise import keyword_key, normalise_title
from catalogue.models import (
    RECORD_TEXT_FIELDS,
    Article,
    ContributorRole,
    OutputType,
    PublicationState,
)
from catalogue.pages import page_numbers, printed_pages

# A web address as the catalogue links it: a scheme, a host, no spaces. (Django's URLValidator
# is stricter but costs 50 µs a call, a quarter of the matching time of a large file.)
_URL = re.compile(r"(?:https?|ftps?)://[^\s/?#@]+(?:[/?#]\S*)?", re.IGNORECASE)
_MAX_INT = 2_147_483_647  # PositiveIntegerField on PostgreSQL
_OUTPUT_TYPES = set(OutputType.values)
_STATES = set(PublicationState.values)
_TEXT_LIMITS = {"volume": 50, "issue": 50, "article_number": 50}
_ROLES = set(ContributorRole.values)
# Printed name parts and their column lengths (catalogue.models.PrintedName).
_NAME_LIMITS = (
    ("family", 255, "A family name"),
    ("given", 255, "A given name"),
    ("particle", 50, "A name particle"),
    ("suffix", 50, "A name suffix"),
    ("corporate", 500, "An author name"),
)
# Record texts an over-long value of would be wrong if cut (identifiers, numbers, dates): left
# out with a warning. The others (titles, series, places, descriptions) are cut with a warning.
_DROPPED_WHEN_TOO_LONG = {
    "edition",
    "series_number",
    "isbn",
    "chapter",
    "report_number",
    "eprint",
    "eprint_type",
    "eprint_class",
    "accessed",
    "date_text",
}
_LABELS = {
    "book_title": "Book title",
    "series_number": "Number in series",
    "isbn": "ISBN",
    "report_number": "Report number",
    "genre": "Type",
    "howpublished": "How published",
    "eprint": "E-print identifier",
    "eprint_type": "E-print archive",
    "eprint_class": "E-print class",
    "accessed": "Access date",
    "date_text": "Date as written",
}


@functools.cache
def _max_length(name: str) -> int:
    return Article._meta.get_field(name).max_length


@dataclass
class PersonName:
    """An author's name parts, cut to the database's field lengths."""

    family: str = ""
    given: str = ""
    particle: str = ""
    suffix: str = ""
    corporate: str = ""
    orcid: str = ""
    # The name exactly as the source printed it, cut to the column lengths: (family, given,
    # particle, suffix, corporate), the order of PRINTED_COLUMNS. The parts above are the
    # person's form (a given-only name such as "Plato" moved to the family name).
    printed: tuple[str, str, str, str, str] = ("", "", "", "", "")


# The Authorship/Contributor columns of PersonName.printed, in order.
PRINTED_COLUMNS = ("family_name", "given_names", "particle", "suffix", "corporate_name")


@dataclass
class ContributorName:
    """A contributor other than an author: role, 1-based position within the role, printed form."""

    role: str
    position: int
    printed: tuple[str, str, str, str, str]


@dataclass
class CleanEntry:
    """One entry's values made safe for the database, with the warnings of what was dropped."""

    fields: dict[str, Any]
    journal_title: str
    journal_abbreviation: str
    issns: list[str]
    publisher: str
    authors: list[PersonName]
    keywords: list[str]
    warnings: list[str]
    contributors: list[ContributorName] = field(default_factory=list)
    error: str = ""


def _truncate(value: str, limit: int, label: str, warnings: list[str]) -> str:
    if len(value) <= limit:
        return value
    warnings.append(f"{label} is longer than {limit} characters and was cut.")
    return value[:limit]


def clean_entry(entry: bibtex.Entry) -> CleanEntry:
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

    pages = printed_pages(entry.pages or "")
    if not pages and entry.first_page:
        # An entry built with numbers only (not by the parser): print them.
        last = entry.last_page
        pages = printed_pages(
            f"{entry.first_page}-{last}"
            if last and last != entry.first_page
            else str(entry.first_page)
        )
    limit = _max_length("pages")
    if len(pages) > limit:
        warnings.append(
            f"Pages {pages[:60]!r} are longer than {limit} characters and were left out."
        )
        pages = ""
    # Numbers only from plain numbers ("311–325"), never from "052102", "E3313–E3322" or "xii".
    first, last = page_numbers(pages)
    count = entry.page_count
    if count is not None and not 0 < count <= _MAX_INT:
        warnings.append(f"Page count {count} is out of range and was left out.")
        count = None
    if count is None and first and last:
        count = last - first + 1
    fields.update(pages=pages, first_page=first, last_page=last, page_count=count)

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

    for name, limit, label, drop in _record_text_limits():
        value = getattr(entry, name, "") or ""
        if value:
            value = value.strip()
            if len(value) > limit:
                if drop:
                    warnings.append(
                        f"{label} {value[:60]!r} is longer than {limit} characters "
                        "and was left out."
                    )
                    value = ""
                else:
                    value = _truncate(value, limit, label, warnings)
        fields[name] = value
    fields["et_al"] = bool(entry.et_al)
    fields["citation_key"] = _truncate(
        entry.key or "", _max_length("citation_key"), "The citation key", warnings
    )

    issns, issn_errors = identifiers.valid_issns(entry.issns)
    warnings.extend(f"ISSN left out: {error}" for error in issn_errors)

    authors = []
    for name in entry.authors:
        printed = _printed(name, warnings)
        family, given, particle, suffix, corporate = printed
        orcid = getattr(name, "orcid", "")
        person = PersonName(
            family=family.strip(),
            given=given.strip(),
            particle=particle.strip(),
            suffix=suffix.strip(),
            corporate=corporate.strip(),
            # The parser's Name may learn ORCIDs (biblatex `orcid` annotations); use them if so.
            orcid=identifiers.normalise_orcid(orcid) if orcid else "",
            printed=printed,
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

    contributors: list[ContributorName] = []
    roles = dict(entry.contributors or {})
    if entry.editors and not roles.get(ContributorRole.EDITOR):
        roles[ContributorRole.EDITOR] = list(entry.editors)
    for role, names in roles.items():
        if role not in _ROLES:
            warnings.append(f"Contributor role {role!r} is not known; its names were left out.")
            continue
        position = 0
        for name in names:
            printed = _printed(name, warnings)
            family, given, particle, suffix, corporate = printed
            if not (family.strip() or corporate.strip()):
                if not given.strip():
                    warnings.append(f"An empty {role} name was left out.")
                    continue
                # A contributor needs a family or corporate name: "Plato" as the family name.
                printed = (given, "", particle, suffix, corporate)
            position += 1
            contributors.append(ContributorName(role=role, position=position, printed=printed))

    keywords: list[str] = []
    seen: set[str] = set()
    for term in entry.keywords:
        term = " ".join((term or "").split())
        if not term:
            continue
        if len(term) > 255:
            warnings.append(f"Keyword {term[:60]!r}… is longer than 255 characters; left out.")
            continue
        if keyword_key(term) not in seen:
            seen.add(keyword_key(term))
            keywords.append(term)

    journal_title = " ".join((entry.journal_title or "").split())
    journal_abbreviation = " ".join((entry.journal_abbreviation or "").split())
    if journal_title and not normalise_title(journal_title):
        warnings.append(f"Journal title {journal_title[:60]!r} has no letters; left out.")
        journal_title = ""
    if journal_abbreviation and not normalise_title(journal_abbreviation):
        journal_abbreviation = ""
    publisher = _truncate(" ".join((entry.publisher or "").split()), 255, "The publisher", warnings)
    # The article's own until its journal is known (matching drops it if the journal's is the same).
    fields["publisher"] = publisher
    clean = CleanEntry(
        fields=fields,
        journal_title=_truncate(journal_title, 500, "The journal title", warnings),
        journal_abbreviation=_truncate(
            journal_abbreviation, 255, "The journal abbreviation", warnings
        ),
        issns=issns,
        publisher=publisher,
        authors=authors,
        keywords=keywords,
        warnings=warnings,
        contributors=contributors,
    )
    if not title:
        clean.error = "The entry has no title."
    return clean


def _printed(name: bibtex.Name, warnings: list[str]) -> tuple[str, str, str, str, str]:
    """Return a name's parts as printed, each cut (with a warning) to its column's length."""
    family, given, particle, suffix, corporate = (
        name.family or "",
        name.given or "",
        name.particle or "",
        name.suffix or "",
        name.corporate or "",
    )
    if (
        len(family) <= 255
        and len(given) <= 255
        and len(particle) <= 50
        and len(suffix) <= 50
        and len(corporate) <= 500
    ):
        return family, given, particle, suffix, corporate
    return tuple(  # type: ignore[return-value]
        _truncate(getattr(name, part) or "", limit, label, warnings)
        for part, limit, label in _NAME_LIMITS
    )


@functools.cache
def _record_text_limits() -> list[tuple[str, int, str, bool]]:
    """Return each record text column with its length, its label and whether to drop when long."""
    return [
        (
            name,
            _max_length(name),
            _LABELS.get(name, name.replace("_", " ").capitalize()),
            name in _DROPPED_WHEN_TOO_LONG,
        )
        for name in RECORD_TEXT_FIELDS
    ]


def _days_in(year: int | None, month: int) -> int:
    return calendar.monthrange(year or 2000, month)[1]
