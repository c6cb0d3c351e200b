"""Indexes of the journals, authors, keywords and articles that exist (or this import creates).

Related records are reused rather than duplicated:

- Journals: by ISSN (any of the entry's ISSNs against either slot), else by normalised title.
  A new journal gets the entry's ISSNs (print slot first), abbreviation and publisher.
- Keywords: by term, ignoring case and repeated spaces.
- Corporate authors: by corporate name, ignoring case, accents and punctuation.
- People: by ORCID when both sides have one; else only when the whole name is the same: family
  name with particle, given names and suffix, ignoring case, accents, punctuation and spacing
  ("Huibers, Marcus J. H." = "HUIBERS, Marcus J.H."), matched against each person's own form
  and, for people a librarian merged, the printed forms of their authorships. Never on family
  name and initials alone: "P Nguyen" and "Patrick Nguyen" are two people until a librarian
  merges them; the plan notes the resemblance (`PlanItem.name_doubts`) for the preview. A new
  person takes the printed form as their display name. Every authorship keeps the name as
  printed whichever person it links.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils.text import slugify

from catalogue import identifiers
from catalogue.importer import matchkeys
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
from catalogue.models import (
    Author,
    Authorship,
    ImportAction,
    ImportRecord,
    ImportStatus,
    Journal,
    Keyword,
    PersonChange,
    PersonChangeKind,
    fold,
)


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
    """The catalogue's and this import's people (Author rows), found by ORCID or whole name.

    Besides each person's own form, the printed forms of the authorships a librarian merged into
    them name them too. Only the people the import's `names` can link to or resemble are read
    (by their stored name keys and ORCIDs): every person with one of the names' ORCIDs, family
    keys and first initials, which is every person `resolve` can return or note for them.
    """

    def __init__(self, names: Iterable[PersonName] = ()) -> None:
        self.by_orcid: dict[str, Any] = {}
        self.by_corporate: dict[str, Any] = {}
        self.by_full: dict[tuple[str, tuple[str, ...], str], Any] = {}
        # Existing people with given names by (family key, suffix key, first initial): their
        # given-name tokens, id, display name, initials, and whether the tokens are initials.
        self.by_family: dict[tuple[str, str, str], list[tuple[Any, ...]]] = defaultdict(list)
        self.doubts: dict[tuple[str, tuple[str, ...], str], list[tuple[int, str]]] = {}
        self.new: list[NewRow] = []
        for pk, family, given, particle, suffix, corporate, orcid in _people_named(names):
            name = PersonName(
                family=family,
                given=given,
                particle=particle,
                suffix=suffix,
                corporate=corporate,
                orcid=orcid,
            )
            self._add(pk, name)
            tokens = given_tokens(given)
            if not corporate and tokens:
                self.by_family[
                    (family_key(family=family, particle=particle), compact(suffix), tokens[0][0])
                ].append(
                    (tokens, pk, _display_name(name), initials_of(tokens), is_initials(tokens))
                )
        for pk, family, given, particle, suffix, corporate in _other_printed_forms():
            self._add(
                pk,
                PersonName(
                    family=family,
                    given=given,
                    particle=particle,
                    suffix=suffix,
                    corporate=corporate,
                ),
            )

    def _add(self, ref: Any, name: PersonName) -> None:
        if name.orcid:
            self.by_orcid.setdefault(name.orcid, ref)
        if name.corporate:
            self.by_corporate.setdefault(compact(name.corporate), ref)
            return
        self.by_full.setdefault(_full_key(name), ref)

    def find(self, name: PersonName) -> Any:
        """Return the person whose ORCID or whole normalised name is the name's, else None."""
        if name.orcid and name.orcid in self.by_orcid:
            return self.by_orcid[name.orcid]
        if name.corporate:
            return self.by_corporate.get(compact(name.corporate))
        return self.by_full.get(_full_key(name))

    def get_or_create(self, name: PersonName) -> Any:
        """Return the person the name links to (id or NewRow); a new one takes its form."""
        return self.resolve(name)[0]

    def resolve(self, name: PersonName) -> tuple[Any, list[tuple[int, str]]]:
        """Return the person the name links to (id or NewRow), and the doubts about a new one.

        The doubts are the existing people (id, display name) a name that links to no existing
        person resembles only by initials: same family name (with particle) and suffix, other
        given names with the same initials, or initials that begin the other's ("P" and
        "Patrick J."). Never a reason to link them: a note for the preview.
        """
        if name.orcid and name.orcid in self.by_orcid:
            return self.by_orcid[name.orcid], []
        if name.corporate:
            key = compact(name.corporate)
            found = self.by_corporate.get(key)
            if found is None:
                found = self.by_corporate[key] = self._new(name)
            return found, []
        key = _full_key(name)
        found = self.by_full.get(key)
        if found is None:
            found = self.by_full[key] = self._new(name)
        if isinstance(found, int):
            return found, []
        return found, self._doubts(key)

    def _new(self, name: PersonName) -> NewRow:
        author = NewRow(
            family_name=name.family,
            given_names=name.given,
            particle=name.particle,
            suffix=name.suffix,
            corporate_name=name.corporate,
            orcid=name.orcid if name.orcid not in self.by_orcid else "",
        )
        if name.orcid:
            self.by_orcid.setdefault(name.orcid, author)
        self.new.append(author)
        return author

    def _doubts(self, key: tuple[str, tuple[str, ...], str]) -> list[tuple[int, str]]:
        if key in self.doubts:
            return self.doubts[key]
        family, given, suffix = key
        found: list[tuple[int, str]] = []
        if given:
            initials = initials_of(given)
            abbreviated = is_initials(given)
            # Every resemblance by initials begins with the same letter: only those are listed.
            for tokens, pk, display, other, other_abbreviated in self.by_family.get(
                (family, suffix, initials[0]), ()
            ):
                if tokens == given:
                    continue
                if other == initials or (
                    (abbreviated and other.startswith(initials))
                    or (other_abbreviated and initials.startswith(other))
                ):
                    found.append((pk, display))
                    if len(found) == _MAX_DOUBTS:
                        break
        self.doubts[key] = found[:_MAX_DOUBTS]
        return self.doubts[key]


