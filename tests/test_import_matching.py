"""Duplicate matching by stored keys (issue 17) decides exactly as loading the catalogue did.

The oracle is the matcher as it was before the stored keys: every person and every article of
the entries' years read into Python (copied here). Both plan the same sources against the same
catalogue, and every decision must be the same: action, matched or resembled record, note,
linked people and "possibly the same person" doubts.
"""

# SQL here names only the key tables (constants); values are parameters.
# ruff: noqa: S608

import dataclasses
import importlib
import random
import unicodedata
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection

from catalogue import identifiers, importer
from catalogue.formats import bibtex
from catalogue.importer import indexes, matching, matchkeys
from catalogue.importer.cleaning import PersonName
from catalogue.importer.common import chunks
from catalogue.importer.indexes import (
    AuthorIndex,
    Candidate,
    _display_name,
    _other_printed_forms,
    key_of,
    printed_family_key,
)
from catalogue.importer.normalise import (
    compact,
    family_key,
    given_tokens,
    initials_of,
    is_initials,
    normalise_title,
)
from catalogue.importer.plan import NewRow
from catalogue.models import (
    Article,
    Author,
    Authorship,
    ImportAction,
    ImportRecord,
    ImportStatus,
)
from tests.factories import make_article, make_author
from tests.test_importer import make_entry, make_result, run

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "bibtex"


# --- the oracle: the matcher's candidate loading before the stored keys ----------------------


class LoadingAuthorIndex(AuthorIndex):
    """The author index as it was: every person read, whatever the import's names."""

    def __init__(self, names=()) -> None:
        self.by_orcid = {}
        self.by_corporate = {}
        self.by_full = {}
        self.by_family = defaultdict(list)
        self.doubts = {}
        self.new = []
        rows = Author.objects.order_by("pk").values_list(
            "pk", "family_name", "given_names", "particle", "suffix", "corporate_name", "orcid"
        )
        for pk, family, given, particle, suffix, corporate, orcid in rows:
            name = PersonName(
                family=family,
                given=given,
                particle=particle,
                suffix=suffix,
                corporate=corporate,
                orcid=orcid,
            )
            self._add(pk, name)
            if not corporate:
                self.by_family[
                    (family_key(family=family, particle=particle), compact(suffix))
                ].append((given_tokens(given), pk, _display_name(name)))
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

    def _doubts(self, key):
        if key in self.doubts:
            return self.doubts[key]
        family, given, suffix = key
        found = []
        if given:
            initials = initials_of(given)
            for tokens, pk, display in self.by_family.get((family, suffix), ()):
                if not tokens or tokens == given:
                    continue
                other = initials_of(tokens)
                if other == initials or (
                    (is_initials(given) and other.startswith(initials))
                    or (is_initials(tokens) and initials.startswith(other))
                ):
                    found.append((pk, display))
        self.doubts[key] = found[: indexes._MAX_DOUBTS]
        return self.doubts[key]


def loading_existing_by_doi(dois):
    """existing_by_doi as it was, through the ORM."""
    found = {}
    for chunk in chunks(sorted(set(dois))):
        found.update(
            (doi, pk) for pk, doi in Article.objects.filter(doi__in=chunk).values_list("pk", "doi")
        )
    return found


