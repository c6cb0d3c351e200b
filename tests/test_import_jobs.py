"""Tests for catalogue.importer.jobs: imports as background jobs on django-tasks' database backend.

The worker is django-tasks-db's own (`manage.py db_worker`): in this process (its --batch mode)
for most tests, and as a real process that is killed (-9) or stopped (SIGTERM) mid-import.
"""

import datetime
import io
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from catalogue import importer
from catalogue.importer import jobs, progress
from catalogue.models import (
    Article,
    ImportBatch,
    ImportJob,
    ImportPreviewRow,
    ImportStatus,
    JobKind,
    JobState,
)
from tests.factories import make_job_worker

pytestmark = pytest.mark.django_db


def run_jobs() -> None:
    """Run every queued job with django-tasks-db's worker, in this process, then return."""
    worker = make_job_worker()
    # The worker closes "old" connections between tasks: a test's transaction is not one.
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        worker.run()


ROOT = Path(__file__).resolve().parent.parent

BIB = b"""\
@article{one2020,
  author = {Doe, Jane and van der Berg, Piet},
  title = {First study},
  journal = {Journal of Things},
  year = {2020},
  doi = {10.1000/one},
}

@inproceedings{two2021,
  author = {Roe, Richard},
  title = {Second study},
  booktitle = {Proceedings of Things},
  year = {2021},
}

@article{broken,
  title = {No closing brace,
  year = 2020,
"""


def make_librarian(username: str = "lib", *groups: str) -> User:
    user = User.objects.create_user(username, password="pw")
    for name in ("Librarians", *groups):
        user.groups.add(Group.objects.get(name=name))
    return user


def make_upload(*, data: bytes = BIB, user: User | None = None) -> ImportBatch:
    """Return a stored upload whose preview job is queued (not run)."""
    return importer.prepare_import(data=data, filename="refs.bib", user=user)


def make_job(batch: ImportBatch, **values) -> ImportJob:
    """Set the batch's job row (of the kind its status runs) to `values`; return it."""
    kind = JobKind.IMPORT if batch.status == ImportStatus.IMPORTING else JobKind.PREVIEW
    ImportJob.objects.filter(batch=batch, kind=kind).update(**values)
    return ImportJob.objects.get(batch=batch, kind=kind)


