"""Real-time report pages: permissions (A3), team scope (A2) on every URL including the htmx
fragments and the actions, supervisor set/reset (P7, P5), force close (V3), live-region
behaviour, bad input, and a fixed number of queries per page whatever the number of reps."""

import datetime as dt
import html
from urllib.parse import quote

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from presence.models import (
    AuditLogEntry,
    Conversation,
    ConversationState,
    PresenceInterval,
    PresenceSource,
    RepresentativePresence,
)
from tests.factories import (
    CapacityProfileFactory,
    TeamFactory,
    UserFactory,
    WorkstreamFactory,
    builtin,
)
from tests.reports.realtime_helpers import build_floor, many_reps

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def floor():
    return build_floor(now=timezone.now())


def presence(rep) -> RepresentativePresence:
    return RepresentativePresence.objects.select_related("status").get(pk=rep.pk)


def body(response) -> str:
    return html.unescape(response.content.decode())


def report_urls(floor) -> list[str]:
    return [
        reverse("reports:agents"),
        reverse("reports:ongoing"),
        reverse("reports:agent_detail", args=[floor.reps["idle"].pk]),
    ]


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


# --- Live region, URL state and bad input ----------------------------------------------------------


def test_r1_htmx_request_gets_the_results_partial_that_polls_its_own_url(client, floor, settings):
    settings.REPORT_REFRESH_SECONDS = 5
    client.force_login(floor.supervisor)
    url = reverse("reports:agents") + "?tab=with_work&sort=-units&page=1"
    partial = client.get(url, **HTMX)
    text = body(partial)
    assert not text.lstrip().startswith("<!doctype")
    assert text.lstrip().startswith('<section id="agents-results"')
    assert f'hx-get="{url}"' in text
    assert 'hx-trigger="every 5s' in text
    assert 'name="tab" value="with_work" form="agent-filters"' in text
    assert "HX-Request" in partial.headers["Vary"]
    full = body(client.get(url))
    assert full.lstrip().lower().startswith("<!doctype")
    assert 'id="agent-filters"' in full
    # A history restore after Back needs the whole page, not the fragment.
    restore = body(client.get(url, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX))
    assert restore.lstrip().lower().startswith("<!doctype")


def test_r1_page_shows_kpis_chart_tabs_and_every_column(client, floor):
    client.force_login(floor.supervisor)
    page = body(client.get(reverse("reports:agents")))
    for text in (
        "Signed in",
        "total in this view",
        "Capacity units used",
        "Work items in use",
        "With work",
        "Stuck conversations",
        "Representatives by presence",
        "Offline (last 24 h)",
        "Status since",
        "Reason",
        "Units used / total",
        "Profiles used / limit",
        "Signed in since",
        "blocking · full",
        "Training",
        "Updated at",
    ):
        assert text in page, text


def test_r1_capacity_tiles_say_they_count_signed_in_representatives(client, floor):
    """Review finding 12: the capacity tiles count signed-in reps only, and say so."""
    client.force_login(floor.supervisor)
    page = body(client.get(reverse("reports:agents")))
    assert page.count("available, of signed-in representatives") == 2


def test_c4_reports_show_the_admins_text_not_the_reps_translation(client, floor):
    """C4: a rep sees their language (the console, the API); the reports show the text the admin
    wrote, whatever language each rep uses."""
    rep = floor.reps["training"]
    status = presence(rep).status
    status.translations.create(language="fr", presence_text="Formation")
    type(rep).objects.filter(pk=rep.pk).update(language="fr")
    client.force_login(floor.supervisor)
    for url in (reverse("reports:agents"), reverse("reports:agent_detail", args=[rep.pk])):
        page = body(client.get(url))
        assert status.presence_text in page, url
        assert "Formation" not in page, url


def test_r1_bad_filters_and_pages_are_messages_not_errors(client, floor):
    client.force_login(floor.supervisor)
    response = client.get(
        reverse("reports:agents"),
        {"team": "abc", "status": "999999", "page": "x", "sort": "nonsense", "tab": "bogus"},
    )
    assert response.status_code == 200
    text = body(response)
    assert "Team: Select a valid choice" in text
    assert "Status: Select a valid choice" in text
    assert "Ada Idle" in text
    response = client.get(reverse("reports:agents"), {"page": "999"})
    assert response.status_code == 200
    response = client.get(reverse("reports:ongoing"), {"state": "closed", "page": "-1"})
    assert response.status_code == 200
    assert "State: Select a valid choice" in body(response)


def test_r1_drill_down_shows_timeline_recent_time_capacity_and_conversations(client, floor):
    client.force_login(floor.supervisor)
    rep = floor.reps["full"]
    page = body(client.get(reverse("reports:agent_detail", args=[rep.pk])))
    for text in ("Today's presence", "Last 120 minutes", "Capacity", "Full · blocks new work",
                 "Conversations", "Set presence", "Reset presence", "timeline-segment"):  # fmt: skip
        assert text in page, text
    assert f'data-conversation-id="{floor.conversations["full_1"].pk}"' in page
    partial = body(client.get(reverse("reports:agent_detail", args=[rep.pk]), **HTMX))
    assert partial.lstrip().startswith('<section id="agent-live"')


# --- Fixed number of queries per page -----------------------------------------------------------


@pytest.fixture
def team_of(db):
    def build(n):
        team = TeamFactory(name=f"Q team {n}")
        supervisor = UserFactory(username=f"q-sup-{n}", groups=["Supervisors"])
        team.supervisors.add(supervisor)
        workstream = WorkstreamFactory(
            capacity_profile=CapacityProfileFactory(limit=3, blocking=True)
        )
        reps = many_reps(n, team=team, now=timezone.now(), workstream=workstream)
        return supervisor, reps

    return build


