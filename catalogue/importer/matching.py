"""Planning an import: what each parsed entry is, matched against the catalogue; writes nothing.

Matching rules, in order, for one entry:

1. Same normalised DOI as an existing article: the same record. With on_duplicate="skip" it is
   counted as a duplicate; with "update" the existing article takes the entry's non-empty
   values (counted as updated, or as a duplicate when nothing would change).
2. No DOI on either side, and the same normalised title (markup, case, accents, punctuation and
   spacing ignored), year, first author's family name (with particle; case and accents ignored;
   corporate name for a corporate author) and journal (resolved as below, or none on both
   sides): the same record, as in 1.
3. Same title, year and first author but anything else different (a DOI on one side only, two
   different DOIs, another journal): a *probable* duplicate. The entry is imported as a new
   article and reported with a link to the existing one; never merged.
4. Otherwise a new article.

Duplicates inside one source follow the same rules: a later entry that is the same record as
an earlier one is reported as a duplicate of it, a similar one as a probable duplicate.

How journals, authors and keywords are reused: see `catalogue.importer.indexes`.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from catalogue.formats import bibtex
from catalogue.importer.cleaning import CleanEntry, clean_entry
from catalogue.importer.common import Progress, check_on_duplicate, gc_paused
from catalogue.importer.history import article_snapshots
from catalogue.importer.indexes import (
    AuthorIndex,
    Candidate,
    JournalIndex,
    KeywordIndex,
    existing_by_doi,
    existing_by_title,
    first_author_key,
    is_same_container,
)
from catalogue.importer.normalise import normalise_title, normalised_titles
from catalogue.importer.plan import ImportPlan, NewRow, PlanItem
from catalogue.importer.writing import ARTICLE_FIELDS
from catalogue.models import ImportAction, OnDuplicate, OutputType


def plan_import(
    results: bibtex.ParseResult | Sequence[bibtex.ParseResult],
    *,
    on_duplicate: str,
    progress: Progress | None = None,
) -> ImportPlan:
    """Return what importing the parsed sources would do now; writes nothing."""
    with gc_paused():
        return _plan(results, on_duplicate=on_duplicate, progress=progress)


def _plan(
    results: bibtex.ParseResult | Sequence[bibtex.ParseResult],
    *,
    on_duplicate: str,
    progress: Progress | None,
) -> ImportPlan:
    check_on_duplicate(on_duplicate)
    if isinstance(results, bibtex.ParseResult):
        results = [results]
    problems: list[bibtex.Problem] = []
    pairs: list[tuple[str, bibtex.Entry, CleanEntry]] = []
    for result in results:
        problems.extend(
            problem if problem.source else dataclasses.replace(problem, source=result.source)
            for problem in result.problems
        )
        for entry in result.entries:
            clean = clean_entry(entry)
            problems.extend(
                warning if warning.source else dataclasses.replace(warning, source=result.source)
                for warning in entry.warnings
            )
            problems.extend(
                bibtex.Problem(
                    line=entry.line,
                    key=entry.key,
                    message=message,
                    raw=entry.raw if clean.error else "",
                    severity="error" if clean.error == message else "warning",
                    source=result.source,
                )
                for message in [*clean.warnings, clean.error]
                if message
            )
            if not clean.error:
                pairs.append((result.source, entry, clean))

    plan = ImportPlan(
        on_duplicate=on_duplicate,
        items=[],
        problems=problems,
        source_entry_count=sum(result.source_entry_count for result in results),
    )
    journals, authors, keywords = JournalIndex(), AuthorIndex(), KeywordIndex()
    by_doi = existing_by_doi([clean.fields["doi"] for _, _, clean in pairs if clean.fields["doi"]])
    title_keys = {
        (normalise_title(clean.fields["title"]), clean.fields["year"]) for _, _, clean in pairs
    }
    by_title = existing_by_title(title_keys)

    planned_doi: dict[str, PlanItem] = {}
    planned_title: dict[tuple[str, int | None, str], list[Candidate]] = defaultdict(list)
    targeted: dict[int, PlanItem] = {}
    updates: list[tuple[PlanItem, CleanEntry]] = []
    total = len(pairs)
    for done, (source, entry, clean) in enumerate(pairs, start=1):
        if progress is not None and done % 500 == 0:
            progress("matching", done, total)
        item = PlanItem(
            source=source,
            line=entry.line,
            key=entry.key,
            title=clean.fields["title"],
            et_al=entry.et_al,
            fields=clean.fields,
        )
        plan.items.append(item)
        doi = clean.fields["doi"]
        title_key = (
            normalise_title(clean.fields["title"]),
            clean.fields["year"],
            first_author_key(clean.authors),
        )
        journal = journals.find(clean)
        entry_titles = normalised_titles(clean.journal_title, clean.journal_abbreviation)

        def same_container(candidate: Any, journal=journal, entry_titles=entry_titles) -> bool:
            return is_same_container(candidate, journal, entry_titles, journals)

        _match(item, doi, title_key, same_container, planned_doi, planned_title, by_doi, by_title)

        if item.target_id is not None:
            if item.target_id in targeted:
                earlier = targeted[item.target_id]
                item.earlier, item.target_id = earlier, None
                item.note = f"same record as {_where(earlier)} earlier in this import"
            else:
                targeted[item.target_id] = item
                if doi:
                    planned_doi[doi] = item
                if on_duplicate == OnDuplicate.UPDATE:
                    updates.append((item, clean))
                    _resolve_related(item, clean, journals, authors, keywords)
            continue
        if item.action == ImportAction.DUPLICATE:
            continue
        _resolve_related(item, clean, journals, authors, keywords)
        # journal_id, created and updated are set when written.
        item.article = NewRow(peer_reviewed=False, **item.fields)
        if doi:
            planned_doi[doi] = item
        planned_title[title_key].append(Candidate(doi=doi, journal=item.journal, item=item))

    if updates:
        _plan_updates(updates)
    plan.new_journals, plan.new_authors, plan.new_keywords = (
        journals.new,
        authors.new,
        keywords.new,
    )
    if progress is not None:
        progress("matching", total, total)
    return plan


def _where(item: PlanItem) -> str:
    return f"{item.key or 'the entry'} (line {item.line})"


def _match(
    item: PlanItem,
    doi: str,
    title_key: tuple[str, int | None, str],
    same_container: Callable[[Any], bool],
    planned_doi: dict[str, PlanItem],
    planned_title: dict[tuple[str, int | None, str], list[Candidate]],
    by_doi: dict[str, int],
    by_title: dict[tuple[str, int | None, str], list[Candidate]],
) -> None:
    """Set the item's action, target and note from the matching rules."""
    if doi and doi in planned_doi:
        earlier = planned_doi[doi]
        item.action, item.earlier = ImportAction.DUPLICATE, earlier
        item.note = f"same DOI {doi} as {_where(earlier)} earlier in this import"
        return
    if doi and doi in by_doi:
        item.action, item.target_id = ImportAction.DUPLICATE, by_doi[doi]
        item.note = f"same DOI {doi}"
        return
    candidates = [*by_title.get(title_key, ()), *planned_title.get(title_key, ())]
    for candidate in candidates:
        if not doi and not candidate.doi and same_container(candidate.journal):
            item.action = ImportAction.DUPLICATE
            reason = "same title, year, first author and journal; neither has a DOI"
            if candidate.item is not None:
                item.earlier = candidate.item
                item.note = f"{reason}, as {_where(candidate.item)} earlier in this import"
            else:
                item.target_id = candidate.article_id
                item.note = reason
            return
    if candidates:
        candidate = candidates[0]
        item.action = ImportAction.PROBABLE_DUPLICATE
        if doi and candidate.doi:
            difference = f"DOI {doi} differs from {candidate.doi}"
        elif doi or candidate.doi:
            difference = "only one of them has a DOI"
        else:
            difference = "the journal differs"
        reason = f"same title, year and first author, but {difference}"
        if candidate.item is not None:
            item.earlier = candidate.item
            item.note = f"{reason}; resembles {_where(candidate.item)} earlier in this import"
        else:
            item.similar_to_id = candidate.article_id
            item.note = f"{reason}; resembles article #{candidate.article_id}"


