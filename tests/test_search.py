"""Tests for catalogue.search: query language, results, ranking, facets, freshness on writes.

Every test runs on SQLite and on PostgreSQL (DATABASE_URL=postgres://...): the same hand-built
catalogues give the same results on both.
"""

import pytest
from django.db import connection

from catalogue import search
from catalogue.models import Article, Author, Authorship, Keyword, OutputType
from catalogue.search import (
    FacetList,
    FacetValue,
    Query,
    QueryError,
    SearchError,
    SearchParams,
    Term,
    parse_query,
)
from tests.factories import make_article, make_author, make_journal, make_keyword, make_subject

pytestmark = pytest.mark.django_db


def run(q: str = "", *, page: int = 1, page_size: int = 20, **selections) -> search.SearchResult:
    """Return search() for the query text and selections (type=[...], not_type=[...], ...)."""
    include = {
        k: v for k, v in selections.items() if not k.startswith("not_") and k in search.FACETS
    }
    exclude = {k[4:]: v for k, v in selections.items() if k.startswith("not_")}
    params = SearchParams.build(
        query=parse_query(q),
        include=include,
        exclude=exclude,
        year_min=selections.get("year_min"),
        year_max=selections.get("year_max"),
        sort=selections.get("sort", "relevance"),
    )
    return search.search(params=params, page=page, page_size=page_size)


def titles(result: search.SearchResult) -> list[str]:
    return [article.title for article in result.articles]


def counts(result: search.SearchResult, facet: str) -> dict:
    """Return {label: count} of a facet's values, in display order."""
    return {value.label: value.count for value in result.facets[facet].values}


class Catalogue:
    """A small hand-built catalogue; attribute names say what each record is for."""

    def __init__(self) -> None:
        self.psychotherapy = make_journal(title="Psychotherapy Research")
        self.review = make_journal(title="Clinical Psychology Review")
        self.alliance = make_keyword(term="alliance")
        self.dropout = make_keyword(term="dropout")
        self.outcome = make_keyword(term="outcome")
        self.clinical = make_subject(name="Clinical Psychology", code="3203")
        self.fluckiger = make_author(family_name="Flückiger", given_names="Christoph")
        self.wampold = make_author(family_name="Wampold", given_names="Bruce E.")
        self.cuijpers = make_author(family_name="Cuijpers", given_names="Pim")
        self.in_title = make_article(
            title="The alliance in adult psychotherapy",
            abstract="A meta-analysis of outcome studies.",
            journal=self.psychotherapy,
            authors=[self.fluckiger, self.wampold],
            keywords=[self.outcome],
            subject_areas=[self.clinical],
            year=2018,
            month=5,
        )
        self.in_keyword = make_article(
            title="Dropout from internet interventions",
            abstract="Rates of dropout in trials.",
            journal=self.psychotherapy,
            authors=[self.cuijpers],
            keywords=[self.alliance, self.dropout],
            year=2020,
            language="de",
            peer_reviewed=False,
        )
        self.in_abstract = make_article(
            title="Common factors in psychotherapy",
            abstract="The therapeutic alliance is one of the common factors.",
            journal=self.review,
            authors=[self.wampold],
            keywords=[self.outcome],
            subject_areas=[self.clinical],
            year=2019,
            output_type=OutputType.REVIEW,
        )
        self.editorial = make_article(
            title="Editorial: a year of Zürich research",
            abstract="Notes from the editors.",
            journal=self.review,
            authors=[self.fluckiger],
            year=2021,
            output_type=OutputType.EDITORIAL,
            peer_reviewed=False,
        )
        self.undated = make_article(
            title="Therapeutic relationships without a date",
            abstract="The alliance, the alliance and the alliance again.",
            journal=None,
            authors=[self.cuijpers],
            year=None,
            language="",
        )


@pytest.fixture
def catalogue() -> Catalogue:
    return Catalogue()


# Query language -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "groups", "excluded"),
    [
        ("alliance", [["alliance"]], []),
        ("  alliance   outcome ", [["alliance"], ["outcome"]], []),
        ('"therapeutic alliance" outcome', [['"therapeutic alliance"'], ["outcome"]], []),
        ("dropout OR zurich", [["dropout", "zurich"]], []),
        ("a1 OR b2 c3", [["a1", "b2"], ["c3"]], []),
        ("alliance -dropout", [["alliance"]], ["dropout"]),
        ('alliance -"common factors"', [["alliance"]], ['"common factors"']),
        ("alliance NOT dropout", [["alliance"]], ["dropout"]),
        ("alliance AND outcome", [["alliance"], ["outcome"]], []),
        ("the alliance of therapy", [["alliance"], ["therapy"]], []),
        ('"alliance"', [["alliance"]], []),
        ("(alliance)", [["alliance"]], []),
        ("alliance alliance", [["alliance"]], []),
    ],
)
def test_parse_query(text, groups, excluded):
    query = parse_query(text)

    assert [[str(term) for term in group] for group in query.groups] == groups
    assert [str(term) for term in query.excluded] == excluded


@pytest.mark.parametrize(
    ("text", "canonical", "warning"),
    [
        ('"therapeutic alliance', '"therapeutic alliance"', "The closing quotation mark"),
        ("OR alliance", "alliance", "“OR” needs a word on each side"),
        ("alliance OR", "alliance", "“OR” needs a word on each side"),
        ("alliance OR OR outcome", "alliance OR outcome", "“OR” needs a word on each side"),
        ("alliance - outcome", "alliance outcome", "A minus sign must touch the word"),
        ("alliance -", "alliance", "A lone “-” at the end was ignored."),
        ("alliance OR -dropout", "alliance -dropout", "An excluded word cannot be one of"),
        ("the alliance", "alliance", "Very common words were left out: “the”."),
    ],
)
def test_odd_syntax_is_repaired_with_a_warning(text, canonical, warning):
    query = parse_query(text)

    assert str(query) == canonical
    assert any(message.startswith(warning) for message in query.warnings), query.warnings


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a" * 501, "Your search is too long: please use at most 500 characters (it has 501)."),
        ("alli\x00ance", "Your search contains a null character: please retype it."),
        ("-dropout", "A search needs at least one word to look for, not only excluded words"),
        ("the of and", "Your search has only very common words (“the”, “of”, “and”)"),
    ],
)
def test_unsearchable_queries_raise_with_a_message(text, message):
    with pytest.raises(QueryError) as error:
        parse_query(text)

    assert str(error.value).startswith(message)


@pytest.mark.parametrize(
    "text",
    [
        "10.1037/a0040435",
        "doi:10.1037/A0040435",
        "DOI: 10.1037/a0040435",
        "https://doi.org/10.1037/a0040435",
        " http://dx.doi.org/10.1037/a0040435 ",
    ],
)
def test_a_pasted_doi_is_recognised(text):
    assert parse_query(text) == Query(doi="10.1037/a0040435")


def test_a_query_of_symbols_only_searches_nothing_and_says_so():
    query = parse_query(" \\ -- ** ")

    assert query.is_empty
    assert query.warnings == (
        "“\\ -- **” has no letters or digits to search for: showing every article.",
    )


def test_too_many_terms_are_cut_with_a_warning():
    query = parse_query(" ".join(f"word{n}" for n in range(40)))

    assert len(query.terms) == search.query.MAX_TERMS
    assert "Only the first 24 words of your search were used." in query.warnings


# Matching -----------------------------------------------------------------------------------------


def both_words_order() -> list[str]:
    """Return the order of the two records holding "alliance" and "psychotherapy".

    On SQLite "alliance", in four of the five records, weighs nothing in bm25, and the two
    records with "psychotherapy" in their title tie but for their length in words: one word
    more for each keyword or name after the first (migration 0028's separator, which keeps a
    phrase within one value) puts the record with two authors second.
    """
    order = ["The alliance in adult psychotherapy", "Common factors in psychotherapy"]
    return order[::-1] if connection.vendor == "sqlite" else order


