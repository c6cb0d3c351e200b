"""The article page's Cite box and its reference-manager metadata (catalogue.formats.metadata:
Highwire meta tags, COinS, JSON-LD, alternate links), escaping and query counts."""

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from django.core.cache import caches

from catalogue.citations import CitationEngineError, engine, render_citations
from catalogue.formats import metadata
from catalogue.formats.bibtex import Name
from catalogue.formats.registry import EXPORT_FORMATS
from catalogue.models import Article, OutputType, PublicationState
from catalogue.records import ArticleRecord
from tests.factories import make_article, make_author, make_journal, make_keyword

REFERENCE = json.loads(
    (Path(__file__).parent / "data" / "citations" / "reference.json").read_text("utf-8")
)
STYLE_LABELS = [
    ("apa", "APA 7th edition"),
    ("harvard-cite-them-right", "Harvard (Cite Them Right)"),
    ("vancouver", "Vancouver"),
    ("modern-language-association", "MLA 9th edition"),
    ("chicago-author-date", "Chicago (author-date)"),
    ("american-medical-association", "AMA 11th edition"),
]
VANCOUVER_SEED = (
    "Zilcha-Mano S. Is the alliance really therapeutic? Revisiting this question in light of "
    "recent methodological advances. Am Psychol. 2017 May;72(4):311–25. doi:10.1037/a0040435"
)
EVIL = "<script>alert(1)</script>"


class PageParts(HTMLParser):
    """Collects what reference managers read: meta tags, links, JSON-LD, COinS, Cite box."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: list[tuple[str, str]] = []
        self.alternates: list[tuple[str, str, str]] = []
        self.scripts: list[tuple[dict, str]] = []
        self.coins: list[str] = []
        self.panels: list[dict] = []
        self.tablist: dict | None = None
        self._script: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "meta" and attributes.get("name", "").startswith("citation_"):
            self.meta.append((attributes["name"], attributes["content"]))
        elif tag == "link" and attributes.get("rel") == "alternate":
            self.alternates.append(
                (attributes["type"], attributes["href"], attributes.get("title", ""))
            )
        elif tag == "script":
            self._script = attributes
            self.scripts.append((attributes, ""))
        elif tag == "span" and attributes.get("class") == "Z3988":
            self.coins.append(attributes["title"])
        elif tag == "div" and "cite-box__panel" in attributes.get("class", "").split():
            self.panels.append(attributes)
        elif tag == "div" and attributes.get("role") == "tablist":
            self.tablist = attributes

    def handle_data(self, data):
        if self._script is not None:
            attributes, text = self.scripts[-1]
            self.scripts[-1] = (attributes, text + data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


def parts(response) -> PageParts:
    parser = PageParts()
    parser.feed(response.content.decode())
    return parser


def json_ld(response) -> dict:
    scripts = parts(response).scripts
    [text] = [text for attrs, text in scripts if attrs.get("type") == "application/ld+json"]
    return json.loads(text)


def panel_html(page: str, style: str) -> str:
    """Return the citation HTML inside a style's panel."""
    start = page.index(f'id="cite-panel-{style}"')
    start = page.index("data-cite-html>", start) + len("data-cite-html>")
    end = page.index("</div></div>", start) + len("</div>")
    return page[start:end]


# The Cite box -------------------------------------------------------------------------------


def test_cite_box_lists_every_configured_style_then_bibtex_and_ris(client, seed):
    response = client.get("/articles/1/")

    found = parts(response)
    article = Article.objects.with_related().get(pk=1)
    citations = render_citations(article)
    # Only the style the box opens on (the default) is formatted; the others are fetched.
    assert 'data-default-style="apa"' in response.content.decode()
    expected = [
        (style, label, citations[style]["text"] if style == "apa" else "")
        for style, label in STYLE_LABELS
    ]
    expected += [
        ("bibtex", "BibTeX", EXPORT_FORMATS["bibtex"].render(article).strip()),
        ("ris", "RIS", EXPORT_FORMATS["ris"].render(article).replace("\r\n", "\n").strip()),
    ]
    assert [(p["data-style"], p["data-label"], p["data-cite-text"]) for p in found.panels] == (
        expected
    )
    page = response.content.decode()
    assert re.findall(r'role="tab" id="cite-tab-([\w-]+)"', page) == [
        style for style, _label, _text in expected
    ]
    assert panel_html(page, "apa") == citations["apa"]["html"]
    for style, _label in STYLE_LABELS:
        fragment = client.get("/articles/1/cite/", {"style": style, "fragment": "1"})
        [panel] = parts(fragment).panels
        assert panel["data-cite-text"] == citations[style]["text"]
        assert panel_html(fragment.content.decode(), style) == citations[style]["html"]


