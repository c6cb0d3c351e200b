"""The record page: an article in HTML, or the representation asked for (BibTeX, RIS, ...).

Around the record: the way back to the result list it was opened from and its previous and
next records (the list's state travels in the link, catalogue.search.trail), more records by
its authors, the other records of its journal issue, its research topics and related records
(catalogue.topics), the Select button, and an Edit link for those who may change it. Each is
a fixed number of queries, whatever the number of authors or records (docs/record-page.md).
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from catalogue import conf, search, topics
from catalogue.formats import metadata, negotiation
from catalogue.models import Article, Authorship, ContributorRole
from catalogue.search import ID_FACETS, SearchParams, postgres, postgres_settings, sqlite
from catalogue.search.cache import lookup, results_key
from catalogue.search.filters import ArticleFilterSet
from catalogue.search.links import detail_url
from catalogue.search.results import Raw
from catalogue.search.statement import is_postgres
from catalogue.search.trail import Trail, parse_trail
from catalogue.search.views import list_state
from catalogue.summaries import summaries_citing
from catalogue.views import styles
from catalogue.views.pages import get_or_404

# "More by these authors": this many newest other records, by the record's first
# MORE_BY_AUTHORS authors (a paper of 3,000 authors asks about its first ten, in one query).
MORE_BY_COUNT = 5
MORE_BY_AUTHORS = 10
# "Also in this issue": at most this many other records of the issue, in page order, dated
# at most ISSUE_YEARS from the record (an issue's records published online first carry the
# year before the issue's).
SAME_ISSUE_COUNT = 10
ISSUE_YEARS = 1
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
    no list page or its state is not a valid search of a list."""
    state = list_state(back)
    if state is None:
        return None
    filterset = ArticleFilterSet(state)
    if not filterset.is_valid():
        return None
    # A DOI searched for is no list: the search page answers it with the record itself.
    return None if filterset.search_params().query.doi else filterset


@dataclass(frozen=True)
class ListWindow:
    """Some consecutive records of a result list: (1-based position, article id) pairs, and
    the list's total (an estimate when not exact) and how deep it can be paged."""

    hits: list[tuple[int, int]]
    total: int
    total_exact: bool
    reachable: int


def _results_without_facets(params: SearchParams, offset: int, limit: int) -> Raw:
    # The search engine's results statement without facets: the list's filters and order,
    # nothing counted but the total (as the feeds read it).
    if is_postgres():
        return postgres.run_results(
            params=params,
            offset=offset,
            limit=limit,
            facet_names=[],
            settings=postgres_settings(),
        )
    return sqlite.run_results(params=params, offset=offset, limit=limit, facet_names=[])


def _window_from(raws: dict[int, Raw]) -> ListWindow:
    """Return the window of rows `raws` read, keyed by the position before their first row."""
    first = raws[min(raws)]
    limit = first.ranked_window or conf.get("SEARCH_MAX_RESULT_WINDOW")
    return ListWindow(
        hits=[
            (before + index + 1, article_id)
            for before in sorted(raws)
            for index, (article_id, _) in enumerate(raws[before].hits)
        ],
        total=first.total,
        total_exact=first.total_exact,
        reachable=min(first.total, limit),
    )


def list_window(filterset: ArticleFilterSet, position: int) -> ListWindow | None:
    """Return records around `position` of the list `filterset` describes (the one before and
    the one after it, where they exist), or None when the list cannot be read that deep or
    names an id that no longer exists.

    The list page itself read the page holding `position`, so its rows are usually in the
    results cache, and the adjacent page's at a page boundary if the reader paged there;
    otherwise one results statement without facet counts reads the three records."""
    if position > conf.get("SEARCH_MAX_RESULT_WINDOW"):
        return None
    size = filterset.page_size
    params = filterset.search_params()
    generation = search.search_generation()

    def cached(page: int) -> Raw | None:
        found = lookup(results_key(generation, params, page, size))
        return found[0] if found else None

    page = (position - 1) // size + 1
    # Keyed by the number of records before each read's first one.
    raws: dict[int, Raw | None] = {(page - 1) * size: cached(page)}
    if raws[(page - 1) * size] is not None:
        reachable = _window_from(raws).reachable
        for neighbour in (position - 1, position + 1):
            other = (neighbour - 1) // size + 1
            if 1 <= neighbour <= reachable and other != page:
                raws[(other - 1) * size] = cached(other)
    if any(raw is None for raw in raws.values()):
        before = max(position - 2, 0)
        raws = {before: _results_without_facets(params, before, position + 1 - before)}
    window = _window_from(raws)
    labels = raws[min(raws)].labels
    # A list naming a journal, author, ... since deleted is no list any more.
    for facet in ID_FACETS:
        for value in (*params.included(facet), *params.excluded(facet)):
            if labels.get((facet, str(value))) is None:
                return None
    return window


