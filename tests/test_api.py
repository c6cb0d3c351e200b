"""Tests for catalogue.search.api: /api/articles/ search, /api/articles/<id>/, the OpenAPI
schema."""

import json
import re

import pytest
from django.contrib.auth.models import User
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from catalogue.models import Article
from catalogue.search.api import AuthorSerializer, PersonSerializer
from tests.factories import make_article, make_author, make_journal, make_keyword, make_subject

pytestmark = pytest.mark.django_db


@pytest.fixture
def records():
    journal = make_journal(title="Psychotherapy", issn_print="0033-3204")
    alliance = make_keyword(term="alliance")
    subject = make_subject(name="Clinical Psychology", code="3203")
    first = make_author(
        family_name="Flückiger", given_names="Christoph", orcid="0000-0002-1825-0097"
    )
    second = make_author(family_name="Del Re", given_names="A. C.")
    article = make_article(
        title="The alliance in adult psychotherapy",
        abstract="A meta-analysis of the alliance.",
        journal=journal,
        authors=[second, first],
        keywords=[alliance],
        subject_areas=[subject],
        year=2018,
        month=12,
        doi="10.1037/pst0000172",
        volume="55",
        issue="4",
        first_page=316,
        last_page=340,
    )
    others = [make_article(title=f"Study {n}", abstract="On the alliance.", year=2000 + n,
                           journal=None) for n in range(5)]  # fmt: skip
    return {"article": article, "journal": journal, "alliance": alliance, "subject": subject,
            "first": first, "second": second, "others": others}  # fmt: skip


def get(client, url, **params):
    response = client.get(url, params)
    return response, json.loads(response.content)


def test_search_returns_count_results_facets_and_links(client, records):
    response, body = get(client, "/api/articles/", q="alliance", page_size=2, sort="relevance")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert body["count"] == 6
    assert body["count_is_approximate"] is False
    assert body["facets_are_approximate"] is False
    assert (body["page"], body["page_size"], body["num_pages"]) == (1, 2, 3)
    assert body["previous"] is None
    assert (
        body["next"]
        == "http://testserver/api/articles/?q=alliance&page_size=2&sort=relevance&page=2"
    )
    assert [result["title"] for result in body["results"]] == [
        "The alliance in adult psychotherapy",
        "Study 4",
    ]
    first = body["results"][0]
    assert first["url"] == f"http://testserver/articles/{records['article'].pk}/"
    assert first["api_url"] == f"http://testserver/api/articles/{records['article'].pk}/"
    assert [(a["position"], a["name"], a["orcid"]) for a in first["authors"]] == [
        (1, "A. C. Del Re", ""),
        (2, "Christoph Flückiger", "0000-0002-1825-0097"),
    ]
    # Exactly the fields the schema's AuthorSerializer declares.
    assert set(first["authors"][0]) == set(AuthorSerializer().fields)
    assert set(first["authors"][0]["person"]) == set(PersonSerializer().fields)
    assert first["authors"][0] == {
        "id": records["second"].pk,
        "position": 1,
        "name": "A. C. Del Re",
        "family_name": "Del Re",
        "given_names": "A. C.",
        "particle": "",
        "suffix": "",
        "corporate_name": "",
        "orcid": "",
        "affiliation": "",
        "person": {
            "id": records["second"].pk,
            "name": "A. C. Del Re",
            "url": f"http://testserver/authors/{records['second'].pk}/",
        },
    }
    assert first["journal"] == {
        "id": records["journal"].pk,
        "title": "Psychotherapy",
        "issns": ["0033-3204"],
    }
    assert first["keywords"] == [{"id": records["alliance"].pk, "label": "alliance"}]
    assert first["subjects"] == [{"id": records["subject"].pk, "label": "Clinical Psychology"}]
    assert (first["year"], first["month"], first["pages"], first["doi"]) == (
        2018, 12, "316–340", "10.1037/pst0000172",
    )  # fmt: skip
    assert first["highlight"]["title"] == "The <mark>alliance</mark> in adult psychotherapy"
    assert first["score"] > body["results"][1]["score"]
    assert set(body["facets"]) == {
        "year", "type", "journal", "author", "keyword", "subject", "language", "peer_reviewed",
    }  # fmt: skip
    assert body["facets"]["journal"] == [
        {"id": records["journal"].pk, "label": "Psychotherapy", "count": 1, "approximate": False}
    ]
    assert body["facets"]["peer_reviewed"] == [
        {"id": True, "label": "Peer reviewed", "count": 6, "approximate": False}
    ]
    assert [value["id"] for value in body["facets"]["year"]] == [2018, 2004, 2003, 2002, 2001, 2000]


