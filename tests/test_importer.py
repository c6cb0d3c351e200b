"""Tests for catalogue.importer: matching rules, writing, re-import, dry run, undo, atomicity."""

import threading
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, connections
from django.db.models import Count

from catalogue import importer
from catalogue.formats import bibtex
from catalogue.importer import writing
from catalogue.models import (
    Article,
    Author,
    Authorship,
    EvidenceSummary,
    ImportAction,
    ImportBatch,
    ImportRecord,
    ImportStatus,
    Journal,
    Keyword,
    SubjectArea,
)
from tests.factories import make_article, make_author, make_journal, make_keyword

pytestmark = pytest.mark.django_db

# shared/ sits beside the repository (in CI too); the tests skip when it is absent.
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "bibtex"


def make_entry(*, key: str = "", line: int = 1, **fields) -> bibtex.Entry:
    """Return a parsed entry as the parser would; the title defaults to one unique to the key."""
    key = key or f"key{line}"
    fields.setdefault("title", f"A study numbered {key}")
    fields.setdefault("output_type", "article")
    fields.setdefault("year", 2020)
    fields.setdefault("authors", [bibtex.Name(family="Doe", given="Jane")])
    return bibtex.Entry(
        key=key, entry_type="article", line=line, raw=f"@article{{{key}, ...}}", **fields
    )


def make_result(*entries: bibtex.Entry, problems=(), source: str = "test.bib"):
    """Return a ParseResult holding `entries` (and `problems`) as one source."""
    return bibtex.ParseResult(
        source=source,
        encoding="utf-8",
        entries=list(entries),
        problems=list(problems),
        source_entry_count=len(entries) + len(problems),
    )


def run(*entries: bibtex.Entry, on_duplicate: str = "skip", dry_run: bool = False, user=None):
    """Return the batch of importing `entries` through importer.run_import."""
    return importer.run_import(
        data=b"@article{...}",
        filename="test.bib",
        user=user,
        on_duplicate=on_duplicate,
        dry_run=dry_run,
        result=make_result(*entries),
    )


def counts(batch: ImportBatch) -> tuple[int, int, int, int, int]:
    return (
        batch.created_count,
        batch.updated_count,
        batch.duplicate_count,
        batch.probable_duplicate_count,
        batch.failed_count,
    )


def catalogue_state() -> dict[str, list[dict]]:
    """Return every catalogue row (articles with their relations) for exact before/after checks."""
    state = {}
    for model in (Journal, Author, Keyword, SubjectArea, Authorship):
        state[model.__name__] = list(model.objects.order_by("pk").values())
    state["Article"] = list(Article.objects.order_by("pk").values())
    state["ArticleKeywords"] = list(
        Article.keywords.through.objects.order_by("article_id", "keyword_id").values_list(
            "article_id", "keyword_id"
        )
    )
    state["ArticleSubjects"] = list(
        Article.subject_areas.through.objects.order_by("article_id", "subjectarea_id").values_list(
            "article_id", "subjectarea_id"
        )
    )
    return state


# --- normalisation -----------------------------------------------------------------------------


def test_normalise_title_ignores_markup_case_accents_punctuation_and_spaces():
    assert importer.normalise_title("  Is the <i>Alliance</i> really  THERAPEUTIC?  ") == (
        "is the alliance really therapeutic"
    )
    assert importer.normalise_title("Café—crème: a study") == "cafe creme a study"


# --- writing new records -----------------------------------------------------------------------


def test_new_entry_creates_article_with_every_field():
    entry = make_entry(
        key="smith2020",
        title="A <i>new</i> result",
        abstract="We found it.",
        language="en",
        journal_title="Journal of Results",
        journal_abbreviation="J Res",
        issns=["1234-5679", "2049-3630"],
        publisher="Results Press",
        volume="12",
        issue="3",
        first_page=100,
        last_page=109,
        state="in-press",
        year=2020,
        month=5,
        day=4,
        doi="10.1000/xyz",
        pmid="12345",
        url="https://example.org/paper",
        note="Copyright the authors.",
        keywords=["Alliance", "Psychotherapy"],
        authors=[
            bibtex.Name(family="Smith", given="Ann"),
            bibtex.Name(corporate="Open Science Collaboration"),
            bibtex.Name(family="Walt", given="Stéfan", particle="van der"),
        ],
        et_al=True,
    )
    batch = run(entry)

    assert batch.status == ImportStatus.COMPLETED
    assert counts(batch) == (1, 0, 0, 0, 0)
    article = Article.objects.get()
    assert article.title == "A <i>new</i> result"
    assert article.abstract == "We found it."
    assert (article.volume, article.issue, article.first_page, article.last_page) == (
        "12",
        "3",
        100,
        109,
    )
    assert article.page_count == 10
    assert (article.year, article.month, article.day, article.state) == (2020, 5, 4, "in-press")
    assert (article.doi, article.pmid, article.url) == (
        "10.1000/xyz",
        "12345",
        "https://example.org/paper",
    )
    assert article.bibliographical_note == "Copyright the authors."
    assert article.peer_reviewed is False
    assert article.output_type == "article"
    journal = article.journal
    assert (journal.title, journal.abbreviated_title, journal.publisher) == (
        "Journal of Results",
        "J Res",
        "Results Press",
    )
    assert (journal.issn_print, journal.issn_electronic) == ("1234-5679", "2049-3630")
    assert [a.author.display_name for a in article.ordered_authorships] == [
        "Ann Smith",
        "Open Science Collaboration",
        "Stéfan van der Walt",
    ]
    assert [a.position for a in article.ordered_authorships] == [1, 2, 3]
    assert sorted(article.keywords.values_list("term", flat=True)) == [
        "Alliance",
        "Psychotherapy",
    ]
    record = ImportRecord.objects.get()
    assert (record.action, record.article, record.key, record.et_al) == (
        ImportAction.CREATED,
        article,
        "smith2020",
        True,
    )
    assert batch.created_objects == {
        "journal": [journal.pk],
        "author": sorted(Author.objects.values_list("pk", flat=True)),
        "keyword": sorted(Keyword.objects.values_list("pk", flat=True)),
    }


