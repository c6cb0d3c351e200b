"""BibTeX text to catalogue entries: split, account for every entry, evaluate, check, decode.

Well-formed text is split by `splitter.split_fast`; anything else by bibtexparser's
splitter, whose error recovery the problems below are written around.

Every `@type{` entry start in the source ends up either as an Entry or as one error
Problem in `ParseResult.problems`, so that

    len(result.entries) + errors in result.problems == result.source_entry_count.

Warnings about an imported entry are in `Entry.warnings`; file-level warnings (a
broken `@string`, no entries at all) are warning Problems in `result.problems`.
"""

from __future__ import annotations

import bisect
import gc
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial

from bibtexparser import model as bibtex_model
from bibtexparser.splitter import Splitter

from . import fields as readers
from . import record_fields
from .contributors import read_contributors
from .encoding import BibTeXError, check_text, decode_bytes_with_warnings
from .latex import latex_to_unicode
from .names import parse_names_with_warnings
from .results import Entry, ParseResult, Problem
from .splitter import SplitFailed, iter_fast

MAX_FIELD_LENGTH = 100_000  # characters in one field value, after macros and `#`
MAX_NESTING = 100  # depth of {...} groups in one field value, after macros and `#`
# Characters `@string` abbreviations and crossref inheritance may add in one parse (in
# @string definitions and in every field read): EXPANSION_FACTOR times the text's length
# plus EXPANSION_ALLOWANCE.
# Past it the whole text is refused (BibTeXError): no real file comes near it.
EXPANSION_FACTOR = 10
EXPANSION_ALLOWANCE = 1_000_000
MAX_RAW = 4000  # characters of an entry's source kept in a Problem
_MIN_ENTRY_SIZE = 16  # characters; real files average hundreds, the smallest seen 25
_MAX_TINY_ENTRIES = 1000
# Each entry read costs about 1.2 kB whatever its size (2-3 kB more once planned): a file of
# more than MAX_THIN_ENTRIES entries must average MIN_AVERAGE_ENTRY characters, so that its
# parse stays within ten times its size (the 16k-entry corpus file averages 620).
MAX_THIN_ENTRIES = 100_000
MIN_AVERAGE_ENTRY = 128

# bibtexparser logs every block it cannot split as a warning; they come back to the
# user as located Problems instead, and would otherwise flood the server log.
logging.getLogger("bibtexparser.splitter").setLevel(logging.ERROR)

# The same block-start pattern bibtexparser's splitter uses, so that counts agree.
_BLOCK_START = re.compile(r"@(\w*)[ \t]*(?=[{(])")
_NON_ENTRY_TYPES = ("comment", "preamble", "string")
_FAILED_KEY = re.compile(r"@\w*[ \t]*[{(]\s*([^,\s{}()=\"#%'~]+)\s*,")
_WORD = re.compile(r"[^\s#{}\"=,]+")
_BRACE = re.compile(r"[{}]")
_BRACE_OR_QUOTE = re.compile(r"[{}\"]")
_FIELDS_AFTER_END = re.compile(r"\A[\s,]*[A-Za-z][\w-]*\s*=\s*[{\"\w]")
_COMMENT_LINES = re.compile(r"\A(?:\s*%[^\n]*\n)+\s*")
_SPACE_OR_PERCENT = re.compile(r"[\s%]")
_SPACE = re.compile(r"\s")
# A well-known field starting a line inside another field's value: an unclosed `{` or `"`.
_FIELD_INSIDE_VALUE = re.compile(
    r"\n[ \t]*(address|author|booktitle|chapter|date|doi|edition|editor|institution|isbn|"
    r"issn|journal|journaltitle|keywords|month|number|pages|publisher|school|series|title|"
    r"url|volume|year)[ \t]*=[ \t]*[{\"\d]",
    re.IGNORECASE,
)

# Fields never copied from a crossref'd parent: they describe the child itself.
_NOT_INHERITED = {
    "title",
    "abstract",
    "author",
    "pages",
    "doi",
    "url",
    "pmid",
    "eprint",
    "keywords",
    "note",
    "annote",
    "annotation",
    "subtitle",
    "crossref",
    "eid",
    "numpages",
    "ids",
}


def parse_bytes(
    data: bytes,
    *,
    source: str = "",
    max_field_length: int = MAX_FIELD_LENGTH,
    max_nesting: int = MAX_NESTING,
) -> ParseResult:
    """Return the entries and problems of a BibTeX file's bytes; BibTeXError if not text."""
    text, encoding, encoding_warnings = decode_bytes_with_warnings(data)
    texts = [text]
    del text  # the parser holds the only reference, and drops it once the text is split
    result = _parse(texts, source, max_field_length, max_nesting)
    result.encoding = encoding
    if encoding_warnings:
        result.problems.extend(
            Problem(line=line, key="", message=message, severity="warning", source=source)
            for line, message in encoding_warnings
        )
        result.problems.sort(key=lambda problem: problem.line)
    return result


