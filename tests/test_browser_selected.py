"""Selected records in headless Chromium: select across result pages, the list, copy the APA
bibliography, export RIS (parsed with rispy), the Cite dialog, and the same without JavaScript."""

import re
from pathlib import Path

import pytest
import rispy
from playwright.sync_api import expect

from tests.accessibility import axe_violations
from tests.factories import make_article, make_author, make_journal

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def trials(transactional_db):
    """25 "Selection trial NN" articles (two result pages), one author each, 1990 + NN."""
    journal = make_journal(title="Journal of Trials")
    return [
        make_article(
            title=f"Selection trial {n:02d}",
            journal=journal,
            authors=[make_author(family_name=f"Trialist{n:02d}", given_names="Tea")],
            year=1990 + n,
            volume=str(n),
            first_page=n,
            last_page=n + 4,
        )
        for n in range(25)
    ]


def header_count(page):
    return page.locator("[data-selected-link]")


def checkbox(page, title: str):
    result = page.locator("li.result", has=page.get_by_role("link", name=title, exact=True))
    return result.locator("input[data-select-box]")


def apa(n: int) -> str:
    return (
        f"Trialist{n:02d}, T. ({1990 + n}). Selection trial {n:02d}. Journal of Trials, {n}, "
        f"{n}–{n + 4}."
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_select_across_pages_copy_apa_and_export_ris(page, trials, viewport):
    page.set_viewport_size(viewport)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    # Newest first: page 1 holds trials 24..05, page 2 trials 04..00.
    page.goto("/search/?q=selection&sort=newest")
    expect(header_count(page)).to_have_text("Selected (0)")
    # Each tick is saved at once: the no-JavaScript button is not shown.
    expect(page.get_by_role("button", name="Add the checked results to Selected")).to_be_hidden()
    checkbox(page, "Selection trial 24").check()
    expect(header_count(page)).to_have_text("Selected (1)")
    checkbox(page, "Selection trial 10").check()
    expect(header_count(page)).to_have_text("Selected (2)")

    page.get_by_role("link", name="Next page").first.click()
    page.wait_for_url(re.compile(r"page=2"))
    checkbox(page, "Selection trial 03").check()
    expect(header_count(page)).to_have_text("Selected (3)")

    # Back on page 1 the visitor's selection is marked on the shared, cached results.
    page.goto("/search/?q=selection&sort=newest")
    expect(checkbox(page, "Selection trial 24")).to_be_checked()
    expect(checkbox(page, "Selection trial 10")).to_be_checked()
    expect(checkbox(page, "Selection trial 23")).not_to_be_checked()
    expect(page.locator("[data-select-page]")).to_have_js_property("indeterminate", True)

    header_count(page).click()
    page.wait_for_url("**/selected/")
    items = page.locator("[data-selected-item]")
    expect(items).to_have_count(3)
    assert page.locator("[data-selected-list] .result__title").all_inner_texts() == [
        "Selection trial 24",
        "Selection trial 10",
        "Selection trial 03",
    ]
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    # Copy the APA list (the default style) and read it back from the clipboard.
    expect(page.locator("#bibliography-style")).to_have_value("apa")
    page.get_by_role("button", name="Copy as text").click()
    expect(page.locator("[data-copy-status]")).to_have_text(
        "Copied the bibliography in APA 7th edition as text to the clipboard."
    )
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == "".join(f"{apa(n)}\n" for n in (3, 10, 24))

    page.get_by_role("button", name="Copy as HTML").click()
    expect(page.locator("[data-copy-status]")).to_have_text(
        "Copied the bibliography in APA 7th edition as HTML to the clipboard."
    )
    markup = page.evaluate("navigator.clipboard.readText()")
    assert markup.startswith('<div class="csl-bib-body">\n<div class="csl-entry">Trialist03, T.')
    assert markup.count('<div class="csl-entry">') == 3

    # Export RIS and parse it.
    with page.expect_download() as download:
        page.get_by_role("link", name="RIS", exact=True).click()
    assert download.value.suggested_filename == "selected-records.ris"
    records = rispy.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert sorted((r["title"], r["authors"], r["year"]) for r in records) == [
        (f"Selection trial {n:02d}", [f"Trialist{n:02d}, Tea"], str(1990 + n)) for n in (3, 10, 24)
    ]

    # Remove one in place, then all.
    page.get_by_role("button", name="Remove Selection trial 10").click()
    expect(items).to_have_count(2)
    expect(header_count(page)).to_have_text("Selected (2)")
    expect(page.locator("[data-selected-summary]")).to_have_text(
        "2 records selected (at most 1,000)."
    )
    page.get_by_role("button", name="Remove all").click()
    expect(page.locator(".selected__empty")).to_be_visible()
    expect(header_count(page)).to_have_text("Selected (0)")
    assert axe_violations(page) == []


def test_select_all_on_the_page_and_unselect(page, trials):
    page.set_viewport_size(DESKTOP)
    page.goto("/search/?q=selection&sort=newest")
    all_on_page = page.get_by_role("checkbox", name="Select all on this page")
    all_on_page.check()
    expect(header_count(page)).to_have_text("Selected (20)")
    expect(page.locator("input[data-select-box]:checked")).to_have_count(20)
    all_on_page.uncheck()
    expect(header_count(page)).to_have_text("Selected (0)")
    expect(page.locator("input[data-select-box]:checked")).to_have_count(0)


def test_cite_a_result_in_a_dialog(page, trials):
    page.set_viewport_size(PHONE)
    page.goto("/search/?q=selection&sort=newest")
    page.get_by_role("link", name="Cite Selection trial 24").click()
    dialog = page.locator("dialog.cite-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Cite this")).to_be_visible()
    expect(dialog.locator("#cite-panel-apa")).to_contain_text(apa(24))
    # Its tabs work as on the record page: another style is fetched on demand.
    dialog.get_by_role("tab", name="Vancouver").click()
    expect(dialog.locator("#cite-panel-vancouver")).to_contain_text("Selection trial 24")
    assert axe_violations(page) == []
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    # The page did not change: still the results.
    assert page.url.endswith("/search/?q=selection&sort=newest")


