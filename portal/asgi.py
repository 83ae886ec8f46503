"""The ASGI application: what uvicorn serves in production and in `make run`. On PostgreSQL it
takes its connections from psycopg's pool (portal/db.py)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")
django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

from portal.db import use_connection_pool  # noqa: E402

use_connection_pool(settings.DATABASES["default"], max_size=settings.DATABASE_POOL_MAX_SIZE)
application = get_asgi_application()
