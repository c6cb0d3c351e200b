"""What a batch did and undoing it: article snapshots, recorded outcomes, undo."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from catalogue.importer.cleaning import PRINTED_COLUMNS
from catalogue.importer.common import (
    BULK_BATCH_SIZE,
    FAILED,
    WARNING,
    ImportStateError,
    chunks,
)
from catalogue.importer.plan import ROW_ORDER, ReportRow
from catalogue.importer.writing import ARTICLE_FIELDS, bulk_update_articles, lock_imports
from catalogue.models import (
    Article,
    Author,
    Authorship,
    Contributor,
    ImportAction,
    ImportBatch,
    ImportRecord,
    ImportStatus,
    Journal,
    Keyword,
)


def article_snapshots(ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Return each article's fields, authorships, contributors, keywords and subjects (JSON-ready).

    An authorship is [author id, position, affiliation, id, family, given, particle, suffix,
    corporate] (its printed name); a contributor [role, position, family, given, particle,
    suffix, corporate, id]. Snapshots written before printed names existed have authorships
    of four items and no contributors.
    """
    snapshots: dict[int, dict[str, Any]] = {}
    for chunk in chunks(list(ids)):
        for row in Article.objects.filter(pk__in=chunk).values("pk", "updated", *ARTICLE_FIELDS):
            pk = row.pop("pk")
            updated = row.pop("updated")
            snapshots[pk] = {
                "fields": row,
                "updated": updated.isoformat() if updated else None,
                "authorships": [],
                "contributors": [],
                "keywords": [],
                "subject_areas": [],
            }
        for article_id, *row in (
            Authorship.objects.filter(article_id__in=chunk)
            .order_by("article_id", "position")
            .values_list(
                "article_id", "author_id", "position", "affiliation", "pk", *PRINTED_COLUMNS
            )
        ):
            snapshots[article_id]["authorships"].append(row)
        for article_id, *row in (
            Contributor.objects.filter(article_id__in=chunk)
            .order_by("article_id", "role", "position")
            .values_list("article_id", "role", "position", *PRINTED_COLUMNS, "pk")
        ):
            snapshots[article_id]["contributors"].append(row)
        for through, column, name in (
            (Article.keywords.through, "keyword_id", "keywords"),
            (Article.subject_areas.through, "subjectarea_id", "subject_areas"),
        ):
            for article_id, other_id in (
                through.objects.filter(article_id__in=chunk)
                .order_by(column)
                .values_list("article_id", column)
            ):
                snapshots[article_id][name].append(other_id)
    return snapshots


# --- undo --------------------------------------------------------------------------------------


@dataclass
class UndoSummary:
    """What undoing a batch would do, for the confirmation page."""

    delete: int  # articles it created that still exist
    restore: int  # articles it updated
    edited_since: int  # of those, articles changed after the import
    blocked_by: list[int]  # later imports that updated the same articles
    kept: list[KeptRecord]  # what it created that undo will keep, and why


@dataclass(frozen=True)
class KeptRecord:
    """A journal, person or keyword an import created that undo keeps, and why."""

    model: str  # "journal", "author" or "keyword"
    id: int
    name: str
    reason: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeptRecord:
        return cls(
            model=str(data.get("model", "")),
            id=int(data.get("id", 0)),
            name=str(data.get("name", "")),
            reason=str(data.get("reason", "")),
        )

    def as_json(self) -> dict[str, Any]:
        return {"model": self.model, "id": self.id, "name": self.name, "reason": self.reason}

    @property
    def label(self) -> str:
        """Return what a librarian calls it: "person" for an author."""
        return _LABELS.get(self.model, self.model)


def undo_summary(*, batch: ImportBatch) -> UndoSummary:
    """Return what undoing `batch` would delete and restore."""
    records = batch.records.exclude(article=None)
    created = list(
        records.filter(
            action__in=[ImportAction.CREATED, ImportAction.PROBABLE_DUPLICATE]
        ).values_list("article_id", flat=True)
    )
    updated = list(records.filter(action=ImportAction.UPDATED).values_list("article_id", flat=True))
    touched = created + updated
    edited = 0
    if batch.finished:
        for chunk in chunks(touched):
            edited += Article.objects.filter(pk__in=chunk, updated__gt=batch.finished).count()
    return UndoSummary(
        delete=len(created),
        restore=len(updated),
        edited_since=edited,
        blocked_by=_later_updates(batch, touched),
        kept=_referenced_elsewhere(batch.created_objects or {}),
    )


