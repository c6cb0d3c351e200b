"""Benchmark citations and exports on a fresh synthetic catalogue.

    .venv/bin/python bench/citations.py                        # 100,000 articles, PostgreSQL
    .venv/bin/python bench/citations.py --articles 10000 --engine sqlite

PostgreSQL: drops and recreates the database (default `bench_citations`); SQLite: a fresh
file. Fills it with catalogue/synthetic/ (bulk_create of simple records if that package is
missing), then measures:
  - BibTeX, RIS and CSL-JSON streams over 10,000 and all records: records/s, peak memory
    (growth of the process's peak RSS during the export) and output size;
  - formatted bibliographies: 1,000 records in APA, text and HTML;
  - the "Cite this" box: all configured styles for one article, cold (one engine process)
    and warm (cached; p50/p95 over many calls, with loading the article);
  - warm_citations throughput.
"""

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

from databases import use_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--engine", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--database", default=None)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--batch-size", type=int, default=1000, help="export batch size")
    parser.add_argument("--keep", action="store_true", help="reuse the database if filled")
    options = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)

    use_database(options, name="bench_citations")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from catalogue.models import Article

    call_command("migrate", verbosity=0)
    if not Article.objects.exists():
        started = time.perf_counter()
        how = fill(options.articles)
        print(f"filled: {options.articles:,} articles with {how} in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    if connection.vendor == "postgresql":
        # Planner statistics for the fresh tables, as autovacuum would make them.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    total = Article.objects.count()
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}, {total:,} articles")

    bench_exports(total, batch_size=options.batch_size)
    bench_bibliography()
    bench_cite_box()
    bench_warm()


def fill(count: int) -> str:
    """Fill the catalogue with `count` articles; return what made them."""
    try:
        from catalogue import synthetic
    except ImportError:
        synthetic = None
    if synthetic is not None:
        synthetic.generate_catalogue(articles=count, seed=1)
        return "catalogue/synthetic/"
    from catalogue.models import Article, Author, Authorship, Journal

    journal = Journal.objects.create(title="Journal of Benchmarks", abbreviated_title="J Bench")
    authors = Author.objects.bulk_create(
        Author(family_name=f"Author{index}", given_names="Ada B.") for index in range(1000)
    )
    for start in range(0, count, 5000):
        articles = Article.objects.bulk_create(
            Article(
                title=f"A benchmark article number {index} on DNA & alliance",
                abstract="An abstract. " * 20,
                journal=journal,
                year=1990 + index % 35,
                volume=str(index % 80),
                issue=str(index % 12),
                first_page=index % 500 + 1,
                last_page=index % 500 + 12,
                doi=f"10.5555/bench.{index}",
            )
            for index in range(start, min(count, start + 5000))
        )
        Authorship.objects.bulk_create(
            Authorship(article=article, author=authors[(article.pk + offset) % 1000], position=p)
            for article in articles
            for p, offset in ((1, 0), (2, 7), (3, 13))
        )
    return "bulk_create"


def cpu_seconds() -> float:
    """Return CPU seconds used by this process and its finished children (the engine)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_rss_reset() -> int:
    """Reset the process's peak RSS (Linux) and return the current RSS in KiB."""
    Path("/proc/self/clear_refs").write_text("5")
    return status_kib("VmRSS")


def status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def bench_exports(total: int, *, batch_size: int) -> None:
    from catalogue.formats.registry import EXPORT_FORMATS
    from catalogue.models import Article

    print(f"\nexports (batch size {batch_size:,}):")
    print(f"{'format':<10}{'records':>10}{'seconds':>10}{'records/s':>12}{'CPU s':>8}"
          f"{'per CPU s':>11}{'peak +MiB':>11}{'output MiB':>12}")  # fmt: skip
    for count in sorted({min(10_000, total), total}):
        articles = Article.objects.order_by("pk")[:count]
        for export in EXPORT_FORMATS.values():
            baseline = peak_rss_reset()
            started, cpu = time.perf_counter(), cpu_seconds()
            size = 0
            for chunk in export.stream(articles, batch_size=batch_size):
                size += len(chunk.encode("utf-8"))
            seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
            growth = max(0, status_kib("VmHWM") - baseline) / 1024
            print(f"{export.name:<10}{count:>10,}{seconds:>10.2f}{count / seconds:>12,.0f}"
                  f"{cpu:>8.2f}{count / cpu:>11,.0f}{growth:>11.1f}"
                  f"{size / 1024 / 1024:>12.1f}")  # fmt: skip


