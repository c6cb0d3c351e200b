"""Tests for catalogue.views.imports: permissions, upload, preview, confirm, history, undo."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalogue import importer
from catalogue.formats import bibtex
from catalogue.models import Article, ImportBatch, ImportRecord, ImportStatus
from tests.test_import_jobs import run_jobs

pytestmark = pytest.mark.django_db


BIB = b"""\
@article{zilcha2017,
  author = {Zilcha-Mano, Sigal},
  title = {Is the alliance really therapeutic?},
  journal = {American Psychologist},
  year = {2017},
  doi = {10.1037/a0040435},
}

@article{new2021,
  author = {Doe, Jane and Roe, Richard},
  title = {A <new> study & more},
  journal = {Journal of New Things},
  year = {2021},
  doi = {10.1000/new.2021},
}

@article{broken,
  title = {No closing brace,
  year = 2020,
"""


@pytest.fixture
def librarian(client):
    user = User.objects.create_user("lib", password="pw")
    user.groups.add(Group.objects.get(name="Librarians"))
    client.force_login(user)
    return user


def make_user(client, **flags):
    user = User.objects.create_user("someone", password="pw", **flags)
    client.force_login(user)
    return user


def entry(**fields):
    fields.setdefault("output_type", "article")
    fields.setdefault("authors", [bibtex.Name(family="Doe", given="Jane")])
    fields.setdefault("year", 2020)
    return bibtex.Entry(entry_type="article", raw="@article{...}", **fields)


def completed_batch(*entries, on_duplicate="skip", user=None):
    result = bibtex.ParseResult(
        source="done.bib",
        encoding="utf-8",
        entries=list(entries),
        source_entry_count=len(entries),
    )
    return importer.run_import(
        data=b"data", filename="done.bib", user=user, on_duplicate=on_duplicate, result=result
    )


URL_NAMES = [
    ("catalogue:import", []),
    ("catalogue:import-history", []),
]


# --- permissions -------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "args"), URL_NAMES)
def test_anonymous_users_are_sent_to_log_in(client, name, args):
    url = reverse(name, args=args)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_a_librarian_who_is_not_staff_logs_in_and_reaches_the_import_page(client):
    user = User.objects.create_user("lib", password="correct horse battery")
    user.groups.add(Group.objects.get(name="Librarians"))
    url = reverse("catalogue:import")

    response = client.post(
        reverse("login"),
        {"username": "lib", "password": "correct horse battery", "next": url},
    )

    assert response.status_code == 302
    assert response["Location"] == url
    page = client.get(url)
    assert page.status_code == 200
    assert b'href="/import/history/"' in page.content


def test_the_login_page_says_what_went_wrong(client):
    response = client.post(reverse("login"), {"username": "nobody", "password": "wrong"})

    assert response.status_code == 200
    assert b"Please enter a correct username and password." in response.content


def test_anonymous_users_cannot_reach_a_batch(client):
    batch = completed_batch(entry(key="a", line=1, title="T"))
    for name in ("catalogue:import-detail", "catalogue:import-undo"):
        response = client.get(reverse(name, args=[batch.pk]))
        assert response.status_code == 302
    response = client.post(reverse("catalogue:import-undo", args=[batch.pk]))
    assert response.status_code == 302
    assert ImportBatch.objects.get().status == ImportStatus.COMPLETED


@pytest.mark.parametrize(("name", "args"), URL_NAMES)
def test_readers_without_the_permission_get_403(client, name, args):
    make_user(client)

    assert client.get(reverse(name, args=args)).status_code == 403


def test_readers_cannot_undo(client):
    batch = completed_batch(entry(key="a", line=1, title="T"))
    make_user(client)

    response = client.post(reverse("catalogue:import-undo", args=[batch.pk]))

    assert response.status_code == 403
    assert Article.objects.count() == 1


@pytest.mark.parametrize(("name", "args"), URL_NAMES)
def test_librarians_may_import(client, librarian, name, args):
    assert client.get(reverse(name, args=args)).status_code == 200


@pytest.mark.parametrize(("name", "args"), URL_NAMES)
def test_staff_without_the_permissions_may_not_import(client, name, args):
    make_user(client, is_staff=True)

    assert client.get(reverse(name, args=args)).status_code == 403


@pytest.mark.parametrize(("name", "args"), URL_NAMES)
def test_superusers_may_import(client, name, args):
    make_user(client, is_staff=True, is_superuser=True)

    assert client.get(reverse(name, args=args)).status_code == 200


def test_import_page_shows_the_form(client, librarian):
    response = client.get(reverse("catalogue:import"))

    content = response.content.decode()
    assert 'enctype="multipart/form-data"' in content
    assert 'name="csrfmiddlewaretoken"' in content
    assert 'name="file"' in content
    assert 'name="text"' in content
    assert 'value="update"' in content


# --- upload, preview, confirm ------------------------------------------------------------------


def test_upload_preview_then_confirm(client, librarian, seed):
    upload = SimpleUploadedFile("refs.bib", BIB, content_type="application/x-bibtex")

    response = client.post(reverse("catalogue:import"), {"file": upload, "on_duplicate": "skip"})

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("catalogue:import-detail", args=[batch.pk])
    assert batch.status == ImportStatus.PENDING
    assert bytes(batch.source) == BIB
    assert batch.user == librarian
    assert Article.objects.count() == 3
    # The upload returns at once: the preview is prepared by a job, and its page says so.
    waiting = client.get(response["Location"]).content.decode()
    assert "<h1>Preparing the preview: refs.bib</h1>" in waiting
    assert "Queued: waiting for the job worker." in waiting
    # It refreshes itself only when asked to (WCAG 2.2.1).
    assert "refresh" not in waiting.split("</head>")[0]
    assert '<a href="?refresh=3">Refresh automatically every 3 seconds</a>' in waiting
    refreshing = client.get(response["Location"], {"refresh": "3"}).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in refreshing
    assert '<a href="?">Stop refreshing</a>' in refreshing

    run_jobs()
    preview = client.get(response["Location"])

    content = preview.content.decode()
    assert preview.status_code == 200
    assert "Nothing has been written yet" in content
    assert "refresh" not in content
    assert "A &lt;new&gt; study &amp; more" in content
    assert reverse("catalogue:article-detail", args=[1]) in content  # the duplicate's record
    assert "<pre>@article{broken," in content
    assert "line 17" in content
    assert Article.objects.count() == 3
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PREVIEWED
    assert (batch.created_count, batch.duplicate_count, batch.failed_count) == (1, 1, 1)

    confirmed = client.post(
        reverse("catalogue:import-confirm", args=[batch.pk]), {"action": "confirm"}, follow=True
    )

    assert confirmed.status_code == 200
    queued = confirmed.content.decode()
    assert "Import of refs.bib queued: it runs in the background" in queued
    assert "<h1>Importing: refs.bib</h1>" in queued
    assert ImportBatch.objects.get().status == ImportStatus.IMPORTING
    assert Article.objects.count() == 3

    run_jobs()
    done = client.get(reverse("catalogue:import-detail", args=[batch.pk]))

    assert "Imported refs.bib: created 1, updated 0, duplicates 1, failed 1" in (
        done.content.decode()
    )
    batch.refresh_from_db()
    assert batch.status == ImportStatus.COMPLETED
    assert bytes(batch.source) == b""
    assert Article.objects.filter(doi="10.1000/new.2021").exists()

    assert not batch.preview_rows.exists()  # the stored preview goes once imported

    again = client.post(
        reverse("catalogue:import-confirm", args=[batch.pk]), {"action": "confirm"}, follow=True
    )
    assert "cannot be run again: it is already completed" in again.content.decode()
    run_jobs()
    assert Article.objects.count() == 4


def test_pasted_text_is_imported_too(client, librarian):
    response = client.post(
        reverse("catalogue:import"),
        {"text": BIB.decode(), "on_duplicate": "update"},
    )

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert (batch.filename, batch.on_duplicate) == ("pasted text", "update")
    client.post(reverse("catalogue:import-confirm", args=[batch.pk]), {"action": "confirm"})
    run_jobs()
    assert Article.objects.count() == 2


def test_confirm_plans_again_against_the_current_catalogue(client, librarian):
    client.post(reverse("catalogue:import"), {"text": BIB.decode(), "on_duplicate": "skip"})
    batch = ImportBatch.objects.get()
    run_jobs()
    client.get(reverse("catalogue:import-detail", args=[batch.pk]))
    # Someone imports the same DOI between preview and confirmation.
    completed_batch(entry(key="x", line=1, title="Other", doi="10.1000/new.2021"))

    client.post(reverse("catalogue:import-confirm", args=[batch.pk]), {"action": "confirm"})
    run_jobs()

    batch.refresh_from_db()
    assert (batch.created_count, batch.duplicate_count) == (1, 1)
    assert Article.objects.filter(doi="10.1000/new.2021").count() == 1


def test_cancel_forgets_the_pending_import(client, librarian):
    client.post(reverse("catalogue:import"), {"text": BIB.decode(), "on_duplicate": "skip"})
    batch = ImportBatch.objects.get()

    response = client.post(
        reverse("catalogue:import-confirm", args=[batch.pk]), {"action": "cancel"}, follow=True
    )

    assert "cancelled: nothing was written" in response.content.decode()
    batch.refresh_from_db()
    assert (batch.status, bytes(batch.source), batch.cancelled_by) == (
        ImportStatus.CANCELLED,
        b"",
        librarian,
    )
    assert not Article.objects.exists()


def test_confirm_needs_post(client, librarian):
    batch = completed_batch(entry(key="a", line=1, title="T"))

    assert client.get(reverse("catalogue:import-confirm", args=[batch.pk])).status_code == 405


def test_confirm_checks_csrf(librarian):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(librarian)
    batch = completed_batch(entry(key="a", line=1, title="T"))

    assert strict.post(reverse("catalogue:import-confirm", args=[batch.pk])).status_code == 403
    assert strict.post(reverse("catalogue:import"), {"text": "x"}).status_code == 403
    assert strict.post(reverse("catalogue:import-undo", args=[batch.pk])).status_code == 403


# --- bad uploads -------------------------------------------------------------------------------


def post_file(client, content: bytes, name: str = "refs.bib"):
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(reverse("catalogue:import"), {"file": upload, "on_duplicate": "skip"})


def test_too_big_an_upload_is_refused_with_a_message(client, librarian, settings):
    settings.CATALOGUE_IMPORT_MAX_BYTES = 1024

    response = post_file(client, b"@article{x, title={T}}\n" * 100)

    assert response.status_code == 400
    assert "The file is larger than 1.0 kB" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_upload_limit_handler_stops_reading_past_the_limit():
    from django.core.files.uploadhandler import StopUpload

    from catalogue.forms import UploadLimitHandler

    handler = UploadLimitHandler(limit=100)
    assert handler.receive_data_chunk(b"x" * 60, 0) == b"x" * 60
    with pytest.raises(StopUpload):
        handler.receive_data_chunk(b"x" * 60, 60)
    assert handler.too_big

    announced = UploadLimitHandler(limit=100)
    announced.handle_raw_input(None, {}, 10**10, b"boundary")
    with pytest.raises(StopUpload):
        announced.new_file("file", "big.bib", "text/plain", 10**10)
    assert announced.too_big


def test_too_big_a_paste_is_refused_with_a_message(client, librarian, settings):
    settings.CATALOGUE_IMPORT_MAX_PASTE_BYTES = 100

    response = client.post(
        reverse("catalogue:import"), {"text": "@misc{x, title={T}}\n" * 10, "on_duplicate": "skip"}
    )

    assert response.status_code == 400
    assert "The pasted text is larger than" in response.content.decode()


def test_a_request_body_over_django_limit_is_a_400_with_a_message(client, librarian, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = client.post(
        reverse("catalogue:import"), {"text": "@misc{x, title={T}}\n" * 10, "on_duplicate": "skip"}
    )

    assert response.status_code == 400
    assert "The pasted text is too large" in response.content.decode()


def test_an_empty_upload_is_refused_with_a_message(client, librarian):
    response = post_file(client, b"")

    assert response.status_code == 400
    assert "The submitted file is empty." in response.content.decode()


def test_no_source_at_all_is_refused_with_a_message(client, librarian):
    response = client.post(reverse("catalogue:import"), {"on_duplicate": "skip"})

    assert response.status_code == 400
    assert "Choose a BibTeX file or paste BibTeX text." in response.content.decode()


def test_a_blank_upload_is_400_with_a_message(client, librarian):
    response = post_file(client, b"\n\n   \n")

    assert response.status_code == 400
    assert "refs.bib is empty." in response.content.decode()
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"@comment{just a comment}\n", "contains no BibTeX entries"),
        (bytes(range(256)) * 40, "refs.bib"),
        ("@article{x, title={Caf\u00e9}}".encode("utf-32-le"), "binary data"),
    ],
)
def test_unusable_uploads_fail_their_preview_with_the_message(client, librarian, content, message):
    from django.utils.html import escape

    from catalogue.models import ImportJob

    # The upload is only stored: its job finds out that it cannot be imported.
    response = post_file(client, content)
    assert response.status_code == 302

    run_jobs()

    batch = ImportBatch.objects.get()
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert (batch.status, bytes(batch.source)) == (ImportStatus.FAILED, b"")
    assert batch.error.startswith("refs.bib")
    assert message in batch.error
    assert f"The preview failed: this file cannot be imported. {escape(batch.error)}" in html
    assert 'value="confirm"' not in html
    assert ImportJob.objects.get().error == batch.error
    assert not Article.objects.exists()


def test_a_windows_1252_upload_is_decoded_not_refused(client, librarian):
    response = post_file(client, "@article{x, title={Café au lait}, year=2020}\n".encode("cp1252"))

    assert response.status_code == 302
    run_jobs()
    preview = client.get(response["Location"])
    assert "Café au lait" in preview.content.decode()
    assert ImportBatch.objects.get().encoding in {"cp1252", "windows-1252", "latin-1", "iso8859-1"}


def test_a_deeply_nested_upload_previews_with_the_problem(client, librarian):
    response = post_file(client, b"@article{deep, title={" + b"{" * 5000 + b"}" * 5000 + b"}}\n")

    assert response.status_code == 302
    run_jobs()
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    assert "deep" in preview.content.decode()
    assert ImportBatch.objects.get().failed_count == 1


# --- report, history, undo ---------------------------------------------------------------------


def test_detail_of_a_completed_import_lists_its_entries(client, librarian):
    batch = completed_batch(
        entry(key="a", line=1, title="First <i>one</i>", doi="10.1000/a"),
        entry(key="b", line=9, title="Second", doi="10.1000/A"),
        user=librarian,
    )

    response = client.get(reverse("catalogue:import-detail", args=[batch.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "First <i>one</i>" in content
    assert "same DOI 10.1000/a as a (line 1) earlier in this import" in content
    assert batch.checksum in content
    assert "Undo this import" in content

    only_duplicates = client.get(
        reverse("catalogue:import-detail", args=[batch.pk]), {"show": "duplicate"}
    )
    assert "First <i>one</i>" not in only_duplicates.content.decode()


def test_history_lists_every_import(client, librarian):
    first = completed_batch(entry(key="a", line=1, title="T"), user=librarian)
    second = completed_batch(entry(key="a", line=1, title="T"))

    response = client.get(reverse("catalogue:import-history"))

    content = response.content.decode()
    assert response.status_code == 200
    assert f'href="{first.get_absolute_url()}"' in content
    assert f'href="{second.get_absolute_url()}"' in content
    assert "lib" in content
    assert "command line" in content
    assert first.checksum in content


def test_undo_through_the_web_with_confirmation(client, librarian):
    batch = completed_batch(
        entry(key="a", line=1, title="T"), entry(key="b", line=5, title="U"), user=librarian
    )

    confirmation = client.get(reverse("catalogue:import-undo", args=[batch.pk]))

    assert confirmation.status_code == 200
    assert "delete the 2 articles it created" in confirmation.content.decode()
    assert Article.objects.count() == 2

    response = client.post(reverse("catalogue:import-undo", args=[batch.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("catalogue:import-history")
    assert f"Import #{batch.pk} of done.bib was undone." in response.content.decode()
    assert not Article.objects.exists()
    batch.refresh_from_db()
    assert (batch.status, batch.undone_by) == (ImportStatus.UNDONE, librarian)

    twice = client.post(reverse("catalogue:import-undo", args=[batch.pk]), follow=True)

    assert f"Import #{batch.pk} was already undone on" in twice.content.decode()
    page = client.get(reverse("catalogue:import-undo", args=[batch.pk]))
    assert page.status_code == 409
    assert "was already undone" in page.content.decode()


def test_unknown_batch_is_404(client, librarian):
    assert client.get(reverse("catalogue:import-detail", args=[999])).status_code == 404
    assert client.post(reverse("catalogue:import-undo", args=[999])).status_code == 404


def test_failed_import_detail_shows_the_error(client, librarian):
    batch = ImportBatch.objects.create(
        filename="x.bib",
        checksum="a" * 64,
        size=3,
        status=ImportStatus.FAILED,
        error="OperationalError: database is locked",
    )

    response = client.get(reverse("catalogue:import-detail", args=[batch.pk]))

    assert response.status_code == 200
    assert "OperationalError: database is locked (nothing was written)" in response.content.decode()
    assert not ImportRecord.objects.exists()


def test_preview_flags_a_name_that_resembles_a_person_only_by_initials(client, librarian):
    from django.urls import NoReverseMatch

    from tests.factories import make_author

    patrick = make_author(family_name="Nguyen", given_names="Patrick")
    data = b"@article{n2020, author = {P Nguyen}, title = {Speech}, year = 2020}\n"
    batch = importer.prepare_import(data=data, filename="n.bib", user=librarian)
    run_jobs()

    content = client.get(reverse("catalogue:import-detail", args=[batch.pk])).content.decode()

    try:
        merge = reverse("admin:catalogue_author_merge")
    except NoReverseMatch:  # the admin's merge page is not mounted in this build
        merge = "/admin/catalogue/author/merge/"
    person = reverse("catalogue:author-detail", args=[patrick.pk])
    assert (
        f'P Nguyen: possibly the same person as <a href="{person}">Patrick Nguyen</a> '
        f'(<a href="{merge}?person={patrick.pk}">merge after import</a>)'
    ) in content
    # Nothing is linked on initials: confirming makes a second person.
    client.post(reverse("catalogue:import-confirm", args=[batch.pk]), {"action": "confirm"})
    run_jobs()
    article = Article.objects.get(title="Speech")
    authorship = article.authorships.get()
    assert authorship.author != patrick
    assert (authorship.family_name, authorship.given_names) == ("Nguyen", "P")
    assert authorship.author.display_name == "P Nguyen"


# --- database errors during a web confirm (issue 16, finding 8) --------------------------------


def _database_errors():
    import sqlite3

    import psycopg2.errors

    return [
        sqlite3.OperationalError("database is locked"),
        psycopg2.errors.QueryCanceled("canceling statement due to statement timeout"),
        psycopg2.errors.DiskFull("could not extend file: No space left on device"),
    ]


@pytest.mark.parametrize("failure", _database_errors(), ids=lambda error: type(error).__name__)
def test_a_driver_error_in_the_bulk_write_is_reported_and_keeps_the_upload(
    client, librarian, monkeypatch, failure
):
    from catalogue.importer import writing
    from catalogue.models import Author, Journal

    client.post(reverse("catalogue:import"), {"text": BIB.decode(), "on_duplicate": "skip"})
    run_jobs()
    batch = ImportBatch.objects.get()
    stored = bytes(batch.source)
    write = writing.insert_rows

    def failing_insert_rows(model, rows):
        if model is Article:  # journals and people are written by now
            raise failure
        write(model, rows)

    monkeypatch.setattr(writing, "insert_rows", failing_insert_rows)
    confirm = reverse("catalogue:import-confirm", args=[batch.pk])

    response = client.post(confirm, {"action": "confirm"})
    run_jobs()

    assert response.status_code == 302
    assert response["Location"] == batch.get_absolute_url()
    page = client.get(response["Location"])
    content = page.content.decode()
    assert page.status_code == 200
    reason = f"{type(failure).__name__}: {failure}"
    assert (
        "The import failed because of a database error and nothing was written; the file is "
        f"kept: confirm again to retry. ({reason})"
    ) in content
    batch.refresh_from_db()
    assert batch.status in (ImportStatus.PENDING, ImportStatus.PREVIEWED)
    assert bytes(batch.source) == stored
    assert batch.error == reason
    assert (Article.objects.count(), Journal.objects.count(), Author.objects.count()) == (0, 0, 0)

    monkeypatch.setattr(writing, "insert_rows", write)
    client.post(confirm, {"action": "confirm"})
    run_jobs()
    retry = client.get(batch.get_absolute_url())

    assert "Imported pasted text: created 2" in retry.content.decode()
    batch.refresh_from_db()
    assert (batch.status, batch.error, bytes(batch.source)) == (ImportStatus.COMPLETED, "", b"")
    assert Article.objects.count() == 2


# --- ownership, audit and permissions per model (issue 16, finding 9) --------------------------


def member(username, *groups, **flags):
    user = User.objects.create_user(username, password="pw", **flags)
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


def upload(client, user):
    """Upload BIB as `user`, and let its preview job run."""
    client.force_login(user)
    client.post(reverse("catalogue:import"), {"text": BIB.decode(), "on_duplicate": "skip"})
    run_jobs()
    return ImportBatch.objects.latest("pk")


def test_another_librarian_cannot_confirm_cancel_or_undo_an_import(client):
    owner = member("owner", "Librarians")
    other = member("other", "Librarians")
    pending = upload(client, owner)
    done = completed_batch(entry(key="a", line=1, title="T"), user=owner)
    client.force_login(other)
    confirm = reverse("catalogue:import-confirm", args=[pending.pk])
    undo = reverse("catalogue:import-undo", args=[done.pk])

    refused = [
        client.post(confirm, {"action": "confirm"}),
        client.post(confirm, {"action": "cancel"}),
        client.get(undo),
        client.post(undo),
    ]

    assert [response.status_code for response in refused] == [403, 403, 403, 403]
    assert f"Import #{pending.pk} belongs to owner" in refused[0].content.decode()
    assert Article.objects.count() == 1
    pending.refresh_from_db()
    done.refresh_from_db()
    assert pending.status == ImportStatus.PREVIEWED
    assert bytes(pending.source) == BIB
    assert done.status == ImportStatus.COMPLETED
    # Reading the shared history stays open to every librarian.
    assert client.get(reverse("catalogue:import-history")).status_code == 200
    assert client.get(done.get_absolute_url()).status_code == 200
    # The owner's own page offers no buttons to the others.
    assert "Undo this import" not in client.get(done.get_absolute_url()).content.decode()
    preview = client.get(pending.get_absolute_url()).content.decode()
    assert 'value="confirm"' not in preview
    assert "Only owner or a head librarian can confirm or cancel it." in preview


def test_a_head_librarian_acts_on_any_import_and_each_step_is_recorded(client):
    owner = member("owner", "Librarians")
    head = member("head", "Librarians", "Head librarians")
    first = upload(client, owner)
    second = upload(client, owner)
    client.force_login(head)

    client.post(reverse("catalogue:import-confirm", args=[first.pk]), {"action": "confirm"})
    client.post(reverse("catalogue:import-confirm", args=[second.pk]), {"action": "cancel"})
    run_jobs()

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.user, first.confirmed_by) == (ImportStatus.COMPLETED, owner, head)
    assert first.confirmed is not None
    assert (second.status, second.user, second.cancelled_by) == (
        ImportStatus.CANCELLED,
        owner,
        head,
    )
    assert second.cancelled is not None
    assert bytes(second.source) == b""

    client.post(reverse("catalogue:import-undo", args=[first.pk]))

    first.refresh_from_db()
    assert (first.status, first.undone_by) == (ImportStatus.UNDONE, head)
    assert not Article.objects.exists()
    detail = client.get(first.get_absolute_url()).content.decode()
    confirmed = first.confirmed.astimezone().strftime("%Y-%m-%d %H:%M")
    undone = first.undone.astimezone().strftime("%Y-%m-%d %H:%M")
    assert '<th scope="row">Uploaded by</th><td>owner' in detail
    assert f'<th scope="row">Confirmed by</th><td>head on {confirmed}' in detail
    assert f'<th scope="row">Undone by</th><td>head on {undone}' in detail
    history = client.get(reverse("catalogue:import-history")).content.decode()
    assert "uploaded by owner, confirmed by head, undone by head" in history
    # A cancelled upload was never an import: not in the history (the admin lists it).
    assert "cancelled by head" not in history
    assert f'href="{second.get_absolute_url()}"' not in history


def test_the_owner_cancels_and_the_cancellation_is_recorded(client):
    owner = member("owner", "Librarians")
    batch = upload(client, owner)

    client.post(reverse("catalogue:import-confirm", args=[batch.pk]), {"action": "cancel"})

    batch.refresh_from_db()
    assert (batch.status, batch.cancelled_by, bytes(batch.source)) == (
        ImportStatus.CANCELLED,
        owner,
        b"",
    )
    page = client.get(batch.get_absolute_url())
    assert page.status_code == 200
    assert '<th scope="row">Cancelled by</th><td>owner on' in page.content.decode()


def test_only_a_head_librarian_or_a_superuser_undoes_a_command_line_import(client):
    batch = completed_batch(entry(key="a", line=1, title="T"))  # no user: the command line
    client.force_login(member("lib", "Librarians"))
    assert client.post(reverse("catalogue:import-undo", args=[batch.pk])).status_code == 403

    client.force_login(member("root", is_staff=True, is_superuser=True))
    client.post(reverse("catalogue:import-undo", args=[batch.pk]))

    batch.refresh_from_db()
    assert batch.status == ImportStatus.UNDONE


def test_a_staff_flag_without_model_permissions_cannot_import_or_undo(client):
    owner = member("owner", "Librarians")
    pending = upload(client, owner)
    done = completed_batch(entry(key="a", line=1, title="T"))
    staff = member("clerk", is_staff=True)
    client.force_login(staff)

    responses = [
        client.get(reverse("catalogue:import")),
        client.post(reverse("catalogue:import"), {"text": BIB.decode(), "on_duplicate": "skip"}),
        client.get(reverse("catalogue:import-history")),
        client.get(pending.get_absolute_url()),
        client.post(reverse("catalogue:import-confirm", args=[pending.pk]), {"action": "confirm"}),
        client.post(reverse("catalogue:import-undo", args=[done.pk])),
    ]

    assert [response.status_code for response in responses] == [403] * 6
    assert ImportBatch.objects.count() == 2
    assert Article.objects.count() == 1


def test_the_import_permission_without_add_permissions_is_not_enough(client):
    from django.contrib.auth.models import Permission

    user = member("half", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="import_bibtex"))
    client.force_login(user)

    response = client.get(reverse("catalogue:import"))

    assert response.status_code == 403
    assert "add article" in response.content.decode()


def test_updating_existing_records_needs_the_change_permission(client):
    from django.contrib.auth.models import Permission

    user = member("adder")
    models = ["article", "authorship", "contributor", "author", "journal", "keyword"]
    codenames = ["import_bibtex", *(f"add_{model}" for model in models)]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)

    response = client.post(
        reverse("catalogue:import"), {"text": BIB.decode(), "on_duplicate": "update"}
    )

    assert response.status_code == 403
    assert (
        "Updating existing records from a file needs these permissions, which your account "
        "lacks: change article."
    ) in response.content.decode()
    assert not ImportBatch.objects.exists()
    skip = client.post(reverse("catalogue:import"), {"text": BIB.decode(), "on_duplicate": "skip"})
    assert skip.status_code == 302


# --- undo with a person still used elsewhere (issue 16, finding 5) -----------------------------


def test_undo_keeps_a_person_an_evidence_summary_uses_and_lists_it(client, librarian):
    from catalogue.models import Author, EvidenceSummary

    batch = completed_batch(entry(key="a", line=1, title="T"), user=librarian)
    jane = Author.objects.get()
    summary = EvidenceSummary.objects.create(
        title="Does it help?", slug="help", question="Q", standfirst="S", body="B", author=jane
    )

    confirmation = client.get(reverse("catalogue:import-undo", args=[batch.pk])).content.decode()
    response = client.post(reverse("catalogue:import-undo", args=[batch.pk]), follow=True)

    kept = f"Jane Doe (person): kept, still used by evidence summary #{summary.pk} “Does it help?”"
    assert "Jane Doe (person): will be kept, still used by evidence summary" in confirmation
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == batch.get_absolute_url()
    content = response.content.decode()
    assert f"Import #{batch.pk} of done.bib was undone; 1 record was kept." in content
    assert kept in content
    assert not Article.objects.exists()
    assert list(Author.objects.all()) == [jane]


# --- what each previewed entry parsed to ---------------------------------------------------------

PARSED_BIB = b"""\
@article{doe2021,
  author = {Doe, Jane and de la Roe, Richard and {<b>Team</b> & Co}},
  title = {A study},
  journal = {Journal of <i>New</i> & Old Things},
  year = {2021},
  doi = {10.1000/new<2021>},
}

@incollection{smith2019,
  author = {Smith, Ann},
  title = {A chapter},
  booktitle = {The Handbook},
  publisher = {Press},
  year = {2019},
}

@misc{undated,
  author = {Solo, Han},
  title = {No year},
}

@article{broken,
  title = {No closing brace,
  year = 2020,
"""


def preview_of(client, content: bytes) -> tuple[ImportBatch, str]:
    """Upload `content`, run its preview job; return the batch and its preview page."""
    client.post(reverse("catalogue:import"), {"text": content.decode(), "on_duplicate": "skip"})
    run_jobs()
    batch = ImportBatch.objects.latest("pk")
    return batch, client.get(batch.get_absolute_url()).content.decode()


def parsed_lists(page: str) -> list[str]:
    """Return each entry's parsed details as one line of text (tags dropped)."""
    import re

    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block)).strip()
        for block in re.findall(r'<dl class="import-row__parsed">(.*?)</dl>', page, re.S)
    ]


def test_the_preview_shows_each_entrys_type_authors_year_container_and_doi(client, librarian):
    batch, page = preview_of(client, PARSED_BIB)

    assert batch.status == ImportStatus.PREVIEWED
    assert parsed_lists(page) == [
        "Type Article Authors Jane Doe Richard de la Roe &lt;b&gt;Team&lt;/b&gt; &amp; Co "
        "Year 2021 Published in Journal of New &amp; Old Things "
        "DOI 10.1000/new&lt;2021&gt;",
        "Type Chapter Author Ann Smith Year 2019 Published in The Handbook",
        "Type Other contribution Author Han Solo Year none",
    ]
    # Escaped, the container's markup as rich text (CSL <i> kept), the DOI linked.
    assert "<dd>Journal of <i>New</i> &amp; Old Things</dd>" in page
    assert '<a href="https://doi.org/10.1000/new%3C2021%3E">10.1000/new&lt;2021&gt;</a>' in page
    assert "<b>Team</b>" not in page
    # The entry that failed to parse has no parsed details, only its problem.
    assert page.count('<dl class="import-row__parsed">') == 3


def test_a_preview_page_takes_the_same_queries_whatever_its_entries(client, librarian):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    few, _ = preview_of(client, PARSED_BIB)
    many_bib = b"\n".join(
        b"@article{k%d, author = {Doe, J. and Roe, R.}, title = {T %d}, journal = {J}, "
        b"year = {2001}, doi = {10.1/%d}}" % (n, n, n)
        for n in range(60)
    )
    many, _ = preview_of(client, many_bib)

    counts = []
    for batch in (few, many):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(batch.get_absolute_url()).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- the history lists imports; uploads awaiting confirmation apart, until they expire -----------


def age(batch: ImportBatch, **delta) -> ImportBatch:
    """Move `batch`'s upload time back by `delta` (days=, hours=)."""
    import datetime

    ImportBatch.objects.filter(pk=batch.pk).update(
        created=batch.created - datetime.timedelta(**delta)
    )
    batch.refresh_from_db()
    return batch


def history_sections(client) -> tuple[str, str]:
    """Return the history page's "Awaiting confirmation" and "Imports" parts."""
    page = client.get(reverse("catalogue:import-history")).content.decode()
    imports_at = page.index('<h2 id="imports-heading">')
    return page[:imports_at], page[imports_at:]


def test_the_history_lists_previews_apart_from_imports_with_their_expiry(client, librarian):
    previewed, _ = preview_of(client, BIB)
    unreadable, _ = preview_of(client, b"no entries at all, just text")
    done = completed_batch(entry(key="a", line=1, title="T"), user=librarian)

    awaiting, imports = history_sections(client)

    assert unreadable.status == ImportStatus.FAILED
    expires = (previewed.created.astimezone() + importer.PENDING_LIFETIME).strftime(
        "%Y-%m-%d %H:%M"
    )
    assert '<h2 id="awaiting-heading">Awaiting confirmation</h2>' in awaiting
    assert f'href="{previewed.get_absolute_url()}"' in awaiting
    assert f'<td class="import-expiry">{expires}</td>' in awaiting
    assert "<td>Awaiting confirmation</td>" in awaiting
    assert f'href="{previewed.get_absolute_url()}"' not in imports
    assert f'href="{done.get_absolute_url()}"' in imports
    assert f'href="{done.get_absolute_url()}"' not in awaiting
    # A file that could not be read never became an import: listed nowhere.
    assert f'href="{unreadable.get_absolute_url()}"' not in awaiting + imports
    preview = client.get(previewed.get_absolute_url()).content.decode()
    assert f"Unless confirmed, it expires on {expires} (a week after the upload)." in preview
    start = client.get(reverse("catalogue:import")).content.decode()
    assert "a preview not confirmed within a week expires." in start


def test_a_failed_import_is_an_import_in_the_history(client, librarian):
    batch = ImportBatch.objects.create(
        filename="x.bib", checksum="a" * 64, size=3, status=ImportStatus.FAILED, error="boom"
    )

    awaiting, imports = history_sections(client)

    assert f'href="{batch.get_absolute_url()}"' in imports
    assert "Awaiting confirmation" not in awaiting


def test_the_history_without_imports_says_so(client, librarian):
    preview_of(client, BIB)

    awaiting, imports = history_sections(client)

    assert "Awaiting confirmation" in awaiting
    assert "<p>No imports yet.</p>" in imports


def test_an_expired_preview_is_gone_and_cannot_be_confirmed(client, librarian):
    batch, _ = preview_of(client, BIB)
    age(batch, days=7)

    page = client.get(batch.get_absolute_url())
    confirm = client.post(
        reverse("catalogue:import-confirm", args=[batch.pk]), {"action": "confirm"}
    )
    rerun = client.post(reverse("catalogue:import-rerun", args=[batch.pk]))

    expired_on = (batch.created.astimezone() + importer.PENDING_LIFETIME).strftime("%Y-%m-%d %H:%M")
    for response in (page, confirm, rerun):
        assert response.status_code == 410
        assert (
            "uploads awaiting confirmation expire after a week: it expired on "
            f"{expired_on}. Nothing was imported." in response.content.decode()
        )
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PREVIEWED
    awaiting, imports = history_sections(client)
    assert f'href="{batch.get_absolute_url()}"' not in awaiting + imports


def test_a_preview_just_under_a_week_old_is_still_there(client, librarian):
    batch, _ = preview_of(client, BIB)
    age(batch, days=6, hours=23)

    assert client.get(batch.get_absolute_url()).status_code == 200
    awaiting, _ = history_sections(client)
    assert f'href="{batch.get_absolute_url()}"' in awaiting


def test_the_command_deletes_expired_uploads_only(client, librarian):
    from io import StringIO

    from django.core.management import call_command

    from catalogue.models import ImportJob, ImportPreviewRow

    old_preview, _ = preview_of(client, BIB)
    old_pending = ImportBatch.objects.create(
        filename="p.bib", checksum="b" * 64, size=3, status=ImportStatus.PENDING, source=b"x"
    )
    fresh, _ = preview_of(client, BIB)
    old_import = completed_batch(entry(key="a", line=1, title="T"))
    for batch in (old_preview, old_pending, old_import):
        age(batch, days=30)
    assert ImportPreviewRow.objects.filter(batch=old_preview).exists()

    out = StringIO()
    call_command("expire_import_previews", stdout=out)

    assert out.getvalue() == (
        "2 expired uploads deleted (awaiting confirmation for more than 7 days).\n"
    )
    assert set(ImportBatch.objects.values_list("pk", flat=True)) == {fresh.pk, old_import.pk}
    assert not ImportPreviewRow.objects.filter(batch_id=old_preview.pk).exists()
    assert not ImportJob.objects.filter(batch_id=old_preview.pk).exists()
    again = StringIO()
    call_command("expire_import_previews", stdout=again)
    assert again.getvalue().startswith("0 expired uploads deleted")


def test_expiring_reads_no_stored_file(client, librarian):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalogue.importer.expiry import expire_previews

    batch, _ = preview_of(client, BIB)
    age(batch, days=8)

    with CaptureQueriesContext(connection) as queries:
        assert expire_previews() == 1

    selects = [query["sql"] for query in queries if query["sql"].startswith("SELECT")]
    assert selects and all('"source"' not in sql for sql in selects)
    assert not ImportBatch.objects.filter(pk=batch.pk).exists()


def test_an_upload_deletes_the_uploads_that_expired_as_the_pages_see_them(client, librarian):
    from catalogue.models import ImportPreviewRow

    expired_preview, _ = preview_of(client, BIB)
    waiting, _ = preview_of(client, BIB)
    old_import = completed_batch(entry(key="a", line=1, title="T"))
    age(expired_preview, days=7)  # exactly a week: expired on its pages, so deleted too
    age(waiting, days=6, hours=23)
    age(old_import, days=30)

    newest, _ = preview_of(client, BIB)

    assert set(ImportBatch.objects.values_list("pk", flat=True)) == {
        waiting.pk,
        old_import.pk,
        newest.pk,
    }
    assert not ImportPreviewRow.objects.filter(batch_id=expired_preview.pk).exists()
