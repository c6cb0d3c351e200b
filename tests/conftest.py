"""Shared fixtures and markers for the whole suite."""

import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    # PostgreSQL-only tests are skipped on SQLite and never skipped on PostgreSQL.
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def seed(db, django_db_setup):
    """Load the seed fixtures (three articles with journals, authors, keywords, subjects)."""
    from django.core.management import call_command

    call_command("loaddata", "seed", verbosity=0)


@pytest.fixture(autouse=True)
def empty_search_cache():
    """Start and end every test with an empty search results cache.

    Result bodies are cached per search index generation, and a test rolled back leaves the
    generation where the next test may find it again, with other records behind it.
    """
    from django.core.cache import caches

    from catalogue import conf

    cache = caches[conf.get("SEARCH_CACHE_ALIAS")]
    cache.clear()
    yield cache
    cache.clear()


@pytest.fixture
def empty_citation_cache():
    """Empty the formatted-citation cache before and after the test."""
    from django.core.cache import caches

    from catalogue import conf

    cache = caches[conf.get("CITATION_CACHE_ALIAS")]
    cache.clear()
    yield cache
    cache.clear()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # This machine has no network: without these Chromium keeps dialling out.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    """Yield a headless Debian Chromium driven by Playwright (skipped if absent, outside CI)."""
    import os

    if not os.path.exists(CHROMIUM):
        message = f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by
    # test set-up in the same thread are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    """Yield a fresh browser page whose relative URLs go to Django's live server."""
    context = chromium.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    browser_page = context.new_page()
    yield browser_page
    context.close()
