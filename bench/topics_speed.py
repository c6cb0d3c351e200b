"""Research topics' speed on the configured catalogue: `python bench/topics_speed.py`.

Times, in this process against DATABASE_URL (after refresh_topics), a record's topics and
related records (`topics.record_context`, what the record page and the API read) for
--records random records, and the expert search for --queries concepts drawn from the
catalogue's vocabulary (weighted towards common ones). Prints p50 and p95 in ms and the
queries each ran. With --refresh-sample N, first times fingerprinting N records in bulk
(statistics already stored) without writing them. With --http, the same records and queries
through the views (`/articles/<id>/`, `/api/articles/<id>/related/`, `/experts/?q=`, Django's
test client in this process: no network). With --update-sample N, times the import's hook
(`topics.update_articles`: fingerprint and relate) on N random records, in batches of
--update-batch, inside a transaction rolled back at the end (the catalogue is left as it was),
and compares their related records with the refresh's stored ones.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalogue.settings")
django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from catalogue.models import Article, RelatedArticle, TopicConcept  # noqa: E402
from catalogue.topics import record_context, store  # noqa: E402
from catalogue.topics.experts import find_experts  # noqa: E402


def percentiles(times: list[float]) -> str:
    """Return p50 and p95 of `times` (seconds) in ms."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def main() -> None:
    """Run the timings and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--refresh-sample", type=int, default=0)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--http", action="store_true")
    parser.add_argument("--update-sample", type=int, default=0)
    parser.add_argument("--update-batch", type=int, default=100)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    top = Article.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    print(
        f"{connection.vendor} {connection.settings_dict['NAME']}, "
        f"{Article.objects.count():,} records, seed {args.seed}"
    )
    if args.refresh_sample:
        ids = sorted(rng.sample(range(1, top + 1), args.refresh_sample))
        started = time.perf_counter()
        found = store.texts(ids)
        keys: set[str] = set()
        for text in found.values():
            keys |= store.record_keys(text)[0]
        stats = store.load_statistics(keys)
        read = time.perf_counter() - started
        started, cpu = time.perf_counter(), time.process_time()
        for text in found.values():
            store.weigh(text, stats)
        weigh, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"fingerprinting {len(found):,} records: reading and finding their terms {read:.2f} s, "
            f"weighing {weigh:.2f} s wall ({len(found) / weigh:,.0f} records/s), {cpu:.2f} s CPU "
            f"({len(found) / cpu:,.0f} records per CPU second); end to end "
            f"{len(found) / (read + weigh):,.0f} records/s"
        )
    if args.update_sample:
        update_sample(rng, top, args.update_sample, args.update_batch)
    times, counts, record_ids = [], set(), []
    for _ in range(args.records):
        article = Article.objects.filter(pk=rng.randint(1, top)).first() if top else None
        if article is None:
            continue
        record_ids.append(article.pk)
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            context = record_context(article)
            list(context["fingerprint"].concepts), [r.article.title for r in context["related"]]
            times.append(time.perf_counter() - started)
        counts.add(len(queries.captured_queries))
    print(
        f"record topics and related ({len(times)} records): {percentiles(times)}, queries {counts}"
    )
    labels = list(
        TopicConcept.objects.filter(document_frequency__gt=1)
        .order_by("-document_frequency")
        .values_list("key", flat=True)[:2000]
    )
    times, counts, queries_asked = [], set(), []
    for _ in range(args.queries if labels else 0):
        label = labels[min(int(rng.expovariate(1 / 200)), len(labels) - 1)]
        queries_asked.append(label)
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            find_experts(label)
            times.append(time.perf_counter() - started)
        counts.add(len(queries.captured_queries))
    if times:
        print(f"expert search ({len(times)} queries): {percentiles(times)}, queries {counts}")
    if args.http:
        http(record_ids, queries_asked)


def http(record_ids: list[int], queries_asked: list[str]) -> None:
    """Time the same records and queries through the views (the test client, no network)."""
    setup_test_environment()
    client = Client()
    pages = {
        "record page": [f"/articles/{pk}/" for pk in record_ids],
        "related API": [f"/api/articles/{pk}/related/" for pk in record_ids],
        "experts page": ["/experts/?" + urlencode({"q": q}) for q in queries_asked],
    }
    for name, urls in pages.items():
        times = []
        for url in urls:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"{url}: {response.status_code}")
        if times:
            print(f"{name} over HTTP views ({len(times)}): {percentiles(times)}")


def update_sample(rng: random.Random, top: int, size: int, batch: int) -> None:
    """Time update_articles on random records and compare with the refresh's lists; roll back."""
    ids = sorted(
        set(
            Article.objects.filter(
                pk__in=rng.sample(range(1, top + 1), min(size, top))
            ).values_list("pk", flat=True)
        )
    )
    before: dict[int, list[int]] = {pk: [] for pk in ids}
    for pk, other in (
        RelatedArticle.objects.filter(article_id__in=ids)
        .order_by("article_id", "-similarity", "related_id")
        .values_list("article_id", "related_id")
    ):
        before[pk].append(other)
    times = []
    cpu, wall = time.process_time(), time.perf_counter()
    with transaction.atomic():
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            started = time.perf_counter()
            store.update_articles(chunk)
            times.append((time.perf_counter() - started) / len(chunk))
        wall = time.perf_counter() - wall
        after: dict[int, list[int]] = {pk: [] for pk in ids}
        for pk, other in (
            RelatedArticle.objects.filter(article_id__in=ids)
            .order_by("article_id", "-similarity", "related_id")
            .values_list("article_id", "related_id")
        ):
            after[pk].append(other)
        transaction.set_rollback(True)
    cpu = time.process_time() - cpu
    listed = sum(len(items) for items in before.values())
    found = sum(len(set(before[pk]) & set(after[pk])) for pk in ids)
    same = sum(before[pk] == after[pk] for pk in ids)
    print(
        f"update_articles on {len(ids):,} records in batches of {batch}: "
        f"{1000 * wall / len(ids):.1f} ms per record (batch means: {percentiles(times)} per "
        f"record), {1000 * cpu / len(ids):.1f} ms CPU per record; the refresh's related records "
        f"found again {found:,}/{listed:,} ({found / max(listed, 1):.1%}), identical lists "
        f"{same:,}/{len(ids):,} ({same / max(len(ids), 1):.1%}); rolled back"
    )


if __name__ == "__main__":
    main()
