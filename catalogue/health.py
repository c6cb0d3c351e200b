"""The node's health for load balancers and people: /health/ (docs/scaling.md).

Reports the node's name, the database this request read from, the primary, each replica's lag
as this process last measured it (catalogue/routers.py), and the default cache; 200 when the
primary and the cache answer, 503 otherwise. Cheap: one trivial query per database it names
and one cache write and read; never cached, never throttled, and free of credentials (hosts
and ports only, never a URL's user or password).
"""

from __future__ import annotations

import os
import secrets
import socket
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from catalogue import routers


def node_name() -> str:
    """Return this node's name: NODE_NAME, or the host name."""
    return os.environ.get("NODE_NAME", "").strip() or socket.gethostname()


def database_answers(alias: str) -> bool:
    """Return whether the database `alias` runs a trivial query."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any failure is "does not answer"
        connections[alias].close()
        return False


def database_report(alias: str) -> dict[str, Any]:
    """Return where `alias` is (vendor, host:port, database name) and whether it answers."""
    config = connections[alias].settings_dict
    name = str(config.get("NAME") or "")
    vendor = connections[alias].vendor
    return {
        "alias": alias,
        "vendor": vendor,
        "host": routers.database_host(alias),
        # An SQLite database's file name, not the folders it sits in.
        "name": os.path.basename(name) if vendor == "sqlite" else name,
        "answers": database_answers(alias),
    }


def cache_report() -> dict[str, Any]:
    """Return the default cache's backend, where it is, and whether it keeps and returns a value."""
    cache = caches["default"]
    config = settings.CACHES["default"]
    location = str(config.get("LOCATION") or "")
    if "://" in location:
        parts = urlsplit(location)
        # Scheme, host, port and database number: a Redis URL's password stays out.
        location = f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path}"
    key = f"catalogue-health:{node_name()}:{os.getpid()}"
    value = secrets.token_hex(8)
    try:
        cache.set(key, value, 10)
        answers = cache.get(key) == value
        cache.delete(key)
    except Exception:  # a cache that fails does not answer
        answers = False
    return {"backend": config["BACKEND"], "location": location, "answers": answers}


def report() -> dict[str, Any]:
    """Return the health report of this node for the current request."""
    reading = routers.current_read_alias()
    primary = database_report(routers.PRIMARY)
    replicas = [status.as_dict() for status in routers.replica_statuses()]
    cache = cache_report()
    healthy = primary["answers"] and cache["answers"]
    return {
        "status": "ok" if healthy else "unavailable",
        "node": node_name(),
        "reads_from": primary if reading == routers.PRIMARY else database_report(reading),
        "primary": primary,
        "replicas": replicas,
        "replica_max_lag_seconds": routers.max_lag(),
        "cache": cache,
    }


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """Report this node's health: 200 when it can serve, 503 when the primary or cache fails."""
    body = report()
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)
