"""BibTeX name lists: split on `and`, then into von/last/jr/first, then decode LaTeX."""

from __future__ import annotations

import re
import unicodedata

from .latex import ACCENTS, latex_to_unicode
from .results import Name

_AND_OR_BRACE = re.compile(r"[{}]|\s+and(?=\s)", re.IGNORECASE)
_SEMICOLON_OR_BRACE = re.compile(r"[{};]")
_COMMA_OR_BRACE = re.compile(r"[{},]")
_CONTROL_WITH_ARGUMENT = re.compile(r"\\(?:[a-zA-Z]+\s*|.)(?:\{[^{}]*\}|[a-zA-Z])?", re.DOTALL)
# An accent command, the spaces after it and the letter it puts the accent on (`\\H o`).
_SPACED_ACCENT = re.compile(r"\\([a-zA-Z]+|[^a-zA-Z\s])\s+(\w)")
_BIBLATEX_NAME_KEYS = {"family", "given", "prefix", "suffix", "useprefix"}


def parse_names(value: str) -> tuple[list[Name], bool]:
    """Return the names in a BibTeX name list and whether it ended with `and others`."""
    names, et_al, _warnings = parse_names_with_warnings(value)
    return names, et_al


def parse_names_with_warnings(value: str) -> tuple[list[Name], bool, list[str]]:
    """Return the names, the `and others` flag and warnings about names read with a doubt."""
    warnings: list[str] = []
    items = _split_top_level(value, _AND_OR_BRACE, is_separator=lambda found: found[0] != "{")
    if len(items) == 1 and ";" in value:
        by_semicolon = _split_top_level(value, _SEMICOLON_OR_BRACE, lambda found: found == ";")
        if len(by_semicolon) > 1:
            items = by_semicolon
            warnings.append(
                f"Names separated by `;` in `{_short(value)}`: read as a list of names "
                "(BibTeX separates names with `and`)."
            )
    names: list[Name] = []
    et_al = False
    for item in items:
        item = item.strip()
        if not item:
            if len(items) > 1:
                warnings.append(f"An empty name in `{_short(value)}` was skipped.")
            continue
        if item.lower() == "others":
            et_al = True
            continue
        names.extend(_parse_one(item, warnings))
    return names, et_al, warnings


def _split_top_level(value: str, pattern: re.Pattern, is_separator) -> list[str]:
    """Return `value` split at separators matched by `pattern` outside braces."""
    items: list[str] = []
    depth = 0
    start = 0
    for match in pattern.finditer(value):
        found = match.group()
        if found == "{":
            depth += 1
        elif found == "}":
            depth = max(depth - 1, 0)
        elif depth == 0 and is_separator(found):
            items.append(value[start : match.start()])
            start = match.end()
    items.append(value[start:])
    return items


def _short(value: str) -> str:
    """Return `value` on one line, cut to a readable length for a message."""
    flat = " ".join(value.split())
    return flat if len(flat) <= 120 else flat[:117] + "..."


def _decode(words: list[str]) -> str:
    if not words:
        return ""  # most names have no particle and no suffix
    text = latex_to_unicode(
        words[0] if len(words) == 1 else " ".join(words), prose=False, markup=False
    )
    return text if text.isascii() else _nfc(text)


def _nfc(text: str) -> str:
    """Return `text` composed (NFC): "Lu\u0308scher" typed with a combining mark is "Lüscher"."""
    return (
        text
        if text.isascii() or unicodedata.is_normalized("NFC", text)
        else (unicodedata.normalize("NFC", text))
    )


def _group_end(text: str, start: int) -> int:
    """Return the index of the `}` closing the `{` at `start` (or the last index)."""
    depth = 0
    for index in range(start, len(text)):
        char = text[index]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
    return len(text) - 1


def _parse_one(item: str, warnings: list[str]) -> list[Name]:
    """Return the Name(s) one `and`-separated item holds (normally one)."""
    if item.startswith("{") and _group_end(item, 0) == len(item) - 1 and item[1:2] != "\\":
        corporate = _nfc(latex_to_unicode(item[1:-1], prose=False, markup=False))
        return [Name(corporate=corporate)] if corporate else []
    parts = _split_parts(item)
    if _is_biblatex_name(parts):
        name = _biblatex_name(item, warnings)
        return [name] if name else []
    if len(parts) > 1 and not parts[-1]:
        warnings.append(f"Trailing comma in the name `{_short(item)}` ignored.")
        while len(parts) > 1 and not parts[-1]:
            parts.pop()
    if len(parts) > 3:
        if len(parts) % 2 == 0 and all(len(part) <= 3 for part in parts):
            warnings.append(
                f"`{_short(item)}` looks like several names separated by commas: "
                "read as pairs of family name, given names (BibTeX separates names with `and`)."
            )
            return [
                name
                for index in range(0, len(parts), 2)
                if (name := _name_from_parts(parts[index : index + 2], item, warnings))
            ]
        warnings.append(
            f"The name `{_short(item)}` has {len(parts) - 1} commas: "
            "read as family, suffix, given names; the rest was added to the given names."
        )
        parts = [parts[0], parts[1], [word for part in parts[2:] for word in part]]
    name = _name_from_parts(parts, item, warnings)
    return [name] if name else []


