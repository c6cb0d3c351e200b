"""A search as ORM querysets, for streaming exports of a whole result set (the FilterSet's
`.qs`): each facet's condition, the words' matches and the page's order."""

from __future__ import annotations

import functools

from django.apps import apps
from django.db import models
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.db.models.lookups import In

from catalogue.models import Article
from catalogue.search import postgres, sqlite
from catalogue.search.facets import FACETS
from catalogue.search.params import SearchParams
from catalogue.search.query import Query
from catalogue.search.statement import is_postgres

# The SQL below is constants around tsquery()/MATCH fragments whose words are parameters.


@functools.cache
def _link_model(table: str) -> type[models.Model]:
    """Return the model of a facet's link table (auto-created many-to-many ones too)."""
    for model in apps.get_app_config("catalogue").get_models(include_auto_created=True):
        if model._meta.db_table == table:
            return model
    raise LookupError(f"No model has the table {table}.")


def facet_condition(facet: str, values: list) -> Q:
    """Return the condition selecting the articles with any of `values` of `facet`."""
    declared = FACETS[facet]
    if declared.link:
        table, column = declared.link
        linked = _link_model(table).objects.filter(**{f"{column}__in": values})
        return Q(pk__in=linked.values("article_id"))
    if declared.orm_value is not None:
        return Q(In(declared.orm_value, values))
    return Q(**{f"{declared.column}__in": values})


def filter_facet(
    articles: QuerySet[Article], facet: str, values: list, *, negate: bool = False
) -> QuerySet[Article]:
    """Return `articles` with (or, negated, without) any of `values` of `facet`."""
    if not values:
        return articles
    condition = facet_condition(facet, values)
    if not negate:
        return articles.filter(condition)
    declared = FACETS[facet]
    if declared.nullable:
        # Articles without a journal are not in any excluded journal.
        return articles.filter(Q(**{f"{declared.column}__isnull": True}) | ~condition)
    return articles.exclude(condition)


def matching_ids_sql(query: Query) -> tuple[str, list]:
    """Return (SQL, params) selecting the ids of the articles matching `query`'s words."""
    if is_postgres():
        expression = postgres.tsquery(query)
        return (
            f"SELECT article_id FROM catalogue_search WHERE document @@ {expression.sql}",  # noqa: S608
            expression.params,
        )
    return (
        "SELECT rowid FROM catalogue_search_fts WHERE catalogue_search_fts MATCH %s",
        [sqlite.match_expression(query)],
    )


def relevance_sql(query: Query) -> tuple[str, list]:
    """Return (SQL, params): a correlated relevance score for catalogue_article's row."""
    if is_postgres():
        score = postgres.rank(query, alias="x")
        return (
            f"(SELECT {score.sql} FROM catalogue_search x "  # noqa: S608
            "WHERE x.article_id = catalogue_article.id)",
            score.params,
        )
    return (
        f"(SELECT -{sqlite.BM25} FROM catalogue_search_fts "  # noqa: S608
        "WHERE catalogue_search_fts MATCH %s "
        "AND catalogue_search_fts.rowid = catalogue_article.id)",
        [sqlite.match_expression(query)],
    )


def order_queryset(articles: QuerySet[Article], *, params: SearchParams) -> QuerySet[Article]:
    """Return `articles` in the order the search page shows them."""
    sort = params.effective_sort
    newest = [
        F("year").desc(nulls_last=True),
        F("month").desc(nulls_last=True),
        F("day").desc(nulls_last=True),
        F("pk").desc(),
    ]
    if sort == "relevance":
        sql, sql_params = relevance_sql(params.query)
        score = RawSQL(sql, sql_params)  # noqa: S611 -- constants; the words are parameters
        # As on the page: a record whose citation key is a term of the search comes first.
        keyed = Case(When(citation_key__in=params.query.key_texts, then=Value(1)), default=Value(0))
        return articles.annotate(search_score=score, search_keyed=keyed).order_by(
            F("search_keyed").desc(), F("search_score").desc(nulls_last=True), *newest
        )
    if sort == "oldest":
        return articles.order_by(
            F("year").asc(nulls_last=True),
            F("month").asc(nulls_last=True),
            F("day").asc(nulls_last=True),
            "pk",
        )
    if sort == "title":
        return articles.order_by(Lower("title"), "pk")
    return articles.order_by(*newest)
