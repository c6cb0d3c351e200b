"""Benchmark the record page's additions at 1,000,000 articles: more by the authors, the rest
of the issue, previous/next from a result list, and the whole page with and without a trail.

    .venv/bin/python bench/record_page.py --database bench_catalogue [--sample 200]

Reads the catalogue made by `bench/generate.py` (it changes nothing: every statement runs in
read-only transactions). Prints, for a random sample of records and for the worst cases (the
record whose authors have the most records, the biggest issue), the time of each list's one
query with its plan (EXPLAIN ANALYZE); the time of previous/next for positions across several
result lists, with the list's pages in the results cache and without; and the whole record
page through Django's test client (the citation cache warm), without and with a trail. The
load average is printed with the figures: the machine is shared.
"""

import argparse
import contextlib
import os
import random
import statistics
import sys
import time

from databases import open_catalogue

LISTS = [
    "/search/",
    "/search/?q=health",
    "/search/?q=health&sort=newest",
    "/search/?q=%22public+health%22&sort=title",
    "/search/?language=en&sort=oldest",
]
POSITIONS = [1, 20, 21, 400, 9_999]


def load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg()) + f" ({os.cpu_count()} CPUs)"


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return (
        f"n={len(ordered)} p50 {statistics.median(ordered):.2f} ms, p95 {p95:.2f} ms, "
        f"max {ordered[-1]:.2f} ms"
    )


def timed(function, *args) -> tuple[float, object]:
    started = time.perf_counter()
    value = function(*args)
    return (time.perf_counter() - started) * 1000, value


def read_only() -> None:
    """Make every connection Django opens read-only (the test client's requests reconnect)."""
    from django.db.backends.signals import connection_created

    def refuse_writes(sender, connection, **kwargs) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET default_transaction_read_only = on")

    connection_created.connect(refuse_writes, weak=False)


def explain(queryset) -> str:
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}", params)
        return "\n".join(f"    {row[0]}" for row in cursor.fetchall())


