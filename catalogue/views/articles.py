"""The record page: an article in HTML, or the representation asked for (BibTeX, RIS, ...).

Around the record: the way back to the result list it was opened from and its previous and
next records (the list's state travels in the link, catalogue.search.trail), more records by
its authors, the other records of its journal issue, and an Edit link for those who may
change it. Each is a fixed number of queries, whatever the number of authors or records.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from catalogue import search, topics
from catalogue.formats import metadata, negotiation
from catalogue.models import Article, Authorship, ContributorRole
from catalogue.search.filters import ArticleFilterSet
from catalogue.search.trail import Trail, parse_trail
from catalogue.search.views import list_state
from catalogue.summaries import summaries_citing
from catalogue.views import styles
from catalogue.views.pages import get_or_404

# "More by these authors": this many newest other records, by the record's first
# MORE_BY_AUTHORS authors (a paper of 3,000 authors asks about its first ten, in one query).
MORE_BY_COUNT = 5
MORE_BY_AUTHORS = 10
# "Also in this issue": at most this many other records of the issue, in page order.
SAME_ISSUE_COUNT = 10
# The columns the short lists of records read (not the abstract, which can be long).
_LISTED_FIELDS = (
    "pk",
    "title",
    "output_type",
    "year",
    "month",
    "day",
    "volume",
    "issue",
    "pages",
    "article_number",
    "journal__id",
    "journal__title",
)

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


@dataclass(frozen=True)
class Neighbour:
    """The previous or next record of a result list: its link (trail kept) and title."""

    url: str
    title: str


@dataclass(frozen=True)
class TrailContext:
    """Where a record sits in the result list it was opened from (the record page's nav)."""

    back_url: str
    # The record's 1-based position and the list's total (None: the record is no longer at
    # the trail's position, so only the way back is shown).
    position: int | None = None
    total: int | None = None
    total_exact: bool = True
    previous: Neighbour | None = None
    next: Neighbour | None = None


def _list_filterset(back: str) -> ArticleFilterSet | None:
    """Return the validated search state of the list page `back`, or None when `back` is
    no list page or its state is not a valid search."""
    state = list_state(back)
    if state is None:
        return None
    filterset = ArticleFilterSet(state)
    return filterset if filterset.is_valid() else None


def _window(
    filterset: ArticleFilterSet, position: int, article_id: int
) -> tuple[list[tuple[int, Article]], int, bool] | None:
    """Return the records around `position` as (position, article) pairs, the list's total and
    whether it is exact; None when the search fails (a stale page, an id since deleted).

    One search of the list's page holding `position` (the page the reader came from, so
    usually cached); a second one of the adjacent page only when the record is the first or
    last of its page, for the neighbour across the boundary."""
    size = filterset.page_size
    page = (position - 1) // size + 1
    params = filterset.search_params()
    generation = search.search_generation()
    try:
        result = search.search(params=params, page=page, page_size=size, generation=generation)
        pages = {page: result.articles}
        index = next((i for i, item in enumerate(result.articles) if item.pk == article_id), None)
        if index == 0 and page > 1:
            pages[page - 1] = search.search(
                params=params, page=page - 1, page_size=size, generation=generation
            ).articles
        elif index is not None and index == len(result.articles) - 1 and page < result.num_pages:
            pages[page + 1] = search.search(
                params=params, page=page + 1, page_size=size, generation=generation
            ).articles
    except search.SearchError:
        return None
    window = [
        ((number - 1) * size + i + 1, item)
        for number in sorted(pages)
        for i, item in enumerate(pages[number])
    ]
    return window, result.total, result.total_exact


def trail_context(trail: Trail, article: Article) -> TrailContext | None:
    """Return the record page's way back and previous/next for `trail`, or None when the trail
    names no valid result list (it is then ignored: the page shows the record alone)."""
    filterset = _list_filterset(trail.back)
    if filterset is None:
        return None
    size = filterset.page_size
    back_url = trail.page_url((trail.position - 1) // size + 1)
    found = _window(filterset, trail.position, article.pk)
    if found is None:
        return None
    window, total, exact = found
    here = next((i for i, (_, item) in enumerate(window) if item.pk == article.pk), None)
    if here is None:
        # The list changed since the link was made (or the link was edited): the way back
        # still leads to that page of the list, but no neighbour can be trusted.
        return TrailContext(back_url=back_url)
    position = window[here][0]

    def neighbour(index: int) -> Neighbour | None:
        if not 0 <= index < len(window):
            return None
        at, item = window[index]
        return Neighbour(url=trail.link(item.get_absolute_url(), at), title=item.title)

    return TrailContext(
        # The record's own page of the list (its position may have moved within the window).
        back_url=trail.page_url((position - 1) // size + 1),
        position=position,
        total=total,
        total_exact=exact,
        previous=neighbour(here - 1),
        next=neighbour(here + 1),
    )


@dataclass(frozen=True)
class MoreByAuthors:
    """A few newest other records by the record's authors, and where to see them all."""

    articles: list[Article]
    see_all_url: str
    single_author: bool


def more_by_authors(article: Article) -> MoreByAuthors | None:
    """Return the newest other records by the article's first MORE_BY_AUTHORS authors (one
    query, on the authorship (author, article) index), or None when it has no author."""
    author_ids = list(
        dict.fromkeys(
            authorship.author_id for authorship in article.ordered_authorships[:MORE_BY_AUTHORS]
        )
    )
    if not author_ids:
        return None
    articles = list(
        _listed(
            Article.objects.filter(
                pk__in=Authorship.objects.filter(author_id__in=author_ids).values("article_id")
            )
            .exclude(pk=article.pk)
            .newest_first()
        )[:MORE_BY_COUNT]
    )
    if not articles:
        return None
    if len(author_ids) == 1:
        see_all = article.ordered_authorships[0].author.get_absolute_url()
    else:
        # The search's author facet matches any of its values: every record of these authors.
        query = urlencode(
            [("author", author_id) for author_id in author_ids] + [("sort", "newest")]
        )
        see_all = f"{reverse('catalogue:search')}?{query}"
    return MoreByAuthors(articles=articles, see_all_url=see_all, single_author=len(author_ids) == 1)


@dataclass(frozen=True)
class SameIssue:
    """The other records of a record's journal issue, in page order (the first few)."""

    articles: list[Article]
    # More than SAME_ISSUE_COUNT: where the rest are (the journal's records of that year).
    has_more: bool = False
    see_all_url: str = ""


def same_issue(article: Article) -> SameIssue | None:
    """Return up to SAME_ISSUE_COUNT other records of the article's journal, volume and issue,
    in page order (one query on the journal's index), or None when the issue is not known."""
    if not (article.journal_id and article.volume and article.issue):
        return None
    found = list(
        _listed(
            Article.objects.filter(
                journal_id=article.journal_id, volume=article.volume, issue=article.issue
            )
            .exclude(pk=article.pk)
            .order_by(F("first_page").asc(nulls_last=True), "article_number", "pk")
        )[: SAME_ISSUE_COUNT + 1]
    )
    if not found:
        return None
    has_more = len(found) > SAME_ISSUE_COUNT
    see_all = ""
    if has_more and article.year:
        query = urlencode(
            [
                ("journal", article.journal_id),
                ("year_min", article.year),
                ("year_max", article.year),
                ("sort", "oldest"),
            ]
        )
        see_all = f"{reverse('catalogue:search')}?{query}"
    return SameIssue(articles=found[:SAME_ISSUE_COUNT], has_more=bool(see_all), see_all_url=see_all)


def _listed(articles: QuerySet[Article]) -> QuerySet[Article]:
    return articles.select_related("journal").only(*_LISTED_FIELDS)


def can_edit(user: User | AnonymousUser) -> bool:
    """Return whether `user` may open the article's admin change page: active staff with the
    catalogue.change_article permission (librarians are given it by their group)."""
    return bool(user.is_active and user.is_staff and user.has_perm("catalogue.change_article"))


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
    trail = parse_trail(request.GET)
    context.update(
        article=article,
        cited_in=cited_in,
        contributor_groups=contributor_groups(article),
        canonical_url=request.build_absolute_uri(article.get_absolute_url()),
        trail=trail_context(trail, article) if trail else None,
        more_by=more_by_authors(article),
        same_issue=same_issue(article),
        # Issue 19's research topics and related records: `fingerprint` and `related`.
        **topics.record_context(article),
        edit_url=(
            reverse("admin:catalogue_article_change", args=[article.pk])
            if can_edit(request.user)
            else ""
        ),
    )
    response = render(request, "catalogue/article_detail.html", context)
    # The Cite box's style and locale, asked for in ?cite_style= and ?cite_locale=, are kept.
    styles.remember_choice(request, response, context["cite"]["choice"])
    return negotiation.vary_on_accept(response)
