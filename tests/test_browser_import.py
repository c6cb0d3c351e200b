"""A librarian's BibTeX import in headless Chromium: log in, upload, preview, confirm, undo,
with the job worker running beside the server (in a thread)."""

import re
import threading

import pytest
from django.contrib.auth.models import Group, Permission, User

from catalogue.importer.permissions import IMPORT_PERMISSIONS
from catalogue.models import Article, ImportBatch
from tests.factories import make_job_worker

pytestmark = pytest.mark.browser

PASSWORD = "a-long-librarian-password-for-tests"
BIBTEX = b"""% Two good entries and one broken one (missing comma after the title).
@article{fluckiger2018,
  author  = {Fl{\\"u}ckiger, Christoph and Del Re, A. C.},
  title   = {The alliance in adult psychotherapy},
  journal = {Psychotherapy},
  year    = {2018},
  volume  = {55},
  pages   = {316--340},
  doi     = {10.1037/pst0000172-test}
}

@article{broken,
  title = {A title without its comma}
  year  = {2020}
}

@article{baldwin2007,
  author  = {Baldwin, Scott A. and Wampold, Bruce E.},
  title   = {Untangling the alliance-outcome correlation},
  journal = {Journal of Consulting and Clinical Psychology},
  year    = {2007},
  doi     = {10.1037/0022-006X.75.6.842}
}
"""


def import_permissions() -> list[Permission]:
    """Return what importing needs: the import permission and "add" on every model it writes."""
    codenames = [name.split(".", 1)[1] for name in IMPORT_PERMISSIONS]
    return list(
        Permission.objects.filter(content_type__app_label="catalogue", codename__in=codenames)
    )


@pytest.fixture
def job_worker(transactional_db, settings):
    """Run django-tasks-db's job worker in a thread of this process while the test runs.

    On SQLite the test database is a shared-cache memory database, whose table locks fail a
    second writing connection at once ("database table is locked") instead of waiting: there
    the jobs run inside the request (django-tasks' ImmediateBackend) instead.
    """
    from django.db import connection, connections

    if connection.vendor == "sqlite":
        immediate = "django_tasks.backends.immediate.ImmediateBackend"
        settings.TASKS = {"default": {"BACKEND": immediate}}
        yield None
        return

    worker = make_job_worker(worker_id="browser-test", batch=False, interval=0.1)

    def run() -> None:
        try:
            worker.run()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name="job-worker", daemon=True)
    thread.start()
    yield worker
    worker.running = False
    thread.join(timeout=60)


def follow_the_job(page) -> None:
    """On a job's page (still queued or running), ask it to refresh itself until it is done."""
    link = page.get_by_role("link", name="Refresh automatically every 3 seconds")
    # Absent when the job is already done (on SQLite jobs run inside the request).
    if link.count():
        link.click()


@pytest.fixture
def librarian(transactional_db):
    """A Librarians-group member who is not staff (the group's rows are flushed between tests)."""
    group, _created = Group.objects.get_or_create(name="Librarians")
    group.permissions.add(*import_permissions())
    user = User.objects.create_user("lib", password=PASSWORD)
    user.groups.add(group)
    return user


def test_librarian_uploads_previews_confirms_and_undoes_an_import(page, librarian, job_worker):
    page.goto("/import/")
    # Anonymous: sent to the login page first.
    page.wait_for_url(re.compile(r"/accounts/login/\?next=/import/$"))
    page.get_by_label("Username").fill("lib")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/import/$"))

    page.get_by_label(re.compile("BibTeX file")).set_input_files(
        {"name": "alliance.bib", "mimeType": "application/x-bibtex", "buffer": BIBTEX}
    )
    page.get_by_role("button", name="Preview import").click()
    page.wait_for_url(re.compile(r"/import/\d+/$"))

    # The job worker prepares the preview; its page refreshes itself when asked to.
    follow_the_job(page)
    page.get_by_role("heading", level=1, name="Preview: alliance.bib", exact=True).wait_for()
    # The preview: two records to create, the broken entry with its line and raw text.
    body = page.locator("main").inner_text()
    assert "The alliance in adult psychotherapy" in body
    assert "Untangling the alliance-outcome correlation" in body
    assert "line 12 · broken" in body
    assert "A title without its comma" in page.locator("main pre").first.inner_text()
    assert Article.objects.count() == 0

    page.get_by_role("button", name=re.compile(r"^Import 2 new")).click()
    page.wait_for_url(re.compile(r"/import/\d+/$"))
    follow_the_job(page)
    page.get_by_text("Imported alliance.bib: created 2").first.wait_for()
    assert Article.objects.count() == 2

    # The imported record, decoded from LaTeX, is in the catalogue.
    page.get_by_role("link", name="The alliance in adult psychotherapy").first.click()
    page.wait_for_url(re.compile(r"/articles/\d+/$"))
    assert page.get_by_role("link", name="Christoph Flückiger").is_visible()
    page.go_back()

    page.goto("/import/history/")
    assert "alliance.bib" in page.locator("main").inner_text()
    batch = ImportBatch.objects.get()
    page.goto(f"/import/{batch.pk}/")
    page.get_by_role("link", name=re.compile("Undo this import")).click()
    page.get_by_role("button", name=f"Undo import #{batch.pk}").click()
    page.get_by_text(f"Import #{batch.pk} of alliance.bib was undone.").wait_for()
    assert Article.objects.count() == 0
    batch.refresh_from_db()
    assert batch.status == "undone"
