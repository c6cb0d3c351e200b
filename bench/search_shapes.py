"""Benchmark search at every query shape, side by side with Tantivy over the same articles.

    .venv/bin/python bench/search_shapes.py --database cat_1m [--runs 30] [--seed S]
    .venv/bin/python bench/search_shapes.py --database h5_50k --small --runs 10 --only broad
    .venv/bin/python bench/search_shapes.py --database cat_1m_h1 --engine-dir /tmp/h1/index

With --engine-dir the catalogue answers through its embedded Tantivy index in that directory
(SEARCH_INDEX_DIR, built first by `manage.py search_index build`); the report says how many
requests it answered and how many it left to PostgreSQL (catalogue/search/tantivy/search.py,
`supports`). Without it, PostgreSQL answers every search.

Each shape's queries are drawn at random per run from the catalogue's own statistics (seed
printed first; `--seed` repeats a run): words by their number of matching articles (lexeme
frequencies of a sample of the index, then the exact count of each candidate), phrases and
word pairs from random titles, facet values from random articles and the catalogue's facet
counts. For each query, alternating which goes first, it times the catalogue's full /search/
page and /api/articles/ (Django test client, in-process, the results cache emptied before each
request) and Tantivy (bench/tantivy_peer.py, in-process: the query, the exact total, the top 20
and every facet's counts), and checks that the catalogue's total and facet counts equal
Tantivy's wherever the catalogue says they are exact. Prints Markdown: p50 / p95 per shape and
engine with the ratios, the agreement counts, and every disagreement with both sides' terms.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from databases import open_catalogue

SHAPES = (
    "rare word",
    "word with 1-5% hits",
    "word just under the exact threshold",
    "broad word, counts sampled",
    "broad word, exact counts",
    "broad word + one popular value",
    "2-3 words (AND)",
    "phrase",
    "phrase of 3-5 words",
    "phrase around a stop word",
    "word -word",
    "word, a value excluded",
    "author",
    "subject area",
    "output type",
    "language",
    "peer reviewed",
    "year range",
    "filters without a word",
    "term + 3 filters",
    "browse everything",
)
# Shares of the catalogue's articles a word of each word shape matches (exact counts).
RARE = (0.0005, 0.002)
MIDDLE = (0.01, 0.05)
BROAD = (0.10, 0.20)


# --- Phrases drawn from a title's words: (articles read per query wanted, the windows) ---------


def _stop_words() -> frozenset:
    from catalogue.search.query import STOP_WORDS

    return STOP_WORDS


def _pairs(title: list[str]) -> list[tuple[str, ...]]:
    """Two neighbouring words, neither a stop word."""
    stop = _stop_words()
    return [
        (a, b)
        for a, b in itertools.pairwise(title)
        if a.isalpha() and b.isalpha() and not {a, b} & stop
    ]


def _runs(title: list[str]) -> list[list[str]]:
    """3-5 consecutive words, stop words allowed inside but not at either end."""
    stop = _stop_words()
    return [
        title[start : start + size]
        for size in (3, 4, 5)
        for start in range(len(title) - size + 1)
        if all(w.isalpha() for w in title[start : start + size])
        and title[start] not in stop
        and title[start + size - 1] not in stop
    ]


def _around_stop_word(title: list[str]) -> list[tuple[str, ...]]:
    """ "quality of life": two words with a stop word between them (no pair to read)."""
    stop = _stop_words()
    return [
        (a, s, b)
        for a, s, b in zip(title, title[1:], title[2:], strict=False)
        if a.isalpha() and b.isalpha() and s in stop and a not in stop and b not in stop
    ]


PHRASES = {
    "phrase": (3, _pairs),
    "phrase of 3-5 words": (3, _runs),
    "phrase around a stop word": (6, _around_stop_word),
}


# --- A drawn query -------------------------------------------------------------------------------


@dataclass
class Draw:
    """One query: the catalogue's URL parameters and Tantivy's PeerQuery come from it."""

    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    include: dict[str, tuple] = field(default_factory=dict)
    exclude: dict[str, tuple] = field(default_factory=dict)
    year_min: int | None = None
    year_max: int | None = None
    page: int = 1

    def params(self) -> dict:
        """Return the /search/ and /api/articles/ parameters."""
        params: dict = {}
        text = [*self.words, *(f'"{p}"' for p in self.phrases), *(f"-{w}" for w in self.excluded)]
        if text:
            params["q"] = " ".join(text)
        for prefix, selections in (("", self.include), ("not_", self.exclude)):
            for facet, values in selections.items():
                params[prefix + facet] = [_param(value) for value in values]
        if self.year_min is not None:
            params["year_min"] = str(self.year_min)
        if self.year_max is not None:
            params["year_max"] = str(self.year_max)
        if self.page > 1:
            params["page"] = str(self.page)
        return params

    def peer(self):
        from tantivy_peer import PeerQuery

        return PeerQuery(
            words=self.words,
            phrases=self.phrases,
            excluded=self.excluded,
            include=dict(self.include),
            exclude=dict(self.exclude),
            year_min=self.year_min,
            year_max=self.year_max,
        )


def _param(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def word_shape(*, hits: int, articles: int, threshold: int) -> str | None:
    """Return the word shape of a word matching `hits` of `articles` (None: no shape).

    Just under the threshold (its upper half) comes first: at a million articles it lies
    inside 1-5%, which then keeps the words of that share outside it.
    """
    if threshold // 2 <= hits < threshold and hits < articles:
        return "word just under the exact threshold"
    share = hits / articles if articles else 0.0
    if RARE[0] <= share <= RARE[1] and hits >= 5:
        return "rare word"
    if MIDDLE[0] <= share <= MIDDLE[1]:
        return "word with 1-5% hits"
    if BROAD[0] <= share <= BROAD[1] and hits >= threshold:
        return "broad word"
    return None


# --- Drawing the queries -------------------------------------------------------------------------


class Catalogue:
    """The catalogue's statistics that queries are drawn from (PostgreSQL)."""

    def __init__(self, connection, peer, rng: random.Random, *, threshold: int) -> None:
        self.connection = connection
        self.peer = peer
        self.rng = rng
        self.threshold = threshold
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), min(id), max(id) FROM catalogue_article")
            self.articles, self.low_id, self.high_id = cursor.fetchone()
            cursor.execute("SELECT facet, value, count FROM catalogue_search_facet WHERE count > 0")
            self.facet_counts: dict[str, list[tuple[str, int]]] = {}
            for facet, value, count in cursor.fetchall():
                self.facet_counts.setdefault(facet, []).append((value, count))
        for values in self.facet_counts.values():
            values.sort(key=lambda item: (-item[1], item[0]))
        self.words: dict[str, list[tuple[str, int]]] = {}

    def hits(self, draw: Draw) -> int:
        """Return the exact number of matches (Tantivy's count: exact and quick)."""
        return self.peer.answer(draw.peer(), limit=1).total

    def word_bins(self, *, need: int) -> dict[str, list[tuple[str, int]]]:
        """Return {word shape: [(word, exact hits)]}, up to `need` each, in random order.

        Candidates are the catalogue's vocabulary (catalogue_search_word: words of titles,
        keywords and names) whose lexeme's frequency in a sample of the index is near a bin;
        each is then counted exactly and classified by word_shape.
        """
        buckets = max(1, min(1024, round(1024 * 60_000 / max(self.articles, 1))))
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM catalogue_search WHERE sample < %s", [buckets])
            sampled = cursor.fetchone()[0] or 1
            cursor.execute(
                "SELECT word, ndoc FROM ts_stat('SELECT document FROM catalogue_search "
                f"WHERE sample < {int(buckets)}')"
            )
            frequency = {lexeme: ndoc / sampled for lexeme, ndoc in cursor.fetchall()}
            cursor.execute(
                "SELECT word, (ts_lexize('english_stem', word))[1] FROM catalogue_search_word "
                "WHERE word ~ '^[a-z]{4,}$'"
            )
            by_lexeme: dict[str, list[str]] = {}
            for word, lexeme in cursor.fetchall():
                if lexeme and lexeme in frequency:
                    by_lexeme.setdefault(lexeme, []).append(word)
        lows = {"rare": RARE[0], "middle": MIDDLE[0], "broad": BROAD[0]}
        low = min(lows["rare"], self.threshold / 2 / max(self.articles, 1)) * 0.5
        candidates = []
        for lexeme, words in sorted(by_lexeme.items()):
            share = frequency[lexeme]
            if share >= low and share <= BROAD[1] * 1.5:
                candidates.append(self.rng.choice(sorted(words)))
        self.rng.shuffle(candidates)
        bins: dict[str, list[tuple[str, int]]] = {}
        for word in candidates:
            if len(self.peer.tokens(word)) != 1:
                continue
            hits = self.hits(Draw(words=(word,)))
            shape = word_shape(hits=hits, articles=self.articles, threshold=self.threshold)
            if shape and len(bins.setdefault(shape, [])) < need:
                bins[shape].append((word, hits))
        self.words = bins
        return bins

    def random_articles(self, count: int) -> list[dict]:
        """Return `count` random articles with their facet values and title words."""
        from catalogue.search.query import STOP_WORDS

        ids = [self.rng.randint(self.low_id, self.high_id) for _ in range(count * 3)]
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT s.article_id, a.title, s.year, s.output_type, s.language, "
                "s.peer_reviewed, s.journal_id, s.keyword_ids, s.author_ids, s.subject_ids "
                "FROM catalogue_search s JOIN catalogue_article a ON a.id = s.article_id "
                "WHERE s.article_id = ANY(%s) ORDER BY s.article_id",
                [ids],
            )
            rows = cursor.fetchall()
        self.rng.shuffle(rows)
        articles = []
        for row in rows[:count]:
            words = [w.strip(".,:;?()[]'\"").lower() for w in row[1].split()]
            articles.append(
                {
                    "id": row[0],
                    "title_words": words,
                    "words": [
                        w for w in words if w.isalpha() and len(w) >= 3 and w not in STOP_WORDS
                    ],
                    "year": row[2],
                    "type": row[3],
                    "language": row[4] or None,
                    "peer_reviewed": row[5],
                    "journal": row[6],
                    "keyword": list(row[7]),
                    "author": list(row[8]),
                    "subject": list(row[9]),
                }
            )
        return articles

    def popular(self, facet: str, top: int) -> list[str]:
        return [value for value, _ in self.facet_counts.get(facet, [])[:top]]

    def article_filter(self, article: dict, facet: str) -> dict:
        """Return Draw fields selecting `article`'s value of `facet` (empty: it has none)."""
        value = article.get(facet)
        if facet == "year":
            if article["year"] is None:
                return {}
            span = self.rng.randint(0, 10)
            start = article["year"] - self.rng.randint(0, span)
            return {"year_min": start, "year_max": start + span}
        if value is None or value == []:
            return {}
        if isinstance(value, list):
            value = self.rng.choice(value)
        return {"include": {facet: (value,)}}

    def draw(self, shape: str, count: int) -> list[Draw]:
        """Return `count` queries of `shape` (fewer when the catalogue has too few)."""
        rng = self.rng
        words = self.words
        draws: list[Draw] = []
        if shape in ("rare word", "word with 1-5% hits", "word just under the exact threshold"):
            draws = [Draw(words=(w,)) for w, _ in words.get(shape, [])[:count]]
        elif shape in ("broad word, counts sampled", "broad word, exact counts"):
            draws = [Draw(words=(w,)) for w, _ in words.get("broad word", [])[:count]]
        elif shape == "broad word + one popular value":
            broad = [w for w, _ in words.get("broad word", [])] or [
                w for w, _ in words.get("word with 1-5% hits", [])
            ]
            choices = [("type", v) for v in self.popular("type", 2)]
            choices += [("journal", int(v)) for v in self.popular("journal", 20)]
            choices += [("keyword", int(v)) for v in self.popular("keyword", 50)]
            for n in range(min(count, len(broad))):
                facet, value = choices[rng.randrange(len(choices))] if n % 3 else choices[0]
                draws.append(Draw(words=(broad[n],), include={facet: (value,)}))
        elif shape == "2-3 words (AND)":
            for article in self.random_articles(count * 3):
                distinct = list(dict.fromkeys(article["words"]))
                if len(distinct) >= 2:
                    size = min(len(distinct), rng.choice((2, 3)))
                    draws.append(Draw(words=tuple(rng.sample(distinct, size))))
                if len(draws) == count:
                    break
        elif shape in PHRASES:
            tries, windows = PHRASES[shape]
            for article in self.random_articles(count * tries):
                found = windows(article["title_words"])
                if found:
                    draws.append(Draw(phrases=(" ".join(rng.choice(found)),)))
                if len(draws) == count:
                    break
        elif shape == "word -word":
            middle = [w for w, _ in words.get("word with 1-5% hits", [])]
            pool = middle + [w for w, _ in words.get("broad word", [])]
            for n in range(min(count, len(pool))):
                first = pool[n]
                second = rng.choice([w for w in middle if w != first] or [first])
                if second != first:
                    draws.append(Draw(words=(first,), excluded=(second,)))
        elif shape == "word, a value excluded":
            middle = [w for w, _ in words.get("word with 1-5% hits", [])]
            choices = [("type", v) for v in self.popular("type", 1)]
            choices += [("journal", int(v)) for v in self.popular("journal", 10)]
            choices += [("keyword", int(v)) for v in self.popular("keyword", 10)]
            choices += [("language", v) for v in self.popular("language", 1)]
            for n in range(min(count, len(middle))):
                facet, value = rng.choice(choices)
                draws.append(Draw(words=(middle[n],), exclude={facet: (value,)}))
        elif shape in ("author", "subject area", "output type", "language", "year range"):
            facet = {
                "author": "author",
                "subject area": "subject",
                "output type": "type",
                "language": "language",
                "year range": "year",
            }[shape]
            for article in self.random_articles(count * 3):
                selection = self.article_filter(article, facet)
                if selection:
                    draws.append(Draw(**selection))
                if len(draws) == count:
                    break
        elif shape == "peer reviewed":
            draws = [Draw(include={"peer_reviewed": (n % 2 == 0,)}) for n in range(count)]
        elif shape in ("filters without a word", "term + 3 filters"):
            facets = ("journal", "keyword", "subject", "author", "type", "language", "year")
            for article in self.random_articles(count * 3):
                size = 3 if shape == "term + 3 filters" else rng.choice((2, 3))
                fields: dict = {"include": {}}
                for facet in rng.sample(facets, len(facets)):
                    selection = self.article_filter(article, facet)
                    if not selection:
                        continue
                    for key, value in selection.items():
                        if key == "include":
                            fields["include"].update(value)
                        else:
                            fields[key] = value
                    if len(fields["include"]) + ("year_min" in fields) == size:
                        break
                if shape == "term + 3 filters":
                    if not article["words"]:
                        continue
                    # The title's least common word, as a reader narrows with a specific term.
                    fields["words"] = (
                        min(
                            dict.fromkeys(article["words"]),
                            key=lambda w: (self.hits(Draw(words=(w,))), w),
                        ),
                    )
                draws.append(Draw(**fields))
                if len(draws) == count:
                    break
        elif shape == "browse everything":
            draws = [Draw(page=page) for page in range(1, count + 1)]
        return draws


