"""The per-generation result cache: what a search page, an API body or a results statement
made, kept until the index changes.

Every write to indexed data gives the index a new generation (its triggers, migration 0004),
so a key holding the generation never serves stale results and nothing is invalidated by
hand. The search page and the API cache their whole rendered body (a repeated request costs
one query, the generation); the engine caches the backend's rows of a results page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.core.cache import BaseCache, caches
from django.http import HttpRequest

from catalogue import conf, routers
from catalogue.search.params import SearchParams

T = TypeVar("T")


def search_generation() -> int:
    """Return the index's current generation (changes on every write to indexed data)."""
    # From the database this request reads (a replica, or the primary): the statement and the
    # records read next come from there too, so a body is never cached under a generation
    # newer than its rows.
    with routers.read_connection().cursor() as cursor:
        cursor.execute("SELECT generation FROM catalogue_search_state WHERE id = 1")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _cache() -> BaseCache:
    return caches[conf.get("SEARCH_CACHE_ALIAS")]


def lookup(key: str) -> Any:
    """Return what is cached under `key`, or None."""
    return _cache().get(key)


def store(key: str, value: Any) -> None:
    """Keep `value` under `key` for SEARCH_CACHE_SECONDS."""
    _cache().set(key, value, conf.get("SEARCH_CACHE_SECONDS"))


def results_key(generation: int, params: SearchParams, page: int, page_size: int) -> str:
    """Return the key of a results page's backend rows."""
    return f"catalogue-search:{generation}:{params.cache_key()}:{page}:{page_size}"


def body_key(kind: str, generation: int, request: HttpRequest) -> str:
    """Return the key of a response body of `kind` ("page", "api") for this request.

    Made of the scheme, the host and the sorted parameters: bodies hold absolute links
    (http:// or https://, the host's name), and the same search asked in another order is the
    same body.
    """
    pairs = sorted((name, value) for name, values in request.GET.lists() for value in values)
    origin = f"{request.scheme}://{request.get_host()}"
    digest = hashlib.sha256(f"{origin}?{urlencode(pairs)}".encode()).hexdigest()
    return f"catalogue-search-{kind}:{generation}:{digest[:32]}"


def cached_body(kind: str, request: HttpRequest, build: Callable[[int], T]) -> T:
    """Return what `build(generation)` makes for this request, from the cache if already made."""
    generation = search_generation()
    key = body_key(kind, generation, request)
    body = lookup(key)
    if body is None:
        body = build(generation)
        store(key, body)
    return body
