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
