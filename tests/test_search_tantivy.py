"""The embedded Tantivy index (catalogue/search/tantivy/) against the PostgreSQL engine.

Random catalogues and random searches: with SEARCH_INDEX_DIR set, the same totals, the same
facet values and counts, the same matches (and the same order for the date and title sorts)
as PostgreSQL's statement. The outbox: an insert, an update and a delete are searchable at the
next search; a second node's directory catches up; a rebuild; a pruned outbox. PostgreSQL only,
except the SQLite test showing the setting is ignored there.
"""

from __future__ import annotations

import itertools
import json
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import caches
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from catalogue import conf
from catalogue.models import Article, OutputType
from catalogue.search import engine
from catalogue.search import tantivy as tantivy_package
from catalogue.search.params import SearchParams
from catalogue.search.query import parse_query
from catalogue.search.tantivy import node as nodes
from catalogue.search.tantivy import outbox, schema
from catalogue.search.tantivy import search as tantivy_search
from tests.factories import make_article, make_author, make_journal, make_keyword, make_subject

# Titles and abstracts draw from separate words, keywords and names from their own. Both
# engines keep a phrase within one value (migration 0028, schema 4; tested below), phrases
# with stop words inside too (schema.VALUE_GAP; test_phrases_with_stop_words_inside_...).
TITLE_WORDS = [
    "glacier", "melting", "carbon", "budget", "river", "delta", "running", "runs", "ocean",
    "warming", "fluckiger", "café", "naïve", "model", "models", "network",
]  # fmt: skip
ABSTRACT_WORDS = [
    "sediment", "transport", "coastal", "erosion", "policy", "urban", "survey", "estimate",
]  # fmt: skip
KEYWORD_TERMS = ("soil moisture", "deep learning", "remote sensing", "tundra", "permafrost thaw")
TYPES = (OutputType.ARTICLE, OutputType.REVIEW, OutputType.LETTER, OutputType.BOOK)
LANGUAGES = ("en", "fr", "de", "")
FACET_NAMES = ("type", "journal", "author", "keyword", "subject", "language", "peer_reviewed")


def _catalogue(seed: int, articles: int = 70) -> dict[str, list]:
    rng = random.Random(seed)
    journals = [make_journal() for _ in range(4)]
    authors = [
        make_author(family_name=name, given_names=given)
        for name, given in (
            ("Nguyen", "Patrick"),
            ("Okafor", "Ada"),
            ("Müller", "Jürgen"),
            ("Smith", "Jane"),
            ("Garcia", "Luis"),
            ("Tanaka", "Yuki"),
            ("Dubois", "Claire"),
            ("Kowalski", "Piotr"),
        )
    ]
    keywords = [make_keyword(term=term) for term in KEYWORD_TERMS]
    subjects = [make_subject() for _ in range(3)]
    made = []
    for _ in range(articles):
        year = rng.choice([None, *range(2000, 2011)])
        made.append(
            make_article(
                title=" ".join(rng.choices(TITLE_WORDS, k=rng.randint(2, 6))).capitalize(),
                abstract=" ".join(rng.choices(ABSTRACT_WORDS, k=rng.randint(0, 8))),
                journal=rng.choice([None, *journals]),
                authors=rng.sample(authors, rng.randint(0, 3)),
                keywords=rng.sample(keywords, rng.randint(0, 2)),
                subject_areas=rng.sample(subjects, rng.randint(0, 2)),
                output_type=rng.choice(TYPES),
                language=rng.choice(LANGUAGES),
                peer_reviewed=rng.random() < 0.6,
                year=year,
                month=rng.choice([None, 1, 6, 12]) if year else None,
            )
        )
    return {
        "articles": made,
        "journals": journals,
        "authors": authors,
        "keywords": keywords,
        "subjects": subjects,
    }


def _random_params(rng: random.Random, data: dict[str, list]) -> SearchParams:
    parts = []
    for _ in range(rng.randint(0, 2)):
        roll = rng.random()
        if roll < 0.2:
            first = rng.randrange(len(TITLE_WORDS) - 1)
            parts.append(f'"{TITLE_WORDS[first]} {TITLE_WORDS[first + 1]}"')
        elif roll < 0.4:
            parts.append(f"{rng.choice(TITLE_WORDS)} OR {rng.choice(ABSTRACT_WORDS)}")
        else:
            pool = [*TITLE_WORDS, *ABSTRACT_WORDS, "moisture", "tundra", "okafor", "jurgen"]
            parts.append(rng.choice(pool))
    if parts and rng.random() < 0.3:
        parts.append("-" + rng.choice([*ABSTRACT_WORDS, "permafrost"]))
    values = {
        "type": [str(t) for t in TYPES],
        "journal": [j.pk for j in data["journals"]],
        "author": [a.pk for a in data["authors"]],
        "keyword": [k.pk for k in data["keywords"]],
        "subject": [s.pk for s in data["subjects"]],
        "language": ["en", "fr", "de"],
        "peer_reviewed": [True, False],
    }
    include: dict[str, list] = {}
    exclude: dict[str, list] = {}
    for facet in rng.sample(FACET_NAMES, rng.randint(0, 2)):
        target = include if rng.random() < 0.7 else exclude
        target[facet] = rng.sample(values[facet], rng.randint(1, 2))
    year_min = year_max = None
    if rng.random() < 0.3:
        year_min = rng.randint(2000, 2006)
        year_max = year_min + rng.randint(0, 5)
    if not parts and not include and not exclude and year_min is None:
        parts.append(rng.choice(TITLE_WORDS))
    return SearchParams.build(
        query=parse_query(" ".join(parts)),
        include=include,
        exclude=exclude,
        year_min=year_min,
        year_max=year_max,
        sort=rng.choice(["relevance", "relevance", "newest", "oldest", "title"]),
    )


