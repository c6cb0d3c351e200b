"""Trigram indexes on the labels of journals, authors, keywords and subject areas.

The filter box of a facet's "more" list ("Smi" in the authors of the whole catalogue) looked
at every value's label: 1.2 s for the authors of 1,000,000 articles. These GIN (pg_trgm)
indexes over the folded label (lower case, no accents) find the values containing the text
first (catalogue.search.postgres, `facet_list_statement`).

An author's label is `catalogue_author_name(...)`, the name as the page shows it
(`Author.display_name`): the non-empty parts joined by spaces. It is a function so that the
index and the queries share one definition, and it is built from immutable operators only
(not concat_ws, which is STABLE) so that PostgreSQL inlines it instead of calling it per row.

Keeping the author index costs an import about 100-200 ms per 23,000 new authors (GIN
insertions); the other three tables barely change on import.
"""

from django.db import migrations

from catalogue.search.sql import execute


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        execute(
            schema_editor,
            "postgres/catalogue_author_name.v1.sql",
            "postgres/facet_value_trigrams.v1.sql",
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        execute(
            schema_editor,
            "postgres/facet_value_trigrams.v1.down.sql",
            "postgres/catalogue_author_name.v1.down.sql",
        )


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0010_search_sample_key")]

    operations = [migrations.RunPython(forwards, backwards)]
