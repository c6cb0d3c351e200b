"""The search index reads printed name forms and citation keys.

An authorship keeps its name as the source printed it (migration 0016) and its person
(Author) may be known under another form: the indexed author text is now each authorship's
printed form, then its person's name where that differs, so either form finds the record. The
record's citation key is indexed after the names (weight D on PostgreSQL, the authors column on
SQLite), so a search for "Smith2019deep" or "Knuth:1984:TB" finds it.

PostgreSQL: version 2 of the source view, then the articles whose document changes (a key, or a
printed form differing from its person) are re-indexed; the triggers need no change (an
authorship's update, an author's rename and an article's update already re-index). SQLite:
version 2 of the triggers (the new author text, and a change of the key re-indexes), and the FTS
tables rewritten. Cost on a large catalogue: docs/search-index.md, "Files and migrations".
"""

from django.db import migrations

from catalogue.search.sql import execute

POSTGRES_FORWARDS = (
    "postgres/catalogue_search_source.v2.sql",
    # Re-indexes the articles with a key or a printed form differing from its person.
    "postgres/catalogue_search_build.v2.sql",
)
POSTGRES_BACKWARDS = (
    # DROP VIEW: version 1 is created with CREATE VIEW.
    "postgres/catalogue_search_source.v2.down.sql",
    "postgres/catalogue_search_source.v1.sql",
    # The same articles, re-indexed from version 1.
    "postgres/catalogue_search_build.v2.sql",
)
SQLITE_FORWARDS = (
    "sqlite/catalogue_search_triggers.v2.sql",
    "sqlite/catalogue_search_build.v2.sql",
)
SQLITE_BACKWARDS = (
    "sqlite/catalogue_search_triggers.v2.down.sql",
    "sqlite/catalogue_search_triggers.v1.sql",
    "sqlite/catalogue_search_build.v2.down.sql",
    "sqlite/catalogue_search_build.v1.sql",
)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        execute(schema_editor, *POSTGRES_FORWARDS)
    elif vendor == "sqlite":
        execute(schema_editor, *SQLITE_FORWARDS)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        execute(schema_editor, *POSTGRES_BACKWARDS)
    elif vendor == "sqlite":
        execute(schema_editor, *SQLITE_BACKWARDS)


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0017_restore_printed_names"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
