"""List exports (catalogue.formats.exports): every list page streams its articles in each format."""

import html as html_lib
import json
import re

import pytest
import rispy
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from catalogue import conf
from catalogue.citations import (
    CitationEngineError,
    StyleError,
    available_locales,
    get_style,
    render_bibliography,
)
from catalogue.formats import exports
from catalogue.formats.exports import INCOMPLETE, bibliography_order, export_menu
from catalogue.models import Article, Keyword
from tests.factories import (
    CORE_STYLE_IDS,
    make_article,
    make_author,
    make_journal,
    make_keyword,
    make_subject,
)
from tests.responses import body, parse_bibtex

STYLE_IDS = CORE_STYLE_IDS


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
    ("query", "status", "message"),
    [
        (
            "?format=pdf",
            400,
            "Unknown format “pdf”; available formats: bibtex, ris, csl-json, text.\n",
        ),
        (
            "?format=text&style=harvard",
            406,
            "Unknown citation style “harvard”: every style id is listed at /styles/\n",
        ),
        ("?format=text&style=%3Cscript%3E", 406, "Unknown citation style “<script>”"),
        (
            "?format=text&style=ieee&locale=xx-YY",
            406,
            "Unknown locale “xx-YY”: every locale is listed at /styles/\n",
        ),
        (
            "?format=text&style=../../etc/passwd",
            406,
            "Unknown citation style “../../etc/passwd”: every style id is listed at /styles/\n",
        ),
        ("?format=text&style=apa%00", 406, "Unknown citation style “apa\\x00”:"),
        ("?format=text&locale=de%00", 406, "Unknown locale “de\\x00”:"),
        ("?format=text&style=" + "x" * 5000, 406, "Unknown citation style “" + "x" * 50 + "…”:"),
    ],
)
@pytest.mark.parametrize("page", LIST_PAGES)
def test_bulk_export_bad_parameters_are_short_errors(client, listed, page, query, status, message):
    # An unknown style or locale is a 406, as content negotiation answers it; an unknown
    # format a 400. Short, with the link to the style list.
    response = client.get(listed[page] + query)

    assert response.status_code == status
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Link"] == '</styles/>; rel="help"'
    assert body(response).startswith(message)
    assert len(body(response).splitlines()) == 1


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
    assert 'method="get"' in form
    # The formats, then the core styles suggested for the style id typed in, then the locales.
    assert re.findall(r'<option value="([^"]*)"', form) == [
        "bibtex",
        "ris",
        "csl-json",
        "text",
        *STYLE_IDS,
        "",
        *available_locales(),
    ]
    assert (
        '<input id="export-style" name="style" type="text" list="export-styles" placeholder="apa"'
    ) in form
    assert '<datalist id="export-styles">' in form
    assert '<option value="apa">APA 7th edition</option>' in form
    assert '<label for="export-locale">Language</label>' in form
    assert '<option value="" selected>The style’s own</option>' in form
    assert f'<option value="de-DE" lang="de-DE">{available_locales()["de-DE"]}</option>' in form
    assert '<a href="/styles/">Find a style id among every citation style</a>' in form
    assert "catalogue/cite.css" in page


def test_the_export_form_works_without_javascript(client, listed):
    # What a browser submits from the form: the style typed in, the locale chosen.
    typed = client.get(listed["journal"], {"format": "text", "style": "ieee", "locale": "de-DE"})
    left_empty = client.get(listed["journal"], {"format": "text", "style": "", "locale": ""})
    bibtex = client.get(listed["journal"], {"format": "bibtex", "style": "", "locale": ""})

    assert typed.status_code == left_empty.status_code == bibtex.status_code == 200
    assert typed["Content-Disposition"] == (
        'attachment; filename="journal-journal-of-unusual-results-ieee-de-DE.txt"'
    )
    # Empty: the default style in its own locale.
    assert left_empty["Content-Disposition"] == (
        'attachment; filename="journal-journal-of-unusual-results-apa.txt"'
    )
    assert body(bibtex).startswith("@article{")


def test_the_export_menu_carries_hidden_state():
    menu = export_menu("/search/export/", hidden=[("q", "alliance"), ("keyword", "3")])

    assert menu["hidden"] == [("q", "alliance"), ("keyword", "3")]
    assert menu["styles_url"] == "/styles/"
    assert menu["locales"][0] == ("af-ZA", available_locales()["af-ZA"])


@pytest.mark.parametrize("page", LIST_PAGES)
def test_every_list_page_has_the_export_control(client, listed, page):
    response = client.get(listed[page].removesuffix("export/"))

    assert response.status_code == 200
    assert f'action="{listed[page]}"' in response.content.decode()


def test_an_empty_list_offers_no_export(client, db):
    journal = make_journal()

    page = client.get(journal.get_absolute_url()).content.decode()

    assert "export-menu" not in page


