"""The benchmarks' databases: a fresh PostgreSQL database or SQLite file per benchmark."""

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Settings refuse the development key when DEBUG is off; benchmarks run with DEBUG off.
SECRET_KEY = "benchmark-only-secret-key-not-for-production-use-0123"  # noqa: S105


def recreate_postgres_database(server: str, name: str) -> None:
    """Drop and create the PostgreSQL database `name` on `server`."""
    import psycopg2
    from psycopg2 import sql

    connection = psycopg2.connect(f"{server.rstrip('/')}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connection.close()


def use_database(options: argparse.Namespace, *, name: str) -> None:
    """Point Django at the benchmark's database, emptied unless `options.keep`.

    `options` carries the benchmarks' common arguments: engine, database (default `name`),
    server and keep.
    """
    if options.engine == "postgresql":
        name = options.database or name
        if not options.keep:
            recreate_postgres_database(options.server, name)
        os.environ["DATABASE_URL"] = f"{options.server.rstrip('/')}/{name}"
    else:
        path = Path(options.database or f"/tmp/{name}.sqlite3")  # noqa: S108
        if not options.keep:
            path.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalogue.settings")
    sys.path.insert(0, str(ROOT))


def open_catalogue(*, server: str, database: str) -> None:
    """Set Django up on an existing benchmark catalogue, as a production server runs.

    DEBUG off (no query log), and neither the HTTPS redirect nor the manifest static storage,
    which need a proxy and `collectstatic`.
    """
    os.environ["DATABASE_URL"] = f"{server.rstrip('/')}/{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalogue.settings")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", SECRET_KEY)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False
    settings.STORAGES["staticfiles"]["BACKEND"] = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
