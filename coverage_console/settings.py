"""Settings come from the environment (README, "Configuration").

DATABASE_URL unset -> SQLite file; REDIS_URL unset -> Celery tasks run in-process.
Production (DJANGO_DEBUG unset) refuses to start without DJANGO_SECRET_KEY and
DJANGO_ALLOWED_HOSTS, and runs with the security settings `manage.py check --deploy` asks for.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool) -> bool:
    """A yes/no setting: 1/true/yes or 0/false/no; unset, the default."""
    value = os.environ.get(name, "").strip().lower()
    return default if not value else value in ("1", "true", "yes")


# Under pytest only: a test run may go without the production secrets. It never turns DEBUG on.
TESTING = "pytest" in sys.modules
DEBUG = env_flag("DJANGO_DEBUG", False)
PRODUCTION = not (DEBUG or TESTING)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production (or set DJANGO_DEBUG=1).")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()]
if not ALLOWED_HOSTS:
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set in production (or set DJANGO_DEBUG=1).")
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "axes",
    "core",
    "accounts",
    "contacts",
    "segments",
    "standards",
    "profiles",
    "handoffs",
    "engine",
    "dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it answers for the requests its backend refused.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "coverage_console.urls"
WSGI_APPLICATION = "coverage_console.wsgi.application"

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
                "django.template.context_processors.i18n",
                "core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiles any statement its planner costs high: on the ICP validation at 1M accounts it
    # spent 0.5 s of 1.5 s compiling, and the nightly chunks and pages gain nothing from it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A busy timeout keeps concurrent writers (web + in-process tasks) from failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

# Brute-force protection (django-axes): the login page, the admin and the API token endpoint go through its backend.
# A username is locked after AXES_FAILURE_LIMIT failed sign-ins in a row, whatever the address they come from,
# until AXES_COOLOFF_MINUTES pass or an admin lifts the lock; a success resets the count.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 warns that a lock without the client address can be dodged by rotating user agents or cookies; a lock
# per username is dodged by neither. Adding the address would lock a whole office behind one NAT address after a
# few colleagues' typos.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Password-reset e-mails asked for, per client address and per e-mail address, in an hour.
PASSWORD_RESET_REQUESTS_PER_HOUR = int(os.environ.get("PASSWORD_RESET_REQUESTS_PER_HOUR", "5"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# Display default; the business time zone used by the engine is a database setting
# (core.BusinessSettings) and is activated per request by core.middleware.
TIME_ZONE = "Asia/Tokyo"

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))

# Uploads: Django's memory settings do not cap size, so cap it explicitly.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
IMPORT_UPLOAD_MAX_BYTES = int(os.environ.get("IMPORT_UPLOAD_MAX_BYTES", str(512 * 1024 * 1024)))

# Production security (`manage.py check --deploy` is clean with the defaults). Behind a TLS-terminating proxy,
# DJANGO_SECURE_PROXY_SSL_HEADER names the header it sets (e.g. X-Forwarded-Proto); only set it when the proxy
# always sets or strips that header, or a client could claim https.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = not env_flag("DJANGO_INSECURE_COOKIES", False)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env_flag("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_flag("DJANGO_SECURE_HSTS_PRELOAD", True)
if proxy_header := os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER", "").strip():
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + proxy_header.upper().replace("-", "_"), "https")
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

# Content-Security-Policy (django-csp): every script, style, image and font comes from the app itself; style
# attributes are allowed (bar widths in the figures), inline scripts are not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Email (password reset): SMTP from the environment; without DJANGO_EMAIL_HOST, messages are written to the log
# (development) — set it in production, or password reset cannot reach anyone.
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "coverage-console@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if EMAIL_HOST := os.environ.get("DJANGO_EMAIL_HOST", ""):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_flag("DJANGO_EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

REST_FRAMEWORK = {
    # Token first: a request without credentials, or with a bad token, answers 401 with
    # `WWW-Authenticate: Token` (the first class's header), not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        # Refuses an unknown ordering field with 400 instead of dropping it (docs/api.md §5).
        "core.api.filters.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.DefaultCursorPagination",
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 50,
    # Documents the common error answers (400/401/403/404) of every operation (core/api/schema.py).
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Coverage Console API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from our own static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One schema component per choice set the API shares (states and roles appear in many fields).
    # Two choice sets answer to "kind" (a touch's, a handoff alert's): each named here, the touch's as it was.
    "ENUM_NAME_OVERRIDES": {"State": "core.choices.State", "Role": "core.choices.Role",
                            "KindEnum": "core.choices.TouchKind",
                            "HandoffAlertKind": "handoffs.models.HandoffAlert.Kind"},
    # What a write takes and what it answers are separate components (read-only fields, non-blank text).
    "COMPONENT_SPLIT_REQUEST": True,
}

# Celery: with REDIS_URL a real broker, without it tasks run in-process.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL


def _redis_cache_location(url: str) -> str:
    """The cache's Redis: the broker's server, the next database number (so emptying the cache never touches the
    broker's queues)."""
    parts = urlsplit(url)
    broker_db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(broker_db + 1) % 16}"))


