"""The search box's query language: words, "phrases", OR, -exclusions and pasted DOIs.

`parse_query` never raises on odd syntax: an unbalanced quote, a stray OR or a lone minus is
repaired and explained in `Query.warnings`. It raises QueryError only when there is nothing
it could search for (too long, a NUL character, only excluded words).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from catalogue import identifiers

MAX_QUERY_LENGTH = 500
# More terms than this cost query time and never help relevance.
MAX_TERMS = 24
MAX_TERM_LENGTH = 100

# PostgreSQL's English stop words (tsearch_data/english.stop): not indexed there, so they
# are left out here on every backend to keep SQLite's results the same.
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can did do does doing don down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own s same she should so some such t than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with you your yours yourself yourselves""".split()  # noqa: SIM905
)

_WORD_CHARACTER = re.compile(r"\w", re.UNICODE)
# Punctuation a reader may type around a word: kept inside ("covid-19", "e.coli").
_EDGE_PUNCTUATION = re.compile(r"^[^\w]+|[^\w]+$", re.UNICODE)
# A colon or underscore between letters or digits: the index splits the word there, as in the
# citation keys Knuth:1984:TB and smith_2019 (see Term.in_order).
_JOINED_PARTS = re.compile(r"[^\W_][:_]+[^\W_]", re.UNICODE)


class QueryError(ValueError):
    """A query that cannot be searched; the message says why and what to do."""


@dataclass(frozen=True)
class Term:
    """A word or a "phrase" to look for."""

    text: str
    phrase: bool = False

    def __str__(self) -> str:
        return f'"{self.text}"' if self.phrase else self.text

    @property
    def in_order(self) -> bool:
        """Whether the term's words must match next to each other, in order.

        True for a "phrase", and for a word whose parts are joined by ':' or '_', which both
        indexes split into several words: a citation key such as Knuth:1984:TB then matches
        the record whose key it is, not every record with the words Knuth, 1984 and TB
        somewhere (SQLite's FTS5 matches any word it splits as a phrase anyway).
        """
        return self.phrase or _JOINED_PARTS.search(self.text) is not None


@dataclass(frozen=True)
class Query:
    """A parsed query: every group must match (one of its terms), no excluded term may."""

    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()
    doi: str = ""
    warnings: tuple[str, ...] = ()
    ignored: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_empty(self) -> bool:
        return not self.groups and not self.doi

    @property
    def terms(self) -> tuple[Term, ...]:
        """Return the terms looked for (not the excluded ones), in order."""
        return tuple(term for group in self.groups for term in group)

    @property
    def key_texts(self) -> list[str]:
        """Return the terms as typed, each once: a record whose citation key is one of them
        ranks first (its key is also indexed as words, so it is among the matches)."""
        return list(dict.fromkeys(term.text for term in self.terms))

    def __str__(self) -> str:
        """Return the query in canonical form: `alliance "exact phrase" a OR b -excluded`."""
        if self.doi:
            return f"doi:{self.doi}"
        parts = [" OR ".join(map(str, group)) for group in self.groups]
        parts.extend(f"-{term}" for term in self.excluded)
        return " ".join(parts)


@dataclass
class _Token:
    text: str
    phrase: bool = False
    negated: bool = False
    operator: bool = False


def _tokens(text: str, warnings: list[str]) -> list[_Token]:
    tokens: list[_Token] = []
    position, length = 0, len(text)
    negate_next = False  # a "-" just before
    after_not = False  # a NOT before (spaces allowed in between)
    while position < length:
        char = text[position]
        if char.isspace():
            if negate_next and not after_not:
                warnings.append(
                    "A minus sign must touch the word it excludes (-word); a lone “-” was ignored."
                )
                negate_next = False
            position += 1
            continue
        if char == '"':
            end = text.find('"', position + 1)
            if end == -1:
                warnings.append(
                    "The closing quotation mark was missing: the words after the opening one "
                    "were searched as a phrase."
                )
                end = length
            tokens.append(_Token(text[position + 1 : end], phrase=True, negated=negate_next))
            negate_next = after_not = False
            position = end + 1
            continue
        if char in "-+" and not negate_next and (position == 0 or text[position - 1].isspace()):
            negate_next = char == "-"
            position += 1
            if position == length and char == "-":
                warnings.append("A lone “-” at the end was ignored.")
            continue
        end = position
        while end < length and not text[end].isspace() and text[end] != '"':
            end += 1
        word = text[position:end]
        if word in ("OR", "|") and not negate_next:
            tokens.append(_Token("OR", operator=True))
        elif word == "AND" and not negate_next:
            pass  # every word must match anyway
        elif word == "NOT" and not negate_next:
            negate_next = after_not = True
        else:
            tokens.append(_Token(word, negated=negate_next))
            negate_next = after_not = False
        position = end
    return tokens


