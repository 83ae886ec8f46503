"""Alerts pages: /configure/alerts/ (admins), the banner and badges of the live reports, the
acknowledgement and the history with its CSV (supervisors): permission (A3) and team scope (A2)
on every URL, requested directly too; audit (A4); bad input named, nothing written; a fixed
number of queries whatever the number of reps."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from presence import services
from presence.models import AuditLogEntry, BaseStatus
from reports.alerts.jobs import alerts_refresh
from reports.models import AlertBreach, AlertKind, AlertRule
from tests.factories import TeamFactory, UserFactory, WorkstreamFactory, builtin
from tests.reports.realtime_helpers import HTMX, body, build_floor, many_reps

pytestmark = pytest.mark.django_db

M = dt.timedelta(minutes=1)


@pytest.fixture
def floor(now):
    floor = build_floor(now=now)
    # Outside the supervisor's teams, in Do not disturb for 30 minutes too.
    services.presence_set_manual(
        representative=floor.reps["outside"], status=builtin("dnd"), now=now - 30 * M
    )
    return floor


def make_rule(kind=AlertKind.REP_STATUS, *, now, name="DND over 15", **fields) -> AlertRule:
    if kind == AlertKind.REP_STATUS and "status" not in fields and "base_status" not in fields:
        fields["status"] = builtin("dnd")
    fields.setdefault("threshold", 15)
    return AlertRule.objects.create(name=name, kind=kind, created_at=now, updated_at=now, **fields)


@pytest.fixture
def breached(floor, now):
    """A DND rule and a stuck rule, run once: breaches for reps and a conversation in scope, and
    one rep (Zed Outside) outside the supervisor's teams."""
    make_rule(now=now)
    make_rule(AlertKind.CONVERSATION_STUCK, now=now, name="Stuck work", threshold=0)
    alerts_refresh(now=now)
    return floor


def breach_of(rep) -> AlertBreach:
    return AlertBreach.objects.get(representative=rep, ended_at__isnull=True)


# --- /configure/alerts/ -----------------------------------------------------------------------


def config_urls(rule) -> list[tuple[str, str]]:
    return [
        ("get", reverse("alerts:config_list")),
        ("get", reverse("alerts:config_create")),
        ("post", reverse("alerts:config_create")),
        ("get", reverse("alerts:config_edit", args=[rule.pk])),
        ("post", reverse("alerts:config_edit", args=[rule.pk])),
        ("post", reverse("alerts:config_active", args=[rule.pk])),
        ("post", reverse("alerts:config_delete", args=[rule.pk])),
    ]


def test_a3_alert_configuration_needs_configure_portal(client, now, supervisor_user, rep_user):
    rule = make_rule(now=now)
    for method, url in config_urls(rule):
        assert getattr(client, method)(url).status_code == 302  # anonymous: sign in
    for user in (supervisor_user, rep_user):
        client.force_login(user)
        for method, url in config_urls(rule):
            response = getattr(client, method)(url, {"name": "x", "kind": "queue_wait"})
            assert response.status_code == 403, url
            assert "presence.configure_portal" in body(response)
    assert AlertRule.objects.get() == rule  # nothing written, nothing deleted


