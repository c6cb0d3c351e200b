"""The one COPY writer (catalogue/db.py) that the importer and the generator load rows with."""

import asyncio
import contextlib
import datetime
import threading
import time

import pytest
from django.db import IntegrityError, connection, connections, transaction

from catalogue import db
from catalogue.models import Keyword

pytestmark = pytest.mark.django_db


def test_copy_lines_write_postgresql_text_format():
    moment = datetime.datetime(2017, 5, 3, 12, 30, tzinfo=datetime.UTC)
    rows = [
        (1, "plain", None, True, False, moment, datetime.date(2017, 5, 3), 2.5),
        (2, "back\\slash\ttab\nnewline\rreturn", "", 0, "N", "\\N", 10**12, "Flückiger"),
    ]

    assert list(db.copy_lines(rows)) == [
        "1\tplain\t\\N\tt\tf\t2017-05-03 12:30:00+00:00\t2017-05-03\t2.5\n",
        "2\tback\\\\slash\\ttab\\nnewline\\rreturn\t\t0\tN\t\\\\N\t1000000000000\tFlückiger\n",
    ]


class FakePsycopg3Cursor:
    """A psycopg 3 cursor's COPY API: `with cursor.copy(sql) as copy: copy.write(data)`."""

    def __init__(self):
        self.statements, self.written = [], []

    @contextlib.contextmanager
    def copy(self, sql):
        self.statements.append(sql)
        yield self

    def write(self, data):
        self.written.append(data)


def test_copy_rows_uses_psycopg_3s_copy_api_when_the_driver_has_no_copy_expert(monkeypatch):
    raw = FakePsycopg3Cursor()

    @contextlib.contextmanager
    def cursor():
        yield type("Wrapper", (), {"cursor": raw})()

    monkeypatch.setattr(connection, "cursor", cursor)

    db.copy_rows(Keyword, ["id", "term", "slug"], [(7, "a\tb", "a-b"), (8, "c", "c")])

    quote = connection.ops.quote_name
    assert raw.statements == [
        f"COPY {quote('catalogue_keyword')} ({quote('id')}, {quote('term')}, {quote('slug')}) "
        "FROM STDIN"
    ]
    assert "".join(raw.written) == "7\ta\\tb\ta-b\n8\tc\tc\n"


@pytest.mark.postgres
def test_copy_rows_round_trips_every_special_character():
    terms = ["back\\slash", "tab\there", "new\nline", "carriage\rreturn", "\\N", "Flückiger"]
    rows = [(index, term, f"slug-{index}") for index, term in enumerate(terms, start=1)]

    db.copy_rows(Keyword, ["id", "term", "slug"], rows)

    assert list(Keyword.objects.order_by("pk").values_list("term", flat=True)) == terms


@pytest.mark.postgres
def test_a_constraint_violation_is_djangos_integrity_error():
    Keyword.objects.create(term="alliance", slug="alliance")

    with pytest.raises(IntegrityError), transaction.atomic():
        db.copy_rows(Keyword, ["term", "slug"], [("another", "alliance")])


# --- the suite's watch over sessions left open (tests/conftest.py) ------------------------------


def open_session(application_name: str):
    """Open a psycopg2 session on the test database, as a thread or a server would."""
    import psycopg2

    settings = connection.settings_dict
    return psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        application_name=application_name,
    )


@pytest.mark.postgres
def test_the_watch_reports_a_session_left_open_and_not_this_threads_own(session_watch, monkeypatch):
    from tests import conftest

    monkeypatch.setattr(conftest, "SESSION_GRACE_SECONDS", 0.3)
    connection.ensure_connection()
    other = open_session("left open by a test")
    try:
        left = session_watch.left_open()
        assert [(pid, name, state) for pid, name, state, _, _ in left] == [
            (other.get_backend_pid(), "left open by a test", "idle")
        ]
    finally:
        other.close()
    assert session_watch.left_open() == []


@pytest.mark.postgres
def test_the_watch_gives_a_session_the_grace_period_to_end(session_watch, monkeypatch):
    from tests import conftest

    monkeypatch.setattr(conftest, "SESSION_GRACE_SECONDS", 10.0)
    other = open_session("ending soon")
    closer = threading.Timer(0.5, other.close)
    started = time.monotonic()
    closer.start()
    try:
        assert session_watch.left_open() == []
    finally:
        closer.join()
    assert 0.5 <= time.monotonic() - started < 10.0


@pytest.mark.postgres
def test_the_watch_fails_only_after_the_grace_period(session_watch, monkeypatch):
    from tests import conftest

    monkeypatch.setattr(conftest, "SESSION_GRACE_SECONDS", 0.3)
    other = open_session("never closed")
    try:
        started = time.monotonic()
        assert [row[0] for row in session_watch.left_open()] == [other.get_backend_pid()]
        assert time.monotonic() - started >= 0.3
    finally:
        other.close()


@pytest.mark.postgres
def test_the_watch_ends_the_sessions_it_reports_once(session_watch, monkeypatch):
    import psycopg2

    from tests import conftest

    monkeypatch.setattr(conftest, "SESSION_GRACE_SECONDS", 0.3)
    other = open_session("ended by the watch")
    pid = other.get_backend_pid()
    left = session_watch.left_open()
    assert [row[0] for row in left] == [pid]

    session_watch.end(left)

    # Reported once: the next test is not failed for it, even before it has gone.
    assert session_watch.others() == []
    with pytest.raises(psycopg2.OperationalError), other.cursor() as cursor:
        cursor.execute("SELECT 1")
    other.close()


@pytest.mark.postgres
def test_a_connection_made_while_an_event_loop_runs_is_apart_until_closed_there(
    session_watch, monkeypatch
):
    # What the `chromium` fixture meets: Playwright's sync API leaves its event loop running
    # in this thread, and Django's connections then live in a context of their own.
    from tests import conftest

    monkeypatch.setattr(conftest, "SESSION_GRACE_SECONDS", 0.3)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # as the fixture sets it
    outside = connections["default"]
    outside.ensure_connection()
    loop = asyncio.new_event_loop()
    asyncio._set_running_loop(loop)
    try:
        inside = connections["default"]
        assert inside is not outside
        inside.ensure_connection()
        pid = inside.connection.get_backend_pid()
    finally:
        asyncio._set_running_loop(None)
    try:
        # Out of the loop it is not this thread's connection any more: left open.
        assert [row[0] for row in session_watch.left_open()] == [pid]
    finally:
        asyncio._set_running_loop(loop)
        try:
            connections.close_all()  # as the fixture does before Playwright stops
        finally:
            asyncio._set_running_loop(None)
            loop.close()
    assert session_watch.left_open() == []
    assert connections["default"] is outside
