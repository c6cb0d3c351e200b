"""Research topics' speed on the configured catalogue: `python bench/topics_speed.py`.

Times, in this process against DATABASE_URL (after refresh_topics), a record's topics and
related records (`topics.record_context`, what the record page and the API read) for
--records random records, and the expert search for --queries concepts drawn from the
catalogue's vocabulary (weighted towards common ones). Prints p50 and p95 in ms and the
queries each ran. With --refresh-sample N, first times fingerprinting N records in bulk
(statistics already stored) without writing them.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalogue.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from catalogue.models import Article, TopicConcept  # noqa: E402
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
    args = parser.parse_args()
    rng = random.Random(args.seed)
    top = Article.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    print(f"{connection.vendor}, {Article.objects.count():,} records")
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
    times, counts = [], set()
    for _ in range(args.records):
        article = Article.objects.get(pk=rng.randint(1, top)) if top else None
        if article is None:
            continue
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
    times, counts = [], set()
    for _ in range(args.queries if labels else 0):
        label = labels[min(int(rng.expovariate(1 / 200)), len(labels) - 1)]
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            find_experts(label)
            times.append(time.perf_counter() - started)
        counts.add(len(queries.captured_queries))
    if times:
        print(f"expert search ({len(times)} queries): {percentiles(times)}, queries {counts}")


if __name__ == "__main__":
    main()
