"""Content negotiation on articles and /doi/ (catalogue.formats.negotiation)."""

import contextlib
import json
import time

import pytest
import rispy

from catalogue import conf
from catalogue.citations import CitationEngineError, render_citation
from catalogue.formats import negotiation
from catalogue.formats.negotiation import NotAcceptable, negotiate
from catalogue.models import Article
from tests.factories import CORE_STYLE_IDS, make_article
from tests.responses import body, parse_bibtex

SEED_DOI_URL = "/doi/10.1037/a0040435"
BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
STYLE_IDS = CORE_STYLE_IDS
APA_SEED = (
    "Zilcha-Mano, S. (2017). Is the alliance really therapeutic? Revisiting this question in "
    "light of recent methodological advances. American Psychologist, 72(4), 311–325. "
    "https://doi.org/10.1037/a0040435"
)
VANCOUVER_SEED = (
    "Zilcha-Mano S. Is the alliance really therapeutic? Revisiting this question in light of "
    "recent methodological advances. Am Psychol. 2017 May;72(4):311–25. doi:10.1037/a0040435"
)


def wanted(accept=None, **query) -> tuple[str, str, str]:
    """Return (kind, export name or "", style) of what `negotiate` chooses."""
    chosen = negotiate(accept=accept, **query)
    return chosen.kind, chosen.export.name if chosen.export else "", chosen.style


def vary(response) -> list[str]:
    return [part.strip() for part in response.get("Vary", "").split(",")]


# negotiate(): the choice ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "accept", [None, "", "   ", "*/*", "*", "text/html", "text/*", BROWSER_ACCEPT]
)
def test_html_when_nothing_else_is_asked_for(accept):
    assert wanted(accept) == ("html", "", "")


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/x-bibtex", ("export", "bibtex", "")),
        ("application/x-research-info-systems", ("export", "ris", "")),
        ("application/vnd.citationstyles.csl+json", ("export", "csl-json", "")),
        ("application/citeproc+json", ("export", "csl-json", "")),
        ("APPLICATION/X-BIBTEX; charset=utf-8", ("export", "bibtex", "")),
        ("text/x-bibliography", ("bibliography", "", "apa")),
        ("text/x-bibliography; style=vancouver", ("bibliography", "", "vancouver")),
        ('text/x-bibliography; style="vancouver"; locale=en-GB', ("bibliography", "", "vancouver")),
        (
            "text/x-bibliography;style=modern-language-association",
            ("bibliography", "", "modern-language-association"),
        ),
    ],
)
def test_each_media_type_gives_its_representation(accept, expected):
    assert wanted(accept) == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        # The highest q wins, wherever it stands in the list.
        ("application/x-bibtex;q=0.5, application/x-research-info-systems", ("export", "ris", "")),
        ("text/html;q=0.1, application/x-bibtex", ("export", "bibtex", "")),
        (
            "text/html;q=0.9, application/vnd.citationstyles.csl+json;q=0.95",
            ("export", "csl-json", ""),
        ),
        (
            "text/x-bibliography; style=apa; q=0.3, text/x-bibliography; style=vancouver",
            ("bibliography", "", "vancouver"),
        ),
        (
            "text/x-bibliography; style=chicago-author-date, text/html;q=0.2",
            ("bibliography", "", "chicago-author-date"),
        ),
        # On equal q, an exact type beats a wildcard; then the catalogue's order (HTML first).
        ("application/x-bibtex, */*", ("export", "bibtex", "")),
        ("application/x-research-info-systems, application/x-bibtex", ("export", "bibtex", "")),
        ("text/html, application/x-bibtex", ("html", "", "")),
        ("application/*", ("export", "bibtex", "")),
        # The most specific range sets a type's q: q=0 refuses it even under */*.
        ("application/x-bibtex;q=0, */*;q=0.1", ("html", "", "")),
        ("text/html;q=0, application/*;q=0.2", ("export", "bibtex", "")),
        # A malformed q leaves its range out.
        (
            "application/x-bibtex;q=high, application/x-research-info-systems;q=0.1",
            ("export", "ris", ""),
        ),
        ("application/x-bibtex;q=2, text/html;q=0.1", ("html", "", "")),
    ],
)
def test_q_values_are_honoured(accept, expected):
    assert wanted(accept) == expected


