"""The login page (templates/registration/login.html): styled, with accessible errors."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import expect

from tests.accessibility import axe_violations, describe, scroll_width

PASSWORD = "correct-horse-battery-staple-1"
WRONG = "Please enter a correct username and password. Note that both fields may be case-sensitive."


def make_librarian(*, username: str = "librarian", password: str = PASSWORD):
    """Return a saved user who can log in with `password`."""
    return get_user_model().objects.create_user(username, password=password)


def inputs(html: str) -> dict[str, str]:
    """Return each <input>'s tag by its name."""
    return {
        re.search(r'name="([^"]+)"', tag).group(1): tag for tag in re.findall(r"<input[^>]*>", html)
    }


@pytest.mark.django_db
def test_the_page_is_styled_and_its_fields_are_labelled_without_errors(client):
    response = client.get("/accounts/login/?next=/import/")

    html = response.text
    assert response.status_code == 200
    assert "<title>Log in · Research catalogue</title>" in html
    assert '<link rel="stylesheet" href="/static/catalogue/accounts.css">' in html
    assert '<label for="id_username">Username</label>' in html
    assert '<label for="id_password">Password</label>' in html
    fields = inputs(html)
    assert 'autocomplete="username"' in fields["username"]
    assert "autofocus" in fields["username"]
    assert 'autocomplete="current-password"' in fields["password"]
    assert 'value="/import/"' in fields["next"]
    assert "aria-invalid" not in html
    assert "There is a problem" not in html
    assert 'style="' not in html and "<style" not in html  # the CSP forbids inline styles


@pytest.mark.django_db
def test_a_wrong_password_is_summarised_and_marks_both_fields():
    make_librarian()
    client = Client()

    response = client.post("/accounts/login/", {"username": "librarian", "password": "wrong"})

    html = response.text
    assert response.status_code == 200
    assert "<title>Error: Log in · Research catalogue</title>" in html
    assert "_auth_user_id" not in client.session
    start = html.index('<div class="login__summary"')
    summary = html[start : html.index("</div>", start)]
    assert 'role="alert"' in summary
    assert '<h2 id="login-summary-heading">There is a problem</h2>' in summary
    assert f'<li id="login-form-error-1"><a href="#id_username">{WRONG}</a></li>' in summary
    fields = inputs(html)
    for name in ("username", "password"):
        assert 'aria-invalid="true"' in fields[name]
        assert 'aria-describedby="login-form-error-1"' in fields[name]
    # The username is kept, the password never sent back.
    assert 'value="librarian"' in fields["username"]
    assert "value=" not in fields["password"]
    assert "autofocus" not in fields["username"]


@pytest.mark.django_db
def test_empty_fields_each_say_so_and_link_from_the_summary(client):
    response = client.post("/accounts/login/", {"username": "", "password": ""})

    html = response.text
    assert response.status_code == 200
    assert '<a href="#id_username">Username: This field is required.</a>' in html
    assert '<a href="#id_password">Password: This field is required.</a>' in html
    fields = inputs(html)
    assert 'aria-describedby="username-error"' in fields["username"]
    assert 'aria-describedby="password-error"' in fields["password"]
    assert re.search(
        r'<p class="login__error" id="username-error"><span class="visually-hidden">Error: </span>'
        r"This field is required\. </p>",
        html,
    )


@pytest.mark.django_db
def test_a_hostile_username_is_escaped(client):
    response = client.post(
        "/accounts/login/", {"username": '"><script>alert(1)</script>', "password": "x"}
    )

    assert response.status_code == 200
    assert "<script>alert(1)" not in response.text
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in response.text


@pytest.mark.django_db
def test_the_right_password_logs_in_and_follows_next_but_not_off_site():
    user = make_librarian()
    client = Client()

    response = client.post(
        "/accounts/login/", {"username": "librarian", "password": PASSWORD, "next": "/import/"}
    )
    assert (response.status_code, response["Location"]) == (302, "/import/")
    assert client.session["_auth_user_id"] == str(user.pk)

    other = Client()
    off_site = other.post(
        "/accounts/login/",
        {"username": "librarian", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert (off_site.status_code, off_site["Location"]) == (302, "/")


@pytest.mark.django_db
def test_the_lockout_page_is_the_styled_login_page():
    make_librarian()
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        client.post("/accounts/login/", {"username": "librarian", "password": "wrong"})

    response = client.post("/accounts/login/", {"username": "librarian", "password": "wrong"})

    assert response.status_code == 429
    assert "<h2>Logging in is paused</h2>" in response.text
    assert "after 5 wrong passwords for “librarian”" in response.text
    assert 'name="password"' not in response.text


# In a browser ------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_logging_in_in_a_browser_after_a_wrong_password(page, transactional_db, width):
    make_librarian()
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/accounts/login/?next=/import/")
    assert axe_violations(page) == [], describe(axe_violations(page))
    expect(page.get_by_label("Username")).to_be_focused()

    page.get_by_label("Username").fill("librarian")
    page.get_by_label("Password").fill("not it")
    page.get_by_role("button", name="Log in").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("There is a problem")
    expect(alert).to_contain_text("Please enter a correct username and password.")
    expect(page.get_by_label("Username")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Username")).to_have_value("librarian")
    assert axe_violations(page) == [], describe(axe_violations(page))
    assert scroll_width(page) <= width
    # The card is styled: a bordered box narrower than the page on a desktop.
    card = page.locator("section.login").bounding_box()
    if width == 1280:
        assert 380 <= card["width"] <= 420

    alert.get_by_role("link").click()
    expect(page.get_by_label("Username")).to_be_focused()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/import/")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
