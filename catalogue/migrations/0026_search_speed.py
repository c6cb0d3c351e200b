"""Exact counts of the scalar facets' combinations, and indexes for them (issue 17).

PostgreSQL: version 2 of catalogue_search_facet_values adds one ('cube', key) pair per index
row, the combination of its year, language, peer review and output type, so that
catalogue_search_facet counts the articles of each combination (a few thousand cells at
1,000,000 articles) and the refresh keeps them with the other counts. A search with no words
whose selections are only those facets and a year range takes its exact total and those
facets' counts from the cells (catalogue/search/postgres/cube.py). The existing rows' cells are
counted once here: one scan of catalogue_search. Version 5 of the index functions adds B-trees
on (output_type, date_key) and (language, date_key), so that a selected type or language is
read from an index rather than checked on every row of the other conditions. Cost at
1,000,000 articles: docs/search-design.md. SQLite: nothing (its facets are counted from the
catalogue's own tables).
"""

from django.db import migrations

from catalogue.search.sql import execute

POSTGRES_FORWARDS = (
    "postgres/catalogue_search_facet_values.v2.sql",
    "postgres/catalogue_search_cube.v1.sql",
    "postgres/catalogue_search_indexes.v5.sql",
)
POSTGRES_BACKWARDS = (
    "postgres/catalogue_search_indexes.v5.down.sql",
    "postgres/catalogue_search_indexes.v4.sql",
    "postgres/catalogue_search_cube.v1.down.sql",
    "postgres/catalogue_search_facet_values.v1.sql",
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        execute(schema_editor, *POSTGRES_FORWARDS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        execute(schema_editor, *POSTGRES_BACKWARDS)


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0025_topics_scale"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
