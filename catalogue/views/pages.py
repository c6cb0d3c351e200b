"""Pages for readers: home, search, article, journal, author, keyword, subject, DOI redirect."""

import re
from typing import TypeVar

from django import forms
from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader

from catalogue import identifiers
from catalogue.models import Article, Author, Authorship, Journal, Keyword, SubjectArea

M = TypeVar("M", bound=Model)

SEARCH_MAX_LENGTH = 500
RECENT_ARTICLES = 10

# A proxy or browser may collapse "https://" to "https:/" inside a URL path.
_COLLAPSED_SCHEME = re.compile(r"^(https?):/+(?=[^/])", re.IGNORECASE)


class SearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        error_messages={
            "max_length": f"Your search is too long: please use at most {SEARCH_MAX_LENGTH} "
            "characters (it has %(show_value)d).",
        },
    )


def search_titles(*, query: str) -> QuerySet[Article]:
    """Return the articles whose title contains every word of `query`, in any case."""
    words = dict.fromkeys(query.casefold().split())
    return Article.objects.filter(*(Q(title__icontains=word) for word in words))


def doi_from_path(path: str) -> str:
    """Return the normalised DOI from a /doi/ URL path, repairing a collapsed "https:/"."""
    return identifiers.normalise_doi(_COLLAPSED_SCHEME.sub(r"\1://", path.strip()))


def paginate(request: HttpRequest, articles: QuerySet[Article]) -> Page:
    """Return the requested page of `articles`; a bad `page` value gives the first or last."""
    paginator = Paginator(articles, settings.CATALOGUE_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def _get_or_404(queryset: QuerySet[M], message: str, **lookup: object) -> M:
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


def search(request: HttpRequest) -> HttpResponse:
    """Return the title search page: a prompt, a page of results, or a 400 for a bad query."""
    form = SearchForm(request.GET)
    if not form.is_valid():
        return render(
            request,
            "catalogue/search.html",
            {"form": form, "errors": form.errors["q"], "query": ""},
            status=400,
        )
    query = form.cleaned_data["q"]
    page = None
    if query:
        page = paginate(request, search_titles(query=query).newest_first().for_listing())
    return render(
        request, "catalogue/search.html", {"form": form, "query": query, "page_obj": page}
    )


def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Return an article's record page, laid out like a research portal's."""
    article = _get_or_404(
        Article.objects.with_related(), f"There is no article with the id {pk}.", pk=pk
    )
    return render(request, "catalogue/article_detail.html", {"article": article})


def journal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Return a journal's page with its articles, newest first."""
    journal = _get_or_404(Journal.objects.all(), f"There is no journal with the id {pk}.", pk=pk)
    page = paginate(request, journal.articles.newest_first().for_listing())
    return render(request, "catalogue/journal_detail.html", {"journal": journal, "page_obj": page})


def author_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Return an author's page with their articles, newest first."""
    author = _get_or_404(Author.objects.all(), f"There is no author with the id {pk}.", pk=pk)
    # A subquery rather than a join: an author listed twice on one article appears once.
    articles = Article.objects.filter(
        pk__in=Authorship.objects.filter(author=author).values("article")
    )
    page = paginate(request, articles.newest_first().for_listing())
    return render(request, "catalogue/author_detail.html", {"author": author, "page_obj": page})


def keyword_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Return a keyword's page with its articles, newest first."""
    keyword = _get_or_404(
        Keyword.objects.all(), f"There is no keyword “{slug}” in the catalogue.", slug=slug
    )
    page = paginate(request, keyword.articles.newest_first().for_listing())
    return render(request, "catalogue/keyword_detail.html", {"keyword": keyword, "page_obj": page})


def subject_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Return a subject area's page with its narrower subjects and articles, newest first."""
    subject = _get_or_404(
        SubjectArea.objects.select_related("parent"),
        f"There is no subject area with the id {pk}.",
        pk=pk,
    )
    children = list(subject.children.order_by("code", "name"))
    # A broad field lists its narrower fields' articles too (ASJC "Psychology" has no
    # articles of its own); the subquery keeps each article once.
    tagged = Article.subject_areas.through.objects.filter(
        Q(subjectarea=subject) | Q(subjectarea__parent=subject)
    )
    articles = Article.objects.filter(pk__in=tagged.values("article"))
    page = paginate(request, articles.newest_first().for_listing())
    return render(
        request,
        "catalogue/subject_detail.html",
        {"subject": subject, "children": children, "page_obj": page},
    )


def doi_redirect(request: HttpRequest, doi: str) -> HttpResponse:
    """Return a redirect to the article with this DOI in any case or prefix form, else 404."""
    normalised = doi_from_path(doi)
    shown = normalised.replace("\x00", "") or doi.replace("\x00", "")
    if "\x00" in normalised or not identifiers.DOI_PATTERN.match(normalised):
        raise Http404(
            f"No article in the catalogue has the DOI “{shown}”: it is not a DOI "
            "(expected 10.<registrant>/<suffix>, e.g. 10.1037/a0040435). "
            "Check the DOI, or search the catalogue by title."
        )
    article = Article.objects.with_doi(normalised).only("pk").first()
    if article is None:
        raise Http404(
            f"No article in the catalogue has the DOI “{shown}”. "
            "Check the DOI, or search the catalogue by title."
        )
    return redirect(article)


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