# --- Measuring -----------------------------------------------------------------------------------


@dataclass
class Disagreement:
    """A count the catalogue gives as exact that is not Tantivy's, and why when known."""

    params: dict
    what: str
    catalogue: object
    tantivy: object
    reason: str = ""

    def __str__(self) -> str:
        def shown(value):
            return f"{value:,}" if isinstance(value, int) else str(value)

        text = (
            f"`{self.params}` {self.what}: catalogue {shown(self.catalogue)}, "
            f"Tantivy {shown(self.tantivy)}"
        )
        return f"{text} ({self.reason})" if self.reason else text


@dataclass
class Row:
    """One shape's timings, hit counts and agreement."""

    shape: str
    page: list[float] = field(default_factory=list)
    api: list[float] = field(default_factory=list)
    # The engine's results alone (engine._run: total, page ids, facet counts and labels),
    # inside the page's request: what Tantivy's column does, without the page's articles.
    results: list[float] = field(default_factory=list)
    peer: list[float] = field(default_factory=list)
    hits: list[int] = field(default_factory=list)
    totals: list[int] = field(default_factory=lambda: [0, 0])  # [compared, agreed]
    counts: list[int] = field(default_factory=lambda: [0, 0])
    tops: list[int] = field(default_factory=lambda: [0, 0])
    estimates: list[float] = field(default_factory=list)  # |about - exact| / exact
    disagreements: list[Disagreement] = field(default_factory=list)
    example: dict = field(default_factory=dict)


