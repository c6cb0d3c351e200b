"""The search index's outbox: the embedded Tantivy index of each node follows it (issue 17).

PostgreSQL: table catalogue_search_outbox, appended to by statement triggers on
catalogue_search (insert, update, delete, truncate) once a node's index is built, and
catalogue_search_outbox_state (enabled, pruned_through). See catalogue/search/tantivy/ and
docs/search-index.md ("Embedded index"). SQLite: nothing (the embedded index is PostgreSQL's).
"""

from django.db import migrations, models

import catalogue.models.search_index
from catalogue.search.sql import execute

POSTGRES_FORWARDS = ("postgres/catalogue_search_outbox.v1.sql",)
POSTGRES_BACKWARDS = ("postgres/catalogue_search_outbox.v1.down.sql",)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        execute(schema_editor, *POSTGRES_FORWARDS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        execute(schema_editor, *POSTGRES_BACKWARDS)


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0026_search_speed")]

    operations = [
        migrations.RunPython(forwards, backwards),
        # The tables as unmanaged models (catalogue/models/search_index.py): state only.
        migrations.CreateModel(
            name="SearchIndexOutbox",
            fields=[
                ("seq", models.BigAutoField(primary_key=True, serialize=False)),
                ("article_id", models.BigIntegerField(null=True)),
                ("txid", catalogue.models.search_index.TransactionIdField()),
                ("created", models.DateTimeField()),
            ],
            options={
                "db_table": "catalogue_search_outbox",
                "abstract": False,
                "managed": False,
                "default_permissions": (),
            },
        ),
        migrations.CreateModel(
            name="SearchIndexOutboxState",
            fields=[
                ("id", models.IntegerField(primary_key=True, serialize=False)),
                ("enabled", models.BooleanField()),
                ("pruned_through", models.BigIntegerField()),
            ],
            options={
                "db_table": "catalogue_search_outbox_state",
                "abstract": False,
                "managed": False,
                "default_permissions": (),
            },
        ),
    ]