@pytest.mark.parametrize(
    ("accept", "reason"),
    [
        ("image/png", "Nothing here matches “Accept: image/png”."),
        ("application/json", "Nothing here matches “Accept: application/json”."),
        ("application/x-bibtex;q=0", "Nothing here matches “Accept: application/x-bibtex”."),
        ("text/html;q=0, text/x-bibliography;q=0", "Nothing here matches"),
        (
            "text/x-bibliography; style=nope",
            "Unknown citation style “nope”: every style id is listed at /styles/",
        ),
        (
            "text/x-bibliography; style=apa; locale=xx-YY",
            "Unknown locale “xx-YY”: every locale is listed at /styles/",
        ),
        ("bogus", "Nothing here matches “Accept: bogus”."),
    ],
)
def test_nothing_acceptable_says_why(accept, reason):
    with pytest.raises(NotAcceptable) as raised:
        negotiate(accept=accept)

    assert raised.value.reason.startswith(reason)


def test_an_unknown_style_is_skipped_when_something_else_is_acceptable():
    assert wanted("text/x-bibliography; style=nope, */*;q=0.1") == ("html", "", "")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"format": "bibtex"}, ("export", "bibtex", "")),
        ({"format": "RIS"}, ("export", "ris", "")),
        ({"format": "csl-json"}, ("export", "csl-json", "")),
        ({"format": "text"}, ("bibliography", "", "apa")),
        ({"format": "text", "style": "vancouver"}, ("bibliography", "", "vancouver")),
        (
            {"style": "american-medical-association"},
            ("bibliography", "", "american-medical-association"),
        ),
        ({"format": "html"}, ("html", "", "")),
        ({"format": "", "style": ""}, ("html", "", "")),
    ],
)
def test_query_parameters_choose_and_win_over_accept(query, expected):
    chosen = negotiate(accept="application/x-research-info-systems", **query)
    if expected == ("html", "", "") and not query.get("format"):
        # Empty parameters are no parameters: the Accept header decides.
        assert (chosen.kind, chosen.export.name) == ("export", "ris")
        return
    assert (chosen.kind, chosen.export.name if chosen.export else "", chosen.style) == expected
    assert chosen.from_query


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        (
            {"format": "pdf"},
            "Unknown format “pdf”; available formats: html, bibtex, ris, csl-json, text.",
        ),
        (
            {"format": "text", "style": "harvard"},
            "Unknown citation style “harvard”: every style id is listed at /styles/",
        ),
        ({"style": "<script>"}, "Unknown citation style “<script>”"),
        ({"style": "apa", "locale": "klingon"}, "Unknown locale “klingon”"),
        ({"locale": "xx"}, "Unknown locale “xx”: every locale is listed at /styles/"),
    ],
)
def test_bad_query_parameters_are_not_acceptable(query, reason):
    with pytest.raises(NotAcceptable) as raised:
        negotiate(accept=None, **query)

    assert raised.value.reason.startswith(reason)


def test_parse_accept_reads_types_parameters_and_q():
    ranges = negotiation.parse_accept(
        'text/x-bibliography; style="a\\"b"; q=0.5, application/x-bibtex, nonsense, */*;q=0.1'
    )

    assert [(r.type, r.params, r.q) for r in ranges] == [
        ("text/x-bibliography", {"style": 'a"b'}, 0.5),
        ("application/x-bibtex", {}, 1.0),
        ("*/*", {}, 0.1),
    ]


# The article page and /doi/ -------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/articles/1/", SEED_DOI_URL])
def test_bibtex_by_accept_parses_back(client, seed, url):
    response = client.get(url, HTTP_ACCEPT="application/x-bibtex")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert response["Content-Disposition"] == 'inline; filename="ZilchaMano2017.bib"'
    assert "Accept" in vary(response)
    [entry] = parse_bibtex(body(response)).entries
    fields = {field.key: field.value for field in entry.fields}
    assert entry.key == "ZilchaMano2017"
    assert [(name.last, name.first) for name in fields["author"]] == [(["Zilcha-Mano"], ["Sigal"])]
    assert (fields["journal"], fields["shortjournal"], fields["month"]) == (
        "American Psychologist",
        "Am Psychol",
        5,
    )
    assert (fields["volume"], fields["number"], fields["pages"]) == ("72", "4", "311--325")
    assert fields["doi"] == "10.1037/a0040435"


