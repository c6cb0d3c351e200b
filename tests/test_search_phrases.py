"""A "phrase" matches within one value of a record: never across two fields or two values.

Migration 0028: on PostgreSQL the document leaves a gap of unused positions between the title,
each keyword, the abstract, each name form and the citation key; on SQLite the keywords, names
and key are joined by a separator word in their FTS columns (columns were already apart). Every
test runs on SQLite and on PostgreSQL (DATABASE_URL=postgres://...), except the few marked
`postgres` that read PostgreSQL's own vectors.
"""

import io
import re

import pytest
from django.db import connection

from catalogue import search
from catalogue.models import Article, Authorship
from catalogue.search import SearchParams, parse_query, sqlite
from catalogue.search.query import MAX_TERM_LENGTH
from catalogue.search.sql import execute, sql
from tests.factories import make_article, make_author, make_keyword

pytestmark = pytest.mark.django_db

# The gap between two values on PostgreSQL, as catalogue_search_document declares it.
SOURCE = sql("postgres/catalogue_search_source.v3.sql")
GAP = int(re.search(r"\bgap integer := (\d+);", SOURCE).group(1))


def found(q: str) -> set[str]:
    """Return the titles of every article that the query text finds."""
    params = SearchParams.build(query=parse_query(q))
    result = search.search(params=params, page_size=100)
    assert result.total == len(result.articles)
    return {article.title for article in result.articles}


@pytest.fixture
def records():
    """Records whose values, read one after the other, make phrases no single value holds."""
    neural = make_keyword(term="neural networks")
    deep = make_keyword(term="deep learning")
    ada = make_author(given_names="Ada", family_name="Lovelace")
    charles = make_author(given_names="Charles", family_name="Babbage")
    patrick = make_author(given_names="Patrick", family_name="Nguyen")
    bruce = make_author(given_names="Bruce", family_name="Wampold")
    make_article(
        title="Advances in deep learning",
        keywords=[neural],
        abstract="We survey recent work.",
    )
    make_article(title="Two keywords", keywords=[neural, deep])
    make_article(title="Two keywords reversed", keywords=[deep, neural])
    make_article(title="Two people", authors=[ada, charles])
    make_article(title="Printed initial", authors=[(patrick, {"given_names": "P"})])
    make_article(
        title="Abstract then names",
        abstract="Alliance predicts outcome",
        authors=[bruce],
        citation_key="Wampold2015alliance",
    )
    make_article(title="Models of learning", keywords=[make_keyword(term="the neural code")])


def test_a_phrase_does_not_run_from_the_title_into_a_keyword(records):
    assert found('"learning neural"') == set()
    assert found('"deep learning"') == {
        "Advances in deep learning",
        "Two keywords",
        "Two keywords reversed",
    }
    assert found('"neural networks"') == {
        "Advances in deep learning",
        "Two keywords",
        "Two keywords reversed",
    }
    # The words alone still find the record: only phrases are bounded.
    assert "Advances in deep learning" in found("learning neural")


def test_a_phrase_does_not_run_from_one_keyword_into_the_next(records):
    assert found('"networks deep"') == set()
    assert found('"learning neural"') == set()
    assert found("networks deep") == {
        "Advances in deep learning",
        "Two keywords",
        "Two keywords reversed",
    }


def test_a_phrase_does_not_run_from_one_name_into_the_next(records):
    assert found('"Lovelace Charles"') == set()
    assert found('"Ada Lovelace"') == {"Two people"}
    assert found('"Charles Babbage"') == {"Two people"}
    assert found("Lovelace Charles") == {"Two people"}


def test_a_phrase_does_not_run_from_the_printed_name_into_the_persons_name(records):
    assert found('"Nguyen Patrick"') == set()
    assert found('"P Nguyen"') == {"Printed initial"}
    assert found('"Patrick Nguyen"') == {"Printed initial"}


def test_a_phrase_does_not_run_across_the_abstract_names_and_citation_key(records):
    assert found('"outcome Bruce"') == set()
    assert found('"Wampold Wampold2015alliance"') == set()
    assert found('"predicts outcome"') == {"Abstract then names"}
    assert found('"Bruce Wampold"') == {"Abstract then names"}
    assert found("Wampold2015alliance") == {"Abstract then names"}


def test_a_phrase_with_a_stop_word_does_not_bridge_two_values(records):
    # PostgreSQL: 'learn' <2> 'neural' (the stop word keeps its position), which version 2
    # matched in the title "Models of learning" followed by the keyword "the neural code".
    assert found('"learning the neural"') == set()
    assert found('"the neural code"') == {"Models of learning"}
    assert found('"models of learning"') == {"Models of learning"}


def test_a_phrase_can_still_span_a_whole_value_with_stop_words():
    make_article(title="The role of the alliance in the treatment of depression")

    assert found('"role of the alliance in the treatment"') == {
        "The role of the alliance in the treatment of depression"
    }
    assert found('"alliance treatment"') == set()


