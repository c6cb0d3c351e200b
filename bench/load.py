"""Load test: mixed read traffic against gunicorn on the 20,000-article demo catalogue.

    .venv/bin/python bench/load.py                      # the full run (about 6 minutes)
    .venv/bin/python bench/load.py --reuse --duration 15

1. The catalogue: the PostgreSQL database `bench_load` (dropped and made again unless
   --reuse and it is filled): migrate, `loaddata seed evidence_summaries`,
   `generate_catalogue --articles 20000 --seed 1`, VACUUM ANALYZE. Each run of this script
   serves a fresh copy of it, `bench_load_run` (CREATE DATABASE ... TEMPLATE), so the import
   of run 4 never changes what the next invocation measures.
2. `collectstatic` into /tmp/bench_load_static (kept with --reuse), then `gunicorn -c
   gunicorn.conf.py catalogue.wsgi` on 127.0.0.1 (a free port) with DEBUG=0, a random
   SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, HTTPS=0, WEB_CONCURRENCY=--workers and an empty
   shared citation cache (GUNICORN_CMD_ARGS from the environment is passed on, for trying
   other settings).
3. Warm-up: --warm seconds of the same traffic at concurrency 8 (engines built, code paths
   and connections warm); not counted.
4. Runs of --duration seconds each (60 by default) at concurrency 8, 32 and 128, then 32
   again with an import of the 16,572-entry BibTeX file running meanwhile: enqueued with
   `import_bibtex --background FILE` and run by a `db_worker` process (--import-nice), or,
   where that command has no --background, `import_bibtex FILE` in a process of its own.
5. For each run: requests/s, p50/p95/p99 and errors per kind of request and overall, the
   load tool's own CPU time, the server's (gunicorn) CPU time, the machine's load average;
   for the import run, the search p50/p95 against run 2's, and how long the import took.

The load tool is Locust (headless, FastHttpUser, bench/locustfile.py): each of C users sends
its next request as soon as the last is answered (closed loop, no think time). URLs are drawn
at random from the mix in MIX (seed printed; --seed to repeat), each run its own draw.
`--calibrate` compares Locust's CPU cost per request with wrk's (Debian package `wrk`) on
one cheap URL, the reason the load tool is what it is (docs/performance.md).

Bounded: loopback only (127.0.0.1), fixed durations, every process started here is stopped
at the end (also on Ctrl-C or an error), by its own process group.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TEMPLATE_DB = "bench_load"
RUN_DB = "bench_load_run"
ARTICLES = 20_000
IMPORT_FILE = ROOT.parent / "shared" / "corpus" / "bibtex" / "large-16k-entries.bib"

# The traffic mix: percent of requests of each kind (sums to 100).
MIX = {
    "home": 5,  # /
    "search": 35,  # /search/ (see search_path: words, phrases, facets, pages, sorts)
    "record": 25,  # /articles/<random id>/ with its Cite box
    "journal": 4,  # /journals/<id>/ (page 1 or 2)
    "author": 4,  # /authors/<id>/
    "api_list": 8,  # /api/articles/?q=... (words and facets as the search page)
    "api_detail": 5,  # /api/articles/<id>/
    "export": 8,  # /articles/<id>/?format=bibtex or ris
    "facet_list": 6,  # /search/facets/<author|keyword|journal|subject>/?q=...
}
# Single words of known frequency (docs/performance.md, "Search terms with known
# frequencies"): rare (~0.1%), middling (~1%), broad (10-20%), nearly everywhere (~90%).
WORDS = {
    "rare": ["firmware", "photosynthesis", "magnetosphere", "perovskite", "gentrification",
             "iconography", "metformin", "folklore"],
    "middling": ["wildfire", "mammography", "geochemistry"],
    "broad": ["simulation", "inflammation", "climate", "anxiety", "detection"],
    "common": ["clinical", "analysis"],
}  # fmt: skip
PHRASES = ['"machine learning"', "climate anxiety", "clinical detection", "wildfire simulation",
           "inflammation -clinical", "metformin OR perovskite"]  # fmt: skip
TYPES = ["article", "review", "conference-paper", "chapter", "book", "preprint"]
SORTS = ["newest", "oldest", "title"]
LIST_FACETS = ["author", "keyword", "journal", "subject"]


# --- the URLs ------------------------------------------------------------------------------


def catalogue_ids(database_url: str) -> dict[str, list[int]]:
    """Return the ids the URLs are drawn from: articles, journals, authors, keywords."""
    import psycopg2

    connection = psycopg2.connect(database_url)
    ids = {}
    with connection.cursor() as cursor:
        for name, table in (
            ("article", "catalogue_article"),
            ("journal", "catalogue_journal"),
            ("author", "catalogue_author"),
            ("keyword", "catalogue_keyword"),
        ):
            cursor.execute(f"SELECT id FROM {table} ORDER BY id")
            ids[name] = [row[0] for row in cursor.fetchall()]
    connection.close()
    return ids


def search_query(rng: random.Random, ids: dict[str, list[int]]) -> list[tuple[str, str]]:
    """Return the parameters of one search: words of one frequency band, several words, or
    none; maybe a facet filter, a sort, a later page."""
    params: list[tuple[str, str]] = []
    shape = rng.random()
    band = ""
    if shape < 0.55:  # one word; bands weighted towards the words people type
        band = rng.choices(list(WORDS), weights=[3, 3, 3, 1])[0]
        params.append(("q", rng.choice(WORDS[band])))
    elif shape < 0.75:
        params.append(("q", rng.choice(PHRASES)))
    elif shape < 0.85:
        params.append(("q", rng.choice(WORDS["broad"] + WORDS["middling"])))
        params.append(("year_min", str(rng.randint(1990, 2015))))
    # else: no words, filters only (browsing)
    filtered = shape >= 0.85 or rng.random() < 0.3
    if filtered:  # a facet filter
        facet = rng.choice(["type", "journal", "keyword", "author", "peer_reviewed"])
        if facet == "type":
            params.append(("type", rng.choice(TYPES)))
        elif facet == "peer_reviewed":
            params.append(("peer_reviewed", "true"))
        else:
            params.append((facet, str(rng.choice(ids[facet]))))
    if rng.random() < 0.2:
        params.append(("sort", rng.choice(SORTS)))
    # A later page where there is one (a page past the last is a 400): broad words, unfiltered.
    if band in ("broad", "common") and not filtered and rng.random() < 0.4:
        params.append(("page", str(rng.randint(2, 5))))
    return params


def draw_urls(rng: random.Random, ids: dict[str, list[int]], count: int) -> list[tuple[str, str]]:
    """Return `count` (kind, path) pairs drawn from MIX."""
    from urllib.parse import urlencode

    kinds = rng.choices(list(MIX), weights=list(MIX.values()), k=count)
    urls = []
    for kind in kinds:
        if kind == "home":
            path = "/"
        elif kind == "search":
            path = "/search/?" + urlencode(search_query(rng, ids))
        elif kind == "record":
            path = f"/articles/{rng.choice(ids['article'])}/"
        elif kind == "journal":
            page = "" if rng.random() < 0.7 else "?page=2"
            path = f"/journals/{rng.choice(ids['journal'])}/{page}"
        elif kind == "author":
            path = f"/authors/{rng.choice(ids['author'])}/"
        elif kind == "api_list":
            path = "/api/articles/?" + urlencode(search_query(rng, ids))
        elif kind == "api_detail":
            path = f"/api/articles/{rng.choice(ids['article'])}/"
        elif kind == "export":
            path = f"/articles/{rng.choice(ids['article'])}/?format={rng.choice(['bibtex', 'ris'])}"
        else:  # facet_list
            params = [("q", rng.choice(WORDS["broad"] + WORDS["middling"]))]
            if rng.random() < 0.3:
                params.append(("values_sort", "az"))
            facet = rng.choice(LIST_FACETS)
            if facet in ("author", "keyword") and rng.random() < 0.2:
                params.append(("values_page", "2"))
            path = f"/search/facets/{facet}/?" + urlencode(params)
        urls.append((kind, path))
    return urls


def write_urls(path: Path, urls: list[tuple[str, str]]) -> None:
    path.write_text("".join(f"{kind}\t{url}\n" for kind, url in urls), encoding="utf-8")


# --- processes -----------------------------------------------------------------------------


class Processes:
    """The processes this script starts, each in its own process group, all stopped at exit."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen] = []

    def start(self, args: list[str], **kwargs) -> subprocess.Popen:
        process = subprocess.Popen(args, start_new_session=True, **kwargs)
        self.started.append(process)
        return process

    def stop(self, process: subprocess.Popen, *, grace: float = 10.0) -> None:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            except ProcessLookupError:
                pass

    def stop_all(self) -> None:
        for process in reversed(self.started):
            self.stop(process)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(env: dict[str, str], *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, **kwargs)


