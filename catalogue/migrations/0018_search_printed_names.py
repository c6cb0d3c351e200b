"""The search index reads printed name forms and citation keys (filled in by the search work)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0017_restore_printed_names"),
    ]

    operations = []
