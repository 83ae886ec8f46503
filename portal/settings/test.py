"""Test settings: SQLite unless DATABASE_URL is set (CI sets it to PostgreSQL)."""

from .base import *  # noqa: F403
from .base import CACHES, DATABASES, env
from .csp import CONTENT_SECURITY_POLICY as _CSP

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and not env.str(
    "DATABASE_URL", default=""
):
    DATABASES["default"]["NAME"] = ":memory:"
    DATABASES["default"]["OPTIONS"] = {}
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
CELERY_TASK_ALWAYS_EAGER = False
STATIC_ROOT = None  # WhiteNoise serves from the finders here; collectstatic is for production
WHITENOISE_USE_FINDERS = True
# Throttling counts across tests would leak from one test into another: off here (a cache that
# keeps nothing); tests/reliability turns it on with a memory cache.
CACHES = {**CACHES, "throttle": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
# The production Content-Security-Policy, so every test (browser tests included) runs under it.
CONTENT_SECURITY_POLICY = _CSP
# Tests deliver webhooks to receivers on 127.0.0.1; the refusal tests turn this off.
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=True)
# No dispatch queued after each commit in the test process (the fault tests' web processes
# turn it on in their environment).
WEBHOOKS_KICK = env.bool("WEBHOOKS_KICK", default=False)
