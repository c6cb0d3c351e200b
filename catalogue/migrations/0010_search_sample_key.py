"""The sample index is on (sample + 0), so that a probe's "sample < 16" reads no whole-table index.

A probe (catalogue.search.postgres) keeps the rows with sample < 16 through the GIN
indexes built over just those rows (migration 0008). With an index on `sample` as well, the
planner ANDed it with such an index and counted the restriction twice: for a word and a
popular keyword it expected 37 rows, read 2,300 and checked the word on each (a TOAST read,
12-17 ms instead of under 1). The samples' `sample = ANY(buckets)` and a probe with no
GIN-indexed condition now name the index's expression, `(sample + 0)`.
"""

from django.db import migrations

from catalogue.search.sql import execute


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        execute(schema_editor, "postgres/catalogue_search_indexes.v3.sql")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        execute(
            schema_editor,
            "postgres/catalogue_search_indexes.v2.sql",
            "postgres/catalogue_search_indexes.v3.down.sql",
        )


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0009_search_match_cost")]

    operations = [migrations.RunPython(forwards, backwards)]
