"""Tests for the importer's record fidelity (issue 14): printed names, contributors, new record
fields, people linked only on the whole name, updates that write only what differs, undo."""

import pytest
from django.utils import timezone

from catalogue import importer
from catalogue.formats import bibtex
from catalogue.models import (
    RECORD_TEXT_FIELDS,
    Article,
    Author,
    Authorship,
    Contributor,
    ImportAction,
    ImportRecord,
    PersonChange,
    PersonChangeKind,
)
from tests.factories import make_article, make_author
from tests.test_importer import catalogue_state, counts, make_entry, run

pytestmark = pytest.mark.django_db

N = bibtex.Name


def state_with_contributors() -> dict:
    state = catalogue_state()
    state["Contributor"] = list(Contributor.objects.order_by("pk").values())
    return state


# --- new record fields -------------------------------------------------------------------------


def test_every_record_field_is_written_as_printed():
    entry = make_entry(
        key="Knuth:1984",
        output_type="chapter",
        title="Literate programming",
        pages="E3313\u2013E3322",
        issue="4B",
        book_title="The Computer Journal Anthology",
        edition="2nd",
        series="Lecture Notes",
        series_number="12",
        place="Stanford, CA",
        isbn="978-3-16-148410-0",
        chapter="7",
        report_number="TR-1984-07",
        genre="Technical report",
        howpublished="Privately printed",
        eprint="2101.00001",
        eprint_type="arXiv",
        eprint_class="cs.CL",
        accessed="2020-05-01",
        date_text="1978/79",
        year=1978,
        et_al=True,
    )

    batch = run(entry)

    assert counts(batch) == (1, 0, 0, 0, 0)
    values = Article.objects.values(
        "pages",
        "first_page",
        "last_page",
        "page_count",
        "issue",
        *RECORD_TEXT_FIELDS,
        "et_al",
        "citation_key",
    ).get()
    assert values == {
        "pages": "E3313\u2013E3322",
        "first_page": None,
        "last_page": None,
        "page_count": None,
        "issue": "4B",
        "book_title": "The Computer Journal Anthology",
        "edition": "2nd",
        "series": "Lecture Notes",
        "series_number": "12",
        "place": "Stanford, CA",
        "isbn": "978-3-16-148410-0",
        "chapter": "7",
        "report_number": "TR-1984-07",
        "genre": "Technical report",
        "howpublished": "Privately printed",
        "eprint": "2101.00001",
        "eprint_type": "arXiv",
        "eprint_class": "cs.CL",
        "accessed": "2020-05-01",
        "date_text": "1978/79",
        "et_al": True,
        "citation_key": "Knuth:1984",
    }


@pytest.mark.parametrize(
    ("pages", "first", "last", "count"),
    [
        ("311\u2013325", 311, 325, 15),
        ("052102", None, None, None),
        ("123\u2013", None, None, None),
        ("xii\u2013xv", None, None, None),
        ("52", 52, 52, 1),
    ],
)
def test_page_numbers_are_derived_only_from_plain_numbers(pages, first, last, count):
    run(make_entry(pages=pages))

    assert Article.objects.values_list("pages", "first_page", "last_page", "page_count").get() == (
        pages,
        first,
        last,
        count,
    )


def test_over_long_values_are_cut_or_left_out_with_warnings():
    batch = run(
        make_entry(
            key="k" * 300,
            pages="1" * 101,
            book_title="B" * 1001,
            isbn="9" * 256,
            date_text="d" * 101,
            eprint_type="e" * 51,
            authors=[N(family="F" * 256, given="G" * 256, particle="p" * 51, suffix="s" * 51)],
            contributors={"editor": [N(corporate="C" * 501)]},
        )
    )

    assert counts(batch) == (1, 0, 0, 0, 0)
    article = Article.objects.get()
    assert (article.pages, article.first_page, article.isbn, article.date_text) == (
        "",
        None,
        "",
        "",
    )
    assert (article.eprint_type, article.book_title) == ("", "B" * 1000)
    assert article.citation_key == "k" * 255
    authorship = article.authorships.get()
    assert (authorship.family_name, authorship.given_names) == ("F" * 255, "G" * 255)
    assert (authorship.particle, authorship.suffix) == ("p" * 50, "s" * 50)
    assert Contributor.objects.get().corporate_name == "C" * 500
    warnings = sorted(p["message"] for p in batch.problems if p["severity"] == "warning")
    assert warnings == sorted(
        [
            f"Pages {'1' * 60!r} are longer than 100 characters and were left out.",
            "Book title is longer than 1000 characters and was cut.",
            f"ISBN {'9' * 60!r} is longer than 255 characters and was left out.",
            f"E-print archive {'e' * 51!r} is longer than 50 characters and was left out.",
            f"Date as written {'d' * 60!r} is longer than 100 characters and was left out.",
            "The citation key is longer than 255 characters and was cut.",
            "A family name is longer than 255 characters and was cut.",
            "A given name is longer than 255 characters and was cut.",
            "A name particle is longer than 50 characters and was cut.",
            "A name suffix is longer than 50 characters and was cut.",
            "An author name is longer than 500 characters and was cut.",
        ]
    )


