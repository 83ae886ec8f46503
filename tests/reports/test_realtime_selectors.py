"""R1/R2 report queries: every KPI against an independent count from raw rows, scope (A2),
tabs, filters, the chart, P10 reasons, the drill-down figures, and fixed query counts."""

import datetime as dt

import pytest
from django.test import RequestFactory

from presence import services
from presence.models import BaseStatus, ConversationState, Representative
from presence.selectors import representatives_visible_to
from reports.realtime import selectors
from reports.realtime.filters import AgentFilter, OngoingFilter
from tests.clock import T0
from tests.factories import TeamFactory, WorkstreamFactory, builtin
from tests.reports.realtime_helpers import build_floor, many_reps, raw_counts

pytestmark = pytest.mark.django_db

NOW = T0.replace(hour=15)  # the tests' clock (tests/clock.py), that afternoon
KPI_FIELDS = (
    "total",
    "signed_in",
    "units_total",
    "units_used",
    "units_available",
    "work_items_total",
    "work_items_used",
    "work_items_available",
    "with_work",
    "stuck",
    "recently_offline",
)


@pytest.fixture
def floor():
    return build_floor(now=NOW)


@pytest.fixture(params=["admin", "supervisor"])
def viewer(request, floor):
    return getattr(floor, request.param)


def visible_ids(user) -> set[int]:
    return set(representatives_visible_to(user=user).values_list("pk", flat=True))


def kpis_for(user):
    return selectors.agents_summary(
        representatives=representatives_visible_to(user=user), now=NOW
    ).kpis


# --- R1 KPIs: one test per figure, each against raw rows -----------------------------------------


def test_r1_kpi_signed_in_counts_reps_whose_base_status_is_not_offline(floor, viewer):
    expected = raw_counts(visible_ids(viewer), now=NOW)
    assert kpis_for(viewer).signed_in == expected["signed_in"]
    # Nine in the team: gone and never are offline; training (away) and dnd count as signed in.
    if viewer == floor.supervisor:
        assert expected["signed_in"] == 7


def test_r1_kpi_total_reps_is_the_scoped_count(floor, viewer):
    expected = raw_counts(visible_ids(viewer), now=NOW)
    assert kpis_for(viewer).total == expected["total"] == (11 if viewer == floor.admin else 9)


def test_r1_kpi_capacity_units_total_used_available(floor, viewer):
    expected = raw_counts(visible_ids(viewer), now=NOW)
    kpis = kpis_for(viewer)
    assert (kpis.units_total, kpis.units_used, kpis.units_available) == (
        expected["units_total"],
        expected["units_used"],
        expected["units_available"],
    )
    assert kpis.units_used > 0


def test_r1_kpi_work_items_total_in_use_available(floor, viewer):
    expected = raw_counts(visible_ids(viewer), now=NOW)
    kpis = kpis_for(viewer)
    assert (kpis.work_items_total, kpis.work_items_used, kpis.work_items_available) == (
        expected["work_items_total"],
        expected["work_items_used"],
        expected["work_items_available"],
    )
    if viewer == floor.supervisor:
        # Limits: 6 signed-in reps hold Chat (2 each; Flo and Gus are offline and do not count)
        # and Cy holds Email EOD with his own limit 5 -> 17.
        # In use: Bea 2 chat, Cy 1 chat + 2 email (one closed but still counting, K4) -> 5.
        # Hal's stuck chat uses no work item: he does not hold the Chat profile.
        assert (kpis.work_items_total, kpis.work_items_used) == (17, 5)


def test_r1_capacity_kpis_count_only_signed_in_representatives(floor):
    """Review finding 12: capacity units and work items are over the signed-in reps; with every
    rep signed out the tiles read 0 / 0, not the offline reps' capacity as "available"."""
    team = visible_ids(floor.supervisor)
    before = kpis_for(floor.supervisor)
    # Flo (3 units, Chat 2) and Gus (3 units, Chat 2) are offline: not in the totals.
    offline_units = floor.reps["gone"].capacity_units + floor.reps["never"].capacity_units
    all_units = sum(
        Representative.objects.filter(pk__in=team).values_list("capacity_units", flat=True)
    )
    assert before.units_total == all_units - offline_units
    for key in ("idle", "full", "partial", "dnd", "training", "stuck", "wrap"):
        services.representative_sign_out(
            representative=floor.reps[key], now=NOW - dt.timedelta(seconds=1)
        )
    after = kpis_for(floor.supervisor)
    assert after.signed_in == 0
    assert (after.units_total, after.units_used, after.units_available) == (0, 0, 0)
    assert (after.work_items_total, after.work_items_used, after.work_items_available) == (0, 0, 0)


