"""Pages for librarians: BibTeX upload, preview, confirm, history and undo."""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from catalogue import conf, importer
from catalogue.forms import ImportForm, UploadLimitHandler
from catalogue.importer import backlog, expiry
from catalogue.models import (
    Article,
    ImportBatch,
    ImportJob,
    ImportPreviewRow,
    ImportStatus,
    JobKind,
    JobState,
    OutputType,
)
from catalogue.search.params import list_page

ROWS_PER_PAGE = 100
# A job's page refreshes itself this often, when the reader asks it to (?refresh=3).
REFRESH_SECONDS = 3
HISTORY_PER_PAGE = 25
# The history lists at most this many uploads awaiting confirmation (they expire in 7 days).
AWAITING_SHOWN = 100
# The `show` filter of the preview and report pages: value -> (label, row actions).
ROW_FILTERS = {
    "all": ("All", None),
    "created": ("New", {"created"}),
    "updated": ("Updates", {"updated"}),
    "duplicate": ("Duplicates", {"duplicate"}),
    "probable": ("Probable duplicates", {"probable"}),
    "failed": ("Failed", {"failed"}),
    "warning": ("Warnings", {"warning"}),
}


def librarian_required(view: Callable) -> Callable:
    """Let in who may import (the permissions of importer.permissions); others log in, or 403.

    The staff flag alone is not enough: importing needs the import permission and the "add"
    permission of every model an import writes.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        refusal = importer.import_refusal(request.user)
        if refusal:
            return forbidden(request, refusal)
        return view(request, *args, **kwargs)

    return wrapper


def forbidden(request: HttpRequest, reason: str) -> HttpResponse:
    """Return a 403 page saying why."""
    return render(request, "catalogue/import_forbidden.html", {"reason": reason}, status=403)


def database_failure(what: str, error: BaseException) -> str:
    """Return the message for a database error of a web import step."""
    cause = error.__cause__ if isinstance(error, importer.ImportDatabaseError) else None
    reason = str(error) if cause is not None else f"{type(error).__name__}: {error}"
    return f"{what} failed because of a database error and nothing was written; {reason}"


@csrf_exempt  # CSRF is checked by _import_upload, once the upload limit is in place.
@librarian_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _render_start(request, ImportForm())
    limiter = UploadLimitHandler(request, limit=conf.get("CATALOGUE_IMPORT_MAX_BYTES"))
    request.upload_handlers.insert(0, limiter)
    try:
        return _import_upload(request, limiter)
    except RequestDataTooBig:
        return _render_start(
            request,
            ImportForm(),
            status=400,
            error="The pasted text is too large: upload it as a file instead.",
        )


@csrf_protect
def _import_upload(request: HttpRequest, limiter: UploadLimitHandler) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES, upload_too_big=limiter.too_big)
    if form.is_valid():
        on_duplicate = form.cleaned_data["on_duplicate"]
        refusal = importer.import_refusal(request.user, on_duplicate=on_duplicate)
        if refusal:
            return forbidden(request, refusal)
        data, filename = form.source()
        try:
            batch = importer.prepare_import(
                data=data, filename=filename, user=request.user, on_duplicate=on_duplicate
            )
        except importer.ImportFileError as error:
            form.add_error(None, str(error))
        except importer.database_errors() as error:
            message = (
                "The upload could not be stored because of a database error: "
                f"{type(error).__name__}: {error}. Nothing was written; please try again."
            )
            return _render_start(request, form, status=503, error=message)
        else:
            return redirect(batch)
    return _render_start(request, form, status=400)


def _render_start(
    request: HttpRequest, form: ImportForm, status: int = 200, error: str = ""
) -> HttpResponse:
    context = {"form": form, "error": error}
    return render(request, "catalogue/import_start.html", context, status=status)


def person_merge_url() -> str:
    """Return the admin's page for merging people (takes ?person=ID&person=ID)."""
    try:
        return reverse("admin:catalogue_author_merge")
    except NoReverseMatch:
        # The admin is not mounted here (or under another name): its usual address.
        return "/admin/catalogue/author/merge/"


def _rows_page(request: HttpRequest, rows: list[importer.ReportRow]) -> dict:
    show = request.GET.get("show", "all")
    if show not in ROW_FILTERS:
        show = "all"
    actions = ROW_FILTERS[show][1]
    shown = rows if actions is None else [row for row in rows if row.action in actions]
    filters = [
        (value, label, sum(1 for row in rows if actions_ is None or row.action in actions_))
        for value, (label, actions_) in ROW_FILTERS.items()
    ]
    page_obj = Paginator(shown, ROWS_PER_PAGE).get_page(list_page(request.GET.get("page")))
    return {"page_obj": page_obj, "show": show, "filters": filters}


