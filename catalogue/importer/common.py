"""What every part of the BibTeX import shares: limits, errors, progress, small helpers."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from catalogue.models import OnDuplicate

# Rows per IN (...) query: below SQLite's historical limit of 999 bound parameters.
CHUNK = 900
BULK_BATCH_SIZE = 1000
FAILED = "failed"
WARNING = "warning"

Progress = Callable[[str, int, int], None]


class ImportFileError(ValueError):
    """The source cannot be imported at all: unreadable, too big, binary, or without entries."""


class ImportStateError(ValueError):
    """The batch cannot be confirmed, cancelled or undone in its current state."""


class ImportDatabaseError(RuntimeError):
    """The database failed while an import was written: nothing was written; it can be retried."""


def database_errors() -> tuple[type[BaseException], ...]:
    """Return the exception classes of a database failure: Django's and the drivers' own.

    The drivers' COPY and raw-cursor APIs bypass Django's error mapping, so a failed COPY on
    PostgreSQL raises psycopg2's (or psycopg's) error, and SQLite can raise sqlite3's.
    """
    import sqlite3

    from django.db import DatabaseError

    errors: list[type[BaseException]] = [DatabaseError, sqlite3.Error]
    for module, name in (("psycopg2", "Error"), ("psycopg", "Error")):
        try:
            errors.append(getattr(__import__(module), name))
        except ImportError:
            continue
    return tuple(errors)


def check_on_duplicate(on_duplicate: str) -> None:
    """Raise ValueError unless `on_duplicate` is an OnDuplicate value."""
    if on_duplicate not in OnDuplicate.values:
        raise ValueError(f"on_duplicate must be one of {OnDuplicate.values}, not {on_duplicate!r}")


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the duration of the block."""
    # Parsing and matching allocate millions of objects that live until the import ends, and
    # each full collection would walk them all (about 20% of a large import's time).
    # Reference counting still frees everything else.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    """Yield `values` in slices of `size`, for IN (...) queries within the parameter limit."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def pk_of(ref: Any) -> int | None:
    """Return the id of an existing row given as an int, or of a (saved) new model instance."""
    if ref is None or isinstance(ref, int):
        return ref
    return ref.pk
