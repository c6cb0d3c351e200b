"""Benchmark catalogue.formats.bibtex.parse_bytes against bibtexparser's own parse_string.

Usage: .venv/bin/python bench/bibtex_parse.py [FILE] [--repeat N]

Prints entries, problems, seconds (best of N, wall and CPU), entries per second and peak
memory (tracemalloc, measured in a separate run because tracing slows parsing down).
No database is needed.
"""

import argparse
import gc
import random
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bibtexparser

from catalogue.formats.bibtex import BibTeXError, decode_bytes, parse_bytes, parse_text

DEFAULT_FILE = (
    Path(__file__).resolve().parents[2] / "shared" / "corpus" / "bibtex" / "large-16k-entries.bib"
)

# Hostile inputs the importer must refuse quickly (the unit tests check the messages).
HOSTILE = {
    "10 MB single field": lambda: parse_text(
        "@article{big, title={" + "word " * 2_000_000 + "}}\n@article{ok, title={T}}\n"
    ),
    "5,000 nested braces": lambda: parse_text(
        "@article{deep, title={" + "{" * 5000 + "x" + "}" * 5000 + "}}\n"
    ),
    "5,000 unclosed braces": lambda: parse_text("@article{k, title=" + "{" * 5000),
    "1 MB random bytes": lambda: decode_bytes(random.Random(3).randbytes(1_000_000)),
    # Issue 16, finding 1: a field that only grows past the limit once macros are expanded.
    "30 doubling @strings (1 GB expanded)": lambda: parse_text(
        '@string{a0 = "xxxxxxxxxx"}\n'
        + "".join(f"@string{{a{n} = a{n - 1} # a{n - 1}}}\n" for n in range(1, 31))
        + "@article{big, title = a30}\n@article{ok, title={T}}\n"
    ),
}


def timed(function, repeat: int):
    """Return (result, best wall seconds, best CPU seconds) of `function()` run `repeat` times."""
    best_wall = best_cpu = float("inf")
    result = None
    for _ in range(repeat):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return result, best_wall, best_cpu


def peak_memory(function) -> int:
    """Return the peak of traced allocations, in bytes, while `function()` runs."""
    gc.collect()
    tracemalloc.start()
    function()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (best is shown)")
    args = parser.parse_args()

    data = args.file.read_bytes()
    text = data.decode("utf-8", errors="replace")
    print(f"{args.file.name}: {len(data) / 1e6:.1f} MB")

    result, wall, cpu = timed(lambda: parse_bytes(data, source=args.file.name), args.repeat)
    errors = sum(1 for problem in result.problems if problem.severity == "error")
    warnings = sum(len(entry.warnings) for entry in result.entries)
    entries = len(result.entries)
    memory = peak_memory(lambda: parse_bytes(data, source=args.file.name))
    print(
        f"catalogue.formats.bibtex.parse_bytes: {entries:,} entries, {errors:,} error problems, "
        f"{warnings:,} entry warnings, {result.source_entry_count:,} @entries in the source"
    )
    print(
        f"  {wall:.2f} s wall, {cpu:.2f} s CPU (best of {args.repeat}), "
        f"{entries / wall:,.0f} entries/s wall ({entries / cpu:,.0f}/s CPU), "
        f"peak memory {memory / 1e6:.0f} MB (tracemalloc)"
    )

    library, wall, cpu = timed(lambda: bibtexparser.parse_string(text), args.repeat)
    memory = peak_memory(lambda: bibtexparser.parse_string(text))
    print(
        f"bibtexparser.parse_string (default middlewares, no LaTeX decoding): "
        f"{len(library.entries):,} entries, {len(library.failed_blocks):,} failed blocks"
    )
    print(
        f"  {wall:.2f} s wall, {cpu:.2f} s CPU (best of {args.repeat}), "
        f"{len(library.entries) / wall:,.0f} entries/s wall "
        f"({len(library.entries) / cpu:,.0f}/s CPU), peak memory {memory / 1e6:.0f} MB"
    )

    print("hostile inputs (must answer with an error, not hang):")
    for label, function in HOSTILE.items():
        started = time.perf_counter()
        try:
            outcome = function()
            answer = f"{sum(p.severity == 'error' for p in outcome.problems)} error problem(s)"
        except BibTeXError as error:
            answer = f"BibTeXError: {str(error)[:60]}"
        print(f"  {label}: {time.perf_counter() - started:.2f} s, {answer}")


if __name__ == "__main__":
    main()
