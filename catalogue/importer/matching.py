"""Planning an import: what each parsed entry is, matched against the catalogue; writes nothing.

Matching rules, in order, for one entry:

1. Same normalised DOI as an existing article: the same record.
2. Otherwise, the same normalised title (markup, case, accents, punctuation and spacing
   ignored), year and first author's printed family name (with particle; case and accents
   ignored; the corporate name for a corporate author) as an existing article that an earlier
   import created or updated from an entry with the same citation key (case ignored; the
   article's `citation_key`, or the key of one of its import records), unless both have DOIs
   and they differ: the same record. This is a re-import of the same file, which stays
   idempotent.
3. Otherwise, the same title, year and first author as an existing article, whatever the
   journal, the DOIs or the key: a *probable* duplicate. The entry is imported as a new article
   and reported with a link to the existing one; probable duplicates are never merged.
4. Otherwise a new article.

The same record (1, 2) is counted as a duplicate with on_duplicate="skip"; with "update" the
existing article takes the entry's values where they differ (counted as updated, or as a
duplicate when nothing differs, so that re-running an unchanged file changes nothing).

Duplicates inside one source follow the same rules: a later entry with the same DOI as an
earlier one, or the same title, year, first author and key, is reported as a duplicate of it;
one with only the same title, year and first author as a probable duplicate.

How journals, authors and keywords are reused: see `catalogue.importer.indexes`.

Nothing is loaded by catalogue size: the articles with one of the entries' DOIs, and those with
one of their normalised titles (by the stored title keys, `catalogue.importer.matchkeys`), are
looked up by index, then compared here exactly; people likewise by their stored name keys.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from catalogue.formats import bibtex
from catalogue.importer import matchkeys
from catalogue.importer.cleaning import CleanEntry, PersonName, clean_entry
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
    key_of,
)
from catalogue.importer.normalise import normalise_title, normalised_titles
from catalogue.importer.plan import ImportPlan, NewRow, PlanItem
from catalogue.importer.writing import ARTICLE_FIELDS
from catalogue.models import RECORD_TEXT_FIELDS, ImportAction, OnDuplicate, OutputType


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
    # The stored keys first take in the records written since the last import (any writer).
    matchkeys.ensure_current()
    journals = JournalIndex()
    keywords = KeywordIndex(term for _, _, clean in pairs for term in clean.keywords)
    authors = AuthorIndex(name for _, _, clean in pairs for name in clean.authors)
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
    for done in range(1, total + 1):
        if progress is not None and done % 500 == 0:
            progress("matching", done, total)
        # Each cleaned entry is dropped once planned (updates keep theirs): its person names
        # are not needed by the plan, and 80,000 of them add up.
        source, entry, clean = pairs[done - 1]
        pairs[done - 1] = None  # type: ignore[call-overload]
        item = PlanItem(
            source=source,
            line=entry.line,
            key=entry.key,
            title=clean.fields["title"],
            et_al=entry.et_al,
            fields=clean.fields,
            author_names=[name.printed for name in clean.authors],
            contributors=[
                (contributor.role, contributor.position, contributor.printed)
                for contributor in clean.contributors
            ],
        )
        plan.items.append(item)
        doi = clean.fields["doi"]
        title_key = (
            normalise_title(clean.fields["title"]),
            clean.fields["year"],
            first_author_key(clean.authors),
        )
        _match(item, doi, title_key, planned_doi, planned_title, by_doi, by_title)

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
            continue
        if item.action == ImportAction.DUPLICATE:
            continue
        item.journal = journals.get_or_create(clean)
        _drop_journal_publisher(item, journals)
        _resolve_authors(item, clean.authors, authors)
        item.keywords = [keywords.get_or_create(term) for term in clean.keywords]
        # journal_id, created and updated are set when written. The new article's values are
        # the item's fields (one dict of 40 columns per entry, not two).
        item.fields["peer_reviewed"] = False
        item.article = NewRow.of(item.fields)
        if doi:
            planned_doi[doi] = item
        planned_title[title_key].append(
            Candidate(
                doi=doi,
                journal=item.journal,
                item=item,
                keys=frozenset([key_of(item.key)]) if item.key else frozenset(),
            )
        )

    if updates:
        _plan_updates(updates, journals, authors, keywords)
    keywords.assign_slugs()
    plan.new_journals, plan.new_authors, plan.new_keywords = (
        journals.new,
        authors.new,
        keywords.new,
    )
    plan.keyword_terms = keywords.terms
    if progress is not None:
        progress("matching", total, total)
    return plan


def _where(item: PlanItem) -> str:
    return f"{item.key or 'the entry'} (line {item.line})"


def _match(
    item: PlanItem,
    doi: str,
    title_key: tuple[str, int | None, str],
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
    key = key_of(item.key)
    for candidate in candidates:
        if key and key in candidate.keys and not (doi and candidate.doi and doi != candidate.doi):
            item.action = ImportAction.DUPLICATE
            reason = f"same title, year, first author and citation key {item.key}"
            if candidate.item is not None:
                item.earlier = candidate.item
                item.note = f"{reason}, as {_where(candidate.item)} earlier in this import"
            else:
                item.target_id = candidate.article_id
                item.note = f"{reason} as the entry it was imported from"
            return
    if candidates:
        candidate = candidates[0]
        item.action = ImportAction.PROBABLE_DUPLICATE
        if doi and candidate.doi:
            difference = f"DOI {doi} differs from {candidate.doi}"
        elif doi or candidate.doi:
            difference = "only one of them has a DOI"
        else:
            difference = "no DOI tells them apart"
        reason = f"same title, year and first author, but {difference}"
        if candidate.item is not None:
            item.earlier = candidate.item
            item.note = f"{reason}; resembles {_where(candidate.item)} earlier in this import"
        else:
            item.similar_to_id = candidate.article_id
            item.note = f"{reason}; resembles article #{candidate.article_id}"


def _drop_journal_publisher(item: PlanItem, journals: JournalIndex) -> None:
    if item.fields["publisher"] and _same_text(
        item.fields["publisher"], journals.publisher(item.journal)
    ):
        # Said once, on the journal; the article keeps only a publisher of its own.
        item.fields["publisher"] = ""


def _resolve_authors(item: PlanItem, names: Sequence[PersonName], authors: AuthorIndex) -> None:
    """Link each name to its person (existing, or new), noting resemblances by initials."""
    item.authors = []
    for name in names:
        # One person twice in a list (a parse slip) would break nothing but reads oddly; keep.
        ref, doubts = authors.resolve(name)
        item.authors.append(ref)
        for pk, display in doubts:
            item.name_doubts.append((printed_text(name.printed), pk, display))


def printed_text(printed: Sequence[str]) -> str:
    """Return printed name parts (family, given, particle, suffix, corporate) in reading order."""
    family, given, particle, suffix, corporate = printed
    if corporate:
        return corporate
    surname = " ".join(part for part in (particle, family) if part)
    text = " ".join(part for part in (given, surname) if part)
    return f"{text} {suffix}" if suffix else text


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
    *RECORD_TEXT_FIELDS,
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


def _plan_updates(
    updates: list[tuple[PlanItem, CleanEntry]],
    journals: JournalIndex,
    authors: AuthorIndex,
    keywords: KeywordIndex,
) -> None:
    """Turn matched entries into updates of what differs, or duplicates when nothing does.

    Only values that differ are written: text ignoring whitespace, names and contributors as
    printed, the journal only when the entry names another container than the article's.
    """
    snapshots = article_snapshots([item.target_id for item, _ in updates])
    for item, clean in updates:
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
        if entry["citation_key"] and not old["citation_key"]:
            # A key is how documents cite the record: given once, never replaced by another.
            new["citation_key"] = entry["citation_key"]
        if entry["year"] and (entry["year"] != old["year"] or entry["month"]):
            new.update(year=entry["year"], month=entry["month"], day=entry["day"])
        if entry["pages"] and entry["pages"] != old["pages"]:
            new.update(
                pages=entry["pages"],
                first_page=entry["first_page"],
                last_page=entry["last_page"],
                page_count=entry["page_count"],
            )
        elif entry["page_count"]:
            new["page_count"] = entry["page_count"]
        _plan_journal(item, clean, old, new, journals)

        old_names = [tuple(row[4:9]) for row in previous["authorships"]]
        names = item.author_names
        new["et_al"] = old["et_al"]
        if (
            names
            and item.et_al
            and names == old_names[: len(names)]
            and len(names) < len(old_names)
        ):
            # "Smith and others" confirms a longer list; it is no reason to cut it.
            names = []
        elif names:
            new["et_al"] = entry["et_al"]
        changes = [name for name in ARTICLE_FIELDS if new[name] != old[name]]
        if item.journal is not None and not isinstance(item.journal, int):
            changes.append("journal_id")
        if names and names != old_names:
            _plan_authorships(item, clean, previous["authorships"], authors)
            changes.append("authors")
        else:
            item.authors, item.author_names = [], []

        contributors = _updated_contributors(item.contributors, previous["contributors"])
        item.contributors = contributors or []
        if contributors is not None:
            changes.append("contributors")

        refs = [keywords.get_or_create(term) for term in clean.keywords]
        added = [ref for ref in refs if ref not in previous["keywords"]]
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


def _plan_journal(
    item: PlanItem,
    clean: CleanEntry,
    old: dict[str, Any],
    new: dict[str, Any],
    journals: JournalIndex,
) -> None:
    """Keep the article's journal when the entry names it (by ISSN, title or abbreviation)."""
    item.journal = None
    found = journals.find(clean)
    if found is None:
        return
    entry_titles = normalised_titles(clean.journal_title, clean.journal_abbreviation)
    if old["journal_id"] is not None and is_same_container(
        old["journal_id"], found, entry_titles, journals
    ):
        item.journal = old["journal_id"]
    else:
        item.journal = journals.get_or_create(clean)
    new["journal_id"] = item.journal if isinstance(item.journal, int) else None
    own = item.fields["publisher"]
    _drop_journal_publisher(item, journals)
    if own and not item.fields["publisher"]:
        # The entry's publisher is the journal's: the article's own stays as it was.
        new["publisher"] = old["publisher"]


