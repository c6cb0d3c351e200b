"""Weighting a record's concepts against the catalogue (BM25), and explaining each weight.

A concept's weight in a record is BM25: how often the record names it (title words counting
more than abstract words, its own keywords and subject areas counting as strong mentions),
saturated and normalised by the record's length, times how rare the concept is in the
catalogue (inverse document frequency). The strongest concept of a record is 100%.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from catalogue.topics.text import Candidate, candidates, normalise

# Field weights: a word of the title says more about the record than one of the abstract; a
# keyword the record was given, or a subject area, is a deliberate statement of its topic.
FIELD_WEIGHTS = {"title": 6.0, "abstract": 1.0, "keyword": 4.0, "subject": 1.5}
# BM25's usual constants: term-frequency saturation and length normalisation.
K1 = 6.0
B = 0.75
# Concepts kept per record: enough for the page's "Research topics" and for related records.
MAX_CONCEPTS = 20
# A term of the text is a concept only when at least this many records have it, or it is a
# keyword: a phrase seen once is usually a chance juxtaposition.
MIN_RECORDS = 2
# Single words of the text are weaker concepts than phrases naming the same thing.
SINGLE_WORD_FACTOR = 1.0


@dataclass
class RecordText:
    """What a record's concepts are taken from."""

    title: str = ""
    abstract: str = ""
    keywords: Sequence[str] = ()
    subjects: Sequence[str] = ()
    # Its candidate concepts once found (mentions()): counting a record's keys and weighing it
    # read them both, and finding them is most of the work. A record's text is not changed
    # once read.
    found: Mentions | None = field(default=None, repr=False, compare=False)


@dataclass
class Weighted:
    """One weighted concept of a fingerprint, with what its weight came from."""

    key: str
    label: str
    kind: str
    fields: tuple[str, ...]
    occurrences: int
    document_frequency: int
    score: float
    weight: float = 0.0  # percent of the record's strongest
    unit: float = 0.0  # score / length of the fingerprint: dot products are cosines


@dataclass
class Mentions:
    """A record's candidate concepts before weighting: the terms of its title and abstract,
    the keywords and subject areas it was given (key -> label), and its length in words."""

    title: dict[str, Candidate]
    abstract: dict[str, Candidate]
    given: dict[str, tuple[str, str]]  # key -> (label, "keyword" or "subject")
    length: int

    def keys(self) -> set[str]:
        """Return every candidate's key."""
        return self.title.keys() | self.abstract.keys() | self.given.keys()


def mentions(record: RecordText) -> Mentions:
    """Return a record's candidate concepts (found once per record)."""
    if record.found is None:
        record.found = _mentions(record)
    return record.found


def _mentions(record: RecordText) -> Mentions:
    title, abstract = candidates(record.title), candidates(record.abstract)
    given: dict[str, tuple[str, str]] = {}
    for name, values in (("subject", record.subjects), ("keyword", record.keywords)):
        for value in values:
            key = normalise(value)
            if key:
                # The vocabulary's own spelling is the label ("COVID-19", "Quality of Life");
                # a keyword naming a subject area is the keyword.
                given[key] = (" ".join(value.split()), name)
    return Mentions(title.terms, abstract.terms, given, title.length + abstract.length)


def record_keys(record: RecordText) -> tuple[set[str], int]:
    """Return the keys a record counts towards in the catalogue statistics, and its length."""
    found = mentions(record)
    return found.keys(), found.length


def idf(document_frequency: int, articles: int) -> float:
    """Return BM25's inverse document frequency (never negative)."""
    df = max(document_frequency, 1)
    return math.log(1.0 + (articles - df + 0.5) / (df + 0.5))


