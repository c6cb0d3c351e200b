"""Phrase counts before and after migration 0028 on two copies of a catalogue (issue 17, H3).

    PYTHONPATH=/work/main python bench/phrase_boundaries.py OLD_URL NEW_URL

OLD_URL: a database at 0027 or before (source v2, only read); NEW_URL: one at 0028 (v3).

For phrases drawn across value boundaries (title end + first keyword word, keyword + keyword,
name + next name) and within titles: the articles each database finds, and the ground truth
(v2 matches with the phrase inside one value, PHRASE_IN_ONE_FIELD of bench/search_shapes.py).
Also word queries (no phrase): totals must be equal.
"""

import random
import sys
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_shapes import PHRASE_IN_ONE_FIELD

OLD = psycopg2.connect(sys.argv[1])
NEW = psycopg2.connect(sys.argv[2])
OLD.set_session(readonly=True, autocommit=True)
NEW.set_session(autocommit=True)
for c in (OLD, NEW):
    c.cursor().execute("SET statement_timeout = '60s'")
rng = random.Random(17)


def rows(conn, sql, params=None):
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


import re  # noqa: E402

_src = (Path(__file__).resolve().parent.parent / "catalogue" / "search" / "query.py").read_text()
STOP_WORDS = set(
    re.search(r'STOP_WORDS = frozenset\(\n    """(.*?)"""', _src, re.S).group(1).split()
)


def words(text):
    return [
        w
        for w in text.replace("-", " ").split()
        if w.isalpha() and len(w) > 2 and w.lower() not in STOP_WORDS
    ]


sample = rows(
    OLD,
    "SELECT a.id, a.title, "
    "(SELECT array_agg(k.term ORDER BY ak.id) FROM catalogue_article_keywords ak "
    " JOIN catalogue_keyword k ON k.id = ak.keyword_id WHERE ak.article_id = a.id), "
    "(SELECT array_agg(concat_ws(' ', au.given_names, au.family_name) ORDER BY au.position) "
    " FROM catalogue_authorship au WHERE au.article_id = a.id) "
    "FROM catalogue_article a WHERE a.id IN (SELECT (random() * 999999)::int + 1 "
    "FROM generate_series(1, 400))",
)
phrases = {"title end + keyword": [], "keyword + keyword": [], "name + name": [], "title": []}
for _, title, keywords, names in sample:
    keywords, names = keywords or [], names or []
    tw = words(title)
    if tw and keywords and words(keywords[0]):
        phrases["title end + keyword"].append(f"{tw[-1]} {words(keywords[0])[0]}")
    if len(keywords) > 1 and words(keywords[0]) and words(keywords[1]):
        phrases["keyword + keyword"].append(f"{words(keywords[0])[-1]} {words(keywords[1])[0]}")
    if len(names) > 1 and words(names[0]) and words(names[1]):
        phrases["name + name"].append(f"{words(names[0])[-1]} {words(names[1])[0]}")
    if len(tw) > 2:
        i = rng.randrange(len(tw) - 1)
        phrases["title"].append(f"{tw[i]} {tw[i + 1]}")

COUNT = (
    "SELECT article_id FROM catalogue_search WHERE document @@ phraseto_tsquery('catalogue', %s)"
)
print("| kind | phrases | v2 matches | v3 matches | in one value (truth) | v3 = truth |")
print("|---|---|---|---|---|---|")
for kind, items in phrases.items():
    items = list(dict.fromkeys(items))[:6]
    old_total = new_total = truth_total = exact = 0
    for phrase in items:
        old_ids = {r[0] for r in rows(OLD, COUNT, [phrase])}
        new_ids = {r[0] for r in rows(NEW, COUNT, [phrase])}
        truth = set()
        if old_ids:
            truth = {
                i
                for i, inside in rows(
                    OLD, PHRASE_IN_ONE_FIELD, {"phrase": phrase, "ids": sorted(old_ids)}
                )
                if inside
            }
        old_total += len(old_ids)
        new_total += len(new_ids)
        truth_total += len(truth)
        exact += new_ids == truth
    print(
        f"| {kind} | {len(items)} | {old_total:,} | {new_total:,} | {truth_total:,} "
        f"| {exact}/{len(items)} |"
    )

WORDS = "SELECT count(*) FROM catalogue_search WHERE document @@ plainto_tsquery('catalogue', %s)"
vocab = [w for _, title, _, _ in sample[:60] for w in words(title)[:1]]
pairs = [f"{a} {b}" for a, b in zip(vocab[::2], vocab[1::2], strict=False)]
same = 0
for query in vocab[:10] + pairs[:5]:
    same += rows(OLD, WORDS, [query]) == rows(NEW, WORDS, [query])
print(f"word queries with equal totals: {same}/{len(vocab[:10]) + len(pairs[:5])}")