@librarian_required
@require_http_methods(["GET"])
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(
        # Not the stored file (up to 50 MB): the pages show the stored preview or report.
        ImportBatch.objects.select_related(
            "user", "confirmed_by", "cancelled_by", "undone_by"
        ).defer("source"),
        pk=pk,
    )
    if expiry.expired(batch):
        return _expired(request, batch)
    acting = _acting_context(request, batch)
    jobs = {job.kind: job for job in batch.jobs.all()}
    if batch.status in (ImportStatus.PENDING, ImportStatus.IMPORTING):
        kind = JobKind.IMPORT if batch.status == ImportStatus.IMPORTING else JobKind.PREVIEW
        job = jobs.get(kind)
        health = importer.describe_job(job) if job is not None else None
        context = {
            "batch": batch,
            "kind": kind,
            "health": health,
            "worker_command": importer.WORKER_COMMAND,
            # Refreshing by itself only when asked to (WCAG 2.2.1: the reader controls timing).
            "auto_refresh": health is not None
            and health.refresh
            and request.GET.get("refresh") == str(REFRESH_SECONDS),
            "refresh_seconds": REFRESH_SECONDS,
            **acting,
        }
        return render(request, "catalogue/import_job.html", context)
    if batch.status == ImportStatus.PREVIEWED:
        import_job = jobs.get(JobKind.IMPORT)
        context = {
            "batch": batch,
            "merge_url": person_merge_url(),
            "import_failure": import_job.error
            if import_job is not None and import_job.state == JobState.FAILED
            else "",
            "prepared": jobs[JobKind.PREVIEW].finished if JobKind.PREVIEW in jobs else None,
            "expires": expiry.expires(batch),
            **acting,
            **_stored_rows_page(request, batch),
        }
        return render(request, "catalogue/import_preview.html", context)
    rows = importer.batch_rows(batch=batch)
    failed_job = next((job for job in jobs.values() if job.state == JobState.FAILED), None)
    # Committed, its search index (and topics) still being done after the commit, or stopped.
    indexing = (
        importer.describe_job(jobs[JobKind.IMPORT])
        if batch.status == ImportStatus.COMPLETED
        and JobKind.IMPORT in jobs
        and backlog.pending(batch.pk)
        else None
    )
    return render(
        request,
        "catalogue/import_detail.html",
        {
            "batch": batch,
            "indexing": indexing,
            "kept": _kept(batch),
            "failed_preview": batch.status == ImportStatus.FAILED
            and failed_job is not None
            and failed_job.kind == JobKind.PREVIEW,
            **acting,
            **_rows_page(request, rows),
        },
    )


def _stored_rows_page(request: HttpRequest, batch: ImportBatch) -> dict:
    """Return one page of a stored preview's rows (as ReportRows), filtered by `show`."""
    show = request.GET.get("show", "all")
    if show not in ROW_FILTERS:
        show = "all"
    rows = importer.preview_rows(batch=batch)
    counts = dict(rows.order_by().values_list("action").annotate(count=Count("pk")))
    filters = [
        (
            value,
            label,
            sum(counts.values())
            if actions is None
            else sum(counts.get(action, 0) for action in actions),
        )
        for value, (label, actions) in ROW_FILTERS.items()
    ]
    actions = ROW_FILTERS[show][1]
    shown = rows if actions is None else rows.filter(action__in=actions)
    page_obj = Paginator(shown, ROWS_PER_PAGE).get_page(list_page(request.GET.get("page")))
    page_obj.object_list = [
        PreviewEntry.of(row=row, filename=batch.filename) for row in page_obj.object_list
    ]
    attach_existing(page_obj.object_list)
    return {"page_obj": page_obj, "show": show, "filters": filters}


# The preview rows that name a record already in the catalogue: the row's action, the attribute
# holding the record's id and what the row calls it.
EXISTING_RECORDS = {
    "duplicate": ("article_id", "Existing record"),
    "updated": ("article_id", "Record"),
    "probable": ("similar_to_id", "Resembles"),
}
# What the preview reads of an existing record: what a result list's source line shows.
_EXISTING_FIELDS = (
    "pk",
    "title",
    "output_type",
    "state",
    "year",
    "month",
    "day",
    "date_text",
    "volume",
    "issue",
    "pages",
    "article_number",
    "book_title",
    "journal__id",
    "journal__title",
)


def attach_existing(entries: list["PreviewEntry"]) -> None:
    """Set each entry's existing record (the duplicate's, the updated or resembled one), read
    in one query for the page, or `existing_gone` when it was deleted since the preview."""
    wanted = {entry.existing_id for entry in entries if entry.existing_id is not None}
    if not wanted:
        return
    found = (
        Article.objects.filter(pk__in=wanted)
        .select_related("journal")
        .only(*_EXISTING_FIELDS)
        .in_bulk()
    )
    for entry in entries:
        if entry.existing_id is not None:
            entry.existing = found.get(entry.existing_id)
            entry.existing_gone = entry.existing is None


