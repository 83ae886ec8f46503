"""GET, POST /api/v1/webhooks, PATCH, DELETE /api/v1/webhooks/{id} (issue 14): admins only, 400
naming the field, the secret shown once."""

import pytest
from django.test import Client as HttpClient

from presence.models import AuditLogEntry, WebhookEndpoint
from tests.presence.api.client import error

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:9/hook"


def test_an_admin_registers_an_endpoint_and_sees_its_secret_once(admin, team_a):
    created = admin.post(
        "/webhooks", {"url": URL, "event_types": ["presence.changed"], "team_ids": [team_a.pk]}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["url"] == URL
    assert body["team_ids"] == [team_a.pk]
    assert body["event_types"] == ["presence.changed"]
    assert body["active"] is True
    assert body["created_by"] == "admin1"
    listed = admin.get("/webhooks")
    assert listed.status_code == 200
    assert [w["id"] for w in listed.json()] == [body["id"]]
    assert "secret" not in listed.json()[0]
    assert body["secret"] not in listed.content.decode()
    patched = admin.patch(f"/webhooks/{body['id']}", {"description": "WFM"})
    assert patched.status_code == 200
    assert "secret" not in patched.json()
    assert AuditLogEntry.objects.filter(action="webhook.create").count() == 1


def test_list_reads_in_a_fixed_number_of_queries(admin, team_a, django_assert_max_num_queries):
    for n in range(5):
        assert (
            admin.post("/webhooks", {"url": f"{URL}/{n}", "team_ids": [team_a.pk]}).status_code
            == 201
        )
    with django_assert_max_num_queries(6):
        assert len(admin.get("/webhooks").json()) == 5


def test_patch_enables_a_disabled_endpoint_again(admin):
    created = admin.post("/webhooks", {"url": URL}).json()
    WebhookEndpoint.objects.filter(pk=created["id"]).update(
        active=False, disabled_reason="Every delivery failed for 24 hours"
    )
    listed = admin.get("/webhooks").json()[0]
    assert listed["active"] is False
    assert "24 hours" in listed["disabled_reason"]
    enabled = admin.patch(f"/webhooks/{created['id']}", {"active": True}).json()
    assert enabled["active"] is True
    assert enabled["disabled_reason"] == ""


def test_delete_removes_the_endpoint(admin):
    created = admin.post("/webhooks", {"url": URL}).json()
    assert admin.delete(f"/webhooks/{created['id']}").status_code == 204
    assert not WebhookEndpoint.objects.exists()
    error(admin.delete(f"/webhooks/{created['id']}"), 404, "not_found")
    error(admin.patch(f"/webhooks/{created['id']}", {"active": False}), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.org/x"}, "url"),
        ({"url": "http://127.0.0.1/x", "team_ids": [424242]}, "team_ids"),
        ({"url": "http://127.0.0.1/x", "team_ids": [True]}, "team_ids"),
        ({"url": "http://127.0.0.1/x", "event_types": "presence.changed"}, "event_types"),
        ({"url": "http://127.0.0.1/x", "active": "maybe"}, "active"),
        ({"url": "http://127.0.0.1/x", "secret": "whsec_mine"}, "secret"),
        ({}, "url"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(admin, body, field):
    error(admin.post("/webhooks", body), 400, "invalid", field=field)
    assert not WebhookEndpoint.objects.exists()


def test_a_private_address_is_refused_unless_allowed(admin, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    body = error(
        admin.post("/webhooks", {"url": "http://169.254.169.254/"}), 400, "invalid", field="url"
    )
    assert "private" in body["detail"]
    created = admin.post("/webhooks", {"url": "https://93.184.216.34/hook"}).json()
    body = error(
        admin.patch(f"/webhooks/{created['id']}", {"url": "http://10.0.0.5/"}),
        400,
        "invalid",
        field="url",
    )
    assert WebhookEndpoint.objects.get().url == "https://93.184.216.34/hook"


@pytest.mark.parametrize("who", ["supervisor", "as_rep", "nobody", "router_api"])
def test_only_admins_see_or_change_endpoints(request, admin, who):
    created = admin.post("/webhooks", {"url": URL}).json()
    caller = request.getfixturevalue(who)
    error(caller.get("/webhooks"), 403, "forbidden")
    error(caller.post("/webhooks", {"url": URL}), 403, "forbidden")
    error(caller.patch(f"/webhooks/{created['id']}", {"active": False}), 403, "forbidden")
    error(caller.delete(f"/webhooks/{created['id']}"), 403, "forbidden")
    assert WebhookEndpoint.objects.get().active


def test_the_openapi_documents_the_webhook_calls(db):
    paths = HttpClient().get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/webhooks"]) == {"get", "post"}
    assert set(paths["/api/v1/webhooks/{id}"]) == {"patch", "delete"}