def parse_text(
    text: str,
    *,
    source: str = "",
    max_field_length: int = MAX_FIELD_LENGTH,
    max_nesting: int = MAX_NESTING,
) -> ParseResult:
    """Return the entries and problems of BibTeX text; BibTeXError if it holds binary data."""
    return _parse([text], source, max_field_length, max_nesting)


def _parse(texts: list[str], source: str, max_field_length: int, max_nesting: int) -> ParseResult:
    """Parse the one text in `texts`, taken out of the list so that it can be dropped early."""
    text = texts.pop()
    check_text(text)
    if text.startswith("\ufeff"):
        text = text[1:]
    # One replacement at a time, so that at most two copies of the text are alive.
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            text = text.replace("\r", "\n")
    _check_entry_density(text)
    parser = _Parser(text, source, max_field_length, max_nesting)
    del text
    # Splitting builds hundreds of thousands of small objects; the cyclic garbage
    # collector would rescan them again and again (half the time on a 10 MB file).
    # They hold no reference cycles worth collecting during the parse.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return parser.parse()
    finally:
        if collecting:
            gc.enable()


class _ValueTooLong(Exception):
    """A value would be longer than the field limit; raised before its text is built."""

    def __init__(self, macro: str = "") -> None:
        super().__init__(macro)
        self.macro = macro  # the refused @string the value uses; "" if it grew too long itself


class _ExpansionSpent(Exception):
    """The text's expansion budget (@string abbreviations, crossref inheritance) is spent."""


class _EntryError(Exception):
    """An entry cannot be imported; the message is its Problem's."""


@dataclass
class _Limits:
    """What macro expansion may build: one value, and all values of one parse together."""

    field_length: int
    budget: int  # characters macros and inherited fields may still add in this parse
    refused: dict[str, int] = field(default_factory=dict)  # @string name -> its line

    def spend(self, characters: int) -> None:
        self.budget -= characters
        if self.budget < 0:
            raise _ExpansionSpent


@dataclass(slots=True)
class _Pending:
    """An entry as split, before its values are read into an Entry."""

    key: str
    entry_type: str
    line: int
    raw: str
    values: dict[str, str] = field(default_factory=dict)  # lower-case name -> raw value
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    inherited: dict[str, str] | None = None  # field -> crossref parent key


# (start offset, end offset, kind, pending entry or None) of one split block
_Span = tuple[int, int, str, "_Pending | None"]