def test_text_with_tabs_newlines_and_backslashes_is_written_exactly():
    # PostgreSQL writes through COPY's text format, where these characters are escapes.
    abstract = "Line one\twith a tab\nline two \\ a backslash\r\n\\N is not null."
    batch = run(
        make_entry(key="escapes", title="C:\\path\tand\\N", abstract=abstract, keywords=["a\\b"])
    )

    article = Article.objects.get(pk=batch.records.get().article_id)
    assert article.title == "C:\\path\tand\\N"
    assert article.abstract == abstract
    assert article.peer_reviewed is False
    assert article.doi == ""
    assert list(article.keywords.values_list("term", flat=True)) == ["a\\b"]
    assert batch.records.get().similar_to_id is None


def test_entry_without_title_fails_and_bad_identifiers_are_dropped_with_warnings():
    batch = run(
        make_entry(key="untitled", title=""),
        make_entry(key="bad", line=9, doi="not-a-doi", language="english", volume="x" * 60),
    )

    assert counts(batch) == (1, 0, 0, 0, 1)
    article = Article.objects.get()
    assert (article.doi, article.language, article.volume) == ("", "", "")
    failures = [p for p in batch.problems if p["severity"] == "error"]
    assert failures == [
        {
            "line": 1,
            "key": "untitled",
            "message": "The entry has no title.",
            "raw": "@article{untitled, ...}",
            "severity": "error",
            "source": "test.bib",
        }
    ]
    warnings = [p["message"] for p in batch.problems if p["severity"] == "warning"]
    assert len(warnings) == 3
    assert any("DOI 'not-a-doi' is not a DOI" in message for message in warnings)


def test_parser_problems_count_as_failed_and_are_kept():
    problem = bibtex.Problem(line=7, key="broken", message="Missing comma.", raw="@article{b")
    batch = importer.run_import(
        data=b"x",
        filename="f.bib",
        result=make_result(make_entry(), problems=[problem], source="f.bib"),
    )

    assert counts(batch) == (1, 0, 0, 0, 1)
    assert batch.problems[0]["message"] == "Missing comma."
    assert batch.problems[0]["source"] == "f.bib"


def test_impossible_dates_are_dropped_and_backward_pages_kept_as_printed_without_numbers():
    batch = run(
        make_entry(year=2021, month=2, day=30, pages="20–10"),
        make_entry(key="b", line=5, year=99, month=13),
    )

    assert counts(batch) == (2, 0, 0, 0, 0)
    first, second = Article.objects.order_by("pk")
    assert (first.year, first.month, first.day) == (2021, 2, None)
    # Pages are kept as printed; numbers (and a count) come only from a plain forward range.
    assert (first.pages, first.first_page, first.last_page, first.page_count) == (
        "20–10",
        None,
        None,
        None,
    )
    assert (second.year, second.month) == (None, None)


# --- matching ----------------------------------------------------------------------------------


def test_same_doi_is_a_duplicate_when_skipping(seed):
    before = catalogue_state()

    batch = run(make_entry(title="Anything", doi="10.1037/a0040435"))

    assert counts(batch) == (0, 0, 1, 0, 0)
    record = ImportRecord.objects.get()
    assert (record.action, record.article_id) == (ImportAction.DUPLICATE, 1)
    assert record.note == "same DOI 10.1037/a0040435"
    assert catalogue_state() == before


def test_same_doi_updates_the_existing_record_when_asked(seed):
    old_title = Article.objects.get(pk=1).title
    batch = run(
        make_entry(
            title="Is the alliance really therapeutic? Revisited",
            doi="10.1037/a0040435",
            volume="73",
            keywords=["alliance", "New term"],
            authors=[bibtex.Name(family="Zilcha-Mano", given="Sigal"), bibtex.Name(family="Roe")],
            year=2017,
        ),
        on_duplicate="update",
    )

    assert counts(batch) == (0, 1, 0, 0, 0)
    article = Article.objects.get(pk=1)
    assert article.title == "Is the alliance really therapeutic? Revisited"
    assert article.volume == "73"
    assert (article.year, article.month) == (2017, 5)  # same year, no month given: kept
    assert article.abstract.startswith("The therapeutic value")  # not in the entry: kept
    assert article.peer_reviewed is True
    assert [a.author.family_name for a in article.ordered_authorships] == ["Zilcha-Mano", "Roe"]
    assert article.ordered_authorships[0].author_id == 1
    assert sorted(article.keywords.values_list("term", flat=True)) == [
        "Active therapeutic ingredients",
        "Alliance",
        "Alliance-outcome association",
        "New term",
        "Psychotherapy process research",
    ]
    record = ImportRecord.objects.get()
    assert record.action == ImportAction.UPDATED
    assert record.previous["fields"]["title"] == old_title
    assert record.previous["authorships"] == [[1, 1, "", 1, "Zilcha-Mano", "Sigal", "", "", ""]]
    assert record.previous["contributors"] == []
    assert record.previous["keywords"] == [1, 2, 3, 4]
    assert record.previous["subject_areas"] == [2]


