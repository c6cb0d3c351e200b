"""Reading the articles to index from PostgreSQL: catalogue_search's rows and their text.

The facet values and sort keys are catalogue_search's own columns (what the PostgreSQL engine
counts), the text is read as catalogue_search_source builds the document (names as printed,
then the person's when that differs, each a value of its own, in authorship order). An article
without an index row is not indexed: the embedded index holds exactly catalogue_search's
articles.
"""

# ruff: noqa: S608 -- SQL assembled from constants; ids are bound parameters.

from __future__ import annotations

from collections.abc import Iterator, Sequence

from catalogue.search.tantivy.schema import Record

CHUNK = 20_000

_PRINTED = (
    "concat_ws(' ', nullif(au.given_names, ''), nullif(au.particle, ''), "
    "nullif(au.family_name, ''), nullif(au.suffix, ''), nullif(au.corporate_name, ''))"
)
# The person's name is a value of its own (as catalogue_search_document keeps it since
# migration 0028), so a phrase cannot run from the printed form into it.
_PERSON = (
    "CASE WHEN (au.given_names, au.particle, au.family_name, au.suffix, au.corporate_name) "
    "IS NOT DISTINCT FROM (p.given_names, p.particle, p.family_name, p.suffix, "
    "p.corporate_name) THEN NULL ELSE concat_ws(' ', nullif(p.given_names, ''), "
    "nullif(p.particle, ''), nullif(p.family_name, ''), nullif(p.suffix, ''), "
    "nullif(p.corporate_name, '')) END"
)

_SELECT = (
    "SELECT s.article_id, a.title, a.abstract, a.citation_key, s.year, s.date_key, "
    "s.output_type, s.language, s.peer_reviewed, s.journal_id, s.keyword_ids, s.author_ids, "
    "s.subject_ids, s.title_key, s.sample, "
    "array(SELECT kw.term FROM catalogue_article_keywords ak "
    "JOIN catalogue_keyword kw ON kw.id = ak.keyword_id WHERE ak.article_id = s.article_id "
    "ORDER BY kw.id), "
    "array(SELECT form.name FROM catalogue_authorship au "
    "JOIN catalogue_author p ON p.id = au.author_id "
    f"CROSS JOIN LATERAL unnest(ARRAY[{_PRINTED}, {_PERSON}]) WITH ORDINALITY AS form(name, k) "
    "WHERE au.article_id = s.article_id AND form.name IS NOT NULL "
    "ORDER BY au.position, au.id, form.k) "
    "FROM catalogue_search s JOIN catalogue_article a ON a.id = s.article_id "
)


def _record(row: tuple) -> Record:
    (
        article_id,
        title,
        abstract,
        key,
        year,
        date_key,
        output_type,
        language,
        peer,
        journal,
        keyword_ids,
        author_ids,
        subject_ids,
        title_key,
        sample,
        terms,
        names,
    ) = row
    return Record(
        article_id=article_id,
        title=title or "",
        keywords=list(terms or ()),
        abstract=abstract or "",
        names=[name for name in names or () if name],
        citation_key=key or "",
        year=year,
        date_key=date_key,
        output_type=output_type or "",
        language=language or "",
        peer_reviewed=bool(peer),
        journal_id=journal,
        keyword_ids=list(keyword_ids or ()),
        author_ids=list(author_ids or ()),
        subject_ids=list(subject_ids or ()),
        title_key=title_key or "",
        sample=sample,
    )


def records(connection, ids: Sequence[int] | None = None) -> Iterator[Record]:
    """Yield the index records of `ids` (every indexed article when None), by article id."""
    with connection.cursor() as cursor:
        if ids is not None:
            for start in range(0, len(ids), CHUNK):
                chunk = sorted(ids[start : start + CHUNK])
                cursor.execute(
                    _SELECT + "WHERE s.article_id = ANY(%s::bigint[]) ORDER BY s.article_id",
                    [chunk],
                )
                yield from map(_record, cursor.fetchall())
            return
        cursor.execute("SELECT min(article_id), max(article_id) FROM catalogue_search")
        low, high = cursor.fetchone()
        if low is None:
            return
        for start in range(low, high + 1, CHUNK):
            cursor.execute(
                _SELECT + "WHERE s.article_id BETWEEN %s AND %s ORDER BY s.article_id",
                [start, start + CHUNK - 1],
            )
            yield from map(_record, cursor.fetchall())
