"""Tests for searching names as printed, people's names and citation keys (issue 14).

The indexed author text of a record is each authorship's name as the source printed it, then
its person's name where that differs; the record's citation key is indexed too. Every test runs
on SQLite and on PostgreSQL (DATABASE_URL=postgres://...) with the same exact results.
"""

import importlib
from types import SimpleNamespace

import pytest
from django.core.cache import caches
from django.db import connection
from django.db.models.expressions import RawSQL

from catalogue import search
from catalogue.models import Article, Authorship
from catalogue.models.search_index import SearchIndexVocabulary, SearchIndexWord
from catalogue.search import Query, SearchParams, Term, parse_query
from catalogue.search.orm import matching_ids_sql, order_queryset
from tests.factories import make_article, make_author

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    caches["default"].clear()


def run(q: str, **include) -> search.SearchResult:
    params = SearchParams.build(query=parse_query(q), include=include)
    return search.search(params=params, page_size=50)


def titles(q: str, **include) -> list[str]:
    return [article.title for article in run(q, **include).articles]


def found(q: str) -> list[str]:
    """Return the titles matching `q`, sorted (for searches whose ranking is not the point)."""
    return sorted(titles(q))


class People:
    """Patrick Nguyen printed in full and as "P Nguyen", Paul Nguyen, and a J Fallon whose
    person keeps the initial while one record prints "James Fallon"."""

    def __init__(self) -> None:
        self.patrick = make_author(family_name="Nguyen", given_names="Patrick")
        self.paul = make_author(family_name="Nguyen", given_names="Paul")
        self.fallon = make_author(family_name="Fallon", given_names="J")
        self.initial = make_article(
            title="Alliance ruptures", authors=[(self.patrick, {"given_names": "P"})]
        )
        self.full = make_article(title="Dropout in therapy", authors=[self.patrick])
        self.pauls = make_article(title="Outcome monitoring", authors=[self.paul])
        self.james = make_article(
            title="Sleep and memory", authors=[(self.fallon, {"given_names": "James"})]
        )
        self.j = make_article(title="Memory consolidation", authors=[self.fallon])


@pytest.fixture
def people() -> People:
    return People()


# --- Names as printed and people's names ---------------------------------------------------------


def test_the_persons_name_finds_every_record_of_the_person_whatever_the_printed_form(people):
    assert found("Patrick Nguyen") == ["Alliance ruptures", "Dropout in therapy"]
    assert found("Patrick") == ["Alliance ruptures", "Dropout in therapy"]


def test_a_printed_form_finds_the_records_printed_so(people):
    assert found("P Nguyen") == ["Alliance ruptures"]
    assert found("Nguyen") == ["Alliance ruptures", "Dropout in therapy", "Outcome monitoring"]


def test_a_record_is_found_by_its_own_printed_form_when_the_persons_name_differs(people):
    assert found("James Fallon") == ["Sleep and memory"]
    assert found("James") == ["Sleep and memory"]
    assert found("J Fallon") == ["Memory consolidation", "Sleep and memory"]


def test_the_author_facet_counts_people_not_name_forms(people):
    result = run("Nguyen")
    counts = {value.label: value.count for value in result.facets["author"].values}
    assert counts == {"Patrick Nguyen": 2, "Paul Nguyen": 1}
    assert titles("Nguyen", author=[people.patrick.pk]) != []
    assert found_ids(run("Nguyen", author=[people.patrick.pk])) == sorted(
        [people.initial.pk, people.full.pk]
    )


def found_ids(result: search.SearchResult) -> list[int]:
    return sorted(article.pk for article in result.articles)


def test_renaming_a_person_reindexes_their_records_but_not_the_printed_forms(people):
    people.patrick.given_names = "Pat"
    people.patrick.save()

    # "P Nguyen" is printed, so its record is found by the person's new name only.
    assert found("Pat") == ["Alliance ruptures", "Dropout in therapy"]
    assert found("Patrick") == ["Dropout in therapy"]
    assert found("P Nguyen") == ["Alliance ruptures"]


def test_editing_a_printed_form_reindexes_its_record(people):
    authorship = Authorship.objects.get(article=people.initial)
    authorship.given_names = "Phuong"
    authorship.save()

    assert found("Phuong Nguyen") == ["Alliance ruptures"]
    assert found("P Nguyen") == []
    assert found("Patrick Nguyen") == ["Alliance ruptures", "Dropout in therapy"]