def _later_updates(batch: ImportBatch, article_ids: Sequence[int]) -> list[int]:
    later: set[int] = set()
    for chunk in chunks(list(article_ids)):
        later.update(
            ImportRecord.objects.filter(
                article_id__in=chunk,
                action=ImportAction.UPDATED,
                batch__status=ImportStatus.COMPLETED,
                batch__pk__gt=batch.pk,
            ).values_list("batch_id", flat=True)
        )
    return sorted(later)


def undo_import(*, batch: ImportBatch, user: Any = None) -> ImportBatch:
    """Return the batch marked undone, after deleting what it created and restoring what it updated.

    Journals, authors and keywords the import created are deleted only when nothing else uses
    them now: those kept (other articles, an evidence summary written by the person, ...) are
    listed with the reason in the batch's `undo_kept`. Raises ImportStateError when the batch
    was not completed (undone twice, failed, pending) or when a later import updated the same
    articles (undo that one first).
    """
    with transaction.atomic():
        lock_imports()
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status == ImportStatus.UNDONE:
            when = timezone.localtime(batch.undone).strftime("%Y-%m-%d %H:%M")
            raise ImportStateError(f"Import #{batch.pk} was already undone on {when}.")
        if batch.status != ImportStatus.COMPLETED:
            raise ImportStateError(
                f"Import #{batch.pk} is {batch.get_status_display().lower()}: "
                "only a completed import can be undone."
            )
        records = list(
            batch.records.exclude(article=None)
            .exclude(action=ImportAction.DUPLICATE)
            .values_list("action", "article_id", "previous")
        )
        created = [
            article_id
            for action, article_id, _ in records
            if action in (ImportAction.CREATED, ImportAction.PROBABLE_DUPLICATE)
        ]
        updated = {
            article_id: previous
            for action, article_id, previous in records
            if action == ImportAction.UPDATED
        }
        blocked_by = _later_updates(batch, [*created, *updated])
        if blocked_by:
            later = ", ".join(f"#{pk}" for pk in blocked_by)
            raise ImportStateError(
                f"Import #{batch.pk} cannot be undone: later import {later} updated the same "
                "articles. Undo that one first."
            )
        _restore(updated)
        for chunk in chunks(created):
            Article.objects.filter(pk__in=chunk).delete()
        kept = _delete_unused(batch.created_objects or {})
        batch.status = ImportStatus.UNDONE
        batch.undone = timezone.now()
        batch.undone_by = user if user is not None and user.is_authenticated else None
        batch.undo_kept = [record.as_json() for record in kept]
        batch.save(update_fields=["status", "undone", "undone_by", "undo_kept"])
    return batch


