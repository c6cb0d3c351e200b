"""Citation styles for readers (catalogue/views/styles.py and the Cite box's "More styles"):
the /styles/ page with search and pages, its JSON type-ahead, /styles/<id>.csl, the article's
citation as JSON, the choice remembered in cookies and the form that works without JavaScript,
bad and hostile input (never a 500), and query counts."""

import json
import re
from html import unescape

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue.citations import (
    StyleError,
    all_styles,
    available_locales,
    get_style,
    render_citation,
    search_styles,
)
from catalogue.formats import metadata
from catalogue.models import Article
from catalogue.views import styles as style_views
from tests.factories import CORE_STYLE_IDS

CORE = CORE_STYLE_IDS
CSL_TYPE = "application/vnd.citationstyles.style+xml; charset=utf-8"
EVIL = "<script>alert(1)</script>"
YEAR = 365 * 24 * 60 * 60
NATURE_SEED = (
    "Zilcha-Mano, S. Is the alliance really therapeutic? Revisiting this question in light of "
    "recent methodological advances. Am Psychol 72, 311–325 (2017)."
)


def page_styles(response) -> list[str]:
    """Return the style ids listed on a /styles/ page, in order."""
    return re.findall(r'<li class="result style-list__style" data-style="([^"]+)">', text(response))


def text(response) -> str:
    return response.content.decode()


def panels(response) -> list[tuple[str, str, str]]:
    """Return each Cite box panel's (element id, data-style, data-label), in order."""
    found = re.findall(
        r'<div class="cite-box__panel [^"]*" id="cite-panel-([\w-]+)" data-style="([^"]*)" '
        r'data-locale="[^"]*" data-label="([^"]*)"',
        text(response),
    )
    return [(anchor, style, unescape(label)) for anchor, style, label in found]


def panel_text(response, anchor: str) -> str:
    match = re.search(
        rf'id="cite-panel-{re.escape(anchor)}"[^>]*data-cite-text="([^"]*)"', text(response)
    )
    assert match, anchor
    return unescape(match.group(1))


def default_tab(response) -> str:
    return re.search(r'data-default-style="([^"]*)"', text(response)).group(1)


def notice(response) -> str:
    match = re.search(
        r'<div class="cite-box__notice" data-cite-notice>\s*<p class="cite-box__error">(.*?)</p>',
        text(response),
        re.DOTALL,
    )
    return unescape(match.group(1)) if match else ""


def cookie(response, name: str):
    return response.cookies.get(name)


def cite_cookies(response) -> list[str]:
    """Return the Cite box cookies the response sets (a page with a Select button also sets
    Django's CSRF cookie, which is not the Cite box's)."""
    return [
        name
        for name in (style_views.STYLE_COOKIE, style_views.LOCALE_COOKIE)
        if name in response.cookies
    ]


@pytest.fixture
def seed_article(seed):
    return Article.objects.with_related().get(pk=1)


# The /styles/ page ---------------------------------------------------------------------------


def test_style_list_shows_every_style_a_hundred_a_page(client, db, django_assert_num_queries):
    everything = all_styles()

    with django_assert_num_queries(0):
        response = client.get("/styles/")

    assert response.status_code == 200
    assert page_styles(response) == [style.id for style in everything[:100]]
    assert page_styles(response)[:6] == CORE
    total = f"{len(everything):,}"
    assert f"Showing 1–100 of {total} styles" in text(response)
    assert f"each of these {total} styles" in text(response)
    last = (len(everything) - 1) // 100 + 1
    assert f'href="?page={last}"' in text(response)

    response = client.get(f"/styles/?page={last}")

    assert page_styles(response) == [style.id for style in everything[(last - 1) * 100 :]]