def _plan_authorships(
    item: PlanItem,
    clean: CleanEntry,
    old_rows: list[list[Any]],
    authors: AuthorIndex,
) -> None:
    """Set the authors of an update: a name printed as before keeps its person and affiliation."""
    before: dict[tuple[str, ...], list[list[Any]]] = defaultdict(list)
    for row in old_rows:
        before[tuple(row[4:9])].append(row)
    item.authors, item.affiliations, item.name_doubts = [], [], []
    for name in clean.authors:
        same = before.get(name.printed)
        if same:
            row = same.pop(0)
            item.authors.append(row[0])
            item.affiliations.append(row[2])
            continue
        ref, doubts = authors.resolve(name)
        item.authors.append(ref)
        item.affiliations.append("")
        for pk, display in doubts:
            item.name_doubts.append((printed_text(name.printed), pk, display))


def _updated_contributors(
    entry: list[tuple[str, int, tuple[str, ...]]], old: list[list[Any]] | None
) -> list[tuple[str, int, tuple[str, ...]]] | None:
    """Return the article's contributors after the update, or None when nothing changes.

    The entry's roles replace the same roles; roles the entry does not name are kept.
    """
    if not entry:
        return None
    old_rows = sorted((row[0], row[1], tuple(row[2:7])) for row in old or [])
    roles = {role for role, _, _ in entry}
    merged = sorted([row for row in old_rows if row[0] not in roles] + list(entry))
    return None if merged == old_rows else merged
