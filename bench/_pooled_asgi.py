"""The portal's ASGI application with psycopg's connection pool, for bench/events.py (its
default; `--no-pool` serves portal.asgi with the production settings as they are).

Under uvicorn every request runs in a thread of its own, so a persistent connection
(`CONN_MAX_AGE`) is never reused and every request opens a PostgreSQL connection: a backend fork,
authentication and a cold catalogue cache, which costs more than `/healthz` itself and hides what
an event costs in Python. Django's pool (5.1+, `OPTIONS["pool"]`, the psycopg-pool package) hands
each request a connection that is already open, as gunicorn's persistent connections did when
issue 13 measured events against `/healthz`. The settings are the production ones
(DJANGO_SETTINGS_MODULE), with the pool added before the first connection is made."""

import django
from django.conf import settings

django.setup()
_db = settings.DATABASES["default"]
_db["CONN_MAX_AGE"] = 0  # the pool keeps the connections, not the threads
_db.setdefault("OPTIONS", {})["pool"] = {"min_size": 2, "max_size": 8}

from django.core.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()
