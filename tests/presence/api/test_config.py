"""API contract: configuration of presence statuses, capacity profiles, workstreams and teams
(B2, C1-C3, K2, V2)."""

import pytest

from presence.models import (
    AuditLogEntry,
    PresenceStatus,
    Workstream,
)
from tests.factories import (
    CapacityProfileFactory,
    PresenceStatusFactory,
    RepresentativeFactory,
    WorkstreamFactory,
    builtin,
)
from tests.presence.api.client import error

pytestmark = pytest.mark.django_db


# --- Configuration: presence statuses (B2, C1-C3) -----------------------------------------------


def test_presence_statuses_list_needs_only_a_token(as_rep):
    response = as_rep.get("/presence-statuses")
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()}
    assert rows["Inactive"]["is_builtin"] is True
    assert rows["Inactive"]["user_can_set"] is False
    assert set(rows["Available"]) >= {"id", "name", "presence_text", "base_status", "is_builtin"}


def test_c1_create_presence_status_answers_201_and_is_audited(admin):
    response = admin.post(
        "/presence-statuses",
        {"name": "Training", "presence_text": "In training", "base_status": "away"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["is_builtin"] is False
    assert body["user_can_set"] is True
    assert body["is_active"] is True
    status = PresenceStatus.objects.get(pk=body["id"])
    assert status.base_status == "away"
    entry = AuditLogEntry.objects.get(action="presence_status.create")
    assert entry.actor.username == "admin1"
    assert entry.after["name"] == "Training"


def test_c1_name_is_unique_ignoring_case(admin):
    PresenceStatusFactory(name="Training")
    body = error(
        admin.post(
            "/presence-statuses", {"name": "TRAINING", "presence_text": "x", "base_status": "away"}
        ),
        400,
        "invalid",
        field="name",
    )
    assert "TRAINING" in body["detail"]


def test_c1_fields_are_validated_with_the_field_named(admin):
    base = {"name": "Lunch", "presence_text": "At lunch", "base_status": "away"}
    error(
        admin.post("/presence-statuses", {**base, "base_status": "lunch"}),
        400,
        "invalid",
        field="base_status",
    )
    error(admin.post("/presence-statuses", {**base, "name": "  "}), 400, "invalid", field="name")
    error(
        admin.post("/presence-statuses", {**base, "name": "x" * 101}), 400, "invalid", field="name"
    )
    error(
        admin.post("/presence-statuses", {**base, "presence_text": "x" * 501}),
        400,
        "invalid",
        field="presence_text",
    )
    error(
        admin.post("/presence-statuses", {**base, "description": "x" * 501}),
        400,
        "invalid",
        field="description",
    )
    assert not PresenceStatus.objects.filter(name="Lunch").exists()


def test_a3_configuration_needs_configure_portal_named_in_the_403(supervisor, nobody):
    for api in (supervisor, nobody):
        body = error(
            api.post(
                "/presence-statuses", {"name": "X", "presence_text": "X", "base_status": "away"}
            ),
            403,
            "forbidden",
        )
        assert "presence.configure_portal" in body["detail"]
    for path in ("/capacity-profiles", "/workstreams", "/teams"):
        assert (
            "presence.configure_portal" in error(supervisor.get(path), 403, "forbidden")["detail"]
        )


def test_presence_status_patch_answers_200_and_audits_old_and_new(admin):
    status = PresenceStatusFactory(name="Training", presence_text="Training")
    response = admin.patch(f"/presence-statuses/{status.pk}", {"presence_text": "In training"})
    assert response.status_code == 200
    assert response.json()["presence_text"] == "In training"
    entry = AuditLogEntry.objects.get(action="presence_status.update")
    assert entry.before == {"presence_text": "Training"}
    assert entry.after == {"presence_text": "In training"}
    error(admin.patch("/presence-statuses/999999", {"name": "x"}), 404, "not_found")
    error(
        admin.patch(f"/presence-statuses/{status.pk}", {"name": None}), 400, "invalid", field="name"
    )


def test_b2_builtin_statuses_cannot_be_edited_or_deleted(admin):
    away = builtin("away")
    error(
        admin.patch(f"/presence-statuses/{away.pk}", {"name": "Gone"}),
        409,
        "conflict",
        state="builtin",
    )
    error(admin.delete(f"/presence-statuses/{away.pk}"), 409, "conflict", state="builtin")
    away.refresh_from_db()
    assert away.name == "Appear away"


def test_c3_deleting_a_used_status_is_409_naming_the_use(admin):
    training = PresenceStatusFactory(name="Training")
    RepresentativeFactory.create_batch(2, default_presence=training)
    body = error(admin.delete(f"/presence-statuses/{training.pk}"), 409, "conflict", state="in_use")
    assert "used as default presence by 2 representatives" in body["detail"]
    assert "Deactivate" in body["detail"]
    assert PresenceStatus.objects.filter(pk=training.pk).exists()
    # C3: deactivating it is allowed.
    response = admin.patch(f"/presence-statuses/{training.pk}", {"is_active": False})
    assert response.status_code == 200
    assert response.json()["is_active"] is False


def test_c3_deleting_an_unused_status_answers_204(admin):
    unused = PresenceStatusFactory(name="Unused")
    response = admin.delete(f"/presence-statuses/{unused.pk}")
    assert response.status_code == 204
    assert not PresenceStatus.objects.filter(pk=unused.pk).exists()
    assert AuditLogEntry.objects.filter(action="presence_status.delete").count() == 1
    error(admin.delete(f"/presence-statuses/{unused.pk}"), 404, "not_found")


# --- Configuration: capacity profiles (K2) ------------------------------------------------------


def test_k2_capacity_profiles_create_list_and_patch(admin):
    response = admin.post("/capacity-profiles", {"name": "Chat", "limit": 3, "blocking": True})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {
        "id": body["id"],
        "name": "Chat",
        "limit": 3,
        "blocking": True,
        "reset": "immediate",
    }
    assert [p["name"] for p in admin.get("/capacity-profiles").json()] == ["Chat"]
    response = admin.patch(f"/capacity-profiles/{body['id']}", {"limit": 5})
    assert response.status_code == 200
    assert response.json()["limit"] == 5
    error(admin.patch("/capacity-profiles/999999", {"limit": 5}), 404, "not_found")


def test_k2_limit_is_0_to_100(admin):
    error(
        admin.post("/capacity-profiles", {"name": "Chat", "limit": 101}),
        400,
        "invalid",
        field="limit",
    )
    error(
        admin.post("/capacity-profiles", {"name": "Chat", "limit": -1}),
        400,
        "invalid",
        field="limit",
    )
    assert admin.post("/capacity-profiles", {"name": "Chat", "limit": 0}).status_code == 201


def test_k2_changing_a_profiles_reset_is_409_saying_to_create_a_new_one(admin):
    profile = CapacityProfileFactory(name="Email", reset_frequency="end_of_day")
    body = error(
        admin.patch(f"/capacity-profiles/{profile.pk}", {"reset": "immediate"}),
        409,
        "conflict",
        state="end_of_day",
    )
    assert "Create a new profile" in body["detail"]
    profile.refresh_from_db()
    assert profile.reset_frequency == "end_of_day"
    assert (
        admin.patch(f"/capacity-profiles/{profile.pk}", {"reset": "end_of_day"}).status_code == 200
    )


# --- Configuration: workstreams (V2) and teams --------------------------------------------------


def test_v2_workstream_create_takes_the_channels_autoclose_defaults(admin):
    response = admin.post("/workstreams", {"name": "Web chat", "channel": "chat"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (
        body["autoclose_open_seconds"],
        body["autoclose_active_seconds"],
        body["autoclose_wrap_up_seconds"],
    ) == (1200, None, 900)
    assert body["allowed_base_statuses"] == ["available", "busy"]
    voice = admin.post(
        "/workstreams", {"name": "Phone", "channel": "voice", "autoclose_open_seconds": 60}
    ).json()
    assert (
        voice["autoclose_open_seconds"],
        voice["autoclose_active_seconds"],
        voice["autoclose_wrap_up_seconds"],
    ) == (60, 7200, 86400)
    assert [w["name"] for w in admin.get("/workstreams").json()] == ["Phone", "Web chat"]


def test_workstream_fields_are_validated(admin):
    base = {"name": "Mail", "channel": "email"}
    error(admin.post("/workstreams", {**base, "channel": "fax"}), 400, "invalid", field="channel")
    error(
        admin.post("/workstreams", {**base, "wrap_up_minutes": 5}),
        400,
        "invalid",
        field="wrap_up_minutes",
    )
    error(
        admin.post("/workstreams", {**base, "wrap_up_policy": "minutes"}),
        400,
        "invalid",
        field="wrap_up_minutes",
    )
    error(
        admin.post("/workstreams", {**base, "wrap_up_policy": "minutes", "wrap_up_minutes": 61}),
        400,
        "invalid",
        field="wrap_up_minutes",
    )
    error(
        admin.post("/workstreams", {**base, "allowed_base_statuses": ["away", "lunch"]}),
        400,
        "invalid",
        field="allowed_base_statuses",
    )
    error(
        admin.post("/workstreams", {**base, "capacity_profile_id": 999999}),
        400,
        "invalid",
        field="capacity_profile_id",
    )
    error(
        admin.post("/workstreams", {**base, "units_per_conversation": 0}),
        400,
        "invalid",
        field="units_per_conversation",
    )
    assert not Workstream.objects.exists()


def test_workstream_patch(admin):
    ws = WorkstreamFactory(name="Mail", channel="email")
    profile = CapacityProfileFactory()
    response = admin.patch(
        f"/workstreams/{ws.pk}",
        {
            "wrap_up_policy": "minutes",
            "wrap_up_minutes": 10,
            "capacity_profile_id": profile.pk,
            "external_id": "mail-1",
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["capacity_profile_id"] == profile.pk
    assert admin.get("/workstreams", external_id="mail-1").json()[0]["id"] == ws.pk
    response = admin.patch(f"/workstreams/{ws.pk}", {"wrap_up_policy": "always"})
    assert response.json()["wrap_up_minutes"] is None
    other = WorkstreamFactory(name="Other")
    error(
        admin.patch(f"/workstreams/{other.pk}", {"external_id": "mail-1"}),
        400,
        "invalid",
        field="external_id",
    )
    error(admin.patch(f"/workstreams/{other.pk}", {"name": "MAIL"}), 400, "invalid", field="name")
    error(admin.patch("/workstreams/999999", {"name": "x"}), 404, "not_found")


def test_teams_create_and_list(admin, supervisor_user):
    response = admin.post("/teams", {"name": "Sales", "supervisor_usernames": ["super1"]})
    assert response.status_code == 201, response.content
    assert response.json()["supervisor_usernames"] == ["super1"]
    assert [t["name"] for t in admin.get("/teams").json()] == ["Sales"]
    body = error(
        admin.post(
            "/teams", {"name": "Billing", "supervisor_usernames": ["super1", "ghost", "ghoul"]}
        ),
        400,
        "invalid",
        field="supervisor_usernames",
    )
    assert "ghost" in body["detail"]
    assert "ghoul" in body["detail"]
    error(admin.post("/teams", {"name": "SALES"}), 400, "invalid", field="name")