# --- printed names and contributors ------------------------------------------------------------


def test_each_authorship_keeps_the_name_as_printed_beside_its_person():
    known = make_author(family_name="Nguyen", given_names="Patrick")
    run(
        make_entry(
            authors=[
                N(family="NGUYEN", given="patrick"),  # the whole form is equal: linked
                N(family="Walt", given="Stéfan", particle="van der", suffix="Jr."),
                N(corporate="Open Science Collaboration"),
                N(given="Plato"),
            ]
        )
    )

    rows = list(
        Authorship.objects.order_by("position").values_list(
            "author_id", "family_name", "given_names", "particle", "suffix", "corporate_name"
        )
    )
    assert rows[0] == (known.pk, "NGUYEN", "patrick", "", "", "")
    assert rows[1][1:] == ("Walt", "Stéfan", "van der", "Jr.", "")
    assert rows[2][1:] == ("", "", "", "", "Open Science Collaboration")
    assert rows[3][1:] == ("", "Plato", "", "", "")
    people = Author.objects.in_bulk([row[0] for row in rows[1:]])
    assert [people[row[0]].display_name for row in rows[1:]] == [
        "Stéfan van der Walt Jr.",
        "Open Science Collaboration",
        "Plato",
    ]
    assert Author.objects.get(pk=rows[3][0]).family_name == "Plato"


def test_same_name_in_other_spellings_links_the_same_person():
    run(
        make_entry(key="a", authors=[N(family="Huibers", given="Marcus J. H.")]),
        make_entry(key="b", authors=[N(family="HUIBERS", given="Marcus J.H.")]),
        make_entry(key="c", authors=[N(family="Huibers", given="Marcus JH")]),
        make_entry(key="d", authors=[N(family="Walt", particle="van der", given="Stéfan")]),
        make_entry(key="e", authors=[N(family="van der Walt", given="Stefan")]),
        make_entry(key="f", authors=[N(corporate="World Health Organization")]),
        make_entry(key="g", authors=[N(corporate="World health organization.")]),
    )

    assert Author.objects.count() == 3
    assert Authorship.objects.count() == 7


def test_a_printed_form_a_librarian_merged_links_its_person_again():
    patrick = make_author(family_name="Nguyen", given_names="Patrick")
    make_article(authors=[(patrick, {"given_names": "P"})])
    merge = PersonChange.objects.create(kind=PersonChangeKind.MERGE, person=patrick, other_id=99)

    batch = run(make_entry(key="a", authors=[N(family="Nguyen", given="P")]))

    assert Authorship.objects.get(article__citation_key="a").author == patrick
    assert batch.plan.items[0].name_doubts == []
    assert Author.objects.count() == 1

    # An undone merge no longer speaks for the form: a new person, and a doubt.
    PersonChange.objects.filter(pk=merge.pk).update(undone=timezone.now())
    batch = run(make_entry(key="b", authors=[N(family="Nguyen", given="P")]))

    assert Authorship.objects.get(article__citation_key="b").author != patrick
    assert batch.plan.items[0].name_doubts == [("P Nguyen", patrick.pk, "Patrick Nguyen")]


def test_contributors_are_written_by_role_and_position_with_editors_as_editor():
    run(
        make_entry(
            key="book",
            output_type="book",
            editors=[N(family="Smith", given="Ann"), N(family="Roe", given="R.")],
            contributors={
                "translator": [N(family="Weaver", given="William")],
                "book-author": [N(given="Homer")],
            },
            authors=[],
        ),
        make_entry(
            key="chapter",
            output_type="chapter",
            editors=[N(family="Ignored", given="Because contributors has editors")],
            contributors={"editor": [N(family="Smith", given="Ann")]},
        ),
    )

    rows = list(
        Contributor.objects.order_by("article_id", "role", "position").values_list(
            "article__citation_key",
            "role",
            "position",
            "family_name",
            "given_names",
            "corporate_name",
        )
    )
    assert rows == [
        ("book", "book-author", 1, "Homer", "", ""),
        ("book", "editor", 1, "Smith", "Ann", ""),
        ("book", "editor", 2, "Roe", "R.", ""),
        ("book", "translator", 1, "Weaver", "William", ""),
        ("chapter", "editor", 1, "Smith", "Ann", ""),
    ]
    assert not Authorship.objects.filter(article__citation_key="book").exists()


def test_unknown_roles_and_empty_contributor_names_are_left_out_with_warnings():
    batch = run(
        make_entry(contributors={"editor": [N(), N(family="Kept")], "ghostwriter": [N("X")]})
    )

    assert list(Contributor.objects.values_list("role", "position", "family_name")) == [
        ("editor", 1, "Kept")
    ]
    assert sorted(p["message"] for p in batch.problems) == [
        "An empty editor name was left out.",
        "Contributor role 'ghostwriter' is not known; its names were left out.",
    ]


# --- duplicates and updates --------------------------------------------------------------------


