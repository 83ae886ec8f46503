import os

import pytest
import time_machine
from django.db import connection

from tests.clock import T0
from tests.factories import RepresentativeFactory, TeamFactory, UserFactory

pytest_plugins = ["tests.rule_ids"]  # no rule id in any answer a test gets (review finding 18)

os.environ.setdefault(
    "DJANGO_ALLOW_ASYNC_UNSAFE", "true"
)  # Playwright's sync API runs an event loop


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only, Redis-only and browser tests skip with a reason when those are missing.
    CI (.ci/run) installs Chromium and sets REQUIRE_BROWSER=1: there a missing browser fails."""
    from tests.browser import CHROMIUM

    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql"))
    has_redis = bool(os.environ.get("REDIS_URL"))
    has_browser = os.access(CHROMIUM, os.X_OK) or os.environ.get("REQUIRE_BROWSER") == "1"
    for item in items:
        if "browser" in item.keywords and not has_browser:
            item.add_marker(
                pytest.mark.skip(reason=f"needs Chromium at {CHROMIUM}: apt-get install chromium")
            )
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (CI does)"))
        if "redis" in item.keywords and not has_redis:
            item.add_marker(pytest.mark.skip(reason="needs Redis: set REDIS_URL (CI does)"))


@pytest.fixture(autouse=True)
def _no_shared_fragment_from_an_earlier_test():
    """The reports' shared live fragments (reports.realtime.live.shared_fragment) are keyed by the
    window number, which a frozen clock makes the same in many tests: without this, a test could
    be served a region an earlier test rendered. Only those keys go (a Redis cache shares its
    server with the broker of the tests that run real workers)."""
    yield
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    if isinstance(backend, LocMemCache):
        backend.clear()
    elif isinstance(backend, RedisCache):
        try:
            client = backend._cache.get_client(write=True)
            keys = list(client.scan_iter(match=backend.make_key("live-fragment:*")))
            if keys:
                client.delete(*keys)
        except Exception:  # Redis stopped by a fault test: nothing cached to leak either
            pass


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def now():
    """The tests' clock (tests/clock.py), with the real clock frozen at it for the test, so the code
    a test cannot hand `now` to (views, middleware, the API) agrees with what the test wrote."""
    with time_machine.travel(T0, tick=False):
        yield T0


# --- The cast: an admin, a supervisor, reps in teams A and B (each test adds what it needs) -----


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin1", groups=["Portal admins"])


@pytest.fixture
def supervisor_user(db):
    return UserFactory(username="super1", groups=["Supervisors"])


@pytest.fixture
def rep_user(db):
    return UserFactory(username="rep1", groups=["Representatives"])


@pytest.fixture
def team_a(db):
    return TeamFactory(name="Team A")


@pytest.fixture
def team_b(db):
    return TeamFactory(name="Team B")


@pytest.fixture
def rep_a(rep_user, team_a):
    """Ada, rep_user's own rep, in team A."""
    return RepresentativeFactory(name="Ada", user=rep_user, teams=[team_a])


@pytest.fixture
def rep_b(team_b):
    """Bea, a rep of team B with a user of her own."""
    user = UserFactory(username="rep2", groups=["Representatives"])
    return RepresentativeFactory(name="Bea", user=user, teams=[team_b])


@pytest.fixture
def browser():
    """Chromium driven by Playwright, for tests marked `browser`; a Content-Security-Policy
    violation on any page fails the test (tests/browser.py)."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    from tests.browser import ARGS, CHROMIUM, CspWatchedBrowser

    outer = {alias: connections[alias] for alias in connections}
    with sync_playwright() as playwright:
        # Inside sync_playwright() the code runs in another context, where Django would open a
        # second connection (an in-memory SQLite then reports "table is locked", PostgreSQL
        # cannot drop the test database at the end). Keep the test's own connection.
        for alias, connection in outer.items():
            connections[alias] = connection
        browser = CspWatchedBrowser(playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS))
        yield browser
        browser.close()
    browser.assert_no_violations()  # every page worked under the production CSP (finding 5)


@pytest.fixture
def asgi_server():
    """start(**env) runs a real uvicorn against the test database (tests/asgi.py; PostgreSQL);
    every server started is stopped at the end of the test, before the database is flushed."""
    from tests.asgi import AsgiServer

    servers = []

    def start(**env):
        servers.append(AsgiServer(**env).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()
