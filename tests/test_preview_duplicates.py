"""The import preview shows each duplicate's existing record as the result lists do: its title
linked, its type, container (journal or book title, volume, issue, pages) and date
(catalogue.views.imports._stored_rows_page, templates/catalogue/includes/_import_existing.html)."""

import re
from html import unescape

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalogue.models import Article, ImportBatch, ImportStatus, OutputType
from tests.factories import make_article, make_author, make_journal
from tests.test_import_jobs import run_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def librarian(client):
    user = User.objects.create_user("lib", password="pw")
    user.groups.add(Group.objects.get(name="Librarians"))
    client.force_login(user)
    return user


def preview(client, bib: str, *, on_duplicate: str = "skip") -> ImportBatch:
    """Upload `bib` as pasted text and prepare its preview; return the previewed batch."""
    client.post(reverse("catalogue:import"), {"text": bib, "on_duplicate": on_duplicate})
    run_jobs()
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == ImportStatus.PREVIEWED
    return batch


def page_of(client, batch: ImportBatch, **query: str) -> str:
    response = client.get(batch.get_absolute_url(), query)
    assert response.status_code == 200
    return response.content.decode()


def as_text(fragment: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", fragment))).strip()


def existing(page: str) -> list[str]:
    """Return each row's existing record as one line of text (tags dropped), in row order."""
    found = re.findall(r'<p class="import-row__existing">(.*?)</p>', page, re.S)
    return [as_text(block) for block in found]


def existing_links(page: str) -> list[str]:
    found = re.findall(r'<p class="import-row__existing">.*?</p>', page, re.S)
    return [unescape(href) for block in found for href in re.findall(r'href="([^"]+)"', block)]


def bib_entry(key: str, **fields: str) -> str:
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items())
    return f"@article{{{key},\n{body}\n}}\n"


@pytest.fixture
def alliance():
    """An existing journal article with volume, issue, pages and a month."""
    return make_article(
        title="Is the alliance really therapeutic?",
        journal=make_journal(title="American Psychologist"),
        year=2017,
        month=1,
        volume="72",
        issue="1",
        pages="28-39",
        doi="10.1037/a0040435",
        authors=[make_author(family_name="Zilcha-Mano", given_names="Sigal")],
    )


def test_a_duplicate_shows_its_existing_records_container_and_date(client, librarian, alliance):
    bib = bib_entry(
        "dup", author="Zilcha-Mano, S.", title="Alliance?", journal="Am Psychol",
        year="2017", doi="10.1037/A0040435",
    )  # fmt: skip

    page = page_of(client, preview(client, bib))

    assert existing(page) == [
        "Existing record: Is the alliance really therapeutic? "
        "Article · American Psychologist, 72(1), 28-39 · Published - January 2017"
    ]
    assert existing_links(page) == [f"/articles/{alliance.pk}/"]
    # Beside what the entry itself says.
    assert "<li>S. Zilcha-Mano</li>" in page


def test_the_duplicates_filter_shows_them_too(client, librarian, alliance):
    bib = bib_entry("dup", title="Alliance", journal="J", year="2017", doi="10.1037/a0040435")
    bib += bib_entry("new", title="Something new", journal="J", year="2020", doi="10.1000/new")
    batch = preview(client, bib)

    assert len(existing(page_of(client, batch))) == 1
    assert existing(page_of(client, batch, show="duplicate")) == [
        "Existing record: Is the alliance really therapeutic? "
        "Article · American Psychologist, 72(1), 28-39 · Published - January 2017"
    ]
    assert existing(page_of(client, batch, show="created")) == []


