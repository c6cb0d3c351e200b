"""A phrase matches within one value of a record, never across two (issue 17).

PostgreSQL: version 3 of the source view builds the document from one vector per value (the
title, each keyword, the abstract, each name form, the citation key) with a gap of 400 unused
positions between two values (catalogue_search_document), so that no phrase, `<->` or `<N>`,
runs from one value into the next; lexemes and weights are unchanged, so searches without a
phrase find the same records. Every article is re-indexed (its positions change). SQLite: FTS5
already kept columns apart; version 3 of the triggers joins the keywords, the names and the key
with a separator word no search can contain, and the FTS rows are rewritten. Cost on a large
catalogue: docs/search-index.md, "Phrases within one value". A PostgreSQL catalogue of more than
REINDEX_IN_MIGRATION articles is not re-indexed here, in one transaction that searches wait for
(29 min 49 s at 1,000,000 articles): version 3 is installed and `manage.py search_index reindex`
re-indexes it online, 5,000 articles a transaction; until then its documents keep version 2's
positions, right for every search but phrases.
"""

from django.db import migrations

from catalogue.search.sql import execute

# About a minute of re-indexing on two cores (1.3-1.8 ms an article).
REINDEX_IN_MIGRATION = 50_000

POSTGRES_FORWARDS = ("postgres/catalogue_search_source.v3.sql",)
# Re-indexes every article: a bulk load above catalogue.search_bulk_rows.
POSTGRES_REINDEX = ("postgres/catalogue_search_build.v3.sql",)
POSTGRES_BACKWARDS = (
    "postgres/catalogue_search_source.v2.sql",
    "postgres/catalogue_search_source.v3.down.sql",
    "postgres/catalogue_search_build.v3.sql",
)
SQLITE_FORWARDS = (
    "sqlite/catalogue_search_triggers.v3.sql",
    "sqlite/catalogue_search_build.v3.sql",
)
SQLITE_BACKWARDS = (
    # Version 2 drops and creates every trigger: no down file needed.
    "sqlite/catalogue_search_triggers.v2.sql",
    "sqlite/catalogue_search_build.v2.sql",
)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        execute(schema_editor, *POSTGRES_FORWARDS)
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM catalogue_search")
            articles = cursor.fetchone()[0]
        if articles <= REINDEX_IN_MIGRATION:
            execute(schema_editor, *POSTGRES_REINDEX)
        else:
            print(
                f"\n  Search index: {articles:,} articles keep their documents until re-indexed "
                "online: run `python manage.py search_index reindex` (phrases may run across "
                "values until then; docs/search-index.md)."
            )
    elif vendor == "sqlite":
        execute(schema_editor, *SQLITE_FORWARDS)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        execute(schema_editor, *POSTGRES_BACKWARDS)
    elif vendor == "sqlite":
        execute(schema_editor, *SQLITE_BACKWARDS)


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0027_search_outbox")]

    operations = [migrations.RunPython(forwards, backwards)]