def dead_pid() -> int:
    """Return the id of a process that has exited."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def synthetic_bib(entries: int, *, seed: str = "a") -> bytes:
    """Return a BibTeX file of `entries` distinct articles (DOIs, authors, journals, keywords)."""
    parts = []
    for number in range(entries):
        parts.append(
            f"@article{{{seed}{number},\n"
            f"  author = {{Family{number % 997}, Given and Other{number % 313}, Ann and "
            f"Third{number}, Tom}},\n"
            f"  title = {{A study number {number} of things {seed}}},\n"
            f"  journal = {{Journal of Topic {number % 53}}},\n"
            f"  year = {{{1990 + number % 30}}},\n"
            f"  volume = {{{number % 40}}}, pages = {{{number}--{number + 9}}},\n"
            f"  doi = {{10.5555/{seed}.{number}}},\n"
            f"  keywords = {{topic {number % 101}, method {number % 37}}},\n"
            f"  abstract = {{{'Words about the study and its findings. ' * 8}}},\n"
            "}\n\n"
        )
    return "".join(parts).encode()


# --- upload and preview ------------------------------------------------------------------------


def test_an_upload_is_stored_and_its_preview_job_queued_without_parsing(monkeypatch):
    def no_parsing(**kwargs):
        raise AssertionError("the upload must not parse")

    monkeypatch.setattr("catalogue.importer.sources.parse_source", no_parsing)

    batch = make_upload()

    batch.refresh_from_db()
    job = ImportJob.objects.get()
    task = DBTaskResult.objects.get()
    assert (batch.status, bytes(batch.source), batch.entry_count) == (ImportStatus.PENDING, BIB, 0)
    assert (job.batch, job.kind, job.state, job.attempt) == (
        batch,
        JobKind.PREVIEW,
        JobState.QUEUED,
        1,
    )
    assert str(task.id) == job.task_id
    assert task.task_path == "catalogue.importer.jobs.import_job"
    assert task.args_kwargs == {"args": [], "kwargs": {"job_id": job.pk, "attempt": 1}}
    assert task.status == "READY"
    assert not ImportPreviewRow.objects.exists()


def test_the_preview_job_parses_and_plans_once_and_stores_the_rows(client, monkeypatch):
    librarian = make_librarian()
    batch = make_upload(user=librarian)

    run_jobs()

    batch.refresh_from_db()
    job = ImportJob.objects.get()
    assert (batch.status, batch.entry_count, batch.encoding) == (
        ImportStatus.PREVIEWED,
        3,
        "utf-8",
    )
    assert (batch.created_count, batch.failed_count) == (2, 1)
    assert (job.state, job.stage, job.error) == (JobState.SUCCEEDED, "done", "")
    assert job.started <= job.finished
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    rows = list(
        ImportPreviewRow.objects.order_by("position").values_list(
            "position", "line", "key", "action", "title", "year", "doi", "container", "authors"
        )
    )
    assert rows[0] == (
        1,
        1,
        "one2020",
        "created",
        "First study",
        2020,
        "10.1000/one",
        "Journal of Things",
        ["Jane Doe", "Piet van der Berg"],
    )
    assert rows[1][:4] == (2, 9, "two2021", "created")
    assert rows[1][5:] == (2021, "", "Proceedings of Things", ["Richard Roe"])
    assert rows[2][1:4] == (16, "broken", "failed")
    assert ImportPreviewRow.objects.get(key="two2021").output_type == "conference-paper"

    # Showing the preview, any page or filter of it, never parses again.
    def no_parsing(*args, **kwargs):
        raise AssertionError("the preview must not parse again")

    for name in ("sources", "batches", "jobs"):
        monkeypatch.setattr(f"catalogue.importer.{name}.parse_source", no_parsing, raising=False)
    monkeypatch.setattr("catalogue.importer.jobs.plan_import", no_parsing)
    monkeypatch.setattr("catalogue.importer.batches.plan_import", no_parsing)
    client.force_login(librarian)
    for query in ({}, {"show": "failed"}, {"page": "2"}):
        page = client.get(batch.get_absolute_url(), query)
        assert page.status_code == 200
        assert "<h1>Preview: refs.bib</h1>" in page.content.decode()
    failed = client.get(batch.get_absolute_url(), {"show": "failed"}).content.decode()
    assert "line 16 · broken" in failed
    assert "First study" not in failed
    assert '<strong aria-current="true">Failed (1)</strong>' in failed
    assert '<a href="?show=created">New (2)</a>' in failed


def test_a_large_preview_pages_from_the_database(client):
    from catalogue.views.imports import ROWS_PER_PAGE

    librarian = make_librarian()
    batch = make_upload(data=synthetic_bib(ROWS_PER_PAGE * 2 + 5), user=librarian)
    run_jobs()
    client.force_login(librarian)

    last = client.get(batch.get_absolute_url(), {"page": "3"}).content.decode()

    assert ImportPreviewRow.objects.filter(batch=batch).count() == ROWS_PER_PAGE * 2 + 5
    assert "A study number 204 of things a" in last
    assert "A study number 199 of things a" not in last
    assert '<a href="?show=created">New (205)</a>' in last


def test_a_database_error_in_the_preview_job_is_reported_and_the_upload_kept(client, monkeypatch):
    librarian = make_librarian()
    batch = make_upload(user=librarian)
    insert = importer.batches.insert_values

    def failing(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr("catalogue.importer.batches.insert_values", failing)
    run_jobs()

    batch.refresh_from_db()
    job = ImportJob.objects.get()
    assert (batch.status, bytes(batch.source)) == (ImportStatus.PENDING, BIB)
    assert job.state == JobState.FAILED
    message = (
        "The preview failed because of a database error; the upload is kept: run it again. "
        "(OperationalError: disk I/O error)"
    )
    assert job.error == message
    client.force_login(librarian)
    page = client.get(batch.get_absolute_url()).content.decode()
    assert message in page
    assert "Run again" in page
    assert "refresh" not in page

    monkeypatch.setattr("catalogue.importer.batches.insert_values", insert)
    client.post(reverse("catalogue:import-rerun", args=[batch.pk]))
    run_jobs()

    batch.refresh_from_db()
    assert batch.status == ImportStatus.PREVIEWED
    assert ImportJob.objects.get().attempt == 2


# --- confirm: the import job -------------------------------------------------------------------


def test_confirming_queues_the_import_job_which_imports(client):
    owner = make_librarian("owner")
    head = make_librarian("head", "Head librarians")
    batch = make_upload(user=owner)
    run_jobs()
    client.force_login(head)

    response = client.post(reverse("catalogue:import-confirm", args=[batch.pk]))

    assert response.status_code == 302
    batch.refresh_from_db()
    job = ImportJob.objects.get(kind=JobKind.IMPORT)
    assert (batch.status, job.state, job.requested_by) == (
        ImportStatus.IMPORTING,
        JobState.QUEUED,
        head,
    )
    assert not Article.objects.exists()
    page = client.get(batch.get_absolute_url(), {"refresh": "3"}).content.decode()
    assert "<h1>Importing: refs.bib</h1>" in page
    assert '<meta http-equiv="refresh" content="3">' in page

    run_jobs()

    batch.refresh_from_db()
    job.refresh_from_db()
    assert (batch.status, batch.user, batch.confirmed_by) == (ImportStatus.COMPLETED, owner, head)
    assert (job.state, job.stage, job.error) == (JobState.SUCCEEDED, "done", "")
    assert Article.objects.count() == 2
    assert not ImportPreviewRow.objects.exists()
    assert bytes(batch.source) == b""


def test_a_duplicate_or_stale_delivery_of_a_job_changes_nothing():
    batch = make_upload()
    run_jobs()
    importer.confirm_import(batch=batch)
    job = ImportJob.objects.get(kind=JobKind.IMPORT)
    run_jobs()
    assert Article.objects.count() == 2

    again = importer.run_job(job_id=job.pk, attempt=job.attempt)
    stale = importer.run_job(job_id=job.pk, attempt=job.attempt - 1 if job.attempt > 1 else 99)
    # Delivered twice while marked queued: the job checks the batch's state first (and again
    # under the lock, in _execute).
    ImportJob.objects.filter(pk=job.pk).update(state=JobState.QUEUED)
    twice = importer.run_job(job_id=job.pk, attempt=job.attempt)

    assert (again.outcome, stale.outcome, twice.outcome) == (
        "already succeeded",
        "superseded",
        "skipped",
    )
    assert ImportJob.objects.values_list("state", "stage").get(pk=job.pk) == (
        JobState.SUCCEEDED,
        "skipped",
    )
    assert Article.objects.count() == 2
    assert ImportBatch.objects.get().status == ImportStatus.COMPLETED


# --- progress ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_progress_goes_through_a_connection_of_its_own_even_while_the_batch_is_locked():
    batch = make_upload()
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING)
    reporter = progress.Reporter(job_id=job.pk, attempt=job.attempt)
    reporter.start()
    try:
        reporter("matching", 5, 10)
        deadline = time.monotonic() + 10
        while reporter.writes == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        job.refresh_from_db()
        assert (job.stage, job.done, job.total) == ("matching", 5, 10)
        assert job.heartbeat is not None

        # An import's transaction holds the batch row (and on SQLite the write lock).
        with transaction.atomic():
            ImportBatch.objects.select_for_update().get(pk=batch.pk)
            ImportBatch.objects.filter(pk=batch.pk).update(error="writing")
            started = time.monotonic()
            before = (reporter.writes, reporter.failures)
            reporter("writing", 3, 6)
            while (reporter.writes, reporter.failures) == before:
                assert time.monotonic() - started < 10
                time.sleep(0.02)
            waited = time.monotonic() - started
            if connection.vendor == "sqlite":
                # Best-effort: the write is dropped after a short wait, never blocking the job.
                assert reporter.failures == before[1] + 1
            else:
                assert reporter.writes == before[0] + 1
            assert waited < 2
    finally:
        reporter.stop()
    job.refresh_from_db()
    if connection.vendor == "postgresql":
        assert (job.stage, job.done) == ("writing", 3)


@pytest.mark.django_db(transaction=True)
def test_the_job_writes_its_stages_while_it_runs(monkeypatch):
    batch = make_upload(data=synthetic_bib(30))
    seen = []
    plan_import = jobs.plan_import

    def watching(*args, **kwargs):
        time.sleep(progress.FLUSH_SECONDS * 3)
        seen.append(ImportJob.objects.values_list("state", "stage").get())
        return plan_import(*args, **kwargs)

    monkeypatch.setattr(jobs, "plan_import", watching)
    run_jobs()

    assert seen == [(JobState.RUNNING, "parsing")]
    job = ImportJob.objects.get()
    assert (job.state, job.stage, job.worker) == (
        JobState.SUCCEEDED,
        "done",
        progress.process_token(),
    )
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.PREVIEWED


# --- health: stalled, lost, no worker ----------------------------------------------------------


def test_a_running_job_whose_worker_is_gone_is_stalled():
    batch = make_upload()
    now = timezone.now()
    host = progress.process_token().split(":")[0]

    dead_here = make_job(
        batch, state=JobState.RUNNING, heartbeat=now, worker=f"{host}:{dead_pid()}:1"
    )
    assert progress.describe_job(dead_here).phase == "stalled"
    assert progress.describe_job(dead_here).can_retry

    alive_here = make_job(batch, worker=progress.process_token())
    assert progress.describe_job(alive_here).phase == "running"

    elsewhere = make_job(batch, worker="another-host:7:123")
    assert progress.describe_job(elsewhere).phase == "running"
    quiet = make_job(batch, heartbeat=now - datetime.timedelta(seconds=61))
    health = progress.describe_job(quiet)
    assert (health.phase, health.live, health.can_retry) == ("stalled", False, True)
    assert health.message.startswith("No sign of life from this job for 61 s")
    # This process, alive but silent: on SQLite the import's transaction holds the write lock.
    silent = make_job(batch, worker=progress.process_token())
    expected = "running" if connection.vendor == "sqlite" else "stalled"
    assert progress.describe_job(silent).phase == expected


def test_a_job_queued_without_a_worker_names_the_command():
    batch = make_upload()
    old = timezone.now() - datetime.timedelta(seconds=45)

    job = make_job(batch, enqueued=old)

    health = progress.describe_job(job)
    assert (health.phase, health.live, health.can_retry) == ("no-worker", True, False)
    assert health.message == (
        "Queued for 45 s: the job worker doesn't seem to be running. Start it with "
        "`python manage.py db_worker` (see docs/imports.md); the job runs as soon as it does."
    )
    other = make_upload()
    make_job(other, state=JobState.RUNNING, heartbeat=timezone.now(), worker="far:1:1")
    waiting = progress.describe_job(job)
    assert waiting.phase == "waiting"
    assert f"waiting for import #{other.pk} to finish" in waiting.message


def test_a_task_the_worker_marked_failed_is_reported_and_can_run_again():
    batch = make_upload()
    job = ImportJob.objects.get()
    DBTaskResult.objects.filter(id=job.task_id).update(
        status="FAILED", exception_class_path="django.db.utils.InterfaceError"
    )
    job = make_job(batch, state=JobState.RUNNING, heartbeat=timezone.now(), worker="far:1:1")

    health = progress.describe_job(job)

    assert (health.phase, health.can_retry) == ("lost", True)
    assert "the job worker marked it failed (InterfaceError)" in health.message


# --- run again ---------------------------------------------------------------------------------


def test_run_again_queues_a_stalled_import_and_the_abandoned_task_is_failed(client):
    owner = make_librarian("owner")
    other = make_librarian("other")
    batch = make_upload(user=owner)
    run_jobs()
    importer.confirm_import(batch=batch, user=owner)
    job = ImportJob.objects.get(kind=JobKind.IMPORT)
    # Its worker claimed the task, then was killed: the task stays RUNNING for ever.
    DBTaskResult.objects.filter(id=job.task_id).update(status="RUNNING")
    make_job(
        batch,
        state=JobState.RUNNING,
        stage="writing",
        heartbeat=timezone.now() - datetime.timedelta(minutes=5),
        worker="gone:1:1",
    )
    client.force_login(owner)
    page = client.get(batch.get_absolute_url()).content.decode()
    assert "No sign of life from this job for 5 min" in page
    assert "Run again" in page
    stalled = client.get(batch.get_absolute_url(), {"refresh": "3"}).content.decode()
    assert "refresh" not in stalled.split("</head>")[0]
    assert "Refresh automatically" not in stalled

    client.force_login(other)
    refused = client.post(reverse("catalogue:import-rerun", args=[batch.pk]))
    assert refused.status_code == 403

    client.force_login(owner)
    response = client.post(reverse("catalogue:import-rerun", args=[batch.pk]), follow=True)

    assert f"Import #{batch.pk} of refs.bib queued again." in response.content.decode()
    old = DBTaskResult.objects.get(id=job.task_id)
    assert (old.status, old.exception_class_path) == (
        "FAILED",
        "catalogue.importer.jobs.JobAbandoned",
    )
    job.refresh_from_db()
    assert (job.state, job.attempt) == (JobState.QUEUED, 2)
    twice = client.post(reverse("catalogue:import-rerun", args=[batch.pk]), follow=True)
    assert "its job is still queued; it can be run again once it has stopped" in (
        twice.content.decode()
    )

    run_jobs()

    batch.refresh_from_db()
    assert batch.status == ImportStatus.COMPLETED
    assert Article.objects.count() == 2


def test_history_lists_queued_running_and_stalled_jobs(client):
    librarian = make_librarian()
    queued = make_upload(user=librarian)
    running = make_upload(user=librarian)
    make_job(
        running,
        state=JobState.RUNNING,
        heartbeat=timezone.now(),
        worker="far:1:1",
        stage="matching",
        done=50,
        total=200,
    )
    stalled = make_upload(user=librarian)
    run_jobs_for = ImportJob.objects.get(batch=stalled)
    ImportBatch.objects.filter(pk=stalled.pk).update(status=ImportStatus.IMPORTING)
    ImportJob.objects.filter(pk=run_jobs_for.pk).update(kind=JobKind.IMPORT)
    make_job(
        ImportBatch.objects.get(pk=stalled.pk),
        state=JobState.RUNNING,
        heartbeat=timezone.now() - datetime.timedelta(minutes=2),
        worker="far:1:1",
    )
    client.force_login(librarian)

    history = client.get(reverse("catalogue:import-history")).content.decode()

    assert "<strong>Preparing the preview: queued</strong>" in history
    assert "<strong>Preparing the preview: running (matching 25%)</strong>" in history
    assert "<strong>Importing: stopped (worker gone), run it again</strong>" in history
    assert queued.pk != running.pk


# --- the command -------------------------------------------------------------------------------


def test_the_foreground_command_and_the_worker_run_the_same_job_function(tmp_path, monkeypatch):
    from django.core.management import call_command

    calls = []
    run_job = jobs.run_job

    def recording(**kwargs):
        calls.append(kwargs.get("in_worker", False))
        return run_job(**kwargs)

    monkeypatch.setattr(jobs, "run_job", recording)
    monkeypatch.setattr(importer, "run_job", recording)
    path = tmp_path / "a.bib"
    path.write_bytes(synthetic_bib(3, seed="fg"))
    call_command("import_bibtex", str(path), stdout=io.StringIO())
    call_command(
        "import_bibtex", "--background", str(path), stdout=io.StringIO(), stderr=io.StringIO()
    )
    run_jobs()

    assert calls == [False, True]
    assert list(ImportBatch.objects.order_by("pk").values_list("status", flat=True)) == [
        ImportStatus.COMPLETED,
        ImportStatus.COMPLETED,
    ]
    assert Article.objects.count() == 3


# --- a real worker process, killed or stopped mid-import ---------------------------------------

# Tables the job and its worker write by design; every other table must be as it was.
BOOKKEEPING = {"catalogue_importjob", "django_tasks_database_dbtaskresult"}


class ScratchDatabase:
    """A database of its own that worker processes can see: a file, or a PostgreSQL database."""

    def __init__(self, tmp_path: Path) -> None:
        self.vendor = connection.vendor
        self.tmp_path = tmp_path
        settings = connection.settings_dict
        if self.vendor == "sqlite":
            self.path = tmp_path / "scratch.sqlite3"
            self.url = f"sqlite:///{self.path}"
        else:
            self.name = f"catalogue_jobs_{uuid.uuid4().hex[:12]}"
            self.server = {
                "host": settings["HOST"] or "127.0.0.1",
                "port": settings["PORT"] or 5432,
                "user": settings["USER"],
                "password": settings["PASSWORD"],
            }
            password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
            self.url = (
                f"postgres://{settings['USER']}{password}@{self.server['host']}:"
                f"{self.server['port']}/{self.name}"
            )

    def create(self) -> None:
        if self.vendor == "postgresql":
            self._admin(f'CREATE DATABASE "{self.name}"')
        result = self.manage("migrate", "--verbosity", "0")
        assert result.returncode == 0, result.stderr

    def drop(self) -> None:
        if self.vendor == "postgresql":
            self._admin(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [self.name],
            )
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}"')

    def _admin(self, sql: str, params: list | None = None) -> None:
        import psycopg2

        admin = psycopg2.connect(dbname="postgres", **self.server)
        admin.autocommit = True
        try:
            with admin.cursor() as cursor:
                cursor.execute(sql, params)
        finally:
            admin.close()

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.vendor == "sqlite":
            db = sqlite3.connect(self.path, timeout=10)
            try:
                return db.execute(sql, params).fetchall()
            finally:
                db.close()
        import psycopg2

        db = psycopg2.connect(dbname=self.name, **self.server)
        db.autocommit = True
        try:
            with db.cursor() as cursor:
                cursor.execute(sql.replace("?", "%s"), params)
                return cursor.fetchall()
        finally:
            db.close()

    def snapshot(self) -> dict[str, list[str]]:
        """Return every row of every table (but the job's bookkeeping), in a stable order."""
        if self.vendor == "sqlite":
            names = [
                name
                for (name,) in self.query(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'"
                )
            ]
        else:
            names = [
                name
                for (name,) in self.query(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            ]
        tables = {}
        for name in sorted(set(names) - BOOKKEEPING):
            rows = self.query(f'SELECT * FROM "{name}"')  # noqa: S608 - a table name listed above
            tables[name] = sorted(
                repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row))
                for row in rows
            )
        return tables

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": self.url},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    def start_worker(self, log: Path) -> subprocess.Popen:
        if self.vendor == "sqlite":
            # From an empty write-ahead log, its growth shows the import's writes.
            self.query("PRAGMA wal_checkpoint(TRUNCATE)")
        handle = log.open("wb")
        return subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "db_worker",
                "--no-reload",
                "--no-startup-delay",
                "--interval",
                "0.1",
            ],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": self.url},
            stdout=handle,
            stderr=subprocess.STDOUT,
        )

    def job(self, batch_id: int) -> tuple:
        rows = self.query(
            "SELECT state, stage, done, attempt, task_id FROM catalogue_importjob "
            "WHERE batch_id = ? AND kind = 'import'",
            (batch_id,),
        )
        return rows[0]

    def wait_until_writing(self, batch_id: int, worker: subprocess.Popen) -> None:
        """Return once the import job is writing inside its transaction."""
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert worker.poll() is None, "the worker exited before the import wrote"
            state, stage, done, *_ = self.job(batch_id)
            assert state in (JobState.QUEUED, JobState.RUNNING), state
            if self.vendor == "postgresql":
                # Journals, people and keywords are written (uncommitted) once `done` is 1.
                if (state, stage) == (JobState.RUNNING, "writing") and done >= 1:
                    return
            elif state == JobState.RUNNING:
                # SQLite: the transaction holds the write lock, so its progress is not written;
                # its pages spilled into the write-ahead log show that it is writing.
                wal = Path(f"{self.path}-wal")
                if wal.exists() and wal.stat().st_size > 2 * 1024 * 1024:
                    return
            time.sleep(0.02)
        raise AssertionError("the import never reached its writing stage")


