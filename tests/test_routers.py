"""Reads from streaming replicas, writes and a client's reads after its writes from the primary.

The tests marked `replica` use a real PostgreSQL hot standby of the test database's cluster on
127.0.0.1:$REPLICA_PORT (5433), which `.ci/replica` makes: physical replication copies the whole
cluster, so the test database pytest-django creates on the primary is on the replica too. They
skip when it is absent, and fail instead with REQUIRE_REPLICA=1 (CI). The others check the
router and the middleware's decisions on any database.
"""

from __future__ import annotations

import copy
import os
import time

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.signing import TimestampSigner
from django.db import connection, connections, transaction
from django.db.utils import load_backend
from django.http import HttpResponse, StreamingHttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalogue import routers
from catalogue.models import Article, ImportBatch, Keyword
from tests.factories import make_article, make_keyword

REPLICA_PORT = int(os.environ.get("REPLICA_PORT") or 5433)
REPLICA = "replica_test"


# --- the real replica --------------------------------------------------------------------------


def replica_problem() -> str:
    """Return why the replica tests cannot run here, or "" when they can."""
    if connection.vendor != "postgresql":
        return "needs PostgreSQL (DATABASE_URL=postgres://...) and its streaming replica"
    import psycopg2

    primary = connection.settings_dict
    try:
        with (
            psycopg2.connect(
                host="127.0.0.1",
                port=REPLICA_PORT,
                user=primary["USER"] or "postgres",
                dbname="postgres",
                connect_timeout=2,
            ) as probe,
            probe.cursor() as cursor,
        ):
            cursor.execute("SELECT pg_is_in_recovery()")
            in_recovery = cursor.fetchone()[0]
        probe.close()
    except psycopg2.OperationalError as error:
        return (
            f"no streaming replica on 127.0.0.1:{REPLICA_PORT} (run .ci/replica): "
            f"{str(error).strip().splitlines()[0]}"
        )
    if not in_recovery:
        return f"127.0.0.1:{REPLICA_PORT} is not a standby (pg_is_in_recovery() is false)"
    return ""


def add_connection(alias: str, **changes) -> None:
    """Open-able connection `alias`: the test database's settings with `changes`, this thread."""
    config = copy.deepcopy(connection.settings_dict)
    config.update(CONN_MAX_AGE=0, **changes)
    backend = load_backend(config["ENGINE"])
    # Made here rather than configured: Django's test cases allow such connections.
    connections[alias] = backend.DatabaseWrapper(config, alias=alias)


def drop_connection(alias: str) -> None:
    connections[alias].close()
    del connections[alias]


def replica_cursor():
    return connections[REPLICA].cursor()


def wait_replayed(timeout: float = 20.0) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        target = cursor.fetchone()[0]
    deadline = time.monotonic() + timeout
    while True:
        with replica_cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
        if time.monotonic() > deadline:
            pytest.fail(f"the replica did not replay {target} within {timeout} s")
        time.sleep(0.05)


def pause_replay() -> None:
    """Pause the replica's WAL replay and wait until it has stopped."""
    with replica_cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
        for _ in range(200):
            cursor.execute("SELECT pg_get_wal_replay_pause_state()")
            if cursor.fetchone()[0] == "paused":
                return
            time.sleep(0.05)
    pytest.fail("the replica's replay did not pause")


def resume_replay() -> None:
    with replica_cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")


@pytest.fixture
def replica(transactional_db, settings):
    """Route reads to the real replica under the alias `replica_test`; yield the alias."""
    problem = replica_problem()
    if problem:
        if os.environ.get("REQUIRE_REPLICA"):
            pytest.fail(problem)
        pytest.skip(problem)
    # The primary's test database, on the replica's port: the same database, replicated.
    options = {**connection.settings_dict["OPTIONS"], "connect_timeout": 2}
    add_connection(REPLICA, HOST="127.0.0.1", PORT=str(REPLICA_PORT), OPTIONS=options)
    settings.DATABASE_REPLICAS = [REPLICA]
    routers.forget_statuses()
    try:
        with replica_cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery(), current_database()")
            assert cursor.fetchone() == (True, connection.settings_dict["NAME"])
        wait_replayed()
        yield REPLICA
    finally:
        with replica_cursor() as cursor:
            cursor.execute("SELECT pg_is_wal_replay_paused()")
            if cursor.fetchone()[0]:
                resume_replay()
        drop_connection(REPLICA)
        routers.forget_statuses()


