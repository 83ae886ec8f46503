"""Bad input is refused with a clear answer, never a 500, and nothing is written.

API: oversized bodies (413), invalid JSON, wrong types, unknown and out-of-scope ids, huge
numbers, NUL bytes. Pages: every form found on every page is posted with hostile values; every
page POST without a CSRF token is refused (403).
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client

from presence.models import AuditLogEntry, PresenceInterval, Team
from tests.reliability.doors import DOORS, html_pages, url_for

HOSTILE = [
    "",
    "-1",
    "0",
    "99999999999999999999999",
    "1e309",
    "not-a-number",
    "x" * 5000,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "2026-02-30T25:61:00",
    "\u202e\ufeff",
    "a\x00b",
]


def api(world, role="admin") -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {world.tokens[role]}")


def post_json(client: Client, path: str, body, method: str = "post"):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return getattr(client, method)(path, data=data, content_type="application/json")


def assert_error(answer, status: int, field: str | None = None) -> dict:
    assert answer.status_code == status, answer.content[:300]
    body = answer.json()
    assert set(body) >= {"error", "detail"}
    assert body["detail"]
    if field:
        assert body.get("field") == field, body
    return body


def written() -> tuple[int, ...]:
    return (Team.objects.count(), PresenceInterval.objects.count(), AuditLogEntry.objects.count())


# --- the API ------------------------------------------------------------------------------------


def test_oversized_body_answers_413_json_and_writes_nothing(world):
    before = written()
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024
    body = json.dumps({"name": "x" * size})
    answer = post_json(api(world), "/api/v1/teams", body)
    assert_error(answer, 413)
    assert written() == before


def test_largest_legitimate_body_fits_the_limit():
    """The bulk default presence takes up to 100,000 ids (api.md, D4)."""
    body = json.dumps({"representative_ids": [2**40 + i for i in range(100_000)]})
    assert len(body) < settings.DATA_UPLOAD_MAX_MEMORY_SIZE


@pytest.mark.parametrize("raw", ["{", "[1, 2", "nul", "{'name': 'x'}", '{"name": "x"} trailing'])
def test_invalid_json_answers_400(world, raw):
    before = written()
    assert_error(post_json(api(world), "/api/v1/teams", raw), 400)
    assert written() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": 123}, "name"),
        ({"name": ["a"]}, "name"),
        ({"name": None}, "name"),
        ({"name": "ok", "supervisor_usernames": "not-a-list"}, "supervisor_usernames"),
        ({"name": "ok", "unknown": 1}, "unknown"),
        ({}, "name"),
    ],
)
def test_wrong_types_answer_400_naming_the_field(world, body, field):
    before = written()
    assert_error(post_json(api(world), "/api/v1/teams", body), 400, field)
    assert written() == before


def test_a_json_array_or_scalar_body_answers_400(world):
    for body in ([], 1, "text", None):
        assert_error(post_json(api(world), "/api/v1/teams", json.dumps(body)), 400)


@pytest.mark.parametrize("rep_id", ["999999", "0", str(2**63), str(2**70)])
def test_unknown_ids_in_the_path_answer_404(world, rep_id):
    answer = api(world).get(f"/api/v1/representatives/{rep_id}/presence")
    assert answer.status_code == 404
    assert answer.json()["error"] == "not_found"


def test_out_of_scope_ids_answer_404_like_unknown_ones(world):
    """A2: a supervisor of another team cannot tell a rep exists."""
    client = api(world, "sup_other")
    out_of_scope = client.get(f"/api/v1/representatives/{world.rep.pk}/presence")
    unknown = client.get("/api/v1/representatives/999999/presence")
    assert out_of_scope.status_code == unknown.status_code == 404
    assert out_of_scope.json()["error"] == unknown.json()["error"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/conversations", {"workstream_id": 999999}, "workstream_id"),
        ("/api/v1/conversations", {"workstream_id": 2**70}, "workstream_id"),
        ("/api/v1/conversations", {"workstream_id": -1}, "workstream_id"),
        ("/api/v1/conversations", {"workstream_id": "1; DROP TABLE x"}, "workstream_id"),
        ("/api/v1/conversations", {"workstream_id": 1.5}, "workstream_id"),
        ("/api/v1/conversations", {"workstream_id": True}, "workstream_id"),
    ],
)
def test_bad_ids_in_a_body_answer_400_naming_the_field(world, path, body, field):
    assert_error(post_json(api(world), path, body), 400, field)


def test_out_of_scope_rep_in_a_body_answers_400(world):
    answer = post_json(
        api(world, "sup_other"),
        f"/api/v1/conversations/{world.queued.pk}/assign",
        {"representative_id": world.rep.pk},
    )
    assert_error(answer, 400, "representative_id")


def test_nul_bytes_and_huge_strings_are_refused(world):
    before = written()
    assert_error(post_json(api(world), "/api/v1/teams", {"name": "a\x00b"}), 400, "name")
    answer = post_json(api(world), "/api/v1/teams", {"name": "x" * 100_000})
    assert_error(answer, 400, "name")
    assert written() == before


def test_bad_status_in_put_presence_writes_nothing(world):
    before = written()
    for status_id in (999999, 0, "x", None):
        answer = post_json(
            api(world, "rep"),
            f"/api/v1/representatives/{world.rep.pk}/presence",
            {"status_id": status_id},
            method="put",
        )
        assert_error(answer, 400, "status_id")
    assert written() == before


@pytest.mark.parametrize(
    "query",
    [
        "start=yesterday",
        "start=2026-01-01T00:00:00",
        "end=2026-13-01T00:00:00Z",
        "start=" + "9" * 40,
    ],
)
def test_bad_query_parameters_answer_400(world, query):
    answer = api(world).get(f"/api/v1/representatives/{world.rep.pk}/presence-history?{query}")
    assert_error(answer, 400)


def test_client_ids_that_cannot_exist_answer_404(world):
    for client_id in ("..%2F..%2Fetc", "x" * 500, "%00"):
        answer = api(world, "rep").post(
            f"/api/v1/representatives/{world.rep.pk}/clients/{client_id}/heartbeat"
        )
        assert answer.status_code == 404


def test_the_api_ignores_session_cookies(world):
    """No CSRF hole: the API authenticates by token only, so a browser's cookie opens nothing."""
    client = Client()
    client.force_login(world.users["admin"])
    assert client.get("/api/v1/teams").status_code == 401


