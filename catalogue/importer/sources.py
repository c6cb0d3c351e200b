"""Reading a BibTeX source (a file or an upload) within the size limit, and parsing it."""

from __future__ import annotations

import os

from catalogue import conf
from catalogue.formats import bibtex
from catalogue.importer.common import ImportFileError, gc_paused


def max_bytes() -> int:
    """Return the largest source size accepted, in bytes."""
    return conf.get("CATALOGUE_IMPORT_MAX_BYTES")


def check_size(*, size: int, filename: str) -> None:
    """Raise ImportFileError when a source of `size` bytes is over the limit."""
    limit = max_bytes()
    if size > limit:
        raise ImportFileError(
            f"{filename} is {human_size(size)}; the largest file accepted is {human_size(limit)}."
        )


def human_size(size: int) -> str:
    """Return a byte count for people: "512 bytes", "3.2 kB", "50.0 MB"."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} kB"
    return f"{size} bytes"


def read_file(*, path: str) -> bytes:
    """Return the bytes of the file at `path`, or raise ImportFileError saying why not."""
    try:
        if os.path.isdir(path):
            raise ImportFileError(f"{path} is a directory, not a BibTeX file.")
        check_size(size=os.path.getsize(path), filename=path)
        with open(path, "rb") as handle:
            data = handle.read(max_bytes() + 1)
    except FileNotFoundError:
        raise ImportFileError(f"{path}: no such file.") from None
    except PermissionError:
        raise ImportFileError(f"{path}: permission denied.") from None
    except OSError as error:
        raise ImportFileError(f"{path}: cannot be read ({error.strerror or error}).") from None
    check_size(size=len(data), filename=path)
    return data


def parse_source(*, data: bytes, filename: str) -> bibtex.ParseResult:
    """Return the parsed source, or raise ImportFileError when it holds nothing importable."""
    check_size(size=len(data), filename=filename)
    if not data.strip():
        raise ImportFileError(f"{filename} is empty.")
    try:
        with gc_paused():
            result = bibtex.parse_bytes(
                data,
                source=filename,
                max_field_length=conf.get("CATALOGUE_IMPORT_MAX_FIELD_LENGTH"),
                max_nesting=conf.get("CATALOGUE_IMPORT_MAX_NESTING"),
            )
    except bibtex.BibTeXError as error:
        raise ImportFileError(f"{filename}: {error}") from None
    if not result.source_entry_count and not result.entries:
        file_problems = [problem.message for problem in result.problems if problem.line == 0]
        reason = file_problems[0] if file_problems else "only comments or @string definitions?"
        raise ImportFileError(f"{filename} contains no BibTeX entries ({reason}).")
    return result
