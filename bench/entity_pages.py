"""Wall time of the journal, author, keyword and subject pages (searches narrowed to the
entity, issue 18) and of the search page, uncached and cached, on the catalogue in
DATABASE_URL.

    DATABASE_URL=postgres://postgres@127.0.0.1/<db> .venv/bin/python bench/entity_pages.py

Picks the largest and a typical (median) journal, author, keyword and subject (by articles),
and a broad subject with narrower ones; asks each page uncached (the result cache emptied
first), then again cached, `--rounds` times, through Django's test client with DEBUG off;
prints the median and the 95th percentile of each, and the queries of one uncached request.
Read-only.
"""

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9, help="requests per page and state")
    args = parser.parse_args()

    os.environ["DEBUG"] = "0"
    os.environ["HTTPS"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-entity-pages-" + "x" * 64)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalogue.settings")
    warnings.simplefilter("ignore")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.cache import caches
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from catalogue import conf
    from catalogue.models import Article, Author, Journal, Keyword, SubjectArea

    def by_size(queryset, relation: str) -> list:
        """Return [largest, median] of the rows with articles, by their number of articles."""
        counted = list(
            queryset.annotate(n=Count(relation)).filter(n__gt=0).order_by("-n").values("pk", "n")
        )
        return [counted[0], counted[len(counted) // 2]] if counted else []

    pages: list[tuple[str, str]] = [
        ("search, browse", "/search/"),
        ("search, words", "/search/?q=health"),
    ]
    for label, model, relation in (
        ("journal", Journal, "articles"),
        ("author", Author, "authorships"),
        ("keyword", Keyword, "articles"),
        ("subject", SubjectArea, "articles"),
    ):
        for which, row in zip(
            ("largest", "median"), by_size(model.objects.all(), relation), strict=False
        ):
            entity = model.objects.get(pk=row["pk"])
            url = entity.get_absolute_url()
            pages.append((f"{label}, {which} ({row['n']:,} articles)", url))
            if which == "largest":
                pages.append((f"{label}, {which}, words and sorted", f"{url}?q=health&sort=title"))
    broad = SubjectArea.objects.filter(children__isnull=False).annotate(n=Count("children")).first()
    if broad is not None:
        pages.append((f"subject with {broad.n} narrower", broad.get_absolute_url()))

    client = Client(HTTP_HOST="localhost")
    cache = caches[conf.get("SEARCH_CACHE_ALIAS")]
    print(f"{Article.objects.count():,} articles on {connection.vendor}; {args.rounds} rounds")
    print(f"{'page':48} {'uncached p50/p95 ms':>20} {'cached p50/p95 ms':>18} {'queries':>8}")
    for label, url in pages:
        cold, warm = [], []
        for _ in range(args.rounds):
            cache.clear()
            start = time.perf_counter()
            response = client.get(url)
            cold.append(time.perf_counter() - start)
            assert response.status_code == 200, (url, response.status_code)
            start = time.perf_counter()
            client.get(url)
            warm.append(time.perf_counter() - start)
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            client.get(url)

        def p(values: list[float], q: float) -> float:
            return sorted(values)[min(len(values) - 1, round(q * (len(values) - 1)))] * 1000

        print(
            f"{label:48} {p(cold, 0.5):9.1f} / {p(cold, 0.95):6.1f}"
            f" {p(warm, 0.5):9.1f} / {p(warm, 0.95):5.1f} {len(queries):8}"
        )


if __name__ == "__main__":
    main()
