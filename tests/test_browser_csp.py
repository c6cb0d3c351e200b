"""The Content-Security-Policy breaks no page: Chromium reports no violation and no error."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-staple-2"

# Every `securitypolicyviolation` event of the page, kept where the test can read it.
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
      + ` (${event.sourceFile}:${event.lineNumber})`
  );
});
"""


@pytest.fixture
def watched(page):
    """Yield the page and the list of console errors, uncaught exceptions and violations."""
    problems: list[str] = []
    page.context.add_init_script(COLLECT_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"exception: {error}"))
    return page, problems


def _violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations")


@pytest.fixture
def seeded(transactional_db):
    call_command("loaddata", "seed", verbosity=0)
    get_user_model().objects.create_superuser("boss", password=PASSWORD)


def _log_in(page, path: str) -> None:
    page.goto(path)
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


@pytest.mark.parametrize(
    ("path", "ready"),
    [
        ("/", "h1"),
        ("/search/?q=alliance", ".result"),
        ("/search/facets/keyword/?q=alliance", "h1"),
        ("/articles/1/", ".cite-box"),
        ("/journals/1/", "h1"),
        ("/styles/", ".style-list__style"),
        ("/summaries/", "h1"),
        ("/accounts/login/", "form.login-form"),
        ("/nowhere/", "h1"),
        ("/api/articles/?format=api", "pre"),
        # Swagger UI: the split view serves its start-up script as a file.
        ("/api/docs/", ".opblock"),
    ],
)
def test_public_pages_run_under_the_policy(watched, seeded, path, ready):
    page, problems = watched

    response = page.goto(path)
    page.locator(ready).first.wait_for()

    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert _violations(page) == []
    # A 404 page logs its own status as a console error; nothing else may.
    assert [p for p in problems if "404 (Not Found)" not in p] == []


def test_the_cite_box_and_search_scripts_work_under_the_policy(watched, seeded):
    page, problems = watched
    page.goto("/articles/1/")
    tabs = page.get_by_role("tab")
    tabs.nth(1).click()
    assert tabs.nth(1).get_attribute("aria-selected") == "true"

    page.goto("/search/?q=alliance")
    page.locator(".result").first.wait_for()

    assert _violations(page) == []
    assert problems == []


def test_the_admin_and_the_import_pages_run_under_the_policy(watched, seeded):
    page, problems = watched
    _log_in(page, "/admin/login/?next=/admin/")
    page.wait_for_url(re.compile(r"/admin/$"))
    seen = {}
    for path in [
        "/admin/",
        "/admin/catalogue/article/",
        "/admin/catalogue/article/1/change/",
        "/admin/catalogue/article/add/",
        "/import/",
        "/import/history/",
    ]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        seen[path] = _violations(page)

    assert seen == {path: [] for path in seen}
    assert problems == []
    # The import pages' fixed <style> block applies (allowed by its hash).
    page.goto("/import/")
    assert (
        page.locator(".import-form .helptext").first.evaluate(
            "element => getComputedStyle(element).display"
        )
        == "block"
    )


def test_the_lockout_page_runs_under_the_policy(watched, seeded, settings):
    page, problems = watched
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("boss")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()

    assert "Too many failed logins" in page.get_by_role("alert").inner_text()
    assert _violations(page) == []
    assert [p for p in problems if "429 (Too Many Requests)" not in p] == []
