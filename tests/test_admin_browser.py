"""The admin at 1280 px in Chromium: the article form fits, the article list shows titles."""

import pytest
from django.contrib.auth.models import User

from tests.accessibility import wider_than
from tests.factories import make_article, make_author, make_journal, make_keyword

pytestmark = pytest.mark.browser

PASSWORD = "not-a-real-secret-1"
LONG_TITLE = (
    "The therapeutic alliance and outcome in individual psychotherapy for adults with "
    "depression: a systematic review and meta-analysis of randomised controlled trials"
)


@pytest.fixture
def long_records(transactional_db):
    """An article with a long title, a long journal name, five authors and keywords."""
    journal = make_journal(
        title="International Journal of Psychotherapy Research, Practice and Training"
    )
    authors = [
        make_author(family_name=f"Featherstonehaugh-{n}", given_names="Maximiliana Josephine")
        for n in range(5)
    ]
    article = make_article(
        title=LONG_TITLE,
        journal=journal,
        authors=authors,
        keywords=[make_keyword(term="therapeutic alliance")],
        abstract="An abstract. " * 80,
        doi="10.1000/a-very-long-doi-suffix-that-goes-on-and-on-1234567890",
    )
    for n in range(30):
        make_article(title=f"{LONG_TITLE} ({n})", journal=journal)
    return article


def log_in(page) -> None:
    User.objects.create_superuser("admin", "admin@example.org", PASSWORD)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


def overflow(page) -> tuple[int, int]:
    """Return the page's scroll width and client width."""
    return page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )


def test_the_article_form_fits_1280_px(page, long_records):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page)

    page.goto(f"/admin/catalogue/article/{long_records.pk}/change/")

    scroll, client = overflow(page)
    assert scroll <= client, wider_than(page, client)
    # Each author's row is there, whole: the inline's table fits its box (it does not scroll).
    assert page.locator("#authorships-group tbody tr.has_original").count() == 5
    for group in ("#authorships-group", "#contributors-group"):
        table_width, box_width = page.evaluate(
            "(s) => [document.querySelector(s + ' table').scrollWidth,"
            " document.querySelector(s + ' .tabular').clientWidth]",
            group,
        )
        assert table_width <= box_width, group
    delete = page.locator("#authorships-group tbody tr.has_original input[type=checkbox]").first
    assert delete.bounding_box()["x"] + delete.bounding_box()["width"] <= client


def test_the_article_list_shows_titles_readably_at_1280_px(page, long_records):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page)

    page.goto("/admin/catalogue/article/")

    scroll, client = overflow(page)
    assert scroll <= client, wider_than(page, client)
    title = page.locator("#result_list th.field-title").first
    assert title.bounding_box()["width"] >= 350, title.bounding_box()
    # Every column in view: the list does not scroll sideways either.
    results = page.evaluate(
        "() => [document.querySelector('.results').scrollWidth,"
        " document.querySelector('.results').clientWidth]"
    )
    assert results[0] <= results[1], results
    # The 160-character title wraps in four lines or so (it took 14 in 118 px before).
    assert title.bounding_box()["height"] <= 100, title.bounding_box()