def test_style_list_shows_each_styles_facts_and_file(client, db):
    nature = get_style("nature")

    response = client.get("/styles/?q=nature")

    page = text(response)
    start = page.index('data-style="nature"')
    entry = page[start : page.index("</li>", start)]
    assert '<h3 class="style-list__title">Nature</h3>' in entry
    assert "<dt>Id</dt><dd><code>nature</code></dd>" in entry
    assert f"<dt>Citation format</dt><dd>{nature.citation_format}</dd>" in entry
    assert nature.citation_format == "numeric"
    assert f"<dt>Default language</dt><dd>{nature.default_locale}</dd>" in entry
    assert f"<dt>Fields</dt><dd>{', '.join(nature.fields)}</dd>" in entry
    assert '<a href="/styles/nature.csl" type="application/vnd.citationstyles.style+xml">' in entry
    # Without a record to go back to: how to use a style, no per-style link.
    assert "Use in the Cite box" not in page
    assert "<code>/articles/1/?cite_style=nature</code>" in page


def test_style_list_search_filters_on_the_server(client, db):
    response = client.get("/styles/", {"q": "  nature  "})

    expected = [style.id for style in search_styles("nature", limit=10_000)]
    assert page_styles(response) == expected
    assert expected[:3] == ["nature", "nature-brackets", "nature-no-et-al"]
    assert f"{len(expected)} styles, the closest matches first" in text(response)
    assert "Showing" not in text(response)
    assert 'value="nature"' in text(response)
    assert "Styles matching “nature”" in text(response)


def test_style_list_search_results_are_paginated_keeping_the_search(client, db):
    expected = [style.id for style in search_styles("journal", limit=10_000)]
    assert len(expected) > 200

    response = client.get("/styles/", {"q": "journal", "page": "2"})

    assert page_styles(response) == expected[100:200]
    assert f"Showing 101–200 of {len(expected)} styles" in text(response)
    assert 'href="?q=journal&amp;page=3" rel="next"' in text(response)


def test_style_list_search_by_accentless_words_of_a_title(client, db):
    response = client.get("/styles/", {"q": "chicago author date"})

    assert page_styles(response)[0] == "chicago-author-date"
    assert all("chicago" in style_id for style_id in page_styles(response))


def test_style_list_search_without_a_match(client, db):
    response = client.get("/styles/", {"q": "zzzzqqq"})

    assert response.status_code == 200
    assert page_styles(response) == []
    assert "No style matches “zzzzqqq”" in text(response)


def test_style_list_lists_the_locales(client, db):
    page = text(client.get("/styles/"))

    locales = available_locales()
    listed = re.findall(r"<li><code>([\w-]+)</code> ([^<]+)</li>", page)
    assert [(tag, unescape(name)) for tag, name in listed] == list(locales.items())
    assert ("de-DE", locales["de-DE"]) in listed
    assert f"any of these {len(locales)} languages" not in page  # the header says it once:
    assert f"any of {len(locales)} languages" in page


def test_style_list_from_a_record_links_back_in_each_style(client, db):
    response = client.get("/styles/", {"q": "nature", "article": "7"})

    page = text(response)
    assert (
        '<a href="/articles/7/?cite_style=nature#cite-heading" '
        'aria-label="Use in the Cite box: Nature">Use in the Cite box</a>'
    ) in page
    assert '<input type="hidden" name="article" value="7">' in page
    assert '<a href="/articles/7/#cite-heading">Back to the record</a>' in page


@pytest.mark.parametrize(
    "article", ["x", "-1", "1/../2", "１", "9" * 40, EVIL, "1\x00", "1.5", " 7"]
)
def test_style_list_ignores_a_bad_article(client, db, article):
    response = client.get("/styles/", {"q": "nature", "article": article})

    assert response.status_code == 200
    assert "Use in the Cite box" not in text(response)
    assert 'name="article"' not in text(response)


@pytest.mark.parametrize("page_number", ["0", "-3", "abc", "99999", EVIL])
def test_style_list_bad_page_falls_back_to_a_real_page(client, db, page_number):
    response = client.get("/styles/", {"page": page_number})

    assert response.status_code == 200
    assert len(page_styles(response)) > 0


@pytest.mark.parametrize(
    "query", [EVIL, "a\x00b", "\ud7ff", "'\"", "%", "_", "../../etc/passwd", "x" * 200]
)
def test_style_list_hostile_search_is_escaped_never_a_500(client, db, query):
    response = client.get("/styles/", {"q": query})

    assert response.status_code == 200
    assert "<script>alert(1)" not in text(response)


