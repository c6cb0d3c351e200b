"""Benchmark formatted citations by citeproc-js (in V8 through mini-racer) on synthetic records.

    .venv/bin/python bench/citations.py                    # 5,000 articles, fresh SQLite file
    .venv/bin/python bench/citations.py --seed 42 --keep   # same style draws, reuse the file

Fills a throwaway SQLite catalogue (`/tmp/bench_cite.sqlite3`) with catalogue/synthetic/
(seed 1), then runs each measurement in a fresh Python process (a new worker: Django set up,
no citeproc-js loaded, empty citation cache), DEBUG off:
  1. worker start: Django + the catalogue imported, citeproc-js and the locales loaded, the
     first citation (APA engine built), then the other five Cite box tabs; RSS and peak RSS;
  2. Cite box in a warm worker, per core style: `render_citation` of distinct records (each a
     cache miss: engine work + cache write), p50/p95, then the same records cached; the six
     tabs at once (`render_citations`); the 32 test items of tests/data/citations/;
  3. first use of random repository styles in a warm worker (engine build + first entry),
     then 20 more entries each;
  4. a 1,000-entry bibliography (`render_bibliography`) in APA, Chicago author-date and
     Vancouver: first call (engine built) and warm;
  5. formatted-text export: `stream_bibliography` over every article, entries/s;
  6. memory: RSS after 6, 50 and 100 styles used (CITATION_ENGINES_MAX engines kept);
  7. with --all-styles: first use and V8 size of every repository style's engine.
Random draws (records, styles) use `--seed`, random unless given, and printed. Targets of
issue 15 are printed beside the figures (MISSED when missed); the exit status is non-zero
only when a measurement fails.
"""

import json
import os
import sys
import time

SPAWNED = time.time()
STARTED = time.perf_counter()

CORE = (
    "apa",
    "harvard-cite-them-right",
    "vancouver",
    "modern-language-association",
    "chicago-author-date",
    "american-medical-association",
)


# --- Helpers shared by the phases -------------------------------------------------------------


def status_kib(field: str) -> int:
    """Return a /proc/self/status field (VmRSS, VmHWM) in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def memory() -> dict[str, float]:
    """Return the process's resident memory now and at its peak, in MiB."""
    return {"rss": status_kib("VmRSS") / 1024, "hwm": status_kib("VmHWM") / 1024}


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of `values`."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, -int(-fraction * len(ordered) // 1) - 1))
    return ordered[index]


def summary(milliseconds: list[float]) -> dict[str, float]:
    """Return count, p50, p95 and max of timings in ms."""
    return {
        "n": len(milliseconds),
        "p50": percentile(milliseconds, 0.5),
        "p95": percentile(milliseconds, 0.95),
        "max": max(milliseconds),
    }


def timed(function, *args, **kwargs) -> tuple[float, object]:
    """Return (milliseconds, result) of one call."""
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return (time.perf_counter() - started) * 1000, result


def cpu_timed(function, *args, **kwargs) -> tuple[float, float, object]:
    """Return (wall ms, CPU ms of the whole process, V8's threads included, result)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000, result


def setup_django(database: str) -> None:
    """Set Django up on the benchmark's SQLite file, DEBUG off as a production worker."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, root)
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "catalogue.settings"
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-not-for-production-use-0123")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()


def sample_records(count: int, seed: int, *, salt: str) -> list:
    """Return `count` distinct articles drawn with the seed, as ArticleRecords."""
    import random

    from catalogue.models import Article
    from catalogue.records import iter_record_batches

    pks = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    chosen = random.Random(f"{seed}-{salt}").sample(pks, min(count, len(pks)))
    queryset = Article.objects.filter(pk__in=chosen).order_by("pk")
    records = {r.pk: r for batch in iter_record_batches(queryset) for r in batch}
    return [records[pk] for pk in chosen]


