"""The agents grid's cheaper rendering (issue 13): a scope pinned to its ids, rows written in one
pass. Same reps, same figures, same markup; A2 still in the query."""

import datetime as dt

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from presence import engine, services
from presence.engine.values import StatusRef
from presence.models import Representative
from presence.selectors import representatives_visible_to
from reports.realtime import selectors
from reports.realtime.selectors import common
from tests.factories import RepresentativeFactory, TeamFactory, UserFactory, WorkstreamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def floor():
    mine, theirs = TeamFactory(name="Mine"), TeamFactory(name="Theirs")
    boss = UserFactory(groups=["Supervisors"])
    mine.supervisors.add(boss)
    now = timezone.now()
    ws = WorkstreamFactory(name="Chat", offer_timeout_seconds=3600)
    reps = []
    for i in range(6):
        rep = RepresentativeFactory(
            name=f"Rep {i}", teams=[mine, theirs][: 1 + i % 2], capacity_units=2
        )
        services.client_connect(representative=rep, now=now)
        reps.append(rep)
    conversation = services.conversation_create(workstream=ws, now=now)
    offer = services.offer_create(conversation=conversation, representative=reps[0], now=now)
    services.offer_accept(offer=offer, now=now)
    outsider = RepresentativeFactory(name="Outsider", teams=[theirs])
    services.client_connect(representative=outsider, now=now)
    return boss, reps, outsider


def test_a2_a_pinned_scope_is_the_same_reps_and_the_same_figures(floor):
    boss, reps, outsider = floor
    scope = representatives_visible_to(user=boss)  # distinct: a rep in two teams
    pinned = selectors.pinned(scope)
    assert sorted(pinned) == sorted(rep.pk for rep in reps)  # each once, though in two teams
    assert outsider.pk not in pinned  # A2
    now = timezone.now()
    assert selectors.agents_summary(representatives=pinned, now=now) == selectors.agents_summary(
        representatives=scope, now=now
    )


def test_a_large_scope_keeps_its_subquery(floor, monkeypatch):
    boss, reps, _ = floor
    monkeypatch.setattr(common, "PIN_AT_MOST", len(reps) - 1)
    scope = representatives_visible_to(user=boss)
    assert selectors.pinned(scope) is scope


def test_the_summary_is_the_same_with_ids_and_with_subqueries(floor, monkeypatch):
    """agents_summary filters its aggregates by the reps' ids up to PIN_AT_MOST of them, by the
    scope's subqueries beyond (an admin's 10,000): the same figures either way."""
    from reports.realtime.selectors import agents

    boss, reps, _ = floor
    scope = representatives_visible_to(user=boss)
    now = timezone.now()
    with_ids = selectors.agents_summary(representatives=scope, now=now)
    monkeypatch.setattr(agents, "PIN_AT_MOST", 0)
    with CaptureQueriesContext(connection) as queries:
        with_subqueries = selectors.agents_summary(representatives=scope, now=now)
    assert with_subqueries == with_ids
    assert with_ids.kpis.units_used == 1
    assert with_ids.kpis.signed_in == len(reps)
    assert all("IN (SELECT" in q["sql"] for q in queries.captured_queries[1:])


def test_an_empty_scope_pins_to_nothing(db):
    lonely = UserFactory(groups=["Supervisors"])
    pinned = selectors.pinned(representatives_visible_to(user=lonely))
    assert pinned == []
    kpis = selectors.agents_summary(representatives=pinned, now=timezone.now()).kpis
    assert (kpis.total, kpis.signed_in, kpis.units_used) == (0, 0, 0)


def test_the_team_grid_reads_the_scope_join_once(client, floor):
    """The supervisor's team join (A2) is read once; the page's other statements filter on ids."""
    boss, reps, outsider = floor
    client.force_login(boss)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("reports:agents"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert all(f'id="rep-row-{rep.pk}"' in body for rep in reps)
    assert f'id="rep-row-{outsider.pk}"' not in body
    team_joins = [  # the alerts banner scopes its own query (reports.alerts)
        q["sql"]
        for q in queries
        if "presence_team_supervisors" in q["sql"] and "reports_alert" not in q["sql"]
    ]
    assert len(team_joins) == 1, team_joins


def test_the_live_refresh_reads_the_zone_once_and_counts_the_tab_in_the_kpi_query(client, floor):
    """The shared rendering's key and the page both need the viewer's zone (one read); the
    paginator takes the tab's count from the KPI query (no COUNT of its own)."""
    boss, reps, _ = floor
    client.force_login(boss)
    live = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TRIGGER": "agents-results"}
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("reports:agents"), **live)
    assert response.status_code == 200
    statements = [q["sql"] for q in queries]
    zones = [
        sql
        for sql in statements
        if sql.startswith('SELECT "presence_representative"."timezone" AS "timezone" FROM')
    ]
    assert len(zones) == 1, zones
    assert not [
        sql
        for sql in statements
        if sql.startswith('SELECT COUNT(*) AS "__count" FROM "presence_representative"')
    ]


