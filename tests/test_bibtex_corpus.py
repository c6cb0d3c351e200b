"""Parse every real .bib file of the shared corpus: no crash, every `@entry` accounted for."""

import re
from pathlib import Path

import pytest
from bibtexparser.splitter import Splitter

from catalogue.formats.bibtex import decode_bytes, parse_bytes
from catalogue.formats.bibtex.splitter import split_fast
from tests.test_bibtex import split_summary

# shared/ sits beside the repository (in CI too); the tests skip when it is absent.
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "bibtex"
LARGE = "large-16k-entries.bib"
FILES = sorted(
    str(path.relative_to(CORPUS)) for path in CORPUS.rglob("*.bib") if path.name != LARGE
)

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"{CORPUS} is not here")

_START_OR_BRACE = re.compile(r"@(\w+)[ \t]*([{(])|[{}]")


def independent_entry_count(text: str) -> int:
    """Count `@type{` entry starts with a brace counter, without bibtexparser.

    A start counts at brace depth 0 or at the start of a line (where a parser
    recovers from an unclosed entry); @comment, @preamble and @string are not entries.
    """
    count = 0
    depth = 0
    for match in _START_OR_BRACE.finditer(text):
        token = match.group()
        if token == "{":
            depth += 1
        elif token == "}":
            depth = max(depth - 1, 0)
        else:
            line_start = text.rfind("\n", 0, match.start()) + 1
            if not text[line_start : match.start()].strip():
                depth = 0
            entry_type = match.group(1).lower()
            if depth == 0 and not entry_type.startswith(("comment", "preamble", "string")):
                count += 1
            if match.group(2) == "{":
                depth += 1
    return count


def check_accounted(data: bytes, name: str):
    result = parse_bytes(data, source=name)
    errors = [problem for problem in result.problems if problem.severity == "error"]
    assert len(result.entries) + len(errors) == result.source_entry_count
    text, _encoding = decode_bytes(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    assert result.source_entry_count == independent_entry_count(text)
    for problem in result.problems:
        assert problem.source == name
        assert problem.message
        assert problem.line >= 0
    for entry in result.entries:
        assert entry.title
        assert entry.line >= 1
    text = text.lstrip("\ufeff")
    fast = split_fast(text)
    if fast is not None:
        # The fast splitter, when it accepts a file, splits it exactly like bibtexparser.
        assert split_summary(fast) == split_summary(Splitter(text).split().blocks)
    return result


@pytest.mark.parametrize("name", FILES)
def test_corpus_file_parses_and_every_entry_is_accounted_for(name):
    check_accounted((CORPUS / name).read_bytes(), name)


def test_corpus_is_there():
    assert len(FILES) > 250


def test_large_file_is_fully_accounted_for():
    """The 10 MB, 16,572-entry file (its timing is in bench/bibtex_parse.py)."""
    data = (CORPUS / LARGE).read_bytes()
    result = check_accounted(data, LARGE)
    assert result.encoding == "utf-8"
    assert len(result.entries) == 16_572
    assert result.source_entry_count == 16_579
    assert len(result.problems) == 7
    for problem in result.problems:
        assert problem.severity == "error"
        assert problem.message.startswith(f"Duplicate citation key `{problem.key}`: the entry at")