def test_cite_box_apa_equals_the_citeproc_js_reference(client, seed):
    page = client.get("/articles/1/").content.decode()

    # tests/data/citations/reference.json: citeproc-js output for the zilcha2017 item.
    reference = REFERENCE["apa"]["zilcha2017"]
    assert panel_html(page, "apa") == reference["html"]["bib"]
    apa = next(p for p in parts_of(page).panels if p["data-style"] == "apa")
    assert apa["data-cite-text"] == reference["text"]["bib"]
    assert apa["data-cite-text"] == (
        "Zilcha-Mano, S. (2017). Is the alliance really therapeutic? Revisiting this question "
        "in light of recent methodological advances. American Psychologist, 72(4), 311–325. "
        "https://doi.org/10.1037/a0040435"
    )


def parts_of(page: str) -> PageParts:
    parser = PageParts()
    parser.feed(page)
    return parser


def test_cite_box_vancouver_drops_the_single_entry_label(client, seed):
    page = client.get("/articles/1/", {"cite_style": "vancouver"}).content.decode()

    vancouver = next(p for p in parts_of(page).panels if p["data-style"] == "vancouver")
    assert vancouver["data-cite-text"] == VANCOUVER_SEED
    assert panel_html(page, "vancouver") == f'<div class="csl-entry">{VANCOUVER_SEED}</div>'


def test_without_javascript_every_panel_is_shown_with_its_heading(client, seed):
    response = client.get("/articles/1/")
    page = response.content.decode()

    found = parts(response)
    assert "hidden" in found.tablist  # cite.js reveals the tabs
    assert all("hidden" not in panel for panel in found.panels)
    headings = re.findall(r'<h3 class="cite-box__label">([^<]+)</h3>', page)
    assert headings == [label for _style, label in STYLE_LABELS] + ["BibTeX", "RIS"]
    # The Copy buttons need the script: hidden until it runs. Only the style the box opens on
    # is formatted (with BibTeX and RIS); each other style links to the page showing it.
    assert page.count("data-cite-copy hidden>Copy") == 3
    assert re.findall(r'<a href="/articles/1/\?cite_style=([\w-]+)#cite-heading">Show', page) == [
        style for style, _label in STYLE_LABELS if style != "apa"
    ]
    assert '<script src="/static/catalogue/cite.js" defer></script>' in page
    assert '<link rel="stylesheet" href="/static/catalogue/cite.css">' in page


def test_cite_box_follows_the_configured_styles(client, seed, settings):
    settings.CITATION_STYLES = {
        "vancouver": {"label": "NLM", "csl": "styles/nlm-citation-sequence.csl"},
        "apa": {"label": "APA", "csl": "styles/apa.csl"},
    }
    settings.CITATION_DEFAULT_STYLE = "vancouver"

    response = client.get("/articles/1/")

    assert [(p["data-style"], p["data-label"]) for p in parts(response).panels] == [
        ("vancouver", "NLM"),
        ("apa", "APA"),
        ("bibtex", "BibTeX"),
        ("ris", "RIS"),
    ]
    assert 'data-default-style="vancouver"' in response.content.decode()


def test_a_failing_engine_leaves_bibtex_and_ris(client, db, monkeypatch):
    def fail(*args, **kwargs):
        raise CitationEngineError("citeproc-js could not be loaded")

    monkeypatch.setattr(metadata, "render_citations", fail)
    article = make_article(title="Never formatted")

    response = client.get(article.get_absolute_url())

    assert response.status_code == 200
    assert [p["data-style"] for p in parts(response).panels] == ["bibtex", "ris"]
    assert "Formatted citations are unavailable right now" in response.content.decode()
    assert 'data-default-style="bibtex"' in response.content.decode()


