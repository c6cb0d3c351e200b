"""The Cite box in headless Chromium: tabs by mouse and keyboard, Copy, the remembered style,
"More styles" (type-ahead, language, copy, remembered across reloads, and the plain form
without JavaScript), the page without JavaScript, and axe-core on the article and /styles/."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from catalogue.citations import get_style
from catalogue.citations import render_citation as _render_citation
from catalogue.citations import render_citations as _render_citations
from catalogue.models import Article
from tests.accessibility import axe_violations, describe, scroll_width, wider_than

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


def outside_the_event_loop(function, *args, **kwargs):
    """Call `function` in another thread: Playwright's sync API runs an asyncio loop in this
    one, and mini-racer refuses a call with a timeout (as the engine makes) inside a loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def render_citation(article, **kwargs):
    """Return render_citation's answer for an article with its relations loaded."""
    return outside_the_event_loop(_render_citation, article, **kwargs)


def render_citations(article, **kwargs):
    """Return render_citations' answer for an article with its relations loaded."""
    return outside_the_event_loop(_render_citations, article, **kwargs)


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
    # The page came formatted in APA only: Harvard's panel is fetched when its tab is chosen.
    expect(panel(page, "harvard-cite-them-right").locator(".csl-entry")).to_have_text(
        citations["harvard-cite-them-right"]["text"]
    )

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


def test_without_javascript_every_style_is_listed(chromium, live_server, citations):
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/articles/1/")

        expect(page.get_by_role("tablist")).to_have_count(0)
        headings = page.locator(".cite-box__label")
        assert headings.all_inner_texts() == STYLES
        for index in range(len(STYLES)):
            expect(page.locator(".cite-box__panel").nth(index)).to_be_visible()
        expect(page.get_by_role("button", name="Copy")).to_have_count(0)
        # The chosen style (the default) is formatted, and only it; BibTeX and RIS are inline.
        expect(page.locator("#cite-panel-apa .csl-entry")).to_have_text(citations["apa"]["text"])
        expect(page.locator(".cite-box__panel .csl-entry")).to_have_count(1)
        expect(page.locator("#cite-panel-bibtex pre")).to_contain_text("@article{ZilchaMano2017,")
        expect(page.locator("#cite-panel-ris pre")).to_contain_text("TY  - JOUR")
        # Each other style is a link to the page in that style, which shows it formatted.
        others = {
            "harvard-cite-them-right": "Harvard (Cite Them Right)",
            "vancouver": "Vancouver",
            "modern-language-association": "MLA 9th edition",
            "chicago-author-date": "Chicago (author-date)",
            "american-medical-association": "AMA 11th edition",
        }
        links = page.locator(".cite-box__deferred a")
        assert links.all_inner_texts() == [
            f"Show the citation in {label}" for label in others.values()
        ]
        for style, label in others.items():
            link = panel(page, style).get_by_role("link", name=f"Show the citation in {label}")
            expect(link).to_have_attribute("href", f"/articles/1/?cite_style={style}#cite-heading")
        for style, label in others.items():
            page.goto("/articles/1/")
            panel(page, style).get_by_role("link", name=f"Show the citation in {label}").click()
            expect(page.locator(f"#cite-panel-{style} .csl-entry")).to_have_text(
                citations[style]["text"]
            )
            expect(page.locator(".cite-box__panel .csl-entry")).to_have_count(1)
    finally:
        context.close()


def cookies(page) -> dict[str, str]:
    """Return the Cite box's cookies (the record page's Select button also sets csrftoken)."""
    return cite_cookies(page.context)


def cite_cookies(context) -> dict[str, str]:
    return {c["name"]: c["value"] for c in context.cookies() if c["name"].startswith("cite_")}


def test_the_chosen_tab_is_remembered_in_a_cookie_the_server_reads(page, seeded):
    page.goto("/articles/1/")

    tab(page, "Vancouver").click()
    expect_selected(page, "Vancouver", "vancouver")
    assert cookies(page) == {"cite_style": "vancouver", "cite_locale": ""} or cookies(page) == {
        "cite_style": "vancouver"
    }
    # The server opens the page on it: no flash of the default tab.
    page.route("**/cite.js", lambda route: route.abort())
    page.reload()
    expect(page.locator("[data-cite-box]")).to_have_attribute("data-default-style", "vancouver")


