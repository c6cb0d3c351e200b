"""Related records: cosine over sparse fingerprints, through an inverted index (a few records)
or a sparse matrix product (a whole catalogue)."""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np
from scipy import sparse

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


class MatrixIndex:
    """Every record's unit-weight fingerprint as one sparse matrix (a row per record, ids
    ascending; a column per concept id), for a whole catalogue's related records.

    A batch of records is scored by one sparse product with the transposed matrix, restricted
    to the concepts in at most `max_postings` records: the same cosines, floor, limit and tie
    order as `Postings`, in C instead of Python lists (a float64 weight and an int32 concept id
    per entry: about 12 bytes, and as many again for the transposed copy).
    """

    def __init__(
        self, ids: np.ndarray, matrix: sparse.csr_matrix, *, max_postings: int = MAX_POSTINGS
    ):
        self.ids = ids
        self.matrix = matrix
        postings = np.bincount(matrix.indices, minlength=matrix.shape[1])
        # The concepts too common to look through (Postings skips them the same way).
        self.common = postings > max_postings
        self.postings = np.where(self.common, 0, postings)
        # CSC of the matrix is CSR of its transpose (concept -> records); the common concepts'
        # postings are dropped from it in place (no third copy of the matrix, even briefly).
        columns = matrix.tocsc()
        for concept in np.flatnonzero(self.common):
            columns.data[columns.indptr[concept] : columns.indptr[concept + 1]] = 0.0
        columns.eliminate_zeros()
        self.transposed = columns.T

    def _searched(self, rows: sparse.csr_matrix) -> sparse.csr_matrix:
        """Return `rows` without the common concepts."""
        rows = rows.copy()
        rows.data[self.common[rows.indices]] = 0.0
        rows.eliminate_zeros()
        return rows

    def related(
        self,
        start: int,
        stop: int,
        *,
        limit: int = MAX_RELATED,
        floor: float = SIMILARITY_FLOOR,
        work: int = 500_000,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the related records of rows start..stop as (row, other row, cosine) arrays:
        up to `limit` per row at or above `floor`, best first, ties by the smaller id."""
        searched = self._searched(self.matrix[start:stop])
        # Products per row: how many postings its concepts have; rows are scored a chunk at a
        # time so that a chunk's candidates (at most its products) stay about `work`.
        pattern = sparse.csr_matrix(
            (np.ones(searched.nnz), searched.indices, searched.indptr), shape=searched.shape
        )
        cost = np.cumsum(pattern @ self.postings.astype(np.float64))
        found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        first = 0
        while first < stop - start:
            last = int(np.searchsorted(cost, (cost[first - 1] if first else 0.0) + work, "right"))
            last = max(last, first + 1)
            found.append(self._score(searched[first:last], start + first, limit, floor))
            first = last
        if not found:
            return _empty()
        return tuple(np.concatenate(parts) for parts in zip(*found, strict=True))  # type: ignore[return-value]

    def _score(self, rows: sparse.csr_matrix, offset: int, limit: int, floor: float):
        products = (rows @ self.transposed).tocsr()
        counts = np.diff(products.indptr)
        row = np.repeat(np.arange(offset, offset + rows.shape[0], dtype=np.int64), counts)
        other, score = products.indices.astype(np.int64), products.data
        keep = (score >= floor) & (other != row)
        row, other, score = row[keep], other[keep], score[keep]
        # By row, then the highest cosine, then the smaller id (rows are in id order).
        order = np.lexsort((other, -score, row))
        row, other, score = row[order], other[order], score[order]
        rank = np.arange(len(row)) - np.searchsorted(row, row, "left")
        keep = rank < limit
        return row[keep], other[keep], score[keep]

    def shared(
        self, row: np.ndarray, other: np.ndarray, *, limit: int = MAX_SHARED
    ) -> list[list[int]]:
        """Return, for each pair of rows, the concept ids they share, largest contribution
        first, ties by the smaller id (as `shared_concepts` orders them)."""
        if not len(row):
            return []
        products = self.matrix[row].multiply(self.matrix[other]).tocsr()
        products.eliminate_zeros()
        pair = np.repeat(np.arange(len(row)), np.diff(products.indptr))
        concept, value = products.indices, products.data
        order = np.lexsort((concept, -value, pair))
        pair, concept = pair[order], concept[order]
        rank = np.arange(len(pair)) - np.searchsorted(pair, pair, "left")
        keep = rank < limit
        pair, concept = pair[keep], concept[keep]
        result: list[list[int]] = [[] for _ in range(len(row))]
        for index, concept_id in zip(pair.tolist(), concept.tolist(), strict=True):
            result[index].append(concept_id)
        return result


def _empty() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    none = np.zeros(0, dtype=np.int64)
    return none, none.copy(), np.zeros(0, dtype=np.float64)


def matrix_from_rows(
    chunks: Iterable[np.ndarray], *, entries: int = 0
) -> tuple[np.ndarray, sparse.csr_matrix]:
    """Return record ids and their fingerprints' matrix from chunks of (article id, concept
    id, unit) rows ordered by article id: one pass, arrays grown as needed."""
    concepts = np.zeros(max(entries, 1024), dtype=np.int32)
    units = np.zeros(max(entries, 1024), dtype=np.float64)
    ids: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    filled = 0
    for chunk in chunks:
        if not len(chunk):
            continue
        size = len(chunk)
        if filled + size > len(concepts):
            grown = max(2 * len(concepts), filled + size)
            concepts = np.resize(concepts, grown)
            units = np.resize(units, grown)
        articles = chunk[:, 0].astype(np.int64)
        concepts[filled : filled + size] = chunk[:, 1]
        units[filled : filled + size] = chunk[:, 2]
        filled += size
        unique, count = np.unique(articles, return_counts=True)
        if ids and ids[-1][-1] == unique[0]:
            counts[-1][-1] += count[0]
            unique, count = unique[1:], count[1:]
        ids.append(unique)
        counts.append(count)
    record_ids = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
    indptr = np.zeros(len(record_ids) + 1, dtype=np.int64)
    if counts:
        np.cumsum(np.concatenate(counts), out=indptr[1:])
    if filled < len(concepts):  # a copy of the used part frees the rest
        concepts, units = concepts[:filled].copy(), units[:filled].copy()
    width = int(concepts.max()) + 1 if filled else 1
    matrix = sparse.csr_matrix((units, concepts, indptr), shape=(len(record_ids), width))
    matrix.sort_indices()
    return record_ids, matrix