def test_update_with_nothing_new_is_a_duplicate(seed):
    article = Article.objects.get(pk=3)
    Article.objects.filter(pk=3).update(citation_key="fluckiger2018")
    entry = make_entry(
        key="fluckiger2018",
        title=article.title,
        doi=article.doi,
        year=2018,
        volume="55",
        authors=[bibtex.Name(family="Flückiger", given="Christoph")],
        et_al=True,
        journal_title="Psychotherapy",
    )
    before = catalogue_state()

    batch = run(entry, on_duplicate="update")

    assert counts(batch) == (0, 0, 1, 0, 0)
    assert ImportRecord.objects.get().note == "same DOI 10.1037/pst0000172; already up to date"
    assert catalogue_state() == before


def test_without_doi_same_title_year_author_and_journal_is_only_a_probable_duplicate():
    # The README's rule: probable duplicates are imported and reported, never merged, even in
    # the same journal (this was merged before issue 14).
    journal = make_journal(title="Psychotherapy Research")
    existing = make_article(
        title="Alliance and outcome: a meta-analysis",
        journal=journal,
        year=2011,
        authors=[make_author(family_name="Flückiger", given_names="Christoph")],
    )

    batch = run(
        make_entry(
            key="fluckiger2011",
            title="ALLIANCE AND OUTCOME — A Meta-Analysis.",
            year=2011,
            journal_title="psychotherapy research",
            authors=[bibtex.Name(family="Fluckiger", given="C.")],
        )
    )

    assert counts(batch) == (0, 0, 0, 1, 0)
    record = ImportRecord.objects.get()
    assert record.similar_to == existing
    assert record.article != existing
    assert record.note == (
        "same title, year and first author, but no DOI tells them apart; "
        f"resembles article #{existing.pk}"
    )
    assert Article.objects.count() == 2


def test_without_doi_the_article_imported_from_the_same_key_is_the_same_record():
    existing = make_article(
        title="Alliance and outcome: a meta-analysis",
        year=2011,
        authors=[make_author(family_name="Flückiger", given_names="Christoph")],
    )
    Article.objects.filter(pk=existing.pk).update(citation_key="Fluckiger2011")
    other = make_article(
        title="Alliance and outcome: a meta-analysis",
        year=2011,
        authors=[make_author(family_name="Fluckiger", given_names="C.")],
    )
    batch = ImportBatch.objects.create(
        filename="old.bib", checksum="0" * 64, size=1, status=ImportStatus.COMPLETED
    )
    ImportRecord.objects.create(
        batch=batch, action=ImportAction.CREATED, article=other, key="older-key"
    )

    batch = run(
        make_entry(
            key="fluckiger2011",  # keys ignore case
            title="Alliance and Outcome: A Meta-Analysis",
            year=2011,
            journal_title="Another Journal",
            authors=[bibtex.Name(family="Flückiger", given="C.")],
        ),
        make_entry(
            key="older-key",
            line=9,
            title="Alliance and outcome, a meta-analysis",
            year=2011,
            authors=[bibtex.Name(family="Fluckiger", given="Christoph")],
        ),
    )

    assert counts(batch) == (0, 0, 2, 0, 0)
    records = {record.key: record for record in batch.records.all()}
    assert records["fluckiger2011"].article == existing
    assert records["fluckiger2011"].note == (
        "same title, year, first author and citation key fluckiger2011 as the entry it was "
        "imported from"
    )
    assert records["older-key"].article == other
    assert Article.objects.count() == 2


def test_same_key_but_two_different_dois_is_a_probable_duplicate():
    existing = make_article(
        title="Alliance", year=2011, doi="10.1000/a", authors=[make_author(family_name="Roe")]
    )
    Article.objects.filter(pk=existing.pk).update(citation_key="roe2011")

    batch = run(
        make_entry(
            key="roe2011",
            title="Alliance",
            year=2011,
            doi="10.1000/b",
            authors=[bibtex.Name(family="Roe")],
        )
    )

    assert counts(batch) == (0, 0, 0, 1, 0)
    assert ImportRecord.objects.get().similar_to == existing


def test_same_title_year_author_but_doi_on_one_side_is_a_probable_duplicate():
    existing = make_article(
        title="Alliance and outcome",
        year=2011,
        authors=[make_author(family_name="Horvath", given_names="Adam O.")],
    )

    batch = run(
        make_entry(
            title="Alliance and Outcome",
            year=2011,
            doi="10.1000/new",
            authors=[bibtex.Name(family="Horvath", given="A. O.")],
        )
    )

    assert counts(batch) == (0, 0, 0, 1, 0)
    assert Article.objects.count() == 2
    record = ImportRecord.objects.get()
    assert record.action == ImportAction.PROBABLE_DUPLICATE
    assert record.similar_to == existing
    assert record.article.doi == "10.1000/new"
    assert record.note == (
        "same title, year and first author, but only one of them has a DOI; "
        f"resembles article #{existing.pk}"
    )
    row = next(r for r in batch.plan.rows() if r.action == ImportAction.PROBABLE_DUPLICATE)
    assert row.similar_to_id == existing.pk
    assert row.is_suspicious


