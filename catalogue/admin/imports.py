"""Admin for BibTeX imports: read-only; undo happens on the import history page."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from catalogue.models import ImportBatch, ImportJob, ImportRecord


class _ReadOnlyInline(admin.TabularInline):
    """An inline that only shows its rows: nothing added, changed or deleted here."""

    can_delete = False
    extra = 0
    show_change_link = False
    related: tuple[str, ...] = ()  # what each row shows of its foreign keys

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return list(self.fields)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related(*self.related)


class ImportRecordInline(_ReadOnlyInline):
    model = ImportRecord
    fields = ["line", "key", "action", "article", "similar_to", "title", "et_al", "note"]
    related = ("article", "similar_to")


class ImportJobInline(_ReadOnlyInline):
    """The batch's preview and import jobs: where each got to, on which worker, and why it
    stopped (the import page shows the same to the librarian)."""

    model = ImportJob
    fields = [
        "kind",
        "state",
        "attempt",
        "stage",
        "done",
        "total",
        "requested_by",
        "enqueued",
        "started",
        "heartbeat",
        "finished",
        "worker",
        "error",
    ]
    related = ("requested_by",)


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    """Read-only record of every BibTeX import; undo happens on the import history page."""

    list_display = [
        "pk",
        "filename",
        "user",
        "created",
        "confirmed_by",
        "cancelled_by",
        "undone_by",
        "status",
        "created_count",
        "updated_count",
        "duplicate_count",
        "probable_duplicate_count",
        "failed_count",
    ]
    list_filter = ["status"]
    search_fields = ["filename", "checksum"]
    list_select_related = ["user", "confirmed_by", "cancelled_by", "undone_by"]
    exclude = ["source"]
    inlines = [ImportJobInline, ImportRecordInline]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [field.name for field in self.model._meta.fields if field.name != "source"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def view_on_site(self, obj: ImportBatch) -> str:
        return reverse("catalogue:import-detail", args=[obj.pk])