def _summary(result) -> dict:
    return {
        "total": result.total,
        "exact": result.total_exact,
        "facets": {
            name: (
                [(v.id, v.count, v.selected, v.excluded, v.label) for v in facet.values],
                facet.has_more,
                facet.approximate,
            )
            for name, facet in result.facets.items()
        },
    }


@pytest.fixture
def answered(monkeypatch):
    """Count the pages the embedded index answered (not left to PostgreSQL)."""
    calls = []
    original = tantivy_package.run_results

    def counting(**kwargs):
        raw = original(**kwargs)
        if raw is not None:
            calls.append(kwargs["params"])
        return raw

    monkeypatch.setattr(tantivy_package, "run_results", counting)
    return calls


def _uncached() -> None:
    # Result pages are cached per index generation and parameters, whichever engine answered.
    caches[conf.get("SEARCH_CACHE_ALIAS")].clear()


def _both(params: SearchParams, directory, page_size: int = 100, page: int = 1):
    _uncached()
    with override_settings(SEARCH_INDEX_DIR=""):
        expected = engine.search(params=params, page_size=page_size, page=page)
    _uncached()
    with override_settings(SEARCH_INDEX_DIR=str(directory)):
        actual = engine.search(params=params, page_size=page_size, page=page)
    return expected, actual


def _search(directory, text: str, **selections):
    params = SearchParams.build(query=parse_query(text), **selections)
    _uncached()
    with override_settings(SEARCH_INDEX_DIR=str(directory)):
        return engine.search(params=params, page_size=100)


def _ids(result) -> set[int]:
    return {article.pk for article in result.articles}


