"""Uploads never confirmed expire: how long a preview waits, whether one expired, forgetting them.

An upload awaiting confirmation (its preview being prepared, or ready) keeps its file (up to
the upload limit) and its preview rows in the database. After `PENDING_LIFETIME` (7 days,
from the upload) it has expired: the pages treat it as gone at once (on read), and
`expire_previews` deletes it with its preview and job records (nothing was imported, so
nothing else refers to it). That runs at each upload (`importer.prepare_import`) and from
`manage.py expire_import_previews` (daily from cron, for a site where nobody uploads).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from catalogue.importer.batches import AWAITING, PENDING_LIFETIME
from catalogue.models import ImportBatch

__all__ = ["PENDING_LIFETIME", "expire_previews", "expired", "expires", "stale_previews"]


def expires(batch: ImportBatch) -> datetime.datetime:
    """Return when `batch`, if still awaiting confirmation then, expires."""
    return batch.created + PENDING_LIFETIME


def expired(batch: ImportBatch, *, now: datetime.datetime | None = None) -> bool:
    """Return whether `batch` awaits confirmation and has waited too long."""
    return batch.status in AWAITING and expires(batch) <= (now or timezone.now())


def stale_previews(*, now: datetime.datetime | None = None) -> QuerySet[ImportBatch]:
    """Return the uploads awaiting confirmation that have expired (index status, created)."""
    cutoff = (now or timezone.now()) - PENDING_LIFETIME
    return ImportBatch.objects.filter(status__in=AWAITING, created__lte=cutoff)


def expire_previews(*, now: datetime.datetime | None = None) -> int:
    """Delete the expired uploads with their previews and job records; return how many."""
    with transaction.atomic():
        # Locked, so that a librarian confirming one now either comes first (it is then no
        # longer awaiting, and not matched) or finds it gone. Only the ids are read, not the
        # stored files (up to the upload limit each).
        ids = list(stale_previews(now=now).select_for_update().values_list("pk", flat=True))
        if not ids:
            return 0
        deleted = ImportBatch.objects.filter(pk__in=ids).only("pk").delete()[1]
    return deleted.get(ImportBatch._meta.label, 0)
