"""Follow a search: an Atom feed (RFC 4287) of the newest records of any search or entity page.

/search/feed/?<search parameters> takes the search page's parameters with the same
validation (catalogue.search.filters.ArticleFilterSet; a bad one is a 400 with its message).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path

from catalogue.search.filters import ArticleFilterSet

# How many records a feed holds: the newest of the search.
FEED_ENTRIES = 50


def search_feed(request: HttpRequest) -> HttpResponse:
    """Return the Atom feed of the newest records matching the search in the query string."""
    filterset = ArticleFilterSet(request.GET)
    if not filterset.is_valid():
        message = "\n".join(f"{name}: {text}" for name, text in filterset.error_list())
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    return HttpResponse(status=501)


urlpatterns: list[URLPattern] = [
    path("search/feed/", search_feed, name="search-feed"),
]
