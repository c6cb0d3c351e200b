"""Research topics' quality on real records (issue 19): `python bench/topics_eval.py`.

Reads the 4,012 Web of Science records of `../shared/corpus/records/wos-public-health/`, hides
their author keywords (DE), fingerprints each from its title and abstract with statistics over
all 4,012, and reports recall@10 and precision@10 of the hidden keywords among the top 10
concepts (matching after normalisation), against plain TF-IDF of single words in the same run.

The weighting's constants (weighting.py) were chosen on these same records, so that in-sample
figure is optimistic. The held-out evaluation splits the records by a printed seed into a
tuning half and a held-out half (the catalogue statistics stay over all 4,012: only the
scoring of keywords is split), grid-searches the constants on the tuning half only, and
reports on the held-out half the constants chosen there, the shipped ones, textbook ones and
the baseline; over several seeds, with mean and spread.

Then related records: the share of each record's top 10 that share a Web of Science category
(WC) or an author keyword, against random records and random records of the same journal, in
the same run. No database: the same functions refresh_topics uses, on records read from files.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalogue.settings")
django.setup()

from catalogue.topics import weighting  # noqa: E402
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


# --- held-out evaluation of the weighting's constants ------------------------------------------


@dataclass(frozen=True)
class Constants:
    """The weighting's tunable numbers (weighting.py). With the author keywords hidden and no
    subject areas, a record's text is its title and abstract: the keyword and subject weights
    do not enter this evaluation, so they are carried, not searched."""

    title: float
    k1: float
    b: float
    single_word: float = 1.0
    min_records: int = 2
    abstract: float = 1.0
    keyword: float = 4.0
    subject: float = 1.5

    def __str__(self) -> str:
        return (
            f"title {self.title:g}, k1 {self.k1:g}, b {self.b:g}"
            f"{'' if self.single_word == 1 else f', single words x{self.single_word:g}'}"
            f"{'' if self.min_records == 2 else f', min records {self.min_records}'}"
        )


SHIPPED = Constants(
    title=weighting.FIELD_WEIGHTS["title"],
    k1=weighting.K1,
    b=weighting.B,
    single_word=weighting.SINGLE_WORD_FACTOR,
    min_records=weighting.MIN_RECORDS,
    abstract=weighting.FIELD_WEIGHTS["abstract"],
    keyword=weighting.FIELD_WEIGHTS["keyword"],
    subject=weighting.FIELD_WEIGHTS["subject"],
)
# Textbook BM25 (k1 1.2, b 0.75), with equal field weights or a title counting twice.
TEXTBOOK = {
    "textbook, equal fields": Constants(title=1.0, k1=1.2, b=0.75),
    "textbook, title 2": Constants(title=2.0, k1=1.2, b=0.75),
}
# The grid searched on the tuning half (90 points), then single words' factor and the minimum
# records of a concept, one at a time, at the best point.
GRID_TITLE = (1.0, 2.0, 3.0, 4.0, 6.0, 8.0)
GRID_K1 = (1.2, 2.0, 4.0, 6.0, 10.0)
GRID_B = (0.5, 0.75, 1.0)
GRID_SINGLE_WORD = (0.5, 0.75, 1.0, 1.25)
GRID_MIN_RECORDS = (2, 3)


def grid() -> list[Constants]:
    """Return the grid's points, in the order ties are broken (the first wins)."""
    return [
        Constants(title=title, k1=k1, b=b) for title in GRID_TITLE for k1 in GRID_K1 for b in GRID_B
    ]


@contextmanager
def using(constants: Constants) -> Iterator[None]:
    """Set weighting.py's constants for the duration (fingerprint() reads them per call)."""
    saved = (
        weighting.FIELD_WEIGHTS,
        weighting.K1,
        weighting.B,
        weighting.SINGLE_WORD_FACTOR,
        weighting.MIN_RECORDS,
    )
    weighting.FIELD_WEIGHTS = {
        "title": constants.title,
        "abstract": constants.abstract,
        "keyword": constants.keyword,
        "subject": constants.subject,
    }
    weighting.K1, weighting.B = constants.k1, constants.b
    weighting.SINGLE_WORD_FACTOR = constants.single_word
    weighting.MIN_RECORDS = constants.min_records
    try:
        yield
    finally:
        (
            weighting.FIELD_WEIGHTS,
            weighting.K1,
            weighting.B,
            weighting.SINGLE_WORD_FACTOR,
            weighting.MIN_RECORDS,
        ) = saved


