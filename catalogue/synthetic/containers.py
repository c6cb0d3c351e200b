"""What a record says beyond a journal article: book, report, thesis and e-print fields,
contributors other than the authors, "and others", dates as written, and citation keys.

Drawn from a stream of its own (`seeded_random(seed, "record-fields")`), so adding these
left every title, author, keyword and date of a seed as it was.
"""

from __future__ import annotations

import functools
import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from catalogue.models import ContributorRole, OutputType
from catalogue.pages import EN_DASH
from catalogue.synthetic.subjects import SyntheticSubject

# Printed name parts, in the order of PrintedName.NAME_FIELDS.
Name = tuple[str, str, str, str, str]

_PUBLISHERS = (
    ("Springer", "Cham"), ("Routledge", "London"), ("Oxford University Press", "Oxford"),
    ("Cambridge University Press", "Cambridge"), ("Elsevier", "Amsterdam"),
    ("Wiley-Blackwell", "Hoboken, NJ"), ("SAGE Publications", "Thousand Oaks, CA"),
    ("MIT Press", "Cambridge, MA"), ("De Gruyter", "Berlin"), ("Palgrave Macmillan", "London"),
)  # fmt: skip
_BOOK_TITLES = (
    "Handbook of {}", "The Oxford Handbook of {}", "Advances in {}", "Perspectives on {}",
    "{}: Theory and Practice", "Current Issues in {}",
)  # fmt: skip
_SERIES = ("Lecture Notes in {}", "Studies in {}", "Advances in {}", "Springer Series in {}")
_EDITIONS = ("2nd", "2nd", "3rd", "4th", "Revised")
_REPORTS = (
    ("TR", "Technical report"), ("WP", "Working paper"), ("DP", "Discussion paper"),
    ("RR", "Research report"),
)  # fmt: skip
_THESES = ("PhD thesis", "PhD thesis", "PhD thesis", "Doctoral dissertation", "Master's thesis")
_ARXIV_CLASSES = (
    "cs.CL", "cs.LG", "stat.ML", "q-bio.NC", "q-bio.PE", "physics.soc-ph", "econ.GN",
    "stat.ME", "cs.CY", "math.ST",
)  # fmt: skip
_OWN_FIELDS = frozenset(
    {
        OutputType.BOOK, OutputType.CHAPTER, OutputType.REPORT, OutputType.THESIS,
        OutputType.PREPRINT, OutputType.WEBPAGE, OutputType.OTHER,
    }
)  # fmt: skip
_STOP_WORDS = frozenset({"a", "an", "the", "on", "of", "in", "for", "and", "to", "with", "is"})


@dataclass
class RecordFields:
    """One article's columns beyond a journal article's, and its other contributors."""

    publisher: str = ""
    book_title: str = ""
    edition: str = ""
    series: str = ""
    series_number: str = ""
    place: str = ""
    isbn: str = ""
    chapter: str = ""
    report_number: str = ""
    genre: str = ""
    howpublished: str = ""
    eprint: str = ""
    eprint_type: str = ""
    eprint_class: str = ""
    accessed: str = ""
    date_text: str = ""
    et_al: bool = False
    citation_key: str = ""
    # (role, position, name)
    contributors: list[tuple[str, int, Name]] = field(default_factory=list)


def printed_pages(first_page: int | None, last_page: int | None) -> str:
    """Return the pages as an import would store them: "311–325", or "7" for one page."""
    if not first_page:
        return ""
    if last_page and last_page != first_page:
        return f"{first_page}{EN_DASH}{last_page}"
    return str(first_page)


def chapter_pages(rng: random.Random) -> tuple[int, int]:
    """Return a chapter's first and last page."""
    first = rng.randint(1, 420)
    return first, first + rng.randint(8, 40) - 1


_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def _ascii_lower(text: str) -> str:
    text = text.lower()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_ALNUM.sub("", text)


@functools.lru_cache(maxsize=1 << 16)
def _name_key(name: Name) -> str:
    # Authors recur (a Zipf law): their part of the key is folded once.
    family, _, particle, _, corporate = name
    return _ascii_lower(corporate.split()[0]) if corporate else _ascii_lower(particle + family)


