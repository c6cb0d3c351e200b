"""The search index, kept current by database triggers on every write path.

PostgreSQL: `catalogue_search` is a narrow table with one row per article: a weighted
tsvector (title A, keywords B, abstract C, author names D) and the facet columns, the
keyword/author/subject ids denormalised into arrays with GIN indexes. Statement-level
triggers on the article, authorship, link, keyword and author tables refresh the rows of
the articles a statement touched (set-based, so COPY and bulk_create cost one refresh per
statement); a statement touching more than `catalogue.search_defer_rows` articles (default
1000) queues them and they are indexed once, when the transaction commits (or at
SET CONSTRAINTS ALL IMMEDIATE). `catalogue_search_facet` holds the facet counts of the
whole catalogue, maintained by the same refresh, for the browse-everything page.
`catalogue_search_word` is the vocabulary for "did you mean" (pg_trgm).

SQLite: FTS5 tables (porter stemming, diacritics removed) maintained by row triggers.

Both: `catalogue_search_state.generation` takes a new, never reused value on every change, for
cache keys.

The SQL is in catalogue/search/sql/ (one file per object version; map: docs/search-index.md).
"""

from django.db import migrations

from catalogue.search.sql import execute

POSTGRES = [
    "postgres/extensions.v1.sql",
    "postgres/catalogue_fold.v1.sql",
    "postgres/ts_config_catalogue.v1.sql",
    "postgres/catalogue_search_state.v1.sql",
    "postgres/catalogue_search.v1.sql",
    "postgres/catalogue_search_facet.v1.sql",
    "postgres/catalogue_search_word.v1.sql",
    "postgres/catalogue_search_pending.v1.sql",
    "postgres/catalogue_search_source.v1.sql",
    "postgres/catalogue_search_facet_values.v1.sql",
    "postgres/catalogue_search_refresh.v1.sql",
    "postgres/catalogue_search_indexes.v1.sql",
    "postgres/catalogue_search_recount.v1.sql",
    "postgres/catalogue_search_flush.v1.sql",
    "postgres/catalogue_search_touch.v1.sql",
    "postgres/catalogue_search_pending_flush.v1.sql",
    "postgres/catalogue_search_changed.v1.sql",
    "postgres/catalogue_search_keyword_renamed.v1.sql",
    "postgres/catalogue_search_author_renamed.v1.sql",
    "postgres/catalogue_search_run.v1.sql",
    "postgres/catalogue_search_truncated.v1.sql",
    "postgres/catalogue_search_triggers.v1.sql",
    "postgres/catalogue_search_build.v1.sql",
]

SQLITE = [
    "sqlite/catalogue_search_state.v1.sql",
    "sqlite/catalogue_search_fts.v1.sql",
    "sqlite/catalogue_search_words.v1.sql",
    "sqlite/catalogue_search_vocabulary.v1.sql",
    "sqlite/catalogue_search_triggers.v1.sql",
    "sqlite/catalogue_search_build.v1.sql",
]


def create_search_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        execute(schema_editor, *POSTGRES)
    elif vendor == "sqlite":
        execute(schema_editor, *SQLITE)
    else:
        raise NotImplementedError(f"The search index supports PostgreSQL and SQLite, not {vendor}.")


def drop_search_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        execute(schema_editor, "postgres/search_index.v1.down.sql")
    elif vendor == "sqlite":
        execute(schema_editor, "sqlite/search_index.v1.down.sql")


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0003_librarians_group")]

    operations = [migrations.RunPython(create_search_index, drop_search_index)]