def test_style_list_escapes_the_query(client, db):
    page = text(client.get("/styles/", {"q": EVIL}))

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page


def test_style_list_refuses_an_overlong_search_and_an_unknown_format(client, db):
    response = client.get("/styles/", {"q": "x" * 201})
    assert response.status_code == 400
    assert text(response) == "The search is too long: at most 200 characters."

    response = client.get("/styles/", {"q": "x" * 201, "format": "json"})
    assert response.status_code == 400
    assert response.json() == {"error": "The search is too long: at most 200 characters."}

    response = client.get("/styles/", {"format": "xml"})
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert text(response) == "Unknown format: /styles/ answers format=json or HTML."


# The type-ahead (JSON) -----------------------------------------------------------------------


def test_typeahead_returns_twenty_matches_with_their_facts(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/styles/", {"q": "harvard", "format": "json"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    expected = search_styles("harvard")
    assert len(expected) == 20
    assert data["query"] == "harvard"
    assert [result["id"] for result in data["results"]] == [style.id for style in expected]
    assert data["results"][0]["id"] == "harvard-cite-them-right"

    data = client.get("/styles/", {"q": "nature", "format": "json"}).json()

    nature = get_style("nature")
    assert data["results"][0] == {
        "id": "nature",
        "title": "Nature",
        "title_short": nature.title_short,
        "format": "numeric",
        "default_locale": nature.default_locale,
        "fields": list(nature.fields),
        "core": False,
        "url": "/styles/nature.csl",
    }


def test_typeahead_puts_core_styles_first(client, db):
    data = client.get("/styles/", {"q": "apa", "format": "json"}).json()

    assert data["results"][0]["id"] == "apa"
    assert data["results"][0]["core"] is True
    assert data["results"][0]["title"] == "APA 7th edition"


@pytest.mark.parametrize("query", ["", "   ", "zzzzqqq", EVIL, "\x00"])
def test_typeahead_without_matches_is_an_empty_list(client, db, query):
    response = client.get("/styles/", {"q": query, "format": "json"})

    assert response.status_code == 200
    assert response.json() == {"query": query.strip(), "results": []}


# /styles/<id>.csl ----------------------------------------------------------------------------


@pytest.mark.parametrize("style_id", ["nature", "apa", "vancouver", "ieee"])
def test_style_file_serves_the_csl_file(client, db, django_assert_num_queries, style_id):
    with django_assert_num_queries(0):
        response = client.get(f"/styles/{style_id}.csl")

    assert response.status_code == 200
    assert response.content == get_style(style_id).path.read_bytes()
    assert response.content.startswith(b"<?xml")
    assert response["Content-Type"] == CSL_TYPE
    assert response["Content-Disposition"] == f'inline; filename="{style_id}.csl"'
    assert response["Cache-Control"] == "public, max-age=86400"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert re.fullmatch(r'"[0-9a-f]{32}"', response["ETag"])


def test_style_file_answers_304_when_unchanged(client, db):
    etag = client.get("/styles/nature.csl")["ETag"]

    response = client.get("/styles/nature.csl", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


def test_style_file_of_an_unknown_style_is_a_404_saying_so(client, db):
    response = client.get("/styles/no-such-style.csl")

    assert response.status_code == 404
    assert (
        "There is no citation style “no-such-style”: see the list of styles at /styles/."
        in text(response)
    )


@pytest.mark.parametrize(
    "path",
    [
        "/styles/..csl",
        "/styles/...csl",
        "/styles/....csl",
        "/styles/%2E%2E.csl",
        "/styles/..%2F..%2Fsettings.csl",
        "/styles/..%2F..%2F..%2Fcatalogue%2Fcsl%2Fstyles%2Fapa.csl",
        "/styles/%2Fetc%2Fpasswd.csl",
        "/styles/..%5C..%5Capa.csl",
        "/styles/apa%00.csl",
        "/styles/%00.csl",
        "/styles/.csl",
        "/styles/APA.csl",
        "/styles/apa.csl.csl",
        "/styles/%3Cscript%3E.csl",
        "/styles/" + "a" * 5000 + ".csl",
        "/styles/%F0%9F%92%A9.csl",
        "/styles/%FF.csl",
        "/styles/apa",
        "/styles/apa.xml",
    ],
)
def test_style_file_rejects_hostile_ids_with_a_404(client, db, path):
    response = client.get(path)

    assert response.status_code == 404
    assert b"<?xml" not in response.content
    assert b"<script>" not in response.content


# The article's citation as JSON (the type-ahead's choice) -----------------------------------


def test_article_citation_in_a_repository_style(client, seed_article, django_assert_num_queries):
    render_citation(seed_article, style="nature")  # warm the cache: the count is the view's own

    # The article row, authorships, contributors, keywords.
    with django_assert_num_queries(4):
        response = client.get("/articles/1/cite/", {"style": "nature"})

    assert response.status_code == 200
    citation = render_citation(seed_article, style="nature")
    assert response.json() == {
        "tab": "chosen",
        "style": "nature",
        "locale": "",
        "label": "Nature",
        "text": citation["text"],
        "html": citation["html"],
        "download_url": "/articles/1/?format=text&style=nature",
    }
    assert citation["text"] == NATURE_SEED
    assert not cite_cookies(response)


def test_article_citation_in_a_locale(client, seed_article):
    mla = "modern-language-association"

    response = client.get("/articles/1/cite/", {"style": mla, "locale": "de_de"})

    data = response.json()
    german = render_citation(seed_article, style=mla, locale="de-DE")
    assert data["tab"] == "chosen"
    assert (data["style"], data["locale"], data["label"]) == (
        mla,
        "de-DE",
        "MLA 9th edition (de-DE)",
    )
    assert data["text"] == german["text"]
    assert german["text"].startswith("Zilcha-Mano, Sigal. „Is the Alliance Really Therapeutic?")
    assert ", Bd. 72, Nr. 4, Mai 2017, S. 311–25," in german["text"]
    assert data["download_url"] == f"/articles/1/?format=text&style={mla}&locale=de-DE"


@pytest.mark.parametrize(
    ("style", "locale", "tab"),
    [
        ("apa", "", "apa"),
        ("vancouver", "", "vancouver"),
        ("apa", "en-US", "apa"),  # the style's own language: its tab
        ("apa", "en", "apa"),
        ("bibtex", "", "bibtex"),
        ("ris", "de-DE", "ris"),
    ],
)
def test_article_citation_of_a_tab_the_box_has_names_the_tab(client, seed, style, locale, tab):
    response = client.get("/articles/1/cite/", {"style": style, "locale": locale})

    assert response.status_code == 200
    assert response.json() == {"tab": tab, "style": tab, "locale": ""}


@pytest.mark.parametrize(
    ("query", "status", "error"),
    [
        ({}, 400, "Give a style: ?style=<id> (see /styles/)."),
        (
            {"style": "no-such-style"},
            400,
            "Unknown citation style “no-such-style”: choose one under “More styles”, or "
            "browse every style.",
        ),
        (
            {"style": "nature", "locale": "xx-YY"},
            400,
            "Unknown language “xx-YY”: choose one from the list under “More styles”.",
        ),
        (
            {"style": EVIL},
            400,
            f"Unknown citation style “{EVIL}”: choose one under “More styles”, or browse "
            "every style.",
        ),
        (
            {"style": "a\x00b"},
            400,
            "Unknown citation style “a\ufffdb”: choose one under “More styles”, or browse "
            "every style.",
        ),
        (
            {"style": "x" * 500},
            400,
            f"Unknown citation style “{'x' * 59}…”: choose one under “More styles”, or "
            "browse every style.",
        ),
        (
            {"style": "../../catalogue/settings"},
            400,
            "Unknown citation style “../../catalogue/settings”: choose one under “More "
            "styles”, or browse every style.",
        ),
    ],
)
def test_article_citation_refuses_bad_input_with_a_message(client, seed, query, status, error):
    response = client.get("/articles/1/cite/", query)

    assert response.status_code == status
    assert response.json() == {"error": error}


def test_article_citation_of_an_unknown_article_is_a_json_404(client, db):
    response = client.get("/articles/999/cite/", {"style": "nature"})

    assert response.status_code == 404
    assert response.json() == {"error": "There is no article with the id 999."}


def broken(style_id: str):
    """Make render_citation fail for `style_id` as citeproc-js does for a style it cannot build."""
    original = metadata.render_citation

    def render(record, *, style, locale=None):
        if style == style_id:
            raise StyleError(get_style(style), "citeproc-js: bad CSL")
        return original(record, style=style, locale=locale)

    return render


def test_article_citation_of_a_style_the_engine_cannot_build_is_a_422(client, seed, monkeypatch):
    monkeypatch.setattr(metadata, "render_citation", broken("nature"))

    response = client.get("/articles/1/cite/", {"style": "nature"})

    assert response.status_code == 422
    assert response.json() == {
        "error": "The style “Nature” cannot be used: the citation engine could not build it. "
        "The other styles below still work."
    }
    # Other styles keep working.
    assert client.get("/articles/1/cite/", {"style": "ieee"}).json()["tab"] == "chosen"


# The Cite box: a chosen style without JavaScript, remembered in cookies ----------------------


def assert_core_tabs_work(response) -> None:
    """The six core styles, BibTeX and RIS are all in the box: the core style the box opens on
    formatted, each other one deferred (no text, a link to the page in it), the exports' text."""
    found = [style for anchor, style, _label in panels(response) if anchor != "chosen"]
    assert found == [*CORE, "bibtex", "ris"]
    opened = default_tab(response)
    for style in CORE:
        link = f'<a href="/articles/1/?cite_style={style}#cite-heading">Show the citation in '
        if style == opened:
            assert panel_text(response, style)
            assert link not in text(response)
        else:
            assert panel_text(response, style) == ""
            assert link in text(response)
    if opened == "apa":
        assert panel_text(response, "apa").startswith("Zilcha-Mano, S. (2017). Is the alliance")
    assert panel_text(response, "ris").startswith("TY  - ")


def assert_remembered(response, style: str, locale: str = "") -> None:
    stored = cookie(response, style_views.STYLE_COOKIE)
    assert stored.value == style
    assert stored["max-age"] == YEAR
    assert stored["samesite"] == "Lax"
    assert stored["path"] == "/"
    kept = cookie(response, style_views.LOCALE_COOKIE)
    if locale:
        assert (kept.value, kept["max-age"], kept["samesite"]) == (locale, YEAR, "Lax")
    else:
        assert (kept.value, kept["max-age"]) == ("", 0)  # dropped


def test_a_chosen_style_is_an_extra_selected_tab_and_remembered(client, seed_article):
    response = client.get("/articles/1/", {"cite_style": "nature"})

    assert response.status_code == 200
    assert panels(response)[0] == ("chosen", "nature", "Nature")
    assert panel_text(response, "chosen") == NATURE_SEED
    assert default_tab(response) == "chosen"
    assert (
        '<button type="button" class="cite-box__tab cite-box__tab--chosen" role="tab" '
        'id="cite-tab-chosen" aria-controls="cite-panel-chosen" aria-selected="false" '
        'tabindex="-1" data-style="nature" data-locale="">Nature</button>'
    ) in text(response)
    assert_core_tabs_work(response)
    assert_remembered(response, "nature")
    assert "Cookie" in response["Vary"] and "Accept" in response["Vary"]
    assert notice(response) == ""


def test_a_chosen_style_in_a_chosen_language(client, seed_article):
    response = client.get("/articles/1/", {"cite_style": "vancouver", "cite_locale": "de"})

    german = render_citation(seed_article, style="vancouver", locale="de-DE")
    assert panels(response)[0] == ("chosen", "vancouver", "Vancouver (de-DE)")
    assert panel_text(response, "chosen") == german["text"]
    assert "Am Psychol. Mai 2017;72(4):311–25." in german["text"]
    assert '<option value="de-DE" selected>' in text(response)
    assert_core_tabs_work(response)  # Vancouver in its own language too
    assert_remembered(response, "vancouver", "de-DE")


def test_the_remembered_choice_is_shown_without_setting_cookies_again(client, seed):
    client.cookies["cite_style"] = "nature"
    client.cookies["cite_locale"] = "fr-FR"

    response = client.get("/articles/1/")

    assert panels(response)[0] == ("chosen", "nature", "Nature (fr-FR)")
    assert default_tab(response) == "chosen"
    assert not cite_cookies(response)
    assert '<option value="fr-FR" selected>' in text(response)


@pytest.mark.parametrize("style", ["vancouver", "ris", "bibtex"])
def test_a_remembered_tab_of_the_box_is_selected(client, seed, style):
    client.cookies["cite_style"] = style

    response = client.get("/articles/1/")

    assert default_tab(response) == style
    assert "chosen" not in [anchor for anchor, _style, _label in panels(response)]
    assert_core_tabs_work(response)


def test_a_core_style_in_its_own_language_selects_its_tab(client, seed):
    response = client.get("/articles/1/", {"cite_style": "vancouver", "cite_locale": "en-US"})

    assert default_tab(response) == "vancouver"
    assert "chosen" not in [anchor for anchor, _style, _label in panels(response)]
    assert_remembered(response, "vancouver")


def test_a_language_alone_applies_to_the_remembered_style(client, seed):
    client.cookies["cite_style"] = "nature"

    response = client.get("/articles/1/", {"cite_q": "", "cite_locale": "es-ES"})

    assert panels(response)[0] == ("chosen", "nature", "Nature (es-ES)")
    assert_remembered(response, "nature", "es-ES")


def test_a_language_alone_without_a_remembered_style_uses_the_default_one(client, seed):
    response = client.get("/articles/1/", {"cite_locale": "de-DE"})

    assert response.status_code == 200
    assert_core_tabs_work(response)
    assert default_tab(response) == "apa"
    assert not cite_cookies(response)


def test_the_style_s_own_language_clears_the_remembered_one(client, seed):
    client.cookies["cite_style"] = "nature"
    client.cookies["cite_locale"] = "de-DE"

    response = client.get("/articles/1/", {"cite_q": "", "cite_locale": ""})

    assert panels(response)[0] == ("chosen", "nature", "Nature")
    assert_remembered(response, "nature")


def test_the_form_without_javascript_lists_the_matching_styles(client, seed):
    response = client.get("/articles/1/", {"cite_q": "natur", "cite_locale": "de-DE"})

    assert response.status_code == 200
    assert notice(response) == "Styles matching “natur”: choose one."
    matches = re.search(r'<ul class="cite-box__matches".*?</ul>', text(response), re.DOTALL)
    links = re.findall(r'<li><a href="([^"]+)">([^<]+)</a>', matches.group(0))
    expected = search_styles("natur")
    assert len(expected) == 20
    assert [(unescape(href), unescape(label)) for href, label in links] == [
        (f"/articles/1/?cite_style={style.id}&cite_locale=de-DE#cite-heading", style.label)
        for style in expected
    ]
    assert 'value="natur"' in text(response)
    assert '<option value="de-DE" selected>' in text(response)
    assert not cite_cookies(response)
    assert_core_tabs_work(response)


def test_the_form_without_javascript_takes_the_one_match_or_an_exact_id(client, seed):
    response = client.get("/articles/1/", {"cite_q": "nature neuroscience brief"})

    assert panels(response)[0] == (
        "chosen",
        "nature-neuroscience-brief-communications",
        "Nature Neuroscience (brief communications)",
    )
    assert_remembered(response, "nature-neuroscience-brief-communications")

    response = client.get("/articles/1/", {"cite_q": "ieee"})

    assert panels(response)[0] == ("chosen", "ieee", get_style("ieee").label)


def test_the_form_without_javascript_says_when_nothing_matches(client, seed):
    response = client.get("/articles/1/", {"cite_q": "zzzzqqq"})

    assert notice(response) == "No style matches “zzzzqqq”: try other words, or browse every style."
    assert '<a href="/styles/?article=1">Browse every style</a>' in text(response)
    assert not cite_cookies(response)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"cite_style": "no-such-style"},
            "Unknown citation style “no-such-style”: choose one under “More styles”, or "
            "browse every style.",
        ),
        (
            {"cite_style": EVIL},
            f"Unknown citation style “{EVIL}”: choose one under “More styles”, or browse "
            "every style.",
        ),
        (
            {"cite_style": "nature", "cite_locale": "tlh-QO"},
            "Unknown language “tlh-QO”: choose one from the list under “More styles”.",
        ),
        (
            {"cite_style": "nature", "cite_locale": EVIL},
            f"Unknown language “{EVIL}”: choose one from the list under “More styles”.",
        ),
        (
            {"cite_style": "a\x00\x1b[31mb"},
            "Unknown citation style “a\ufffd\ufffd[31mb”: choose one under “More styles”, or "
            "browse every style.",
        ),
        (
            {"cite_style": "../../../etc/passwd"},
            "Unknown citation style “../../../etc/passwd”: choose one under “More styles”, "
            "or browse every style.",
        ),
        (
            {"cite_style": "y" * 100_00},
            f"Unknown citation style “{'y' * 59}…”: choose one under “More styles”, or "
            "browse every style.",
        ),
        (
            {"cite_q": "z" * 300},
            f"No style matches “{'z' * 59}…”: try other words, or browse every style.",
        ),
    ],
)
def test_a_bad_choice_says_so_and_the_core_tabs_still_work(client, seed, params, message):
    response = client.get("/articles/1/", params)

    assert response.status_code == 200
    assert notice(response) == message
    assert_core_tabs_work(response)
    assert default_tab(response) == "apa"
    assert not cite_cookies(response)  # what was remembered stays
    assert "<script>alert" not in text(response)