def fidelity_entries() -> list[bibtex.Entry]:
    return [
        make_entry(
            key="a",
            line=1,
            title="Without a DOI",
            journal_title="J One",
            pages="052102",
            issue="4B",
            authors=[N(family="Nguyen", given="P"), N(family="Fallon", given="James")],
            contributors={"editor": [N(family="Smith", given="Ann")]},
            et_al=True,
            date_text="1978/79",
            isbn="0-201-13447-0",
        ),
        make_entry(
            key="b",
            line=9,
            title="Without a DOI",
            journal_title="J One",
            authors=[N(family="Nguyen", given="Patrick")],
        ),
        make_entry(key="c", line=17, title="With", doi="10.1000/c", pages="E3313\u2013E3322"),
    ]


@pytest.mark.parametrize("on_duplicate", ["skip", "update"])
def test_reimport_of_the_same_file_changes_nothing_the_first_time(on_duplicate):
    first = run(*fidelity_entries())
    before = state_with_contributors()

    second = run(*fidelity_entries(), on_duplicate=on_duplicate)

    assert counts(first) == (2, 0, 0, 1, 0)
    assert counts(second) == (0, 0, 3, 0, 0)
    assert state_with_contributors() == before


def test_update_writes_only_what_differs_and_undo_restores_printed_names_and_contributors():
    run(*fidelity_entries())
    article = Article.objects.get(citation_key="a")
    Authorship.objects.filter(article=article, position=2).update(affiliation="Lab")
    before = state_with_contributors()
    changed = fidelity_entries()[0]
    changed.authors = [N(family="Nguyen", given="Patrick"), N(family="Fallon", given="James")]
    changed.contributors = {"translator": [N(family="Weaver", given="W.")]}
    changed.edition = "3rd"

    batch = run(changed, on_duplicate="update")

    assert counts(batch) == (0, 1, 0, 0, 0)
    record = ImportRecord.objects.get(batch=batch)
    assert record.action == ImportAction.UPDATED
    assert batch.plan.items[0].changes == ["authors", "contributors", "edition"]
    rows = list(
        article.authorships.order_by("position").values_list(
            "given_names", "family_name", "affiliation", "author__given_names"
        )
    )
    # Patrick Nguyen is the person "b" made; James Fallon keeps his person and affiliation.
    assert rows == [
        ("Patrick", "Nguyen", "", "Patrick"),
        ("James", "Fallon", "Lab", "James"),
    ]
    assert list(
        article.contributors.order_by("role").values_list("role", "family_name", "given_names")
    ) == [("editor", "Smith", "Ann"), ("translator", "Weaver", "W.")]

    importer.undo_import(batch=batch)

    assert state_with_contributors() == before


def test_same_entry_again_with_and_others_keeps_a_longer_list():
    run(make_entry(key="a", doi="10.1000/a", authors=[N(family="Roe"), N(family="Poe")]))
    before = state_with_contributors()

    batch = run(
        make_entry(key="a", doi="10.1000/a", authors=[N(family="Roe")], et_al=True),
        on_duplicate="update",
    )

    assert counts(batch) == (0, 0, 1, 0, 0)
    assert state_with_contributors() == before


def test_update_keeps_the_journal_when_the_entry_names_it_by_another_route():
    entries = [
        make_entry(key="e0", line=1, title="Zero", journal_title="Econ Review"),
        make_entry(key="e1", line=5, journal_title="Econ Review", issns=["2049-3630"]),
        make_entry(key="e2", line=9, title="Two", journal_title="The Econ", issns=["2049-3630"]),
    ]
    run(*entries)
    before = state_with_contributors()

    second = run(*entries, on_duplicate="update")

    assert counts(second) == (0, 0, 3, 0, 0)
    assert state_with_contributors() == before


def test_citation_key_is_given_once_and_never_replaced():
    run(make_entry(key="first", title="T", doi="10.1000/k"))

    batch = run(make_entry(key="second", title="T", doi="10.1000/k"), on_duplicate="update")

    assert counts(batch) == (0, 0, 1, 0, 0)
    assert Article.objects.get().citation_key == "first"


def test_reimport_with_update_is_stable_when_initials_became_ambiguous_during_the_import():
    # Before issue 14 "Smith, J." was linked to John (the only J. Smith then); "Jane Smith" made
    # it ambiguous, so the first re-run moved it to a new person: a spurious update.
    entries = [
        make_entry(key="a", line=1, doi="10.1000/a", authors=[N(family="Smith", given="John")]),
        make_entry(key="b", line=5, doi="10.1000/b", authors=[N(family="Smith", given="J.")]),
        make_entry(key="c", line=9, doi="10.1000/c", authors=[N(family="Smith", given="Jane")]),
    ]
    run(*entries)
    before = state_with_contributors()

    second = run(*entries, on_duplicate="update")

    assert counts(second) == (0, 0, 3, 0, 0)
    assert state_with_contributors() == before
    assert sorted(Author.objects.values_list("given_names", flat=True)) == ["J.", "Jane", "John"]