def test_every_word_must_match_stemmed_and_in_any_field(catalogue):
    assert sorted(titles(run("alliances"))) == [
        "Common factors in psychotherapy",
        "Dropout from internet interventions",
        "The alliance in adult psychotherapy",
        "Therapeutic relationships without a date",
    ]
    assert titles(run("alliance psychotherapy")) == both_words_order()
    assert titles(run("alliance zebra")) == []


def test_title_ranks_above_keyword_above_abstract(catalogue):
    result = run("alliance")

    # Title, then keyword, then the two abstract matches (the one saying it three times first).
    assert titles(result)[:2] == [
        "The alliance in adult psychotherapy",
        "Dropout from internet interventions",
    ]
    assert set(titles(result)[2:]) == {
        "Common factors in psychotherapy",
        "Therapeutic relationships without a date",
    }
    scores = [article.score for article in result.articles]
    assert scores == sorted(scores, reverse=True)


def test_relevance_under_selections_keeps_the_order_and_scores_of_the_unfiltered_search(
    catalogue,
):
    # With selections the matches are taken from a context that leaves one selection out
    # (PostgreSQL): ranking them must give the scores the search without selections gives.
    everything = {a.title: a.score for a in run("alliance").articles}
    narrowed = run("alliance", type=["article"], year_min=1900, not_keyword=[catalogue.dropout.pk])

    assert titles(narrowed)
    assert [a.score for a in narrowed.articles] == [everything[t] for t in titles(narrowed)]
    assert titles(narrowed) == [t for t in titles(run("alliance")) if t in set(titles(narrowed))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "fluckiger",
            ["Editorial: a year of Zürich research", "The alliance in adult psychotherapy"],
        ),
        (
            "FLÜCKIGER",
            ["Editorial: a year of Zürich research", "The alliance in adult psychotherapy"],
        ),
        ("zurich", ["Editorial: a year of Zürich research"]),
        ("Zürich", ["Editorial: a year of Zürich research"]),
        ("wampold", ["Common factors in psychotherapy", "The alliance in adult psychotherapy"]),
    ],
)
def test_accents_and_case_do_not_matter_and_authors_are_searchable(catalogue, text, expected):
    assert sorted(titles(run(text))) == sorted(expected)


def test_a_phrase_needs_its_words_together_and_in_order(catalogue):
    assert titles(run('"therapeutic alliance"')) == ["Common factors in psychotherapy"]
    assert titles(run('"alliance therapeutic"')) == []
    # The words on their own match two records.
    assert sorted(titles(run("therapeutic alliance"))) == [
        "Common factors in psychotherapy",
        "Therapeutic relationships without a date",
    ]


def test_excluded_words_and_or(catalogue):
    assert sorted(titles(run("alliance -dropout -date"))) == [
        "Common factors in psychotherapy",
        "The alliance in adult psychotherapy",
    ]
    assert sorted(titles(run("dropout OR zurich"))) == [
        "Dropout from internet interventions",
        "Editorial: a year of Zürich research",
    ]
    assert sorted(titles(run('alliance -"common factors"'))) == [
        "Dropout from internet interventions",
        "The alliance in adult psychotherapy",
        "Therapeutic relationships without a date",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "' OR 1=1 --",
        '"; DROP TABLE catalogue_article; --',
        "<script>alert(1)</script>",
        "100% _ \\ ' \"",
        "a:b c* NEAR(d) {title}: e ^f",
    ],
)
def test_sql_html_and_fts_syntax_in_the_query_are_just_text(catalogue, text):
    result = run(text) if parse_query(text).groups else None

    assert result is None or result.total == 0
    assert Article.objects.count() == 5


# Sorting and paging -------------------------------------------------------------------------------


def test_sorts(catalogue):
    assert titles(run("", sort="newest")) == [
        "Editorial: a year of Zürich research",
        "Dropout from internet interventions",
        "Common factors in psychotherapy",
        "The alliance in adult psychotherapy",
        "Therapeutic relationships without a date",
    ]
    assert titles(run("", sort="oldest")) == [
        "The alliance in adult psychotherapy",
        "Common factors in psychotherapy",
        "Dropout from internet interventions",
        "Editorial: a year of Zürich research",
        "Therapeutic relationships without a date",
    ]
    assert titles(run("", sort="title")) == [
        "Common factors in psychotherapy",
        "Dropout from internet interventions",
        "Editorial: a year of Zürich research",
        "The alliance in adult psychotherapy",
        "Therapeutic relationships without a date",
    ]
    # Relevance without words is newest first.
    assert titles(run("")) == titles(run("", sort="newest"))


def test_paging(catalogue):
    first, second, third = (run("", sort="title", page=n, page_size=2) for n in (1, 2, 3))

    assert titles(first) + titles(second) + titles(third) == titles(run("", sort="title"))
    assert (first.total, first.num_pages, first.start_index, first.end_index) == (5, 3, 1, 2)
    assert (third.start_index, third.end_index, third.has_next, third.has_previous) == (
        5, 5, False, True,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("page", "page_size", "field", "message"),
    [
        (4, 2, "page", "There is no page 4: the results have 3 pages."),
        (0, 2, "page", "Pages are numbered from 1."),
        (1, 0, "page_size", "The page size must be between 1 and 100 results (it was 0)."),
        (1, 100_000, "page_size", "The page size must be between 1 and 100 results"),
        (999_999, 20, "page", "Only the first 10,000 results can be paged through"),
    ],
)
def test_pages_out_of_range_are_refused(catalogue, page, page_size, field, message):
    with pytest.raises(SearchError) as error:
        run("", page=page, page_size=page_size)

    assert error.value.field == field
    assert error.value.message.startswith(message)


# Facets -------------------------------------------------------------------------------------------


def test_facet_counts_of_the_whole_catalogue(catalogue):
    result = run("")

    assert result.total == 5
    assert counts(result, "type") == {"Article": 3, "Editorial": 1, "Review article": 1}
    assert counts(result, "journal") == {
        "Clinical Psychology Review": 2,
        "Psychotherapy Research": 2,
    }
    assert counts(result, "author") == {
        "Christoph Flückiger": 2,
        "Pim Cuijpers": 2,
        "Bruce E. Wampold": 2,
    }
    assert counts(result, "keyword") == {"outcome": 2, "alliance": 1, "dropout": 1}
    assert counts(result, "subject") == {"Clinical Psychology": 2}
    assert counts(result, "language") == {"English": 3, "German": 1}
    assert counts(result, "peer_reviewed") == {"Peer reviewed": 3, "Not peer reviewed": 2}
    assert counts(result, "year") == {"2021": 1, "2020": 1, "2019": 1, "2018": 1}
    assert not result.approximate


def test_values_of_one_facet_combine_with_or_different_facets_with_and(catalogue):
    either = run("", keyword=[catalogue.alliance.pk, catalogue.outcome.pk])
    assert sorted(titles(either)) == [
        "Common factors in psychotherapy",
        "Dropout from internet interventions",
        "The alliance in adult psychotherapy",
    ]

    both = run("", keyword=[catalogue.alliance.pk, catalogue.outcome.pk], type=["article"])
    assert sorted(titles(both)) == [
        "Dropout from internet interventions",
        "The alliance in adult psychotherapy",
    ]


def test_each_facet_counts_without_its_own_selection(catalogue):
    result = run("", journal=[catalogue.psychotherapy.pk])

    assert result.total == 2
    # The journal facet still shows the other journal, as if no journal were chosen...
    assert counts(result, "journal") == {
        "Clinical Psychology Review": 2,
        "Psychotherapy Research": 2,
    }
    journal_values = {value.label: value.selected for value in result.facets["journal"].values}
    assert journal_values == {"Clinical Psychology Review": False, "Psychotherapy Research": True}
    # ...while every other facet counts within the chosen journal.
    assert counts(result, "type") == {"Article": 2}
    assert counts(result, "author") == {
        "Christoph Flückiger": 1,
        "Pim Cuijpers": 1,
        "Bruce E. Wampold": 1,
    }
    assert counts(result, "language") == {"English": 1, "German": 1}