def repository_styles(count: int, seed: int, *, salt: str) -> list[str]:
    """Return `count` repository (non-core) style ids drawn with the seed."""
    import random

    from catalogue.citations import all_styles

    ids = [style.id for style in all_styles() if not style.core]
    return random.Random(f"{seed}-{salt}").sample(ids, count)


def v8_heap() -> dict[str, float]:
    """Return V8's heap sizes in MiB (mini-racer heap_stats)."""
    from catalogue.citations import engine

    stats = engine.runtime().context.heap_stats()
    return {
        "v8_used": stats.get("used_heap_size", 0) / 2**20,
        "v8_total": stats.get("total_heap_size", 0) / 2**20,
    }


# --- Phases (each runs in its own process) ----------------------------------------------------


def phase_fill(options: dict) -> dict:
    """Migrate the SQLite file and fill it with synthetic articles unless already filled."""
    from django.core.management import call_command
    from django.db.models import Count

    from catalogue import synthetic
    from catalogue.models import Article

    call_command("migrate", verbosity=0)
    seconds = 0.0
    if not Article.objects.exists():
        started = time.perf_counter()
        synthetic.generate_catalogue(articles=options["articles"], seed=1)
        seconds = time.perf_counter() - started
    types = dict(Article.objects.values_list("output_type").annotate(n=Count("pk")).order_by("-n"))
    return {"articles": Article.objects.count(), "seconds": seconds, "types": types}


def phase_start(options: dict) -> dict:
    """A fresh worker: import and set up, load citeproc-js, first citation, first Cite box."""
    result = {"python": (SPAWNED - options["spawned"]) * 1000}
    started = time.perf_counter()
    setup_django(options["database"])
    from catalogue.citations import engine, render_citation, render_citations
    from catalogue.models import Article
    from catalogue.records import as_record

    result["django"] = (time.perf_counter() - started) * 1000
    result["mem_django"] = memory()
    article = Article.objects.with_related().order_by("pk").first()
    result["load_record"], record = timed(as_record, article)
    result["runtime"], _ = timed(engine.runtime)
    result["mem_runtime"] = memory()
    result["first_citation"], _ = timed(render_citation, record, style="apa")
    result["first_total"] = (time.perf_counter() - STARTED) * 1000
    result["mem_first"] = memory()
    result["other_five"], _ = timed(render_citations, record)
    result["mem_six"] = memory()
    return result


def phase_cite(options: dict) -> dict:
    """Cite box per core style in a warm worker: cache misses, cache hits, test items."""
    setup_django(options["database"])
    from django.core.cache import caches

    from catalogue import conf
    from catalogue.citations import engine, render_citation, render_citations, render_entries

    records = sample_records(options["records"] + 1, options["seed"], salt="cite")
    render_citations(records[0])  # the worker is warm: runtime loaded, six engines built
    result = {"styles": {}}
    for style in CORE:
        misses = [cpu_timed(render_citation, r, style=style)[:2] for r in records[1:]]
        hits = [timed(render_citation, r, style=style)[0] for r in records[1:]]
        result["styles"][style] = {
            "miss": summary([wall for wall, _ in misses]),
            "miss_cpu": summary([cpu for _, cpu in misses]),
            "hit": summary(hits),
        }
    caches[conf.get("CITATION_CACHE_ALIAS")].clear()
    result["six"] = summary([timed(render_citations, r)[0] for r in records[1:]])
    items = []
    for name in ("items.json", "extra_items.json"):
        path = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "citations", name)
        with open(path, encoding="utf-8") as file:
            items.extend(json.load(file))
    result["test_items"] = len(items)
    result["items"] = {
        style: summary(
            [timed(render_entries, [item], style=style)[0] for _ in range(3) for item in items]
        )
        for style in CORE
    }
    result["mem"] = memory()
    engine.runtime().context.low_memory_notification()
    result["mem_gc"] = memory()
    return result


