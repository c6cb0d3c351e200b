"""catalogue.records: the one record shape, read from articles or in batches, and its keys."""

import dataclasses

import pytest

from catalogue import records
from catalogue.formats.bibtex import Name
from catalogue.models import Article, Journal
from catalogue.records import ArticleRecord, KeyAllocator, citation_key
from tests.factories import make_article, make_author, make_journal, make_keyword


def make_record(**fields) -> ArticleRecord:
    """Return an unsaved record (no database) with the given fields."""
    fields.setdefault("pk", 1)
    fields.setdefault("title", "An article")
    return ArticleRecord(**fields)


def test_records_loaded_in_batches_equal_records_from_articles(seed, django_assert_num_queries):
    # One query for the rows, then authors and keywords once per batch: 2 batches here.
    with django_assert_num_queries(1 + 2 * 2):
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
        first_page=11,
        last_page=20,
        article_number="e12",
        page_count=12,
        doi="10.1000/full",
        pmid="123",
        url="https://example.org/full",
        bibliographical_note="A note.",
        publisher="Own Press",
        authors=[make_author(family_name="Berg", particle="van der", suffix="Jr.")],
        keywords=[make_keyword(term="alliance")],
    )


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
