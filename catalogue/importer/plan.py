"""The plan of an import (what each entry will do) and the report rows shown for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from catalogue.formats import bibtex
from catalogue.importer.common import FAILED, WARNING
from catalogue.models import ImportAction


class NewRow:
    """A row this import will insert: its column values, and its id once inserted.

    Lighter than an unsaved model instance, which matters at tens of thousands of rows.
    """

    __slots__ = ("pk", "values")

    def __init__(self, **values: Any) -> None:
        self.values = values
        self.pk: int | None = None

    @classmethod
    def of(cls, values: dict[str, Any]) -> NewRow:
        """Return a row holding `values` itself (not a copy): its changes are the row's."""
        row = cls()
        row.values = values
        return row

    def __repr__(self) -> str:
        return f"NewRow(pk={self.pk}, {self.values})"


@dataclass
class PlanItem:
    """What one parsed entry will do (or did) to the catalogue."""

    source: str
    line: int
    key: str
    title: str
    action: str = ImportAction.CREATED  # an ImportAction value
    note: str = ""  # why it matched, for the preview and the record
    et_al: bool = False
    fields: dict[str, Any] = field(default_factory=dict)
    journal: Any = None  # existing journal id, NewRow, or None
    authors: list[Any] = field(default_factory=list)  # existing author ids or NewRows
    # The authors' names as printed (family, given, particle, suffix, corporate), one per author.
    author_names: list[tuple[str, ...]] = field(default_factory=list)
    # Updated: the affiliation each author keeps (from the same printed name before), else "".
    affiliations: list[str] = field(default_factory=list)
    # Contributors other than authors: (role, position, printed name parts), in source order.
    contributors: list[tuple[str, int, tuple[str, ...]]] = field(default_factory=list)
    # Printed names that resemble an existing person only by initials: (printed name, that
    # person's id, their display name), shown in the preview as "possibly the same person".
    name_doubts: list[tuple[str, int, str]] = field(default_factory=list)
    keywords: list[Any] = field(default_factory=list)  # existing keyword ids or NewRows
    target_id: int | None = None  # the existing article matched (duplicate, updated)
    similar_to_id: int | None = None  # probable duplicate: the existing article it resembles
    earlier: PlanItem | None = None  # the earlier entry of this import it duplicates/resembles
    article: NewRow | None = None  # created: the new article (with its pk once written)
    previous: dict[str, Any] | None = None  # updated: the article's state before
    changes: list[str] = field(default_factory=list)  # updated: what changes

    @property
    def article_id(self) -> int | None:
        """Return the id of the article this entry created, updated or matched, if known."""
        if self.article is not None and self.article.pk:
            return self.article.pk
        if self.target_id:
            return self.target_id
        if self.earlier is not None and self.action == ImportAction.DUPLICATE:
            return self.earlier.article_id
        return None

    @property
    def resembles_id(self) -> int | None:
        """Return the id of the article a probable duplicate resembles, if it exists yet."""
        if self.similar_to_id:
            return self.similar_to_id
        if self.earlier is not None:
            return self.earlier.article_id
        return None


@dataclass
class ReportRow:
    """One line of a preview or import report: an entry's outcome or a problem."""

    source: str
    line: int
    key: str
    action: str  # an ImportAction value, "failed" or "warning"
    title: str = ""
    message: str = ""
    raw: str = ""
    article_id: int | None = None
    similar_to_id: int | None = None
    in_source: bool = False  # duplicate of / similar to an earlier entry of the same import
    et_al: bool = False
    name_doubts: list[tuple[str, int, str]] = field(default_factory=list)

    @property
    def action_label(self) -> str:
        return ROW_LABELS.get(self.action, self.action)

    @property
    def is_suspicious(self) -> bool:
        """Return whether the command lists this row under the summary."""
        return self.action in {FAILED, WARNING, ImportAction.PROBABLE_DUPLICATE} or (
            self.action == ImportAction.DUPLICATE and self.in_source
        )

    def as_line(self) -> str:
        """Return the row as `FILE:LINE: KEY: reason` for terminals and logs."""
        return f"{self.source}:{self.line}: {self.key or '(no key)'}: {self.message}"

    def doubt_lines(self) -> list[str]:
        """Return one `FILE:LINE: KEY: name: possibly the same person as ...` line per doubt."""
        return [
            f"{self.source}:{self.line}: {self.key or '(no key)'}: {printed}: possibly the "
            f"same person as {name} (person #{pk}); merge them after import if so"
            for printed, pk, name in self.name_doubts
        ]


