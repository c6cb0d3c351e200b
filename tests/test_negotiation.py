"""Content negotiation on articles and /doi/ (catalogue.formats.negotiation)."""

import json

import pytest
import rispy

from catalogue.citations import render_citation
from catalogue.formats import negotiation
from catalogue.formats.negotiation import NotAcceptable, negotiate
from catalogue.models import Article
from tests.factories import make_article
from tests.responses import body, parse_bibtex

SEED_DOI_URL = "/doi/10.1037/a0040435"
BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
STYLE_IDS = [
    "apa",
    "harvard-cite-them-right",
    "vancouver",
    "modern-language-association",
    "chicago-author-date",
    "american-medical-association",
]
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
            "Unknown citation style “nope”; available styles: apa,",
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
            "Unknown citation style “harvard”; available styles: apa, harvard-cite-them-right,",
        ),
        ({"style": "<script>"}, "Unknown citation style “<script>”"),
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
        ({"HTTP_ACCEPT": "text/x-bibliography; style=nope"}, "", "Unknown citation style “nope”;"),
        ({}, "?format=pdf", "Unknown format “pdf”; available formats:"),
        ({}, "?format=text&style=nope", "Unknown citation style “nope”;"),
    ],
)
@pytest.mark.parametrize("url", ["/articles/1/", SEED_DOI_URL])
def test_not_acceptable_lists_what_is_available(client, seed, url, headers, query, first_line):
    response = client.get(url + query, **headers)

    assert response.status_code == 406
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "Accept" in vary(response)
    text = body(response)
    assert text.startswith(first_line)
    for media_type in [
        "text/html",
        "application/x-bibtex",
        "application/x-research-info-systems",
        "application/vnd.citationstyles.csl+json",
        "text/x-bibliography; style=<style id>",
    ]:
        assert f"\n  {media_type}\n" in text
    for style in STYLE_IDS:
        assert f"\n  {style}  (" in text
    assert "?format=html|bibtex|ris|csl-json|text" in text


def test_not_acceptable_body_is_plain_text_never_html(client, seed):
    response = client.get("/articles/1/?style=<script>alert(1)</script>")

    assert response.status_code == 406
    assert response["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("accept", ["application/x-bibtex", "text/x-bibliography"])
def test_missing_records_are_404_whatever_the_accept(client, seed, accept):
    assert client.get("/articles/999/", HTTP_ACCEPT=accept).status_code == 404
    assert client.get("/doi/10.9999/none", HTTP_ACCEPT=accept).status_code == 404


def test_representation_costs_the_article_queries_only(client, seed, django_assert_num_queries):
    # The article with its journal, then its authorships, keywords, subject areas and
    # contributors.
    with django_assert_num_queries(5):
        response = client.get("/articles/1/", HTTP_ACCEPT="application/x-bibtex")

    assert response.status_code == 200


def test_a_failing_engine_gives_503_not_500(client, db, settings):
    settings.CITATION_PANDOC = "/nonexistent/pandoc"
    article = make_article(title="Never formatted before")

    response = client.get(article.get_absolute_url(), HTTP_ACCEPT="text/x-bibliography")

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
