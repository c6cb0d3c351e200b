"""Record fidelity on the reader pages (issue 14): names as printed, et al., contributors by
role, the fields of books, chapters, reports and theses, dates as written, citation keys."""

import re

import pytest
from django.urls import reverse

from catalogue.models import Contributor, ContributorRole
from catalogue.views import articles, pages
from tests.factories import make_article, make_author, make_journal

pytestmark = pytest.mark.django_db

XSS = "<script>alert('x')</script>"
XSS_ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
ROW = re.compile(r'<tr><th scope="row">(.*?)</th><td>(.*?)</td></tr>')


def html(response) -> str:
    return response.content.decode()


def rows(page: str) -> dict[str, str]:
    return dict(ROW.findall(page))


def byline(page: str, label: str = "Authors") -> str:
    start = page.index(f'aria-label="{label}"')
    return page[start : page.index("</ul>", start)]


def add_contributors(article, role: str, *names: dict[str, str]) -> None:
    Contributor.objects.bulk_create(
        Contributor(article=article, role=role, position=position, **name)
        for position, name in enumerate(names, start=1)
    )


# Authors as printed ---------------------------------------------------------------------------


def test_the_byline_shows_each_name_as_printed_and_links_the_person(client):
    patrick = make_author(family_name="Nguyen", given_names="Patrick")
    ana = make_author(family_name="Fernández", given_names="Guillén", orcid="")
    article = make_article(
        authors=[
            (patrick, {"given_names": "P"}),
            (ana, {"family_name": "Fernandez", "given_names": "G"}),
        ]
    )

    page = html(client.get(article.get_absolute_url()))

    assert re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', byline(page)) == [
        (f"/authors/{patrick.pk}/", "P Nguyen"),
        (f"/authors/{ana.pk}/", "G Fernandez"),
    ]
    assert "Patrick" not in byline(page) and "Guillén" not in byline(page)


def test_printed_particles_suffixes_and_corporate_names(client):
    article = make_article(
        authors=[
            (make_author(family_name="Berg"), {"particle": "van der", "given_names": "Jan"}),
            (make_author(family_name="King"), {"given_names": "Martin Luther", "suffix": "Jr."}),
            (make_author(corporate_name="WHO"), {"corporate_name": "World Health Organization"}),
        ]
    )

    page = html(client.get(article.get_absolute_url()))

    assert re.findall(r'<li><a href="[^"]+">([^<]+)</a></li>', byline(page)) == [
        "Jan van der Berg",
        "Martin Luther King Jr.",
        "World Health Organization",
    ]


def test_an_incomplete_author_list_ends_with_et_al(client):
    complete = make_article(authors=[make_author(family_name="One")])
    incomplete = make_article(authors=[make_author(family_name="One")], et_al=True)

    assert "et al." not in html(client.get(complete.get_absolute_url()))
    page = html(client.get(incomplete.get_absolute_url()))
    person = incomplete.authorships.get().author_id
    assert byline(page).endswith(
        f'<li><a href="/authors/{person}/">Ada One</a></li><li class="byline__et-al">et al.</li>'
        "\n    "
    )


# Contributors by role -------------------------------------------------------------------------


def test_contributors_are_shown_by_role_with_their_printed_names(client):
    article = make_article(output_type="chapter", authors=[make_author(family_name="Writer")])
    add_contributors(
        article,
        ContributorRole.EDITOR,
        {"family_name": "Smith", "given_names": "A"},
        {"family_name": "Jones", "given_names": "B"},
        {"family_name": "Meer", "particle": "van der", "given_names": "C"},
    )
    add_contributors(
        article, ContributorRole.TRANSLATOR, {"family_name": "Weber", "given_names": "D"}
    )
    add_contributors(article, ContributorRole.SERIES_EDITOR, {"corporate_name": "The Board"})
    add_contributors(
        article, ContributorRole.BOOK_AUTHOR, {"family_name": "Roe", "given_names": "E"}
    )
    add_contributors(article, ContributorRole.FOREWORD, {"family_name": "Doe", "given_names": "F"})

    page = html(client.get(article.get_absolute_url()))

    assert re.findall(
        r'<li data-role="([^"]+)">([^<]+)</li>', byline(page, "Other contributors")
    ) == [
        ("book-author", "Book by E Roe"),
        ("editor", "Edited by A Smith, B Jones and C van der Meer"),
        ("series-editor", "Series edited by The Board"),
        ("translator", "Translated by D Weber"),
        ("foreword", "Foreword by F Doe"),
    ]