# At most this many "possibly the same person as" notes per name (a common "J Smith").
_MAX_DOUBTS = 5


def _full_key(name: PersonName) -> tuple[str, tuple[str, ...], str]:
    """Return the whole normalised form of a personal name: family with particle, given, suffix."""
    return (
        family_key(family=name.family, particle=name.particle),
        given_tokens(name.given),
        compact(name.suffix),
    )


def _people_named(names: Iterable[PersonName]) -> list[tuple[Any, ...]]:
    """Return the people (id, name parts, ORCID) that `names` can link to or resemble, by id.

    Those with one of the names' ORCIDs or whole names, and for a name that names nobody yet,
    the first few (by id) of those it resembles by initials: every person `AuthorIndex` can
    return or note for the names.
    """
    full: dict[str, PersonName] = {}
    orcids: set[str] = set()
    for name in names:
        parts = {
            "family": name.family,
            "given": name.given,
            "particle": name.particle,
            "suffix": name.suffix,
            "corporate": name.corporate,
        }
        full.setdefault(matchkeys.author_full_key(**parts), name)
        if name.orcid:
            orcids.add(name.orcid)
    people = {row[0]: row for row in matchkeys.authors_by_full_key(full)}
    for chunk in chunks(sorted(orcids)):
        people.update(
            (row[0], row)
            # (Not empty: the condition of the partial unique index, which PostgreSQL cannot
            # prove from a list of more than 100 values.)
            for row in Author.objects.filter(orcid__in=chunk)
            .exclude(orcid="")
            .order_by()
            .values_list(
                "pk", "family_name", "given_names", "particle", "suffix", "corporate_name", "orcid"
            )
        )
    found = {
        matchkeys.author_full_key(
            family=family, given=given, particle=particle, suffix=suffix, corporate=corporate
        )
        for _, family, given, particle, suffix, corporate, _ in people.values()
    }
    resembling = set()
    for key, name in full.items():
        tokens = given_tokens(name.given)
        if key in found or name.corporate or not tokens:
            continue  # names a person already, or cannot resemble anyone by initials
        resembling.add(
            (
                matchkeys.author_name_key(
                    family=name.family,
                    given=name.given,
                    particle=name.particle,
                    suffix=name.suffix,
                    corporate="",
                ),
                initials_of(tokens),
                is_initials(tokens),
            )
        )
    people.update((row[0], row) for row in matchkeys.authors_resembling(resembling))
    # In id order, as the whole table was read: the first person with a form is the one it names.
    return [people[pk] for pk in sorted(people)]