def test_blocked_cookies_leave_the_default_style(page, seeded):
    page.add_init_script(
        "Object.defineProperty(document, 'cookie', {get() { return ''; }, "
        "set() { throw new Error('blocked'); }});"
    )
    page.goto("/articles/1/")

    tab(page, "Vancouver").click()
    expect_selected(page, "Vancouver", "vancouver")
    page.reload()
    expect_selected(page, "APA 7th edition", "apa")


NEURO = "nature-neuroscience-brief-communications"
NEURO_TITLE = "Nature Neuroscience (brief communications)"


def style_field(page):
    return page.get_by_role("combobox", name="Style title or id")


def test_more_styles_type_ahead_copy_reload_remembered(page, seeded):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    article = Article.objects.with_related().get(pk=1)
    expected = render_citation(article, style=NEURO)
    page.goto("/articles/1/")

    field = style_field(page)
    expect(field).to_have_attribute("aria-expanded", "false")
    field.press_sequentially("neuroscience brief", delay=20)
    options = page.get_by_role("listbox", name="Matching styles").get_by_role("option")
    expect(options).to_have_count(1)
    expect(field).to_have_attribute("aria-expanded", "true")
    expect(options.first).to_contain_text(NEURO_TITLE)
    expect(options.first).to_contain_text(f"{NEURO} · numeric")
    options.first.click()

    # The style is an extra tab, first, selected, fetched without a reload.
    expect(field).to_have_value(NEURO_TITLE)
    expect(page.get_by_role("listbox", name="Matching styles")).to_be_hidden()
    expect(tab(page, NEURO_TITLE)).to_have_attribute("aria-selected", "true")
    expect(page.locator("#cite-panel-chosen")).to_be_visible()
    assert page.locator("[role=tabpanel]:visible").count() == 1
    tabs = page.get_by_role("tablist", name="Citation style").get_by_role("tab")
    assert tabs.all_inner_texts() == [NEURO_TITLE, *STYLES]
    expect(page.locator("#cite-panel-chosen .csl-entry")).to_have_text(expected["text"])
    expect(page.get_by_role("status").filter(has_text="Showing")).to_have_text(
        f"Showing {NEURO_TITLE}."
    )
    assert cookies(page)["cite_style"] == NEURO

    # Copy copies the chosen style.
    page.locator("#cite-panel-chosen").get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_have_text(
        f"Copied {NEURO_TITLE} to the clipboard."
    )
    assert page.evaluate("navigator.clipboard.readText()") == expected["text"]

    # Remembered: the next visit opens on it, rendered by the server.
    page.reload()
    expect(tab(page, NEURO_TITLE)).to_have_attribute("aria-selected", "true")
    expect(page.locator("#cite-panel-chosen .csl-entry")).to_have_text(expected["text"])
    page.goto("/articles/2/")
    expect(tab(page, NEURO_TITLE)).to_have_attribute("aria-selected", "true")

    # Back to a core tab: that is remembered instead.
    tab(page, "MLA 9th edition").click()
    page.reload()
    expect_selected(page, "MLA 9th edition", "modern-language-association")
    expect(tab(page, NEURO_TITLE)).to_have_count(0)


