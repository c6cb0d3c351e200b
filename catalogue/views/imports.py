"""Pages for librarians: BibTeX upload, preview, confirm, history and undo."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from catalogue import conf, importer
from catalogue.forms import ImportForm, UploadLimitHandler
from catalogue.models import ImportBatch, ImportStatus
from catalogue.search.params import list_page

ROWS_PER_PAGE = 100
HISTORY_PER_PAGE = 25
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
        ImportBatch.objects.select_related("user", "confirmed_by", "cancelled_by", "undone_by"),
        pk=pk,
    )
    acting = _acting_context(request, batch)
    if batch.status in (ImportStatus.PENDING, ImportStatus.PREVIEWED):
        try:
            plan = importer.preview_import(batch=batch)
        except importer.ImportFileError as error:
            return render(
                request,
                "catalogue/import_detail.html",
                {"batch": batch, "error": str(error), **acting},
                status=400,
            )
        except importer.database_errors() as error:
            return render(
                request,
                "catalogue/import_detail.html",
                {"batch": batch, "error": database_failure("The preview", error), **acting},
                status=503,
            )
        context = {
            "batch": batch,
            "plan": plan,
            "merge_url": person_merge_url(),
            **acting,
            **_rows_page(request, plan.rows()),
        }
        return render(request, "catalogue/import_preview.html", context)
    rows = importer.batch_rows(batch=batch)
    return render(
        request,
        "catalogue/import_detail.html",
        {"batch": batch, "kept": _kept(batch), **acting, **_rows_page(request, rows)},
    )


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
    batch = get_object_or_404(ImportBatch.objects.select_related("user"), pk=pk)
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
    except importer.ImportDatabaseError as error:
        messages.error(
            request,
            "The import failed because of a database error and nothing was written; the file "
            f"is kept: confirm again to retry. ({error})",
        )
    except importer.ImportFileError as error:
        messages.error(request, f"The import failed and nothing was written: {error}")
    else:
        messages.success(
            request,
            f"Imported {batch.filename}: created {batch.created_count}, updated "
            f"{batch.updated_count}, duplicates {batch.duplicate_count}, failed "
            f"{batch.failed_count}, probable duplicates {batch.probable_duplicate_count}.",
        )
    return redirect(batch)


@librarian_required
@require_http_methods(["GET", "POST"])
def import_undo(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(ImportBatch.objects.select_related("user"), pk=pk)
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
    batches = ImportBatch.objects.select_related(
        "user", "confirmed_by", "cancelled_by", "undone_by"
    ).defer("source")
    page_obj = Paginator(batches, HISTORY_PER_PAGE).get_page(list_page(request.GET.get("page")))
    return render(request, "catalogue/import_history.html", {"page_obj": page_obj})
