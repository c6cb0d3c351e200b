"""Benchmark the BibTeX import end to end on PostgreSQL: `python bench/import_bibtex.py`.

Creates (or empties) the database `bench_import`, migrates it, then imports the file twice, each
run in a fresh process: first into the empty catalogue, then into the catalogue that already
holds it (every entry a duplicate). For each run prints entries per second, seconds, peak memory
(the process's maximum resident set size) and the import's counts.

Options: --file PATH (default: the shared 16k-entry corpus file), --server URL (default
postgres://postgres@127.0.0.1:5432), --database NAME (default bench_import), --on-duplicate
skip|update for the second run, --without-topics to import without fingerprinting the records
(what research topics add to an import, issue 19).

Into an existing catalogue (issue 17): `--existing` imports the file into --database as it is
(a copy of the 1M catalogue, say; never recreated nor migrated), `--runs N` times, each in a
fresh process, undoing each import afterwards (outside the measure; `--keep` keeps them, so the
catalogue grows by the file each run). Every run also reports the longest statement and the
longest COMMIT (timed in the importing process: COPYs and queries alike), the seconds spent in
research topics (catalogue.topics.update_articles, issue 19) and in keeping the match keys
current, and the CPU of the database backends the import used (read from /proc when the server
runs on this machine: PostgreSQL's share beside the process's own). `--profile PATH` writes a
cProfile of the import (pstats) to PATH.

The time of a run is until the import returns, its records searchable: on PostgreSQL that
includes the search index and research topics done after the commit (the line "after the
commit"; catalogue/importer/backlog.py), "commit" is from the end of the writing to the
records committed.

Big uploads (issue 16, finding 3): `--size-mb 49` builds a file of that many MiB from the
corpus file (copies with distinct keys, DOIs and titles, so that they are new records, in a
temporary directory), then measures, each in a fresh process, the peak memory and time of
parsing it, of parsing and planning it, and of importing it whole (parse, plan, write,
commit) into an empty catalogue. `--engine sqlite` imports into a temporary SQLite file
instead of PostgreSQL; `--repeat N` runs each measure N times.
"""

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
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


class Timings:
    """The longest statement and COMMIT of this process, and where the import's time went."""

    def __init__(self) -> None:
        self.statement = (0.0, "")
        self.commit = 0.0
        self.topics = 0.0
        self.keys = 0.0
        self.by_kind: dict[str, float] = {}
        self.backends = BackendCpu()

    def note_statement(self, seconds: float, sql: str) -> None:
        text = " ".join(sql.split())
        if seconds > self.statement[0]:
            self.statement = (seconds, text[:90])
        kind = " ".join(text.split()[:4])[:60]
        self.by_kind[kind] = self.by_kind.get(kind, 0.0) + seconds


class BackendCpu:
    """The CPU seconds of the database backends this process connects to (a server on this
    machine: read from /proc; None elsewhere), sampled while they live."""

    def __init__(self) -> None:
        self.seconds: dict[int, float] = {}
        self.seen: set[int] = set()
        self.readable = True
        self.lock = threading.Lock()

    def watch(self, sender: object, connection: object, **kwargs: object) -> None:
        with connection.cursor() as cursor:  # type: ignore[attr-defined]
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        with self.lock:
            first = not self.seconds
            self.seconds.setdefault(pid, 0.0)
        self.read()
        if first:
            threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while True:
            self.read()
            time.sleep(0.02)

    def read(self) -> None:
        with self.lock:
            for pid in self.seconds:
                try:
                    with open(f"/proc/{pid}/stat") as stat:
                        fields = stat.read().rsplit(")", 1)[1].split()
                except OSError:
                    if pid not in self.seen:
                        self.readable = False  # the server is not on this machine
                    continue
                self.seen.add(pid)
                ticks = int(fields[11]) + int(fields[12])  # utime + stime
                self.seconds[pid] = ticks / os.sysconf("SC_CLK_TCK")

    def total(self) -> float | None:
        self.read()
        return sum(self.seconds.values()) if self.readable else None