def process_cpu(pid: int) -> float:
    """Return the CPU seconds (user + system) of `pid` and its children, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        pids = [pid] + [
            int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        ]
    except OSError:
        return 0.0
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime, cutime, cstime are fields 14-17 of stat (11-14 after the name).
        total += sum(int(value) for value in fields[11:15]) / ticks
    return total


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


# --- the database --------------------------------------------------------------------------


def admin_connection(server: str):
    import psycopg2

    connection = psycopg2.connect(f"{server}/postgres")
    connection.autocommit = True
    return connection


def template_filled(server: str) -> bool:
    import psycopg2

    try:
        connection = psycopg2.connect(f"{server}/{TEMPLATE_DB}")
    except psycopg2.OperationalError:
        return False
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM catalogue_article")
            return cursor.fetchone()[0] >= ARTICLES
    except psycopg2.Error:
        return False
    finally:
        connection.close()


def make_template(server: str, env: dict[str, str]) -> None:
    """Make `bench_load`: the demo catalogue of 20,000 articles, analysed."""
    connection = admin_connection(server)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {TEMPLATE_DB}")
        cursor.execute(f"CREATE DATABASE {TEMPLATE_DB}")
    connection.close()
    env = {**env, "DATABASE_URL": f"{server}/{TEMPLATE_DB}"}
    started = time.perf_counter()
    manage(env, "migrate", "-v0")
    manage(env, "loaddata", "seed", "evidence_summaries", "-v0")
    manage(env, "generate_catalogue", "--articles", str(ARTICLES), "--seed", "1")
    import psycopg2

    analysed = psycopg2.connect(f"{server}/{TEMPLATE_DB}")
    analysed.autocommit = True
    with analysed.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    analysed.close()
    print(f"made {TEMPLATE_DB} in {time.perf_counter() - started:.0f} s")


def copy_template(server: str) -> None:
    connection = admin_connection(server)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {RUN_DB}")
        cursor.execute(f"CREATE DATABASE {RUN_DB} TEMPLATE {TEMPLATE_DB} STRATEGY FILE_COPY")
    connection.close()


# --- the load tool and its results ---------------------------------------------------------


def run_locust(
    processes: Processes,
    *,
    base: str,
    urls_file: Path,
    results_file: Path,
    users: int,
    seconds: int,
    log: Path,
) -> tuple[list[tuple[str, float, int]], float]:
    """Run Locust headless for `seconds` with `users` users; return each request's (kind,
    ms, status) and the CPU seconds Locust itself used."""
    env = {**os.environ, "LOAD_URLS": str(urls_file), "LOAD_RESULTS": str(results_file)}
    args = [
        str(Path(PYTHON).parent / "locust"),
        "-f", str(ROOT / "bench" / "locustfile.py"),
        "--headless", "--only-summary", "--skip-log-setup",
        "--host", base, "--users", str(users), "--spawn-rate", str(users),
        "--run-time", f"{seconds}s", "--stop-timeout", "5", "--exit-code-on-error", "0",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    with log.open("w") as out:
        process = processes.start(args, env=env, stdout=out, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"locust exited with {process.returncode}; see {log}")
    results = []
    for line in results_file.read_text(encoding="utf-8").splitlines():
        kind, ms, code, _at = line.split("\t")
        results.append((kind, float(ms), int(code)))
    return results, usage.ru_utime + usage.ru_stime


def percentile(ordered: list[float], share: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summarise(results: list[tuple[str, float, int]], seconds: float) -> dict[str, dict]:
    """Return per kind and "all": requests, req/s, p50, p95, p99, max, errors."""
    by_kind: dict[str, list[tuple[float, int]]] = {}
    for kind, ms, status in results:
        by_kind.setdefault(kind, []).append((ms, status))
        by_kind.setdefault("all", []).append((ms, status))
    table = {}
    for kind in [*MIX, "all"]:
        rows = by_kind.get(kind, [])
        times = sorted(ms for ms, _status in rows)
        errors = sum(1 for _ms, status in rows if status == 0 or status >= 400)
        table[kind] = {
            "requests": len(rows),
            "rps": len(rows) / seconds,
            "p50": statistics.median(times) if times else float("nan"),
            "p95": percentile(times, 0.95),
            "p99": percentile(times, 0.99),
            "max": times[-1] if times else float("nan"),
            "errors": errors,
        }
    return table


def print_table(title: str, table: dict[str, dict]) -> None:
    print(f"\n{title}")
    print(f"  {'kind':<11} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'max ms':>8} {'errors':>6}")  # fmt: skip
    for kind, row in table.items():
        print(
            f"  {kind:<11} {row['requests']:>8} {row['rps']:>7.1f} {row['p50']:>8.1f} "
            f"{row['p95']:>8.1f} {row['p99']:>8.1f} {row['max']:>8.1f} {row['errors']:>6}"
        )


# --- the import of run 4 -------------------------------------------------------------------


def has_background_import(env: dict[str, str]) -> bool:
    help_text = manage(env, "import_bibtex", "--help", capture_output=True, text=True).stdout
    return "--background" in help_text


class BackgroundImport:
    """The import running during run 4: a job and a db_worker, or a foreground command."""

    def __init__(
        self, processes: Processes, env: dict[str, str], path: Path, log: Path, *, nice: int
    ):
        self.processes, self.env, self.path, self.log = processes, env, path, log
        self.nice = nice
        self.background = has_background_import(env)
        self.worker: subprocess.Popen | None = None
        self.command: subprocess.Popen | None = None
        self.started = 0.0
        self.finished: float | None = None
        self.out = None

    def describe(self) -> str:
        nice = f" at nice {self.nice}" if self.nice else ""
        if self.background:
            return f"`import_bibtex --background {self.path.name}` run by `db_worker`{nice}"
        return (
            f"`import_bibtex {self.path.name}` in the foreground, in a process of its own "
            f"(this import_bibtex has no --background yet){nice}"
        )

    def start(self) -> None:
        self.out = self.log.open("w")
        manage_py = [*(["nice", "-n", str(self.nice)] if self.nice else []), PYTHON, "manage.py"]
        kwargs = {"cwd": ROOT, "env": self.env, "stdout": self.out, "stderr": subprocess.STDOUT}
        self.started = time.perf_counter()
        if self.background:
            self.worker = self.processes.start([*manage_py, "db_worker"], **kwargs)
            subprocess.run(
                [*manage_py, "import_bibtex", "--background", str(self.path)], check=True, **kwargs
            )
        else:
            self.command = self.processes.start(
                [*manage_py, "import_bibtex", str(self.path)], **kwargs
            )

    def done(self) -> bool:
        if self.finished is not None:
            return True
        if self.command is not None:
            finished = self.command.poll() is not None
        else:
            finished = self._jobs_left() == 0
        if finished:
            self.finished = time.perf_counter()
        return finished

    def _jobs_left(self) -> int:
        import psycopg2

        connection = psycopg2.connect(self.env["DATABASE_URL"])
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM django_tasks_database_dbtaskresult "
                    "WHERE status IN ('READY', 'RUNNING')"
                )
                return cursor.fetchone()[0]
        finally:
            connection.close()

    def wait(self, limit: float) -> float | None:
        """Wait up to `limit` seconds more for the import; return its seconds, or None."""
        deadline = time.perf_counter() + limit
        while not self.done() and time.perf_counter() < deadline:
            time.sleep(1)
        return None if self.finished is None else self.finished - self.started

    def stop(self) -> None:
        for process in (self.worker, self.command):
            if process is not None:
                self.processes.stop(process)
        if self.out:
            self.out.close()


# --- calibration: what the load tool costs ---------------------------------------------------


def calibrate(processes: Processes, base: str, work: Path, seconds: int) -> None:
    """Run Locust and wrk against one cheap URL at 32 connections; print each one's req/s
    and its own CPU seconds per 1,000 requests."""
    path = "/search/?q=climate"  # a cached body: one query per request
    urls = work / "calibrate.txt"
    write_urls(urls, [("calibrate", path)])
    print(f"\ncalibration: {path} at concurrency 32 for {seconds} s each")
    results, cpu = run_locust(
        processes, base=base, urls_file=urls, results_file=work / "calibrate-results.txt",
        users=32, seconds=seconds, log=work / "locust-calibrate.log",
    )  # fmt: skip
    count = len(results)
    print(f"  locust: {count / seconds:.0f} req/s, {cpu:.1f} CPU s = "
          f"{cpu / max(count, 1) * 1000:.2f} CPU ms a request")  # fmt: skip
    wrk = shutil.which("wrk")
    if not wrk:
        print("  wrk: not installed (apt-get install wrk)")
        return
    process = processes.start(
        [wrk, "-t2", "-c32", f"-d{seconds}s", "--latency", base + path],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    _pid, _status, usage = os.wait4(process.pid, 0)
    output = process.stdout.read()
    requests = next(
        (int(line.split()[0]) for line in output.splitlines() if "requests in" in line), 0
    )
    cpu = usage.ru_utime + usage.ru_stime
    print(f"  wrk: {requests / seconds:.0f} req/s, {cpu:.1f} CPU s = "
          f"{cpu / max(requests, 1) * 1000:.2f} CPU ms a request")  # fmt: skip


# --- main ----------------------------------------------------------------------------------


def wait_until_up(base: str, server: subprocess.Popen, limit: float = 60) -> None:
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(base + "/", timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer {base}/ within {limit:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", action="store_true", help=f"reuse {TEMPLATE_DB} if filled")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--duration", type=int, default=60, help="seconds per run")
    parser.add_argument("--warm", type=int, default=20, help="seconds of warm-up traffic")
    parser.add_argument("--concurrency", default="8,32,128", help="runs, comma-separated")
    parser.add_argument("--import-concurrency", type=int, default=32, help="0: no import run")
    parser.add_argument("--import-file", type=Path, default=IMPORT_FILE)
    parser.add_argument("--import-wait", type=int, default=240,
                        help="seconds to wait after run 4 for the import to finish")  # fmt: skip
    parser.add_argument("--import-nice", type=int, default=0, metavar="N",
                        help="run the job worker (or the import) at this nice level")  # fmt: skip
    parser.add_argument("--warm-citations", type=int, default=0, metavar="N",
                        help="draw record ids among the first N only, their citations "
                             "formatted ahead (warm_citations)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=3, help="WEB_CONCURRENCY")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--calibrate", type=int, default=0, metavar="SECONDS",
                        help="first compare locust's and wrk's own CPU cost")  # fmt: skip
    parser.add_argument("--json", type=Path, help="write every run's table here")
    options = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    seed = options.seed if options.seed is not None else random.randrange(1_000_000)
    server = options.server.rstrip("/")
    print(f"seed {seed}; {os.cpu_count()} CPUs; load average {load_average()}")
    print("mix (percent): " + ", ".join(f"{kind} {share}" for kind, share in MIX.items()))

    base_env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "HTTPS"}
    }
    base_env.update(DJANGO_SETTINGS_MODULE="catalogue.settings", PYTHONUNBUFFERED="1")
    if not (options.reuse and template_filled(server)):
        make_template(server, base_env)
    copy_template(server)

    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    # Static files: collected once (whitenoise compresses them: a minute on a busy machine).
    static = Path(tempfile.gettempdir()) / "bench_load_static"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **base_env,
        "DATABASE_URL": f"{server}/{RUN_DB}",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS": "0",
        "STATIC_ROOT": str(static),
        "WEB_CONCURRENCY": str(options.workers),
        # The workers' shared citation cache, empty at the start of each invocation.
        "CITATION_CACHE_DIR": str(work / "citations"),
    }
    processes = Processes()
    tables: dict[str, dict] = {}
    try:
        manage(env, "migrate", "-v0")  # the copy of a template made before newer migrations
        if not (options.reuse and (static / "staticfiles.json").exists()):
            manage(env, "collectstatic", "--noinput", "-v0", "--clear")
        ids = catalogue_ids(env["DATABASE_URL"])
        if options.warm_citations:
            # Record pages, exports and API details among the first N records only, their
            # citations formatted ahead into the workers' shared cache: a warm cache's figures.
            ids["article"] = ids["article"][: options.warm_citations]
            started = time.perf_counter()
            manage(env, "warm_citations", *map(str, ids["article"]), stdout=subprocess.DEVNULL)
            print(
                f"citations of {len(ids['article']):,} records formatted ahead (warm_citations) "
                f"in {time.perf_counter() - started:.0f} s; record ids drawn among them"
            )
        gunicorn = str(Path(PYTHON).parent / "gunicorn")
        server_log = (work / "gunicorn.log").open("w")
        gunicorn_process = processes.start(
            [gunicorn, "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "catalogue.wsgi"],
            cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until_up(base, gunicorn_process)
        print(
            f"gunicorn on {base}, WEB_CONCURRENCY={options.workers}, "
            f"GUNICORN_CMD_ARGS={os.environ.get('GUNICORN_CMD_ARGS', '')!r}; logs in {work}"
        )
        rng = random.Random(seed)
        per_run = max(1000, options.duration * 1000)

        def one_run(label: str, users: int, seconds: int) -> tuple[dict, float]:
            urls = work / f"urls-{label}.txt"
            write_urls(urls, draw_urls(rng, ids, per_run))
            cpu_before = process_cpu(gunicorn_process.pid)
            results, tool_cpu = run_locust(
                processes, base=base, urls_file=urls, results_file=work / f"results-{label}.txt",
                users=users, seconds=seconds, log=work / f"locust-{label}.log",
            )  # fmt: skip
            server_cpu = process_cpu(gunicorn_process.pid) - cpu_before
            table = summarise(results, seconds)
            table["all"].update(tool_cpu=tool_cpu, server_cpu=server_cpu, load=load_average())
            return table, tool_cpu

        if options.warm:
            one_run("warm", 8, options.warm)
            print(f"warmed: {options.warm} s at concurrency 8; load average {load_average()}")
        if options.calibrate:
            calibrate(processes, base, work, options.calibrate)

        runs = [int(value) for value in options.concurrency.split(",") if value.strip()]
        for number, users in enumerate(runs, start=1):
            table, tool_cpu = one_run(f"c{users}", users, options.duration)
            tables[f"run {number}: c={users}"] = table
            everything = table["all"]
            print_table(
                f"run {number}: concurrency {users}, {options.duration} s; load average "
                f"{everything['load']}; server CPU {everything['server_cpu']:.0f} s, "
                f"locust CPU {tool_cpu:.0f} s",
                table,
            )

        if options.import_concurrency:
            users = options.import_concurrency
            importing = BackgroundImport(
                processes, env, options.import_file, work / "import.log", nice=options.import_nice
            )
            print(f"\nrun {len(runs) + 1}: concurrency {users} during {importing.describe()}")
            importing.start()
            try:
                table, tool_cpu = one_run("import", users, options.duration)
                during = importing.done()
                seconds = importing.wait(options.import_wait)
            finally:
                importing.stop()
            tables[f"run {len(runs) + 1}: c={users} + import"] = table
            everything = table["all"]
            print_table(
                f"run {len(runs) + 1}: concurrency {users} + import, {options.duration} s; "
                f"load average {everything['load']}; server CPU "
                f"{everything['server_cpu']:.0f} s, locust CPU {tool_cpu:.0f} s",
                table,
            )
            state = "done when the run ended" if during else "still running when the run ended"
            took = f"{seconds:.0f} s" if seconds is not None else "not finished in time"
            print(f"  import: {state}; took {took} (log {work / 'import.log'})")
            reference = next((tables[name] for name in tables if name.endswith(f"c={users}")), None)
            if reference:
                for key in ("p50", "p95"):
                    ratio = table["search"][key] / reference["search"][key]
                    now, before = table["search"][key], reference["search"][key]
                    print(f"  search {key} during the import / without: {ratio:.2f}x "
                          f"({now:.0f} / {before:.0f} ms)")  # fmt: skip
    finally:
        processes.stop_all()
        print(f"\nload average at the end: {load_average()}")
    if options.json:
        options.json.write_text(json.dumps({"seed": seed, "runs": tables}, indent=1))
    shutil.rmtree(work / "citations", ignore_errors=True)


if __name__ == "__main__":
    main()
