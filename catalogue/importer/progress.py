"""Progress and health of import jobs: what a running job reports, and whether it is alive.

A job's `Reporter` keeps its stage and counts in memory and a thread of its own writes them, and
a heartbeat, to the job's ImportJob row through a database connection of its own, in autocommit:
the import's transaction holds the batch row's lock (and on SQLite the write lock), so these
writes are best-effort with a short lock timeout and never fail the import. `describe_job` tells
the pages whether a job is queued, running, stopped (its worker gone, or no heartbeat for
STALE_AFTER) or finished (catalogue/importer/jobs.py runs the jobs).
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from catalogue.importer import backlog
from catalogue.importer.common import Progress
from catalogue.models import ImportJob, JobState

logger = logging.getLogger(__name__)

# The job worker, as the docs and the pages name it.
WORKER_COMMAND = "python manage.py db_worker"
# How often the reporter thread writes progress (when it changed) and a heartbeat (always).
FLUSH_SECONDS = 0.5
HEARTBEAT_SECONDS = 5.0
# A running job without a heartbeat for this long (and no live process on this host) stopped.
STALE_AFTER = datetime.timedelta(seconds=60)
# A job queued this long while no other job runs: no worker seems to be running.
QUEUE_WARNING_AFTER = datetime.timedelta(seconds=30)
# The progress connection waits this long for a lock, at most (seconds).
PROGRESS_LOCK_TIMEOUT = 0.05
# The alias of the progress connection, in the reporter thread only.
PROGRESS_ALIAS = "import_progress"


# --- progress ----------------------------------------------------------------------------------


class Reporter:
    """The progress callback of a job: kept in memory, written by a thread of its own.

    The thread writes the stage and counts when they changed (every FLUSH_SECONDS at most) and
    a heartbeat every HEARTBEAT_SECONDS, through its own database connection in autocommit with
    a lock timeout of PROGRESS_LOCK_TIMEOUT: a write that cannot proceed is dropped.
    """

    def __init__(self, *, job_id: int, attempt: int, echo: Progress | None = None) -> None:
        self.job_id = job_id
        self.attempt = attempt
        self.echo = echo
        self.state: tuple[str, int, int] = ("starting", 0, 0)
        self.dirty = True
        self.writes = 0
        self.failures = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.state = (stage, done, total)
        self.dirty = True
        if self.echo is not None:
            self.echo(stage, done, total)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"import-job-{self.job_id}-progress", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        side = None
        last = 0.0
        try:
            while not self._stop.wait(FLUSH_SECONDS):
                now = time.monotonic()
                if not self.dirty and now - last < HEARTBEAT_SECONDS:
                    continue
                self.dirty = False
                try:
                    if side is None:
                        side = progress_connection()
                    self._write(side)
                    self.writes += 1
                    last = now
                except Exception:  # best-effort: never fail the job because of progress
                    self.failures += 1
                    logger.debug("Progress of job %s not written", self.job_id, exc_info=True)
                    if side is not None:
                        with contextlib.suppress(Exception):
                            side.close()
                        side = None
        finally:
            if side is not None:
                with contextlib.suppress(Exception):
                    side.close()
            with contextlib.suppress(AttributeError):
                del connections[PROGRESS_ALIAS]

    def _write(self, side: Any) -> None:
        stage, done, total = self.state
        quote = side.ops.quote_name
        table = quote(ImportJob._meta.db_table)
        # Only quoted model table/column names go into the SQL; values are parameters.
        sql = (
            f"UPDATE {table} SET {quote('stage')} = %s, {quote('done')} = %s, "  # noqa: S608
            f"{quote('total')} = %s, {quote('heartbeat')} = %s "
            f"WHERE {quote('id')} = %s AND {quote('attempt')} = %s AND {quote('state')} = %s"
        )
        params = [
            stage[:20],
            max(0, int(done)),
            max(0, int(total)),
            side.ops.adapt_datetimefield_value(timezone.now()),
            self.job_id,
            self.attempt,
            JobState.RUNNING.value,
        ]
        with side.cursor() as cursor:
            cursor.execute(sql, params)


def progress_connection() -> Any:
    """Return a new connection to the default database, in autocommit, that waits little."""
    from django.db.utils import load_backend

    settings_dict = copy.deepcopy(connection.settings_dict)
    settings_dict["CONN_MAX_AGE"] = 0
    settings_dict["CONN_HEALTH_CHECKS"] = False
    settings_dict["AUTOCOMMIT"] = True
    options = settings_dict.setdefault("OPTIONS", {})
    if connection.vendor == "sqlite":
        options["timeout"] = PROGRESS_LOCK_TIMEOUT
        options.pop("transaction_mode", None)
    elif connection.vendor == "postgresql":
        millis = max(1, int(PROGRESS_LOCK_TIMEOUT * 1000))
        extra = f"-c lock_timeout={millis} -c statement_timeout=2000"
        options["options"] = f"{options.get('options', '')} {extra}".strip()
    backend = load_backend(settings_dict["ENGINE"])
    wrapper = backend.DatabaseWrapper(settings_dict, alias=PROGRESS_ALIAS)
    # Known to this thread under its alias: connection_created receivers look it up by name
    # (django.contrib.postgres registers its types through it).
    connections[PROGRESS_ALIAS] = wrapper
    return wrapper


# --- health: is a job alive? -------------------------------------------------------------------


def process_token(pid: int | None = None) -> str:
    """Return "host:pid:start time" of a process (this one by default)."""
    pid = pid or os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_ticks(pid)}"


def _start_ticks(pid: int) -> str:
    """Return when a process started (clock ticks since boot, Linux), or "" when unknown."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return ""
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else ""