def test_r1_kpi_reps_with_work(floor, viewer):
    expected = raw_counts(visible_ids(viewer), now=NOW)
    assert kpis_for(viewer).with_work == expected["with_work"]
    if viewer == floor.supervisor:
        assert expected["with_work"] == 4  # Bea, Cy, Hal (stuck), Ivy (wrap-up)


def test_r1_kpi_stuck_conversations(floor, viewer):
    expected = raw_counts(visible_ids(viewer), now=NOW)
    assert kpis_for(viewer).stuck == expected["stuck"] == 1


def test_r1_kpi_recently_offline_tab_count(floor, viewer):
    expected = raw_counts(visible_ids(viewer), now=NOW)
    assert kpis_for(viewer).recently_offline == expected["recently_offline"] == 1  # Flo, not Gus


def test_r1_kpis_follow_the_filters(floor):
    filterset = AgentFilter(
        {"workstream": floor.email.pk},
        queryset=representatives_visible_to(user=floor.admin),
        user=floor.admin,
    )
    ids = set(filterset.qs.values_list("pk", flat=True))
    assert ids == {floor.reps["partial"].pk, floor.reps["wrap"].pk}
    kpis = selectors.agents_summary(representatives=filterset.qs, now=NOW).kpis
    expected = raw_counts(ids, now=NOW)
    assert {f: getattr(kpis, f) for f in KPI_FIELDS} == {f: expected[f] for f in KPI_FIELDS}


# --- A2 scope ----------------------------------------------------------------------------------


def test_a2_supervisor_kpis_and_rows_exclude_other_teams(floor):
    reps = representatives_visible_to(user=floor.supervisor)
    rows = selectors.agents_rows(
        representatives=selectors.agents_tab(reps, tab="signed_in", now=NOW)
    )
    names = set(rows.values_list("name", flat=True))
    assert "Zed Outside" not in names
    assert "Zoe Outside" not in names
    assert "Ada Idle" in names
    admin_kpis, super_kpis = kpis_for(floor.admin), kpis_for(floor.supervisor)
    assert admin_kpis.total - super_kpis.total == 2
    assert admin_kpis.with_work - super_kpis.with_work == 1


def test_a2_supervisor_of_two_teams_sees_a_shared_rep_once(floor):
    floor.reps["idle"].teams.add(floor.other_team)
    floor.other_team.supervisors.add(floor.supervisor)
    reps = representatives_visible_to(user=floor.supervisor)
    kpis = selectors.agents_summary(representatives=reps, now=NOW).kpis
    assert kpis.total == Representative.objects.count()
    rows = list(
        selectors.agents_rows(representatives=selectors.agents_tab(reps, tab="signed_in", now=NOW))
    )
    assert len(rows) == len({r.pk for r in rows})


def test_a2_ongoing_conversations_of_other_teams_are_hidden_unassigned_are_shown(floor):
    visible = set(
        selectors.ongoing_conversations(user=floor.supervisor, now=NOW).values_list("pk", flat=True)
    )
    assert floor.conversations["outside"].pk not in visible
    assert floor.conversations["queued"].pk in visible  # unassigned, open
    assert floor.conversations["full_1"].pk in visible
    admin_visible = set(
        selectors.ongoing_conversations(user=floor.admin, now=NOW).values_list("pk", flat=True)
    )
    assert floor.conversations["outside"].pk in admin_visible


# --- Tabs, filters, chart, grid -------------------------------------------------------------------


def names(reps) -> set[str]:
    return set(reps.values_list("name", flat=True))


