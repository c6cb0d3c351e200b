"""The benchmarks' databases: a fresh PostgreSQL database or SQLite file per benchmark."""

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
