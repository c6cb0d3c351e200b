"""Research topics' quality on real records (issue 19): `python bench/topics_eval.py`.

Reads the 4,012 Web of Science records of `../shared/corpus/records/wos-public-health/`, hides
their author keywords (DE), fingerprints each from its title and abstract with statistics over
all 4,012, and reports recall@10 and precision@10 of the hidden keywords among the top 10
concepts (matching after normalisation), against plain TF-IDF of single words in the same run.
Then related records: the share of each record's top 10 that share a Web of Science category
(WC) or an author keyword, against 10 random records and 10 random records of the same journal.
No database: the same functions refresh_topics uses, on records read from the files.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalogue.settings")
django.setup()

from catalogue.topics.related import SIMILARITY_FLOOR, top_related  # noqa: E402
from catalogue.topics.text import _WORD, STOP_WORDS, fold, normalise, normalise_word  # noqa: E402
from catalogue.topics.weighting import RecordText, fingerprint, record_keys  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared/corpus/records/wos-public-health"


@dataclass
class WosRecord:
    """The fields of one Web of Science record the evaluation reads."""

    title: str = ""
    abstract: str = ""
    journal: str = ""
    keywords: list[str] = field(default_factory=list)  # DE, author keywords
    categories: list[str] = field(default_factory=list)  # WC


def read_wos(path: Path) -> list[WosRecord]:
    """Read a tagged WoS export: two-character tags, continuation lines indented by three spaces."""
    records: list[WosRecord] = []
    fields: dict[str, list[str]] = {}
    tag = ""
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        if line.startswith("   ") and tag:
            fields[tag].append(line[3:])
            continue
        tag, value = line[:2], line[3:]
        if tag == "ER":
            records.append(_record(fields))
            fields, tag = {}, ""
        elif tag.strip():
            fields.setdefault(tag, []).append(value)
    return records


def _record(fields: dict[str, list[str]]) -> WosRecord:
    def joined(tag: str, sep: str = " ") -> str:
        return sep.join(fields.get(tag, []))

    def split(tag: str) -> list[str]:
        return [part.strip() for part in joined(tag).split(";") if part.strip()]

    return WosRecord(
        title=joined("TI"),
        abstract=joined("AB", "\n"),
        journal=joined("SO"),
        keywords=split("DE"),
        categories=split("WC"),
    )


def read_corpus(folder: Path = CORPUS) -> list[WosRecord]:
    """Read every file of the corpus, in name order."""
    return [record for path in sorted(folder.glob("*.txt")) for record in read_wos(path)]


def baseline_top(records: list[WosRecord], k: int) -> list[list[str]]:
    """Return the top `k` single words of each record by plain TF-IDF."""
    docs = []
    for record in records:
        words = [
            normalise_word(word)
            for word in _WORD.findall(f"{record.title}\n{record.abstract}")
            if fold(word) not in STOP_WORDS and not word.isdigit()
        ]
        docs.append(Counter(words))
    df = Counter(word for doc in docs for word in doc)
    n = len(docs)
    return [
        [
            w
            for w, _ in sorted(doc.items(), key=lambda i: (-i[1] * math.log(n / df[i[0]]), i[0]))[
                :k
            ]
        ]
        for doc in docs
    ]


def at_k(predicted: list[list[str]], records: list[WosRecord], k: int) -> tuple[float, float, int]:
    """Return micro recall@k and precision@k over the records with author keywords."""
    found = hidden = matching = shown = 0
    evaluated = 0
    for keys, record in zip(predicted, records, strict=True):
        gold = {normalise(keyword) for keyword in record.keywords} - {""}
        if not gold:
            continue
        evaluated += 1
        top = keys[:k]
        found += len(gold & set(top))
        hidden += len(gold)
        matching += sum(1 for key in top if key in gold)
        shown += k
    return found / hidden, matching / shown, evaluated


def share_related(
    lists: dict[int, list[int]], records: list[WosRecord], what: str = "either"
) -> float:
    """Return the share of listed related records sharing a WoS category ("wc"), an author
    keyword ("de") or either ("either") with their record."""

    def labels(record: WosRecord) -> set[str]:
        found: set[str] = set()
        if what in ("wc", "either"):
            found |= {f"wc:{c}" for c in record.categories}
        if what in ("de", "either"):
            found |= {f"de:{normalise(k)}" for k in record.keywords}
        return found

    good = total = 0
    for index, others in lists.items():
        mine = labels(records[index])
        for other in others:
            good += bool(mine & labels(records[other]))
            total += 1
    return good / total if total else 0.0


def synthetic(seed: int) -> None:
    """Related records on the synthetic catalogue of the configured database: the share of
    related records sharing the record's main topic (its first subject area, the one the
    generator drew first), with and without subject areas among the concepts."""
    from catalogue.models import Article
    from catalogue.topics import store

    main: dict[int, int] = {}
    links = Article.subject_areas.through.objects.order_by("id").values_list(
        "article_id", "subjectarea_id"
    )
    for article, subject in links:
        main.setdefault(article, subject)
    ids = sorted(main)
    texts = store.texts(ids)
    print(f"synthetic catalogue: {len(ids)} records with a subject area")
    rng = random.Random(seed)
    for hidden in (False, True):
        records = {
            pk: RecordText(t.title, t.abstract, t.keywords, [] if hidden else t.subjects)
            for pk, t in texts.items()
        }
        frequencies: Counter[str] = Counter()
        lengths = 0
        for text in records.values():
            keys, length = record_keys(text)
            frequencies.update(keys)
            lengths += length
        average = lengths / len(records)
        vectors = {
            pk: {
                w.key: w.unit
                for w in fingerprint(
                    text, frequencies=frequencies, articles=len(records), average_length=average
                )
            }
            for pk, text in records.items()
        }
        related = top_related(vectors)
        good = total = random_good = 0
        for pk, found in related.items():
            for other, _ in found:
                good += main[other] == main[pk]
                total += 1
                random_good += main[rng.choice(ids)] == main[pk]
        label = "text and keywords only" if hidden else "with subject areas"
        print(
            f"  {label:<24} share of related with the same main topic {good / max(total, 1):.3f} "
            f"({total} related, {sum(1 for f in related.values() if f)} records with some); "
            f"random {random_good / max(total, 1):.3f}"
        )


def main() -> None:
    """Run the evaluation and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=CORPUS)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument(
        "--synthetic",
        action="store_true",
        help="evaluate related records on the synthetic catalogue in DATABASE_URL instead",
    )
    args = parser.parse_args()
    if args.synthetic:
        synthetic(args.seed)
        return
    records = read_corpus(args.folder)
    started, cpu = time.perf_counter(), time.process_time()
    texts = [RecordText(title=r.title, abstract=r.abstract) for r in records]  # DE hidden
    frequencies: Counter[str] = Counter()
    lengths = 0
    for text in texts:
        keys, length = record_keys(text)
        frequencies.update(keys)
        lengths += length
    average = lengths / len(texts)
    prints = [
        fingerprint(text, frequencies=frequencies, articles=len(texts), average_length=average)
        for text in texts
    ]
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    k = 10
    recall, precision, evaluated = at_k([[w.key for w in p] for p in prints], records, k)
    base_recall, base_precision, _ = at_k(baseline_top(records, k), records, k)
    print(f"{len(records)} records, {evaluated} with author keywords (DE hidden)")
    print(
        f"statistics and fingerprints: {elapsed:.1f} s wall, {cpu:.1f} s CPU: "
        f"{len(records) / cpu:.0f} records per CPU second (title and abstract both passes)"
    )
    print(f"concepts   recall@10 {recall:.3f}  precision@10 {precision:.3f}")
    print(f"baseline   recall@10 {base_recall:.3f}  precision@10 {base_precision:.3f}")
    print(
        f"ratio      recall x{recall / base_recall:.2f}  "
        f"precision x{precision / base_precision:.2f}"
    )

    vectors = {i: {w.key: w.unit for w in p} for i, p in enumerate(prints)}
    rng = random.Random(args.seed)
    everyone = list(range(len(records)))
    by_journal: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        by_journal.setdefault(record.journal, []).append(i)
    print("related records (top 10 by cosine above the floor); share sharing with the record:")
    print(f"  {'':<30} {'WC or DE':>9} {'WC':>6} {'DE':>6}  related per record")
    for floor in (0.05, SIMILARITY_FLOOR, 0.2):
        related = top_related(vectors, floor=floor)
        lists = {i: [other for other, _ in found] for i, found in related.items() if found}
        count = sum(len(found) for found in lists.values())
        shares = [share_related(lists, records, what) for what in ("either", "wc", "de")]
        name = f"cosine >= {floor}" + (" (shown)" if floor == SIMILARITY_FLOOR else "")
        print(
            f"  {name:<30} {shares[0]:>9.3f} {shares[1]:>6.3f} {shares[2]:>6.3f}  "
            f"{count / len(records):.1f} ({len(lists)} records have some)"
        )
        if floor != SIMILARITY_FLOOR:
            continue
        # The baselines draw as many records for each record as it has related ones.
        randoms = {i: rng.sample([j for j in everyone if j != i], len(o)) for i, o in lists.items()}
        same = {}
        for i, others in lists.items():
            pool = [j for j in by_journal[records[i].journal] if j != i]
            same[i] = rng.sample(pool, min(len(others), len(pool)))
        for name, baseline in (("random", randoms), ("same journal", same)):
            shares = [share_related(baseline, records, what) for what in ("either", "wc", "de")]
            print(f"  {name:<30} {shares[0]:>9.3f} {shares[1]:>6.3f} {shares[2]:>6.3f}")
    journals = Counter(record.journal for record in records)
    print(
        f"  ({len(journals)} journals; the largest, {journals.most_common(1)[0][0]}, holds "
        f"{journals.most_common(1)[0][1]} records)"
    )


if __name__ == "__main__":
    main()
