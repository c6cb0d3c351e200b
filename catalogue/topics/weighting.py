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


@dataclass
class Mention:
    """A concept of one record before weighting: where it occurs, and how often."""

    key: str
    label: str
    words: int
    fields: dict[str, int] = field(default_factory=dict)
    kind: str = "term"  # "keyword" or "subject" when the record was given it as such

    @property
    def occurrences(self) -> int:
        """Return how many times the record names it, in all fields."""
        return sum(self.fields.values())


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


def mentions(record: RecordText) -> tuple[dict[str, Mention], int]:
    """Return a record's candidate concepts by key, and its length in words."""
    found: dict[str, Mention] = {}
    length = 0
    for name, text in (("title", record.title), ("abstract", record.abstract)):
        terms = candidates(text)
        length += terms.length
        for term in terms.terms.values():
            _add(found, term, name)
    for name, values in (("subject", record.subjects), ("keyword", record.keywords)):
        for value in values:
            key = normalise(value)
            if not key:
                continue
            mention = _add(
                found, Candidate(key, " ".join(value.split()), 1, key.count(" ") + 1), name
            )
            # The vocabulary's own spelling wins over the text's ("COVID-19", "Quality of Life").
            mention.label = " ".join(value.split())
            mention.kind = name
    return found, length


def _add(found: dict[str, Mention], term: Candidate, name: str) -> Mention:
    mention = found.get(term.key)
    if mention is None:
        mention = found[term.key] = Mention(term.key, term.label, term.words)
    mention.fields[name] = mention.fields.get(name, 0) + term.count
    return mention


def record_keys(record: RecordText) -> tuple[set[str], int]:
    """Return the keys a record counts towards in the catalogue statistics, and its length."""
    found, length = mentions(record)
    return set(found), length


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
    found, length = mentions(record)
    articles = max(articles, 1)
    norm = 1.0 - B + B * (length / average_length if average_length else 1.0)
    dropped = _absorbed(found, frequencies)
    scored: list[tuple[float, str]] = []
    for key, mention in found.items():
        given = mention.kind != "term"
        df = frequencies.get(key, 0)
        # A term no other record has (a name, a typo, a chance phrase) relates the record to
        # nothing; unless it is a keyword of the catalogue, it is no concept.
        if not given and (key in dropped or (df < MIN_RECORDS and key not in vocabulary)):
            continue
        tf = 0.0
        for name, count in mention.fields.items():
            tf += FIELD_WEIGHTS[name] * count
        score = tf * (K1 + 1) / (tf + K1 * norm) * idf(df, articles)
        if mention.words == 1 and not given:
            score *= SINGLE_WORD_FACTOR
        scored.append((score, key))
    scored.sort(key=lambda item: (-item[0], item[1]))
    chosen = []
    for score, key in scored[:limit]:
        mention = found[key]
        chosen.append(
            Weighted(
                key=key,
                label=mention.label,
                kind=mention.kind,
                fields=tuple(name for name in FIELD_WEIGHTS if name in mention.fields),
                occurrences=mention.occurrences,
                document_frequency=frequencies.get(key, 0),
                score=score,
            )
        )
    return scale(chosen)


def _absorbed(found: Mapping[str, Mention], frequencies: Mapping[str, int]) -> set[str]:
    """Return the terms that are only parts or extensions of a better term of the record.

    A word or phrase seen in the record only inside a longer phrase ("alliance" only in
    "therapeutic alliance") is the phrase's part when the catalogue also says the phrase is a
    unit (the phrase's records are at least half the part's); otherwise the longer phrase is
    the part plus an incidental word ("public primary healthcare" for "primary healthcare").
    """
    dropped: set[str] = set()
    for key, mention in found.items():
        if mention.words < 2 or mention.kind != "term":
            continue
        df = frequencies.get(key, 0)
        count = mention.occurrences
        words = key.split(" ")
        for size in range(1, len(words)):
            for start in range(len(words) - size + 1):
                part = " ".join(words[start : start + size])
                inner = found.get(part)
                if inner is None or inner.occurrences != count or inner.kind != "term":
                    continue
                if size == 1 or 2 * df >= frequencies.get(part, 0):
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
