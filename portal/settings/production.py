"""Production settings: secure by default. `check --deploy` is clean with these."""

from .base import *  # noqa: F403
from .base import env
from .csp import CONTENT_SECURITY_POLICY as _CSP

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    # Only `manage.py check` may run without one (a build step); anything else is refused.
    import sys

    from django.core.exceptions import ImproperlyConfigured

    if sys.argv[1:2] != ["check"]:
        raise ImproperlyConfigured("SECRET_KEY must be set in production (see .env.example).")
    SECRET_KEY = "check-only-placeholder-" + "k3y" * 12

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = _CSP  # what it allows and why: portal/settings/csp.py
