"""Seeded randomness: one stream per purpose, Zipf and weighted draws."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Callable, Iterable, Sequence


class Zipf:
    """Draws indexes 0..size-1 (or `values`) with P(rank r) ~ 1 / (r + offset) ** exponent."""

    def __init__(
        self,
        size: int,
        *,
        exponent: float = 1.0,
        offset: float = 0.0,
        values: Sequence | None = None,
    ) -> None:
        self.size = size
        self.cum_weights = list(
            itertools.accumulate((rank + offset) ** -exponent for rank in range(1, size + 1))
        )
        self.population = values if values is not None else range(size)

    def draw(self, rng: random.Random, k: int = 1) -> list:
        return rng.choices(self.population, cum_weights=self.cum_weights, k=k)

    def pick(self, rng: random.Random) -> object:
        return self.population[self.one(rng)]

    def one(self, rng: random.Random) -> int:
        index = bisect.bisect(self.cum_weights, rng.random() * self.cum_weights[-1])
        return min(index, self.size - 1)  # guards against rounding up to the total


def weighted_choices(pairs: Iterable[tuple[object, float]]) -> tuple[list, list[float]]:
    """Return (values, cumulative weights) for `random.choices`."""
    values, weights = zip(*pairs, strict=True)
    return list(values), list(itertools.accumulate(weights))


def seeded_random(seed: int, purpose: str) -> random.Random:
    """Return the random stream of `purpose` for `seed`, the same on every run."""
    # String seeds are hashed with SHA-512 by `random`, so streams are stable across runs.
    return random.Random(f"catalogue-synthetic:{seed}:{purpose}")


def draw_unique(draw: Callable[[random.Random], str], rng: random.Random, taken: set[str]) -> str:
    """Return `draw(rng)`, drawn again until it is not in `taken`; add it to `taken`."""
    value = draw(rng)
    while value in taken:
        value = draw(rng)
    taken.add(value)
    return value
