"""Imports as background jobs (django-tasks, database backend): queue and run them.

An upload is stored and a *preview job* queued (`batches.prepare_import`); the job parses and
plans the file once and stores the preview's rows (`batches.store_preview`). Confirming queues
an *import job* (`batches.confirm_import`), which runs `batches._execute`: planned again and
written in one locked transaction. The worker is `python manage.py db_worker` (WORKER_COMMAND).

Each job has one ImportJob row (per batch and kind), created before the task is queued. While
it runs, the job writes its stage, counts and a heartbeat to that row through a database
connection of its own (`progress.Reporter`).

A worker killed (`kill -9`) leaves its task RUNNING for ever and the ImportJob "running": the
import's transaction is rolled back by the database, and `progress.describe_job` tells such a
job by its worker process (gone, on this host) or by its heartbeat (none for STALE_AFTER);
`rerun_job` queues it again, marking the abandoned task failed. A worker stopped with SIGTERM
(or Ctrl+C) rolls the import back at once and queues it again, so a restarted worker resumes
it. A task carries its job's attempt number: a stale or duplicate delivery does nothing, and
the import job checks the batch's state again under the lock.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskContext, task

from catalogue.importer import backlog, batches
from catalogue.importer.batches import locked_status
from catalogue.importer.common import ImportFileError, ImportStateError, Progress, database_errors
from catalogue.importer.matching import plan_import
from catalogue.importer.progress import Reporter, describe_job, process_token
from catalogue.importer.sources import parse_source
from catalogue.models import ImportBatch, ImportJob, ImportStatus, JobKind, JobState

logger = logging.getLogger(__name__)


class WorkerStopping(BaseException):
    """The job worker was asked to stop (SIGTERM, SIGINT) while an import ran: roll it back."""


class JobAbandoned(Exception):
    """Recorded on a task whose worker died, when its job is queued again."""


# --- queueing ----------------------------------------------------------------------------------


@task(takes_context=True)
def import_job(context: TaskContext, job_id: int, attempt: int) -> str:
    """The task the worker runs: the job function, for one attempt of one ImportJob."""
    outcome = run_job(
        job_id=job_id, attempt=attempt, task_id=str(context.task_result.id), in_worker=True
    )
    return outcome.outcome


def enqueue_job(
    *, batch: ImportBatch, kind: str, user: Any = None, enqueue: bool = True
) -> ImportJob:
    """Return the batch's job of `kind`, queued (again) with a new attempt number.

    Call inside the transaction that changes the batch's state, so that both or neither happen
    (the queue is a table of the same database). A task of an earlier attempt that is still
    queued or marked running (its worker died) is marked failed: no worker runs it again.
    Without `enqueue` no task is queued: the caller runs the job itself (`run_job`).
    """
    now = timezone.now()
    job, created = ImportJob.objects.get_or_create(
        batch=batch, kind=kind, defaults={"enqueued": now}
    )
    if not created:
        _abandon_task(job.task_id)
        job.attempt += 1
    job.state = JobState.QUEUED
    job.enqueued = now
    job.started = job.finished = job.heartbeat = None
    job.stage = job.worker = ""
    job.done = job.total = 0
    job.requested_by = user if user is not None and user.is_authenticated else None
    job.task_id = ""
    job.save()
    if not enqueue:
        return job
    result = import_job.enqueue(job_id=job.pk, attempt=job.attempt)
    job.task_id = str(result.id)
    ImportJob.objects.filter(pk=job.pk).update(task_id=job.task_id)
    return job


def _abandon_task(task_id: str) -> None:
    """Mark a task still queued or running failed, so that it stays out of the worker's way."""
    if not task_id:
        return
    from django_tasks_db.models import DBTaskResult

    try:
        DBTaskResult.objects.filter(
            id=task_id, status__in=[_task_status("READY"), _task_status("RUNNING")]
        ).update(
            status=_task_status("FAILED"),
            finished_at=timezone.now(),
            exception_class_path=f"{JobAbandoned.__module__}.{JobAbandoned.__qualname__}",
            traceback=(
                "JobAbandoned: replaced by a new attempt; the worker that ran this task stopped "
                "(killed or restarted) before it finished.\n"
            ),
        )
    except ValidationError:
        return


