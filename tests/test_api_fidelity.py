"""Record fidelity in the JSON API (issue 14): printed names with their person, et al.,
contributors, citation keys, pages as printed and the fields of non-article records."""

import json

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from catalogue.models import Contributor, ContributorRole
from tests.factories import make_article, make_author, make_journal

pytestmark = pytest.mark.django_db

NEW_FIELDS = {
    "pages": "E3313–E3322",
    "book_title": "Handbook of Alliance Research",
    "chapter": "12",
    "edition": "2nd",
    "series": "Lecture Notes in Psychology",
    "series_number": "4B",
    "place": "Berlin",
    "isbn": "978-3-16-148410-0",
    "report_number": "TR-7",
    "genre": "Technical note",
    "howpublished": "Distributed at the meeting",
    "eprint": "2101.00001",
    "eprint_type": "arXiv",
    "eprint_class": "cs.CL",
    "accessed": "2021-03-04",
    "date_text": "1978/79",
    "citation_key": "nguyen1978handbook",
}


@pytest.fixture
def chapter():
    person = make_author(family_name="Nguyen", given_names="Patrick", orcid="0000-0002-1825-0097")
    other = make_author(family_name="Berg", particle="van der", given_names="Jan")
    article = make_article(
        title="Alliance in chapters",
        journal=None,
        output_type="chapter",
        authors=[(person, {"given_names": "P"}), other],
        et_al=True,
        year=1978,
        **NEW_FIELDS,
    )
    Contributor.objects.bulk_create(
        [
            Contributor(
                article=article, role=ContributorRole.TRANSLATOR, position=1, family_name="Weber"
            ),
            Contributor(
                article=article,
                role=ContributorRole.EDITOR,
                position=2,
                family_name="Jones",
                given_names="B",
                suffix="Jr.",
            ),
            Contributor(
                article=article,
                role=ContributorRole.EDITOR,
                position=1,
                family_name="Meer",
                particle="van der",
                given_names="C",
            ),
            Contributor(
                article=article,
                role=ContributorRole.SERIES_EDITOR,
                position=1,
                corporate_name="The Board",
            ),
        ]
    )
    return {"article": article, "person": person, "other": other}


