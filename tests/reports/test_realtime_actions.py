"""Real-time report actions: supervisor set and reset of a rep's presence (P7, P5) and force
close (V3)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from presence.models import (
    AuditLogEntry,
    Conversation,
    ConversationState,
    PresenceInterval,
    PresenceSource,
)
from tests.factories import builtin
from tests.reports.realtime_helpers import body, build_floor, presence

pytestmark = pytest.mark.django_db


@pytest.fixture
def floor():
    return build_floor(now=timezone.now())


# --- P7, P5: supervisor actions -------------------------------------------------------------------


def test_p7_supervisor_sets_presence_and_it_is_audited(client, floor):
    client.force_login(floor.supervisor)
    rep = floor.reps["idle"]
    detail = reverse("reports:agent_detail", args=[rep.pk])
    response = client.post(
        reverse("reports:agent_set_presence", args=[rep.pk]), {"status": builtin("dnd").pk}
    )
    assert response.status_code == 302
    assert response.url == detail
    row = presence(rep)
    assert (row.status.builtin_key, row.source) == ("dnd", PresenceSource.SUPERVISOR)
    entry = AuditLogEntry.objects.get(action="presence.set_by_supervisor", object_id=str(rep.pk))
    assert entry.actor == floor.supervisor
    assert entry.before["status"] == "Available"
    assert entry.after["status"] == "Do not disturb"
    interval = PresenceInterval.objects.get(representative=rep, end__isnull=True)
    assert interval.actor == floor.supervisor
    assert interval.source == PresenceSource.SUPERVISOR
    page = body(client.get(detail))
    assert "is now Do not disturb" in page
    assert "set by a supervisor; capacity does not override it" in page


def test_p5_supervisor_reset_sets_capacity_presence_and_is_audited(client, floor):
    client.force_login(floor.supervisor)
    rep = floor.reps["full"]  # capacity full, then set Available by hand
    client.post(
        reverse("reports:agent_set_presence", args=[rep.pk]), {"status": builtin("available").pk}
    )
    assert presence(rep).status.builtin_key == "available"
    response = client.post(reverse("reports:agent_reset_presence", args=[rep.pk]))
    assert response.status_code == 302
    row = presence(rep)
    assert (row.status.builtin_key, row.source) == (
        "dnd",
        PresenceSource.CAPACITY,
    )  # P5: not the default
    entry = AuditLogEntry.objects.get(action="presence.reset", object_id=str(rep.pk))
    assert entry.actor == floor.supervisor
    assert entry.after["source"] == "capacity"


def test_p7_bad_status_is_a_message_naming_the_field_and_nothing_is_written(client, floor):
    client.force_login(floor.supervisor)
    rep = floor.reps["idle"]
    before = presence(rep).status_id
    for value in ("999999", "abc", "", str(builtin("inactive").pk)):
        response = client.post(
            reverse("reports:agent_set_presence", args=[rep.pk]), {"status": value}, follow=True
        )
        assert response.status_code == 200
        assert "Presence not changed. New presence:" in body(response)
    assert presence(rep).status_id == before
    assert not AuditLogEntry.objects.filter(object_id=str(rep.pk)).exists()


def test_p7_a_signed_out_rep_cannot_be_set_and_the_page_says_why(client, floor):
    client.force_login(floor.supervisor)
    rep = floor.reps["gone"]
    response = client.post(
        reverse("reports:agent_set_presence", args=[rep.pk]),
        {"status": builtin("busy").pk},
        follow=True,
    )
    assert response.status_code == 200
    assert "signed out" in body(response)
    assert presence(rep).status.builtin_key == "offline"


def test_p7_actions_refuse_get(client, floor):
    client.force_login(floor.supervisor)
    url = reverse("reports:agent_reset_presence", args=[floor.reps["idle"].pk])
    assert client.get(url).status_code == 405


# --- V3: force close ----------------------------------------------------------------------------


def test_v3_force_close_asks_for_confirmation_first(client, floor):
    client.force_login(floor.supervisor)
    conversation = floor.conversations["stuck"]
    page = client.get(reverse("reports:force_close", args=[conversation.pk]))
    assert page.status_code == 200
    assert f"Force close conversation {conversation.pk}?" in body(page)
    assert 'method="post"' in body(page)
    assert Conversation.objects.get(pk=conversation.pk).state == ConversationState.ACTIVE


def test_v3_force_close_frees_capacity_and_recalculates_presence(client, floor):
    client.force_login(floor.supervisor)
    rep = floor.reps["full"]
    assert presence(rep).status.builtin_key == "dnd"  # 2 of 2 chat work items, units 2 of 2
    conversation = floor.conversations["full_1"]
    response = client.post(
        reverse("reports:force_close", args=[conversation.pk]),
        {"next": reverse("reports:ongoing") + "?state=active"},
    )
    assert response.status_code == 302
    assert response.url == reverse("reports:ongoing") + "?state=active"
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.CLOSED
    assert conversation.closed_by_force
    assert not conversation.consumes_capacity
    row = presence(rep)
    assert (row.status.builtin_key, row.source) == ("busy", PresenceSource.CAPACITY)
    assert AuditLogEntry.objects.filter(
        action="conversation.force_close", object_id=str(conversation.pk), actor=floor.supervisor
    ).exists()
    page = body(client.get(reverse("reports:agents")))
    assert "1 of 2 work items used (profile Chat)" in page


def test_v3_force_close_of_a_stuck_conversation_shows_on_both_reports(client, floor):
    client.force_login(floor.supervisor)
    stuck = floor.conversations["stuck"]
    ongoing = body(client.get(reverse("reports:ongoing"), {"stuck": "on"}))
    assert f'data-conversation-id="{stuck.pk}"' in ongoing
    assert "Stuck" in ongoing
    response = client.post(reverse("reports:force_close", args=[stuck.pk]), follow=True)
    assert f"Conversation {stuck.pk} was force-closed. Hal Stuck's capacity is released." in body(
        response
    )
    assert presence(floor.reps["stuck"]).status.builtin_key == "available"
    ongoing = body(client.get(reverse("reports:ongoing"), {"stuck": "on"}))
    assert f'data-conversation-id="{stuck.pk}"' not in ongoing


def test_v3_force_close_twice_is_a_message_not_an_error(client, floor):
    client.force_login(floor.admin)
    conversation = floor.conversations["wrap"]
    url = reverse("reports:force_close", args=[conversation.pk])
    client.post(url)
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert "it is closed" in body(response)
    assert "there is nothing to close" in body(client.get(url))


def test_force_close_next_must_stay_on_this_site(client, floor):
    client.force_login(floor.admin)
    url = reverse("reports:force_close", args=[floor.conversations["wrap"].pk])
    response = client.post(url, {"next": "https://evil.example/"})
    assert response.url == reverse("reports:ongoing")
