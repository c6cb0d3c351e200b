"""Benchmark the browse lists and the Atom feeds at 1,000,000 articles (bar: 100 ms each).

    .venv/bin/python bench/browse.py --database bench_catalogue [--runs 7] [--counted]

Reads the catalogue made by `bench/generate.py` (it changes nothing). Each case is requested
through Django's test client (routing, middleware, view, statements, template or feed
writer) --runs times after two unmeasured requests; the script prints the median and the
slowest in ms, the response size and the bar met or not. The journal, author and keyword of
the feed cases are the ones with the most articles (read once from the index's counts).
"""

import argparse
import statistics
import sys
import time

from databases import open_catalogue

BAR_MS = 100

LISTS = [
    "/journals/",
    "/journals/?sort=count",
    "/journals/?filter=journal",
    "/authors/",
    "/authors/?page=2",
    "/authors/?page=10",
    "/authors/?letter=M",
    "/authors/?letter=S&page=10",
    "/authors/?sort=count",
    "/authors/?sort=count&letter=S",
    # The deepest pages a number alone reaches (browse.MAX_COUNTED_PAGE), counted from the start.
    "/authors/?sort=count&page=10",
    "/authors/?sort=count&letter=S&page=10",
    "/authors/?filter=an&page=10",
    "/authors/?sort=count&filter=an&page=10",
    "/authors/?filter=smith",
    "/authors/?filter=an",
    "/keywords/",
    "/keywords/?sort=count",
    "/keywords/?letter=C&page=3",
    "/keywords/?filter=therapy",
    "/subjects/",
    "/subjects/?sort=count&filter=psych",
]


# Deep pages as a reader reaches them, by Next: (list, sort, letter, page). A number alone
# past browse.MAX_COUNTED_PAGE is a 400, so the link is made from the page before it, read
# once, untimed, by the view's own function (counted from the start: slow, and no link).
DEEP = [
    ("author", "az", "", 2000),
    ("author", "az", "", 4000),
    ("author", "az", "s", 300),
    ("author", "count", "", 2000),
    ("author", "count", "s", 300),
]


def next_link(kind: str, sort: str, letter: str, page: int) -> str:
    """Return the Next link to page `page` of a list (read after the previous page's last)."""
    from catalogue.views import browse

    params = browse.BrowseParams(sort=sort, letter=letter, page=page - 1)
    entries, has_next = browse.browse_entries(kind, params)
    if not has_next:
        raise SystemExit(f"{kind} {sort} {letter} page {page}: no such page")
    path = {"author": "/authors/", "journal": "/journals/", "keyword": "/keywords/"}[kind]
    return path + browse._query(params, page=page, after=entries[-1].id)


# --counted: the page's statement alone (browse.browse_entries) by page number, counted from
# the start, and the page after the last of them read by its Next link: what a page number
# alone costs, which browse.MAX_COUNTED_PAGE bounds. (list, sort, letter, filter).
COUNTED_SHAPES = [
    ("author", "az", "", ""),
    ("author", "az", "s", ""),
    ("author", "az", "", "an"),
    ("author", "count", "", ""),
    ("author", "count", "s", ""),
    ("author", "count", "", "an"),
    ("keyword", "az", "c", ""),
    ("journal", "az", "", "journal"),
]
COUNTED_PAGES = [1, 5, 10, 20]


def counted(runs: int) -> None:
    """Print the median / slowest ms of each shape's statement at COUNTED_PAGES, then Next."""
    from catalogue.views import browse

    def timed(kind: str, params: browse.BrowseParams) -> tuple[str, list]:
        browse.browse_entries(kind, params)  # unmeasured, as the pages' first two requests
        times, entries = [], []
        for _ in range(runs):
            started = time.perf_counter()
            entries, _ = browse.browse_entries(kind, params)
            times.append((time.perf_counter() - started) * 1000)
        return f"{statistics.median(times):.0f} / {max(times):.0f}", entries

    last = COUNTED_PAGES[-1]
    print("\n| list | " + " | ".join(f"page {n}" for n in COUNTED_PAGES), end="")
    print(f" | page {last + 1} by Next |\n" + "|---" * (len(COUNTED_PAGES) + 2) + "|")
    for kind, sort, letter, text in COUNTED_SHAPES:
        cells, entries = [], []
        for page in COUNTED_PAGES:
            params = browse.BrowseParams(sort=sort, letter=letter, text=text, page=page)
            cell, entries = timed(kind, params)
            cells.append(cell)
        after = browse.BrowseParams(
            sort=sort, letter=letter, text=text, page=last + 1, after=entries[-1].id
        )
        cells.append(timed(kind, after)[0])
        print(f"| {kind} {sort} {letter or '-'} {text or '-'} | " + " | ".join(cells) + " |")


def top_value(facet: str) -> str:
    """Return the id of `facet`'s value with the most articles."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT value FROM catalogue_search_facet WHERE facet = %s "
            "ORDER BY count DESC, value LIMIT 1",
            [facet],
        )
        return cursor.fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="bench_catalogue")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--counted",
        action="store_true",
        help="time the lists' statements by page number instead (browse.MAX_COUNTED_PAGE)",
    )
    options = parser.parse_args()
    if options.runs < 1:
        parser.error("--runs must be at least 1")
    sys.stdout.reconfigure(line_buffering=True)

    open_catalogue(server=options.server, database=options.database)
    from django.db import connection
    from django.test import Client

    from catalogue.search.cache import search_generation

    search_generation()  # connect before timing
    print(f"database: {connection.vendor} {options.database}")
    if options.counted:
        counted(options.runs)
        return
    feeds = [
        "/search/feed/",
        "/search/feed/?q=chronic",
        "/search/feed/?q=transistor",
        f"/search/feed/?journal={top_value('journal')}",
        f"/search/feed/?author={top_value('author')}",
        f"/search/feed/?keyword={top_value('keyword')}",
        f"/search/feed/?subject={top_value('subject')}",
        f"/search/feed/?q=qualitative&journal={top_value('journal')}&year_min=1995",
    ]
    client = Client()
    deep = [next_link(*case) for case in DEEP]
    failed = 0
    print(f"\n| page | bytes | median | slowest | bar {BAR_MS} ms |\n|---|---|---|---|---|")
    for url in LISTS + deep + feeds:
        times = []
        for run in range(options.runs + 2):
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{url}: HTTP {response.status_code}")
            if run >= 2:
                times.append(elapsed)
        slowest = max(times)
        met = "met" if slowest <= BAR_MS else "NOT met"
        failed += slowest > BAR_MS
        median = statistics.median(times)
        size = len(response.content)
        print(f"| {url} | {size:,} | {median:.0f} ms | {slowest:.0f} ms | {met} |")
    cases = len(LISTS) + len(deep) + len(feeds)
    print(f"\n{cases - failed} of {cases} within {BAR_MS} ms")


if __name__ == "__main__":
    main()
