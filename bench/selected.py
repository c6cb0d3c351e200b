"""Benchmark /selected/ with 1,000 selected records: the list page, the change, the exports.

    .venv/bin/python bench/selected.py                          # PostgreSQL, fresh database
    .venv/bin/python bench/selected.py --engine sqlite
    .venv/bin/python bench/selected.py --catalogue bench_catalogue   # the 1M catalogue, read-only

A fresh database (default `bench_selected`, or /tmp/bench_selected.sqlite3) is filled with
catalogue/synthetic/ (default 5,000 articles) and sessions are stored in it, as in production.
With --catalogue an existing catalogue is only read: sessions go to the process's memory
(the cache session engine) so nothing is written to it. DEBUG is off (no query log).

Through Django's test client (routing, middleware, session, view, queries, template; no
network) it times, for a visitor who selected 1,000 records picked at random:
  - the POST that selects them (one request, 1,000 ids);
  - GET /selected/ (the goal: at most 300 ms), p50/p95/max over --requests requests, and the
    process's CPU time per page (what it costs whatever else the machine runs);
  - the RIS export and the APA bibliography (plain text) of the 1,000, once warm.
The load average is printed before and after: the machine is shared.
"""

import argparse
import os
import random
import statistics
import sys
import time

from databases import ROOT, SECRET_KEY, use_database

GOAL_MS = 300


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=5_000, help="catalogue size")
    parser.add_argument("--engine", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--database", default=None)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--catalogue", default=None, help="an existing database, read only")
    parser.add_argument("--selected", type=int, default=1_000, help="records selected")
    parser.add_argument("--requests", type=int, default=30, help="list pages timed")
    parser.add_argument("--keep", action="store_true", help="reuse the database if filled")
    options = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)

    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", SECRET_KEY)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("HTTPS", "0")  # the test client speaks plain HTTP: no redirect
    if options.catalogue:
        os.environ["DATABASE_URL"] = f"{options.server.rstrip('/')}/{options.catalogue}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalogue.settings")
        sys.path.insert(0, str(ROOT))
    else:
        use_database(options, name="bench_selected")

    import django
    from django.conf import settings

    if options.catalogue:
        # Read only: the visitor's session lives in this process's memory.
        settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from catalogue import synthetic
    from catalogue.models import Article

    if not options.catalogue:
        call_command("migrate", verbosity=0)
        if not Article.objects.exists():
            started = time.perf_counter()
            synthetic.generate_catalogue(articles=options.articles, seed=1)
            print(f"filled: {options.articles:,} articles in {time.perf_counter() - started:.1f} s")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    total = Article.objects.count()
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}, {total:,} articles")
    print(f"load average before: {format_load()}")

    highest = Article.objects.order_by("-pk").values_list("pk", flat=True).first()
    chosen = pick(highest, options.selected)
    client = Client()
    client.get("/selected/")  # warm: the templates, the connection, the session
    started = time.perf_counter()
    response = client.post("/selected/", {"add": ",".join(map(str, chosen))})
    took = (time.perf_counter() - started) * 1000
    assert response.status_code == 302, response.status_code
    print(f"select {len(chosen):,} records (one POST): {took:.0f} ms")

    times, cpu = [], []
    for _ in range(options.requests + 2):
        started, used = time.perf_counter(), time.process_time()
        response = client.get("/selected/")
        body = response.content
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    times, cpu = times[2:], cpu[2:]  # the first two warm the templates and the connection
    assert response.status_code == 200
    assert body.count(b"data-selected-item=") == len(chosen), "not every record listed"
    p50 = statistics.median(times)
    p95 = statistics.quantiles(times, n=20)[-1]
    print(
        f"GET /selected/ with {len(chosen):,} records ({len(body) / 1024:.0f} KiB): "
        f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {max(times):.0f} ms over {len(times)} "
        f"requests (goal ≤ {GOAL_MS} ms: {'met' if p95 <= GOAL_MS else 'NOT met'} at p95)"
    )
    # CPU time of this process: what the page costs whatever else the machine runs.
    print(f"  CPU per page: p50 {statistics.median(cpu):.0f} ms, max {max(cpu):.0f} ms")
    for label, url in (
        ("RIS export", "/selected/?format=ris"),
        ("APA bibliography (text)", "/selected/?style=apa"),
    ):
        client.get(url)  # warm: the citation engine and its cache
        started = time.perf_counter()
        response = client.get(url)
        size = sum(len(chunk) for chunk in response.streaming_content)
        took = (time.perf_counter() - started) * 1000
        print(f"{label} of {len(chosen):,}: {took:.0f} ms ({size / 1024:.0f} KiB)")
    print(f"load average after: {format_load()}")


def pick(highest: int, count: int) -> list[int]:
    """Return `count` distinct article ids at random (seed 1) among 1..highest that exist."""
    from catalogue.models import Article

    generator = random.Random(1)
    chosen: list[int] = []
    while len(chosen) < count:
        wanted = generator.sample(range(1, highest + 1), min(count * 2, highest))
        found = set(Article.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        chosen.extend(pk for pk in wanted if pk in found and pk not in chosen)
    return chosen[:count]


def format_load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg()) + f" ({os.cpu_count()} CPUs)"


if __name__ == "__main__":
    main()