def bench_bibliography() -> None:
    from catalogue.citations import render_bibliography, stream_bibliography
    from catalogue.models import Article

    print("\nformatted bibliography, 1,000 records (CPU: this process and the engine):")
    articles = Article.objects.order_by("pk")[:1000]
    runs = [
        ("render_bibliography apa text", lambda: render_bibliography(articles, style="apa")),
        (
            "render_bibliography apa html",
            lambda: render_bibliography(articles, style="apa", fmt="html"),
        ),
        (
            "stream_bibliography apa text",
            lambda: "".join(stream_bibliography(articles, style="apa")).splitlines(),
        ),
        (
            "render_bibliography chicago-author-date html",
            lambda: render_bibliography(articles, style="chicago-author-date", fmt="html"),
        ),
        (
            "render_bibliography vancouver text",
            lambda: render_bibliography(articles, style="vancouver"),
        ),
    ]
    for label, run in runs:
        started, cpu = time.perf_counter(), cpu_seconds()
        entries = run()
        print(f"  {label}: {len(entries):,} entries in {time.perf_counter() - started:.2f} s "
              f"(CPU {cpu_seconds() - cpu:.2f} s)")  # fmt: skip


def bench_cite_box() -> None:
    from django.core.cache import caches

    from catalogue import conf
    from catalogue.citations import available_styles, render_citations
    from catalogue.models import Article

    styles = list(available_styles())
    pks = list(Article.objects.order_by("pk").values_list("pk", flat=True)[:200])
    caches[conf.get("CITATION_CACHE_ALIAS")].clear()
    print(f"\n'Cite this' box ({len(styles)} styles; the article is loaded with with_related(), "
          "as the page does, outside the timing):")  # fmt: skip
    cold = []
    for pk in pks[:10]:
        article = Article.objects.with_related().get(pk=pk)
        started = time.perf_counter()
        render_citations(article)
        cold.append((time.perf_counter() - started) * 1000)
    print(f"  cold (one engine process): median {statistics.median(cold):.0f} ms, "
          f"max {max(cold):.0f} ms")  # fmt: skip
    articles = list(Article.objects.with_related().filter(pk__in=pks))
    for article in articles[10:]:
        render_citations(article)
    warm, loads = [], []
    for _ in range(3):
        for pk in pks:
            started = time.perf_counter()
            article = Article.objects.with_related().get(pk=pk)
            loaded = time.perf_counter()
            render_citations(article)
            warm.append((time.perf_counter() - loaded) * 1000)
            loads.append((loaded - started) * 1000)
    warm.sort()
    loads.sort()
    p95 = warm[int(len(warm) * 0.95) - 1]
    print(f"  warm (cached): {len(warm)} calls, p50 {statistics.median(warm):.2f} ms, "
          f"p95 {p95:.2f} ms, max {warm[-1]:.2f} ms")  # fmt: skip
    print(f"  (loading the article itself: p50 {statistics.median(loads):.2f} ms, "
          f"p95 {loads[int(len(loads) * 0.95) - 1]:.2f} ms)")  # fmt: skip


def bench_warm() -> None:
    from django.core.cache import caches

    from catalogue import conf
    from catalogue.citations import warm_citations
    from catalogue.models import Article

    caches[conf.get("CITATION_CACHE_ALIAS")].clear()
    articles = Article.objects.order_by("pk")[:200]
    started = time.perf_counter()
    made = warm_citations(articles)
    seconds = time.perf_counter() - started
    print(f"\nwarm_citations: {made:,} citations (200 articles x all styles) in {seconds:.1f} s "
          f"= {made / seconds:,.0f} citations/s")  # fmt: skip


if __name__ == "__main__":
    main()