def _clean_word(word: str) -> str:
    return _EDGE_PUNCTUATION.sub("", word)[:MAX_TERM_LENGTH]


def _clean_phrase(text: str) -> str:
    return " ".join(text.split())[: MAX_TERM_LENGTH * 4]


def _term(token: _Token, ignored: list[str]) -> Term | None:
    """Return the token's search term, or None when nothing in it is searchable."""
    if token.phrase:
        words = [_clean_word(word) for word in token.text.split()]
        if not any(word.casefold() not in STOP_WORDS for word in words if word):
            ignored.extend(word for word in words if word)
            return None
        phrase = _clean_phrase(token.text)
        # A one-word phrase is just that word (and keeps its stop-word check above).
        return Term(phrase, phrase=len(phrase.split()) > 1)
    word = _clean_word(token.text)
    if not word or not _WORD_CHARACTER.search(word):
        return None
    if word.casefold() in STOP_WORDS:
        ignored.append(word)
        return None
    return Term(word)


def _doi(text: str) -> str:
    """Return the DOI when the whole query is one (pasted bare, as a link or with doi:)."""
    candidate = text.strip()
    if not candidate or any(char.isspace() for char in candidate.split(":", 1)[-1].strip()):
        return ""
    doi = identifiers.normalise_doi(candidate)
    return doi if identifiers.DOI_PATTERN.match(doi) else ""


def parse_query(text: str) -> Query:
    """Return the parsed query; raise QueryError when there is nothing searchable in it."""
    text = text or ""
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(
            f"Your search is too long: please use at most {MAX_QUERY_LENGTH} characters "
            f"(it has {len(text)})."
        )
    if "\x00" in text:
        raise QueryError("Your search contains a null character: please retype it.")
    if doi := _doi(text):
        return Query(doi=doi)
    warnings: list[str] = []
    ignored: list[str] = []
    tokens = _tokens(text, warnings)

    groups: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = False
    previous_was_term = False
    for index, token in enumerate(tokens):
        if token.operator:
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if not previous_was_term or following is None or following.operator:
                warnings.append(
                    "“OR” needs a word on each side (a OR b); a stray “OR” was ignored."
                )
            elif following.negated:
                warnings.append(
                    "An excluded word cannot be one of the choices of “OR”; the "
                    "“OR” before it was ignored."
                )
            else:
                join_next = True
            continue
        term = _term(token, ignored)
        if term is None:
            join_next = False
            continue
        if token.negated:
            excluded.append(term)
            previous_was_term = False
        elif join_next and groups:
            groups[-1].append(term)
            previous_was_term = True
        else:
            groups.append([term])
            previous_was_term = True
        join_next = False

    if excluded and not groups:
        raise QueryError(
            "A search needs at least one word to look for, not only excluded words: "
            "add a word before the “-”."
        )
    if not groups and ignored:
        raise QueryError(
            "Your search has only very common words ("
            + ", ".join(f"“{word}”" for word in dict.fromkeys(ignored))
            + "), which are not searched on their own: add a more specific word."
        )
    if not groups and text.strip():
        warnings.append(
            f"“{text.strip()[:50]}” has no letters or digits to search for: showing every article."
        )
    count = sum(len(group) for group in groups) + len(excluded)
    if count > MAX_TERMS:
        warnings.append(f"Only the first {MAX_TERMS} words of your search were used.")
        groups, excluded = _first_terms(groups, excluded)
    if ignored:
        warnings.append(
            "Very common words were left out: "
            + ", ".join(f"“{word}”" for word in dict.fromkeys(ignored))
            + "."
        )
    return Query(
        groups=tuple(tuple(dict.fromkeys(group)) for group in _unique_groups(groups)),
        excluded=tuple(dict.fromkeys(excluded)),
        warnings=tuple(dict.fromkeys(warnings)),
        ignored=tuple(ignored),
    )


def _unique_groups(groups: list[list[Term]]) -> list[list[Term]]:
    seen: set[tuple[Term, ...]] = set()
    unique = []
    for group in groups:
        key = tuple(group)
        if key not in seen:
            seen.add(key)
            unique.append(group)
    return unique


def _first_terms(
    groups: list[list[Term]], excluded: list[Term]
) -> tuple[list[list[Term]], list[Term]]:
    budget = MAX_TERMS
    kept: list[list[Term]] = []
    for group in groups:
        if budget <= 0:
            break
        kept.append(group[:budget])
        budget -= len(kept[-1])
    return kept, excluded[: max(budget, 0)]