def _display_name(name: PersonName) -> str:
    if name.corporate:
        return name.corporate
    family = " ".join(part for part in (name.particle, name.family) if part)
    text = " ".join(part for part in (name.given, family) if part)
    return f"{text} {name.suffix}" if name.suffix else text


def _other_printed_forms() -> list[tuple[Any, ...]]:
    """Return (person id, printed parts) of the authorships of people a librarian merged.

    A merge says that the forms printed on the merged authorships name that person, so they
    link to them in later imports too. (Reading every authorship would cost seconds on a large
    catalogue; other forms differ from their person's only in what normalisation ignores.)
    """
    merged = PersonChange.objects.filter(
        kind=PersonChangeKind.MERGE, undone__isnull=True, person__isnull=False
    ).values("person_id")
    return list(
        Authorship.objects.filter(author_id__in=merged)
        .exclude(family_name="", corporate_name="")
        .order_by("author_id")
        .values_list(
            "author_id", "family_name", "given_names", "particle", "suffix", "corporate_name"
        )
        .distinct()
    )


class KeywordIndex:
    """The catalogue's and this import's keywords, found by term ignoring case and spacing.

    On PostgreSQL only the keywords the import's `terms` can name are read (a catalogue of
    1M articles has 50,000): those whose lower-cased term is one of the terms' keys, by the
    unique index on it, and any whose term is not plain ASCII with single spaces (whose
    database lower case might differ from Python's; a handful). New keywords' slugs are
    chosen once the plan is made (`assign_slugs`) against the existing slugs they can collide
    with, as when every slug was read. SQLite reads them all (a small catalogue).
    """

    def __init__(self, terms: Iterable[str] = ()) -> None:
        self.by_term: dict[str, Any] = {}
        # The stored term of each existing keyword read (by id).
        self.terms: dict[int, str] = {}
        self.new: list[NewRow] = []
        self.slugs: set[str] | None = None
        if connection.vendor == "postgresql":
            keys = sorted({keyword_key(term) for term in terms})
            rows = _rows(
                "SELECT id, term, slug FROM catalogue_keyword WHERE lower(term) = ANY(%s) "
                "OR term !~ '^[ -~]*$' OR term ~ '(^ | $|  )' ORDER BY id",
                [keys],
            )
        else:
            rows = Keyword.objects.order_by("pk").values_list("pk", "term", "slug")
            self.slugs = set()
        for pk, term, slug in rows:
            self.by_term.setdefault(keyword_key(term), pk)
            self.terms[pk] = term
            if self.slugs is not None:
                self.slugs.add(slug)

    def get_or_create(self, term: str) -> Any:
        key = keyword_key(term)
        if key in self.by_term:
            return self.by_term[key]
        keyword = NewRow(term=term, slug="")
        self.by_term[key] = keyword
        self.new.append(keyword)
        return keyword

    def assign_slugs(self) -> None:
        """Give each new keyword, in order, its term's slug, or the first free "slug-N"."""
        bases = [slugify(fold(row.values["term"]))[:240] or "keyword" for row in self.new]
        taken = self.slugs
        if taken is None:
            # Only a base or a "base-N" can collide with a new keyword's slug.
            taken = {
                slug
                for (slug,) in _rows(
                    "SELECT slug FROM catalogue_keyword WHERE slug = ANY(%s) "
                    "OR substring(slug FROM '^(.*)-[0-9]+$') = ANY(%s)",
                    [sorted(set(bases)), sorted(set(bases))],
                )
            }
        for row, base in zip(self.new, bases, strict=True):
            slug, counter = base, 2
            while slug in taken:
                slug = f"{base}-{counter}"
                counter += 1
            taken.add(slug)
            row.values["slug"] = slug