@pytest.mark.parametrize("warm", [False, True])
def test_article_page_with_the_cite_box_makes_ten_queries(
    client, db, django_assert_num_queries, warm
):
    article = make_article(
        authors=[make_author() for _ in range(6)], keywords=[make_keyword() for _ in range(4)]
    )
    if warm:
        client.get(article.get_absolute_url())

    # The article and journal, authorships, keywords, subject areas, contributors, citing
    # summaries, more by these authors, and the research topics (fingerprint, statistics,
    # related records): the Cite box and metadata use what is loaded (and the citation
    # cache), never the database.
    with django_assert_num_queries(10):
        response = client.get(article.get_absolute_url())

    assert response.status_code == 200


def test_each_style_formatted_once_per_cold_page_none_when_warm(client, seed, monkeypatch):
    runs = []
    format_each = engine.format_each

    def counted(style, locale, items):
        runs.append((style.id, locale, len(items)))
        return format_each(style, locale, items)

    monkeypatch.setattr(engine, "format_each", counted)
    caches["citations"].clear()

    client.get("/articles/1/")
    client.get("/articles/1/")
    client.get("/articles/2/")

    # The style the box opens on (the default) once for each cold page, in its own locale;
    # nothing for the warm one: the other styles are formatted when their tab is chosen.
    assert runs == [("apa", None, 1)] * 2
    client.get("/articles/1/cite/", {"style": "vancouver", "fragment": "1"})
    assert runs[2:] == [("vancouver", None, 1)]


def test_editing_the_record_refreshes_the_cite_box(client, seed):
    client.get("/articles/1/")
    article = Article.objects.get(pk=1)
    article.volume = "99"
    article.save()

    page = client.get("/articles/1/").content.decode()

    assert "American Psychologist, 99(4), 311–325." in page


# Escaping --------------------------------------------------------------------------------


@pytest.fixture
def evil_article(db):
    journal = make_journal(title=f"J {EVIL}", abbreviated_title=f"J {EVIL}", publisher=EVIL)
    return make_article(
        title=f"Title {EVIL} and </script><script>alert(2)</script> & <i>fine</i>",
        abstract=f"Abstract {EVIL} \"quoted\" & 'single'",
        journal=journal,
        authors=[make_author(family_name=f"Evil{EVIL}", given_names=EVIL)],
        keywords=[make_keyword(term=f"kw {EVIL}")],
        bibliographical_note=EVIL,
        volume=EVIL[:50],
        url="javascript:alert(1)",
    )


def test_user_supplied_text_never_reaches_the_page_unescaped(client, evil_article):
    response = client.get(evil_article.get_absolute_url())
    page = response.content.decode()

    assert response.status_code == 200
    assert "<script>alert" not in page
    assert "alert(2)</script>" not in page
    # Exactly the page's own scripts: the JSON-LD block, selected.js and cite.js.
    assert len(re.findall(r"<script\b", page)) == 3
    assert page.count("</script>") == 3
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_citation_html_is_escaped_by_the_engine(client, evil_article):
    page = client.get(evil_article.get_absolute_url()).content.decode()

    apa = panel_html(page, "apa")
    assert "<script" not in apa
    assert "&#60;script&#62;alert(1)&#60;/script&#62;" in apa
    # The stored CSL markup is kept as markup.
    assert "<i>fine</i>" in apa


def test_meta_tags_json_ld_and_coins_carry_the_text_escaped(client, evil_article):
    response = client.get(evil_article.get_absolute_url())
    page = response.content.decode()
    found = parts(response)

    meta = dict(found.meta)
    assert meta["citation_title"] == (f"Title {EVIL} and </script><script>alert(2)</script> & fine")
    assert meta["citation_author"] == f"Evil{EVIL}, {EVIL}"
    assert '<meta name="citation_author" content="Evil&lt;script&gt;' in page
    data = json_ld(response)
    assert data["name"] == meta["citation_title"]
    assert data["author"][0]["name"] == f"{EVIL} Evil{EVIL}"
    ld_text = page[page.index('<script type="application/ld+json">') :]
    ld_text = ld_text[: ld_text.index("</script>")]
    assert "<" not in ld_text.removeprefix('<script type="application/ld+json">')
    assert "\\u003C/script\\u003E" in ld_text
    kev = dict(parse_qsl(found.coins[0]))
    assert kev["rft.atitle"] == meta["citation_title"]
    assert 'class="Z3988" title="ctx_ver=Z39.88-2004&amp;rft_val_fmt=' in page