# Seconds of each engine._run call (timed_results wraps it).
RESULTS: list[float] = []


def timed_results() -> None:
    """Time the engine's results (catalogue.search.engine._run) of every request."""
    from catalogue.search import engine

    original = engine._run

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            RESULTS.append(time.perf_counter() - started)

    engine._run = timed


def clear_caches() -> None:
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()


def timed_get(client, url: str, params: dict):
    clear_caches()
    started = time.perf_counter()
    response = client.get(url, params)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{url} {params} -> {response.status_code}: {response.content[:300]!r}")
    return response, elapsed


def measure(shape: str, draws: list[Draw], *, peer, exact_total: int | None) -> Row:
    """Time every draw on both engines, alternating which goes first; check agreement."""
    from django.test import Client, override_settings

    client = Client()
    row = Row(shape, example=draws[0].params() if draws else {})
    overrides = (
        {"SEARCH_EXACT_THRESHOLD": exact_total, "SEARCH_EXACT_THRESHOLD_OTHER_VALUES": exact_total}
        if exact_total
        else {}
    )
    with override_settings(**overrides):
        for n, draw in enumerate(draws):
            params = draw.params()
            query = draw.peer()

            def catalogue(params=params):
                RESULTS.clear()
                _, page_time = timed_get(client, "/search/", params)
                row.results.append(RESULTS[0] if RESULTS else float("nan"))
                api_response, api_time = timed_get(client, "/api/articles/", params)
                return api_response.json(), page_time, api_time

            def tantivy(query=query, offset=(draw.page - 1) * 20):
                return peer.answer(query, offset=offset)

            if n % 2:
                answer = tantivy()
                body, page_time, api_time = catalogue()
            else:
                body, page_time, api_time = catalogue()
                answer = tantivy()
            row.page.append(page_time)
            row.api.append(api_time)
            row.peer.append(answer.seconds)
            row.hits.append(answer.total)
            check(row, params, body, answer, peer)
    return row