@pytest.mark.parametrize("url", ["/articles/1/", SEED_DOI_URL])
def test_ris_by_accept_parses_back(client, seed, url):
    response = client.get(url, HTTP_ACCEPT="application/x-research-info-systems")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    [record] = rispy.loads(body(response))
    assert record["type_of_reference"] == "JOUR"
    assert record["authors"] == ["Zilcha-Mano, Sigal"]
    assert (record["volume"], record["number"], record["start_page"], record["end_page"]) == (
        "72",
        "4",
        "311",
        "325",
    )
    assert record["doi"] == "10.1037/a0040435"
    assert record["date"] == "2017/05//"
    assert record["keywords"] == [
        "Active therapeutic ingredients",
        "Alliance",
        "Alliance-outcome association",
        "Psychotherapy process research",
    ]


@pytest.mark.parametrize("url", ["/articles/1/", SEED_DOI_URL])
def test_csl_json_by_accept_parses_back(client, seed, url):
    response = client.get(url, HTTP_ACCEPT="application/vnd.citationstyles.csl+json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.citationstyles.csl+json; charset=utf-8"
    [item] = json.loads(body(response))
    assert item["id"] == "ZilchaMano2017"
    assert item["type"] == "article-journal"
    assert item["author"] == [{"family": "Zilcha-Mano", "given": "Sigal"}]
    assert item["issued"] == {"date-parts": [[2017, 5]]}
    assert item["container-title-short"] == "Am Psychol"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/x-bibliography", APA_SEED),
        ("text/x-bibliography; style=apa", APA_SEED),
        ("text/x-bibliography; style=vancouver", VANCOUVER_SEED),
        ("text/x-bibliography; style=vancouver, application/x-bibtex;q=0.5", VANCOUVER_SEED),
    ],
)
@pytest.mark.parametrize("url", ["/articles/1/", SEED_DOI_URL])
def test_formatted_citation_by_accept_is_plain_text(client, seed, url, accept, expected):
    response = client.get(url, HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/x-bibliography; charset=utf-8"
    assert body(response) == expected + "\n"
    assert "Accept" in vary(response)


def test_every_configured_style_is_served(client, seed):
    article = Article.objects.with_related().get(pk=1)
    for style in STYLE_IDS:
        response = client.get("/articles/1/", HTTP_ACCEPT=f"text/x-bibliography; style={style}")

        assert response.status_code == 200, style
        assert body(response) == render_citation(article, style=style)["text"] + "\n"


@pytest.mark.parametrize("accept", [None, "*/*", "text/html", BROWSER_ACCEPT])
def test_html_accept_gives_the_page_marked_vary_accept(client, seed, accept):
    headers = {"HTTP_ACCEPT": accept} if accept is not None else {}

    response = client.get("/articles/1/", **headers)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "Accept" in vary(response)
    assert "Cite this" in body(response)


@pytest.mark.parametrize("accept", [None, "text/html", BROWSER_ACCEPT])
def test_doi_with_html_accept_still_redirects(client, seed, accept):
    headers = {"HTTP_ACCEPT": accept} if accept is not None else {}

    response = client.get(SEED_DOI_URL, **headers)

    assert response.status_code == 302
    assert response["Location"] == "/articles/1/"
    assert "Accept" in vary(response)


def test_doi_in_any_form_answers_with_the_representation(client, seed):
    response = client.get(
        "/doi/https://doi.org/10.1037/A0040435", HTTP_ACCEPT="application/x-bibtex"
    )

    assert response.status_code == 200
    assert body(response).startswith("@article{ZilchaMano2017,\n")


@pytest.mark.parametrize(
    ("query", "content_type", "disposition"),
    [
        (
            "format=bibtex",
            "application/x-bibtex; charset=utf-8",
            'attachment; filename="ZilchaMano2017.bib"',
        ),
        (
            "format=ris",
            "application/x-research-info-systems; charset=utf-8",
            'attachment; filename="ZilchaMano2017.ris"',
        ),
        (
            "format=csl-json",
            "application/vnd.citationstyles.csl+json; charset=utf-8",
            'attachment; filename="ZilchaMano2017.json"',
        ),
        (
            "format=text&style=vancouver",
            "text/plain; charset=utf-8",
            'inline; filename="ZilchaMano2017-vancouver.txt"',
        ),
        (
            "style=vancouver",
            "text/plain; charset=utf-8",
            'inline; filename="ZilchaMano2017-vancouver.txt"',
        ),
    ],
)
@pytest.mark.parametrize("url", ["/articles/1/", SEED_DOI_URL])
def test_query_parameters_give_a_download(client, seed, url, query, content_type, disposition):
    # The query string wins over a browser's Accept header.
    response = client.get(f"{url}?{query}", HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == disposition
    if "vancouver" in query:
        assert body(response) == VANCOUVER_SEED + "\n"


@pytest.mark.parametrize(
    ("headers", "query", "first_line"),
    [
        ({"HTTP_ACCEPT": "image/png"}, "", "Nothing here matches “Accept: image/png”."),
        (
            {"HTTP_ACCEPT": "text/x-bibliography; style=nope"},
            "",
            "Unknown citation style “nope”: every style id is listed at /styles/\n",
        ),
        (
            {"HTTP_ACCEPT": "text/x-bibliography; style=ieee; locale=xx-YY"},
            "",
            "Unknown locale “xx-YY”: every locale is listed at /styles/\n",
        ),
        ({}, "?format=pdf", "Unknown format “pdf”; available formats:"),
        (
            {},
            "?format=text&style=nope",
            "Unknown citation style “nope”: every style id is listed at /styles/\n",
        ),
        (
            {},
            "?format=text&style=ieee&locale=klingon",
            "Unknown locale “klingon”: every locale is listed at /styles/\n",
        ),
        # A locale alone sets the language of whatever is chosen: the page here.
        ({}, "?locale=xx", "Unknown locale “xx”: every locale is listed at /styles/\n"),
    ],
)
@pytest.mark.parametrize("url", ["/articles/1/", SEED_DOI_URL])
def test_not_acceptable_is_short_and_points_to_the_style_list(
    client, seed, url, headers, query, first_line
):
    response = client.get(url + query, **headers)

    assert response.status_code == 406
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Link"] == '</styles/>; rel="help"'
    assert "Accept" in vary(response)
    text = body(response)
    assert text.startswith(first_line)
    assert "\nEvery citation style and locale: /styles/\n" in text
    for media_type in [
        "text/html",
        "application/x-bibtex",
        "application/x-research-info-systems",
        "application/vnd.citationstyles.csl+json",
        "text/x-bibliography; style=<style id>; locale=<locale tag>",
    ]:
        assert f"\n  {media_type}\n" in text
    # The six core styles by name; the other 2,800-odd only on /styles/.
    for style in STYLE_IDS:
        assert f"\n  {style}: " in text
    assert "ieee" not in text.replace("style=ieee", "")
    assert "?format=html|bibtex|ris|csl-json|text" in text
    assert "?format=text&style=<style id>&locale=<locale tag>" in text
    assert len(text.splitlines()) == len(NOT_ACCEPTABLE_TAIL.splitlines()) + 2
    assert len(text) < 1200


NOT_ACCEPTABLE_TAIL = """Every citation style and locale: /styles/

Available media types (Accept header):
  text/html
  application/x-bibtex
  application/x-research-info-systems
  application/vnd.citationstyles.csl+json
  text/x-bibliography; style=<style id>; locale=<locale tag>

Core style ids for text/x-bibliography (default apa):
  apa: APA 7th edition
  harvard-cite-them-right: Harvard (Cite Them Right)
  vancouver: Vancouver
  modern-language-association: MLA 9th edition
  chicago-author-date: Chicago (author-date)
  american-medical-association: AMA 11th edition

Or ask with the query string:
  ?format=html|bibtex|ris|csl-json|text
  ?format=text&style=<style id>&locale=<locale tag>
"""


def test_the_406_body_exactly(client, seed):
    response = client.get("/articles/1/?style=nope")

    assert body(response) == (
        "Unknown citation style “nope”: every style id is listed at /styles/\n\n"
        + NOT_ACCEPTABLE_TAIL
    )


def test_not_acceptable_body_is_plain_text_never_html(client, seed):
    response = client.get("/articles/1/?style=<script>alert(1)</script>")

    assert response.status_code == 406
    assert response["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("accept", ["application/x-bibtex", "text/x-bibliography"])
def test_missing_records_are_404_whatever_the_accept(client, seed, accept):
    assert client.get("/articles/999/", HTTP_ACCEPT=accept).status_code == 404
    assert client.get("/doi/10.9999/none", HTTP_ACCEPT=accept).status_code == 404


@pytest.mark.parametrize(
    "accept",
    [
        "application/x-bibtex",
        "text/x-bibliography",
        "text/x-bibliography; style=ieee; locale=de-DE",
        "text/x-bibliography; style=chicago-notes-bibliography; locale=fr-FR",
    ],
)
def test_representation_costs_the_article_queries_only(
    client, seed, django_assert_num_queries, accept
):
    # The article with its journal, then its authorships, keywords, subject areas and
    # contributors, whatever the style and locale.
    with django_assert_num_queries(5):
        response = client.get("/articles/1/", HTTP_ACCEPT=accept)

    assert response.status_code == 200


def test_a_failing_engine_gives_503_not_500(client, db, monkeypatch):
    def down(*args, **kwargs):
        raise CitationEngineError("the engine did not start")

    monkeypatch.setattr(negotiation, "render_citation", down)
    article = make_article(title="Never formatted before")

    response = client.get(article.get_absolute_url(), HTTP_ACCEPT="text/x-bibliography")

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert body(response) == (
        "The citation formatter is unavailable right now; please try again shortly.\n"
    )


# Any style of the CSL repository, in any locale ---------------------------------------------

# What citeproc-js 2.4.63 itself prints for the seed record (its CSL-JSON as the catalogue
# writes it) with the repository's ieee.csl and the vendored locales, an engine per locale
# forced with `new CSL.Engine(sys, xml, tag, true)`; run under Node (npm citeproc@2.4.63,
# tests/data/citations/citeproc_styles_reference.js). Its entry starts with the label "[1] ",
# which a single citation leaves out, as the Cite box does.
IEEE_SEED = {
    "en-US": (
        "S. Zilcha-Mano, “Is the alliance really therapeutic? Revisiting this question in light "
        "of recent methodological advances,” Am Psychol, vol. 72, no. 4, pp. 311–325, May 2017, "
        "doi: 10.1037/a0040435."
    ),
    "de-DE": (
        "S. Zilcha-Mano, „Is the alliance really therapeutic? Revisiting this question in light "
        "of recent methodological advances“, Am Psychol, Bd. 72, Nr. 4, S. 311–325, Mai 2017, "
        "doi: 10.1037/a0040435."
    ),
}
CHICAGO_NOTES_SEED_DE = (
    "Zilcha-Mano, Sigal. „Is the Alliance Really Therapeutic? Revisiting This Question in Light "
    "of Recent Methodological Advances“. American Psychologist 72, Nr. 4 (2017): 311–25. "
    "https://doi.org/10.1037/a0040435."
)
REPOSITORY_STYLES = ["ieee", "nature", "chicago-notes-bibliography", "elsevier-harvard"]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/x-bibliography; style=ieee", ("ieee", None)),
        ("text/x-bibliography; style=nature", ("nature", None)),
        ("text/x-bibliography; style=apa; locale=de-DE", ("apa", "de-DE")),
        ('text/x-bibliography; style="ieee"; locale="de-DE"', ("ieee", "de-DE")),
        # Tags in any case, with "_", or a bare language, as citeproc-js maps them.
        ("text/x-bibliography; style=ieee; locale=de_de", ("ieee", "de-DE")),
        ("text/x-bibliography; style=ieee; locale=DE", ("ieee", "de-DE")),
        ("text/x-bibliography; style=ieee; locale=pt", ("ieee", "pt-PT")),
        ("text/x-bibliography; locale=fr-FR", ("apa", "fr-FR")),
        (
            "text/x-bibliography;style=chicago-notes-bibliography;locale=sr-Latn-RS",
            (
                "chicago-notes-bibliography",
                "sr-Latn-RS",
            ),
        ),
        # q-values choose between locales as between styles.
        (
            "text/x-bibliography; style=ieee; locale=de-DE; q=0.5, "
            "text/x-bibliography; style=ieee; locale=fr-FR",
            ("ieee", "fr-FR"),
        ),
        (
            "text/x-bibliography; style=ieee; locale=de-DE, text/x-bibliography; style=ieee;q=0.4",
            ("ieee", "de-DE"),
        ),
        # A range naming an unknown locale is left out when another is acceptable.
        (
            "text/x-bibliography; style=ieee; locale=xx-YY, text/x-bibliography;q=0.1",
            ("apa", None),
        ),
    ],
)
def test_accept_takes_any_repository_style_and_a_locale(accept, expected):
    chosen = negotiate(accept=accept)

    assert (chosen.kind, chosen.style, chosen.locale) == ("bibliography", *expected)
    assert not chosen.from_query


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"style": "ieee"}, ("bibliography", "ieee", None)),
        (
            {"format": "text", "style": "nature", "locale": "de"},
            ("bibliography", "nature", "de-DE"),
        ),
        ({"format": "TEXT", "locale": "en_gb"}, ("bibliography", "apa", "en-GB")),
        (
            {"style": " chicago-notes-bibliography "},
            ("bibliography", "chicago-notes-bibliography", None),
        ),
        # ?locale= alone chooses nothing: the page, carrying the language for its Cite box.
        ({"locale": "de-AT"}, ("html", "", "de-AT")),
        ({"format": "html", "locale": "fr"}, ("html", "", "fr-FR")),
    ],
)
def test_query_takes_any_repository_style_and_a_locale(query, expected):
    chosen = negotiate(accept="text/html", **query)

    assert (chosen.kind, chosen.style, chosen.locale) == expected


