"""An index in `Article.objects.newest_first()` order (the home page, entity pages, feeds).

Without it the home page read and sorted every article: 65 ms at 20,000 articles on
PostgreSQL, seconds at 1,000,000 (docs/performance.md, "Load test"). The order puts undated
articles last: PostgreSQL needs `DESC NULLS LAST` for that; SQLite sorts NULL lowest, so a
plain `DESC` index is already in that order (and SQLite refuses NULLS LAST in an index).
Django's Index cannot say both, so the index is created here and not listed in the model.
"""

from django.db import migrations

COLUMNS = ("year", "month", "day")
NAME = "article_newest_first"


def create(apps, schema_editor):
    nulls = " NULLS LAST" if schema_editor.connection.vendor == "postgresql" else ""
    columns = ", ".join(f"{column} DESC{nulls}" for column in COLUMNS)
    schema_editor.execute(f"CREATE INDEX {NAME} ON catalogue_article ({columns}, id DESC)")


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX {NAME}")


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0021_import_jobs")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