def loading_existing_by_title(keys):
    """existing_by_title as it was: every article of the entries' years read and compared."""
    years = sorted({year for _, year in keys if year is not None})
    columns = ("pk", "title", "year", "doi", "journal_id", "citation_key")
    rows = []
    for chunk in chunks(years):
        rows.extend(Article.objects.filter(year__in=chunk).order_by().values_list(*columns))
    if any(year is None for _, year in keys):
        rows.extend(Article.objects.filter(year__isnull=True).order_by().values_list(*columns))
    matching_rows = [
        (pk, normalise_title(title), year, doi, journal_id, citation_key)
        for pk, title, year, doi, journal_id, citation_key in rows
    ]
    matching_rows = [row for row in matching_rows if (row[1], row[2]) in keys]
    first_authors = {}
    entry_keys = defaultdict(set)
    for pk, *_, citation_key in matching_rows:
        if citation_key:
            entry_keys[pk].add(key_of(citation_key))
    ids = [row[0] for row in matching_rows]
    for chunk in chunks(ids):
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
                action__in=indexes._IMPORTED,
                batch__status=ImportStatus.COMPLETED,
            )
            .exclude(key="")
            .order_by()
            .values_list("article_id", "key")
        ):
            entry_keys[article_id].add(key_of(citation_key))
    index = defaultdict(list)
    for pk, title_key, year, doi, journal_id, _ in sorted(matching_rows):
        index[(title_key, year, first_authors.get(pk, ""))].append(
            Candidate(
                doi=doi, journal=journal_id, article_id=pk, keys=frozenset(entry_keys.get(pk, ()))
            )
        )
    return index


@contextmanager
def loading_matcher():
    with (
        mock.patch.object(matching, "AuthorIndex", LoadingAuthorIndex),
        mock.patch.object(matching, "existing_by_title", loading_existing_by_title),
        mock.patch.object(matching, "existing_by_doi", loading_existing_by_doi),
        mock.patch.object(matchkeys, "ensure_current", lambda: None),
    ):
        yield


def _ref(ref, new_rows):
    if ref is None or isinstance(ref, int):
        return ref
    return ("new", new_rows.index(ref)) if isinstance(ref, NewRow) else repr(ref)


def decisions(plan):
    """Return every decision of a plan, new rows named by their place in the plan."""
    positions = {id(item): index for index, item in enumerate(plan.items)}
    new_authors = {id(row): index for index, row in enumerate(plan.new_authors)}
    new_journals = {id(row): index for index, row in enumerate(plan.new_journals)}

    def ref(value, new):
        if value is None or isinstance(value, int):
            return value
        return ("new", new[id(value)])

    return [
        (
            item.source,
            item.line,
            item.key,
            item.action,
            item.target_id,
            item.similar_to_id,
            None if item.earlier is None else positions[id(item.earlier)],
            item.note,
            [ref(author, new_authors) for author in item.authors],
            item.name_doubts,
            ref(item.journal, new_journals),
            item.changes,
        )
        for item in plan.items
    ] + [("new author", index, row.values) for index, row in enumerate(plan.new_authors)]


def assert_same_decisions(results, *, on_duplicate="skip"):
    """Plan `results` with the stored keys and with the oracle; return the plan if they agree."""
    plan = importer.plan_import(results, on_duplicate=on_duplicate)
    with loading_matcher():
        oracle = importer.plan_import(results, on_duplicate=on_duplicate)
    assert decisions(plan) == decisions(oracle)
    return plan


def actions(plan):
    found = defaultdict(int)
    for item in plan.items:
        found[item.action] += 1
    return dict(found)


# --- random variations of entries ------------------------------------------------------------

_ACCENTED = {"a": "á", "e": "é", "i": "ï", "o": "ö", "u": "ü", "c": "ç", "n": "ñ"}


def _accent(text, rng):
    return "".join(
        _ACCENTED[char] if char in _ACCENTED and rng.random() < 0.3 else char for char in text
    )


def vary_title(title, rng):
    choice = rng.randrange(8)
    if choice == 0:
        return title.upper()
    if choice == 1:
        return title.lower()
    if choice == 2:
        return _accent(title, rng)
    if choice == 3:
        return title.replace(" ", "  -  ", 1) + "."
    if choice == 4:
        words = title.split()
        return f"<i>{words[0]}</i> {' '.join(words[1:])}" if words else title
    if choice == 5:
        return title + " revisited"  # another title
    if choice == 6:
        return unicodedata.normalize("NFD", _accent(title, rng))
    return title