def test_each_facet_excludes_only_itself_with_words_and_several_selections(catalogue):
    result = run("alliance", type=["article"], language=["en"])

    assert sorted(titles(result)) == [
        "The alliance in adult psychotherapy",
    ]
    # type: counted over "alliance" in English (not restricted to articles).
    assert counts(result, "type") == {"Article": 1, "Review article": 1}
    # language: counted over "alliance" articles of type article (any language).
    assert counts(result, "language") == {"English": 1, "German": 1}
    # keyword: counted within every selection.
    assert counts(result, "keyword") == {"outcome": 1}


def test_exclusions(catalogue):
    assert sorted(titles(run("", not_type=["editorial", "review"]))) == [
        "Dropout from internet interventions",
        "The alliance in adult psychotherapy",
        "Therapeutic relationships without a date",
    ]
    # Excluding a journal keeps the article without a journal.
    assert sorted(titles(run("", not_journal=[catalogue.review.pk]))) == [
        "Dropout from internet interventions",
        "The alliance in adult psychotherapy",
        "Therapeutic relationships without a date",
    ]
    excluded = run("", not_author=[catalogue.cuijpers.pk, catalogue.wampold.pk])
    assert titles(excluded) == ["Editorial: a year of Zürich research"]
    # The excluded values stay listed in their own facet, marked.
    marked = {v.label: (v.count, v.excluded) for v in excluded.facets["author"].values}
    assert marked == {
        "Christoph Flückiger": (2, False),
        "Pim Cuijpers": (2, True),
        "Bruce E. Wampold": (2, True),
    }


def test_year_range_and_peer_review(catalogue):
    result = run("", year_min=2019, year_max=2020, peer_reviewed=[True])

    assert titles(result) == ["Common factors in psychotherapy"]
    # The year histogram is counted without the range, the other facets within it.
    assert counts(result, "year") == {"2019": 1, "2018": 1}
    assert counts(result, "peer_reviewed") == {"Peer reviewed": 1, "Not peer reviewed": 1}


def test_a_selected_value_without_results_is_still_listed(catalogue):
    result = run("dropout", type=["dataset"])

    assert result.total == 0
    values = result.facets["type"].values
    assert [(v.label, v.count, v.selected) for v in values] == [
        ("Article", 1, False),
        ("Dataset", 0, True),
    ]


def test_unknown_ids_are_refused(catalogue):
    with pytest.raises(SearchError) as error:
        run("", keyword=[catalogue.alliance.pk, 987654])

    assert (error.value.field, error.value.message) == (
        "keyword",
        "There is no keyword with the id 987654.",
    )
    with pytest.raises(SearchError, match=r"^There is no journal with the id 5555\.$"):
        run("", not_journal=[5555])
    # An author's label is built from name parts: on PostgreSQL a missing row gave "", not NULL.
    with pytest.raises(SearchError, match=r"^There is no author with the id 99999\.$"):
        run("", author=[99999])
    with pytest.raises(SearchError, match=r"^There is no author with the id 99998\.$"):
        run("", not_author=[99998])


def test_only_the_top_values_are_listed_with_more(db):
    keywords = [make_keyword(term=f"term {n:02d}") for n in range(12)]
    for n, keyword in enumerate(keywords):
        for _ in range(n + 1):
            make_article(keywords=[keyword])

    result = run("", keyword=[keywords[0].pk])

    facet = result.facets["keyword"]
    assert facet.has_more
    # The eight most frequent, plus the selected one though it is the rarest.
    assert [(v.label, v.count) for v in facet.values] == [
        (f"term {n:02d}", n + 1) for n in range(11, 3, -1)
    ] + [("term 00", 1)]


def test_facet_values_full_list_sorted_and_filtered(catalogue):
    params = SearchParams.build(query=parse_query("alliance OR dropout OR zurich"))

    # Equal counts are listed by family name.
    by_count = search.facet_values(params=params, facet="author")
    assert [(v.label, v.count) for v in by_count.values] == [
        ("Pim Cuijpers", 2),
        ("Christoph Flückiger", 2),
        ("Bruce E. Wampold", 2),
    ]
    by_name = search.facet_values(params=params, facet="author", sort="az")
    assert [v.label for v in by_name.values] == [
        "Pim Cuijpers",
        "Christoph Flückiger",
        "Bruce E. Wampold",
    ]
    assert [
        v.label for v in search.facet_values(params=params, facet="author", text="FLUCK").values
    ] == ["Christoph Flückiger"]
    types = search.facet_values(params=params, facet="type", sort="az", text="ÁRT")
    assert [(v.label, v.count) for v in types.values] == [("Article", 3), ("Review article", 1)]
    assert types.total_values == 2


@pytest.mark.parametrize("q", ["", "tied"])
def test_facet_values_pages_split_tied_counts_in_label_order(db, q):
    # 130 keywords: 10 counted 3 times, 50 twice, 70 once; labels not in id order, so a page
    # boundary inside a run of equal counts must be placed by label.
    keywords = [make_keyword(term=f"kw {(n * 37) % 130:03d}") for n in range(130)]
    for first in (130, 60, 10):
        make_article(title="Tied counts", keywords=keywords[:first])
    params = SearchParams.build(query=parse_query(q))
    expected = {
        "count": sorted(
            ((k.term, 3 if n < 10 else 2 if n < 60 else 1) for n, k in enumerate(keywords)),
            key=lambda pair: (-pair[1], pair[0]),
        )
    }
    expected["az"] = sorted(expected["count"])

    for sort in ("count", "az"):
        pages = [
            search.facet_values(params=params, facet="keyword", sort=sort, page=page)
            for page in (1, 2)
        ]

        assert [listing.total_values for listing in pages] == [130, 130]
        assert [(v.label, v.count) for v in pages[0].values] == expected[sort][:100]
        assert [(v.label, v.count) for v in pages[1].values] == expected[sort][100:]
    with pytest.raises(SearchError, match=r"^There is no page 3 of this list\.$"):
        search.facet_values(params=params, facet="keyword", page=3)


@pytest.mark.parametrize("sort", ["az", "count"])
@pytest.mark.parametrize("facet", ["author", "journal", "keyword", "subject"])
def test_facet_values_of_everything_equal_those_of_a_search_matching_everything(db, facet, sort):
    # Namesakes with different counts, accents, particles, corporate names.
    _labelled_values()
    namesake = make_author(family_name="Smith", given_names="Ann")
    make_article(
        authors=[namesake, make_author(family_name="Émile", given_names="Zoë")],
        keywords=[make_keyword(term="Ärzte"), make_keyword(term="arzte b")],
        journal=make_journal(title="Ärzteblatt"),
    )
    make_article(authors=[namesake], journal=None)

    whole, searched = _whole_and_searched(facet, sort=sort, page=1)

    assert [(v.id, v.label, v.count) for v in whole.values] == [
        (v.id, v.label, v.count) for v in searched.values
    ]
    assert whole.total_values == searched.total_values == len(whole.values)
    if facet == "author" and sort == "az":
        # By family name, a body by its name, namesakes by count.
        assert [(v.label, v.count) for v in whole.values] == [
            ("Ada van der Berg", 1),
            ("Zoë Émile", 1),
            ("Christoph Flückiger", 1),
            ("Martin Luther King Jr.", 1),
            ("Open Science Collaboration", 1),
            ("Ann Smith", 2),
            ("Ann Smith", 1),
        ]


@pytest.mark.parametrize("sort", ["az", "count"])
def test_facet_values_pages_of_everything_equal_those_of_a_search_with_namesakes(db, sort):
    # 130 authors under 5 names, counted 3, 2 or 1 times: page 2 of the A-Z list is read from
    # the end on PostgreSQL, and namesakes are ordered by count, then id, as on page 1.
    people = [make_author(family_name=f"Lee{n % 5}", given_names="Ann") for n in range(130)]
    for first in (130, 60, 10):
        make_article(title="Namesakes", authors=people[:first])
    everything = SearchParams.build()

    for page in (1, 2):
        whole, searched = _whole_and_searched("author", sort=sort, page=page)

        assert [(v.id, v.count) for v in whole.values] == [(v.id, v.count) for v in searched.values]
        assert len(whole.values) == (100 if page == 1 else 30)
    with pytest.raises(SearchError, match=r"^There is no page 3 of this list\.$"):
        search.facet_values(params=everything, facet="author", sort=sort, page=3)
    with pytest.raises(SearchError, match=r"^There is no page 999999999 of this list\.$"):
        search.facet_values(params=everything, facet="author", sort=sort, page=999_999_999)


