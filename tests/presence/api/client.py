"""A client of /api/v1 and the checks every API contract test shares: the one error
shape {"error", "detail"} (+ "field" for 400, "state" for 409)."""

import json

from django.test import Client as HttpClient

from presence.services import api_token_create
from tests.clock import T0


class Api:
    """A client of /api/v1 with one bearer token (or none, or a raw Authorization header)."""

    def __init__(self, token: str | None = None, *, authorization: str | None = None):
        self.http = HttpClient()
        if authorization is None and token is not None:
            authorization = f"Bearer {token}"
        self.headers = {"Authorization": authorization} if authorization else {}

    def call(self, method: str, path: str, body=None, *, raw: str | None = None, query=None):
        url = f"/api/v1{path}"
        if method == "GET":
            response = self.http.get(url, data=query or {}, headers=self.headers)
        else:
            data = raw if raw is not None else ("" if body is None else json.dumps(body))
            response = getattr(self.http, method.lower())(
                url, data=data, content_type="application/json", headers=self.headers
            )
        return response

    def get(self, path, **query):
        return self.call("GET", path, query=query)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.call("PUT", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.call("PATCH", path, body, **kw)

    def delete(self, path):
        return self.call("DELETE", path)


def token_for(user) -> str:
    return api_token_create(user=user, name="tests", now=T0)[1]


def error(response, status: int, code: str, *, field: str | None = None, state=None) -> dict:
    """The one error shape; returns the body for more checks."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == code
    assert isinstance(body["detail"], str)
    assert body["detail"]
    expected_keys = {"error", "detail"} | ({"field"} if field else set())
    if status == 409:
        expected_keys.add("state")
        assert body["state"], body
        if state is not None:
            assert body["state"] == state
    assert set(body) == expected_keys, body
    if field:
        assert body["field"] == field, body
    return body


def signed_in(api: Api, rep) -> str:
    response = api.post(f"/representatives/{rep.pk}/clients", {})
    assert response.status_code == 201, response.content
    return response.json()["client_id"]


def perms(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="presence", codename__in=codenames)


def open_conversation(api: Api, workstream, **extra) -> dict:
    response = api.post("/conversations", {"workstream_id": workstream.pk, **extra})
    assert response.status_code == 201, response.content
    return response.json()
