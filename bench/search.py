"""Benchmark the search page and API on the 1,000,000-article PostgreSQL catalogue.

    .venv/bin/python bench/search.py                 # bench_catalogue, 30 runs per case
    .venv/bin/python bench/search.py --runs 50 --database bench_catalogue

For each case (rare term ~0.1%, broad term 10-20%, phrase, term with three filters, filters
without a term, browse everything) it times, in-process, the full /search/ page (results,
total, every facet, rendered HTML) and /api/articles/ with the same parameters, p50 and p95
over --runs requests each: "cold" with a distinct query every run (never cached) and
"repeated" with one query (served from the results cache after the first). Next to each, the
same page answered by one hand-written SQL statement (total, the 20 rows with their journal,
authors and highlights, every facet with labels), timed on the same connection, as a ratio.
Terms are picked from the catalogue itself (document frequencies from a 1% sample, then
counted exactly). Prints Markdown for docs/performance.md and the bars met or missed.
"""

import argparse
import itertools
import os
import platform
import random
import re
import statistics
import sys
import time
from pathlib import Path

from databases import open_catalogue

BARS = {  # case -> (cold p95 bar, repeated p95 bar) in ms
    "rare term": (100, 100),
    "term + 3 filters": (100, 100),
    "filters, no term": (100, 100),
    "browse everything": (100, 100),
    "broad term": (800, 50),
    "phrase": (None, None),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="bench_catalogue")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--no-prewarm",
        action="store_true",
        help="do not load the index table into shared buffers first (pg_prewarm)",
    )
    parser.add_argument(
        "--small", action="store_true", help="allow a catalogue under 100,000 articles (trials)"
    )
    options = parser.parse_args()

    open_catalogue(server=options.server, database=options.database)
    from django.db import connection

    rng = random.Random(options.seed)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM catalogue_article")
        articles = cursor.fetchone()[0]
    if articles < 100_000 and not options.small:
        print(
            f"{options.database} has {articles:,} articles; generate 1,000,000 first "
            "(bench/generate.py)."
        )
        sys.exit(1)

    print(machine(connection, articles))
    cases = pick_cases(
        connection,
        rng,
        runs=options.runs,
        articles=articles,
        rare_high=0.01 if options.small else 0.0013,
    )
    if not options.no_prewarm:
        print(prewarm(connection))
    warm_up()
    # As the server process does (catalogue/wsgi.py), after loading its code.
    from catalogue.wsgi import tune_garbage_collection

    tune_garbage_collection()
    rows = []
    for name, queries in cases.items():
        rows.append(measure(name, queries, runs=options.runs))
        print(f"  measured {name}", file=sys.stderr)
    print(report(rows, options.runs))
    lookups = lookup_cases(connection, rng, runs=options.runs, terms=cases["broad term"])
    print(report_lookups([measure_lookups(name, requests) for name, requests in lookups.items()]))


# --- Picking the queries -------------------------------------------------------------------------


def pick_cases(
    connection, rng: random.Random, *, runs: int, articles: int, rare_high: float
) -> dict:
    """Return {case: [param dicts]}; the first `runs` are distinct, the last is the repeat."""
    from catalogue.search.query import STOP_WORDS

    frequencies = sampled_frequencies(connection)
    rare = terms_between(
        connection, frequencies, rng, low=0.0007, high=rare_high, articles=articles, count=runs + 1
    )
    broad = terms_between(
        connection, frequencies, rng, low=0.10, high=0.20, articles=articles, count=runs + 1
    )
    samples = random_articles(connection, rng, count=3 * runs)
    phrases = []
    for row in samples:
        words = [w.strip(".,:;?()").lower() for w in row["title"].split()]
        pairs = [
            (a, b)
            for a, b in itertools.pairwise(words)
            if a.isalpha() and b.isalpha() and not {a, b} & STOP_WORDS
        ]
        if pairs:
            phrases.append({"q": '"' + " ".join(rng.choice(pairs)) + '"'})
        if len(phrases) == runs + 1:
            break
    filtered, filters_only = [], []
    for row in samples:
        if not (row["journal_id"] and row["keyword_id"] and row["year"]):
            continue
        # The title's least common word (as a reader narrows with a specific term).
        words = [w.strip(".,:;?()").lower() for w in row["title"].split()]
        words = [w for w in words if w.isalpha() and w not in STOP_WORDS] or ["study"]
        word = min(words, key=lambda w: (frequencies.get(stem(connection, w), 1.0), w))
        base = {
            "journal": row["journal_id"],
            "keyword": row["keyword_id"],
            "year_min": row["year"] - 5,
        }
        if len(filtered) <= runs:
            filtered.append({"q": word, **base})
        if len(filters_only) <= runs:
            filters_only.append({**base, "year_max": row["year"] + 5})
    browse = [{"page": str(page)} for page in range(2, runs + 2)] + [{}]
    return {
        "rare term": [{"q": term} for term in rare],
        "broad term": [{"q": term} for term in broad],
        "phrase": phrases,
        "term + 3 filters": filtered,
        "filters, no term": filters_only,
        "browse everything": browse,
    }


