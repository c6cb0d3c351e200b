"""Benchmark the importer's LaTeX decoder against pylatexenc on the field values of real files.

Usage: .venv/bin/python bench/latex_decode.py [FILE_OR_DIR ...] [--repeat N]

For each file or directory (default: the corpus below), takes every field value the importer decodes
(not names, and never url, doi, file, eprint, isbn, issn: those stay verbatim), as bibtexparser
splits them with its default middlewares, and decodes them all with
`catalogue.formats.bibtex.latex_to_unicode` (its cache cleared before each run) and with
`pylatexenc.latex2text.LatexNodes2Text().latex_to_text`. Prints values, kB, seconds (ours: best
of N; pylatexenc, minutes on the large file: one run) and kB/s for each, the speed ratio, and
how many values pylatexenc loses text from: a bare `&` (read as a table column separator and
dropped), `%` (read as a comment, which cuts URLs and "100%"), or a whole unknown command with
its argument (`\\texttt{x}`, `\\TeX`). No database is needed; pylatexenc is a test
requirement (requirements-dev.txt).
"""

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bibtexparser
from pylatexenc.latex2text import LatexNodes2Text

from catalogue.formats.bibtex import latex
from catalogue.formats.bibtex.latex import latex_to_unicode

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "bibtex"
# A directory is one row: the values of all its .bib files together.
DEFAULT_SOURCES = [
    CORPUS / "large-16k-entries.bib",
    CORPUS / "tugboat.bib",
    CORPUS / "jabref",
    CORPUS / "pybtex",
]
# Fields the importer keeps verbatim or splits as names before decoding.
SKIPPED = {"url", "doi", "file", "eprint", "isbn", "issn", "author", "editor"}
UNKNOWN_COMMAND = re.compile(r"\\(?:texttt|mbox|TeX|LaTeX|url)\b")


def field_values(path: Path) -> list[str]:
    """Return the decodable field values of a .bib file (or a directory of them), in order."""
    if path.is_dir():
        return [value for file in sorted(path.rglob("*.bib")) for value in field_values(file)]
    text = path.read_bytes().decode("utf-8", "replace")
    library = bibtexparser.parse_string(text)
    return [
        field.value
        for entry in library.entries
        for field in entry.fields
        if field.key.lower() not in SKIPPED and isinstance(field.value, str) and field.value
    ]


def best_of(repeat: int, run) -> float:
    """Return the fastest of `repeat` timed runs of `run()`, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def ours(values: list[str]) -> list[str]:
    """Return the values decoded by the importer's decoder, from a cold cache."""
    latex._decode_cached.cache_clear()
    return [latex_to_unicode(value) for value in values]


def theirs(values: list[str]) -> list[str]:
    """Return the values decoded by pylatexenc."""
    converter = LatexNodes2Text()
    return [converter.latex_to_text(value) for value in values]


def losses(values: list[str], decoded: list[str], reference: list[str]) -> dict[str, int]:
    """Return how many values lost a bare `&`, a `%`, or a command's text (vs `reference`)."""
    counts = {"&": 0, "%": 0, "command": 0}
    for value, out, kept in zip(values, decoded, reference, strict=True):
        bare_ampersands = len(re.findall(r"(?<!\\)&", value))
        if bare_ampersands and out.count("&") < value.count("&"):
            counts["&"] += 1
        if "%" in value and "%" not in out:
            counts["%"] += 1
        if UNKNOWN_COMMAND.search(value) and _letters(out) < _letters(kept):
            counts["command"] += 1
    return counts


def _letters(text: str) -> int:
    return sum(char.isalnum() for char in text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    sources = options.sources or [path for path in DEFAULT_SOURCES if path.exists()]
    totals = {"values": 0, "bytes": 0, "ours": 0.0, "theirs": 0.0}
    ratios = []
    print(
        f"{'source':<34} {'values':>7} {'kB':>7} {'ours s':>8} {'kB/s':>8} "
        f"{'pylatexenc s':>12} {'kB/s':>7} {'faster':>7}  pylatexenc loses (&, %, command)"
    )
    for path in sources:
        values = field_values(path)
        if not values:
            continue
        size = sum(len(value.encode("utf-8")) for value in values)
        our_time = best_of(options.repeat, lambda values=values: ours(values))
        started = time.perf_counter()
        their_output = theirs(values)
        their_time = time.perf_counter() - started
        our_output = ours(values)
        lost = losses(values, their_output, our_output)
        ours_lost = losses(values, our_output, their_output)
        ratio = their_time / our_time
        ratios.append(ratio)
        totals["values"] += len(values)
        totals["bytes"] += size
        totals["ours"] += our_time
        totals["theirs"] += their_time
        print(
            f"{path.name[:34]:<34} {len(values):>7,} {size / 1000:>7.0f} {our_time:>8.3f} "
            f"{size / 1000 / our_time:>8,.0f} {their_time:>12.3f} "
            f"{size / 1000 / their_time:>7,.0f} {ratio:>6.0f}x  "
            f"{lost['&']}, {lost['%']}, {lost['command']}"
            + (
                f"  (ours: {ours_lost['&']}, {ours_lost['%']}, {ours_lost['command']})"
                if any(ours_lost.values())
                else ""
            )
        )
    if ratios:
        print(
            f"\nall: {totals['values']:,} values, {totals['bytes'] / 1000:,.0f} kB; "
            f"ours {totals['ours']:.2f} s, pylatexenc {totals['theirs']:.2f} s "
            f"({totals['theirs'] / totals['ours']:.0f}x overall); "
            f"per file {min(ratios):.0f}-{max(ratios):.0f}x faster"
        )


if __name__ == "__main__":
    main()
