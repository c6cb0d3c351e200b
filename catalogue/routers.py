"""Reads from PostgreSQL streaming replicas; writes, and a client's reads after its writes, from
the primary.

DATABASE_REPLICA_URLS (settings.py) adds one database alias per replica (`replica1`, ...) and
lists them in DATABASE_REPLICAS. `ReadRoutingMiddleware` picks the database a request reads:

- the primary for any request that is not GET, HEAD or OPTIONS, for the librarians' paths
  (DATABASE_PRIMARY_PATHS: the admin, login, imports), and for a client holding the signed
  "read the primary" cookie, which every request that wrote sets for DATABASE_PRIMARY_PIN_SECONDS
  (read-your-writes: at least the lag bound plus the check interval, settings.py enforces it);
- otherwise a replica, chosen at random among those whose replay lag is within
  DATABASE_REPLICA_MAX_LAG seconds (measured at most every DATABASE_REPLICA_CHECK_SECONDS, per
  process), or the primary when none is.

`ReplicaRouter` then sends the request's ORM reads there, except where reading a replica could
be wrong: inside a transaction (atomic blocks run on the primary and must read their own
writes), after the request wrote anything (seen by a wrapper on the primary's connection,
which also catches raw SQL), for the models of logins, sessions, permissions, lockouts, the job
queue and the import workflow (small, and read right after another process writes them), and
for an object loaded from the primary. Writes and migrations go to the primary only. Outside a
request (management commands, the job worker, the shell) everything reads the primary.

Raw SQL run on `django.db.connection` always reaches the primary; code that reads with raw
SQL on a request's behalf uses `read_connection()` to read where the ORM reads.
"""

from __future__ import annotations

import collections
import contextvars
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

PRIMARY = DEFAULT_DB_ALIAS
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PIN_COOKIE = "catalogue_primary"
_PIN_SALT = "catalogue.routers.pin"

# Read on the primary whatever the request: who is logged in and what they may do, sessions,
# lockouts, the job queue and the import workflow (the worker writes them while the
# librarian's page reads them). Small tables read by primary key.
PRIMARY_ONLY_APPS = frozenset(
    {"admin", "auth", "axes", "contenttypes", "django_tasks_db", "sessions"}
)
PRIMARY_ONLY_MODELS = frozenset(
    {
        "catalogue.ImportBatch",
        "catalogue.ImportRecord",
        "catalogue.ImportJob",
        "catalogue.ImportPreviewRow",
    }
)

# Statements that change data (raw SQL included); a WITH statement that writes in a CTE too.
_WRITE = re.compile(
    r"\s*(INSERT|UPDATE|DELETE|MERGE|COPY|CREATE|ALTER|DROP|TRUNCATE|GRANT|REVOKE|LOCK)\b",
    re.IGNORECASE,
)
_WITH_WRITE = re.compile(r"\s*WITH\b.*\b(INSERT|UPDATE|DELETE)\b", re.IGNORECASE | re.DOTALL)


# --- the request's reading state ---------------------------------------------------------------


