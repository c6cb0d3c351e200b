"""Partial indexes over the probe's rows (sample < 16) of the search index.

Every context of a results statement is sized first by a 1/64 probe (see
catalogue.search.postgres): its conditions ANDed with `sample < 16`. With whole-table
indexes the conditions were read in full to keep 1/64 of them: a popular keyword's
150,000-entry posting list (15-20 ms) or a broad word's. Indexes restricted to the probe's
rows hold 1/64 of each posting list (13 MB together at 1,000,000 articles), and a probe
reads a sixty-fourth of what it read.

catalogue_search_create_indexes() and catalogue_search_drop_indexes(), which a bulk flush
calls around its writes, now include them.
"""

from django.db import migrations

from catalogue.search.sql import execute


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        execute(schema_editor, "postgres/catalogue_search_indexes.v2.sql")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        execute(
            schema_editor,
            "postgres/catalogue_search_indexes.v2.down.sql",
            "postgres/catalogue_search_indexes.v1.sql",
        )


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0007_search_rows_uncompressed")]

    operations = [migrations.RunPython(forwards, backwards)]
