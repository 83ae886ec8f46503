"""Contract tests of the JSON API (shared/spec/api.md): every path with its success code and its
error codes, in the one error shape {"error", "detail"} (+ "field" for 400, "state" for 409)."""

import datetime as dt
import json
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client as HttpClient
from django.utils import timezone

from presence.models import (
    ApiToken,
    AuditLogEntry,
    CapacityProfile,
    Conversation,
    ConversationState,
    Offer,
    PresenceInterval,
    PresenceStatus,
    Representative,
    RepresentativePresence,
    RepresentativeProfile,
    Workstream,
)
from presence.services import api_token_create, api_token_revoke
from tests.factories import (
    CapacityProfileFactory,
    PresenceStatusFactory,
    RepresentativeFactory,
    TeamFactory,
    UserFactory,
    WorkstreamFactory,
    builtin,
)

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
    return api_token_create(user=user, name="tests", now=timezone.now())[1]


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


# --- The cast: an admin, a supervisor of team A, reps in teams A and B, a user with no rights ---


@pytest.fixture
def team_a():
    return TeamFactory(name="Team A")


@pytest.fixture
def team_b():
    return TeamFactory(name="Team B")


@pytest.fixture
def admin(admin_user):
    return Api(token_for(admin_user))


@pytest.fixture
def supervisor(supervisor_user, team_a):
    team_a.supervisors.add(supervisor_user)
    return Api(token_for(supervisor_user))


@pytest.fixture
def rep_a(rep_user, team_a):
    """Rep A (in team A) and the API as rep A's own token."""
    return RepresentativeFactory(name="Ada", user=rep_user, teams=[team_a])


@pytest.fixture
def as_rep(rep_a, rep_user):
    return Api(token_for(rep_user))


@pytest.fixture
def rep_b(team_b):
    user = UserFactory(username="rep2", groups=["Representatives"])
    return RepresentativeFactory(name="Bea", user=user, teams=[team_b])


@pytest.fixture
def nobody():
    return Api(token_for(UserFactory(username="nobody")))


def signed_in(api: Api, rep) -> str:
    response = api.post(f"/representatives/{rep.pk}/clients", {})
    assert response.status_code == 201, response.content
    return response.json()["client_id"]


# --- Auth (api.md Conventions) ------------------------------------------------------------------


def test_a1_missing_token_is_401(rep_a):
    body = error(Api().get(f"/representatives/{rep_a.pk}/presence"), 401, "unauthorized")
    assert "Bearer" in body["detail"]


def test_a1_bad_token_and_other_schemes_are_401(rep_a):
    error(Api("not-a-token").get("/presence-statuses"), 401, "unauthorized")
    error(Api(authorization="Basic dXNlcjpwdw==").get("/presence-statuses"), 401, "unauthorized")


def test_a1_revoked_token_is_401(rep_user):
    token, plaintext = api_token_create(user=rep_user, now=timezone.now())
    assert Api(plaintext).get("/presence-statuses").status_code == 200
    api_token_revoke(token=token, now=timezone.now())
    error(Api(plaintext).get("/presence-statuses"), 401, "unauthorized")


def test_a1_inactive_users_token_is_401(rep_user):
    plaintext = token_for(rep_user)
    rep_user.is_active = False
    rep_user.save()
    error(Api(plaintext).get("/presence-statuses"), 401, "unauthorized")


def test_token_is_stored_as_hash_and_last_use_is_written_at_most_once_a_minute(rep_user):
    start = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        token, plaintext = api_token_create(user=rep_user, now=timezone.now())
        assert plaintext not in {token.key_hash, token.prefix}
        assert plaintext.startswith(token.prefix)
        api = Api(plaintext)
        api.get("/presence-statuses")
        token.refresh_from_db()
        assert token.last_used_at == start
        clock.shift(dt.timedelta(seconds=30))
        api.get("/presence-statuses")
        token.refresh_from_db()
        assert token.last_used_at == start  # not written again within the minute
        clock.shift(dt.timedelta(seconds=31))
        api.get("/presence-statuses")
        token.refresh_from_db()
        assert token.last_used_at == start + dt.timedelta(seconds=61)


