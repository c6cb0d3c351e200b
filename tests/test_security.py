"""Login throttling (django-axes) and the Content-Security-Policy header (django-csp)."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple-1"
LIMIT = 5  # settings.AXES_FAILURE_LIMIT


@pytest.fixture
def librarian():
    return get_user_model().objects.create_user("librarian", password=PASSWORD)


def _log_in(client: Client, username: str, password: str, *, path: str = "/accounts/login/"):
    return client.post(path, {"username": username, "password": password})


@pytest.fixture
def hashes(monkeypatch):
    """Count the calls of the backend that hashes passwords."""
    calls = []
    original = ModelBackend.authenticate

    def counted(self, request, username=None, password=None, **kwargs):
        calls.append(username)
        return original(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counted)
    return calls


def test_wrong_passwords_lock_the_username_out_even_with_the_right_one(librarian, hashes):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(LIMIT - 1):
        response = _log_in(client, "librarian", "wrong")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.text
    assert len(hashes) == LIMIT - 1

    locked = _log_in(client, "librarian", "wrong")
    assert locked.status_code == 429
    assert "Too many failed logins: after 5 wrong passwords for “librarian”" in locked.text
    assert "logging in is paused for 15 minutes" in locked.text

    refused = _log_in(client, "librarian", PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    # The refused attempts never reached the password check (no hash computed).
    assert len(hashes) == LIMIT
    assert AccessAttempt.objects.get(username="librarian").failures_since_start >= LIMIT


def test_the_admin_login_is_throttled_too(librarian):
    librarian.is_staff = True
    librarian.save()
    client = Client(REMOTE_ADDR="203.0.113.8")
    for _ in range(LIMIT):
        _log_in(client, "librarian", "wrong", path="/admin/login/")

    response = _log_in(client, "librarian", PASSWORD, path="/admin/login/")

    assert response.status_code == 429
    assert "Too many failed logins" in response.text
    assert "_auth_user_id" not in client.session


def test_a_lockout_leaves_other_users_and_other_addresses_alone(librarian):
    get_user_model().objects.create_user("colleague", password=PASSWORD)
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(LIMIT):
        _log_in(attacker, "librarian", "wrong")
    assert _log_in(attacker, "librarian", PASSWORD).status_code == 429

    colleague = _log_in(attacker, "colleague", PASSWORD)
    assert colleague.status_code == 302
    elsewhere = Client(REMOTE_ADDR="198.51.100.4")
    assert _log_in(elsewhere, "librarian", PASSWORD).status_code == 302


def test_a_success_resets_the_count(librarian):
    client = Client(REMOTE_ADDR="203.0.113.10")
    for _ in range(LIMIT - 1):
        _log_in(client, "librarian", "wrong")
    assert _log_in(client, "librarian", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    assert not AccessAttempt.objects.filter(username="librarian").exists()

    for _ in range(LIMIT - 1):
        assert _log_in(client, "librarian", "wrong").status_code == 200
    assert _log_in(client, "librarian", PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off(librarian, settings):
    from datetime import timedelta

    from django.utils import timezone

    client = Client(REMOTE_ADDR="203.0.113.11")
    for _ in range(LIMIT):
        _log_in(client, "librarian", "wrong")
    assert _log_in(client, "librarian", PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    assert _log_in(client, "librarian", PASSWORD).status_code == 302


EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src-attr": "'unsafe-inline'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _policy(response) -> dict[str, str]:
    directives = [part.strip() for part in response["Content-Security-Policy"].split(";")]
    return dict(part.split(" ", 1) for part in directives if part)


@pytest.mark.parametrize(
    "path", ["/", "/search/?q=x", "/accounts/login/", "/admin/login/", "/api/docs/", "/nowhere/"]
)
def test_every_page_has_the_content_security_policy(client, path):
    response = client.get(path)

    policy = _policy(response)
    assert {name: policy[name] for name in EXPECTED_CSP} == EXPECTED_CSP
    # Styles: the site's own files and the fixed <style> blocks by hash, nothing inline else.
    sources = policy["style-src"].split()
    assert sources[0] == "'self'"
    # 500 page, summary pages, Swagger UI, the browsable API's Pygments styles.
    assert len(sources) == 5
    assert all(source.startswith("'sha256-") for source in sources[1:])


def test_the_500_page_has_the_policy_and_its_style_block_is_allowed(rf):
    import base64
    import hashlib
    import re

    from csp.middleware import CSPMiddleware

    from catalogue.views.pages import server_error

    response = CSPMiddleware(lambda request: server_error(request))(rf.get("/"))

    block = re.search(r"<style>(.*?)</style>", response.content.decode(), re.DOTALL).group(1)
    digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in _policy(response)["style-src"].split()