def test_same_title_year_author_in_another_journal_is_a_probable_duplicate():
    existing = make_article(
        title="Weekly column",
        journal=make_journal(title="Monthly Review"),
        year=2011,
        authors=[make_author(family_name="Roe")],
    )

    batch = run(
        make_entry(
            title="Weekly column",
            year=2011,
            journal_title="Other Review",
            authors=[bibtex.Name(family="Roe")],
        )
    )

    assert counts(batch) == (0, 0, 0, 1, 0)
    assert ImportRecord.objects.get().similar_to == existing
    assert "no DOI tells them apart" in ImportRecord.objects.get().note


def test_different_year_or_first_author_is_a_new_record():
    make_article(title="Same title", year=2011, authors=[make_author(family_name="Roe")])

    batch = run(
        make_entry(key="a", title="Same title", year=2012, authors=[bibtex.Name(family="Roe")]),
        make_entry(key="b", title="Same title", year=2011, authors=[bibtex.Name(family="Poe")]),
    )

    assert counts(batch) == (2, 0, 0, 0, 0)


def test_duplicates_inside_one_file_are_reported_against_the_first():
    batch = run(
        make_entry(key="first", line=1, doi="10.1000/same"),
        make_entry(key="second", line=8, title="Other words", doi="10.1000/SAME"),
        make_entry(key="nodoi1", line=15, title="No DOI here"),
        make_entry(key="nodoi2", line=22, title="No DOI, here!"),
        make_entry(key="similar", line=29, title="No DOI here", doi="10.1000/other"),
        make_entry(key="NoDOI1", line=36, title="No DOI here."),
    )

    # nodoi2 was merged into nodoi1 before issue 14: without a DOI it is a probable duplicate;
    # only the same key again (NoDOI1, keys ignore case) is the same record.
    assert counts(batch) == (2, 0, 2, 2, 0)
    records = {record.key: record for record in ImportRecord.objects.all()}
    first, no_doi = records["first"].article, records["nodoi1"].article
    assert records["second"].article == first
    assert records["second"].note == (
        "same DOI 10.1000/same as first (line 1) earlier in this import"
    )
    assert records["nodoi2"].similar_to == no_doi
    assert records["similar"].similar_to == no_doi
    assert records["NoDOI1"].article == no_doi
    lines = [row.as_line() for row in batch.plan.rows() if row.is_suspicious]
    assert lines == [
        "test.bib:8: second: duplicate: same DOI 10.1000/same as first (line 1) earlier in "
        "this import",
        "test.bib:22: nodoi2: probable duplicate: same title, year and first author, but no "
        "DOI tells them apart; resembles nodoi1 (line 15) earlier in this import",
        "test.bib:29: similar: probable duplicate: same title, year and first author, but only "
        "one of them has a DOI; resembles nodoi1 (line 15) earlier in this import",
        "test.bib:36: NoDOI1: duplicate: same title, year, first author and citation key "
        "NoDOI1, as nodoi1 (line 15) earlier in this import",
    ]


def test_journal_is_matched_by_issn_in_either_slot_then_by_title():
    by_print = make_journal(title="Print Title", issn_print="0003-066X")
    by_electronic = make_journal(title="Electronic Title", issn_electronic="1935-990X")
    by_title = make_journal(title="The Journal of Things")

    run(
        make_entry(key="a", journal_title="Whatever", issns=["0003-066X"]),
        make_entry(key="b", journal_title="Whatever", issns=["2049-3630", "1935-990X"]),
        make_entry(key="c", journal_title="the journal of THINGS."),
        make_entry(key="d", journal_title="Brand New", issns=["2049-3630"]),
        make_entry(key="e", journal_title="Brand new"),
    )

    journal_of = {
        record.key: record.article.journal for record in ImportRecord.objects.select_related()
    }
    assert journal_of["a"] == by_print
    assert journal_of["b"] == by_electronic
    assert journal_of["c"] == by_title
    assert journal_of["d"] == journal_of["e"]
    assert (journal_of["d"].title, journal_of["d"].issn_print) == ("Brand New", "2049-3630")
    assert Journal.objects.count() == 4


def test_publisher_is_kept_on_the_journal_or_else_on_the_article():
    known = make_journal(title="Known Journal", publisher="Known Press")
    bare = make_journal(title="Bare Journal", publisher="")

    run(
        make_entry(key="book", output_type="book", publisher="Wiley"),
        make_entry(key="new", journal_title="New Journal", publisher="New Press"),
        make_entry(key="same", journal_title="Known Journal", publisher="Known  Press"),
        make_entry(key="other", journal_title="Known Journal", publisher="Other Press"),
        make_entry(key="bare", journal_title="Bare Journal", publisher="Bare Press"),
        make_entry(key="none", journal_title="Known Journal"),
    )

    article_of = {
        record.key: record.article
        for record in ImportRecord.objects.select_related("article__journal")
    }
    own_and_cited = {
        key: (article.publisher, article.publisher_name) for key, article in article_of.items()
    }
    assert own_and_cited == {
        "book": ("Wiley", "Wiley"),
        "new": ("", "New Press"),
        "same": ("", "Known Press"),
        "other": ("Other Press", "Other Press"),
        "bare": ("Bare Press", "Bare Press"),
        "none": ("", "Known Press"),
    }
    assert article_of["new"].journal.publisher == "New Press"
    # An import never edits an existing journal.
    known.refresh_from_db()
    bare.refresh_from_db()
    assert (known.publisher, bare.publisher) == ("Known Press", "")