def test_a_query_locale_applies_to_the_accept_choice():
    chosen = negotiate(accept="text/x-bibliography; style=ieee; locale=fr-FR", locale="de")

    assert (chosen.kind, chosen.style, chosen.locale) == ("bibliography", "ieee", "de-DE")


@pytest.mark.parametrize("url", ["/articles/1/", SEED_DOI_URL])
@pytest.mark.parametrize("style", REPOSITORY_STYLES)
def test_every_repository_style_is_served_by_accept_and_query(client, seed, url, style):
    article = Article.objects.with_related().get(pk=1)
    expected = render_citation(article, style=style)["text"] + "\n"

    by_accept = client.get(url, HTTP_ACCEPT=f"text/x-bibliography; style={style}")
    by_query = client.get(f"{url}?style={style}", HTTP_ACCEPT=BROWSER_ACCEPT)

    assert by_accept.status_code == by_query.status_code == 200
    assert by_accept["Content-Type"] == "text/x-bibliography; charset=utf-8"
    assert by_query["Content-Type"] == "text/plain; charset=utf-8"
    assert body(by_accept) == body(by_query) == expected
    assert by_query["Content-Disposition"] == f'inline; filename="ZilchaMano2017-{style}.txt"'


@pytest.mark.parametrize("url", ["/articles/1/", SEED_DOI_URL])
def test_a_locale_changes_the_entry_exactly_as_citeproc_js_does(client, seed, url):
    article = Article.objects.with_related().get(pk=1)
    english = client.get(url, HTTP_ACCEPT="text/x-bibliography; style=ieee; locale=en-US")
    german = client.get(url, HTTP_ACCEPT="text/x-bibliography; style=ieee; locale=de-DE")
    by_query = client.get(f"{url}?format=text&style=ieee&locale=de-DE")

    # The engine's API, and citeproc-js run under Node, say the same.
    assert body(english) == render_citation(article, style="ieee", locale="en-US")["text"] + "\n"
    assert body(german) == render_citation(article, style="ieee", locale="de-DE")["text"] + "\n"
    assert body(english) == IEEE_SEED["en-US"] + "\n"
    assert body(german) == body(by_query) == IEEE_SEED["de-DE"] + "\n"
    assert by_query["Content-Disposition"] == 'inline; filename="ZilchaMano2017-ieee-de-DE.txt"'
    # ieee has no default-locale: without locale= it is en-US.
    assert body(client.get(url, HTTP_ACCEPT="text/x-bibliography; style=ieee")) == body(english)


