"""Shared fixtures and markers for the whole suite."""

import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    # PostgreSQL-only tests are skipped on SQLite and never skipped on PostgreSQL.
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def seed(db, django_db_setup):
    """Load the seed fixtures (three articles with journals, authors, keywords, subjects)."""
    from django.core.management import call_command

    call_command("loaddata", "seed", verbosity=0)
