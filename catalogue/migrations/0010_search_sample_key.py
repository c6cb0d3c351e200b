"""The sample index is on (sample + 0), so that a probe's "sample < 16" reads no whole-table index.

A probe (catalogue/search/postgres.py) keeps the rows with sample < 16 through the GIN
indexes built over just those rows (migration 0008). With an index on `sample` as well, the
planner ANDed it with such an index and counted the restriction twice: for a word and a
popular keyword it expected 37 rows, read 2,300 and checked the word on each (a TOAST read,
12-17 ms instead of under 1). The samples' `sample = ANY(buckets)` and a probe with no
GIN-indexed condition now name the index's expression, `(sample + 0)`.
"""

import importlib

from django.db import migrations

probe_indexes = importlib.import_module("catalogue.migrations.0008_search_probe_indexes")

OLD = ("catalogue_search_sample", "ON catalogue_search (sample)")
NEW = ("catalogue_search_sample_key", "ON catalogue_search ((sample + 0))")


def _indexes(*, key: bool) -> list[tuple[str, str]]:
    return [
        (NEW if key else OLD) if index == OLD else index
        for index in probe_indexes.indexes(partial=True)
    ]


def _swap(schema_editor, *, key: bool) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    drop, create = (OLD, NEW) if key else (NEW, OLD)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(probe_indexes.functions_sql(_indexes(key=key)))
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {create[0]} {create[1]}")
        cursor.execute(f"DROP INDEX IF EXISTS {drop[0]}")
        cursor.execute("ANALYZE catalogue_search")


def forwards(apps, schema_editor):
    _swap(schema_editor, key=True)


def backwards(apps, schema_editor):
    _swap(schema_editor, key=False)


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0009_search_match_cost")]

    operations = [migrations.RunPython(forwards, backwards)]
