"""Issue 16 item 1: a supervisor assigns, transfers (P9) and releases conversations from the
ongoing report and a rep's drill-down, with V4/K6 applied unless forced, audited (A4), within
their teams only (A2); and signs a rep out (S5), which the rep's console names."""

import pytest
from django.urls import reverse
from django.utils import timezone

from presence import services
from presence.models import (
    AuditLogEntry,
    Conversation,
    ConversationState,
    PresenceSource,
)
from tests.factories import UserFactory
from tests.reports.realtime_helpers import HTMX, body, build_floor, presence

pytestmark = pytest.mark.django_db
S = ConversationState


@pytest.fixture
def floor():
    return build_floor(now=timezone.now())


def move_url(conversation, action, **query):
    url = reverse("reports:conversation_move", args=[conversation.pk, action])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def fresh(conversation):
    return Conversation.objects.get(pk=conversation.pk)


# --- Assign (V1 open → active, V4, K6) -------------------------------------------------------


def test_v4_assign_to_a_rep_of_the_team_is_audited(client, floor):
    client.force_login(floor.supervisor)
    queued, rep = floor.conversations["queued"], floor.reps["idle"]
    page = body(client.get(move_url(queued, "assign")))
    assert "Ada Idle" in page
    assert "Zed Outside" not in page
    assert "Zoe Outside" not in page
    response = client.post(move_url(queued, "assign"), {"representative": rep.pk})
    assert response.status_code == 302
    assert response.url == reverse("reports:ongoing")
    c = fresh(queued)
    assert (c.state, c.representative_id, c.consumes_capacity) == (S.ACTIVE, rep.pk, True)
    entry = AuditLogEntry.objects.get(action="conversation.assign", object_id=str(queued.pk))
    assert entry.actor == floor.supervisor
    assert entry.before == {"state": "open", "representative_id": None}
    assert entry.after == {"state": "active", "representative_id": rep.pk, "forced": False}


def test_v4_assign_to_a_rep_in_dnd_is_refused_unless_forced(client, floor):
    client.force_login(floor.supervisor)
    queued, rep = floor.conversations["queued"], floor.reps["dnd"]
    response = client.post(move_url(queued, "assign"), {"representative": rep.pk})
    assert response.status_code == 302
    assert response.url.startswith(move_url(queued, "assign"))  # the form again, to force it
    assert f"rep={rep.pk}" in response.url
    page = body(client.get(response.url))
    assert "only routes to" in page
    assert "needs force" in page
    assert fresh(queued).state == S.OPEN
    assert not AuditLogEntry.objects.filter(action="conversation.assign").exists()
    response = client.post(move_url(queued, "assign"), {"representative": rep.pk, "force": "on"})
    assert fresh(queued).representative_id == rep.pk
    entry = AuditLogEntry.objects.get(action="conversation.assign")
    assert entry.after["forced"] is True


def test_k6_assign_to_a_rep_whose_blocking_profile_is_full_is_refused_unless_forced(floor):
    rep = floor.reps["idle"]  # Chat: blocking, limit 2
    for _ in range(2):
        c = services.conversation_create(workstream=floor.chat, now=timezone.now())
        services.conversation_assign(
            conversation=c, representative=rep, force=True, now=timezone.now()
        )
    queued = floor.conversations["queued"]
    from portal.exceptions import Conflict

    with pytest.raises(Conflict, match="Blocking capacity profile"):
        services.conversation_assign_by_supervisor(
            conversation=queued, representative=rep, actor=floor.supervisor, now=timezone.now()
        )
    services.conversation_assign_by_supervisor(
        conversation=queued,
        representative=rep,
        actor=floor.supervisor,
        force=True,
        now=timezone.now(),
    )
    assert fresh(queued).representative_id == rep.pk


def test_a2_a_posted_target_outside_the_teams_is_not_found_and_nothing_is_written(client, floor):
    client.force_login(floor.supervisor)
    queued = floor.conversations["queued"]
    for rep in (floor.reps["outside"], floor.reps["outside_busy"]):
        response = client.post(
            move_url(queued, "assign"), {"representative": rep.pk, "force": "on"}
        )
        assert response.status_code == 404
    response = client.post(
        move_url(floor.conversations["full_1"], "transfer"),
        {"representative": floor.reps["outside"].pk},
    )
    assert response.status_code == 404
    assert fresh(queued).state == S.OPEN
    assert fresh(floor.conversations["full_1"]).representative_id == floor.reps["full"].pk
    assert not AuditLogEntry.objects.filter(action__startswith="conversation.").exists()