def _task_status(name: str) -> str:
    from django_tasks import TaskResultStatus

    return TaskResultStatus[name].value


def rerun_job(*, batch: ImportBatch, user: Any = None) -> ImportJob:
    """Return the batch's job queued again, after its worker stopped, died or failed.

    Raises ImportStateError when the batch has no job to run (completed, cancelled, awaiting
    confirmation with its preview) or its job is still queued or running.
    """
    with transaction.atomic():
        status = locked_status(batch.pk)
        if status == ImportStatus.IMPORTING:
            kind = JobKind.IMPORT
        elif status == ImportStatus.PENDING:
            kind = JobKind.PREVIEW
        elif status == ImportStatus.COMPLETED and backlog.pending(batch.pk):
            # Committed, but its worker stopped before the work after the commit was done
            # (backlog.py): the job runs again to do that work.
            kind = JobKind.IMPORT
        else:
            label = ImportStatus(status).label.lower() if status in ImportStatus.values else status
            raise ImportStateError(f"Import #{batch.pk} is {label}: it has no job to run again.")
        job = ImportJob.objects.filter(batch_id=batch.pk, kind=kind).first()
        if job is not None and not describe_job(job).can_retry:
            raise ImportStateError(
                f"Import #{batch.pk}: its job is still {job.get_state_display().lower()}; "
                "it can be run again once it has stopped."
            )
        return enqueue_job(batch=batch, kind=kind, user=user)


# --- running -----------------------------------------------------------------------------------


@dataclass
class JobOutcome:
    """What a job did: "completed", "previewed", "failed", "interrupted", "skipped", ..."""

    outcome: str
    batch: ImportBatch | None = None
    error: BaseException | None = None


def run_job(
    *,
    job_id: int,
    attempt: int,
    task_id: str = "",
    progress: Progress | None = None,
    result: Any = None,
    in_worker: bool = False,
) -> JobOutcome:
    """Run one attempt of a job: the worker's task calls this, `import_bibtex FILE` too.

    `progress` also receives every progress report (the command's progress bar); `result` is
    the already parsed source (the command parsed every file first). In the worker
    (`in_worker`), SIGTERM/SIGINT roll the import back and queue the job again; a failure of an
    import leaves the batch awaiting confirmation with its file, the error recorded. Outside
    the worker a failed import is recorded as failed (the command's contract) and its error is
    returned in the outcome.
    """
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return JobOutcome("gone")
    if job.attempt != attempt:
        return JobOutcome("superseded")
    if job.state not in (JobState.QUEUED, JobState.RUNNING):
        return JobOutcome(f"already {job.state}")
    now = timezone.now()
    changes: dict[str, Any] = {
        "state": JobState.RUNNING,
        "started": now,
        "heartbeat": now,
        "worker": process_token(),
        "stage": "starting",
        "done": 0,
        "total": 0,
    }
    if task_id:
        changes["task_id"] = task_id
    if not ImportJob.objects.filter(pk=job_id, attempt=attempt).update(**changes):
        return JobOutcome("superseded")
    reporter = Reporter(job_id=job_id, attempt=attempt, echo=progress)
    stopper = _Stopper(enabled=in_worker)
    reporter.start()
    try:
        # The signal handlers stay until the job is queued again after a stop.
        with stopper:
            try:
                if job.kind == JobKind.PREVIEW:
                    outcome = _run_preview(job, reporter, stopper)
                else:
                    outcome = _run_import(job, reporter, stopper, result, keep_for_retry=in_worker)
            except (WorkerStopping, SystemExit, KeyboardInterrupt) as stop:
                stopper.stopping = True
                reporter.stop()
                if not in_worker:
                    _stopped_outside_worker(job, stop)
                    raise
                _requeue_after_stop(job, stop)
                if isinstance(stop, WorkerStopping):
                    return JobOutcome("interrupted")
                raise
    finally:
        reporter.stop()
    return outcome


