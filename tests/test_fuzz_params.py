"""Property-based fuzzing of every user-facing GET parameter (issue 16).

Hypothesis sends hostile values (NUL and control characters, lone surrogates and invalid
UTF-8, Unicode digits, huge and negative integers, very long strings, SQL and HTML
metacharacters, random bytes) to the search page, the facet pages, the search export, the JSON
API, the article page (query and `Accept` header), the Cite box and the style list, on the seed
catalogue. Every answer is below 500, comes within REQUEST_BOUND, and an HTML answer never
holds a value unescaped: each value may carry MARKER, whose `<` must come back as `&lt;`.

Query strings are percent-encoded bytes, as a browser or a script sends them, so that values a
`str` cannot encode in UTF-8 (lone surrogates, bytes that are not UTF-8) reach the server.
The budget is the profile of tests/test_fuzz_bibtex.py (docs/testing.md, "Fuzzing").
"""

from __future__ import annotations

import time
from urllib.parse import quote_from_bytes

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from catalogue.search.facets import FACETS
from tests.test_fuzz_bibtex import load_fuzz_profile

load_fuzz_profile()

pytestmark = pytest.mark.django_db

# A request on the seed catalogue answers within this once warm, whatever its parameters.
REQUEST_BOUND = 2.0  # seconds
# Appended to some values: an HTML page that shows the value must escape its `<`.
MARKER = b"\"'><fz-mark a=1>"
SEED_ARTICLE = 1  # fixtures/seed.json

FUZZ = settings(
    deadline=None,  # REQUEST_BOUND below, measured after a warm-up request
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- Hostile values, as bytes ------------------------------------------------------------------

METACHARACTERS = (
    "'",
    '"',
    "' OR '1'='1",
    "1; DROP TABLE catalogue_article; --",
    "%",
    "_",
    "\\",
    "*",
    "(",
    ")",
    '"unclosed',
    "-",
    "--",
    "OR",
    "doi:",
    "doi:10.",
    "<script>alert(1)</script>",
    "&amp;",
    "{{ 7*7 }}",
    "{% debug %}",
    "${7*7}",
    "../../etc/passwd",
    "\r\nSet-Cookie: x=1",
    "NaN",
    "Infinity",
    "1e309",
    "0x10",
    " 1 ",
    "+1",
    "-0",
    "1.5",
    "",
)
NUMBERS = (
    "0",
    "-1",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "9" * 400,
    "²",
    "①",
    "٣",
    "１２",
    "𝟗",
    "1\x00",
)

text_values = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=6),
    st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp"]), min_size=1, max_size=6),
    st.sampled_from(METACHARACTERS),
    st.sampled_from(NUMBERS),
    st.integers(-(10**30), 10**30).map(str),
    st.builds(
        lambda c, n: c * n,
        st.sampled_from(("a", "9", "é", '"', "(", "-", " ")),
        st.integers(500, 5000),
    ),
)
byte_values = st.one_of(
    text_values.map(lambda text: text.encode("utf-8")),
    # Lone surrogates and bytes that are not UTF-8, percent-encoded.
    st.text(st.characters(categories=["Cs", "Lo"]), min_size=1, max_size=4).map(
        lambda text: text.encode("utf-8", "surrogatepass")
    ),
    st.binary(min_size=1, max_size=12),
)
values = st.one_of(byte_values, byte_values.map(lambda value: value + MARKER))


def query_string(pairs: list[tuple[str, bytes]]) -> str:
    return "&".join(
        f"{quote_from_bytes(name.encode(), safe='')}={quote_from_bytes(value, safe='')}"
        for name, value in pairs
    )


def params(names: list[str]) -> st.SearchStrategy[list[tuple[str, bytes]]]:
    """Return lists of (parameter, value) pairs, names repeatable, at most four."""
    return st.lists(st.tuples(st.sampled_from(names), values), min_size=1, max_size=4)


SEARCH_PARAMS = [
    "q",
    "year_min",
    "year_max",
    "sort",
    "page",
    "page_size",
    *(name for name, facet in FACETS.items() if facet.kind != "year"),
    *(facet.not_name for name, facet in FACETS.items() if facet.kind != "year"),
]
FACET_PAGE_PARAMS = ["values_filter", "values_page", "values_sort", *SEARCH_PARAMS]
EXPORT_PARAMS = ["format", "style", "locale", *SEARCH_PARAMS]
ARTICLE_PARAMS = ["format", "style", "locale", "cite_style", "cite_q", "cite_locale"]
CITE_PARAMS = ["style", "locale"]
STYLE_LIST_PARAMS = ["q", "page", "format", "article"]