def _rows(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass
class Candidate:
    """An article (existing, or planned earlier in this import) keyed by title/year/author."""

    doi: str
    journal: Any
    article_id: int | None = None
    item: PlanItem | None = None
    # Folded citation keys of the entries it was imported from (created or updated by).
    keys: frozenset[str] = frozenset()


def first_author_key(authors: Sequence[PersonName]) -> str:
    """Return the family key of the first author as printed ("" without authors)."""
    if not authors:
        return ""
    family, given, particle, _suffix, corporate = authors[0].printed
    return printed_family_key(family=family, given=given, particle=particle, corporate=corporate)


def printed_family_key(*, family: str, given: str, particle: str, corporate: str) -> str:
    """Return the duplicate-matching key of a printed name: family with particle, or corporate.

    A single-word name printed as a given name ("Plato") counts as the family name.
    """
    return family_key(family=family or given, particle=particle, corporate=corporate)


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
    # By the unique DOI index, without the ORM's cost per value (16,000 DOIs a file). The
    # index is partial (non-empty DOIs): PostgreSQL proves that `doi = ANY(...)` implies its
    # condition only for arrays of at most 100 values, so the condition is said, else a file's
    # DOIs were looked up by a scan of the whole article table (1.3 s at 1M, 0.13 s so).
    rows = matchkeys.select_in(
        "SELECT id, doi FROM catalogue_article WHERE doi {in} AND doi <> ''", sorted(set(dois))
    )
    return {doi: pk for pk, doi in rows}


def key_of(citation_key: str) -> str:
    """Return a citation key folded for comparison (BibTeX keys ignore case)."""
    return citation_key.strip().casefold()


def existing_by_title(
    keys: set[tuple[str, int | None]],
) -> dict[tuple[str, int | None, str], list[Candidate]]:
    """Return existing articles whose (normalised title, year) is in `keys`, by key.

    The key is (normalised title, year, first author's printed family name key); each
    candidate knows the citation keys of the entries it was imported from.
    """
    # The stored title keys find every article with one of the titles (and a few others, which
    # the exact comparison below drops), at any catalogue size.
    rows = matchkeys.articles_by_title(title for title, _ in keys)
    matching = [
        (pk, normalise_title(title), year, doi, journal_id, citation_key)
        for pk, title, year, doi, journal_id, citation_key in rows
    ]
    matching = [row for row in matching if (row[1], row[2]) in keys]
    first_authors: dict[int, str] = {}
    entry_keys: dict[int, set[str]] = defaultdict(set)
    for pk, *_, citation_key in matching:
        if citation_key:
            entry_keys[pk].add(key_of(citation_key))
    ids = [row[0] for row in matching]
    for chunk in chunks(ids):
        # The printed form: what an entry of the same record prints first.
        # No ordering: the default one (the article's) would join the article table.
        for article_id, family, given, particle, corporate in (
            Authorship.objects.filter(article_id__in=chunk, position=1)
            .order_by()
            .values_list("article_id", "family_name", "given_names", "particle", "corporate_name")
        ):
            first_authors[article_id] = printed_family_key(
                family=family, given=given, particle=particle, corporate=corporate
            )
        for article_id, citation_key in (
            ImportRecord.objects.filter(
                article_id__in=chunk,
                action__in=_IMPORTED,
                batch__status=ImportStatus.COMPLETED,
            )
            .exclude(key="")
            .order_by()
            .values_list("article_id", "key")
        ):
            entry_keys[article_id].add(key_of(citation_key))
    index: dict[tuple[str, int | None, str], list[Candidate]] = defaultdict(list)
    for pk, title_key, year, doi, journal_id, _ in sorted(matching):
        index[(title_key, year, first_authors.get(pk, ""))].append(
            Candidate(
                doi=doi,
                journal=journal_id,
                article_id=pk,
                keys=frozenset(entry_keys.get(pk, ())),
            )
        )
    return index


# The import actions that wrote an article from an entry.
_IMPORTED = [ImportAction.CREATED, ImportAction.UPDATED, ImportAction.PROBABLE_DUPLICATE]