class _Parser:
    """One parse of one text: split, account for every entry start, read the entries."""

    def __init__(self, text: str, source: str, max_field_length: int, max_nesting: int) -> None:
        self.text = text
        self.text_length = len(text)
        self.source = source
        self.max_field_length = max_field_length
        self.max_nesting = max_nesting
        self.macros: dict[str, str] = dict(readers.MONTH_MACROS)
        self.expansion_budget = EXPANSION_FACTOR * len(text) + EXPANSION_ALLOWANCE
        self.limits = _Limits(field_length=max_field_length, budget=self.expansion_budget)
        self.problems: list[Problem] = []
        self._line_starts: list[int] = []  # built on first use (only lost entries need it)

    # -- splitting and accounting ---------------------------------------------------

    def parse(self) -> ParseResult:
        # Each block is turned into a pending entry as it is split and dropped at once: the
        # split library's objects (a Field object per field) would otherwise all be alive
        # together, several times the text's size.
        try:
            pending, spans, strings = self._account(iter_fast(self.text))
        except SplitFailed:
            self.problems = []
            pending, spans, strings = self._account(self._library_blocks())
        lost = self._lost_entries(spans)
        del spans
        # Everything from here on reads the split values: the whole text (up to four bytes a
        # character) need not stay alive while the entries are read.
        self.text, self._line_starts = "", []
        for string in strings:
            try:
                self._define_macro(string)
            except _ExpansionSpent:
                line = (string.start_line or 0) + 1
                raise self._expansion_error(f"the @string `{string.key}` at line {line}") from None
        del strings
        self._check_duplicate_keys(pending)
        self._resolve_crossrefs(pending)
        entries: list[Entry] = []
        source_entry_count = len(pending) + len(lost)
        # Read in order, each pending entry dropped once read: its raw values are not needed
        # any more (crossref children copied their parents' before).
        pending.reverse()
        while pending:
            item = pending.pop()
            try:
                entry = None if item.error else self._entry(item)
            except _EntryError as error:
                item.error, entry = str(error), None
            except _ExpansionSpent:
                where = f"the entry at line {item.line} (key `{item.key}`)"
                raise self._expansion_error(where) from None
            if entry is None:
                self.problems.append(self._problem(item, item.error))
            else:
                entries.append(entry)
        self.problems.extend(lost)
        if source_entry_count == 0:
            self.problems.append(
                Problem(
                    line=0,
                    key="",
                    message="The text holds no BibTeX entries such as @article{key, ...}.",
                    severity="warning",
                    source=self.source,
                )
            )
        self.problems.sort(key=lambda problem: problem.line)
        return ParseResult(
            source=self.source,
            encoding="",
            entries=entries,
            problems=self.problems,
            source_entry_count=source_entry_count,
        )

    def _library_blocks(self) -> Iterator[tuple[int | None, bibtex_model.Block]]:
        """Yield (None, block) for the blocks of bibtexparser's split, each forgotten once taken."""
        blocks = Splitter(self.text).split().blocks
        blocks.reverse()
        while blocks:
            yield None, blocks.pop()

    def _account(
        self, blocks: Iterable[tuple[int | None, bibtex_model.Block]]
    ) -> tuple[list[_Pending], list[_Span], list[bibtex_model.String]]:
        """Return the pending entries, the span of every block and the @strings of a split."""
        pending: list[_Pending] = []
        # (start offset, end offset, kind, pending entry or None) of every @ block
        spans: list[_Span] = []
        strings: list[bibtex_model.String] = []
        previous: _Pending | None = None
        cursor = 0
        for offset, split_block in blocks:
            block = split_block
            if isinstance(block, bibtex_model.ImplicitComment):
                if previous is not None and not previous.error:
                    self._check_text_after_entry(previous, block.raw or "")
                previous = None
                continue
            previous = None
            if isinstance(block, bibtex_model.DuplicateBlockKeyBlock):
                block = block.ignore_error_block
            start = self._offset(block, cursor) if offset is None else offset
            end = start + len(block.raw or "")
            cursor = start + 1
            if isinstance(block, bibtex_model.DuplicateFieldKeyBlock):
                block = block.ignore_error_block
            if isinstance(block, bibtex_model.Entry):
                entry = self._pending_from_block(block)
                pending.append(entry)
                spans.append((start, end, "entry", entry))
                previous = entry
            elif isinstance(block, bibtex_model.ParsingFailedBlock):
                entry = self._pending_from_failed_block(block)
                if entry is None:
                    spans.append((start, end, "failed-other", None))
                else:
                    pending.append(entry)
                    spans.append((start, end, "failed", entry))
            elif isinstance(block, bibtex_model.String):
                strings.append(block)
                spans.append((start, end, "other", None))
            else:
                spans.append((start, end, "other", None))
        return pending, spans, strings

    def _offset(self, block: bibtex_model.Block, cursor: int) -> int:
        """Return the character offset of a block's `@`; blocks come in order from `cursor`."""
        raw = block.raw or ""
        found = self.text.find(raw[:200], cursor) if raw else -1
        return found if found >= 0 else cursor

    def _line_of(self, offset: int) -> int:
        """Return the 1-based line number of a character offset."""
        if not self._line_starts:
            self._line_starts = [0]
            self._line_starts.extend(match.end() for match in re.finditer("\n", self.text))
        return bisect.bisect_right(self._line_starts, offset)

    def _lost_entries(self, spans: list[_Span]) -> list[Problem]:
        """Return an error for every `@type{` start that yielded neither an entry nor a problem."""
        starts = [span[0] for span in spans]
        lost: list[Problem] = []
        for match in _BLOCK_START.finditer(self.text):
            if match.group(1).lower().startswith(_NON_ENTRY_TYPES):
                continue
            offset = match.start()
            index = bisect.bisect_right(starts, offset) - 1
            container = spans[index] if index >= 0 else None
            if container is not None and container[0] == offset:
                continue  # a block starts here: it is accounted for
            if (
                container is not None
                and offset < container[1]
                and container[2] in ("entry", "other")
            ):
                continue  # an "@x{" inside a field value or a comment, not an entry
            line = self._line_of(offset)
            key_match = _FAILED_KEY.match(self.text, offset)
            key = key_match.group(1) if key_match else ""
            label = f"key {key}" if key else "no key found"
            if container is not None and offset < container[1]:
                owner = container[3]
                owner_text = f" (key {owner.key})" if owner is not None and owner.key else ""
                reason = (
                    f"it is inside the broken entry at line {self._line_of(container[0])}"
                    f"{owner_text}; fix that entry and import the file again"
                )
            else:
                reason = "the parser skipped it (check the lines before it)"
            raw = self.text[offset : offset + MAX_RAW]
            lost.append(
                Problem(
                    line=line,
                    key=key,
                    message=f"The entry at line {line} ({label}) was lost: {reason}.",
                    raw=raw,
                    source=self.source,
                )
            )
        return lost

    # -- blocks to pending entries --------------------------------------------------

    def _pending_from_block(self, block: bibtex_model.Entry) -> _Pending:
        """Return the pending entry for a split entry, with any error found in its fields."""
        entry = _Pending(
            key=(block.key or "").strip(),
            entry_type=(block.entry_type or "").lower(),
            line=(block.start_line or 0) + 1,
            raw=block.raw or "",
        )
        if not entry.entry_type:
            entry.error = "The entry has no type (`@{` instead of `@article{`): not imported."
            return entry
        if not entry.key:
            entry.error = "The entry has no citation key (`@article{,`): not imported."
            return entry
        if _SPACE.search(entry.key):
            entry.error = (
                f"The citation key `{entry.key}` contains a space "
                "(a missing comma after the key?): not imported."
            )
            return entry
        for bibtex_field in block.fields:
            name = bibtex_field.key
            value = bibtex_field.value
            if _SPACE_OR_PERCENT.search(name):
                cleaned = _COMMENT_LINES.sub("", name + "\n").strip() if "%" in name else name
                if cleaned and not _SPACE_OR_PERCENT.search(cleaned):
                    entry.warnings.append(
                        f"A `%` comment line before the field `{cleaned}` was ignored."
                    )
                    name = cleaned
                else:
                    entry.error = (
                        f"The field name `{_short(name)}` contains a space "
                        "(a missing `=` or comma?): not imported."
                    )
                    return entry
            name = name.lower()
            if not name:
                entry.error = "A field has no name before its `=`: not imported."
                return entry
            if len(value) > self.max_field_length:
                entry.error = (
                    f"The field `{name}` is {len(value):,} characters long, more than the "
                    f"limit of {self.max_field_length:,}: not imported."
                )
                return entry
            if value.count("{") > self.max_nesting:
                depth = _max_depth(value)
                if depth > self.max_nesting:
                    entry.error = (
                        f"The field `{name}` nests braces {depth:,} deep, more than the "
                        f"limit of {self.max_nesting:,}: not imported."
                    )
                    return entry
            if "=" in value:
                swallowed = _swallowed_field(value)
                if swallowed:
                    entry.error = (
                        f"A comma is missing after the field `{name}`: the next field "
                        f"(`{swallowed} = ...`) ran into its value. Not imported."
                    )
                    return entry
                if "\n" in value:
                    inner = _FIELD_INSIDE_VALUE.search(value)
                    if inner:
                        entry.error = (
                            f"The field `{name}` holds what looks like another field "
                            f"(`{inner.group(1)} = ...`): a closing brace or quote is "
                            "probably missing. Not imported."
                        )
                        return entry
            if name not in entry.values:
                entry.values[name] = value
            elif entry.values[name].strip() in ("", "{}", '""'):
                entry.values[name] = value
                entry.warnings.append(
                    f"The field `{name}` appears more than once: the empty first one was ignored."
                )
            else:
                entry.warnings.append(
                    f"The field `{name}` appears more than once: the first value was kept."
                )
        return entry

    def _pending_from_failed_block(self, block: bibtex_model.ParsingFailedBlock) -> _Pending | None:
        """Return a pending entry carrying the error of a block bibtexparser could not split."""
        raw = block.raw or ""
        match = _BLOCK_START.match(raw)
        block_type = match.group(1).lower() if match else ""
        line = (block.start_line or 0) + 1
        reason = _plain_reason(getattr(block.error, "abort_reason", "") or str(block.error))
        if block_type.startswith(_NON_ENTRY_TYPES):
            if block_type.startswith("string"):
                self.problems.append(
                    Problem(
                        line=line,
                        key="",
                        message=f"The @string at line {line} could not be read "
                        f"({reason.rstrip('.')}); "
                        "entries using its abbreviation will miss that value.",
                        raw=_truncate(raw),
                        severity="warning",
                        source=self.source,
                    )
                )
            return None
        key_match = _FAILED_KEY.match(raw)
        key = key_match.group(1) if key_match else ""
        if reason == _KEY_MISSING:
            head = _HEAD_BEFORE_EQUALS.match(raw)
            words = head.group(1).split() if head else []
            if len(words) > 1:
                key = words[0]
                reason = f"there is no comma after the citation key `{key}`."
            elif words:
                reason = (
                    f"the citation key is missing (the entry starts with the field `{words[0]}`)."
                )
        return _Pending(
            key=key,
            entry_type=block_type,
            line=line,
            raw=raw,
            error=f"The entry could not be read: {reason} Not imported.",
        )

    def _check_text_after_entry(self, entry: _Pending, comment: str) -> None:
        """Mark `entry` broken if the text after it looks like more of its fields."""
        match = _FIELDS_AFTER_END.match(comment)
        if match:
            entry.error = (
                "The entry ends early (an extra `}`?): the text after it, "
                f"`{_short(comment, 60)}`, looks like more of its fields. Not imported."
            )

    def _define_macro(self, block: bibtex_model.String) -> None:
        """Define an @string abbreviation; one longer than a field may be is refused."""
        name = (block.key or "").strip().lower()
        line = (block.start_line or 0) + 1
        try:
            value, undefined, _swallowed = _evaluate(block.value or "", self.macros, self.limits)
            if len(value) > self.max_field_length:  # one literal: never checked as a field
                raise _ValueTooLong()
        except _ValueTooLong as error:
            self.macros.pop(name, None)
            self.limits.refused[name] = line
            if not error.macro:  # one built on a refused @string is reported at its entries
                self.problems.append(
                    Problem(
                        line=line,
                        key="",
                        message=f"The @string `{block.key}` is longer than the limit of "
                        f"{self.max_field_length:,} characters once expanded: it is not "
                        "defined, and entries using it are not imported.",
                        raw=_truncate(block.raw or ""),
                        severity="warning",
                        source=self.source,
                    )
                )
            return
        self.limits.refused.pop(name, None)
        self.macros[name] = value
        if undefined:
            self.problems.append(
                Problem(
                    line=line,
                    key="",
                    message=f"The @string `{block.key}` uses undefined abbreviations: "
                    + ", ".join(f"`{name}`" for name in undefined)
                    + ".",
                    raw=_truncate(block.raw or ""),
                    severity="warning",
                    source=self.source,
                )
            )

    def _check_duplicate_keys(self, pending: list[_Pending]) -> None:
        seen: dict[str, _Pending] = {}
        for entry in pending:
            if not entry.key:
                continue
            folded = entry.key.casefold()
            first = seen.get(folded)
            if first is None:
                seen[folded] = entry
            elif not entry.error:
                same = "" if first.key == entry.key else f" (as `{first.key}`; keys ignore case)"
                entry.error = (
                    f"Duplicate citation key `{entry.key}`: the entry at line {first.line} "
                    f"already uses it{same}. Not imported."
                )

    def _resolve_crossrefs(self, pending: list[_Pending]) -> None:
        """Copy missing fields from the entry a child's `crossref` names (BibTeX inheritance)."""
        if not any("crossref" in entry.values for entry in pending):
            return
        by_key: dict[str, _Pending] = {}
        for entry in pending:
            if entry.key:
                by_key.setdefault(entry.key.casefold(), entry)
        for entry in pending:
            if entry.error or "crossref" not in entry.values:
                continue
            try:
                parent_key, _undefined, _swallowed = _evaluate(
                    entry.values["crossref"], self.macros, self.limits
                )
            except _ValueTooLong as error:
                entry.error = self._too_long(entry, "crossref", error.macro)
                continue
            except _ExpansionSpent:
                where = f"the entry at line {entry.line} (key `{entry.key}`)"
                raise self._expansion_error(where) from None
            parent_key = parent_key.strip()
            parent = by_key.get(parent_key.casefold())
            if parent is None or parent is entry:
                entry.warnings.append(
                    f"crossref `{parent_key}` names no entry in this file: nothing inherited."
                )
                continue
            inherited = entry.inherited = {}
            for name, value in parent.values.items():
                if name not in entry.values and name not in _NOT_INHERITED:
                    entry.values[name] = value
                    inherited[name] = parent.key
            if "booktitle" not in entry.values and "title" in parent.values:
                entry.values["booktitle"] = parent.values["title"]
                inherited["booktitle"] = parent.key

    # -- pending entries to catalogue entries ---------------------------------------

    def _value(self, entry: _Pending, name: str) -> str:
        """Return a field's text with macros expanded and `#` evaluated (LaTeX still in)."""
        raw = entry.values.get(name)
        if raw is None:
            return ""
        try:
            value, undefined, _swallowed = _evaluate(raw, self.macros, self.limits)
        except _ValueTooLong as error:
            raise _EntryError(self._too_long(entry, name, error.macro)) from None
        if entry.inherited and name in entry.inherited:
            self.limits.spend(len(value))  # a copy the child's own text did not pay for
        if value.count("{") > self.max_nesting and _max_depth(value) > self.max_nesting:
            raise _EntryError(
                f"The field `{name}`{self._inherited(entry, name)} nests braces "
                f"{_max_depth(value):,} deep once @string abbreviations are expanded, more "
                f"than the limit of {self.max_nesting:,}: not imported."
            )
        for macro in undefined:
            message = (
                f"`{name} = {macro}` uses the abbreviation `{macro}`, which no @string "
                "defines: the field was left empty."
            )
            if message not in entry.warnings:  # a field may be read more than once
                entry.warnings.append(message)
        if undefined:
            return ""
        return value

    def _inherited(self, entry: _Pending, name: str) -> str:
        parent = entry.inherited.get(name) if entry.inherited else None
        return f" (inherited through crossref from `{parent}`)" if parent else ""

    def _too_long(self, entry: _Pending, name: str, macro: str) -> str:
        """Return the error of an entry whose field `name` expands past the field limit."""
        limit = self.max_field_length
        field_text = f"The field `{name}`{self._inherited(entry, name)}"
        if macro:
            return (
                f"{field_text} uses the @string `{macro}` (line {self.limits.refused[macro]}), "
                f"which is longer than the limit of {limit:,} characters once expanded: "
                "not imported."
            )
        return (
            f"{field_text} is longer than the limit of {limit:,} characters once @string "
            "abbreviations and `#` concatenations are expanded: not imported."
        )

    def _expansion_error(self, where: str) -> BibTeXError:
        """Return the error refusing a text whose abbreviations expand past the budget."""
        return BibTeXError(
            "its @string abbreviations and crossref inheritance add more than "
            f"{self.expansion_budget:,} characters in all ({EXPANSION_FACTOR} times the text's "
            f"{self.text_length:,} characters plus {EXPANSION_ALLOWANCE:,}), passed at {where}: "
            "nothing from it is imported."
        )

    def _entry(self, item: _Pending) -> Entry | None:
        """Return the catalogue Entry for a pending entry, or None (with item.error) if unusable."""
        get = self._value
        warnings = item.warnings
        entry_type = item.entry_type
        output_type = readers.OUTPUT_TYPES.get(entry_type)
        if output_type is None:
            output_type = "other"
            warnings.append(
                f"`@{entry_type}` is not an entry type the catalogue knows: imported as other."
            )
        elif entry_type == "misc" and ("eprint" in item.values or "archiveprefix" in item.values):
            output_type = "preprint"

        if entry_type in ("set", "xdata"):
            item.error = f"A biblatex @{entry_type} only groups other entries: nothing to import."
            return None
        title = latex_to_unicode(get(item, "title"))
        if not title:
            item.error = "The entry has no title: not imported."
            return None
        if "subtitle" in item.values:
            subtitle = latex_to_unicode(get(item, "subtitle"))
            if subtitle:
                separator = " " if title[-1] in "?!:.;" else ": "
                title = f"{title}{separator}{subtitle}"
        entry = Entry(
            key=item.key,
            entry_type=entry_type,
            line=item.line,
            raw=item.raw,
            output_type=output_type,
            title=title,
        )
        values = item.values
        if "abstract" in values:
            entry.abstract = latex_to_unicode(get(item, "abstract"))
        notes = [
            latex_to_unicode(get(item, name), markup=False)
            for name in ("note", "annote", "annotation")
            if name in values
        ]
        entry.note = "; ".join(note for note in notes if note)

        journal = get(item, "journal") or get(item, "journaltitle")
        booktitle_is_journal = False
        if not journal and (entry_type in readers.CONTAINER_TYPES or output_type != "book"):
            journal = get(item, "booktitle")
            booktitle_is_journal = True
        entry.journal_title = latex_to_unicode(journal, markup=False)
        abbreviation = (
            get(item, "shortjournal") or get(item, "journal-abbrev") or get(item, "journalabbrev")
        )
        entry.journal_abbreviation = latex_to_unicode(abbreviation, markup=False)

        publisher = get(item, "publisher")
        if not publisher:
            for name in ("school", "institution", "organization"):
                publisher = get(item, name)
                if publisher:
                    break
        entry.publisher = latex_to_unicode(publisher, markup=False)
        entry.volume = latex_to_unicode(get(item, "volume"), prose=False, markup=False)

        field_text = partial(get, item)
        record_fields.read_numbers(field_text, values, entry, warnings)
        self._read_date(item, entry)
        record_fields.read_date_text(field_text, values, entry, warnings)
        self._read_identifiers(item, entry)
        record_fields.read_container_fields(field_text, values, entry, booktitle_is_journal)
        record_fields.read_eprint(field_text, values, entry)
        if entry.note:
            note, state = readers.split_state_note(entry.note)
            if state and (entry.state == state or entry.year is None):
                entry.note, entry.state = note, state

        if "issn" in values or "eissn" in values:
            for name in ("issn", "eissn"):
                issns, issn_warnings = readers.parse_issns(get(item, name))
                warnings.extend(issn_warnings)
                entry.issns.extend(issn for issn in issns if issn not in entry.issns)
        language_field = "language" if "language" in values else "langid"
        if language_field in values:
            entry.language, language_warnings = readers.parse_language(get(item, language_field))
            warnings.extend(language_warnings)
        if "keywords" in values:
            entry.keywords = readers.parse_keywords(get(item, "keywords"))

        if "author" in values:
            entry.authors, entry.et_al, name_warnings = parse_names_with_warnings(
                get(item, "author")
            )
            warnings.extend(name_warnings)
        entry.contributors = read_contributors(field_text, values, warnings)
        entry.editors = list(entry.contributors.get("editor", ()))
        record_fields.check_math(field_text, values, item.raw, warnings)

        entry.warnings = [
            Problem(
                line=item.line,
                key=item.key,
                message=message,
                severity="warning",
                source=self.source,
            )
            for message in warnings
        ]
        return entry

    def _read_date(self, item: _Pending, entry: Entry) -> None:
        """Read year, month, day and publication state (from date, year/month, pubstate)."""
        get = self._value
        values = item.values
        warnings = item.warnings
        year = month = day = None
        state = ""
        if "date" in values:
            year, month, day, date_warnings = readers.parse_date(get(item, "date"))
            warnings.extend(date_warnings)
        if year is None and "year" in values:
            year, state, year_warnings = readers.parse_year(get(item, "year"))
            warnings.extend(year_warnings)
            if "month" in values:
                month, day, month_warnings = readers.parse_month(get(item, "month"))
                warnings.extend(month_warnings)
        elif month is None and "month" in values:
            month, day, month_warnings = readers.parse_month(get(item, "month"))
            warnings.extend(month_warnings)
        if "pubstate" in values:
            state = readers.parse_pubstate(get(item, "pubstate")) or state
        if month is not None and year is None:
            warnings.append("A month without a year was left empty.")
            month = day = None
        day, day_warnings = readers.check_day(year, month, day)
        warnings.extend(day_warnings)
        entry.year, entry.month, entry.day = year, month, day
        if state:
            entry.state = state

    def _read_identifiers(self, item: _Pending, entry: Entry) -> None:
        """Read DOI, URL and PMID (never LaTeX-decoded)."""
        get = self._value
        values = item.values
        warnings = item.warnings
        if "doi" in values:
            entry.doi, doi_warnings = readers.parse_doi(get(item, "doi"))
            warnings.extend(doi_warnings)
        url_value = get(item, "url")
        if not url_value and "howpublished" in values:
            howpublished = get(item, "howpublished")
            if "\\url" in howpublished or howpublished.strip().startswith("http"):
                url_value = howpublished
        if url_value:
            entry.url, url_warnings = readers.parse_url(url_value)
            warnings.extend(url_warnings)
            if not entry.doi and entry.url:
                entry.doi = readers.doi_from_url(entry.url)
        if "pmid" in values:
            entry.pmid, pmid_warnings = readers.parse_pmid(get(item, "pmid"))
            warnings.extend(pmid_warnings)
        elif "eprint" in values and get(item, "eprinttype").strip().lower() == "pubmed":
            entry.pmid, pmid_warnings = readers.parse_pmid(get(item, "eprint"))
            warnings.extend(pmid_warnings)

    def _problem(self, item: _Pending, message: str) -> Problem:
        return Problem(
            line=item.line,
            key=item.key,
            message=message,
            raw=_truncate(item.raw),
            severity="error",
            source=self.source,
        )