def test_a_note_style_in_german(client, seed):
    response = client.get(
        "/articles/1/",
        HTTP_ACCEPT="text/x-bibliography; style=chicago-notes-bibliography; locale=de",
    )

    assert body(response) == CHICAGO_NOTES_SEED_DE + "\n"


def test_a_core_style_takes_a_locale_too(client, seed):
    article = Article.objects.with_related().get(pk=1)

    response = client.get("/articles/1/?format=text&style=vancouver&locale=de-DE")

    assert response.status_code == 200
    assert (
        body(response) == render_citation(article, style="vancouver", locale="de-DE")["text"] + "\n"
    )
    assert body(response) != VANCOUVER_SEED + "\n"
    assert (
        response["Content-Disposition"] == 'inline; filename="ZilchaMano2017-vancouver-de-DE.txt"'
    )


HOSTILE = [
    "x" * 10_000,
    "apa\x00",
    "\x00",
    "../apa",
    "../../etc/passwd",
    "apa/../apa",
    "styles/apa",
    "apa.csl",
    "APA",
    "ápá",
    "日本語",
    "ieee\nX-Injected: 1",
    "%2e%2e%2fapa",
    "\u202eapa",
]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_style_and_locale_values_are_406_with_a_short_body(client, seed, value):
    by_query = client.get("/articles/1/", {"format": "text", "style": value})
    by_locale = client.get("/articles/1/", {"format": "text", "style": "ieee", "locale": value})
    by_accept = client.get(
        SEED_DOI_URL, HTTP_ACCEPT=f'text/x-bibliography; style="{value}"'.replace("\n", "")
    )
    by_accept_locale = client.get(
        SEED_DOI_URL,
        HTTP_ACCEPT=f"text/x-bibliography; style=ieee; locale={value}".replace("\n", ""),
    )

    for response in (by_query, by_locale, by_accept, by_accept_locale):
        assert response.status_code == 406
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        text = body(response)
        assert len(text) < 1200
        assert "/styles/" in text.splitlines()[0]
        assert "\x00" not in text and "\u202e" not in text
    first = body(by_query).splitlines()[0]
    assert first.startswith("Unknown citation style “")
    assert body(by_locale).startswith("Unknown locale “")
    assert body(by_accept_locale).startswith("Unknown locale “")


