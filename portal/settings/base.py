"""Settings shared by every environment. Everything that varies comes from the environment."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "portal.admin_apps.PortalAdminConfig",  # django.contrib.admin, for portal admins only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_filters",
    "django_tables2",
    "ninja",  # the API docs page serves its vendored Swagger UI (no CDN)
    "portal",
    "presence",
    "reports",
]

# Sessions in the database and ModelBackend, their rows read by statements (portal/sessions.py);
# Django's own backend after it, so that sessions it signed in stay valid.
SESSION_ENGINE = "portal.sessions"
AUTHENTICATION_BACKENDS = [
    "portal.sessions.ModelBackend",
    "django.contrib.auth.backends.ModelBackend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.csp.ContentSecurityPolicyMiddleware",
    "portal.middleware.ApiErrorShapeMiddleware",  # every answer under /api/ is JSON
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

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
                "portal.context_processors.navigation",
            ],
            "builtins": ["portal.templatetags.html_values"],  # datetime_attr
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process, the worker and beat share the file without "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE", "timeout": 20}
    )
else:
    # Django's PostgreSQL backend with statements deferred to the transaction's next boundary
    # (portal/db_backend: the event log's insert goes with the COMMIT).
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "portal.db_backend"
    # 0: the web server takes its connections from psycopg's pool (portal/db.py), which needs it;
    # Django: "When using ASGI, persistent connections should be disabled".
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
    # Parameters bound on the server, and a statement run DATABASE_PREPARE_THRESHOLD times on a
    # connection prepared there (psycopg): PostgreSQL then neither parses nor plans the hot
    # reads again (portal/statements.py keeps their SQL the same). 0 turns both off, as Django's
    # default is: behind a pooler in transaction mode without prepared statement support
    # (PgBouncer before 1.21, or max_prepared_statements = 0).
    prepare_threshold = env.int("DATABASE_PREPARE_THRESHOLD", default=5)
    if prepare_threshold > 0:
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": prepare_threshold}
        )
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
# A Celery worker's processes keep their connection this long between tasks (portal/celery.py).
WORKER_CONN_MAX_AGE = env.int("WORKER_CONN_MAX_AGE", default=300)
# Connections of psycopg's pool per web server process on PostgreSQL (portal/db.py); 0: none.
DATABASE_POOL_MAX_SIZE = env.int("DATABASE_POOL_MAX_SIZE", default=10)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("de", "Deutsch"), ("es", "Español")]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Redis serves as Celery broker, result backend and cache when REDIS_URL is set; otherwise the
# embedded defaults need no server: kombu's filesystem transport, Celery's file result backend
# and a local-memory cache.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # Short timeouts: a Redis that hangs must not hold a request (the cache fails open).
    _redis_cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    CACHES = {"default": _redis_cache, "throttle": {**_redis_cache, "KEY_PREFIX": "throttle"}}
else:
    BROKER_DIR = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://localhost//"  # the host is only a label
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # One folder for in and out: every process on this machine both sends and receives.
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        # Exchange bindings (remote control, fanout); kombu's default is relative to the cwd.
        "control_folder": str(BROKER_DIR / "control"),
    }
    CELERY_RESULT_BACKEND = f"file://{VAR_DIR / 'results'}"
    # kombu and the file backend fail on a missing folder; create them so that `celery -A portal
    # worker` works from a fresh checkout without `make run`.
    for _folder in ("queue", "processed", "control"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "results").mkdir(parents=True, exist_ok=True)
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "throttle": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "throttle",
        },
    }

# Throttling of guesses (portal/throttle.py): failed sign-ins per identity and per address, bad
# API tokens per address, counted over a window; successes are never refused by other people's
# failures. Fails open when the cache is down.
THROTTLE_WINDOW_SECONDS = env.int("THROTTLE_WINDOW_SECONDS", default=900)
THROTTLE_LOGIN_FAILURES_PER_USER = env.int("THROTTLE_LOGIN_FAILURES_PER_USER", default=5)
THROTTLE_LOGIN_FAILURES_PER_ADDRESS = env.int("THROTTLE_LOGIN_FAILURES_PER_ADDRESS", default=30)
THROTTLE_BAD_TOKENS = env.int("THROTTLE_BAD_TOKENS", default=30)
# How many proxies of ours stand in front of the portal (TLS terminator, load balancer). 0: the
# client address is REMOTE_ADDR and X-Forwarded-For is ignored; N: it is the N-th address from the
# right of X-Forwarded-For (what our outermost proxy saw). Never more than the proxies you run: a
# client writes the entries to the left of them.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Content-Security-Policy (portal/settings/csp.py): on in production and tests; None sends none.
CONTENT_SECURITY_POLICY = None

# Request bodies: 2 MiB holds the largest legitimate body (the bulk default presence of 100,000
# ids); larger ones are refused (API: 413 JSON) before they are read.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Presence timers (api.md, "Time and periodic work"); each overridable by an env variable.
PRESENCE_HEARTBEAT_TIMEOUT_SECONDS = env.int("PRESENCE_HEARTBEAT_TIMEOUT_SECONDS", default=60)
PRESENCE_DISCONNECT_GRACE_SECONDS = env.int("PRESENCE_DISCONNECT_GRACE_SECONDS", default=150)
PRESENCE_MAX_SESSIONS = env.int("PRESENCE_MAX_SESSIONS", default=10)
CONVERSATION_STUCK_AFTER_SECONDS = env.int("CONVERSATION_STUCK_AFTER_SECONDS", default=14400)
CONVERSATION_AUTOCLOSE_EVERY_SECONDS = env.int("CONVERSATION_AUTOCLOSE_EVERY_SECONDS", default=300)
PRESENCE_TICK_EVERY_SECONDS = env.int("PRESENCE_TICK_EVERY_SECONDS", default=10)
REPORT_REFRESH_SECONDS = env.int("REPORT_REFRESH_SECONDS", default=5)
REPORT_RETENTION_MONTHS = env.int("REPORT_RETENTION_MONTHS", default=24)
# Issue 14: how long the event log keeps events (docs/events.md); purged every hour.
EVENTS_RETENTION_DAYS = env.int("EVENTS_RETENTION_DAYS", default=7)

# Live updates (portal/live, docs/architecture.md): each server process marks the console clients
# with an open stream alive, and sends every stream a keep-alive, once per LIVE_TICK_SECONDS
# (below the heartbeat timeout). Pub/sub ignores Redis database numbers, so the channel names it.
LIVE_TICK_SECONDS = env.int("LIVE_TICK_SECONDS", default=20)
LIVE_CHANNEL = env.str("LIVE_CHANNEL", default=f"portal-live:{REDIS_URL.rsplit('/', 1)[-1]}")
# Without Redis a Celery worker's changes cannot reach the web process's streams: its pages then
# fetch once every LIVE_RESYNC_SECONDS (the embedded default of `make run`; 0: never).
LIVE_RESYNC_SECONDS = env.int("LIVE_RESYNC_SECONDS", default=0 if REDIS_URL else 30)
# The pages' polling when their stream is down (and under WSGI, which holds no stream).
CONSOLE_POLL_SECONDS = env.int("CONSOLE_POLL_SECONDS", default=3)
REPORT_POLL_SECONDS = env.int("REPORT_POLL_SECONDS", default=0)  # 0: REPORT_REFRESH_SECONDS
# Issue 16: a wall screen opened with "keep signed in for the shift" has a session of this length.
WALLBOARD_SESSION_SECONDS = env.int("WALLBOARD_SESSION_SECONDS", default=12 * 3600)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# E-mail (issue 15): set-password links are also e-mailed when EMAIL_HOST is set; without it the
# admin hands them over (they are shown once).
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="portal@localhost")
# A set-password link works once, for this long (Django's password-reset token).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 86400)

# Webhooks (presence/services/webhooks.py, docs/events.md "Webhooks"). Endpoints resolving to a
# private, loopback, link-local or reserved address are refused, at save and at each delivery,
# unless WEBHOOKS_ALLOW_PRIVATE_ADDRESSES (single-box setups, tests).
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=False)
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=10.0)
WEBHOOKS_RETRY_BASE_SECONDS = env.float("WEBHOOKS_RETRY_BASE_SECONDS", default=5.0)
WEBHOOKS_RETRY_MAX_SECONDS = env.float("WEBHOOKS_RETRY_MAX_SECONDS", default=3600.0)
WEBHOOKS_DISABLE_AFTER_SECONDS = env.int("WEBHOOKS_DISABLE_AFTER_SECONDS", default=86400)
WEBHOOKS_DISPATCH_EVERY_SECONDS = env.float("WEBHOOKS_DISPATCH_EVERY_SECONDS", default=10.0)
# Queue a dispatch as soon as events commit (else the beat timer alone sends them).
WEBHOOKS_KICK = env.bool("WEBHOOKS_KICK", default=True)
