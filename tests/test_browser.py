"""Journeys through the catalogue in headless Chromium against Django's live server."""

import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.browser

ALLIANCE_TITLE = "Is the alliance really therapeutic?"


@pytest.fixture
def seeded(transactional_db):
    call_command("loaddata", "seed", verbosity=0)


def test_reader_follows_a_record_its_journal_an_author_and_a_keyword(page, seeded):
    page.goto("/")
    assert "Research catalogue" in page.title()
    page.get_by_role("link", name=re.compile(re.escape(ALLIANCE_TITLE))).first.click()
    page.wait_for_url(re.compile(r"/articles/1/$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith(ALLIANCE_TITLE)
    assert page.get_by_text("Published - May 2017").is_visible()

    page.get_by_role("link", name="American Psychologist").first.click()
    page.wait_for_url(re.compile(r"/journals/1/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "American Psychologist"
    assert page.get_by_text("0003-066X").first.is_visible()
    page.go_back()

    page.get_by_role("link", name="Sigal Zilcha-Mano").first.click()
    page.wait_for_url(re.compile(r"/authors/1/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Sigal Zilcha-Mano"
    page.go_back()

    page.get_by_role("link", name="Alliance", exact=True).click()
    page.wait_for_url(re.compile(r"/keywords/alliance/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Alliance"
    # Both seed articles carrying the keyword are listed, newest first.
    titles = page.locator("main .result__title").all_inner_texts()
    assert len(titles) == 2
    assert titles[0].startswith("The alliance in adult psychotherapy")
    assert titles[1].startswith(ALLIANCE_TITLE)


def test_unknown_doi_shows_the_custom_not_found_page(page, seeded):
    response = page.goto("/doi/10.9999/does-not-exist")
    assert response.status == 404
    assert "Research catalogue" in page.title()


def test_doi_link_resolves_to_the_record(page, seeded):
    page.goto("/doi/https://doi.org/10.1037/A0040435")
    assert page.url.endswith("/articles/1/")
