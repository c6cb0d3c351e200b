"""Restore printed name forms from the import history (filled in by the importer's work)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0016_record_fidelity"),
    ]

    operations = []