_warm: set[str] = set()


def fetch(client: Client, path: str, pairs: list[tuple[str, bytes]], **headers):
    """GET path?pairs and check the answer: below 500, in time, values escaped in HTML."""
    if path not in _warm:  # the first request of a page builds caches and engines
        client.get(path)
        _warm.add(path)
    url = path + "?" + query_string(pairs) if pairs else path
    started = time.perf_counter()
    response = client.get(url, headers=headers)
    elapsed = time.perf_counter() - started
    assert response.status_code < 500, (url, response.status_code)
    assert elapsed < REQUEST_BOUND, (url, elapsed)
    content_type = response.headers.get("Content-Type", "")
    if content_type.startswith("text/html") and not response.streaming:
        assert b"<fz-mark" not in response.content.lower(), url
    return response


@FUZZ
@given(pairs=params(SEARCH_PARAMS))
@example(pairs=[("journal", "²".encode())])
@example(pairs=[("not_author", "①".encode())])
@example(pairs=[("page_size", "²".encode())])
@example(pairs=[("page", b"9" * 400)])
@example(pairs=[("q", b"\x00")])
@example(pairs=[("year_min", b"-9223372036854775809"), ("year_max", "٣".encode())])
def test_search_page(seed, pairs):
    fetch(Client(), "/search/", pairs)


@FUZZ
@given(pairs=params(SEARCH_PARAMS))
@example(pairs=[("page_size", "²".encode())])
@example(pairs=[("keyword", "①".encode())])
@example(pairs=[("page", b"18446744073709551616")])
def test_api_articles(seed, pairs):
    response = fetch(Client(), "/api/articles/", pairs)
    assert response.status_code in (200, 400), response.status_code


@FUZZ
@given(facet=st.sampled_from([*FACETS, "nope"]), pairs=params(FACET_PAGE_PARAMS))
@example(facet="author", pairs=[("values_filter", b"\x00")])
@example(facet="author", pairs=[("values_page", "²".encode())])
@example(facet="keyword", pairs=[("values_page", str(2**63).encode())])
@example(facet="journal", pairs=[("values_page", b"-1")])
def test_facet_page(seed, facet, pairs):
    fetch(Client(), f"/search/facets/{facet}/", pairs)


@FUZZ
@given(pairs=params(EXPORT_PARAMS))
@example(pairs=[("format", b"citation"), ("style", b"../../etc/passwd")])
@example(pairs=[("format", b"citation"), ("locale", b"\x00")])
@example(pairs=[("journal", "፩".encode())])
@example(pairs=[("page_size", "①".encode())])
def test_search_export(seed, pairs):
    fetch(Client(), "/search/export/", pairs)


accept_headers = st.one_of(
    st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=200),
    st.lists(
        st.sampled_from(
            (
                "text/html",
                "application/x-bibtex",
                "application/json",
                "*/*",
                ";q=0.9",
                ";q=x",
                ";level=1",
                ",",
                " ",
                "text/x-bibliography;style=apa",
                ";locale=de-DE",
                "\t",
            )
        ),
        max_size=30,
    ).map("".join),
)


@FUZZ
@given(pairs=params(ARTICLE_PARAMS), accept=accept_headers)
@example(pairs=[("format", b"citation"), ("style", b"apa\x00")], accept="text/html")
@example(pairs=[("locale", "①".encode())], accept="*/*")
@example(pairs=[("format", b"x")], accept="text/html;q=0.9, " + "a" * 8000)
@example(pairs=[("format", b"x")], accept="text/x-bibliography;" + ";" * 8000)
def test_article_page(seed, pairs, accept):
    fetch(Client(), f"/articles/{SEED_ARTICLE}/", pairs, accept=accept)


@FUZZ
@given(pairs=params(CITE_PARAMS))
@example(pairs=[("style", b"apa"), ("locale", b"\xff")])
def test_cite_box(seed, pairs):
    fetch(Client(), f"/articles/{SEED_ARTICLE}/cite/", pairs)


@FUZZ
@given(pairs=params(STYLE_LIST_PARAMS))
@example(pairs=[("page", "²".encode())])
@example(pairs=[("q", b"\x00"), ("article", b"1; DROP")])
def test_style_list(seed, pairs):
    fetch(Client(), "/styles/", pairs)