def test_a2_a_conversation_of_another_team_is_not_found(client, floor):
    client.force_login(floor.supervisor)
    theirs = floor.conversations["outside"]
    for action in ("transfer", "release"):
        assert client.get(move_url(theirs, action)).status_code == 404
        data = {"representative": floor.reps["idle"].pk}
        assert client.post(move_url(theirs, action), data).status_code == 404
    assert fresh(theirs).representative_id == floor.reps["outside_busy"].pk


def test_admin_sees_and_moves_every_team(client, floor):
    client.force_login(floor.admin)
    queued = floor.conversations["queued"]
    page = body(client.get(move_url(queued, "assign")))
    assert "Zed Outside" in page
    client.post(move_url(queued, "assign"), {"representative": floor.reps["outside"].pk})
    assert fresh(queued).representative_id == floor.reps["outside"].pk


def test_a3_a_representative_cannot_act(client, floor, rep_user):
    client.force_login(rep_user)
    queued = floor.conversations["queued"]
    assert client.get(move_url(queued, "assign")).status_code == 403
    response = client.post(move_url(queued, "assign"), {"representative": floor.reps["idle"].pk})
    assert response.status_code == 403
    assert "presence.manage_presence" in body(response)
    sign_out = reverse("reports:agent_sign_out", args=[floor.reps["idle"].pk])
    assert client.post(sign_out).status_code == 403
    assert fresh(queued).state == S.OPEN


def test_a_missing_target_names_the_field_and_writes_nothing(client, floor):
    client.force_login(floor.supervisor)
    queued = floor.conversations["queued"]
    for value in ("", "abc"):
        response = client.post(move_url(queued, "assign"), {"representative": value})
        assert response.status_code == 400
        assert "Representative: choose who takes the conversation." in body(response)
    assert fresh(queued).state == S.OPEN


def test_the_redirect_target_is_validated(client, floor):
    client.force_login(floor.supervisor)
    queued = floor.conversations["queued"]
    response = client.post(
        move_url(queued, "assign"),
        {"representative": floor.reps["idle"].pk, "next": "https://evil.example/"},
    )
    assert response.url == reverse("reports:ongoing")
    detail = reverse("reports:agent_detail", args=[floor.reps["idle"].pk])
    c = floor.conversations["partial_chat"]
    response = client.post(move_url(c, "release"), {"next": detail})
    assert response.url == detail


def test_an_unknown_action_or_a_wrong_state_writes_nothing(client, floor):
    client.force_login(floor.supervisor)
    queued = floor.conversations["queued"]
    assert client.get(move_url(queued, "explode")).status_code == 404
    page = body(client.get(move_url(queued, "transfer")))
    assert "cannot be transferred" in page
    client.post(move_url(queued, "transfer"), {"representative": floor.reps["idle"].pk})
    assert fresh(queued).state == S.OPEN


# --- Transfer (P9) and release ---------------------------------------------------------------


def test_p9_transfer_moves_the_capacity_and_recalculates_both(client, floor):
    client.force_login(floor.supervisor)
    c, first, second = floor.conversations["full_1"], floor.reps["full"], floor.reps["idle"]
    assert presence(first).status.base_status == "busy_dnd"  # full
    response = client.post(move_url(c, "transfer"), {"representative": second.pk}, **HTMX)
    assert response.status_code == 302  # htmx follows the redirect as the browser does
    c = fresh(c)
    assert (c.state, c.representative_id) == (S.ACTIVE, second.pk)
    assert services.capacity_snapshot(representative_id=first.pk, now=timezone.now()).sessions == 1
    assert services.capacity_snapshot(representative_id=second.pk, now=timezone.now()).sessions == 1
    assert presence(first).status.base_status == "busy"  # P4: recalculated, no longer full
    assert presence(second).status.base_status == "busy"
    entry = AuditLogEntry.objects.get(action="conversation.transfer")
    assert entry.before["representative_id"] == first.pk
    assert entry.after["representative_id"] == second.pk


