"""CPU per uncached search page, and the pages' HTML to compare before and after a change.

    createdb -h 127.0.0.1 -U postgres -T bench_load cat_copy
    DATABASE_URL=postgres://postgres@127.0.0.1/cat_copy .venv/bin/python bench/search_render.py \
        --save /tmp/before
    ... change the code ...
    DATABASE_URL=... .venv/bin/python bench/search_render.py --compare /tmp/before

Uses the database in DATABASE_URL as it is (a copy of the load test's 20k demo catalogue),
with DEBUG off (the cached template loader). Thirty search pages (words, phrases, exclusions,
sorts, pages, facets from the browse page's sidebar, no results) go through Django's test
client with the result cache emptied before each request; prints the median over the pages
of each page's median process CPU (--rounds requests) and the CPU spent rendering the
results body (_search_body.html). --parts also prints the wall time of each part of a page
(index generation, the engine's results, the articles with marks and authors, the results
context, the body template, the evidence summaries, the rest), p50 and p95 over the pages;
SEARCH_INDEX_DIR set in the environment answers from the embedded index.
"""

import argparse
import html
import json
import os
import re
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Parts of a page that differ between two requests for it.
VARYING = re.compile(rb'((?:name="csrfmiddlewaretoken" value|nonce)=")[^"]*')
WORDS = [
    "/search/",
    "/search/?q=health",
    "/search/?q=policy+education",
    "/search/?q=%22climate+change%22",
    "/search/?q=zzzzqqqxx",
    "/search/?q=health&sort=newest",
    "/search/?q=health&sort=title",
    "/search/?q=health&page=3",
    "/search/?page=5&sort=oldest",
    "/search/?q=-health+care",
    "/search/?q=health+OR+care",
    "/search/?year_min=2010&year_max=2015",
    "/search/?q=health&year_min=2015",
    "/search/?q=health&page_size=50",
    "/search/?q=helth",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="requests per page")
    parser.add_argument("--save", type=Path, help="write each page's status and HTML here")
    parser.add_argument("--compare", type=Path, help="check the pages against a --save")
    parser.add_argument(
        "--parts", action="store_true", help="also time each part of a page (p50/p95)"
    )
    parser.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="--parts: wall time, or this process's CPU time (steadier under load; leaves "
        "out the database server's work)",
    )
    args = parser.parse_args()

    os.environ["DEBUG"] = "0"
    os.environ["HTTPS"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-search-render-" + "x" * 64)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalogue.settings")
    warnings.simplefilter("ignore")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.cache import caches
    from django.test import Client

    import catalogue.search.views as search_views

    client = Client(HTTP_HOST="localhost")

    def get(url: str):
        caches["default"].clear()
        return client.get(url)

    if args.compare:
        urls = json.loads((args.compare / "urls.json").read_text())
    else:
        sidebar = get("/search/").content.decode()
        include = [html.unescape(h) for h in re.findall(r'"facet__link" href="([^"]+)"', sidebar)]
        exclude = [
            html.unescape(h) for h in re.findall(r'"facet__exclude" href="([^"]+)"', sidebar)
        ]
        urls = list(WORDS)
        urls += ["/search/" + h for h in include[:: max(1, len(include) // 8)][:8]]
        urls += ["/search/" + h for h in exclude[:: max(1, len(exclude) // 4)][:4]]
        urls += [
            f"/search/{include[0]}&q=health",
            f"/search/{include[-1]}&{include[1][1:]}&sort=newest",
            f"/search/{exclude[2]}&q=policy&page=2",
        ]
        # Entity pages share the results body: an author's marks the person's own name.
        results = get("/search/?q=health").content.decode()
        author = re.search(r'href="(/authors/[^"?]+/)"', results)
        urls += [author.group(1), author.group(1) + "?q=health"] if author else []

    differ = []
    for n, url in enumerate(urls):
        response = get(url)
        # The CSRF token is masked afresh per response, and nonces are per response.
        content = f"{response.status_code}\n".encode() + VARYING.sub(rb"\1", response.content)
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            (args.save / f"{n:02d}.html").write_bytes(content)
        if args.compare and (args.compare / f"{n:02d}.html").read_bytes() != content:
            differ.append(url)
    if args.save:
        (args.save / "urls.json").write_text(json.dumps(urls, indent=0))
    if args.compare:
        print(f"{len(urls) - len(differ)} of {len(urls)} pages byte-identical", *differ, sep="\n")

    rendering = [0.0]
    render_to_string = search_views.render_to_string

    def timed(*args, **kwargs):
        start = time.process_time()
        try:
            return render_to_string(*args, **kwargs)
        finally:
            rendering[0] += time.process_time() - start

    search_views.render_to_string = timed
    medians = []
    for url in urls:
        times = []
        for _ in range(args.rounds):
            caches["default"].clear()
            start = time.process_time()
            client.get(url)
            times.append(time.process_time() - start)
        medians.append(statistics.median(times))
    body = rendering[0] * 1000 / (args.rounds * len(urls))
    print(
        f"{len(urls)} pages x {args.rounds}: CPU per uncached page median "
        f"{statistics.median(medians) * 1000:.1f} ms, mean {statistics.mean(medians) * 1000:.1f} "
        f"ms; rendering the results body {body:.2f} ms a page"
    )
    if args.parts:
        clock = time.perf_counter if args.clock == "wall" else time.process_time
        print(parts(client, urls, rounds=args.rounds, clock=clock))
    sys.exit(1 if differ else 0)


ENGINE = "engine results (total, ids, facets)"


def parts(client, urls: list[str], *, rounds: int, clock=time.perf_counter) -> str:
    """Return a Markdown table of the time (`clock`) of each part of the uncached pages."""
    from django.core.cache import caches

    import catalogue.search.views as search_views
    from catalogue.search import cache, engine

    spent: dict[str, float] = {}

    def wrap(module, name: str, part: str) -> None:
        original = getattr(module, name)

        def timed(*args, **kwargs):
            start = clock()
            try:
                return original(*args, **kwargs)
            finally:
                spent[part] = spent.get(part, 0.0) + clock() - start

        setattr(module, name, timed)

    wrap(cache, "search_generation", "index generation")
    wrap(engine, "_run", ENGINE)
    # The page's articles, whichever function the engine calls for them.
    for name in ("marked_articles", "_articles"):
        if hasattr(engine, name):
            wrap(engine, name, "articles, marks and authors")
            break
    wrap(search_views, "_results_context", "results context")
    wrap(search_views, "render_to_string", "results body template")
    wrap(search_views, "matching_summaries", "evidence summaries")
    times: dict[str, list[float]] = {}
    for _ in range(rounds):
        for url in urls:
            caches["default"].clear()
            spent.clear()
            start = clock()
            client.get(url)
            page = clock() - start
            spent["rest (request, outer page)"] = page - sum(spent.values())
            spent["whole page"] = page
            spent["whole page less the engine's results"] = page - spent.get(ENGINE, 0.0)
            for part, seconds in spent.items():
                times.setdefault(part, []).append(seconds * 1000)
    rows = ["| part | p50 ms | p95 ms |", "|---|---|---|"]
    for part, values in times.items():
        values.sort()
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        rows.append(f"| {part} | {statistics.median(values):.1f} | {p95:.1f} |")
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    name = "wall" if clock is time.perf_counter else "CPU"
    return "\n".join([f"{len(urls)} pages x {rounds}, {name} time, load {load}", *rows])


if __name__ == "__main__":
    main()