# Any style of the CSL repository, in any locale ------------------------------------------------

# What citeproc-js 2.4.63 prints for the keyword's three articles (the catalogue's CSL-JSON, in
# the export's order) as one reference list, chicago-notes-bibliography with de-DE forced
# (`new CSL.Engine(sys, xml, "de-DE", true)`, makeBibliography), run under Node with npm
# citeproc@2.4.63, the repository's style file and the vendored locales. The style sorts the
# list itself, so the database's collation does not matter.
CHICAGO_NOTES_DE = [
    "Ávila, Ana, und Jan van der Berg. „Study 2 of R&D at 50%“. Journal of Ünusual Results 2 "
    "(2012): 20–25. https://doi.org/10.1234/study.2.",
    "Berg, Jan van der, und Ana Ávila. „Study 1 of R&D at 50%“. Journal of Ünusual Results 1 "
    "(2011): 10–15. https://doi.org/10.1234/study.1.",
    "Berg, Jan van der, und Ana Ávila. „Study 3 of R&D at 50%“. Journal of Ünusual Results 3 "
    "(2013): 30–35. https://doi.org/10.1234/study.3.",
]
CHICAGO_NOTES_EN = [
    "Ávila, Ana, and Jan van der Berg. “Study 2 of R&D at 50%.” Journal of Ünusual Results 2 "
    "(2012): 20–25. https://doi.org/10.1234/study.2.",
    "Berg, Jan van der, and Ana Ávila. “Study 1 of R&D at 50%.” Journal of Ünusual Results 1 "
    "(2011): 10–15. https://doi.org/10.1234/study.1.",
    "Berg, Jan van der, and Ana Ávila. “Study 3 of R&D at 50%.” Journal of Ünusual Results 3 "
    "(2013): 30–35. https://doi.org/10.1234/study.3.",
]


def keyword_articles():
    """Return the keyword's articles in the order the export gives the engine."""
    keyword = Keyword.objects.get(term="Therapeutic alliance")
    return list(bibliography_order(Article.objects.filter(keywords=keyword)))


@pytest.mark.parametrize("page", LIST_PAGES)
@pytest.mark.parametrize(
    ("locale", "expected"), [("de-DE", CHICAGO_NOTES_DE), ("en-US", CHICAGO_NOTES_EN)]
)
def test_a_list_in_a_repository_style_and_locale_as_citeproc_js_prints_it(
    client, listed, page, locale, expected
):
    response = client.get(
        listed[page] + f"?format=text&style=chicago-notes-bibliography&locale={locale}"
    )

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{BASENAMES[page]}-chicago-notes-bibliography-{locale}.txt"'
    )
    assert body(response).splitlines() == expected


@pytest.mark.parametrize(
    ("style", "locale"),
    [
        ("ieee", "de-DE"),
        ("ieee", None),
        ("nature", "fr"),
        ("elsevier-harvard", "de_AT"),
        ("vancouver", "de-DE"),
        ("harvard-cite-them-right", "en-US"),
    ],
)
def test_a_list_in_any_style_and_locale_equals_the_engine(client, listed, style, locale):
    query = f"?format=text&style={style}" + (f"&locale={locale}" if locale else "")

    response = client.get(listed["keyword"] + query)

    assert response.status_code == 200
    expected = render_bibliography(keyword_articles(), style=style, locale=locale)
    assert body(response).splitlines() == expected
    assert len(expected) == 3


def test_a_locale_changes_a_list_only_where_the_locale_says(client, listed):
    german = body(client.get(listed["author"] + "?format=text&style=ieee&locale=de-DE"))
    english = body(client.get(listed["author"] + "?format=text&style=ieee&locale=en-US"))

    assert german != english
    assert (
        german.replace("„", "“")
        .replace("“,", ",”")
        .replace(" und ", " and ")
        .replace("Bd.", "vol.")
        .replace("S. ", "pp. ")
        == english
    )


def test_a_long_list_streams_batch_by_batch_numbered_on(client, listed, settings):
    settings.CATALOGUE_EXPORT_BATCH_SIZE = 2

    response = client.get(listed["subject"] + "?format=text&style=ieee&locale=de-DE")
    chunks = list(response.streaming_content)

    assert isinstance(response, StreamingHttpResponse)
    assert len(chunks) == 2  # one per batch of two
    lines = b"".join(chunks).decode().splitlines()
    assert [line[:4] for line in lines] == ["[1] ", "[2] ", "[3] "]
    assert all(", Bd. " in line and ", S. " in line for line in lines)