def test_release_puts_it_back_in_the_queue_and_is_audited(client, floor):
    client.force_login(floor.supervisor)
    c, rep = floor.conversations["partial_chat"], floor.reps["partial"]
    client.post(move_url(c, "release"))
    c = fresh(c)
    assert (c.state, c.representative_id, c.consumes_capacity) == (S.OPEN, None, False)
    entry = AuditLogEntry.objects.get(action="conversation.release")
    assert entry.before == {"state": "active", "representative_id": rep.pk}
    assert entry.actor == floor.supervisor


def test_the_ongoing_report_and_the_drill_down_offer_the_moves(client, floor):
    client.force_login(floor.supervisor)
    page = body(client.get(reverse("reports:ongoing")))
    assert f'id="assign-{floor.conversations["queued"].pk}"' in page
    assert f'id="transfer-{floor.conversations["full_1"].pk}"' in page
    assert f'id="release-{floor.conversations["full_1"].pk}"' in page
    assert f'id="transfer-{floor.conversations["wrap"].pk}"' not in page  # wrap-up: neither
    detail = body(client.get(reverse("reports:agent_detail", args=[floor.reps["full"].pk])))
    assert f'id="transfer-{floor.conversations["full_1"].pk}"' in detail
    assert 'id="sign-out-rep"' in detail
    assert f"reports/conversations/{floor.conversations['queued'].pk}/assign/?rep=" in detail


# --- Sign out (S5) -----------------------------------------------------------------------------


def test_s5_supervisor_signs_a_rep_out_audited_and_the_console_says_who(client, floor):
    rep = floor.reps["idle"]
    rep.user = UserFactory(username="ada-user", groups=["Representatives"])
    rep.save()
    floor.supervisor.first_name, floor.supervisor.last_name = "Sam", "Super"
    floor.supervisor.save()
    client.force_login(floor.supervisor)
    url = reverse("reports:agent_sign_out", args=[rep.pk])
    assert "Sign out Ada Idle?" in body(client.get(url))
    response = client.post(url)
    assert response.url == reverse("reports:agent_detail", args=[rep.pk])
    row = presence(rep)
    assert (row.status.base_status, row.source, row.signed_in) == (
        "offline",
        PresenceSource.SIGN_OUT,
        False,
    )
    assert not rep.clients.exists()
    entry = AuditLogEntry.objects.get(action="presence.sign_out", object_id=str(rep.pk))
    assert entry.actor == floor.supervisor
    client.force_login(rep.user)
    console = body(client.get(reverse("presence:console")))
    assert "Sam Super signed you out of presence." in console
    assert "data-signed-out-by" in console


def test_s5_the_rep_signing_out_themself_is_not_named(client, floor):
    rep = floor.reps["idle"]
    rep.user = UserFactory(username="ada-user", groups=["Representatives"])
    rep.save()
    services.representative_sign_out(representative=rep, actor=rep.user, now=timezone.now())
    client.force_login(rep.user)
    assert "data-signed-out-by" not in body(client.get(reverse("presence:console")))


def test_a2_signing_out_a_rep_of_another_team_is_not_found(client, floor):
    client.force_login(floor.supervisor)
    rep = floor.reps["outside"]
    assert client.post(reverse("reports:agent_sign_out", args=[rep.pk])).status_code == 404
    assert presence(rep).signed_in
    assert not AuditLogEntry.objects.filter(action="presence.sign_out").exists()


def test_v4_even_a_forced_move_needs_a_signed_in_rep(client, floor):
    client.force_login(floor.supervisor)
    queued = floor.conversations["queued"]
    for key in ("gone", "never"):  # signed out; never signed in
        data = {"representative": floor.reps[key].pk, "force": "on"}
        client.post(move_url(queued, "assign"), data)
        client.post(move_url(floor.conversations["full_1"], "transfer"), data)
    assert fresh(queued).state == S.OPEN
    assert fresh(floor.conversations["full_1"]).representative_id == floor.reps["full"].pk
    assert not AuditLogEntry.objects.filter(action__startswith="conversation.").exists()
