"""catalogue.records: the one record shape, read from articles or in batches, and its keys."""

import dataclasses

import pytest

from catalogue import records
from catalogue.formats.bibtex import Name
from catalogue.models import Article, Authorship, Contributor, ContributorRole, Journal
from catalogue.records import ArticleRecord, KeyAllocator, citation_key, generated_key
from tests.factories import make_article as factories_make_article
from tests.factories import make_author, make_journal, make_keyword


def make_record(**fields) -> ArticleRecord:
    """Return an unsaved record (no database) with the given fields."""
    fields.setdefault("pk", 1)
    fields.setdefault("title", "An article")
    return ArticleRecord(**fields)


def test_records_loaded_in_batches_equal_records_from_articles(seed, django_assert_num_queries):
    # One query for the rows, then authors, contributors and keywords once per batch: 2 batches.
    with django_assert_num_queries(1 + 3 * 2):
        batches = list(records.iter_record_batches(Article.objects.order_by("pk"), batch_size=2))
    assert [len(batch) for batch in batches] == [2, 1]
    loaded = [record for batch in batches for record in batch]
    from_models = [
        ArticleRecord.from_article(article)
        for article in Article.objects.with_related().order_by("pk")
    ]
    assert loaded == from_models


# --- Keys ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authors", "year", "title", "key"),
    [
        ([Name(family="Zilcha-Mano", given="Sigal")], 2017, "", "ZilchaMano2017"),
        ([Name(family="Flückiger")], 2018, "", "Fluckiger2018"),
        ([Name(family="Berg", particle="van der")], 2019, "", "vanderBerg2019"),
        ([Name(family="O'Brien")], 2020, "", "OBrien2020"),
        ([Name(corporate="Open Science Collaboration")], 2015, "", "OpenScienceCollaboration2015"),
        ([], 2021, "<i>Editorial</i>: the year", "Editorial2021"),
        ([], None, "", "AnND"),
        ([Name(family="张")], 2020, "Title", "Title2020"),
    ],
)
def test_citation_keys(authors, year, title, key):
    record = make_record(authors=authors, year=year, title=title or "An article")
    assert citation_key(record) == key


def test_keys_are_unique_within_an_export():
    keys = KeyAllocator()
    record = make_record(authors=[Name(family="Smith")], year=2020)
    assert [keys.key(record) for _ in range(4)] == [
        "Smith2020",
        "Smith2020a",
        "Smith2020b",
        "Smith2020c",
    ]
    assert records._suffix(25) == "z"
    assert records._suffix(26) == "aa"
    assert records._suffix(27) == "ab"


# --- One shape: every record field is read or derived, the same way from both sources ---------


@pytest.fixture
def full_article(db) -> Article:
    """An article with a value in every column a record reads (no field left at its default)."""
    journal = make_journal(
        title="Journal of <i>Things</i>",
        abbreviated_title="J Things",
        issn_print="0003-066X",
        issn_electronic="1935-990X",
        publisher="Journal Press",
    )
    return make_article(
        journal=journal,
        title="A full record",
        abstract="What it found.",
        language="de",
        output_type="review",
        state="accepted",
        year=2019,
        month=5,
        day=3,
        volume="7",
        issue="2",
        pages="11–20",
        article_number="e12",
        page_count=12,
        doi="10.1000/full",
        pmid="123",
        url="https://example.org/full",
        bibliographical_note="A note.",
        publisher="Own Press",
        book_title="The Book",
        edition="2nd",
        series="Lecture Notes",
        series_number="12",
        place="Berlin",
        isbn="978-3-16-148410-0",
        chapter="3",
        report_number="TR-1",
        genre="Review",
        howpublished="Online",
        eprint="2101.00001",
        eprint_type="arXiv",
        eprint_class="cs.CL",
        accessed="2020-05-01",
        date_text="2019/20",
        et_al=True,
        citation_key="Berg2019",
        authors=[make_author(family_name="Berg", particle="van der", suffix="Jr.")],
        keywords=[make_keyword(term="alliance")],
        contributors={ContributorRole.EDITOR: [Name(family="Editor", given="Eve")]},
    )


