"""Stored match keys for the BibTeX import (issue 17): duplicates found by indexed lookups.

Creates the key tables and their triggers and keys every existing article and person, in
bounded batches, each its own transaction (catalogue/importer/matchkeys.py; docs/imports.md).
"""

from django.db import migrations


def install(apps, schema_editor):
    from catalogue.importer import matchkeys

    matchkeys.install()


def uninstall(apps, schema_editor):
    from catalogue.importer import matchkeys

    matchkeys.uninstall()


class Migration(migrations.Migration):
    # Batches commit as they go: a million articles never sit in one transaction, and the
    # catalogue's tables are locked only while the triggers are created.
    atomic = False

    dependencies = [
        ("catalogue", "0023_topics"),
    ]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
