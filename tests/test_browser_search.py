"""A reader's search journey in headless Chromium: facets, range, chips, paging, back."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import make_article, make_keyword

pytestmark = pytest.mark.browser


@pytest.fixture
def trials(transactional_db):
    """45 "Alliance trial NN" articles (1980 + NN), keywords alliance/outcome/dropout in turn."""
    keywords = [make_keyword(term=term) for term in ("alliance", "outcome", "dropout")]
    for n in range(45):
        make_article(
            title=f"Alliance trial {n:02d}",
            abstract="A trial of the therapeutic alliance.",
            keywords=[keywords[n % 3]],
            year=1980 + n,
        )


def heading(page):
    return page.locator("#results-heading")


def result_titles(page) -> list[str]:
    return page.locator("main .result__title").all_inner_texts()


def keyword_link(page, term: str):
    facet = page.locator("section.facet[aria-labelledby='facet-keyword']")
    return facet.get_by_role("link", name=term, exact=True)


def test_search_narrow_remove_page_open_and_come_back(page, trials):
    page.goto("/")
    page.locator("#search-q").fill("alliance")
    page.locator("#search-q").press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q=alliance$"))
    expect(heading(page)).to_have_text("45 results for “alliance”")
    # From here on the results are swapped in place: this marker would vanish on a reload.
    page.evaluate("window.stillTheSamePage = true")

    keyword_link(page, "alliance").click()
    expect(heading(page)).to_have_text("15 results for “alliance”")
    keyword_link(page, "outcome").click()
    expect(heading(page)).to_have_text("30 results for “alliance”")
    assert re.search(r"keyword=\d+&keyword=\d+", page.url)

    page.locator("#year-min").fill("1990")
    page.locator("#year-max").fill("2024")
    page.get_by_role("button", name="Apply").click()
    expect(heading(page)).to_have_text("23 results for “alliance”")
    assert "year_min=1990" in page.url and "year_max=2024" in page.url
    chips = page.locator(".chip")
    expect(chips).to_have_count(3)

    page.get_by_role("link", name="Remove filter Year 1990–2024").click()
    expect(heading(page)).to_have_text("30 results for “alliance”")
    assert "year_min" not in page.url
    expect(chips).to_have_count(2)

    # Back and forward replay the states.
    page.go_back()
    expect(heading(page)).to_have_text("23 results for “alliance”")
    page.go_forward()
    expect(heading(page)).to_have_text("30 results for “alliance”")

    page.get_by_role("link", name="Next page").first.click()
    page.wait_for_url(re.compile(r"page=2"))
    expect(page.locator(".results-bar__count")).to_have_text("Showing 21–30 of 30")
    second_page = result_titles(page)
    # Relevance: "alliance" also as a keyword (n % 3 == 0) ranks above title alone (the
    # "outcome" ones, n % 3 == 1); equal scores newest first.
    newest = range(44, -1, -1)
    ranked = [n for n in newest if n % 3 == 0] + [n for n in newest if n % 3 == 1]
    expected = [f"Alliance trial {n:02d}" for n in ranked][20:]
    assert second_page == expected
    assert page.evaluate("window.stillTheSamePage") is True
    results_url = page.url

    page.get_by_role("link", name=second_page[0]).click()
    page.wait_for_url(re.compile(r"/articles/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(second_page[0]))

    page.go_back()
    page.wait_for_url(results_url)
    expect(page.locator(".results-bar__count")).to_have_text("Showing 21–30 of 30")
    assert result_titles(page) == second_page


def test_the_page_works_without_javascript(chromium, live_server, trials):
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/search/?q=alliance")
        keyword_link(page, "dropout").click()
        page.wait_for_url(re.compile(r"keyword=\d+"))
        expect(heading(page)).to_have_text("15 results for “alliance”")
        page.get_by_role("link", name=re.compile("^Remove filter Keyword")).click()
        expect(heading(page)).to_have_text("45 results for “alliance”")
    finally:
        context.close()


def test_all_values_panel_filters_as_you_type(page, transactional_db):
    for n in range(12):
        make_article(title=f"Paper {n}", keywords=[make_keyword(term=f"Ümlaut topic {n:02d}")])

    page.goto("/search/")
    page.get_by_role("link", name="All keyword values…").click()
    panel = page.locator(".facet__panel")
    expect(panel.locator(".facet__link")).to_have_count(12)
    panel.locator("input[type=search]").fill("umlaut topic 1")
    expect(panel.locator(".facet__link")).to_have_count(2)
    panel.get_by_role("link", name="Ümlaut topic 11", exact=True).click()
    expect(heading(page)).to_have_text("1 result")
    assert result_titles(page) == ["Paper 11"]


def focus_by_tab(page, *, matches, limit: int = 120) -> None:
    """Press Tab until the focused element satisfies the JS predicate `matches`, or fail."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return {matches}; }}"):
            return
    pytest.fail(f"Tab never reached an element where {matches}")


def test_facets_and_chips_work_with_the_keyboard_only(page, trials):
    page.goto("/search/?q=alliance")
    expect(heading(page)).to_have_text("45 results for “alliance”")

    focus_by_tab(
        page,
        matches="el.matches('section.facet[aria-labelledby=\"facet-keyword\"] a.facet__link')"
        " && el.textContent.trim() === 'outcome'",
    )
    # The focused facet value is visibly focused (WCAG 2.4.7).
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("15 results for “alliance”")

    focus_by_tab(page, matches="el.matches('.chip a, a.chip, .chip button')")
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("45 results for “alliance”")