def fingerprint(
    record: RecordText,
    *,
    frequencies: Mapping[str, int],
    articles: int,
    average_length: float,
    vocabulary: Iterable[str] | set[str] = frozenset(),
    limit: int = MAX_CONCEPTS,
) -> list[Weighted]:
    """Return a record's strongest concepts, weighted against the catalogue's statistics.

    `frequencies` maps a concept key to the number of records that have it, `vocabulary` is
    the keys of the catalogue's keywords (a phrase that is a keyword is a concept at once).
    """
    found = mentions(record)
    title, abstract, given = found.title, found.abstract, found.given
    occurrences: dict[str, int] = {key: term.count for key, term in title.items()}
    for key, term in abstract.items():
        occurrences[key] = occurrences.get(key, 0) + term.count
    articles = max(articles, 1)
    norm = 1.0 - B + B * (found.length / average_length if average_length else 1.0)
    dropped = _absorbed(occurrences, given, frequencies, vocabulary)
    title_weight, abstract_weight = FIELD_WEIGHTS["title"], FIELD_WEIGHTS["abstract"]
    scored: list[tuple[float, str]] = []
    for key in occurrences.keys() | given.keys():
        df = frequencies.get(key, 0)
        kind = given[key][1] if key in given else "term"
        # A term no other record has (a name, a typo, a chance phrase) relates the record to
        # nothing; unless it is a keyword of the catalogue, it is no concept.
        if kind == "term" and (key in dropped or (df < MIN_RECORDS and key not in vocabulary)):
            continue
        tf = 0.0
        if key in title:
            tf += title_weight * title[key].count
        if key in abstract:
            tf += abstract_weight * abstract[key].count
        if kind != "term":
            tf += FIELD_WEIGHTS[kind]
        score = tf * (K1 + 1) / (tf + K1 * norm) * idf(df, articles)
        if kind == "term" and " " not in key:
            score *= SINGLE_WORD_FACTOR
        scored.append((score, key))
    scored.sort(key=lambda item: (-item[0], item[1]))
    chosen = []
    for score, key in scored[:limit]:
        fields = [
            name for name, terms in (("title", title), ("abstract", abstract)) if key in terms
        ]
        if key in given:
            label, kind = given[key]
            fields.append(kind)
        else:
            label, kind = (title.get(key) or abstract[key]).label, "term"
        chosen.append(
            Weighted(
                key=key,
                label=label,
                kind=kind,
                fields=tuple(fields),
                occurrences=occurrences.get(key, 0) + (1 if key in given else 0),
                document_frequency=frequencies.get(key, 0),
                score=score,
            )
        )
    return scale(chosen)


def _absorbed(
    occurrences: Mapping[str, int],
    given: Mapping[str, tuple[str, str]],
    frequencies: Mapping[str, int],
    vocabulary: Iterable[str] | set[str],
) -> set[str]:
    """Return the terms that are only parts or extensions of a better term of the record.

    A word or phrase seen in the record only inside a longer phrase ("alliance" only in
    "therapeutic alliance") is the phrase's part when the catalogue also says the phrase is a
    unit (the phrase's records are at least half the part's); otherwise the longer phrase is
    the part plus an incidental word ("public primary healthcare" for "primary healthcare"),
    and so it always is when the part is a keyword of the catalogue.
    """
    dropped: set[str] = set()
    for key, count in occurrences.items():
        if " " not in key:
            continue  # a keyword or subject area also absorbs its words ("machine learning")
        df = frequencies.get(key, 0)
        words = key.split(" ")
        for size in range(1, len(words)):
            for start in range(len(words) - size + 1):
                part = " ".join(words[start : start + size]) if size > 1 else words[start]
                if occurrences.get(part) != count or part in given:
                    continue
                if size > 1 and part in vocabulary and key not in vocabulary:
                    dropped.add(key)
                elif size == 1 or 2 * df >= frequencies.get(part, 0):
                    dropped.add(part)
                else:
                    dropped.add(key)
    return dropped


def scale(items: list[Weighted]) -> list[Weighted]:
    """Set each item's weight (percent of the strongest) and unit weight (cosine-ready)."""
    if not items:
        return items
    top = max(item.score for item in items) or 1.0
    length = math.sqrt(sum(item.score * item.score for item in items)) or 1.0
    for item in items:
        item.weight = round(100.0 * item.score / top, 1)
        item.unit = item.score / length
    return items


def cosine(left: Mapping[str, float], right: Mapping[str, float]) -> float:
    """Return the cosine of two sparse vectors given as unit weights by key."""
    if len(left) > len(right):
        left, right = right, left
    return sum(value * right.get(key, 0.0) for key, value in left.items())