def trail_context(trail: Trail, article: Article) -> TrailContext | None:
    """Return the record page's way back and previous/next for `trail`, or None when the trail
    names no valid result list (it is then ignored: the page shows the record alone)."""
    filterset = _list_filterset(trail.back)
    if filterset is None:
        return None
    size = filterset.page_size
    window = list_window(filterset, trail.position)
    if window is None:
        return None
    hits = [(at, article_id) for at, article_id in window.hits if at <= window.reachable]
    here = next((i for i, (_, article_id) in enumerate(hits) if article_id == article.pk), None)
    if here is None:
        # The list changed since the link was made (or the link was edited): the way back
        # still leads to that page of the list, but no neighbour can be trusted.
        if trail.position > window.reachable:
            return None
        return TrailContext(back_url=trail.page_url((trail.position - 1) // size + 1))
    position = hits[here][0]
    around = {index: hits[index] for index in (here - 1, here + 1) if 0 <= index < len(hits)}
    # One query for both neighbours' titles; a record deleted since is no neighbour.
    titles = (
        dict(
            Article.objects.filter(
                pk__in=[article_id for _, article_id in around.values()]
            ).values_list("pk", "title")
        )
        if around
        else {}
    )

    def neighbour(index: int) -> Neighbour | None:
        if index not in around or around[index][1] not in titles:
            return None
        at, article_id = around[index]
        return Neighbour(
            url=trail.link(detail_url("catalogue:article-detail", article_id), at),
            title=titles[article_id],
        )

    return TrailContext(
        # The record's own page of the list (it may have moved within the rows read).
        back_url=trail.page_url((position - 1) // size + 1),
        position=position,
        total=window.total if window.total_exact else _rounded(window.total),
        total_exact=window.total_exact,
        previous=neighbour(here - 1),
        next=neighbour(here + 1),
    )


def cite_trail(trail: Trail | None, around: TrailContext | None) -> Trail | None:
    """Return the trail the Cite box's links and form keep (choosing a style reloads the
    record page without JavaScript), or None when the page shows no trail.

    At the position the record was found at, which a record that moved within its page
    corrects; a stale trail is kept as it came, since the page still shows its way back."""
    if trail is None or around is None:
        return None
    return Trail(back=trail.back, position=around.position or trail.position)


def _rounded(count: int) -> int:
    """Return an estimated count to three significant figures, as the search page shows it."""
    digits = len(str(count)) - 3
    return round(count, -digits) if digits > 0 else count


@dataclass(frozen=True)
class MoreByAuthors:
    """A few newest other records by the record's authors, and where to see them all."""

    articles: list[Article]
    see_all_url: str
    single_author: bool


def more_by_author_ids(article: Article) -> list[int]:
    """Return the ids of the article's first MORE_BY_AUTHORS authors, each once (prefetched)."""
    return list(
        dict.fromkeys(
            authorship.author_id for authorship in article.ordered_authorships[:MORE_BY_AUTHORS]
        )
    )


def more_by_queryset(article: Article, author_ids: list[int]) -> QuerySet[Article]:
    """Return the other records of `author_ids`, newest first, MORE_BY_COUNT of them: the
    authorship (author, article) index gives their ids, the primary key their rows."""
    return _listed(
        Article.objects.filter(
            pk__in=Authorship.objects.filter(author_id__in=author_ids).values("article_id")
        )
        .exclude(pk=article.pk)
        .newest_first()
    )[:MORE_BY_COUNT]


def more_by_authors(article: Article) -> MoreByAuthors | None:
    """Return the newest other records by the article's first MORE_BY_AUTHORS authors (one
    query), or None when it has no author or they have nothing else."""
    author_ids = more_by_author_ids(article)
    if not author_ids:
        return None
    articles = list(more_by_queryset(article, author_ids))
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
    # More than SAME_ISSUE_COUNT, and where the rest are (the journal's records of that year).
    has_more: bool = False
    see_all_url: str = ""


def same_issue_queryset(article: Article) -> QuerySet[Article]:
    """Return the other records of the article's journal, volume and issue in page order,
    those dated within ISSUE_YEARS of the record's year or undated when it has a year."""
    issue = Article.objects.filter(
        journal_id=article.journal_id, volume=article.volume, issue=article.issue
    )
    if article.year:
        # A big journal holds tens of thousands of records at 1M: the (journal, year) index
        # reads a few years of it instead of all of it.
        issue = issue.filter(
            Q(year__range=(article.year - ISSUE_YEARS, article.year + ISSUE_YEARS))
            | Q(year__isnull=True)
        )
    return _listed(
        issue.exclude(pk=article.pk).order_by(
            F("first_page").asc(nulls_last=True), "article_number", "pk"
        )
    )


def same_issue(article: Article) -> SameIssue | None:
    """Return up to SAME_ISSUE_COUNT other records of the article's journal, volume and issue,
    in page order, or None when the issue is not known (one query on the journal and year
    index: records of the issue dated within ISSUE_YEARS of the record's year, or undated)."""
    if not (article.journal_id and article.volume and article.issue):
        return None
    found = list(same_issue_queryset(article)[: SAME_ISSUE_COUNT + 1])
    if not found:
        return None
    see_all = ""
    if len(found) > SAME_ISSUE_COUNT and article.year:
        query = urlencode(
            [
                ("journal", article.journal_id),
                ("year_min", article.year),
                ("year_max", article.year),
                ("sort", "oldest"),
            ]
        )
        see_all = f"{reverse('catalogue:search')}?{query}"
    return SameIssue(
        articles=found[:SAME_ISSUE_COUNT],
        has_more=len(found) > SAME_ISSUE_COUNT,
        see_all_url=see_all,
    )


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
    around = trail_context(trail, article) if trail else None
    context.update(
        article=article,
        cited_in=cited_in,
        contributor_groups=contributor_groups(article),
        canonical_url=request.build_absolute_uri(article.get_absolute_url()),
        trail=around,
        cite_trail=cite_trail(trail, around),
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
