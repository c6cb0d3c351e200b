"""List exports (catalogue.formats.exports): every list page streams its articles in each format."""

import json
import re

import pytest
import rispy
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from tests.factories import make_article, make_author, make_journal, make_keyword, make_subject
from tests.responses import body, parse_bibtex

STYLE_IDS = [
    "apa",
    "harvard-cite-them-right",
    "vancouver",
    "modern-language-association",
    "chicago-author-date",
    "american-medical-association",
]


@pytest.fixture
def listed(db):
    """A journal, author, keyword and subject sharing three articles (and one other article)."""
    journal = make_journal(title="Journal of Ünusual Results", abbreviated_title="J Unus Results")
    author = make_author(family_name="Berg", particle="van der", given_names="Jan")
    other = make_author(family_name="Ávila", given_names="Ana")
    keyword = make_keyword(term="Therapeutic alliance")
    subject = make_subject(name="Clinical Psychology")
    articles = [
        make_article(
            title=f"Study {n} of R&D at 50%",
            journal=journal,
            authors=[author, other] if n % 2 else [other, author],
            keywords=[keyword],
            subject_areas=[subject],
            year=2010 + n,
            volume=str(n),
            first_page=10 * n,
            last_page=10 * n + 5,
            doi=f"10.1234/study.{n}",
        )
        for n in range(1, 4)
    ]
    make_article(title="Elsewhere")
    return {
        "journal": f"/journals/{journal.pk}/export/",
        "author": f"/authors/{author.pk}/export/",
        "keyword": f"/keywords/{keyword.slug}/export/",
        "subject": f"/subjects/{subject.pk}/export/",
        "articles": articles,
    }


BASENAMES = {
    "journal": "journal-journal-of-unusual-results",
    "author": "author-jan-van-der-berg",
    "keyword": "keyword-therapeutic-alliance",
    "subject": "subject-clinical-psychology",
}
LIST_PAGES = list(BASENAMES)


@pytest.mark.parametrize("page", LIST_PAGES)
def test_bulk_bibtex_streams_every_article_newest_first(client, listed, page):
    response = client.get(listed[page] + "?format=bibtex")

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{BASENAMES[page]}.bib"'
    library = parse_bibtex(body(response))
    assert [entry.key for entry in library.entries] == [
        "vanderBerg2013",
        "Avila2012",
        "vanderBerg2011",
    ]
    titles = [entry.fields_dict["title"].value for entry in library.entries]
    assert titles == [
        r"Study 3 of {R\&D} at 50\%",
        r"Study 2 of {R\&D} at 50\%",
        r"Study 1 of {R\&D} at 50\%",
    ]


def test_bulk_export_defaults_to_bibtex(client, listed):
    response = client.get(listed["journal"])

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"


@pytest.mark.parametrize("page", LIST_PAGES)
def test_bulk_ris_and_csl_json_parse_back(client, listed, page):
    ris = client.get(listed[page] + "?format=ris")
    csl = client.get(listed[page] + "?format=csl-json")

    assert ris["Content-Disposition"] == f'attachment; filename="{BASENAMES[page]}.ris"'
    assert csl["Content-Disposition"] == f'attachment; filename="{BASENAMES[page]}.json"'
    records = rispy.loads(body(ris))
    assert [record["doi"] for record in records] == [f"10.1234/study.{n}" for n in (3, 2, 1)]
    assert records[1]["authors"] == ["Ávila, Ana", "van der Berg, Jan"]
    items = json.loads(body(csl))
    assert [item["DOI"] for item in items] == [f"10.1234/study.{n}" for n in (3, 2, 1)]
    assert [item["id"] for item in items] == ["vanderBerg2013", "Avila2012", "vanderBerg2011"]