def test_update_replaces_the_publisher_and_undo_restores_it():
    entry = make_entry(key="b", output_type="book", doi="10.1000/book", publisher="Wiley")
    run(entry)
    article = Article.objects.get(doi="10.1000/book")
    assert article.publisher == "Wiley"

    batch = run(
        make_entry(key="b", output_type="book", doi="10.1000/book", publisher="Wiley-Blackwell"),
        on_duplicate="update",
    )
    assert counts(batch) == (0, 1, 0, 0, 0)
    article.refresh_from_db()
    assert article.publisher == "Wiley-Blackwell"

    importer.undo_import(batch=batch)
    article.refresh_from_db()
    assert article.publisher == "Wiley"


def test_keywords_are_reused_ignoring_case_and_spaces():
    alliance = make_keyword(term="Alliance")

    run(
        make_entry(key="a", keywords=["ALLIANCE", "new  term"]),
        make_entry(key="b", keywords=["New term", "alliance"]),
    )

    assert Keyword.objects.count() == 2
    new_term = Keyword.objects.get(term="new term")
    assert new_term.slug == "new-term"
    assert set(Keyword.objects.annotate(n=Count("articles")).values_list("term", "n")) == {
        (alliance.term, 2),
        ("new term", 2),
    }


def test_new_keyword_slug_does_not_collide_with_existing_slug():
    make_keyword(term="Café", slug="cafe")

    run(make_entry(keywords=["cafe!"]))

    assert sorted(Keyword.objects.values_list("slug", flat=True)) == ["cafe", "cafe-2"]


def test_keywords_are_found_by_their_terms_whatever_their_case_accents_or_spacing():
    # PostgreSQL reads only the keywords the file's terms can name: by the lower-cased term,
    # and every term that is not plain ASCII with single spaces.
    uber = make_keyword(term="Über Angst")
    spaced = make_keyword(term="Mixed spacing")
    Keyword.objects.filter(pk=spaced.pk).update(term="Mixed  spacing ")
    dotted = make_keyword(term="İstanbul studies")
    other = make_keyword(term="Unrelated")
    for slug in ("cafe", "cafe-2", "cafe-x"):
        make_keyword(term=f"Term {slug}", slug=slug)

    batch = run(
        make_entry(key="a", keywords=["über  angst", "MIXED SPACING", "İstanbul Studies"]),
        make_entry(key="b", keywords=["cafe!", "Café?", "unrelated"]),
    )

    first, second = (
        sorted(Article.objects.get(pk=record.article_id).keywords.values_list("pk", flat=True))
        for record in batch.records.order_by("line", "pk")
    )
    assert first == sorted([uber.pk, spaced.pk, dotted.pk])
    new = Keyword.objects.filter(pk__in=second).exclude(pk=other.pk)
    assert sorted(new.values_list("term", "slug")) == [("Café?", "cafe-4"), ("cafe!", "cafe-3")]
    assert other.pk in second
    assert batch.created_objects["keyword"] == sorted(new.values_list("pk", flat=True))


def test_authors_are_reused_by_name_ignoring_case_accents_and_punctuation():
    huibers = make_author(family_name="Huibers", given_names="Marcus J. H.")
    walt = make_author(family_name="Walt", particle="van der", given_names="Stéfan")
    who = make_author(corporate_name="World Health Organization")

    run(
        make_entry(
            authors=[
                bibtex.Name(family="HUIBERS", given="Marcus J.H."),
                bibtex.Name(family="van der Walt", given="Stefan"),
                bibtex.Name(corporate="World health organization"),
            ]
        )
    )

    article = Article.objects.get()
    assert [a.author for a in article.ordered_authorships] == [huibers, walt, who]
    assert Author.objects.count() == 3


def test_initials_never_link_a_name_to_an_existing_person():
    # Before issue 14 "B. E. Wampold" was linked to a unique "Bruce E. Wampold" and "Del Re,
    # Anthony C." to "Del Re, A. C.": names are now linked only when the whole form is equal.
    bruce = make_author(family_name="Wampold", given_names="Bruce E.")
    del_re = make_author(family_name="Del Re", given_names="A. C.")
    john = make_author(family_name="Smith", given_names="John")
    jane = make_author(family_name="Smith", given_names="Jane")

    batch = run(
        make_entry(
            key="a",
            authors=[
                bibtex.Name(family="Wampold", given="B. E."),
                bibtex.Name(family="Smith", given="J."),
                bibtex.Name(family="Del Re", given="Anthony C."),
                bibtex.Name(family="Wampold", given="Brian"),
            ],
        ),
    )

    article = Article.objects.get()
    people = [a.author for a in article.ordered_authorships]
    assert {person.pk for person in people} & {bruce.pk, del_re.pk, john.pk, jane.pk} == set()
    assert [p.display_name for p in people] == [
        "B. E. Wampold",
        "J. Smith",
        "Anthony C. Del Re",
        "Brian Wampold",
    ]
    assert Author.objects.count() == 8
    assert batch.plan.items[0].name_doubts == [
        ("B. E. Wampold", bruce.pk, "Bruce E. Wampold"),
        ("J. Smith", john.pk, "John Smith"),
        ("J. Smith", jane.pk, "Jane Smith"),
        ("Anthony C. Del Re", del_re.pk, "A. C. Del Re"),
    ]


