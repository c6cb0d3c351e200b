"""Tests for catalogue.search.facets: each facet's declaration agrees with the models, the
index, the filter set and the API built from it."""

import pytest
from django.apps import apps
from django.db import connection
from drf_spectacular.generators import SchemaGenerator

from catalogue.models import Article, OutputType, fold
from catalogue.search import FACETS, ID_FACETS, VALUE_FACETS, FacetValue
from catalogue.search.facets import AUTHOR_PARTS, AUTHOR_SORT
from catalogue.search.filters import ArticleFilterSet
from catalogue.search.sqlite import author_label_and_key
from tests.factories import make_author

TABLES = {
    model._meta.db_table: model
    for model in apps.get_app_config("catalogue").get_models(include_auto_created=True)
}


def test_the_facets_and_their_order():
    assert list(FACETS) == [
        "year",
        "type",
        "journal",
        "author",
        "keyword",
        "subject",
        "language",
        "peer_reviewed",
    ]
    assert tuple(list(FACETS)[1:]) == VALUE_FACETS
    assert ID_FACETS == ("journal", "author", "keyword", "subject")


@pytest.mark.parametrize("name", list(FACETS))
def test_a_facet_reads_columns_that_exist(name):
    facet = FACETS[name]
    if facet.link:
        table, column = facet.link
        fields = {field.column for field in TABLES[table]._meta.concrete_fields}
        assert {"article_id", column} <= fields
    elif not facet.sqlite_operand:
        assert facet.column in {field.column for field in Article._meta.concrete_fields}
    if facet.kind == "ids":
        table, _alias = facet.table
        assert table in TABLES
        assert facet.pg_label and facet.sqlite_label
    assert facet.pg_column and facet.pg_type


def test_the_filter_set_has_each_value_facet_and_its_exclusion_between_years_and_sort():
    names = list(ArticleFilterSet.base_filters)

    facets = [part for name in VALUE_FACETS for part in (name, f"not_{name}")]
    assert names == ["q", "year_min", "year_max", *facets, "sort"]


@pytest.fixture(scope="module")
def api_parameters() -> dict[str, dict]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {p["name"]: p for p in schema["paths"]["/api/articles/"]["get"]["parameters"]}


@pytest.mark.parametrize("name", VALUE_FACETS)
def test_the_api_documents_each_value_facet_and_its_exclusion(api_parameters, name):
    facet = FACETS[name]
    for parameter in (name, facet.not_name):
        items = api_parameters[parameter]["schema"]["items"]
        assert items["type"] == ("integer" if facet.kind == "ids" else "string")
        # drf-spectacular lists an enum sorted.
        assert items.get("enum") == (sorted(value for value, _ in facet.choices) or None)


def test_values_are_typed_labelled_and_ordered_by_kind():
    assert FACETS["journal"].value_id("12") == 12
    assert FACETS["year"].value_id("2019") == 2019
    assert FACETS["peer_reviewed"].value_id("true") is True
    assert FACETS["type"].value_id("review") == "review"
    assert FACETS["type"].choice_label("review") == OutputType.REVIEW.label
    assert FACETS["type"].choice_label("unknown") == "unknown"
    assert FACETS["language"].choice_label("de") == "German"
    assert FACETS["language"].choice_label("qqq") == "qqq"
    assert FACETS["peer_reviewed"].choice_label(True) == "Peer reviewed"
    assert FACETS["peer_reviewed"].choice_label("false") == "Not peer reviewed"

    years = [FacetValue(2001, "2001", 5), FacetValue(2003, "2003", 1)]
    assert [v.id for v in sorted(years, key=FACETS["year"].order())] == [2003, 2001]
    booleans = [FacetValue(False, "No", 9), FacetValue(True, "Yes", 1)]
    assert [v.id for v in sorted(booleans, key=FACETS["peer_reviewed"].order())] == [True, False]
    counted = [FacetValue(1, "b", 2), FacetValue(2, "A", 2), FacetValue(3, "c", 5)]
    assert [v.id for v in sorted(counted, key=FACETS["keyword"].order())] == [3, 2, 1]


@pytest.mark.postgres
def test_each_facet_has_its_column_in_the_postgres_index(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'catalogue_search'"
        )
        columns = dict(cursor.fetchall())
    for facet in FACETS.values():
        assert facet.pg_column in columns
        assert (columns[facet.pg_column] == "ARRAY") == facet.pg_array


@pytest.mark.postgres
def test_the_facets_read_from_the_multicolumn_gin_index_are_its_columns(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'catalogue_search_terms'")
        definition = cursor.fetchone()[0]
    columns = definition.split("USING gin (")[1].rstrip(")").split(", ")
    assert columns[0] == "document"
    assert sorted(columns[1:]) == sorted(f.pg_column for f in FACETS.values() if f.pg_gin)


@pytest.mark.postgres
def test_an_authors_a_to_z_key_is_the_same_on_both_backends(db):
    make_author(family_name="Berg", given_names="Ada", particle="van der", suffix="III")
    make_author(family_name="Flückiger", given_names="Christoph")
    make_author(family_name="Solo", given_names="")
    make_author(corporate_name="Open Science Collaboration")
    with connection.cursor() as cursor:
        parts = AUTHOR_PARTS.replace("char(31)", "chr(31)")  # SQLite's char() is chr() here
        sql = f"SELECT {AUTHOR_SORT}, {parts} FROM catalogue_author p ORDER BY p.id"  # noqa: S608
        cursor.execute(sql)
        rows = cursor.fetchall()

    # SQLite sorts by its key (sqlite.py) folded in Python (engine.facet_values).
    assert [key for key, _ in rows] == [fold(author_label_and_key(parts)[1]) for _, parts in rows]
    assert [key for key, _ in rows] == [
        "berg ada",
        "fluckiger christoph",
        "solo",
        "open science collaboration",
    ]


def test_languages_are_named_not_coded():
    # Django's LANG_INFO knows only the languages Django is translated into: not Chinese.
    assert [FACETS["language"].choice_label(code) for code in ("zh", "la", "en", "ast")] == [
        "Chinese",
        "Latin",
        "English",
        "Asturian",
    ]


def test_the_language_facet_chips_and_facet_page_show_names(client, db):
    from django.urls import reverse

    for language in ("zh", "zh", "la"):
        make_article_in(language=language)

    page = client.get(reverse("catalogue:search")).content.decode()
    facet = page[page.index('id="facet-language"') :]
    facet = facet[: facet.index("</section>")]
    assert ">Chinese<" in facet and ">Latin<" in facet
    assert ">zh<" not in facet and ">la<" not in facet

    narrowed = client.get(reverse("catalogue:search"), {"language": "zh"}).content.decode()
    assert "Remove filter Language Chinese" in narrowed

    listed = client.get(reverse("catalogue:search-facet", args=["language"]))
    assert [(value.label, value.count) for value in listed.context["listing"].values] == [
        ("Chinese", 2),
        ("Latin", 1),
    ]
    # The facet page's filter box and A-Z order go by the names too.
    filtered = client.get(
        reverse("catalogue:search-facet", args=["language"]), {"values_filter": "chin"}
    )
    assert [value.label for value in filtered.context["listing"].values] == ["Chinese"]
    by_name = client.get(
        reverse("catalogue:search-facet", args=["language"]), {"values_sort": "az"}
    )
    assert [value.label for value in by_name.context["listing"].values] == ["Chinese", "Latin"]


def make_article_in(*, language: str):
    """Return a saved article in `language` (a new journal each)."""
    from tests.factories import make_article

    return make_article(title=f"A record in {language}", language=language)
