"""Round trip over the real corpus: records from every .bib file, exported as BibTeX and read
back into an empty catalogue, give the same CSL-JSON (issue 14).

For every file of `../shared/corpus/bibtex/` (skipped when absent): import it, export its
records with the BibTeX export, empty the catalogue, import the export, and compare each
record's CSL-JSON (everything but the item's id, which is the primary key). The large
16k-entry file is sampled: every 20th entry, with every @string and @preamble of the file (an
entry whose crossref parent is not in the sample is stored without what it would inherit, and
round-trips as stored). Files without an importable entry have nothing to compare.

Each file goes both ways: through the importer (`catalogue.importer.run_import`, the real
path), and stored by `store_entries` below straight from the parser's entries, so that a
difference can be told to be the export's and the parser's, or the importer's (matching,
cleaning). `store_entries` cuts values longer than a column to fit and leaves out a second
entry with a DOI already stored, as the importer does.

Every difference is either zero or named in ROUND_TRIP_EXCEPTIONS with its reason (also in
docs/fidelity.md, "Round trip"); the test fails on any other difference, and on an exception
that no longer occurs.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from django.db import models

from catalogue import identifiers, importer
from catalogue.formats.bibtex import Entry, decode_bytes, parse_text
from catalogue.formats.csl_json import article_to_csl
from catalogue.formats.registry import EXPORT_FORMATS
from catalogue.models import (
    RECORD_TEXT_FIELDS,
    Article,
    Author,
    Authorship,
    Contributor,
    ContributorRole,
    ImportStatus,
    Journal,
    Keyword,
)
from catalogue.records import iter_record_batches

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "bibtex"
LARGE = "large-16k-entries.bib"
SAMPLE_EVERY = 20
FILES = (
    sorted(str(path.relative_to(CORPUS)) for path in CORPUS.rglob("*.bib"))
    if CORPUS.is_dir()
    else []
)

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"{CORPUS} is not here")

# (file, citation key, CSL-JSON variable) -> why the round trip changes it. Keep in step with
# docs/fidelity.md, "Round trip".
ROUND_TRIP_EXCEPTIONS: dict[tuple[str, str, str], str] = {}


# --- Storing parsed entries --------------------------------------------------------------------

_ROLES = {role.value for role in ContributorRole}


def _fit(model: type[models.Model], name: str, value):
    """Return `value` cut to the column's max_length (PostgreSQL enforces it)."""
    field = model._meta.get_field(name)
    if isinstance(value, str) and getattr(field, "max_length", None):
        return value[: field.max_length]
    return value


def _article_fields(entry: Entry) -> dict:
    fields = {
        "output_type": entry.output_type,
        "title": entry.title,
        "abstract": entry.abstract,
        "language": entry.language,
        "volume": entry.volume,
        "issue": entry.issue,
        "pages": entry.pages,
        "article_number": entry.article_number,
        "page_count": entry.page_count,
        "state": entry.state,
        "year": entry.year,
        "month": entry.month if entry.year else None,
        "day": entry.day if entry.year and entry.month else None,
        "doi": entry.doi,
        "pmid": entry.pmid,
        "url": entry.url,
        "bibliographical_note": entry.note,
        "publisher": entry.publisher,
        "et_al": entry.et_al,
        "citation_key": entry.key,
    }
    for name in RECORD_TEXT_FIELDS:
        fields[name] = getattr(entry, name, "") or ""
    return {name: _fit(Article, name, value) for name, value in fields.items()}


def _name_fields(model: type[models.Model], name) -> dict:
    parts = {
        "family_name": name.family,
        "given_names": name.given,
        "particle": name.particle,
        "suffix": name.suffix,
        "corporate_name": name.corporate,
    }
    return {field: _fit(model, field, value) for field, value in parts.items()}