def stem(connection, word: str) -> str:
    """Return the index's lexeme for `word` (as ts_stat reports it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT plainto_tsquery('catalogue', %s)::text", [word])
        return cursor.fetchone()[0].strip("'").split("'")[0]


def is_word(term: str) -> bool:
    return term.isalpha() and len(term) >= 3


def sampled_frequencies(connection) -> dict[str, float]:
    """Return {lexeme: share of articles} estimated from a 10% sample of the index."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM catalogue_search WHERE sample < 102")
        sampled = cursor.fetchone()[0]
        cursor.execute(
            "SELECT word, ndoc FROM ts_stat('SELECT document FROM catalogue_search "
            "WHERE sample < 102') WHERE ndoc >= %s",
            [30 if sampled > 50_000 else 2],
        )
        return {word: ndoc / sampled for word, ndoc in cursor.fetchall()}


def terms_between(connection, frequencies, rng, *, low, high, articles, count) -> list[str]:
    """Return `count` terms whose exact share of articles is within [low, high].

    Words come first; the synthetic vocabulary has few words as rare as 0.1%, so numbers
    from the abstracts ("40.5") fill up the rare case (a posting list is a posting list).
    """
    candidates = [word for word, share in frequencies.items() if low * 0.8 <= share <= high * 1.2]
    rng.shuffle(candidates)
    candidates.sort(key=lambda word: not is_word(word))
    chosen = []
    with connection.cursor() as cursor:
        for word in candidates:
            cursor.execute(
                "SELECT count(*) FROM catalogue_search "
                "WHERE document @@ plainto_tsquery('catalogue', %s)",
                [word],
            )
            share = cursor.fetchone()[0] / articles
            if low <= share <= high:
                chosen.append(word)
            if len(chosen) == count:
                return chosen
    raise SystemExit(f"only {len(chosen)} terms with {low:.2%}-{high:.2%} of articles")


def random_articles(connection, rng, *, count: int) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM catalogue_article")
        top = cursor.fetchone()[0]
        ids = [rng.randint(1, top) for _ in range(count * 2)]
        cursor.execute(
            "SELECT a.id, a.title, a.journal_id, a.year, "
            "(SELECT min(keyword_id) FROM catalogue_article_keywords k WHERE k.article_id = a.id) "
            "FROM catalogue_article a WHERE a.id = ANY(%s)",
            [ids],
        )
        rows = [
            {"id": r[0], "title": r[1], "journal_id": r[2], "year": r[3], "keyword_id": r[4]}
            for r in cursor.fetchall()
        ]
    rng.shuffle(rows)
    return rows[:count]


def lookup_cases(connection, rng, *, runs: int, terms: list[dict]) -> dict:
    """Return {case: [(facet, params)]}: a facet's "more" list filtered by 3-5 letters of one of
    its labels (authors, keywords and journals in turn), over everything and under a term."""
    facets = {
        "author": "SELECT family_name FROM catalogue_author WHERE family_name <> ''",
        "keyword": "SELECT term FROM catalogue_keyword",
        "journal": "SELECT title FROM catalogue_journal",
    }
    labels = {}
    with connection.cursor() as cursor:
        for facet, sql in facets.items():
            cursor.execute(
                f"{sql} ORDER BY md5(id::text || %s) LIMIT %s", [str(rng.random()), runs]
            )
            labels[facet] = [label for (label,) in cursor.fetchall()]
    requests = []
    for n in range(runs):
        facet = list(facets)[n % len(facets)]
        label = labels[facet][n].lower()
        size = rng.randint(3, 5)
        start = rng.randint(0, max(0, len(label) - size))
        requests.append((facet, {"values_filter": label[start : start + size]}))
    return {
        "value filter, everything": requests,
        "value filter, broad term": [
            (facet, {**params, **term})
            for (facet, params), term in zip(requests, terms, strict=False)
        ],
    }