def check(row: Row, params: dict, body: dict, answer, peer) -> None:
    """Compare the catalogue's exact total and facet counts with Tantivy's; record in `row`."""
    from catalogue.search.facets import FACETS

    if body["count_is_approximate"]:
        if answer.total:
            row.estimates.append(abs(body["count"] - answer.total) / answer.total)
    else:
        row.totals[0] += 1
        if body["count"] == answer.total:
            row.totals[1] += 1
        else:
            row.disagreements.append(Disagreement(params, "total", body["count"], answer.total))
    for facet, values in body["facets"].items():
        exact = [value for value in values if not value["approximate"]]
        if not exact:
            continue
        tantivy_counts = answer.facets.get(facet, {})
        context = answer.contexts.get(facet)
        for value in exact:
            key = value["id"]
            expected = tantivy_counts.get(key)
            if expected is None:
                expected = peer.count_value(context, facet, key)
            row.counts[0] += 1
            if expected == value["count"]:
                row.counts[1] += 1
                continue
            reason = ""
            if value["count"] == 0 and any(other["approximate"] for other in values):
                reason = (
                    "a selected value that the estimated (sampled) counts of its facet lack "
                    "is shown as an exact 0 (catalogue/search/engine.py, _facets, fills it in "
                    "with approximate=False)"
                )
            row.disagreements.append(
                Disagreement(params, f"{facet}={key!r}", value["count"], expected, reason)
            )
        if len(exact) != len(values):
            continue
        # The values listed are the top ones: no value Tantivy counts higher is left out.
        top = FACETS[facet].top
        listed = {value["id"] for value in values}
        shown = [
            value["count"]
            for value in values
            if str(value["id"]).lower() not in _selected(params, facet)
        ]
        floor = min(shown) if top and len(shown) >= top else 0
        missing = [
            (key, count)
            for key, count in tantivy_counts.items()
            if count > floor and key not in listed
        ]
        row.tops[0] += 1
        if missing:
            row.disagreements.append(
                Disagreement(
                    params,
                    f"{facet} top values",
                    f"lowest shown {floor:,}",
                    f"higher, not shown: {missing[:3]}",
                )
            )
        else:
            row.tops[1] += 1


