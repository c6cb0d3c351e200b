"""Research topics in headless Chromium: open a record's topics, expand a weight's
explanation, follow a concept to its search, open a related record; find experts. Axe-clean."""

import re

import pytest
from playwright.sync_api import expect

from catalogue.topics import store
from tests.accessibility import axe_violations, describe
from tests.factories import make_article, make_author, make_journal, make_keyword, make_subject

pytestmark = pytest.mark.browser

ALLIANCE = "The therapeutic alliance predicts dropout from psychotherapy."


@pytest.fixture
def topics(transactional_db):
    """Three records on the therapeutic alliance by Ada Lovelace, one on sleep; refreshed."""
    keyword = make_keyword(term="Therapeutic alliance")
    subject = make_subject(name="Clinical Psychology", code="3203")
    journal = make_journal(title="Psychotherapy Research")
    ada = make_author(family_name="Lovelace", given_names="Ada")
    first = make_article(
        title="Therapeutic alliance and dropout",
        abstract=ALLIANCE,
        authors=[ada],
        keywords=[keyword],
        subject_areas=[subject],
        journal=journal,
    )
    make_article(
        title="Therapeutic alliance in groups",
        abstract=ALLIANCE,
        authors=[ada],
        keywords=[keyword],
        subject_areas=[subject],
        journal=journal,
    )
    make_article(title="Dropout from psychotherapy", abstract=ALLIANCE, journal=journal)
    make_article(title="Insomnia of shift workers", abstract="Sleep of shift workers.")
    store.refresh()
    return first


def test_record_topics_explained_followed_and_related_opened(page, topics):
    page.goto(topics.get_absolute_url())
    section = page.locator("section.topics")
    expect(section.get_by_role("heading", name="Research topics")).to_be_visible()
    expect(section.locator("h3").first).to_have_text("Clinical Psychology")
    concept = section.locator("details").first
    expect(concept.locator(".topics__label")).to_have_text("Therapeutic alliance")
    expect(concept.locator(".topics__weight")).to_have_text("100%")
    why = concept.locator(".topics__why")
    expect(why).to_be_hidden()
    concept.locator("summary").click()
    expect(why).to_be_visible()
    expect(why).to_contain_text("Found in the title, abstract and keywords (3 mentions).")
    expect(why).to_contain_text("In 3 of 4 records in the catalogue (75.0%)")
    assert axe_violations(page) == [], describe(axe_violations(page))

    why.get_by_role("link", name="Search for “Therapeutic alliance”").click()
    expect(page).to_have_url(re.compile(r"/search/\?q=%22Therapeutic\+alliance%22$"))
    page.go_back()

    related = page.locator("section.topics-related")
    expect(related.get_by_role("heading", name="Related records")).to_be_visible()
    expect(related.locator("li").first).to_contain_text("shares: Therapeutic alliance")
    related.get_by_role("link", name="Therapeutic alliance in groups").click()
    expect(page.locator("h1")).to_have_text("Therapeutic alliance in groups")


def test_find_experts(page, topics):
    page.goto("/experts/")
    assert axe_violations(page) == [], describe(axe_violations(page))
    page.get_by_label("Topic").fill("therapeutic alliances")
    page.get_by_role("button", name="Find experts").click()
    people = page.locator(".experts__person")
    expect(people).to_have_count(1)
    expect(people.first.get_by_role("link").first).to_have_text("Ada Lovelace")
    expect(people.first.locator(".experts__records li")).to_have_count(2)
    assert axe_violations(page) == [], describe(axe_violations(page))
    page.goto("/experts/?q=" + "x" * 250)
    expect(page.get_by_role("alert")).to_have_text(
        "The query is 250 characters long; at most 200 are read."
    )
    assert axe_violations(page) == [], describe(axe_violations(page))
