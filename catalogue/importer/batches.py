"""Running an import as a batch: at once, or stored and run by jobs (web, `--background`).

One import is one transaction, serialised with other imports (a PostgreSQL advisory lock; SQLite
serialises writers itself), and planned again inside it, so concurrent imports of overlapping
files never create one DOI twice and a failure leaves the catalogue exactly as before.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from catalogue.formats import bibtex
from catalogue.importer import backlog
from catalogue.importer.common import (
    ImportDatabaseError,
    ImportFileError,
    ImportStateError,
    Progress,
    check_on_duplicate,
    chunks,
    database_errors,
    gc_paused,
)
from catalogue.importer.matching import plan_import
from catalogue.importer.plan import ImportPlan, NewRow, PlanItem, ReportRow
from catalogue.importer.sources import check_size, parse_source
from catalogue.importer.writing import insert_values, lock_imports, write_plan
from catalogue.models import (
    ImportAction,
    ImportBatch,
    ImportJob,
    ImportPreviewRow,
    ImportStatus,
    JobKind,
    JobState,
    Journal,
    OnDuplicate,
)
from catalogue.topics.weighting import RecordText

if TYPE_CHECKING:
    from catalogue.topics.store import PreparedMentions

# How long an upload awaiting confirmation is kept.
PENDING_LIFETIME = datetime.timedelta(days=7)
# The states of an upload awaiting confirmation: stored, and maybe previewed.
AWAITING = (ImportStatus.PENDING, ImportStatus.PREVIEWED)
# A source with something besides white space.
_NOT_BLANK = re.compile(rb"\S")


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
    committed: Callable[[], None] | None = None,
) -> ImportBatch:
    """Plan again and write inside one locked transaction; record a failure outside it.

    `committed()` is called once the records are committed, before the work done after the
    commit (backlog.py): the job's stop signal no longer interrupts from then on.

    A new (unsaved) batch is saved inside the transaction, so that a killed process leaves no
    trace at all, and a failure is recorded as a failed batch (and raised as it is). A stored
    pending batch (the web) is checked, under the lock, to be still pending; when it fails it
    stays pending with its source, and the error recorded, so that the librarian can confirm
    again; a database error (Django's or a driver's own, such as a failed COPY) is then raised
    as ImportDatabaseError.
    """
    # On PostgreSQL, outside a caller's transaction, the search index and research topics
    # of the records are done after the commit, in batches (backlog.py): first any an
    # interrupted import left.
    deferred = backlog.defers()
    if deferred:
        backlog.finish_after_commit()
    prepared: PreparedMentions | None = None
    try:
        batch, plan, prepared = _write_locked(
            batch=batch,
            result=result,
            progress=progress,
            expected=expected,
            confirmed_by=confirmed_by,
            deferred=deferred,
        )
        if committed is not None:
            committed()
        if deferred:
            # The records are committed: a failure here leaves the work in the backlog, for
            # the next import or a run again of the job, and does not make the import a
            # failure.
            if prepared is not None:
                prepared.publish()  # the fingerprinting waits for it, the search index does not
            backlog.finish_after_commit(progress=progress)
    finally:
        if prepared is not None:
            prepared.close()
    batch.plan = plan
    return batch


def _write_locked(
    *,
    batch: ImportBatch,
    result: bibtex.ParseResult,
    progress: Progress | None,
    expected: Sequence[str],
    confirmed_by: Any,
    deferred: bool,
) -> tuple[ImportBatch, ImportPlan, PreparedMentions | None]:
    """Plan and write the batch in its locked transaction (see _execute); return the batch, its
    plan, and the new records' mentions being found ahead for research topics (deferred)."""
    stored = batch.pk is not None
    prepared: PreparedMentions | None = None
    try:
        with transaction.atomic():
            lock_imports()
            if deferred:
                backlog.start_deferring()
            if stored:
                status = locked_status(batch.pk)
                if status not in expected:
                    raise ImportStateError(_state_message(batch.pk, status))
            else:
                batch.save()
            plan = plan_import(result, on_duplicate=batch.on_duplicate, progress=progress)
            with gc_paused():
                if deferred:
                    # Found by a thread while the database writes (the work after the commit
                    # then only weighs them); never inside a caller's transaction or SQLite.
                    from catalogue.topics.store import PreparedMentions  # imports the importer

                    prepared = PreparedMentions(texts_to_fingerprint(plan))
                write_plan(plan=plan, batch=batch, progress=progress, defer=deferred)
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
        if prepared is not None:
            prepared.close()
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
    return batch, plan, prepared


