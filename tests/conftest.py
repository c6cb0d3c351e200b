"""Shared fixtures and markers for the whole suite."""

import time

import pytest
from django.db import connection, connections


def pytest_collection_modifyitems(config, items):
    # PostgreSQL-only tests are skipped on SQLite and never skipped on PostgreSQL.
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


# Seconds a test's other sessions get to end after it (a thread closing its connection as it
# finishes) before the test is failed for leaving them open.
SESSION_GRACE_SECONDS = 5.0


def _own_backend_pids() -> set[int]:
    """Return the backend pids of this thread's open Django connections."""
    pids = set()
    for wrapper in connections.all(initialized_only=True):
        raw = wrapper.connection
        if wrapper.vendor == "postgresql" and raw is not None and not raw.closed:
            pids.add(raw.get_backend_pid())
    return pids


class SessionWatch:
    """The client sessions on the test database that this process did not open in this thread.

    Reads pg_stat_activity over a connection of its own to the `postgres` database, so that
    it neither counts itself nor needs the test's database access.
    """

    def __init__(self):
        self._admin = None
        self.reported: set[int] = set()

    def _cursor(self):
        import psycopg2

        if self._admin is None or self._admin.closed:
            settings = connection.settings_dict
            self._admin = psycopg2.connect(
                dbname="postgres",
                user=settings["USER"],
                password=settings["PASSWORD"],
                host=settings["HOST"],
                port=settings["PORT"] or 5432,
                application_name="tests/conftest.py session watch",
            )
            self._admin.autocommit = True
        return self._admin.cursor()

    def others(self, *, known: frozenset[int] = frozenset()) -> list[tuple]:
        """Return (pid, application_name, state, backend_start, query) of the other sessions
        (but the `known` ones and those already reported)."""
        with self._cursor() as cursor:
            cursor.execute(
                "SELECT pid, application_name, state, backend_start, left(query, 200) "
                "FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend' "
                "AND pid <> ALL(%s) ORDER BY pid",
                [connection.settings_dict["NAME"], sorted(_own_backend_pids())],
            )
            ignored = self.reported | known
            return [row for row in cursor.fetchall() if row[0] not in ignored]

    def left_open(self, *, known: frozenset[int] = frozenset()) -> list[tuple]:
        """Return the other sessions (but `known`) still open after the grace period."""
        deadline = time.monotonic() + SESSION_GRACE_SECONDS
        others = self.others(known=known)
        while others and time.monotonic() < deadline:
            time.sleep(0.1)
            others = self.others(known=known)
        return others

    def end(self, sessions: list[tuple]) -> None:
        """Terminate `sessions`, so that the next tests and the database's teardown go on."""
        pids = [row[0] for row in sessions]
        self.reported.update(pids)
        with self._cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [pids])

    def close(self) -> None:
        if self._admin is not None:
            self._admin.close()


def _describe(sessions: list[tuple]) -> str:
    return "; ".join(
        f"pid {pid} ({application or 'no application_name'}, {state}, since {start:%H:%M:%S}, "
        f"last query {query!r})"
        for pid, application, state, start, query in sessions
    )


@pytest.fixture(scope="session")
def session_watch(django_db_setup, django_db_blocker):
    """Yield the watch over the test database's sessions; fail if any is open at the end.

    Torn down before django_db_setup (it depends on it): a session still open then is what
    makes dropping the test database warn "is being accessed by other users".
    """
    watch = SessionWatch() if connection.vendor == "postgresql" else None
    yield watch
    if watch is None:
        return
    try:
        with django_db_blocker.unblock():
            left = watch.left_open()
        if left:
            watch.end(left)
            pytest.fail(f"the test session left database sessions open: {_describe(left)}")
    finally:
        watch.close()


@pytest.fixture(autouse=True)
def no_database_session_left_open(request):
    """Fail a test that leaves a session on the test database open (PostgreSQL).

    A thread, a server or a connection made by hand that outlives its test keeps the test
    database in use: every session that was not open before the test, but this thread's own
    Django connections, must have ended within SESSION_GRACE_SECONDS of the test's end. Those
    open before are not the test's: this thread's connections from before an event loop ran
    in it (the `chromium` fixture) are out of sight while it runs. The sessions found are
    terminated, so that they are reported once, by the test that left them.
    """
    uses_database = request.node.get_closest_marker("django_db") or any(
        name in request.fixturenames for name in ("db", "transactional_db", "django_db_setup")
    )
    if connection.vendor != "postgresql" or not uses_database:
        yield
        return
    watch = request.getfixturevalue("session_watch")
    before = frozenset(row[0] for row in watch.others())
    yield
    left = watch.left_open(known=before)
    if left:
        watch.end(left)
        pytest.fail(f"{request.node.nodeid} left database sessions open: {_describe(left)}")


@pytest.fixture
def seed(db, django_db_setup):
    """Load the seed fixtures (three articles with journals, authors, keywords, subjects)."""
    from django.core.management import call_command

    call_command("loaddata", "seed", verbosity=0)


@pytest.fixture(autouse=True)
def empty_search_cache():
    """Start and end every test with an empty search results cache.

    Result bodies are cached per search index generation, and a test rolled back leaves the
    generation where the next test may find it again, with other records behind it.
    """
    from django.core.cache import caches

    from catalogue import conf

    cache = caches[conf.get("SEARCH_CACHE_ALIAS")]
    cache.clear()
    yield cache
    cache.clear()


@pytest.fixture
def empty_citation_cache():
    """Empty the formatted-citation cache before and after the test."""
    from django.core.cache import caches

    from catalogue import conf

    cache = caches[conf.get("CITATION_CACHE_ALIAS")]
    cache.clear()
    yield cache
    cache.clear()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # This machine has no network: without these Chromium keeps dialling out.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    """Yield a headless Debian Chromium driven by Playwright (skipped if absent, outside CI)."""
    import os

    if not os.path.exists(CHROMIUM):
        message = f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by
    # test set-up in the same thread are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        # While Playwright's event loop runs in this thread, Django keeps the thread's
        # connections apart from those made before it (asgiref's Local: a context variable
        # instead of the thread's storage). Tests that run after the browser tests (those
        # without a database fixture, such as a module fixture's rows) open connections
        # there: closed now, or they outlive the session, where the test database's teardown
        # no longer sees them and cannot drop the database ("being accessed by other users").
        connections.close_all()
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    """Yield a fresh browser page whose relative URLs go to Django's live server."""
    context = chromium.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    browser_page = context.new_page()
    yield browser_page
    context.close()