def test_many_names_keep_every_phrase_within_its_name_and_the_key_last():
    # 80 names and a key: a gap of 400 between every two values would pass the last position a
    # tsvector holds (16,383), so PostgreSQL narrows the gap for this record; every name and
    # the key still match as phrases, no two names do.
    people = [make_author(given_names=f"Given{n}", family_name=f"Family{n}") for n in range(80)]
    make_article(title="Large collaboration", authors=people, citation_key="Collab:2021:LC")

    assert found('"Given79 Family79"') == {"Large collaboration"}
    assert found('"Given0 Family0"') == {"Large collaboration"}
    assert found("Collab:2021:LC") == {"Large collaboration"}
    assert found('"Family41 Given42"') == set()
    assert found('"Family78 Given79"') == set()


def test_values_keep_their_order_and_a_separator_cannot_be_typed(records):
    # The separator is not a word character: a search holding it cannot bridge two values.
    assert found(f'"networks {sqlite.VALUE_SEPARATOR} deep"') == set()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT f.keywords FROM catalogue_search_fts f JOIN catalogue_article a "
                "ON a.id = f.rowid WHERE a.title = 'Two keywords reversed'"
            )
            (keywords,) = cursor.fetchone()
            cursor.execute(
                "SELECT k.term FROM catalogue_article_keywords ak JOIN catalogue_keyword k "
                "ON k.id = ak.keyword_id JOIN catalogue_article a ON a.id = ak.article_id "
                "WHERE a.title = 'Two keywords reversed' ORDER BY ak.id"
            )
            attached = [term for (term,) in cursor.fetchall()]
            cursor.execute(
                "SELECT w.words FROM catalogue_search_words w JOIN catalogue_article a "
                "ON a.id = w.rowid WHERE a.title = 'Abstract then names'"
            )
            (words,) = cursor.fetchone()
        # In the order they were attached (the link's id), whatever the keywords' own ids.
        assert sorted(attached) == ["deep learning", "neural networks"]
        assert keywords == f" {sqlite.VALUE_SEPARATOR} ".join(attached)
        assert sqlite.VALUE_SEPARATOR not in words
        assert words.split() == ["Abstract", "then", "names", "Bruce", "Wampold"]


def test_a_changed_value_is_reindexed_with_its_boundaries(records):
    article = Article.objects.get(title="Two people")
    Authorship.objects.filter(article=article, position=2).update(family_name="Ada")

    assert found('"Lovelace Charles"') == set()
    assert found('"Charles Ada"') == {"Two people"}
    # Re-indexing an unchanged record writes nothing: the values' order is fixed.
    assert search.refresh_search_index([article.pk]) == (
        0 if connection.vendor == "postgresql" else 1
    )


def test_the_gap_is_longer_than_any_phrase_the_search_box_sends():
    # A phrase is cut at four terms' length; on PostgreSQL every position takes a character.
    assert MAX_TERM_LENGTH * 4 <= GAP
    for name in ("triggers", "build"):
        text = sql(f"sqlite/catalogue_search_{name}.v3.sql")
        assert f"char({ord(sqlite.VALUE_SEPARATOR)})" in text


@pytest.mark.postgres
def test_no_phrase_of_the_longest_length_spans_more_positions_than_the_gap():
    worst = [
        "x " + "a " * 198 + "y",  # stop words keep their positions
        "-".join(["x"] * 200),  # a hyphenated word: itself and each part
        "x-x " * 100,  # the densest: three positions in four characters
        "a.b/c " * 66,  # paths: the path, its host and its parts
        "a@b.c " * 66,
        "1,2 " * 100,
    ]
    with connection.cursor() as cursor:
        for text in worst:
            phrase = parse_query(f'"{text}"').terms[0].text
            assert len(phrase) <= MAX_TERM_LENGTH * 4
            cursor.execute("SELECT phraseto_tsquery('catalogue', %s)::text", [phrase])
            (tsquery,) = cursor.fetchone()
            distances = re.findall(r"<(-|\d+)>", tsquery)
            span = sum(1 if d == "-" else int(d) for d in distances)
            assert 0 < span < GAP, (text[:20], span)