def store_entries(entries: list[Entry]) -> list[Article]:
    """Store parsed entries as articles with journals, printed names, contributors, keywords.

    One INSERT per article (Article.save derives the page numbers), the rest in bulk.
    """
    journals: dict[str, Journal] = {}
    keywords: dict[str, Keyword] = {}
    dois: set[str] = set()
    articles: list[Article] = []
    authorships: list[tuple[Article, int, object]] = []
    contributors: list[Contributor] = []
    keyword_links: list[tuple[Article, str]] = []
    for entry in entries:
        doi = identifiers.normalise_doi(entry.doi)
        if doi and doi in dois:
            continue
        dois.add(doi)
        article = Article(**_article_fields(entry), journal=_journal(entry, journals))
        article.save()
        articles.append(article)
        names = [name for name in entry.authors if name.family or name.corporate or name.given]
        authorships += [(article, position, name) for position, name in enumerate(names, 1)]
        roles = dict(getattr(entry, "contributors", {}) or {})
        if not roles and entry.editors:
            roles = {ContributorRole.EDITOR.value: entry.editors}
        for role, role_names in roles.items():
            named = [name for name in role_names if name.family or name.corporate]
            contributors += [
                Contributor(
                    article=article,
                    role=role,
                    position=position,
                    **_name_fields(Contributor, name),
                )
                for position, name in enumerate(named, start=1)
                if role in _ROLES
            ]
        for term in entry.keywords:
            term = _fit(Keyword, "term", term)
            if term.casefold() not in keywords:
                keywords[term.casefold()] = Keyword.objects.create(term=term)
            keyword_links.append((article, term.casefold()))
    people = Author.objects.bulk_create(
        Author(**_name_fields(Author, name)) for _, _, name in authorships
    )
    Authorship.objects.bulk_create(
        Authorship(
            article=article, author=person, position=position, **_name_fields(Authorship, name)
        )
        for (article, position, name), person in zip(authorships, people, strict=True)
    )
    Contributor.objects.bulk_create(contributors)
    links = {(article.pk, keywords[folded].pk) for article, folded in keyword_links}
    Article.keywords.through.objects.bulk_create(
        Article.keywords.through(article_id=article_id, keyword_id=keyword_id)
        for article_id, keyword_id in sorted(links)
    )
    return articles


def _journal(entry: Entry, journals: dict[str, Journal]) -> Journal | None:
    if not entry.journal_title:
        return None
    issns = [issn for issn in entry.issns[:2] if issn]
    for issn in issns:
        if issn in journals:
            return journals[issn]
    if not issns and entry.journal_title in journals:
        return journals[entry.journal_title]
    journal = Journal.objects.create(
        title=_fit(Journal, "title", entry.journal_title),
        abbreviated_title=_fit(Journal, "abbreviated_title", entry.journal_abbreviation),
        issn_print=issns[0] if issns else "",
        issn_electronic=issns[1] if len(issns) > 1 and issns[1] != issns[0] else "",
    )
    for key in issns or [entry.journal_title]:
        journals[key] = journal
    return journal


def wipe_catalogue() -> None:
    Article.objects.all().delete()
    Author.objects.all().delete()
    Journal.objects.all().delete()
    Keyword.objects.all().delete()


# --- The round trip ----------------------------------------------------------------------------

_BLOCK_START = re.compile(r"^@", re.MULTILINE)
_NOT_ENTRY = re.compile(r"@(?:string|preamble|comment)\s*[{(]", re.IGNORECASE)


def sampled(text: str, every: int) -> str:
    """Return every `every`-th entry of a file's text, with all its @string and @preamble."""
    starts = [match.start() for match in _BLOCK_START.finditer(text)]
    blocks = [text[start:end] for start, end in zip(starts, [*starts[1:], len(text)], strict=True)]
    kept = [block for block in blocks if _NOT_ENTRY.match(block)]
    entries = [block for block in blocks if not _NOT_ENTRY.match(block)]
    kept += entries[::every]
    return "".join(kept)


def csl_items() -> list[tuple[str, dict]]:
    """Return (citation key, CSL-JSON without its id) of every article, in primary key order."""
    items = []
    for batch in iter_record_batches(Article.objects.order_by("pk")):
        for record in batch:
            item = article_to_csl(record)
            del item["id"]
            items.append((item["citation-key"], item))
    return items