def test_forms_differing_only_in_initials_made_in_one_import_are_two_people():
    # Before issue 14 "N. Novel" was linked to "Nora Novel" created by the same import.
    batch = run(
        make_entry(key="a", authors=[bibtex.Name(family="Novel", given="Nora")]),
        make_entry(key="b", authors=[bibtex.Name(family="Novel", given="N.")]),
        make_entry(key="c", authors=[bibtex.Name(family="NOVEL", given="nora")]),
    )

    assert sorted(Author.objects.values_list("given_names", flat=True)) == ["N.", "Nora"]
    assert Authorship.objects.count() == 3
    # Doubts name existing people only (a person made by this import has no page yet).
    assert [item.name_doubts for item in batch.plan.items] == [[], [], []]
    printed = Authorship.objects.order_by("article_id").values_list("family_name", "given_names")
    assert list(printed) == [("Novel", "Nora"), ("Novel", "N."), ("NOVEL", "nora")]


def test_author_is_reused_by_orcid_when_the_parser_supplies_one():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class NameWithOrcid(bibtex.Name):
        orcid: str = ""

    known = make_author(family_name="Smith", given_names="Ann", orcid="0000-0002-1825-0097")

    run(
        make_entry(authors=[NameWithOrcid(family="Smyth", given="A.", orcid="0000-0002-1825-0097")])
    )

    assert Article.objects.get().ordered_authorships[0].author == known


# --- re-import, dry run ------------------------------------------------------------------------


def reference_entries() -> list[bibtex.Entry]:
    return [
        make_entry(key="a", line=1, doi="10.1000/a", journal_title="J One", keywords=["x"]),
        make_entry(key="b", line=9, title="Second", journal_title="J One", issns=["2049-3630"]),
        make_entry(key="c", line=17, title="Third", authors=[bibtex.Name(corporate="WHO")]),
    ]


@pytest.mark.parametrize("on_duplicate", ["skip", "update"])
def test_reimporting_the_same_entries_changes_nothing(on_duplicate):
    first = run(*reference_entries())
    before = catalogue_state()

    second = run(*reference_entries(), on_duplicate=on_duplicate)

    assert counts(first) == (3, 0, 0, 0, 0)
    assert counts(second) == (0, 0, 3, 0, 0)
    assert catalogue_state() == before
    assert second.created_objects == {"journal": [], "author": [], "keyword": []}


def test_reimport_is_stable_when_an_issn_and_a_title_name_different_journals():
    entries = [
        make_entry(key="e0", line=1, title="Zero", journal_title="Econ Review"),
        # Matched by title (the ISSN is not known yet) ...
        make_entry(key="e1", line=5, journal_title="Econ Review", issns=["2049-3630"]),
        # ... and this one creates a journal with that ISSN: next time e1's ISSN finds it.
        make_entry(key="e2", line=9, title="Two", journal_title="The Econ", issns=["2049-3630"]),
    ]
    run(*entries)
    before = catalogue_state()

    second = run(*entries)

    assert counts(second) == (0, 0, 3, 0, 0)
    assert catalogue_state() == before


def test_dry_run_writes_nothing(seed):
    before = catalogue_state()

    batch = run(*reference_entries(), make_entry(key="d", doi="10.1037/a0040435"), dry_run=True)

    assert batch.pk is None
    assert batch.status == ImportStatus.PREVIEWED
    assert counts(batch) == (3, 0, 1, 0, 0)
    assert catalogue_state() == before
    assert not ImportBatch.objects.exists()


def test_plan_import_writes_nothing_and_accepts_several_results():
    plan = importer.plan_import(
        [make_result(make_entry(key="a")), make_result(make_entry(key="b", title="B"))],
        on_duplicate="skip",
    )

    assert plan.counts["created_count"] == 2
    assert not Article.objects.exists()
    with pytest.raises(ValueError, match="on_duplicate"):
        importer.plan_import(make_result(), on_duplicate="merge")


# --- undo --------------------------------------------------------------------------------------


def test_undo_restores_the_catalogue_exactly(seed):
    shared_author = Author.objects.get(pk=1)
    before = catalogue_state()
    batch = run(
        make_entry(
            key="upd",
            title="Changed title",
            doi="10.1037/a0040435",
            year=2016,
            authors=[bibtex.Name(family="Newcomer", given="Nia")],
            keywords=["Brand new keyword", "alliance"],
            journal_title="A Journal Never Seen",
        ),
        make_entry(
            key="new",
            title="New article",
            journal_title="American Psychologist",
            authors=[bibtex.Name(family="Zilcha-Mano", given="Sigal"), bibtex.Name(family="Other")],
            keywords=["Alliance", "Another new keyword"],
        ),
        on_duplicate="update",
    )
    assert counts(batch) == (1, 1, 0, 0, 0)
    assert catalogue_state() != before
    summary = importer.undo_summary(batch=batch)
    assert (summary.delete, summary.restore, summary.blocked_by) == (1, 1, [])

    importer.undo_import(batch=batch, user=None)

    assert catalogue_state() == before
    assert Author.objects.filter(pk=shared_author.pk).exists()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.UNDONE
    assert batch.undone is not None