def split(count: int, *, seed: int) -> tuple[list[int], list[int]]:
    """Return the indices 0..count-1 shuffled by `seed` into a tuning half and a held-out half
    (each sorted; the held-out half has the odd one)."""
    order = list(range(count))
    random.Random(seed).shuffle(order)
    half = count // 2
    return sorted(order[:half]), sorted(order[half:])


@dataclass
class Statistics:
    """Catalogue statistics over every record (as refresh_topics counts them)."""

    frequencies: Counter[str]
    articles: int
    average_length: float


def statistics_of(texts: Sequence[RecordText]) -> Statistics:
    """Return the catalogue statistics of `texts`."""
    frequencies: Counter[str] = Counter()
    lengths = 0
    for text in texts:
        keys, length = record_keys(text)
        frequencies.update(keys)
        lengths += length
    return Statistics(frequencies, len(texts), lengths / len(texts) if texts else 0.0)


def score(
    texts: Sequence[RecordText],
    records: Sequence[WosRecord],
    indices: Sequence[int],
    stats: Statistics,
    constants: Constants,
    k: int = 10,
) -> tuple[float, float, int]:
    """Return recall@k, precision@k and the records evaluated, over the records of `indices`
    that have author keywords, fingerprinted with `constants`."""
    chosen = [i for i in indices if records[i].keywords]
    with using(constants):
        predicted = [
            [
                w.key
                for w in fingerprint(
                    texts[i],
                    frequencies=stats.frequencies,
                    articles=stats.articles,
                    average_length=stats.average_length,
                )
            ]
            for i in chosen
        ]
    return at_k(predicted, [records[i] for i in chosen], k)


def tune(
    texts: Sequence[RecordText],
    records: Sequence[WosRecord],
    indices: Sequence[int],
    stats: Statistics,
    k: int = 10,
) -> tuple[Constants, float]:
    """Return the constants with the best recall@k on `indices` (precision@k ranks the same:
    every record shows k) and that recall: the grid, past its edges where the best point is
    on one, then single words' factor and the minimum records one at a time."""

    def evaluate(point: Constants) -> float:
        return score(texts, records, indices, stats, point, k)[0]

    best, best_recall = SHIPPED, -1.0
    for point in grid():
        recall = evaluate(point)
        if recall > best_recall:
            best, best_recall = point, recall
    best, best_recall = past_the_edges(best, best_recall, evaluate)
    for name, values in (("single_word", GRID_SINGLE_WORD), ("min_records", GRID_MIN_RECORDS)):
        start = best
        for value in values:
            point = dataclasses.replace(start, **{name: value})
            if point == start:
                continue
            recall = score(texts, records, indices, stats, point, k)[0]
            if recall > best_recall:
                best, best_recall = point, recall
    return best, best_recall


# Past the grid's edge: from a best point on the edge named, the dimension is followed on
# (title and k1 growing, b falling to 0) while recall improves, at most EDGE_STEPS steps.
EDGES = (
    ("title", GRID_TITLE[-1], lambda value: value * 1.5),
    ("k1", GRID_K1[-1], lambda value: value * 2),
    ("b", GRID_B[0], lambda value: value - 0.25),
)
EDGE_STEPS = 4


def past_the_edges(
    best: Constants, best_recall: float, evaluate: Callable[[Constants], float]
) -> tuple[Constants, float]:
    """Return the best point and recall after following each edge it is on (EDGES)."""
    for name, edge, step in EDGES:
        if getattr(best, name) != edge:
            continue
        value = edge
        for _ in range(EDGE_STEPS):
            value = step(value)
            if value < 0:
                break
            point = dataclasses.replace(best, **{name: value})
            recall = evaluate(point)
            if recall <= best_recall:
                break
            best, best_recall = point, recall
    return best, best_recall