def texts_to_fingerprint(plan: ImportPlan) -> list[RecordText]:
    """Return the text research topics will read back of each record the plan creates (title,
    abstract, keywords' stored terms in the order linked; an import sets no subject areas),
    leaving out any whose keyword's stored term is not known here."""
    texts = []
    for item in plan.items:
        if item.action not in (ImportAction.CREATED, ImportAction.PROBABLE_DUPLICATE):
            continue
        values = item.article.values
        terms = [
            ref.values["term"] if isinstance(ref, NewRow) else plan.keyword_terms.get(ref)
            for ref in item.keywords
        ]
        if None not in terms:
            texts.append(RecordText(values["title"], values["abstract"], terms, []))
    return texts


def locked_status(pk: int) -> str:
    """Return the batch's status, its row locked until the transaction ends."""
    return ImportBatch.objects.select_for_update().values_list("status", flat=True).get(pk=pk)


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


# --- web flow: stored batches, run by jobs (catalogue/importer/jobs.py) ------------------------


def prepare_import(
    *, data: bytes, filename: str, user: Any, on_duplicate: str = OnDuplicate.SKIP
) -> ImportBatch:
    """Return a saved pending batch holding `data`, its preview job queued.

    Only the size and emptiness are checked here (ImportFileError); the job parses and plans
    the file once and stores the preview, or records why the file cannot be imported.
    """
    batch, _job = _store_with_job(
        data=data,
        filename=filename,
        user=user,
        on_duplicate=on_duplicate,
        status=ImportStatus.PENDING,
        kind=JobKind.PREVIEW,
    )
    # Uploads never confirmed nor cancelled keep their bytes in the database: forget old ones,
    # as the pages see them (expired at PENDING_LIFETIME, inclusive), without reading them.
    from catalogue.importer.expiry import expire_previews  # expiry imports this module

    expire_previews()
    return batch


def store_preview(
    *,
    batch: ImportBatch,
    plan: ImportPlan,
    encoding: str = "",
    still_current: Callable[[], bool] = lambda: True,
    progress: Progress | None = None,
) -> bool:
    """Store the plan's report rows and counts as the batch's preview; return whether stored.

    Nothing is stored when the batch is no longer awaiting confirmation or `still_current()`
    says this job was superseded (checked with the batch row locked).
    """
    values = preview_values(batch=batch, plan=plan)
    with transaction.atomic():
        status = locked_status(batch.pk)
        if status not in AWAITING or not still_current():
            return False
        ImportPreviewRow.objects.filter(batch_id=batch.pk).delete()
        for start in range(0, len(values), 5000):
            insert_values(ImportPreviewRow, PREVIEW_COLUMNS, values[start : start + 5000])
            if progress is not None:
                progress("storing", min(start + 5000, len(values)), len(values))
        _apply_plan_summary(batch, plan)
        batch.encoding = (encoding or batch.encoding)[:50]
        batch.status = ImportStatus.PREVIEWED
        batch.save(
            update_fields=[
                "status",
                "encoding",
                "entry_count",
                "problems",
                *ImportPlan.COUNT_FIELDS,
            ]
        )
    return True


PREVIEW_COLUMNS = [
    "batch_id",
    "position",
    "line",
    "key",
    "action",
    "title",
    "message",
    "raw",
    "article_ref",
    "similar_ref",
    "in_source",
    "et_al",
    "name_doubts",
    "output_type",
    "year",
    "doi",
    "container",
    "authors",
]