ROW_LABELS = {
    ImportAction.CREATED: "New",
    ImportAction.UPDATED: "Update",
    ImportAction.DUPLICATE: "Duplicate",
    ImportAction.PROBABLE_DUPLICATE: "Probable duplicate",
    FAILED: "Failed",
    WARNING: "Warning",
}


@dataclass
class ImportPlan:
    """What an import would do, computed without writing anything."""

    on_duplicate: str
    items: list[PlanItem]
    problems: list[bibtex.Problem]
    source_entry_count: int
    new_journals: list[NewRow] = field(default_factory=list)
    new_authors: list[NewRow] = field(default_factory=list)
    new_keywords: list[NewRow] = field(default_factory=list)
    # The stored term of each existing keyword the plan links (by id): a record's text as
    # research topics will read it back (catalogue.importer.batches, prepared mentions).
    keyword_terms: dict[int, str] = field(default_factory=dict)

    COUNT_FIELDS = (
        "created_count",
        "updated_count",
        "duplicate_count",
        "probable_duplicate_count",
        "failed_count",
    )

    def count(self, action: str) -> int:
        """Return how many entries take `action`."""
        return sum(1 for item in self.items if item.action == action)

    @property
    def failed_count(self) -> int:
        """Return the number of entries not imported (distinct located errors)."""
        return len(
            {
                (problem.source, problem.line, problem.key)
                for problem in self.problems
                if problem.severity == "error" and problem.line > 0
            }
        )

    @property
    def counts(self) -> dict[str, int]:
        """Return the summary counts keyed like the ImportBatch fields."""
        return {
            "created_count": self.count(ImportAction.CREATED),
            "updated_count": self.count(ImportAction.UPDATED),
            "duplicate_count": self.count(ImportAction.DUPLICATE),
            "probable_duplicate_count": self.count(ImportAction.PROBABLE_DUPLICATE),
            "failed_count": self.failed_count,
        }

    def rows(self) -> list[ReportRow]:
        """Return every entry outcome and problem as report rows, in source order."""
        rows = [_item_row(item) for item in self.items]
        rows.extend(_problem_row(problem) for problem in self.problems)
        rows.sort(key=lambda row: (row.source, row.line, ROW_ORDER.get(row.action, 0)))
        return rows


# Within one line: the entry's outcome, then why it failed or what was doubtful.
ROW_ORDER = {FAILED: 1, WARNING: 2}


def _item_row(item: PlanItem) -> ReportRow:
    if item.action == ImportAction.PROBABLE_DUPLICATE:
        message = f"probable duplicate: {item.note}"
    elif item.action == ImportAction.DUPLICATE:
        message = f"duplicate: {item.note}"
    elif item.action == ImportAction.UPDATED:
        message = f"updates {', '.join(item.changes)}: {item.note}"
    else:
        message = "new record"
    if item.et_al:
        message += " (author list ends with “and others”)"
    return ReportRow(
        source=item.source,
        line=item.line,
        key=item.key,
        action=item.action,
        title=item.title,
        message=message,
        article_id=item.article_id,
        similar_to_id=item.resembles_id,
        in_source=item.earlier is not None,
        et_al=item.et_al,
        name_doubts=item.name_doubts,
    )


def _problem_row(problem: bibtex.Problem) -> ReportRow:
    return ReportRow(
        source=problem.source,
        line=problem.line,
        key=problem.key,
        action=FAILED if problem.severity == "error" else WARNING,
        message=problem.message,
        raw=problem.raw,
    )