def _check_entry_density(text: str) -> None:
    """Raise BibTeXError for text made of thousands of tiny `@x{` starts (garbage, not BibTeX).

    Every entry start costs the splitter some microseconds whatever its size, so a few MB
    of `@a{` would keep a worker busy for minutes; no real entry is that short. Each entry
    read also costs memory whatever its size: past MAX_THIN_ENTRIES, entries must average
    MIN_AVERAGE_ENTRY characters.
    """
    ats = text.count("@")
    if ats * _MIN_ENTRY_SIZE <= len(text) and (
        ats <= MAX_THIN_ENTRIES or ats * MIN_AVERAGE_ENTRY <= len(text)
    ):
        return
    starts = sum(1 for _match in _BLOCK_START.finditer(text))
    if starts > _MAX_TINY_ENTRIES and starts * _MIN_ENTRY_SIZE > len(text):
        raise BibTeXError(
            "This file does not look like a BibTeX file: it has "
            f"{starts:,} `@` entry starts in {len(text):,} characters."
        )
    if starts > MAX_THIN_ENTRIES and starts * MIN_AVERAGE_ENTRY > len(text):
        raise BibTeXError(
            f"it has {starts:,} entries averaging {len(text) // starts:,} characters: a file "
            f"of more than {MAX_THIN_ENTRIES:,} entries must average at least "
            f"{MIN_AVERAGE_ENTRY} characters an entry (real files average hundreds). "
            "Split it into smaller files."
        )