# --- Measuring -----------------------------------------------------------------------------------


def measure_lookups(name: str, requests: list[tuple[str, dict]]) -> dict:
    """Return the timings of the facet value pages for `requests`, each asked once (cold)."""
    from django.core.cache import caches
    from django.test import Client

    client = Client()
    caches["default"].clear()
    timings, values = [], []
    for facet, params in requests:
        started = time.perf_counter()
        response = client.get(f"/search/facets/{facet}/", params)
        timings.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{name}: {facet} {params} -> {response.status_code}")
        found = re.search(r'facet-list__count" role="status">([\d,]+) value', response.text)
        values.append(int(found[1].replace(",", "")))
    print(f"  measured {name}", file=sys.stderr)
    return {"case": name, "page": timings, "values": values, "example": requests[0]}


def report_lookups(rows: list[dict]) -> str:
    lines = [
        "",
        'A facet\'s "more" list with its filter box filled in (/search/facets/<facet>/?values_'
        "filter=...), authors, keywords and journals in turn, each request different; "
        "p50 / p95 in ms.",
        "",
        "| case | values found (min / median / max) | page p50 / p95 | example |",
        "|---|---|---|---|",
    ]
    for row in rows:
        found = row["values"]
        lines.append(
            f"| {row['case']} | {min(found):,} / {statistics.median(found):,.0f} / "
            f"{max(found):,} | {percentile(row['page'], 0.5):.0f} / "
            f"{percentile(row['page'], 0.95):.0f} | `{row['example']}` |"
        )
    return "\n".join(lines)


def measure(name: str, queries: list[dict], *, runs: int) -> dict:
    from django.core.cache import caches
    from django.db import connection
    from django.test import Client

    client = Client()
    cold, repeat = queries[:runs], queries[runs]
    result = {"case": name}
    caches["default"].clear()
    hits = []
    for kind, url in (("page", "/search/"), ("api", "/api/articles/")):
        caches["default"].clear()
        timings = []
        for params in cold:
            started = time.perf_counter()
            response = client.get(url, params)
            if response.status_code != 200:
                raise SystemExit(f"{name}: {url} {params} -> {response.status_code}")
            timings.append(time.perf_counter() - started)
            if kind == "api":
                hits.append(response.json()["count"])
        result[f"{kind} cold"] = timings
        client.get(url, repeat)  # warms the cache
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            client.get(url, repeat)
            timings.append(time.perf_counter() - started)
        result[f"{kind} repeated"] = timings
    for key, build in (("direct", direct_sql), ("hand", lambda p: hand_sql(connection, p))):
        timings = []
        for params in cold:
            sql, values = build(params)
            with connection.cursor() as cursor:
                started = time.perf_counter()
                cursor.execute(sql, values)
                cursor.fetchall()
                timings.append(time.perf_counter() - started)
        result[key] = timings
    result["hits"] = (min(hits), statistics.median(hits), max(hits))
    result["example"] = cold[0]
    return result


def prewarm(connection) -> str:
    """Load the index table's heap and indexes into shared buffers; return what was done.

    A server that has been answering searches holds them there; a benchmark started after
    the catalogue was generated would otherwise time copies from the OS page cache. Only
    what fits in shared_buffers stays; the documents (TOAST) are left to the requests.
    """
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        cursor.execute(
            "SELECT count(*), sum(pg_prewarm(c.oid)) FROM pg_class c "
            "WHERE c.relname LIKE 'catalogue_search%%' AND c.relkind IN ('r', 'i')"
        )
        relations, blocks = cursor.fetchone()
    return f"Prewarmed {relations} relations, {blocks * 8 / 1024:,.0f} MiB (pg_prewarm)."


def warm_up() -> None:
    """Load templates, URL patterns and code paths once, outside the timings."""
    from django.core.cache import caches
    from django.test import Client

    client = Client()
    for params in ({}, {"q": "warm"}, {"q": "warm", "sort": "newest", "year_min": "2000"}):
        for url in ("/search/", "/api/articles/"):
            client.get(url, params)
    caches["default"].clear()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index] * 1000