def _second_segment(directory, article_ids) -> None:
    """Make the node's index two segments: the articles re-read into a segment of their own
    (outbox rows for them; the next search applies them), deleted from the first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO catalogue_search_outbox (article_id) SELECT unnest(%s::bigint[])",
            [list(article_ids)],
        )
    node = nodes.node(directory)
    node.refresh(connection)
    searcher, _ = node.search_state()
    assert searcher.num_segments == 2


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("seed", "buckets", "segments"), [(1, 100, 1), (2, 100, 1), (3, 2, 1), (4, 2, 2), (5, 100, 2)]
)
def test_random_searches_agree_with_postgresql(
    db, tmp_path, answered, monkeypatch, seed, buckets, segments
):
    # Two buckets at first: the facets' ties at the cut-off, values missing from the first
    # answer and selected values counted on their own are exercised too. Two segments, each
    # returning two values: counts cut off in one segment (the error bound) as well.
    monkeypatch.setattr(tantivy_search, "FIRST_BUCKETS", buckets)
    monkeypatch.setattr(tantivy_search, "SEGMENT_BUCKETS", 2)
    cells = []
    original_labelled = tantivy_search._labelled

    def labelled(*args, **kwargs):
        cells.append(kwargs.get("cells"))
        return original_labelled(*args, **kwargs)

    monkeypatch.setattr(tantivy_search, "_labelled", labelled)
    data = _catalogue(seed)
    nodes.build(tmp_path, connection, log=lambda line: None)
    if segments == 2:
        _second_segment(tmp_path, [article.pk for article in data["articles"][::2]])
    rng = random.Random(seed * 1000)
    compared = 0
    for _ in range(40):
        params = _random_params(rng, data)
        expected, actual = _both(params, tmp_path)
        assert _summary(actual) == _summary(expected), str(params)
        assert _ids(actual) == _ids(expected), str(params)
        if params.effective_sort != "relevance":
            assert [a.pk for a in actual.articles] == [a.pk for a in expected.articles]
        compared += expected.total
    # Every search was answered by the index, and the searches found something; some
    # without words took their scalar facets from PostgreSQL's cells.
    assert len(answered) == 40
    assert compared > 100
    assert any(cells)


@pytest.mark.postgres
def test_phrases_stay_within_one_value_as_in_postgresql(db, tmp_path, answered):
    # Migration 0028 keeps PostgreSQL's phrases within one value (tests/test_search_phrases.py);
    # the index keeps every keyword and name form a value of its own (schema 4).
    neural = make_keyword(term="neural networks")
    deep = make_keyword(term="deep learning")
    patrick = make_author(given_names="Patrick", family_name="Nguyen")
    ada = make_author(given_names="Ada", family_name="Lovelace")
    charles = make_author(given_names="Charles", family_name="Babbage")
    make_article(title="Advances in deep learning", keywords=[neural, deep])
    make_article(title="Printed initial", authors=[(patrick, {"given_names": "P"})])
    make_article(title="Two people", authors=[ada, charles])
    nodes.build(tmp_path, connection, log=lambda line: None)
    expected_titles = {
        '"learning neural"': set(),
        '"networks deep"': set(),
        '"Nguyen Patrick"': set(),
        '"Lovelace Charles"': set(),
        '"P Nguyen"': {"Printed initial"},
        '"Patrick Nguyen"': {"Printed initial"},
        '"deep learning"': {"Advances in deep learning"},
        "networks deep": {"Advances in deep learning"},
    }
    for text, titles in expected_titles.items():
        params = SearchParams.build(query=parse_query(text))
        expected, actual = _both(params, tmp_path)
        assert {a.title for a in expected.articles} == titles, text
        assert {a.title for a in actual.articles} == titles, text
        assert actual.total == expected.total == len(titles), text
    assert len(answered) == len(expected_titles)


@pytest.mark.postgres
def test_pages_and_the_citation_key_first(db, tmp_path, answered):
    articles = [make_article(title=f"Glacier survey {n}", year=2000 + n % 9) for n in range(30)]
    keyed = articles[17]
    Article.objects.filter(pk=keyed.pk).update(citation_key="glacier")
    nodes.build(tmp_path, connection, log=lambda line: None)
    params = SearchParams.build(query=parse_query("glacier"))
    _uncached()
    with override_settings(SEARCH_INDEX_DIR=str(tmp_path)):
        first = engine.search(params=params, page_size=10)
        second = engine.search(params=params, page=2, page_size=10)
        third = engine.search(params=params, page=3, page_size=10)
    assert first.total == 30
    assert first.articles[0].pk == keyed.pk
    seen = [a.pk for a in first.articles + second.articles + third.articles]
    assert sorted(seen) == sorted(a.pk for a in articles)
    newest = SearchParams.build(query=parse_query("glacier"), sort="newest")
    expected, actual = _both(newest, tmp_path, page_size=7)
    assert [a.pk for a in actual.articles] == [a.pk for a in expected.articles]
    assert len(answered) == 4


@pytest.mark.postgres
def test_an_insert_update_and_delete_are_searched_at_the_next_search(db, tmp_path):
    make_article(title="Glacier melting")
    nodes.build(tmp_path, connection, log=lambda line: None)
    assert _search(tmp_path, "permafrost").total == 0

    added = make_article(title="Permafrost thaw in the Arctic")
    assert _ids(_search(tmp_path, "permafrost")) == {added.pk}

    added.title = "Sea ice retreat"
    added.save()
    assert _search(tmp_path, "permafrost").total == 0
    assert _ids(_search(tmp_path, "retreat")) == {added.pk}

    author = make_author(family_name="Okafor")
    added.authorships.create(author=author, position=1, family_name="Okafor", given_names="Ada")
    result = _search(tmp_path, "okafor")
    assert _ids(result) == {added.pk}
    assert [(v.id, v.count) for v in result.facets["author"].values] == [(author.pk, 1)]

    added.delete()
    assert _search(tmp_path, "retreat").total == 0
    assert _search(tmp_path, "glacier").total == 1


@pytest.mark.postgres
def test_a_second_node_catches_up_and_a_rebuild_replaces_the_index(db, tmp_path):
    make_article(title="Glacier melting")
    first, second = tmp_path / "a", tmp_path / "b"
    nodes.build(first, connection, log=lambda line: None)
    nodes.build(second, connection, log=lambda line: None)
    added = make_article(title="Glacier delta")
    assert _search(first, "glacier").total == 2
    # The second node has not searched since: it applies the same rows on its next search.
    assert nodes.status(second, connection)["index"]["behind"] is True
    assert _ids(_search(second, "delta")) == {added.pk}
    assert nodes.status(second, connection)["index"]["behind"] is False

    old = nodes.Node(first).current()
    state = nodes.build(first, connection, log=lambda line: None)
    assert state["documents"] == 2
    assert nodes.Node(first).current() != old
    assert not old.exists()
    assert _search(first, "glacier").total == 2


def test_a_late_commit_below_the_position_is_read_again():
    # Seq 7 (txid 100) was read; seq 5 of txid 90 was still running (horizon 90).
    position = outbox.Position(position=7, horizon=90, recent=[[7, 100]])
    late = outbox.Pending(rows=[(5, 42, 90)], horizon=95, pruned_through=0)
    after = outbox.advance(position, late, late.horizon)
    assert after.position == 7
    assert after.horizon == 95
    # Seq 7's transaction is still above the new horizon: kept so it is not re-read.
    assert after.recent == [[7, 100]]
    settled = outbox.advance(after, outbox.Pending([], 101, 0), 101)
    assert settled == outbox.Position(position=7, horizon=101, recent=[])


@pytest.mark.postgres
def test_the_outbox_rows_of_a_write(db, tmp_path):
    nodes.build(tmp_path, connection, log=lambda line: None)
    before = outbox.status(connection)
    article = make_article(title="Glacier")
    article_id = article.pk
    article.delete()
    after = outbox.status(connection)
    assert after["enabled"] is True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT article_id FROM catalogue_search_outbox WHERE seq > %s ORDER BY seq",
            [before["last_seq"]],
        )
        rows = [row[0] for row in cursor.fetchall()]
    assert set(rows) == {article_id}
    assert len(rows) >= 2  # the insert (and any update), then the delete


@pytest.mark.postgres
def test_searches_it_cannot_express_go_to_postgresql(db, tmp_path, answered):
    covid = make_article(title="Covid-19 in 2020")
    plain = make_article(title="Glacier melting")
    nodes.build(tmp_path, connection, log=lambda line: None)
    assert _ids(_search(tmp_path, "covid-19")) == {covid.pk}
    assert _ids(_search(tmp_path, "2020")) == {covid.pk}
    assert _search(tmp_path, "").total == 2  # the whole catalogue
    assert answered == []
    assert _ids(_search(tmp_path, "glacier")) == {plain.pk}
    assert len(answered) == 1


@pytest.mark.postgres
def test_a_missing_or_pruned_index_leaves_searches_to_postgresql(db, tmp_path, answered):
    article = make_article(title="Glacier melting")
    # Never built: PostgreSQL answers.
    assert _ids(_search(tmp_path / "none", "glacier")) == {article.pk}
    nodes.build(tmp_path, connection, log=lambda line: None)
    make_article(title="Glacier delta")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE catalogue_search_outbox_state SET pruned_through = "
            "(SELECT max(seq) FROM catalogue_search_outbox)"
        )
    assert _search(tmp_path, "glacier").total == 2
    assert answered == []
    assert nodes.status(tmp_path, connection)["index"]["needs_rebuild"] is True
    with pytest.raises(CommandError, match="rebuild it"):
        call_command("search_index", "sync", directory=str(tmp_path))


@pytest.mark.postgres
def test_prune_deletes_only_old_rows(db, tmp_path):
    nodes.build(tmp_path, connection, log=lambda line: None)
    make_article(title="Glacier")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM catalogue_search_outbox")
        rows = cursor.fetchone()[0]
    assert rows > 0
    # Rows of the running transaction (this test's) are never pruned, however old.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE catalogue_search_outbox SET created = now() - interval '5 days'")
    assert outbox.prune(connection, keep_hours=1) == 0
    assert outbox.prune(connection, keep_hours=200) == 0


@pytest.mark.postgres
def test_the_command_builds_syncs_and_reports(db, tmp_path, capsys):
    make_article(title="Glacier")
    call_command("search_index", "build", directory=str(tmp_path))
    assert "Built: 1 articles" in capsys.readouterr().out
    make_article(title="Delta")
    call_command("search_index", "sync", directory=str(tmp_path))
    assert "Synced: 1 articles re-read, 0 outbox rows pruned" in capsys.readouterr().out
    call_command("search_index", "status", directory=str(tmp_path))
    out = capsys.readouterr().out
    assert '"documents": 2' in out
    assert '"behind": false' in out
    with override_settings(SEARCH_INDEX_DIR=""), pytest.raises(CommandError, match="Set SEARCH"):
        call_command("search_index", "status")


def test_sqlite_ignores_the_setting(db, tmp_path):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only: on PostgreSQL the setting is used (the tests above)")
    article = make_article(title="Glacier melting")
    assert _ids(_search(tmp_path, "glacier")) == {article.pk}
    assert not (tmp_path / "current").exists()
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("search_index", "status", directory=str(tmp_path))


def test_facet_rows_are_the_statements_top_values_and_the_selected_ones():
    asked = []

    def counter(value):
        asked.append(value)
        return 4

    # journal: top 8; nine values by count then id, one more than shown, as the statement.
    buckets = [(id_, 10) for id_ in range(20, 8, -1)]
    rows = tantivy_search._rows("journal", buckets, False, [3, 25], counter)
    assert [value for _, value, _, _ in rows] == [str(n) for n in range(9, 18)] + ["3", "25"]
    # 25 is missing from an incomplete answer: counted on its own; 3 as well.
    assert asked == [3, 25]
    assert rows[-1] == ("journal", "25", 4, False)
    # A complete answer: a selected value it lacks has no matches (no row, as the statement).
    asked.clear()
    rows = tantivy_search._rows("journal", [(7, 2)], True, [3], counter)
    assert rows == [("journal", "7", 2, False)] and asked == []
    # Booleans and years as the statement's text; the year lists every value.
    assert tantivy_search._rows("peer_reviewed", [(1, 5), (0, 5)], True, [], counter) == [
        ("peer_reviewed", "false", 5, False),
        ("peer_reviewed", "true", 5, False),
    ]
    years = [(2001, 1), (1999, 3), (2000, 1)]
    assert [v for _, v, _, _ in tantivy_search._rows("year", years, True, [], counter)] == [
        "1999",
        "2000",
        "2001",
    ]


def _segments_cut_off(monkeypatch) -> None:
    """Make the first aggregation answer as an index of several segments may: every facet's
    counts uncertain by one (a value may be missing from a segment)."""
    original = tantivy_search._aggregate

    def cut_off(*args, **kwargs):
        answer = original(*args, **kwargs)
        for facet in answer.values():
            facet["doc_count_error_upper_bound"] = 1
        return answer

    monkeypatch.setattr(tantivy_search, "_aggregate", cut_off)
    monkeypatch.setattr(tantivy_search, "_one_segment", lambda searcher: False)


@pytest.mark.postgres
def test_counts_a_segment_cut_off_are_counted_again_flagged_or_left_to_postgresql(
    db, tmp_path, monkeypatch
):
    journals = [make_journal() for _ in range(3)]
    for n in range(12):
        make_article(title=f"Glacier {n}", journal=journals[n % 3])
    nodes.build(tmp_path, connection, log=lambda line: None)
    _segments_cut_off(monkeypatch)
    params = SearchParams.build(query=parse_query("glacier"))
    # Within the threshold: counted again from every segment's every value, exact.
    expected, actual = _both(params, tmp_path)
    assert _summary(actual) == _summary(expected)
    assert not actual.approximate
    # Above it: the first answer's counts, flagged "about" as PostgreSQL's would be.
    with override_settings(SEARCH_EXACT_THRESHOLD=5):
        _, actual = _both(params, tmp_path)
    assert actual.total == 12 and actual.total_exact
    assert actual.facets["journal"].approximate
    assert sorted(v.count for v in actual.facets["journal"].values) == [4, 4, 4]

    # Past Tantivy's bucket limit: PostgreSQL answers.
    def too_many(*args, **kwargs):
        raise ValueError("Aborting aggregation because bucket limit was exceeded")

    monkeypatch.setattr(tantivy_search, "_aggregate_every", too_many)
    expected, actual = _both(params, tmp_path)
    assert _summary(actual) == _summary(expected)


def _every_asked(monkeypatch) -> list[list[str]]:
    """Return the list the facets of each every-value aggregation are appended to, sorted."""
    original = tantivy_search._aggregate_every
    asked: list[list[str]] = []

    def every(searcher, matches, names, size):
        asked.append(sorted(names))
        return original(searcher, matches, names, size)

    monkeypatch.setattr(tantivy_search, "_aggregate_every", every)
    return asked


@pytest.mark.postgres
def test_facets_counted_again_share_one_aggregation_or_go_one_by_one(db, tmp_path, monkeypatch):
    # Each aggregation evaluates the matches again (a phrase read from positions costs as much
    # as the search): the facets counted again from every value go together in one.
    journals = [make_journal() for _ in range(3)]
    for n in range(12):
        make_article(title=f"Glacier {n}", journal=journals[n % 3], year=2000 + n % 2)
    nodes.build(tmp_path, connection, log=lambda line: None)
    _segments_cut_off(monkeypatch)
    original_every = tantivy_search._aggregate_every
    asked = _every_asked(monkeypatch)
    params = SearchParams.build(query=parse_query("glacier"))
    expected, actual = _both(params, tmp_path)
    assert _summary(actual) == _summary(expected)
    assert not actual.approximate
    assert len(asked) == 1 and {"journal", "year", "author"} <= set(asked[0])

    # Together past Tantivy's bucket limit: each facet on its own, still exact.
    asked.clear()

    def limited(searcher, matches, names, size):
        asked.append(sorted(names))
        if len(names) > 1:
            raise ValueError("Aborting aggregation because bucket limit was exceeded")
        return original_every(searcher, matches, names, size)

    monkeypatch.setattr(tantivy_search, "_aggregate_every", limited)
    expected, actual = _both(params, tmp_path)
    assert _summary(actual) == _summary(expected)
    assert not actual.approximate
    assert len(asked[0]) > 1 and all(len(names) == 1 for names in asked[1:])
    assert sorted(name for [name] in asked[1:]) == asked[0]


@pytest.mark.postgres
def test_the_top_values_of_two_segments_are_counted_one_by_one(db, tmp_path, monkeypatch):
    # Nine journals of 10-18 articles and twenty of one: each segment returns its top ten, so
    # a value's count may lack up to 2 (one cut off in each); the nine are then counted
    # together over the matches having them, not every value of every match again.
    big = [make_journal() for _ in range(9)]
    small = [make_journal() for _ in range(20)]
    made = [
        make_article(title=f"Glacier {n}", journal=journal)
        for count, journal in enumerate(big, start=10)
        for n in range(count)
    ]
    made += [make_article(title="Glacier", journal=journal) for journal in small]
    nodes.build(tmp_path, connection, log=lambda line: None)
    monkeypatch.setattr(tantivy_search, "SEGMENT_BUCKETS", 10)
    monkeypatch.setattr(tantivy_search, "FIRST_BUCKETS", 12)
    _second_segment(tmp_path, [article.pk for article in made[::2]])
    counted = []
    original = tantivy_search._candidates

    def spy(*args, **kwargs):
        answer = original(*args, **kwargs)
        counted.append((args[3], answer))
        return answer

    monkeypatch.setattr(tantivy_search, "_candidates", spy)
    every = _every_asked(monkeypatch)
    params = SearchParams.build(query=parse_query("glacier"), include={"type": ["article"]})
    expected, actual = _both(params, tmp_path)
    assert _summary(actual) == _summary(expected)
    assert [(v.id, v.count) for v in actual.facets["journal"].values] == [
        (journal.pk, count) for count, journal in reversed(list(enumerate(big, start=10)))
    ][:8]
    assert actual.facets["journal"].has_more
    assert [(name, len(answer)) for name, answer in counted if answer] == [("journal", 9)]
    # One aggregation, over the matches having one of the nine; no facet counted again whole.
    assert every == [["journal"]]

    # Past Tantivy's bucket limit there: one by one, the same counts.
    def too_many(*args, **kwargs):
        raise ValueError("Aborting aggregation because bucket limit was exceeded")

    counted.clear()
    monkeypatch.setattr(tantivy_search, "_aggregate_every", too_many)
    _, again = _both(params, tmp_path)
    assert _summary(again) == _summary(expected)
    assert [(name, len(answer)) for name, answer in counted if answer] == [("journal", 9)]


@pytest.mark.postgres
def test_above_the_threshold_facets_are_counted_from_a_sample(db, tmp_path, answered, monkeypatch):
    monkeypatch.setattr(tantivy_search, "SAMPLE_FROM", 0)
    journals = [make_journal() for _ in range(3)]
    keyword = make_keyword(term="ice")
    made = [
        make_article(
            title=f"Glacier {n}",
            journal=journals[n % 3],
            keywords=[keyword] if n % 2 else [],
            output_type=TYPES[n % 2],
            year=2000 + n % 4,
            peer_reviewed=n % 3 == 0,
        )
        for n in range(60)
    ]
    nodes.build(tmp_path, connection, log=lambda line: None)
    words = SearchParams.build(query=parse_query("glacier"))
    # No words: every article, both values of peer review selected (its own context is the
    # whole catalogue).
    no_words = SearchParams.build(query=parse_query(""), include={"peer_reviewed": [True, False]})
    settings = {"SEARCH_EXACT_THRESHOLD": 20, "SEARCH_FACET_SAMPLE": 15}
    # k = ceil(1024 * 15 / 60) = 256: the matches with catalogue_search.sample < 256.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT journal_id, output_type, count(*) FROM catalogue_search "
            "WHERE article_id = ANY(%s) AND sample < 256 GROUP BY ROLLUP (journal_id), "
            "ROLLUP (output_type)",
            [[article.pk for article in made]],
        )
        drawn = {(journal, kind): n for journal, kind, n in cursor.fetchall()}
    total = drawn[(None, None)]
    assert 0 < total < 60
    journal_estimates = {
        journal: round(n * 60 / total)
        for (journal, kind), n in drawn.items()
        if journal is not None and kind is None
    }
    type_estimates = {
        kind: round(n * 60 / total)
        for (journal, kind), n in drawn.items()
        if journal is None and kind is not None
    }
    with override_settings(SEARCH_EXACT_THRESHOLD=10**6):
        exact, _ = _both(no_words, tmp_path)
    for params in (words, no_words):
        with override_settings(**settings):
            _, actual = _both(params, tmp_path)
        assert actual.total == 60 and actual.total_exact
        assert {v.id: v.count for v in actual.facets["journal"].values} == journal_estimates
        assert actual.facets["journal"].approximate and actual.facets["keyword"].approximate
        if params is words:
            # With words every facet is estimated, as PostgreSQL's (the words not evaluated
            # again over every match).
            assert {v.id: v.count for v in actual.facets["type"].values} == type_estimates
            assert actual.facets["type"].approximate and actual.facets["year"].approximate
            continue
        # Without words the scalar facets are counted over every match: exact.
        for name in ("year", "type", "language"):
            assert not actual.facets[name].approximate
            assert [(v.id, v.count) for v in actual.facets[name].values] == [
                (v.id, v.count) for v in exact.facets[name].values
            ], name
    # Above the threshold but below SAMPLE_FROM: every match is counted (one segment: exact).
    monkeypatch.setattr(tantivy_search, "SAMPLE_FROM", 61)
    with override_settings(**settings):
        _, actual = _both(words, tmp_path)
    assert {v.id: v.count for v in actual.facets["journal"].values} == {j.pk: 20 for j in journals}
    assert not actual.facets["journal"].approximate
    monkeypatch.setattr(tantivy_search, "SAMPLE_FROM", 0)
    # An index built before the sample field: every match is counted.
    directory = nodes.Node(tmp_path).current()
    state = nodes.Node.read_state(directory)
    del state["sample"]
    (directory / "state.json").write_text(json.dumps(state))
    nodes._nodes.clear()
    with override_settings(**settings):
        _, actual = _both(words, tmp_path)
    assert {v.id: v.count for v in actual.facets["journal"].values} == {j.pk: 20 for j in journals}
    assert not actual.facets["journal"].approximate
    assert len(answered) == 5


# Values whose ends and starts a phrase with stop words inside could join: keywords and names
# of one or two words, titles with stop words inside.
GAP_KEYWORDS = ("deep learning", "neural networks", "tundra", "soil of the arctic", "thaw")
GAP_NAMES = (("Ada", "Lovelace"), ("Charles", "Babbage"), ("Yuki", "Tanaka"), ("Jane", "Okafor"))
GAP_TITLE_WORDS = ("learning", "networks", "tundra", "thaw", "soil", "arctic", "deep", "neural")
GAP_STOP_WORDS = ("the", "of", "a", "in", "and")


def _gap_catalogue(rng: random.Random, articles: int = 40) -> list[Article]:
    keywords = [make_keyword(term=term) for term in GAP_KEYWORDS]
    authors = [make_author(given_names=given, family_name=family) for given, family in GAP_NAMES]
    made = []
    for _ in range(articles):
        words = []
        for _ in range(rng.randint(3, 7)):
            words.append(rng.choice(GAP_TITLE_WORDS))
            if rng.random() < 0.4:
                words.extend(rng.sample(GAP_STOP_WORDS, rng.randint(1, 2)))
        made.append(
            make_article(
                title=" ".join(words).capitalize(),
                keywords=rng.sample(keywords, rng.randint(0, 4)),
                authors=rng.sample(authors, rng.randint(0, 4)),
            )
        )
    return made


def _gap_phrase(rng: random.Random, article: Article) -> str:
    """Return a phrase with 1-3 stop words inside: across two neighbouring values of a field
    (the end of one keyword or name and the start of the next), or within the title."""
    links = Article.keywords.through.objects.filter(article=article).order_by("id")
    keywords = [link.keyword.term for link in links.select_related("keyword")]
    names = [f"{a.given_names} {a.family_name}" for a in article.authorships.order_by("position")]
    pairs = [*itertools.pairwise(keywords), *itertools.pairwise(names)]
    stops = " ".join(rng.choices(GAP_STOP_WORDS, k=rng.randint(1, 3)))
    if pairs and rng.random() < 0.7:
        first, second = rng.choice(pairs)
        return f"{first.split()[-1]} {stops} {second.split()[0]}"
    title = article.title.lower().split()
    start = rng.choice([n for n, word in enumerate(title) if word not in GAP_STOP_WORDS])
    return " ".join(title[start : start + rng.randint(3, 5)])


@pytest.mark.postgres
@pytest.mark.parametrize("seed", [1, 2])
def test_phrases_with_stop_words_inside_never_span_two_values(db, tmp_path, answered, seed):
    # PostgreSQL leaves 400 positions between two values (migration 0028), Tantivy one of its
    # own: the index adds VALUE_GAP more, so "thaw the tundra" (two keywords) finds nothing on
    # either engine. Phrases drawn at random across neighbouring values and within titles.
    rng = random.Random(seed)
    made = _gap_catalogue(rng)
    nodes.build(tmp_path, connection, log=lambda line: None)
    phrases = [_gap_phrase(rng, rng.choice(made)) for _ in range(30)]
    found = 0
    for phrase in phrases:
        params = SearchParams.build(query=parse_query(f'"{phrase}"'))
        expected, actual = _both(params, tmp_path)
        assert actual.total == expected.total, phrase
        assert _ids(actual) == _ids(expected), phrase
        found += expected.total > 0
    # Every phrase was answered by the index, and some were found (within a title).
    assert len(answered) == len(phrases)
    assert 0 < found < len(phrases)


@pytest.mark.postgres
def test_a_phrase_longer_than_the_gap_or_an_index_without_it_goes_to_postgresql(
    db, tmp_path, answered
):
    soil, tundra = make_keyword(term="soil"), make_keyword(term="tundra")
    long_title = " ".join(["glacier"] + ["melting"] * (schema.VALUE_GAP + 2) + ["delta"])
    made = make_article(title=long_title, keywords=[soil, tundra])
    make_article(title="Soil of the tundra")
    nodes.build(tmp_path, connection, log=lambda line: None)
    assert nodes.Node.read_state(nodes.Node(tmp_path).current())["value_gap"] == schema.VALUE_GAP
    # A phrase the gap cannot hold: PostgreSQL answers (it is found in the title).
    assert _ids(_search(tmp_path, f'"{long_title}"')) == {made.pk}
    assert answered == []
    assert _search(tmp_path, '"soil the tundra"').total == 0
    assert len(answered) == 1
    # An index built before the gap (its state has none): a phrase with a stop word inside
    # could span two values there, so PostgreSQL answers it; a plain phrase stays.
    directory = nodes.Node(tmp_path).current()
    state = nodes.Node.read_state(directory)
    del state["value_gap"]
    (directory / "state.json").write_text(json.dumps(state))
    nodes._nodes.clear()
    assert _search(tmp_path, '"soil the tundra"').total == 0
    assert len(answered) == 1
    assert _search(tmp_path, '"soil of the tundra"').total == 1
    assert len(answered) == 1
    assert _search(tmp_path, '"glacier melting"').total == 1
    assert len(answered) == 2


@pytest.mark.postgres
def test_a_node_failing_mid_sync_answers_from_postgresql_then_converges(
    db, tmp_path, answered, monkeypatch
):
    first = [make_article(title=f"Glacier {n}") for n in range(3)]
    nodes.build(tmp_path, connection, log=lambda line: None)
    start = nodes.Node.read_state(nodes.Node(tmp_path).current())["outbox"]["position"]
    added = [make_article(title=f"Glacier delta {n}") for n in range(7)]
    first[0].delete()
    # Batches of 3 outbox rows: the first is applied and committed, the second fails part-way
    # (after two of its documents were added to the writer).
    monkeypatch.setattr(outbox, "BATCH", 3)
    original, calls = nodes.document, []

    def failing(record):
        calls.append(record.article_id)
        if len(calls) == 5:
            raise RuntimeError("the node died here")
        return original(record)

    monkeypatch.setattr(nodes, "document", failing)
    result = _search(tmp_path, "glacier")
    # PostgreSQL answered, correctly.
    assert answered == []
    assert result.total == 9
    state = nodes.Node.read_state(nodes.Node(tmp_path).current())
    assert start < state["outbox"]["position"]
    assert state["applied"] == 1
    # The next search applies the rest and answers from the index: every article once.
    monkeypatch.setattr(nodes, "document", original)
    expected, actual = _both(SearchParams.build(query=parse_query("glacier")), tmp_path)
    assert len(answered) == 1
    assert _ids(actual) == _ids(expected) == {a.pk for a in [*first[1:], *added]}
    searcher, _ = nodes.node(tmp_path).search_state()
    assert searcher.num_docs == 9
    assert nodes.status(tmp_path, connection)["index"]["behind"] is False


def test_a_writer_killed_before_its_commit_leaves_the_index_as_committed(tmp_path):
    # A node's process killed mid-sync (SIGKILL: no exception, no cleanup): its writer's lock
    # goes with the process, its documents were never committed, so the next sync opens a
    # writer on the index as last committed (and re-applies the rows from state.json's
    # position, which was not advanced).
    index = schema.create_index(str(tmp_path))
    writer = index.writer(heap_size=20_000_000, num_threads=1)
    writer.add_document(schema.document(schema.Record(article_id=1, title="Glacier")))
    writer.commit()
    writer.wait_merging_threads()
    child = (
        "import os\n"
        "import django\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'catalogue.settings')\n"
        "django.setup()\n"
        "from catalogue.search.tantivy import schema\n"
        f"index = schema.open_index({str(tmp_path)!r})\n"
        "writer = index.writer(heap_size=20_000_000, num_threads=1)\n"
        "for n in range(2, 500):\n"
        "    writer.add_document(schema.document(schema.Record(article_id=n, title='Delta')))\n"
        "os.kill(os.getpid(), 9)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", child],
        cwd=str(Path(__file__).resolve().parent.parent),
        check=False,
        capture_output=True,
        text=True,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    index = schema.open_index(str(tmp_path))
    index.reload()
    assert index.searcher().num_docs == 1
    writer = index.writer(heap_size=20_000_000, num_threads=1)
    writer.add_document(schema.document(schema.Record(article_id=2, title="Delta")))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    assert index.searcher().num_docs == 2


# Phrases of consecutive words are asked of the pairs fields (schema 5), others of the words'
# positions (where the pairs of any words side by side are): both against PostgreSQL. A small
# vocabulary (so that words repeat and phrases recur), stop words and hyphenated words inside
# titles, abstracts and keywords.
PHRASE_WORDS = (
    "glacier", "melting", "carbon", "model", "models", "river", "delta", "deep", "learning",
    "ocean", "driven", "data", "novel", "approach", "sea", "ray", "linear",
)  # fmt: skip
PHRASE_STOP_WORDS = ("the", "of", "a", "in", "and", "for", "with")
PHRASE_HYPHENATED = (
    "data-driven", "state-of-the-art", "x-ray", "non-linear", "deep-sea", "model-driven",
)  # fmt: skip
PHRASE_KEYWORDS = (
    "deep learning", "data-driven models", "sea ice", "ocean of data", "melting", "x-ray delta",
)  # fmt: skip


def _phrase_text(rng: random.Random, low: int, high: int) -> str:
    words = []
    for _ in range(rng.randint(low, high)):
        roll = rng.random()
        if roll < 0.15:
            words.append(rng.choice(PHRASE_HYPHENATED))
        elif roll < 0.35:
            words.append(rng.choice(PHRASE_STOP_WORDS))
        else:
            words.append(rng.choice(PHRASE_WORDS))
    return " ".join(words)


def _phrase_catalogue(rng: random.Random, articles: int = 60) -> list[Article]:
    keywords = [make_keyword(term=term) for term in PHRASE_KEYWORDS]
    authors = [make_author(given_names=given, family_name=family) for given, family in GAP_NAMES]
    return [
        make_article(
            title=_phrase_text(rng, 3, 12).capitalize(),
            abstract=_phrase_text(rng, 0, 40),
            keywords=rng.sample(keywords, rng.randint(0, 3)),
            authors=rng.sample(authors, rng.randint(0, 3)),
        )
        for _ in range(articles)
    ]


def _drawn_phrase(rng: random.Random, article: Article) -> str:
    """Return 2-7 words of the article (hyphens as spaces: a query with one goes to
    PostgreSQL), from its title, abstract or a keyword, across two neighbouring keywords or
    names, or the title's words with one changed."""
    links = Article.keywords.through.objects.filter(article=article).order_by("id")
    keywords = [link.keyword.term for link in links.select_related("keyword")]
    names = [f"{a.given_names} {a.family_name}" for a in article.authorships.order_by("position")]
    pairs = [*itertools.pairwise(keywords), *itertools.pairwise(names)]
    roll = rng.random()
    if pairs and roll < 0.2:
        first, second = rng.choice(pairs)
        source = f"{first} {second}"
    else:
        source = rng.choice([article.title, article.abstract or article.title, *keywords])
    words = source.lower().replace("-", " ").split()
    size = rng.choice((2, 2, 3, 3, 5, 6, 7))
    start = rng.randrange(max(1, len(words) - size + 1))
    chosen = words[start : start + size]
    if roll > 0.85 or not set(chosen) - set(PHRASE_STOP_WORDS):
        # Changed, or only stop words (which the parser refuses as a search of their own).
        chosen[rng.randrange(len(chosen))] = rng.choice(PHRASE_WORDS)
    return " ".join(chosen)


