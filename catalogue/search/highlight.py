"""Matched words marked in titles and abstracts (the backends mark them with U+E000/U+E001),
and a results page's articles loaded with their marks, journal and authors."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence

from django.db import models
from django.db.models import Prefetch
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from catalogue.models import Article, Author, Authorship
from catalogue.rich_text import render_rich_text
from catalogue.search import postgres, sqlite
from catalogue.search.query import Query
from catalogue.search.statement import is_postgres

MARK_START, MARK_END = "\ue000", "\ue001"
SNIPPET_WORDS = 40


def highlight_html(text: str | None) -> SafeString:
    """Return `text` as safe HTML: escaped, CSL rich-text tags kept, U+E000…U+E001 as <mark>."""
    text = text or ""
    if text.count(MARK_START) != text.count(MARK_END):
        text = text.replace(MARK_START, "").replace(MARK_END, "")
    # Every rich-text tag starts with "<": most titles and abstracts have none, and are then
    # one literal to escape (what render_rich_text returns for them, without its tokenising:
    # forty calls a page).
    html = escape(text) if "<" not in text else str(render_rich_text(text))
    return mark_safe(  # noqa: S308 -- escaped above; only our own markers become tags
        html.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    )


def plain_snippet(abstract: str) -> SafeString:
    """Return the abstract's first SNIPPET_WORDS words as safe HTML (no words matched)."""
    words = (abstract or "").split()
    text = " ".join(words[:SNIPPET_WORDS]) + (" …" if len(words) > SNIPPET_WORDS else "")
    return highlight_html(text)


# --- A results page's articles -----------------------------------------------------------------

# Column types that come back from JSON as the model's own Python values (text, integers).
_JSON_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "CharField",
        "ForeignKey",
        "IntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    }
)


def _columns(model: type[models.Model], json_types: frozenset[str]) -> list[str] | None:
    """Return the model's columns in from_db's order, or None if one is not of `json_types`
    (would not survive JSON)."""
    fields = model._meta.concrete_fields
    if any(field.get_internal_type() not in json_types for field in fields):
        return None
    return [field.column for field in fields]


def _authors_sql() -> str | None:
    """Return a subquery of catalogue_article's authorships with their people, each as one JSON
    array of both rows' columns (the page's authors within its articles' statement), or None
    when a column's type would not come back from JSON as the model's value."""
    return _authors_sql_for(is_postgres(), _JSON_TYPES)


@functools.lru_cache(maxsize=4)
def _authors_sql_for(postgres: bool, json_types: frozenset[str]) -> str | None:
    # The text depends only on the models, the database's dialect and which column types
    # survive JSON: built once for each, not on every results page.
    slot, person = _columns(Authorship, json_types), _columns(Author, json_types)
    if slot is None or person is None:
        return None
    values = ", ".join([*(f"au.{c}" for c in slot), *(f"p.{c}" for c in person)])
    aggregate = (
        f"json_agg(json_build_array({values}))"
        if postgres
        else (f"json_group_array(json_array({values}))")
    )
    return (
        f"(SELECT {aggregate} FROM catalogue_authorship au "  # noqa: S608 -- constants
        "JOIN catalogue_author p ON p.id = au.author_id "
        "WHERE au.article_id = catalogue_article.id)"
    )


_AUTHOR_FIELD = Authorship._meta.get_field("author")


def _attach_authorships(article: Article, rows: list | str | None) -> None:
    """Give `article` its authorships from the statement's JSON, as a prefetch would."""
    if isinstance(rows, str):  # SQLite returns the JSON's text
        rows = json.loads(rows)
    width = len(Authorship._meta.concrete_fields)
    db = article._state.db
    slots = []
    for row in rows or ():
        slot = Authorship.from_db(db, None, row[:width])
        # As select_related("author") leaves it: the person in the slot's cache (the
        # descriptor's assignment would ask the routers, and set the key the row already has).
        _AUTHOR_FIELD.set_cached_value(slot, Author.from_db(db, None, row[width:]))
        slots.append(slot)
    slots.sort(key=lambda slot: slot.position)
    # What prefetch_related leaves: the related manager's queryset with its rows in place.
    queryset = article.authorships.get_queryset()
    queryset._result_cache = slots
    queryset._prefetch_done = True
    if not hasattr(article, "_prefetched_objects_cache"):  # keywords may be prefetched
        article._prefetched_objects_cache = {}
    article._prefetched_objects_cache["authorships"] = queryset


def marked_articles(
    *, hits: Sequence[tuple[int, float | None]], query: Query, detail: bool
) -> list[Article]:
    """Return the articles of `hits` in their order, each with its score, `title_html` and
    `snippet_html` (the query's words marked), journal and ordered authorships; `detail` also
    loads keywords and subject areas. One statement (two when `detail`).

    Articles deleted since the hits were found are left out.
    """
    if not hits:
        return []
    ids = [article_id for article_id, _ in hits]
    articles = Article.objects.filter(pk__in=ids).select_related("journal")
    authors = _authors_sql()
    if authors is None:
        articles = articles.prefetch_related(
            Prefetch(
                "authorships", Authorship.objects.select_related("author").order_by("position")
            )
        )
    else:
        articles = articles.annotate(authors_json=RawSQL(authors, []))  # noqa: S611 -- constants
    if detail:
        articles = articles.prefetch_related("keywords", "subject_areas")
    if query.groups:
        if is_postgres():
            title = postgres.headline_sql(query, "catalogue_article.title", snippet=False)
            abstract = postgres.headline_sql(query, "catalogue_article.abstract", snippet=True)
        else:
            title = sqlite.headline_sql(query, 0, snippet=False)
            abstract = sqlite.headline_sql(query, 3, snippet=True)
        # The SQL is built from constants; the query's words are parameters.
        articles = articles.annotate(
            title_marked=RawSQL(title.sql, title.params),  # noqa: S611
            abstract_marked=RawSQL(abstract.sql, abstract.params),  # noqa: S611
        )
    scores = dict(hits)
    by_id = {article.pk: article for article in articles}
    ordered = []
    for article_id in ids:
        article = by_id.get(article_id)
        if article is None:  # deleted since the results were cached
            continue
        if authors is not None:
            _attach_authorships(article, article.authors_json)
        article.score = scores[article_id]
        article.title_html = highlight_html(getattr(article, "title_marked", None) or article.title)
        marked = getattr(article, "abstract_marked", None)
        article.snippet_html = highlight_html(marked) if marked else plain_snippet(article.abstract)
        ordered.append(article)
    return ordered