def _resolve_related(
    item: PlanItem,
    clean: CleanEntry,
    journals: JournalIndex,
    authors: AuthorIndex,
    keywords: KeywordIndex,
) -> None:
    item.journal = journals.get_or_create(clean)
    if item.fields["publisher"] and _same_text(
        item.fields["publisher"], journals.publisher(item.journal)
    ):
        # Said once, on the journal; the article keeps only a publisher of its own.
        item.fields["publisher"] = ""
    item.authors = []
    for name in clean.authors:
        ref = authors.get_or_create(name)
        # One person twice in a list (a parse slip) would break nothing but reads oddly; keep.
        item.authors.append(ref)
    item.keywords = [keywords.get_or_create(term) for term in clean.keywords]


_REPLACED_WHEN_GIVEN = [
    "title",
    "abstract",
    "language",
    "volume",
    "issue",
    "article_number",
    "doi",
    "pmid",
    "url",
    "bibliographical_note",
    "publisher",
]
# BibTeX's @article cannot say "review" or "editorial": it never demotes those to "article".
_JOURNAL_CONTRIBUTIONS = {
    OutputType.REVIEW,
    OutputType.EDITORIAL,
    OutputType.LETTER,
    OutputType.COMMENT,
}


def _same_text(first: str, second: str) -> bool:
    """Return whether two texts differ at most in whitespace (BibTeX joins lines)."""
    return first.split() == second.split()


