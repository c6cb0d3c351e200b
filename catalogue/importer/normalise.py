"""Folded keys for matching: titles, names and keywords without case, accents or punctuation."""

from __future__ import annotations

import functools
import re

from catalogue.models import fold

_MARKUP = re.compile(r"</?(?:i|b|sup|sub|span|sc)\b[^>]*>", re.IGNORECASE)
_NON_WORD = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    # Most bibliographic text is ASCII: skip the Unicode decomposition for it (10x faster).
    return text.casefold() if text.isascii() else fold(text)


@functools.lru_cache(maxsize=65536)
def normalise_title(text: str) -> str:
    """Return `text` without markup, case, accents, punctuation or repeated spaces."""
    if not text:
        return ""
    if "<" in text:
        text = _MARKUP.sub("", text)
    return _NON_WORD.sub(" ", _fold(text)).strip()


@functools.lru_cache(maxsize=65536)
def compact(text: str) -> str:
    """Return `text` folded, without spaces or punctuation: the key of a name."""
    return _NON_WORD.sub("", _fold(text or ""))


@functools.lru_cache(maxsize=65536)
def given_tokens(given: str) -> tuple[str, ...]:
    """Return the folded words of given names, an all-capitals "MJH" split into initials."""
    tokens: list[str] = []
    for word in _NON_WORD.split(given or ""):
        if not word:
            continue
        # "MJH" in Vancouver style is three initials, not a given name.
        if word.isupper() and word.isalpha() and len(word) <= 3:
            tokens.extend(_fold(letter) for letter in word)
        else:
            tokens.append(_fold(word))
    return tuple(tokens)


def family_key(*, family: str, particle: str = "", corporate: str = "") -> str:
    """Return the matching key of a family name with its particle, or of a corporate name."""
    if corporate:
        return "corporate:" + compact(corporate)
    return compact(f"{particle} {family}")


def keyword_key(term: str) -> str:
    """Return `term` lower-cased with single spaces: keywords are the same ignoring these."""
    return " ".join(term.split()).lower()


def is_initials(tokens: tuple[str, ...]) -> bool:
    """Return whether given-name tokens are initials only ("M. J. H.")."""
    return bool(tokens) and all(len(token) == 1 for token in tokens)


def initials_of(tokens: tuple[str, ...]) -> str:
    """Return the first letters of given-name tokens: "mjh"."""
    return "".join(token[0] for token in tokens)


def normalised_titles(*titles: str) -> set[str]:
    """Return the non-empty normalised forms of `titles` (a journal's title and abbreviation)."""
    return {normalise_title(title) for title in titles} - {""}
