"""The search page's links: query strings of states, a facet value's select, exclude and
remove links, record and entity page URLs, a state's feed URL.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from urllib.parse import urlencode

from django.http import (
    QueryDict,
)
from django.urls import get_script_prefix, reverse

from catalogue import search
from catalogue.search import FACETS
from catalogue.search.scopes import Scope

# Parameters that describe the result set (page and page size only say which slice).
PAGING = ("page", "page_size")


# Parameters that only say which slice or representation of a search a page shows: a feed
# of the search is the same without them (it is always its newest records).
NOT_SEARCH = frozenset({"page", "page_size", "sort", "format", "style", "locale"})


def search_state(data: Iterable[tuple[str, list[str]]]) -> str:
    """Return the urlencoded search parameters of a query string (no page, sort or format)."""
    return urlencode(
        [(name, value) for name, values in data if name not in NOT_SEARCH for value in values]
    )


def feed_url(data: Iterable[tuple[str, list[str]]]) -> str:
    """Return the path of the feed of the search in `data` (a QueryDict's lists())."""
    state = search_state(data)
    return reverse("catalogue:search-feed") + (f"?{state}" if state else "")


def querystring(data: QueryDict | dict, **changes: Iterable[str] | str | None) -> str:
    """Return "?..." for `data` with the given parameters replaced (None or [] removes them)."""
    pairs: dict[str, list[str]] = {
        name: list(values) for name, values in _lists(data) if name not in PAGING
    }
    for name, value in changes.items():
        if value is None or value == []:
            pairs.pop(name, None)
        else:
            pairs[name] = [value] if isinstance(value, str) else list(value)
    encoded = "&".join(_pair(name, value) for name, values in pairs.items() for value in values)
    return f"?{encoded}" if encoded else "?"


@functools.lru_cache(maxsize=4096)
def _pair(name: str, value: str) -> str:
    # A results page links every facet value three ways: some 120 query strings, mostly
    # the same pairs (about 3 ms a page encoded anew each time).
    return urlencode([(name, value)])


def _lists(data: QueryDict | dict) -> Iterable[tuple[str, list[str]]]:
    if isinstance(data, QueryDict):
        return data.lists()
    return (
        (name, values if isinstance(values, list) else [values]) for name, values in data.items()
    )


def hidden_inputs(data: QueryDict, *, skip: Iterable[str]) -> list[tuple[str, str]]:
    """Return (name, value) pairs of the state to carry in a form's hidden inputs."""
    skipped = set(skip) | set(PAGING)
    return [
        (name, value) for name, values in data.lists() if name not in skipped for value in values
    ]


def decorate_values(
    values: Iterable[search.FacetValue],
    name: str,
    data: QueryDict,
    *,
    base: str = "",
    scope: Scope | None = None,
) -> None:
    """Give each value of facet `name` its count text and links: select, exclude, or remove
    the selection (relative to `base`), the same on the results page and a facet's list.

    The entity page's own facet links each other value to that value's page instead: a
    facet's values are alternatives, so selecting one there would widen the list."""
    not_name = FACETS[name].not_name
    included = [v for v in data.getlist(name) if v]
    excluded = [v for v in data.getlist(not_name) if v]
    own = scope is not None and name == scope.facet
    # Every link changes only this facet's two parameters: the others are encoded once.
    encode = _state_encoder(data)
    for value in values:
        param = value.param
        value.count_text = count_text(value)
        if own:
            value.include_url = scope.value_url(value.id)
        else:
            value.include_url = base + encode(
                {name: [*included, param], not_name: [v for v in excluded if v != param]}
            )
        value.exclude_url = base + encode(
            {not_name: [*excluded, param], name: [v for v in included if v != param]}
        )
        value.remove_url = base + encode(
            {
                name: [v for v in included if v != param],
                not_name: [v for v in excluded if v != param],
            }
        )


def _state_encoder(data: QueryDict | dict) -> Callable[[dict[str, list[str]]], str]:
    """Return a function giving querystring(data, **changes) for changes given as lists.

    A results page links each facet value three ways (some 200 query strings of one state,
    about 1.4 ms a page): the parameters a link does not change are encoded once.
    """
    # Each parameter's pairs encoded, in the state's order (a changed one replaced in place).
    fixed = {
        name: "&".join(_pair(name, value) for value in values)
        for name, values in _lists(data)
        if name not in PAGING
    }

    def encode(changes: dict[str, list[str]]) -> str:
        pieces = [
            "&".join(_pair(name, value) for value in changes[name]) if name in changes else piece
            for name, piece in fixed.items()
        ]
        pieces += [
            "&".join(_pair(name, value) for value in values)
            for name, values in changes.items()
            if name not in fixed
        ]
        encoded = "&".join(piece for piece in pieces if piece)
        return f"?{encoded}" if encoded else "?"

    return encode


def count_text(value: search.FacetValue) -> str:
    """Return a facet count as shown: "1,234", or "about 1,200" for an estimate."""
    return f"about {value.count:,}" if value.approximate else f"{value.count:,}"


# A placeholder primary key: reversed once, then replaced by each record's own key.
_PK_PLACEHOLDER = 918273645546372819


@functools.lru_cache(maxsize=32)
def _detail_url_parts(name: str, script_prefix: str) -> tuple[str, str]:
    head, _, tail = reverse(name, args=[_PK_PLACEHOLDER]).rpartition(str(_PK_PLACEHOLDER))
    return head, tail


def detail_url(name: str, pk: int) -> str:
    """Return reverse(name, args=[pk]) for a URL whose only argument is an integer key.

    A results page links every article and up to ten authors of each: some 120 reverse()
    calls, about 60 µs each. The URL is the same text around the key, so reverse it once
    (per script prefix) and put each key in place.
    """
    head, tail = _detail_url_parts(name, get_script_prefix())
    return f"{head}{int(pk)}{tail}"
