import os

import pytest
from django.db import connection

from tests.factories import UserFactory

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


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


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