def import_text(text: str, *, name: str) -> None:
    """Import BibTeX text with the importer (a file without entries imports nothing)."""
    if not parse_text(text, source=name).entries:
        return
    batch = importer.run_import(data=text.encode("utf-8"), filename=name)
    assert batch.status == ImportStatus.COMPLETED, batch.error


def store_text(text: str, *, name: str) -> None:
    """Store BibTeX text's entries with store_entries (no importer)."""
    result = parse_text(text, source=name)
    store_entries(result.entries)


WAYS = {"importer": import_text, "entries": store_text}


def round_trip(
    text: str, *, way: str = "entries"
) -> tuple[list[tuple[str, dict]], list[tuple[str, dict]], str]:
    """Return the CSL-JSON items before and after a BibTeX export and import, and the export."""
    store = WAYS[way]
    store(text, name="corpus.bib")
    before = csl_items()
    exported = "".join(EXPORT_FORMATS["bibtex"].stream(Article.objects.order_by("pk")))
    wipe_catalogue()
    result = parse_text(exported, source="export.bib")
    assert [p for p in result.problems if p.severity == "error"] == []
    store(exported, name="export.bib")
    return before, csl_items(), exported


def differences(name, before, after) -> dict[tuple[str, str, str], tuple]:
    """Return {(file, key, variable): (before, after)} for every CSL variable that changed."""
    assert len(after) == len(before), f"{name}: {len(before)} records, {len(after)} after"
    found = {}
    for (key, old), (_, new) in zip(before, after, strict=True):
        for variable in sorted(old.keys() | new.keys()):
            if old.get(variable) != new.get(variable):
                found[name, key, variable] = (old.get(variable), new.get(variable))
    return found


def corpus_text(name: str) -> str:
    """Return the file's text as the parser decodes it (any encoding), the large one sampled."""
    text, _encoding = decode_bytes((CORPUS / name).read_bytes())
    return sampled(text, SAMPLE_EVERY) if name == LARGE else text


@pytest.mark.parametrize("way", list(WAYS))
@pytest.mark.parametrize("name", FILES)
def test_corpus_file_round_trips_to_the_same_csl_json(db, name, way):
    before, after, exported = round_trip(corpus_text(name), way=way)
    found = differences(name, before, after)
    unexplained = {where: change for where, change in found.items() if where not in EXCEPTIONS}
    assert unexplained == {}, exported[:3000]
    expected = {where for where in EXCEPTIONS if where[0] == name}
    assert expected <= found.keys(), "an exception no longer occurs: remove it"


EXCEPTIONS = ROUND_TRIP_EXCEPTIONS


def test_the_sample_of_the_large_file_keeps_strings_and_every_twentieth_entry():
    text = "@string{j = {J}}\n" + "".join(f"@article{{k{i}, title={{T}}}}\n" for i in range(45))
    kept = sampled(text, 20)
    assert kept.count("@string") == 1
    assert re.findall(r"@article\{(k\d+)", kept) == ["k0", "k20", "k40"]


def test_two_records_with_one_key_come_back_with_a_suffix_on_the_second(db):
    # The parser keeps the first of two entries with one key, so a single file never stores a
    # key twice; two imports can. The export suffixes the second ("Doe2020a"), and that is the
    # key the round trip stores: the one change a round trip of a whole catalogue can make.
    for title in ("One", "Two"):
        text = f"@article{{Doe2020, title={{{title}}}, author={{Doe, Jane}}, year=2020}}\n"
        store_entries(parse_text(text, source="one").entries)
    exported = "".join(EXPORT_FORMATS["bibtex"].stream(Article.objects.order_by("pk")))
    wipe_catalogue()
    store_entries(parse_text(exported, source="export").entries)
    assert Counter(re.findall(r"@article\{([^,]+),", exported)) == {"Doe2020": 1, "Doe2020a": 1}
    assert [key for key, _ in csl_items()] == ["Doe2020", "Doe2020a"]