def make_article(*, contributors=None, **fields) -> Article:
    """make_article, plus contributors ({role: [Name, ...]}) and authorships printed as the
    authors' names (the factory leaves printed forms empty)."""
    article = factories_make_article(**fields)
    for authorship in Authorship.objects.filter(article=article).select_related("author"):
        authorship.copy_name_from(authorship.author)
        authorship.save()
    for role, names in (contributors or {}).items():
        Contributor.objects.bulk_create(
            Contributor(
                article=article,
                role=role,
                position=position,
                family_name=name.family,
                given_names=name.given,
                particle=name.particle,
                suffix=name.suffix,
                corporate_name=name.corporate,
            )
            for position, name in enumerate(names, start=1)
        )
    return article


def test_every_record_field_is_filled_from_an_article(full_article):
    article = Article.objects.with_related().get(pk=full_article.pk)
    record = ArticleRecord.from_article(article)
    defaults = ArticleRecord(pk=0)
    left_at_default = [
        field.name
        for field in dataclasses.fields(ArticleRecord)
        if getattr(record, field.name) == getattr(defaults, field.name)
    ]
    assert left_at_default == []


def test_a_batch_reads_the_same_record_as_the_article(full_article):
    [[loaded]] = records.iter_record_batches(Article.objects.filter(pk=full_article.pk))
    assert loaded == ArticleRecord.from_article(
        Article.objects.with_related().get(pk=full_article.pk)
    )
    assert loaded.publisher == "Own Press"
    assert loaded.issns == ["0003-066X", "1935-990X"]
    assert loaded.number_of_pages == 12
    assert loaded.note == "A note."


def test_derived_fields_fall_back_as_the_article_does(db):
    journal = Journal.objects.create(title="J", publisher="Journal Press")
    article = make_article(journal=journal, first_page=5, last_page=9)
    [[loaded]] = records.iter_record_batches(Article.objects.filter(pk=article.pk))
    assert loaded.publisher == article.publisher_name == "Journal Press"
    assert loaded.number_of_pages == article.number_of_pages == 5
    bare = make_article(journal=None)
    [[loaded]] = records.iter_record_batches(Article.objects.filter(pk=bare.pk))
    assert (loaded.journal_title, loaded.issns, loaded.publisher) == ("", [], "")
    assert loaded == ArticleRecord.from_article(bare)


# --- Printed names, contributors, pages and keys (issue 14) -------------------------------------


def set_printed(article: Article, position: int, **parts) -> None:
    Authorship.objects.filter(article=article, position=position).update(**parts)


def test_authors_are_the_printed_forms_not_the_persons_name(db):
    person = make_author(family_name="Nguyen", given_names="Patrick")
    article = make_article(authors=[person, make_author(family_name="Fallon")])
    set_printed(article, 1, family_name="Nguyen", given_names="P")
    # An authorship without a printed form (rows from before printed forms) shows its person.
    set_printed(article, 2, family_name="", given_names="", particle="", suffix="")

    [[loaded]] = records.iter_record_batches(Article.objects.filter(pk=article.pk))
    from_article = ArticleRecord.from_article(Article.objects.with_related().get(pk=article.pk))

    assert loaded.authors == [Name(family="Nguyen", given="P"), Name(family="Fallon", given="Ada")]
    assert from_article == loaded


