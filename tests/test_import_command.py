"""Tests for `manage.py import_bibtex`: output format, dry run, duplicates and exit codes."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from catalogue.models import Article, ImportBatch, ImportStatus

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent

REFS = """\
@article{zilcha2017,
  author = {Zilcha-Mano, Sigal},
  title = {Is the alliance really therapeutic?},
  journal = {American Psychologist},
  year = {2017},
  doi = {10.1037/a0040435},
}

@article{new2021,
  author = {Doe, Jane},
  title = {A new study},
  journal = {Journal of New Things},
  year = {2021},
}

@article{again2021,
  author = {Doe, J.},
  title = {A NEW study.},
  journal = {Journal of New Things},
  year = {2021},
  doi = {10.1000/again},
}

@article{untitled,
  author = {Doe, Jane},
  year = {2021},
}
"""


class TtyStringIO(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_command(*args: str) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("import_bibtex", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


@pytest.fixture
def refs(tmp_path) -> Path:
    path = tmp_path / "refs.bib"
    path.write_text(REFS, encoding="utf-8")
    return path


def test_import_prints_the_summary_then_one_line_per_suspicious_entry(refs, seed):
    stdout, stderr = run_command(str(refs))

    lines = stdout.splitlines()
    assert lines[0] == "created 1, updated 0, duplicates 1, failed 1, probable duplicates 1"
    assert lines[1] == (
        f"{refs}:16: again2021: probable duplicate: same title, year and first author, but only "
        "one of them has a DOI; resembles new2021 (line 9) earlier in this import"
    )
    assert lines[2].startswith(f"{refs}:24: untitled: ")
    assert len(lines) == 3
    assert stderr == ""  # not a terminal: no progress bar
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.user, batch.filename) == (ImportStatus.COMPLETED, None, str(refs))
    assert Article.objects.count() == 5


def test_reimport_reports_duplicates_and_changes_nothing(refs):
    run_command(str(refs))
    count = Article.objects.count()

    stdout, _ = run_command(str(refs), "--on-duplicate", "update")

    assert stdout.splitlines()[0] == (
        "created 0, updated 0, duplicates 3, failed 1, probable duplicates 0"
    )
    assert Article.objects.count() == count


def test_dry_run_writes_nothing(refs, seed):
    stdout, stderr = run_command(str(refs), "--dry-run")

    assert stdout.splitlines()[0] == (
        "created 1, updated 0, duplicates 1, failed 1, probable duplicates 1"
    )
    assert stderr == "Dry run: nothing was written.\n"
    assert Article.objects.count() == 3
    assert not ImportBatch.objects.exists()


def test_several_files_are_one_import_each_and_the_summary_adds_them_up(refs, tmp_path):
    other = tmp_path / "other.bib"
    other.write_text("@book{b, title={A book}, author={Roe, R.}, year=1999}\n", encoding="utf-8")

    stdout, _ = run_command(str(refs), str(other))

    assert stdout.splitlines()[0] == (
        "created 3, updated 0, duplicates 0, failed 1, probable duplicates 1"
    )
    assert list(ImportBatch.objects.order_by("pk").values_list("filename", flat=True)) == [
        str(refs),
        str(other),
    ]


def test_progress_bar_only_on_a_terminal(refs):
    stdout, stderr = io.StringIO(), TtyStringIO()

    call_command("import_bibtex", str(refs), stdout=stdout, stderr=stderr)

    assert "[##############################] 100%" in stderr.getvalue()
    assert stderr.getvalue().endswith("\r\033[K")
    assert "\r" not in stdout.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"% just a comment\n@comment{x}\n", "contains no BibTeX entries"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "it is a PNG image"),
    ],
)
def test_unreadable_files_stop_the_command_before_anything_is_written(
    refs, tmp_path, content, message
):
    bad = tmp_path / "bad.bib"
    bad.write_bytes(content)

    with pytest.raises(CommandError, match=message):
        run_command(str(refs), str(bad))

    assert not Article.objects.exists()
    assert not ImportBatch.objects.exists()


def test_missing_file_and_directory_are_command_errors(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run_command(str(tmp_path / "missing.bib"))
    with pytest.raises(CommandError, match="is a directory"):
        run_command(str(tmp_path))


def test_file_over_the_limit_is_a_command_error(refs, settings):
    settings.CATALOGUE_IMPORT_MAX_BYTES = 100

    with pytest.raises(CommandError, match="the largest file accepted is 100 bytes"):
        run_command(str(refs))


def test_a_failed_import_is_a_command_error_and_recorded(refs, monkeypatch):
    from catalogue.importer import batches

    def explode(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(batches, "write_plan", explode)

    with pytest.raises(CommandError, match="nothing from this file was written"):
        run_command(str(refs))

    assert ImportBatch.objects.get().status == ImportStatus.FAILED
    assert not Article.objects.exists()


# --- exit status, in a real process -------------------------------------------------------------


def manage(*args: str, database: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("make_path", "message"),
    [
        (lambda tmp: tmp / "missing.bib", "no such file"),
        (lambda tmp: tmp, "is a directory"),
    ],
)
def test_exit_status_is_1_with_a_one_line_message(tmp_path, make_path, message):
    result = manage("import_bibtex", str(make_path(tmp_path)), database=tmp_path / "db.sqlite3")

    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_permission_is_exit_status_1(refs, tmp_path):
    refs.chmod(0)

    result = manage("import_bibtex", str(refs), database=tmp_path / "db.sqlite3")

    assert result.returncode == 1
    assert "permission denied" in result.stderr


def test_exit_status_is_0_when_it_ran_even_with_failed_entries(refs, tmp_path):
    database = tmp_path / "db.sqlite3"
    assert manage("migrate", "--verbosity", "0", database=database).returncode == 0

    result = manage("import_bibtex", str(refs), database=database)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        "created 2, updated 0, duplicates 0, failed 1, probable duplicates 1"
    )


def test_names_resembling_a_person_only_by_initials_are_listed(tmp_path):
    from tests.factories import make_author

    patrick = make_author(family_name="Nguyen", given_names="Patrick")
    path = tmp_path / "n.bib"
    path.write_text("@article{n2020, author = {Nguyen, P.}, title = {Speech}, year = 2020}\n")

    out, _ = run_command(str(path))

    assert out.splitlines() == [
        "created 1, updated 0, duplicates 0, failed 0, probable duplicates 0",
        f"{path}:1: n2020: P. Nguyen: possibly the same person as Patrick Nguyen "
        f"(person #{patrick.pk}); merge them after import if so",
    ]


def write_bib(tmp_path) -> Path:
    path = tmp_path / "one.bib"
    path.write_text("@book{b, title={A book}, author={Roe, R.}, year=1999}\n", encoding="utf-8")
    return path


def test_the_user_given_is_recorded_as_who_uploaded_and_confirmed(tmp_path):
    from django.contrib.auth.models import User

    owner = User.objects.create_user("shelf", password="pw")
    run_command(str(write_bib(tmp_path)), "--user", "shelf")

    batch = ImportBatch.objects.get()
    assert (batch.status, batch.user, batch.confirmed_by) == (ImportStatus.COMPLETED, owner, owner)
    assert batch.confirmed == batch.finished


def test_an_unknown_user_stops_the_command_before_anything_is_written(tmp_path):
    path = write_bib(tmp_path)

    with pytest.raises(CommandError, match=r"^--user nobody: no such user\.$"):
        run_command(str(path), "--user", "nobody")

    assert not ImportBatch.objects.exists()
    assert not Article.objects.exists()


def test_without_a_user_the_import_is_the_command_lines(tmp_path):
    run_command(str(write_bib(tmp_path)))

    batch = ImportBatch.objects.get()
    assert (batch.user, batch.confirmed_by) == (None, None)
    assert batch.confirmed == batch.finished


# --- background jobs ---------------------------------------------------------------------------


def test_background_queues_each_file_and_prints_where_to_follow_it(refs, tmp_path):
    from catalogue.models import ImportJob
    from tests.test_import_jobs import run_jobs

    other = write_bib(tmp_path)

    stdout, stderr = run_command("--background", str(refs), str(other))

    first, second = ImportBatch.objects.order_by("pk")
    assert stdout.splitlines() == [
        f"{refs}: import #{first.pk} queued: /import/{first.pk}/",
        f"{other}: import #{second.pk} queued: /import/{second.pk}/",
    ]
    assert stderr == (
        "The job worker (python manage.py db_worker) runs them; follow them on the pages above "
        "or in the import history.\n"
    )
    assert [batch.status for batch in (first, second)] == [ImportStatus.IMPORTING] * 2
    assert list(ImportJob.objects.values_list("kind", "state")) == [("import", "queued")] * 2
    assert not Article.objects.exists()

    run_jobs()

    assert set(ImportBatch.objects.values_list("status", flat=True)) == {ImportStatus.COMPLETED}
    assert Article.objects.count() == 4  # as test_several_files_are_one_import_each...


def test_background_stops_before_queueing_anything_when_a_file_cannot_be_read(refs, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run_command("--background", str(refs), str(tmp_path / "missing.bib"))

    assert not ImportBatch.objects.exists()


def test_a_file_the_job_cannot_parse_is_a_failed_import(tmp_path):
    from tests.test_import_jobs import run_jobs

    bad = tmp_path / "bad.bib"
    bad.write_bytes(b"% just a comment\n@comment{x}\n")
    run_command("--background", str(bad))

    run_jobs()

    batch = ImportBatch.objects.get()
    assert (batch.status, bytes(batch.source)) == (ImportStatus.FAILED, b"")
    assert batch.error.startswith(f"{bad} contains no BibTeX entries")


def test_retry_queues_a_stopped_import_again(refs):
    import datetime

    from django.utils import timezone

    from catalogue.models import ImportJob
    from tests.test_import_jobs import run_jobs

    run_command("--background", str(refs))
    batch = ImportBatch.objects.get()
    with pytest.raises(CommandError, match="its job is still queued"):
        run_command("--retry", str(batch.pk))
    ImportJob.objects.update(state="running", heartbeat=timezone.now(), worker="gone:1:1")
    ImportJob.objects.update(heartbeat=timezone.now() - datetime.timedelta(minutes=2))

    stdout, _ = run_command("--retry", str(batch.pk))

    assert stdout == f"import #{batch.pk} queued again: /import/{batch.pk}/\n"
    run_jobs()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.COMPLETED
    with pytest.raises(CommandError, match=f"Import #{batch.pk} is completed: it has no job"):
        run_command("--retry", str(batch.pk))
    with pytest.raises(CommandError, match="--retry 999: no such import"):
        run_command("--retry", "999")