# Django's cache (the live handoff feedback figures, throttles): with REDIS_URL one Redis every web process shares,
# so what one worker drops the others drop too; without it, in the process's memory (runserver, tests).
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": _redis_cache_location(REDIS_URL)}}
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# A worker killed mid-task must not acknowledge it (celery#1628): redeliver instead.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# One visibility timeout everywhere (kombu#337, celery#7651): longer than any chunk.
CELERY_VISIBILITY_TIMEOUT = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))
# How often a worker looks for messages whose visibility timeout has passed (a chunk whose worker died whole,
# SIGKILL or power): every unacked_restore_interval × unacked_restore_throttle seconds — kombu's 10 × 10 unless set;
# above 10 s, in whole tens (rounded down).
CELERY_RESTORE_SCAN_SECONDS = max(1, int(os.environ.get("CELERY_RESTORE_SCAN_SECONDS", "100")))
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": min(10, CELERY_RESTORE_SCAN_SECONDS),
    "unacked_restore_throttle": max(1, CELERY_RESTORE_SCAN_SECONDS // 10),
    # A broker that does not answer is given up in a second, not the OS's minutes (a host down, not refusing).
    "socket_connect_timeout": 1,
}
# Publishing fails fast when the broker is down: a request that queued work answers anyway, the work stays
# recorded as pending and the dispatch sweep sends it later (core.dispatch). One retry, half a second apart: a
# stopped Redis costs under a second, an unreachable host about two.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
# A recompute run still "running" this long after it started was left by a dead process: the next start ends it
# as failed instead of waiting for it forever (engine.services.abandon_stale_runs).
RECOMPUTE_RUN_STALE_HOURS = int(os.environ.get("RECOMPUTE_RUN_STALE_HOURS", "12"))
# The Redis result store's reconnection at publish is bounded too (its default, 20 retries a second apart, made a
# publish with Redis down take 19 s); core.dispatch publishes without subscribing to a result at all.
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5},
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Tokyo"
# The one beat schedule. `expires` drops a nightly run still queued when the next one is due, so a
# backlog cannot run the pipeline twice; run exactly one beat process (celery#2856).
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE = {
    "nightly-recompute": {
        "task": "engine.run_nightly_recompute",
        "schedule": crontab(hour=2, minute=0),  # 02:00 business time (CELERY_TIMEZONE)
        "options": {"expires": 6 * 3600},
    },
    # A handoff's SLA alert and its escalation reach their people within 15 minutes of the time (docs/rules.md §8);
    # a sweep still queued when the next one is due is dropped (the next one does its work).
    "handoff-sla-sweep": {
        "task": "handoffs.sla_sweep",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 14 * 60},
    },
    # Work recorded but not handed to the broker (it was down at the time) is sent within two minutes of its
    # recording (core.dispatch). Expires before the next one is due: a backlog of sweeps is one sweep.
    "dispatch-sweep": {
        "task": "core.dispatch_sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