@pytest.mark.postgres
@pytest.mark.parametrize("facet", ["author", "keyword"])
def test_facet_values_a_z_of_everything_are_read_in_order_from_the_sort_key_index(facet):
    from catalogue.search import postgres

    _labelled_values()

    # Sorting a handful of rows is cheaper than reading an index; at 1M it is not.
    plan = _facet_list_plan(facet, sort="az", text="", disable=("seqscan", "sort"))

    table = postgres.LABEL_TABLES[facet][0]
    assert f"Index Scan using {table}_sort_key on {table}" in plan


@pytest.mark.postgres
def test_facet_values_by_count_of_everything_read_only_the_pages_counts_from_the_index():
    _labelled_values()

    plan = _facet_list_plan("author", sort="count", text="", disable=("seqscan",))

    # The page's band of counts is an index condition, not a filter over every count.
    bounded = [line for line in plan.splitlines() if "Index Cond" in line and "count <= $" in line]
    assert len(bounded) == 1, plan
    assert "CTE Scan on counted" not in plan


def _whole_and_searched(facet: str, *, sort: str, page: int) -> tuple[FacetList, FacetList]:
    """Return a page of the facet's list over the whole catalogue, and over a search that
    matches every article (so counted by the general statement, not the whole-catalogue one)."""
    matching_all = SearchParams.build(exclude={"type": ["editorial"]})
    return tuple(
        search.facet_values(params=params, facet=facet, sort=sort, page=page)
        for params in (SearchParams.build(), matching_all)
    )


def _labelled_values():
    """Return a catalogue whose labels have accents, particles, suffixes and LIKE wildcards."""
    people = [
        make_author(family_name="Flückiger", given_names="Christoph"),
        make_author(family_name="Berg", given_names="Ada", particle="van der"),
        make_author(family_name="King", given_names="Martin Luther", suffix="Jr."),
        make_author(corporate_name="Open Science Collaboration"),
        make_author(family_name="Smith", given_names="Ann"),
    ]
    keywords = [make_keyword(term=term) for term in ("50% rule", "drop_out", "dropout", "rule")]
    journal = make_journal(title="Psychotherapy Research")
    subject = make_subject(name="Clinical Psychology")
    make_article(
        authors=people[:3], keywords=keywords[:2], journal=journal, subject_areas=[subject]
    )
    make_article(
        authors=people[3:], keywords=keywords[2:], output_type=OutputType.BOOK, journal=None
    )