def test_without_javascript_select_remove_and_cite_link(chromium, live_server, trials):
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/search/?q=selection&sort=newest")
        expect(header_count(page)).to_have_text("Selected (0)")
        checkbox(page, "Selection trial 24").check()
        checkbox(page, "Selection trial 23").check()
        page.get_by_role("button", name="Add the checked results to Selected").click()
        page.wait_for_url("**/search/?q=selection&sort=newest")
        expect(page.locator(".message--success")).to_have_text(
            "Added 2 records. 2 records selected."
        )
        expect(header_count(page)).to_have_text("Selected (2)")

        # Cite leads to the record page's Cite box.
        cite = page.get_by_role("link", name="Cite Selection trial 22")
        assert re.fullmatch(r"/articles/\d+/.*#cite-heading", cite.get_attribute("href"))

        page.goto("/selected/")
        expect(page.locator("[data-selected-item]")).to_have_count(2)
        page.get_by_role("button", name="Remove Selection trial 23").click()
        page.wait_for_url("**/selected/")
        expect(page.locator(".message--success")).to_have_text(
            "Removed 1 record. 1 record selected."
        )
        expect(page.locator("[data-selected-item]")).to_have_count(1)
        # No Copy buttons without JavaScript: Download as text instead.
        expect(page.get_by_role("button", name="Copy as text")).to_be_hidden()
    finally:
        context.close()


def test_the_record_page_select_button(page, trials):
    page.set_viewport_size(PHONE)
    record = trials[7]
    page.goto(record.get_absolute_url())
    button = page.locator("form[data-select-toggle] [data-select-button]")
    expect(button).to_have_text("Select")
    button.click()
    expect(button).to_have_text("Remove from Selected")
    expect(page.locator("[data-select-status]")).to_have_text("Added 1 record. 1 record selected.")
    expect(page.locator("[data-selected-count]").first).to_have_text("1")
    # The server agrees after a reload, and the button removes it again.
    page.reload()
    expect(button).to_have_text("Remove from Selected")
    button.click()
    expect(button).to_have_text("Select")
    expect(page.locator("[data-selected-count]").first).to_have_text("0")


def test_quick_ticks_are_all_kept(page, trials):
    page.set_viewport_size(DESKTOP)
    page.goto("/search/?q=selection&sort=newest")
    expect(header_count(page)).to_have_text("Selected (0)")
    # Six ticks without waiting: each change waits for the one before (one session).
    page.evaluate(
        """() => Array.from(document.querySelectorAll('input[data-select-box]'))
            .slice(0, 6).forEach((box) => box.click())"""
    )
    expect(header_count(page)).to_have_text("Selected (6)")
    page.goto("/selected/")
    expect(page.locator("[data-selected-item]")).to_have_count(6)