def vary_name(name, rng):
    choice = rng.randrange(7)
    if choice == 0:
        return dataclasses.replace(name, family=name.family.upper())
    if choice == 1:
        return dataclasses.replace(name, family=_accent(name.family, rng))
    if choice == 2 and name.given:
        return dataclasses.replace(name, given=" ".join(w[0] + "." for w in name.given.split()))
    if choice == 3 and name.given:
        return dataclasses.replace(name, given=name.given + " Q.")
    if choice == 4:
        return dataclasses.replace(name, family=name.family + "son")
    if choice == 5 and name.given:
        return dataclasses.replace(name, given=name.given.replace(".", ""))
    return name


def vary_doi(doi, rng):
    choice = rng.randrange(6)
    if not doi:
        return identifiers.normalise_doi(f"10.9999/new.{rng.randrange(10**6)}") if choice else ""
    if choice == 0:
        return identifiers.normalise_doi(doi.upper())
    if choice == 1:
        return identifiers.normalise_doi(f"https://doi.org/{doi.upper()}")
    if choice == 2:
        return identifiers.normalise_doi(f"doi:{doi}")
    if choice == 3:
        return ""
    if choice == 4:
        return doi + ".x"  # another DOI
    return doi


def variations(entries, *, seed, count):
    """Return `count` entries each varying one of `entries` (printed), numbered from line 1."""
    rng = random.Random(seed)
    varied = []
    for line in range(1, count + 1):
        entry = rng.choice(entries)
        changes = {"line": line}
        for _ in range(rng.randrange(1, 4)):
            what = rng.randrange(6)
            if what == 0:
                changes["title"] = vary_title(changes.get("title", entry.title), rng)
            elif what == 1 and entry.year:
                changes["year"] = entry.year + rng.choice((-1, 1))
            elif what == 2:
                changes["doi"] = vary_doi(entry.doi, rng)
            elif what == 3 and entry.authors:
                authors = list(entry.authors)
                index = rng.randrange(len(authors))
                authors[index] = vary_name(authors[index], rng)
                changes["authors"] = authors
            elif what == 4:
                changes["key"] = rng.choice((entry.key.upper(), entry.key + "b", ""))
            elif what == 5 and entry.authors:
                changes["authors"] = list(reversed(entry.authors))
        varied.append(dataclasses.replace(entry, **changes))
    return varied


# --- the corpus ------------------------------------------------------------------------------


def corpus_results():
    results = []
    for path in sorted(CORPUS.rglob("*.bib")):
        try:
            result = importer.parse_source(data=path.read_bytes(), filename=path.name)
        except importer.ImportFileError:
            continue
        if result.entries:
            results.append(result)
    return results