@pytest.mark.postgres
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_phrases_agree_with_postgresql(db, tmp_path, answered, monkeypatch, seed):
    # Phrases of 2, 3 and 5-7 words, with stop words and hyphenated words inside, across two
    # values, alone, with a word, or excluded: the same matches and counts as PostgreSQL's, on
    # the pairs fields and on the words' positions (Builder.pairs False) alike.
    rng = random.Random(seed)
    made = _phrase_catalogue(rng)
    nodes.build(tmp_path, connection, log=lambda line: None)
    paths = []
    original = tantivy_search.Builder.phrase

    def phrase(self, text):
        terms = self.phrase_terms(text)
        side_by_side = sum(b[0] == a[0] + 1 for a, b in itertools.pairwise(terms))
        if not self.pairs or len(terms) < 2:
            paths.append("other")
        elif side_by_side == len(terms) - 1:
            paths.append("pairs")
        else:
            paths.append("words, where the pairs are" if side_by_side else "words")
        return original(self, text)

    monkeypatch.setattr(tantivy_search.Builder, "phrase", phrase)
    found = []
    for n in range(60):
        text = f'"{_drawn_phrase(rng, rng.choice(made))}"'
        if n % 6 == 4:
            text = f"{rng.choice(PHRASE_WORDS)} {text}"
        elif n % 6 == 5:
            text = f"{rng.choice(PHRASE_WORDS)} -{text}"
        params = SearchParams.build(query=parse_query(text))
        expected, actual = _both(params, tmp_path)
        assert _summary(actual) == _summary(expected), text
        assert _ids(actual) == _ids(expected), text
        found.append(expected.total)
        # The same on the words' positions.
        node = nodes.node(tmp_path)
        monkeypatch.setattr(node.builder, "pairs", False)
        _, plain = _both(params, tmp_path)
        monkeypatch.setattr(node.builder, "pairs", True)
        assert _ids(plain) == _ids(expected), text
    assert len(answered) == 120
    assert sum(1 for total in found if total) > 30
    assert paths.count("pairs") > 30
    assert paths.count("words, where the pairs are") > 3 and paths.count("words") > 3


