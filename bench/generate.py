"""Benchmark the synthetic catalogue generator into a fresh database.

    .venv/bin/python bench/generate.py                      # 1,000,000 articles into PostgreSQL
    .venv/bin/python bench/generate.py --articles 3000 --engine sqlite

PostgreSQL: drops and recreates the database (default `bench_catalogue` on
postgres://postgres@127.0.0.1:5432), migrates it, generates (the records in one transaction,
then the search index in batches of their own), then VACUUM ANALYZEs it so later benchmarks
start from planner statistics. SQLite: a fresh file.
Prints articles/s, seconds per phase, the longest single statement and COMMIT, rows and
on-disk size per table, and peak memory.
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

from databases import recreate_postgres_database

ROOT = Path(__file__).resolve().parent.parent
TABLES = (
    "catalogue_article",
    "catalogue_authorship",
    "catalogue_article_keywords",
    "catalogue_article_subject_areas",
    "catalogue_author",
    "catalogue_keyword",
    "catalogue_journal",
    "catalogue_subjectarea",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--engine", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument(
        "--database",
        default=None,
        help="PostgreSQL database name (default bench_catalogue; it is dropped and recreated) "
        "or SQLite file (default /tmp/bench_catalogue.sqlite3; it is replaced)",
    )
    parser.add_argument(
        "--server",
        default="postgres://postgres@127.0.0.1:5432",
        help="PostgreSQL server URL without a database name",
    )
    parser.add_argument(
        "--migrate-to",
        metavar="MIGRATION",
        help="stop at this catalogue migration (e.g. one before a trigger-maintained index, "
        "to time the generator alone); default: all",
    )
    parser.add_argument("--no-vacuum", action="store_true", help="skip VACUUM ANALYZE")
    options = parser.parse_args()

    if options.engine == "postgresql":
        name = options.database or "bench_catalogue"
        recreate_postgres_database(options.server, name)
        os.environ["DATABASE_URL"] = f"{options.server.rstrip('/')}/{name}"
    else:
        path = Path(options.database or "/tmp/bench_catalogue.sqlite3")  # noqa: S108
        path.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalogue.settings")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from catalogue import synthetic

    started = time.perf_counter()
    if options.migrate_to:
        call_command("migrate", "catalogue", options.migrate_to, verbosity=0)
    else:
        call_command("migrate", verbosity=0)
    migrated = time.perf_counter() - started

    report = synthetic.generate_catalogue(
        articles=options.articles,
        seed=options.seed,
        batch_size=options.batch_size or synthetic.DEFAULT_BATCH_SIZE,
        progress=progress_line if sys.stderr.isatty() else None,
    )
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    vacuumed = None
    if connection.vendor == "postgresql" and not options.no_vacuum:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        vacuumed = time.perf_counter() - started

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM django_migrations WHERE app = 'catalogue' ORDER BY id DESC LIMIT 1"
        )
        schema = cursor.fetchone()[0]
    print(f"migrate: {migrated:.1f} s (catalogue at {schema})")
    print(
        f"generate: {report.articles:,} articles (seed {report.seed}) in {report.seconds:.1f} s "
        f"= {report.articles_per_second:,.0f} articles/s, {report.total_rows:,} rows "
        f"= {report.rows_per_second:,.0f} rows/s"
    )
    print(
        "phases: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in report.phases.items())
    )
    seconds, what = report.longest_statement
    print(f"longest statement: {seconds:.1f} s ({what})")
    print(f"longest COMMIT: {report.longest_commit:.2f} s")
    if report.indexed:
        print(f"search index: {report.indexed:,} rows written after the data commit")
    if vacuumed is not None:
        print(f"vacuum analyze: {vacuumed:.1f} s (its own statement, after the run)")
    print(f"peak memory (maxrss): {peak_mib:,.0f} MiB")
    print(f"{'table':<34}{'rows':>12}{'heap+toast':>14}{'indexes':>12}{'total':>12}")
    for table, rows, data, indexes, total in table_sizes(connection):
        print(f"{table:<34}{rows:>12,}{mib(data):>14}{mib(indexes):>12}{mib(total):>12}")
    print(f"database size: {mib(database_size(connection))}")


def progress_line(stage: str, done: int, total: int) -> None:
    line = f"{stage}: {done:,} / {total:,}" if total else stage
    sys.stderr.write(f"\r  {line}\033[K")
    sys.stderr.flush()


def table_sizes(connection) -> list[tuple[str, int, int, int, int]]:
    """Return (table, rows, heap+TOAST bytes, index bytes, total bytes) per catalogue table."""
    sizes = []
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            rows = cursor.fetchone()[0]
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT pg_table_size(%s), pg_indexes_size(%s), pg_total_relation_size(%s)",
                    [table] * 3,
                )
                data, indexes, total = cursor.fetchone()
            else:
                cursor.execute("SELECT SUM(pgsize) FROM dbstat WHERE name = %s", [table])
                data = cursor.fetchone()[0] or 0
                cursor.execute(
                    "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN "
                    "(SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = %s)",
                    [table],
                )
                indexes = cursor.fetchone()[0]
                total = data + indexes
            sizes.append((table, rows, data, indexes, total))
    return sizes


def database_size(connection) -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            return cursor.fetchone()[0]
        cursor.execute("SELECT page_count * page_size FROM pragma_page_count, pragma_page_size")
        return cursor.fetchone()[0]


def mib(size: int) -> str:
    return f"{size / 1024 / 1024:,.1f} MiB"


if __name__ == "__main__":
    main()