def _restore(snapshots: dict[int, dict[str, Any]]) -> None:
    existing = _existing_pks(Article, snapshots)
    snapshots = {pk: snapshot for pk, snapshot in snapshots.items() if pk in existing}
    if not snapshots:
        return
    now = timezone.now()
    bulk_update_articles(
        [
            Article(
                pk=pk,
                # Back to the old modification time too: undo leaves no trace on the article.
                updated=parse_datetime(snapshot.get("updated") or "") or now,
                **snapshot["fields"],
            )
            for pk, snapshot in snapshots.items()
        ]
    )
    ids = list(snapshots)
    author_ids = {row[0] for s in snapshots.values() for row in s["authorships"]}
    keyword_ids = {k for s in snapshots.values() for k in s["keywords"]}
    live_authors = _existing_pks(Author, author_ids)
    live_keywords = _existing_pks(Keyword, keyword_ids)
    # Snapshots from before contributors were kept say nothing of them: leave those alone.
    with_contributors = [pk for pk, s in snapshots.items() if "contributors" in s]
    for chunk in chunks(ids):
        Authorship.objects.filter(article_id__in=chunk).delete()
        Article.keywords.through.objects.filter(article_id__in=chunk).delete()
        Article.subject_areas.through.objects.filter(article_id__in=chunk).delete()
    for chunk in chunks(with_contributors):
        Contributor.objects.filter(article_id__in=chunk).delete()
    authorships = [
        # With their old ids, so that the restored rows are the very same.
        Authorship(pk=row[3], article_id=pk, author_id=row[0], position=row[1], affiliation=row[2])
        for pk, snapshot in snapshots.items()
        for row in snapshot["authorships"]
        if row[0] in live_authors
    ]
    names = {row[3]: row[4:9] for snapshot in snapshots.values() for row in snapshot["authorships"]}
    people = Author.objects.in_bulk(
        [a.author_id for a in authorships if len(names[a.pk]) < len(PRINTED_COLUMNS)]
    )
    for authorship in authorships:
        printed = names[authorship.pk]
        if len(printed) == len(PRINTED_COLUMNS):
            for column, value in zip(PRINTED_COLUMNS, printed, strict=True):
                setattr(authorship, column, value)
        else:
            # An old snapshot: the authorship showed its person's name then.
            authorship.copy_name_from(people[authorship.author_id])
    Authorship.objects.bulk_create(authorships, batch_size=BULK_BATCH_SIZE)
    Contributor.objects.bulk_create(
        [
            Contributor(
                pk=row[7],
                article_id=pk,
                role=row[0],
                position=row[1],
                **dict(zip(PRINTED_COLUMNS, row[2:7], strict=True)),
            )
            for pk, snapshot in snapshots.items()
            for row in snapshot.get("contributors", ())
        ],
        batch_size=BULK_BATCH_SIZE,
    )
    keyword_through = Article.keywords.through
    keyword_through.objects.bulk_create(
        [
            keyword_through(article_id=pk, keyword_id=keyword_id)
            for pk, snapshot in snapshots.items()
            for keyword_id in snapshot["keywords"]
            if keyword_id in live_keywords
        ],
        batch_size=BULK_BATCH_SIZE,
    )
    subject_through = Article.subject_areas.through
    subject_through.objects.bulk_create(
        [
            subject_through(article_id=pk, subjectarea_id=subject_id)
            for pk, snapshot in snapshots.items()
            for subject_id in snapshot["subject_areas"]
        ],
        batch_size=BULK_BATCH_SIZE,
        ignore_conflicts=True,
    )


