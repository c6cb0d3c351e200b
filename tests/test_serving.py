"""Serving that survives slow clients: gunicorn behind nginx, as compose and the docs run it.

Issue 16, finding 2: three connections sending their headers slowly made `/` unreachable,
because gunicorn's sync workers faced clients directly. These tests start real processes:
gunicorn with gunicorn.conf.py and nginx with deploy/nginx.conf.template (rendered as the
nginx image renders it), on free loopback ports, with a scratch SQLite database. They need
Debian's nginx (`apt-get install nginx`); without it they are skipped, or fail when
REQUIRE_NGINX is set (.ci/run sets it). The file's structural tests check the Dockerfile and
docker-compose.yml, which cannot run here (no Docker engine).
"""

import contextlib
import gzip
import http.client
import os
import re
import runpy
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
WORKERS = 2
SECRET = "k3y-" + "x7Q9!fZ2@rT5#pL8$wN4%vB6^mC1&hJ3*dG0" * 2
# What the image and compose set: the import limit plus Django's other form fields.
MAX_BODY_SIZE = "61m"
MAX_BODY_BYTES = 61 * 1024 * 1024
# The gunicorn access log: request line, status, seconds in the worker, X-Forwarded-For.
ACCESS_LOG_FORMAT = '"%(r)s" %(s)s %(L)s xff=%({x-forwarded-for}i)s'


def template_variables() -> set[str]:
    return set(re.findall(r"\$\{(\w+)\}", TEMPLATE.read_text()))


def render_template(values: dict[str, str]) -> str:
    """Fill the template's ${NAME} placeholders, leaving nginx's own $variables (envsubst)."""
    return re.sub(r"\$\{(\w+)\}", lambda match: values[match[1]], TEMPLATE.read_text())


def template_seconds(directive: str) -> int:
    [value] = re.findall(rf"^\s*{directive} (\d+)s;", TEMPLATE.read_text(), re.MULTILINE)
    return int(value)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, *, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {seconds} s")


@dataclass
class Answer:
    status: int | None  # None: no answer within the timeout
    seconds: float
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def fetch(port: int, path: str, *, timeout: float = 5, **kwargs) -> Answer:
    """GET (or kwargs["method"]) `path` on 127.0.0.1:`port` as an impatient plain client."""
    method = kwargs.pop("method", "GET")
    source = kwargs.pop("source", None)
    started = time.monotonic()
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=timeout, source_address=(source, 0) if source else None
    )
    try:
        connection.request(method, path, **kwargs)
        response = connection.getresponse()
        body = response.read()
    except TimeoutError:
        return Answer(None, time.monotonic() - started)
    finally:
        connection.close()
    headers = {name.lower(): value for name, value in response.getheaders()}
    return Answer(response.status, time.monotonic() - started, headers, body)


