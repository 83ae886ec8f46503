"""Alerts: the periodic job opens a breach per subject past a rule and closes it when the
condition ends (set-based, idempotent), and every condition equals an independent computation
from the raw rows (plain Python over the tables, no reports code)."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from portal import periodic
from presence import services
from presence.models import (
    BaseStatus,
    Conversation,
    ConversationState,
    Representative,
    RepresentativePresence,
)
from reports.alerts.jobs import alerts_refresh
from reports.alerts.selectors import free_units
from reports.models import AlertBreach, AlertKind, AlertRule
from reports.realtime.selectors.queues import day_start_in
from tests.factories import (
    PresenceStatusFactory,
    RepresentativeFactory,
    TeamFactory,
    WorkstreamFactory,
    builtin,
)
from tests.reports.queues_helpers import expected_queues
from tests.reports.realtime_helpers import assign, build_floor

pytestmark = pytest.mark.django_db

M = dt.timedelta(minutes=1)


def rule(kind, *, threshold=0, now, **fields) -> AlertRule:
    return AlertRule.objects.create(
        name=f"{kind} {threshold}",
        kind=kind,
        threshold=threshold,
        created_at=now,
        updated_at=now,
        **fields,
    )


def open_subjects(r: AlertRule) -> set[int]:
    return set(
        AlertBreach.objects.filter(rule=r, ended_at__isnull=True).values_list(
            "subject_id", flat=True
        )
    )


# --- Independent computations from raw rows ------------------------------------------------------


def expected_rep_status(r: AlertRule, *, now) -> set[int]:
    out = set()
    for p in RepresentativePresence.objects.select_related("status"):
        same = p.status_id == r.status_id if r.status_id else p.status.base_status == r.base_status
        if same and (now - p.since) >= dt.timedelta(minutes=r.threshold):
            out.add(p.pk)
    return out


def expected_stuck(r: AlertRule, *, now) -> set[int]:
    limit = dt.timedelta(seconds=settings.CONVERSATION_STUCK_AFTER_SECONDS)
    return {
        c.pk
        for c in Conversation.objects.all()
        if c.state in (ConversationState.ACTIVE, ConversationState.WRAP_UP)
        and now - c.last_activity_at >= limit
        and (not r.workstream_id or c.workstream_id == r.workstream_id)
    }


def expected_queue_wait(r: AlertRule, *, now) -> set[int]:
    return {
        c.workstream_id
        for c in Conversation.objects.all()
        if c.state == ConversationState.OPEN
        and (now - c.state_changed_at).total_seconds() >= r.threshold
        and (not r.workstream_id or c.workstream_id == r.workstream_id)
    }


def expected_service_level(r: AlertRule, *, now) -> dict[int, tuple[int, int]]:
    """{workstream: (answered within its threshold, answered)} today, as the queues page counts
    them (tests.reports.queues_helpers.expected_queues: raw rows, each workstream's own zone and
    service_level_seconds); workstreams with nothing answered today have no figure."""
    figures = expected_queues(rep_ids=set(), now=now)  # answers are the whole queue's
    return {
        ws: (f["within_service_level"], f["answered"])
        for ws, f in figures.items()
        if f["answered"] and (not r.workstream_id or ws == r.workstream_id)
    }


def expected_service_level_breaches(r: AlertRule, *, now) -> set[int]:
    return {
        ws for ws, (within, n) in expected_service_level(r, now=now).items()
        if within * 100 < r.threshold * n
    }  # fmt: skip


def expected_free_units(team_id) -> int:
    reps = {
        r.pk: r
        for r in Representative.objects.prefetch_related("teams")
        if not team_id or team_id in {t.pk for t in r.teams.all()}
    }
    on = {
        p.pk
        for p in RepresentativePresence.objects.select_related("status")
        if p.pk in reps and p.status.base_status != BaseStatus.OFFLINE
    }
    total = sum(reps[pk].capacity_units for pk in on)
    used = sum(
        c.units
        for c in Conversation.objects.all()
        if c.representative_id in on
        and c.consumes_capacity
        and c.state in (ConversationState.ACTIVE, ConversationState.WRAP_UP)
        and reps[c.representative_id].capacity_units > 0
    )
    return total - used


# --- Each kind ----------------------------------------------------------------------------------


def test_a_rep_in_do_not_disturb_past_the_threshold_opens_one_breach_until_they_change(now):
    team = TeamFactory()
    ada = RepresentativeFactory(name="Ada", teams=[team])
    services.client_connect(representative=ada, now=now - 30 * M)
    services.presence_set_manual(representative=ada, status=builtin("dnd"), now=now - 20 * M)
    dnd = rule(AlertKind.REP_STATUS, threshold=15, status=builtin("dnd"), now=now)
    longer = rule(AlertKind.REP_STATUS, threshold=25, status=builtin("dnd"), now=now)

    assert alerts_refresh(now=now) == 1
    assert open_subjects(dnd) == {ada.pk}
    assert open_subjects(longer) == set()
    breach = AlertBreach.objects.get(rule=dnd)
    assert (breach.subject_type, breach.representative_id, breach.started_at) == (
        "representative",
        ada.pk,
        now - 5 * M,  # when the threshold was passed: DND since 20 minutes, 15 minutes on
    )
    assert alerts_refresh(now=now + M) == 0  # idempotent: still one open breach
    assert AlertBreach.objects.filter(rule=dnd).count() == 1
    assert alerts_refresh(now=now + 5 * M) == 1  # the longer rule passes its threshold too

    services.presence_set_manual(representative=ada, status=builtin("available"), now=now + 6 * M)
    assert alerts_refresh(now=now + 7 * M) == 2
    breach.refresh_from_db()
    assert breach.ended_at == now + 7 * M
    assert open_subjects(dnd) == set()
    assert open_subjects(longer) == set()


def test_a_base_status_rule_counts_every_status_of_that_base(now):
    ada, bea = RepresentativeFactory(name="Ada"), RepresentativeFactory(name="Bea")
    training = PresenceStatusFactory(name="Training", base_status="away")
    for r in (ada, bea):
        services.client_connect(representative=r, now=now - 30 * M)
    services.presence_set_manual(representative=ada, status=training, now=now - 16 * M)
    services.presence_set_manual(representative=bea, status=builtin("away"), now=now - 10 * M)
    away = rule(AlertKind.REP_STATUS, threshold=15, base_status=BaseStatus.AWAY, now=now)
    alerts_refresh(now=now)
    assert open_subjects(away) == {ada.pk} == expected_rep_status(away, now=now)
    alerts_refresh(now=now + 5 * M)
    assert open_subjects(away) == {ada.pk, bea.pk} == expected_rep_status(away, now=now + 5 * M)


def test_v3_a_stuck_conversation_opens_a_breach_until_it_moves(now):
    ws, other = WorkstreamFactory(name="Chat"), WorkstreamFactory(name="Mail")
    ada = RepresentativeFactory(name="Ada")
    services.client_connect(representative=ada, now=now - 6 * 60 * M)
    old = assign(ada, ws, now=now - 5 * 60 * M, force=True)
    elsewhere = assign(ada, other, now=now - 5 * 60 * M, force=True)
    assign(ada, ws, now=now - 10 * M, force=True)
    every = rule(AlertKind.CONVERSATION_STUCK, now=now)
    chat_only = rule(AlertKind.CONVERSATION_STUCK, workstream=ws, now=now)
    alerts_refresh(now=now)
    assert open_subjects(every) == {old.pk, elsewhere.pk} == expected_stuck(every, now=now)
    assert open_subjects(chat_only) == {old.pk} == expected_stuck(chat_only, now=now)
    services.conversation_end(conversation=old, now=now + M)  # activity: no longer stuck
    alerts_refresh(now=now + 2 * M)
    assert open_subjects(every) == {elsewhere.pk}
    assert AlertBreach.objects.get(rule=chat_only).ended_at == now + 2 * M


def test_a_queue_whose_longest_wait_passes_the_threshold_opens_a_breach(now):
    chat, mail = WorkstreamFactory(name="Chat"), WorkstreamFactory(name="Mail")
    waiting = services.conversation_create(workstream=chat, now=now - 3 * M)
    services.conversation_create(workstream=mail, now=now - M)
    wait = rule(AlertKind.QUEUE_WAIT, threshold=120, now=now)
    alerts_refresh(now=now)
    assert open_subjects(wait) == {chat.pk} == expected_queue_wait(wait, now=now)
    alerts_refresh(now=now + 2 * M)
    assert open_subjects(wait) == {chat.pk, mail.pk} == expected_queue_wait(wait, now=now + 2 * M)
    ada = RepresentativeFactory()
    services.client_connect(representative=ada, now=now)
    services.conversation_assign(conversation=waiting, representative=ada, now=now + 3 * M)
    alerts_refresh(now=now + 3 * M)
    assert open_subjects(wait) == {mail.pk} == expected_queue_wait(wait, now=now + 3 * M)


def test_service_level_under_the_threshold_equals_a_count_by_hand(now):
    """The queues page's service level: answered today, within the workstream's own threshold;
    an unanswered or closed-before-answer conversation is no figure yet."""
    chat = WorkstreamFactory(name="Chat", service_level_seconds=20)
    mail = WorkstreamFactory(name="Mail", service_level_seconds=20)
    ada = RepresentativeFactory(capacity_units=0)
    services.client_connect(representative=ada, now=now - 60 * M)
    start = max(day_start_in(ZoneInfo(chat.timezone), now=now), now - 50 * M)
    # Chat: 1 answered in 10 s, 1 answered in 40 s, 1 waiting unanswered: 1 of 2 in time.
    fast = services.conversation_create(workstream=chat, now=start)
    services.conversation_assign(
        conversation=fast, representative=ada, now=start + dt.timedelta(seconds=10)
    )
    slow = services.conversation_create(workstream=chat, now=start + M)
    services.conversation_assign(
        conversation=slow, representative=ada, now=start + M + dt.timedelta(seconds=40)
    )
    services.conversation_create(workstream=chat, now=now - M)
    # Mail: one answered in 5 s, one closed within 10 s unanswered (not counted): 1 of 1.
    quick = services.conversation_create(workstream=mail, now=start)
    services.conversation_assign(
        conversation=quick, representative=ada, now=start + dt.timedelta(seconds=5)
    )
    gone = services.conversation_create(workstream=mail, now=start + 2 * M)
    services.conversation_close(conversation=gone, now=start + 2 * M + dt.timedelta(seconds=10))
    level = rule(AlertKind.SERVICE_LEVEL, threshold=80, now=now)
    alerts_refresh(now=now)
    by_hand = expected_service_level(level, now=now)
    assert by_hand == {chat.pk: (1, 2), mail.pk: (1, 1)}
    assert open_subjects(level) == expected_service_level_breaches(level, now=now) == {chat.pk}
    low = rule(AlertKind.SERVICE_LEVEL, threshold=50, workstream=chat, now=now)
    alerts_refresh(now=now)
    assert open_subjects(low) == set()  # 50 % is not under 50 %
    # The workstream's threshold is the one: at 40 s, Chat answers 2 of 2 in time.
    chat.service_level_seconds = 40
    chat.save()
    alerts_refresh(now=now + M)
    assert open_subjects(level) == set()


def test_free_capacity_of_a_team_and_of_the_floor_equals_a_count_by_hand(now):
    floor = build_floor(now=now)
    for team_id in (None, floor.team.pk, floor.other_team.pk):
        assert free_units(team_id=team_id) == expected_free_units(team_id)
    mine = expected_free_units(floor.team.pk)
    team_low = rule(AlertKind.FREE_CAPACITY, threshold=mine + 1, team=floor.team, now=now)
    team_ok = rule(AlertKind.FREE_CAPACITY, threshold=mine, team=floor.team, now=now)
    everyone = rule(AlertKind.FREE_CAPACITY, threshold=expected_free_units(None) + 1, now=now)
    alerts_refresh(now=now)
    assert open_subjects(team_low) == {floor.team.pk}
    assert open_subjects(team_ok) == set()
    assert open_subjects(everyone) == {0}
    breach = AlertBreach.objects.get(rule=team_low)
    assert (breach.subject_type, breach.team_id) == ("team", floor.team.pk)
    assert AlertBreach.objects.get(rule=everyone).subject_type == "floor"
    # A rep of the team signs out: the team's free capacity drops by their free units.
    assert alerts_refresh(now=now + M) == 0


def test_every_alert_of_a_floor_equals_the_independent_computation(now):
    floor = build_floor(now=now)
    rules = [
        rule(AlertKind.REP_STATUS, threshold=30, status=builtin("dnd"), now=now),
        rule(AlertKind.REP_STATUS, threshold=1, base_status=BaseStatus.AWAY, now=now),
        rule(AlertKind.REP_STATUS, threshold=60, base_status=BaseStatus.OFFLINE, now=now),
        rule(AlertKind.CONVERSATION_STUCK, now=now),
        rule(AlertKind.QUEUE_WAIT, threshold=1, now=now),
    ]
    for later in (0, 60, 600):
        at = now + dt.timedelta(seconds=later)
        alerts_refresh(now=at)
        for r in rules:
            if r.kind == AlertKind.REP_STATUS:
                expected = expected_rep_status(r, now=at)
            elif r.kind == AlertKind.CONVERSATION_STUCK:
                expected = expected_stuck(r, now=at)
            else:
                expected = expected_queue_wait(r, now=at)
            assert open_subjects(r) == expected, r.name
    assert floor.reps["dnd"].pk in open_subjects(rules[0])  # manual; "full" is there by capacity
    assert floor.conversations["stuck"].pk in open_subjects(rules[3])


def test_an_inactive_rule_opens_nothing_and_its_open_breaches_close(now):
    ada = RepresentativeFactory()
    services.client_connect(representative=ada, now=now - 30 * M)
    services.presence_set_manual(representative=ada, status=builtin("dnd"), now=now - 20 * M)
    dnd = rule(AlertKind.REP_STATUS, threshold=15, status=builtin("dnd"), now=now)
    off = rule(AlertKind.REP_STATUS, threshold=15, status=builtin("dnd"), now=now)
    off.is_active = False
    off.save()
    alerts_refresh(now=now)
    assert open_subjects(off) == set()
    assert open_subjects(dnd) == {ada.pk}
    AlertRule.objects.filter(pk=dnd.pk).update(is_active=False)
    assert alerts_refresh(now=now + M) == 1
    assert open_subjects(dnd) == set()


def test_the_job_is_registered_and_runs_in_every_tick(now):
    assert periodic.JOBS["report_alerts"] is alerts_refresh
    names = list(periodic.JOBS)
    assert names.index("report_alerts") < names.index("report_rollups")


def test_the_job_reads_a_fixed_number_of_queries_whatever_the_number_of_reps(
    now, django_assert_max_num_queries
):
    team = TeamFactory()
    dnd = rule(AlertKind.REP_STATUS, threshold=5, status=builtin("dnd"), now=now)
    rule(AlertKind.QUEUE_WAIT, threshold=5, now=now)
    rule(AlertKind.CONVERSATION_STUCK, now=now)
    rule(AlertKind.SERVICE_LEVEL, threshold=90, now=now)
    rule(AlertKind.FREE_CAPACITY, threshold=5, team=team, now=now)

    def add_reps(n):
        for _ in range(n):
            r = RepresentativeFactory(teams=[team], capacity_units=2)
            services.client_connect(representative=r, now=now - 30 * M)
            services.presence_set_manual(representative=r, status=builtin("dnd"), now=now - 20 * M)

    add_reps(2)
    with CaptureQueriesContext(connection) as few:
        alerts_refresh(now=now)
    AlertBreach.objects.all().delete()
    add_reps(40)
    with django_assert_max_num_queries(len(few)):
        alerts_refresh(now=now)
    assert len(open_subjects(dnd)) == 42


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the built-ins
def test_two_workers_running_the_job_at_once_open_each_breach_once():
    """Two threads, two connections, the same `now`: ON CONFLICT DO NOTHING against the partial
    unique constraint; run many rounds so the inserts really overlap."""
    from tests.clock import T0 as now

    reps = []
    for i in range(40):
        r = RepresentativeFactory(name=f"Rep {i}")
        services.client_connect(representative=r, now=now - 30 * M)
        services.presence_set_manual(representative=r, status=builtin("dnd"), now=now - 20 * M)
        reps.append(r)
    rules = [
        rule(AlertKind.REP_STATUS, threshold=m, status=builtin("dnd"), now=now)
        for m in range(1, 11)
    ]
    barrier = threading.Barrier(2)
    errors = []
    counts = []

    def worker():
        try:
            barrier.wait()
            counts.append(alerts_refresh(now=now))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert connection.vendor == "postgresql"
    assert AlertBreach.objects.count() == 40 * 10
    assert sum(counts) == 40 * 10  # each breach opened by exactly one of the two
    for r in rules:
        assert open_subjects(r) == {rep.pk for rep in reps}


def test_an_opened_or_ended_breach_is_pushed_to_the_live_reports(
    now, monkeypatch, django_capture_on_commit_callbacks
):
    from portal.live import bus

    sent = []
    monkeypatch.setattr(bus, "_send", sent.extend)  # each commit's changes: (kind, reps, queue)
    ada = RepresentativeFactory()
    services.client_connect(representative=ada, now=now - 30 * M)
    services.presence_set_manual(representative=ada, status=builtin("dnd"), now=now - 20 * M)
    rule(AlertKind.REP_STATUS, threshold=15, status=builtin("dnd"), now=now)
    chat = WorkstreamFactory()
    services.conversation_create(workstream=chat, now=now - 5 * M)
    rule(AlertKind.QUEUE_WAIT, threshold=60, now=now)
    with django_capture_on_commit_callbacks(execute=True):
        alerts_refresh(now=now)
    assert ("presence", {ada.pk}, False) in sent
    assert ("presence", set(), True) in sent  # a queue's alert: every ongoing report
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        alerts_refresh(now=now + M)  # nothing changed: nothing pushed
    assert sent == []
    services.presence_set_manual(representative=ada, status=builtin("available"), now=now + M)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        alerts_refresh(now=now + 2 * M)  # Ada's alert ends: her reports are told
    assert sent == [("presence", {ada.pk}, False)]


def test_the_celery_task_runs_the_job_at_the_iso_time_it_is_given(now):
    from portal.celery import beat_schedule
    from reports.tasks import alerts_refresh_task

    ada = RepresentativeFactory()
    services.client_connect(representative=ada, now=now - 30 * M)
    services.presence_set_manual(representative=ada, status=builtin("dnd"), now=now - 20 * M)
    dnd = rule(AlertKind.REP_STATUS, threshold=15, status=builtin("dnd"), now=now)
    assert alerts_refresh_task.name == "reports.alerts_refresh"
    assert alerts_refresh_task((now - 10 * M).isoformat()) == 0  # 10 minutes in: not yet
    assert alerts_refresh_task(now.isoformat()) == 1
    assert open_subjects(dnd) == {ada.pk}
    entry = beat_schedule()["reports.alerts_refresh"]
    assert entry["task"] == "reports.alerts_refresh"
    assert entry["schedule"] == float(settings.PRESENCE_TICK_EVERY_SECONDS)