def _plan_updates(updates: list[tuple[PlanItem, CleanEntry]]) -> None:
    """Turn matched entries into updates of what differs, or duplicates when nothing does."""
    snapshots = article_snapshots([item.target_id for item, _ in updates])
    for item, _clean in updates:
        previous = snapshots[item.target_id]
        old = previous["fields"]
        new = dict(old)
        entry = item.fields
        for name in _REPLACED_WHEN_GIVEN:
            if entry[name] and not _same_text(entry[name], old[name] or ""):
                new[name] = entry[name]
        if not (
            entry["output_type"] == OutputType.ARTICLE
            and old["output_type"] in _JOURNAL_CONTRIBUTIONS
        ):
            new["output_type"] = entry["output_type"]
        new["state"] = entry["state"]
        if entry["year"] and (entry["year"] != old["year"] or entry["month"]):
            new.update(year=entry["year"], month=entry["month"], day=entry["day"])
        if entry["first_page"] is not None:
            new.update(
                first_page=entry["first_page"],
                last_page=entry["last_page"],
                page_count=entry["page_count"],
            )
        elif entry["page_count"]:
            new["page_count"] = entry["page_count"]
        if item.journal is not None:
            new["journal_id"] = item.journal if isinstance(item.journal, int) else None
        changes = [name for name in ARTICLE_FIELDS if new[name] != old[name]]
        if item.journal is not None and not isinstance(item.journal, int):
            changes.append("journal_id")
        old_authors = [row[0] for row in previous["authorships"]]
        if item.et_al and item.authors == old_authors[: len(item.authors)]:
            # "Smith and others" confirms a longer list; it is no reason to cut it.
            item.authors = []
        if item.authors and item.authors != old_authors:
            changes.append("authors")
        else:
            item.authors = []
        added = [ref for ref in item.keywords if ref not in previous["keywords"]]
        item.keywords = added
        if added:
            changes.append("keywords")
        if not changes:
            item.action = ImportAction.DUPLICATE
            item.note += "; already up to date"
            continue
        item.action = ImportAction.UPDATED
        item.changes = sorted({name.removesuffix("_id") for name in changes})
        item.previous = previous
        item.fields = new
