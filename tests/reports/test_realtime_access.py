"""Real-time report pages: permissions (A3) and team scope (A2) on every URL, including the
htmx fragments and the actions."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from presence.models import AuditLogEntry, Conversation, ConversationState
from tests.factories import UserFactory, builtin
from tests.reports.realtime_helpers import HTMX, body, build_floor, presence, report_urls

pytestmark = pytest.mark.django_db


@pytest.fixture
def floor():
    return build_floor(now=timezone.now())


# --- A3: who may open the reports -------------------------------------------------------------


def test_a3_anonymous_is_sent_to_sign_in(client, floor):
    for url in report_urls(floor):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    # An htmx poll of a signed-out browser reloads the login page whole, not into the fragment.
    response = client.get(reverse("reports:agents"), **HTMX)
    assert response.headers["HX-Redirect"].startswith(reverse("login"))


def test_a3_representative_gets_403_naming_view_reports(client, floor, rep_user):
    client.force_login(rep_user)
    for url in report_urls(floor):
        response = client.get(url)
        assert response.status_code == 403
        assert "presence.view_reports" in body(response)
    response = client.get(reverse("reports:agents"), **HTMX)
    assert response.status_code == 403


def test_a3_actions_need_their_own_permissions(client, floor):
    viewer = UserFactory(username="viewer-only")
    group = Group.objects.create(name="Report viewers")
    group.permissions.add(Permission.objects.get(codename="view_reports"))
    viewer.groups.add(group)
    floor.team.supervisors.add(viewer)
    client.force_login(viewer)
    rep = floor.reps["idle"]
    assert client.get(reverse("reports:agents")).status_code == 200
    page = client.get(reverse("reports:agent_detail", args=[rep.pk]))
    assert page.status_code == 200
    assert "Set presence" not in body(page)
    response = client.post(
        reverse("reports:agent_set_presence", args=[rep.pk]), {"status": builtin("dnd").pk}
    )
    assert response.status_code == 403
    assert "presence.manage_presence" in body(response)
    response = client.post(reverse("reports:agent_reset_presence", args=[rep.pk]))
    assert response.status_code == 403
    stuck = floor.conversations["stuck"]
    response = client.post(reverse("reports:force_close", args=[stuck.pk]))
    assert response.status_code == 403
    assert "presence.force_close_conversation" in body(response)
    assert Conversation.objects.get(pk=stuck.pk).state == ConversationState.ACTIVE
    assert presence(rep).status.builtin_key == "available"


# --- A2: scope on every URL ---------------------------------------------------------------------


def test_a2_admin_sees_every_team(client, floor):
    client.force_login(floor.admin)
    page = body(client.get(reverse("reports:agents")))
    assert "Zed Outside" in page
    assert "Ada Idle" in page
    ongoing = body(client.get(reverse("reports:ongoing")))
    assert "Zoe Outside" in ongoing


def test_a2_supervisor_sees_only_their_teams_in_page_and_fragment(client, floor):
    client.force_login(floor.supervisor)
    for kwargs in ({}, HTMX):
        page = body(client.get(reverse("reports:agents"), **kwargs))
        assert "Ada Idle" in page
        assert "Zed Outside" not in page
        assert "Zoe Outside" not in page
        ongoing = body(client.get(reverse("reports:ongoing"), **kwargs))
        assert "Bea Full" in ongoing
        assert "Zoe Outside" not in ongoing
        assert "Unassigned" in ongoing  # the queued conversation
    # Even a filter on the other team's name finds nothing.
    page = body(client.get(reverse("reports:agents"), {"q": "Zed"}, **HTMX))
    assert "Zed Outside" not in page


def test_a2_supervisor_cannot_open_or_act_on_a_rep_of_another_team(client, floor):
    client.force_login(floor.supervisor)
    outside = floor.reps["outside"]
    before = presence(outside).status_id
    assert client.get(reverse("reports:agent_detail", args=[outside.pk])).status_code == 404
    assert client.get(reverse("reports:agent_detail", args=[outside.pk]), **HTMX).status_code == 404
    response = client.post(
        reverse("reports:agent_set_presence", args=[outside.pk]), {"status": builtin("dnd").pk}
    )
    assert response.status_code == 404
    assert (
        client.post(reverse("reports:agent_reset_presence", args=[outside.pk])).status_code == 404
    )
    assert presence(outside).status_id == before
    assert not AuditLogEntry.objects.filter(object_id=str(outside.pk)).exists()


def test_a2_supervisor_cannot_force_close_a_conversation_of_another_team(client, floor):
    client.force_login(floor.supervisor)
    conversation = floor.conversations["outside"]
    url = reverse("reports:force_close", args=[conversation.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert Conversation.objects.get(pk=conversation.pk).state == ConversationState.ACTIVE
