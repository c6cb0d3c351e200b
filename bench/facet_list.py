"""Benchmark a facet's full value list ("more": /search/facets/<facet>/) at 1,000,000 articles.

    .venv/bin/python bench/facet_list.py --database bench_gen_search [--runs 7]

Reads the catalogue made by `bench/generate.py` (it changes nothing). For each list (a broad
word's authors and keywords, every author, keyword and journal; by count and A-Z; a first and
a deep page) it requests the page through Django's test client (routing, middleware, view,
the one statement, template) --runs times after two unmeasured requests, and prints the
median and the slowest in ms, with the number of values the list has.
"""

import argparse
import statistics
import sys
import time
from urllib.parse import urlencode

from databases import open_catalogue

CASES = [
    # (facet, search parameters, values_sort, values_page)
    ("author", {"q": "cancer"}, "count", 1),
    ("author", {"q": "cancer"}, "count", 50),
    ("author", {"q": "cancer"}, "az", 1),
    ("keyword", {"q": "cancer"}, "count", 1),
    ("author", {}, "count", 1),
    ("author", {}, "count", 2),
    ("author", {}, "count", 2000),
    ("author", {}, "az", 1),
    ("author", {}, "az", 2000),
    ("author", {}, "az", 3990),
    ("keyword", {}, "az", 1),
    ("keyword", {}, "count", 1),
    ("journal", {}, "count", 1),
    ("journal", {}, "az", 1),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="bench_gen_search")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    if options.runs < 1:
        parser.error("--runs must be at least 1")
    sys.stdout.reconfigure(line_buffering=True)

    open_catalogue(server=options.server, database=options.database)
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from catalogue.models import Article

    setup_test_environment()  # the response's context, for the number of values
    total = Article.objects.count()
    print(f"database: {connection.vendor} {options.database}, {total:,} articles")
    client = Client()
    print("\n| list | values | median | slowest |\n|---|---|---|---|")
    for facet, search, sort, page in CASES:
        query = urlencode({**search, "values_sort": sort, "values_page": page})
        url = f"/search/facets/{facet}/?{query}"
        times = []
        for run in range(options.runs + 2):
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{url}: HTTP {response.status_code}")
            if run >= 2:
                times.append(elapsed)
        values = response.context["listing"].total_values
        print(f"| {url} | {values:,} | {statistics.median(times):.0f} ms | {max(times):.0f} ms |")


if __name__ == "__main__":
    main()