@pytest.mark.parametrize(
    ("role", "phrase"),
    [(role, phrase) for role, phrase in articles.CONTRIBUTOR_PHRASES.items()],
)
def test_every_role_has_its_phrase(client, role, phrase):
    article = make_article()
    add_contributors(article, role, {"family_name": "Person", "given_names": "A"})

    page = html(client.get(article.get_absolute_url()))

    assert f'<li data-role="{role}">{phrase} A Person</li>' in page


def test_every_contributor_role_has_a_phrase():
    assert set(articles.CONTRIBUTOR_PHRASES) == set(ContributorRole)


def test_a_book_with_only_editors_shows_them_and_no_author_byline(client):
    book = make_article(journal=None, output_type="book", title="Collected papers")
    add_contributors(book, ContributorRole.EDITOR, {"family_name": "Smith", "given_names": "Ann"})

    page = html(client.get(book.get_absolute_url()))

    assert 'aria-label="Authors"' not in page
    assert '<li data-role="editor">Edited by Ann Smith</li>' in page


def test_a_record_without_contributors_has_no_contributor_list(client):
    page = html(client.get(make_article().get_absolute_url()))

    assert "Other contributors" not in page


# The fields of books, chapters, reports, theses and e-prints -----------------------------------


def test_every_new_field_has_its_row_with_the_value_as_printed(client):
    article = make_article(
        journal=None,
        output_type="chapter",
        pages="E3313–E3322",
        book_title="Handbook of <i>Alliance</i> Research",
        chapter="12",
        edition="2nd",
        series="Lecture Notes in Psychology",
        series_number="4B",
        genre="Technical note",
        report_number="TR-2019-07",
        publisher="Springer",
        place="Berlin",
        isbn="978-3-16-148410-0",
        howpublished="Distributed at the meeting",
        eprint="2101.00001",
        eprint_type="arXiv",
        eprint_class="cs.CL",
        url="https://example.org/chapter",
        accessed="2021-03-04",
        date_text="1978/79",
        year=1978,
        citation_key="Smith1978handbook",
    )

    found = rows(html(client.get(article.get_absolute_url())))

    assert found == {
        "Original language": "English",
        "Pages (from-to)": "E3313–E3322",
        "Book title": "Handbook of <i>Alliance</i> Research",
        "Chapter": "12",
        "Edition": "2nd",
        "Series": "Lecture Notes in Psychology",
        "Number in series": "4B",
        "Type": "Technical note",
        "Report number": "TR-2019-07",
        "Publisher": "Springer",
        "Place of publication": "Berlin",
        "ISBN": "978-3-16-148410-0",
        "How published": "Distributed at the meeting",
        "State": "Published - 1978/79",
        "E-print": '<a href="https://arxiv.org/abs/2101.00001">arXiv:2101.00001 [cs.CL]</a>',
        "URL": '<a href="https://example.org/chapter">https://example.org/chapter</a>',
        "Accessed": "2021-03-04",
        "Citation key": '<code class="citation-key">Smith1978handbook</code>',
    }


@pytest.mark.parametrize(
    ("pages_as_printed", "shown", "count"),
    [
        ("052102", "052102", None),
        ("xii–xv", "xii–xv", None),
        ("123–", "123–", None),
        ("311–325", "311–325", "15"),
        ("7", "7", "1"),
    ],
)
def test_pages_are_shown_as_printed(client, pages_as_printed, shown, count):
    # The importer stores pages as printed (ranges with an en dash); the page shows them so.
    article = make_article(pages=pages_as_printed)

    found = rows(html(client.get(article.get_absolute_url())))

    assert found["Pages (from-to)"] == shown
    assert found.get("Number of pages") == count