def test_an_update_of_printed_forms_in_bulk_reindexes_their_records(people):
    Authorship.objects.filter(author=people.fallon).update(given_names="Jim")

    assert found("Jim Fallon") == ["Memory consolidation", "Sleep and memory"]
    assert found("James") == []
    # The person is still J Fallon.
    assert found("J Fallon") == ["Memory consolidation", "Sleep and memory"]


def test_merging_people_finds_the_record_by_the_surviving_persons_name(people):
    # A librarian merges Paul into Patrick: the authorship keeps "Paul Nguyen" as printed.
    Authorship.objects.filter(author=people.paul).update(author=people.patrick)

    assert found("Paul Nguyen") == ["Outcome monitoring"]
    assert found("Patrick Nguyen") == [
        "Alliance ruptures",
        "Dropout in therapy",
        "Outcome monitoring",
    ]
    counts = {value.label: value.count for value in run("Nguyen").facets["author"].values}
    assert counts == {"Patrick Nguyen": 3}


def test_a_corporate_name_as_printed_and_as_the_person_are_both_found():
    person = make_author(corporate_name="United Nations Children's Fund")
    make_article(title="Global report", authors=[(person, {"corporate_name": "UNICEF"})])

    assert found("UNICEF") == ["Global report"]
    assert found("Children's Fund") == ["Global report"]


def test_the_vocabulary_holds_printed_forms_and_peoples_names(people):
    words = vocabulary()
    assert {"patrick", "nguyen", "james", "fallon"} <= words


# --- Citation keys -----------------------------------------------------------------------------


class Keyed:
    """Records with keys, and records whose words are the keys' words elsewhere."""

    def __init__(self) -> None:
        knuth = make_author(family_name="Knuth", given_names="Donald E.")
        smith = make_author(family_name="Smith", given_names="Anna")
        self.texbook = make_article(
            title="The TeXbook", authors=[knuth], year=1984, citation_key="Knuth:1984:TB"
        )
        # Every word of the key, in title, abstract and names, but not next to each other.
        self.decoy = make_article(
            title="Typesetting in 1984",
            abstract="Notes on TB screening tables.",
            authors=[knuth],
            year=1984,
            citation_key="knuth84notes",
        )
        self.deep = make_article(
            title="Deep learning for triage",
            authors=[smith],
            year=2019,
            citation_key="Smith2019deep",
        )
        self.other_deep = make_article(
            title="Deep learning and Smith's 2019 rules", authors=[smith], year=2019
        )
        self.underscored = make_article(
            title="Alliance scales", authors=[smith], year=2019, citation_key="smith_2019"
        )
        # Newer, and its key holds "Smith 2019" too: it matches smith_2019 as a phrase.
        self.smith_colon = make_article(
            title="Rupture markers",
            authors=[smith],
            year=2019,
            month=12,
            citation_key="Smith:2019:RM",
        )


@pytest.fixture
def keyed() -> Keyed:
    return Keyed()


def test_a_key_finds_its_record(keyed):
    assert titles("Smith2019deep") == ["Deep learning for triage"]
    assert titles("smith2019deep") == ["Deep learning for triage"]
    assert titles("knuth84notes") == ["Typesetting in 1984"]


def test_a_key_whose_parts_are_joined_by_colons_or_underscores_finds_its_record_first(keyed):
    assert titles("Knuth:1984:TB") == ["The TeXbook"]
    assert titles("knuth:1984:tb") == ["The TeXbook"]
    # The record whose key it is comes first, then the others holding its words in order.
    assert titles("smith_2019") == ["Alliance scales", "Rupture markers"]
    assert titles("Smith:2019:RM") == ["Rupture markers"]
    # The same words apart still find every record holding them.
    assert found("Knuth 1984 TB") == ["The TeXbook", "Typesetting in 1984"]


def test_a_key_with_other_words_or_alternatives(keyed):
    assert titles("Knuth:1984:TB OR Smith2019deep") in (
        ["The TeXbook", "Deep learning for triage"],
        ["Deep learning for triage", "The TeXbook"],
    )
    assert found("Smith2019deep triage") == ["Deep learning for triage"]
    assert found("deep -Smith2019deep") == ["Deep learning and Smith's 2019 rules"]


