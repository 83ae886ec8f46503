"""API contract: a rep's presence, clients and history (S1-S5, P3, P5, P7, H1, A2)."""

import datetime as dt

import pytest
import time_machine

from presence.models import (
    AuditLogEntry,
    PresenceInterval,
    Representative,
    RepresentativePresence,
    RepresentativeProfile,
)
from tests.clock import T0
from tests.factories import (
    CapacityProfileFactory,
    PresenceStatusFactory,
    UserFactory,
    WorkstreamFactory,
    builtin,
)
from tests.presence.api.client import Api, error, perms, signed_in, token_for

pytestmark = pytest.mark.django_db


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
    viewer.user_permissions.add(*perms("view_reports"))
    team_a.supervisors.add(viewer)
    api = Api(token_for(viewer))
    assert api.get(f"/representatives/{rep_a.pk}/presence").status_code == 200
    body = error(api.post(f"/representatives/{rep_a.pk}/clients"), 403, "forbidden")
    assert "presence.manage_presence" in body["detail"]


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
    with time_machine.travel(T0, tick=False) as clock:  # the tests' clock, 09:00 UTC
        signed_in(as_rep, rep_a)
        clock.shift(dt.timedelta(hours=1))
        as_rep.put(f"/representatives/{rep_a.pk}/presence", {"status_id": builtin("away").pk})
        clock.shift(dt.timedelta(hours=1))
        as_rep.post(f"/representatives/{rep_a.pk}/sign-out")
    path = f"/representatives/{rep_a.pk}/presence-history"
    response = as_rep.get(path, start="2036-11-24T09:30:00Z", end="2036-11-24T10:30:00+00:00")
    assert response.status_code == 200, response.content
    rows = response.json()
    assert [(r["status"]["name"], r["source"]) for r in rows] == [
        ("Available", "default"),
        ("Appear away", "manual"),
    ]
    assert rows[0]["start"] == "2036-11-24T09:00:00Z"
    assert rows[0]["end"] == "2036-11-24T10:00:00Z"
    assert rows[1]["actor"] == "rep1"
    assert rows[1]["base_status"] == "away"
    everything = as_rep.get(path, start="2036-11-24T00:00:00Z", end="2036-11-25T00:00:00Z").json()
    assert len(everything) == 3
    assert everything[-1]["end"] is None
    assert PresenceInterval.objects.filter(representative=rep_a).count() == 3
    error(as_rep.get(path, start="2036-11-24T09:30:00"), 400, "invalid", field="start")  # no offset
    error(
        as_rep.get(path, start="2036-11-25T00:00:00Z", end="2036-11-24T00:00:00Z"),
        400,
        "invalid",
        field="start",
    )
    error(as_rep.get(path, end="soon"), 400, "invalid", field="end")
