"""A fast splitter for well-formed BibTeX, producing the same blocks as bibtexparser's.

bibtexparser's splitter walks every brace, quote, comma and newline in Python; on a
10 MB file that is half of the parse. This one matches whole fields with regular
expressions (possessive, so they cannot backtrack) and gives up, returning None, at
the first thing it does not fully understand: parentheses as delimiters, braces
nested deeper than a few levels, an `@type{` inside a value, any syntax error.
The caller then splits the whole text with bibtexparser, so broken files get
exactly bibtexparser's recovery and error messages.

The marks follow bibtexparser 2.1: `{ } " , =` are marks unless preceded by a
backslash; inside quotes only `"` counts (`{"}` is an escaped quote); an `@word{`
starts a block.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bibtexparser import model as bibtex_model

_MAX_DEPTH = 8
_BLOCK_START = re.compile(r"@(\w*)[ \t]*([{(])")
# An `@` that does not start a block mark (e-mail addresses, "LeQua @ CLEF").
_LONE_AT = r"@(?!\w*[ \t]*[{(])"
# In values, a block mark only matters at the start of a line; after a non-space it is text.
_TEXT_AT = r"(?<=\S)@|" + _LONE_AT
_IN_BRACES = r"[^{}@\\]++|\\[{}]?|" + _TEXT_AT


def _braced(depth: int) -> str:
    """Return a pattern for a `{...}` group with at most `depth` levels of nesting."""
    pattern = r"\{(?:" + _IN_BRACES + r")*+\}"
    for _ in range(depth - 1):
        pattern = r"\{(?:" + _IN_BRACES + "|" + pattern + r")*+\}"
    return pattern


_BRACED = _braced(_MAX_DEPTH)
_QUOTED = r'"(?:[^"\\@{]++|\\"?|\{"\}|\{|' + _TEXT_AT + r')*+"'
_VALUE = r"(?:[^{}\",@\\]++|\\[{}\",]?|" + _TEXT_AT + "|" + _QUOTED + "|" + _BRACED + r")*+"
_NAME = r"(?:[^{}\",=@\\]++|" + _LONE_AT + r")*+"

_ENTRY_HEAD = re.compile(r"(" + _NAME + r")([,}])")
_FIELD = re.compile(r"(" + _NAME + r")=(" + _VALUE + r")([,}])")
_ENTRY_END = re.compile(r"\s*\}")
_STRING = re.compile(r"(" + _NAME + r")=((?:" + _IN_BRACES + "|" + _BRACED + r")*+)\}")
_GROUP_BODY = re.compile(r"((?:" + _IN_BRACES + "|" + _BRACED + r")*+)\}")


class SplitFailed(Exception):
    """The text is not well-formed enough for the fast splitter: bibtexparser must split it."""


def split_fast(text: str) -> list[bibtex_model.Block] | None:
    """Return the blocks of well-formed BibTeX `text`, or None to let bibtexparser split it."""
    try:
        return [block for _start, block in iter_fast(text)]
    except SplitFailed:
        return None


def iter_fast(text: str) -> Iterator[tuple[int, bibtex_model.Block]]:
    """Yield (offset of its first character, block) for each block of well-formed `text`.

    One block at a time, so that a caller converting each block as it comes never holds
    them all. Raises SplitFailed, possibly after yielding some blocks, at the first thing
    it does not understand: the caller then starts again with bibtexparser's splitter.
    """
    position = 0
    line = 0
    counted_to = 0
    while True:
        start = _BLOCK_START.search(text, position)
        comment_end = start.start() if start else len(text)
        between = text[position:comment_end].strip()
        if between:
            yield (
                position,
                bibtex_model.ImplicitComment(comment=between, raw=between),
            )
        if start is None:
            return
        if start.group(2) == "(":
            raise SplitFailed
        line += text.count("\n", counted_to, start.start())
        counted_to = start.start()
        block_type = start.group(1).lower()
        body = start.end()
        block: bibtex_model.Block
        if block_type.startswith("comment"):
            match = _GROUP_BODY.match(text, body)
            if match is None:
                raise SplitFailed
            raw = text[start.start() : match.end()]
            block = bibtex_model.ExplicitComment(
                comment=match.group(1).strip(), start_line=line, raw=raw
            )
        elif block_type.startswith("preamble"):
            match = _GROUP_BODY.match(text, body)
            if match is None:
                raise SplitFailed
            raw = text[start.start() : match.end()]
            block = bibtex_model.Preamble(value=match.group(1), start_line=line, raw=raw)
        elif block_type.startswith("string"):
            match = _STRING.match(text, body)
            if match is None:
                raise SplitFailed
            raw = text[start.start() : match.end()]
            block = bibtex_model.String(
                key=match.group(1).strip(),
                value=match.group(2).strip(),
                start_line=line,
                raw=raw,
            )
        else:
            entry = _entry(text, start, line)
            if entry is None:
                raise SplitFailed
            block, match = entry
        yield start.start(), block
        position = match.end()


def _entry(text: str, start: re.Match, line: int) -> tuple[bibtex_model.Entry, re.Match] | None:
    """Return the entry starting at `start` and the match that ends it, or None."""
    head = _ENTRY_HEAD.match(text, start.end())
    if head is None:
        return None
    fields: list[bibtex_model.Field] = []
    last = head
    if head.group(2) == ",":
        position = head.end()
        while True:
            end = _ENTRY_END.match(text, position)
            if end is not None:
                last = end
                break
            field = _FIELD.match(text, position)
            if field is None:
                return None
            fields.append(
                bibtex_model.Field(key=field.group(1).strip(), value=field.group(2).strip())
            )
            last = field
            if field.group(3) == "}":
                break
            position = field.end()
    entry = bibtex_model.Entry(
        entry_type=start.group(1).lower(),
        key=head.group(1).strip(),
        fields=fields,
        start_line=line,
        raw=text[start.start() : last.end()],
    )
    return entry, last
