"""Settings for the catalogue.

One file for every environment: they differ only by environment variables
(DATABASE_URL, SECRET_KEY, DEBUG, ALLOWED_HOSTS, and SECURE_SSL_REDIRECT for a
plain-HTTP demo behind no proxy).
"""

import os
from pathlib import Path

import dj_database_url
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
    "catalogue",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Librarians need not be staff: they log in here, not through the admin.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "catalogue:home"
LOGOUT_REDIRECT_URL = "catalogue:home"

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

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

# Formatted citations (about 1.5 kB per article and style) are cached in their own cache (the
# CITATION_CACHE_ALIAS "citations"): local memory per worker process here; point it at a
# shared cache (Redis, Memcached) to share them between workers and restarts. Search result
# pages use "default" (SEARCH_CACHE_ALIAS).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "citations": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "citations",
        "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("CITATION_CACHE_MAX_ENTRIES", 20_000))},
    },
}

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
