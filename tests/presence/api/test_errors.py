"""Every answer under /api/ is the API's JSON error shape {"error", "detail"}, whatever layer wrote
it: ninja's own 405, the URL resolver's 404, Django's 500 page (api.md "Conventions"); and a write
that loses a race with another is a 409, not a 503."""

import re

import psycopg
import pytest
from django.db import OperationalError
from django.test import Client as HttpClient

from portal.middleware import DatabaseUnavailableMiddleware
from presence.api import api
from tests.factories import RepresentativeFactory
from tests.presence.api.client import error

pytestmark = pytest.mark.django_db
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _operations() -> dict[str, set[str]]:
    """{concrete path: methods it takes}, from the OpenAPI description (every operation)."""
    paths = api.get_openapi_schema(path_prefix="/api/v1/")["paths"]
    return {
        re.sub(r"\{[^}]+\}", "1", path): {method.upper() for method in operations}
        for path, operations in paths.items()
    }


def test_delete_on_conversations_answers_405_json_with_allow(admin):
    """Review finding 11: DELETE /api/v1/conversations answered 405 text/html."""
    response = admin.delete("/conversations")
    body = error(response, 405, "method_not_allowed")
    assert "POST" in response["Allow"]
    assert "DELETE" in body["detail"]
    assert "POST" in body["detail"]


def test_every_wrong_method_on_every_api_path_answers_405_json(admin):
    """Review finding 11: every path of the OpenAPI, every method it does not take: 405 in the
    API's error shape, with the Allow header naming the methods it does take."""
    operations = _operations()
    assert len(operations) > 20
    tried = 0
    for path, allowed in operations.items():
        for method in set(METHODS) - allowed:
            response = admin.call(method, path.removeprefix("/api/v1"), {})
            error(response, 405, "method_not_allowed")
            assert set(response["Allow"].replace(" ", "").split(",")) == allowed, path
            tried += 1
    assert tried > 50


@pytest.mark.parametrize(
    "path",
    ["/api/", "/api/v2/teams", "/api/v1/nothing-here", "/api/v1/teams/", "/api/v1/teams/1/x"],
)
def test_unknown_paths_under_api_answer_404_json(admin, path):
    """Review finding 11: a path under /api/ that no route takes is the JSON 404, not the page."""
    response = HttpClient().get(path, headers=admin.headers)
    assert error(response, 404, "not_found")["detail"].startswith("No API resource at /api/")


def test_an_unexpected_error_under_api_answers_500_json(admin, monkeypatch):
    """Review finding 11: a bug that escapes every handler is still the API's JSON shape (500),
    not Django's HTML error page."""

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("presence.api.routes_config.services.team_create", broken)
    admin.http.raise_request_exception = False
    response = admin.post("/teams", {"name": "Team X"})
    body = error(response, 500, "server_error")
    assert "a bug" not in body["detail"]


def test_pages_keep_their_html_405(client):
    """The JSON shape is for /api/ only: a page's 405 stays Django's."""
    response = client.post("/healthz")
    assert response.status_code == 405
    assert not response["Content-Type"].startswith("application/json")


def _deadlock() -> OperationalError:
    """What Django raises when PostgreSQL breaks a deadlock by failing this transaction."""
    try:
        try:
            raise psycopg.errors.DeadlockDetected("deadlock detected")
        except psycopg.Error as cause:
            raise OperationalError("deadlock detected") from cause
    except OperationalError as error:
        return error


def test_a_write_that_loses_a_deadlock_answers_409_not_503(admin, monkeypatch):
    """Review finding 9: a bulk default change that PostgreSQL failed to break a deadlock
    answered 503 "database unreachable". A write that loses a race with another is a genuine
    conflict: 409 in the API's shape, nothing written, try again."""

    def deadlocked(**kwargs):
        raise _deadlock()

    monkeypatch.setattr(
        "presence.api.routes_config.services.representative_default_presence_bulk", deadlocked
    )
    rep = RepresentativeFactory()
    response = admin.post(
        "/representatives/default-presence",
        {"representative_ids": [rep.pk], "default_presence_id": None},
    )
    body = error(response, 409, "conflict", state="concurrent_change")
    assert "at the same time" in body["detail"]
    assert "Retry-After" not in response


def test_a_page_write_that_loses_a_deadlock_answers_409_with_a_clear_page(rf):
    """Review finding 9, pages: the same race on a page is a 409 page saying what happened,
    not the "database cannot be reached" page."""
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    response = middleware.process_exception(rf.post("/config/defaults/"), _deadlock())
    assert response.status_code == 409
    assert b"Changed at the same time" in response.content
    down = middleware.process_exception(rf.get("/"), OperationalError("connection refused"))
    assert down.status_code == 503