def test_a4_an_admin_creates_edits_deactivates_and_deletes_an_alert_every_step_audited(
    client, now, admin_user
):
    client.force_login(admin_user)
    page = body(client.get(reverse("alerts:config_list")))
    assert "No alert yet" in page
    response = client.post(
        reverse("alerts:config_create"),
        {
            "name": "Do not disturb too long",
            "kind": "rep_status",
            "status": builtin("dnd").pk,
            "threshold": "15",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    rule = AlertRule.objects.get()
    assert (rule.kind, rule.status_id, rule.threshold, rule.is_active) == (
        "rep_status",
        builtin("dnd").pk,
        15,
        True,
    )
    page = body(client.get(reverse("alerts:config_list")))
    assert "Do not disturb for 15 minutes or longer" in page
    response = client.post(
        reverse("alerts:config_edit", args=[rule.pk]),
        {
            "name": "Inactive too long",
            "kind": "rep_status",
            "base_status": BaseStatus.AWAY,
            "threshold": "10",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.status_id, rule.base_status, rule.threshold) == (None, "away", 10)
    client.post(reverse("alerts:config_active", args=[rule.pk]), {"active": "0"})
    rule.refresh_from_db()
    assert rule.is_active is False
    client.post(reverse("alerts:config_delete", args=[rule.pk]))
    assert not AlertRule.objects.exists()
    actions = list(
        AuditLogEntry.objects.filter(object_type="alertrule")
        .order_by("pk")
        .values_list("action", "actor_name")
    )
    assert actions == [
        ("alert_rule.create", "admin1"),
        ("alert_rule.update", "admin1"),
        ("alert_rule.update", "admin1"),
        ("alert_rule.delete", "admin1"),
    ]
    edit = AuditLogEntry.objects.filter(action="alert_rule.update").order_by("pk").first()
    assert (edit.before["threshold"], edit.after["threshold"]) == (15, 10)
    assert (edit.before["status"], edit.after["base_status"]) == (builtin("dnd").pk, "away")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "rep_status", "threshold": "15"}, "Status"),
        (
            {
                "kind": "rep_status",
                "status": "STATUS",
                "base_status": "away",
                "threshold": "15",
            },
            "Status",
        ),
        ({"kind": "rep_status", "status": "STATUS", "threshold": "0"}, "Threshold"),
        ({"kind": "service_level", "threshold": "150"}, "Threshold"),
        ({"kind": "queue_wait", "threshold": "30", "team": "TEAM"}, "Team"),
        ({"kind": "free_capacity", "threshold": "-1"}, "Threshold"),
        ({"kind": "nonsense", "threshold": "5"}, "Alert when"),
        ({"kind": "queue_wait", "threshold": "lots"}, "Threshold"),
        ({"kind": "queue_wait", "threshold": "5", "name": ""}, "Name"),
    ],
)
def test_bad_alert_input_names_the_field_and_writes_nothing(client, now, admin_user, data, field):
    client.force_login(admin_user)
    team = TeamFactory()
    post = {"name": "An alert", "is_active": "on", **data}
    post = {
        k: (builtin("dnd").pk if v == "STATUS" else team.pk if v == "TEAM" else v)
        for k, v in post.items()
    }
    response = client.post(reverse("alerts:config_create"), post)
    assert response.status_code == 400
    page = body(response)
    assert "Nothing was saved." in page
    assert f"{field}:" in page
    assert not AlertRule.objects.exists()
    assert not AuditLogEntry.objects.filter(object_type="alertrule").exists()


def test_editing_a_missing_alert_is_404(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("alerts:config_edit", args=[999])).status_code == 404
    assert client.post(reverse("alerts:config_delete", args=[999])).status_code == 404


# --- Banner and badges on the live reports -----------------------------------------------------


def test_a2_the_banner_and_badges_show_the_supervisors_alerts_only(client, breached):
    floor = breached
    dnd, outside = floor.reps["dnd"], floor.reps["outside"]
    client.force_login(floor.supervisor)
    page = body(client.get(reverse("reports:agents")))
    assert 'id="alerts-banner"' in page
    assert f'data-alert-id="{breach_of(dnd).pk}"' in page
    assert "DND over 15</strong>: Di Manual DND" in page
    assert "for 35 min 00 s" in page  # time since the breach began (DND since 50 min, 15 min on)
    assert "Zed Outside" not in page
    assert f'data-alert-id="{breach_of(outside).pk}"' not in page
    row = page.split(f'id="rep-row-{dnd.pk}"')[1].split("</tr>")[0]
    assert "data-alert-badge" in row
    idle_row = page.split(f'id="rep-row-{floor.reps["idle"].pk}"')[1].split("</tr>")[0]
    assert "data-alert-badge" not in idle_row
    # The live region alone (htmx) carries the banner too.
    assert 'id="alerts-banner"' in body(client.get(reverse("reports:agents"), **HTMX))
    # The ongoing report badges the stuck conversation and lists it in the banner.
    stuck = floor.conversations["stuck"]
    page = body(client.get(reverse("reports:ongoing")))
    assert "Stuck work</strong>: Conversation" in page
    row = page.split(f'id="conversation-row-{stuck.pk}"')[1].split("</tr>")[0]
    assert "data-alert-badge" in row
    # The drill-down shows the rep's own alerts only.
    page = body(client.get(reverse("reports:agent_detail", args=[dnd.pk])))
    assert f'data-alert-id="{breach_of(dnd).pk}"' in page
    assert f'data-alert-id="{breach_of(floor.reps["full"]).pk}"' not in page
    page = body(client.get(reverse("reports:agent_detail", args=[floor.reps["idle"].pk])))
    assert 'id="alerts-banner"' not in page