def _facet_list_plan(facet: str, *, sort: str, text: str, disable: tuple[str, ...]) -> str:
    """Return the EXPLAIN of the whole catalogue's facet list, with planner methods disabled."""
    from catalogue.search import postgres

    statement = postgres.facet_list_statement(
        params=SearchParams.build(),
        facet=facet,
        sort=sort,
        text=text,
        offset=0,
        limit=100,
        settings=search.postgres_settings(),
    )
    with connection.cursor() as cursor:
        for method in disable:
            cursor.execute(f"SET LOCAL enable_{method} = off")
        cursor.execute("EXPLAIN " + statement.sql, statement.params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _filtered(facet: str, text: str, **selections) -> list[tuple[str, int]]:
    include = {name: values for name, values in selections.items()}
    listing = search.facet_values(
        params=SearchParams.build(include=include), facet=facet, sort="az", text=text
    )
    assert listing.total_values == len(listing.values)
    return [(value.label, value.count) for value in listing.values]


@pytest.mark.parametrize(
    ("facet", "text", "expected"),
    [
        ("author", "FLUCK", [("Christoph Flückiger", 1)]),
        ("author", "van der b", [("Ada van der Berg", 1)]),
        ("author", "king jr", [("Martin Luther King Jr.", 1)]),
        ("author", "science coll", [("Open Science Collaboration", 1)]),
        ("author", "zz", []),
        # LIKE's wildcards are literal characters of the text.
        ("keyword", "%", [("50% rule", 1)]),
        ("keyword", "_", [("drop_out", 1)]),
        ("keyword", "p_", [("drop_out", 1)]),
        ("keyword", "RULE", [("50% rule", 1), ("rule", 1)]),
        ("journal", "THÉRAPY r", [("Psychotherapy Research", 1)]),
        ("subject", "psych", [("Clinical Psychology", 1)]),
    ],
)
def test_facet_values_of_the_whole_catalogue_filtered_by_label(facet, text, expected):
    _labelled_values()

    assert _filtered(facet, text) == expected


def test_facet_values_filtered_by_label_within_a_selection():
    _labelled_values()

    assert _filtered("keyword", "rule", type=[OutputType.BOOK]) == [("rule", 1)]
    assert _filtered("author", "a", type=[OutputType.ARTICLE]) == [
        ("Ada van der Berg", 1),
        ("Martin Luther King Jr.", 1),
    ]


@pytest.mark.postgres
def test_author_labels_in_sql_are_the_display_names():
    people = [
        make_author(family_name="Berg", given_names="Ada", particle="van der", suffix="III"),
        make_author(family_name="Solo", given_names=""),
        make_author(corporate_name="Open Science Collaboration"),
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT catalogue_author_name(given_names, particle, family_name, suffix, "
            "corporate_name) FROM catalogue_author ORDER BY id"
        )
        names = [name for (name,) in cursor.fetchall()]

    assert names == [person.display_name for person in people]
    assert names == ["Ada van der Berg III", "Solo", "Open Science Collaboration"]


@pytest.mark.postgres
@pytest.mark.parametrize("facet", ["author", "journal", "keyword", "subject"])
def test_facet_values_are_found_by_the_labels_trigram_index(facet):
    from catalogue.search import postgres

    _labelled_values()

    plan = _facet_list_plan(facet, sort="count", text="clinical", disable=("seqscan",))

    table = postgres.LABEL_TABLES[facet][0]
    assert f"Bitmap Index Scan on {table}_label_trgm" in plan


def test_facet_values_of_a_selected_facet_ignore_its_selection(catalogue):
    params = SearchParams.build(include={"journal": [catalogue.review.pk]})

    listing = search.facet_values(params=params, facet="journal")

    assert [(v.label, v.count, v.selected) for v in listing.values] == [
        ("Clinical Psychology Review", 2, True),
        ("Psychotherapy Research", 2, False),
    ]


# Highlights, snippets, suggestions ----------------------------------------------------------------


def test_matched_words_are_marked_and_everything_else_escaped(db):
    make_article(
        title="<u>Under</u> <i>E. coli</i> & the alliance",
        abstract="Before. " + "filler " * 60 + "The alliance matters <script>x</script>. After.",
    )

    article = run("alliance").articles[0]

    assert str(article.title_html) == (
        "&lt;u&gt;Under&lt;/u&gt; <i>E. coli</i> &amp; the <mark>alliance</mark>"
    )
    assert "<mark>alliance</mark>" in article.snippet_html
    # PostgreSQL's snippet drops tags, SQLite's keeps them as escaped text: never as markup.
    assert "<script>" not in article.snippet_html
    assert "<u>" not in article.snippet_html


def test_without_words_the_snippet_is_the_abstract_start(db):
    make_article(title="Plain", abstract=" ".join(f"w{n}" for n in range(50)))

    article = run("").articles[0]

    assert str(article.snippet_html) == " ".join(f"w{n}" for n in range(40)) + " …"


def test_did_you_mean_when_nothing_matches(catalogue):
    result = run("aliance psychoterapy")

    assert result.total == 0
    assert result.suggestion == "alliance psychotherapy"
    assert titles(run(result.suggestion)) == both_words_order()
    assert run("alliance").suggestion == ""


def test_highlight_html_drops_unbalanced_markers():
    assert str(search.highlight_html("a \ue000b")) == "a b"
    assert str(search.highlight_html("<x> \ue000b\ue001")) == "&lt;x&gt; <mark>b</mark>"


# Freshness: the index follows every write path ----------------------------------------------------


def test_saving_an_article_updates_the_index(catalogue):
    article = catalogue.in_abstract
    article.title = "Flourishing alliances"
    article.output_type = OutputType.ARTICLE
    article.save()

    assert titles(run("flourishing")) == ["Flourishing alliances"]
    assert titles(run('"common factors"')) == ["Flourishing alliances"]  # still in the abstract
    assert titles(run("factors psychotherapy")) == []
    assert counts(run(""), "type") == {"Article": 4, "Editorial": 1}


def test_links_and_renames_update_the_index(catalogue):
    article = catalogue.editorial
    article.keywords.add(catalogue.dropout)
    Authorship.objects.create(article=article, author=catalogue.cuijpers, position=2)

    assert sorted(titles(run("dropout"))) == [
        "Dropout from internet interventions",
        "Editorial: a year of Zürich research",
    ]
    assert titles(run("cuijpers zurich")) == ["Editorial: a year of Zürich research"]

    Keyword.objects.filter(pk=catalogue.dropout.pk).update(term="attrition")
    Author.objects.filter(pk=catalogue.cuijpers.pk).update(family_name="Cuypers")
    assert sorted(titles(run("attrition"))) == [
        "Dropout from internet interventions",
        "Editorial: a year of Zürich research",
    ]
    assert titles(run("cuypers zurich")) == ["Editorial: a year of Zürich research"]
    assert counts(run("zurich"), "keyword") == {"attrition": 1}

    article.keywords.remove(catalogue.dropout)
    Authorship.objects.filter(article=article, author=catalogue.cuijpers).delete()
    assert titles(run("attrition")) == ["Dropout from internet interventions"]
    assert titles(run("cuypers zurich")) == []


def test_deleting_an_article_removes_it(catalogue):
    catalogue.in_title.delete()

    assert titles(run("adult")) == []
    result = run("")
    assert result.total == 4
    assert counts(result, "year") == {"2021": 1, "2020": 1, "2019": 1}


def test_bulk_create_is_indexed(catalogue):
    articles = Article.objects.bulk_create(
        Article(title=f"Bulk loaded item {n}", year=2000 + n, output_type="report")
        for n in range(3)
    )
    Authorship.objects.bulk_create(
        Authorship(article=article, author=catalogue.wampold, position=1) for article in articles
    )

    result = run("bulk wampold")
    assert result.total == 3
    assert counts(result, "type") == {"Report": 3}


def test_refresh_search_index_repairs_and_reports(catalogue):
    assert search.refresh_search_index([catalogue.in_title.pk]) == (
        0 if connection.vendor == "postgresql" else 1
    )
    assert search.refresh_search_index() >= 0
    assert titles(run("adult")) == ["The alliance in adult psychotherapy"]


def test_importer_writes_are_indexed(db):
    from catalogue import importer

    data = (
        "@article{a, title={Importable ruminations on the alliance}, author={Zölle, Anna and "
        "Brant, Ben}, journal={Imported Journal}, year={2015}, keywords={rumination; alliance}}"
    ).encode()

    importer.run_import(data=data, filename="one.bib")

    result = run("zolle rumination")
    assert titles(result) == ["Importable ruminations on the alliance"]
    assert counts(result, "keyword") == {"alliance": 1, "rumination": 1}
    assert counts(result, "journal") == {"Imported Journal": 1}


def test_generator_writes_are_indexed(db):
    from catalogue.synthetic import generate_catalogue

    generate_catalogue(articles=30, seed=11, batch_size=7)

    result = run("")
    assert result.total == 30
    assert sum(value.count for value in result.facets["type"].values) <= 30
    some = Article.objects.order_by("pk").first()
    word = max(some.title.split(), key=len).strip(":?,.")
    assert some.pk in [article.pk for article in run(f'"{word}"', page_size=100).articles]


@pytest.mark.postgres
def test_bulk_statements_are_indexed_at_commit_on_postgresql(db):
    from catalogue.synthetic import generate_catalogue

    with connection.cursor() as cursor:
        # Every statement counts as "bulk": queued, then indexed when the generator runs
        # SET CONSTRAINTS ALL IMMEDIATE (as COMMIT would); more than 10 queued articles
        # take the bulk-load path (indexes dropped and rebuilt, facets recounted).
        cursor.execute("SET LOCAL catalogue.search_defer_rows = 0")
        cursor.execute("SET LOCAL catalogue.search_bulk_rows = 10")
    generate_catalogue(articles=40, seed=12, batch_size=10)

    result = run("")
    assert result.total == 40
    assert sum(value.count for value in result.facets["peer_reviewed"].values) == 40
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM catalogue_search_pending")
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'catalogue_search' "
            "AND indexname LIKE 'catalogue_search_%%'"
        )
        # The primary key and the ten rebuilt: nine whole-table, one over the probe.
        assert cursor.fetchone()[0] == 11


@pytest.mark.postgres
def test_index_refreshes_never_jit_compile(db):
    # In an import's transaction the just-filled tables have no statistics: the planner priced
    # each 5,000-article refresh high enough to JIT-compile it, a second per chunk.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proname, proconfig FROM pg_proc WHERE proname IN "
            "('catalogue_search_refresh', 'catalogue_search_flush') ORDER BY proname"
        )
        rows = cursor.fetchall()
    assert [name for name, _ in rows] == ["catalogue_search_flush", "catalogue_search_refresh"]
    for _, config in rows:
        assert "jit=off" in config


@pytest.mark.postgres
def test_index_rows_keep_their_id_arrays_uncompressed_and_the_document_in_toast(db):
    # Compressed arrays were decompressed for every facet count and filter on every row.
    keywords = [make_keyword(term=f"keyword number {n}") for n in range(12)]
    authors = [make_author(family_name=f"Author{n}", given_names="Ann") for n in range(8)]
    article = make_article(
        title="A long record",
        abstract=" ".join(f"finding{n}" for n in range(400)),
        keywords=keywords,
        authors=authors,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(keyword_ids), pg_column_compression(author_ids), "
            "pg_column_compression(title_key), pg_column_size(document) > 2000 "
            "FROM catalogue_search WHERE article_id = %s",
            [article.pk],
        )
        # Over the 512-byte target PostgreSQL first moves the document out of the row; the
        # arrays would be compressed only if the row were still too long after that.
        assert cursor.fetchone() == (None, None, None, True)
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'catalogue_search'")
        assert "toast_tuple_target=512" in cursor.fetchone()[0]


@pytest.mark.postgres
def test_index_and_catalogue_counts_match_a_rebuild_after_writes(catalogue):
    catalogue.editorial.keywords.add(catalogue.alliance, catalogue.outcome)
    catalogue.in_keyword.delete()
    Article.objects.filter(pk=catalogue.undated.pk).update(year=1999, language="fr")
    make_article(title="Late addition", keywords=[catalogue.dropout], year=2024)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM catalogue_search s FULL JOIN catalogue_search_source f "
            "USING (article_id) WHERE (s.document, s.year, s.output_type, s.language, "
            "s.journal_id, s.keyword_ids, s.author_ids, s.subject_ids) IS DISTINCT FROM "
            "(f.document, f.year, f.output_type, f.language, f.journal_id, f.keyword_ids, "
            "f.author_ids, f.subject_ids)"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT count(*) FROM (SELECT v.facet, v.value, count(*) AS n FROM catalogue_search "
            "s CROSS JOIN LATERAL catalogue_search_facet_values(s) v GROUP BY 1, 2) live "
            "FULL JOIN (SELECT * FROM catalogue_search_facet WHERE count <> 0) kept "
            "USING (facet, value) WHERE live.n IS DISTINCT FROM kept.count"
        )
        assert cursor.fetchone()[0] == 0


# Approximate counts (PostgreSQL, above the exact threshold) ---------------------------------------


