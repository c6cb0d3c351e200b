"""The health endpoint, and the shared cache (CACHE_URL) that several processes or nodes use.

/health/ reports the node, the database this request read, the primary, each replica's lag and
the default cache; 200 when the primary and the cache answer, 503 when one does not. The replica
tests use the real standby of tests/test_routers.py (`.ci/replica`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from catalogue import routers
from tests.factories import make_article
from tests.test_routers import (  # noqa: F401 - replica is a fixture
    REPLICA,
    REPLICA_PORT,
    pause_replay,
    replica,
    replica_problem,
    resume_replay,
)

ROOT = Path(__file__).resolve().parent.parent
URL = "/health/"
# A Redis database of these tests' own (only it is flushed).
REDIS_DB = int(os.environ.get("TEST_REDIS_DB") or 13)
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"


def test_the_url_is_named():
    assert reverse("catalogue:health") == URL


def test_health_on_the_test_database_without_replicas(db, client, monkeypatch, settings):
    monkeypatch.setenv("NODE_NAME", "web-7")
    settings.DATABASE_REPLICAS = []
    response = client.get(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    vendor = connection.vendor
    primary = {
        "alias": "default",
        "vendor": vendor,
        "host": "sqlite" if vendor == "sqlite" else routers.database_host("default"),
        "name": (
            os.path.basename(connection.settings_dict["NAME"])
            if vendor == "sqlite"
            else connection.settings_dict["NAME"]
        ),
        "answers": True,
    }
    assert body == {
        "status": "ok",
        "node": "web-7",
        "reads_from": primary,
        "primary": primary,
        "replicas": [],
        "replica_max_lag_seconds": 5.0,
        "cache": {
            "backend": "django.core.cache.backends.locmem.LocMemCache",
            "location": "",
            "answers": True,
        },
    }


def test_the_node_is_the_host_name_without_node_name(db, client, monkeypatch):
    import socket

    monkeypatch.delenv("NODE_NAME", raising=False)
    assert client.get(URL).json()["node"] == socket.gethostname()


def test_health_is_never_cached_nor_throttled_and_answers_get_only(db, client):
    # A load balancer asks every few seconds; each answer is measured afresh.
    statuses = {client.get(URL).status_code for _ in range(30)}
    assert statuses == {200}
    assert client.post(URL).status_code == 405
    assert client.head(URL).status_code == 200


def run_health(tmp_path, **env: str) -> tuple[int, dict, str]:
    """GET /health/ in a new process with `env`; return (status, body, stderr)."""
    base = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    for name in ("DATABASE_URL", "DATABASE_REPLICA_URLS", "CACHE_URL", "REQUIRE_REPLICA"):
        base.pop(name, None)
    script = (
        "import json; from django.test import Client; "
        "r = Client().get('/health/', HTTP_HOST='localhost'); "
        "print(r.status_code); print(r.content.decode())"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=ROOT,
        env={"DATABASE_URL": f"sqlite:///{tmp_path / 'health.sqlite3'}", **base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = result.stdout.strip().splitlines()
    assert len(lines) >= 2, result.stderr
    return int(lines[-2]), json.loads(lines[-1]), result.stderr


def test_an_unreachable_primary_is_a_503_without_its_password(tmp_path):
    status, body, _ = run_health(
        tmp_path,
        DATABASE_URL="postgres://catalogue:s3cret-pw@127.0.0.1:1/catalogue",
        DATABASE_REPLICA_URLS="postgres://catalogue:s3cret-pw@127.0.0.1:2/catalogue",
        NODE_NAME="web-down",
    )
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["node"] == "web-down"
    assert body["primary"] == {
        "alias": "default",
        "vendor": "postgresql",
        "host": "127.0.0.1:1",
        "name": "catalogue",
        "answers": False,
    }
    assert body["reads_from"]["alias"] == "default"
    (replica_status,) = body["replicas"]
    assert replica_status["alias"] == "replica1"
    assert replica_status["host"] == "127.0.0.1:2"
    assert replica_status["usable"] is False
    assert replica_status["problem"] == "unreachable (OperationalError)"
    assert "s3cret" not in json.dumps(body)


@pytest.mark.postgres
def test_a_standby_of_an_unreachable_primary_is_not_read_from(tmp_path):
    # Its lag cannot be measured without the primary's position.
    problem = replica_problem()
    if problem:
        if os.environ.get("REQUIRE_REPLICA"):
            pytest.fail(problem)
        pytest.skip(problem)
    status, body, _ = run_health(
        tmp_path,
        DATABASE_URL="postgres://postgres@127.0.0.1:1/postgres",
        DATABASE_REPLICA_URLS=f"postgres://postgres@127.0.0.1:{REPLICA_PORT}/postgres",
    )
    assert status == 503
    assert body["reads_from"]["alias"] == "default"
    (replica_status,) = body["replicas"]
    assert replica_status["host"] == f"127.0.0.1:{REPLICA_PORT}"
    assert replica_status["usable"] is False
    assert replica_status["problem"] == "primary unreachable, lag unknown (OperationalError)"


def test_a_cache_that_does_not_answer_is_a_503_without_its_password(tmp_path):
    status, body, _ = run_health(tmp_path, CACHE_URL="redis://:s3cret-pw@127.0.0.1:1/4")
    assert status == 503
    assert body["primary"]["answers"] is True
    assert body["cache"] == {
        "backend": "django.core.cache.backends.redis.RedisCache",
        "location": "redis://127.0.0.1:1/4",
        "answers": False,
    }
    assert "s3cret" not in json.dumps(body)


def test_production_answers_a_plain_http_probe_without_redirecting(tmp_path):
    from tests.test_settings import PRODUCTION_ENV

    env = {**PRODUCTION_ENV, "ALLOWED_HOSTS": "localhost"}
    status, body, stderr = run_health(tmp_path, **env)
    assert status == 200, stderr
    assert body["status"] == "ok"
    # Every other page still redirects to https://.
    script = (
        "from django.test import Client; "
        "print(Client().get('/accounts/login/', HTTP_HOST='localhost').status_code)"
    )
    assert in_process(tmp_path, script, **env) == "301"


# --- with the real replica ---------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.usefixtures("replica")
def test_health_reads_from_the_replica_and_reports_its_lag(client, settings):
    # A bound other sessions' bulk writes on this machine cannot push the replica past.
    settings.DATABASE_REPLICA_MAX_LAG = 60
    response = client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["reads_from"] == {
        "alias": REPLICA,
        "vendor": "postgresql",
        "host": f"127.0.0.1:{REPLICA_PORT}",
        "name": connection.settings_dict["NAME"],
        "answers": True,
    }
    assert body["primary"]["alias"] == "default"
    (status,) = body["replicas"]
    assert status["alias"] == REPLICA
    assert status["host"] == f"127.0.0.1:{REPLICA_PORT}"
    assert status["usable"] is True
    assert status["replay_paused"] is False
    assert status["problem"] == ""
    assert 0 <= status["lag_seconds"] <= settings.DATABASE_REPLICA_MAX_LAG


@pytest.mark.postgres
@pytest.mark.usefixtures("replica")
def test_health_reports_a_lagging_replica_and_reads_the_primary(client, settings):
    settings.DATABASE_REPLICA_MAX_LAG = 1
    pause_replay()
    try:
        make_article(title="Not yet on the replica")
        time.sleep(1.3)
        routers.forget_statuses()
        response = client.get(URL)
    finally:
        resume_replay()
    assert response.status_code == 200  # the node serves, from the primary
    body = response.json()
    assert body["reads_from"]["alias"] == "default"
    (status,) = body["replicas"]
    assert status["usable"] is False
    assert status["replay_paused"] is True
    assert status["lag_seconds"] > 1
    assert status["lag_bytes"] > 0
    assert status["problem"].endswith(" s is over the 1 s bound (replay paused)")
    assert body["replica_max_lag_seconds"] == 1


# --- the shared cache ----------------------------------------------------------------------------


@pytest.fixture
def redis_db():
    """Yield a client of this suite's own Redis database, emptied before and after."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.ConnectionError as error:
        message = f"no Redis on 127.0.0.1:6379 ({error})"
        if os.environ.get("REQUIRE_REDIS"):
            pytest.fail(message)
        pytest.skip(message)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def in_process(tmp_path, script: str, **env: str) -> str:
    """Run `script` in a new Django process (its own memory) with `env`; return its output."""
    base = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    for name in ("DATABASE_REPLICA_URLS", "CACHE_URL"):
        base.pop(name, None)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=ROOT,
        env={**base, "DATABASE_URL": f"sqlite:///{tmp_path / 'cache.sqlite3'}", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


SET = "from django.core.cache import cache; cache.set('shared-key', 'from the first node', 60)"
GET = "from django.core.cache import cache; print(cache.get('shared-key'))"


def test_cache_url_shares_the_default_cache_between_processes(redis_db, tmp_path):
    in_process(tmp_path, SET, CACHE_URL=REDIS_URL, NODE_NAME="node-a")
    assert in_process(tmp_path, GET, CACHE_URL=REDIS_URL) == "from the first node"
    # Only this database holds it, under the key prefix.
    assert [key.decode() for key in redis_db.keys("*")] == ["catalogue:1:shared-key"]
    # Without CACHE_URL each process keeps its own: the second sees nothing.
    in_process(tmp_path, SET)
    assert in_process(tmp_path, GET) == "None"


def test_with_cache_url_sessions_and_search_results_use_redis(redis_db, tmp_path):
    script = (
        "from django.conf import settings; from django.core.cache import caches; "
        "from catalogue import conf; "
        "print(settings.SESSION_ENGINE, type(caches[conf.get('SEARCH_CACHE_ALIAS')]).__name__)"
    )
    assert in_process(tmp_path, script, CACHE_URL=REDIS_URL).split() == [
        "django.contrib.sessions.backends.cached_db",
        "RedisCache",
    ]
    assert in_process(tmp_path, script).split() == [
        "django.contrib.sessions.backends.db",
        "LocMemCache",
    ]


def test_health_reports_the_shared_cache(redis_db, tmp_path):
    status, body, stderr = run_health(tmp_path, CACHE_URL=REDIS_URL)
    assert status == 200, stderr
    assert body["cache"] == {
        "backend": "django.core.cache.backends.redis.RedisCache",
        "location": REDIS_URL,
        "answers": True,
    }
    # The probe's key is removed again.
    assert redis_db.keys("*") == []