def _run_preview(job: ImportJob, reporter: Reporter, stopper: _Stopper) -> JobOutcome:
    batch = ImportBatch.objects.get(pk=job.batch_id)
    if batch.status not in batches.AWAITING:
        stopper.disarm()
        _finish(job, JobState.SUCCEEDED, stage="skipped")
        return JobOutcome("skipped", batch)
    try:
        reporter("parsing", 0, 1)
        data, batch.source = bytes(batch.source), b""  # one copy in memory, not two
        try:
            result = parse_source(data=data, filename=batch.filename)
        except ImportFileError as error:
            stopper.disarm()
            batches.fail_preview(batch=batch, message=str(error))
            _finish(job, JobState.FAILED, error=str(error))
            return JobOutcome("failed", batch, error)
        del data
        reporter("parsing", 1, 1)
        encoding = result.encoding
        plan = plan_import(result, on_duplicate=batch.on_duplicate, progress=reporter)
        del result
        stored = batches.store_preview(
            batch=batch,
            plan=plan,
            encoding=encoding,
            still_current=lambda: ImportJob.objects.filter(pk=job.pk, attempt=job.attempt).exists(),
            progress=reporter,
        )
        stopper.disarm()
    except Exception as error:
        stopper.disarm()
        what = "a database error" if isinstance(error, database_errors()) else "an error"
        message = (
            f"The preview failed because of {what}; the upload is kept: run it again. "
            f"({type(error).__name__}: {error})"
        )
        logger.exception("Preview job of import #%s failed", job.batch_id)
        _finish(job, JobState.FAILED, error=message[:4000])
        return JobOutcome("failed", batch, error)
    _finish(job, JobState.SUCCEEDED, stage="done" if stored else "skipped")
    return JobOutcome("previewed" if stored else "skipped", batch)


def _run_import(
    job: ImportJob,
    reporter: Reporter,
    stopper: _Stopper,
    result: Any,
    *,
    keep_for_retry: bool,
) -> JobOutcome:
    batch = ImportBatch.objects.select_related("user").get(pk=job.batch_id)
    if batch.status == ImportStatus.COMPLETED and backlog.pending(batch.pk):
        # Run again after its worker stopped once the records were committed: only the work
        # after the commit is left (any other import's left work is done with it).
        stopper.disarm()
        if not backlog.finish_after_commit(progress=reporter):
            _finish(job, JobState.FAILED, error=_BACKLOG_FAILED)
            return JobOutcome("failed", batch)
        _finish(job, JobState.SUCCEEDED, stage="done")
        return JobOutcome("completed", batch)
    if batch.status != ImportStatus.IMPORTING:
        stopper.disarm()
        _finish(job, JobState.SUCCEEDED, stage="skipped")
        return JobOutcome("skipped", batch)
    try:
        # One copy of the file in memory, not two (the stored one stays until it is written).
        data, batch.source = bytes(batch.source), b""
        if result is None:
            reporter("parsing", 0, 1)
            result = parse_source(data=data, filename=batch.filename)
            reporter("parsing", 1, 1)
        del data
        batch.encoding = result.encoding[:50]
        confirmed_by = job.requested_by if job.requested_by_id else None
        batch = batches._execute(
            batch=batch,
            result=result,
            progress=reporter,
            expected=(ImportStatus.IMPORTING,),
            confirmed_by=confirmed_by,
            # Once the records are committed a stop signal waits for the work after the
            # commit (a few seconds) rather than roll back what cannot be rolled back.
            committed=stopper.disarm,
        )
        stopper.disarm()
    except ImportStateError as error:
        # Another delivery of this job, or a librarian, got there first.
        stopper.disarm()
        _finish(job, JobState.SUCCEEDED, stage="skipped", error=str(error))
        return JobOutcome("skipped", batch, error)
    except ImportFileError as error:
        stopper.disarm()
        batches.fail_import(batch=batch, reason=str(error))
        _finish(job, JobState.FAILED, error=f"The import failed and nothing was written: {error}")
        return JobOutcome("failed", batch, error)
    except Exception as error:
        stopper.disarm()
        reason = batch.error or f"{type(error).__name__}: {error}"
        if keep_for_retry:
            batches.back_to_awaiting(batch=batch, reason=reason)
        else:
            batches.fail_import(batch=batch, reason=reason)
        if isinstance(error, database_errors()) or isinstance(error.__cause__, database_errors()):
            message = (
                "The import failed because of a database error and nothing was written; the "
                f"file is kept: confirm again to retry. ({reason})"
            )
        else:
            message = (
                f"The import failed and nothing was written: {reason}. The file is kept: "
                "confirm again to retry."
            )
        if not keep_for_retry:
            message = f"The import failed and nothing was written: {reason}."
        logger.warning("Import job of import #%s failed: %s", job.batch_id, reason)
        _finish(job, JobState.FAILED, error=message[:4000])
        return JobOutcome("failed", batch, error)
    batches.forget_preview(batch=batch)
    if backlog.pending(batch.pk):
        # Committed, but the work after the commit failed (logged): Run again finishes it.
        _finish(job, JobState.FAILED, error=_BACKLOG_FAILED)
        return JobOutcome("failed", batch)
    _finish(job, JobState.SUCCEEDED, stage="done")
    return JobOutcome("completed", batch)


