"""Related records: cosine over sparse fingerprints through an inverted index."""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterable, Mapping, Sequence

# Up to this many related records per record.
MAX_RELATED = 10
# Below this cosine two records share too little to call them related: none rather than noise.
# (On the WoS records a cosine of 0.12 is where sharing a category or keyword stops being the
# rule; docs/topics.md.)
SIMILARITY_FLOOR = 0.12
# A concept in more records than this is skipped when looking for related ones: it is too
# common to tell records apart (its weight is low anyway) and its postings would cost most.
MAX_POSTINGS = 5000
# Shared concepts named per related record.
MAX_SHARED = 3

Vector = Mapping[str, float]


class Postings:
    """An in-memory inverted index: for each concept, the records having it and their weight."""

    def __init__(self) -> None:
        self.lists: dict[str, list[tuple[Hashable, float]]] = {}

    def add(self, record: Hashable, vector: Vector) -> None:
        """Index one record's unit-weight vector."""
        for key, value in vector.items():
            self.lists.setdefault(key, []).append((record, value))

    def related(
        self,
        record: Hashable,
        vector: Vector,
        *,
        limit: int = MAX_RELATED,
        floor: float = SIMILARITY_FLOOR,
    ) -> list[tuple[Hashable, float]]:
        """Return up to `limit` other records by cosine, at or above `floor`, best first."""
        scores: dict[Hashable, float] = {}
        for key, value in vector.items():
            postings = self.lists.get(key, ())
            if len(postings) > MAX_POSTINGS:
                continue
            for other, weight in postings:
                if other != record:
                    scores[other] = scores.get(other, 0.0) + value * weight
        best = heapq.nlargest(limit, scores.items(), key=lambda item: (item[1], -_order(item[0])))
        return [(other, score) for other, score in best if score >= floor]


def _order(record: Hashable) -> int:
    """Break ties by the smaller id first, for repeatable lists."""
    return record if isinstance(record, int) else 0


def shared_concepts(
    left: Vector, right: Vector, labels: Mapping[str, str], *, limit: int = MAX_SHARED
) -> list[str]:
    """Return the labels of the concepts two vectors share, largest contribution first."""
    common = [(left[key] * right[key], key) for key in left.keys() & right.keys()]
    common.sort(key=lambda item: (-item[0], item[1]))
    return [labels.get(key, key) for _, key in common[:limit]]


def top_related(
    vectors: Mapping[Hashable, Vector], records: Iterable[Hashable] | None = None, **options
) -> dict[Hashable, list[tuple[Hashable, float]]]:
    """Return the related records of `records` (default: all) among all `vectors`."""
    index = Postings()
    for record, vector in vectors.items():
        index.add(record, vector)
    chosen: Sequence[Hashable] = list(vectors) if records is None else list(records)
    return {record: index.related(record, vectors[record], **options) for record in chosen}