def test_pages_link_both_ways(client, records):
    _, body = get(client, "/api/articles/", q="alliance", page_size=2, page=2)

    assert body["previous"] == "http://testserver/api/articles/?q=alliance&page_size=2"
    assert body["next"] == "http://testserver/api/articles/?q=alliance&page_size=2&page=3"


def test_filters_and_exclusions_like_the_page(client, records):
    keyword = records["alliance"].pk
    _, body = get(client, f"/api/articles/?q=alliance&not_keyword={keyword}&year_min=2003")

    assert [result["title"] for result in body["results"]] == ["Study 4", "Study 3"]
    assert body["facets"]["keyword"] == [
        {"id": records["alliance"].pk, "label": "alliance", "count": 1, "approximate": False}
    ]


def test_a_doi_returns_that_record(client, records):
    _, body = get(client, "/api/articles/", q="https://doi.org/10.1037/PST0000172")

    assert body["count"] == 1
    assert body["results"][0]["id"] == records["article"].pk

    _, missing = get(client, "/api/articles/", q="doi:10.9999/nothing")
    assert (missing["count"], missing["results"]) == (0, [])
    assert missing["warnings"] == ["No article has the DOI 10.9999/nothing."]


def test_one_article(client, records):
    article = records["article"]

    response, body = get(client, f"/api/articles/{article.pk}/")

    assert response.status_code == 200
    assert body["title"] == "The alliance in adult psychotherapy"
    assert [author["name"] for author in body["authors"]] == ["A. C. Del Re", "Christoph Flückiger"]
    assert "score" not in body


def test_publisher_is_the_articles_own_else_its_journals(client, db):
    journal = make_journal(title="Psychotherapy", publisher="APA")
    in_journal = make_article(journal=journal)
    book = make_article(journal=None, output_type="book", publisher="Wiley")
    bare = make_article(journal=None)

    publishers = [
        get(client, f"/api/articles/{article.pk}/")[1]["publisher"]
        for article in (in_journal, book, bare)
    ]

    assert publishers == ["APA", "Wiley", ""]


def test_an_unknown_article_is_a_404_in_json(client, db):
    response, body = get(client, "/api/articles/999999/")

    assert response.status_code == 404
    assert body == {"detail": "There is no article with the id 999999."}


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("year_min=abc", "year_min", "The year must be a whole number such as 2010."),
        ("keyword=999999", "keyword", "There is no keyword with the id 999999."),
        ("keyword=x1", "keyword", "“x1” is not a keyword id: ids are whole numbers such as 12."),
        ("page=999999", "page", "Only the first 10,000 results can be paged through"),
        ("page=4", "page", "There is no page 4: the results have 1 page."),
        ("page_size=100000", "page_size", "The page size must be between 1 and 100 results"),
        ("q=" + "x" * 501, "q", "Your search is too long"),
        ("sort=random", "sort", "“random” is not a sort order"),
    ],
)
def test_bad_input_is_a_400_with_a_json_error(client, records, query, field, message):
    response, body = get(client, "/api/articles/?" + query)

    assert response.status_code == 400
    assert body["errors"][field][0].startswith(message)
    assert body["detail"].startswith(message)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        # 500s before issue 16: "²" and "①" pass str.isdigit() but not int().
        ("keyword=%E2%91%A0", "keyword", "“①” is not a keyword id: ids are whole numbers"),
        ("author=%C2%B2", "author", "“²” is not a author id: ids are whole numbers"),
        ("page_size=%C2%B2", "page_size", "The page size must be a whole number between 1"),
        ("page=%EF%BC%92", "page", "The page must be a whole number such as 2."),
        (f"page={2**63}", "page", "There is no such page."),
        (f"subject={2**63}", "subject", f"“{2**63}” is not a subject area id"),
        ("year_max=%D9%A2%D9%A0%D9%A1%D9%A0", "year_max", "The year must be a whole number"),
        ("q=a%00b", "q", "Null characters are not allowed."),
        ("callback=%00", "non_field_errors", "The parameter “callback” holds a NUL character"),
    ],
)
def test_unicode_digits_big_numbers_and_nul_are_a_json_400(client, records, query, field, message):
    response, body = get(client, "/api/articles/?" + query)

    assert response.status_code == 400
    assert body["errors"][field][0].startswith(message)
    assert body["detail"].startswith(message)


