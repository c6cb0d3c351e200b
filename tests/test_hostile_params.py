"""Every user-facing GET parameter against a table of hostile values (issue 16, finding 8).

Unicode digits ("²", "①", Arabic-Indic, full-width), NUL, numbers past 64 bits, negative,
exponent and decimal forms, huge strings, lone surrogates and bytes that are not UTF-8 (sent
percent-encoded, as a client sends them) go to the search page, a facet's full list, the
search export, the JSON API, the journal, author, keyword and subject pages and their
exports, the record page, its Cite box, /doi/ and /styles/. No answer is a 500: a number
that is not plain ASCII digits within its bounds is a 400 that says what is wrong (the page's
error display, or the API's JSON error); list pages (journal, author, keyword, subject,
/styles/) show their first or last page instead, as they always have for a bad `page`.
Each case is its own test, in its own transaction: run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import html

import pytest

from catalogue.search.facets import FACETS
from tests.factories import make_article, make_author, make_journal, make_keyword, make_subject

pytestmark = pytest.mark.django_db

# Values a number parameter must refuse, percent-encoded as they travel.
BAD_NUMBERS = {
    "superscript two": "%C2%B2",
    "circled one": "%E2%91%A0",
    "arabic-indic twelve": "%D9%A1%D9%A2",
    "full-width twelve": "%EF%BC%91%EF%BC%92",
    "nul": "%00",
    "digit and nul": "1%00",
    "2**63": str(2**63),
    "2**64": str(2**64),
    "minus one": "-1",
    "zero": "0",
    "exponent": "1e3",
    "plus sign": "%2B1",
    "decimal": "1.0",
    "5,000 digits": "9" * 5000,
    "huge string": "x" * 20_000,
    "lone surrogate": "%ED%A0%80",
    "not utf-8": "%FF%FE",
}
# Values a text parameter (words, codes, style ids) must survive; NUL ones are refused.
BAD_TEXT = {
    "nul": "%00",
    "text with nul": "a%00b",
    "lone surrogate": "%ED%A0%80",
    "not utf-8": "%FF%FE",
    "control characters": "%01%1B%7F",
    "huge string": "x" * 20_000,
    "quotes and markup": "%22'%3E%3Cscript%3E",
    "sql": "1'%20OR%20'1'%3D'1",
    "unicode digits": "%C2%B2%E2%91%A0",
}
NUL_TEXT = {"nul", "text with nul"}
ANY_VALUE = {**{f"number: {k}": v for k, v in BAD_NUMBERS.items()}, **BAD_TEXT}

ID_MESSAGE = "is not a {noun} id: ids are whole numbers such as 12."
PAGE_MESSAGES = (
    "The page must be a whole number such as 2.",
    "Pages are numbered from 1.",
    "There is no such page.",
    "Null characters are not allowed.",
)
PAGE_SIZE_MESSAGES = (
    "The page size must be a whole number between 1 and 100.",
    "The page size must be between 1 and 100 results",
    "Null characters are not allowed.",
)
YEAR_MESSAGES = (
    "The year must be a whole number such as 2010.",
    "The year must be 1000 or later.",
    "The year must be 2999 or earlier.",
)
# The number parameters of a search, and what their errors say.
NUMBER_PARAMETERS = {
    **{
        name: (ID_MESSAGE.format(noun=FACETS[base].noun),)
        for base in ("journal", "author", "keyword", "subject")
        for name in (base, FACETS[base].not_name)
    },
    "page": PAGE_MESSAGES,
    "page_size": PAGE_SIZE_MESSAGES,
    "year_min": YEAR_MESSAGES,
    "year_max": YEAR_MESSAGES,
}
SEARCH_TEXT_PARAMETERS = ("q", "sort", "type", "not_type", "language", "peer_reviewed", "utm")
SEARCH_URLS = {
    "page": "/search/",
    "export": "/search/export/",
    "api": "/api/articles/",
    "author list": "/search/facets/author/",
    "type list": "/search/facets/type/",
}


@pytest.fixture
def catalogue():
    """One article with a journal, an author, a keyword and a subject area; their paths."""
    journal = make_journal(title="Journal of Hostile Input")
    author = make_author(family_name="Tester")
    keyword = make_keyword(term="robustness", slug="robustness")
    subject = make_subject(name="Security")
    article = make_article(
        title="Robust parameters",
        journal=journal,
        authors=[author],
        keywords=[keyword],
        subject_areas=[subject],
        doi="10.5555/hostile",
    )
    return {
        "article": f"/articles/{article.pk}/",
        "cite": f"/articles/{article.pk}/cite/",
        "api article": f"/api/articles/{article.pk}/",
        "journal": f"/journals/{journal.pk}/",
        "author": f"/authors/{author.pk}/",
        "keyword": "/keywords/robustness/",
        "subject": f"/subjects/{subject.pk}/",
        "styles": "/styles/",
    }


def get(client, url: str, name: str, value: str):
    """GET url?name=value with the value as encoded (the query keeps q=robust)."""
    separator = "&" if "?" in url else "?"
    return client.get(f"{url}{separator}{name}={value}")


def text_of(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return html.unescape(response.content.decode("utf-8", "replace"))


def assert_refused(response, where: str, name: str, messages: tuple[str, ...]) -> None:
    """A 400 naming what is wrong: the API's JSON error, or the page's error display."""
    assert response.status_code == 400, (where, name, response.status_code)
    if where == "api":
        body = response.json()
        assert any(m in message for message in body["errors"][name] for m in messages), body
        assert body["detail"]
    else:
        page = text_of(response)
        assert 'role="alert"' in page
        assert any(message in page for message in messages), (where, name)


@pytest.mark.parametrize("value", BAD_NUMBERS.values(), ids=BAD_NUMBERS)
@pytest.mark.parametrize("name", NUMBER_PARAMETERS)
@pytest.mark.parametrize("where", SEARCH_URLS)
def test_a_search_number_that_is_not_plain_ascii_digits_in_bounds_is_a_400(
    client, catalogue, where, name, value
):
    response = get(client, SEARCH_URLS[where] + "?q=robust", name, value)

    assert_refused(response, where, name, NUMBER_PARAMETERS[name])


@pytest.mark.parametrize("value", BAD_NUMBERS.values(), ids=BAD_NUMBERS)
@pytest.mark.parametrize("facet", ["author", "type"])
def test_a_facet_list_page_that_is_not_plain_ascii_digits_in_bounds_is_a_400(
    client, catalogue, facet, value
):
    response = get(client, f"/search/facets/{facet}/?q=robust", "values_page", value)

    assert_refused(response, "list", "values_page", PAGE_MESSAGES)


@pytest.mark.parametrize("value", BAD_TEXT.values(), ids=BAD_TEXT)
@pytest.mark.parametrize("name", ["values_filter", "values_sort"])
@pytest.mark.parametrize("facet", ["author", "type"])
def test_a_facet_list_filter_survives_any_text_and_refuses_nul(
    client, catalogue, facet, name, value
):
    response = get(client, f"/search/facets/{facet}/?q=robust", name, value)

    if value in (BAD_TEXT[key] for key in NUL_TEXT):
        assert_refused(response, "list", name, ("Null characters are not allowed.",))
    elif name == "values_filter" and value == BAD_TEXT["huge string"]:
        message = "The filter is too long: at most 1000 characters."
        assert_refused(response, "list", name, (message,))
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("value", BAD_TEXT.values(), ids=BAD_TEXT)
@pytest.mark.parametrize("name", SEARCH_TEXT_PARAMETERS)
@pytest.mark.parametrize("where", SEARCH_URLS)
def test_a_search_text_parameter_survives_any_value_and_refuses_nul(
    client, catalogue, where, name, value
):
    response = get(client, SEARCH_URLS[where] + "?q=robust", name, value)

    assert response.status_code in (200, 400), response.status_code
    if value in (BAD_TEXT[key] for key in NUL_TEXT):
        messages = ("Null characters are not allowed.", "is not a", "holds a NUL character")
        assert_refused(response, where, "non_field_errors" if name == "utm" else name, messages)


@pytest.mark.parametrize("value", BAD_TEXT.values(), ids=BAD_TEXT)
@pytest.mark.parametrize("name", ["format", "style", "locale"])
def test_a_search_export_format_survives_any_value(client, catalogue, name, value):
    response = get(client, "/search/export/?q=robust&format=text", name, value)

    assert response.status_code in (200, 400, 406), response.status_code
    if value in (BAD_TEXT[key] for key in NUL_TEXT):
        assert response.status_code in (400, 406)


@pytest.mark.parametrize("value", ANY_VALUE.values(), ids=ANY_VALUE)
@pytest.mark.parametrize(
    "page", ["journal", "author", "keyword", "subject", "styles"], ids=lambda page: page
)
def test_a_list_page_shows_a_real_page_whatever_its_page_parameter(client, catalogue, page, value):
    response = get(client, catalogue[page], "page", value)

    assert response.status_code == 200


@pytest.mark.parametrize("value", BAD_TEXT.values(), ids=BAD_TEXT)
@pytest.mark.parametrize("name", ["format", "style", "locale"])
@pytest.mark.parametrize("page", ["journal", "author", "keyword", "subject"])
def test_an_entity_export_survives_any_value(client, catalogue, page, name, value):
    response = get(client, catalogue[page] + "export/?format=text", name, value)

    assert response.status_code in (200, 400, 406), response.status_code
    if value in (BAD_TEXT[key] for key in NUL_TEXT):
        assert response.status_code in (400, 406)


@pytest.mark.parametrize("value", BAD_TEXT.values(), ids=BAD_TEXT)
@pytest.mark.parametrize(
    "name", ["format", "style", "locale", "cite_style", "cite_locale", "cite_q"]
)
@pytest.mark.parametrize("page", ["article", "doi"])
def test_a_record_survives_any_value(client, catalogue, page, name, value):
    url = catalogue["article"] if page == "article" else "/doi/10.5555/hostile"

    response = get(client, url, name, value)

    assert response.status_code in (200, 302, 400, 406), response.status_code
    if name in ("format", "style", "locale") and value in (BAD_TEXT[k] for k in NUL_TEXT):
        assert response.status_code == 406
        assert "Unknown" in text_of(response)


@pytest.mark.parametrize("value", BAD_TEXT.values(), ids=BAD_TEXT)
@pytest.mark.parametrize("name", ["style", "locale"])
def test_the_cite_box_survives_any_value(client, catalogue, name, value):
    query = "?style=apa" if name == "locale" else "?"
    response = get(client, catalogue["cite"] + query, name, value)

    assert response.status_code in (200, 400, 422), response.status_code
    if value in (BAD_TEXT[key] for key in NUL_TEXT):
        assert response.status_code == 400
        assert response.json()["error"]


@pytest.mark.parametrize("value", ANY_VALUE.values(), ids=ANY_VALUE)
@pytest.mark.parametrize("name", ["q", "format", "article"])
def test_the_style_list_survives_any_value(client, catalogue, name, value):
    response = get(client, "/styles/", name, value)

    assert response.status_code in (200, 400), response.status_code
    if name == "format":
        assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        *(f"/{kind}/{number}/" for kind in ("articles", "journals", "authors", "subjects")
          for number in (2**63, 2**64, "9" * 5000)),
        f"/articles/{2**63}/cite/?style=apa",
        f"/api/articles/{2**63}/",
        f"/api/articles/{2**64}/",
        f"/journals/{2**63}/export/?format=bibtex",
        "/keywords/%00/",
        "/keywords/%ED%A0%80/",
        "/keywords/" + "x" * 20_000 + "/",
        "/doi/%00",
        "/doi/10.1/%00",
        "/doi/%ED%A0%80",
        "/doi/10.1/%FF%FE",
        "/doi/10.1/" + "x" * 20_000,
        "/search/facets/%00/",
        "/search/facets/%ED%A0%80/",
        "/styles/%00.csl",
        "/styles/%ED%A0%80.csl",
    ],
    ids=lambda path: path[:40],
)  # fmt: skip
def test_a_hostile_path_is_a_404(client, catalogue, path):
    response = client.get(path)

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("page", "first"),
    [
        ("2", "Older"),
        ("%D9%A2", "Newer"),  # Arabic-Indic 2: int() reads it as 2, a list page does not
        ("%EF%BC%92", "Newer"),  # full-width 2
        ("%C2%B2", "Newer"),  # superscript 2
        ("9" * 5000, "Older"),  # past the last page, though int() refuses 4,300 digits
        (str(2**64), "Older"),  # a number past the last page: the last page
    ],
    ids=["2", "arabic-indic 2", "full-width 2", "superscript 2", "5,000 digits", "2**64"],
)
def test_a_list_page_reads_only_plain_ascii_digits(client, settings, page, first):
    settings.CATALOGUE_PAGE_SIZE = 1
    journal = make_journal(title="Two pages")
    make_article(title="Older", journal=journal, year=2001)
    make_article(title="Newer", journal=journal, year=2002)

    response = client.get(f"/journals/{journal.pk}/?page={page}")

    assert response.status_code == 200
    titles = [title for title in ("Older", "Newer") if f">{title}<" in text_of(response)]
    assert titles == [first]


@pytest.mark.parametrize("value", ["%D9%A1%D9%A2", "%EF%BC%91%EF%BC%92", "%00", "9" * 40])
def test_summary_and_import_lists_read_only_ascii_page_numbers(client, db, value):
    # int() reads "١٢" and "１２" as 12: not a page number here, the first page instead.
    from django.contrib.auth.models import User

    assert client.get(f"/summaries/?page={value}").status_code == 200
    client.force_login(User.objects.create_superuser("head", password="x-long-password-1"))
    assert client.get(f"/import/history/?page={value}").status_code == 200