def test_create_api_token_prints_the_token_alone_on_its_last_line(rep_user):
    out = StringIO()
    call_command("create_api_token", "rep1", "--name", "desktop", stdout=out)
    plaintext = out.getvalue().strip().splitlines()[-1]
    assert " " not in plaintext
    assert len(plaintext) >= 40
    assert ApiToken.objects.get(user=rep_user).name == "desktop"
    assert Api(plaintext).get("/presence-statuses").status_code == 200


def test_create_api_token_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user named"):
        call_command("create_api_token", "ghost", stdout=StringIO())


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


# --- Presence -----------------------------------------------------------------------------------


PRESENCE_KEYS = {"status", "source", "sticky", "since", "signed_in", "reason", "capacity"}


def test_get_presence_answers_the_detail_payload(as_rep, rep_a):
    profile = CapacityProfileFactory(name="Chat", limit=2, blocking=True)
    RepresentativeProfile.objects.create(representative=rep_a, profile=profile)
    response = as_rep.get(f"/representatives/{rep_a.pk}/presence")
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= PRESENCE_KEYS
    assert set(body["status"]) == {"id", "name", "presence_text", "base_status"}
    assert body["status"]["base_status"] == "offline"
    assert body["signed_in"] is False
    assert body["capacity"]["profiles"] == [
        {"id": profile.pk, "name": "Chat", "limit": 2, "used": 0, "blocking": True, "full": False}
    ]
    assert set(body["capacity"]) == {
        "units_total",
        "units_used",
        "units_available",
        "work_items",
        "profiles",
    }


