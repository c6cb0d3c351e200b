"""Faceted full-text search over the catalogue: the engine behind /search/ and /api/articles/.

The package owns search end to end; this module is its public API. Where things are:

- `query.py`: the query language (words, "phrases", OR, -excluded, DOIs) parsed to a Query.
- `facets.py`: every facet declared once (parameter, label, validation, SQL on both backends).
- `params.py`: SearchParams, what a search asks for; `results.py`: what it returns.
- `engine.py`: `search()` (a page of results with every facet's counts) and `facet_values()`
  (a facet's full list), over `postgres.py` or `sqlite.py`, which share `statement.py`.
- `cache.py`: the per-generation result cache; `highlight.py`: matched words marked;
  `index.py`: re-indexing by hand; `orm.py`: a search as querysets, for exports.
- The edges: `fields.py` and `filters.py` validate parameters (ArticleFilterSet), `views.py`
  serves /search/ and its exports, `api.py` /api/articles/.

The index itself (tables, triggers, functions) is created by the migrations (0004_search and
later); docs/search.md explains the whole and how to add a facet.
"""

from catalogue.search.cache import search_generation
from catalogue.search.engine import (
    FACET_LIST_PAGE_SIZE,
    facet_values,
    postgres_settings,
    search,
)
from catalogue.search.facets import FACETS, ID_FACETS, VALUE_FACETS, Facet
from catalogue.search.highlight import highlight_html
from catalogue.search.index import refresh_search_index
from catalogue.search.orm import matching_ids_sql, order_queryset
from catalogue.search.params import DEFAULT_SORT, SORTS, SearchParams
from catalogue.search.query import MAX_QUERY_LENGTH, Query, QueryError, Term, parse_query
from catalogue.search.results import (
    FacetList,
    FacetResult,
    FacetValue,
    SearchError,
    SearchResult,
)

__all__ = [
    "DEFAULT_SORT",
    "FACETS",
    "FACET_LIST_PAGE_SIZE",
    "ID_FACETS",
    "MAX_QUERY_LENGTH",
    "SORTS",
    "VALUE_FACETS",
    "Facet",
    "FacetList",
    "FacetResult",
    "FacetValue",
    "Query",
    "QueryError",
    "SearchError",
    "SearchParams",
    "SearchResult",
    "Term",
    "facet_values",
    "highlight_html",
    "matching_ids_sql",
    "order_queryset",
    "parse_query",
    "postgres_settings",
    "refresh_search_index",
    "search",
    "search_generation",
]