@dataclass
class Reading:
    """Where the current request reads, and whether it has written."""

    alias: str
    wrote: bool = False

    def watch(self, execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        """Execute wrapper on the primary's connection: note the first write."""
        if not self.wrote and (_WRITE.match(sql) or _WITH_WRITE.match(sql)):
            self.wrote = True
        return execute(sql, params, many, context)


_reading: contextvars.ContextVar[Reading | None] = contextvars.ContextVar(
    "catalogue_reading", default=None
)


def replica_aliases() -> list[str]:
    """Return the aliases of the configured read replicas (none: one database)."""
    return list(getattr(settings, "DATABASE_REPLICAS", ()))


def current_read_alias() -> str:
    """Return the alias the current request's reads go to (the primary outside a request)."""
    reading = _reading.get()
    if reading is None or reading.wrote or connections[PRIMARY].in_atomic_block:
        return PRIMARY
    return reading.alias


def read_connection() -> Any:
    """Return the connection raw SQL reading on the current request's behalf should use."""
    return connections[current_read_alias()]


class ReplicaRouter:
    """Sends reads where the request reads (ReadRoutingMiddleware), writes to the primary."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        """Return the alias to read `model` from."""
        instance = hints.get("instance")
        if instance is not None and instance._state.db == PRIMARY:
            return PRIMARY
        meta = model._meta
        if meta.app_label in PRIMARY_ONLY_APPS or meta.label in PRIMARY_ONLY_MODELS:
            return PRIMARY
        return current_read_alias()

    def db_for_write(self, model: type, **hints: Any) -> str:
        """Return the primary: replicas are read-only."""
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        """Allow relations between objects of the primary and its replicas (the same data)."""
        same_data = {PRIMARY, *replica_aliases()}
        if obj1._state.db in same_data and obj2._state.db in same_data:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        """Migrate the primary only: replicas receive its changes by replication."""
        if db in replica_aliases():
            return False
        return None


# --- replica lag, measured per process --------------------------------------------------------


@dataclass(frozen=True)
class ReplicaStatus:
    """One replica as last measured: whether reads may go there, and why not."""

    alias: str
    host: str
    usable: bool
    lag_seconds: float | None
    lag_bytes: int | None
    replay_paused: bool | None
    problem: str
    checked: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        """Return the status as the health endpoint reports it (no credentials)."""
        return {
            "alias": self.alias,
            "host": self.host,
            "usable": self.usable,
            "lag_seconds": None if self.lag_seconds is None else round(self.lag_seconds, 3),
            "lag_bytes": self.lag_bytes,
            "replay_paused": self.replay_paused,
            "problem": self.problem,
            "checked_seconds_ago": round(max(0.0, time.time() - self.checked), 3),
        }


_statuses: dict[str, ReplicaStatus] = {}
_checked_at = 0.0
# The primary's WAL position at this process's recent checks: (time.monotonic(), position).
_samples: collections.deque[tuple[float, int]] = collections.deque(maxlen=64)
_lock = threading.Lock()


def database_host(alias: str) -> str:
    """Return "host:port" of a database alias (never its user or password)."""
    config = connections[alias].settings_dict
    if config["ENGINE"].endswith("sqlite3"):
        return "sqlite"
    host = config.get("HOST") or "localhost"
    return f"{host}:{config.get('PORT') or 5432}"


def max_lag() -> float:
    """Return the replay lag in seconds past which a replica is not read from."""
    return float(getattr(settings, "DATABASE_REPLICA_MAX_LAG", 5.0))


def replica_statuses(*, refresh: bool = False) -> list[ReplicaStatus]:
    """Return every replica's status, measured again when older than the check interval."""
    global _checked_at
    aliases = replica_aliases()
    if not aliases:
        return []
    interval = float(getattr(settings, "DATABASE_REPLICA_CHECK_SECONDS", 2.0))
    with _lock:
        stale = refresh or time.monotonic() - _checked_at >= interval
        if stale or any(alias not in _statuses for alias in aliases):
            measured = measure_replicas(aliases=aliases)
            _statuses.clear()
            _statuses.update((status.alias, status) for status in measured)
            _checked_at = time.monotonic()
        return [_statuses[alias] for alias in aliases]


def forget_statuses() -> None:
    """Drop the measured statuses, so that the next read measures again (tests, reconfiguring)."""
    global _checked_at
    with _lock:
        _statuses.clear()
        _samples.clear()
        _checked_at = 0.0


def usable_replicas() -> list[str]:
    """Return the aliases of the replicas reads may go to now."""
    return [status.alias for status in replica_statuses() if status.usable]


def lsn_number(text: str) -> int:
    """Return a WAL position written as PostgreSQL prints it ("16/B374D848") as a number."""
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def measure_replicas(*, aliases: list[str]) -> list[ReplicaStatus]:
    """Measure each replica's replay lag against the primary's current WAL position."""
    # The replicas first: when none answers as a standby, the primary is not asked at all.
    positions = {alias: _replica_position(alias) for alias in aliases}
    if not any(isinstance(found, tuple) for found in positions.values()):
        return list(positions.values())
    # Before the primary's position is read: every commit before this is in that position.
    now = time.monotonic()
    try:
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            primary_lsn = lsn_number(cursor.fetchone()[0])
    except Exception as error:  # any failure means "lag unknown", not a 500
        problem = f"primary unreachable, lag unknown ({type(error).__name__})"
        return [
            _unusable(alias, problem) if isinstance(found, tuple) else found
            for alias, found in positions.items()
        ]
    measured = [
        _status(alias, found, primary_lsn, now) if isinstance(found, tuple) else found
        for alias, found in positions.items()
    ]
    _samples.append((now, primary_lsn))
    return measured


def _unusable(alias: str, problem: str, **measured: Any) -> ReplicaStatus:
    values = {"lag_seconds": None, "lag_bytes": None, "replay_paused": None, **measured}
    return ReplicaStatus(
        alias=alias, host=database_host(alias), usable=False, problem=problem, **values
    )


def _replica_position(alias: str) -> tuple[int, float | None, bool, float] | ReplicaStatus:
    """Return (replayed position, seconds since its last replayed commit, paused, when read)
    of a standby, or the status of a replica that cannot be read from."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(
                "SELECT pg_is_in_recovery(), "
                "CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()::text END, "
                "CASE WHEN pg_is_in_recovery() THEN "
                "  extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) END, "
                "CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END"
            )
            in_recovery, replayed, since_commit, paused = cursor.fetchone()
    except Exception as error:  # an unreachable replica is reported, not raised
        connections[alias].close()
        logger.warning("read replica %s unreachable: %s", alias, error)
        return _unusable(alias, f"unreachable ({type(error).__name__})")
    if not in_recovery:
        return _unusable(alias, "not a standby (pg_is_in_recovery() is false)")
    if replayed is None:
        return _unusable(alias, "nothing replayed yet", replay_paused=paused)
    since = None if since_commit is None else float(since_commit)
    return lsn_number(replayed), since, bool(paused), time.monotonic()


def _status(
    alias: str, found: tuple[int, float | None, bool, float], primary_lsn: int, now: float
) -> ReplicaStatus:
    """Return a standby's status from its position and the primary's, read after it at `now`."""
    replayed, since_commit, paused, read_at = found
    behind = max(0, primary_lsn - replayed)
    lag = staleness(
        behind=behind,
        replayed=replayed,
        # As old again as the time between reading the replica and the primary.
        since_commit=None if since_commit is None else since_commit + max(0.0, now - read_at),
        now=now,
    )
    if lag is None:
        return _unusable(alias, "behind, lag unknown", lag_bytes=behind, replay_paused=paused)
    bound = max_lag()
    if lag > bound:
        problem = f"lag {lag:.1f} s is over the {bound:g} s bound"
        if paused:
            problem += " (replay paused)"
        return _unusable(alias, problem, lag_seconds=lag, lag_bytes=behind, replay_paused=paused)
    return ReplicaStatus(
        alias=alias,
        host=database_host(alias),
        usable=True,
        lag_seconds=lag,
        lag_bytes=behind,
        replay_paused=paused,
        problem="",
    )


def staleness(
    *, behind: int, replayed: int, since_commit: float | None, now: float
) -> float | None:
    """Return how old, at most, a replica's data is (seconds), or None when unknown.

    The primary's position is read after the replica's, so a replica that has replayed up to
    it holds everything committed before the check: 0. Behind it, two bounds hold and the
    smaller is taken: the time since the last transaction it replayed committed (too high
    while the primary writes WAL without committing, e.g. a long import), and the time since
    an earlier check read a primary position the replica has now replayed.
    """
    if behind == 0:
        return 0.0
    bounds = [max(0.0, since_commit)] if since_commit is not None else []
    reached = [taken for taken, position in _samples if position <= replayed]
    if reached:
        bounds.append(max(0.0, now - max(reached)))
    return min(bounds) if bounds else None


# --- the middleware ---------------------------------------------------------------------------


def pin_seconds() -> int:
    """Return how long a client that wrote reads from the primary."""
    return int(getattr(settings, "DATABASE_PRIMARY_PIN_SECONDS", 10))


def is_pinned(request: HttpRequest) -> bool:
    """Return whether the client wrote within the pin time (a valid signed cookie)."""
    value = request.get_signed_cookie(
        PIN_COOKIE, default=None, salt=_PIN_SALT, max_age=pin_seconds()
    )
    return value is not None


def choose_alias(request: HttpRequest) -> str:
    """Return the alias this request reads from."""
    if request.method not in SAFE_METHODS or is_pinned(request):
        return PRIMARY
    prefixes = tuple(getattr(settings, "DATABASE_PRIMARY_PATHS", ()))
    if prefixes and request.path_info.startswith(prefixes):
        return PRIMARY
    usable = usable_replicas()
    return random.choice(usable) if usable else PRIMARY  # load spreading only


class ReadRoutingMiddleware:
    """Choose the database each request reads; pin a client that wrote to the primary."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_aliases():
            return self.get_response(request)
        reading = Reading(alias=choose_alias(request))
        token = _reading.set(reading)
        try:
            with connections[PRIMARY].execute_wrapper(reading.watch):
                response = self.get_response(request)
        finally:
            _reading.reset(token)
        if response.streaming:
            # A streamed export reads while it is sent, after this returns: in the same place.
            response.streaming_content = _read_in(reading, response.streaming_content)
        if reading.wrote or request.method not in SAFE_METHODS:
            response.set_signed_cookie(
                PIN_COOKIE,
                "1",
                salt=_PIN_SALT,
                max_age=pin_seconds(),
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response


def _read_in(reading: Reading, chunks: Iterator) -> Iterator:
    """Yield `chunks`, each made with the request's reading state in place."""
    iterator = iter(chunks)
    while True:
        token = _reading.set(reading)
        try:
            with connections[PRIMARY].execute_wrapper(reading.watch):
                chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _reading.reset(token)
        yield chunk