@pytest.mark.parametrize(
    ("cookies", "message"),
    [
        (
            {"cite_style": "retired-style"},
            "Unknown citation style “retired-style”: choose one under “More styles”, or "
            "browse every style.",
        ),
        (
            {"cite_style": "nature", "cite_locale": "xx-XX"},
            "Unknown language “xx-XX”: choose one from the list under “More styles”.",
        ),
        (
            {"cite_style": "%3Cscript%3E"},
            "Unknown citation style “%3Cscript%3E”: choose one under “More styles”, or browse "
            "every style.",
        ),
    ],
)
def test_a_bad_remembered_choice_says_so_and_is_forgotten(client, seed, cookies, message):
    for name, value in cookies.items():
        client.cookies[name] = value

    response = client.get("/articles/1/")

    assert response.status_code == 200
    assert notice(response) == message
    assert_core_tabs_work(response)
    for name in ("cite_style", "cite_locale"):
        assert (cookie(response, name).value, cookie(response, name)["max-age"]) == ("", 0)


def test_a_style_the_engine_cannot_build_says_so_and_the_others_work(client, seed, monkeypatch):
    monkeypatch.setattr(metadata, "render_citation", broken("nature"))

    response = client.get("/articles/1/", {"cite_style": "nature"})

    assert response.status_code == 200
    assert notice(response) == (
        "The style “Nature” cannot be used: the citation engine could not build it. The "
        "other styles below still work."
    )
    assert_core_tabs_work(response)
    assert not cite_cookies(response)

    client.cookies["cite_style"] = "nature"  # remembered earlier: kept, the engine may recover
    response = client.get("/articles/1/")

    assert notice(response).startswith("The style “Nature” cannot be used")
    assert not cite_cookies(response)


