"""Settings for the catalogue.

One file for every environment: they differ only by environment variables
(DATABASE_URL, SECRET_KEY, DEBUG, ALLOWED_HOSTS, HTTPS=0 for a plain-HTTP demo, STATIC_ROOT;
docs/deployment.md lists them).
"""

import hashlib
import ipaddress
import math
import os
import re
import sys
import tempfile
from base64 import b64encode
from datetime import timedelta
from pathlib import Path

import dj_database_url
import drf_spectacular
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

from catalogue.conf import DEFAULTS as APP_DEFAULTS

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Return the environment variable `name` read as a boolean."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false).")


# Development is the default so that a new user needs no configuration;
# production sets DEBUG=0 and must then provide its own SECRET_KEY.
DEBUG = env_bool("DEBUG", True)

DEVELOPMENT_SECRET_KEY = "django-insecure-development-key-for-the-catalogue-do-not-deploy"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY", "") or DEVELOPMENT_SECRET_KEY
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set in the environment when DEBUG is off "
        "(the built-in key is for development only)."
    )
# Django's own rule (check security.W009), enforced: a weak key signs sessions, password reset
# links and CSRF tokens that can be guessed.
if not DEBUG and (
    len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH
    or len(set(SECRET_KEY)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
    or SECRET_KEY.startswith(SECRET_KEY_INSECURE_PREFIX)
):
    raise ImproperlyConfigured(
        f"SECRET_KEY is too weak for DEBUG off: it needs at least {SECRET_KEY_MIN_LENGTH} "
        f"characters, {SECRET_KEY_MIN_UNIQUE_CHARACTERS} of them different, and must not start "
        f"with {SECRET_KEY_INSECURE_PREFIX!r} (it has {len(SECRET_KEY)} characters, "
        f"{len(set(SECRET_KEY))} different). Make one with: "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if host.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    # Background jobs (imports): django-tasks and its database backend, the queue kept in the
    # catalogue's own database; `python manage.py db_worker` runs them (docs/imports.md).
    "django_tasks",
    "django_tasks_db",
    "catalogue",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions: it sees their writes, and pins a client that wrote to the primary.
    "catalogue.routers.ReadRoutingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "catalogue.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # The header's "Selected (n)" and the Select buttons' state (issue 18).
                "catalogue.context_processors.selected",
            ],
        },
    },
]

WSGI_APPLICATION = "catalogue.wsgi.application"

