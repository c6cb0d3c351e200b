"""Index refreshes run without JIT compilation.

Inside an import's transaction the tables just filled have no statistics, so the planner
prices a 5,000-article refresh in the hundreds of thousands and JIT-compiles it: about one
second of compilation per chunk for a statement that then runs in half a second.
"""

from django.db import migrations

FUNCTIONS = [
    "catalogue_search_refresh(bigint[], boolean)",
    "catalogue_search_flush()",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for function in FUNCTIONS:
            cursor.execute(f"ALTER FUNCTION {function} SET jit = off")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for function in FUNCTIONS:
            cursor.execute(f"ALTER FUNCTION {function} RESET jit")


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0005_evidence_summaries")]

    operations = [migrations.RunPython(forwards, backwards)]
