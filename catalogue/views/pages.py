"""Pages for readers: home, article, journal, author, keyword, subject, DOI redirect.

The article page and /doi/ also answer in BibTeX, RIS, CSL-JSON or a formatted citation when
asked. Journal, author, keyword and subject pages are one generic page and export each, declared
in ENTITY_LISTS: the entity's header above its articles as the search page lists them, narrowed
to the entity (catalogue/search/views.py, results_page with the entity's Scope).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Count, Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import URLPattern, path, reverse

from catalogue import identifiers, topics
from catalogue.formats import exports, negotiation
from catalogue.models import (
    Article,
    Author,
    Authorship,
    Journal,
    Keyword,
    SubjectArea,
)
from catalogue.search import links, scopes
from catalogue.search import views as search_views

M = TypeVar("M", bound=Model)

RECENT_ARTICLES = 10

# A proxy or browser may collapse "https://" to "https:/" inside a URL path.
_COLLAPSED_SCHEME = re.compile(r"^(https?):/+(?=[^/])", re.IGNORECASE)


def doi_from_path(path: str) -> str:
    """Return the normalised DOI from a /doi/ URL path, repairing a collapsed "https:/"."""
    return identifiers.normalise_doi(_COLLAPSED_SCHEME.sub(r"\1://", path.strip()))


def get_or_404(queryset: QuerySet[M], message: str, **lookup: object) -> M:
    """Return the one row matching `lookup`, or raise Http404 with a reader-facing message."""
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404(message) from None


def home(request: HttpRequest) -> HttpResponse:
    """Return the home page: what the catalogue holds and its newest articles."""
    recent = Article.objects.newest_first().for_listing()[:RECENT_ARTICLES]
    return render(
        request,
        "catalogue/home.html",
        {
            "article_count": Article.objects.count(),
            "journal_count": Journal.objects.count(),
            "author_count": Author.objects.count(),
            "recent_articles": recent,
        },
    )


@dataclass(frozen=True)
class NameForm:
    """One form of a person's name as records printed it, and on how many articles."""

    name: str
    articles: int


def name_forms(author: Author) -> list[NameForm]:
    """Return the distinct printed forms of `author`'s authorships, most used first (one query).

    Forms whose parts differ but read the same ("van der Berg" with or without a particle)
    are one form; a slot without a printed form counts under the person's own name.
    """
    rows = (
        Authorship.objects.filter(author=author)
        .order_by()
        .values(*Authorship.NAME_FIELDS)
        .annotate(articles=Count("article", distinct=True))
    )
    counts: dict[str, int] = {}
    for row in rows:
        articles = row.pop("articles")
        name = Authorship(**row).printed_name or author.display_name
        counts[name] = counts.get(name, 0) + articles
    forms = [NameForm(name, articles) for name, articles in counts.items()]
    return sorted(forms, key=lambda form: (-form.articles, form.name.casefold(), form.name))


def _no_context(entity: object) -> dict[str, object]:
    return {}


def _itself(entity: Model, context: dict[str, object]) -> tuple[int, ...]:
    return (entity.pk,)


def _subject_and_narrower(subject: SubjectArea, context: dict[str, Any]) -> tuple[int, ...]:
    # The subject facet selects exactly the subjects named: the narrower ones are named too,
    # so a broad field lists its narrower fields' articles (ASJC "Psychology" has none of its
    # own); an article under both is listed once.
    return (subject.pk, *(child.pk for child in context["children"]))


def _keyword_search_url(pk: int) -> str:
    # A keyword's page is at its slug, which the facet's values do not carry: its articles
    # across the catalogue are the search for it.
    return reverse("catalogue:search") + f"?keyword={int(pk)}"


@dataclass(frozen=True)
class EntityList(Generic[M]):
    """A kind of entity whose page lists its articles as a search narrowed to it (newest
    first unless sorted otherwise), and exports the list.

    `kind` names the rest: the URLs "<kind>-detail" at `route` and "<kind>-export" at
    `route` + "export/", the template catalogue/<kind>_detail.html (which extends
    catalogue/entity_detail.html), the entity's context variable, and the export file name.
    The route's one parameter is the field the entity is looked up by.
    """

    kind: str
    route: str
    queryset: QuerySet[M]
    missing: str  # the 404's reason; "{}" is the value looked up
    name: Callable[[M], str]  # the page's title and the export file name's words
    context: Callable[[M], dict[str, Any]] = _no_context  # what the page shows besides
    # Its list is the search with these values of this facet fixed (search.scopes.Scope).
    facet_label: str = ""  # the heading of the facet's other values on the page
    facet_values: Callable[[M, dict[str, Any]], tuple[int, ...]] = _itself
    value_url: Callable[[int], str] | None = None  # another value's page (default: its detail)
    empty_message: str = "There are no articles here yet."

    def get(self, **lookup: object) -> M:
        """Return the entity the URL names, or raise Http404 saying there is none."""
        (value,) = lookup.values()
        return get_or_404(self.queryset, self.missing.format(value), **lookup)

    def get_by_pk(self, pk: int) -> M:
        """Return the entity with key `pk`, or raise Http404 saying there is none."""
        return get_or_404(self.queryset, self.missing.format(pk), pk=pk)

    def detail_url(self, pk: int) -> str:
        """Return the page of the entity with key `pk` (a facet value's link)."""
        return links.detail_url(f"catalogue:{self.kind}-detail", pk)


