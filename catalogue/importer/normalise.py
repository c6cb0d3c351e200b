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
def _compact(text: str) -> str:
    return _NON_WORD.sub("", _fold(text or ""))


@functools.lru_cache(maxsize=65536)
def _given_tokens(given: str) -> tuple[str, ...]:
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


def _family_key(*, family: str, particle: str = "", corporate: str = "") -> str:
    if corporate:
        return "corporate:" + _compact(corporate)
    return _compact(f"{particle} {family}")


def _keyword_key(term: str) -> str:
    return " ".join(term.split()).lower()


def _is_initials(tokens: tuple[str, ...]) -> bool:
    return bool(tokens) and all(len(token) == 1 for token in tokens)


def _initials(tokens: tuple[str, ...]) -> str:
    return "".join(token[0] for token in tokens)


def _title_keys(*titles: str) -> set[str]:
    """Return the non-empty normalised forms of `titles` (a journal's title and abbreviation)."""
    return {normalise_title(title) for title in titles} - {""}