def report(rows: list[dict], runs: int) -> str:
    lines = [
        "",
        f'p50 / p95 in ms over {runs} requests each; "cold": a different query every request '
        '(never cached); "repeated": one query (results statement cached). "SQL": the same '
        "page's SQL alone: \"direct\" is the engine's one results statement plus the 20 rows' "
        "display fields and highlights, run on a connection (no Django, ORM, cache or template); "
        '"exact SQL" is the best exact hand-written statement (matches materialised once, '
        "every match ranked, facets by unnest of the id arrays). Ratios: page cold p50 / SQL p50.",
        "",
        "| case | hits (min / median / max) | page cold | page repeated | API cold "
        "| API repeated | direct SQL | page/direct | exact SQL | page/exact | bars (p95) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for row in rows:
        cells = {}
        for key in ("page cold", "page repeated", "api cold", "api repeated", "direct", "hand"):
            cells[key] = (percentile(row[key], 0.5), percentile(row[key], 0.95))
        cold_bar, repeat_bar = BARS[row["case"]]
        checks = []
        for label, bar, keys in (
            ("cold", cold_bar, ("page cold", "api cold")),
            ("repeated", repeat_bar, ("page repeated", "api repeated")),
        ):
            if bar is None:
                continue
            worst = max(cells[key][1] for key in keys)
            ok = worst < bar
            checks.append(f"{label} < {bar}: {'met' if ok else 'MISSED'} ({worst:.0f})")
            verdicts.append((row["case"], label, bar, worst, ok))
        low, median, high = row["hits"]
        lines.append(
            f"| {row['case']} | {low:,} / {median:,.0f} / {high:,} | "
            + " | ".join(
                f"{cells[k][0]:.0f} / {cells[k][1]:.0f}"
                for k in ("page cold", "page repeated", "api cold", "api repeated", "direct")
            )
            + f" | {cells['page cold'][0] / max(cells['direct'][0], 0.001):.1f}x"
            + f" | {cells['hand'][0]:.0f} / {cells['hand'][1]:.0f}"
            + f" | {cells['page cold'][0] / max(cells['hand'][0], 0.001):.2f}x | "
            + ("; ".join(checks) or "none set")
            + " |"
        )
    lines.append("")
    missed = [v for v in verdicts if not v[4]]
    lines.append(
        "All bars met."
        if not missed
        else "MISSED: "
        + "; ".join(
            f"{case} {label} p95 {worst:.0f} ms (bar {bar})"
            for case, label, bar, worst, _ in missed
        )
    )
    lines.append("")
    lines.append(
        "Example queries: " + "; ".join(f"{row['case']}: `{row['example']}`" for row in rows)
    )
    return "\n".join(lines)


def machine(connection, articles: int) -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        buffers = cursor.fetchone()[0]
        cursor.execute("SHOW work_mem")
        work_mem = cursor.fetchone()[0]
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"Machine: {os.cpu_count()} cores ({cpu}), {memory:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}; PostgreSQL {version} (shared_buffers {buffers}, work_mem "
        f"{work_mem}); Python {platform.python_version()}; {articles:,} articles."
    )


# --- The hand-written statements -----------------------------------------------------------------

# Facets of a set of index rows `{rows}` (CTE name), exact, top 9 per facet with labels.
FACETS_SQL = """
    SELECT 'year' f, year::text v, count(*) * {scale} n FROM {rows} GROUP BY year
    UNION ALL (SELECT 'type', output_type, count(*) * {scale} FROM {rows} GROUP BY 2
               ORDER BY 3 DESC LIMIT 9)
    UNION ALL (SELECT 'language', language, count(*) * {scale} FROM {rows} GROUP BY 2
               ORDER BY 3 DESC LIMIT 9)
    UNION ALL (SELECT 'peer_reviewed', peer_reviewed::text, count(*) * {scale} FROM {rows}
               GROUP BY 2)
    UNION ALL (SELECT 'journal', j.title, x.n FROM (SELECT journal_id, count(*) * {scale} n
               FROM {rows} WHERE journal_id IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 9) x
               JOIN catalogue_journal j ON j.id = x.journal_id)
    UNION ALL (SELECT 'keyword', k.term, x.n FROM (SELECT v, count(*) * {scale} n FROM
               (SELECT unnest(keyword_ids) v FROM {rows}) u GROUP BY v ORDER BY 2 DESC LIMIT 9) x
               JOIN catalogue_keyword k ON k.id = x.v)
    UNION ALL (SELECT 'author', concat_ws(' ', p.given_names, p.family_name), x.n FROM
               (SELECT v, count(*) * {scale} n FROM (SELECT unnest(author_ids) v FROM {rows}) u
               GROUP BY v ORDER BY 2 DESC LIMIT 9) x JOIN catalogue_author p ON p.id = x.v)
    UNION ALL (SELECT 'subject', s.name, x.n FROM (SELECT v, count(*) * {scale} n FROM
               (SELECT unnest(subject_ids) v FROM {rows}) u GROUP BY v ORDER BY 2 DESC LIMIT 9) x
               JOIN catalogue_subjectarea s ON s.id = x.v)
"""

