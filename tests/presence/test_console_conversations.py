"""Issue 15: the rep ends, closes and releases their own conversations and finishes wrap-up in
the console (V1, K3), sees the time in their current status and the wrap-up countdown."""

import datetime as dt

import pytest
from django.urls import reverse

from presence import services
from presence.models import Conversation, ConversationState, RepresentativePresence
from tests.clock import T0
from tests.factories import RepresentativeFactory, UserFactory, WorkstreamFactory, builtin
from tests.presence.helpers import HTMX

pytestmark = pytest.mark.usefixtures("now")
CONSOLE = reverse("presence:console")


def action_url(conversation, action):
    return reverse("presence:console_conversation_action", args=[conversation.pk, action])


@pytest.fixture
def rep(rep_user):
    rep = RepresentativeFactory(name="Ada Rep", user=rep_user, capacity_units=2)
    services.client_connect(representative=rep, client_id="tab-one-0001", now=T0)
    return rep


@pytest.fixture
def rep_client(client, rep_user):
    client.force_login(rep_user)
    return client


def assigned(rep, **workstream):
    ws = WorkstreamFactory(**workstream)
    conversation = services.conversation_create(workstream=ws, now=T0)
    return services.conversation_assign(conversation=conversation, representative=rep, now=T0)


def state_of(conversation):
    return Conversation.objects.get(pk=conversation.pk).state


def test_v1_end_then_finish_wrap_up_and_presence_follows(rep_client, rep):
    conversation = assigned(rep, wrap_up_policy="always")
    page = rep_client.get(CONSOLE).content.decode()
    assert f'id="end-conversation-{conversation.pk}"' in page
    assert f'id="release-conversation-{conversation.pk}"' in page
    response = rep_client.post(action_url(conversation, "end"), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "wrap-up started" in html
    assert state_of(conversation) == ConversationState.WRAP_UP
    assert "Keeps your capacity until you finish" in html
    assert f'id="close-conversation-{conversation.pk}"' in html  # "Finish wrap-up"
    assert "Finish wrap-up" in html
    rep_client.post(action_url(conversation, "close"))
    assert state_of(conversation) == ConversationState.CLOSED
    assert RepresentativePresence.objects.get(pk=rep.pk).status == builtin("available")


def test_v1_release_puts_the_conversation_back_in_the_queue(rep_client, rep):
    conversation = assigned(rep)
    assert RepresentativePresence.objects.get(pk=rep.pk).status == builtin("busy")
    rep_client.post(action_url(conversation, "release"))
    conversation.refresh_from_db()
    assert (conversation.state, conversation.representative) == (ConversationState.OPEN, None)
    assert RepresentativePresence.objects.get(pk=rep.pk).status == builtin("available")


def test_v1_close_an_active_conversation(rep_client, rep):
    conversation = assigned(rep)
    rep_client.post(action_url(conversation, "close"))
    assert state_of(conversation) == ConversationState.CLOSED


def test_v1_a_move_the_state_refuses_is_a_message_naming_the_state(rep_client, rep):
    conversation = assigned(rep)
    services.conversation_end(conversation=conversation, now=T0)
    response = rep_client.post(action_url(conversation, "release"), follow=True)
    assert response.status_code == 200
    assert "it is wrap_up" in response.content.decode()
    assert state_of(conversation) == ConversationState.WRAP_UP


def test_another_reps_conversation_is_a_404_and_an_unknown_action_too(rep_client, rep):
    other = RepresentativeFactory(name="Other", user=UserFactory(username="other"))
    services.client_connect(representative=other, now=T0)
    theirs = assigned(other)
    assert rep_client.post(action_url(theirs, "close")).status_code == 404
    assert state_of(theirs) == ConversationState.ACTIVE
    mine = assigned(rep)
    assert rep_client.post(action_url(mine, "explode")).status_code == 404
    assert state_of(mine) == ConversationState.ACTIVE


def test_a3_conversation_actions_need_the_console_permission(client, supervisor_user, rep):
    conversation = assigned(rep)
    client.force_login(supervisor_user)
    response = client.post(action_url(conversation, "close"))
    assert response.status_code == 403
    assert "presence.use_console" in response.content.decode()
    client.logout()
    assert client.post(action_url(conversation, "close")).status_code == 302
    assert state_of(conversation) == ConversationState.ACTIVE
    assert client.get(action_url(conversation, "close")).status_code in (302, 405)


def test_k3_a_minutes_wrap_up_shows_its_countdown(rep_client, rep):
    conversation = assigned(rep, wrap_up_policy="minutes", wrap_up_minutes=5)
    rep_client.post(action_url(conversation, "end"))
    html = rep_client.get(CONSOLE).content.decode()
    release_at = (T0 + dt.timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    assert "Capacity released in 5 min 0 s" in html
    assert "data-release-at=" in html
    assert release_at[:16] in html


def test_time_in_the_current_status(rep_client, rep):
    import time_machine as tm

    with tm.travel(T0 + dt.timedelta(minutes=12, seconds=30), tick=False):
        html = rep_client.get(CONSOLE).content.decode()
    assert "Available for <span data-duration>12 min</span>" in html


def test_duration_words():
    from portal.formatting import duration

    assert [duration(s) for s in (5, 60, 12 * 60 + 59, 3900, 26 * 3600)] == [
        "less than a minute",
        "1 min",
        "12 min",
        "1 h 05 min",
        "1 d 2 h",
    ]


def test_s5_a_deactivated_reps_console_says_so_and_does_not_connect(rep_client, rep):
    services.config.representative_set_active(representative=rep, active=False, actor=None, now=T0)
    html = rep_client.get(CONSOLE).content.decode()
    assert "Your representative is deactivated" in html
    assert "console.js" not in html
    assert rep_client.get(CONSOLE, **HTMX).status_code == 204
    connect = rep_client.post(
        reverse("presence:console_client_connect"), {"client_id": "tab-two-0002"}
    )
    assert connect.status_code == 409
    assert "deactivated" in connect.json()["detail"]
