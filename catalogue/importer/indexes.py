"""Indexes of the journals, authors, keywords and articles that exist (or this import creates).

Related records are reused rather than duplicated:

- Journals: by ISSN (any of the entry's ISSNs against either slot), else by normalised title.
  A new journal gets the entry's ISSNs (print slot first), abbreviation and publisher.
- Keywords: by term, ignoring case and repeated spaces.
- Corporate authors: by corporate name, ignoring case, accents and punctuation.
- Persons: by ORCID when both sides have one; else by family name (with particle) + given names
  + suffix, ignoring case, accents and punctuation ("Huibers, Marcus J. H." = "HUIBERS, Marcus
  J.H."). An initials-only form ("Huibers, M. J. H.") is taken for a full form with the same
  initials, or the other way round, only when exactly one author in the catalogue (or created
  earlier in the same import) fits; otherwise a new author is created, so that two different
  people are never merged on initials alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.text import slugify

from catalogue import identifiers
from catalogue.importer.cleaning import CleanEntry, PersonName
from catalogue.importer.common import chunks
from catalogue.importer.normalise import (
    compact,
    family_key,
    given_tokens,
    initials_of,
    is_initials,
    keyword_key,
    normalise_title,
    normalised_titles,
)
from catalogue.importer.plan import NewRow, PlanItem
from catalogue.models import Article, Author, Authorship, Journal, Keyword, fold


class JournalIndex:
    """The catalogue's and this import's journals, found by ISSN or normalised title."""

    def __init__(self) -> None:
        self.by_issn: dict[str, Any] = {}
        self.by_title: dict[str, Any] = {}
        self.new: list[NewRow] = []
        self.titles: dict[int, set[str]] = {}
        self.publishers: dict[int, str] = {}
        rows = Journal.objects.order_by("pk").values_list(
            "pk", "title", "abbreviated_title", "issn_print", "issn_electronic", "publisher"
        )
        for pk, title, abbreviation, issn_print, issn_electronic, publisher in rows:
            self._add(pk, title, [issn_print, issn_electronic])
            self.titles[pk] = normalised_titles(title, abbreviation)
            if publisher:
                self.publishers[pk] = publisher

    def publisher(self, ref: Any) -> str:
        """Return the publisher of a journal (id or NewRow), "" if it has none."""
        if isinstance(ref, int):
            return self.publishers.get(ref, "")
        return ref.values["publisher"] if ref is not None else ""

    def container_keys(self, ref: Any) -> set[str]:
        """Return the normalised title and abbreviation of a journal (id or NewRow)."""
        if ref is None or ref is _NEW:
            return set()
        if isinstance(ref, int):
            return self.titles.get(ref, set())
        values = ref.values
        return normalised_titles(values["title"], values["abbreviated_title"])

    def _add(self, ref: Any, title: str, issns: Iterable[str]) -> None:
        for issn in issns:
            if issn:
                self.by_issn.setdefault(identifiers.normalise_issn(issn), ref)
        key = normalise_title(title)
        if key:
            self.by_title.setdefault(key, ref)

    def find(self, clean: CleanEntry) -> Any:
        """Return the journal the entry names (id or NewRow), None if none, or _NEW."""
        for issn in clean.issns:
            if issn in self.by_issn:
                return self.by_issn[issn]
        for title in (clean.journal_title, clean.journal_abbreviation):
            key = normalise_title(title)
            if key and key in self.by_title:
                return self.by_title[key]
        if clean.journal_title or clean.journal_abbreviation or clean.issns:
            return _NEW
        return None

    def get_or_create(self, clean: CleanEntry) -> Any:
        found = self.find(clean)
        if found is not _NEW:
            return found
        journal = NewRow(
            title=clean.journal_title or clean.journal_abbreviation or clean.issns[0],
            abbreviated_title=clean.journal_abbreviation,
            issn_print=clean.issns[0] if clean.issns else "",
            issn_electronic=clean.issns[1] if len(clean.issns) > 1 else "",
            publisher=clean.publisher,
        )
        self.new.append(journal)
        self._add(journal, journal.values["title"], clean.issns)
        return journal


# Stands for "a journal that does not exist yet": equal to nothing that exists.
_NEW = object()


class AuthorIndex:
    """The catalogue's and this import's authors, found by ORCID, corporate or personal name."""

    def __init__(self) -> None:
        self.by_orcid: dict[str, Any] = {}
        self.by_corporate: dict[str, Any] = {}
        self.by_full: dict[tuple[str, tuple[str, ...], str], Any] = {}
        self.by_family: dict[tuple[str, str], list[tuple[tuple[str, ...], Any]]] = defaultdict(list)
        self.new: list[NewRow] = []
        rows = Author.objects.order_by("pk").values_list(
            "pk", "family_name", "given_names", "particle", "suffix", "corporate_name", "orcid"
        )
        for pk, family, given, particle, suffix, corporate, orcid in rows:
            self._add(
                pk,
                PersonName(
                    family=family,
                    given=given,
                    particle=particle,
                    suffix=suffix,
                    corporate=corporate,
                    orcid=orcid,
                ),
            )

    def _add(self, ref: Any, name: PersonName) -> None:
        if name.orcid:
            self.by_orcid.setdefault(name.orcid, ref)
        if name.corporate:
            self.by_corporate.setdefault(compact(name.corporate), ref)
            return
        family = family_key(family=name.family, particle=name.particle)
        given = given_tokens(name.given)
        suffix = compact(name.suffix)
        if (family, given, suffix) not in self.by_full:
            self.by_full[(family, given, suffix)] = ref
            self.by_family[(family, suffix)].append((given, ref))

    def _find(self, name: PersonName) -> Any:
        if name.orcid and name.orcid in self.by_orcid:
            return self.by_orcid[name.orcid]
        if name.corporate:
            return self.by_corporate.get(compact(name.corporate))
        family = family_key(family=name.family, particle=name.particle)
        given = given_tokens(name.given)
        suffix = compact(name.suffix)
        exact = self.by_full.get((family, given, suffix))
        if exact is not None or not given:
            return exact
        initials = initials_of(given)
        same_initials = [
            (tokens, ref)
            for tokens, ref in self.by_family.get((family, suffix), ())
            if tokens and initials_of(tokens) == initials
        ]
        if is_initials(given):
            # "M. J. H." fits one known "Marcus J. H." (or "Marcus J. Henk"): only if unique.
            candidates = same_initials
        else:
            # "Marcus J. H." fits a known "M. J. H." only if no other full name shares it.
            full_forms = [pair for pair in same_initials if not is_initials(pair[0])]
            candidates = [] if full_forms else same_initials
        return candidates[0][1] if len(candidates) == 1 else None

    def get_or_create(self, name: PersonName) -> Any:
        found = self._find(name)
        if found is not None:
            return found
        author = NewRow(
            family_name=name.family,
            given_names=name.given,
            particle=name.particle,
            suffix=name.suffix,
            corporate_name=name.corporate,
            orcid=name.orcid if name.orcid not in self.by_orcid else "",
        )
        self.new.append(author)
        self._add(author, name)
        return author


class KeywordIndex:
    """The catalogue's and this import's keywords, found by term ignoring case and spacing."""

    def __init__(self) -> None:
        self.by_term: dict[str, Any] = {}
        self.slugs: set[str] = set()
        self.new: list[NewRow] = []
        for pk, term, slug in Keyword.objects.order_by("pk").values_list("pk", "term", "slug"):
            self.by_term.setdefault(keyword_key(term), pk)
            self.slugs.add(slug)

    def get_or_create(self, term: str) -> Any:
        key = keyword_key(term)
        if key in self.by_term:
            return self.by_term[key]
        base = slugify(fold(term))[:240] or "keyword"
        slug, counter = base, 2
        while slug in self.slugs:
            slug = f"{base}-{counter}"
            counter += 1
        keyword = NewRow(term=term, slug=slug)
        self.slugs.add(slug)
        self.by_term[key] = keyword
        self.new.append(keyword)
        return keyword


@dataclass
class Candidate:
    """An article (existing, or planned earlier in this import) keyed by title/year/author."""

    doi: str
    journal: Any
    article_id: int | None = None
    item: PlanItem | None = None


def first_author_key(authors: Sequence[PersonName]) -> str:
    """Return the family key of the first author ("" without authors), for duplicate matching."""
    if not authors:
        return ""
    first = authors[0]
    return family_key(family=first.family, particle=first.particle, corporate=first.corporate)


def is_same_container(
    candidate: Any, journal: Any, entry_titles: set[str], journals: JournalIndex
) -> bool:
    """Return whether an article's journal and an entry's journal are one container.

    Either no journal on both sides, the same resolved journal, or the same normalised title or
    abbreviation (the entry's ISSN may resolve to another journal record than its title does).
    """
    if candidate is None or (journal is None and not entry_titles):
        return candidate is None and journal is None and not entry_titles
    if journal is not _NEW and (
        candidate == journal if isinstance(candidate, int) else candidate is journal
    ):
        return True
    return bool(entry_titles & journals.container_keys(candidate))


def existing_by_doi(dois: Sequence[str]) -> dict[str, int]:
    """Return the ids of the catalogue's articles with any of `dois`, by DOI."""
    found: dict[str, int] = {}
    for chunk in chunks(sorted(set(dois))):
        found.update(
            (doi, pk) for pk, doi in Article.objects.filter(doi__in=chunk).values_list("pk", "doi")
        )
    return found


def existing_by_title(
    keys: set[tuple[str, int | None]],
) -> dict[tuple[str, int | None, str], list[Candidate]]:
    """Return existing articles whose (normalised title, year) is in `keys`, by key."""
    years = sorted({year for _, year in keys if year is not None})
    rows: list[tuple[int, str, int | None, str, int | None]] = []
    for chunk in chunks(years):
        rows.extend(
            Article.objects.filter(year__in=chunk)
            .order_by()
            .values_list("pk", "title", "year", "doi", "journal_id")
        )
    if any(year is None for _, year in keys):
        rows.extend(
            Article.objects.filter(year__isnull=True)
            .order_by()
            .values_list("pk", "title", "year", "doi", "journal_id")
        )
    matching = [
        (pk, normalise_title(title), year, doi, journal_id)
        for pk, title, year, doi, journal_id in rows
    ]
    matching = [row for row in matching if (row[1], row[2]) in keys]
    first_authors: dict[int, str] = {}
    ids = [row[0] for row in matching]
    for chunk in chunks(ids):
        for article_id, family, particle, corporate in Authorship.objects.filter(
            article_id__in=chunk, position=1
        ).values_list(
            "article_id", "author__family_name", "author__particle", "author__corporate_name"
        ):
            first_authors[article_id] = family_key(
                family=family, particle=particle, corporate=corporate
            )
    index: dict[tuple[str, int | None, str], list[Candidate]] = defaultdict(list)
    for pk, title_key, year, doi, journal_id in sorted(matching):
        index[(title_key, year, first_authors.get(pk, ""))].append(
            Candidate(doi=doi, journal=journal_id, article_id=pk)
        )
    return index