def _instrument(timings: Timings, *, topics: bool) -> None:
    """Time every statement, COPY and COMMIT of the default connection, topics and match keys."""
    from django.db import connection
    from django.db.backends.signals import connection_created

    import catalogue.topics
    from catalogue import db

    # The backends' CPU: the search index's worker after the commit has a connection of its own.
    connection_created.connect(timings.backends.watch, weak=False)

    try:
        from catalogue.importer import matchkeys
    except ImportError:  # a checkout from before the stored match keys, for comparison
        matchkeys = None

    def execute(run, sql, params, many, context):
        started = time.perf_counter()
        try:
            return run(sql, params, many, context)
        finally:
            timings.note_statement(time.perf_counter() - started, sql)

    connection.ensure_connection()
    if not timings.backends.seconds:  # connected before the signal was connected
        timings.backends.watch(None, connection)
    connection.execute_wrappers.append(execute)
    copy_rows = db.copy_rows

    def timed_copy(model, fields, rows):
        rows = list(rows)  # the rows are made by the caller: time only the COPY
        started = time.perf_counter()
        copy_rows(model, fields, rows)
        timings.note_statement(time.perf_counter() - started, f"COPY {model._meta.db_table}")

    db.copy_rows = timed_copy
    commit = connection._commit

    def timed_commit():
        started = time.perf_counter()
        try:
            return commit()
        finally:
            timings.commit = max(timings.commit, time.perf_counter() - started)

    connection._commit = timed_commit
    update_articles = catalogue.topics.update_articles

    def timed_topics(ids):
        started = time.perf_counter()
        try:
            return update_articles(ids) if topics else 0
        finally:
            timings.topics += time.perf_counter() - started

    catalogue.topics.update_articles = timed_topics
    for name in ("ensure_current", "refresh", "store_new") if matchkeys else ():
        original = getattr(matchkeys, name)

        def timed(*args, original=original, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                timings.keys += time.perf_counter() - started

        setattr(matchkeys, name, timed)


def child(
    path: Path,
    on_duplicate: str,
    *,
    topics: bool = True,
    undo: bool = False,
    profile: str = "",
) -> None:
    """Import `path` once in this process and print the figures as one JSON line."""
    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalogue.settings")
    django.setup()
    from django.conf import settings

    from catalogue import conf, importer

    # Without topics: what the research topics add to an import (issue 19: at most 20%), the
    # same import without fingerprinting its records.
    timings = Timings()
    _instrument(timings, topics=topics)

    settings.CATALOGUE_IMPORT_MAX_BYTES = max(
        conf.get("CATALOGUE_IMPORT_MAX_BYTES"), path.stat().st_size
    )
    marks: dict[str, float] = {}
    firsts: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        marks[stage] = time.perf_counter()  # the last report of each stage: when it ended
        firsts.setdefault(stage, marks[stage])

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
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
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    seconds = end - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures = {
        "seconds": seconds,
        "read_parse": parsed - start,
        "match": marks["matching"] - parsed,
        "write": marks["writing"] - marks["matching"],
        # From the end of the writing to the records committed; then the work after the
        # commit (catalogue/importer/backlog.py: search index and topics), if any.
        "commit": firsts.get("indexing", end) - marks["writing"],
        "after_commit": end - firsts.get("indexing", end),
        "cpu": usage.ru_utime + usage.ru_stime,
        "server_cpu": timings.backends.total(),
        "entries": batch.entry_count,
        "peak_mb": peak_rss() / 2**20,
        "created": batch.created_count,
        "updated": batch.updated_count,
        "duplicates": batch.duplicate_count,
        "probable_duplicates": batch.probable_duplicate_count,
        "failed": batch.failed_count,
        "longest_statement": timings.statement[0],
        "longest_statement_sql": timings.statement[1],
        "longest_commit": timings.commit,
        "topics": timings.topics,
        "keys": timings.keys,
        # The statements that took longest in all, by their first words.
        "statements": sorted(timings.by_kind.items(), key=lambda kind: -kind[1])[:8],
    }
    if undo:
        started = time.perf_counter()
        importer.undo_import(batch=batch)
        figures["undo"] = time.perf_counter() - started
    print(json.dumps(figures))


_KEY = re.compile(r"^(@\w+\{)([^,\s]+),", re.MULTILINE)
_CROSSREF = re.compile(r"^(\s*crossref\s*=\s*\{)([^}]*)\}", re.MULTILINE | re.IGNORECASE)
_TITLE = re.compile(r"^(\s*title\s*=\s*\{)", re.MULTILINE | re.IGNORECASE)
_DOI = re.compile(r"^(\s*doi\s*=\s*\{)([^}]*)\}", re.MULTILINE | re.IGNORECASE)


def build_big_file(source: Path, size: int, target: Path) -> int:
    """Write about `size` bytes of copies of `source` to `target`, each copy new records.

    Copy n > 0 renames every key (and crossref) to `key-cn`, starts every title with
    "Part n: " and ends every DOI with `.cn`. Cut at an entry start; returns the size.
    """
    text = source.read_text(encoding="utf-8")
    written = copy = 0
    with target.open("wb") as handle:
        while written < size:
            data = _renamed_copy(text, copy).encode()
            if written + len(data) > size:
                data = data[: data.rfind(b"\n@", 0, size - written) + 1]
                size = written  # the last, partial copy
            handle.write(data)
            written += len(data)
            copy += 1
    return written


def _renamed_copy(text: str, copy: int) -> str:
    if not copy:
        return text
    text = _KEY.sub(rf"\g<1>\g<2>-c{copy},", text)
    text = _CROSSREF.sub(rf"\g<1>\g<2>-c{copy}}}", text)
    text = _TITLE.sub(rf"\g<1>Part {copy}: ", text)
    return _DOI.sub(rf"\g<1>\g<2>.c{copy}}}", text)


def peak_rss() -> int:
    """Return this process's peak resident set in bytes (VmHWM: ru_maxrss survives exec)."""
    try:
        with open("/proc/self/status") as lines:
            for line in lines:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def big_child(path: Path, stage: str) -> None:
    """Parse (and plan, and import) `path` once in this process; print figures as JSON."""
    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalogue.settings")
    django.setup()
    from django.conf import settings

    from catalogue import conf, importer

    settings.CATALOGUE_IMPORT_MAX_BYTES = max(
        conf.get("CATALOGUE_IMPORT_MAX_BYTES"), path.stat().st_size
    )
    data = importer.read_file(path=str(path))
    figures: dict[str, float] = {"size": len(data), "base": peak_rss()}
    start = time.perf_counter()
    result = importer.parse_source(data=data, filename=path.name)
    figures["parse"] = time.perf_counter() - start
    figures["entries"] = len(result.entries)
    if stage == "plan":
        started = time.perf_counter()
        plan = importer.plan_import(result, on_duplicate="skip")
        figures["plan"] = time.perf_counter() - started
        figures["created"] = plan.counts["created_count"]
    elif stage == "import":
        marks: dict[str, float] = {}

        def progress(step: str, done: int, total: int) -> None:
            marks[step] = time.perf_counter()

        started = time.perf_counter()
        batch = importer.run_import(data=data, filename=path.name, result=result, progress=progress)
        end = time.perf_counter()
        figures.update(
            plan=marks["matching"] - started,
            write=marks["writing"] - marks["matching"],
            commit=end - marks["writing"],
            created=batch.created_count,
            failed=batch.failed_count,
        )
    figures["total"] = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures["cpu"] = usage.ru_utime + usage.ru_stime  # this process's; not the database's
    figures["peak"] = peak_rss()
    print(json.dumps(figures))


def big_upload(args: argparse.Namespace) -> None:
    """Build a file of `args.size_mb` MiB and measure parse, plan and import in fresh processes."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"big-{args.size_mb}mb.bib"
        size = build_big_file(args.file, int(args.size_mb * 1024 * 1024), path)
        env = {**os.environ, "DEBUG": "0", "SECRET_KEY": SECRET_KEY}
        if args.engine == "sqlite":
            env["DATABASE_URL"] = f"sqlite:///{Path(directory) / 'bench.sqlite3'}"
        else:
            env["DATABASE_URL"] = f"{args.server}/{args.database}"
        print(f"{path.name}: {size / 1e6:.1f} MB built from {args.file.name}; {args.engine}")
        for run in range(1, args.repeat + 1):
            for stage in ("parse", "plan", "import"):
                if stage != "parse":  # plan and import against an empty catalogue
                    if args.engine == "postgresql":
                        recreate_database(args.server, args.database)
                    else:
                        Path(directory, "bench.sqlite3").unlink(missing_ok=True)
                    subprocess.run(
                        [sys.executable, str(ROOT / "manage.py"), "migrate", "--verbosity", "0"],
                        cwd=ROOT,
                        env=env,
                        check=True,
                        capture_output=True,
                    )
                child_run = subprocess.run(
                    [sys.executable, __file__, "--big-child", stage, "--file", str(path)],
                    cwd=ROOT,
                    env=env,
                    check=False,
                    capture_output=True,
                    text=True,
                )
                if child_run.returncode:
                    sys.exit(f"the {stage} run failed:\n{child_run.stderr}")
                figures = json.loads(child_run.stdout.strip().splitlines()[-1])
                growth = figures["peak"] - figures["base"]
                steps = ", ".join(
                    f"{name} {figures[name]:.1f} s"
                    for name in ("parse", "plan", "write", "commit")
                    if name in figures
                )
                print(
                    f"run {run} {stage:<6} {figures['total']:6.1f} s ({steps}; process CPU "
                    f"{figures['cpu']:.1f} s); peak RSS "
                    f"{figures['peak'] / 2**20:5.0f} MB, {growth / 2**20:5.0f} MB over the "
                    f"process with the file read ({growth / figures['size']:.1f} x the file); "
                    f"{figures['entries']} entries"
                    + (f", {figures['created']} new" if "created" in figures else "")
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--size-mb", type=float, help="build and measure a file of this size")
    parser.add_argument("--engine", default="postgresql", choices=["postgresql", "sqlite"])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--big-child", choices=["parse", "plan", "import"], help=argparse.SUPPRESS)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--on-duplicate", default="skip", choices=["skip", "update"])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--existing",
        action="store_true",
        help="import into --database as it is (not recreated nor migrated), undoing each run",
    )
    parser.add_argument("--runs", type=int, default=1, help="imports with --existing")
    parser.add_argument("--keep", action="store_true", help="with --existing: keep the imports")
    parser.add_argument("--undo", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile", default="", help="write a cProfile of the import here")
    parser.add_argument(
        "--without-topics",
        action="store_true",
        help="import without fingerprinting the records (to measure what topics add)",
    )
    args = parser.parse_args()
    # As a production server runs: DEBUG off, so Django keeps no log of the queries.
    env = {
        **os.environ,
        "DATABASE_URL": f"{args.server}/{args.database}",
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
    }
    if args.child:
        child(
            args.file,
            args.on_duplicate,
            topics=not args.without_topics,
            undo=args.undo,
            profile=args.profile,
        )
        return
    if args.big_child:
        big_child(args.file, args.big_child)
        return
    if args.size_mb:
        big_upload(args)
        return

    if args.existing:
        print(
            f"{args.file} ({args.file.stat().st_size / 1e6:.1f} MB) into the existing "
            f"PostgreSQL database {args.database}"
            + (" without research topics" if args.without_topics else "")
        )
        runs = [(f"existing, run {run}", "skip") for run in range(1, args.runs + 1)]
    else:
        recreate_database(args.server, args.database)
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "migrate", "--verbosity", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        print(
            f"{args.file} ({args.file.stat().st_size / 1e6:.1f} MB) into PostgreSQL "
            f"{args.database}" + (" without research topics" if args.without_topics else "")
        )
        runs = [("empty catalogue", "skip"), ("already imported", args.on_duplicate)]
    for label, on_duplicate in runs:
        command = [
            sys.executable,
            __file__,
            "--child",
            "--file",
            str(args.file),
            "--on-duplicate",
            on_duplicate,
            *(["--without-topics"] if args.without_topics else []),
            *(["--undo"] if args.existing and not args.keep else []),
            *(["--profile", args.profile] if args.profile else []),
        ]
        output = subprocess.run(
            command, cwd=ROOT, env=env, check=True, capture_output=True, text=True
        ).stdout
        figures = json.loads(output.strip().splitlines()[-1])
        report(label, figures)


def report(label: str, figures: dict) -> None:
    """Print one run's figures."""
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
        f"write {figures['write']:.2f} s, commit {figures['commit']:.2f} s, "
        f"search index and topics after the commit {figures.get('after_commit', 0):.2f} s; "
        f"process CPU {figures['cpu']:.2f} s"
        + (
            f", database backends' CPU {figures['server_cpu']:.2f} s"
            if figures.get("server_cpu") is not None
            else ""
        )
    )
    print(
        f"{'':<17} research topics {figures['topics']:.2f} s "
        f"({figures['topics'] / figures['seconds']:.0%}), match keys {figures['keys']:.2f} s; "
        f"longest COMMIT {figures['longest_commit']:.2f} s, longest statement "
        f"{figures['longest_statement']:.2f} s ({figures['longest_statement_sql']})"
        + (f"; undone in {figures['undo']:.1f} s" if "undo" in figures else "")
    )
    print(
        f"{'':<17} statements: "
        + "; ".join(f"{kind} {seconds:.2f} s" for kind, seconds in figures["statements"])
    )


if __name__ == "__main__":
    main()