def test_more_styles_by_keyboard_and_in_another_language(page, seeded):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    article = Article.objects.with_related().get(pk=1)
    page.goto("/articles/1/")

    field = style_field(page)
    field.press_sequentially("ieee", delay=20)
    listbox = page.get_by_role("listbox", name="Matching styles")
    expect(listbox.get_by_role("option")).to_have_count(3)
    page.keyboard.press("ArrowDown")
    first = listbox.get_by_role("option").first
    expect(first).to_have_attribute("aria-selected", "true")
    expect(field).to_have_attribute("aria-activedescendant", "cite-style-option-0")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    ieee = get_style("ieee").label
    expect(tab(page, ieee)).to_have_attribute("aria-selected", "true")
    expect(page.locator("#cite-panel-chosen .csl-entry")).to_have_text(
        render_citation(article, style="ieee")["text"]
    )

    # A language: the selected style in it, remembered.
    page.get_by_label("Language").select_option("de-DE")
    german = render_citation(article, style="ieee", locale="de-DE")["text"]
    expect(tab(page, f"{ieee} (de-DE)")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#cite-panel-chosen .csl-entry")).to_have_text(german)
    assert cookies(page)["cite_locale"] == "de-DE"
    page.locator("#cite-panel-chosen").get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == german

    page.reload()
    expect(tab(page, f"{ieee} (de-DE)")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_label("Language")).to_have_value("de-DE")

    # A core style in another language is an extra tab; in its own, its tab.
    tab(page, "Vancouver").click()
    page.get_by_label("Language").select_option("fr-FR")
    expect(tab(page, "Vancouver (fr-FR)")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#cite-panel-chosen .csl-entry")).to_have_text(
        render_citation(article, style="vancouver", locale="fr-FR")["text"]
    )
    page.get_by_label("Language").select_option("")
    expect_selected(page, "Vancouver", "vancouver")

    # Escape closes the list without choosing.
    field.fill("")
    field.press_sequentially("harvard", delay=20)
    expect(listbox).to_be_visible()
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect_selected(page, "Vancouver", "vancouver")


def test_more_styles_says_when_nothing_matches_and_when_a_style_fails(page, seeded):
    page.goto("/articles/1/")

    style_field(page).press_sequentially("zzzzqqq", delay=20)
    listbox = page.get_by_role("listbox", name="Matching styles")
    expect(listbox.get_by_role("option")).to_have_text(["No style matches."])
    page.keyboard.press("Enter")
    # Enter without a choice sends the plain form: the server says the same.
    expect(page.locator("[data-cite-notice]")).to_contain_text(
        "No style matches “zzzzqqq”: try other words, or browse every style."
    )
    expect_selected(page, "APA 7th edition", "apa")

    # An unknown style asked for through the JSON endpoint: a message, the tabs stay.
    page.route(
        "**/articles/1/cite/**",
        lambda route: route.fulfill(
            status=422,
            content_type="application/json",
            body='{"error": "The style \u201cX\u201d cannot be used."}',
        ),
    )
    style_field(page).fill("")
    style_field(page).press_sequentially("nature brackets", delay=20)
    listbox.get_by_role("option").first.click()
    expect(page.get_by_role("alert")).to_have_text("The style “X” cannot be used.")
    expect_selected(page, "APA 7th edition", "apa")


def test_more_styles_without_javascript(chromium, live_server, seeded):
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/articles/1/")

        page.get_by_label("Style title or id").fill("natur")
        page.get_by_label("Language").select_option("de-DE")
        page.get_by_role("button", name="Show").click()

        expect(page.locator("[data-cite-notice]")).to_contain_text(
            "Styles matching “natur”: choose one."
        )
        page.get_by_role("link", name="Nature", exact=True).click()

        labels = page.locator(".cite-box__label")
        expect(labels.first).to_have_text("Nature (de-DE)")
        assert labels.all_inner_texts() == ["Nature (de-DE)", *STYLES]
        article = Article.objects.with_related().get(pk=1)
        german = render_citation(article, style="nature", locale="de-DE")["text"]
        expect(page.locator("#cite-panel-chosen .csl-entry")).to_have_text(german)
        assert cite_cookies(context) == {
            "cite_style": "nature",
            "cite_locale": "de-DE",
        }

        page.goto("/articles/1/")
        expect(page.locator(".cite-box__label").first).to_have_text("Nature (de-DE)")
        expect(page.get_by_label("Language")).to_have_value("de-DE")
    finally:
        context.close()


def test_styles_page_links_back_to_the_record_in_a_style(page, seeded):
    page.goto("/articles/1/")
    page.get_by_role("link", name="Browse every style").click()
    page.get_by_label("Search styles by title, short title or id").fill("nature brackets")
    page.get_by_role("button", name="Search styles").click()

    page.get_by_role("link", name="Use in the Cite box: Nature (brackets, no superscript)").click()

    title = get_style("nature-brackets").label
    expect(tab(page, title)).to_have_attribute("aria-selected", "true")
    assert cookies(page)["cite_style"] == "nature-brackets"


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


def test_more_styles_open_and_the_styles_page_are_accessible(page, seeded):
    page.goto("/articles/1/")
    style_field(page).press_sequentially("nature", delay=20)
    listbox = page.get_by_role("listbox", name="Matching styles")
    expect(listbox.get_by_role("option").first).to_be_visible()
    page.keyboard.press("ArrowDown")

    violations = axe_violations(page)
    assert not violations, describe(violations)

    page.keyboard.press("Enter")
    expect(page.locator("#cite-panel-chosen")).to_be_visible()
    page.set_viewport_size({"width": 320, "height": 640})
    assert scroll_width(page) <= 320, wider_than(page, 320)
    violations = axe_violations(page)
    assert not violations, describe(violations)

    for path in ("/styles/", "/styles/?q=harvard&page=2&article=1", "/styles/?q=zzzz"):
        page.goto(path)
        violations = axe_violations(page)
        assert not violations, f"{path}:\n{describe(violations)}"
        assert scroll_width(page) <= 320, f"{path}: {wider_than(page, 320)}"