@pytest.mark.parametrize(
    "query",
    ['"unbalanced', "OR", "alliance OR", "- -", "<script>alert(1)</script>", "' OR 1=1 --"],
)
def test_odd_queries_are_answered_not_failed(client, records, query):
    response = client.get("/api/articles/", {"q": query})

    assert response.status_code in (200, 400)
    body = json.loads(response.content)
    assert "count" in body or "errors" in body


def test_the_api_is_read_only_for_anonymous_users(client, records):
    article = records["article"]
    for method in ("post", "put", "patch", "delete"):
        for url in ("/api/articles/", f"/api/articles/{article.pk}/"):
            response = getattr(client, method)(url, {}, content_type="application/json")
            assert response.status_code in (403, 405), (method, url)
    assert Article.objects.count() == 6
    assert client.get(f"/api/articles/{article.pk}/").status_code == 200


def test_logged_in_users_cannot_write_either(client, records):
    client.force_login(User.objects.create_user("reader", password="x" * 12))

    response = client.delete(f"/api/articles/{records['article'].pk}/")

    assert response.status_code == 405


def test_search_makes_a_constant_number_of_queries(client, records, django_assert_num_queries):
    # Generation, results statement, articles with their authorships, keywords, subject
    # areas, contributors.
    with django_assert_num_queries(6):
        _, small = get(client, "/api/articles/", q="psychotherapy")
    with django_assert_num_queries(6):
        _, large = get(client, "/api/articles/", q="alliance")
    assert (small["count"], large["count"]) == (1, 6)
    # Asked again: the index generation, then the cached body.
    with django_assert_num_queries(1):
        _, again = get(client, "/api/articles/", q="alliance")
    assert again == large


def test_the_schema_is_valid_openapi():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    validate_schema(schema)
    search = schema["paths"]["/api/articles/"]["get"]
    names = {parameter["name"] for parameter in search["parameters"]}
    assert {"q", "year_min", "year_max", "sort", "page", "page_size"} <= names
    for facet in ("type", "journal", "author", "keyword", "subject", "language", "peer_reviewed"):
        assert {facet, f"not_{facet}"} <= names
    assert set(search["responses"]) == {"200", "400"}
    assert "/api/articles/{id}/" in schema["paths"]


def test_the_schema_states_the_bounds_of_every_number():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/articles/"]["get"]["parameters"]
    }

    assert parameters["page"] == {"type": "integer", "minimum": 1, "maximum": 10**9}
    assert parameters["page_size"] == {"type": "integer", "minimum": 1, "maximum": 100}
    assert parameters["year_min"] == {"type": "integer", "minimum": 1000, "maximum": 2999}
    for name in ("journal", "not_journal", "author", "keyword", "subject", "not_subject"):
        assert parameters[name]["items"] == {
            "type": "integer",
            "format": "int64",
            "minimum": 1,
            "maximum": 2**63 - 1,
        }


def test_the_schema_is_published_and_browsable_offline(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    validate_schema(json.loads(response.content))

    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "swagger-ui" in page
    # Every script and stylesheet is served by this site: no CDN.
    assert not re.search(r"(src|href)=\"https?://", page)