def test_the_language_choice_lists_every_locale(client, seed):
    page = text(client.get("/articles/1/"))

    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', page)
    assert options[0] == ("", "", "The style’s own")
    assert [(tag, unescape(name)) for tag, _selected, name in options[1:]] == list(
        available_locales().items()
    )
    assert not any(selected for _tag, selected, _name in options)


def test_the_no_javascript_form_goes_back_to_the_box(client, seed):
    page = text(client.get("/articles/1/"))

    assert (
        '<form class="cite-box__styles" method="get" action="/articles/1/#cite-heading" '
        'role="search" aria-labelledby="cite-more-heading" data-cite-more>'
    ) in page
    assert '<input id="cite-style-input" type="search" name="cite_q" value=""' in page
    assert '<select id="cite-locale" name="cite_locale" data-cite-locale>' in page
    assert 'data-cite-url="/articles/1/cite/" data-styles-url="/styles/"' in page


@pytest.mark.parametrize("cached", [False, True])
def test_article_page_with_a_chosen_style_makes_no_more_queries(
    client, seed, django_assert_num_queries, cached
):
    # The record page's own count (the record page's tests fix it): a chosen style adds none.
    caches["default"].clear()
    with CaptureQueriesContext(connection) as plain:
        client.get("/articles/1/")
    # Counted now: the next request empties the connection's query log.
    expected = len(plain.captured_queries)
    if cached:
        client.get("/articles/1/", {"cite_style": "nature"})
    else:
        caches["citations"].clear()

    with django_assert_num_queries(expected):
        response = client.get("/articles/1/", {"cite_style": "nature"})

    assert panels(response)[0][0] == "chosen"


