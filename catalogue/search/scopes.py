"""Entity pages as searches: a `Scope` fixes an entity's facet values, and its own facet's
other values are counted within the page's list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Model, Q, QuerySet
from django.http import (
    QueryDict,
)

from catalogue import search
from catalogue.models import Article, Author, Journal, Keyword, SubjectArea
from catalogue.search import FACETS

# The facet list parameter naming an entity page's scope ("author:12").
WITHIN = "within"


@dataclass(frozen=True)
class Scope:
    """An entity page's fixed part of the search: its facet, its values and its page.

    The journal, author, keyword and subject pages are the search page with the entity's
    values of its facet fixed; the reader's own parameters narrow them further.
    """

    kind: str  # the entity's kind: "journal", "author", "keyword" or "subject"
    pk: int  # the entity's key
    facet: str  # the facet the entity is a value of
    values: tuple[int, ...]  # the fixed values: the entity (a subject's narrower ones too)
    path: str  # the entity page's path; its states are links to it
    label: str  # the heading of the facet's other values there ("Co-authors")
    value_url: Callable[[int], str]  # where another value of the facet links (its own page)
    empty_message: str = "There are no articles here yet."

    @property
    def within(self) -> str:
        """Return the scope as a facet list's `within` parameter ("author:12")."""
        return f"{self.kind}:{self.pk}"

    @property
    def export_url(self) -> str:
        """Return the entity's export URL (the page's path and "export/")."""
        return f"{self.path}export/"


def scoped_state(data: QueryDict, scope: Scope | None) -> QueryDict:
    """Return a mutable copy of `data` with the scope's fixed facet values set."""
    state = data.copy()
    if scope is not None:
        state.setlist(scope.facet, [str(value) for value in scope.values])
    return state


def scope_errors(data: QueryDict, scope: Scope | None) -> list[tuple[str, str]]:
    """Return the error of a parameter that would widen an entity page beyond its entity."""
    # A facet's values are alternatives (any of them), so a second journal or author on its
    # page would add articles instead of narrowing them: the search page combines those.
    if scope is None or not any(value for value in data.getlist(scope.facet)):
        return []
    noun = FACETS[scope.facet].noun
    return [
        (
            scope.facet,
            f"This page lists the articles of one {noun}, so it takes no other “{scope.facet}” "
            f"parameter. To combine several, use the search page.",
        )
    ]


# An entity page's own facet (its co-authors, other keywords or subjects): how many values the
# sidebar shows before "All ... values", as the engine's facets do.
SCOPE_FACET_TOP = 10
# Above this many articles the sidebar counts an entity page's own facet in the most recently
# added this many of its list only (and says so): counting every article's keywords of a
# 19,000-article keyword took 145-270 ms at 100,000 articles on PostgreSQL, and grows with it.
SCOPE_FACET_ARTICLES = 5_000
# How the other values of an entity page's own facet are read, labelled and filtered:
# (model, fields ordering equal counts, fields a facet list's filter words look in).
_SCOPE_FACET_MODELS: dict[str, tuple[type[Model], tuple[str, ...], tuple[str, ...]]] = {
    "journal": (Journal, ("title",), ("title",)),
    "author": (
        Author,
        ("family_name", "given_names", "corporate_name"),
        ("family_name", "given_names", "corporate_name"),
    ),
    "keyword": (Keyword, ("term",), ("term",)),
    "subject": (SubjectArea, ("name",), ("name",)),
}


def scope_facet_values(
    articles: QuerySet[Article],
    scope: Scope,
    *,
    sort: str = "count",
    text: str = "",
    offset: int = 0,
    limit: int = SCOPE_FACET_TOP,
    newest: int | None = None,
) -> list[search.FacetValue]:
    """Return the other values of an entity page's own facet among `articles` (its whole,
    filtered list) with their counts, most frequent first (or A-Z), one query.

    The engine counts a facet without its own selection (so that its values are
    alternatives), which for the entity's facet would be the whole catalogue's: its
    co-authors, the keywords used with it or the other subjects of its articles are counted
    here instead, within the page's list (its `newest` most recently added articles only,
    when given).
    """
    _, order, _ = _SCOPE_FACET_MODELS[scope.facet]
    ordering = (*order, "pk") if sort == "az" else ("-results", *order, "pk")
    ids = articles.order_by().values("pk")
    if newest is not None:
        ids = articles.order_by("-pk").values("pk")[:newest]
    rows = scope_facet_rows(ids, scope, text).order_by(*ordering)
    return [
        search.FacetValue(row.pk, _label_of(row), row.results)
        for row in rows[offset : offset + limit]
    ]


def scope_facet_rows(ids: QuerySet, scope: Scope, text: str) -> QuerySet:
    """Return the other values of the scope's facet among the articles `ids` selects,
    counted (`results`), those whose label holds `text` only."""
    model, _, searched = _SCOPE_FACET_MODELS[scope.facet]
    rows = model.objects.filter(articles__in=ids).exclude(pk__in=scope.values)
    words = " ".join(text.split())[:100]
    if words:
        condition = Q()
        for name in searched:
            condition |= Q(**{f"{name}__icontains": words})
        rows = rows.filter(condition)
    # A person listed twice on one article counts it once; a keyword or subject is linked to
    # an article once, and counting without DISTINCT is cheaper (the largest keyword of a
    # 100,000-article catalogue, 19,000 articles: 290 ms with it, 145 ms without).
    return rows.annotate(results=Count("articles", distinct=scope.facet == "author"))


def _label_of(row: Model) -> str:
    for attribute in ("display_name", "title", "term", "name"):
        if hasattr(row, attribute):
            return str(getattr(row, attribute))
    return str(row)