@pytest.mark.postgres
def test_a_hyphenated_word_takes_a_position_before_its_parts(db, tmp_path, answered):
    # PostgreSQL's parser: "data-driven" at one position, "data" and "driven" at the next two,
    # so "novel data" does not match "A novel data-driven approach"; "data driven approach"
    # and "novel data driven" do not either, "data driven" and "driven approach" do.
    article = make_article(title="A novel data-driven approach", abstract="State-of-the-art x-ray")
    nodes.build(tmp_path, connection, log=lambda line: None)
    expected_totals = {
        '"novel data"': 0,
        '"novel data driven"': 0,
        '"data driven"': 1,
        '"driven approach"': 1,
        '"data driven approach"': 1,
        '"state of the art"': 1,
        '"art x"': 0,
        '"art ray"': 0,
        '"x ray"': 1,
        "novel driven": 1,
    }
    for text, total in expected_totals.items():
        expected, actual = _both(SearchParams.build(query=parse_query(text)), tmp_path)
        assert expected.total == actual.total == total, text
        assert _ids(actual) == ({article.pk} if total else set()), text
    assert len(answered) == len(expected_totals)


@pytest.mark.postgres
def test_an_index_of_the_previous_schema_leaves_searches_to_postgresql_until_rebuilt(
    db, tmp_path, answered
):
    article = make_article(title="Glacier melting model")
    nodes.build(tmp_path, connection, log=lambda line: None)
    directory = nodes.Node(tmp_path).current()
    state = nodes.Node.read_state(directory)
    state["schema"] = schema.SCHEMA_VERSION - 1
    (directory / "state.json").write_text(json.dumps(state))
    nodes._nodes.clear()
    assert _ids(_search(tmp_path, '"glacier melting"')) == {article.pk}
    assert answered == []
    assert nodes.status(tmp_path, connection)["index"]["needs_rebuild"] is True
    nodes.build(tmp_path, connection, log=lambda line: None)
    assert _ids(_search(tmp_path, '"glacier melting"')) == {article.pk}
    assert len(answered) == 1


