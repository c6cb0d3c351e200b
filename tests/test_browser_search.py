"""A reader's search journey in headless Chromium: facets, range, chips, paging, back."""

import re

import pytest
from playwright.sync_api import expect

from tests.accessibility import axe_violations, describe
from tests.factories import make_article, make_author, make_journal, make_keyword

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

    page.get_by_role("link", name=second_page[0], exact=True).click()
    # The record link carries the list's trail (search.trail): the list without its page.
    page.wait_for_url(
        re.compile(r"/articles/\d+/\?back=/search/\?q=alliance%26keyword=\d+%26keyword=\d+&pos=21$")
    )
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


# Results first (issue 18): one search box, a compact page, filters behind a button on a phone.


@pytest.fixture
def realistic(transactional_db):
    """The seed catalogue and its evidence summaries, plus 24 "Therapeutic alliance" studies
    with three authors, a journal, keywords and an abstract each (results of real height)."""
    from django.core.management import call_command

    call_command("loaddata", "seed", "evidence_summaries", verbosity=0)
    journal = make_journal(title="Journal of Consulting and Clinical Psychology")
    # The seed has "Alliance" already: these are its own keywords.
    keywords = [make_keyword(term=term) for term in ("working alliance", "outcome", "dropout")]
    people = [make_author(given_names="Given", family_name=f"Family{n:02d}") for n in range(9)]
    for n in range(24):
        make_article(
            title=f"Therapeutic alliance and outcome in psychotherapy: a randomised trial {n:02d}",
            abstract="We measured the therapeutic alliance early in treatment and its relation to "
            "outcome at the end of therapy in adults with depression. " * 3,
            journal=journal,
            authors=[people[n % 9], people[(n + 1) % 9], people[(n + 2) % 9]],
            keywords=[keywords[n % 3]],
            year=1995 + n,
        )
    return {"keywords": keywords, "people": people, "journal": journal}


def result_boxes(page):
    return page.locator("ol.search-results > li.result")


def test_four_results_are_above_the_fold_at_1280_by_800(page, realistic):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/search/?q=therapeutic+alliance")
    page.wait_for_load_state("networkidle")

    expect(page.locator("#summary-results-heading")).to_be_visible()  # the summary card too
    assert page.locator("#page-q").count() == 0  # one search box: the header's
    expect(page.locator("#search-q")).to_have_value("therapeutic alliance")
    fourth = result_boxes(page).nth(3).bounding_box()
    assert fourth is not None
    assert fourth["y"] + fourth["height"] <= 800, fourth
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_the_header_box_keeps_the_filters_and_sort_after_a_swap(page, realistic):
    alliance = realistic["keywords"][0]
    page.goto("/search/?q=alliance&sort=newest")
    keyword_link(page, "working alliance").click()
    expect(heading(page)).to_have_text("8 results for “alliance”")

    page.locator("#search-q").fill("therapeutic alliance")
    page.locator("#search-q").press("Enter")

    expect(heading(page)).to_have_text("8 results for “therapeutic alliance”")
    assert f"keyword={alliance.pk}" in page.url and "sort=newest" in page.url


@pytest.mark.parametrize("javascript", [True, False], ids=["with JS", "without JS"])
def test_filters_open_from_a_button_at_the_top_on_a_phone(
    chromium, live_server, realistic, javascript
):
    outcome = realistic["keywords"][1]
    context = chromium.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        java_script_enabled=javascript,
    )
    page = context.new_page()
    try:
        page.goto(f"/search/?q=alliance&keyword={outcome.pk}&not_type=editorial")
        toggle = page.locator(".filters-toggle")
        expect(toggle).to_have_text("Filters (2)")
        # At the top: right under the header and the evidence summaries, before the results.
        box = toggle.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 450, box
        assert box["y"] + box["height"] <= heading(page).bounding_box()["y"]
        expect(page.locator("#facets")).to_be_hidden()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        toggle.click()

        expect(page.locator("#facets")).to_be_visible()
        facets_top = page.locator("#facets").bounding_box()["y"]
        first_result = result_boxes(page).first.bounding_box()["y"]
        assert facets_top < first_result  # the facets open at the top, above the results
        keyword_link(page, "dropout").click()
        # outcome OR dropout: a facet's values are alternatives.
        expect(heading(page)).to_have_text("16 results for “alliance”")
        if javascript:
            expect(page.locator(".filters-toggle")).to_have_attribute("aria-expanded", "true")
            page.locator(".filters-toggle").click()
            expect(page.locator("#facets")).to_be_hidden()
            violations = axe_violations(page)
            assert not violations, describe(violations)
    finally:
        context.close()


def test_the_histogram_has_a_bar_for_every_year_of_its_range(page, transactional_db):
    for year in (2001, 2004, 2004):
        make_article(title=f"Gap study {year}", year=year)

    page.goto("/search/?q=gap")

    bars = page.locator(".histogram__bar")
    expect(bars).to_have_count(4)
    assert page.locator(".histogram__bar a").count() == 2
    assert page.locator(".histogram__bar--empty").count() == 2
    expect(page.locator(".histogram__bar").nth(1)).to_contain_text("2002: no results")


# Lists that are searches: an entity page is the search page narrowed to the entity.


def test_an_author_page_sorts_filters_and_opens_its_co_authors(page, realistic):
    author = realistic["people"][0]  # on trials 00, 07, 08, 09, 16, 17, 18 (n % 9 in 0, 7, 8)
    # Their keywords (n % 3): "working alliance" on 00, 09, 18; "outcome" on 07, 16;
    # "dropout" on 08, 17.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(author.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("Given Family00")
    expect(heading(page)).to_have_text("7 articles")
    page.evaluate("window.stillTheSamePage = true")

    page.locator("#sort").select_option("oldest")
    page.wait_for_url(re.compile(r"sort=oldest"))
    assert result_titles(page)[0].endswith("trial 00")
    keyword_link(page, "dropout").click()  # in place, on the author's page
    expect(heading(page)).to_have_text("2 articles")
    assert result_titles(page) == [
        "Therapeutic alliance and outcome in psychotherapy: a randomised trial 08",
        "Therapeutic alliance and outcome in psychotherapy: a randomised trial 17",
    ]
    assert page.url.startswith(f"{page.url.split('/authors/')[0]}{author.get_absolute_url()}?")
    assert page.evaluate("window.stillTheSamePage") is True
    co_authors = page.locator("section.facet[aria-labelledby='facet-author']")
    expect(co_authors.locator(".facet__heading")).to_have_text("Co-authors")
    violations = axe_violations(page)
    assert not violations, describe(violations)

    co_authors.locator(".facet__link").first.click()
    page.wait_for_url(re.compile(r"/authors/\d+/$"))
    expect(heading(page)).to_contain_text("articles")