class SlowClients:
    """`count` connections that send a request header a byte a second and never finish it."""

    def __init__(self, port: int, count: int) -> None:
        self.port = port
        self.sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
        self.closed_after: dict[int, float] = {}
        self.started = time.monotonic()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._drip, daemon=True)

    def __enter__(self) -> "SlowClients":
        for sock in self.sockets:
            sock.sendall(b"GET /?slow-client HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        for sock in self.sockets:
            sock.close()

    def _drip(self) -> None:
        while not self.stop.wait(1.0):
            open_sockets = [
                sock for i, sock in enumerate(self.sockets) if i not in self.closed_after
            ]
            readable, _, _ = select.select(open_sockets, [], [], 0)
            for sock in open_sockets:
                index = self.sockets.index(sock)
                try:
                    # The server only speaks after closing its side (or answering 408).
                    if sock in readable and not sock.recv(4096):
                        raise ConnectionResetError
                    sock.send(b"a")
                except OSError:
                    self.closed_after[index] = time.monotonic() - self.started

    def wait_all_closed(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while len(self.closed_after) < len(self.sockets) and time.monotonic() < deadline:
            time.sleep(0.2)


@dataclass
class Site:
    gunicorn_port: int
    nginx_port: int
    access_log: Path
    database: Path
    static_root: Path

    def access_lines(self, marker: str) -> list[str]:
        return [line for line in self.access_log.read_text().splitlines() if marker in line]

    def logged(self, marker: str) -> list[str]:
        """Return the access log's lines for `marker`, once gunicorn has written one."""
        deadline = time.monotonic() + 5
        while not (lines := self.access_lines(marker)) and time.monotonic() < deadline:
            time.sleep(0.05)  # gunicorn logs a request after sending its response
        return lines


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if os.access(path, os.X_OK)), None
    )
    if found is None:
        message = "serving tests need nginx (apt-get install nginx)"
        if os.environ.get("REQUIRE_NGINX"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def stop(process: subprocess.Popen, sig: int) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# The http {} block of the nginx image's own nginx.conf, which includes conf.d/*.conf: the
# rendered template must not repeat what it sets (nginx refuses a duplicate directive).
MAIN_CONFIG = """\
{user}worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log notice;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {prefix}/access.log;
    sendfile on;
    keepalive_timeout 65;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/conf.d/*.conf;
}}
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    """Start gunicorn (2 sync workers) and nginx in front of it; stop both afterwards."""
    nginx = nginx_binary()
    tmp = tmp_path_factory.mktemp("serving")
    database, static_root = tmp / "db.sqlite3", tmp / "static"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="catalogue.settings",
        DEBUG="0",
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        HTTPS="0",
        DATABASE_URL=f"sqlite:///{database}",
        STATIC_ROOT=str(static_root),
        TRUST_X_FORWARDED_FOR="1",
    )

    def manage(*args: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, timeout=300
        )

    manage("migrate", "--noinput", "-v0")
    # The big third-party files (API docs, admin) are left out to keep this fast (their
    # compression takes over a minute); the pages used here link only the catalogue's own.
    manage(
        "collectstatic", "--noinput", "-v0",
        "-i", "drf_spectacular_sidecar", "-i", "rest_framework", "-i", "admin",
    )  # fmt: skip

    gunicorn_port, nginx_port = free_port(), free_port()
    access_log = tmp / "gunicorn-access.log"
    access_log.touch()
    gunicorn = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "catalogue.wsgi",
            "--config", "gunicorn.conf.py",
            "--bind", f"127.0.0.1:{gunicorn_port}",
            "--workers", str(WORKERS),
            "--access-logfile", str(access_log),
            "--access-logformat", ACCESS_LOG_FORMAT,
        ],
        cwd=ROOT,
        env=env,
        stderr=(tmp / "gunicorn-error.log").open("w"),
    )  # fmt: skip

    prefix = tmp / "nginx"
    (prefix / "conf.d").mkdir(parents=True)
    (prefix / "conf.d" / "catalogue.conf").write_text(
        render_template(
            {
                "CATALOGUE_LISTEN": f"127.0.0.1:{nginx_port}",
                "CATALOGUE_UPSTREAM": f"127.0.0.1:{gunicorn_port}",
                "CATALOGUE_STATIC_ROOT": str(static_root),
                "CATALOGUE_MAX_BODY_SIZE": MAX_BODY_SIZE,
            }
        )
    )
    # As root (CI), nginx's workers would otherwise switch to nobody, who cannot read tmp_path.
    user = "user root;\n" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(MAIN_CONFIG.format(user=user, prefix=prefix))
    command = [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", "stderr"]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    proxy = subprocess.Popen(
        [*command, "-g", "daemon off;"], stderr=(tmp / "nginx-stderr.log").open("w")
    )
    try:
        wait_for_port(gunicorn_port, gunicorn)
        wait_for_port(nginx_port, proxy)
        # Settled: the workers build their citation engines in the background as they start,
        # slowing the first pages; wait until several answers in a row are quick.
        deadline, quick = time.monotonic() + 90, 0
        while quick < 2 * WORKERS:
            answer = fetch(gunicorn_port, "/", timeout=10)
            quick = quick + 1 if answer.status == 200 and answer.seconds < 0.3 else 0
            assert time.monotonic() < deadline, (tmp / "gunicorn-error.log").read_text()
            time.sleep(0.2)
        yield Site(gunicorn_port, nginx_port, access_log, database, static_root)
    finally:
        stop(proxy, signal.SIGQUIT)
        # INT: quick shutdown (TERM would wait for workers held by a slow client).
        stop(gunicorn, signal.SIGINT)


# --- The finding, reproduced, and the proxy's answer to it ------------------------------------


def test_slow_headers_straight_to_gunicorn_hold_every_worker(site):
    # Issue 16: as many slow-header connections as workers and the site is unreachable.
    with SlowClients(site.gunicorn_port, WORKERS):
        time.sleep(0.5)
        blocked = fetch(site.gunicorn_port, "/", timeout=3)
    assert blocked.status is None, blocked
    print(f"\n/ straight to gunicorn, {WORKERS} slow clients: no answer in {blocked.seconds:.1f} s")
    # They go away, the site answers again.
    assert fetch(site.gunicorn_port, "/", timeout=10).status == 200


@pytest.mark.parametrize("count", [WORKERS + 1, 50])
def test_slow_headers_through_nginx_leave_the_site_answering(site, count):
    # The plain requests are told apart in gunicorn's log by their query string: a request an
    # earlier test gave up on may still be served (and logged) late, by a worker freed since.
    path = f"/?plain-client-among={count}"
    with SlowClients(site.nginx_port, count) as slow:
        time.sleep(0.5)
        answers = [fetch(site.nginx_port, path, timeout=5) for _ in range(5)]
        assert [answer.status for answer in answers] == [200] * 5
        slowest = max(answer.seconds for answer in answers)
        print(
            f"\n/ through nginx with {count} slow clients: slowest of 5 in {slowest * 1000:.0f} ms"
        )
        assert slowest < 1.0, answers
        if count == 50:
            # nginx drops each once client_header_timeout has passed, not a minute later.
            timeout = template_seconds("client_header_timeout")
            slow.wait_all_closed(timeout + 5)
            assert len(slow.closed_after) == count
            assert all(timeout - 1 <= after <= timeout + 3 for after in slow.closed_after.values())
    # No slow client ever reached gunicorn: it served the five plain requests only.
    time.sleep(0.3)
    assert len(site.access_lines(f'"GET {path} HTTP')) == 5
    assert site.access_lines("slow-client") == []


def upload_slowly(port: int, path: str, body: bytes, *, seconds: float, result: dict) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
            "Content-Type: application/octet-stream\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        pieces = 10
        step = len(body) // pieces
        for start in range(0, len(body), step):
            if start:
                time.sleep(seconds / pieces)
            sock.sendall(body[start : start + step])
        result["sent"] = time.monotonic()
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    result["status"] = int(answer.split(b" ", 2)[1])


def test_a_slow_upload_reaches_gunicorn_only_when_complete(site):
    uploads = []
    for number in range(WORKERS + 1):
        result = {}
        path = f"/accounts/login/?probe=slow-upload-{number}"
        thread = threading.Thread(
            target=upload_slowly,
            args=(site.nginx_port, path, b"x" * 200_000),
            kwargs={"seconds": 2.5, "result": result},
        )
        thread.start()
        uploads.append((path, thread, result))
    # Meanwhile every worker is free: nginx holds the bodies, not gunicorn.
    time.sleep(0.5)
    during = fetch(site.nginx_port, "/", timeout=5)
    first_seen = {}
    while any(thread.is_alive() for _, thread, _ in uploads):
        for path, _, _ in uploads:
            if path not in first_seen and site.access_lines(path):
                first_seen[path] = time.monotonic()
        time.sleep(0.05)
    assert during.status == 200
    assert during.seconds < 1.0, during
    for path, _, result in uploads:
        # Django answered (403: no CSRF token), and gunicorn saw the request only once
        # nginx had the whole body.
        assert result["status"] == 403, result
        assert first_seen.get(path, time.monotonic()) >= result["sent"]
    print(f"\n/ through nginx during {WORKERS + 1} slow uploads: {during.seconds * 1000:.0f} ms")


def test_nginx_refuses_an_oversized_body_without_gunicorn(site):
    path = "/accounts/login/?probe=over-the-limit"
    with socket.create_connection(("127.0.0.1", site.nginx_port), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            f"Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n".encode()
        )
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    time.sleep(0.3)
    assert not site.access_lines("over-the-limit")


def test_a_body_of_the_limit_reaches_django(site):
    # The largest upload Django accepts (a file at the import limit plus the other form
    # fields) must not be refused by nginx first.
    page = fetch(site.nginx_port, "/accounts/login/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)[1].decode()
    cookie = page.headers["set-cookie"].split(";", 1)[0]
    boundary = "catalogue-serving-test"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
        f'{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="big.bib"\r\nContent-Type: text/plain\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    body = head + b"%" * (MAX_BODY_BYTES - len(head) - len(tail)) + tail
    answer = fetch(
        site.nginx_port,
        "/accounts/login/?probe=at-the-limit",
        method="POST",
        body=body,
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Cookie": cookie,
        },
        timeout=60,
    )
    assert answer.status == 200, answer  # the login form again: no username given
    [line] = site.logged("at-the-limit")
    assert '" 200 ' in line


# --- What the proxy passes on and serves itself ------------------------------------------------


def test_login_throttling_sees_the_client_address_not_the_proxy(site):
    # The client (127.0.0.2) claims another address and HTTPS; nginx replaces both headers.
    page = fetch(site.nginx_port, "/accounts/login/", source="127.0.0.2")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)[1].decode()
    cookie = page.headers["set-cookie"].split(";", 1)[0]
    answer = fetch(
        site.nginx_port,
        "/accounts/login/?probe=forwarded",
        method="POST",
        source="127.0.0.2",
        body=f"csrfmiddlewaretoken={token}&username=probe-user&password=wrong",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            # The CSRF check compares this with Host: nginx must pass the port on.
            "Origin": f"http://127.0.0.1:{site.nginx_port}",
            "X-Forwarded-For": "203.0.113.9",
            # Believed, Django would demand a Referer (HTTPS) and refuse the form with 403.
            "X-Forwarded-Proto": "https",
        },
    )
    assert answer.status == 200, answer.body[:500]
    assert b"Please enter a correct username and password" in answer.body
    with contextlib.closing(sqlite3.connect(site.database)) as db:
        rows = db.execute(
            "SELECT ip_address FROM axes_accessattempt WHERE username = 'probe-user'"
        ).fetchall()
    assert rows == [("127.0.0.2",)]
    [line] = site.logged("probe=forwarded")
    assert line.endswith("xff=127.0.0.2")


def test_nginx_serves_static_files_with_cache_headers(site):
    home = fetch(site.nginx_port, "/", headers={"Accept-Encoding": "gzip"})
    assert home.status == 200
    assert home.headers.get("content-encoding") == "gzip"  # pages are compressed too
    page = gzip.decompress(home.body).decode()
    [stylesheet] = re.findall(r"/static/catalogue/catalogue\.[0-9a-f]{12}\.css", page)

    hashed = fetch(site.nginx_port, stylesheet, headers={"Accept-Encoding": "gzip"})
    assert hashed.status == 200
    assert hashed.headers["cache-control"] == "public, max-age=315360000, immutable"
    assert hashed.headers["x-content-type-options"] == "nosniff"
    assert hashed.headers["content-type"] == "text/css"
    # The file whitenoise compressed at collectstatic, as it is.
    assert hashed.headers["content-encoding"] == "gzip"
    on_disk = site.static_root / stylesheet.removeprefix("/static/")
    assert hashed.body == Path(f"{on_disk}.gz").read_bytes()

    plain = fetch(site.nginx_port, "/static/catalogue/catalogue.css")
    assert plain.status == 200
    assert plain.headers["cache-control"] == "public, max-age=60"
    assert plain.body == (site.static_root / "catalogue" / "catalogue.css").read_bytes()
    assert fetch(site.nginx_port, "/static/catalogue/missing.css").status == 404
    # None of it went through gunicorn.
    assert not site.access_lines("/static/")


# --- The files that run it -------------------------------------------------------------------


def test_gunicorn_settings_are_chosen_not_defaults(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["worker_class"] == "sync"
    assert config["workers"] == len(os.sched_getaffinity(0)) + 1
    assert config["timeout"] == 30
    assert config["graceful_timeout"] == 30
    assert config["secure_scheme_headers"] == {"X-FORWARDED-PROTO": "https"}
    # nginx waits longer than gunicorn, so gunicorn ends (and logs) a stuck request.
    assert template_seconds("proxy_read_timeout") > config["timeout"]
    monkeypatch.setenv("WEB_CONCURRENCY", "7")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"] == 7


def test_the_body_limit_is_the_import_limit_plus_the_form_fields():
    from django.conf import settings

    limit = settings.CATALOGUE_IMPORT_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert limit == MAX_BODY_BYTES
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["services"]["proxy"]["environment"]["CATALOGUE_MAX_BODY_SIZE"] == MAX_BODY_SIZE
    assert f"CATALOGUE_MAX_BODY_SIZE={MAX_BODY_SIZE}" in (ROOT / "Dockerfile").read_text()


def test_every_template_variable_is_set_by_the_image_compose_and_the_docs():
    variables = template_variables()
    assert variables == {
        "CATALOGUE_LISTEN",
        "CATALOGUE_UPSTREAM",
        "CATALOGUE_STATIC_ROOT",
        "CATALOGUE_MAX_BODY_SIZE",
    }
    dockerfile = (ROOT / "Dockerfile").read_text()
    proxy = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["proxy"]
    # The envsubst command without Docker names each (nginx's own $variables stay).
    envsubst = "envsubst '" + " ".join(f"${{{name}}}" for name in sorted(variables)) + "'"
    for name in variables:
        assert f"{name}=" in dockerfile
        assert name in proxy["environment"]
    assert envsubst in (ROOT / "docs" / "deployment.md").read_text()
    assert envsubst in TEMPLATE.read_text()


def test_docker_compose_puts_nginx_in_front_and_runs_a_job_worker():
    # No Docker engine runs here, so `docker compose config` cannot: check the structure.
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "db-replica", "redis", "migrate", "web", "worker", "proxy"}
    db = services["db"]
    assert db["image"] == "postgres:16"
    assert db["volumes"] == ["pgdata:/var/lib/postgresql/data"]
    assert db["command"] == ["postgres", "-c", "shared_buffers=${POSTGRES_SHARED_BUFFERS:-1GB}"]
    assert "pgdata" in compose["volumes"]
    assert db["healthcheck"]["test"][0] == "CMD-SHELL"
    assert "pg_isready" in db["healthcheck"]["test"][1]

    # Only nginx is published.
    published = {name for name, service in services.items() if "ports" in service}
    assert published == {"proxy"}
    assert services["proxy"]["ports"] == ["8000:8000"]
    assert services["proxy"]["build"] == {"context": ".", "target": "proxy"}
    assert services["proxy"]["environment"]["CATALOGUE_UPSTREAM"] == "web:8000"
    assert services["proxy"]["depends_on"]["web"]["restart"] is True

    app = ("migrate", "web", "worker")
    for name in app:
        service = services[name]
        assert service["build"] == {"context": ".", "target": "app"}, name
        environment = service["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["DEBUG"] == "0"
        assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")
        # Plain HTTP unless the operator says otherwise: cookies without the Secure flag.
        assert environment["HTTPS"] == "${HTTPS:-0}"
        assert "SECURE_SSL_REDIRECT" not in environment
        # gunicorn is reached only through nginx, which rewrites these headers.
        assert environment["TRUST_X_FORWARDED_FOR"] == "1"
        assert environment["FORWARDED_ALLOW_IPS"] == "*"
        assert "WEB_CONCURRENCY" not in environment  # empty, it would stop gunicorn starting
        assert service["depends_on"]["db"] == {"condition": "service_healthy"}
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
        assert services[name]["restart"] == "unless-stopped"
    web, worker = services["web"], services["worker"]
    assert web["command"][:4] == ["gunicorn", "catalogue.wsgi", "--config", "gunicorn.conf.py"]
    assert web["expose"] == ["8000"]
    assert worker["command"] == ["python", "manage.py", "db_worker", "--no-reload"]
    # Stopped, the job worker rolls its import back and queues it again: seconds, not minutes.
    assert worker["stop_grace_period"] == "60s"


def test_dockerfile_builds_the_app_and_the_proxy_from_one_collectstatic():
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+) AS (\w+)$", dockerfile, re.MULTILINE)
    assert [name for _, name in stages] == ["app", "proxy"]
    assert stages[0][0].startswith("python:3.11")
    # A pinned nginx release, not a moving tag.
    assert re.fullmatch(r"nginx:\d+\.\d+\.\d+-alpine", stages[1][0])
    app, proxy = dockerfile.split("\nFROM nginx:")
    assert "collectstatic --noinput" in app
    assert (
        'CMD ["gunicorn", "catalogue.wsgi", "--config", "gunicorn.conf.py", '
        '"--bind", "0.0.0.0:8000"]'
    ) in app
    assert "COPY deploy/nginx.conf.template /etc/nginx/templates/catalogue.conf.template" in proxy
    assert "COPY --from=app /app/staticfiles /srv/catalogue/static" in proxy
    assert "CATALOGUE_STATIC_ROOT=/srv/catalogue/static" in proxy
    assert "rm /etc/nginx/conf.d/default.conf" in proxy


def test_ci_installs_nginx_and_requires_these_tests():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "apt-get install -y -qq nginx" in ci
    assert "export REQUIRE_NGINX=1" in ci


def test_forwarded_client_address_is_trusted_only_when_configured():
    from types import SimpleNamespace

    from django.conf import settings

    from catalogue import settings as settings_module

    # Off by default: a client reaching gunicorn directly could name any address.
    assert not settings.TRUST_X_FORWARDED_FOR
    assert getattr(settings, "AXES_CLIENT_IP_CALLABLE", None) is None
    client_ip = settings_module.forwarded_client_ip
    meta = {"REMOTE_ADDR": "10.0.0.2"}
    assert client_ip(SimpleNamespace(META=meta)) == "10.0.0.2"
    forwarded = {**meta, "HTTP_X_FORWARDED_FOR": "198.51.100.1, 203.0.113.9"}
    assert client_ip(SimpleNamespace(META=forwarded)) == "203.0.113.9"
    assert client_ip(SimpleNamespace(META={**meta, "HTTP_X_FORWARDED_FOR": "x'--"})) == "10.0.0.2"
