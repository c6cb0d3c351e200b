"""Settings come from the environment only; production settings pass Django's deploy checks."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "k3y-" + "x7Q9!fZ2@rT5#pL8$wN4%vB6^mC1&hJ3*dG0" * 2,
    "ALLOWED_HOSTS": "catalogue.example.org",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {key: value for key, value in os.environ.items() if key not in PRODUCTION_ENV}
    base.pop("DJANGO_SETTINGS_MODULE", None)
    # A deployment's replicas and cache are not the subject of these checks (tests set them).
    base.pop("DATABASE_REPLICA_URLS", None)
    base.pop("CACHE_URL", None)
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


@pytest.mark.parametrize(
    ("key", "length", "distinct"),
    [
        ("short-" + "x7Q9!fZ2@rT5#pL8$wN4%vB6^mC1&hJ3*dG0", 42, 40),
        ("ab" * 30, 60, 2),
        ("django-insecure-" + "x7Q9!fZ2@rT5#pL8$wN4%vB6^mC1&hJ3*dG0", 52, 47),
    ],
    ids=["short", "few-distinct-characters", "django-insecure-prefix"],
)
def test_debug_off_refuses_a_weak_secret_key(key, length, distinct):
    result = manage("check", env={**PRODUCTION_ENV, "SECRET_KEY": key})
    assert result.returncode != 0
    assert (
        "SECRET_KEY is too weak for DEBUG off: it needs at least 50 characters, 5 of them "
        "different, and must not start with 'django-insecure-' "
        f"(it has {length} characters, {distinct} different)."
    ) in result.stderr


def test_debug_on_accepts_any_secret_key():
    result = manage("check", env={"DEBUG": "1", "SECRET_KEY": "ab"})
    assert result.returncode == 0, result.stderr


SECURITY_SETTINGS = (
    "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, "
    "s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS)"
)


def test_production_defaults_to_https_redirect_hsts_and_secure_cookies():
    result = manage("shell", "--no-imports", "-c", SECURITY_SETTINGS, env=PRODUCTION_ENV)
    assert result.stdout.split() == ["True", "True", "True", "31536000"], result.stderr


def test_plain_http_demo_sets_cookies_a_browser_keeps_over_http():
    # HTTPS=0 (docker-compose.yml): a Secure cookie is dropped by browsers on http:// from any
    # name but localhost, so the CSRF cookie never came back and no login could succeed.
    env = {**PRODUCTION_ENV, "HTTPS": "0", "ALLOWED_HOSTS": "demo.example"}
    result = manage("shell", "--no-imports", "-c", SECURITY_SETTINGS, env=env)
    assert result.stdout.split() == ["False", "False", "False", "0"], result.stderr

    script = (
        "from django.test import Client; "
        "r = Client().get('/accounts/login/', HTTP_HOST='demo.example'); "
        "print(r.status_code, repr(r.cookies['csrftoken']['secure']))"
    )
    served = manage("shell", "--no-imports", "-c", script, env=env)
    assert served.stdout.split() == ["200", "''"], served.stderr


def test_debug_off_without_collectstatic_serves_pages_and_says_what_to_run(tmp_path):
    # Before: every page was a 500 (no staticfiles.json manifest) and nothing said why.
    env = {
        **PRODUCTION_ENV,
        "HTTPS": "0",
        "ALLOWED_HOSTS": "testserver",
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    script = (
        "from django.test import Client; c = Client(); "
        "page = c.get('/accounts/login/'); "
        "css = c.get('/static/catalogue/catalogue.css'); "
        "print(page.status_code, '/static/catalogue/catalogue.css' in page.text, "
        "css.status_code)"
    )
    result = manage("shell", "--no-imports", "-c", script, env=env)
    assert result.stdout.split() == ["200", "True", "200"], result.stderr
    assert (
        "Warning: DEBUG is off but static files have not been collected (no "
        f"{tmp_path / 'static' / 'staticfiles.json'}); serving them uncompressed and without "
        "cache busting. Run `python manage.py collectstatic --noinput` before starting."
    ) in result.stderr

    collected = manage("collectstatic", "--noinput", env=env)
    assert collected.returncode == 0, collected.stderr
    assert "Warning: DEBUG is off" not in collected.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()
    hashed = manage("shell", "--no-imports", "-c", script.replace("css.status_code", "''"), env=env)
    assert hashed.stdout.split() == ["200", "False"], hashed.stderr
    assert "Warning: DEBUG is off" not in hashed.stderr


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


REPLICA_SETTINGS = (
    "import json; from django.conf import settings as s; print(json.dumps({"
    "'aliases': sorted(s.DATABASES), 'replicas': s.DATABASE_REPLICAS, "
    "'routers': s.DATABASE_ROUTERS, 'pin': s.DATABASE_PRIMARY_PIN_SECONDS, "
    "'lag': s.DATABASE_REPLICA_MAX_LAG, 'check': s.DATABASE_REPLICA_CHECK_SECONDS, "
    "'replica1': {k: s.DATABASES['replica1'][k] for k in ('HOST', 'PORT', 'NAME', 'OPTIONS', "
    "'TEST')} if 'replica1' in s.DATABASES else None}))"
)
PRIMARY_URL = "postgres://u@primary.invalid:5432/catalogue"


def test_replica_urls_become_replica_aliases_of_a_postgresql_primary():
    env = {
        "DATABASE_URL": PRIMARY_URL,
        "DATABASE_REPLICA_URLS": " postgres://u@r1.invalid:5433/catalogue ,"
        "postgres://u@r2.invalid/catalogue?connect_timeout=7,",
    }
    result = manage("shell", "--no-imports", "-c", REPLICA_SETTINGS, env=env)
    assert result.returncode == 0, result.stderr
    configured = json.loads(result.stdout)
    assert configured["aliases"] == ["default", "replica1", "replica2"]
    assert configured["replicas"] == ["replica1", "replica2"]
    assert configured["routers"] == ["catalogue.routers.ReplicaRouter"]
    assert configured["replica1"]["HOST"] == "r1.invalid"
    assert configured["replica1"]["PORT"] == 5433
    assert configured["replica1"]["NAME"] == "catalogue"
    assert configured["replica1"]["OPTIONS"] == {"connect_timeout": 2, "options": "-c jit=off"}
    assert configured["replica1"]["TEST"]["MIRROR"] == "default"
    # The lag bound, its check interval, and the pin: twice their sum by default.
    assert (configured["lag"], configured["check"], configured["pin"]) == (5.0, 2.0, 14)


def test_without_replica_urls_there_is_one_database():
    result = manage(
        "shell", "--no-imports", "-c", REPLICA_SETTINGS, env={"DATABASE_REPLICA_URLS": ""}
    )
    configured = json.loads(result.stdout)
    assert configured["aliases"] == ["default"]
    assert configured["replicas"] == []
    assert configured["replica1"] is None


@pytest.mark.parametrize(
    ("primary", "replica", "engines"),
    [
        ("", "postgres://u@r1.invalid/catalogue", "postgresql, the primary sqlite3"),
        (PRIMARY_URL, "sqlite:///other.sqlite3", "sqlite3, the primary postgresql"),
    ],
    ids=["sqlite-primary", "sqlite-replica"],
)
def test_replicas_need_postgresql_on_both_sides(primary, replica, engines):
    result = manage("check", env={"DATABASE_URL": primary, "DATABASE_REPLICA_URLS": replica})
    assert result.returncode != 0
    assert (
        "DATABASE_REPLICA_URLS lists PostgreSQL streaming replicas of a PostgreSQL DATABASE_URL "
        f"(postgres://...); replica 1 is {engines}."
    ) in result.stderr


def test_a_pin_shorter_than_the_lag_bound_and_check_is_refused():
    env = {"DATABASE_REPLICA_MAX_LAG": "10", "DATABASE_PRIMARY_PIN_SECONDS": "11"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert (
        "DATABASE_PRIMARY_PIN_SECONDS=11 is shorter than DATABASE_REPLICA_MAX_LAG + "
        "DATABASE_REPLICA_CHECK_SECONDS (10 + 2)"
    ) in result.stderr
    env["DATABASE_PRIMARY_PIN_SECONDS"] = "12"
    accepted = manage("shell", "--no-imports", "-c", REPLICA_SETTINGS, env=env)
    assert json.loads(accepted.stdout)["pin"] == 12


def test_cache_url_must_be_redis():
    result = manage("check", env={"CACHE_URL": "memcached://127.0.0.1:11211"})
    assert result.returncode != 0
    assert "CACHE_URL must be a Redis URL (redis://host:6379/0, rediss:// or unix://)." in (
        result.stderr
    )


def test_cache_url_selects_redis_with_short_timeouts():
    script = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps([s.CACHES['default'], s.SESSION_ENGINE]))"
    )
    result = manage(
        "shell", "--no-imports", "-c", script, env={"CACHE_URL": "redis://r.invalid:6379/3"}
    )
    cache, sessions = json.loads(result.stdout)
    assert cache == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://r.invalid:6379/3",
        "KEY_PREFIX": "catalogue",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
    assert sessions == "django.contrib.sessions.backends.cached_db"
    default = manage("shell", "--no-imports", "-c", script, env={"CACHE_URL": ""})
    cache, sessions = json.loads(default.stdout)
    assert cache == {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    assert sessions == "django.contrib.sessions.backends.db"


def test_postgresql_connections_run_without_jit_unless_the_url_says_otherwise():
    script = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps({a: d.get('OPTIONS', {}).get('options') for a, d in "
        "s.DATABASES.items()}))"
    )
    primary = "postgres://postgres@db.invalid:5432/catalogue"
    plain = manage(
        "shell",
        "--no-imports",
        "-c",
        script,
        env={"DATABASE_URL": primary, "DATABASE_REPLICA_URLS": primary.replace("db.", "r1.")},
    )
    assert json.loads(plain.stdout) == {"default": "-c jit=off", "replica1": "-c jit=off"}
    chosen = manage(
        "shell",
        "--no-imports",
        "-c",
        script,
        env={"DATABASE_URL": primary + "?options=-c%20work_mem%3D64MB"},
    )
    assert json.loads(chosen.stdout) == {"default": "-c work_mem=64MB"}
    sqlite = manage("shell", "--no-imports", "-c", script, env={"DATABASE_URL": ""})
    assert json.loads(sqlite.stdout) == {"default": None}


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_connection_has_jit_off():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