def article_url(article: Article) -> str:
    return reverse("catalogue:article-detail", args=[article.pk])


def queries_on(context: CaptureQueriesContext, table: str) -> list[str]:
    return [query["sql"] for query in context.captured_queries if f'"{table}"' in query["sql"]]


@pytest.mark.postgres
def test_a_write_on_the_primary_is_read_from_the_replica_after_replay(replica, client):
    user = User.objects.create_user("reader", password="x")
    client.force_login(user)
    article = make_article(title="Replicated through the WAL")
    wait_replayed()

    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connection) as on_primary,
    ):
        response = client.get(article_url(article))

    assert response.status_code == 200
    assert "Replicated through the WAL" in response.text
    # The record came from the standby; the login (session and user) from the primary.
    assert queries_on(on_replica, "catalogue_article")
    assert not queries_on(on_primary, "catalogue_article")
    assert not queries_on(on_replica, "django_session")
    assert not queries_on(on_replica, "auth_user")
    assert queries_on(on_primary, "django_session")
    assert "catalogue_primary" not in response.cookies


@pytest.mark.postgres
def test_a_client_that_wrote_reads_the_primary_while_others_read_the_replica(
    replica, client, settings
):
    # A bound this long keeps the paused replica in use: what a reader sees depends only on
    # where the router sends it.
    settings.DATABASE_REPLICA_MAX_LAG = 3600
    selected = make_article(title="Selected before the pause")
    wait_replayed()
    writer, reader = client, Client()

    response = writer.post(reverse("catalogue:selected"), {"add": str(selected.pk)})
    assert response.status_code == 302
    pin = response.cookies[routers.PIN_COOKIE]
    assert pin["max-age"] == settings.DATABASE_PRIMARY_PIN_SECONDS
    assert pin["httponly"] is True

    pause_replay()
    try:
        unseen = make_article(title="Written while replay is paused")
        assert reader.get(article_url(unseen)).status_code == 404  # the replica: not replayed
        response = writer.get(article_url(unseen))
        assert response.status_code == 200  # the primary
        assert "Written while replay is paused" in response.text
        assert reader.get(article_url(selected)).status_code == 200
        assert [s.alias for s in routers.replica_statuses() if s.usable] == [REPLICA]
    finally:
        resume_replay()
    wait_replayed()
    assert reader.get(article_url(unseen)).status_code == 200


@pytest.mark.postgres
def test_a_search_page_is_never_cached_with_rows_of_a_replica_behind_its_generation(
    replica, client, settings
):
    # The page's body is cached under the index generation; its statement and generation
    # must come from the database its rows come from, or a page missing a new record would
    # be served, from a shared cache, for SEARCH_CACHE_SECONDS.
    settings.DATABASE_REPLICA_MAX_LAG = 3600
    url = reverse("catalogue:search") + "?q=zyxwvut"
    pause_replay()
    try:
        make_article(title="Zyxwvut written while the replica lags")
        first = client.get(url)
    finally:
        resume_replay()
    wait_replayed()
    second = client.get(url)
    assert first.status_code == second.status_code == 200
    # Search reads the replica: the first page, made while it lagged, lacks the record and is
    # cached under the replica's generation, so the page after replay is made again, with it.
    # (Had the generation come from the primary, the second page would be the stale first.)
    assert not any(url.startswith(path) for path in settings.DATABASE_PRIMARY_PATHS)
    assert "written while the replica lags" not in first.text
    assert "written while the replica lags" in second.text


@pytest.mark.postgres
def test_a_replica_over_the_lag_bound_is_not_read_from(replica, client, settings):
    settings.DATABASE_REPLICA_MAX_LAG = 1
    settings.DATABASE_REPLICA_CHECK_SECONDS = 0.2
    pause_replay()
    try:
        article = make_article(title="Written while the replica lags")
        time.sleep(1.3)
        routers.forget_statuses()
        # Without the bound this reader would get a 404 from the paused replica.
        assert client.get(article_url(article)).status_code == 200
        (status,) = routers.replica_statuses()
        assert status.usable is False
        assert status.replay_paused is True
        assert status.lag_seconds > 1
        assert status.lag_bytes > 0
        assert status.problem.startswith("lag ")
        assert status.problem.endswith(" s is over the 1 s bound (replay paused)")
    finally:
        resume_replay()
    wait_replayed()
    # Caught up, it is read from again under the usual bound: a check notes the primary's
    # position, the replica replays it, and the next check finds it at most that far behind.
    settings.DATABASE_REPLICA_MAX_LAG = 5
    routers.replica_statuses(refresh=True)
    wait_replayed()
    (status,) = routers.replica_statuses(refresh=True)
    assert status.usable is True
    # Other sessions' writes keep it a little behind on a busy machine, within the bound.
    assert status.lag_seconds <= 5
    assert status.replay_paused is False