def process_alive(token: str) -> bool | None:
    """Return whether the process of `token` still runs, or None when it is not on this host."""
    try:
        host, pid_text, ticks = token.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return None
    if host != socket.gethostname() or pid <= 0:
        return None
    if ticks:
        return _start_ticks(pid) == ticks
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


@dataclass
class JobHealth:
    """What a job's page says about it."""

    job: ImportJob
    phase: str  # queued, waiting, no-worker, running, stalled, lost, failed, succeeded
    message: str
    live: bool  # queued or running, and apparently alive
    can_retry: bool

    @property
    def percent(self) -> int | None:
        if not self.job.total:
            return None
        return min(100, int(100 * self.job.done / self.job.total))

    @property
    def message_parts(self) -> list[tuple[str, bool]]:
        """Return the message as (text, is_code) pieces: `command` marks a command."""
        return [(part, index % 2 == 1) for index, part in enumerate(self.message.split("`"))]

    @property
    def refresh(self) -> bool:
        return self.phase in ("queued", "waiting", "no-worker", "running")


def describe_job(job: ImportJob, *, now: datetime.datetime | None = None) -> JobHealth:
    """Return whether `job` is queued, running, stopped (stale or failed), or finished."""
    now = now or timezone.now()
    if job.state == JobState.SUCCEEDED:
        return JobHealth(job, "succeeded", "", live=False, can_retry=False)
    if job.state == JobState.FAILED:
        return JobHealth(job, "failed", job.error, live=False, can_retry=True)
    task_status, task_error = _task_outcome(job.task_id)
    if task_status in ("FAILED", "SUCCESSFUL", "MISSING"):
        said = {
            "FAILED": f"the job worker marked it failed ({task_error or 'no reason given'})",
            "SUCCESSFUL": "the job worker finished its task without recording the outcome",
            "MISSING": "its task is no longer in the job queue",
        }[task_status]
        return JobHealth(
            job,
            "lost",
            f"This job stopped without finishing: {said}. Nothing was written: run it again.",
            live=False,
            can_retry=True,
        )
    if job.state == JobState.QUEUED:
        waited = now - (job.enqueued or now)
        if waited < QUEUE_WARNING_AFTER:
            return JobHealth(job, "queued", "Queued: waiting for the job worker.", True, False)
        busy = _running_elsewhere(job, now)
        if busy is not None:
            return JobHealth(
                job,
                "waiting",
                f"Queued: waiting for import #{busy.batch_id} to finish (the job worker runs "
                "one job at a time).",
                live=True,
                can_retry=False,
            )
        return JobHealth(
            job,
            "no-worker",
            f"Queued for {_seconds(waited)}: the job worker doesn't seem to be running. Start it "
            f"with `{WORKER_COMMAND}` (see docs/imports.md); the job runs as soon as it does.",
            live=True,
            can_retry=False,
        )
    alive, quiet = _running_alive(job, now)
    if alive:
        message = "Running."
        if quiet > 2 * HEARTBEAT_SECONDS and connection.vendor == "sqlite":
            message = (
                "Running: the import is writing in one transaction, which holds SQLite's write "
                "lock; its progress is shown again when it commits."
            )
        return JobHealth(job, "running", message, live=True, can_retry=False)
    silent = _seconds(datetime.timedelta(seconds=quiet))
    if job.stage == backlog.STAGE:
        # Stopped after the commit, while indexing the records for search (backlog.py).
        return JobHealth(
            job,
            "stalled",
            f"No sign of life from this job for {silent}: its worker was stopped or killed "
            "after the records were imported, while it indexed them for search. Run it again "
            "to finish (the next import also does).",
            live=False,
            can_retry=True,
        )
    return JobHealth(
        job,
        "stalled",
        f"No sign of life from this job for {silent}: its "
        "worker was stopped or killed. The import runs in one transaction, so nothing was "
        "written: run it again.",
        live=False,
        can_retry=True,
    )


def _running_alive(job: ImportJob, now: datetime.datetime) -> tuple[bool, float]:
    """Return whether a running job is alive, and how many seconds since its heartbeat."""
    quiet = (now - (job.heartbeat or job.started or now)).total_seconds()
    fresh = quiet < STALE_AFTER.total_seconds()
    process = process_alive(job.worker) if job.worker else None
    if process is False:
        return False, quiet
    if process is True:
        # SQLite: the import's transaction holds the write lock, so no heartbeat gets through.
        return fresh or connection.vendor == "sqlite", quiet
    return fresh, quiet


def _running_elsewhere(job: ImportJob, now: datetime.datetime) -> ImportJob | None:
    for other in ImportJob.objects.filter(state=JobState.RUNNING).exclude(pk=job.pk):
        if _running_alive(other, now)[0]:
            return other
    return None


def _task_outcome(task_id: str) -> tuple[str, str]:
    """Return the task's status in the queue ("MISSING" when gone) and its exception class."""
    if not task_id:
        return "", ""
    from django_tasks_db.models import DBTaskResult

    try:
        row = (
            DBTaskResult.objects.filter(id=task_id)
            .values_list("status", "exception_class_path")
            .first()
        )
    except ValidationError:
        return "MISSING", ""
    if row is None:
        return "MISSING", ""
    status, exception = row
    return status, exception.rsplit(".", 1)[-1]


def _seconds(delta: datetime.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"