def test_undo_keeps_created_records_that_something_else_uses_now():
    batch = run(make_entry(journal_title="New Journal", keywords=["fresh"]))
    journal = Journal.objects.get()
    keyword = Keyword.objects.get()
    author = Author.objects.get()
    make_article(title="Added by hand", journal=journal, authors=[author], keywords=[keyword])

    importer.undo_import(batch=batch)

    assert list(Article.objects.values_list("title", flat=True)) == ["Added by hand"]
    assert Journal.objects.get() == journal
    assert Keyword.objects.get() == keyword
    assert Author.objects.get() == author


def test_undo_twice_gives_a_clear_message():
    batch = run(make_entry())
    importer.undo_import(batch=batch)

    with pytest.raises(importer.ImportStateError, match=r"Import #\d+ was already undone on "):
        importer.undo_import(batch=batch)


def test_undo_is_refused_while_a_later_import_updated_the_same_articles():
    first = run(make_entry(doi="10.1000/a"))
    second = run(make_entry(doi="10.1000/a", volume="9"), on_duplicate="update")
    assert counts(second) == (0, 1, 0, 0, 0)

    with pytest.raises(importer.ImportStateError, match=rf"later import #{second.pk} updated"):
        importer.undo_import(batch=first)
    assert importer.undo_summary(batch=first).blocked_by == [second.pk]

    importer.undo_import(batch=second)
    importer.undo_import(batch=first)
    assert not Article.objects.exists()
    assert not Author.objects.exists()


def test_undo_of_a_failed_import_is_refused():
    batch = ImportBatch.objects.create(
        filename="x.bib", checksum="0" * 64, size=1, status=ImportStatus.FAILED
    )

    with pytest.raises(importer.ImportStateError, match="only a completed import"):
        importer.undo_import(batch=batch)


# --- atomicity ---------------------------------------------------------------------------------


def test_a_failure_midway_leaves_the_catalogue_unchanged_and_records_the_batch(seed, monkeypatch):
    before = catalogue_state()
    written = {}

    def explode(items):
        # Journals, authors, keywords and articles are written by now.
        written["articles"] = Article.objects.count()
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(writing, "_updated_authorships", explode)

    with pytest.raises(RuntimeError, match="disk on fire"):
        run(
            *reference_entries(), make_entry(key="u", doi="10.1037/a0040435"), on_duplicate="update"
        )

    assert written["articles"] == 6
    assert catalogue_state() == before
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.FAILED
    assert batch.error == "RuntimeError: disk on fire"
    assert counts(batch) == (0, 0, 0, 0, 0)
    assert not ImportRecord.objects.exists()


def test_a_database_error_midway_leaves_the_catalogue_unchanged(monkeypatch):
    before = catalogue_state()
    original = writing.insert_values

    def insert_then_violate(model, fields, rows):
        if model is ImportRecord:
            # A real constraint violation from the database, after the articles were inserted.
            assert Article.objects.count() == 3
            Keyword.objects.bulk_create(
                [Keyword(term="dup", slug="dup"), Keyword(term="dup2", slug="dup")]
            )
        return original(model, fields, rows)

    monkeypatch.setattr(writing, "insert_values", insert_then_violate)

    with pytest.raises(IntegrityError):
        run(*reference_entries())

    assert catalogue_state() == before
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.FAILED
    assert batch.error.startswith("IntegrityError: ")


# --- concurrency (PostgreSQL) -----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_imports_of_overlapping_files_never_duplicate_a_doi():
    entries_a = [make_entry(key=f"a{i}", line=i, doi=f"10.1000/{i}") for i in range(1, 200)]
    entries_b = [make_entry(key=f"b{i}", line=i, doi=f"10.1000/{i}") for i in range(100, 300)]
    barrier = threading.Barrier(2)
    batches, errors = [], []

    def worker(entries):
        try:
            barrier.wait()
            batches.append(
                importer.run_import(
                    data=b"x", filename="f.bib", result=make_result(*entries), on_duplicate="skip"
                )
            )
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(e,)) for e in (entries_a, entries_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Article.objects.count() == 299
    assert Article.objects.values("doi").annotate(n=Count("pk")).filter(n__gt=1).count() == 0
    assert sorted(b.created_count + b.duplicate_count for b in batches) == [199, 200]
    assert sum(b.duplicate_count for b in batches) == 100
    assert Author.objects.count() == 1


def test_advisory_lock_is_taken_on_postgresql_only():
    # On SQLite the lock is a no-op; on PostgreSQL it must not fail inside a transaction.
    from django.db import transaction

    with transaction.atomic():
        writing.lock_imports()
    assert connection.vendor in {"sqlite", "postgresql"}


# --- end to end through the parser -------------------------------------------------------------

SAMPLE = """\
@article{zilcha2017,
  author = {Zilcha-Mano, Sigal},
  title = {Is the alliance really therapeutic? {R}evisiting this question},
  journal = {American Psychologist},
  year = {2017},
  volume = {72},
  number = {4},
  pages = {311--325},
  doi = {10.1037/a0040435},
}

@article{new2021,
  author = {M{\\"u}ller, J{\\"o}rg and others},
  title = {A new study},
  journal = {Journal of New Things},
  issn = {2049-3630},
  year = {2021},
  keywords = {alliance, novelty},
}

@article{broken,
  title = {Unterminated
"""


def test_run_import_through_the_parser(seed):
    batch = importer.run_import(data=SAMPLE.encode(), filename="sample.bib", on_duplicate="skip")

    assert batch.status == ImportStatus.COMPLETED
    assert (batch.created_count, batch.duplicate_count) == (1, 1)
    assert batch.created_count + batch.duplicate_count + batch.failed_count == batch.entry_count
    article = Article.objects.get(title="A new study")
    assert article.ordered_authorships[0].author.family_name == "Müller"
    assert ImportRecord.objects.get(key="new2021").et_al is True


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"   \n", "is empty"),
        (b"@comment{nothing here}\n", "contains no BibTeX entries"),
        (bytes(range(256)) * 50, "f.bib"),
    ],
)
def test_unreadable_sources_raise_import_file_error(data, message):
    with pytest.raises(importer.ImportFileError, match=message):
        importer.run_import(data=data, filename="f.bib")
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x" * 10_000_000, "limit of 200,000"),
        ("{" * 5000 + "deep" + "}" * 5000, "limit of 100"),
    ],
)
def test_hostile_fields_fail_their_entry_with_a_message(value, message):
    data = (
        "@article{hostile, title = {" + value + "}, year = 2020}\n"
        "@article{fine, title = {Fine}, author = {Roe, R.}, year = 2020}\n"
    ).encode()

    batch = importer.run_import(data=data, filename="hostile.bib")

    assert counts(batch) == (1, 0, 0, 0, 1)
    failure = next(p for p in batch.problems if p["severity"] == "error")
    assert failure["key"] == "hostile"
    assert message in failure["message"]
    assert len(failure["raw"]) < 20_000
    assert list(Article.objects.values_list("title", flat=True)) == ["Fine"]