@pytest.mark.postgres
def test_an_unreachable_replica_is_skipped_and_reported(transactional_db, settings, client):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    add_connection("replica_gone", HOST="127.0.0.1", PORT="1", OPTIONS={"connect_timeout": 2})
    settings.DATABASE_REPLICAS = ["replica_gone"]
    routers.forget_statuses()
    try:
        article = make_article(title="Read from the primary")
        assert client.get(article_url(article)).status_code == 200
        (status,) = routers.replica_statuses()
        assert (status.alias, status.host, status.usable) == ("replica_gone", "127.0.0.1:1", False)
        assert status.problem == "unreachable (OperationalError)"
    finally:
        drop_connection("replica_gone")
        routers.forget_statuses()


@pytest.mark.postgres
def test_a_database_that_is_not_a_standby_is_never_read_as_a_replica(
    transactional_db, settings, client
):
    # A replica URL naming the primary itself (or any server not in recovery) is refused.
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    add_connection("replica_primary")
    settings.DATABASE_REPLICAS = ["replica_primary"]
    routers.forget_statuses()
    try:
        (status,) = routers.replica_statuses()
        assert status.usable is False
        assert status.problem == "not a standby (pg_is_in_recovery() is false)"
        assert routers.usable_replicas() == []
    finally:
        drop_connection("replica_primary")
        routers.forget_statuses()


# --- the router and the middleware's decisions (any database) ----------------------------------


@pytest.fixture
def one_usable_replica(settings, monkeypatch):
    """Configure a replica alias the lag check finds usable: the test database itself."""
    add_connection(REPLICA)
    settings.DATABASE_REPLICAS = [REPLICA]
    monkeypatch.setattr(routers, "usable_replicas", lambda: [REPLICA])
    yield REPLICA
    drop_connection(REPLICA)


def through_middleware(request, view):
    """Run `view` behind ReadRoutingMiddleware; return (response, the alias `view` read)."""
    seen = {}

    def get_response(request):
        seen["alias"] = routers.current_read_alias()
        response = view(request)
        seen["after"] = routers.current_read_alias()
        return response

    response = routers.ReadRoutingMiddleware(get_response)(request)
    return response, seen


def test_without_replicas_everything_reads_the_primary_and_no_cookie_is_set(settings):
    settings.DATABASE_REPLICAS = []
    request = RequestFactory().get("/")
    response, seen = through_middleware(request, lambda r: HttpResponse("ok"))
    assert seen == {"alias": "default", "after": "default"}
    assert routers.PIN_COOKIE not in response.cookies


def test_a_plain_get_reads_a_usable_replica_and_pins_nothing(one_usable_replica):
    response, seen = through_middleware(
        RequestFactory().get("/articles/1/"), lambda r: HttpResponse()
    )
    assert seen == {"alias": REPLICA, "after": REPLICA}
    assert routers.PIN_COOKIE not in response.cookies
    # Outside a request (the job worker, commands, the shell) reads go to the primary.
    assert routers.current_read_alias() == "default"
    assert routers.ReplicaRouter().db_for_read(Article) == "default"


def test_no_usable_replica_means_the_primary(settings, monkeypatch):
    settings.DATABASE_REPLICAS = [REPLICA]
    monkeypatch.setattr(routers, "usable_replicas", lambda: [])
    _, seen = through_middleware(RequestFactory().get("/"), lambda r: HttpResponse())
    assert seen["alias"] == "default"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_method_reads_the_primary_and_pins_the_client(settings, one_usable_replica, method):
    request = getattr(RequestFactory(), method)("/selected/")
    response, seen = through_middleware(request, lambda r: HttpResponse(status=302))
    assert seen["alias"] == "default"
    cookie = response.cookies[routers.PIN_COOKIE]
    assert cookie["max-age"] == settings.DATABASE_PRIMARY_PIN_SECONDS
    assert cookie["samesite"] == "Lax"