@dataclass
class PreviewEntry(importer.ReportRow):
    """A stored preview row as its page shows it: the outcome, and what the entry parsed to."""

    output_type: str = ""
    year: int | None = None
    container: str = ""
    doi: str = ""
    authors: list[str] = field(default_factory=list)
    # The record in the catalogue the row names (attach_existing), None when there is none
    # or it was deleted since the preview (then `existing_gone`).
    existing: Article | None = None
    existing_gone: bool = False

    @classmethod
    def of(cls, *, row: ImportPreviewRow, filename: str) -> "PreviewEntry":
        """Return the stored row with its parsed type, year, container, DOI and authors."""
        report = importer.report_row(row=row, filename=filename)
        return cls(
            **vars(report),
            output_type=row.output_type,
            year=row.year,
            container=row.container,
            doi=row.doi,
            # Printed names as strings; anything else (a hand-edited row) is not shown.
            authors=[name for name in row.authors or [] if isinstance(name, str)],
        )

    @property
    def output_type_label(self) -> str:
        """Return the research output type's name ("Review article"), or its stored value."""
        if self.output_type in OutputType.values:
            return OutputType(self.output_type).label
        return self.output_type

    @property
    def existing_id(self) -> int | None:
        """Return the id of the catalogue record this row names (EXISTING_RECORDS), or None."""
        attribute, _ = EXISTING_RECORDS.get(self.action, (None, ""))
        return getattr(self, attribute) if attribute else None

    @property
    def existing_label(self) -> str:
        """Return what the row calls its existing record: "Existing record", "Resembles"."""
        return EXISTING_RECORDS.get(self.action, (None, ""))[1]

    @property
    def parsed(self) -> bool:
        """Return whether there is anything parsed to show (problem rows have nothing)."""
        return bool(self.output_type or self.year or self.container or self.doi or self.authors)


def _expired(request: HttpRequest, batch: ImportBatch) -> HttpResponse:
    """Return the page of an upload never confirmed in time: gone (410), upload it again."""
    context = {"batch": batch, "expired_on": expiry.expires(batch)}
    return render(request, "catalogue/import_expired.html", context, status=410)


def _acting_context(request: HttpRequest, batch: ImportBatch) -> dict:
    """Return whether the user may act on `batch` (confirm, cancel, undo) and whose it is."""
    return {
        "may_act": not importer.action_refusal(request.user, batch, "confirm"),
        "may_undo": not importer.action_refusal(request.user, batch, "undo"),
        "owner": batch.user.get_username() if batch.user_id else "the command line",
    }


def _kept(batch: ImportBatch) -> list[importer.KeptRecord]:
    return [importer.KeptRecord.from_json(item) for item in batch.undo_kept or []]


@librarian_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(ImportBatch.objects.select_related("user").defer("source"), pk=pk)
    if expiry.expired(batch):
        return _expired(request, batch)
    cancelling = request.POST.get("action") == "cancel"
    refusal = importer.action_refusal(request.user, batch, "cancel" if cancelling else "confirm")
    if refusal:
        return forbidden(request, refusal)
    if cancelling:
        try:
            importer.cancel_import(batch=batch, user=request.user)
        except importer.ImportStateError as error:
            messages.error(request, str(error))
            return redirect(batch)
        except importer.database_errors() as error:
            messages.error(request, database_failure("Cancelling", error))
            return redirect(batch)
        messages.info(request, f"Import of {batch.filename} cancelled: nothing was written.")
        return redirect("catalogue:import")
    try:
        batch = importer.confirm_import(batch=batch, user=request.user)
    except importer.ImportStateError as error:
        messages.error(request, str(error))
    except importer.database_errors() as error:
        messages.error(
            request,
            "The import could not be queued because of a database error and nothing was "
            f"written; the file is kept: confirm again to retry. ({type(error).__name__}: {error})",
        )
    else:
        messages.info(
            request,
            f"Import of {batch.filename} queued: it runs in the background, and this page shows "
            "its progress, then its result.",
        )
    return redirect(batch)


