"""Btree indexes on the A-Z sort keys of authors and keywords.

A facet's "more" list sorted A-Z over the whole catalogue labelled and sorted every value:
1.3 s for the 400,000 authors of 1,000,000 articles. With these indexes the statement reads
the values in name order and stops after the page (catalogue.search.postgres,
`facet_list_statement`). Journals (thousands) and subject areas (hundreds) sort fast enough
without one.

An author sorts by "family given", or by the corporate name, folded, as on SQLite. The key was
concat_ws(' ', family, given, corporate), which kept the empty parts' spaces, so on PostgreSQL
corporate authors sorted before everyone ("  Open Science ..."); and concat_ws is STABLE,
which cannot be indexed.
"""

from django.db import migrations

from catalogue.search.sql import execute


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        execute(schema_editor, "postgres/facet_value_sort_keys.v1.sql")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        execute(schema_editor, "postgres/facet_value_sort_keys.v1.down.sql")


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0013_article_publisher")]

    operations = [migrations.RunPython(forwards, backwards)]