ENTITY_LISTS: tuple[EntityList[Any], ...] = (
    EntityList(
        kind="journal",
        route="journals/<int:pk>/",
        queryset=Journal.objects.all(),
        missing="There is no journal with the id {}.",
        name=lambda journal: journal.title,
        context=lambda journal: {"fingerprint": topics.journal_fingerprint(journal)},
        facet_label="Journal",
        empty_message="The catalogue has no articles from this journal yet.",
    ),
    EntityList(
        kind="author",
        route="authors/<int:pk>/",
        queryset=Author.objects.all(),
        missing="There is no author with the id {}.",
        name=lambda author: author.display_name,
        context=lambda author: {
            "name_forms": name_forms(author),
            "fingerprint": topics.person_fingerprint(author),
        },
        facet_label="Co-authors",
        empty_message="The catalogue has no articles by this author yet.",
    ),
    EntityList(
        kind="keyword",
        route="keywords/<slug:slug>/",
        queryset=Keyword.objects.all(),
        missing="There is no keyword “{}” in the catalogue.",
        name=lambda keyword: keyword.term,
        facet_label="Keywords used with it",
        value_url=_keyword_search_url,
        empty_message="No article has this keyword yet.",
    ),
    EntityList(
        kind="subject",
        route="subjects/<int:pk>/",
        queryset=SubjectArea.objects.select_related("parent"),
        missing="There is no subject area with the id {}.",
        name=lambda subject: subject.name,
        context=lambda subject: {"children": list(subject.children.order_by("code", "name"))},
        facet_label="Other subject areas",
        facet_values=_subject_and_narrower,
        empty_message="No article is classified under this subject yet.",
    ),
)
ENTITY_KINDS: dict[str, EntityList[Any]] = {entity.kind: entity for entity in ENTITY_LISTS}


def entity_scope(
    entity: EntityList[Any], found: Model, context: dict[str, Any] | None = None
) -> scopes.Scope:
    """Return the search scope of an entity's page: its facet with its values fixed."""
    if context is None:
        # Only a subject's values need its page's context (its narrower subjects).
        context = entity.context(found) if entity.facet_values is not _itself else {}
    return scopes.Scope(
        kind=entity.kind,
        pk=found.pk,
        facet=entity.kind,
        values=entity.facet_values(found, context),
        path=found.get_absolute_url(),
        label=entity.facet_label,
        value_url=entity.value_url or entity.detail_url,
        empty_message=entity.empty_message,
    )


def entity_detail(request: HttpRequest, entity: EntityList[Any], **lookup: object) -> HttpResponse:
    """Return an entity's page: what it is, and its articles as the search page lists them
    (sort, filters, year chart, export), narrowed to the entity."""
    found = entity.get(**lookup)
    context = entity.context(found)
    return search_views.results_page(
        request,
        f"catalogue/{entity.kind}_detail.html",
        scope=entity_scope(entity, found, context),
        **context,
        **{entity.kind: found, "entity_name": entity.name(found)},
    )


def entity_export(request: HttpRequest, entity: EntityList[Any], **lookup: object) -> HttpResponse:
    """Return an entity's articles as a streamed download (?format=, ?style=, ?locale=), with
    the page's search parameters (words, filters, sort; newest first by default)."""
    found = entity.get(**lookup)
    return search_views.export_results(
        request,
        scope=entity_scope(entity, found),
        basename=exports.export_basename(entity.kind, entity.name(found)),
    )


def entity_list_urls() -> list[URLPattern]:
    """Return the page and export URL patterns of every entity in ENTITY_LISTS."""
    urls = []
    for entity in ENTITY_LISTS:
        kwargs = {"entity": entity}
        urls += [
            path(entity.route, entity_detail, kwargs, name=f"{entity.kind}-detail"),
            path(f"{entity.route}export/", entity_export, kwargs, name=f"{entity.kind}-export"),
        ]
    return urls


def doi_redirect(request: HttpRequest, doi: str) -> HttpResponse:
    """Return a redirect to the article with this DOI in any case or prefix form, else 404.

    Asked for BibTeX, RIS, CSL-JSON or a formatted citation (Accept, ?format=), it answers
    with that representation directly, as DOI resolvers do, rather than redirecting.
    """
    try:
        wanted = negotiation.negotiate_request(request)
    except negotiation.NotAcceptable as error:
        return negotiation.not_acceptable_response(error)
    normalised = doi_from_path(doi)
    shown = normalised.replace("\x00", "") or doi.replace("\x00", "")
    if "\x00" in normalised or not identifiers.DOI_PATTERN.match(normalised):
        raise Http404(
            f"No article in the catalogue has the DOI “{shown}”: it is not a DOI "
            "(expected 10.<registrant>/<suffix>, e.g. 10.1037/a0040435). "
            "Check the DOI, or search the catalogue."
        )
    articles = Article.objects.with_doi(normalised)
    # The page needs only the id to redirect; a representation needs the whole record.
    article = (articles.only("pk") if wanted.is_html else articles.with_related()).first()
    if article is None:
        raise Http404(
            f"No article in the catalogue has the DOI “{shown}”. "
            "Check the DOI, or search the catalogue."
        )
    if not wanted.is_html:
        return negotiation.representation_response(article, wanted)
    return negotiation.vary_on_accept(redirect(article))


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Return the catalogue's 404 page, with the reason when a view gave one."""
    # Our own Http404s carry a sentence for the reader; the URL resolver's carry a dict.
    message = ""
    if exception is not None and exception.args and isinstance(exception.args[0], str):
        message = exception.args[0]
    return render(request, "404.html", {"message": message}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Return the self-contained 500 page."""
    # No request context: context processors or the database may be what failed.
    return HttpResponseServerError(loader.get_template("500.html").render())
