"""Settings for the Health Information Partnerships Directory.

Every value comes from the environment with a safe development default; `.env.example` lists them
all. The helpers are strict: a value they cannot read stops start-up with a message naming the
variable, so a typo in production never silently becomes a default.
"""

import os
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (1/0, yes/no, on/off), not {raw!r}.")


def env_int(name, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


def env_list(name, default=""):
    """A comma-separated list; blanks are dropped."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_choice(name, default, choices):
    value = os.environ.get(name, default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The site's public address (scheme and host), for links made without a request: emails sent by
# commands and background tasks. Links made in a request use the request's own host.
SITE_URL = env_str("SITE_URL").rstrip("/")
# The licence the directory's open data (downloads and the Open Referral UK API) is published
# under: the publisher's choice, shown on the open data page.
OPEN_DATA_LICENCE_NAME = env_str(
    "OPEN_DATA_LICENCE_NAME", "Creative Commons Attribution 4.0 International (CC BY 4.0)"
)
OPEN_DATA_LICENCE_URL = env_str(
    "OPEN_DATA_LICENCE_URL", "https://creativecommons.org/licenses/by/4.0/"
)
if not SITE_URL:
    if not DEBUG:
        raise ImproperlyConfigured("SITE_URL must be set when DEBUG is off.")
    SITE_URL = "http://127.0.0.1:8000"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "allauth",
    "allauth.account",
    "django_tasks_db",
    "partnerships",
    "directory",
    "editor",
    "curation",
    "accounts",
    "openreferral",
    "toolkit",
]

MIDDLEWARE = [
    "config.requestid.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The page's language: from the URL (/cy/...), else the remembered choice or the browser's
    # Accept-Language on a first visit (see config/languages.py). Before CommonMiddleware, as
    # Django's LocaleMiddleware must be.
    "config.languages.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "partnerships.links.SiteURLMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, so its 400 still gets every header above.
    "config.middleware.RejectNullCharactersMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# django-leaflet is used for its bundled Leaflet files, template tags and settings only. It is kept
# out of INSTALLED_APPS because its app imports GeoDjango, which needs GDAL (see NOTES.md); its
# templates, static files and tag library are wired in by hand instead.
_leaflet_dir = Path(find_spec("leaflet").origin).parent

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates", _leaflet_dir / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "directory.context_processors.site",
            ],
            "libraries": {"leaflet_tags": "leaflet.templatetags.leaflet_tags"},
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite serving several requests at once: WAL lets readers carry on while one connection
    # writes; a write transaction takes the write lock when it begins (IMMEDIATE), so two
    # read-then-write transactions queue instead of one failing with "database is locked"; and
    # a writer waits up to SQLITE_TIMEOUT seconds for the lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("SQLITE_TIMEOUT", 20),
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": env_str("CACHE_BACKEND", "django.core.cache.backends.locmem.LocMemCache"),
        "LOCATION": env_str("CACHE_LOCATION", "directory-default"),
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
# English and Welsh. English is the default and keeps the URLs it always had; Welsh pages are
# under /cy/ (config/urls.py). Adding a language: README, "Languages".
LANGUAGES = [("en-gb", "English"), ("cy", "Cymraeg")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The remembered choice: set only when a person picks a language with the language link.
LANGUAGE_COOKIE_NAME = "language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static", _leaflet_dir / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files for production (needs `collectstatic`); plain files in
        # development and tests.
        "BACKEND": env_str(
            "STATICFILES_BACKEND",
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
# Uploaded documents (MoUs, terms of reference) live outside the static tree and are only ever
# served through a view that checks permission, never by the web server directly.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "media/"
# Request limits. Form fields (everything but files) stay small; uploaded files larger than
# FILE_UPLOAD_MAX_MEMORY_SIZE stream to a temporary file instead of memory. Documents are checked
# against their own 10 MB limit in editor/uploads.py; cap the whole request body in the web server
# or proxy in front (e.g. nginx client_max_body_size 12m).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 2000)
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("DATA_UPLOAD_MAX_NUMBER_FILES", 20)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750

# Console email in development; SMTP from the environment in production.
_EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
_SMTP_OPTIONS = {
    "host": env_str("EMAIL_HOST", "localhost"),
    "port": env_int("EMAIL_PORT", 25),
    "username": env_str("EMAIL_HOST_USER"),
    "password": env_str("EMAIL_HOST_PASSWORD"),
    "use_tls": env_bool("EMAIL_USE_TLS", False),
}
MAILERS = {
    "default": {
        "BACKEND": _EMAIL_BACKEND,
        "OPTIONS": _SMTP_OPTIONS if _EMAIL_BACKEND.endswith("smtp.EmailBackend") else {},
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "directory@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Accounts (django-allauth): people sign up and sign in with their email address, which they must
# verify by following a link before they can sign in. The admin still signs in by username through
# Django's own backend, so a superuser made by `createsuperuser` can reach /admin/ at once.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
# Editors land on their own partnerships after signing in.
LOGIN_REDIRECT_URL = "editor:my_partnerships"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"  # curators land on the moderation queue
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False  # a link, which also works from another device
ACCOUNT_UNIQUE_EMAIL = True
# One address per account; a new address replaces the old one only once it has been verified.
ACCOUNT_CHANGE_EMAIL = True
# Changing email or password asks for the password again if the last sign-in is not recent, and
# both send a notice to the account's address, so a borrowed session cannot quietly take it over.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Health Information Partnerships] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# Throttling against password guessing, counted in the cache. With several app servers the cache
# must be shared (Redis or Memcached; see CACHES), or each server keeps its own count. After 5
# failed sign-ins for one address within 5 minutes, further attempts for that address are refused,
# even with the right password, until the window has passed; 10 failures a minute from one IP
# address are refused too. A successful password reset lifts the block. allauth's other limits
# (sign-ups, password reset emails, verification emails) keep their defaults.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}

# Geography. The offline gazetteer (the Place table, loaded by `manage.py load_places`) is the
# default; Nominatim is only asked when GEOCODER=nominatim.
GEOCODER = env_choice("GEOCODER", "offline", ("offline", "nominatim"))
NOMINATIM_USER_AGENT = env_str(
    "NOMINATIM_USER_AGENT", "health-info-partnerships-directory (directory@localhost)"
)
NOMINATIM_TIMEOUT = env_int("NOMINATIM_TIMEOUT", 5)
# Saving asks only the gazetteer; with GEOCODER=nominatim a background task then asks Nominatim,
# for at most this many seconds per saved partnership (entries left over are retried by
# `manage.py geocode --failed`).
GEOCODE_TASK_SECONDS = env_int("GEOCODE_TASK_SECONDS", 120)

# Background tasks (Django's tasks framework). In production they wait in the database for a
# `manage.py db_worker` process (django-tasks-db). In development they run at once, in the
# request: fine with the default offline geocoder, which queues nothing; with GEOCODER=nominatim
# set TASKS_BACKEND=django_tasks_db.DatabaseBackend and run the worker, or saving waits for it.
TASKS = {
    "default": {
        "BACKEND": env_str(
            "TASKS_BACKEND",
            "django.tasks.backends.immediate.ImmediateBackend"
            if DEBUG
            else "django_tasks_db.DatabaseBackend",
        )
    }
}
GAZETTEER_COUNTRIES = [code.upper() for code in env_list("GAZETTEER_COUNTRIES", "GB,IE")]

# Map tiles are a setting so that a deployment behind a hospital firewall can use its own tile
# server. An empty MAP_TILE_URL shows the map without a base layer.
MAP_TILE_URL = env_str("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env_str(
    "MAP_TILE_ATTRIBUTION",
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)
LEAFLET_CONFIG = {
    "TILES": [("Map", MAP_TILE_URL, {"attribution": MAP_TILE_ATTRIBUTION})] if MAP_TILE_URL else [],
    "DEFAULT_CENTER": (54.5, -3.0),
    "DEFAULT_ZOOM": 5,
    "MIN_ZOOM": 4,
    "MAX_ZOOM": 18,
    "RESET_VIEW": False,
    "NO_GLOBALS": True,
}


def _origin(url):
    parts = urlsplit(url.replace("{s}", "a"))
    if not parts.scheme or not parts.netloc:
        return None
    host = parts.netloc.replace("a.", "*.", 1) if "{s}" in url else parts.netloc
    return f"{parts.scheme}://{host}"


# A strict Content Security Policy: no inline script or style, scripts only from this site with a
# per-request nonce, images also from the configured tile server.
_tile_origin = _origin(MAP_TILE_URL) if MAP_TILE_URL else None
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", *([_tile_origin] if _tile_origin else [])],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# A load balancer probes /healthz over plain HTTP inside the private network; a redirect to HTTPS
# would read as "unhealthy" (or as healthy without checking anything, if it follows it). The
# answer holds no personal data and sets no cookie, so plain HTTP is safe for it.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

DIRECTORY_PAGE_SIZE = env_int("DIRECTORY_PAGE_SIZE", 20)

# One line per record on stderr, with the request id (config/requestid.py) and no personal data:
# no query strings, headers, cookies, form data or exception messages. Django's own "django"
# logger keeps no handlers of its own (by default it would also email ADMINS a full report with the
# request's data, and print twice with DEBUG on); its records go to the root handler.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.requestid.RequestIdFilter"}},
    "formatters": {"one_line": {"()": "config.requestid.OneLineFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "one_line",
        }
    },
    "loggers": {"django": {"handlers": [], "level": "INFO", "propagate": True}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