def _evaluate(
    raw: str, macros: dict[str, str], limits: _Limits | None = None
) -> tuple[str, list[str], str]:
    """Return (text, undefined macro names, swallowed field name) for a raw field value.

    The value is `{...}`, `"..."`, a number or a macro name, or several of them
    joined with `#`. With `limits`, _ValueTooLong is raised as soon as the parts
    pass the field length (before they are joined), or when a refused @string is
    used, and every macro substituted is spent from the parse's budget
    (_ExpansionSpent when it runs out).
    """
    raw = raw.strip()
    if not raw:
        return "", [], ""
    first = raw[0]
    if "#" not in raw and "=" not in raw:
        last = raw[-1]
        if first == "{" and last == "}":
            return raw[1:-1], [], ""
        if first == '"' and last == '"' and len(raw) > 1:
            return raw[1:-1], [], ""
        if raw.isdigit():
            return raw, [], ""
    parts: list[str] = []
    undefined: list[str] = []
    previous_word = ""
    index = 0
    length = len(raw)
    size = 0  # characters in parts
    limit = limits.field_length if limits is not None else sys.maxsize
    while index < length:
        char = raw[index]
        if char in " \t\n#":
            index += 1
            continue
        if char == "{":
            end = _closing_brace(raw, index)
            part = raw[index + 1 : end]
            index = end + 1
        elif char == '"':
            end = _closing_quote(raw, index)
            part = raw[index + 1 : end]
            index = end + 1
        elif char == "=":
            return "".join(parts), undefined, previous_word or "?"
        elif char == "}" or char == ",":
            index += 1
            continue
        else:
            match = _WORD.match(raw, index)
            word = match.group() if match else char
            index = match.end() if match else index + 1
            previous_word = word
            if word.isdigit():
                part = word
            else:
                lowered = word.lower()
                part = macros.get(lowered)
                if part is None:
                    if limits is not None and lowered in limits.refused:
                        raise _ValueTooLong(lowered)
                    undefined.append(word)
                    continue
                if limits is not None:
                    limits.spend(len(part))
        size += len(part)
        if size > limit:
            raise _ValueTooLong()
        parts.append(part)
    return "".join(parts), undefined, ""