def test_r1_tabs_signed_in_offline_with_work(floor):
    reps = representatives_visible_to(user=floor.supervisor)
    assert names(selectors.agents_tab(reps, tab="signed_in", now=NOW)) == {
        "Ada Idle", "Bea Full", "Cy Partial", "Di Manual DND", "Ed Training", "Hal Stuck", "Ivy Wrapup",
    }  # fmt: skip
    # Signed in during the last 24 hours and now offline: Flo; Gus never signed in.
    assert names(selectors.agents_tab(reps, tab="offline", now=NOW)) == {"Flo Gone"}
    # Flo's sign-in was 6 hours ago: 25 hours later she is no longer "recently" offline.
    later = NOW + dt.timedelta(hours=25)
    assert names(selectors.agents_tab(reps, tab="offline", now=later)) == set()
    assert names(selectors.agents_tab(reps, tab="with_work", now=NOW)) == {
        "Bea Full", "Cy Partial", "Hal Stuck", "Ivy Wrapup",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"q": "  bea "}, {"Bea Full"}),
        ({"base_status": "away"}, {"Ed Training"}),
        ({"base_status": "offline"}, {"Flo Gone", "Gus Never"}),
        ({"base_status": "busy_dnd"}, {"Bea Full", "Di Manual DND"}),
        ({"channel": "email"}, {"Cy Partial", "Ivy Wrapup"}),
    ],
)
def test_r1_filters(floor, data, expected):
    filterset = AgentFilter(
        data, queryset=representatives_visible_to(user=floor.supervisor), user=floor.supervisor
    )
    assert names(filterset.qs) == expected


def test_r1_status_filter_keeps_custom_statuses_apart(floor):
    training = floor.reps["training"].presence.status
    filterset = AgentFilter(
        {"status": training.pk}, queryset=Representative.objects.all(), user=floor.admin
    )
    assert names(filterset.qs) == {"Ed Training"}


def test_r1_team_filter_refuses_a_team_the_supervisor_does_not_supervise(floor):
    filterset = AgentFilter(
        {"team": floor.other_team.pk},
        queryset=representatives_visible_to(user=floor.supervisor),
        user=floor.supervisor,
    )
    assert "team" in filterset.form.errors
    assert "Zed Outside" not in names(filterset.qs)


def test_r1_chart_shows_custom_statuses_on_their_own(floor):
    chart = selectors.agents_summary(
        representatives=representatives_visible_to(user=floor.supervisor), now=NOW
    ).chart
    by_text = {s.text: s for s in chart}
    assert by_text["Training"].custom is True
    assert by_text["Training"].base_status == "away"
    assert by_text["Training"].count == 1
    # Offline: Flo signed out and Gus never signed in.
    assert by_text[builtin("offline").presence_text].count == 2
    assert sum(s.count for s in chart) == 9
    assert max(s.percent for s in chart) == 100.0


def test_p10_grid_reasons_come_from_the_engine(floor):
    reps = list(
        selectors.agents_rows(representatives=Representative.objects.all()).order_by("name")
    )
    details = selectors.agents_page_details(representatives=reps, now=NOW)
    by_name = {r.name: details[r.pk] for r in reps}
    assert by_name["Bea Full"].reason.startswith("capacity full")
    assert "2 of 2 work items used (profile Chat)" in by_name["Bea Full"].reason
    assert by_name["Bea Full"].capacity.blocking_full
    assert (
        by_name["Di Manual DND"].reason
        == "set by the representative; capacity does not override it"
    )
    assert by_name["Gus Never"].reason == "never signed in"
    assert by_name["Ivy Wrapup"].wrap_up == 1
    assert by_name["Cy Partial"].active == 2


def test_r1_grid_sorts_in_sql_by_units_used(floor):
    rows = selectors.agents_rows(representatives=Representative.objects.all()).order_by(
        "-units_used", "name"
    )
    first = rows[0]
    assert first.name == "Cy Partial"
    assert first.units_used == 3


# --- Drill-down --------------------------------------------------------------------------------


def test_r1_timeline_cuts_today_in_the_rep_time_zone():
    from zoneinfo import ZoneInfo

    from tests.factories import RepresentativeFactory

    rep = RepresentativeFactory(timezone="America/New_York")
    tz = ZoneInfo("America/New_York")
    yesterday = NOW - dt.timedelta(days=1)
    services.client_connect(representative=rep, now=yesterday)  # 10:00 New York yesterday
    services.presence_set_manual(
        representative=rep, status=builtin("dnd"), now=NOW - dt.timedelta(hours=2)
    )
    day_start, day_end, segments = selectors.representative_timeline(
        representative=rep, now=NOW, tz=tz
    )
    assert day_start == dt.datetime(2036, 11, 24, 0, 0, tzinfo=tz)
    assert [s.base_status for s in segments] == ["available", "busy_dnd"]
    assert segments[0].start == day_start  # cut at the rep's midnight
    assert segments[-1].open
    assert segments[-1].end == NOW
    assert sum(s.seconds for s in segments) == (NOW - day_start).total_seconds()
    assert segments[1].left + segments[1].width == pytest.approx(
        100 * (NOW - day_start) / (day_end - day_start), abs=0.01
    )