# The 20 shown rows with journal, authors in order and highlights.
PAGE_SQL = """
    SELECT 'hit', a.title || ' | ' || coalesce(j.title, '') || ' | '
           || coalesce((SELECT string_agg(w.family_name, ', ' ORDER BY au.position)
               FROM catalogue_authorship au JOIN catalogue_author w ON w.id = au.author_id
               WHERE au.article_id = a.id), '') {headline}, p.position::float8
    FROM page p JOIN catalogue_article a ON a.id = p.article_id
    LEFT JOIN catalogue_journal j ON j.id = a.journal_id
"""
HEADLINE = (
    "|| ts_headline('catalogue', a.title, %(q)s::tsquery, 'HighlightAll=true') "
    "|| ts_headline('catalogue', a.abstract, %(q)s::tsquery, 'MaxFragments=2')"
)
WEIGHTS = "'{0.2,0.2,0.5,1.0}'"


def direct_sql(params: dict) -> tuple[str, list]:
    """Return the engine's own results statement plus the page's display rows, as one statement.

    What the page costs in SQL alone: no Django request, ORM, cache or template.
    """
    from catalogue import conf
    from catalogue.search import FACETS, parse_query, postgres
    from catalogue.search.params import SearchParams

    include = {name: [int(params[name])] for name in ("journal", "keyword") if name in params}
    search_params = SearchParams.build(
        query=parse_query(params["q"]) if "q" in params else None,
        include=include,
        year_min=int(params["year_min"]) if "year_min" in params else None,
        year_max=int(params["year_max"]) if "year_max" in params else None,
    )
    page = int(params.get("page", 1))
    statement = postgres.results_statement(
        params=search_params,
        offset=(page - 1) * 20,
        limit=20,
        settings=postgres.Settings(
            conf.get("SEARCH_EXACT_THRESHOLD"), conf.get("SEARCH_FACET_SAMPLE")
        ),
        facet_names=list(FACETS),
    )
    headline = ""
    if search_params.has_text:
        expression = postgres.tsquery(search_params.query)
        headline = (
            f" || ts_headline('catalogue', a.title, {expression.sql}, 'HighlightAll=true') "
            f"|| ts_headline('catalogue', a.abstract, {expression.sql}, 'MaxFragments=2')"
        )
    with connection_cursor() as cursor:
        inner = cursor.mogrify(statement.sql, statement.params).decode()
    sql = f"""WITH r AS MATERIALIZED (SELECT * FROM catalogue_search_run(%s)
                AS t({postgres.RESULT_COLUMNS}))
        SELECT r.*, a.title || ' | ' || coalesce(j.title, '') || ' | ' || coalesce((
            SELECT string_agg(w.family_name, ', ' ORDER BY au.position)
            FROM catalogue_authorship au JOIN catalogue_author w ON w.id = au.author_id
            WHERE au.article_id = a.id), ''){headline}
        FROM r LEFT JOIN catalogue_article a
            ON a.id = CASE WHEN r.kind = 'hit' THEN r.value::bigint END
        LEFT JOIN catalogue_journal j ON j.id = a.journal_id"""
    values = [inner]
    if headline:
        values = values + expression.params * 2
    return sql, values


def connection_cursor():
    from django.db import connection

    return connection.cursor()


def tsquery_text(connection, text: str) -> str:
    """Return the query as tsquery text, so the hand-written SQL sees it as a constant."""
    from catalogue.search import parse_query, postgres

    expression = postgres.tsquery(parse_query(text))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ({expression.sql})::text", expression.params)
        return cursor.fetchone()[0]