def test_a_chosen_style_follows_edits_of_the_record(client, seed):
    client.get("/articles/1/", {"cite_style": "nature"})
    article = Article.objects.get(pk=1)
    article.volume = "99"
    article.save()

    response = client.get("/articles/1/", {"cite_style": "nature"})

    assert "Am Psychol 99, 311–325 (2017)." in panel_text(response, "chosen")


def test_user_supplied_text_in_a_chosen_style_is_escaped(client, db):
    from tests.factories import make_article, make_author

    article = make_article(
        title=f"Title {EVIL} & <i>fine</i>", authors=[make_author(family_name=EVIL)]
    )

    response = client.get(article.get_absolute_url(), {"cite_style": "nature"})

    page = text(response)
    assert "<script>alert" not in page
    start = page.index('id="cite-panel-chosen"')
    chosen = page[start : page.index('<p class="cite-box__actions">', start)]
    assert "&#60;script&#62;alert(1)&#60;/script&#62;" in chosen
    assert "<i>fine</i>" in chosen
    data = client.get(f"/articles/{article.pk}/cite/", {"style": "nature"}).json()
    assert "<script" not in data["html"]
    assert json.dumps(data)  # plain JSON


def test_the_page_and_the_json_share_the_citation_cache(client, seed, monkeypatch):
    from catalogue.citations import engine

    caches["citations"].clear()
    client.get("/articles/1/", {"cite_style": "nature", "cite_locale": "fr-FR"})
    runs = []
    format_each = engine.format_each

    def counted(style, locale, items):
        runs.append(style.id)
        return format_each(style, locale, items)

    monkeypatch.setattr(engine, "format_each", counted)

    data = client.get("/articles/1/cite/", {"style": "nature", "locale": "fr-FR"}).json()
    client.get("/articles/1/", {"cite_style": "nature", "cite_locale": "fr-FR"})

    assert runs == []
    assert data["label"] == "Nature (fr-FR)"