def preview_values(*, batch: ImportBatch, plan: ImportPlan) -> list[tuple[Any, ...]]:
    """Return the database values of the preview rows: the report rows, and what each parsed to."""
    items: dict[tuple[Any, ...], deque[PlanItem]] = defaultdict(deque)
    for item in plan.items:
        items[(item.source, item.line, item.key, item.action)].append(item)
    journal_ids = {item.journal for item in plan.items if isinstance(item.journal, int)}
    journals: dict[int, str] = {}
    for chunk in chunks(sorted(journal_ids)):
        journals.update(Journal.objects.filter(pk__in=chunk).values_list("pk", "title"))
    values = []
    for position, row in enumerate(plan.rows(), start=1):
        queue = items.get((row.source, row.line, row.key, row.action))
        item = queue.popleft() if queue else None
        fields = item.fields if item is not None else {}
        container = ""
        if item is not None:
            if isinstance(item.journal, int):
                container = journals.get(item.journal, "")
            elif item.journal is not None:
                container = str(item.journal.values.get("title", ""))
            container = container or str(fields.get("book_title") or "")
        values.append(
            (
                batch.pk,
                position,
                row.line,
                row.key[:255],
                row.action,
                row.title,
                row.message,
                row.raw,
                row.article_id,
                row.similar_to_id,
                row.in_source,
                row.et_al,
                json.dumps(row.name_doubts) if row.name_doubts else None,
                str(fields.get("output_type") or "")[:30],
                fields.get("year"),
                str(fields.get("doi") or "")[:255],
                container,
                json.dumps([_printed(name) for name in item.author_names]) if item else None,
            )
        )
    return values


def _printed(name: Sequence[str]) -> str:
    """Return a printed name (family, given, particle, suffix, corporate) as people read it."""
    family, given, particle, suffix, corporate = (list(name) + [""] * 5)[:5]
    if corporate:
        return corporate
    text = " ".join(part for part in (given, particle, family) if part)
    return f"{text}, {suffix}" if suffix else text


def preview_rows(*, batch: ImportBatch) -> Any:
    """Return the stored preview rows of a batch (a queryset, in source order)."""
    return ImportPreviewRow.objects.filter(batch_id=batch.pk).order_by("position")


def report_row(*, row: ImportPreviewRow, filename: str) -> ReportRow:
    """Return a stored preview row as the ReportRow the pages show."""
    return ReportRow(
        source=filename,
        line=row.line,
        key=row.key,
        action=row.action,
        title=row.title,
        message=row.message,
        raw=row.raw,
        article_id=row.article_ref,
        similar_to_id=row.similar_ref,
        in_source=row.in_source,
        et_al=row.et_al,
        name_doubts=[tuple(doubt) for doubt in row.name_doubts or []],
    )


def fail_preview(*, batch: ImportBatch, message: str) -> None:
    """Record that the upload cannot be imported at all: failed, its file forgotten."""
    ImportBatch.objects.filter(pk=batch.pk, status__in=AWAITING).update(
        status=ImportStatus.FAILED, error=message[:2000], source=b"", finished=timezone.now()
    )


def fail_import(*, batch: ImportBatch, reason: str) -> None:
    """Record a confirmed batch as failed (nothing written), its file forgotten."""
    ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.IMPORTING).update(
        status=ImportStatus.FAILED, error=reason[:2000], source=b"", finished=timezone.now()
    )
    batch.status = ImportStatus.FAILED
    batch.error = reason[:2000]


def back_to_awaiting(*, batch: ImportBatch, reason: str) -> None:
    """Leave a batch whose import failed awaiting confirmation again, with its file and error."""
    previewed = ImportPreviewRow.objects.filter(batch_id=batch.pk).exists()
    status = ImportStatus.PREVIEWED if previewed else ImportStatus.PENDING
    ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.IMPORTING).update(
        status=status, error=reason[:2000]
    )
    batch.status = status
    batch.error = reason[:2000]


def forget_preview(*, batch: ImportBatch) -> None:
    """Delete the stored preview of a batch that no longer awaits confirmation."""
    ImportPreviewRow.objects.filter(batch_id=batch.pk).delete()


