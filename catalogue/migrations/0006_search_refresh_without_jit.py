"""Index refreshes run without JIT compilation.

Inside an import's transaction the tables just filled have no statistics, so the planner
prices a 5,000-article refresh in the hundreds of thousands and JIT-compiles it: about one
second of compilation per chunk for a statement that then runs in half a second.
"""

from django.db import migrations

from catalogue.search.sql import execute


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        execute(
            schema_editor,
            "postgres/catalogue_search_refresh.v2.sql",
            "postgres/catalogue_search_flush.v2.sql",
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        execute(
            schema_editor,
            "postgres/catalogue_search_refresh.v1.sql",
            "postgres/catalogue_search_flush.v1.sql",
        )


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0005_evidence_summaries")]

    operations = [migrations.RunPython(forwards, backwards)]