def test_s1_client_connect_heartbeat_goodbye(as_rep, rep_a):
    response = as_rep.post(f"/representatives/{rep_a.pk}/clients", {"client_id": "tab-1"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["client_id"] == "tab-1"
    assert body["presence"]["status"]["name"] == "Available"
    assert body["presence"]["source"] == "default"
    assert body["presence"]["since"].endswith("Z")  # ISO 8601 in UTC
    # A generated client id when none is given (S2: another client changes nothing).
    other = as_rep.post(f"/representatives/{rep_a.pk}/clients").json()["client_id"]
    assert other
    assert other != "tab-1"
    response = as_rep.post(f"/representatives/{rep_a.pk}/clients/tab-1/heartbeat")
    assert response.status_code == 200
    assert response.json()["client_id"] == "tab-1"
    error(as_rep.post(f"/representatives/{rep_a.pk}/clients/gone/heartbeat"), 404, "not_found")
    assert as_rep.delete(f"/representatives/{rep_a.pk}/clients/tab-1").status_code == 204
    error(as_rep.delete(f"/representatives/{rep_a.pk}/clients/tab-1"), 404, "not_found")
    error(
        as_rep.post(f"/representatives/{rep_a.pk}/clients", {"client_id": "bad id!"}),
        400,
        "invalid",
        field="client_id",
    )


def test_s2_a_client_id_of_another_rep_is_refused(as_rep, rep_a, rep_b, admin):
    admin.post(f"/representatives/{rep_b.pk}/clients", {"client_id": "shared"})
    error(
        as_rep.post(f"/representatives/{rep_a.pk}/clients", {"client_id": "shared"}),
        409,
        "conflict",
        state="in_use",
    )


def test_p3_rep_sets_own_presence(as_rep, rep_a):
    signed_in(as_rep, rep_a)
    away = builtin("away")
    response = as_rep.put(f"/representatives/{rep_a.pk}/presence", {"status_id": away.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"]["id"] == away.pk
    assert body["source"] == "manual"
    assert body["sticky"] is True
    assert "set by the representative" in body["reason"]


def test_put_presence_refuses_inactive_and_statuses_reps_cannot_set(as_rep, rep_a):
    signed_in(as_rep, rep_a)
    hidden = PresenceStatusFactory(name="Hidden", user_can_set=False)
    for status in (builtin("inactive"), hidden):
        error(
            as_rep.put(f"/representatives/{rep_a.pk}/presence", {"status_id": status.pk}),
            400,
            "invalid",
            field="status_id",
        )
    error(
        as_rep.put(f"/representatives/{rep_a.pk}/presence", {"status_id": 999999}),
        400,
        "invalid",
        field="status_id",
    )
    error(
        as_rep.put(
            f"/representatives/{rep_a.pk}/presence",
            {"status_id": builtin("away").pk, "actor": "boss"},
        ),
        400,
        "invalid",
        field="actor",
    )
    assert RepresentativePresence.objects.get(pk=rep_a.pk).source == "default"


def test_put_presence_of_a_signed_out_rep_is_409(as_rep, rep_a):
    error(
        as_rep.put(f"/representatives/{rep_a.pk}/presence", {"status_id": builtin("away").pk}),
        409,
        "conflict",
        state="signed_out",
    )


def test_p7_supervisor_sets_presence_of_a_rep_of_their_team(supervisor, as_rep, rep_a, rep_b):
    signed_in(as_rep, rep_a)
    dnd = builtin("dnd")
    response = supervisor.put(
        f"/representatives/{rep_a.pk}/presence", {"status_id": dnd.pk, "actor": "supervisor"}
    )
    assert response.status_code == 200
    assert response.json()["source"] == "supervisor"
    assert AuditLogEntry.objects.filter(
        action="presence.set_by_supervisor", actor__username="super1"
    ).exists()
    # A2: not a rep of another team (404, no hint), and a rep cannot act as supervisor (403).
    error(
        supervisor.put(
            f"/representatives/{rep_b.pk}/presence", {"status_id": dnd.pk, "actor": "supervisor"}
        ),
        404,
        "not_found",
    )
    body = error(
        as_rep.put(
            f"/representatives/{rep_a.pk}/presence", {"status_id": dnd.pk, "actor": "supervisor"}
        ),
        403,
        "forbidden",
    )
    assert "presence.manage_presence" in body["detail"]


def test_a2_a_rep_cannot_act_on_another_rep(as_rep, rep_a, rep_b):
    error(as_rep.get(f"/representatives/{rep_b.pk}/presence"), 404, "not_found")
    error(as_rep.post(f"/representatives/{rep_b.pk}/clients"), 404, "not_found")
    error(as_rep.post(f"/representatives/{rep_b.pk}/sign-out"), 404, "not_found")


def test_a2_a_viewer_without_manage_presence_cannot_act(rep_a, team_a):
    viewer = UserFactory(username="viewer")
    viewer.user_permissions.add(*_perms("view_reports"))
    team_a.supervisors.add(viewer)
    api = Api(token_for(viewer))
    assert api.get(f"/representatives/{rep_a.pk}/presence").status_code == 200
    body = error(api.post(f"/representatives/{rep_a.pk}/clients"), 403, "forbidden")
    assert "presence.manage_presence" in body["detail"]


def _perms(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="presence", codename__in=codenames)


def test_p5_reset_sets_the_capacity_presence(as_rep, rep_a, supervisor):
    signed_in(as_rep, rep_a)
    as_rep.put(f"/representatives/{rep_a.pk}/presence", {"status_id": builtin("away").pk})
    response = as_rep.post(f"/representatives/{rep_a.pk}/presence/reset")
    assert response.status_code == 200, response.content
    assert response.json()["source"] == "capacity"
    assert response.json()["status"]["name"] == "Available"
    response = supervisor.post(
        f"/representatives/{rep_a.pk}/presence/reset", {"actor": "supervisor"}
    )
    assert response.status_code == 200
    error(
        as_rep.post(f"/representatives/{rep_a.pk}/presence/reset", {"actor": "supervisor"}),
        403,
        "forbidden",
    )


def test_s5_sign_out(as_rep, rep_a):
    signed_in(as_rep, rep_a)
    response = as_rep.post(f"/representatives/{rep_a.pk}/sign-out")
    assert response.status_code == 200
    body = response.json()
    assert body["source"] == "sign_out"
    assert body["signed_in"] is False
    assert body["status"]["base_status"] == "offline"


def test_every_presence_answer_equals_a_fresh_read(admin, supervisor, rep_a):
    """The presence events answer from what the service decided (no second read): the answer must
    be exactly what GET .../presence then reads, through C4 texts, capacity (K1-K4), a
    disconnection (S3) and the audited paths (an integration acting for the rep, P7)."""
    training = PresenceStatusFactory(name="Training", base_status="busy_dnd")
    training.translations.create(language="fr", presence_text="Formation")
    Representative.objects.filter(pk=rep_a.pk).update(language="fr", capacity_units=2)
    profile = CapacityProfileFactory(limit=1, blocking=True)
    RepresentativeProfile.objects.create(representative=rep_a, profile=profile)
    workstream = WorkstreamFactory(capacity_profile=profile)
    path = f"/representatives/{rep_a.pk}"

    def same_as_read(response, status=200):
        assert response.status_code == status, response.content
        body = response.json()
        presence = body["presence"] if status == 201 else body
        assert presence == admin.get(f"{path}/presence").json()
        return presence

    same_as_read(admin.post(f"{path}/clients", {}), 201)
    assert (
        same_as_read(admin.put(f"{path}/presence", {"status_id": training.pk}))["status"][
            "presence_text"
        ]
        == "Formation"
    )
    conversation = admin.post("/conversations", {"workstream_id": workstream.pk}).json()["id"]
    assign = {"representative_id": rep_a.pk, "force": True}
    r = admin.post(f"/conversations/{conversation}/assign", assign)
    assert r.status_code == 200, r.content
    reset = same_as_read(admin.post(f"{path}/presence/reset", {}))
    assert reset["capacity"]["units_used"] == 1
    assert reset["capacity"]["profiles"][0]["full"]
    client_id = rep_a.clients.get().client_id
    assert admin.delete(f"{path}/clients/{client_id}").status_code == 204
    assert same_as_read(admin.post(f"{path}/clients", {}), 201)["signed_in"] is True  # S3
    same_as_read(
        supervisor.put(f"{path}/presence", {"status_id": builtin("away").pk, "actor": "supervisor"})
    )
    assert same_as_read(admin.post(f"{path}/sign-out"))["source"] == "sign_out"


def test_a_status_change_runs_a_fixed_number_of_queries(
    as_rep, rep_a, django_assert_max_num_queries
):
    """Token, permissions (one query for all), the rep, the status; the transition; the answer
    from the transition's own outcome (translations only)."""
    signed_in(as_rep, rep_a)
    away = builtin("away").pk
    with django_assert_max_num_queries(14):
        response = as_rep.put(f"/representatives/{rep_a.pk}/presence", {"status_id": away})
    assert response.status_code == 200, response.content


def test_h1_presence_history_returns_intervals_overlapping_the_range(as_rep, rep_a):
    t0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(t0, tick=False) as clock:
        signed_in(as_rep, rep_a)
        clock.shift(dt.timedelta(hours=1))
        as_rep.put(f"/representatives/{rep_a.pk}/presence", {"status_id": builtin("away").pk})
        clock.shift(dt.timedelta(hours=1))
        as_rep.post(f"/representatives/{rep_a.pk}/sign-out")
    path = f"/representatives/{rep_a.pk}/presence-history"
    response = as_rep.get(path, start="2025-03-03T09:30:00Z", end="2025-03-03T10:30:00+00:00")
    assert response.status_code == 200, response.content
    rows = response.json()
    assert [(r["status"]["name"], r["source"]) for r in rows] == [
        ("Available", "default"),
        ("Appear away", "manual"),
    ]
    assert rows[0]["start"] == "2025-03-03T09:00:00Z"
    assert rows[0]["end"] == "2025-03-03T10:00:00Z"
    assert rows[1]["actor"] == "rep1"
    assert rows[1]["base_status"] == "away"
    everything = as_rep.get(path, start="2025-03-03T00:00:00Z", end="2025-03-04T00:00:00Z").json()
    assert len(everything) == 3
    assert everything[-1]["end"] is None
    assert PresenceInterval.objects.filter(representative=rep_a).count() == 3
    error(as_rep.get(path, start="2025-03-03T09:30:00"), 400, "invalid", field="start")  # no offset
    error(
        as_rep.get(path, start="2025-03-04T00:00:00Z", end="2025-03-03T00:00:00Z"),
        400,
        "invalid",
        field="start",
    )
    error(as_rep.get(path, end="soon"), 400, "invalid", field="end")


# --- Conversations (V1-V4, K6, P6, P8, P9) ------------------------------------------------------


@pytest.fixture
def router_api():
    """A routing engine: an integration user with manage_presence and view_all_teams."""
    user = UserFactory(username="router")
    user.user_permissions.add(*_perms("manage_presence", "view_all_teams"))
    return Api(token_for(user))


@pytest.fixture
def chat():
    return WorkstreamFactory(name="Chat", channel="chat")


def open_conversation(api: Api, workstream, **extra) -> dict:
    response = api.post("/conversations", {"workstream_id": workstream.pk, **extra})
    assert response.status_code == 201, response.content
    return response.json()


def test_v1_conversation_create_and_get(router_api, chat, as_rep):
    body = open_conversation(router_api, chat, external_id="crm-1")
    assert body["state"] == "open"
    assert body["workstream_id"] == chat.pk
    assert body["external_id"] == "crm-1"
    assert body["representative_id"] is None
    assert body["participants"] == []
    assert body["stuck"] is False
    response = router_api.get(f"/conversations/{body['id']}")
    assert response.status_code == 200
    assert response.json()["id"] == body["id"]
    error(router_api.get("/conversations/999999"), 404, "not_found")
    error(
        router_api.post("/conversations", {"workstream_id": 999999}),
        400,
        "invalid",
        field="workstream_id",
    )
    error(
        router_api.post("/conversations", {"workstream_id": chat.pk, "external_id": "crm-1"}),
        409,
        "conflict",
    )
    body = error(as_rep.post("/conversations", {"workstream_id": chat.pk}), 403, "forbidden")
    assert "presence.manage_presence" in body["detail"]


def test_v4_offer_accept_makes_the_conversation_active_for_the_rep(router_api, chat, as_rep, rep_a):
    signed_in(as_rep, rep_a)
    conversation = open_conversation(router_api, chat)
    response = router_api.post(
        f"/conversations/{conversation['id']}/offers", {"representative_id": rep_a.pk}
    )
    assert response.status_code == 201, response.content
    offer = response.json()
    assert {"id", "expires_at"} <= set(offer)
    assert offer["expires_at"].endswith("Z")
    response = as_rep.post(f"/offers/{offer['id']}/accept")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "accepted"
    assert body["conversation"]["state"] == "active"
    assert body["conversation"]["representative_id"] == rep_a.pk
    assert body["conversation"]["participants"][0]["representative_id"] == rep_a.pk
    error(as_rep.post(f"/offers/{offer['id']}/accept"), 409, "conflict", state="accepted")
    error(as_rep.post("/offers/999999/accept"), 404, "not_found")


def test_p6_offer_reject_puts_the_conversation_back_and_makes_the_rep_dnd(
    router_api, as_rep, rep_a
):
    strict = WorkstreamFactory(name="Strict", reject_makes_dnd=True)
    signed_in(as_rep, rep_a)
    conversation = open_conversation(router_api, strict)
    offer = router_api.post(
        f"/conversations/{conversation['id']}/offers", {"representative_id": rep_a.pk}
    ).json()
    response = as_rep.post(f"/offers/{offer['id']}/reject")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "rejected"
    assert response.json()["conversation"]["state"] == "open"
    presence = as_rep.get(f"/representatives/{rep_a.pk}/presence").json()
    assert presence["source"] == "rejected"
    assert presence["status"]["base_status"] == "busy_dnd"


def test_v4_offer_to_a_rep_whose_presence_is_not_allowed_is_409(router_api, chat, rep_a):
    conversation = open_conversation(router_api, chat)
    body = error(
        router_api.post(
            f"/conversations/{conversation['id']}/offers", {"representative_id": rep_a.pk}
        ),
        409,
        "conflict",
        state="offline",
    )
    assert "Ada" in body["detail"]
    assert not Offer.objects.exists()
    error(
        router_api.post(
            f"/conversations/{conversation['id']}/offers", {"representative_id": 999999}
        ),
        400,
        "invalid",
        field="representative_id",
    )


def test_k6_blocking_profile_at_its_limit_is_409_naming_the_profile(router_api, as_rep, rep_a):
    profile = CapacityProfileFactory(name="Chat slots", limit=1, blocking=True)
    RepresentativeProfile.objects.create(representative=rep_a, profile=profile)
    ws = WorkstreamFactory(
        name="Chat",
        capacity_profile=profile,
        allowed_base_statuses=["available", "busy", "busy_dnd"],
    )
    signed_in(as_rep, rep_a)
    first = open_conversation(router_api, ws)
    assert (
        router_api.post(
            f"/conversations/{first['id']}/assign", {"representative_id": rep_a.pk}
        ).status_code
        == 200
    )
    second = open_conversation(router_api, ws)
    body = error(
        router_api.post(f"/conversations/{second['id']}/offers", {"representative_id": rep_a.pk}),
        409,
        "conflict",
        state="capacity_blocked",
    )
    assert "Chat slots" in body["detail"]
    error(
        router_api.post(f"/conversations/{second['id']}/assign", {"representative_id": rep_a.pk}),
        409,
        "conflict",
    )
    # K6: a supervisor's forced assignment still works.
    response = router_api.post(
        f"/conversations/{second['id']}/assign", {"representative_id": rep_a.pk, "force": True}
    )
    assert response.status_code == 200
    assert response.json()["state"] == "active"


def test_v1_ending_an_open_conversation_is_409_with_the_state(router_api, chat):
    conversation = open_conversation(router_api, chat)
    body = error(
        router_api.post(f"/conversations/{conversation['id']}/end"), 409, "conflict", state="open"
    )
    assert "open" in body["detail"]
    for action in ("release", "wait"):
        error(
            router_api.post(f"/conversations/{conversation['id']}/{action}"),
            409,
            "conflict",
            state="open",
        )
    error(
        router_api.post(f"/conversations/{conversation['id']}/revive", {"by": "customer"}),
        409,
        "conflict",
        state="open",
    )
    error(router_api.post("/conversations/999999/end"), 404, "not_found")


def test_v1_assign_end_close(router_api, chat, as_rep, rep_a):
    signed_in(as_rep, rep_a)
    conversation = open_conversation(router_api, chat)
    cid = conversation["id"]
    response = router_api.post(f"/conversations/{cid}/assign", {"representative_id": rep_a.pk})
    assert response.status_code == 200
    assert response.json()["state"] == "active"
    assert (
        as_rep.get(f"/representatives/{rep_a.pk}/presence").json()["status"]["base_status"]
        == "busy"
    )
    response = router_api.post(f"/conversations/{cid}/end")
    assert response.status_code == 200
    assert response.json()["state"] == "wrap_up"
    response = router_api.post(f"/conversations/{cid}/close")
    assert response.status_code == 200
    assert response.json()["state"] == "closed"
    assert (
        as_rep.get(f"/representatives/{rep_a.pk}/presence").json()["status"]["base_status"]
        == "available"
    )
    # The rep may read their own conversation; routing needs manage_presence.
    assert as_rep.get(f"/conversations/{cid}").status_code == 200
    error(as_rep.post(f"/conversations/{cid}/close"), 403, "forbidden")
    error(
        router_api.post(f"/conversations/{cid}/assign", {"representative_id": "x"}),
        400,
        "invalid",
        field="representative_id",
    )


def test_v1_release_wait_and_revive(router_api, as_rep, rep_a):
    email = WorkstreamFactory(name="Email", channel="email")
    signed_in(as_rep, rep_a)
    cid = open_conversation(router_api, email)["id"]
    router_api.post(f"/conversations/{cid}/assign", {"representative_id": rep_a.pk})
    response = router_api.post(f"/conversations/{cid}/release")
    assert response.status_code == 200
    assert response.json()["state"] == "open"
    router_api.post(f"/conversations/{cid}/assign", {"representative_id": rep_a.pk})
    response = router_api.post(f"/conversations/{cid}/wait")
    assert response.status_code == 200
    assert response.json()["state"] == "waiting"
    response = router_api.post(f"/conversations/{cid}/revive", {"by": "representative"})
    assert response.status_code == 200
    assert response.json()["state"] == "active"
    router_api.post(f"/conversations/{cid}/wait")
    response = router_api.post(f"/conversations/{cid}/revive", {"by": "customer"})
    assert response.status_code == 200
    assert response.json()["state"] == "open"
    error(
        router_api.post(f"/conversations/{cid}/revive", {"by": "robot"}), 400, "invalid", field="by"
    )
    error(router_api.post(f"/conversations/{cid}/revive"), 400, "invalid")


def test_v1_wait_on_a_live_channel_is_409(router_api, chat, as_rep, rep_a):
    signed_in(as_rep, rep_a)
    cid = open_conversation(router_api, chat)["id"]
    router_api.post(f"/conversations/{cid}/assign", {"representative_id": rep_a.pk})
    error(router_api.post(f"/conversations/{cid}/wait"), 409, "conflict", state="active")


def test_p9_transfer_and_p8_consult(router_api, chat, as_rep, rep_a, rep_b):
    signed_in(as_rep, rep_a)
    signed_in(router_api, rep_b)
    cid = open_conversation(router_api, chat)["id"]
    router_api.post(f"/conversations/{cid}/assign", {"representative_id": rep_a.pk})
    response = router_api.post(f"/conversations/{cid}/consult", {"representative_id": rep_b.pk})
    assert response.status_code == 200, response.content
    roles = {(p["representative_id"], p["role"]) for p in response.json()["participants"]}
    assert roles == {(rep_a.pk, "primary"), (rep_b.pk, "consult")}
    response = router_api.post(f"/conversations/{cid}/transfer", {"representative_id": rep_b.pk})
    assert response.status_code == 200
    assert response.json()["representative_id"] == rep_b.pk
    error(
        router_api.post(f"/conversations/{cid}/transfer", {"representative_id": rep_b.pk}),
        409,
        "conflict",
    )
    error(
        router_api.post(f"/conversations/{cid}/transfer", {}),
        400,
        "invalid",
        field="representative_id",
    )


def test_v3_force_close_needs_force_close_permission(supervisor, router_api, chat, as_rep, rep_a):
    signed_in(as_rep, rep_a)
    cid = open_conversation(router_api, chat)["id"]
    router_api.post(f"/conversations/{cid}/assign", {"representative_id": rep_a.pk})
    body = error(router_api.post(f"/conversations/{cid}/force-close"), 403, "forbidden")
    assert "presence.force_close_conversation" in body["detail"]
    response = supervisor.post(f"/conversations/{cid}/force-close")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "closed"
    assert response.json()["closed_by_force"] is True
    assert Conversation.objects.get(pk=cid).state == ConversationState.CLOSED
    error(supervisor.post(f"/conversations/{cid}/force-close"), 409, "conflict", state="closed")


def test_a2_supervisor_cannot_see_conversations_of_other_teams(supervisor, router_api, chat, rep_b):
    signed_in(router_api, rep_b)
    cid = open_conversation(router_api, chat)["id"]
    assert supervisor.get(f"/conversations/{cid}").status_code == 200  # unassigned: visible
    router_api.post(f"/conversations/{cid}/assign", {"representative_id": rep_b.pk})
    error(supervisor.get(f"/conversations/{cid}"), 404, "not_found")
    error(supervisor.post(f"/conversations/{cid}/force-close"), 404, "not_found")
    error(
        supervisor.post(f"/conversations/{cid}/transfer", {"representative_id": rep_b.pk}),
        404,
        "not_found",
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