def test_uploads_left_unconfirmed_for_a_week_are_forgotten():
    from datetime import timedelta

    from django.utils import timezone

    stale = importer.prepare_import(data=SAMPLE.encode(), filename="old.bib", user=None)
    ImportBatch.objects.filter(pk=stale.pk).update(created=timezone.now() - timedelta(days=8))
    completed = run(make_entry())
    ImportBatch.objects.filter(pk=completed.pk).update(created=timezone.now() - timedelta(days=8))

    fresh = importer.prepare_import(data=SAMPLE.encode(), filename="new.bib", user=None)

    assert set(ImportBatch.objects.values_list("pk", flat=True)) == {completed.pk, fresh.pk}
    assert bytes(fresh.source) == SAMPLE.encode()


def test_too_big_a_source_is_refused_before_parsing(settings):
    settings.CATALOGUE_IMPORT_MAX_BYTES = 10

    with pytest.raises(importer.ImportFileError, match="largest file accepted is 10 bytes"):
        importer.run_import(data=b"@article{x, title={T}}", filename="f.bib")


def test_read_file_explains_why_a_path_cannot_be_read(tmp_path, settings):
    with pytest.raises(importer.ImportFileError, match="no such file"):
        importer.read_file(path=str(tmp_path / "missing.bib"))
    with pytest.raises(importer.ImportFileError, match="is a directory"):
        importer.read_file(path=str(tmp_path))
    big = tmp_path / "big.bib"
    big.write_bytes(b"x" * 100)
    settings.CATALOGUE_IMPORT_MAX_BYTES = 50
    with pytest.raises(importer.ImportFileError, match="largest file accepted"):
        importer.read_file(path=str(big))


@pytest.mark.skipif(not CORPUS.exists(), reason="no shared BibTeX corpus")
def test_every_corpus_file_imports_and_every_entry_is_accounted_for():
    files = sorted(path for path in CORPUS.rglob("*.bib") if path.is_file())
    assert files
    unaccounted = []
    for path in files:
        data = path.read_bytes()
        name = str(path.relative_to(CORPUS))
        try:
            batch = importer.run_import(data=data, filename=name, on_duplicate="skip")
        except importer.ImportFileError:
            continue  # empty, comments only, or unreadable: a clear message, checked elsewhere
        total = (
            batch.created_count
            + batch.updated_count
            + batch.duplicate_count
            + batch.probable_duplicate_count
            + batch.failed_count
        )
        if total != batch.entry_count:
            unaccounted.append((name, batch.entry_count, total))
    assert unaccounted == []


def test_undo_keeps_a_created_person_an_evidence_summary_uses_and_says_why():
    batch = run(
        make_entry(key="a", authors=[bibtex.Name(family="Writer", given="Wanda")]),
        make_entry(key="b", title="Other", authors=[bibtex.Name(family="Gone", given="Gil")]),
    )
    wanda = Author.objects.get(family_name="Writer")
    summary = EvidenceSummary.objects.create(
        title="Does it help?", slug="help", question="Q", standfirst="S", body="B", author=wanda
    )

    batch = importer.undo_import(batch=batch)

    assert not Article.objects.exists()
    assert list(Author.objects.all()) == [wanda]
    assert EvidenceSummary.objects.get() == summary
    assert batch.status == ImportStatus.UNDONE
    expected = [
        {
            "model": "author",
            "id": wanda.pk,
            "name": "Wanda Writer",
            "reason": f"still used by evidence summary #{summary.pk} “Does it help?”",
        }
    ]
    assert batch.undo_kept == expected
    batch.refresh_from_db()
    assert batch.undo_kept == expected
