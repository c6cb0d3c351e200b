"""The index table's id arrays and title key stay uncompressed in the row.

0004 set `toast_tuple_target = 128` to push each document out to TOAST. Past that point
PostgreSQL also compresses the columns kept in the row (the keyword, author and subject id
arrays and the title key) to get under 128 bytes: more than half the rows of a generated
catalogue had pglz-compressed arrays, decompressed again for every facet count and every
filter checked on a row, which doubled the cost of reading a row. With a target of 512 bytes
the document still goes to TOAST (it is what makes a row larger than that) and the rest of a
typical row, about 250 bytes, stays as it is; only rows with hundreds of authors compress.

Existing rows are rewritten with fresh (uncompressed) values; the secondary indexes are
dropped around the rewrite and built again, as for a bulk load.
"""

from django.db import migrations

FORWARDS = r"""
ALTER TABLE catalogue_search SET (toast_tuple_target = 512);
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM catalogue_search) THEN
        SET LOCAL maintenance_work_mem = '512MB';
        PERFORM catalogue_search_drop_indexes();
        CREATE TEMP TABLE catalogue_search_rewrite ON COMMIT DROP AS
            SELECT * FROM catalogue_search;
        TRUNCATE catalogue_search;
        -- "|| '{}'" and "|| ''" build new values: a compressed value copied as it is would
        -- stay compressed.
        INSERT INTO catalogue_search
        SELECT article_id, document, sample, year, date_key, output_type, language,
               peer_reviewed, journal_id, keyword_ids || '{}'::bigint[],
               author_ids || '{}'::bigint[], subject_ids || '{}'::bigint[], title_key || ''
        FROM catalogue_search_rewrite ORDER BY article_id;
        PERFORM catalogue_search_create_indexes();
        ANALYZE catalogue_search;
    END IF;
END
$$;
"""

BACKWARDS = "ALTER TABLE catalogue_search SET (toast_tuple_target = 128);"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARDS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACKWARDS)


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0006_search_refresh_without_jit")]

    operations = [migrations.RunPython(forwards, backwards)]