@pytest.mark.parametrize("path", ["/admin/catalogue/article/", "/accounts/login/", "/import/3/"])
def test_the_librarians_pages_read_the_primary(one_usable_replica, path):
    _, seen = through_middleware(RequestFactory().get(path), lambda r: HttpResponse())
    assert seen["alias"] == "default"


def pinned_request(*, age: float, key: str | None = None):
    """Return a GET request carrying a pin cookie signed `age` seconds ago (with `key`)."""
    # As HttpResponse.set_signed_cookie signs it: salt = cookie name + the router's salt.
    salt = routers.PIN_COOKIE + "catalogue.routers.pin"
    signer = TimestampSigner(key=key, salt=salt) if key else signing.get_cookie_signer(salt=salt)
    stamped = f"1{signer.sep}{signing.b62_encode(int(time.time() - age))}"
    request = RequestFactory().get("/articles/1/")
    request.COOKIES[routers.PIN_COOKIE] = signing.Signer.sign(signer, stamped)
    return request


def test_the_pin_cookie_sends_reads_to_the_primary_until_it_expires(settings, one_usable_replica):
    settings.DATABASE_PRIMARY_PIN_SECONDS = 14
    fresh = through_middleware(pinned_request(age=12), lambda r: HttpResponse())[1]
    assert fresh["alias"] == "default"
    expired = through_middleware(pinned_request(age=16), lambda r: HttpResponse())[1]
    assert expired["alias"] == REPLICA


def test_a_forged_pin_cookie_is_ignored(one_usable_replica):
    request = RequestFactory().get("/articles/1/")
    request.COOKIES[routers.PIN_COOKIE] = "1"
    assert through_middleware(request, lambda r: HttpResponse())[1]["alias"] == REPLICA
    forged = pinned_request(age=0, key="not-the-secret-key-" * 3)
    assert through_middleware(forged, lambda r: HttpResponse())[1]["alias"] == REPLICA


# Tests that write use transactional_db: inside the `db` fixture's transaction every read is
# on the primary (reads inside a transaction are), which would hide what the router does.


def test_a_get_that_writes_reads_its_write_from_the_primary_and_pins_the_client(
    transactional_db, one_usable_replica
):
    def view(request):
        before = routers.current_read_alias()
        make_keyword(term="written on a GET")
        return HttpResponse(f"{before} {routers.current_read_alias()}")

    response, seen = through_middleware(RequestFactory().get("/"), view)
    assert response.content == b"replica_test default"
    assert seen["after"] == "default"
    assert routers.PIN_COOKIE in response.cookies


def test_raw_sql_writes_are_seen_too(transactional_db, one_usable_replica):
    def view(request):
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO catalogue_keyword (term, slug) VALUES (%s, %s)", ["raw", "raw"]
            )
        return HttpResponse(routers.current_read_alias())

    response, _ = through_middleware(RequestFactory().get("/"), view)
    assert response.content == b"default"
    assert routers.PIN_COOKIE in response.cookies


def test_reads_inside_a_transaction_stay_on_the_primary(transactional_db, one_usable_replica):
    def view(request):
        outside = routers.current_read_alias()
        with transaction.atomic():
            inside = routers.current_read_alias()
            inside_router = routers.ReplicaRouter().db_for_read(Keyword)
        return HttpResponse(f"{outside} {inside} {inside_router}")

    response, _ = through_middleware(RequestFactory().get("/"), view)
    assert response.content == b"replica_test default default"


def test_logins_sessions_and_the_import_workflow_read_the_primary(one_usable_replica):
    router = routers.ReplicaRouter()

    def view(request):
        names = [router.db_for_read(model) for model in (Session, User, ImportBatch, Article)]
        loaded_on_primary = Keyword(term="k")
        loaded_on_primary._state.db = "default"
        names.append(router.db_for_read(Keyword, instance=loaded_on_primary))
        return HttpResponse(" ".join(names))

    response, _ = through_middleware(RequestFactory().get("/"), view)
    assert response.content == b"default default default replica_test default"


