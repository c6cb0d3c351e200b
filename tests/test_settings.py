"""Settings come from the environment only; production settings pass Django's deploy checks."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "k3y-" + "x7Q9!fZ2@rT5#pL8$wN4%vB6^mC1&hJ3*dG0" * 2,
    "ALLOWED_HOSTS": "catalogue.example.org",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {key: value for key, value in os.environ.items() if key not in PRODUCTION_ENV}
    base.pop("DJANGO_SETTINGS_MODULE", None)
    # Set by the browser tests' Playwright fixture for this process only, not a deployment's.
    base.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_production_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_debug_off_refuses_the_development_secret_key():
    result = manage("check", env={"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set in the environment when DEBUG is off" in result.stderr


def test_malformed_debug_value_is_a_clear_error():
    result = manage("check", env={"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean (use 1/0, true/false)." in result.stderr


def test_database_url_selects_the_database():
    script = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        script,
        env={"DATABASE_URL": "postgres://u@db.invalid:5432/x"},
    )
    assert result.stdout.strip() == "django.db.backends.postgresql"
    default = manage("shell", "--no-imports", "-c", script, env={"DATABASE_URL": ""})
    assert default.stdout.strip() == "django.db.backends.sqlite3"


def test_docker_compose_file_is_valid_and_complete():
    # No Docker engine runs here, so `docker compose config` cannot: check the structure.
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    db, web = compose["services"]["db"], compose["services"]["web"]
    assert db["image"] == "postgres:16"
    assert db["volumes"] == ["pgdata:/var/lib/postgresql/data"]
    assert db["command"] == ["postgres", "-c", "shared_buffers=${POSTGRES_SHARED_BUFFERS:-1GB}"]
    assert "pgdata" in compose["volumes"]
    assert db["healthcheck"]["test"][0] == "CMD-SHELL"
    assert "pg_isready" in db["healthcheck"]["test"][1]
    assert web["build"] == "."
    assert web["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert web["environment"]["DATABASE_URL"].startswith("postgres://")
    assert web["environment"]["DEBUG"] == "0"
    assert web["environment"]["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert "migrate --noinput" in web["command"]
    assert "gunicorn catalogue.wsgi" in web["command"]
    assert web["ports"] == ["8000:8000"]


def test_dockerfile_collects_static_and_serves_with_gunicorn():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("FROM python:3.11")
    assert "collectstatic --noinput" in dockerfile
    assert 'CMD ["gunicorn", "catalogue.wsgi"' in dockerfile


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_requirements_are_pinned(name):
    lines = [
        line.strip()
        for line in (ROOT / name).read_text().splitlines()
        if line.strip() and not line.startswith(("#", "-r"))
    ]
    assert lines, name
    assert all("==" in line for line in lines), lines


def test_the_wsgi_entry_point_freezes_start_up_objects_and_raises_gc_thresholds():
    import gc

    before = gc.get_threshold()
    try:
        from catalogue import wsgi

        wsgi.tune_garbage_collection()
        assert gc.get_threshold() == (20_000, 50, 20)
        assert gc.get_freeze_count() > 0
        assert callable(wsgi.application)
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_every_app_setting_defaults_to_what_settings_py_sets(monkeypatch):
    # catalogue/conf.py holds the defaults; settings.py must not run with different values
    # when the environment sets none of them.
    from catalogue import conf

    for name in conf.DEFAULTS:
        monkeypatch.delenv(name, raising=False)

    script = (
        "import json; from django.conf import settings; from catalogue import conf; "
        "print(json.dumps({name: getattr(settings, name) for name in conf.DEFAULTS "
        "if hasattr(settings, name)}))"
    )
    result = manage("shell", "--no-imports", "-c", script, env={})
    assert result.returncode == 0, result.stderr
    configured = json.loads(result.stdout)
    assert configured == {name: conf.DEFAULTS[name] for name in configured}


def test_app_settings_are_read_at_call_time_so_overrides_apply(settings):
    from django.test import override_settings

    from catalogue import conf

    assert conf.get("SEARCH_PAGE_SIZE") == 20
    settings.SEARCH_PAGE_SIZE = 7
    assert conf.get("SEARCH_PAGE_SIZE") == 7
    with override_settings(CITATION_BIBLIOGRAPHY_MAX=3):
        assert conf.get("CITATION_BIBLIOGRAPHY_MAX") == 3
    del settings.CITATION_BIBLIOGRAPHY_MAX
    assert conf.get("CITATION_BIBLIOGRAPHY_MAX") == 5000


def test_an_unknown_app_setting_is_an_error():
    from catalogue import conf

    with pytest.raises(KeyError):
        conf.get("SEARCH_NO_SUCH_SETTING")