@pytest.mark.postgres
def test_large_results_get_sampled_counts_flagged_and_exact_totals_under_a_selection(
    db, settings, monkeypatch
):
    from catalogue.search import postgres

    # The probe that sizes a result set reads 1/64 of it: thresholds far above 64 are stable.
    settings.SEARCH_EXACT_THRESHOLD = 200
    settings.SEARCH_EXACT_THRESHOLD_OTHER_VALUES = 200
    settings.SEARCH_FACET_SAMPLE = 100
    journal = make_journal(title="Big Journal")
    # Statements of up to 1,000 articles are indexed at once (larger ones at commit).
    Article.objects.bulk_create(
        (
            Article(title=f"Sampled study {n}", journal=journal, year=1990 + n % 60)
            for n in range(1200)
        ),
        batch_size=500,
    )

    result = run("sampled", page_size=10)

    # Words alone, above the threshold: estimated from a random sample, and flagged.
    assert not result.total_exact
    assert result.approximate
    assert 600 <= result.total <= 2400
    assert all(facet.approximate for facet in result.facets.values() if facet.values)
    assert 600 <= result.facets["journal"].values[0].count <= 2400
    # Relevance ranked the sampled matches; paging stops at the end of them.
    assert 20 <= result.ranking_window <= 400
    assert result.num_pages == -(-result.ranking_window // 10)
    # The full list of a facet's values is counted the same way.
    listing = search.facet_values(params=result.params, facet="journal")
    assert listing.approximate
    assert [value.label for value in listing.values] == ["Big Journal"]
    # Under a selected facet value the total is exact, whatever the size.
    selected = run("sampled", journal=[journal.pk], page_size=10)
    assert (selected.total, selected.total_exact) == (1200, True)
    # Within a selection small enough, every count is exact again except the year facet,
    # counted without the year selection.
    small = run("sampled", year_min=2049)
    assert (small.total, small.total_exact) == (20, True)
    assert [name for name, facet in small.facets.items() if facet.approximate] == ["year"]
    assert counts(small, "journal") == {"Big Journal": 20}
    # So it is with a year range, whether the years are read from their index or checked on
    # the word's rows (ROW_READ_COST 0: always checked; 10**9: checked only when the probe
    # finds no row outside the range).
    for row_read_cost in (0, 10**9):
        monkeypatch.setattr(postgres.contexts, "ROW_READ_COST", row_read_cost)
        ranged = run("sampled", year_min=2000, not_type=["editorial"], page_size=10)
        assert (ranged.total, ranged.total_exact) == (1000, True)
    # Without words or keywords (no probe GIN index applies) the sample index sizes them.
    no_words = run(journal=[journal.pk], year_min=2000, page_size=10)
    assert (no_words.total, no_words.total_exact) == (1000, True)
    assert no_words.facets["journal"].approximate
    assert 500 <= no_words.facets["journal"].values[0].count <= 2000
    # Sorting by date pages through everything, in order.
    oldest = run("sampled", journal=[journal.pk], sort="oldest", page=120, page_size=10)
    assert oldest.num_pages == 120
    assert [a.year for a in oldest.articles] == [2049] * 10


@pytest.mark.postgres
def test_a_context_sampled_no_finer_than_its_probe_reuses_the_probe_rows(db, settings):
    settings.SEARCH_EXACT_THRESHOLD = 200
    # Ten rows wanted: fewer than the probe's 1/64 of 1,200 matches, so the probe's own rows
    # (sample buckets 0-15) are the sample and nothing is read twice.
    settings.SEARCH_FACET_SAMPLE = 10
    journal = make_journal(title="Big Journal")
    Article.objects.bulk_create(
        (
            Article(title=f"Sampled study {n}", journal=journal, year=1990 + n % 60)
            for n in range(1200)
        ),
        batch_size=500,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM catalogue_search WHERE sample < 16")
        probed = cursor.fetchone()[0]

    result = run("sampled", sort="newest", page_size=10)

    assert 0 < probed < 1200
    # Estimates are shown to three significant figures (totals) and two (facet counts).
    assert (result.total, result.total_exact) == (int(float(f"{probed * 64:.3g}")), False)
    journal_facet = result.facets["journal"]
    assert journal_facet.approximate
    estimate = int(float(f"{probed * 64:.2g}"))
    assert [(v.label, v.count) for v in journal_facet.values] == [("Big Journal", estimate)]
    # Sorted by date the page itself is exact: the newest of all 1,200.
    assert [a.year for a in result.articles] == [2049] * 10


def _plan_nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


def _executed_plan(params: SearchParams) -> list[dict]:
    """Return the nodes of the results statement's plan that ran (EXPLAIN ANALYZE)."""
    from catalogue.search import postgres

    statement = postgres.results_statement(
        params=params,
        offset=0,
        limit=20,
        settings=search.postgres_settings(),
        facet_names=list(search.FACETS),
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement.sql, statement.params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        import json

        plan = json.loads(plan)
    return [node for node in _plan_nodes(plan[0]["Plan"]) if node.get("Actual Loops", 0) > 0]


@pytest.mark.postgres
@pytest.mark.parametrize("row_read_cost", [0, 10**9])
def test_a_year_range_read_from_its_index_or_checked_on_the_rows_gives_the_same_results(
    db, monkeypatch, row_read_cost
):
    from catalogue.search import postgres

    # 0: checking rows always looks cheaper than the range's bitmap; 10**9: never.
    monkeypatch.setattr(postgres.contexts, "ROW_READ_COST", row_read_cost)
    topic, other = make_keyword(term="topic"), make_keyword(term="other")
    journal = make_journal(title="Annals")
    for year in range(2000, 2010):
        make_article(title=f"Delta study {year}", keywords=[topic], journal=journal, year=year)
        make_article(title=f"Delta note {year}", keywords=[other], journal=journal, year=year)
        make_article(title=f"Gamma study {year}", keywords=[topic], journal=journal, year=year)
    with connection.cursor() as cursor:
        # Every row in the probe: its counts, and so the choice, are then exact.
        cursor.execute("UPDATE catalogue_search SET sample = 0")

    result = run("delta", keyword=[topic.pk], year_min=2006)

    assert (result.total, result.total_exact) == (4, True)
    assert sorted(titles(result)) == [f"Delta study {year}" for year in range(2006, 2010)]
    # Each facet without its own selection: keywords of "delta" from 2006, years of "delta"
    # with the keyword.
    assert counts(result, "keyword") == {"other": 4, "topic": 4}
    assert counts(result, "year") == {str(year): 1 for year in range(2009, 1999, -1)}
    checked = [
        node
        for node in _executed_plan(result.params)
        if "date_key + 0" in node.get("Filter", "") + node.get("Recheck Cond", "")
        and node["Node Type"] == "Bitmap Heap Scan"
    ]
    # Checked on the rows of "delta" and the keyword when that is cheaper (0), else not.
    assert bool(checked) == (row_read_cost == 0)


def test_one_journal_is_a_condition_a_gin_index_can_read_several_are_any():
    from catalogue.search.postgres import conditions

    def sql(**selections):
        include = {k: v for k, v in selections.items() if not k.startswith("not_")}
        exclude = {k[4:]: v for k, v in selections.items() if k.startswith("not_")}
        parts = conditions(SearchParams.build(include=include, exclude=exclude))
        return [(part.sql, part.params) for part in parts]

    # btree_gin reads "=" of the column's type, not "= ANY(array)" (migration 0012).
    assert sql(journal=[7]) == [("s.journal_id = %s::bigint", [7])]
    assert sql(journal=[7, 9]) == [("s.journal_id = ANY(%s::bigint[])", [[7, 9]])]
    assert sql(not_journal=[7]) == [
        ("(s.journal_id IS NULL OR NOT s.journal_id = %s::bigint)", [7])
    ]
    assert sql(type=["book"]) == [("s.output_type = %s::text", ["book"])]
    assert sql(keyword=[3]) == [("s.keyword_ids && %s::bigint[]", [[3]])]


def test_a_year_range_is_checked_on_rows_only_beside_other_indexed_conditions():
    from catalogue.search.postgres import filters_dates

    def params(q="", **selections):
        return SearchParams.build(
            query=parse_query(q),
            year_min=selections.pop("year_min", 2010),
            include=selections,
        )

    assert filters_dates(params("word"))
    assert filters_dates(params(keyword=[1]))
    assert filters_dates(params(author=[1], type=["article"]))
    # The (journal_id, date_key) index reads a journal's years itself.
    assert not filters_dates(params("word", journal=[1]))
    # Nothing else to read from an index, or no range at all.
    assert not filters_dates(params(type=["article"]))
    assert not filters_dates(SearchParams.build(query=parse_query("word")))


@pytest.mark.postgres
def test_the_probe_reads_an_index_of_its_own_rows(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE indexname LIKE 'catalogue_search_probe%%' ORDER BY indexname"
        )
        indexes = dict(cursor.fetchall())
    # One multicolumn GIN index over the whole table and one over the probe's rows: all of
    # a context's words, keywords, authors, subjects and journal are matched in one scan.
    gin = "USING gin (document, keyword_ids, author_ids, subject_ids, journal_id)"
    assert indexes == {
        "catalogue_search_probe": "CREATE INDEX catalogue_search_probe ON public.catalogue_search "
        f"{gin} WHERE (sample < 16)"
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'catalogue_search' "
            "AND indexdef LIKE '%%USING gin%%' AND indexdef NOT LIKE '%% WHERE %%'"
        )
        assert cursor.fetchall() == [
            (
                "catalogue_search_terms",
                f"CREATE INDEX catalogue_search_terms ON public.catalogue_search {gin}",
            )
        ]
    # No whole-table index reads "sample < 16" itself (migration 0010): the sample index is
    # on an expression that only the samples and probes without a GIN condition name.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'catalogue_search' "
            "AND indexdef LIKE '%%(sample%%' AND indexdef NOT LIKE '%% WHERE %%'"
        )
        assert [row[0].split(" USING ")[1] for row in cursor.fetchall()] == [
            "btree (((sample + 0)))"
        ]

    topic = make_keyword(term="topic")
    for n in range(40):
        make_article(title=f"Delta study {n}", keywords=[topic])
    params = SearchParams.build(query=parse_query("delta"), include={"keyword": [topic.pk]})
    probe_scans = [
        node["Index Cond"]
        for node in _executed_plan(params)
        if node.get("Index Name") == "catalogue_search_probe"
    ]
    # Which of the probe's conditions the scan takes is the planner's choice (on 40 rows a
    # keyword every article has is not worth it); the word is read from the probe's rows.
    assert any("document @@" in cond for cond in probe_scans)


def test_cache_is_invalidated_by_writes(catalogue):
    first = run("alliance")
    again = run("alliance")
    assert (first.from_cache, again.from_cache) == (False, True)
    assert titles(again) == titles(first)

    make_article(title="A brand new alliance paper", year=2030)

    fresh = run("alliance")
    assert not fresh.from_cache
    assert titles(fresh)[0] == "A brand new alliance paper"


def test_facet_value_param_formats():
    assert [FacetValue(value, "", 0).param for value in (True, False, 12, "en")] == [
        "true",
        "false",
        "12",
        "en",
    ]


def test_terms_and_canonical_form():
    query = parse_query('b  "c d"  e OR f -g')

    assert query.terms == (Term("b"), Term("c d", phrase=True), Term("e"), Term("f"))
    assert str(query) == 'b "c d" e OR f -g'


@pytest.mark.postgres
def test_the_planner_prices_a_word_checked_on_a_row_as_a_document_read(db):
    # Migration 0009: checking `document @@ query` on a row reads the document from TOAST.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT procost FROM pg_proc WHERE oid = "
            "'pg_catalog.ts_match_vq(tsvector, tsquery)'::regprocedure"
        )
        assert cursor.fetchone()[0] == 100


@pytest.mark.postgres
def test_the_match_cost_migration_without_a_superuser_says_so_and_changes_nothing(db, capsys):
    import importlib
    from types import SimpleNamespace

    migration = importlib.import_module("catalogue.migrations.0009_search_match_cost")
    with connection.cursor() as cursor:
        # Roles are transactional: the test's transaction drops it again.
        cursor.execute("CREATE ROLE catalogue_not_super NOLOGIN")
        cursor.execute("SET LOCAL ROLE catalogue_not_super")
        try:
            migration.backwards(None, SimpleNamespace(connection=connection))
        finally:
            cursor.execute("RESET ROLE")
        cursor.execute(
            "SELECT procost FROM pg_proc WHERE oid = "
            "'pg_catalog.ts_match_vq(tsvector, tsquery)'::regprocedure"
        )
        assert cursor.fetchone()[0] == 100
    assert "Not a superuser" in capsys.readouterr().out


# Search speed (issue 17): counts checked against a brute-force count ----------------------------

WORDS = ("river", "delta", "basin", "glacier", "estuary", "coastal")
TYPES = (OutputType.ARTICLE, OutputType.REVIEW, OutputType.LETTER, OutputType.EDITORIAL)


def _random_catalogue(seed: int, articles: int) -> list[Article]:
    """Return `articles` random articles: words, years (some unknown), types, languages, peer
    review, journals, authors, keywords and subjects drawn from small pools."""
    import random

    rng = random.Random(seed)
    journals = [make_journal(title=f"Journal {n}") for n in range(4)] + [None]
    authors = [make_author(family_name=f"Author{n}") for n in range(6)]
    keywords = [make_keyword(term=f"topic{n}") for n in range(5)]
    subjects = [make_subject(name=f"Subject {n}", code=f"9{n:03d}") for n in range(3)]
    made = []
    for n in range(articles):
        made.append(
            make_article(
                title=" ".join(rng.sample(WORDS, rng.randint(1, 3))) + f" study {n}",
                journal=rng.choice(journals),
                authors=rng.sample(authors, rng.randint(0, 3)),
                keywords=rng.sample(keywords, rng.randint(0, 2)),
                subject_areas=rng.sample(subjects, rng.randint(0, 2)),
                output_type=rng.choice(TYPES),
                peer_reviewed=rng.random() < 0.7,
                year=rng.choice([None, *range(2000, 2012)]),
                language=rng.choice(["en", "en", "de", "fr", ""]),
            )
        )
    return made


def _brute_force(articles: list[Article], params: SearchParams, words: set[str]) -> dict:
    """Return the exact total and every facet's counts of `params`, counted in Python.

    `words`: the words every match must have in its title (the queries use title words only).
    """

    def values(article: Article, facet: str) -> list[str]:
        if facet == "year":
            return [] if article.year is None else [str(article.year)]
        if facet == "type":
            return [article.output_type]
        if facet == "language":
            return [article.language] if article.language else []
        if facet == "peer_reviewed":
            return ["true" if article.peer_reviewed else "false"]
        if facet == "journal":
            return [] if article.journal_id is None else [str(article.journal_id)]
        related = {"author": article.authors, "keyword": article.keywords}.get(facet)
        related = related or article.subject_areas
        return [str(pk) for pk in related.values_list("pk", flat=True)]

    def matches(article: Article, params: SearchParams) -> bool:
        title = set(article.title.split())
        if not words <= title:
            return False
        if params.year_min is not None or params.year_max is not None:
            low = params.year_min if params.year_min is not None else -(10**6)
            high = params.year_max if params.year_max is not None else 10**6
            if article.year is None or not low <= article.year <= high:
                return False
        for facet, chosen in params.include:
            chosen = {FacetValue(value, "", 0).param for value in chosen}
            if not chosen & set(values(article, facet)):
                return False
        for facet, chosen in params.exclude:
            chosen = {FacetValue(value, "", 0).param for value in chosen}
            if chosen & set(values(article, facet)):
                return False
        return True

    counted = {}
    for facet in search.FACETS:
        tally: dict[str, int] = {}
        for article in articles:
            if matches(article, params.without(facet)):
                for value in values(article, facet):
                    tally[value] = tally.get(value, 0) + 1
        counted[facet] = tally
    total = sum(matches(article, params) for article in articles)
    return {"total": total, "counts": counted}


def _random_params(rng, *, words: bool) -> tuple[SearchParams, set[str]]:
    chosen = set(rng.sample(WORDS, rng.randint(1, 2))) if words else set()
    include, exclude = {}, {}
    for facet, pool in (
        ("type", list(TYPES)),
        ("language", ["en", "de", "fr"]),
        ("peer_reviewed", [True, False]),
    ):
        draw = rng.random()
        if draw < 0.35:
            include[facet] = rng.sample(pool, rng.randint(1, 2))
        elif draw < 0.5:
            exclude[facet] = [rng.choice(pool)]
    year_min = rng.choice([None, None, 2003, 2006])
    year_max = rng.choice([None, None, 2008, 2011])
    params = SearchParams.build(
        query=parse_query(" ".join(sorted(chosen))),
        include=include,
        exclude=exclude,
        year_min=year_min,
        year_max=year_max,
    )
    return params, chosen


def _check_exact(result: search.SearchResult, expected: dict) -> None:
    """Assert that every exactly counted figure of `result` is the brute-force count."""
    assert result.total_exact
    assert result.total == expected["total"]
    for name, facet in result.facets.items():
        if facet.approximate:
            continue
        for value in facet.values:
            assert value.count == expected["counts"][name].get(value.param, 0), (name, value)
        # The values listed are the top ones: none left out counts more than the last shown.
        shown = [value for value in facet.values if not value.selected and not value.excluded]
        if search.FACETS[name].top and shown:
            listed = {value.param for value in facet.values}
            hidden = [n for v, n in expected["counts"][name].items() if v not in listed]
            assert max(hidden, default=0) <= min(value.count for value in shown), name


@pytest.mark.postgres
def test_searches_without_words_count_scalar_facets_exactly_from_the_cells(
    db, settings, monkeypatch
):
    import random

    from catalogue.search import engine

    cells = engine.postgres_settings

    def from_rows():
        return _without_cells(cells())

    # Thresholds far below the catalogue: without the cells, totals would be counted from the
    # rows and these facets from a sample.
    settings.SEARCH_EXACT_THRESHOLD = 20
    settings.SEARCH_EXACT_THRESHOLD_OTHER_VALUES = 20
    settings.SEARCH_FACET_SAMPLE = 10
    articles = _random_catalogue(seed=5, articles=160)
    rng = random.Random(11)
    checked = sampled = 0
    for _ in range(60):
        params, _ = _random_params(rng, words=False)
        if not params.selected_facets:
            continue
        result = search.search(params=params, page_size=10)
        expected = _brute_force(articles, params, set())
        assert result.total_exact
        assert result.total == expected["total"], params
        for name in ("year", "type", "language", "peer_reviewed"):
            facet = result.facets[name]
            assert not facet.approximate, (name, params)
            for value in facet.values:
                assert value.count == expected["counts"][name].get(value.param, 0), (name, params)
        # Counted from the rows instead (Settings.cube False; another generation, so not
        # from the cache): the same total and page.
        with monkeypatch.context() as patch:
            patch.setattr(engine, "postgres_settings", from_rows)
            rows = search.search(params=params, page_size=10, generation=-1 - checked)
        assert (rows.total, rows.total_exact) == (result.total, True)
        assert [a.pk for a in rows.articles] == [a.pk for a in result.articles]
        # The id facets are counted from the matches as before: exactly, or from a sample
        # drawn by the context's exact size (the cells) rather than by its probe.
        for name in ("journal", "author", "keyword", "subject"):
            facet = result.facets[name]
            for value in facet.values:
                if facet.approximate:
                    assert value.param in expected["counts"][name], (name, params)
                else:
                    assert value.count == expected["counts"][name][value.param], (name, params)
        sampled += any(rows.facets[name].approximate for name in ("type", "language", "year"))
        checked += 1
    assert checked > 40
    # Counted from the rows, some of these facets were estimates; from the cells none is.
    assert sampled > 10


def _without_cells(settings):
    import dataclasses

    return dataclasses.replace(settings, cube=False)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_searches_count_exactly_what_a_brute_force_count_finds(db, seed):
    import random

    articles = _random_catalogue(seed=seed, articles=90)
    rng = random.Random(seed * 7)
    for round_ in range(40):
        params, words = _random_params(rng, words=round_ % 2 == 0)
        result = search.search(params=params, page_size=100)
        expected = _brute_force(articles, params, {w for w in words})
        _check_exact(result, expected)
        assert len(result.articles) == expected["total"]


@pytest.mark.postgres
def test_the_cells_follow_every_write(db):
    articles = _random_catalogue(seed=3, articles=40)
    Article.objects.filter(pk=articles[0].pk).update(output_type=OutputType.LETTER, year=1999)
    Article.objects.filter(pk=articles[1].pk).update(language="fr", peer_reviewed=False)
    Article.objects.filter(pk=articles[2].pk).delete()
    Article.objects.bulk_create(
        Article(title=f"Bulk estuary {n}", year=2001, language="de") for n in range(30)
    )

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT value, count FROM catalogue_search_facet WHERE facet = 'cube' AND count <> 0"
        )
        stored = dict(cursor.fetchall())
    expected: dict[str, int] = {}
    for article in Article.objects.all():
        key = "|".join(
            (
                "" if article.year is None else str(article.year),
                article.language,
                "true" if article.peer_reviewed else "false",
                article.output_type,
            )
        )
        expected[key] = expected.get(key, 0) + 1
    assert stored == expected
    params = SearchParams.build(include={"language": ["de"]}, year_min=2001, year_max=2001)
    assert search.search(params=params).total == 30 + sum(
        1 for a in articles[3:] if a.language == "de" and a.year == 2001
    )