def test_a2_the_banners_counts_are_those_of_the_viewers_scope(breached, rep_user, now):
    """open_alerts counts the whole scope with statements built once: the same figures as the
    scoped query's, for a supervisor, an admin and a user who sees no report, call after call."""
    from django.db.models import Count, Q

    from reports.alerts import selectors as alert_selectors

    floor = breached
    AlertBreach.objects.filter(representative=floor.reps["dnd"]).update(acknowledged_at=now)
    for user in (floor.supervisor, floor.admin, rep_user, floor.supervisor):
        expected = (
            alert_selectors.breaches_visible_to(user=user)
            .filter(ended_at__isnull=True)
            .aggregate(n=Count("pk"), u=Count("pk", filter=Q(acknowledged_at__isnull=True)))
        )
        banner = alert_selectors.open_alerts(user=user)
        assert (banner.count, banner.unacknowledged) == (expected["n"], expected["u"])
        assert len(banner.breaches) == min(banner.count, alert_selectors.BANNER_LIMIT)
    supervised = alert_selectors.open_alerts(user=floor.supervisor)
    every = alert_selectors.open_alerts(user=floor.admin)
    assert 0 < supervised.count < every.count  # A2: the outsider's breach is the admin's only
    assert supervised.unacknowledged == supervised.count - 1
    assert alert_selectors.open_alerts(user=rep_user).count == 0


def test_a2_an_admin_sees_every_alert(client, breached):
    floor = breached
    client.force_login(floor.admin)
    page = body(client.get(reverse("reports:agents")))
    assert f'data-alert-id="{breach_of(floor.reps["outside"]).pk}"' in page
    assert f'data-alert-id="{breach_of(floor.reps["dnd"]).pk}"' in page


def test_a2_team_and_floor_capacity_alerts_are_seen_by_who_sees_that_team(client, floor, now):
    make_rule(AlertKind.FREE_CAPACITY, now=now, name="Floor B low", team=floor.other_team,
              threshold=1000)  # fmt: skip
    make_rule(AlertKind.FREE_CAPACITY, now=now, name="Floor A low", team=floor.team,
              threshold=1000)  # fmt: skip
    make_rule(AlertKind.FREE_CAPACITY, now=now, name="Everyone low", threshold=1000)
    make_rule(AlertKind.QUEUE_WAIT, now=now, name="Queue waits", threshold=0)
    alerts_refresh(now=now)
    client.force_login(floor.supervisor)
    page = body(client.get(reverse("reports:agents")))
    assert "Floor A low</strong>: Team Floor A" in page
    assert "Queue waits</strong>: Queue Chat support" in page
    assert "Floor B low" not in page
    assert "Everyone low" not in page
    client.force_login(floor.admin)
    page = body(client.get(reverse("reports:agents")))
    assert "Floor B low" in page
    assert "Everyone low</strong>: Every team" in page


# --- Acknowledge -------------------------------------------------------------------------------


def test_a4_a_supervisor_acknowledges_an_alert_once_audited(client, breached, now):
    floor = breached
    breach = breach_of(floor.reps["dnd"])
    client.force_login(floor.supervisor)
    page = body(client.get(reverse("reports:agents")))
    url = reverse("reports:alert_acknowledge", args=[breach.pk])
    assert f'href="{url}?next=' in page
    confirm = client.get(url, {"next": reverse("reports:agents")})
    assert confirm.status_code == 200
    assert "Acknowledge the alert" in body(confirm)
    response = client.post(url, {"next": reverse("reports:agents")})
    assert response.status_code == 302
    assert response.url == reverse("reports:agents")
    breach.refresh_from_db()
    assert (breach.acknowledged_by, breach.acknowledged_at) == (floor.supervisor, now)
    entry = AuditLogEntry.objects.get(action="alert.acknowledge")
    assert (entry.actor, entry.object_id) == (floor.supervisor, str(breach.pk))
    page = body(client.get(reverse("reports:agents")))
    assert "Acknowledged by floor-super" in page
    again = client.post(url, {"next": reverse("reports:agents")}, follow=True)
    assert "already acknowledged by floor-super" in body(again)
    assert AuditLogEntry.objects.filter(action="alert.acknowledge").count() == 1


