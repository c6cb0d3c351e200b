"""Tests for catalogue.search.cache: the per-generation cache of result rows and bodies."""

import pytest
from django.core.cache import caches
from django.test import RequestFactory

from catalogue.search import SearchParams, cache, parse_query
from tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    caches["default"].clear()


def test_a_write_gives_the_index_a_new_generation():
    before = cache.search_generation()

    make_article(title="Generation study")

    assert cache.search_generation() != before


def test_a_body_key_ignores_the_parameters_order_but_not_the_host_or_generation():
    factory = RequestFactory()
    one = factory.get("/search/", {"q": "alliance", "keyword": ["3", "2"]})
    other = factory.get("/search/?keyword=3&q=alliance&keyword=2")
    elsewhere = factory.get("/search/?keyword=3&q=alliance&keyword=2", HTTP_HOST="127.0.0.1")

    assert cache.body_key("page", 7, one) == cache.body_key("page", 7, other)
    assert cache.body_key("page", 7, one) != cache.body_key("api", 7, one)
    assert cache.body_key("page", 7, one) != cache.body_key("page", 8, one)
    assert cache.body_key("page", 7, one) != cache.body_key("page", 7, elsewhere)


def test_a_body_key_holds_the_scheme(settings):
    # Bodies hold absolute links: a page made for http:// must not be served to https://.
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    factory = RequestFactory(HTTP_HOST="testserver")
    plain = factory.get("/search/", {"q": "alliance"})
    secure = factory.get("/search/", {"q": "alliance"}, secure=True)
    proxied = factory.get("/search/", {"q": "alliance"}, HTTP_X_FORWARDED_PROTO="https")

    assert cache.body_key("api", 7, plain) != cache.body_key("api", 7, secure)
    assert cache.body_key("api", 7, secure) == cache.body_key("api", 7, proxied)


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_api_links_follow_the_scheme_of_each_request(client, settings, scheme):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    for _ in range(3):
        make_article(title="Scheme study")
    other = "https" if scheme == "http" else "http"
    query = {"q": "scheme", "page_size": 1}
    client.get("/api/articles/", query, HTTP_HOST="testserver", HTTP_X_FORWARDED_PROTO=other)

    response = client.get(
        "/api/articles/", query, HTTP_HOST="testserver", HTTP_X_FORWARDED_PROTO=scheme
    )

    assert response.json()["next"].startswith(f"{scheme}://testserver/api/articles/?")


def test_a_results_key_names_the_generation_the_search_and_the_slice():
    params = SearchParams.build(query=parse_query("alliance"))

    key = cache.results_key(5, params, 2, 20)

    assert key == f"catalogue-search:5:{params.cache_key()}:2:20"
    assert key != cache.results_key(6, params, 2, 20)
    assert key != cache.results_key(5, SearchParams.build(), 2, 20)


def test_a_body_is_built_once_per_generation():
    request = RequestFactory().get("/search/", {"q": "alliance"})
    built = []

    def build(generation: int) -> str:
        built.append(generation)
        return f"body {len(built)}"

    assert cache.cached_body("page", request, build) == "body 1"
    assert cache.cached_body("page", request, build) == "body 1"
    make_article(title="A write between the two")
    assert cache.cached_body("page", request, build) == "body 2"
    # Two generations (SQLite's are random numbers, PostgreSQL's a sequence).
    assert len(built) == 2 and built[0] != built[1]
