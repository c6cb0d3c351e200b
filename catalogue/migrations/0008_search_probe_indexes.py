"""Partial indexes over the probe's rows (sample < 16) of the search index.

Every context of a results statement is sized first by a 1/64 probe (see
catalogue/search/postgres.py): its conditions ANDed with `sample < 16`. With whole-table
indexes the conditions were read in full to keep 1/64 of them: a popular keyword's
150,000-entry posting list (15-20 ms) or a broad word's. Indexes restricted to the probe's
rows hold 1/64 of each posting list (13 MB together at 1,000,000 articles), and a probe
reads a sixty-fourth of what it read.

catalogue_search_create_indexes() and catalogue_search_drop_indexes(), which a bulk flush
calls around its writes, now include them.
"""

from django.db import migrations

# (index suffix, method and column list) of the whole-table secondary indexes (0004).
WHOLE = [
    ("document", "USING gin (document)"),
    ("keyword_ids", "USING gin (keyword_ids)"),
    ("author_ids", "USING gin (author_ids)"),
    ("subject_ids", "USING gin (subject_ids)"),
    ("journal", "(journal_id, date_key)"),
    ("year", "(year)"),
    ("newest", "(date_key DESC NULLS LAST, article_id DESC)"),
    ("oldest", "(date_key ASC NULLS LAST, article_id ASC)"),
    ("title", "(title_key, article_id)"),
    ("sample", "(sample)"),
]
# The GIN indexes again, over the probe's rows. Not the B-trees: the planner would scan a
# small partial B-tree whole, as a list of the probe's rows, and AND it with another.
PARTIAL = [
    ("document", "USING gin (document)"),
    ("keyword_ids", "USING gin (keyword_ids)"),
    ("author_ids", "USING gin (author_ids)"),
    ("subject_ids", "USING gin (subject_ids)"),
]
# Must match PROBE_BUCKETS in catalogue/search/postgres.py.
PROBE_BUCKETS = 16


def indexes(*, partial: bool) -> list[tuple[str, str]]:
    """Return (name, definition) of the secondary indexes, with the probe ones if `partial`."""
    result = [(f"catalogue_search_{name}", f"ON catalogue_search {how}") for name, how in WHOLE]
    if partial:
        # Each predicate differs (sample < 16, < 17, ...), all implied by the probe's
        # "sample < 16": the planner ANDs two index scans only if their predicates differ.
        result += [
            (
                f"catalogue_search_probe_{name}",
                f"ON catalogue_search {how} WHERE sample < {PROBE_BUCKETS + number}",
            )
            for number, (name, how) in enumerate(PARTIAL)
        ]
    return result


def functions_sql(definitions: list[tuple[str, str]]) -> str:
    """Return the SQL (re)defining the functions that create and drop `definitions`."""
    creates = "\n".join(
        f"    CREATE INDEX IF NOT EXISTS {name} {how};" for name, how in definitions
    )
    names = ", ".join(name for name, _ in definitions)
    return f"""
CREATE OR REPLACE FUNCTION catalogue_search_create_indexes() RETURNS void
    LANGUAGE plpgsql
    SET maintenance_work_mem = '512MB'
    AS $$
BEGIN
{creates}
END
$$;

CREATE OR REPLACE FUNCTION catalogue_search_drop_indexes() RETURNS void
    LANGUAGE sql AS $$
    DROP INDEX IF EXISTS {names};
$$;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(functions_sql(indexes(partial=True)))
        cursor.execute("SELECT catalogue_search_create_indexes()")
        cursor.execute("ANALYZE catalogue_search")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    partial = sorted(set(indexes(partial=True)) - set(indexes(partial=False)))
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {', '.join(name for name, _ in partial)}")
        cursor.execute(functions_sql(indexes(partial=False)))


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0007_search_rows_uncompressed")]

    operations = [migrations.RunPython(forwards, backwards)]