def get(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def test_an_article_gives_printed_names_with_their_person(client, chapter):
    body = get(client, f"/api/articles/{chapter['article'].pk}/")

    person, other = chapter["person"], chapter["other"]
    assert body["authors"] == [
        {
            "id": person.pk,
            "position": 1,
            "name": "P Nguyen",
            "family_name": "Nguyen",
            "given_names": "P",
            "particle": "",
            "suffix": "",
            "corporate_name": "",
            "orcid": "0000-0002-1825-0097",
            "affiliation": "",
            "person": {
                "id": person.pk,
                "name": "Patrick Nguyen",
                "url": f"http://testserver/authors/{person.pk}/",
            },
        },
        {
            "id": other.pk,
            "position": 2,
            "name": "Jan van der Berg",
            "family_name": "van der Berg",
            "given_names": "Jan",
            "particle": "van der",
            "suffix": "",
            "corporate_name": "",
            "orcid": "",
            "affiliation": "",
            "person": {
                "id": other.pk,
                "name": "Jan van der Berg",
                "url": f"http://testserver/authors/{other.pk}/",
            },
        },
    ]
    assert body["et_al"] is True


def test_an_article_gives_its_contributors_by_role_then_position(client, chapter):
    body = get(client, f"/api/articles/{chapter['article'].pk}/")

    assert body["contributors"] == [
        {
            "role": "editor",
            "role_label": "Editor",
            "position": 1,
            "name": "C van der Meer",
            "family_name": "van der Meer",
            "given_names": "C",
            "particle": "van der",
            "suffix": "",
            "corporate_name": "",
        },
        {
            "role": "editor",
            "role_label": "Editor",
            "position": 2,
            "name": "B Jones Jr.",
            "family_name": "Jones",
            "given_names": "B",
            "particle": "",
            "suffix": "Jr.",
            "corporate_name": "",
        },
        {
            "role": "translator",
            "role_label": "Translator",
            "position": 1,
            "name": "Weber",
            "family_name": "Weber",
            "given_names": "",
            "particle": "",
            "suffix": "",
            "corporate_name": "",
        },
        {
            "role": "series-editor",
            "role_label": "Series editor",
            "position": 1,
            "name": "The Board",
            "family_name": "",
            "given_names": "",
            "particle": "",
            "suffix": "",
            "corporate_name": "The Board",
        },
    ]


def test_an_article_gives_every_new_field_as_printed(client, chapter):
    body = get(client, f"/api/articles/{chapter['article'].pk}/")

    assert {name: body[name] for name in NEW_FIELDS} == NEW_FIELDS
    assert (body["article_number"], body["number_of_pages"]) == ("", None)


def test_pages_as_printed_and_the_article_number_are_apart(client):
    numbered = make_article(article_number="e0123", page_count=9)
    paged = make_article(pages="311–325")

    assert [
        (body["pages"], body["article_number"], body["number_of_pages"])
        for body in (get(client, f"/api/articles/{a.pk}/") for a in (numbered, paged))
    ] == [("", "e0123", 9), ("311–325", "", 15)]


def test_a_record_without_the_new_fields_gives_empty_values(client):
    body = get(client, f"/api/articles/{make_article().pk}/")

    assert {name: body[name] for name in NEW_FIELDS} == dict.fromkeys(NEW_FIELDS, "")
    assert (body["et_al"], body["contributors"]) == (False, [])


def test_search_results_carry_the_same_fields(client, chapter):
    body = get(client, "/api/articles/", q="alliance")

    (hit,) = body["results"]
    detail = get(client, f"/api/articles/{chapter['article'].pk}/")
    assert {name: hit[name] for name in detail} == detail
    assert [author["name"] for author in hit["authors"]] == ["P Nguyen", "Jan van der Berg"]


def test_a_doi_search_carries_contributors(client, chapter):
    article = chapter["article"]
    article.doi = "10.5555/chapter"
    article.save()

    (hit,) = get(client, "/api/articles/", q="doi:10.5555/chapter")["results"]

    assert [contributor["name"] for contributor in hit["contributors"]] == [
        "C van der Meer",
        "B Jones Jr.",
        "Weber",
        "The Board",
    ]


@pytest.mark.parametrize("count", [1, 8])
def test_queries_stay_constant_with_contributors(client, django_assert_num_queries, count):
    journal = make_journal()
    for index in range(count):
        article = make_article(
            title=f"Alliance {index}", journal=journal, authors=[make_author()], et_al=True
        )
        Contributor.objects.bulk_create(
            Contributor(article=article, role="editor", position=p, family_name=f"E{p}")
            for p in range(1, count + 1)
        )

    # Generation, results statement, articles with their authorships, keywords, subjects,
    # contributors.
    with django_assert_num_queries(6):
        body = get(client, "/api/articles/", q="alliance")
    assert len(body["results"]) == count
    # The article with its journal, authorships, keywords, subjects and contributors.
    with django_assert_num_queries(5):
        get(client, f"/api/articles/{article.pk}/")


def test_the_schema_declares_the_new_fields_and_stays_valid():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    validate_schema(schema)
    components = schema["components"]["schemas"]
    article = components["Article"]["properties"]
    assert {*NEW_FIELDS, "et_al", "contributors", "article_number", "number_of_pages"} <= set(
        article
    )
    assert article["et_al"]["type"] == "boolean"
    assert article["contributors"]["items"] == {"$ref": "#/components/schemas/Contributor"}
    assert set(components["Contributor"]["properties"]) == {
        "role", "role_label", "position", "name", "family_name", "given_names", "particle",
        "suffix", "corporate_name",
    }  # fmt: skip
    assert components["Author"]["properties"]["person"] == {"$ref": "#/components/schemas/Person"}
    assert set(components["SearchHit"]["properties"]) >= set(article)
