"""Pages for readers: home, article, journal, author, keyword, subject, DOI redirect.

The article page and /doi/ also answer in BibTeX, RIS, CSL-JSON or a formatted citation when
asked (catalogue/negotiation.py); journal, author, keyword and subject lists can be exported.
The search page is catalogue/views/search.py.
"""

import re
from typing import TypeVar

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse

from catalogue import identifiers, negotiation
from catalogue.models import Article, Author, Authorship, Journal, Keyword, SubjectArea
from catalogue.summaries import summaries_citing

M = TypeVar("M", bound=Model)

RECENT_ARTICLES = 10

# A proxy or browser may collapse "https://" to "https:/" inside a URL path.
_COLLAPSED_SCHEME = re.compile(r"^(https?):/+(?=[^/])", re.IGNORECASE)


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


def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Return an article's record page, or the representation asked for (BibTeX, RIS, ...)."""
    try:
        wanted = negotiation.negotiate_request(request)
    except negotiation.NotAcceptable as error:
        return negotiation.not_acceptable_response(error)
    article = _get_or_404(
        Article.objects.with_related(), f"There is no article with the id {pk}.", pk=pk
    )
    if not wanted.is_html:
        return negotiation.representation_response(article, wanted)
    # One query whatever the number of summaries: "Discussed in these evidence summaries".
    cited_in = list(summaries_citing(article=article))
    context = negotiation.article_page_context(
        article, url=request.build_absolute_uri(article.get_absolute_url())
    )
    context.update(article=article, cited_in=cited_in)
    response = render(request, "catalogue/article_detail.html", context)
    return negotiation.vary_on_accept(response)


def _journal(pk: int) -> Journal:
    return _get_or_404(Journal.objects.all(), f"There is no journal with the id {pk}.", pk=pk)


def _author(pk: int) -> Author:
    return _get_or_404(Author.objects.all(), f"There is no author with the id {pk}.", pk=pk)


def _author_articles(author: Author) -> QuerySet[Article]:
    # A subquery rather than a join: an author listed twice on one article appears once.
    return Article.objects.filter(
        pk__in=Authorship.objects.filter(author=author).values("article")
    ).newest_first()


def _keyword(slug: str) -> Keyword:
    return _get_or_404(
        Keyword.objects.all(), f"There is no keyword “{slug}” in the catalogue.", slug=slug
    )


def _subject(pk: int) -> SubjectArea:
    return _get_or_404(
        SubjectArea.objects.select_related("parent"),
        f"There is no subject area with the id {pk}.",
        pk=pk,
    )


def _subject_articles(subject: SubjectArea) -> QuerySet[Article]:
    # A broad field lists its narrower fields' articles too (ASJC "Psychology" has no
    # articles of its own); the subquery keeps each article once.
    tagged = Article.subject_areas.through.objects.filter(
        Q(subjectarea=subject) | Q(subjectarea__parent=subject)
    )
    return Article.objects.filter(pk__in=tagged.values("article")).newest_first()


def _export(request: HttpRequest, articles: QuerySet[Article], *name: str) -> HttpResponse:
    """Return the articles as a streamed download (?format=, ?style=), or a 400."""
    try:
        return negotiation.export_response(
            articles,
            format=request.GET.get("format"),
            style=request.GET.get("style"),
            basename=negotiation.export_basename(*name),
        )
    except negotiation.ExportRequestError as error:
        return negotiation.bad_export_response(error)


def journal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Return a journal's page with its articles, newest first."""
    journal = _journal(pk)
    page = paginate(request, journal.articles.newest_first().for_listing())
    export = negotiation.export_menu(reverse("catalogue:journal-export", args=[pk]))
    return render(
        request,
        "catalogue/journal_detail.html",
        {"journal": journal, "page_obj": page, "export": export},
    )


def journal_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Return a journal's articles, newest first, as a download."""
    journal = _journal(pk)
    return _export(request, journal.articles.newest_first(), "journal", journal.title)


def author_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Return an author's page with their articles, newest first."""
    author = _author(pk)
    page = paginate(request, _author_articles(author).for_listing())
    export = negotiation.export_menu(reverse("catalogue:author-export", args=[pk]))
    return render(
        request,
        "catalogue/author_detail.html",
        {"author": author, "page_obj": page, "export": export},
    )


def author_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Return an author's articles, newest first, as a download."""
    author = _author(pk)
    return _export(request, _author_articles(author), "author", author.display_name)


def keyword_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Return a keyword's page with its articles, newest first."""
    keyword = _keyword(slug)
    page = paginate(request, keyword.articles.newest_first().for_listing())
    export = negotiation.export_menu(reverse("catalogue:keyword-export", args=[slug]))
    return render(
        request,
        "catalogue/keyword_detail.html",
        {"keyword": keyword, "page_obj": page, "export": export},
    )


def keyword_export(request: HttpRequest, slug: str) -> HttpResponse:
    """Return a keyword's articles, newest first, as a download."""
    keyword = _keyword(slug)
    return _export(request, keyword.articles.newest_first(), "keyword", keyword.term)


def subject_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Return a subject area's page with its narrower subjects and articles, newest first."""
    subject = _subject(pk)
    children = list(subject.children.order_by("code", "name"))
    page = paginate(request, _subject_articles(subject).for_listing())
    export = negotiation.export_menu(reverse("catalogue:subject-export", args=[pk]))
    return render(
        request,
        "catalogue/subject_detail.html",
        {"subject": subject, "children": children, "page_obj": page, "export": export},
    )


def subject_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Return a subject area's articles (narrower subjects' too), newest first, as a download."""
    subject = _subject(pk)
    return _export(request, _subject_articles(subject), "subject", subject.name)


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
