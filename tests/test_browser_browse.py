"""Browsing and following in headless Chromium: the browse lists from the home page, a feed."""

import re

import feedparser
import pytest
from playwright.sync_api import expect

from tests.accessibility import axe_violations, describe
from tests.factories import make_article, make_author, make_journal, make_keyword, make_subject

pytestmark = pytest.mark.browser


@pytest.fixture
def library(transactional_db):
    """Two journals, three authors, two keywords, an ASJC field with two subjects; 55 articles."""
    journals = [make_journal(title="Psychotherapy Research"), make_journal(title="Ethics Today")]
    authors = [
        make_author(family_name="Zilcha-Mano", given_names="Sigal"),
        make_author(family_name="Ábel", given_names="Bo"),
        make_author(family_name="Bach", given_names="Anna"),
    ]
    keywords = [make_keyword(term="alliance"), make_keyword(term="outcome")]
    psychology = make_subject(name="Psychology", code="3200")
    subjects = [
        make_subject(name="Clinical Psychology", code="3203", parent=psychology),
        make_subject(name="Applied Psychology", code="3202", parent=psychology),
    ]
    for n in range(55):
        make_article(
            title=f"Alliance trial {n:02d}",
            abstract="A trial of the therapeutic alliance.",
            journal=journals[0] if n < 50 else journals[1],
            authors=[authors[0]]
            + ([authors[1]] if n % 2 else [])
            + ([authors[2]] if n < 3 else []),
            keywords=[keywords[n % 2]],
            subject_areas=[subjects[n % 2]],
            year=1970 + n,
        )
    return {"journals": journals, "authors": authors}


def entry_names(page) -> list[str]:
    return page.locator(".browse__entries li a").all_inner_texts()


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_browse_from_the_home_page(page, library):
    page.goto("/")
    assert_accessible(page)
    page.locator(".stats").get_by_role("link", name="3", exact=True).click()
    page.wait_for_url(re.compile(r"/authors/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Authors")
    assert entry_names(page) == ["Bo Ábel", "Anna Bach", "Sigal Zilcha-Mano"]
    assert page.locator(".browse__count").all_inner_texts() == [
        "27 articles",
        "3 articles",
        "55 articles",
    ]
    assert_accessible(page)

    page.get_by_role("link", name="Most articles").click()
    page.wait_for_url(re.compile(r"/authors/\?sort=count$"))
    assert entry_names(page) == ["Sigal Zilcha-Mano", "Bo Ábel", "Anna Bach"]
    letters = page.get_by_role("navigation", name="Names starting with")
    letters.get_by_role("link", name="B").click()
    page.wait_for_url(re.compile(r"/authors/\?sort=count&letter=B$"))
    assert entry_names(page) == ["Anna Bach"]
    letters.get_by_role("link", name="All").click()
    page.wait_for_url(re.compile(r"/authors/\?sort=count$"))
    # The filter box is a plain GET form that keeps the sort.
    page.get_by_label("Author name contains").fill("ABEL")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"/authors/\?filter=ABEL&sort=count$"))
    assert entry_names(page) == ["Bo Ábel"]
    assert_accessible(page)

    page.get_by_role("link", name="Bo Ábel").click()
    page.wait_for_url(re.compile(rf"/authors/{library['authors'][1].pk}/$"))


def test_every_browse_page_is_accessible(page, library):
    for path, first in (
        ("/journals/", "Ethics Today"),
        ("/keywords/?sort=count", "outcome"),
        ("/subjects/", "Applied Psychology"),
    ):
        page.goto(path)
        expect(page.locator("main a[href^='/'][href$='/']").first).to_be_visible()
        assert first in page.locator("main").inner_text()
        assert_accessible(page)
    page.goto("/authors/?letter=q")
    expect(page.locator(".browse__empty")).to_have_text("No author with articles starts with Q.")
    assert_accessible(page)
    response = page.goto("/authors/?letter=%3Cq%3E")
    assert response is not None and response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("“<q>” is not a letter: use one of A to Z.")
    assert_accessible(page)


def test_the_subject_tree_on_a_phone(page, library):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/subjects/?filter=clinical")
    expect(page.locator(".browse__field")).to_have_text("Psychology")
    expect(page.get_by_role("link", name="Clinical Psychology")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    assert_accessible(page)


def feed_of(page) -> feedparser.FeedParserDict:
    """Return the feed named by the page's <link rel=alternate type=application/atom+xml>."""
    link = page.locator('head link[rel="alternate"][type="application/atom+xml"]')
    expect(link).to_have_count(1)
    href = link.get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.body())
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def test_follow_a_search_and_a_journal(page, library):
    page.goto("/search/?q=alliance")
    feed = feed_of(page)
    assert len(feed.entries) == 50
    assert [e.title for e in feed.entries[:3]] == [
        "Alliance trial 54",
        "Alliance trial 53",
        "Alliance trial 52",
    ]
    assert feed.entries[-1].title == "Alliance trial 05"
    assert feed.feed.title == "Research catalogue: newest records for “alliance”"

    journal = library["journals"][1]
    page.goto(f"/journals/{journal.pk}/")
    feed = feed_of(page)
    assert [e.title for e in feed.entries] == [f"Alliance trial {n}" for n in range(54, 49, -1)]
    assert feed.feed.title.endswith("Journal: Ethics Today")
    # Each entry leads back to its record page.
    page.goto(feed.entries[0].link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Alliance trial 54")