# Measured: agents 18, ongoing 9, drill-down 14, the same for 5 and 50 reps (session, user,
# permissions, filter choices, KPIs, chart, one page of rows, capacity snapshots of that page in
# 2 queries; the ongoing grid's paginator takes its row count from the KPI query).
AGENTS_BOUND, ONGOING_BOUND, DETAIL_BOUND = 18, 9, 14


@pytest.mark.parametrize("n", [5, 50])
def test_r1_agents_page_queries_do_not_grow_with_reps(
    n, client, team_of, django_assert_max_num_queries
):
    supervisor, reps = team_of(n)
    client.force_login(supervisor)
    url = reverse("reports:agents")
    with django_assert_max_num_queries(AGENTS_BOUND):
        response = client.get(url, {"sort": "-units"})
    assert response.status_code == 200
    assert body(response).count("data-rep-id=") == min(n, 25)
    with django_assert_max_num_queries(AGENTS_BOUND):
        assert client.get(url, {"tab": "with_work", "page": "2"}, **HTMX).status_code == 200


@pytest.mark.parametrize("n", [5, 50])
def test_r2_ongoing_page_queries_do_not_grow_with_reps(
    n, client, team_of, django_assert_max_num_queries
):
    supervisor, reps = team_of(n)
    client.force_login(supervisor)
    with django_assert_max_num_queries(ONGOING_BOUND):
        response = client.get(reverse("reports:ongoing"), {"sort": "-time_in_state"})
    assert response.status_code == 200
    assert body(response).count("data-conversation-id=") == min((n + 1) // 2, 25)


def test_r2_pages_count_the_filtered_conversations(client, team_of):
    supervisor, reps = team_of(60)  # 30 active conversations, one for every other rep
    client.force_login(supervisor)
    url = reverse("reports:ongoing")
    first = body(client.get(url))
    assert first.count("data-conversation-id=") == 25
    assert "Page 1 of 2 · 30 rows" in first
    last = body(client.get(url, {"page": "99"}, **HTMX))  # past the end: the last page
    assert last.count("data-conversation-id=") == 5
    assert "Page 2 of 2 · 30 rows" in last
    few = body(client.get(url, {"q": "Bulk 60-05"}))  # reps 050-059: 5 conversations
    assert few.count("data-conversation-id=") == 5
    assert "report-pagination" not in few


@pytest.mark.parametrize("n", [5, 50])
def test_r1_drill_down_queries_do_not_grow_with_reps(
    n, client, team_of, django_assert_max_num_queries
):
    supervisor, reps = team_of(n)
    client.force_login(supervisor)
    with django_assert_max_num_queries(DETAIL_BOUND):
        response = client.get(reverse("reports:agent_detail", args=[reps[0].pk]))
    assert response.status_code == 200


def _row(page: str, conversation) -> str:
    row = page[page.index(f'<tr data-conversation-id="{conversation.pk}"') :]
    return row[: row.index("</tr>")]


def test_r2_rows_show_every_cell_in_the_viewer_time_zone(client):
    now = dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC)
    with time_machine.travel(now, tick=False):
        floor = build_floor(now=now)
        viewer = floor.reps["idle"]
        viewer.user, viewer.timezone = floor.supervisor, "Asia/Kolkata"  # UTC+05:30
        viewer.save()
        client.force_login(floor.supervisor)
        page = client.get(reverse("reports:ongoing"), {"sort": "id"}).content.decode()
    stuck, wrap = floor.conversations["stuck"], floor.conversations["wrap"]
    close_url = reverse("reports:force_close", args=[stuck.pk])
    back = quote(reverse("reports:ongoing") + "?sort=id")
    detail = reverse("reports:agent_detail", args=[floor.reps["stuck"].pk])
    row = _row(page, stuck)
    for cell in (
        'class="is-stuck"',
        f'<td data-label="#">{stuck.pk}</td>',
        f'<a href="{detail}">Hal Stuck</a>',
        'Chat support <small class="muted">Chat</small>',
        '<span class="state-tag">Active</span>',
        '<span title="since 2026-03-10 14:30:00">5 h 00 min</span>',  # 09:00 UTC
        '<time datetime="2026-03-10T14:30:00+05:30">14:30</time>',
        '<small class="muted">5 h 00 min ago</small>',
        '<span class="stuck-flag">⚠ Stuck</span>',
        f'href="{close_url}?next={back}" data-force-close="{stuck.pk}"',
    ):
        assert cell in row, cell
    row = _row(page, wrap)  # ended (wrap-up began) 5 minutes ago
    for cell in (
        'Email support <small class="muted">Email</small>',
        '<span class="state-tag">Wrap-up</span>',
        '<span title="since 2026-03-10 19:25:00">5 min 00 s</span>',
        '<time datetime="2026-03-10T19:25:00+05:30">19:25</time>',
        '<small class="muted">5 min 00 s ago</small>',
        '<td data-label="Stuck" data-cell="stuck"><span class="muted">no</span></td>',
    ):
        assert cell in row, cell
    assert "is-stuck" not in row
    assert '<span class="muted">Unassigned</span>' in _row(page, floor.conversations["queued"])


def test_times_are_shown_in_the_viewer_time_zone(client, floor):
    rep = floor.reps["idle"]
    rep.user = floor.supervisor
    rep.timezone = "Asia/Kolkata"
    rep.save()
    client.force_login(floor.supervisor)
    page = body(client.get(reverse("reports:agents")))
    assert "(times in Asia/Kolkata)" in page  # the zone, named once (review finding 15)
    since = presence(floor.reps["dnd"]).since.astimezone(
        dt.timezone(dt.timedelta(hours=5, minutes=30))
    )
    assert since.strftime("%H:%M") in page
