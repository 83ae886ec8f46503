"""API contract: configuration of representatives (A2, D1-D4, K1, K2)."""

import pytest

from presence.models import (
    AuditLogEntry,
    Representative,
    RepresentativeProfile,
)
from tests.factories import (
    CapacityProfileFactory,
    PresenceStatusFactory,
    RepresentativeFactory,
    UserFactory,
    builtin,
)
from tests.presence.api.client import error

pytestmark = pytest.mark.django_db


# --- Configuration: representatives (A2, D1-D4, K1, K2) -----------------------------------------


def test_a2_representatives_list_is_scoped_to_the_callers_teams(
    admin, supervisor, as_rep, rep_a, rep_b
):
    assert admin.get("/representatives").json()["count"] == 2
    body = supervisor.get("/representatives").json()
    assert [r["name"] for r in body["items"]] == ["Ada"]
    assert [r["name"] for r in as_rep.get("/representatives").json()["items"]] == ["Ada"]
    page = admin.get("/representatives", limit=1, offset=1).json()
    assert page["count"] == 2
    assert [r["name"] for r in page["items"]] == ["Bea"]


def test_a2_out_of_scope_representative_is_404_like_an_unknown_one(supervisor, rep_a, rep_b):
    assert supervisor.get(f"/representatives/{rep_a.pk}").status_code == 200
    out_of_scope = error(supervisor.get(f"/representatives/{rep_b.pk}"), 404, "not_found")
    unknown = error(supervisor.get("/representatives/999999"), 404, "not_found")
    assert out_of_scope["detail"].replace(str(rep_b.pk), "N") == unknown["detail"].replace(
        "999999", "N"
    )
    error(supervisor.get(f"/representatives/{rep_b.pk}/presence"), 404, "not_found")


def test_representative_create_and_patch(admin, team_a, team_b):
    UserFactory(username="newrep")
    training = PresenceStatusFactory(name="Training", base_status="away")
    response = admin.post(
        "/representatives",
        {
            "name": "Cy",
            "email": "cy@example.com",
            "username": "newrep",
            "capacity_units": 3,
            "default_presence_id": training.pk,
            "team_ids": [team_a.pk],
            "timezone": "Europe/Paris",
            "external_id": "crm-7",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["username"] == "newrep"
    assert body["team_ids"] == [team_a.pk]
    assert body["default_presence_id"] == training.pk
    assert body["timezone"] == "Europe/Paris"
    assert admin.get("/representatives", external_id="crm-7").json()["items"][0]["id"] == body["id"]
    response = admin.patch(
        f"/representatives/{body['id']}", {"team_ids": [team_b.pk], "capacity_units": 5}
    )
    assert response.status_code == 200
    assert response.json()["team_ids"] == [team_b.pk]
    assert response.json()["capacity_units"] == 5
    entry = AuditLogEntry.objects.get(action="representative.update")
    assert entry.before == {"capacity_units": 3, "team_ids": [team_a.pk]}
    assert entry.after == {"capacity_units": 5, "team_ids": [team_b.pk]}
    error(admin.patch("/representatives/999999", {"name": "x"}), 404, "not_found")


def test_representative_fields_are_validated(admin, rep_a, team_a):
    base = {"name": "Dee"}
    error(
        admin.post("/representatives", {**base, "capacity_units": -1}),
        400,
        "invalid",
        field="capacity_units",
    )
    error(
        admin.post("/representatives", {**base, "timezone": "Mars/Olympus"}),
        400,
        "invalid",
        field="timezone",
    )
    error(
        admin.post("/representatives", {**base, "team_ids": [team_a.pk, 999999]}),
        400,
        "invalid",
        field="team_ids",
    )
    error(
        admin.post("/representatives", {**base, "email": "not-an-email"}),
        400,
        "invalid",
        field="email",
    )
    error(
        admin.post("/representatives", {**base, "email": rep_a.email.upper()}),
        400,
        "invalid",
        field="email",
    )
    error(
        admin.post("/representatives", {**base, "username": "ghost"}),
        400,
        "invalid",
        field="username",
    )
    error(
        admin.post("/representatives", {**base, "username": "rep1"}),
        400,
        "invalid",
        field="username",
    )
    error(
        admin.post("/representatives", {**base, "default_presence_id": 999999}),
        400,
        "invalid",
        field="default_presence_id",
    )
    assert not Representative.objects.filter(name="Dee").exists()


def test_d2_default_presence_must_be_active_settable_and_not_inactive(admin, rep_a):
    hidden = PresenceStatusFactory(name="Hidden", user_can_set=False)
    retired = PresenceStatusFactory(name="Retired", is_active=False)
    for status in (builtin("inactive"), hidden, retired):
        error(
            admin.patch(f"/representatives/{rep_a.pk}", {"default_presence_id": status.pk}),
            400,
            "invalid",
            field="default_presence_id",
        )
    rep_a.refresh_from_db()
    assert rep_a.default_presence is None
    response = admin.patch(
        f"/representatives/{rep_a.pk}", {"default_presence_id": builtin("dnd").pk}
    )
    assert response.status_code == 200


def test_representative_capacity_profile_put_and_delete(admin, rep_a):
    profile = CapacityProfileFactory(name="Chat", limit=3)
    path = f"/representatives/{rep_a.pk}/capacity-profiles/{profile.pk}"
    response = admin.put(path, {"limit": 5})
    assert response.status_code == 200, response.content
    assert response.json()["limit"] == 5
    assert response.json()["effective_limit"] == 5
    response = admin.put(path, {"limit": None})
    assert response.json()["limit"] is None
    assert response.json()["effective_limit"] == 3
    error(admin.put(path, {"limit": 101}), 400, "invalid", field="limit")
    error(
        admin.put(f"/representatives/{rep_a.pk}/capacity-profiles/999999", {"limit": 1}),
        404,
        "not_found",
    )
    assert admin.delete(path).status_code == 204
    assert not RepresentativeProfile.objects.filter(representative=rep_a).exists()
    error(admin.delete(path), 404, "not_found")


def test_d4_bulk_default_presence_changes_every_rep_and_audits_each(
    admin, django_assert_max_num_queries
):
    reps = RepresentativeFactory.create_batch(40)
    dnd = builtin("dnd")
    with django_assert_max_num_queries(12):
        response = admin.post(
            "/representatives/default-presence",
            {"representative_ids": [r.pk for r in reps], "default_presence_id": dnd.pk},
        )
    assert response.status_code == 200, response.content
    assert response.json()["updated"] == 40
    assert Representative.objects.filter(default_presence=dnd).count() == 40
    entries = AuditLogEntry.objects.filter(action="representative.default_presence")
    assert entries.count() == 40
    assert entries.first().before == {"default_presence": None}
    assert entries.first().after == {"default_presence": "Do not disturb"}
    assert entries.first().actor.username == "admin1"


def test_d4_bulk_default_presence_is_all_or_nothing(admin, supervisor_user, rep_a, rep_b):
    dnd = builtin("dnd")
    body = error(
        admin.post(
            "/representatives/default-presence",
            {"representative_ids": [rep_a.pk, rep_b.pk, 999999], "default_presence_id": dnd.pk},
        ),
        400,
        "invalid",
        field="representative_ids",
    )
    assert "999999" in body["detail"]
    error(
        admin.post(
            "/representatives/default-presence",
            {"representative_ids": [rep_a.pk], "default_presence_id": builtin("inactive").pk},
        ),
        400,
        "invalid",
        field="default_presence_id",
    )
    assert not Representative.objects.filter(default_presence__isnull=False).exists()
    assert not AuditLogEntry.objects.filter(action="representative.default_presence").exists()