@pytest.mark.parametrize("style", ["apa", "vancouver"])
def test_bulk_formatted_bibliography_in_a_style(client, listed, style):
    response = client.get(listed["keyword"] + f"?format=text&style={style}")

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="keyword-therapeutic-alliance-{style}.txt"'
    )
    lines = body(response).splitlines()
    assert len(lines) == 3
    if style == "apa":
        # Sorted as APA sorts: first author, then year.
        assert [line[:40] for line in lines] == [
            "Ávila, A., & van der Berg, J. (2012). St",
            "van der Berg, J., & Ávila, A. (2011). St",
            "van der Berg, J., & Ávila, A. (2013). St",
        ]
        assert lines[0] == (
            "Ávila, A., & van der Berg, J. (2012). Study 2 of R&D at 50%. Journal of Ünusual "
            "Results, 2, 20–25. https://doi.org/10.1234/study.2"
        )
    else:
        assert [line[:3] for line in lines] == ["1. ", "2. ", "3. "]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?format=pdf", "Unknown format “pdf”; available formats: bibtex, ris, csl-json, text.\n"),
        ("?format=text&style=harvard", "Unknown citation style “harvard”; available styles: apa, "),
        ("?format=text&style=%3Cscript%3E", "Unknown citation style “<script>”"),
    ],
)
@pytest.mark.parametrize("page", LIST_PAGES)
def test_bulk_export_bad_parameters_are_400(client, listed, page, query, message):
    response = client.get(listed[page] + query)

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert body(response).startswith(message)


def test_bulk_bibliography_too_long_is_400(client, listed, settings):
    settings.CITATION_BIBLIOGRAPHY_MAX = 2

    response = client.get(listed["journal"] + "?format=text")

    assert response.status_code == 400
    assert body(response).startswith(
        "This list has 3 articles; a formatted bibliography can have at most 2. Export BibTeX"
    )
    # The exports stream any number.
    assert client.get(listed["journal"] + "?format=ris").status_code == 200


@pytest.mark.parametrize(
    "url", ["/journals/999/export/", "/authors/999/export/", "/keywords/nope/export/"]
)
def test_bulk_export_of_a_missing_list_is_404(client, db, url):
    assert client.get(url + "?format=bibtex").status_code == 404


@pytest.mark.parametrize("format", ["bibtex", "ris", "csl-json"])
def test_bulk_export_queries_grow_per_batch_not_per_record(client, db, settings, format):
    settings.CATALOGUE_EXPORT_BATCH_SIZE = 2
    journal = make_journal()
    for n in range(5):
        make_article(
            journal=journal,
            authors=[make_author(), make_author()],
            keywords=[make_keyword(), make_keyword()],
            year=2000 + n,
        )

    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/journals/{journal.pk}/export/?format={format}")
        chunks = list(response.streaming_content)

    # The journal; the articles' rows; then authors, contributors and keywords per batch of 2
    # (3 batches).
    assert len(queries) == 1 + 1 + 3 * 3
    assert len(chunks) == 2 + 3  # opening, one chunk per batch, closing
    text = b"".join(chunks).decode()
    assert text.count("Ada Author") == 0 and len(re.findall(r"Author\d+", text)) >= 10


def test_list_pages_offer_the_export_control(client, listed):
    page = client.get(listed["journal"].removesuffix("export/")).content.decode()

    start = page.index('<form class="export-menu"')
    form = page[start : page.index("</form>", start)]
    assert f'action="{listed["journal"]}"' in form
    assert re.findall(r'<option value="([^"]+)"', form) == [
        "bibtex",
        "ris",
        "csl-json",
        "text",
        *STYLE_IDS,
    ]
    assert '<option value="apa" selected>APA 7th edition</option>' in form
    assert "catalogue/cite.css" in page


@pytest.mark.parametrize("page", LIST_PAGES)
def test_every_list_page_has_the_export_control(client, listed, page):
    response = client.get(listed[page].removesuffix("export/"))

    assert response.status_code == 200
    assert f'action="{listed[page]}"' in response.content.decode()


def test_an_empty_list_offers_no_export(client, db):
    journal = make_journal()

    page = client.get(journal.get_absolute_url()).content.decode()

    assert "export-menu" not in page
