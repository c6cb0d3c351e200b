"""Tell the planner what checking a word query against a stored document costs.

PostgreSQL prices `tsvector @@ tsquery` (ts_match_vq) like any operator, 1 x
cpu_operator_cost. Checked on a row of catalogue_search it first fetches the document from
TOAST (the row keeps only the facet columns), about 5 microseconds, 100 times an operator.
Priced as an operator, the planner would rather check a word on the 6,000 rows of a keyword's
sample than read the word's posting list into the bitmap: 58 ms against 37 ms for one context
of a "term + 3 filters" page (1,000,000 articles, bench/search.py).

ts_match_vq lives in this database's pg_catalog: changing its cost needs a superuser (as the
catalogue's owner usually is in development and in docker-compose). Without one the
migration changes nothing and says so; searches are as correct, some slower.
"""

from django.db import migrations

from catalogue.search.sql import execute

FUNCTION = "ts_match_vq(tsvector, tsquery)"


def _set_cost(schema_editor, name: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    if not (row and row[0]):
        print(f"\n  Not a superuser: {FUNCTION} keeps its cost (see migration 0009).")
        return
    execute(schema_editor, name)


def forwards(apps, schema_editor):
    _set_cost(schema_editor, "postgres/ts_match_vq.v1.sql")


def backwards(apps, schema_editor):
    _set_cost(schema_editor, "postgres/ts_match_vq.v1.down.sql")


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0008_search_probe_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