def test_key_shaped_queries_parse_as_one_word_matched_in_order():
    assert parse_query("Knuth:1984:TB") == Query(groups=((Term("Knuth:1984:TB"),),))
    assert parse_query("Knuth:1984:TB").terms[0].in_order
    assert parse_query("smith_2019").terms[0].in_order
    assert not parse_query("Smith2019deep").terms[0].in_order
    assert not parse_query("covid-19").terms[0].in_order
    assert not parse_query("title:").terms[0].in_order  # edge punctuation is dropped
    assert parse_query('"Knuth:1984:TB"').terms == (Term("Knuth:1984:TB"),)
    assert parse_query('"deep learning"').terms[0].in_order
    for text in ("Knuth:1984:", ":1984:TB", "a:b:c:d", "x__y", "2019:", "::", "_:_"):
        parse_query(text)  # never raises


def test_key_shaped_queries_that_match_nothing_do_not_break_either_backend(keyed):
    for text in ("Knuth:1984:", ":1984:TB", "a:b:c:d", "x__y", "Knuth:1984:TB:extra", "1984:"):
        run(text)
    assert titles("Knuth:1984:XX") == []


def test_changing_a_key_reindexes_the_record(keyed):
    keyed.texbook.citation_key = "knuth1984texbook"
    keyed.texbook.save()

    assert titles("knuth1984texbook") == ["The TeXbook"]
    assert titles("Knuth:1984:TB") == []


def test_keys_are_not_offered_as_did_you_mean_words(keyed):
    words = vocabulary()
    assert "smith2019deep" not in words
    assert "knuth84notes" not in words
    assert {"deep", "smith", "knuth"} <= words


def test_exports_of_a_key_search_hold_the_record(keyed):
    sql, params = matching_ids_sql(parse_query("Knuth:1984:TB"))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        assert [row[0] for row in cursor.fetchall()] == [keyed.texbook.pk]


def test_exports_order_the_record_whose_key_was_searched_first(keyed):
    params = SearchParams.build(query=parse_query("smith_2019"))
    sql, values = matching_ids_sql(params.query)
    articles = Article.objects.filter(pk__in=RawSQL(sql, values))  # noqa: S611
    ordered = order_queryset(articles, params=params)
    assert [article.title for article in ordered] == ["Alliance scales", "Rupture markers"]


def test_the_exact_key_comes_first_only_under_relevance(keyed):
    params = SearchParams.build(query=parse_query("smith_2019"), sort="newest")
    result = search.search(params=params)
    assert [article.title for article in result.articles] == ["Rupture markers", "Alliance scales"]


def test_the_search_page_answers_a_key(client, keyed):
    response = client.get("/search/", {"q": "Knuth:1984:TB"})
    assert response.status_code == 200
    assert "The TeXbook" in response.content.decode()
    assert "Typesetting in 1984" not in response.content.decode()


def vocabulary() -> set[str]:
    """Return the words offered for "did you mean" on this backend."""
    if connection.vendor == "postgresql":
        return set(SearchIndexWord.objects.values_list("word", flat=True))
    return set(SearchIndexVocabulary.objects.values_list("term", flat=True))


# --- Migration 0018 ----------------------------------------------------------------------------


def test_migration_0018_goes_back_to_peoples_names_only_and_forward_again(people, keyed):
    migration = importlib.import_module("catalogue.migrations.0018_search_printed_names")
    editor = SimpleNamespace(connection=connection)

    migration.backwards(None, editor)
    caches["default"].clear()
    assert found("P Nguyen") == []
    assert found("James") == []
    assert found("Smith2019deep") == []
    assert found("Patrick Nguyen") == ["Alliance ruptures", "Dropout in therapy"]

    migration.forwards(None, editor)
    caches["default"].clear()
    assert found("P Nguyen") == ["Alliance ruptures"]
    assert found("James") == ["Sleep and memory"]
    assert titles("Smith2019deep") == ["Deep learning for triage"]
    # The triggers of version 2 are back: a key change re-indexes.
    keyed.deep.citation_key = "smith2019triage"
    keyed.deep.save()
    assert titles("smith2019triage") == ["Deep learning for triage"]