@pytest.mark.postgres
def test_an_id_facet_with_scalar_selections_counts_its_other_values_in_a_sized_context(
    db, settings
):
    # author=X&language=en: the author facet's other values are counted over language=en,
    # a context sized by the cells; the matches themselves are probed as before.
    settings.SEARCH_EXACT_THRESHOLD = 20
    settings.SEARCH_EXACT_THRESHOLD_OTHER_VALUES = 20
    settings.SEARCH_FACET_SAMPLE = 10
    articles = _random_catalogue(seed=8, articles=120)
    for author in Author.objects.order_by("pk")[:3]:
        for selections in ({"language": ["en"]}, {"type": [OutputType.ARTICLE], "year_min": 2004}):
            year_min = selections.pop("year_min", None)
            params = SearchParams.build(
                include={"author": [author.pk], **selections}, year_min=year_min
            )
            result = search.search(params=params, page_size=100)
            expected = _brute_force(articles, params, set())
            _check_exact(result, expected)
            assert sorted(a.pk for a in result.articles) == sorted(
                a.pk
                for a in articles
                if a.authors.filter(pk=author.pk).exists()
                and _brute_force([a], params, set())["total"]
            )
            author_facet = result.facets["author"]
            for value in author_facet.values:
                if author_facet.approximate:
                    assert value.param in expected["counts"]["author"]
                else:
                    assert value.count == expected["counts"]["author"][value.param]


def test_a_selected_value_missing_from_an_estimated_facet_is_not_shown_as_an_exact_zero():
    from catalogue.search import engine
    from catalogue.search.results import Raw

    params = SearchParams.build(include={"author": [7], "type": ["book"]})
    raw = Raw(
        total=5000,
        total_exact=False,
        hits=[],
        counts={"author": [("5", 1200, True)], "type": [("article", 4000, False)]},
        labels={},
        ranked_window=0,
        approximate={"author": True, "type": False},
    )

    facets = engine._facets(params, raw)

    author = {value.param: value for value in facets["author"].values}
    assert (author["7"].count, author["7"].selected, author["7"].approximate) == (0, True, True)
    assert author["5"].approximate is True
    kind = {value.param: value for value in facets["type"].values}
    # In an exactly counted facet a selected value without results is an exact 0.
    assert (kind["book"].count, kind["book"].selected, kind["book"].approximate) == (0, True, False)
