"""A big import's search indexing and research topics after its commit (issue 17).

Creates `catalogue_import_backlog` (PostgreSQL): the ids of the articles an import still has to
index for search and fingerprint for research topics, written inside the import's transaction
and worked off, a batch per transaction, right after its commit
(catalogue/importer/backlog.py; docs/imports.md). SQLite imports as before: nothing to create.
"""

from django.db import migrations

CREATE = """
CREATE TABLE IF NOT EXISTS catalogue_import_backlog (
    id bigserial PRIMARY KEY,
    batch_id bigint,
    kind varchar(10) NOT NULL CHECK (kind IN ('search', 'topics')),
    article_ids bigint[] NOT NULL,
    created timestamptz NOT NULL DEFAULT now()
)
"""
DROP = "DROP TABLE IF EXISTS catalogue_import_backlog"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0028_search_phrase_boundaries")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