def _split_parts(name: str) -> list[list[str]]:
    """Return the comma-separated parts of a name, each a list of words (outside braces)."""
    if "{" not in name and "\\" not in name and "~" not in name:
        return [part.split() for part in name.split(",")]
    parts: list[list[str]] = [[]]
    word: list[str] = []
    depth = 0
    index = 0
    length = len(name)
    while index < length:
        char = name[index]
        if char == "\\" and index + 1 < length:
            if depth == 0 and name[index + 1].isspace():
                # A control space (`A. L.\ Thiele`) separates words, as in BibTeX.
                index += 1
                continue
            accent = _SPACED_ACCENT.match(name, index)
            if accent and accent.group(1) in ACCENTS:
                # `Dezs\H o Nagy` prints "Dezső Nagy": the accent and its letter are one
                # word, where BibTeX would split them (given "Dezs\H", von "o").
                word.append(f"\\{accent.group(1)}{{{accent.group(2)}}}")
                index = accent.end()
                continue
            # Escapes stay in the word: `Ne\~{s}et\~{r}il` has no tie in it.
            word.append(name[index : index + 2])
            index += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(depth - 1, 0)
        elif depth == 0 and (char.isspace() or char == "~" or char == ","):
            if word:
                parts[-1].append("".join(word))
                word = []
            if char == ",":
                parts.append([])
            index += 1
            continue
        word.append(char)
        index += 1
    if word:
        parts[-1].append("".join(word))
    return parts


def _is_lower(word: str) -> bool:
    """Return True if the word starts with a lower-case letter (a von particle), BibTeX-style."""
    index = 0
    length = len(word)
    while index < length:
        char = word[index]
        if char == "{":
            end = _group_end(word, index)
            if word[index + 1 : index + 2] == "\\":
                # A "special character" such as {\'E} or {\ss}: its letter decides.
                for decoded in latex_to_unicode(word[index : end + 1], prose=False, markup=False):
                    if decoded.isalpha():
                        return decoded.islower()
            index = end + 1
            continue
        if char == "\\":
            match = _CONTROL_WITH_ARGUMENT.match(word, index)
            if match is None:
                index += 1
                continue
            for decoded in latex_to_unicode(match.group(), prose=False, markup=False):
                if decoded.isalpha():
                    return decoded.islower()
            index = match.end()
            continue
        if char.isalpha():
            return char.islower()
        index += 1
    return False


def _name_from_parts(parts: list[list[str]], item: str, warnings: list[str]) -> Name | None:
    """Return the Name for First von Last / von Last, First / von Last, Jr, First."""
    if len(parts) == 1:
        words = parts[0]
        if not words:
            return None
        lower = [_is_lower(word) for word in words[:-1]]
        von_start = next((index for index, is_lower in enumerate(lower) if is_lower), None)
        if von_start is None:
            first, von, last = words[:-1], [], words[-1:]
        else:
            von_end = max(index for index, is_lower in enumerate(lower) if is_lower)
            first, von, last = (
                words[:von_start],
                words[von_start : von_end + 1],
                words[von_end + 1 :],
            )
        jr: list[str] = []
    else:
        head = parts[0]
        lower = [_is_lower(word) for word in head[:-1]]
        von_end = max((index for index, is_lower in enumerate(lower) if is_lower), default=-1)
        von, last = head[: von_end + 1], head[von_end + 1 :]
        if len(parts) == 2:
            jr, first = [], parts[1]
        else:
            jr, first = parts[1], parts[2]
    family = _decode(last)
    given = _decode(first)
    if not family:
        if not given:
            return None
        warnings.append(f"The name `{_short(item)}` has no family name: `{given}` used as one.")
        family, given = given, ""
    return Name(family=family, given=given, particle=_decode(von), suffix=_decode(jr))


def _is_biblatex_name(parts: list[list[str]]) -> bool:
    """Return True for biblatex's extended name format (`family=Doe, given=Jane`)."""
    return bool(parts[0]) and parts[0][0].split("=", 1)[0].strip().lower() in _BIBLATEX_NAME_KEYS


def _biblatex_name(item: str, warnings: list[str]) -> Name | None:
    """Return the Name written as `family=..., given=..., prefix=..., suffix=...`."""
    values: dict[str, str] = {}
    for part in _split_top_level(item, _COMMA_OR_BRACE, lambda found: found == ","):
        key, equals, value = part.partition("=")
        key = key.strip().lower()
        if not equals or key not in _BIBLATEX_NAME_KEYS:
            warnings.append(f"Part `{_short(part)}` of the name `{_short(item)}` ignored.")
            continue
        value = value.strip()
        if value.startswith('"') and value.endswith('"'):
            value = value[1:-1]
        values[key] = _nfc(latex_to_unicode(value, prose=False, markup=False))
    family = values.get("family", "")
    given = values.get("given", "")
    if not family:
        if not given:
            warnings.append(f"The name `{_short(item)}` has no family name: skipped.")
            return None
        warnings.append(f"The name `{_short(item)}` has no family name: `{given}` used as one.")
        family, given = given, ""
    return Name(
        family=family,
        given=given,
        particle=values.get("prefix", ""),
        suffix=values.get("suffix", ""),
    )