def test_an_issue_is_shown_as_printed(client):
    article = make_article(volume="12", issue="1–3", pages="S1–S9")

    found = rows(html(client.get(article.get_absolute_url())))

    assert (found["Issue number"], found["Pages (from-to)"]) == ("1–3", "S1–S9")


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({"eprint": "arXiv:hep-th/9901001", "eprint_type": "arXiv"},
         '<a href="https://arxiv.org/abs/hep-th/9901001">arXiv:hep-th/9901001</a>'),
        ({"eprint": "arXiv:2101.00001"},
         '<a href="https://arxiv.org/abs/2101.00001">arXiv:2101.00001</a>'),
        ({"eprint": "2101.00001", "eprint_type": "ARXIV"},
         '<a href="https://arxiv.org/abs/2101.00001">ARXIV:2101.00001</a>'),
        ({"eprint": "hal-01234567", "eprint_type": "HAL"}, "HAL:hal-01234567"),
        ({"eprint": "12345"}, "12345"),
    ],
)  # fmt: skip
def test_only_an_arxiv_eprint_is_linked(client, fields, shown):
    article = make_article(**fields)

    assert rows(html(client.get(article.get_absolute_url())))["E-print"] == shown


def test_a_thesis_names_its_institution(client):
    thesis = make_article(
        journal=None, output_type="thesis", publisher="University of Leiden", genre="PhD thesis"
    )

    found = rows(html(client.get(thesis.get_absolute_url())))

    assert (found["Institution"], found["Type"]) == ("University of Leiden", "PhD thesis")
    assert "Publisher" not in found


def test_the_state_shows_the_date_as_written_else_the_state_date(client):
    written = make_article(year=None, date_text="300 BC")
    dated = make_article(year=2017, month=5)

    assert rows(html(client.get(written.get_absolute_url())))["State"] == "Published - 300 BC"
    assert rows(html(client.get(dated.get_absolute_url())))["State"] == "Published - May 2017"


def test_a_record_without_the_new_fields_has_none_of_their_rows(client):
    article = make_article(journal=None, language="", year=None)

    assert list(rows(html(client.get(article.get_absolute_url())))) == ["State"]


# Result lists --------------------------------------------------------------------------------


def test_result_lists_show_printed_names_et_al_and_pages_as_printed(client):
    journal = make_journal(title="Physical Review")
    person = make_author(family_name="Nguyen", given_names="Patrick")
    make_article(
        title="Printed",
        journal=journal,
        authors=[(person, {"given_names": "P"}), make_author(family_name="Two")],
        et_al=True,
        volume="5",
        issue="4B",
        pages="052102",
        year=2019,
    )
    make_article(title="Numbered", journal=journal, volume="6", article_number="e0123", year=2018)

    page = html(client.get(journal.get_absolute_url()))

    authors = re.search(r'<p class="result__authors">(.*?)</p>', page).group(1)
    assert re.sub(r"<[^>]+>", "", authors) == "P Nguyen, Ada Two et al."
    assert '<span class="result__journal">Physical Review</span>, 5(4B), 052102' in page
    assert '<span class="result__journal">Physical Review</span>, 6, e0123' in page


def test_result_lists_show_the_date_as_written(client):
    journal = make_journal()
    make_article(title="Written", journal=journal, year=1978, date_text="1978/79")
    make_article(title="Dated", journal=journal, year=2017, month=5)

    page = html(client.get(journal.get_absolute_url()))

    assert re.findall(r'<span class="result__date">([^<]+)</span>', page) == [
        "Published - May 2017",
        "Published - 1978/79",
    ]


def test_the_author_page_marks_the_printed_name_of_that_person(client):
    person = make_author(family_name="Nguyen", given_names="Patrick")
    other = make_author(family_name="Other")
    make_article(authors=[other, (person, {"given_names": "P."})])

    page = html(client.get(person.get_absolute_url()))

    # The co-author links to their page; the person's own name, as printed, is marked.
    authors = re.search(r'<p class="result__authors">(.*?)</p>', page).group(1)
    assert authors == f'<a href="/authors/{other.pk}/">Ada Other</a>, <strong>P. Nguyen</strong>'
    assert "<h1>Patrick Nguyen</h1>" in page


