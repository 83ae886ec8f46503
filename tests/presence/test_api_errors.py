"""Every answer under /api/ is the API's JSON error shape {"error", "detail"}, whatever layer wrote
it: ninja's own 405, the URL resolver's 404, Django's 500 page (api.md "Conventions")."""

import re

import pytest
from django.test import Client as HttpClient

from presence.api import api
from tests.presence.test_api import Api, error, token_for

pytestmark = pytest.mark.django_db
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@pytest.fixture
def admin(admin_user):
    return Api(token_for(admin_user))


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