_BACKLOG_FAILED = (
    "The records are imported, but indexing them for search failed (a database error, "
    "logged): run it again to finish."
)


def _finish(job: ImportJob, state: str, *, stage: str = "", error: str = "") -> None:
    now = timezone.now()
    changes: dict[str, Any] = {"state": state, "finished": now, "heartbeat": now, "error": error}
    if stage:
        changes["stage"] = stage
    ImportJob.objects.filter(pk=job.pk, attempt=job.attempt).update(**changes)


def _requeue_after_stop(job: ImportJob, stop: BaseException) -> None:
    """Queue the job again after its worker was told to stop; the import was rolled back."""
    how = "SIGTERM or Ctrl+C" if isinstance(stop, WorkerStopping) else type(stop).__name__
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().filter(pk=job.batch_id).first()
        if batch is None:
            return
        wanted = ImportStatus.IMPORTING if job.kind == JobKind.IMPORT else ImportStatus.PENDING
        current = ImportJob.objects.filter(pk=job.pk, attempt=job.attempt).exists()
        if batch.status != wanted or not current:
            _finish(job, JobState.FAILED, error=f"Stopped by the worker's shutdown ({how}).")
            return
        if job.kind == JobKind.IMPORT:
            ImportBatch.objects.filter(pk=batch.pk).update(error="")
        queued = enqueue_job(batch=batch, kind=job.kind, user=job.requested_by)
        ImportJob.objects.filter(pk=queued.pk).update(
            error=(
                f"The job worker was stopped ({how}) while this job ran: nothing was written. "
                "It is queued again and runs when a worker starts."
            )
        )


def _stopped_outside_worker(job: ImportJob, stop: BaseException) -> None:
    """The command was interrupted: the batch is recorded as failed, nothing written."""
    reason = f"Interrupted ({type(stop).__name__}) before it finished; nothing was written."
    with contextlib.suppress(*database_errors()):
        batch = ImportBatch.objects.filter(pk=job.batch_id).first()
        if batch is not None and job.kind == JobKind.IMPORT:
            batches.fail_import(batch=batch, reason=reason)
        _finish(job, JobState.FAILED, error=reason)


class _Stopper:
    """In the worker: SIGTERM/SIGINT during the job's transaction raise WorkerStopping.

    The worker's own handler is called first (it then stops after this task; a second signal
    exits at once). Once the work is committed (`disarm`) a signal only asks the worker to stop.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled and threading.current_thread() is threading.main_thread()
        self.armed = True
        self.stopping = False
        self.previous: dict[int, Any] = {}

    def disarm(self) -> None:
        self.armed = False

    def _handle(self, signum: int, frame: Any) -> None:
        if self.stopping:
            # Rolling back and queueing again: a second signal (Ctrl+C and `make run`'s kill)
            # must not interrupt that; the worker stops once the task returns.
            return
        previous = self.previous.get(signum)
        if callable(previous):
            previous(signum, frame)
        if self.armed:
            self.armed = False
            self.stopping = True
            raise WorkerStopping(signal.strsignal(signum) or str(signum))

    def __enter__(self) -> _Stopper:
        if self.enabled:
            for signum in self.SIGNALS:
                self.previous[signum] = signal.getsignal(signum)
                signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, previous in self.previous.items():
            signal.signal(signum, previous)
        self.previous.clear()