def test_search_results_show_printed_names_and_et_al(client):
    person = make_author(family_name="Nguyen", given_names="Patrick")
    make_article(title="Alliance study", authors=[(person, {"given_names": "P"})], et_al=True)

    page = html(client.get(reverse("catalogue:search"), {"q": "alliance"}))

    assert f'<a href="/authors/{person.pk}/">P Nguyen</a> et al.</p>' in page


# The forms a person published under ------------------------------------------------------------


def test_the_author_page_lists_the_name_forms_with_counts(client):
    person = make_author(family_name="Nguyen", given_names="Patrick")
    for _ in range(3):
        make_article(authors=[(person, {"given_names": "P"})])
    for _ in range(5):
        make_article(authors=[person])
    make_article(authors=[(person, {"given_names": "Patrick T."})])
    make_article(authors=[make_author(family_name="Nguyen", given_names="P")])  # someone else

    page = html(client.get(person.get_absolute_url()))

    assert (
        '<div><dt>Published as</dt><dd class="name-forms">'
        "Patrick Nguyen (5), P Nguyen (3), Patrick T. Nguyen (1)</dd></div>"
    ) in page
    # The author page is the search narrowed to the person: its heading counts their articles.
    assert re.search(r'id="results-heading"[^>]*>\s*9 articles\s*</h2>', page)


def test_name_forms_count_articles_and_merge_forms_that_read_the_same():
    person = make_author(family_name="Berg", particle="van der", given_names="Jan")
    make_article(authors=[person])
    make_article(authors=[(person, {"particle": "", "family_name": "van der Berg"})])
    make_article(authors=[person, (person, {"given_names": "J"})])

    assert pages.name_forms(person) == [
        pages.NameForm("Jan van der Berg", 3),
        pages.NameForm("J van der Berg", 1),
    ]


def test_a_person_without_articles_has_no_name_forms(client):
    person = make_author()

    page = html(client.get(person.get_absolute_url()))

    assert "Published as" not in page


def test_the_author_facet_and_lists_still_count_people(client):
    person = make_author(family_name="Nguyen", given_names="Patrick")
    make_article(authors=[(person, {"given_names": "P"})])
    make_article(authors=[person])

    page = html(client.get(reverse("catalogue:home")))

    assert '<dt>Authors</dt><dd><a href="/authors/">1</a></dd>' in page


# Everything a source supplies is escaped -------------------------------------------------------


def test_hostile_printed_names_contributors_and_record_fields_are_escaped(client):
    person = make_author(family_name="Safe", given_names="Person")
    article = make_article(
        title="Hostile",
        authors=[(person, {"family_name": XSS, "given_names": XSS})],
        book_title=XSS,
        edition=XSS,
        series=XSS,
        series_number=XSS,
        place=XSS,
        isbn=XSS,
        chapter=XSS,
        report_number=XSS,
        genre=XSS,
        howpublished=XSS,
        eprint=XSS,
        eprint_type="arXiv",
        eprint_class=XSS,
        accessed=XSS,
        date_text=XSS,
        pages=XSS,
        citation_key=XSS,
        year=2020,
    )
    add_contributors(article, ContributorRole.EDITOR, {"family_name": XSS, "given_names": XSS})
    own_scripts = re.compile(
        r'<script type="application/ld\+json">|<script src="/static/catalogue/[\w.-]+\.js" defer>'
    )

    for url in (
        article.get_absolute_url(),
        article.journal.get_absolute_url(),
        person.get_absolute_url(),
        reverse("catalogue:home"),
        reverse("catalogue:search") + "?q=hostile",
    ):
        page = html(client.get(url))
        assert "<script" not in own_scripts.sub("", page), url
        assert XSS_ESCAPED in page, url
    record = html(client.get(article.get_absolute_url()))
    assert 'href="https://arxiv.org/abs/%3Cscript%3Ealert%28%27x%27%29%3C/script%3E"' in record