@pytest.mark.parametrize(
    ("style", "locale"),
    [("apa", ""), ("ieee", "de-DE"), ("chicago-notes-bibliography", "fr-FR"), ("nature", "")],
)
def test_a_bibliography_costs_the_same_queries_in_every_style_and_locale(
    client, db, settings, style, locale
):
    settings.CATALOGUE_EXPORT_BATCH_SIZE = 2
    journal = make_journal()
    for n in range(5):
        make_article(journal=journal, authors=[make_author(), make_author()], year=2000 + n)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            f"/journals/{journal.pk}/export/", {"format": "text", "style": style, "locale": locale}
        )
        lines = b"".join(response.streaming_content).decode().splitlines()

    # The journal; the count; the articles' rows; then authors, contributors and keywords per
    # batch of 2 (3 batches).
    assert len(queries) == 1 + 1 + 1 + 3 * 3
    assert len(lines) == 5


def test_search_results_export_in_any_style_and_locale(client, seed):
    response = client.get(
        "/search/export/", {"q": "alliance", "format": "text", "style": "ieee", "locale": "de"}
    )

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"] == (
        'attachment; filename="catalogue-export-ieee-de-DE.txt"'
    )
    lines = body(response).splitlines()
    ordered = list(bibliography_order(Article.objects.filter(title__icontains="alliance")))
    assert lines == render_bibliography(ordered, style="ieee", locale="de-DE")
    assert lines[1] == (
        "[2] S. Zilcha-Mano, „Is the alliance really therapeutic? Revisiting this question in "
        "light of recent methodological advances“, Am Psychol, Bd. 72, Nr. 4, S. 311–325, Mai "
        "2017, doi: 10.1037/a0040435."
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"style": "nope"}, "Unknown citation style “nope”: every style id is listed at /styles/"),
        (
            {"style": "ieee", "locale": "xx"},
            "Unknown locale “xx”: every locale is listed at /styles/",
        ),
    ],
)
def test_search_export_bad_style_or_locale_is_406_on_the_search_page(client, seed, params, message):
    response = client.get("/search/export/", {"q": "alliance", "format": "text", **params})

    assert response.status_code == 406
    assert message in html_lib.unescape(response.content.decode())


# A style the engine cannot build, an engine that fails ------------------------------------------


@pytest.fixture
def broken_style(settings, tmp_path):
    """A core style whose CSL file the engine cannot build."""
    path = tmp_path / "broken.csl"
    path.write_text("Not a CSL style: the download was cut off.\n", encoding="utf-8")
    settings.CITATION_STYLES = {
        **conf.get("CITATION_STYLES"),
        "broken": {"csl": str(path), "label": "Broken"},
    }
    return "broken"


BROKEN_MESSAGE = (
    "The citation style “broken” cannot be formatted: the citation engine fails on its style "
    "file. Other styles work; choose one at /styles/"
)


@pytest.mark.parametrize("page", LIST_PAGES)
def test_a_style_the_engine_cannot_build_is_a_422_before_the_download_starts(
    client, listed, broken_style, page
):
    response = client.get(listed[page] + "?format=text&style=broken&locale=de-DE")
    other = client.get(listed[page] + "?format=text&style=ieee")

    assert response.status_code == 422
    assert not isinstance(response, StreamingHttpResponse)
    assert body(response) == BROKEN_MESSAGE + "\n"
    assert other.status_code == 200
    assert len(body(other).splitlines()) == 3


def test_a_style_the_engine_cannot_build_on_search_export_is_a_422_page(client, seed, broken_style):
    response = client.get("/search/export/", {"q": "alliance", "format": "text", "style": "broken"})

    assert response.status_code == 422
    assert BROKEN_MESSAGE in html_lib.unescape(response.content.decode())


def test_an_engine_down_is_a_503_with_retry_after(client, listed, monkeypatch):
    def down(*args, **kwargs):
        raise CitationEngineError("the engine did not start")
        yield ""  # a generator, as stream_bibliography is

    monkeypatch.setattr(exports, "stream_bibliography", down)

    response = client.get(listed["journal"] + "?format=text")

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert body(response) == (
        "The citation formatter is unavailable right now; please try again shortly.\n"
    )


def test_an_engine_failing_part_way_ends_the_download_with_a_note(client, listed, monkeypatch):
    def fails_later(*args, **kwargs):
        yield "First entry.\n"
        raise StyleError(get_style("ieee"), "out of memory")

    monkeypatch.setattr(exports, "stream_bibliography", fails_later)

    response = client.get(listed["journal"] + "?format=text&style=ieee")

    assert response.status_code == 200
    assert body(response) == "First entry.\n" + INCOMPLETE


def test_an_empty_bibliography_is_an_empty_download(client, listed):
    journal = make_journal(title="Nothing yet")

    response = client.get(f"/journals/{journal.pk}/export/?format=text&style=ieee&locale=de")

    assert response.status_code == 200
    assert body(response) == ""


@pytest.mark.parametrize("page", LIST_PAGES)
def test_an_entity_exports_bad_filter_is_a_short_plain_400(client, listed, page):
    response = client.get(listed[page] + "?format=ris&year_min=soon")

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert body(response) == "The year must be a whole number such as 2010.\n"
