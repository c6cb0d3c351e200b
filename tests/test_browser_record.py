"""A reader pages through a result list from the record pages, on a desktop and a phone."""

import re

import pytest
from playwright.sync_api import expect

from tests.accessibility import axe_violations
from tests.factories import make_article, make_author, make_journal

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def trials(transactional_db):
    """25 "Alliance trial NN" records (1980 + NN) in one journal issue, by the same two
    authors: /search/?q=alliance&sort=oldest lists them oldest first, 20 a page."""
    journal = make_journal(title="Journal of Alliances")
    ada, bob = make_author(family_name="Lovelace"), make_author(family_name="Builder")
    return [
        make_article(
            title=f"Alliance trial {n:02d}",
            abstract="A trial of the therapeutic alliance. " * 12,
            year=1980 + n,
            journal=journal,
            volume="7",
            issue="2",
            first_page=10 * n + 1,
            last_page=10 * n + 9,
            authors=[ada, bob],
        )
        for n in range(25)
    ]


def title(page) -> str:
    return page.locator("#record-title").inner_text()


def position(page):
    return page.locator(".record-trail__position")


def step(page, name: str):
    return page.locator("nav.record-trail").get_by_role("link", name=re.compile(f"^{name}"))


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_page_through_the_results_from_a_record_and_back(page, trials, viewport):
    page.set_viewport_size(viewport)
    page.goto("/search/?q=alliance&sort=oldest")
    page.get_by_role("link", name="Alliance trial 19", exact=True).click()

    expect(page.locator("#record-title")).to_have_text("Alliance trial 19")
    expect(position(page)).to_have_text("Result 20 of 25")
    assert (
        page.locator('link[rel="canonical"]')
        .get_attribute("href")
        .endswith(f"/articles/{trials[19].pk}/")
    )

    # The last record of page 1 leads to the first of page 2, and back again.
    step(page, "Next").click()
    expect(page.locator("#record-title")).to_have_text("Alliance trial 20")
    expect(position(page)).to_have_text("Result 21 of 25")
    step(page, "Next").click()
    expect(page.locator("#record-title")).to_have_text("Alliance trial 21")
    step(page, "Previous").click()
    step(page, "Previous").click()
    expect(page.locator("#record-title")).to_have_text("Alliance trial 19")

    # Back to the results: the page holding the record.
    step(page, "Next").click()
    page.get_by_role("link", name="Back to results").click()
    page.wait_for_url(re.compile(r"/search/\?q=alliance&sort=oldest&page=2$"))
    expect(page.get_by_role("link", name="Alliance trial 20", exact=True)).to_be_visible()

    # The last record of the list has no next one.
    page.get_by_role("link", name="Alliance trial 24", exact=True).click()
    expect(position(page)).to_have_text("Result 25 of 25")
    expect(step(page, "Next")).to_have_count(0)
    expect(page.locator(".record-trail__step--none")).to_have_text("Next ›")

    # Nothing overflows the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert axe_violations(page) == []


def test_the_cite_box_is_beside_the_abstract_on_a_desktop(page, trials):
    page.set_viewport_size(DESKTOP)
    page.goto(trials[3].get_absolute_url())

    abstract = page.locator(".record__abstract").bounding_box()
    cite = page.locator(".record__cite").bounding_box()
    more = page.locator(".record__more").bounding_box()
    # The right-hand third: the Cite box starts level with the abstract, to its right, and the
    # lists of other records follow it in the same column.
    assert cite["x"] > abstract["x"] + abstract["width"]
    assert abs(cite["y"] - abstract["y"]) < 40
    assert cite["x"] + cite["width"] > 0.7 * DESKTOP["width"]
    assert more["x"] == cite["x"] and more["y"] >= cite["y"] + cite["height"]
    expect(page.get_by_role("heading", name="More by these authors")).to_be_visible()
    expect(page.get_by_role("heading", name="Also in this issue")).to_be_visible()
    assert axe_violations(page) == []


def test_one_column_on_a_phone(page, trials):
    page.set_viewport_size(PHONE)
    page.goto(trials[3].get_absolute_url())

    abstract = page.locator(".record__abstract").bounding_box()
    cite = page.locator(".record__cite").bounding_box()
    body = page.locator(".record__body").bounding_box()
    more = page.locator(".record__more").bounding_box()
    # Abstract, Cite box, details, other records: one under the other, the same width.
    assert abstract["y"] < cite["y"] < body["y"] < more["y"]
    assert cite["x"] == abstract["x"] == more["x"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert axe_violations(page) == []