def _existing_pks(model: type, ids: Iterable[int]) -> set[int]:
    """Return which of `ids` are still rows of `model`."""
    existing: set[int] = set()
    for chunk in chunks(sorted(ids)):
        existing.update(model.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    return existing


# Created records undo may delete: (created_objects key, model, the articles' relation).
_CREATED = (
    ("keyword", Keyword, "articles"),
    ("author", Author, "authorships"),
    ("journal", Journal, "articles"),
)
_LABELS = {"author": "person"}


def _delete_unused(created_objects: dict[str, list[int]]) -> list[KeptRecord]:
    """Delete the created records nothing uses any more; return those kept, with the reason.

    Call after the import's articles are deleted: what still has articles (added by hand or by
    a later import since) is kept, and so is what another record protects from deletion (the
    person who wrote an evidence summary).
    """
    kept: list[KeptRecord] = []
    for name, model, articles in _CREATED:
        for chunk in chunks(created_objects.get(name, [])):
            reasons: dict[int, list[str]] = {}
            used = (
                model.objects.filter(pk__in=chunk)
                .exclude(**{f"{articles}__isnull": True})
                .annotate(
                    uses=models.Count(
                        f"{articles}__article" if articles == "authorships" else articles,
                        distinct=True,
                    )
                )
                .values_list("pk", "uses")
            )
            for pk, uses in used:
                reasons[pk] = [f"still used by {uses} other article{'' if uses == 1 else 's'}"]
            for pk, reason in _protected_references(model, chunk).items():
                reasons.setdefault(pk, []).extend(reason)
            ids = [pk for pk in chunk if pk not in reasons]
            while ids:
                try:
                    model.objects.filter(pk__in=ids).delete()
                    break
                except (ProtectedError, RestrictedError) as error:
                    # A reference _protected_references does not know of: keep what it names.
                    blockers = getattr(error, "protected_objects", None) or error.restricted_objects
                    found = _references_to(model, set(ids), blockers)
                    if not found:
                        raise
                    for pk, reason in found.items():
                        reasons.setdefault(pk, []).extend(reason)
                    ids = [pk for pk in ids if pk not in found]
            kept.extend(_kept_records(name, model, reasons))
    return kept


def _referenced_elsewhere(created_objects: dict[str, list[int]]) -> list[KeptRecord]:
    """Return the created records that a record other than an article protects, for the preview."""
    kept: list[KeptRecord] = []
    for name, model, _ in _CREATED:
        for chunk in chunks(created_objects.get(name, [])):
            kept.extend(_kept_records(name, model, _protected_references(model, chunk)))
    return kept


def _protected_references(model: type[models.Model], ids: Sequence[int]) -> dict[int, list[str]]:
    """Return, for each of `ids` that a record other than an article or authorship protects
    from deletion (PROTECT or RESTRICT), why: "still used by evidence summary #3 “Title”"."""
    reasons: dict[int, list[str]] = {}
    for relation in model._meta.related_objects:
        if relation.on_delete not in (models.PROTECT, models.RESTRICT):
            continue
        if relation.related_model in (Article, Authorship) or not relation.field.concrete:
            continue
        blockers = relation.related_model._default_manager.filter(
            **{f"{relation.field.name}__in": list(ids)}
        ).order_by("pk")
        for pk, reason in _references_to(model, set(ids), blockers).items():
            reasons.setdefault(pk, []).extend(reason)
    return reasons


def _references_to(
    model: type[models.Model], ids: set[int], blockers: Iterable[models.Model]
) -> dict[int, list[str]]:
    """Return which of `ids` each of `blockers` points at, with the reason for each."""
    reasons: dict[int, list[str]] = {}
    for blocker in sorted(blockers, key=lambda obj: (obj._meta.label, obj.pk)):
        for field in blocker._meta.concrete_fields:
            if not field.is_relation or field.related_model is not model:
                continue
            pk = getattr(blocker, field.attname)
            if pk in ids:
                reasons.setdefault(pk, []).append(
                    f"still used by {blocker._meta.verbose_name} #{blocker.pk} “{blocker}”"
                )
    return reasons


def _kept_records(
    name: str, model: type[models.Model], reasons: dict[int, list[str]]
) -> list[KeptRecord]:
    objects = model._default_manager.in_bulk(list(reasons))
    return [
        KeptRecord(model=name, id=pk, name=str(objects[pk]), reason="; ".join(reasons[pk]))
        for pk in sorted(reasons)
        if pk in objects
    ]


# --- reading a finished batch ------------------------------------------------------------------


def batch_rows(*, batch: ImportBatch) -> list[ReportRow]:
    """Return the recorded outcome of every entry and every problem of a batch, in line order."""
    rows = [
        ReportRow(
            source=batch.filename,
            line=record.line,
            key=record.key,
            action=record.action,
            title=record.title,
            message=record.note,
            article_id=record.article_id,
            similar_to_id=record.similar_to_id,
            in_source="earlier in this import" in record.note,
            et_al=record.et_al,
        )
        for record in batch.records.order_by("line", "pk").only(
            "line", "key", "action", "title", "note", "article_id", "similar_to_id", "et_al"
        )
    ]
    rows.extend(
        ReportRow(
            source=problem.get("source") or batch.filename,
            line=problem.get("line", 0),
            key=problem.get("key", ""),
            action=FAILED if problem.get("severity") == "error" else WARNING,
            message=problem.get("message", ""),
            raw=problem.get("raw", ""),
        )
        for problem in batch.problems or []
    )
    rows.sort(key=lambda row: (row.line, ROW_ORDER.get(row.action, 0)))
    return rows