def worst_cases() -> dict[str, int]:
    """Return the ids of the record whose first author has the most records and of a record
    in the biggest journal issue."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.article_id FROM catalogue_authorship a JOIN ("
            "  SELECT author_id FROM catalogue_authorship GROUP BY author_id"
            "  ORDER BY count(*) DESC LIMIT 1) top ON top.author_id = a.author_id"
            " ORDER BY a.article_id LIMIT 1"
        )
        prolific = cursor.fetchone()[0]
        cursor.execute(
            "SELECT min(id) FROM catalogue_article WHERE journal_id IS NOT NULL"
            " AND volume <> '' AND issue <> ''"
            " GROUP BY journal_id, volume, issue ORDER BY count(*) DESC LIMIT 1"
        )
        issue = cursor.fetchone()[0]
    return {"prolific authors": prolific, "biggest issue": issue}


def bench_lists(sample: list[int]) -> None:
    from catalogue.models import Article, Authorship
    from catalogue.views import articles

    print("\nmore by these authors / also in this issue (one query each):")
    loaded = list(Article.objects.with_related().filter(pk__in=sample))
    more = [timed(articles.more_by_authors, article)[0] for article in loaded]
    issue = [timed(articles.same_issue, article)[0] for article in loaded]
    print(f"  random records, more by: {summary(more)}")
    print(f"  random records, same issue: {summary(issue)}")
    for label, pk in worst_cases().items():
        article = Article.objects.with_related().get(pk=pk)
        authors = articles.more_by_author_ids(article)
        records = Authorship.objects.filter(author_id__in=authors).count()
        times = [timed(articles.more_by_authors, article)[0] for _ in range(7)]
        print(f"  {label} (record {pk}, its authors' records: {records:,}):")
        print(f"    more by: median {statistics.median(times):.2f} ms")
        times = [timed(articles.same_issue, article)[0] for _ in range(7)]
        print(f"    same issue: median {statistics.median(times):.2f} ms")
        print("    plan of more by:")
        print(explain(articles.more_by_queryset(article, authors)))
        if article.journal_id and article.volume and article.issue:
            print("    plan of same issue:")
            print(explain(articles.same_issue_queryset(article)[: articles.SAME_ISSUE_COUNT + 1]))


def bench_trails() -> None:
    from django.core.cache import caches

    from catalogue import conf, search
    from catalogue.search.trail import parse_trail
    from catalogue.views import articles

    cache = caches[conf.get("SEARCH_CACHE_ALIAS")]
    print("\nprevious/next (trail_context: the list's cached rows, else one statement):")
    for back in LISTS:
        filterset = articles._list_filterset(back)
        for position in POSITIONS:
            cache.clear()
            window = articles.list_window(filterset, position)
            if window is None or not window.hits:
                print(f"  {back} #{position}: beyond the list")
                continue
            at = {p: pk for p, pk in window.hits}
            if position not in at:
                continue
            record = _stub(at[position])
            from django.http import QueryDict

            trail = parse_trail(QueryDict(mutable=True) | {"back": back, "pos": str(position)})
            cold = []
            for _ in range(3):
                cache.clear()
                cold.append(timed(articles.trail_context, trail, record)[0])
            size = filterset.page_size
            page = (position - 1) // size + 1
            for number in {page, max(page - 1, 1), page + 1}:
                with contextlib.suppress(search.SearchError):  # past the list's end
                    search.search(params=filterset.search_params(), page=number, page_size=size)
            warm = [timed(articles.trail_context, trail, record)[0] for _ in range(5)]
            print(
                f"  {back} #{position}: uncached median {statistics.median(cold):.1f} ms,"
                f" cached median {statistics.median(warm):.2f} ms"
            )


def _stub(pk: int):
    from catalogue.models import Article

    return Article(pk=pk)


def bench_page(sample: list[int]) -> None:
    from django.core.cache import caches
    from django.test import Client

    from catalogue import conf, search
    from catalogue.search.trail import result_link

    client = Client()
    print("\nthe whole record page (test client, citation cache warm):")
    caches[conf.get("SEARCH_CACHE_ALIAS")].clear()
    # The records of the first two pages of /search/, opened from the list (its pages cached)
    # and alone, interleaved: the same records, so the difference is the trail's.
    records = [
        (article.get_absolute_url(), (page - 1) * 20 + index)
        for page in (1, 2)
        for index, article in enumerate(
            search.search(params=search.SearchParams(), page=page, page_size=20).articles,
            start=1,
        )
    ]
    for url, _ in records:
        client.get(url)
    plain, linked = [], []
    for _ in range(5):
        for url, position in records:
            plain.append(_get(client, url))
            linked.append(_get(client, result_link(url, back="/search/", position=position)))
    print(f"  without a trail: {summary(plain)}")
    print(f"  with a trail from /search/ (its pages cached): {summary(linked)}")
    others = sample[:50]
    for pk in others:
        client.get(f"/articles/{pk}/")
    alone = [_get(client, f"/articles/{pk}/") for pk in others * 3]
    print(f"  random records without a trail: {summary(alone)}")


def _get(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="bench_catalogue")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument(
        "--parts", default="lists,trails,page", help="which of lists, trails, page to run"
    )
    options = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    open_catalogue(server=options.server, database=options.database)
    from django.db import connection
    from django.test.utils import setup_test_environment

    from catalogue.models import Article

    read_only()
    setup_test_environment()
    low, high = Article.objects.order_by("pk").first().pk, Article.objects.order_by("pk").last().pk
    chosen = random.Random(1).sample(range(low, high + 1), options.sample * 2)
    sample = list(Article.objects.filter(pk__in=chosen).values_list("pk", flat=True))[
        : options.sample
    ]
    print(f"database: {connection.settings_dict['NAME']}, ids {low:,}-{high:,}")
    print(f"load average before: {load()}")
    parts = set(options.parts.split(","))
    if "lists" in parts:
        bench_lists(sample)
    if "trails" in parts:
        bench_trails()
    if "page" in parts:
        bench_page(sample)
    print(f"\nload average after: {load()}")


if __name__ == "__main__":
    main()
