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

from catalogue.search.sql import execute


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        execute(schema_editor, "postgres/catalogue_search.v2.sql")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        execute(schema_editor, "postgres/catalogue_search.v2.down.sql")


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0006_search_refresh_without_jit")]

    operations = [migrations.RunPython(forwards, backwards)]
