"""The record page: an article in HTML, or the representation asked for (BibTeX, RIS, ...)."""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from catalogue.formats import metadata, negotiation
from catalogue.models import Article, ContributorRole
from catalogue.summaries import summaries_citing
from catalogue.views import styles
from catalogue.views.pages import get_or_404

# How a record page introduces each contributor role, in the order the roles are shown.
CONTRIBUTOR_PHRASES = {
    ContributorRole.BOOK_AUTHOR: "Book by",
    ContributorRole.EDITOR: "Edited by",
    ContributorRole.SERIES_EDITOR: "Series edited by",
    ContributorRole.TRANSLATOR: "Translated by",
    ContributorRole.COMPILER: "Compiled by",
    ContributorRole.ANNOTATOR: "Annotated by",
    ContributorRole.COMMENTATOR: "Commentary by",
    ContributorRole.INTRODUCTION: "Introduction by",
    ContributorRole.FOREWORD: "Foreword by",
    ContributorRole.AFTERWORD: "Afterword by",
}


@dataclass(frozen=True)
class ContributorGroup:
    """The contributors of one role on a record page: "Edited by" and their printed names."""

    role: str
    phrase: str
    names: list[str]


def contributor_groups(article: Article) -> list[ContributorGroup]:
    """Return the article's contributors by role, in CONTRIBUTOR_PHRASES' order (prefetched)."""
    by_role: dict[str, list[str]] = {}
    for contributor in sorted(article.contributors.all(), key=lambda c: (c.role, c.position)):
        by_role.setdefault(contributor.role, []).append(contributor.printed_name)
    groups = [
        ContributorGroup(role, phrase, by_role.pop(role))
        for role, phrase in CONTRIBUTOR_PHRASES.items()
        if role in by_role
    ]
    # A role this page has no phrase for still shows, under its label.
    groups += [
        ContributorGroup(role, f"{role.capitalize()}:", names) for role, names in by_role.items()
    ]
    return groups


def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Return an article's record page, or the representation asked for (BibTeX, RIS, ...)."""
    try:
        wanted = negotiation.negotiate_request(request)
    except negotiation.NotAcceptable as error:
        return negotiation.not_acceptable_response(error)
    article = get_or_404(
        Article.objects.with_related(), f"There is no article with the id {pk}.", pk=pk
    )
    if not wanted.is_html:
        return negotiation.representation_response(article, wanted)
    # One query whatever the number of summaries: "Discussed in these evidence summaries".
    cited_in = list(summaries_citing(article=article))
    context = metadata.article_page_context(
        article,
        url=request.build_absolute_uri(article.get_absolute_url()),
        choice=styles.cite_choice(request),
    )
    context.update(
        article=article, cited_in=cited_in, contributor_groups=contributor_groups(article)
    )
    response = render(request, "catalogue/article_detail.html", context)
    # The Cite box's style and locale, asked for in ?cite_style= and ?cite_locale=, are kept.
    styles.remember_choice(request, response, context["cite"]["choice"])
    return negotiation.vary_on_accept(response)