@pytest.mark.skipif(not CORPUS.exists(), reason="no shared BibTeX corpus")
def test_corpus_files_and_their_variations_are_matched_exactly_as_by_loading_the_catalogue():
    results = corpus_results()
    large = next(result for result in results if result.source == "large-16k-entries.bib")
    # A catalogue holding every small corpus file and a sixth of the large one, one import each.
    for result in results:
        entries = result.entries[: len(result.entries) // 6] if result is large else result.entries
        importer.run_import(
            data=b"@article{...}",
            filename=result.source,
            result=dataclasses.replace(result, entries=entries),
        )
    # Records written otherwise than by an import, and edited since.
    base = large.entries[:300]
    for entry in base[:20]:
        make_article(title=entry.title, year=entry.year, citation_key=entry.key)
    edited = Article.objects.order_by("pk")[:10]
    for article in edited:
        Article.objects.filter(pk=article.pk).update(title=article.title.upper() + " (edited)")

    plans = {result.source: assert_same_decisions(result) for result in results}
    seen = actions(plans[large.source])
    assert seen[ImportAction.DUPLICATE] > 1000
    assert seen[ImportAction.CREATED] > 1000

    varied = variations(base + large.entries[-300:], seed=17, count=3000)
    for on_duplicate in ("skip", "update"):
        plan = assert_same_decisions(
            make_result(*varied, source="varied.bib"), on_duplicate=on_duplicate
        )
        seen = actions(plan)
        assert seen.get(ImportAction.PROBABLE_DUPLICATE, 0) > 50
        assert seen.get(ImportAction.DUPLICATE, 0) > 50
    assert any(item.name_doubts for item in plan.items)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_variations_are_matched_exactly_as_by_loading_the_catalogue(seed):
    rng = random.Random(seed)
    families = ["Nguyen", "Smith", "van der Berg", "Müller", "O'Brien", "Şahin", "Lee"]
    given = ["Patrick", "P.", "P. J.", "Anna Maria", "A. M.", "José", "Jo"]
    entries = []
    for line in range(1, 121):
        authors = [
            bibtex.Name(family=rng.choice(families), given=rng.choice(given))
            for _ in range(rng.randrange(1, 4))
        ]
        if rng.random() < 0.1:
            authors = [bibtex.Name(corporate=rng.choice(["WHO", "W.H.O.", "Open Science"]))]
        entries.append(
            make_entry(
                key=f"k{line}",
                line=line,
                title=f"On {rng.choice(['growth', 'Growth', 'décay'])} of {line % 40} things",
                year=rng.choice([2019, 2020, None]),
                doi=f"10.1000/{line}" if rng.random() < 0.5 else "",
                authors=authors,
            )
        )
    run(*entries[:60])
    # People and articles made by hand: no import ever saw them.
    make_author(family_name="Nguyen", given_names="Patrick J.")
    # More people resembling "P. Okafor" than the notes keep (the first five by id).
    for given_names in ("Pa", "Peter", "Paul", "Pierre", "P. R.", "Pat", "P. Q.", "Pablo"):
        make_author(family_name="Okafor", given_names=given_names)
    make_author(family_name="Berg", particle="van der", given_names="Anna")
    make_article(title="On growth of 3 things", year=2020, authors=[make_author(family_name="Lee")])
    varied = variations(entries, seed=seed, count=400)
    varied.append(
        make_entry(key="okafor", line=401, authors=[bibtex.Name(family="Okafor", given="P.")])
    )
    plan = assert_same_decisions(make_result(*varied))
    assert max(len(item.name_doubts) for item in plan.items) == 5
    assert_same_decisions(make_result(*varied), on_duplicate="update")


# --- keeping the keys current ----------------------------------------------------------------


def stored_keys():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT article_id, title_hash FROM {matchkeys.ARTICLE_TABLE}")
        articles = dict(cursor.fetchall())
        cursor.execute(
            "SELECT author_id, name_key, full_key, initials, abbreviated "
            f"FROM {matchkeys.AUTHOR_TABLE}"
        )
        authors = {row[0]: tuple(row) for row in cursor.fetchall()}
    return articles, authors


def expected_keys():
    articles = {
        pk: matchkeys.title_hash(normalise_title(title))
        for pk, title in Article.objects.values_list("pk", "title")
    }
    authors = {
        row[0]: matchkeys._author_row(*row)
        for row in Author.objects.values_list(
            "pk", "family_name", "given_names", "particle", "suffix", "corporate_name"
        )
    }
    return articles, authors


def test_every_writer_queues_its_rows_and_refresh_keys_them_all():
    article = make_article(title="Plain <i>title</i>", authors=[make_author(family_name="Roe")])
    run(make_entry(key="a", title="Imported", authors=[bibtex.Name(family="Poe", given="E")]))
    Article.objects.filter(pk=article.pk).update(title="Another TITLE")
    Author.objects.filter(family_name="Roe").update(particle="de")
    Author.objects.bulk_create([Author(family_name="Bulk", given_names="B")])
    gone = make_article(title="Gone", journal=None)
    matchkeys.refresh()
    assert stored_keys() != ({}, {})
    Article.objects.filter(pk=gone.pk).delete()
    matchkeys.refresh()
    assert stored_keys() == expected_keys()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {matchkeys.PENDING_TABLE}")
        assert cursor.fetchone()[0] == 0


def test_an_import_leaves_no_queued_rows_and_its_own_keys_stored():
    run(make_entry(key="a", authors=[bibtex.Name(family="Poe", given="Edgar")]))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {matchkeys.PENDING_TABLE}")
        assert cursor.fetchone()[0] == 0
    assert stored_keys() == expected_keys()


def test_a_title_changed_after_the_import_is_matched_by_its_new_title():
    batch = run(make_entry(key="a", title="First title"))
    article = Article.objects.get()
    article.title = "Second title"
    article.save()
    again = run(make_entry(key="a", title="Second title"))
    assert (again.created_count, again.duplicate_count) == (0, 1)
    assert again.plan.items[0].target_id == article.pk
    assert run(make_entry(key="a", title="First title")).created_count == 1
    assert batch.created_count == 1


def test_a_renamed_person_is_found_by_the_new_name_only():
    person = make_author(family_name="Smith", given_names="Ann")
    Author.objects.filter(pk=person.pk).update(family_name="Jones")
    plan = importer.plan_import(
        make_result(make_entry(key="a", authors=[bibtex.Name(family="Jones", given="Ann")])),
        on_duplicate="skip",
    )
    assert plan.items[0].authors == [person.pk]
    plan = importer.plan_import(
        make_result(make_entry(key="a", authors=[bibtex.Name(family="Smith", given="Ann")])),
        on_duplicate="skip",
    )
    assert plan.items[0].authors != [person.pk]


def test_lost_triggers_are_installed_again_with_every_key():
    run(make_entry(key="a", title="Kept"))
    with connection.cursor() as cursor:
        for statement in matchkeys._drop_triggers(connection.vendor):
            cursor.execute(statement)
    assert not matchkeys.is_installed()
    # Written with no trigger to queue it (as after SQLite rebuilt the table).
    article = make_article(
        title="Written unseen", year=2020, authors=[make_author(family_name="Doe")]
    )
    batch = run(make_entry(key="b", title="Written unseen"))
    assert batch.probable_duplicate_count == 1
    assert batch.plan.items[0].similar_to_id == article.pk
    assert matchkeys.is_installed()
    assert stored_keys() == expected_keys()


def test_the_migration_keys_an_existing_catalogue_in_bounded_batches(monkeypatch):
    for number in range(25):
        make_article(title=f"Existing {number}", authors=[make_author(family_name=f"P{number}")])
    matchkeys.uninstall()
    monkeypatch.setattr(matchkeys, "BATCH", 7)
    batches = []
    matchkeys.install(progress=lambda table, done: batches.append((table, done)))
    assert matchkeys.is_installed()
    assert stored_keys() == expected_keys()
    assert ("catalogue_article", 7) in batches
    assert ("catalogue_article", 25) in batches
    # Safe to repeat.
    matchkeys.install()
    assert stored_keys() == expected_keys()


def test_the_migration_installs_and_removes_the_tables():
    migration = importlib.import_module("catalogue.migrations.0024_import_matching")
    make_article(title="Before", authors=[make_author(family_name="Roe")])
    migration.uninstall(None, None)
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert matchkeys.ARTICLE_TABLE not in tables
    assert not matchkeys.is_installed()
    migration.install(None, None)
    assert matchkeys.is_installed()
    assert stored_keys() == expected_keys()


def test_an_unknown_or_colliding_key_adds_rows_to_look_at_never_a_match(monkeypatch):
    make_article(title="Some title", year=2020, authors=[make_author(family_name="Doe")])
    # Every title hashes alike: the lookup returns every article, the comparison keeps none.
    monkeypatch.setattr(matchkeys, "title_hash", lambda key: 1)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {matchkeys.ARTICLE_TABLE} SET title_hash = 1")
    batch = run(make_entry(key="x", title="Quite another title"))
    assert batch.probable_duplicate_count == 0
    assert batch.created_count == 1
