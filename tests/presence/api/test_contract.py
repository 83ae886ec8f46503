"""API contract: every path of api.md is served and described, and bad input is 400 or 404,
never 500."""

import json

import pytest
from django.test import Client as HttpClient

from presence.models import (
    CapacityProfile,
)
from tests.presence.api.client import error

pytestmark = pytest.mark.django_db


# Every (method, path) of api.md, as the spec writes it.
SPEC_PATHS = [
    ("GET", "/api/v1/presence-statuses"),
    ("POST", "/api/v1/presence-statuses"),
    ("PATCH", "/api/v1/presence-statuses/{id}"),
    ("DELETE", "/api/v1/presence-statuses/{id}"),
    ("GET", "/api/v1/capacity-profiles"),
    ("POST", "/api/v1/capacity-profiles"),
    ("PATCH", "/api/v1/capacity-profiles/{id}"),
    ("GET", "/api/v1/workstreams"),
    ("POST", "/api/v1/workstreams"),
    ("PATCH", "/api/v1/workstreams/{id}"),
    ("GET", "/api/v1/teams"),
    ("POST", "/api/v1/teams"),
    ("GET", "/api/v1/representatives"),
    ("POST", "/api/v1/representatives"),
    ("GET", "/api/v1/representatives/{id}"),
    ("PATCH", "/api/v1/representatives/{id}"),
    ("PUT", "/api/v1/representatives/{id}/capacity-profiles/{profile_id}"),
    ("DELETE", "/api/v1/representatives/{id}/capacity-profiles/{profile_id}"),
    ("POST", "/api/v1/representatives/default-presence"),
    ("GET", "/api/v1/representatives/{id}/presence"),
    ("PUT", "/api/v1/representatives/{id}/presence"),
    ("POST", "/api/v1/representatives/{id}/presence/reset"),
    ("POST", "/api/v1/representatives/{id}/clients"),
    ("POST", "/api/v1/representatives/{id}/clients/{client_id}/heartbeat"),
    ("DELETE", "/api/v1/representatives/{id}/clients/{client_id}"),
    ("POST", "/api/v1/representatives/{id}/sign-out"),
    ("GET", "/api/v1/representatives/{id}/presence-history"),
    ("POST", "/api/v1/conversations"),
    ("GET", "/api/v1/conversations/{id}"),
    ("POST", "/api/v1/conversations/{id}/offers"),
    ("POST", "/api/v1/offers/{id}/accept"),
    ("POST", "/api/v1/offers/{id}/reject"),
    ("POST", "/api/v1/conversations/{id}/assign"),
    ("POST", "/api/v1/conversations/{id}/end"),
    ("POST", "/api/v1/conversations/{id}/close"),
    ("POST", "/api/v1/conversations/{id}/release"),
    ("POST", "/api/v1/conversations/{id}/wait"),
    ("POST", "/api/v1/conversations/{id}/revive"),
    ("POST", "/api/v1/conversations/{id}/transfer"),
    ("POST", "/api/v1/conversations/{id}/consult"),
    ("POST", "/api/v1/conversations/{id}/force-close"),
]


# --- OpenAPI, docs and bad input ----------------------------------------------------------------


def test_openapi_lists_every_path_of_the_spec(db):
    response = HttpClient().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    served = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    missing = [item for item in SPEC_PATHS if item not in served]
    assert not missing, missing
    assert "bearer" in json.dumps(response.json()["components"]["securitySchemes"]).lower()


def test_docs_page_is_served(db):
    response = HttpClient().get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_malformed_json_is_400_not_500(admin):
    error(admin.post("/presence-statuses", raw="{not json"), 400, "invalid")
    error(admin.post("/capacity-profiles", raw='{"name": "x", "limit": 3'), 400, "invalid")


def test_wrong_types_are_400_naming_the_field(admin):
    error(
        admin.post("/capacity-profiles", {"name": "Chat", "limit": "many"}),
        400,
        "invalid",
        field="limit",
    )
    error(admin.post("/capacity-profiles", {"name": 12, "limit": 3}), 400, "invalid", field="name")
    error(
        admin.post("/capacity-profiles", {"name": "Chat", "limit": 3, "blocking": "maybe"}),
        400,
        "invalid",
        field="blocking",
    )
    error(
        admin.post("/capacity-profiles", {"name": "Chat", "limit": 3, "reset": "weekly"}),
        400,
        "invalid",
        field="reset",
    )
    error(admin.post("/capacity-profiles", ["Chat", 3]), 400, "invalid")
    error(admin.post("/capacity-profiles", {"limit": 3}), 400, "invalid", field="name")
    error(
        admin.post("/capacity-profiles", {"name": "Chat", "limit": 3, "limt": 4}),
        400,
        "invalid",
        field="limt",
    )
    error(admin.post("/capacity-profiles"), 400, "invalid")
    error(
        admin.post(
            "/presence-statuses", {"name": "A\x00B", "presence_text": "x", "base_status": "away"}
        ),
        400,
        "invalid",
        field="name",
    )
    error(
        admin.post(
            "/representatives/default-presence",
            {"representative_ids": [1, "x"], "default_presence_id": None},
        ),
        400,
        "invalid",
        field="representative_ids",
    )
    assert not CapacityProfile.objects.exists()


def test_huge_and_odd_ids_are_404_or_400_not_500(admin, rep_a):
    error(admin.get(f"/representatives/{2**70}/presence"), 404, "not_found")
    error(admin.patch(f"/presence-statuses/{2**70}", {"name": "x"}), 404, "not_found")
    error(
        admin.put(f"/representatives/{rep_a.pk}/presence", {"status_id": 2**70}),
        400,
        "invalid",
        field="status_id",
    )
    error(
        admin.post("/conversations", {"workstream_id": -1}), 400, "invalid", field="workstream_id"
    )
    error(
        admin.get(f"/representatives/{rep_a.pk}/presence-history", start="yesterday"),
        400,
        "invalid",
        field="start",
    )


def test_odd_query_and_path_values_are_400_or_404_not_500(admin, rep_a):
    error(admin.get("/workstreams", external_id="a\x00b"), 400, "invalid", field="external_id")
    error(admin.get("/representatives", offset=2**70), 400, "invalid", field="offset")
    error(admin.get("/representatives", limit=5000), 400, "invalid", field="limit")
    error(admin.get("/representatives", team_id=2**70), 400, "invalid", field="team_id")
    error(admin.post(f"/representatives/{rep_a.pk}/clients/a%00b/heartbeat"), 404, "not_found")
    error(admin.delete(f"/representatives/{rep_a.pk}/clients/{'x' * 300}"), 404, "not_found")
    error(
        admin.post("/conversations", {"workstream_id": 1, "external_id": "x" * 101}),
        400,
        "invalid",
        field="external_id",
    )
