"""What a search asks for: the query, the facet selections (see facets.py) and the sort."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from catalogue.search.facets import FACETS
from catalogue.search.query import Query

SORTS = {
    "relevance": "Relevance",
    "newest": "Newest first",
    "oldest": "Oldest first",
    "title": "Title A–Z",
}
DEFAULT_SORT = "relevance"
# The highest page number any list takes: (page - 1) * page size stays far inside a 64-bit
# OFFSET, and nobody pages a billion times.
MAX_PAGE = 10**9
# Django's own message for a NUL character in a form field.
NUL_MESSAGE = "Null characters are not allowed."
# More digits than this is no number a parameter takes (2**63 has 19).
_MAX_DIGITS = 19


def plain_int(text: str | None) -> int | None:
    """Return `text` as an int if it is 1 to 19 plain ASCII digits, else None.

    int() alone reads "١٢" (Arabic-Indic) or "１２" (full-width) as 12, "+1", " 1 " and
    "1_0" too, and raises on "²" or "①", which str.isdigit() accepts.
    """
    if not text or len(text) > _MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def parse_page(text: str) -> int:
    """Return a page number from plain ASCII digits, 1 to MAX_PAGE, or raise ValueError
    with the reader's message."""
    number = plain_int(text.removeprefix("-"))
    if number is None:
        raise ValueError("The page must be a whole number such as 2.")
    if text.startswith("-") or number == 0:
        raise ValueError("Pages are numbered from 1.")
    if number > MAX_PAGE:
        raise ValueError("There is no such page.")
    return number


def list_page(value: str | None) -> str:
    """Return a list page's `page` parameter as Paginator.get_page may read it.

    get_page turns a non-number into the first page and a number out of range into the last,
    but its int() reads "١٢" or "１２" as 12: a value that is not ASCII is no number (the first
    page), and at most 20 characters are read (a longer number is out of range anyway).
    """
    value = value or ""
    return value[:20] if value.isascii() else ""


def has_nul(text: str) -> bool:
    """Return whether a parameter name or value holds a NUL character (PostgreSQL refuses
    it in text)."""
    return "\x00" in text


@dataclass(frozen=True)
class SearchParams:
    """A normalised search: equal searches compare (and cache) equal."""

    query: Query = field(default_factory=Query)
    year_min: int | None = None
    year_max: int | None = None
    # facet name -> sorted tuple of values (ints for "ids" facets, str codes, bools).
    include: tuple[tuple[str, tuple], ...] = ()
    exclude: tuple[tuple[str, tuple], ...] = ()
    sort: str = DEFAULT_SORT

    @classmethod
    def build(
        cls,
        *,
        query: Query | None = None,
        year_min: int | None = None,
        year_max: int | None = None,
        include: dict[str, list] | None = None,
        exclude: dict[str, list] | None = None,
        sort: str = DEFAULT_SORT,
    ) -> SearchParams:
        """Return params with the selections de-duplicated and sorted, empty ones dropped."""

        def normalise(selections: dict[str, list] | None) -> tuple[tuple[str, tuple], ...]:
            return tuple(
                (name, tuple(sorted(set(values), key=str)))
                for name, values in sorted((selections or {}).items())
                if values and name in FACETS
            )

        if year_min is not None and year_max is not None and year_min > year_max:
            year_min, year_max = year_max, year_min
        return cls(
            query=query or Query(),
            year_min=year_min,
            year_max=year_max,
            include=normalise(include),
            exclude=normalise(exclude),
            sort=sort if sort in SORTS else DEFAULT_SORT,
        )

    def included(self, facet: str) -> tuple:
        return dict(self.include).get(facet, ())

    def excluded(self, facet: str) -> tuple:
        return dict(self.exclude).get(facet, ())

    def selected_values(self, facet: str) -> list:
        """Return the facet's included then excluded values, each once."""
        return list(dict.fromkeys((*self.included(facet), *self.excluded(facet))))

    @property
    def selected_facets(self) -> tuple[str, ...]:
        """Return the facets that narrow the results (the year when a range is set)."""
        names = {name for name, _ in self.include} | {name for name, _ in self.exclude}
        if self.year_min is not None or self.year_max is not None:
            names.add("year")
        return tuple(name for name in FACETS if name in names)

    @property
    def has_text(self) -> bool:
        return bool(self.query.groups)

    @property
    def is_browse(self) -> bool:
        """Return whether nothing narrows the results: the whole catalogue."""
        return not self.has_text and not self.selected_facets

    @property
    def effective_sort(self) -> str:
        """Return the sort applied: relevance needs words, else the newest come first."""
        return "newest" if self.sort == "relevance" and not self.has_text else self.sort

    def without(self, facet: str) -> SearchParams:
        """Return these params without any selection of `facet` (its own counts' context)."""
        if facet == "year":
            return SearchParams(self.query, None, None, self.include, self.exclude, self.sort)
        return SearchParams(
            self.query,
            self.year_min,
            self.year_max,
            tuple(item for item in self.include if item[0] != facet),
            tuple(item for item in self.exclude if item[0] != facet),
            self.sort,
        )

    def only(self, facet: str) -> SearchParams:
        """Return params holding only `facet`'s own selection: what without(facet) drops."""
        if facet == "year":
            return SearchParams(year_min=self.year_min, year_max=self.year_max)
        return SearchParams(
            include=tuple(item for item in self.include if item[0] == facet),
            exclude=tuple(item for item in self.exclude if item[0] == facet),
        )

    def cache_key(self) -> str:
        """Return a short stable key for these params."""
        text = repr(
            (str(self.query), self.year_min, self.year_max, self.include, self.exclude, self.sort)
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]
