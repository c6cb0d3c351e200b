"""The import preview with each entry's parsed details, the history and an expired upload, in
Chromium at 1280 and 390 px: accessible (axe-core) and no wider than the screen."""

import datetime

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from catalogue import importer
from catalogue.models import ImportBatch
from tests.accessibility import axe_violations, describe, scroll_width, wider_than
from tests.test_browser_import import import_permissions
from tests.test_import_jobs import run_jobs
from tests.test_import_views import PARSED_BIB

pytestmark = pytest.mark.browser

PASSWORD = "not-a-real-secret-1"


@pytest.fixture
def previewed(transactional_db):
    """A librarian's upload of PARSED_BIB, previewed (its job run)."""
    user = User.objects.create_user("lib", password=PASSWORD)
    # Not the Librarians group: a transactional test's flush removes what migrations made.
    user.user_permissions.set(import_permissions())
    batch = importer.prepare_import(data=PARSED_BIB, filename="parsed.bib", user=user)
    run_jobs()
    batch.refresh_from_db()
    return batch


def log_in(page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("lib")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def check(page, width: int) -> None:
    """Assert the page is axe-clean and fits `width`."""
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    assert scroll_width(page) <= width, wider_than(page, width)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_preview_history_and_an_expired_upload_in_a_browser(page, previewed, width):
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page)

    page.goto(previewed.get_absolute_url())
    first = page.locator(".import-row").first
    expect(first.locator("dl.import-row__parsed")).to_contain_text("Journal of New & Old Things")
    expect(first.locator("dl.import-row__parsed")).to_contain_text("Richard de la Roe")
    expect(first.get_by_role("link", name="10.1000/new<2021>")).to_be_visible()
    check(page, width)

    page.goto("/import/history/")
    expect(page.get_by_role("heading", name="Awaiting confirmation")).to_be_visible()
    expect(page.get_by_role("region", name="Awaiting confirmation")).to_contain_text("parsed.bib")
    check(page, width)

    ImportBatch.objects.filter(pk=previewed.pk).update(
        created=previewed.created - datetime.timedelta(days=8)
    )
    response = page.goto(previewed.get_absolute_url())
    assert response.status == 410
    expect(page.get_by_role("alert")).to_contain_text("Nothing was imported")
    check(page, width)