def _selected(params: dict, facet: str) -> set[str]:
    values = [*params.get(facet, []), *params.get(f"not_{facet}", [])]
    return {str(value).lower() for value in values}


def explain(connection, peer, row: Row) -> list[str]:
    """Return the disagreements, one line per query, with the words' lexemes on both sides
    and, for a phrase, the articles only one side finds and whether it runs across fields."""
    by_query: dict[str, list[Disagreement]] = {}
    for item in row.disagreements:
        by_query.setdefault(repr(item.params), []).append(item)
    lines = []
    with connection.cursor() as cursor:
        for items in by_query.values():
            params = items[0].params
            shown = "; ".join(
                f"{item.what}: {item.catalogue:,} here, {item.tantivy:,} Tantivy"
                if isinstance(item.catalogue, int)
                else f"{item.what}: {item.catalogue}, Tantivy {item.tantivy}"
                for item in items[:4]
            )
            more = f" and {len(items) - 4} more" if len(items) > 4 else ""
            lines.append(f"- {row.shape}, `{params}`: {shown}{more}")
            for reason in dict.fromkeys(item.reason for item in items if item.reason):
                lines.append(f"  - {reason}")
            text = params.get("q", "")
            for word in [word.strip('"-') for word in text.split()]:
                cursor.execute("SELECT plainto_tsquery('catalogue', %s)::text", [word])
                lines.append(
                    f"  - `{word}`: PostgreSQL {cursor.fetchone()[0]}, Tantivy {peer.tokens(word)}"
                )
            if text.count('"') == 2:
                lines.extend(explain_phrase(cursor, peer, text.split('"')[1]))
    return lines