def phase_rare(options: dict) -> dict:
    """First use of random repository styles in a warm worker, then 20 more entries each."""
    setup_django(options["database"])
    from catalogue.citations import StyleError, get_style, render_citation, render_entries

    records = sample_records(21, options["seed"], salt="rare")
    render_citation(records[0], style="apa")  # warm worker
    styles = repository_styles(options["rare"], options["seed"], salt="rare")
    result = {"styles": []}
    for style_id in styles:
        style = get_style(style_id)
        row = {"id": style_id, "format": style.citation_format}
        try:
            row["first"], _ = timed(render_entries, [records[0]], style=style_id)
            row["next"] = summary(
                [timed(render_entries, [r], style=style_id)[0] for r in records[1:]]
            )
        except StyleError as error:
            row["error"] = str(error)
        result["styles"].append(row)
    result["mem"] = memory()
    return result


def phase_all_styles(options: dict) -> dict:
    """Every repository style in one warm worker: first use (build + entry), engine's V8 size.

    Keeps `--all-styles-max` engines (default 1, so that each engine's own live size shows
    after a full V8 garbage collection; 50 runs into V8's heap limit, see docs/performance.md).
    """
    import logging

    setup_django(options["database"])
    from django.conf import settings

    from catalogue.citations import StyleError, all_styles, engine, render_citation, render_entries

    logging.disable(logging.WARNING)  # output.py's notes on unexpected markup of some styles
    settings.CITATION_ENGINES_MAX = options["all_styles_max"]
    [record] = sample_records(1, options["seed"], salt="all")
    render_citation(record, style="apa")  # warm worker
    runtime = engine.runtime()
    context = runtime.context
    for key in list(runtime.engines):  # measure from a runtime without engines
        runtime.engines.pop(key)
        context.call("dropEngine", key)

    def live() -> float:
        context.low_memory_notification()
        return context.heap_stats()["used_heap_size"] / 2**20

    baseline = live()
    result = {"times": {}, "sizes": {}, "errors": {}}
    for style in all_styles():
        if style.core:
            continue
        try:
            result["times"][style.id] = timed(render_entries, [record], style=style.id)[0]
        except StyleError as error:
            result["errors"][style.id] = str(error)
        if options["all_styles_max"] == 1:
            result["sizes"][style.id] = live() - baseline
    result["mem"] = memory()
    return result


def phase_bibliography(options: dict) -> dict:
    """1,000-entry reference lists: first call in a worker (engine built), then warm."""
    setup_django(options["database"])
    from catalogue.citations import engine, render_bibliography
    from catalogue.models import Article
    from catalogue.records import iter_record_batches

    engine.runtime()  # the worker has citeproc-js loaded, no engine for these styles yet
    articles = Article.objects.order_by("pk")[:1000]
    load, _ = timed(lambda: [r for b in iter_record_batches(articles) for r in b])
    result = {"load_records": load, "runs": []}
    for style, fmt in (
        ("apa", "text"),
        ("apa", "html"),
        ("chicago-author-date", "text"),
        ("vancouver", "text"),
    ):
        first, first_cpu, entries = cpu_timed(render_bibliography, articles, style=style, fmt=fmt)
        warm = [
            cpu_timed(render_bibliography, articles, style=style, fmt=fmt)[:2]
            for _ in range(options["repeat"])
        ]
        result["runs"].append(
            {
                "style": style,
                "fmt": fmt,
                "entries": len(entries),
                "first": first,
                "first_cpu": first_cpu,
                "warm": [wall for wall, _ in warm],
                "warm_cpu": [cpu for _, cpu in warm],
            }
        )
    result["mem"] = memory()
    return result


def phase_export(options: dict) -> dict:
    """stream_bibliography over every article (engines already built), entries/s."""
    setup_django(options["database"])
    from catalogue.citations import render_bibliography, stream_bibliography
    from catalogue.models import Article

    articles = Article.objects.order_by("pk")
    result = {"runs": []}
    for style, fmt in (("apa", "text"), ("vancouver", "text"), ("apa", "html")):
        render_bibliography(articles[:5], style=style, fmt=fmt)  # engine built, outside timing
        before = memory()
        started, cpu = time.perf_counter(), time.process_time()
        lines = size = 0
        for chunk in stream_bibliography(articles, style=style, fmt=fmt):
            lines += chunk.count("\n")
            size += len(chunk.encode("utf-8"))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        after = memory()
        result["runs"].append(
            {
                "style": style,
                "fmt": fmt,
                "entries": lines,
                "seconds": seconds,
                "rate": lines / seconds,
                "cpu": cpu,
                "mib": size / 2**20,
                "rss_before": before["rss"],
                "rss_after": after["rss"],
                "hwm": after["hwm"],
            }
        )
    return result


