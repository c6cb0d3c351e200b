"""BibTeX import history: one ImportBatch per imported file or pasted text, one ImportRecord
per entry that matched or touched an article, so that the history page can show what happened
and undo can remove or restore it (catalogue/importer/)."""

from django.db import models
from django.urls import reverse

from catalogue.models.articles import Article


class ImportStatus(models.TextChoices):
    # Stored; its preview is being prepared (catalogue/importer/jobs.py).
    PENDING = "pending", "Uploaded, preview not ready"
    # Previewed (the preview stored, or a dry run's): awaiting confirmation.
    PREVIEWED = "previewed", "Awaiting confirmation"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    UNDONE = "undone", "Undone"
    CANCELLED = "cancelled", "Cancelled"
    # Confirmed: the import job is queued or running (catalogue.importer.jobs).
    IMPORTING = "importing", "Importing"


class OnDuplicate(models.TextChoices):
    SKIP = "skip", "Skip: keep the existing record as it is"
    UPDATE = "update", "Update the existing record from the file"


class ImportBatch(models.Model):
    # The import's owner: only they (or a holder of manage_any_import) confirm, cancel or undo it.
    user = models.ForeignKey(
        "auth.User",
        verbose_name="uploaded by",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_batches",
        help_text="Who uploaded it; empty for the command line run without --user.",
    )
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)
    filename = models.CharField("file name", max_length=255)
    checksum = models.CharField("SHA-256 checksum", max_length=64)
    size = models.PositiveBigIntegerField("size in bytes")
    encoding = models.CharField(max_length=50, blank=True)
    on_duplicate = models.CharField(
        max_length=10, choices=OnDuplicate.choices, default=OnDuplicate.SKIP
    )
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    # The uploaded bytes, kept only between preview and confirmation.
    source = models.BinaryField(blank=True, default=b"", editable=False)
    entry_count = models.PositiveIntegerField("entries in the source", default=0)
    created_count = models.PositiveIntegerField("created", default=0)
    updated_count = models.PositiveIntegerField("updated", default=0)
    duplicate_count = models.PositiveIntegerField("duplicates", default=0)
    probable_duplicate_count = models.PositiveIntegerField("probable duplicates", default=0)
    failed_count = models.PositiveIntegerField("failed", default=0)
    # [{"line", "key", "message", "raw", "severity"}, ...]
    problems = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, help_text="Why a failed import failed.")
    # Ids of the journals, authors and keywords this import created, for undo.
    created_objects = models.JSONField(default=dict, blank=True)
    confirmed = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What undo left in place and why: [{"model", "id", "name", "reason"}, ...].
    undo_kept = models.JSONField(
        "kept by undo", default=list, blank=True, help_text="Records undo kept, and why."
    )

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name_plural = "import batches"
        permissions = [
            ("import_bibtex", "Can import BibTeX"),
            ("manage_any_import", "Can confirm, cancel and undo anyone's import"),
        ]
        indexes = [models.Index(fields=["status", "created"], name="importbatch_status_created")]

    def __str__(self) -> str:
        return f"Import #{self.pk} of {self.filename}"

    def get_absolute_url(self) -> str:
        return reverse("catalogue:import-detail", args=[self.pk])

    @property
    def is_pending(self) -> bool:
        return self.status == ImportStatus.PENDING

    @property
    def can_be_undone(self) -> bool:
        return self.status == ImportStatus.COMPLETED

    @property
    def warning_count(self) -> int:
        return sum(1 for problem in self.problems if problem.get("severity") == "warning")


class ImportAction(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    DUPLICATE = "duplicate", "Duplicate"
    PROBABLE_DUPLICATE = "probable", "Probable duplicate (created)"


class ImportRecord(models.Model):
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="records")
    action = models.CharField(max_length=10, choices=ImportAction.choices)
    article = models.ForeignKey(
        Article,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_records",
        help_text="The article created, updated or matched.",
    )
    similar_to = models.ForeignKey(
        Article,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="For a probable duplicate: the existing article it resembles.",
    )
    line = models.PositiveIntegerField(default=0)
    key = models.CharField("citation key", max_length=255, blank=True)
    title = models.TextField(blank=True)
    et_al = models.BooleanField(
        "author list truncated",
        default=False,
        help_text="The BibTeX author list ended with “and others”.",
    )
    note = models.TextField(blank=True, help_text="Why it matched, as shown in the preview.")
    # For an update: the article's fields, authorships, keywords and subjects before it.
    previous = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "line", "pk"]
        indexes = [models.Index(fields=["batch", "action"], name="importrecord_batch_action")]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.key or self.title}"