def test_r1_time_in_each_status_over_the_last_120_minutes():
    from tests.factories import RepresentativeFactory

    rep = RepresentativeFactory()
    services.client_connect(representative=rep, now=NOW - dt.timedelta(minutes=90))
    services.presence_set_manual(
        representative=rep, status=builtin("away"), now=NOW - dt.timedelta(minutes=30)
    )
    recent = {
        t.text: t.seconds for t in selectors.representative_recent_time(representative=rep, now=NOW)
    }
    assert recent == {"Available": 60 * 60, "Appear away": 30 * 60, "No history": 30 * 60}


# --- R2 ----------------------------------------------------------------------------------------


def test_r2_lists_recent_and_stuck_conversations_with_the_stuck_flag(floor):
    rows = {c.pk: c for c in selectors.ongoing_conversations(user=floor.admin, now=NOW)}
    assert rows[floor.conversations["stuck"].pk].stuck is True
    assert rows[floor.conversations["full_1"].pk].stuck is False
    assert floor.conversations["partial_closed_eod"].pk not in rows  # closed
    kpis = selectors.ongoing_kpis(
        conversations=selectors.ongoing_conversations(user=floor.admin, now=NOW), now=NOW
    )
    assert kpis.stuck == 1
    assert kpis.open == 1
    assert kpis.wrap_up == 1
    assert kpis.unassigned == 1
    assert kpis.total == len(rows)


def test_r2_a_quiet_conversation_older_than_two_hours_is_listed_only_when_stuck(floor):
    later = NOW + dt.timedelta(hours=3)
    rows = set(
        selectors.ongoing_conversations(user=floor.admin, now=later).values_list("pk", flat=True)
    )
    # Three hours without activity: not recent any more; the active ones are not stuck yet (4 h).
    assert floor.conversations["full_1"].pk not in rows
    assert floor.conversations["stuck"].pk in rows


def test_r2_filters_state_and_stuck(floor):
    qs = selectors.ongoing_conversations(user=floor.admin, now=NOW)
    only_stuck = OngoingFilter({"stuck": "on"}, queryset=qs, user=floor.admin, now=NOW)
    assert list(only_stuck.qs.values_list("pk", flat=True)) == [floor.conversations["stuck"].pk]
    wrap = OngoingFilter(
        {"state": ConversationState.WRAP_UP}, queryset=qs, user=floor.admin, now=NOW
    )
    assert list(wrap.qs.values_list("pk", flat=True)) == [floor.conversations["wrap"].pk]
    bad = OngoingFilter({"state": "closed"}, queryset=qs, user=floor.admin, now=NOW)
    assert "state" in bad.form.errors


# --- Fixed number of queries ------------------------------------------------------------------


@pytest.mark.parametrize("n", [5, 50])
def test_r1_report_queries_do_not_grow_with_the_number_of_reps(n, django_assert_max_num_queries):
    from tests.factories import UserFactory

    team = TeamFactory()
    supervisor = UserFactory(username=f"q-super-{n}", groups=["Supervisors"])
    team.supervisors.add(supervisor)
    from tests.factories import CapacityProfileFactory

    workstream = WorkstreamFactory(capacity_profile=CapacityProfileFactory(limit=3))
    many_reps(n, team=team, now=NOW, workstream=workstream)
    request = RequestFactory().get("/")
    request.user = supervisor
    # 2 permission lookups, 4 for the KPIs and chart, 1 page of rows, 2 capacity snapshots, 1
    # conversation count.
    with django_assert_max_num_queries(10):
        reps = representatives_visible_to(user=supervisor)
        kpis = selectors.agents_summary(representatives=reps, now=NOW).kpis
        page = list(
            selectors.agents_rows(
                representatives=selectors.agents_tab(reps, tab="signed_in", now=NOW)
            )[:25]
        )
        details = selectors.agents_page_details(representatives=page, now=NOW)
    assert kpis.total == n
    assert len(details) == min(n, 25)
    assert BaseStatus.OFFLINE not in {d.status.base_status for d in details.values()}