def phase_memory(options: dict) -> dict:
    """RSS after using 6, 50 and 100 styles (CITATION_ENGINES_MAX engines kept)."""
    setup_django(options["database"])
    from catalogue import conf
    from catalogue.citations import StyleError, engine, render_entries

    records = sample_records(5, options["seed"], salt="memory")
    styles = list(CORE) + repository_styles(94, options["seed"], salt="memory")
    result = {"max": conf.get("CITATION_ENGINES_MAX"), "steps": [], "errors": []}
    result["steps"].append({"styles": 0, **memory(), "engines": 0, "seconds": 0.0})
    engine.runtime()
    result["steps"].append({"styles": "runtime", **memory(), **v8_heap(), "engines": 0})
    used, started = 0, time.perf_counter()
    for count in (6, 50, 100):
        for style_id in styles[used:count]:
            try:
                render_entries(records, style=style_id)
            except StyleError as error:
                result["errors"].append(str(error))
        used = count
        result["steps"].append(
            {
                "styles": count,
                **memory(),
                **v8_heap(),
                "engines": len(engine.runtime().engines),
                "seconds": time.perf_counter() - started,
            }
        )
    engine.runtime().context.low_memory_notification()
    result["steps"].append(
        {"styles": "100 + V8 GC", **memory(), **v8_heap(), "engines": len(engine.runtime().engines)}
    )
    return result


PHASES = {
    "fill": phase_fill,
    "start": phase_start,
    "cite": phase_cite,
    "rare": phase_rare,
    "bibliography": phase_bibliography,
    "export": phase_export,
    "memory": phase_memory,
    "all-styles": phase_all_styles,
}


def run_phase(name: str, options: dict) -> None:
    """Run one phase in this process and print its result as the last line of stdout."""
    if name == "fill":
        setup_django(options["database"])
    result = PHASES[name](options)
    result["load"] = os.getloadavg()
    print("RESULT " + json.dumps(result), flush=True)


# --- The orchestrating process (never imports Django) -----------------------------------------


def spawn(name: str, options: dict, hangs: list[str]) -> dict | None:
    """Run a phase in a fresh Python process; return its result, None when it failed.

    A process that prints its result but does not exit within 30 s is killed and noted in
    `hangs` (seen once: a worker stuck at interpreter exit after using V8).
    """
    import subprocess
    import tempfile

    options = {**options, "spawned": time.time()}
    command = [sys.executable, os.path.abspath(__file__), "--phase", name, json.dumps(options)]
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True)
        output, result = [], None
        for line in process.stdout:
            output.append(line)
            if line.startswith("RESULT "):
                result = json.loads(line[len("RESULT ") :])
                break
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            hangs.append(name)
        if result is None or (process.returncode and name not in hangs):
            errors.seek(0)
            print(f"ERROR: phase {name} failed (exit {process.returncode}):", file=sys.stderr)
            print("".join(output)[-2000:] + errors.read()[-4000:], file=sys.stderr)
            return None
    return result


def target(value: float, limit: float, *, at_least: bool = False) -> str:
    """Return the target mark: 'ok (<= limit)' or 'MISSED (<= limit)'."""
    met = value >= limit if at_least else value <= limit
    sign = ">=" if at_least else "<="
    return f"{'ok' if met else 'MISSED'} ({sign} {limit:g})"


def load_text(result: dict) -> str:
    return "load " + " ".join(f"{value:.2f}" for value in result["load"])