def explain_phrase(cursor, peer, phrase: str) -> list[str]:
    """Compare the articles matching `phrase` alone on both sides, and count those PostgreSQL
    finds where no single field (title, one keyword, abstract, one name, the key) has it."""
    from tantivy_peer import PeerQuery

    cursor.execute(
        "SELECT article_id FROM catalogue_search "
        "WHERE document @@ phraseto_tsquery('catalogue', %s)",
        [phrase],
    )
    here = {article_id for (article_id,) in cursor.fetchall()}
    query = peer.query(PeerQuery(phrases=(phrase,)))
    total = peer.searcher.search(query, 1, count=True).count
    addresses = [address for _, address in peer.searcher.search(query, max(total, 1)).hits]
    there = set(peer.searcher.fast_field_values("article_id", addresses))
    only_here, only_there = sorted(here - there), sorted(there - here)
    across = 0
    if only_here:
        cursor.execute(PHRASE_IN_ONE_FIELD, {"phrase": phrase, "ids": only_here})
        across = sum(1 for (_, inside) in cursor.fetchall() if not inside)
    return [
        f"  - phrase `{phrase}` alone: {len(here):,} articles in PostgreSQL, {len(there):,} in "
        f"Tantivy; only in PostgreSQL {len(only_here)} ({only_here[:8]}), of which {across} have "
        "the phrase in no single field, keyword or name (it runs across two: PostgreSQL's "
        f"document is one tsvector); only in Tantivy {len(only_there)} ({only_there[:8]})"
    ]


# Whether each article has the phrase within one field, one keyword or one name (PostgreSQL).
PHRASE_IN_ONE_FIELD = """
    WITH q AS (SELECT phraseto_tsquery('catalogue', %(phrase)s) AS q)
    SELECT a.id,
        to_tsvector('catalogue', a.title) @@ q.q
        OR to_tsvector('catalogue', a.abstract) @@ q.q
        OR to_tsvector('catalogue', a.citation_key) @@ q.q
        OR EXISTS (SELECT 1 FROM catalogue_article_keywords ak
                   JOIN catalogue_keyword k ON k.id = ak.keyword_id
                   WHERE ak.article_id = a.id AND to_tsvector('catalogue', k.term) @@ q.q)
        OR EXISTS (SELECT 1 FROM catalogue_authorship au
                   JOIN catalogue_author p ON p.id = au.author_id
                   WHERE au.article_id = a.id AND (
                       to_tsvector('catalogue', concat_ws(' ', au.given_names, au.particle,
                           au.family_name, au.suffix, au.corporate_name)) @@ q.q
                       OR to_tsvector('catalogue', concat_ws(' ', p.given_names, p.particle,
                           p.family_name, p.suffix, p.corporate_name)) @@ q.q))
    FROM catalogue_article a, q WHERE a.id = ANY(%(ids)s)
"""