@librarian_required
@require_POST
def import_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue the job of an upload or an import again, after its worker stopped or it failed."""
    batch = get_object_or_404(ImportBatch.objects.select_related("user").defer("source"), pk=pk)
    if expiry.expired(batch):
        return _expired(request, batch)
    refusal = importer.action_refusal(request.user, batch, "confirm")
    if refusal:
        return forbidden(request, refusal)
    try:
        importer.rerun_job(batch=batch, user=request.user)
    except importer.ImportStateError as error:
        messages.error(request, str(error))
    except importer.database_errors() as error:
        messages.error(request, database_failure("Running it again", error))
    else:
        messages.info(request, f"Import #{batch.pk} of {batch.filename} queued again.")
    return redirect(batch)


@librarian_required
@require_http_methods(["GET", "POST"])
def import_undo(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(ImportBatch.objects.select_related("user").defer("source"), pk=pk)
    refusal = importer.action_refusal(request.user, batch, "undo")
    if refusal:
        return forbidden(request, refusal)
    if request.method == "POST":
        try:
            batch = importer.undo_import(batch=batch, user=request.user)
        except importer.ImportStateError as error:
            messages.error(request, str(error))
            return redirect(batch)
        except importer.database_errors() as error:
            messages.error(request, database_failure("The undo", error))
            return redirect(batch)
        kept = len(batch.undo_kept or [])
        if not kept:
            messages.success(request, f"Import #{batch.pk} of {batch.filename} was undone.")
            return redirect("catalogue:import-history")
        # What was kept, and why, is listed on the import's page.
        messages.success(
            request,
            f"Import #{batch.pk} of {batch.filename} was undone; {kept} record"
            f"{' was' if kept == 1 else 's were'} kept.",
        )
        return redirect(batch)
    if batch.status != ImportStatus.COMPLETED:
        return render(
            request,
            "catalogue/import_undo.html",
            {"batch": batch, "refusal": _undo_refusal(batch)},
            status=409,
        )
    summary = importer.undo_summary(batch=batch)
    return render(request, "catalogue/import_undo.html", {"batch": batch, "summary": summary})


def _undo_refusal(batch: ImportBatch) -> str:
    if batch.status == ImportStatus.UNDONE:
        return f"Import #{batch.pk} was already undone."
    return f"Import #{batch.pk} is {batch.get_status_display().lower()}: there is nothing to undo."


@librarian_required
@require_http_methods(["GET"])
def import_history(request: HttpRequest) -> HttpResponse:
    """List the uploads awaiting confirmation (until they expire), then the imports."""
    batches = ImportBatch.objects.select_related(
        "user", "confirmed_by", "cancelled_by", "undone_by"
    ).defer("source")
    now = timezone.now()
    awaiting = list(
        batches.filter(status__in=importer.AWAITING, created__gt=now - expiry.PENDING_LIFETIME)[
            : AWAITING_SHOWN + 1
        ]
    )
    page_obj = Paginator(imports_only(batches), HISTORY_PER_PAGE).get_page(
        list_page(request.GET.get("page"))
    )
    _attach_job_states([*awaiting[:AWAITING_SHOWN], *page_obj.object_list])
    for batch in awaiting:
        batch.expires = expiry.expires(batch)
    context = {
        "awaiting": awaiting[:AWAITING_SHOWN],
        "more_awaiting": len(awaiting) > AWAITING_SHOWN,
        "page_obj": page_obj,
        "lifetime_days": expiry.PENDING_LIFETIME.days,
    }
    return render(request, "catalogue/import_history.html", context)


def imports_only(batches: QuerySet[ImportBatch]) -> QuerySet[ImportBatch]:
    """Return the batches that were imports: confirmed (or run from the command line).

    Not the uploads awaiting confirmation, cancelled, or whose file could not be read (a
    failed preview: a preview job and no import job).
    """
    jobs = ImportJob.objects.filter(batch_id=OuterRef("pk"))
    failed_preview = Exists(jobs.filter(kind=JobKind.PREVIEW)) & ~Exists(
        jobs.filter(kind=JobKind.IMPORT)
    )
    return batches.exclude(status__in=[*importer.AWAITING, ImportStatus.CANCELLED]).exclude(
        failed_preview & Q(status=ImportStatus.FAILED)
    )


def _attach_job_states(batches) -> None:
    """Set `job_state` on uploads and imports whose job is queued, running or stopped."""
    waiting = {
        batch.pk: batch
        for batch in batches
        if batch.status in (ImportStatus.PENDING, ImportStatus.IMPORTING)
    }
    for batch in waiting.values():
        batch.job_state = "preview not prepared: run it again"
    if not waiting:
        return
    for job in ImportJob.objects.filter(batch_id__in=list(waiting)):
        batch = waiting[job.batch_id]
        wanted = JobKind.IMPORT if batch.status == ImportStatus.IMPORTING else JobKind.PREVIEW
        if job.kind != wanted:
            continue
        health = importer.describe_job(job)
        what = "importing" if wanted == JobKind.IMPORT else "preparing the preview"
        batch.job_state = {
            "queued": f"{what}: queued",
            "waiting": f"{what}: queued",
            "no-worker": f"{what}: queued, no job worker running",
            "running": f"{what}: running"
            + (f" ({job.stage} {health.percent}%)" if health.percent is not None else ""),
            "stalled": f"{what}: stopped (worker gone), run it again",
            "lost": f"{what}: stopped, run it again",
            "failed": f"{what}: failed",
            "succeeded": what,
        }[health.phase]