def test_the_pairs_of_a_value_keep_the_words_positions():
    words = schema.Words()
    # A stop word between two words: no pair there, the positions stay.
    assert words.pairs_text("Glacier melting of the delta") == "glacier_melt a a a"
    assert words.pairs_text("Café models, models") == "cafe_model model_model"
    assert words.pairs_text("one") == ""
    assert words.stems("The  naïve-Bayes x") == ["", "naiv", "bay", "x"]
    # As the analyzer token by token: a token of 255 bytes or more is dropped, its position
    # kept; "İ" lower-cased is "i" and a combining dot, which must not split the token.
    long_token = "é" * 128
    for text in (f"soil {long_token} moisture", "İstanbul delta", "Kİel the ßea", "x" * 254):
        one_by_one = [next(iter(schema.analyzer().analyze(t)), "") for t in text.split()]
        assert words.stems(text) == one_by_one, text
    assert words.stems(f"soil {long_token} moisture") == ["soil", "", "moistur"]
    # A hyphenated word gets a position before its parts (as in PostgreSQL), words with
    # digits do not; a double hyphen or a leading one is no hyphenated word.
    assert schema._text("novel data-driven, state-of-the-art") == (
        "novel  a data-driven,  a state-of-the-art"
    )
    assert (
        schema._text("covid-19 well--known -based x-ray2") == "covid-19 well--known -based x-ray2"
    )
