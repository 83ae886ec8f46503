"""API contract: conversations and offers (V1-V4, K6, P6, P8, P9, A2)."""

import pytest

from presence.models import (
    Conversation,
    ConversationState,
    Offer,
    RepresentativeProfile,
)
from tests.factories import (
    CapacityProfileFactory,
    WorkstreamFactory,
)
from tests.presence.api.client import error, open_conversation, signed_in

pytestmark = pytest.mark.django_db


# --- Conversations (V1-V4, K6, P6, P8, P9) ------------------------------------------------------


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