def test_a_chapter_shows_its_book_and_an_undated_record_no_date(client, librarian):
    chapter = make_article(
        title="A chapter",
        journal=make_journal(title="The Handbook of Things"),
        output_type=OutputType.CHAPTER,
        year=None,
        pages="1-20",
        doi="10.1000/chapter",
    )
    book = make_article(
        title="A book",
        journal=None,
        output_type=OutputType.BOOK,
        book_title="The Collected Works",
        year=1999,
        doi="10.1000/book",
    )
    bare = make_article(title="Bare", journal=None, year=None, doi="10.1000/bare")
    bib = "".join(
        bib_entry(f"k{n}", title=f"T{n}", year="2000", doi=doi)
        for n, doi in enumerate(["10.1000/chapter", "10.1000/book", "10.1000/bare"])
    )

    page = page_of(client, preview(client, bib))

    assert existing(page) == [
        f"Existing record: A chapter {chapter.get_output_type_display()} · The Handbook of Things, "
        "1-20",
        f"Existing record: A book {book.get_output_type_display()} · The Collected Works · "
        "Published - 1999",
        f"Existing record: Bare {bare.get_output_type_display()}",
    ]


def test_an_update_shows_the_record_as_it_is_before_the_update(client, librarian, alliance):
    bib = bib_entry(
        "upd", author="Zilcha-Mano, Sigal", title="Is the alliance really therapeutic?",
        journal="American Psychologist", year="2017", doi="10.1037/a0040435", volume="73",
    )  # fmt: skip

    page = page_of(client, preview(client, bib, on_duplicate="update"))

    assert existing(page) == [
        "Record: Is the alliance really therapeutic? "
        "Article · American Psychologist, 72(1), 28-39 · Published - January 2017"
    ]


def test_a_probable_duplicate_shows_the_record_it_resembles(client, librarian):
    resembled = make_article(
        title="Written twice",
        journal=make_journal(title="Journal of Echoes"),
        year=2020,
        volume="5",
        authors=[make_author(family_name="Doe", given_names="Jane")],
    )
    bib = bib_entry("twice", author="Doe, Jane", title="Written twice", journal="J", year="2020")

    batch = preview(client, bib)
    page = page_of(client, batch)

    assert batch.probable_duplicate_count == 1
    assert existing(page) == [
        "Resembles: Written twice Article · Journal of Echoes, 5 · Published - 2020"
    ]
    assert existing_links(page) == [f"/articles/{resembled.pk}/"]


def test_a_record_deleted_since_the_preview_is_said_to_be_gone(client, librarian, alliance):
    bib = bib_entry("dup", title="Alliance", journal="J", year="2017", doi="10.1037/a0040435")
    batch = preview(client, bib)
    pk = alliance.pk
    Article.objects.filter(pk=pk).delete()

    page = page_of(client, batch)

    assert existing(page) == [f"Existing record: article #{pk}, no longer in the catalogue"]
    assert existing_links(page) == []


def test_the_existing_records_title_and_journal_are_escaped(client, librarian):
    make_article(
        title="<script>alert(1)</script> and <i>italics</i>",
        journal=make_journal(title="<b>Bold</b> & Co"),
        year=2001,
        doi="10.1000/hostile",
    )
    bib = bib_entry("h", title="H", journal="J", year="2001", doi="10.1000/hostile")

    page = page_of(client, preview(client, bib))

    assert "<script>alert(1)" not in page
    assert "<b>Bold</b>" not in page
    # Rich text as on the record page: the title's <i> kept, the rest escaped.
    assert "&lt;script&gt;alert(1)&lt;/script&gt; and <i>italics</i></a>" in page
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; Co" in page


def test_the_existing_records_take_one_query_whatever_their_number(client, librarian):
    journal = make_journal(title="Shared")
    for n in range(30):
        make_article(title=f"Old {n}", journal=journal, year=2000, doi=f"10.1000/old{n}")
    one = preview(client, bib_entry("a", title="A", journal="J", year="2000", doi="10.1000/old0"))
    many = preview(
        client,
        "".join(
            bib_entry(f"k{n}", title=f"A{n}", journal="J", year="2000", doi=f"10.1000/old{n}")
            for n in range(30)
        ),
    )
    none = preview(client, bib_entry("n", title="New", journal="J", year="2000", doi="10.1000/x"))

    counts = []
    for batch in (none, one, many):
        with CaptureQueriesContext(connection) as queries:
            page = page_of(client, batch)
        counts.append(len(queries))
    assert len(existing(page)) == 30
    assert counts[1] == counts[2] == counts[0] + 1
