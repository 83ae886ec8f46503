"""Database connections of the ASGI web server (portal/asgi.py).

Under uvicorn the requests' ORM work runs on a pool of threads (portal/asgi_handler.py), and
Django advises against persistent connections (`CONN_MAX_AGE`) under ASGI: on PostgreSQL the web
server takes its connections from psycopg's pool instead (Django's `OPTIONS["pool"]`),
`DATABASE_POOL_MAX_SIZE` per process (0 turns it off: a connection per request). Only the web server pools: Celery's
prefork workers must not share a pool made before their fork, so the settings stay as they are.
"""


def use_connection_pool(database: dict, *, max_size: int) -> None:
    """Give a PostgreSQL database psycopg's pool (before its first connection is made)."""
    if max_size <= 0 or database["ENGINE"] != "portal.db_backend":
        return
    database["CONN_MAX_AGE"] = 0  # the pool keeps the connections, not the threads
    database.setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": max_size,
        "timeout": 10,  # then OperationalError: the pages' 503, the API's 503
    }
