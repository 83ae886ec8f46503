"""Real-time report pages: the live region, URL state and bad input, what each page shows, and a
fixed number of queries per page whatever the number of reps."""

import datetime as dt
from urllib.parse import quote

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.factories import CapacityProfileFactory, TeamFactory, UserFactory, WorkstreamFactory
from tests.reports.realtime_helpers import HTMX, body, build_floor, many_reps, presence

pytestmark = pytest.mark.django_db


@pytest.fixture
def floor():
    return build_floor(now=timezone.now())


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
# 2 queries; the ongoing grid's paginator takes its row count from the KPI query), plus the
# alerts banner's count (issue 16; its rows and the badges only when an alert is open:
# tests/reports/test_alerts_pages.py bounds that case).
AGENTS_BOUND, ONGOING_BOUND, DETAIL_BOUND = 19, 10, 15


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
