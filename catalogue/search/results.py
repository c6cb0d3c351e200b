"""What a search returns: a page of articles, the total, facet counts, hints."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.utils.safestring import SafeString

from catalogue.search.params import SearchParams


class SearchError(ValueError):
    """A search that cannot be answered as asked; `field` names the parameter at fault."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class Raw:
    """What a backend's results statement returns, before labels and articles are attached."""

    total: int
    total_exact: bool
    hits: list[tuple[int, float | None]]
    # facet -> [(value text, count, approximate)]
    counts: dict[str, list[tuple[str, int, bool]]]
    labels: dict[tuple[str, str], str | None]
    # Above the threshold, relevance ranked only this many sampled matches (else 0).
    ranked_window: int
    approximate: dict[str, bool]


@dataclass
class FacetValue:
    """One value of a facet with the number of results it has (or would have)."""

    id: Any
    label: str
    count: int
    selected: bool = False
    excluded: bool = False
    approximate: bool = False

    @property
    def param(self) -> str:
        """Return the value as written in a URL (true/false for booleans)."""
        if isinstance(self.id, bool):
            return "true" if self.id else "false"
        return str(self.id)

    @property
    def html(self) -> SafeString:
        """Return the value's <li> as a facet's full list shows it (its links set by
        decorate_values), every value escaped: the sidebar's markup (search.markup)."""
        from catalogue.search import markup  # markup imports the models, which import this

        return markup.facet_value(self)


@dataclass
class FacetResult:
    """A facet's top values (and any selected ones), with whether counts are estimates."""

    name: str
    label: str
    values: list[FacetValue] = field(default_factory=list)
    approximate: bool = False
    has_more: bool = False


@dataclass
class SearchResult:
    """A page of results with the total and the facets of the whole result set."""

    params: SearchParams
    total: int
    total_exact: bool
    articles: list
    page: int
    page_size: int
    facets: dict[str, FacetResult]
    # Relevance ranking looked only at this many newest matches (broad searches), else None.
    ranking_window: int | None = None
    # Deepest result reachable by paging.
    result_window: int = 0
    suggestion: str = ""
    warnings: list[str] = field(default_factory=list)
    labels: dict[tuple[str, str], str] = field(default_factory=dict)
    from_cache: bool = False

    @property
    def reachable(self) -> int:
        """Return how many results can be paged through."""
        limit = self.ranking_window if self.ranking_window is not None else self.result_window
        return min(self.total, limit) if limit else self.total

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.reachable / self.page_size))

    @property
    def start_index(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.articles else 0

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.articles) - 1 if self.articles else 0

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def approximate(self) -> bool:
        """Return whether any count shown is an estimate."""
        return not self.total_exact or any(facet.approximate for facet in self.facets.values())

    def label(self, facet: str, value: Any) -> str:
        """Return the display label of a selected value (chips)."""
        return self.labels.get((facet, str(value)), str(value))


@dataclass
class FacetList:
    """The full list of a facet's values for the "more" view."""

    facet: str
    label: str
    values: list[FacetValue]
    total_values: int
    page: int
    page_size: int
    sort: str
    text: str
    approximate: bool = False

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.total_values / self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1
