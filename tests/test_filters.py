"""Tests for catalogue.search.filters: one FilterSet validates the parameters of page, API and
exports."""

import pytest
from django.http import QueryDict

from catalogue import search
from catalogue.search import Query, Term
from catalogue.search.fields import MAX_VALUES_PER_FACET
from catalogue.search.filters import ArticleFilterSet
from tests.factories import make_article, make_author, make_journal, make_keyword

pytestmark = pytest.mark.django_db


def filterset(query: str) -> ArticleFilterSet:
    return ArticleFilterSet(QueryDict(query))


def test_parameters_become_normalised_search_params():
    filters = filterset(
        "q=alliance&keyword=15&keyword=12&keyword=15&not_type=editorial&year_min=2010"
        "&year_max=2003&sort=newest&page=2&page_size=50&peer_reviewed=true&language=DE"
        "&not_journal=7&author=3&subject=9&not_language=fr&utm_source=mail"
    )

    assert filters.is_valid(), filters.errors
    params = filters.search_params()
    assert params.query == Query(groups=((Term("alliance"),),))
    assert (params.year_min, params.year_max) == (2003, 2010)
    assert params.include == (
        ("author", (3,)),
        ("keyword", (12, 15)),
        ("language", ("de",)),
        ("peer_reviewed", (True,)),
        ("subject", (9,)),
    )
    assert params.exclude == (("journal", (7,)), ("language", ("fr",)), ("type", ("editorial",)))
    assert params.sort == "newest"
    assert (filters.page, filters.page_size) == (2, 50)


def test_no_parameters_is_the_whole_catalogue_newest_first():
    filters = filterset("")

    assert filters.is_valid()
    params = filters.search_params()
    assert params.is_browse
    assert params.effective_sort == "newest"
    assert (filters.page, filters.page_size) == (1, 20)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("year_min=abc", "year_min", "The year must be a whole number such as 2010."),
        ("year_max=20.5", "year_max", "The year must be a whole number such as 2010."),
        ("year_min=99", "year_min", "The year must be 1000 or later."),
        ("keyword=abc", "keyword", "“abc” is not a keyword id: ids are whole numbers such as 12."),
        ("not_author=-3", "not_author", "“-3” is not a author id"),
        ("journal=99999999999999999999", "journal", "“99999999999999999999” is not a journal id"),
        ("type=paper", "type", "“paper” is not a known output type; use one of: article, review,"),
        ("peer_reviewed=yes", "peer_reviewed", "“yes” is not a known peer reviewed; use one of:"),
        ("language=english", "language", "“english” is not a language code: use ISO 639 codes"),
        ("sort=best", "sort", "“best” is not a sort order; use one of: relevance, newest,"),
        ("page=abc", "page", "The page must be a whole number such as 2."),
        ("page=0", "page", "Pages are numbered from 1."),
        ("page_size=100000", "page_size", "The page size must be between 1 and 100 results (it"),
        ("page_size=abc", "page_size", "The page size must be a whole number between 1 and 100."),
        ("q=" + "a" * 501, "q", "Your search is too long: please use at most 500 characters"),
        ("q=-alone", "q", "A search needs at least one word to look for"),
        ("q=%00", "q", "Null characters are not allowed."),
    ],
)
def test_bad_parameters_have_clear_messages(query, field, message):
    filters = filterset(query)

    assert not filters.is_valid()
    errors = dict(filters.error_list())
    assert errors[field].startswith(message), errors