# --- pages ---------------------------------------------------------------------------------------


class Forms(HTMLParser):
    """The POST forms of a page: (action, {field: value})."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str | None, dict[str, str]]] = []
        self._current: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._current = {}
            self.forms.append((attrs.get("action"), self._current))
        elif tag in ("input", "select", "textarea") and self._current is not None:
            name = attrs.get("name")
            if name:
                self._current[name] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def forms_on_pages(world, role: str):
    client = Client()
    client.force_login(world.users[role])
    found = []
    for key, url, html in html_pages(client, world):
        parser = Forms()
        parser.feed(html)
        found += [(key, action or url, fields) for action, fields in parser.forms]
    return client, found


@pytest.mark.parametrize("role", ["rep", "admin", "sup_team"])
def test_every_form_on_every_page_refuses_hostile_values_without_a_500(world, role):
    client, forms = forms_on_pages(world, role)
    assert forms, "no form found: the page enumeration is broken"
    for key, action, fields in forms:
        # `next` too: a bad one was a 500 after the write (review finding 6).
        editable = [name for name in fields if name != "csrfmiddlewaretoken"]
        for value in HOSTILE:
            data = {**fields, **dict.fromkeys(editable, value)}
            answer = client.post(action, data)
            assert answer.status_code < 500, (key, action, value, answer.status_code)
            assert answer.status_code in (200, 204, 302, 400, 403, 404, 409, 422), (
                key,
                action,
                value,
                answer.status_code,
            )


def test_console_bad_status_names_the_field_and_writes_nothing(world):
    client = Client()
    client.force_login(world.users["rep"])
    before = written()
    for status_id in ("999999", "x", "", str(2**70)):
        answer = client.post(
            "/console/presence/", {"status_id": status_id}, HTTP_HX_REQUEST="true", follow=True
        )
        assert answer.status_code < 500
        assert b"status" in answer.content.lower()
    assert written() == before


def test_every_page_post_without_csrf_token_is_refused(world):
    """Every non-API pattern (pages and the admin) refuses a POST without the CSRF token."""
    seen = 0
    for role in ("rep", "admin"):
        client = Client(enforce_csrf_checks=True)
        client.force_login(world.users[role])
        for key, route, method in DOORS:
            if method != "GET" or route.startswith("api/"):
                continue
            url = url_for(key, route, world)
            answer = client.post(url, {"status_id": world.status.pk})
            assert answer.status_code == 403, (role, key, url, answer.status_code)
            seen += 1
    assert seen > 100