def report_start(results: list[dict]) -> None:
    print("\n1. Worker start (fresh process each; ms; memory MiB RSS / peak):")
    print(f"  {'python':>7}{'django':>8}{'runtime':>9}{'1st cite':>9}{'total':>8}"
          f"{'5 more':>8}  {'RSS after 1st':>14}{'RSS 6 styles':>14}  load")  # fmt: skip
    for r in results:
        first, six = r["mem_first"], r["mem_six"]
        print(f"  {r['python']:>7.0f}{r['django']:>8.0f}{r['runtime']:>9.0f}"
              f"{r['first_citation']:>9.0f}{r['first_total']:>8.0f}{r['other_five']:>8.0f}"
              f"  {first['rss']:>6.0f} / {first['hwm']:<5.0f}"
              f"{six['rss']:>6.0f} / {six['hwm']:<5.0f}"
              f"  {' '.join(f'{v:.2f}' for v in r['load'])}")  # fmt: skip
    print("  (python: interpreter start; django: setup + catalogue imports; runtime: citeproc-js "
          "+ 63 locales into V8; 1st cite: APA engine build + entry; total: from the first "
          "line of Python (interpreter started) to the first citation; Django alone: "
          f"{results[0]['mem_django']['rss']:.0f} MiB"
          f", with the runtime {results[0]['mem_runtime']['rss']:.0f} MiB)")  # fmt: skip


def report_cite(r: dict) -> None:
    n = r["styles"]["apa"]["miss"]["n"]
    print(f"\n2. Cite box, warm worker, core styles ({n} distinct records each; ms; "
          f"{load_text(r)}):")  # fmt: skip
    print(f"  {'style':<30}{'miss p50':>9}{'p95':>7}{'max':>7}{'CPU p95':>8}{'hit p50':>9}"
          f"{'p95':>6}{'items p95':>10}  target p95")  # fmt: skip
    for style, row in r["styles"].items():
        miss, hit, items = row["miss"], row["hit"], r["items"][style]
        print(f"  {style:<30}{miss['p50']:>9.1f}{miss['p95']:>7.1f}{miss['max']:>7.0f}"
              f"{row['miss_cpu']['p95']:>8.1f}{hit['p50']:>9.2f}{hit['p95']:>6.2f}"
              f"{items['p95']:>10.1f}  {target(miss['p95'], 20)}")  # fmt: skip
    six = r["six"]
    print(f"  worker RSS at the end {r['mem']['rss']:.0f} MiB (peak {r['mem']['hwm']:.0f}); "
          f"after a full V8 GC (low_memory_notification) {r['mem_gc']['rss']:.0f} MiB")  # fmt: skip
    print(f"  all six tabs at once (render_citations, cache cleared): p50 {six['p50']:.1f}, "
          f"p95 {six['p95']:.1f}, max {six['max']:.0f}")  # fmt: skip
    print(f"  (miss: render_citation of a record not cached in that style: engine + cache write; "
          "CPU: the process's CPU time in the call, V8's threads included; "
          f"hit: the same again; items: the {r['test_items']} test items ×3 via "
          "render_entries, no cache)")  # fmt: skip


def report_rare(r: dict, seed: int) -> None:
    print(f"\n3. First use of {len(r['styles'])} random repository styles in a warm worker "
          f"(seed {seed}; ms; {load_text(r)}):")  # fmt: skip
    print(f"  {'style':<55}{'format':<13}{'first':>7}{'next p50':>9}{'p95':>7}")
    for row in r["styles"]:
        if "error" in row:
            print(f"  {row['id'][:54]:<55}{row['format']:<13}  ERROR {row['error'][:80]}")
            continue
        print(f"  {row['id'][:54]:<55}{row['format']:<13}{row['first']:>7.0f}"
              f"{row['next']['p50']:>9.1f}{row['next']['p95']:>7.1f}")  # fmt: skip
    good = [row for row in r["styles"] if "error" not in row]
    if good:
        slow = max(good, key=lambda row: row["first"])
        worst = max(good, key=lambda row: row["next"]["p95"])
        print(f"  max first use {slow['first']:.0f} ms ({slow['id']}): "
              f"{target(slow['first'], 1500)}")  # fmt: skip
        print(f"  max p95 of the next 20 {worst['next']['p95']:.1f} ms ({worst['id']}): "
              f"{target(worst['next']['p95'], 20)}")  # fmt: skip


