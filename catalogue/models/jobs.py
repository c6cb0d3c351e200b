"""Background import jobs: the progress record of each job and the stored rows of a preview.

An upload is parsed and planned once, by a job, and its preview stored as ImportPreviewRows, so
that showing (and paging) a preview never parses again; confirming runs another job. Each job
has one ImportJob row, created before the job is queued and written by the job through a
connection of its own (catalogue/importer/progress.py), which the import's transaction never locks.
"""

from django.conf import settings
from django.db import models

from catalogue.models.imports import ImportBatch


class JobKind(models.TextChoices):
    PREVIEW = "preview", "Preparing the preview"
    IMPORT = "import", "Importing"


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Finished"
    FAILED = "failed", "Failed"


class ImportJob(models.Model):
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=10, choices=JobKind.choices)
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    # Bumped each time the job is queued (again): a task carrying an older number does nothing.
    attempt = models.PositiveIntegerField(default=1)
    task_id = models.CharField("task id", max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who uploaded, confirmed or ran it again; empty for the command line.",
    )
    enqueued = models.DateTimeField(null=True, blank=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    # Written by the job every few seconds while it runs (best-effort, see importer.jobs).
    heartbeat = models.DateTimeField(null=True, blank=True)
    stage = models.CharField(max_length=20, blank=True)
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(default=0)
    # host:pid:start time of the process running it, to tell a dead worker on this host.
    worker = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "kind"], name="importjob_one_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of import #{self.batch_id}: {self.get_state_display()}"


class ImportPreviewRow(models.Model):
    """One row of a stored preview: an entry's planned outcome or a problem, in source order."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="preview_rows")
    position = models.PositiveIntegerField()
    line = models.PositiveIntegerField(default=0)
    key = models.CharField("citation key", max_length=255, blank=True)
    # An ImportAction value, "failed" or "warning".
    action = models.CharField(max_length=10)
    title = models.TextField(blank=True)
    message = models.TextField(blank=True)
    raw = models.TextField(blank=True)
    # Existing articles (plain ids: a preview is a snapshot, its links may outlive them).
    article_ref = models.BigIntegerField(null=True, blank=True)
    similar_ref = models.BigIntegerField(null=True, blank=True)
    in_source = models.BooleanField(default=False)
    et_al = models.BooleanField(default=False)
    # [[printed name, person id, person's name], ...]
    name_doubts = models.JSONField(null=True, blank=True)
    # What the entry parsed to, for later use (search within a preview, exports).
    output_type = models.CharField(max_length=30, blank=True)
    year = models.IntegerField(null=True, blank=True)
    doi = models.CharField("DOI", max_length=255, blank=True)
    container = models.TextField(blank=True, help_text="Journal or book title.")
    authors = models.JSONField(null=True, blank=True, help_text="Printed author names.")

    class Meta:
        ordering = ["batch", "position"]
        indexes = [
            models.Index(fields=["batch", "position"], name="previewrow_batch_position"),
            models.Index(fields=["batch", "action", "position"], name="previewrow_batch_action"),
        ]

    def __str__(self) -> str:
        return f"{self.action}: {self.key or self.title}"