def citation_key(first_author: Name | None, year: int | None, title: str) -> str:
    """Return a Google Scholar style key: family name, year, first word of the title.

    "vanderberg2019alliance"; a group's first word stands for the name; "nd" for no year.
    """
    name = _name_key(first_author) if first_author is not None else ""
    words = (_ascii_lower(word) for word in title.split(maxsplit=6))
    word = next((word for word in words if word and word not in _STOP_WORDS), "")
    return f"{name or 'anon'}{year or 'nd'}{word}"


def _isbn(rng: random.Random) -> str:
    digits = f"978{rng.randint(0, 1)}{rng.randrange(10**8):08d}"
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(digits))
    check = (10 - total % 10) % 10
    return f"{digits[:3]}-{digits[3]}-{digits[4:8]}-{digits[8:]}-{check}"


def _names(rng: random.Random, pool: Sequence[Name], count: int) -> list[Name]:
    return [pool[rng.randrange(len(pool))] for _ in range(count)]


def _title_case(text: str) -> str:
    return " ".join(word if word[:1].isupper() else word.capitalize() for word in text.split())


def record_fields(
    rng: random.Random,
    *,
    output_type: str,
    year: int | None,
    month: int | None,
    title: str,
    subject: SyntheticSubject,
    authors: Sequence[Name],
    author_pool: Sequence[Name],
    cities: Sequence[str],
) -> RecordFields:
    """Return the fields of one record of `output_type` beyond a journal article's.

    `subject` is the record's first subject area (books and series are named after its
    topic), `authors` its printed author names (the key is made from the first),
    `author_pool` the names contributors are drawn from, `cities` the places of institutions.
    """
    key = citation_key(authors[0] if authors else None, year, title)
    draw = rng.random
    # Long author lists are sometimes cut short with "and others" in reference libraries.
    et_al = len(authors) >= 8 and draw() < 0.2
    if output_type not in _OWN_FIELDS:
        return RecordFields(et_al=et_al, citation_key=key)  # most records: journal articles
    fields = RecordFields(et_al=et_al, citation_key=key)
    city = rng.choice(cities)
    topic = subject.topic
    if output_type in (OutputType.BOOK, OutputType.CHAPTER):
        publisher, place = rng.choice(_PUBLISHERS)
        fields.publisher, fields.place, fields.isbn = publisher, place, _isbn(rng)
        if draw() < 0.2:
            fields.edition = rng.choice(_EDITIONS)
        if draw() < 0.3:
            fields.series = rng.choice(_SERIES).format(_title_case(topic))
            fields.series_number = str(rng.randint(1, 240))
            if draw() < 0.5:
                fields.contributors.append(
                    (ContributorRole.SERIES_EDITOR, 1, _names(rng, author_pool, 1)[0])
                )
        if output_type == OutputType.CHAPTER:
            fields.book_title = rng.choice(_BOOK_TITLES).format(_title_case(topic))
            for position, name in enumerate(
                _names(rng, author_pool, rng.choice((1, 2, 2, 3))), start=1
            ):
                fields.contributors.append((ContributorRole.EDITOR, position, name))
            if draw() < 0.4:
                fields.chapter = str(rng.randint(1, 24))
        elif draw() < 0.08:
            fields.contributors.append(
                (ContributorRole.TRANSLATOR, 1, _names(rng, author_pool, 1)[0])
            )
        if year and draw() < 0.03:
            fields.date_text = f"{year}/{(year + 1) % 100:02d}"
    elif output_type == OutputType.REPORT:
        prefix, genre = rng.choice(_REPORTS)
        fields.genre = genre
        fields.report_number = f"{prefix}-{year or 'ND'}-{rng.randint(1, 120):03d}"
        fields.publisher, fields.place = f"University of {city}", city
    elif output_type == OutputType.THESIS:
        fields.genre = rng.choice(_THESES)
        fields.publisher, fields.place = f"University of {city}", city
    elif output_type == OutputType.PREPRINT and year and year >= 2008 and draw() < 0.7:
        fields.eprint = (
            f"{year % 100:02d}{month or rng.randint(1, 12):02d}.{rng.randrange(10**5):05d}"
        )
        fields.eprint_type, fields.eprint_class = "arXiv", rng.choice(_ARXIV_CLASSES)
    elif output_type == OutputType.WEBPAGE:
        fields.accessed = f"{year or 2020}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        fields.howpublished = "Web page"
    elif output_type == OutputType.OTHER:
        fields.howpublished = f"Presented at a meeting in {city}"
    return fields
