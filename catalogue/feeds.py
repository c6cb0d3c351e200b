"""Follow a search: an Atom feed (RFC 4287) of the newest records of any search or entity page.

/search/feed/?<search parameters> takes the search page's parameters with the same validation
(catalogue.search.filters.ArticleFilterSet; a bad one is a 400 with its message), so a journal,
author, keyword or subject page's feed is the search with that entity selected
(/search/feed/?journal=12). The records come from the search engine's own results statement
with the sort "newest" and no facets, so a feed lists exactly the first FEED_ENTRIES results of
/search/?<same parameters>&sort=newest.
"""

from __future__ import annotations

import dataclasses
import datetime

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.xmlutils import SimplerXMLGenerator

from catalogue import routers
from catalogue.models import Article
from catalogue.rich_text import plain_text
from catalogue.search import (
    FACETS,
    ID_FACETS,
    SearchError,
    SearchParams,
    postgres,
    postgres_settings,
    sqlite,
)
from catalogue.search.engine import unknown_ids
from catalogue.search.filters import ArticleFilterSet
from catalogue.search.links import feed_url, search_state
from catalogue.search.orm import filter_facet
from catalogue.search.postgres.page import LABEL_TABLES
from catalogue.search.statement import is_postgres

# How many records a feed holds: the newest of the search.
FEED_ENTRIES = 50
# An entity with this many articles is read down the newest-first index (_walk_newest).
WALK_MIN_ARTICLES = 5_000
CONTENT_TYPE = "application/atom+xml; charset=utf-8"
SITE_TITLE = "Research catalogue"


class CatalogueAtomFeed(Atom1Feed):
    """Atom 1.0 with every author of an entry, its publication date and plain-text summary."""

    def latest_post_date(self) -> datetime.datetime:
        """Return the feed's <updated>: the newest entry's, or now for an empty feed."""
        return max((item["updateddate"] for item in self.items), default=timezone.now())

    def add_item_elements(self, handler: SimplerXMLGenerator, item: dict) -> None:
        """Write one entry: title, link, id, updated, published, authors, summary, categories."""
        # Atom1Feed writes the summary as type="html"; an abstract is plain text here, so it
        # goes out as type="text" and a "<script>" in it stays text in every reader.
        handler.addQuickElement("title", item["title"], {"type": "text"})
        handler.addQuickElement("link", "", {"href": item["link"], "rel": "alternate"})
        handler.addQuickElement("id", item["unique_id"])
        handler.addQuickElement("updated", item["updateddate"].isoformat())
        if item.get("pubdate") is not None:
            handler.addQuickElement("published", item["pubdate"].isoformat())
        for name in item.get("authors") or [SITE_TITLE]:
            handler.startElement("author", {})
            handler.addQuickElement("name", name)
            handler.endElement("author")
        if item.get("description"):
            handler.addQuickElement("summary", item["description"], {"type": "text"})
        for category in item["categories"]:
            handler.addQuickElement("category", "", {"term": category})


def _one_entity(params: SearchParams) -> tuple[str, int] | None:
    """Return (facet, id) when the search is one journal, author, keyword or subject alone."""
    if params.has_text or params.exclude or params.year_min or params.year_max:
        return None
    if len(params.include) != 1 or len(params.include[0][1]) != 1:
        return None
    facet, (value,) = params.include[0]
    return (facet, int(value)) if facet in ID_FACETS else None


def _walk_newest(facet: str, value: int) -> tuple[list[int], dict] | None:
    """Return an entity's newest ids read down the newest-first index, when it has many.

    PostgreSQL, one entity with at least WALK_MIN_ARTICLES articles: the results statement
    sorts all of them by date (270 ms for a keyword of 150,000 articles at 1M), while reading
    the articles newest first (migration 0022's index) and keeping the entity's stops after
    about 50 x 1,000,000 / its count rows. A rare entity goes through the statement.
    """
    table, alias, label = LABEL_TABLES[facet]
    with routers.read_connection().cursor() as cursor:
        cursor.execute(
            f"SELECT f.count, {label} FROM catalogue_search_facet f "  # noqa: S608
            f"JOIN {table} {alias} ON {alias}.id = %s WHERE f.facet = %s AND f.value = %s",
            [value, facet, str(value)],
        )
        row = cursor.fetchone()
    if row is None or row[0] < WALK_MIN_ARTICLES:
        return None
    articles = filter_facet(Article.objects.all(), facet, [value]).newest_first()
    ids = list(articles.values_list("pk", flat=True)[:FEED_ENTRIES])
    return ids, {(facet, str(value)): row[1]}


