"""Tests for migration 0017: printed names and record fields restored from stored import sources."""

import importlib

import pytest
from django.apps import apps

from catalogue import importer
from catalogue.models import (
    Article,
    Author,
    Authorship,
    Contributor,
    ImportBatch,
    ImportStatus,
)
from tests.factories import make_author
from tests.test_importer import make_entry

pytestmark = pytest.mark.django_db

migration = importlib.import_module("catalogue.migrations.0017_restore_printed_names")

SOURCE = """\
@book{nguyen2020,
  author = {Nguyen, P and Fallon, James and others},
  editor = {Smith, Ann},
  title = {Speech and hearing},
  publisher = {Press},
  address = {Boston},
  edition = {2nd},
  pages = {052102},
  year = {2020},
}

@article{roe2019,
  author = {Roe, R. and Poe, P.},
  title = {Two authors},
  journal = {J},
  year = {2019},
}
"""


def imported(source: str = SOURCE, *, keep_source: bool = True) -> ImportBatch:
    data = source.encode()
    batch = importer.run_import(data=data, filename="kept.bib")
    if keep_source:
        ImportBatch.objects.filter(pk=batch.pk).update(source=data)
    return batch


def forget_fidelity() -> None:
    """Put the catalogue back as migration 0016 left it: person's names, empty new fields."""
    for authorship in Authorship.objects.select_related("author"):
        authorship.copy_name_from(authorship.author)
        authorship.save()
    Article.objects.update(citation_key="", et_al=False, pages="", edition="", place="")
    Contributor.objects.all().delete()


def test_printed_names_keys_pages_fields_and_contributors_come_back_from_the_source():
    patrick = make_author(family_name="Nguyen", given_names="Patrick")
    imported()
    book = Article.objects.get(title="Speech and hearing")
    # As before issue 14: the first authorship linked to Patrick, showing his name.
    book.authorships.filter(position=1).update(author=patrick)
    people_before = list(Author.objects.order_by("pk").values())
    forget_fidelity()

    migration.restore(apps, None)

    book.refresh_from_db()
    assert list(
        book.authorships.order_by("position").values_list("author_id", "family_name", "given_names")
    ) == [
        (patrick.pk, "Nguyen", "P"),
        (Author.objects.get(family_name="Fallon").pk, "Fallon", "James"),
    ]
    assert (book.citation_key, book.et_al) == ("nguyen2020", True)
    assert list(book.contributors.values_list("role", "position", "family_name")) == [
        ("editor", 1, "Smith")
    ]
    assert list(Author.objects.order_by("pk").values()) == people_before


def test_pages_as_printed_and_record_fields_are_filled_where_empty():
    batch = imported()
    book = Article.objects.get(title="Speech and hearing")
    Article.objects.filter(pk=book.pk).update(
        pages="", first_page=None, last_page=None, page_count=None, edition="", place="Kept"
    )
    record = batch.records.get(article=book)
    entry = make_entry(
        key="nguyen2020",
        line=record.line,
        pages="052102",
        edition="2nd",
        place="Boston",
        series="S" * 600,
        isbn="9" * 300,
        authors=[],
    )

    migration.restore_batch(apps, batch.pk, [entry])

    book.refresh_from_db()
    assert (book.pages, book.first_page, book.last_page) == ("052102", None, None)
    assert (book.edition, book.place, book.series, book.isbn) == ("2nd", "Kept", "S" * 500, "")


def test_values_already_there_are_kept_and_edited_author_lists_are_left_alone():
    imported()
    article = Article.objects.get(title="Two authors")
    Article.objects.filter(pk=article.pk).update(citation_key="mine")
    Authorship.objects.filter(article=article, position=2).delete()
    Authorship.objects.filter(article=article).update(given_names="Richard")
    Contributor.objects.create(article=article, role="editor", position=1, family_name="Kept")

    migration.restore(apps, None)

    article.refresh_from_db()
    assert article.citation_key == "mine"
    assert list(article.authorships.values_list("given_names", flat=True)) == ["Richard"]
    assert list(article.contributors.values_list("family_name", flat=True)) == ["Kept"]


def test_batches_without_source_or_undone_are_skipped_and_an_empty_catalogue_is_quick():
    migration.restore(apps, None)  # nothing at all

    imported(keep_source=False)
    undone = imported(SOURCE.replace("nguyen2020", "other2020").replace("Speech", "Other"))
    forget_fidelity()
    ImportBatch.objects.filter(pk=undone.pk).update(status=ImportStatus.UNDONE)

    migration.restore(apps, None)

    assert set(Article.objects.values_list("citation_key", flat=True)) == {""}
    assert not Contributor.objects.exists()


def test_an_unparseable_stored_source_is_skipped():
    batch = imported()
    forget_fidelity()
    ImportBatch.objects.filter(pk=batch.pk).update(source=bytes(range(256)) * 10)

    migration.restore(apps, None)

    assert set(Article.objects.values_list("citation_key", flat=True)) == {""}