@pytest.mark.postgres
def test_the_document_keeps_the_lexemes_and_weights_of_version_2():
    keyword = make_keyword(term="therapeutic alliance")
    other = make_keyword(term="common factors")
    person = make_author(given_names="Patrick", family_name="Nguyen")
    make_article(
        title="The <i>alliance</i> in psychotherapy",
        abstract="Alliance predicts outcome in psychotherapy.",
        keywords=[keyword, other],
        authors=[(person, {"given_names": "P"}), make_author(family_name="Flückiger")],
        citation_key="Nguyen:2019:AP",
    )
    make_article(title="Only a title")
    make_article(title="The of and", abstract="")
    version_2 = sql("postgres/catalogue_search_source.v2.sql").replace(
        "CREATE OR REPLACE VIEW catalogue_search_source AS", "CREATE TEMP VIEW source_v2 AS"
    )
    with connection.cursor() as cursor:
        cursor.execute(version_2)
        cursor.execute(
            """
            SELECT count(*),
                   count(*) FILTER (WHERE strip(o.document) = strip(s.document)
                       AND o.vocabulary = s.vocabulary
                       AND (SELECT array_agg(lexeme || w ORDER BY lexeme, w)
                            FROM unnest(o.document) u, unnest(u.weights) w)
                           IS NOT DISTINCT FROM
                           (SELECT array_agg(lexeme || w ORDER BY lexeme, w)
                            FROM unnest(s.document) u, unnest(u.weights) w)),
                   count(*) FILTER (WHERE o.document <> s.document)
            FROM source_v2 o JOIN catalogue_search_source s USING (article_id)
            """
        )
        assert cursor.fetchone() == (3, 3, 1)
        cursor.execute(
            "SELECT s.document::text FROM catalogue_search s JOIN catalogue_article a "
            "ON a.id = s.article_id WHERE a.title = 'Only a title'"
        )
        assert cursor.fetchone() == ("'titl':3A",)
        cursor.execute("DROP VIEW source_v2")


def test_the_migrations_fill_writes_what_the_triggers_write(records):
    # Migration 0028 re-indexes every record with its build file; the triggers index each new
    # one. Both must give the same rows, or records indexed before the migration would differ.
    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    if connection.vendor == "postgresql":
        query = "SELECT article_id, document::text FROM catalogue_search ORDER BY 1"
        build = "postgres/catalogue_search_build.v3.sql"
    else:
        query = (
            "SELECT f.rowid, f.title, f.keywords, f.authors, f.abstract, w.words "
            "FROM catalogue_search_fts f JOIN catalogue_search_words w ON w.rowid = f.rowid "
            "ORDER BY 1"
        )
        build = "sqlite/catalogue_search_build.v3.sql"
    with connection.cursor() as cursor:
        cursor.execute(query)
        written = cursor.fetchall()
        execute(editor, build)
        cursor.execute(query)
        assert cursor.fetchall() == written
    assert len(written) == 7


def _documents() -> list[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT article_id, document::text FROM catalogue_search ORDER BY 1")
        return cursor.fetchall()


def _migration_0028():
    from importlib import import_module

    return import_module("catalogue.migrations.0028_search_phrase_boundaries")


@pytest.mark.postgres
@pytest.mark.parametrize(("threshold", "reindexed"), [(100, True), (6, False)])
def test_the_migration_reindexes_a_small_catalogue_and_leaves_a_large_one(
    records, monkeypatch, capsys, threshold, reindexed
):
    # 7 articles: above a threshold of 6 the migration installs version 3 without re-indexing
    # in its transaction, and says what to run.
    migration = _migration_0028()
    monkeypatch.setattr(migration, "REINDEX_IN_MIGRATION", threshold)
    current = _documents()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE catalogue_search SET document = to_tsvector('simple', 'stale')")
    with connection.schema_editor() as editor:
        migration.forwards(None, editor)
    after = _documents()
    if reindexed:
        assert after == current
        assert "search_index reindex" not in capsys.readouterr().out
    else:
        assert after == [(article_id, "'stale':1") for article_id, _ in current]
        assert "7 articles keep their documents" in capsys.readouterr().out


@pytest.mark.postgres
def test_the_reindex_command_rewrites_every_document_online_and_resumes(records, monkeypatch):
    from django.core.management import call_command

    from catalogue.search import index

    monkeypatch.setattr(index, "REINDEX_BATCH", 3)
    current = _documents()
    ids = [article_id for article_id, _ in current]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE catalogue_search SET document = to_tsvector('simple', 'stale')")
    out = io.StringIO()
    call_command("search_index", "reindex", f"--after={ids[3]}", stdout=out)
    # Articles up to the fourth are left as they were; the rest are re-indexed in batches of 3.
    assert _documents() == [
        (article_id, "'stale':1" if article_id <= ids[3] else document)
        for article_id, document in current
    ]
    assert out.getvalue().splitlines() == [
        f"3 of 3 articles (resume with --after {ids[6]})",
        "Re-indexed 3 articles, 3 index rows changed.",
    ]
    call_command("search_index", "reindex", stdout=io.StringIO())
    assert _documents() == current
    assert found('"Nguyen Patrick"') == set()


def test_the_reindex_command_refuses_sqlite_and_a_negative_id():
    from django.core.management import CommandError, call_command

    if connection.vendor == "sqlite":
        with pytest.raises(CommandError, match="SQLite's search index is rebuilt by its"):
            call_command("search_index", "reindex", stdout=io.StringIO())
    with pytest.raises(CommandError, match=r"--after must be an article id \(0 or more\)"):
        call_command("search_index", "reindex", "--after=-1", stdout=io.StringIO())