def _newest(params: SearchParams) -> tuple[list[int], dict[tuple[str, str], str | None]]:
    """Return the ids of the search's newest FEED_ENTRIES articles and the selections' labels."""
    entity = _one_entity(params) if is_postgres() else None
    walked = _walk_newest(*entity) if entity else None
    if walked is not None:
        return walked
    # The results statement without facets: the page's ranking and filters, nothing counted
    # but the total.
    if is_postgres():
        raw = postgres.run_results(
            params=params,
            offset=0,
            limit=FEED_ENTRIES,
            facet_names=[],
            settings=postgres_settings(),
        )
    else:
        raw = sqlite.run_results(params=params, offset=0, limit=FEED_ENTRIES, facet_names=[])
    return [article_id for article_id, _ in raw.hits], raw.labels


def _unknown_ids(params: SearchParams, labels: dict[tuple[str, str], str | None]) -> list[str]:
    """Return a message for every selected id that names no row (as the search page says)."""
    return [
        f"There is no {FACETS[facet].noun} with the id {value}."
        for facet, value in unknown_ids(params, labels)
    ]


def feed_title(params: SearchParams, labels: dict[tuple[str, str], str | None]) -> str:
    """Return the feed's title: the words and selections of the search, or the catalogue."""
    parts = []
    if params.has_text:
        parts.append(f"“{params.query}”")
    for prefix, selections in (("", params.include), ("not ", params.exclude)):
        for facet, values in selections:
            for value in values:
                text = str(value).lower() if isinstance(value, bool) else str(value)
                label = labels.get((facet, text)) if FACETS[facet].kind == "ids" else None
                name = label or FACETS[facet].choice_label(text)
                parts.append(f"{prefix}{FACETS[facet].label}: {name}")
    if params.year_min is not None or params.year_max is not None:
        parts.append(f"years {params.year_min or '…'}–{params.year_max or '…'}")
    if not parts:
        return f"{SITE_TITLE}: newest records"
    return f"{SITE_TITLE}: newest records for " + ", ".join(parts)


def _error(messages: list[str], status: int = 400) -> HttpResponse:
    text = "This feed's search is not valid:\n" + "\n".join(f"- {line}" for line in messages)
    return HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")


def _date(article: Article) -> datetime.datetime | None:
    """Return the article's publication date (month and day 1 when unknown), or None."""
    if not article.year:
        return None
    return datetime.datetime(
        article.year, article.month or 1, article.day or 1, tzinfo=datetime.UTC
    )


def _source(article: Article) -> str:
    """Return the summary of a record without an abstract: its journal and year."""
    where = ", ".join(
        str(part)
        for part in (article.journal.title if article.journal else "", article.year)
        if part
    )
    return f"{where}. No abstract." if where else "No abstract."


def search_feed(request: HttpRequest) -> HttpResponse:
    """Return the Atom feed of the newest records matching the search in the query string."""
    filterset = ArticleFilterSet(request.GET)
    if not filterset.is_valid():
        errors = filterset.error_list()
        return _error([f"{name}: {text}" if name else text for name, text in errors])
    params = dataclasses.replace(filterset.search_params(), sort="newest")
    if params.query.doi:
        # A DOI search is a redirect to one record on the search page, not a stream to follow.
        return _error(["q: a DOI names one record; follow a search, a journal or an author."])
    try:
        ids, labels = _newest(params)
    except SearchError as error:  # e.g. a query the backend refuses
        return _error([f"{error.field}: {error.message}"])
    unknown = _unknown_ids(params, labels)
    if unknown:
        return _error(unknown, status=404)
    articles = {a.pk: a for a in Article.objects.filter(pk__in=ids).for_listing()}
    ordered = [articles[pk] for pk in ids if pk in articles]

    state = search_state(request.GET.lists())
    self_url = request.build_absolute_uri(feed_url(request.GET.lists()))
    page_url = request.build_absolute_uri(
        reverse("catalogue:search") + "?" + "&".join(filter(None, [state, "sort=newest"]))
    )
    feed = CatalogueAtomFeed(
        title=feed_title(params, labels),
        link=page_url,
        description="",
        feed_url=self_url,
        feed_guid=self_url,
        author_name=SITE_TITLE,
        language="en",
    )
    for article in ordered:
        feed.add_item(
            title=plain_text(article.title) or "(untitled)",
            link=request.build_absolute_uri(article.get_absolute_url()),
            description=plain_text(article.abstract) or _source(article),
            unique_id=request.build_absolute_uri(article.get_absolute_url()),
            updateddate=article.updated,
            pubdate=_date(article),
            authors=[a.printed_name or a.author.display_name for a in article.ordered_authorships],
            categories=[article.journal.title] if article.journal else [],
        )
    response = HttpResponse(content_type=CONTENT_TYPE)
    feed.write(response, "utf-8")
    return response


urlpatterns: list[URLPattern] = [
    path("search/feed/", search_feed, name="search-feed"),
]