def held_out(
    records: Sequence[WosRecord], *, seeds: Sequence[int], k: int = 10
) -> dict[str, list[tuple[float, float]]]:
    """Run the held-out evaluation for each seed, print each, and return per row the
    (recall, precision) of every seed."""
    texts = [RecordText(title=r.title, abstract=r.abstract) for r in records]  # DE hidden
    stats = statistics_of(texts)
    baseline = baseline_top(list(records), k)
    rows: dict[str, list[tuple[float, float]]] = {}
    print(
        f"held-out evaluation: {len(seeds)} splits (seeds {', '.join(map(str, seeds))}) into a "
        f"tuning half and a held-out half; statistics over all {len(records):,} records"
    )
    print(
        f"  grid on the tuning half: title {GRID_TITLE} x k1 {GRID_K1} x b {GRID_B} "
        f"(abstract 1; {len(grid())} points), followed past an edge the best point is on "
        f"(title x1.5, k1 x2, b -0.25 a step, while recall improves), then single words' "
        f"factor {GRID_SINGLE_WORD} and min records {GRID_MIN_RECORDS} one at a time; "
        f"chosen by recall@{k}"
    )
    for seed in seeds:
        started = time.perf_counter()
        tuning, testing = split(len(records), seed=seed)
        chosen, tuned_recall = tune(texts, records, tuning, stats, k)
        results = {
            "chosen on the tuning half": score(texts, records, testing, stats, chosen, k),
            "shipped": score(texts, records, testing, stats, SHIPPED, k),
            **{
                name: score(texts, records, testing, stats, constants, k)
                for name, constants in TEXTBOOK.items()
            },
            "TF-IDF single words": at_k(
                [baseline[i] for i in testing], [records[i] for i in testing], k
            ),
        }
        base = results["TF-IDF single words"]
        print(
            f"  seed {seed}: chosen {chosen} (tuning recall@{k} {tuned_recall:.3f}); held-out "
            f"{results['shipped'][2]} records with keywords ({time.perf_counter() - started:.0f} s)"
        )
        for name, (recall, precision, _) in results.items():
            rows.setdefault(name, []).append((recall, precision))
            print(
                f"    {name:<28} recall@{k} {recall:.3f}  precision@{k} {precision:.3f}  "
                f"{times(recall, base[0])} / {times(precision, base[1])} the baseline"
            )
    print(f"  over the {len(seeds)} seeds, held-out half (mean, sd, min-max):")
    base_rows = rows["TF-IDF single words"]
    for name, values in rows.items():
        recalls = [r for r, _ in values]
        precisions = [p for _, p in values]
        ratios = [r / b for (r, _), (b, _) in zip(values, base_rows, strict=True) if b]
        print(
            f"    {name:<28} recall@{k} {spread(recalls)}  precision@{k} {spread(precisions)}  "
            f"recall ratio {spread(ratios, digits=2) if ratios else '-'}"
        )
    return rows


def times(value: float, baseline: float) -> str:
    """Return "x1.23", the ratio of `value` to `baseline` ("x-" when the baseline is 0)."""
    return f"x{value / baseline:.2f}" if baseline else "x-"


def spread(values: Sequence[float], *, digits: int = 3) -> str:
    """Return "mean ± sd (min-max)" of `values`."""
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return (
        f"{statistics.fmean(values):.{digits}f} ± {sd:.{digits}f} "
        f"({min(values):.{digits}f}-{max(values):.{digits}f})"
    )


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
    parser.add_argument(
        "--seed", type=int, default=19, help="the random baselines' seed and the first split's"
    )
    parser.add_argument(
        "--splits",
        type=int,
        default=5,
        help="held-out splits, seeds --seed, --seed + 1, ... (default 5; 0 skips them)",
    )
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
    print("in-sample (the shipped constants were chosen on these same records: optimistic)")
    print(f"concepts   recall@10 {recall:.3f}  precision@10 {precision:.3f}")
    print(f"baseline   recall@10 {base_recall:.3f}  precision@10 {base_precision:.3f}")
    print(
        f"ratio      recall x{recall / base_recall:.2f}  "
        f"precision x{precision / base_precision:.2f}"
    )

    if args.splits > 0:
        held_out(records, seeds=range(args.seed, args.seed + args.splits), k=k)

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
        # Both baselines, in this same run, over the records that have related ones.
        for name, baseline in (("random", randoms), ("same journal", same)):
            shares = [share_related(baseline, records, what) for what in ("either", "wc", "de")]
            pairs = sum(len(drawn) for drawn in baseline.values())
            print(
                f"  {name:<30} {shares[0]:>9.3f} {shares[1]:>6.3f} {shares[2]:>6.3f}  "
                f"({pairs:,} pairs drawn for {count:,} related)"
            )
    journals = Counter(record.journal for record in records)
    print(
        f"  ({len(journals)} journals; the largest, {journals.most_common(1)[0][0]}, holds "
        f"{journals.most_common(1)[0][1]} records)"
    )


if __name__ == "__main__":
    main()