# Metadata for reference managers --------------------------------------------------------------


def test_highwire_meta_tags_in_order_for_the_seed_article(client, seed):
    response = client.get("/articles/1/")

    meta = parts(response).meta
    abstract = Article.objects.get(pk=1).abstract
    assert meta == [
        (
            "citation_title",
            "Is the alliance really therapeutic? Revisiting this question in light of recent "
            "methodological advances",
        ),
        ("citation_author", "Zilcha-Mano, Sigal"),
        ("citation_publication_date", "2017/05"),
        ("citation_date", "2017/05"),
        ("citation_journal_title", "American Psychologist"),
        ("citation_journal_abbrev", "Am Psychol"),
        ("citation_publisher", "American Psychological Association"),
        ("citation_volume", "72"),
        ("citation_issue", "4"),
        ("citation_firstpage", "311"),
        ("citation_lastpage", "325"),
        ("citation_doi", "10.1037/a0040435"),
        ("citation_issn", "0003-066X"),
        ("citation_issn", "1935-990X"),
        ("citation_keywords", "Active therapeutic ingredients"),
        ("citation_keywords", "Alliance"),
        ("citation_keywords", "Alliance-outcome association"),
        ("citation_keywords", "Psychotherapy process research"),
        ("citation_language", "en"),
        ("citation_abstract", abstract),
    ]


def test_highwire_authors_follow_position_order_with_particles_suffixes_and_bodies(client, db):
    authors = [
        make_author(family_name="Zed", given_names="Anna"),
        make_author(family_name="Berg", particle="van der", given_names="Jan"),
        make_author(corporate_name="Open Science Collaboration"),
        make_author(family_name="King", given_names="Martin Luther", suffix="Jr."),
    ]
    article = make_article(
        authors=authors,
        year=2015,
        month=8,
        day=28,
        article_number="aac4716",
        pmid="26315443",
    )

    meta = parts(client.get(article.get_absolute_url())).meta

    assert [value for name, value in meta if name == "citation_author"] == [
        "Zed, Anna",
        "van der Berg, Jan",
        "Open Science Collaboration",
        "King, Martin Luther, Jr.",
    ]
    assert ("citation_publication_date", "2015/08/28") in meta
    assert ("citation_firstpage", "aac4716") in meta
    assert ("citation_pmid", "26315443") in meta
    assert "citation_lastpage" not in dict(meta)


@pytest.mark.parametrize(
    ("output_type", "tag"),
    [
        (OutputType.THESIS, "citation_dissertation_institution"),
        (OutputType.REPORT, "citation_technical_report_institution"),
    ],
)
def test_a_thesis_or_report_names_its_institution_for_scholar(client, db, output_type, tag):
    article = make_article(journal=None, output_type=output_type, publisher="Univ. of Bern")

    meta = parts(client.get(article.get_absolute_url())).meta

    assert (tag, "Univ. of Bern") in meta
    assert ("citation_publisher", "Univ. of Bern") in meta
    assert "citation_journal_title" not in dict(meta)


def test_a_book_has_no_institution_tags(client, db):
    article = make_article(journal=None, output_type=OutputType.BOOK, publisher="Wiley")

    names = {name for name, _ in parts(client.get(article.get_absolute_url())).meta}

    assert "citation_publisher" in names
    assert not names & {
        "citation_dissertation_institution",
        "citation_technical_report_institution",
    }


def test_an_undated_article_has_no_date_tags(client, db):
    article = make_article(year=None, state=PublicationState.IN_PRESS, journal=None)

    meta = dict(parts(client.get(article.get_absolute_url())).meta)

    assert "citation_publication_date" not in meta and "citation_date" not in meta
    assert "citation_journal_title" not in meta