# Unicode digits pass str.isdigit() ("²", "①") or int() ("١٢", "１２"): a 500 before issue 16.
@pytest.mark.parametrize("value", ["²", "①", "١٢", "１２", "1\x00", "+1", " 1_0", "9" * 20])
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("journal", "is not a journal id: ids are whole numbers such as 12."),
        ("not_author", "is not a author id: ids are whole numbers such as 12."),
        ("keyword", "is not a keyword id: ids are whole numbers such as 12."),
        ("subject", "is not a subject area id: ids are whole numbers such as 12."),
        ("page", "The page must be a whole number such as 2."),
        ("page_size", "The page size must be a whole number between 1 and 100."),
        ("year_min", "The year must be a whole number such as 2010."),
    ],
)
def test_numbers_are_plain_ascii_digits(name, message, value):
    data = QueryDict(mutable=True)
    data[name] = value
    filters = ArticleFilterSet(data)

    assert not filters.is_valid()
    [(field, error)] = filters.error_list()
    assert field == name
    if name in ("page", "page_size") and "\x00" in value:
        message = "Null characters are not allowed."
    assert error.endswith(message) if "id:" in message else error == message


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (f"page={10**9 + 1}", "page", "There is no such page."),
        (f"page={2**63}", "page", "There is no such page."),
        ("page=-1", "page", "Pages are numbered from 1."),
        ("page=0", "page", "Pages are numbered from 1."),
        (f"keyword={2**63}", "keyword", f"“{2**63}” is not a keyword id"),
        (f"page_size={2**64}", "page_size", "The page size must be a whole number between 1"),
        ("year_max=-2010", "year_max", "The year must be 1000 or later."),
        ("utm%00=1", "", "The parameter “utm%00” holds a NUL character (%00). Null characters"),
        ("utm=a%00", "", "The parameter “utm” holds a NUL character (%00). Null characters"),
    ],
)
def test_numbers_are_bounded_and_no_parameter_holds_a_nul(query, field, message):
    filters = filterset(query)

    assert not filters.is_valid()
    errors = dict(filters.error_list())
    assert errors[field].startswith(message), errors


def test_plain_numbers_at_the_bounds_are_valid():
    filters = filterset(f"keyword={2**63 - 1}&page={10**9}&page_size=100&year_min=2999")

    assert filters.is_valid(), filters.errors
    assert filters.search_params().include == (("keyword", (2**63 - 1,)),)
    assert (filters.page, filters.page_size) == (10**9, 100)


def test_too_many_values_for_one_facet_are_refused():
    query = "&".join(f"keyword={n}" for n in range(1, MAX_VALUES_PER_FACET + 2))

    filters = filterset(query)

    assert not filters.is_valid()
    assert dict(filters.error_list())["keyword"] == "Too many keyword values (51): at most 50."


def test_odd_query_syntax_is_valid_with_warnings():
    filters = filterset('q="open phrase')

    assert filters.is_valid()
    assert filters.search_params().query.warnings


@pytest.fixture
def records():
    journal = make_journal(title="Journal A")
    other = make_journal(title="Journal B")
    alliance = make_keyword(term="alliance")
    outcome = make_keyword(term="outcome")
    author = make_author(family_name="Ängström")
    made = [
        make_article(title="Alliance and outcome", journal=journal, keywords=[alliance, outcome],
                     authors=[author], year=2010),
        make_article(title="Outcome only", journal=other, keywords=[outcome], year=2012,
                     abstract="Mentions the alliance once."),
        make_article(title="Editorial on alliance", journal=None, output_type="editorial",
                     keywords=[alliance], year=2015, peer_reviewed=False),
        make_article(title="Unrelated", journal=journal, year=None, language="fr"),
    ]  # fmt: skip
    return {"journal": journal, "other": other, "alliance": alliance, "outcome": outcome,
            "author": author, "articles": made}  # fmt: skip


@pytest.mark.parametrize(
    "template",
    [
        "",
        "q=alliance",
        "q=alliance&sort=newest",
        "q=alliance&sort=title",
        "q=alliance&sort=oldest",
        "q=angstrom",
        "keyword={alliance}&keyword={outcome}",
        "keyword={alliance}&type=article",
        "not_journal={journal}",
        "not_keyword={outcome}&sort=oldest",
        "author={author}",
        "year_min=2011&year_max=2020",
        "peer_reviewed=false",
        "not_language=fr",
        "language=fr",
        'q="and outcome"',
        "q=alliance OR unrelated&not_type=editorial",
    ],
)
def test_the_queryset_matches_the_search_engine(records, template):
    ids = {
        name: record.pk for name, record in records.items() if name != "articles"
    }  # fmt: skip
    filters = filterset(template.format(**ids))
    assert filters.is_valid(), filters.errors

    engine = search.search(params=filters.search_params(), page=1, page_size=100)

    assert [article.pk for article in filters.qs] == [article.pk for article in engine.articles]


def test_a_doi_query_filters_to_that_record(records):
    article = records["articles"][1]
    article.doi = "10.1234/abc"
    article.save()

    filters = filterset("q=https://doi.org/10.1234/ABC")

    assert filters.is_valid()
    assert list(filters.qs) == [article]