def _swallowed_field(raw: str) -> str:
    """Return the name of a field that ran into this value (a `name =` outside braces), or ""."""
    _text, _undefined, swallowed = _evaluate(raw, {})
    return swallowed


def _closing_brace(text: str, start: int) -> int:
    """Return the index of the `}` closing the `{` at `start`, or the end of the text."""
    depth = 0
    for match in _BRACE.finditer(text, start):
        if match.group() == "{":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return match.start()
    return len(text)


def _closing_quote(text: str, start: int) -> int:
    """Return the index of the `"` closing the one at `start` (quotes in braces do not count)."""
    depth = 0
    for match in _BRACE_OR_QUOTE.finditer(text, start + 1):
        char = match.group()
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(depth - 1, 0)
        elif depth == 0:
            return match.start()
    return len(text)


def _max_depth(text: str) -> int:
    """Return the deepest nesting of `{...}` in `text`."""
    depth = deepest = 0
    for match in _BRACE.finditer(text):
        if match.group() == "{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(depth - 1, 0)
    return deepest


_KEY_MISSING = "the citation key is missing."
_HEAD_BEFORE_EQUALS = re.compile(r"@\w*[ \t]*[{(]([^=,{}]*)=")
_REASONS = (
    ("Unexpectedly reached end of file", "the file ends inside it (a `}` is missing)."),
    (
        "Was still looking for field-value closing `}`",
        "a field value is not closed (a `}` is missing) before the next entry starts.",
    ),
    (
        'Was still looking for field-value closing `"`',
        'a field value is not closed (a `"` is missing) before the next entry starts.',
    ),
    (
        "Was still looking for field-value closing `,`",
        "a field value runs into the next entry (a `}` is missing at the end).",
    ),
    ("Was still looking for closing bracket", "it is not closed before the next entry starts."),
    ("Expected comma after entry key, but found =", _KEY_MISSING),
    ("Expected comma after entry key", "there is no comma after the citation key."),
    ("after entry key `", "a field has a name but no `=` and no value."),
    (
        "Expected a `=` after entry key",
        "a field name is not followed by `=` (or a comma is missing).",
    ),
    ("after a closed entry field value", "a comma is missing after a field value."),
)


def _plain_reason(abort_reason: str) -> str:
    """Return bibtexparser's abort reason in plain words."""
    for fragment, plain in _REASONS:
        if fragment in abort_reason:
            return plain
    return abort_reason.strip().rstrip(".") + "."


def _truncate(raw: str) -> str:
    return raw if len(raw) <= MAX_RAW else raw[:MAX_RAW] + "\n[... truncated]"


def _short(value: str, limit: int = 80) -> str:
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