def test_coins_decodes_back_to_the_record(client, seed):
    found = parts(client.get("/articles/3/"))

    [title] = found.coins
    pairs = parse_qsl(title, keep_blank_values=True)
    assert pairs == [
        ("ctx_ver", "Z39.88-2004"),
        ("rft_val_fmt", "info:ofi/fmt:kev:mtx:journal"),
        ("rft.genre", "article"),
        ("rft.atitle", "The alliance in adult psychotherapy: A meta-analytic synthesis"),
        ("rft.jtitle", "Psychotherapy"),
        ("rft.stitle", "Psychotherapy (Chic)"),
        ("rft.aulast", "Flückiger"),
        ("rft.aufirst", "Christoph"),
        ("rft.au", "Christoph Flückiger"),
        ("rft.au", "A. C. Del Re"),
        ("rft.au", "Bruce E. Wampold"),
        ("rft.au", "Adam O. Horvath"),
        ("rft.date", "2018"),
        ("rft.volume", "55"),
        ("rft.issue", "4"),
        ("rft.spage", "316"),
        ("rft.epage", "340"),
        ("rft.pages", "316–340"),  # as printed
        ("rft.pub", "American Psychological Association"),
        ("rft.language", "en"),
        ("rft.issn", "0033-3204"),
        ("rft.eissn", "1939-1536"),
        ("rft_id", "info:doi/10.1037/pst0000172"),
    ]
    # URL-encoded (no raw spaces or slashes), then HTML-escaped in the attribute.
    assert " " not in title and "rft_id=info%3Adoi%2F10.1037%2Fpst0000172" in title
    page = client.get("/articles/3/").content.decode()
    assert html.escape(title, quote=True).replace("&#x27;", "'") in page


def test_coins_for_a_corporate_author_and_article_number():
    record = ArticleRecord(
        pk=1,
        title="A title",
        journal_title="Science",
        year=2015,
        authors=[Name(corporate="Open Science Collaboration")],
        article_number="aac4716",
    )

    pairs = dict(parse_qsl(metadata.coins(record)))

    assert pairs["rft.aucorp"] == "Open Science Collaboration"
    assert pairs["rft.artnum"] == "aac4716"
    assert "rft.aulast" not in pairs


def test_json_ld_describes_the_scholarly_article(client, seed):
    data = json_ld(client.get("/articles/3/"))

    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "ScholarlyArticle"
    assert data["@id"] == data["url"] == "http://testserver/articles/3/"
    assert data["name"] == "The alliance in adult psychotherapy: A meta-analytic synthesis"
    assert data["datePublished"] == "2018"
    assert [author["name"] for author in data["author"]] == [
        "Christoph Flückiger",
        "A. C. Del Re",
        "Bruce E. Wampold",
        "Adam O. Horvath",
    ]
    assert data["author"][1] == {
        "@type": "Person",
        "name": "A. C. Del Re",
        "familyName": "Del Re",
        "givenName": "A. C.",
    }
    assert data["isPartOf"] == {
        "@type": "PublicationIssue",
        "issueNumber": "4",
        "isPartOf": {
            "@type": "PublicationVolume",
            "volumeNumber": "55",
            "isPartOf": {
                "@type": "Periodical",
                "name": "Psychotherapy",
                "alternateName": "Psychotherapy (Chic)",
                "issn": ["0033-3204", "1939-1536"],
                "publisher": {
                    "@type": "Organization",
                    "name": "American Psychological Association",
                },
            },
        },
    }
    assert (data["pageStart"], data["pageEnd"], data["pagination"]) == ("316", "340", "316–340")
    assert data["sameAs"] == "https://doi.org/10.1037/pst0000172"
    assert data["keywords"] == ["Alliance"]
    assert data["inLanguage"] == "en"


def test_json_ld_date_keeps_its_precision_and_corporate_authors_are_organisations(client, db):
    article = make_article(
        authors=[make_author(corporate_name="Open Science Collaboration")], year=2015, month=8
    )

    data = json_ld(client.get(article.get_absolute_url()))

    assert data["datePublished"] == "2015-08"
    assert data["author"] == [{"@type": "Organization", "name": "Open Science Collaboration"}]


def test_alternate_links_point_at_each_export(client, seed):
    found = parts(client.get("/articles/1/"))

    assert found.alternates == [
        ("application/x-bibtex", "/articles/1/?format=bibtex", "BibTeX"),
        ("application/x-research-info-systems", "/articles/1/?format=ris", "RIS"),
        ("application/vnd.citationstyles.csl+json", "/articles/1/?format=csl-json", "CSL-JSON"),
    ]
    for media_type, href, _title in found.alternates:
        response = client.get(href)
        assert response.status_code == 200
        assert response["Content-Type"] == f"{media_type}; charset=utf-8"
