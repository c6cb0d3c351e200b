"""One multicolumn GIN index for words, keywords, authors, subjects and journals (and one more
over the probe's rows) instead of one GIN index per column.

A context of a results statement ANDs its conditions: a word and a popular keyword were two
bitmaps, the word's 56,769 entries and the keyword's 151,805 (27 ms), for 8,535 rows in
common. A multicolumn GIN index matches all of its columns' conditions in one scan and skips
through the longer posting lists to the entries the shorter ones need: the same rows in 9.5 ms.
A journal is in it too (btree_gin, for "="): keyword 2 and journal 8 went from 22 ms (the
keyword's 120,593 entries ANDed with the journal's 10,845) to 2.3 ms.

Over the probe's rows (sample < 16) migration 0008 built one partial GIN index per column,
with predicates sample < 16, < 17, ... so that the planner could AND two. It ANDed them only
one way round: it adds indexes in order of estimated cost and skips one whose predicate
follows from those already chosen, so when the word's index (sample < 16) looked cheaper than
a keyword's (sample < 17) the word was read from the whole-table index instead (16 ms instead
of 0.5 ms, per context). One multicolumn partial index has one predicate and no such choice.

The (journal_id, date_key) B-tree stays: it answers a journal and a year range together.
Figures: docs/performance.md (Search), 1,000,000 articles.
"""

import importlib

from django.db import migrations

probe_indexes = importlib.import_module("catalogue.migrations.0008_search_probe_indexes")
sample_key = importlib.import_module("catalogue.migrations.0010_search_sample_key")

COLUMNS = ("document", "keyword_ids", "author_ids", "subject_ids")
SEPARATE = [f"catalogue_search_{name}" for name in COLUMNS] + [
    f"catalogue_search_probe_{name}" for name in COLUMNS
]
GIN = "USING gin (document, keyword_ids, author_ids, subject_ids, journal_id)"
COMBINED = [
    ("catalogue_search_terms", f"ON catalogue_search {GIN}"),
    # PROBE_BUCKETS must match catalogue/search/postgres.py.
    (
        "catalogue_search_probe",
        f"ON catalogue_search {GIN} WHERE sample < {probe_indexes.PROBE_BUCKETS}",
    ),
]


def _definitions(*, combined: bool) -> list[tuple[str, str]]:
    definitions = sample_key._indexes(key=True)
    if combined:
        definitions = [d for d in definitions if d[0] not in SEPARATE] + COMBINED
    return definitions


def _swap(schema_editor, *, combined: bool) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    drop = SEPARATE if combined else [name for name, _ in COMBINED]
    with schema_editor.connection.cursor() as cursor:
        # Trusted since PostgreSQL 13: the database's owner may create it.
        cursor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
        cursor.execute(probe_indexes.functions_sql(_definitions(combined=combined)))
        cursor.execute("SELECT catalogue_search_create_indexes()")
        cursor.execute(f"DROP INDEX IF EXISTS {', '.join(drop)}")
        cursor.execute("ANALYZE catalogue_search")


def forwards(apps, schema_editor):
    _swap(schema_editor, combined=True)


def backwards(apps, schema_editor):
    _swap(schema_editor, combined=False)


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0011_facet_value_trigrams")]

    operations = [migrations.RunPython(forwards, backwards)]