# The Cite box's deferred tabs: one core style's panel, fetched by cite.js -------------------


def test_a_deferred_tab_is_fetched_as_its_panel(client, seed_article):
    reference = render_citation(Article.objects.with_related().get(pk=1), style="vancouver")

    response = client.get("/articles/1/cite/", {"style": "vancouver", "fragment": "1"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert panels(response) == [("vancouver", "vancouver", "Vancouver")]
    assert panel_text(response, "vancouver") == reference["text"]
    assert f'<div class="cite-box__citation" data-cite-html>{reference["html"]}</div>' in text(
        response
    )
    assert "data-cite-deferred" not in text(response)
    assert "data-cite-copy hidden>Copy" in text(response)


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"style": "nature", "fragment": "1"}, 400),  # not a tab of the box
        ({"style": "apa", "locale": "de-DE", "fragment": "1"}, 400),
        ({"style": "no-such-style", "fragment": "1"}, 400),
        ({"fragment": "1"}, 400),
    ],
)
def test_a_fragment_is_only_a_core_tab(client, seed_article, query, status):
    response = client.get("/articles/1/cite/", query)

    assert response.status_code == status
    assert response["Content-Type"] == "text/plain; charset=utf-8"


def test_a_fragment_of_an_unknown_article_is_404(client, seed_article):
    response = client.get("/articles/999999/cite/", {"style": "apa", "fragment": "1"})

    assert response.status_code == 404