def test_a2_an_alert_outside_the_supervisors_teams_cannot_be_acknowledged(client, breached):
    floor = breached
    breach = breach_of(floor.reps["outside"])
    client.force_login(floor.supervisor)
    url = reverse("reports:alert_acknowledge", args=[breach.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert client.post(reverse("reports:alert_acknowledge", args=[99999])).status_code == 404
    breach.refresh_from_db()
    assert breach.acknowledged_at is None
    assert not AuditLogEntry.objects.filter(action="alert.acknowledge").exists()


def test_a3_acknowledging_needs_manage_presence(client, breached, rep_user):
    floor = breached
    viewer = UserFactory(username="viewer-only")
    group = Group.objects.create(name="Report viewers")
    group.permissions.add(Permission.objects.get(codename="view_reports"))
    viewer.groups.add(group)
    floor.team.supervisors.add(viewer)
    client.force_login(viewer)
    page = body(client.get(reverse("reports:agents")))
    assert 'id="alerts-banner"' in page
    assert "alert-ack" not in page
    breach = breach_of(floor.reps["dnd"])
    response = client.post(reverse("reports:alert_acknowledge", args=[breach.pk]))
    assert response.status_code == 403
    assert "presence.manage_presence" in body(response)
    client.force_login(rep_user)
    for url in (reverse("reports:alerts"), reverse("reports:alerts_csv")):
        response = client.get(url)
        assert response.status_code == 403
        assert "presence.view_reports" in body(response)


# --- History and CSV ---------------------------------------------------------------------------


def test_a2_the_history_lists_breaches_in_scope_with_filters(client, breached, now):
    floor = breached
    dnd = breach_of(floor.reps["dnd"])
    services.presence_set_manual(
        representative=floor.reps["dnd"], status=builtin("available"), now=now
    )
    alerts_refresh(now=now + M)  # Di's alert ends
    client.force_login(floor.supervisor)
    url = reverse("reports:alerts")
    page = body(client.get(url))
    assert f'id="breach-row-{dnd.pk}"' in page
    assert f'id="breach-row-{breach_of(floor.reps["full"]).pk}"' in page
    assert "Zed Outside" not in page
    ended = body(client.get(url, {"state": "ended"}))
    assert f'id="breach-row-{dnd.pk}"' in ended
    assert f'id="breach-row-{breach_of(floor.reps["full"]).pk}"' not in ended
    stuck_only = body(client.get(url, {"kind": "conversation_stuck"}))
    assert "Di Manual DND" not in stuck_only
    assert "Stuck work" in stuck_only
    partial = body(client.get(url, {"state": "open"}, **HTMX))
    assert partial.lstrip().startswith('<section id="alerts-results"')
    bad = client.get(url, {"start": "2036-13-45", "state": "sideways"})
    assert bad.status_code == 200
    assert "From: Enter a valid date." in body(bad)
    backwards = body(client.get(url, {"start": "2036-11-24", "end": "2036-11-20"}))
    assert "To: The end date is before the start date." in backwards
    later = body(client.get(url, {"start": "2036-11-26"}))
    assert "Di Manual DND" not in later  # ended before that day
    assert "Bea Full" in later  # still open


def test_the_csv_export_is_the_scoped_history_through_the_one_writer(client, breached, now):
    floor = breached
    AlertRule.objects.filter(name="DND over 15").update(name="=HYPERLINK(1)")
    client.force_login(floor.supervisor)
    response = client.get(reverse("reports:alerts_csv"), {"kind": "rep_status"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][4] == "Started (UTC)"
    subjects = sorted(r[3] for r in rows[1:])
    expected = sorted(
        b.representative.name
        for b in AlertBreach.objects.filter(rule__kind="rep_status").select_related(
            "representative"
        )
        if b.representative.teams.filter(pk=floor.team.pk).exists()
    )
    assert subjects == expected
    assert "Zed Outside" not in text
    assert all(r[0] == "'=HYPERLINK(1)" for r in rows[1:])  # neutralised, not a formula
    di = breach_of(floor.reps["dnd"])
    row = next(r for r in rows if r[3] == "Di Manual DND")
    assert row[4] == di.started_at.isoformat(timespec="seconds")
    assert di.started_at == now - 35 * M  # DND for 50 minutes, over 15 since 35
    assert row[5] == ""  # still open
    assert row[6] == str(35 * 60)


# --- Fixed number of queries ---------------------------------------------------------------------


@pytest.mark.parametrize("n", [5, 40])
def test_live_reports_with_open_alerts_keep_a_fixed_number_of_queries(
    n, client, now, django_assert_max_num_queries
):
    team = TeamFactory(name=f"Q team {n}")
    supervisor = UserFactory(username=f"q-sup-{n}", groups=["Supervisors"])
    team.supervisors.add(supervisor)
    ws = WorkstreamFactory()
    reps = many_reps(n, team=team, now=now - 30 * M, workstream=ws)
    for r in reps:
        services.presence_set_manual(representative=r, status=builtin("dnd"), now=now - 20 * M)
    make_rule(now=now)
    make_rule(AlertKind.CONVERSATION_STUCK, now=now, name="Stuck", threshold=0)
    alerts_refresh(now=now)
    assert AlertBreach.objects.count() == n
    client.force_login(supervisor)
    # The bounds of tests/reports/test_realtime_views.py plus the banner's rows and the badges.
    with django_assert_max_num_queries(19 + 2):
        page = body(client.get(reverse("reports:agents"), {"tab": "signed_in"}))
    assert page.count("data-alert-badge") == min(n, 25)
    with django_assert_max_num_queries(10 + 2):
        client.get(reverse("reports:ongoing"))
    with django_assert_max_num_queries(15 + 1):
        client.get(reverse("reports:agent_detail", args=[reps[0].pk]))
    with django_assert_max_num_queries(12):
        page = body(client.get(reverse("reports:alerts")))
    assert page.count("data-breach-id=") == min(n, 50)