DATABASES = {
    # An empty DATABASE_URL means "not set": the embedded SQLite default.
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the job worker are two processes writing one file: write-ahead logging
    # lets pages read while an import writes, IMMEDIATE transactions take the write lock at
    # once (no deadlock upgrading a read), and a writer waits up to 20 s for the other.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )

# PostgreSQL's JIT compiles a statement the planner estimates as costly before running it: half
# a second of compiling ahead of a 27 ms sort was measured (research topics' supporting records,
# issue 19), and no statement of the catalogue runs long enough to repay it. An explicit
# ?options=... in the URL is kept.
_NO_JIT = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", _NO_JIT)

# Read replicas (docs/scaling.md): DATABASE_REPLICA_URLS, comma-separated PostgreSQL streaming
# replicas of DATABASE_URL, each an alias replica1, replica2, ... Reads go there through
# catalogue/routers.py; writes, migrations, transactions and a client's reads for
# DATABASE_PRIMARY_PIN_SECONDS after it wrote go to the primary. A replica whose replay lag is over
# DATABASE_REPLICA_MAX_LAG seconds (measured per process at most every
# DATABASE_REPLICA_CHECK_SECONDS) is not read from. None set: one database, as before.
DATABASE_REPLICA_MAX_LAG = float(os.environ.get("DATABASE_REPLICA_MAX_LAG") or 5)
DATABASE_REPLICA_CHECK_SECONDS = float(os.environ.get("DATABASE_REPLICA_CHECK_SECONDS") or 2)
# A replica read at time t was measured at most CHECK seconds before within the bound, so it
# holds every write older than MAX_LAG + CHECK seconds: the pin must last at least that long.
DATABASE_PRIMARY_PIN_SECONDS = int(
    os.environ.get("DATABASE_PRIMARY_PIN_SECONDS")
    or math.ceil(2 * (DATABASE_REPLICA_MAX_LAG + DATABASE_REPLICA_CHECK_SECONDS))
)
if DATABASE_PRIMARY_PIN_SECONDS < DATABASE_REPLICA_MAX_LAG + DATABASE_REPLICA_CHECK_SECONDS:
    raise ImproperlyConfigured(
        f"DATABASE_PRIMARY_PIN_SECONDS={DATABASE_PRIMARY_PIN_SECONDS} is shorter than "
        f"DATABASE_REPLICA_MAX_LAG + DATABASE_REPLICA_CHECK_SECONDS "
        f"({DATABASE_REPLICA_MAX_LAG:g} + {DATABASE_REPLICA_CHECK_SECONDS:g}): a client could "
        "read a replica that has not yet replayed its own write."
    )
# Paths whose requests read the primary: the librarians' pages (the admin, login and logout,
# imports). Search reads the index's generation and runs its statements through
# catalogue.routers.read_connection(), so a body is cached under the generation of the
# database its rows came from.
DATABASE_PRIMARY_PATHS = [
    "/admin/",
    "/accounts/",
    "/import/",
]
DATABASE_REPLICAS: list[str] = []
for _number, _url in enumerate(
    (url.strip() for url in os.environ.get("DATABASE_REPLICA_URLS", "").split(",")), start=1
):
    if not _url:
        continue
    _replica = dj_database_url.parse(
        _url,
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    if (
        _replica["ENGINE"] != "django.db.backends.postgresql"
        or DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql"
    ):
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URLS lists PostgreSQL streaming replicas of a PostgreSQL "
            "DATABASE_URL (postgres://...); replica "
            f"{_number} is {_replica['ENGINE'].rsplit('.', 1)[-1]}, the primary "
            f"{DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}."
        )
    # A replica that does not answer is skipped after this, not waited for.
    _replica.setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    _replica["OPTIONS"].setdefault("options", _NO_JIT)
    # Tests run against the primary's test database; a "replica" that is the primary itself
    # is never read from (catalogue/routers.py checks pg_is_in_recovery()).
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica{_number}"] = _replica
    DATABASE_REPLICAS.append(f"replica{_number}")
DATABASE_ROUTERS = ["catalogue.routers.ReplicaRouter"]

# Background jobs: the queue is a table of the catalogue's database (django-tasks-db).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
# With DEBUG off, static files are served from STATIC_ROOT under hashed names (whitenoise's
# manifest, made by `manage.py collectstatic`). Until collectstatic has run there is no
# manifest, and every page would be a 500: say so, and serve the apps' files as they are.
STATIC_COLLECTED = (
    DEBUG
    or (STATIC_ROOT / "staticfiles.json").exists()
    or (len(sys.argv) > 1 and sys.argv[1] == "collectstatic")
)
if not STATIC_COLLECTED:
    sys.stderr.write(
        f"Warning: DEBUG is off but static files have not been collected (no "
        f"{STATIC_ROOT / 'staticfiles.json'}); serving them uncompressed and without cache "
        f"busting. Run `python manage.py collectstatic --noinput` before starting.\n"
    )
    WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and STATIC_COLLECTED
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username
# from one address, that pair is refused for AXES_COOLOFF_MINUTES (a 429 with the login page
# saying so), on the login page and the admin's alike. Axes' backend runs first and refuses a
# locked-out pair before any password is hashed; a successful login resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT") or 5)
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES") or 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/login.html"
# Only failures are recorded (one row per username and address), not every successful login.
AXES_DISABLE_ACCESS_LOG = True
# Behind a reverse proxy every attempt comes from the proxy's address, and one lockout would
# refuse that username to everyone. TRUST_X_FORWARDED_FOR=1 counts per client instead, by the
# last X-Forwarded-For entry (the one the nearest proxy wrote). Set it only where clients reach
# gunicorn through a proxy that replaces or appends that header (deploy/nginx.conf.template
# replaces it; docker-compose.yml sets it): otherwise a client could name any address.
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", False)


def forwarded_client_ip(request) -> str | None:
    """Return the address the nearest proxy forwarded for, or REMOTE_ADDR if none is valid."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(forwarded))
    except ValueError:
        return request.META.get("REMOTE_ADDR")


if TRUST_X_FORWARDED_FOR:
    AXES_CLIENT_IP_CALLABLE = forwarded_client_ip

# Librarians need not be staff: they log in here, not through the admin.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "catalogue:home"
LOGOUT_REDIRECT_URL = "catalogue:home"

# HTTPS: the site is served over HTTPS (itself or by a proxy that sets X-Forwarded-Proto).
# Production (DEBUG off) assumes so; HTTPS=0 is the plain-HTTP demo (docker-compose.yml):
# no redirect, no HSTS, and cookies without the Secure flag, which a browser would otherwise
# drop on http:// from any name but localhost (no login possible).
if not DEBUG:
    HTTPS = env_bool("HTTPS", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Load balancers probe the health endpoint over plain HTTP on the node itself.
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    if HTTPS:
        SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
        SECURE_HSTS_INCLUDE_SUBDOMAINS = True
        SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = HTTPS
    CSRF_COOKIE_SECURE = HTTPS


def _style_hash(text: str) -> str:
    """Return the CSP hash source of a <style> element holding `text`."""
    return f"'sha256-{b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


def _inline_style_hashes(*templates: Path) -> list[str]:
    """Return the CSP hash sources of the <style> blocks in `templates` (fixed text)."""
    return [
        _style_hash(block)
        for template in templates
        for block in re.findall(r"<style>(.*?)</style>", template.read_text(), re.DOTALL)
    ]


def _browsable_api_style_hashes() -> list[str]:
    """Return the hash of the browsable API's Pygments <style>, where Pygments is installed."""
    try:
        from pygments.formatters import HtmlFormatter
    except ImportError:  # Pygments is a test tool: the page then has no <style> block.
        return []
    from django.utils.html import escape

    # As rest_framework's BrowsableAPIRenderer writes it: {{ code_style }}, escaped.
    return [_style_hash(escape(HtmlFormatter(style="emacs").get_style_defs(".highlight")))]


# Content-Security-Policy on every response (django-csp). Scripts only from the site's own
# static files (JSON-LD data blocks are not scripts). Styles from static files, plus the
# fixed <style> blocks of the self-contained 500 page, the import and summary pages, Swagger
# UI and the browsable API, allowed by their hashes (computed here from the templates, so an
# edit of a block stays allowed). style-src-attr 'unsafe-inline': citations carry
# style="font-variant:small-caps" (as citeproc-js writes them), the year histogram sets
# style="--height: n%" and the admin its widgets' sizes; an attribute cannot load anything
# or run script. img-src data: for the icons inside Swagger UI's and the admin's CSS.
_SWAGGER_TEMPLATE = (
    Path(drf_spectacular.__file__).parent / "templates" / "drf_spectacular" / "swagger_ui.html"
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [
            SELF,
            *_inline_style_hashes(
                BASE_DIR / "templates" / "500.html",
                BASE_DIR / "templates" / "catalogue" / "includes" / "_import_styles.html",
                BASE_DIR / "templates" / "catalogue" / "includes" / "_summary_styles.html",
                _SWAGGER_TEMPLATE,
            ),
            *_browsable_api_style_hashes(),
        ],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# The catalogue app's own settings: catalogue/conf.py lists every one with its default and what
# it controls (read through conf.get); set one here to override it. These come from the
# environment, defaulting to conf.py's values.
CATALOGUE_IMPORT_MAX_BYTES = int(
    os.environ.get("CATALOGUE_IMPORT_MAX_BYTES") or APP_DEFAULTS["CATALOGUE_IMPORT_MAX_BYTES"]
)
CATALOGUE_IMPORT_MAX_PASTE_BYTES = int(
    os.environ.get("CATALOGUE_IMPORT_MAX_PASTE_BYTES")
    or APP_DEFAULTS["CATALOGUE_IMPORT_MAX_PASTE_BYTES"]
)
# The request body limit follows the largest text accepted in the "paste BibTeX" box.
DATA_UPLOAD_MAX_MEMORY_SIZE = CATALOGUE_IMPORT_MAX_PASTE_BYTES + 1024 * 1024
CITATION_CITEPROC_JS = os.environ.get("CITATION_CITEPROC_JS", APP_DEFAULTS["CITATION_CITEPROC_JS"])
CITATION_STYLES_DIR = os.environ.get("CITATION_STYLES_DIR", APP_DEFAULTS["CITATION_STYLES_DIR"])
CITATION_ENGINES_MAX = int(
    os.environ.get("CITATION_ENGINES_MAX") or APP_DEFAULTS["CITATION_ENGINES_MAX"]
)
CITATION_ENGINES_HEAP_MB = int(
    os.environ.get("CITATION_ENGINES_HEAP_MB") or APP_DEFAULTS["CITATION_ENGINES_HEAP_MB"]
)
CITATION_V8_HEAP_LIMIT_MB = int(
    os.environ.get("CITATION_V8_HEAP_LIMIT_MB") or APP_DEFAULTS["CITATION_V8_HEAP_LIMIT_MB"]
)
CITATION_V8_FLAGS = os.environ.get("CITATION_V8_FLAGS", APP_DEFAULTS["CITATION_V8_FLAGS"])
SEARCH_EXACT_THRESHOLD = int(
    os.environ.get("SEARCH_EXACT_THRESHOLD", APP_DEFAULTS["SEARCH_EXACT_THRESHOLD"])
)
SEARCH_FACET_SAMPLE = int(
    os.environ.get("SEARCH_FACET_SAMPLE", APP_DEFAULTS["SEARCH_FACET_SAMPLE"])
)
SEARCH_EXACT_THRESHOLD_OTHER_VALUES = int(
    os.environ.get(
        "SEARCH_EXACT_THRESHOLD_OTHER_VALUES", APP_DEFAULTS["SEARCH_EXACT_THRESHOLD_OTHER_VALUES"]
    )
)
# The embedded Tantivy index of this node (PostgreSQL only; "" = off): catalogue/search/tantivy/.
SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR", APP_DEFAULTS["SEARCH_INDEX_DIR"])
SEARCH_OUTBOX_KEEP_HOURS = int(
    os.environ.get("SEARCH_OUTBOX_KEEP_HOURS") or APP_DEFAULTS["SEARCH_OUTBOX_KEEP_HOURS"]
)

# Formatted citations (about 1.5 kB per article and style) are cached in their own cache (the
# CITATION_CACHE_ALIAS "citations"): files in CITATION_CACHE_DIR (catalogue/citations/cache.py),
# shared by the server's worker processes and kept across restarts, by default in the temporary
# directory when DEBUG is off; each process's memory with DEBUG on (development, tests) or with
# CITATION_CACHE_DIR=memory. Search result pages use "default" (SEARCH_CACHE_ALIAS).
CITATION_CACHE_DIR = os.environ.get("CITATION_CACHE_DIR", "") or (
    "memory" if DEBUG else str(Path(tempfile.gettempdir()) / "catalogue-citations")
)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "citations": (
        {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "citations",
            "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("CITATION_CACHE_MAX_ENTRIES", 20_000))},
        }
        if CITATION_CACHE_DIR == "memory"
        else {
            "BACKEND": "catalogue.citations.cache.CitationFileCache",
            "LOCATION": CITATION_CACHE_DIR,
            # Six a record: 200,000 files (about 0.8 GB) hold a 33,000-record catalogue.
            "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("CITATION_CACHE_MAX_ENTRIES", 200_000))},
        }
    ),
}

# CACHE_URL (redis://host:6379/N): the default cache in Redis, shared by every process and web
# node (search results, and sessions read from it before the database); unset, each process
# keeps its own in memory. A cache that does not answer fails requests quickly (timeouts of 2 s)
# and /health/ reports it.
CACHE_URL = os.environ.get("CACHE_URL", "").strip()
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            "CACHE_URL must be a Redis URL (redis://host:6379/0, rediss:// or unix://)."
        )
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "catalogue"),
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
    # Written to both, read from the cache first: no session query on most requests.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Research catalogue API",
    "DESCRIPTION": "Search the catalogue's articles with facets, and read one article.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the drf-spectacular-sidecar package: no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
