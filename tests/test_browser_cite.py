"""The Cite box in headless Chromium: tabs by mouse and keyboard, Copy, the remembered style,
the page without JavaScript, and axe-core on the article page."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from catalogue.citations import render_citations
from catalogue.models import Article
from tests.accessibility import axe_violations, describe

pytestmark = pytest.mark.browser

STYLES = [
    "APA 7th edition",
    "Harvard (Cite Them Right)",
    "Vancouver",
    "MLA 9th edition",
    "Chicago (author-date)",
    "AMA 11th edition",
    "BibTeX",
    "RIS",
]


@pytest.fixture
def seeded(transactional_db):
    call_command("loaddata", "seed", verbosity=0)


@pytest.fixture
def citations(seeded):
    return render_citations(Article.objects.with_related().get(pk=1))


def tab(page, name: str):
    return page.get_by_role("tab", name=name, exact=True)


def panel(page, style: str):
    return page.locator(f"#cite-panel-{style}")


def expect_selected(page, name: str, style: str) -> None:
    expect(tab(page, name)).to_have_attribute("aria-selected", "true")
    expect(panel(page, style)).to_be_visible()
    assert page.locator("[role=tabpanel]:visible").count() == 1


def test_switch_style_by_mouse_and_keyboard_copy_and_remember(page, citations):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/articles/1/")

    tablist = page.get_by_role("tablist", name="Citation style")
    expect(tablist).to_be_visible()
    assert tablist.get_by_role("tab").all_inner_texts() == STYLES
    # The default style first; the other panels hidden.
    expect_selected(page, "APA 7th edition", "apa")
    expect(panel(page, "apa")).to_have_attribute("aria-labelledby", "cite-tab-apa")

    # Mouse.
    tab(page, "Vancouver").click()
    expect_selected(page, "Vancouver", "vancouver")
    expect(tab(page, "APA 7th edition")).to_have_attribute("aria-selected", "false")
    expect(tab(page, "APA 7th edition")).to_have_attribute("tabindex", "-1")

    # Keyboard: arrows move and select (wrapping), Home and End jump.
    page.keyboard.press("ArrowRight")
    expect_selected(page, "MLA 9th edition", "modern-language-association")
    expect(tab(page, "MLA 9th edition")).to_be_focused()
    page.keyboard.press("End")
    expect_selected(page, "RIS", "ris")
    page.keyboard.press("ArrowRight")
    expect_selected(page, "APA 7th edition", "apa")
    page.keyboard.press("ArrowLeft")
    expect_selected(page, "RIS", "ris")
    page.keyboard.press("Home")
    expect_selected(page, "APA 7th edition", "apa")
    page.keyboard.press("ArrowRight")
    expect_selected(page, "Harvard (Cite Them Right)", "harvard-cite-them-right")

    # Tab leaves the tab list for the visible panel's Copy button.
    page.keyboard.press("Tab")
    copy = panel(page, "harvard-cite-them-right").get_by_role("button", name="Copy")
    expect(copy).to_be_focused()
    page.keyboard.press("Enter")

    status = page.get_by_role("status").filter(has_text="Copied")
    expect(status).to_have_text("Copied Harvard (Cite Them Right) to the clipboard.")
    clipboard = page.evaluate("navigator.clipboard.readText()")
    assert clipboard == citations["harvard-cite-them-right"]["text"]
    assert clipboard.startswith("Zilcha-Mano, S. (2017) ‘Is the alliance really therapeutic?")

    # The choice is remembered for the next visit.
    page.reload()
    expect_selected(page, "Harvard (Cite Them Right)", "harvard-cite-them-right")

    # The mouse copies too, the plain text of the selected style.
    tab(page, "Vancouver").click()
    panel(page, "vancouver").get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_have_text(
        "Copied Vancouver to the clipboard."
    )
    assert page.evaluate("navigator.clipboard.readText()") == citations["vancouver"]["text"]


def test_copy_puts_an_html_flavour_on_the_clipboard(page, citations):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/articles/1/")

    panel(page, "apa").get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_be_visible()

    flavours = page.evaluate(
        """async () => {
            const [item] = await navigator.clipboard.read();
            const out = {};
            for (const type of item.types) out[type] = await (await item.getType(type)).text();
            return out;
        }"""
    )
    assert flavours["text/plain"] == citations["apa"]["text"]
    assert "<i>American Psychologist</i>" in flavours["text/html"]


def test_bibtex_tab_copies_the_entry(page, seeded):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/articles/1/")

    tab(page, "BibTeX").click()
    panel(page, "bibtex").get_by_role("button", name="Copy").click()

    expect(page.get_by_role("status").filter(has_text="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()").startswith(
        "@article{ZilchaMano2017,\n  author = {Zilcha-Mano, Sigal},\n"
    )


def test_without_javascript_every_style_is_listed(chromium, live_server, seeded):
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/articles/1/")

        expect(page.get_by_role("tablist")).to_have_count(0)
        headings = page.locator(".cite-box h3")
        assert headings.all_inner_texts() == STYLES
        for index in range(len(STYLES)):
            expect(page.locator(".cite-box__panel").nth(index)).to_be_visible()
        expect(page.get_by_role("button", name="Copy")).to_have_count(0)
        expect(page.locator("#cite-panel-apa .csl-entry")).to_contain_text(
            "Zilcha-Mano, S. (2017). Is the alliance really therapeutic?"
        )
    finally:
        context.close()


def test_remembered_style_falls_back_when_storage_is_blocked(page, seeded):
    page.add_init_script(
        "Object.defineProperty(window, 'localStorage', {get() { throw new Error('blocked'); }});"
    )
    page.goto("/articles/1/")

    tab(page, "Vancouver").click()
    expect_selected(page, "Vancouver", "vancouver")
    page.reload()
    expect_selected(page, "APA 7th edition", "apa")


@pytest.mark.parametrize("enhanced", [True, False], ids=["tabs", "list"])
def test_article_page_with_the_cite_box_is_accessible(page, seeded, enhanced):
    if not enhanced:
        # The box as it is without JavaScript (axe itself needs JavaScript to run).
        page.route("**/cite.js", lambda route: route.abort())
    page.goto("/articles/1/")
    if enhanced:
        tab(page, "RIS").click()
        expect_selected(page, "RIS", "ris")
    else:
        expect(page.locator(".cite-box__panel:visible")).to_have_count(len(STYLES))

    violations = axe_violations(page)

    assert not violations, describe(violations)