@pytest.fixture
def scratch(tmp_path):
    database = ScratchDatabase(tmp_path)
    database.create()
    try:
        yield database
    finally:
        database.drop()


def queue_big_import(scratch: ScratchDatabase, tmp_path: Path, entries: int) -> int:
    """Import a small file at once, queue a big one; return the big one's import id."""
    small = tmp_path / "small.bib"
    small.write_bytes(synthetic_bib(20, seed="small"))
    first = scratch.manage("import_bibtex", str(small))
    assert first.returncode == 0, first.stderr
    big = tmp_path / "big.bib"
    big.write_bytes(synthetic_bib(entries, seed="big"))
    queued = scratch.manage("import_bibtex", "--background", str(big))
    assert queued.returncode == 0, queued.stderr
    match = re.fullmatch(
        rf"{re.escape(str(big))}: import #(\d+) queued: /import/(\d+)/\n", queued.stdout
    )
    assert match is not None, queued.stdout
    return int(match.group(1))


# Big enough that the writing stage lasts a while on either database.
KILL_ENTRIES = 6000


@pytest.mark.django_db(transaction=True)
def test_kill_9_of_the_worker_mid_import_changes_nothing_and_the_job_runs_again(scratch, tmp_path):
    batch_id = queue_big_import(scratch, tmp_path, KILL_ENTRIES)
    before = scratch.snapshot()
    assert before["catalogue_article"] and len(before["catalogue_article"]) == 20

    worker = scratch.start_worker(tmp_path / "worker.log")
    try:
        scratch.wait_until_writing(batch_id, worker)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()

    assert worker.returncode == -signal.SIGKILL
    after = scratch.snapshot()
    assert {name: len(rows) for name, rows in after.items()} == {
        name: len(rows) for name, rows in before.items()
    }
    assert after == before
    state, _stage, _done, attempt, task_id = scratch.job(batch_id)
    # The dead worker's task and job stay "running": the page tells them by the dead process.
    assert (state, attempt) == (JobState.RUNNING, 1)
    assert scratch.query(
        "SELECT status FROM django_tasks_database_dbtaskresult WHERE id = ?",
        (task_id if scratch.vendor == "postgresql" else task_id.replace("-", ""),),
    ) == [("RUNNING",)]

    retry = scratch.manage("import_bibtex", "--retry", str(batch_id))

    assert retry.returncode == 0, retry.stderr
    assert retry.stdout == f"import #{batch_id} queued again: /import/{batch_id}/\n"
    assert scratch.query(
        "SELECT status, exception_class_path FROM django_tasks_database_dbtaskresult WHERE id = ?",
        (task_id if scratch.vendor == "postgresql" else task_id.replace("-", ""),),
    ) == [("FAILED", "catalogue.importer.jobs.JobAbandoned")]
    done = scratch.manage("db_worker", "--batch", "--no-reload", "--no-startup-delay")
    assert done.returncode == 0, done.stderr
    assert scratch.query("SELECT status FROM catalogue_importbatch WHERE id = ?", (batch_id,)) == [
        (ImportStatus.COMPLETED,)
    ]
    assert scratch.query("SELECT count(*) FROM catalogue_article") == [(20 + KILL_ENTRIES,)]
    assert scratch.job(batch_id)[:2] == (JobState.SUCCEEDED, "done")