def stemming_audit(connection, peer) -> str:
    """Return how the catalogue's vocabulary is stemmed on both sides: words whose terms
    differ in spelling, and words that one side groups with others and the other does not
    (those alone can change a count)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT word, plainto_tsquery('catalogue', word)::text FROM catalogue_search_word"
        )
        rows = cursor.fetchall()
    here_of, there_of = {}, {}
    for word, lexemes in rows:
        here_of[word] = tuple(part.strip(" '") for part in lexemes.split("&")) if lexemes else ()
        there_of[word] = tuple(peer.tokens(word))
    spelled = [word for word in here_of if here_of[word] != there_of[word]]
    here_groups: dict[tuple, set] = {}
    there_groups: dict[tuple, set] = {}
    for word in here_of:
        here_groups.setdefault(here_of[word], set()).add(word)
        there_groups.setdefault(there_of[word], set()).add(word)
    grouped = sorted(
        word
        for word in here_of
        if here_of[word] and here_groups[here_of[word]] != there_groups[there_of[word]]
    )
    examples = "; ".join(
        f"`{word}`: PostgreSQL {sorted(here_groups[here_of[word]])[:4]}, Tantivy "
        f"{sorted(there_groups[there_of[word]])[:4]}"
        for word in grouped[:6]
    )
    spelled_examples = ", ".join(
        f"`{word}` {here_of[word]} / {there_of[word]}" for word in sorted(spelled)[:6]
    )
    return (
        f"Stemming of the catalogue's {len(rows):,} vocabulary words (titles, keywords, names; "
        f"PostgreSQL's plainto_tsquery against Tantivy's analyzer): {len(spelled):,} give "
        f"different terms ({spelled_examples or 'none'}); {len(grouped):,} are grouped with "
        f"other words differently, which alone can change a count ({examples or 'none'})."
    )


# --- Reporting -----------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index] * 1000


def _pair(values: list[float]) -> str:
    return f"{percentile(values, 0.5):,.0f} / {percentile(values, 0.95):,.0f}"


def _ratio(mine: list[float], theirs: list[float]) -> str:
    p50 = percentile(mine, 0.5) / max(percentile(theirs, 0.5), 0.001)
    p95 = percentile(mine, 0.95) / max(percentile(theirs, 0.95), 0.001)
    return f"{p50:,.1f}× / {p95:,.1f}×"


def report(rows: list[Row]) -> str:
    lines = [
        "",
        "p50 / p95 in ms per shape; page: the full /search/ page, API: /api/articles/, both "
        "through the Django test client, the results cache emptied before each request; "
        "results: the engine's total, page ids, facet counts and labels within the page's "
        "request (catalogue.search.engine._run), without the page's articles and rendering; "
        "Tantivy: in-process, the query, the exact total, the top 20 and every facet's exact "
        "counts. Ratios: here / Tantivy at p50 / p95. Hits: Tantivy's exact counts. "
        "Agreement: where the catalogue's counts are exact.",
        "",
        "| shape | queries | hits (min / median / max) | page | API | results | Tantivy "
        "| page/Tantivy | API/Tantivy | results/Tantivy | totals agree | facet counts agree "
        "| top lists agree |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if not row.hits:
            lines.append(f"| {row.shape} | 0 | none drawn | | | | | | | | | | |")
            continue
        lines.append(
            f"| {row.shape} | {len(row.hits)} | {min(row.hits):,} / "
            f"{statistics.median(row.hits):,.0f} / {max(row.hits):,} | {_pair(row.page)} | "
            f"{_pair(row.api)} | {_pair(row.results)} | {_pair(row.peer)} | "
            f"{_ratio(row.page, row.peer)} | {_ratio(row.api, row.peer)} | "
            f"{_ratio(row.results, row.peer)} | {row.totals[1]}/{row.totals[0]} | "
            f"{row.counts[1]:,}/{row.counts[0]:,} | {row.tops[1]}/{row.tops[0]} |"
        )
    totals = [sum(r.totals[i] for r in rows) for i in (0, 1)]
    counts = [sum(r.counts[i] for r in rows) for i in (0, 1)]
    tops = [sum(r.tops[i] for r in rows) for i in (0, 1)]
    lines += [
        "",
        f"Agreement with Tantivy: {totals[1]:,}/{totals[0]:,} totals, {counts[1]:,}/{counts[0]:,} "
        f"facet counts, {tops[1]:,}/{tops[0]:,} facets' top-value lists (every exact count the "
        "catalogue showed; estimated ones are not compared).",
    ]
    estimated = [e for r in rows for e in r.estimates]
    if estimated:
        lines.append(
            f'Estimated ("about") totals: {len(estimated)}, off from the exact count by '
            f"{statistics.median(estimated):.1%} median, {max(estimated):.1%} at most."
        )
    lines += ["", "Example queries:", ""]
    lines += [f"- {row.shape}: `{row.example}`" for row in rows]
    return "\n".join(lines)


def uptime() -> str:
    try:
        return subprocess.run(
            ["uptime"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return "uptime unavailable"


def machine(connection, articles: int) -> str:
    import os
    import platform

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        buffers = cursor.fetchone()[0]
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import tantivy

    return (
        f"Machine: {os.cpu_count()} cores, {memory:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}; PostgreSQL {version} (shared_buffers {buffers}); Python "
        f"{platform.python_version()}; tantivy-py {getattr(tantivy, '__version__', '?')}; "
        f"database {connection.settings_dict['NAME']}, {articles:,} articles."
    )


def prewarm(connection) -> str:
    """Load the index table into shared buffers if pg_prewarm is installed (creates nothing:
    the benchmark's catalogue may be read-only)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_prewarm'")
        if cursor.fetchone() is None:
            return "pg_prewarm not installed: no prewarming."
        cursor.execute(
            "SELECT count(*), sum(pg_prewarm(c.oid)) FROM pg_class c "
            "WHERE c.relname LIKE 'catalogue_search%%' AND c.relkind IN ('r', 'i')"
        )
        relations, blocks = cursor.fetchone()
    return f"Prewarmed {relations} relations, {(blocks or 0) * 8 / 1024:,.0f} MiB (pg_prewarm)."


def engine_on(directory: Path | None, connection) -> list:
    """Answer the catalogue's searches from the embedded index in `directory` (None: off);
    return the list that records each search it answers."""
    answered: list = []
    if directory is None:
        print("Catalogue engine: PostgreSQL (SEARCH_INDEX_DIR unset).")
        return answered
    from django.conf import settings

    from catalogue.search import tantivy
    from catalogue.search.tantivy import node

    status = node.status(directory, connection)
    if not status.get("index"):
        raise SystemExit(f"no index in {directory}: run manage.py search_index build first")
    settings.SEARCH_INDEX_DIR = str(directory)
    original = tantivy.run_results

    def counting(**kwargs):
        raw = original(**kwargs)
        if raw is not None:
            answered.append(kwargs["params"])
        return raw

    tantivy.run_results = counting
    index = status["index"]
    print(
        f"Catalogue engine: embedded Tantivy index {index['path']} ({index['documents']:,} "
        f"documents, {index['bytes'] / 2**20:,.0f} MiB, {index['segments']} segment(s))."
    )
    return answered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="cat_1m")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--runs", type=int, default=30, help="queries per shape")
    parser.add_argument("--seed", type=int, default=None, help="default: random, printed")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="shapes whose name contains this text (repeatable): --only broad --only phrase",
    )
    parser.add_argument("--peer-dir", type=Path, default=None, help="Tantivy index directory")
    parser.add_argument("--small", action="store_true", help="allow under 100,000 articles")
    parser.add_argument(
        "--engine-dir",
        type=Path,
        default=None,
        help="the catalogue's embedded index directory (SEARCH_INDEX_DIR): engine on",
    )
    options = parser.parse_args()

    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(10**6)
    print(f"Seed {seed} (repeat with --seed {seed}); --runs {options.runs}")
    print(f"Load at start: {uptime()}")
    open_catalogue(server=options.server, database=options.database)
    from django.db import connection

    from catalogue import conf

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM catalogue_article")
        articles = cursor.fetchone()[0]
    if articles < 100_000 and not options.small:
        raise SystemExit(f"{options.database} has {articles:,} articles (--small to allow).")
    print(machine(connection, articles))
    answered = engine_on(options.engine_dir, connection)
    timed_results()
    import tantivy_peer

    started = time.perf_counter()
    peer = tantivy_peer.open_peer(
        directory=options.peer_dir, log=lambda text: print(text, file=sys.stderr)
    )
    size = sum(path.stat().st_size for path in peer.directory.iterdir() if path.is_file())
    print(
        f"Tantivy index {peer.directory} ({'built' if peer.built else 'reused'} in "
        f"{time.perf_counter() - started:.0f} s; {size / 2**20:,.0f} MiB, "
        f"{peer.searcher.num_segments} segment(s))."
    )
    rng = random.Random(seed)
    threshold = conf.get("SEARCH_EXACT_THRESHOLD")
    catalogue = Catalogue(connection, peer, rng, threshold=threshold)
    started = time.perf_counter()
    bins = catalogue.word_bins(need=options.runs + 1)
    print(
        "Words drawn (exact hits): "
        + "; ".join(f"{shape} {len(words)}" for shape, words in sorted(bins.items()))
        + f" ({time.perf_counter() - started:.0f} s)"
    )
    shapes = [shape for shape in SHAPES if any(text in shape for text in options.only)]
    if not options.only:
        shapes = list(SHAPES)
    elif not shapes:
        raise SystemExit(f"no shape contains {options.only}; the shapes: {SHAPES}")
    plans = {shape: catalogue.draw(shape, options.runs + 1) for shape in shapes}
    print(prewarm(connection))
    from catalogue.wsgi import tune_garbage_collection

    tune_garbage_collection()
    rows = []
    for shape, draws in plans.items():
        # The first query of each shape warms both engines' code paths; it is not counted.
        warm, timed = draws[:1], draws[1:]
        if warm:
            measure(shape, warm, peer=peer, exact_total=None)
        exact_total = articles + 1 if shape == "broad word, exact counts" else None
        rows.append(measure(shape, timed, peer=peer, exact_total=exact_total))
        print(f"  measured {shape} ({len(timed)} queries)", file=sys.stderr)
    print(f"Load at end: {uptime()}")
    if options.engine_dir:
        requests = sum(2 * len(row.hits) for row in rows)
        print(
            f"Embedded index answered {len(answered):,} of the {requests:,} timed and "
            f"{2 * len(plans):,} warming requests; PostgreSQL the rest."
        )
    print(report(rows))
    disagreements = [line for row in rows for line in explain(connection, peer, row)]
    print("\n" + stemming_audit(connection, peer))
    print("\nDisagreements:" if disagreements else "\nNo disagreements.")
    print("\n".join(disagreements[:200]))


if __name__ == "__main__":
    main()