def hand_sql(connection, params: dict) -> tuple[str, dict]:
    """Return the best exact hand-written statement for the page of `params` (research's
    strategy: matches materialised once, facets by unnest of the id arrays), and its values."""

    values: dict = {}
    where = {}
    if "q" in params:
        values["q"] = tsquery_text(connection, params["q"])
        where["q"] = "s.document @@ %(q)s::tsquery"
    if "journal" in params:
        values["journal"] = int(params["journal"])
        where["journal"] = "s.journal_id = %(journal)s"
    if "keyword" in params:
        values["keyword"] = int(params["keyword"])
        where["keyword"] = "s.keyword_ids && ARRAY[%(keyword)s]::bigint[]"
    if "year_min" in params:
        values["year_min"] = int(params["year_min"])
        where["year_min"] = "s.year >= %(year_min)s"
    if "year_max" in params:
        values["year_max"] = int(params["year_max"])
        where["year_max"] = "s.year <= %(year_max)s"
    condition = " AND ".join(where.values()) or "TRUE"
    columns = (
        "s.article_id, s.date_key, s.year, s.output_type, s.language, s.peer_reviewed, "
        "s.journal_id, s.keyword_ids, s.author_ids, s.subject_ids"
    )

    if not where:
        # Browse: newest page by the index, counts kept by the triggers.
        offset = (int(params.get("page", 1)) - 1) * 20
        sql = f"""WITH
        page AS (SELECT article_id, row_number() OVER () AS position FROM (SELECT article_id
                 FROM catalogue_search ORDER BY date_key DESC NULLS LAST, article_id DESC
                 LIMIT 20 OFFSET {offset}) x)
        SELECT 'total', '', sum(count)::float8 FROM catalogue_search_facet WHERE facet = 'total'
        UNION ALL {PAGE_SQL.format(headline="")}
        UNION ALL SELECT 'facet', facet || value, count::float8 FROM (
            SELECT *, row_number() OVER (PARTITION BY facet ORDER BY count DESC) r
            FROM catalogue_search_facet WHERE facet IN ('year','type','language','peer_reviewed',
            'journal','subject')) t WHERE r <= 9 OR facet = 'year'
        UNION ALL (SELECT 'facet', 'author' || value, count FROM catalogue_search_facet
                   WHERE facet = 'author' ORDER BY count DESC LIMIT 9)
        UNION ALL (SELECT 'facet', 'keyword' || value, count FROM catalogue_search_facet
                   WHERE facet = 'keyword' ORDER BY count DESC LIMIT 9)"""
        return sql, values

    rank = f"ts_rank({WEIGHTS}, s.document, %(q)s::tsquery)" if "q" in params else "0"
    order = "score DESC, date_key DESC NULLS LAST, article_id DESC"
    headline = HEADLINE if "q" in params else ""
    # Every facet exact over the matches, every match ranked; a selected facet (journal,
    # keyword, year) counted over the matches without its own selection.
    contexts, extra = [], []
    for name, column in (
        ("journal", "journal_id"),
        ("keyword", "keyword_ids"),
        ("year_min", "year"),
    ):
        if name not in where:
            continue
        other = " AND ".join(
            w
            for key, w in where.items()
            if key != name and not (name == "year_min" and key == "year_max")
        )
        contexts.append(
            f", {name}_rows AS MATERIALIZED (SELECT s.{column} AS v "
            f"FROM catalogue_search s WHERE {other or 'TRUE'})"
        )
        unnest = "unnest(v)" if column == "keyword_ids" else "v"
        limit = "" if name == "year_min" else " ORDER BY 3 DESC LIMIT 9"
        extra.append(
            f" UNION ALL SELECT 'facet', f || ':' || v, n::float8 FROM ("
            f"SELECT '{name}'::text, x::text, count(*) FROM (SELECT {unnest} AS x "
            f"FROM {name}_rows) u GROUP BY 1, 2{limit}) e(f, v, n)"
        )
    sql = f"""WITH
    hits AS MATERIALIZED (SELECT {columns}, {rank} AS score FROM catalogue_search s
                          WHERE {condition}){"".join(contexts)},
    page AS (SELECT article_id, row_number() OVER (ORDER BY {order}) AS position
             FROM hits ORDER BY {order} LIMIT 20)
    SELECT 'total', '', count(*)::float8 FROM hits
    UNION ALL {PAGE_SQL.format(headline=headline)}
    UNION ALL SELECT 'facet', f || ':' || v, n::float8 FROM ({
        FACETS_SQL.format(rows="hits", scale="1")
    }) f(f, v, n){"".join(extra)}"""
    return sql, values


if __name__ == "__main__":
    main()