def test_contributors_by_role_in_position_order_from_both_sources(db):
    article = make_article(
        contributors={
            ContributorRole.TRANSLATOR: [Name(family="Tr", given="T")],
            ContributorRole.EDITOR: [
                Name(family="Berg", given="Jan", particle="van der"),
                Name(corporate="The Editors"),
            ],
        }
    )
    [[loaded]] = records.iter_record_batches(Article.objects.filter(pk=article.pk))
    from_article = ArticleRecord.from_article(Article.objects.with_related().get(pk=article.pk))

    assert loaded.contributors == {
        "editor": [
            Name(family="Berg", given="Jan", particle="van der"),
            Name(corporate="The Editors"),
        ],
        "translator": [Name(family="Tr", given="T")],
    }
    assert list(loaded.contributors) == list(from_article.contributors) == ["editor", "translator"]
    assert loaded == from_article
    assert loaded.names(ContributorRole.EDITOR)[1] == Name(corporate="The Editors")
    assert loaded.names(ContributorRole.COMPILER) == []


@pytest.mark.parametrize(
    ("pages", "first", "last", "count"),
    [
        ("311–325", 311, 325, 15),
        ("052102", None, None, None),
        ("E3313–E3322", None, None, None),
        ("123–", None, None, None),
        ("xii–xv", None, None, None),
        ("7", 7, 7, 1),
    ],
)
def test_pages_are_printed_and_counted_only_when_plain_numbers(db, pages, first, last, count):
    article = make_article(pages=pages)
    [[loaded]] = records.iter_record_batches(Article.objects.filter(pk=article.pk))
    assert (loaded.pages, loaded.page_range) == (pages, pages)
    assert (loaded.first_page, loaded.last_page, loaded.number_of_pages) == (first, last, count)


def test_pages_of_rows_written_with_numbers_only_are_printed(db):
    article = make_article()
    Article.objects.filter(pk=article.pk).update(pages="", first_page=5, last_page=9)
    [[loaded]] = records.iter_record_batches(Article.objects.filter(pk=article.pk))
    assert (loaded.pages, loaded.number_of_pages) == ("5–9", 5)


def test_the_stored_key_is_the_key_and_a_generated_one_the_fallback():
    stored = make_record(
        citation_key="smith:2020:alliance", authors=[Name(family="Smith")], year=2020
    )
    unkeyed = make_record(authors=[Name(family="Smith")], year=2020)
    assert citation_key(stored) == "smith:2020:alliance"
    assert generated_key(stored) == citation_key(unkeyed) == "Smith2020"


def test_stored_keys_are_suffixed_only_on_a_collision_within_one_export():
    keys = KeyAllocator()
    first = make_record(citation_key="Smith2020", authors=[Name(family="Smith")], year=2020)
    other = make_record(citation_key="Jones:x", authors=[Name(family="Smith")], year=2020)
    unkeyed = make_record(authors=[Name(family="Smith")], year=2020)
    assert [keys.key(record) for record in (first, other, first, unkeyed, other)] == [
        "Smith2020",
        "Jones:x",
        "Smith2020a",
        "Smith2020b",
        "Jones:xa",
    ]
    # A new export starts again.
    assert KeyAllocator().key(first) == "Smith2020"


def test_assign_citation_key_stores_a_generated_key_unique_in_the_catalogue(db):
    nguyen = make_author(family_name="Nguyen", given_names="P")
    first = factories_make_article(authors=[nguyen], year=2020)
    second = factories_make_article(authors=[nguyen], year=2020)
    third = factories_make_article(authors=[nguyen], year=2020)
    keyed = factories_make_article(authors=[nguyen], year=2020, citation_key="nguyen:2020")

    assert records.assign_citation_key(article=first) == "Nguyen2020"
    assert records.assign_citation_key(article=second) == "Nguyen2020a"
    assert records.assign_citation_key(article=third) == "Nguyen2020b"
    # Once stored, a key stays, and a source's key is never replaced.
    assert records.assign_citation_key(article=first) == "Nguyen2020"
    assert records.assign_citation_key(article=keyed) == "nguyen:2020"
    assert list(Article.objects.order_by("pk").values_list("citation_key", flat=True)) == [
        "Nguyen2020",
        "Nguyen2020a",
        "Nguyen2020b",
        "nguyen:2020",
    ]
