"""Normalising and extracting concepts from text: case, accents and plurals folded for matching,
the readable form kept for display, and candidate terms of up to three words.

The extractor is a light statistical one of our own, not YAKE: candidate phrases are runs of
words between stop words and punctuation (as RAKE and YAKE split them), and the catalogue's own
statistics decide which are concepts (weighting.py). It needs no package and no model, and it
fingerprints several thousand records a second, which YAKE (about a hundred) does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from catalogue.models.bibliography import fold

# The longest candidate term, in words: longer runs are rarely repeated verbatim.
MAX_WORDS = 3

# Words that end a candidate term: English function words plus the boilerplate of abstracts
# ("results showed", "this study"), which recurs everywhere and names no topic.
_STOP_TEXT = """
    a about above after again against all almost also although always am among an and
    another any are around as at be because been before being below between both but by can
    could did do does doing done down due during each either else etc even ever every few
    for from further had has have having he her here hers herself him himself his how
    however i if in into is it its itself just least less like many may me might more most
    much must my myself near neither no nor not now of off often on once one only or other
    our ours ourselves out over own per rather same several shall she should since so some
    such than that the their theirs them themselves then there these they this those though
    through thus to too two three under until up upon us very via was we were what when
    where whether which while who whom whose why will with within without would yet you your
    yours yourself yourselves toward towards across behind regarding according respectively
    overall versus vs abstract aim aims approach article background based conclusion
    conclusions data design discussion evidence finding findings found four further given
    high however important including increase increased introduction investigate
    investigated large level levels low main method methods new number objective objectives
    paper participants present purpose result results review role show showed shown
    significant significantly study studies total use used using well whereas five six years
    year
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

# A word: letters or digits, with inner hyphens or apostrophes ("covid-19", "parent's").
_WORD = re.compile(r"[^\W_](?:[\w'’\-]*[^\W_])?")
# Punctuation that ends a phrase.
_BREAK = re.compile(r"[.,;:!?()\[\]{}\"“”«»/|=<>+&%]|\s[-–—]\s")


def singular(word: str) -> str:
    """Return a folded English word's singular by suffix rules ("studies" -> "study")."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zzes")):
        return word[:-2]
    if word.endswith(("ss", "us", "is", "ics", "sis")):
        return word
    if word.endswith("s"):
        return word[:-1]
    return word


# Word -> (matching form, is a stop word or a number, display form): most words recur, so
# each is folded once.
_WORDS: dict[str, tuple[str, bool, str]] = {}
_WORDS_LIMIT = 500_000


def _word(word: str) -> tuple[str, bool, str]:
    known = _WORDS.get(word)
    if known is None:
        folded = fold(word).replace("’", "'")
        # Numbers and measurements ("1.73m2") start with a digit; "COVID-19" does not.
        skip = folded in STOP_WORDS or folded[0].isdigit() or len(folded) < 2
        if len(_WORDS) >= _WORDS_LIMIT:
            _WORDS.clear()  # a bound on memory; refilling costs little
        known = _WORDS[word] = (singular(folded), skip, display_word(word))
    return known


def normalise_word(word: str) -> str:
    """Return the matching form of one word: folded case and accents, singular."""
    return _word(word)[0]


def normalise(text: str) -> str:
    """Return the matching key of a term: its words normalised, joined by single spaces,
    without a leading article ("The Philippines" is "philippine")."""
    words = [normalise_word(word) for word in _WORD.findall(text or "")]
    while len(words) > 1 and words[0] in _ARTICLES:
        words.pop(0)
    return " ".join(words)


_ARTICLES = frozenset({"the", "a", "an"})


def display_word(word: str) -> str:
    """Return a word as shown: lower case unless an acronym or mixed case ("HIV", "mHealth")."""
    if any(char.isupper() for char in word[1:]):
        return word
    return word.lower()


@dataclass
class Candidate:
    """A candidate term of one text: its key, a readable form and how often it occurs."""

    key: str
    label: str
    count: int = 0
    words: int = 1


@dataclass
class FieldTerms:
    """The candidate terms of one field of one record, and its length in words."""

    terms: dict[str, Candidate] = field(default_factory=dict)
    length: int = 0


def _phrases(text: str) -> Iterator[tuple[list[str], list[str]]]:
    """Yield the runs of content words of `text` (as shown, and their keys), split at
    punctuation and stop words."""
    for clause in _BREAK.split(text or ""):
        run: list[str] = []
        keys: list[str] = []
        for word in _WORD.findall(clause):
            key, skip, shown = _word(word)
            if skip:
                if run:
                    yield run, keys
                run, keys = [], []
            else:
                run.append(shown)
                keys.append(key)
        if run:
            yield run, keys


def _participle(key: str) -> bool:
    """Return whether a word's key looks like a past participle ("experienced", "aged")."""
    return key.endswith("ed") and len(key) > 4 and "-" not in key


def candidates(text: str, *, max_words: int = MAX_WORDS) -> FieldTerms:
    """Return the candidate terms (1 to `max_words` words) of `text` with their counts."""
    result = FieldTerms()
    terms = result.terms
    for run, keys in _phrases(text):
        count = len(run)
        result.length += count
        # A term ending in a past participle is a clause ("stigma experienced", "mother
        # aged"), not a name of a thing.
        ends = [not _participle(key) for key in keys]
        for start in range(count):
            key = ""
            for end in range(start, min(count, start + max_words)):
                # Each longer term is the previous one plus a word: no slicing and joining.
                key = keys[end] if end == start else f"{key} {keys[end]}"
                if not ends[end]:
                    continue
                term = terms.get(key)
                if term is None:
                    label = " ".join(run[start : end + 1])
                    term = terms[key] = Candidate(key, label, 0, end - start + 1)
                term.count += 1
    return result


def query_keys(text: str) -> list[str]:
    """Return the keys of every candidate term of a query, longest first."""
    found = candidates(text)
    return sorted(found.terms, key=lambda key: (-found.terms[key].words, key))
