"""PostgreSQL: "did you mean" suggestions and the matched words marked in a text."""

from __future__ import annotations

from catalogue import routers
from catalogue.search.postgres.conditions import tsquery
from catalogue.search.query import Query
from catalogue.search.statement import Fragment


def suggest_words(words: list[str]) -> dict[str, str]:
    """Return {word: the most similar indexed word} for the words that have one."""
    if not words:
        return {}
    with routers.read_connection().cursor() as cursor:
        cursor.execute(
            "SELECT w.term, (SELECT v.word FROM catalogue_search_word v WHERE v.word %% w.term "
            "ORDER BY similarity(v.word, w.term) DESC, v.word LIMIT 1) "
            "FROM unnest(%s::text[]) AS w(term)",
            [words],
        )
        return {term: word for term, word in cursor.fetchall() if word}


def headline_sql(query: Query, column: str, *, snippet: bool) -> Fragment:
    """Return a ts_headline expression marking `query`'s words in `column` with U+E000/U+E001."""
    options = (
        "StartSel=\ue000, StopSel=\ue001, MaxWords=40, MinWords=20, MaxFragments=2, "
        'FragmentDelimiter=" … "'
        if snippet
        else "StartSel=\ue000, StopSel=\ue001, HighlightAll=true"
    )
    return (
        Fragment(f"ts_headline('catalogue', {column}, ")
        + tsquery(query)
        + Fragment(", %s)", [options])
    )
