"""The ASGI web server pools its PostgreSQL connections (portal/asgi.py): under uvicorn each
request's ORM work runs in a thread of its own, so persistent connections would leak one per
thread (issue 13)."""

import pytest

from portal.asgi import use_connection_pool

POSTGRES = {"ENGINE": "django.db.backends.postgresql", "CONN_MAX_AGE": 60, "OPTIONS": {}}


def test_postgres_gets_a_bounded_pool_and_no_persistent_connections():
    database = {**POSTGRES, "OPTIONS": {"sslmode": "prefer"}}
    use_connection_pool(database, max_size=7)
    assert database["CONN_MAX_AGE"] == 0
    assert database["OPTIONS"] == {
        "sslmode": "prefer",
        "pool": {"min_size": 1, "max_size": 7, "timeout": 10},
    }


@pytest.mark.parametrize(
    ("engine", "max_size"),
    [("django.db.backends.sqlite3", 10), ("django.db.backends.postgresql", 0)],
)
def test_no_pool_for_sqlite_or_when_turned_off(engine, max_size):
    database = {**POSTGRES, "ENGINE": engine, "OPTIONS": {}}
    use_connection_pool(database, max_size=max_size)
    assert database["CONN_MAX_AGE"] == 60
    assert "pool" not in database["OPTIONS"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_pool_opens_on_this_postgres():
    """Django accepts the options use_connection_pool writes (it refuses a pool with persistent
    connections) and serves a query through the pool."""
    from django.db import connections
    from django.db.utils import ConnectionHandler

    database = dict(connections["default"].settings_dict)
    use_connection_pool(database, max_size=2)
    handler = ConnectionHandler({"default": database})
    try:
        with handler["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
        assert handler["default"].pool is not None
    finally:
        handler["default"].close_pool()
        handler.close_all()
