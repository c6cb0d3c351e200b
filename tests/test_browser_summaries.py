"""A reader's journey in headless Chromium: portal → summary → cited record → back."""

import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.browser

SUMMARY_TITLE = "Is the therapeutic alliance the most important part of therapy?"
SUMMARY_PATH = "/summaries/is-the-therapeutic-alliance-the-most-important-part-of-therapy/"


@pytest.fixture
def seeded(transactional_db):
    call_command("loaddata", "seed", "evidence_summaries", verbosity=0)


def test_reader_goes_from_the_portal_to_a_summary_to_a_cited_record_and_back(page, seeded):
    page.goto("/summaries/")
    assert page.get_by_role("heading", level=1).inner_text() == "Evidence summaries"
    page.get_by_role("link", name=SUMMARY_TITLE).click()
    page.wait_for_url(re.compile(re.escape(SUMMARY_PATH) + "$"))

    assert page.get_by_role("heading", level=1).inner_text() == SUMMARY_TITLE
    assert page.locator("blockquote").inner_text().startswith("“During my training")
    assert page.get_by_text("A good relationship always matters").is_visible()
    literature = page.locator(".literature__entry")
    assert literature.count() == 2
    assert literature.nth(0).inner_text().startswith("Cuijpers, P., Reijnders, M., & Huibers")

    # The link's accessible name carries the record's title (visually hidden).
    page.get_by_role("link", name="View the record of “The alliance in adult psychotherapy").click()
    page.wait_for_url(re.compile(r"/articles/3/$"))
    assert (
        page.get_by_role("heading", level=1)
        .inner_text()
        .startswith("The alliance in adult psychotherapy")
    )
    discussed = page.get_by_role("region", name="Discussed in these evidence summaries")
    assert discussed.get_by_role("link", name=SUMMARY_TITLE).is_visible()

    page.go_back()
    page.wait_for_url(re.compile(re.escape(SUMMARY_PATH) + "$"))
    page.get_by_role("link", name="Back to the portal").click()
    page.wait_for_url(re.compile(r"/summaries/$"))
    assert page.locator("main .result__title").all_inner_texts() == [SUMMARY_TITLE]


def test_reader_filters_the_portal_with_the_keyboard_only(page, seeded):
    page.goto("/summaries/")
    page.get_by_label("Written for").focus()
    page.keyboard.press("End")  # the last audience: "Patients and clinicians"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Show summaries"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/summaries/\?audience=both&keyword=$"))
    assert page.locator("main .result__title").all_inner_texts() == [SUMMARY_TITLE]


def test_the_record_page_leads_to_the_summary(page, seeded):
    page.goto("/articles/2/")
    page.get_by_role("link", name=SUMMARY_TITLE).click()
    page.wait_for_url(re.compile(re.escape(SUMMARY_PATH) + "$"))
    assert page.get_by_role("heading", level=2, name="Literature").is_visible()