def report_bibliography(r: dict) -> None:
    print(f"\n4. 1,000-entry bibliography, render_bibliography (s; the 1,000 records alone "
          f"load in {r['load_records'] / 1000:.2f} s; {load_text(r)}):")  # fmt: skip
    for run in r["runs"]:
        warm = sorted(run["warm"])
        median = warm[len(warm) // 2] / 1000
        mark = f"  {target(median, 2)}" if run["style"] == "apa" else ""
        cpu = sorted(run["warm_cpu"])[len(warm) // 2] / 1000
        print(f"  {run['style'] + ' ' + run['fmt']:<26}{run['entries']:>6,} entries: "
              f"first {run['first'] / 1000:.2f} (CPU {run['first_cpu'] / 1000:.2f}), "
              f"warm {median:.2f} (CPU {cpu:.2f}; runs "
              f"{', '.join(f'{w / 1000:.2f}' for w in run['warm'])}){mark}")  # fmt: skip


def report_export(r: dict) -> None:
    print(f"\n5. Formatted export, stream_bibliography over the catalogue ({load_text(r)}):")
    for run in r["runs"]:
        mark = f"  {target(run['rate'], 500, at_least=True)}" if run["fmt"] == "text" else ""
        print(f"  {run['style'] + ' ' + run['fmt']:<16}{run['entries']:>7,} entries in "
              f"{run['seconds']:>5.2f} s = {run['rate']:>5,.0f} entries/s "
              f"({run['entries'] / run['cpu']:,.0f} per CPU s), "
              f"{run['mib']:.1f} MiB; RSS {run['rss_before']:.0f} -> {run['rss_after']:.0f} MiB"
              f" (peak {run['hwm']:.0f}){mark}")  # fmt: skip


def report_memory(r: dict) -> None:
    print(f"\n6. Memory of a worker by styles used (CITATION_ENGINES_MAX {r['max']}; MiB; "
          f"{load_text(r)}):")  # fmt: skip
    print(f"  {'styles used':<14}{'engines':>8}{'RSS':>7}{'peak':>7}{'V8 used':>9}"
          f"{'V8 heap':>9}{'s':>7}")  # fmt: skip
    for step in r["steps"]:
        used = f"{step.get('v8_used', 0):>9.0f}{step.get('v8_total', 0):>9.0f}"
        seconds = f"{step['seconds']:>7.1f}" if "seconds" in step else ""
        label = "none" if step["styles"] == 0 else str(step["styles"])
        print(f"  {label:<14}{step['engines']:>8}{step['rss']:>7.0f}{step['hwm']:>7.0f}"
              f"{used}{seconds}")  # fmt: skip
    for error in r["errors"]:
        print(f"  style error: {error[:120]}")


def report_all_styles(r: dict) -> None:
    times = r["times"]
    values = list(times.values())
    print(f"\n7. First use of every repository style in one warm worker ({len(values):,} built, "
          f"{len(r['errors'])} errors; ms; {load_text(r)}):")  # fmt: skip
    print(f"  p50 {percentile(values, 0.5):.0f}, p95 {percentile(values, 0.95):.0f}, "
          f"p99 {percentile(values, 0.99):.0f}, max {max(values):.0f}; over 1,500 ms: "
          f"{sum(value > 1500 for value in values)}, over 500 ms: "
          f"{sum(value > 500 for value in values)}; RSS at the end {r['mem']['rss']:.0f} MiB "
          f"(peak {r['mem']['hwm']:.0f})")  # fmt: skip
    sizes = r["sizes"]
    for style_id, value in sorted(times.items(), key=lambda pair: -pair[1])[:12]:
        size = f"{sizes[style_id]:>6.1f} MiB" if style_id in sizes else ""
        print(f"  {value:>7.0f} ms {size}  {style_id}")
    if sizes:
        heavy = sorted(sizes.values(), reverse=True)
        print(f"  one engine's live V8 heap (after a full GC): p50 {percentile(heavy, 0.5):.1f}, "
              f"p95 {percentile(heavy, 0.95):.1f}, max {heavy[0]:.1f} MiB; over 20 MiB: "
              f"{sum(size > 20 for size in heavy)} styles; the 50 largest together "
              f"{sum(heavy[:50]):.0f} MiB")  # fmt: skip
        for style_id, size in sorted(sizes.items(), key=lambda pair: -pair[1])[:8]:
            print(f"  {size:>6.1f} MiB {times.get(style_id, 0):>7.0f} ms  {style_id}")
    for style_id, error in sorted(r["errors"].items()):
        print(f"  error  {style_id}: {error[:110]}")


def main() -> int:
    """Fill the catalogue, run every phase in its own process, print the figures."""
    import argparse
    import platform
    import random

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=5000, help="catalogue size")
    parser.add_argument("--database", default="/tmp/bench_cite.sqlite3")  # noqa: S108
    parser.add_argument("--keep", action="store_true", help="reuse the file if filled")
    parser.add_argument("--seed", type=int, default=None, help="random draws (default random)")
    parser.add_argument("--records", type=int, default=300, help="Cite box records per style")
    parser.add_argument("--rare", type=int, default=20, help="repository styles tried")
    parser.add_argument("--starts", type=int, default=3, help="fresh workers timed")
    parser.add_argument("--repeat", type=int, default=3, help="warm bibliography runs")
    parser.add_argument(
        "--all-styles", action="store_true", help="also time the first use of every style"
    )
    parser.add_argument(
        "--all-styles-max", type=int, default=1, help="engines kept in the --all-styles run"
    )
    parser.add_argument(
        "--only", default="", help="comma-separated phases to run (start,cite,rare,...)"
    )
    options = vars(parser.parse_args())
    sys.stdout.reconfigure(line_buffering=True)
    if options["seed"] is None:
        options["seed"] = random.SystemRandom().randrange(1, 1_000_000)
    if not options["keep"]:
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(options["database"] + suffix):
                os.unlink(options["database"] + suffix)
    print(f"seed {options['seed']}  (re-run the same draws: --seed {options['seed']})")
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, load "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")  # fmt: skip
    failed, hangs = [], []
    fill = spawn("fill", options, hangs)
    if fill is None:
        return 1
    filled = f", filled in {fill['seconds']:.0f} s" if fill["seconds"] else ""
    print(f"catalogue: SQLite {options['database']}, {fill['articles']:,} articles{filled}; "
          + ", ".join(f"{kind} {n:,}" for kind, n in fill["types"].items()))  # fmt: skip
    only = set(filter(None, options["only"].split(",")))
    if not only or "start" in only:
        starts = [spawn("start", options, hangs) for _ in range(options["starts"])]
        if all(starts):
            report_start(starts)
        else:
            failed.append("start")
    for name, report in (
        ("cite", report_cite),
        ("rare", lambda r: report_rare(r, options["seed"])),
        ("bibliography", report_bibliography),
        ("export", report_export),
        ("memory", report_memory),
        *(
            (("all-styles", report_all_styles),)
            if options["all_styles"] or "all-styles" in only
            else ()
        ),
    ):
        if only and name not in only:
            continue
        result = spawn(name, options, hangs)
        if result is None:
            failed.append(name)
        else:
            report(result)
    print(f"\nload at the end {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if hangs:
        print(f"ODD: {len(hangs)} process(es) printed their result but did not exit within "
              f"30 s and were killed: {', '.join(hangs)}")  # fmt: skip
    if failed:
        print(f"FAILED phases: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--phase":
        run_phase(sys.argv[2], json.loads(sys.argv[3]))
    else:
        sys.exit(main())
