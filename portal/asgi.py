"""The ASGI application: what uvicorn serves in production and in `make run`. On PostgreSQL it
takes its connections from psycopg's pool (portal/db.py).

Once the application, its URLconf and so every view module are loaded, `gc.freeze()` moves
what exists into the collector's permanent generation: a full collection then scans only what
the process made since, not the ~130,000 objects of Django and the portal. Without it, each
full collection of a web worker held the interpreter for 160-360 ms every 10-30 s at a floor of
400 reps, and every request of that process waited; with it, 83-150 ms (docs/performance.md,
"Fewer hops, one message per commit, shorter full collections").
"""

import gc
import os
from importlib import import_module

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")
django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402

from portal.asgi_handler import PortalASGIHandler  # noqa: E402
from portal.db import use_connection_pool  # noqa: E402

use_connection_pool(settings.DATABASES["default"], max_size=settings.DATABASE_POOL_MAX_SIZE)
application = PortalASGIHandler()

import_module(settings.ROOT_URLCONF)  # every view module now, not on the first request
gc.freeze()