def confirm_import(*, batch: ImportBatch, user: Any = None) -> ImportBatch:
    """Return the batch confirmed: its import job queued (`user` is recorded as confirming).

    The job plans again and writes inside the lock (`_execute`). Raises ImportStateError when
    the batch no longer awaits confirmation.
    """
    from catalogue.importer import jobs

    with transaction.atomic():
        status = locked_status(batch.pk)
        if status not in AWAITING:
            raise ImportStateError(_state_message(batch.pk, status))
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.IMPORTING, error="")
        jobs.enqueue_job(batch=batch, kind=JobKind.IMPORT, user=_person(user))
    batch.status = ImportStatus.IMPORTING
    batch.error = ""
    return batch


def queue_import(
    *,
    data: bytes,
    filename: str,
    user: Any = None,
    on_duplicate: str = OnDuplicate.SKIP,
    enqueue: bool = True,
) -> tuple[ImportBatch, ImportJob]:
    """Return a stored batch, confirmed at once, and its import job (the command line).

    Only the size and emptiness are checked here; the job parses, plans and writes. The job is
    queued for the worker, or (`enqueue=False`) left for the caller to run in the foreground.
    """
    return _store_with_job(
        data=data,
        filename=filename,
        user=user,
        on_duplicate=on_duplicate,
        status=ImportStatus.IMPORTING,
        kind=JobKind.IMPORT,
        enqueue=enqueue,
    )


def _store_with_job(
    *,
    data: bytes,
    filename: str,
    user: Any,
    on_duplicate: str,
    status: str,
    kind: str,
    enqueue: bool = True,
) -> tuple[ImportBatch, ImportJob]:
    """Return a new batch holding `data` in `status`, saved with its job of `kind`.

    Only the size and emptiness are checked (ImportFileError): the job does the rest.
    """
    from catalogue.importer import jobs

    check_size(size=len(data), filename=filename)
    if not _NOT_BLANK.search(data):
        raise ImportFileError(f"{filename} is empty.")
    batch = _new_batch(
        data=data, filename=filename, user=user, on_duplicate=on_duplicate, status=status
    )
    batch.source = data
    with transaction.atomic():
        batch.save()
        job = jobs.enqueue_job(batch=batch, kind=kind, user=batch.user, enqueue=enqueue)
    return batch, job


def cancel_import(*, batch: ImportBatch, user: Any = None) -> ImportBatch:
    """Return the batch cancelled: its stored source forgotten, who cancelled it recorded.

    An import whose job stopped (its worker died, or it failed) can be cancelled too; one
    queued or running cannot.
    """
    from catalogue.importer import jobs

    job = ImportJob.objects.filter(batch_id=batch.pk, kind=JobKind.IMPORT).first()
    if (
        batch.status == ImportStatus.IMPORTING
        and job is not None
        and not jobs.describe_job(job).can_retry
    ):
        raise ImportStateError(
            f"Import #{batch.pk} is being imported now; it can no longer be cancelled."
        )
    with transaction.atomic():
        status = locked_status(batch.pk)
        if status not in (*AWAITING, ImportStatus.IMPORTING):
            label = ImportStatus(status).label.lower() if status in ImportStatus.values else status
            raise ImportStateError(
                f"Import #{batch.pk} is {label}; only an import awaiting confirmation can be "
                "cancelled."
            )
        for other in ImportJob.objects.filter(batch_id=batch.pk).exclude(
            state__in=[JobState.SUCCEEDED, JobState.FAILED]
        ):
            jobs._abandon_task(other.task_id)
            ImportJob.objects.filter(pk=other.pk).update(
                state=JobState.FAILED, finished=timezone.now(), error="Cancelled."
            )
        ImportPreviewRow.objects.filter(batch_id=batch.pk).delete()
        batch.status = ImportStatus.CANCELLED
        batch.source = b""
        batch.cancelled = timezone.now()
        batch.cancelled_by = _person(user)
        batch.save(update_fields=["status", "source", "cancelled", "cancelled_by"])
    return batch


def _person(user: Any) -> Any:
    """Return `user` when it is a logged-in user, else None (anonymous or the command line)."""
    return user if user is not None and user.is_authenticated else None
