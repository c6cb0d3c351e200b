"""Benchmark the BibTeX import end to end on PostgreSQL: `python bench/import_bibtex.py`.

Creates (or empties) the database `bench_import`, migrates it, then imports the file twice, each
run in a fresh process: first into the empty catalogue, then into the catalogue that already
holds it (every entry a duplicate). For each run prints entries per second, seconds, peak memory
(the process's maximum resident set size) and the import's counts.

Options: --file PATH (default: the shared 16k-entry corpus file), --server URL (default
postgres://postgres@127.0.0.1:5432), --database NAME (default bench_import), --on-duplicate
skip|update for the second run.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from databases import ROOT, SECRET_KEY

DEFAULT_FILE = (
    Path(__file__).resolve().parents[2] / "shared" / "corpus" / "bibtex" / "large-16k-entries.bib"
)
DATABASE = "bench_import"


def recreate_database(server: str, database: str) -> None:
    import psycopg2

    connection = psycopg2.connect(f"{server}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {database}")
    connection.close()


def child(path: Path, on_duplicate: str) -> None:
    """Import `path` once in this process and print the figures as one JSON line."""
    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalogue.settings")
    django.setup()
    from django.conf import settings

    from catalogue import conf, importer

    settings.CATALOGUE_IMPORT_MAX_BYTES = max(
        conf.get("CATALOGUE_IMPORT_MAX_BYTES"), path.stat().st_size
    )
    marks: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        marks[stage] = time.perf_counter()  # the last report of each stage: when it ended

    start = time.perf_counter()
    data = importer.read_file(path=str(path))
    result = importer.parse_source(data=data, filename=path.name)
    parsed = time.perf_counter()
    batch = importer.run_import(
        data=data,
        filename=path.name,
        user=None,
        on_duplicate=on_duplicate,
        dry_run=False,
        result=result,
        progress=progress,
    )
    end = time.perf_counter()
    seconds = end - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "read_parse": parsed - start,
                "match": marks["matching"] - parsed,
                "write": marks["writing"] - marks["matching"],
                "commit": end - marks["writing"],
                "cpu": usage.ru_utime + usage.ru_stime,
                "entries": batch.entry_count,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "created": batch.created_count,
                "updated": batch.updated_count,
                "duplicates": batch.duplicate_count,
                "probable_duplicates": batch.probable_duplicate_count,
                "failed": batch.failed_count,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--on-duplicate", default="skip", choices=["skip", "update"])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    # As a production server runs: DEBUG off, so Django keeps no log of the queries.
    env = {
        **os.environ,
        "DATABASE_URL": f"{args.server}/{args.database}",
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
    }
    if args.child:
        child(args.file, args.on_duplicate)
        return

    recreate_database(args.server, args.database)
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    print(f"{args.file} ({args.file.stat().st_size / 1e6:.1f} MB) into PostgreSQL {args.database}")
    runs = [("empty catalogue", "skip"), ("already imported", args.on_duplicate)]
    for label, on_duplicate in runs:
        output = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                "--file",
                str(args.file),
                "--on-duplicate",
                on_duplicate,
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        figures = json.loads(output.strip().splitlines()[-1])
        rate = figures["entries"] / figures["seconds"]
        print(
            f"{label:<17} {rate:8,.0f} entries/s  {figures['seconds']:6.2f} s  "
            f"peak {figures['peak_mb']:6.0f} MB  "
            f"created {figures['created']}, updated {figures['updated']}, "
            f"duplicates {figures['duplicates']}, failed {figures['failed']}, "
            f"probable duplicates {figures['probable_duplicates']} "
            f"(of {figures['entries']} entries)"
        )
        print(
            f"{'':<17} read+parse {figures['read_parse']:.2f} s, match {figures['match']:.2f} s, "
            f"write {figures['write']:.2f} s, commit {figures['commit']:.2f} s; "
            f"process CPU {figures['cpu']:.2f} s"
        )


if __name__ == "__main__":
    main()