def test_a_long_value_is_cut_and_control_characters_are_escaped():
    for value, shown in [
        ("x" * 10_000, "x" * 50 + "…"),
        ("apa\x00", "apa\\x00"),
        ("\u202eapa", "\\u202eapa"),
        ("ápá", "ápá"),
    ]:
        with pytest.raises(NotAcceptable) as raised:
            negotiate(accept=None, style=value)

        assert raised.value.reason == (
            f"Unknown citation style “{shown}”: every style id is listed at /styles/"
        )


def test_a_repository_style_named_as_dois_resolvers_did_is_not_guessed(client, seed):
    # The CSL repository renamed chicago-note-bibliography; ids are exact, as resolvers' are.
    response = client.get(
        "/articles/1/", HTTP_ACCEPT="text/x-bibliography; style=chicago-note-bibliography"
    )

    assert response.status_code == 406


# A style the engine cannot build ----------------------------------------------------------------

# A style file citeproc-js cannot read (it is neither CSL XML nor CSL-JSON).
BROKEN_CSL = "Not a CSL style: the download was cut off.\n"


@pytest.fixture
def broken_style(settings, tmp_path):
    """A core style whose CSL file the engine cannot build."""
    path = tmp_path / "broken.csl"
    path.write_text(BROKEN_CSL, encoding="utf-8")
    settings.CITATION_STYLES = {
        **conf.get("CITATION_STYLES"),
        "broken": {"csl": str(path), "label": "Broken"},
    }
    return "broken"