def test_a_streamed_response_reads_where_its_request_read(one_usable_replica):
    def view(request):
        return StreamingHttpResponse(routers.current_read_alias() for _ in range(2))

    response, _ = through_middleware(RequestFactory().get("/selected/?format=ris"), view)
    assert b"".join(response.streaming_content) == b"replica_testreplica_test"
    assert routers.current_read_alias() == "default"


def test_writes_and_migrations_go_to_the_primary_only(settings):
    settings.DATABASE_REPLICAS = [REPLICA]
    router = routers.ReplicaRouter()
    assert router.db_for_write(Article) == "default"
    assert router.allow_migrate(REPLICA, "catalogue") is False
    assert router.allow_migrate("default", "catalogue") is None
    primary, replicated, elsewhere = Keyword(), Keyword(), Keyword()
    primary._state.db, replicated._state.db, elsewhere._state.db = "default", REPLICA, "other"
    assert router.allow_relation(primary, replicated) is True
    assert router.allow_relation(primary, elsewhere) is None


def test_staleness_is_the_smaller_of_two_upper_bounds():
    routers.forget_statuses()
    try:
        # Replayed up to the primary's position read at this check: nothing missing.
        assert routers.staleness(behind=0, replayed=500, since_commit=90.0, now=100.0) == 0.0
        # Behind, with no earlier check: the time since the last replayed commit.
        assert routers.staleness(behind=10, replayed=500, since_commit=7.5, now=100.0) == 7.5
        assert routers.staleness(behind=10, replayed=500, since_commit=None, now=100.0) is None
        # An earlier check read position 400 at t=97 and 600 at t=99: the replica (at 500)
        # has everything the primary had at 97, so its data is at most 3 s old, even though
        # its last replayed commit is 60 s old (a long transaction writing WAL elsewhere).
        routers._samples.extend([(95.0, 300), (97.0, 400), (99.0, 600)])
        assert routers.staleness(behind=10, replayed=500, since_commit=60.0, now=100.0) == 3.0
        assert routers.staleness(behind=10, replayed=500, since_commit=1.5, now=100.0) == 1.5
        assert routers.staleness(behind=10, replayed=500, since_commit=None, now=100.0) == 3.0
        assert routers.staleness(behind=10, replayed=200, since_commit=None, now=100.0) is None
    finally:
        routers.forget_statuses()


def test_lsn_numbers():
    assert routers.lsn_number("0/0") == 0
    assert routers.lsn_number("16/B374D848") == (0x16 << 32) + 0xB374D848


def test_docker_compose_has_a_streaming_replica_and_an_optional_shared_cache():
    # No Docker Compose here to run `docker compose config`: check the structure.
    from pathlib import Path

    import yaml

    compose = yaml.safe_load((Path(__file__).parent.parent / "docker-compose.yml").read_text())
    services = compose["services"]
    replica = services["db-replica"]
    assert replica["image"] == services["db"]["image"] == "postgres:16"
    assert replica["volumes"] == ["pgreplica:/var/lib/postgresql/data"]
    assert "pgreplica" in compose["volumes"]
    script = replica["command"][2]
    assert "pg_basebackup --host=db" in script
    assert "--write-recovery-conf" in script
    assert "--create-slot --slot=replica1" in script
    assert "exec postgres -c hot_standby=on" in script
    assert replica["depends_on"]["db"] == {"condition": "service_healthy"}
    # db lets it connect for replication, from its first start.
    assert services["db"]["configs"] == [
        {"source": "replication-hba", "target": "/docker-entrypoint-initdb.d/10-replication.sh"}
    ]
    assert (
        "host replication catalogue all scram-sha-256"
        in (compose["configs"]["replication-hba"]["content"])
    )
    # Redis only with the `cache` profile; unset CACHE_URL keeps each process's own cache.
    assert services["redis"]["profiles"] == ["cache"]
    for name in ("migrate", "web", "worker"):
        environment = services[name]["environment"]
        assert environment["DATABASE_REPLICA_URLS"] == (
            "${DATABASE_REPLICA_URLS-postgres://catalogue:catalogue@db-replica:5432/catalogue}"
        )
        assert environment["CACHE_URL"] == "${CACHE_URL:-}"
    # Web does not wait for the replica: without it, reads go to db.
    assert "db-replica" not in services["web"]["depends_on"]
