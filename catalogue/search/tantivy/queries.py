"""Tantivy queries with the PostgreSQL engine's semantics (catalogue/search/postgres/conditions.py).

A word is plainto_tsquery: every one of its tokens, each in any text field; a phrase (or a word
matched in order, Term.in_order) is phraseto_tsquery: its tokens at their positions, a stop word
leaving a gap, within one field value; a phrase of consecutive words is asked of the pairs
fields (schema.PAIR_FIELDS): two words are one term there, more a phrase of pairs. A group is
any of its terms, every group must match, no excluded term may. Selections are filters (no
score); an excluded journal keeps the articles without one, as `IS NULL OR NOT` does.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import tantivy

from catalogue.search.tantivy.schema import (
    FACET_FIELDS,
    PAIR_FIELDS,
    TEXT_FACETS,
    TEXT_FIELDS,
    VALUE_GAP,
    Words,
    analyzer,
    pair,
)

Occur = tantivy.Occur
Query = tantivy.Query


class Builder:
    """Builds queries on one schema; `tokens` analyses text as the index does.

    `value_gap`: the positions the index leaves between two values of a field besides
    Tantivy's one (schema.VALUE_GAP; 0 for an index built before it had any); `has_sample`:
    the index has the `sample` field (built since it exists); `pairs`: phrases of consecutive
    words are asked of the pairs fields (False: of the words' positions, as Tantivy's own
    phrase query does; the benchmark's peer).
    """

    def __init__(
        self,
        schema: tantivy.Schema,
        *,
        value_gap: int = VALUE_GAP,
        has_sample: bool = True,
        pairs: bool = True,
    ) -> None:
        self.schema = schema
        self.value_gap = value_gap
        self.has_sample = has_sample
        self.pairs = pairs
        # The years the index holds (set by the node at each load): a year range is then the
        # set of those years, read from the postings (a range query reads the year column of
        # every document: 10-14 ms at a million against 1-2 ms).
        self.present_years: frozenset[int] | None = None
        self._analyzer = analyzer()
        self._words = Words()

    def tokens(self, text: str) -> list[str]:
        """Return the index terms of `text` (lower case, folded, stop words out, stemmed)."""
        return self._analyzer.analyze(text)

    def _any_field(self, query_for_field) -> Query:
        return Query.boolean_query(
            [
                (Occur.Should, Query.boost_query(query_for_field(name), boost))
                for name, boost in TEXT_FIELDS.items()
            ]
        )

    def word(self, text: str) -> Query | None:
        """Return plainto_tsquery(text): each of its tokens in any field; None if none."""
        tokens = list(dict.fromkeys(self.tokens(text)))
        if not tokens:
            return None
        clauses = [
            (
                Occur.Must,
                self._any_field(
                    lambda name, token=token: Query.term_query(self.schema, name, token)
                ),
            )
            for token in tokens
        ]
        return clauses[0][1] if len(clauses) == 1 else Query.boolean_query(clauses)

    def phrase_terms(self, text: str) -> list[tuple[int, str]]:
        """Return (position, token) of phraseto_tsquery(text): a stop word leaves a gap."""
        terms = [(position, term) for position, term in enumerate(self._words.stems(text)) if term]
        if terms:
            first = terms[0][0]
            terms = [(position - first, token) for position, token in terms]
        return terms

    def phrase_fits(self, text: str) -> bool:
        """Whether the phrase of `text` cannot span two values of a field in this index.

        The next value's first word is value_gap + 2 positions after the last word of a
        value; a phrase spanning fewer (its last word's offset) lies within one value.
        """
        terms = self.phrase_terms(text)
        return not terms or terms[-1][0] < self.value_gap + 2

    def phrase(self, text: str) -> Query | None:
        """Return phraseto_tsquery(text) within one value of any field; None if no token."""
        terms = self.phrase_terms(text)
        if not terms:
            return None
        if len(terms) == 1:
            return self._any_field(lambda name: Query.term_query(self.schema, name, terms[0][1]))
        # Words side by side (no stop word between): their pairs.
        pairs = [
            (position, pair(first, second))
            for (position, first), (following, second) in itertools.pairwise(terms)
            if following == position + 1
        ]
        if self.pairs and len(pairs) == len(terms) - 1:
            # Consecutive words: the pairs' postings hold exactly the articles with two words
            # side by side in one value, so two words need no positions at all, and more are
            # a phrase of pairs, whose positions are few (a phrase of words reads the words'
            # positions in every article having all of them: most of a phrase's time).
            if len(pairs) == 1:
                return self._any_field(
                    lambda name: Query.term_query(self.schema, PAIR_FIELDS[name], pairs[0][1])
                )
            return self._any_field(
                lambda name: Query.phrase_query(self.schema, PAIR_FIELDS[name], pairs)
            )
        if self.pairs and pairs:
            # A stop word inside, but some words side by side: a phrase of words, whose
            # positions are read only where the field also has those pairs (which the phrase
            # implies; they add nothing to the score).
            return self._any_field(
                lambda name: Query.boolean_query(
                    [
                        (Occur.Must, Query.phrase_query(self.schema, name, terms)),
                        *(
                            (
                                Occur.Must,
                                Query.const_score_query(
                                    Query.term_query(self.schema, PAIR_FIELDS[name], term), 0.0
                                ),
                            )
                            for _, term in pairs
                        ),
                    ]
                )
            )
        return self._any_field(lambda name: Query.phrase_query(self.schema, name, terms))

    def selection(self, facet: str, values: Iterable) -> Query:
        """Return the articles having any of `values` of `facet`."""
        name = FACET_FIELDS[facet]
        if facet == "peer_reviewed":
            wanted = sorted({value in (True, "true") for value in values})
            queries = [Query.term_query(self.schema, name, flag) for flag in wanted]
            if len(queries) == 1:
                return queries[0]
            return Query.boolean_query([(Occur.Should, query) for query in queries])
        if facet in TEXT_FACETS:
            return Query.term_set_query(self.schema, name, [str(value) for value in values])
        if facet == "year":
            return Query.term_set_query(self.schema, name, [int(value) for value in values])
        return Query.term_set_query(self.schema, name, [int(value) for value in values])

    def sample(self, buckets: int) -> Query:
        """Return the articles whose sample value (0-1023) is below `buckets` (the postings of
        each value: a range query would read the column of every document)."""
        return Query.term_set_query(self.schema, "sample", list(range(buckets)))

    def years(self, low: int | None, high: int | None) -> Query:
        """Return the articles with a year in [low, high] (one bound may be None)."""
        if self.present_years is not None:
            wanted = sorted(
                year
                for year in self.present_years
                if (low is None or year >= low) and (high is None or year <= high)
            )
            if not wanted:
                return Query.empty_query()
            return Query.term_set_query(self.schema, "year", wanted)
        return Query.range_query(
            self.schema,
            "year",
            tantivy.FieldType.Unsigned,
            low if low is not None else 0,
            high if high is not None else 65_535,
        )

    def combine(
        self,
        scored: Sequence[tuple[tantivy.Occur, Query]],
        filters: Sequence[tuple[tantivy.Occur, Query]],
    ) -> Query:
        """Return the scored clauses with the filters (which add nothing to the score)."""
        clauses = list(scored) + [
            (occur, Query.const_score_query(query, 0.0)) for occur, query in filters
        ]
        if not any(occur == Occur.Must for occur, _ in clauses):
            clauses.append((Occur.Must, Query.all_query()))
        return Query.boolean_query(clauses)
