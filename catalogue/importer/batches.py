"""Running an import as a batch: at once (command), or pending until confirmed (web).

One import is one transaction, serialised with other imports (a PostgreSQL advisory lock; SQLite
serialises writers itself), and planned again inside it, so concurrent imports of overlapping
files never create one DOI twice and a failure leaves the catalogue exactly as before.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from catalogue.formats import bibtex
from catalogue.importer.common import (
    ImportDatabaseError,
    ImportStateError,
    Progress,
    check_on_duplicate,
    database_errors,
    gc_paused,
)
from catalogue.importer.matching import plan_import
from catalogue.importer.plan import ImportPlan
from catalogue.importer.sources import parse_source
from catalogue.importer.writing import lock_imports, write_plan
from catalogue.models import ImportBatch, ImportStatus, OnDuplicate

# How long an upload awaiting confirmation is kept.
PENDING_LIFETIME = datetime.timedelta(days=7)
# The states of an upload awaiting confirmation: stored, and maybe previewed.
_AWAITING = (ImportStatus.PENDING, ImportStatus.PREVIEWED)


def _new_batch(
    *, data: bytes, filename: str, user: Any, on_duplicate: str, status: str
) -> ImportBatch:
    check_on_duplicate(on_duplicate)
    return ImportBatch(
        user=user if user is not None and user.is_authenticated else None,
        filename=filename[:255],
        checksum=hashlib.sha256(data).hexdigest(),
        size=len(data),
        on_duplicate=on_duplicate,
        status=status,
    )


def _apply_plan_summary(batch: ImportBatch, plan: ImportPlan) -> None:
    for name, value in plan.counts.items():
        setattr(batch, name, value)
    batch.entry_count = plan.source_entry_count
    batch.problems = [
        {
            "line": problem.line,
            "key": problem.key,
            "message": problem.message,
            "raw": problem.raw,
            "severity": problem.severity,
            "source": problem.source,
        }
        for problem in plan.problems
    ]


def run_import(
    *,
    data: bytes,
    filename: str,
    user: Any = None,
    on_duplicate: str = OnDuplicate.SKIP,
    dry_run: bool = False,
    result: bibtex.ParseResult | None = None,
    progress: Progress | None = None,
) -> ImportBatch:
    """Return the batch recording the import of `data` (unsaved and unwritten on a dry run).

    The batch's `plan` attribute holds what was done (or would be done). Raises ImportFileError
    when the source cannot be imported at all; re-raises any error of the write phase after
    recording the batch as failed (the catalogue is then unchanged).
    """
    batch = _new_batch(
        data=data,
        filename=filename,
        user=user,
        on_duplicate=on_duplicate,
        status=ImportStatus.PREVIEWED if dry_run else ImportStatus.PENDING,
    )
    if result is None:
        if progress is not None:
            progress("parsing", 0, 1)
        result = parse_source(data=data, filename=filename)
    batch.encoding = result.encoding[:50]
    if dry_run:
        batch.plan = plan_import(result, on_duplicate=on_duplicate, progress=progress)
        _apply_plan_summary(batch, batch.plan)
        return batch
    return _execute(batch=batch, result=result, progress=progress, confirmed_by=batch.user)


def _execute(
    *,
    batch: ImportBatch,
    result: bibtex.ParseResult,
    progress: Progress | None = None,
    expected: Sequence[str] = (ImportStatus.PENDING,),
    confirmed_by: Any = None,
) -> ImportBatch:
    """Plan again and write inside one locked transaction; record a failure outside it.

    A new (unsaved) batch is saved inside the transaction, so that a killed process leaves no
    trace at all, and a failure is recorded as a failed batch (and raised as it is). A stored
    pending batch (the web) is checked, under the lock, to be still pending; when it fails it
    stays pending with its source, and the error recorded, so that the librarian can confirm
    again; a database error (Django's or a driver's own, such as a failed COPY) is then raised
    as ImportDatabaseError.
    """
    stored = batch.pk is not None
    try:
        with transaction.atomic():
            lock_imports()
            if stored:
                status = (
                    ImportBatch.objects.select_for_update()
                    .values_list("status", flat=True)
                    .get(pk=batch.pk)
                )
                if status not in expected:
                    raise ImportStateError(_state_message(batch.pk, status))
            else:
                batch.save()
            plan = plan_import(result, on_duplicate=batch.on_duplicate, progress=progress)
            with gc_paused():
                write_plan(plan=plan, batch=batch, progress=progress)
            _apply_plan_summary(batch, plan)
            batch.status = ImportStatus.COMPLETED
            batch.finished = batch.confirmed = timezone.now()
            batch.confirmed_by = confirmed_by
            batch.source = b""
            batch.error = ""
            batch.save()
    except ImportStateError:
        raise
    except BaseException as error:
        # The transaction is rolled back: record the failure in a write of its own.
        reason = f"{type(error).__name__}: {error}"[:2000]
        if stored:
            _keep_for_retry(batch, reason)
            if isinstance(error, database_errors()):
                raise ImportDatabaseError(reason) from error
            raise
        batch.pk = None
        batch._state.adding = True
        for name in ImportPlan.COUNT_FIELDS:
            setattr(batch, name, 0)
        batch.status = ImportStatus.FAILED
        batch.finished = timezone.now()
        batch.error = reason
        batch.source = b""
        batch.created_objects = {}
        batch.save()
        raise
    batch.plan = plan
    return batch


def _keep_for_retry(batch: ImportBatch, reason: str) -> None:
    """Record why confirming a stored batch failed, leaving it awaiting with its source."""
    # The in-memory batch was changed by the rolled-back attempt: write only the error.
    fresh = ImportBatch.objects.filter(pk=batch.pk).values("status", *ImportPlan.COUNT_FIELDS)
    ImportBatch.objects.filter(pk=batch.pk).update(error=reason)
    for name, value in (fresh.first() or {}).items():
        setattr(batch, name, value)
    batch.error = reason
    batch.finished = batch.confirmed = batch.confirmed_by = None


def _state_message(pk: int | None, status: str) -> str:
    label = ImportStatus(status).label.lower() if status in ImportStatus.values else status
    return f"Import #{pk} cannot be run again: it is already {label}."


# --- web flow: pending batches -----------------------------------------------------------------


def prepare_import(
    *, data: bytes, filename: str, user: Any, on_duplicate: str = OnDuplicate.SKIP
) -> ImportBatch:
    """Return a saved pending batch holding `data`, after checking that it parses."""
    batch = _new_batch(
        data=data,
        filename=filename,
        user=user,
        on_duplicate=on_duplicate,
        status=ImportStatus.PENDING,
    )
    result = parse_source(data=data, filename=filename)
    batch.encoding = result.encoding[:50]
    batch.entry_count = result.source_entry_count
    batch.source = data
    batch.save()
    # Uploads never confirmed nor cancelled keep their bytes in the database: forget old ones.
    ImportBatch.objects.filter(
        status__in=_AWAITING,
        created__lt=timezone.now() - PENDING_LIFETIME,
    ).delete()
    return batch


def preview_import(*, batch: ImportBatch) -> ImportPlan:
    """Return what confirming the pending batch would do against the catalogue as it is now."""
    if batch.status not in _AWAITING:
        raise ImportStateError(f"Import #{batch.pk} is {batch.get_status_display().lower()}.")
    result = parse_source(data=bytes(batch.source), filename=batch.filename)
    plan = plan_import(result, on_duplicate=batch.on_duplicate)
    _apply_plan_summary(batch, plan)
    batch.status = ImportStatus.PREVIEWED
    batch.save(update_fields=["status", "entry_count", "problems", *ImportPlan.COUNT_FIELDS])
    return plan


def confirm_import(*, batch: ImportBatch, user: Any = None) -> ImportBatch:
    """Return the batch after importing its stored source (planned again, inside the lock).

    The batch keeps its uploader (`user`); who confirmed it is recorded beside. Raises
    ImportDatabaseError when the database fails: the batch then stays pending with its source.
    """
    if batch.status not in _AWAITING:
        raise ImportStateError(_state_message(batch.pk, batch.status))
    result = parse_source(data=bytes(batch.source), filename=batch.filename)
    return _execute(
        batch=batch,
        result=result,
        expected=_AWAITING,
        confirmed_by=_person(user),
    )


def cancel_import(*, batch: ImportBatch, user: Any = None) -> ImportBatch:
    """Return the batch cancelled: its stored source forgotten, who cancelled it recorded."""
    with transaction.atomic():
        status = (
            ImportBatch.objects.select_for_update()
            .values_list("status", flat=True)
            .get(pk=batch.pk)
        )
        if status not in _AWAITING:
            label = ImportStatus(status).label.lower() if status in ImportStatus.values else status
            raise ImportStateError(
                f"Import #{batch.pk} is {label}; only an import awaiting confirmation can be "
                "cancelled."
            )
        batch.status = ImportStatus.CANCELLED
        batch.source = b""
        batch.cancelled = timezone.now()
        batch.cancelled_by = _person(user)
        batch.save(update_fields=["status", "source", "cancelled", "cancelled_by"])
    return batch


def _person(user: Any) -> Any:
    """Return `user` when it is a logged-in user, else None (anonymous or the command line)."""
    return user if user is not None and user.is_authenticated else None