@pytest.mark.django_db(transaction=True)
def test_sigterm_of_the_worker_mid_import_rolls_back_and_queues_the_job_again(scratch, tmp_path):
    batch_id = queue_big_import(scratch, tmp_path, KILL_ENTRIES)
    before = scratch.snapshot()

    worker = scratch.start_worker(tmp_path / "worker.log")
    try:
        scratch.wait_until_writing(batch_id, worker)
        started = time.monotonic()
        os.kill(worker.pid, signal.SIGTERM)
        worker.wait(timeout=120)
        stopped_in = time.monotonic() - started
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()

    log = (tmp_path / "worker.log").read_text()
    assert worker.returncode == 0, log
    assert "Received Terminated - shutting down gracefully" in log
    assert stopped_in < 30
    assert scratch.snapshot() == before
    state, _stage, _done, attempt, _task = scratch.job(batch_id)
    # Queued again at once: a restarted worker resumes it, nobody has to click.
    assert (state, attempt) == (JobState.QUEUED, 2)

    done = scratch.manage("db_worker", "--batch", "--no-reload", "--no-startup-delay")

    assert done.returncode == 0, done.stderr
    assert scratch.query("SELECT status FROM catalogue_importbatch WHERE id = ?", (batch_id,)) == [
        (ImportStatus.COMPLETED,)
    ]
    assert scratch.query("SELECT count(*) FROM catalogue_article") == [(20 + KILL_ENTRIES,)]


def test_the_page_of_a_job_nobody_runs_names_the_worker_command(client):
    librarian = make_librarian()
    batch = make_upload(user=librarian)
    make_job(batch, enqueued=timezone.now() - datetime.timedelta(seconds=90))
    client.force_login(librarian)

    page = client.get(batch.get_absolute_url()).content.decode()

    # (90 s, or 91 when this machine is slow to answer.)
    assert re.search(
        '<p class="message message--warning" role="alert">Queued for 9[01] s: the job worker '
        "doesn&#x27;t seem to be running. Start it with <code>python manage.py db_worker</code> "
        r"\(see docs/imports.md\); the job runs as soon as it does.</p>",
        page,
    )
