"""The ASGI web server pools its PostgreSQL connections (portal/db.py, from portal/asgi.py): under uvicorn each
request's ORM work runs in a thread of its own, so persistent connections would leak one per
thread (issue 13). That Django accepts these options and serves through the pool is proven by
every test that starts `uvicorn portal.asgi:application` on PostgreSQL (tests/asgi.py, e.g.
tests/portal/test_live_servers.py)."""

import pytest

from portal.db import use_connection_pool

POSTGRES = {"ENGINE": "portal.db_backend", "CONN_MAX_AGE": 60, "OPTIONS": {}}


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
    [("django.db.backends.sqlite3", 10), ("portal.db_backend", 0)],
)
def test_no_pool_for_sqlite_or_when_turned_off(engine, max_size):
    database = {**POSTGRES, "ENGINE": engine, "OPTIONS": {}}
    use_connection_pool(database, max_size=max_size)
    assert database["CONN_MAX_AGE"] == 60
    assert "pool" not in database["OPTIONS"]
