"""Benchmark the article page with its "Cite this" box, its representations and list exports.

    .venv/bin/python bench/article_page.py                          # PostgreSQL
    .venv/bin/python bench/article_page.py --engine sqlite

PostgreSQL: drops and recreates the database (default `bench_article_page`); SQLite: a fresh
file (/tmp/bench_article_page.sqlite3). Fills it with catalogue/synthetic/ (default 5,000
articles), then requests pages through Django's test client (the whole request: URL routing,
middleware, view, queries, template; no network) and measures server time:
  - the article page, cold (the citation cache empty: one engine process per page) and warm
    (p50/p95 over --requests requests spread over --articles-sampled articles);
  - the same article as BibTeX and as a formatted APA entry (Accept headers), warm;
  - a journal's export through its view (BibTeX, RIS, CSL-JSON): records/s.
The load average is printed before and after: the machine is shared.
"""

import argparse
import os
import random
import statistics
import sys
import time

from databases import use_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=5_000, help="catalogue size")
    parser.add_argument("--engine", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--database", default=None)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--requests", type=int, default=300, help="warm requests timed")
    parser.add_argument("--articles-sampled", type=int, default=100)
    parser.add_argument("--cold", type=int, default=10, help="cold pages timed")
    parser.add_argument("--keep", action="store_true", help="reuse the database if filled")
    options = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)

    use_database(options, name="bench_article_page")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    from catalogue import synthetic
    from catalogue.models import Article

    setup_test_environment()  # the test client's host, and no template caching surprises
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

    pks = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    sample = random.Random(1).sample(pks, min(options.articles_sampled, len(pks)))
    bench_article_page(sample, requests=options.requests, cold=options.cold)
    bench_representations(sample, requests=options.requests)
    bench_list_export()
    print(f"\nload average after: {format_load()}")


def format_load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg()) + f" ({os.cpu_count()} CPUs)"


def timed_get(client, url: str, **headers) -> float:
    """Return the milliseconds one GET takes (the body read in full)."""
    started = time.perf_counter()
    response = client.get(url, **headers)
    if response.streaming:
        for _chunk in response.streaming_content:
            pass
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return elapsed


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return (
        f"{len(ordered)} requests, p50 {statistics.median(ordered):.1f} ms, "
        f"p95 {p95:.1f} ms, max {ordered[-1]:.1f} ms"
    )


def bench_article_page(sample: list[int], *, requests: int, cold: int) -> None:
    from django.core.cache import caches
    from django.test import Client

    from catalogue import conf

    client = Client()
    caches[conf.get("CITATION_CACHE_ALIAS")].clear()
    print("\narticle page with its Cite box (server time through the test client):")
    cold_times = [timed_get(client, f"/articles/{pk}/") for pk in sample[:cold]]
    print(f"  cold (citation cache empty, one engine process each): {summary(cold_times)}")
    for pk in sample[cold:]:
        client.get(f"/articles/{pk}/")
    warm = [timed_get(client, f"/articles/{sample[n % len(sample)]}/") for n in range(requests)]
    print(f"  warm: {summary(warm)}")


def bench_representations(sample: list[int], *, requests: int) -> None:
    from django.test import Client

    client = Client()
    print("\nthe same articles by content negotiation (warm):")
    for label, accept in (
        ("Accept: application/x-bibtex", "application/x-bibtex"),
        ("Accept: text/x-bibliography; style=apa", "text/x-bibliography; style=apa"),
    ):
        times = [
            timed_get(client, f"/articles/{sample[n % len(sample)]}/", HTTP_ACCEPT=accept)
            for n in range(requests)
        ]
        print(f"  {label}: {summary(times)}")


def bench_list_export() -> None:
    from django.db.models import Count
    from django.test import Client

    from catalogue.models import Journal

    journal = Journal.objects.annotate(n=Count("articles")).order_by("-n").first()
    client = Client()
    print(f"\nexport of the largest journal's list ({journal.n:,} articles) through its view:")
    for name in ("bibtex", "ris", "csl-json"):
        url = f"/journals/{journal.pk}/export/?format={name}"
        milliseconds = timed_get(client, url)
        print(f"  {name}: {milliseconds:.0f} ms = {journal.n / milliseconds * 1000:,.0f} records/s")


if __name__ == "__main__":
    main()