ROW = Template("{% load realtime_reports %}{% agent_row rep d now %}")
NOW = dt.datetime(2036, 3, 10, 14, 0, 0, tzinfo=dt.UTC)


def _row(*, status=None, capacity=None, since=None, signed_in_since=None, states=None, **rep):
    person = Representative(pk=7, name=rep.get("name", "Ann <script>"))
    person.detail_url = "/reports/agents/7/?a=1&b=2"
    person.alerted = rep.get("alerted", False)
    detail = selectors.AgentDetail(
        status=status or StatusRef(1, "Training", "Training <b>", "away"),
        source="manual",
        since=since,
        signed_in=True,
        signed_in_since=signed_in_since,
        reason="set by the representative & kept",
        capacity=capacity or engine.CapacitySnapshot(),
        states=states or {},
    )
    with timezone.override(dt.UTC):
        return ROW.render(Context({"rep": person, "d": detail, "now": NOW}))


def test_a_row_escapes_every_text():
    html = _row(alerted=True)
    assert "Ann &lt;script&gt;" in html
    assert "<script>" not in html
    assert "Training &lt;b&gt;" in html
    assert 'href="/reports/agents/7/?a=1&amp;b=2"' in html
    assert "set by the representative &amp; kept" in html
    assert "data-alert-badge" in html


def test_a_row_names_the_base_status_of_a_custom_one_only():
    assert '<small class="muted base-note">Away</small>' in _row()
    available = StatusRef(2, "Available", "Available", "available")
    assert "base-note" not in _row(status=available)


def test_a_row_shows_times_with_their_date_when_not_today():
    html = _row(since=NOW - dt.timedelta(minutes=5), signed_in_since=NOW - dt.timedelta(days=1))
    assert (
        '<time datetime="2036-03-10T13:55:00+00:00" title="2036-03-10 13:55:00">13:55</time>'
        in html
    )
    assert "5 min" in html
    assert ">Sun 9 Mar 14:00</time>" in html
    assert "—" not in _row(since=NOW).split('data-label="Status since"')[1].split("</td>")[0]


def test_a_row_shows_conversations_units_and_profiles():
    full = engine.ProfileUsage(profile_id=1, name="Chat & co", limit=1, used=1, blocking=True)
    part = engine.ProfileUsage(profile_id=2, name="Mail", limit=3, used=1)
    html = _row(
        capacity=engine.CapacitySnapshot(units_total=2, units_used=3, profiles=(full, part)),
        states={"active": 2, "wrap_up": 1, "waiting": 1},
    )
    assert "<span>2 active</span><span>1 wrap-up</span>" in html
    assert '<span class="muted">1 waiting</span>' in html
    assert '<span class="over-limit">3 / 2</span> <small class="over-limit">over</small>' in html
    assert (
        '<span class="profile-use is-full is-blocking">Chat &amp; co 1/1 '
        '<strong class="blocking-tag">blocking · full</strong></span>'
    ) in html
    assert '<span class="profile-use">Mail 1/3</span>' in html
    idle = _row(capacity=engine.CapacitySnapshot(units_total=0, units_used=1))
    assert '<span class="muted">none</span>' in idle
    assert 'title="No capacity units configured: profiles only">1 / —</span>' in idle
    assert 'data-cell="profiles"><span class="muted">—</span>' in idle


def test_a_row_draws_the_status_badge_as_the_shared_include_does():
    """The badge is drawn by `_status_badge.html` everywhere else: the row's must stay the same."""
    badge = Template('{% include "_status_badge.html" with base_status=b text=t %}').render(
        Context({"b": "away", "t": "Training <b>"})
    )
    assert badge.strip().splitlines()[-1] in _row()


def test_the_grid_pages_by_the_tabs_count_from_the_kpis(client):
    """The paginator's count is the KPI query's count of the tab: the pages still add up."""
    from reports.realtime.tables import AgentTable

    team, boss = TeamFactory(name="Big"), UserFactory(groups=["Supervisors"])
    team.supervisors.add(boss)
    per_page = AgentTable._meta.per_page
    now = timezone.now()
    for i in range(per_page + 2):
        rep = RepresentativeFactory(name=f"Rep {i:02d}", teams=[team])
        services.client_connect(representative=rep, now=now)
    RepresentativeFactory(name="Never signed in", teams=[team])  # in no tab's rows
    client.force_login(boss)
    body = client.get(reverse("reports:agents") + "?page=2", HTTP_HX_REQUEST="true")
    text = body.content.decode()
    assert f"Page 2 of 2 · {per_page + 2} rows" in text
    assert text.count('id="rep-row-') == 2
