"""Accessibility of every reader and librarian page: axe-core finds no serious or critical
violation, pages fit a 320 px wide screen, and the import preview works from the keyboard."""

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command

from catalogue.importer.permissions import IMPORT_PERMISSIONS
from catalogue.models import Article, ImportBatch
from tests.accessibility import axe_violations, describe, require_axe, scroll_width, wider_than
from tests.test_browser_import import follow_the_job, job_worker  # noqa: F401 - a fixture

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 640}
LIBRARIAN_PASSWORD = "not-a-real-secret-1"
SUMMARY_PATH = "/summaries/is-the-therapeutic-alliance-the-most-important-part-of-therapy/"
BIBTEX = """@article{hoffart2024,
  author = {Hoffart, Asle and Johnson, Sverre Urnes},
  title = {Alliance and outcome in a randomized trial},
  journal = {Psychotherapy Research},
  year = {2024},
  volume = {34},
  pages = {100--112},
  doi = {10.1080/10503307.2024.0000001}
}
"""

READER_PAGES = {
    "home": "/",
    "search": "/search/?q=alliance",
    "search without results": "/search/?q=zzzz",
    "article": "/articles/1/",
    "article cited by a summary": "/articles/3/",
    "journal": "/journals/1/",
    "author": "/authors/2/",
    "keyword": "/keywords/alliance/",
    "subject": "/subjects/1/",
    "summary list": "/summaries/",
    "summary list with a bad filter": "/summaries/?audience=nobody",
    "summary detail": SUMMARY_PATH,
    "404": "/articles/999999/",
}


@pytest.fixture
def seeded(transactional_db):
    call_command("loaddata", "seed", "evidence_summaries", verbosity=0)


@pytest.fixture
def axe():
    require_axe()


def assert_accessible(page, where: str) -> None:
    """Assert no serious or critical axe violation, wide and at 320 px, and no sideways
    scrolling at 320 px."""
    violations = axe_violations(page)
    assert not violations, f"{where}:\n{describe(violations)}"
    page.set_viewport_size(NARROW)
    width = scroll_width(page)
    assert width <= NARROW["width"], f"{where} is {width}px wide: {wider_than(page, 320)}"
    violations = axe_violations(page)
    assert not violations, f"{where} at 320 px:\n{describe(violations)}"


def log_in_as_librarian(page, *, next_path: str) -> None:
    """Create a staff user who may import and log in through the admin login form."""
    # Not the Librarians group: transactional tests flush the rows migrations created.
    user = User.objects.create_user("librarian", password=LIBRARIAN_PASSWORD, is_staff=True)
    codenames = [name.split(".", 1)[1] for name in IMPORT_PERMISSIONS]
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="catalogue", codename__in=codenames)
    )
    page.goto(f"/admin/login/?next={next_path}")
    page.get_by_label("Username").fill("librarian")
    page.get_by_label("Password").fill(LIBRARIAN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))


def preview_import(page) -> None:
    """From the import page, paste one BibTeX entry and open its preview."""
    page.get_by_label("…or paste BibTeX").fill(BIBTEX)
    page.get_by_role("button", name="Preview import").click()
    page.wait_for_url(re.compile(r"/import/\d+/$"))
    # The job worker prepares the preview; its page refreshes itself when asked to.
    follow_the_job(page)
    page.get_by_role("heading", level=1, name="Preview: pasted text", exact=True).wait_for()


@pytest.mark.parametrize("path", READER_PAGES.values(), ids=READER_PAGES.keys())
def test_reader_pages_are_accessible_and_fit_320_pixels(page, seeded, axe, path):
    response = page.goto(path)

    assert response.status in (200, 400, 404)
    assert_accessible(page, path)


@pytest.mark.usefixtures("job_worker")
def test_the_import_pages_are_accessible_to_a_librarian(page, seeded, axe):
    log_in_as_librarian(page, next_path="/import/")
    assert_accessible(page, "import start")

    page.set_viewport_size({"width": 1280, "height": 800})
    preview_import(page)
    assert page.get_by_role("heading", level=1).inner_text() == "Preview: pasted text"
    assert_accessible(page, "import preview")

    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("button", name=re.compile(r"^Import 1 new")).click()
    page.wait_for_url(re.compile(r"/import/\d+/$"))
    assert_accessible(page, "import job")
    page.set_viewport_size({"width": 1280, "height": 800})
    follow_the_job(page)
    page.get_by_text("Imported pasted text: created 1").wait_for()
    assert_accessible(page, "import report")

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/import/history/")
    assert_accessible(page, "import history")


@pytest.mark.usefixtures("job_worker")
def test_the_import_preview_is_confirmed_with_the_keyboard_only(page, seeded):
    log_in_as_librarian(page, next_path="/import/")
    preview_import(page)
    confirm = re.compile(r"^Import 1 new and 0 updated records?$")

    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => [document.activeElement.tagName, document.activeElement.textContent.trim()]"
        )
        if focused[0] == "BUTTON" and confirm.match(focused[1]):
            break
    else:
        pytest.fail("Tab never reached the confirm button of the import preview")
    # The focused element shows where it is (WCAG 2.4.7): the stylesheet's outline.
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"

    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/import/\d+/$"))
    follow_the_job(page)
    page.get_by_text("Imported pasted text: created 1").wait_for()
    assert Article.objects.filter(doi="10.1080/10503307.2024.0000001").exists()
    assert ImportBatch.objects.get().status == "completed"