@pytest.mark.parametrize("url", ["/articles/1/", SEED_DOI_URL])
def test_a_style_the_engine_cannot_build_is_422_and_others_keep_working(
    client, seed, broken_style, url
):
    by_accept = client.get(url, HTTP_ACCEPT="text/x-bibliography; style=broken")
    by_query = client.get(f"{url}?format=text&style=broken&locale=de-DE")
    after = client.get(url, HTTP_ACCEPT="text/x-bibliography; style=ieee")

    for response in (by_accept, by_query):
        assert response.status_code == 422
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert body(response) == (
            "The citation style “broken” cannot be formatted: the citation engine fails on its "
            "style file. Other styles work; choose one at /styles/\n"
        )
    assert after.status_code == 200
    assert body(after) == IEEE_SEED["en-US"] + "\n"


# Hostile Accept headers (issue 16, finding 7) ---------------------------------------------------

# Headers built to make a backtracking parser work: long runs of spaces, ";", ",", quotes, "=",
# and an open quote full of escaped quotes (the one the regular expression took 0.5 s on at 8 kB).
HOSTILE_ACCEPT = {
    "spaces": lambda n: "text/html;" + " " * n,
    "semicolons": lambda n: "text/x-bibliography;" + ";" * n,
    "commas": lambda n: "," * n,
    "quotes": lambda n: '"' * n,
    "equals": lambda n: "text/html;" + "=" * n,
    "open quote of escapes": lambda n: 'text/html;a="' + '\\"' * (n // 2),
    "open quotes": lambda n: 'text/html;a="b' * (n // 13),
    "parameters": lambda n: "text/x-bibliography" + "; a = b" * (n // 7),
    "ranges": lambda n: ",".join(["text/x-bibliography;style=apa;q=0.5"] * (n // 36)),
}


def parse_time(header: str, *, times: int = 1) -> float:
    """Return the least time of five runs of parsing and negotiating `header` `times` times."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(times):
            with contextlib.suppress(NotAcceptable):
                negotiate(accept=header)
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("make", HOSTILE_ACCEPT.values(), ids=HOSTILE_ACCEPT)
def test_accept_parsing_grows_linearly_with_the_header(make):
    small, large = make(512), make(8192)  # 16 times longer
    parse_time(large)  # warms the style registry

    # Sixteen small headers against one sixteen times longer: about 1 when linear, about 16
    # when quadratic (the regular expression it replaces measured 30 to 40 on "open quote").
    ratio = parse_time(large) / parse_time(small, times=16)

    assert ratio < 4, ratio


@pytest.mark.parametrize("make", HOSTILE_ACCEPT.values(), ids=HOSTILE_ACCEPT)
def test_a_header_past_the_limit_costs_no_more_than_one_at_the_limit(make):
    at_limit, huge = make(negotiation.MAX_ACCEPT_LENGTH), make(1024 * 1024)
    parse_time(at_limit)

    assert parse_time(huge) < 4 * parse_time(at_limit)


def test_accept_reads_the_first_hundred_ranges_and_eight_kilobytes():
    hundred = ",".join(["image/png"] * negotiation.MAX_ACCEPT_RANGES)

    assert len(negotiation.parse_accept(hundred + ",text/html")) == 100
    with pytest.raises(NotAcceptable):
        negotiate(accept=hundred + ",application/x-bibtex")
    # What follows the first 8,192 characters is not read.
    padded = "image/png;a=" + "b" * negotiation.MAX_ACCEPT_LENGTH + ",application/x-bibtex"
    assert [r.type for r in negotiation.parse_accept(padded)] == ["image/png"]
    with pytest.raises(NotAcceptable):
        negotiate(accept=padded)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # Commas and semicolons inside quotes belong to the value.
        (
            'text/x-bibliography; style="apa,x;y"; q=0.5',
            [("text/x-bibliography", {"style": "apa,x;y"}, 0.5)],
        ),
        ('text/html; a="b\\\\"; q=0.2', [("text/html", {"a": "b\\"}, 0.2)]),
        # An open quote runs to the end: the ranges after it are part of its value.
        (
            'text/html; a="b, application/x-bibtex',
            [("text/html", {"a": '"b, application/x-bibtex'}, 1.0)],
        ),
        ("text/html; a b=c; q = 0.3", [("text/html", {}, 0.3)]),
        ("text/html;q=١", []),
        ("text/html;q=nan, application/x-bibtex;q=2", []),
        (" ; , ,;", []),
    ],
)  # fmt: skip
def test_parse_accept_reads_quoted_values_and_leaves_malformed_ranges_out(header, expected):
    ranges = negotiation.parse_accept(header)

    assert [(r.type, r.params, r.q) for r in ranges] == expected
