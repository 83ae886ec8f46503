"""`manage.py seed_demo`: the demo history obeys the rules, and the command refuses to run twice."""

import datetime as dt
from collections import defaultdict

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from presence import engine
from presence.models import (
    Conversation,
    PresenceInterval,
    PresenceStatus,
    Representative,
    RepresentativePresence,
    Team,
)
from presence.services.capacity import capacity_snapshots

# A Monday afternoon (UTC) the day after New York changed to summer time, so three days of history
# cross a DST change; and a Sunday night, when most regular shifts are over.
MONDAY_AFTER_DST = dt.datetime(2026, 3, 9, 14, 30, tzinfo=dt.UTC)
SUNDAY_NIGHT = dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC)


def seed(at: dt.datetime, **options) -> None:
    with time_machine.travel(at, tick=False):
        call_command("seed_demo", **{"reps": 20, "days": 3, "seed": 1, "verbosity": 0, **options})


def intervals_by_rep() -> dict[int, list[PresenceInterval]]:
    by_rep = defaultdict(list)
    for interval in PresenceInterval.objects.select_related("status").order_by(
        "representative_id", "start"
    ):
        by_rep[interval.representative_id].append(interval)
    return by_rep


def table_counts() -> dict[str, int]:
    models = (
        Representative,
        PresenceInterval,
        RepresentativePresence,
        Conversation,
        Team,
        PresenceStatus,
        User,
    )
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "now", [MONDAY_AFTER_DST, SUNDAY_NIGHT], ids=["monday-after-dst", "sunday-night"]
)
def test_h1_seed_demo_history_has_no_overlap_and_no_gap(now):
    seed(now)

    by_rep = intervals_by_rep()
    assert len(by_rep) >= 10  # most reps signed in at least once in three days
    assert sum(len(intervals) for intervals in by_rep.values()) > 200
    for rep_id, intervals in by_rep.items():
        for earlier, later in zip(intervals, intervals[1:], strict=False):
            assert earlier.end == later.start, f"rep {rep_id}: gap or overlap at {earlier.end}"
            assert earlier.start < earlier.end
        assert [i.end for i in intervals].count(None) == 1, f"rep {rep_id}: one open interval"
        assert intervals[-1].end is None
        assert intervals[-1].start <= now
        assert all(i.base_status == i.status.base_status for i in intervals)


@pytest.mark.django_db
def test_seed_demo_current_presence_equals_the_open_interval():
    seed(MONDAY_AFTER_DST)

    by_rep = intervals_by_rep()
    presences = RepresentativePresence.objects.select_related("status")
    assert presences.count() == Representative.objects.count() == 20
    assert 0 < presences.filter(signed_in=True).count() < 20
    for presence in presences:
        assert presence.signed_in == (presence.status.base_status != "offline")
        assert presence.saved_status_id is None
        if presence.pk not in by_rep:  # never signed in: Offline, no history (H1 starts at sign-in)
            assert (presence.status.builtin_key, presence.source) == ("offline", "sign_out")
            continue
        open_interval = by_rep[presence.pk][-1]
        assert (presence.status_id, presence.source, presence.since) == (
            open_interval.status_id,
            open_interval.source,
            open_interval.start,
        )
        assert (presence.signed_in_at is not None) == presence.signed_in


@pytest.mark.django_db
def test_p1_seed_demo_capacity_presence_matches_the_work_in_hand():
    seed(MONDAY_AFTER_DST)

    computed = RepresentativePresence.objects.filter(
        source="capacity", signed_in=True
    ).select_related("status")
    assert computed.exists()
    with time_machine.travel(MONDAY_AFTER_DST, tick=False):
        snapshots = capacity_snapshots(rep_ids=None, now=MONDAY_AFTER_DST)
    for presence in computed:
        expected = engine.capacity_presence(snapshots[presence.pk])
        assert presence.status.base_status == expected.base_status, (presence.pk, expected.reason)
    # Work still in progress belongs to signed-in reps and is active or in wrap-up (K3).
    ongoing = Conversation.objects.filter(consumes_capacity=True)
    assert ongoing.exists()
    assert set(ongoing.values_list("state", flat=True)) <= {"active", "wrap_up"}
    assert not ongoing.filter(representative__presence__signed_in=False).exists()


@pytest.mark.django_db
def test_seed_demo_creates_demo_users_who_can_sign_in(client):
    seed(MONDAY_AFTER_DST)

    admin = User.objects.get(username="admin")
    assert admin.is_staff
    assert admin.is_superuser
    assert list(admin.groups.values_list("name", flat=True)) == ["Portal admins"]
    supervisor = User.objects.get(username="supervisor")
    assert list(supervisor.groups.values_list("name", flat=True)) == ["Supervisors"]
    assert supervisor.supervised_teams.count() == 2
    rep_user = User.objects.get(username="rep")
    assert list(rep_user.groups.values_list("name", flat=True)) == ["Representatives"]
    assert rep_user.representative.external_id == "rep-0001"
    for username, password in [
        ("admin", "admin-demo-pass"),
        ("supervisor", "supervisor-demo-pass"),
        ("rep", "rep-demo-pass"),
    ]:
        assert client.login(username=username, password=password), username
        client.logout()


@pytest.mark.django_db
def test_seed_demo_refuses_a_second_run_and_writes_nothing():
    seed(MONDAY_AFTER_DST)
    before = table_counts()

    with pytest.raises(CommandError, match="already has 20 representatives; run with --reset"):
        seed(MONDAY_AFTER_DST + dt.timedelta(hours=1), reps=5)

    assert table_counts() == before


@pytest.mark.django_db
def test_seed_demo_reset_deletes_everything_and_seeds_again(client):
    seed(MONDAY_AFTER_DST)
    old_reps = set(Representative.objects.values_list("pk", flat=True))

    seed(MONDAY_AFTER_DST + dt.timedelta(days=1), reps=5, days=1, reset=True)

    assert Representative.objects.count() == 5
    assert not Representative.objects.filter(pk__in=old_reps).exists()
    assert not PresenceInterval.objects.filter(representative_id__in=old_reps).exists()
    assert (
        PresenceStatus.objects.filter(builtin_key__isnull=True).count() == 3
    )  # Training, Lunch, Coaching
    assert PresenceStatus.objects.filter(builtin_key__isnull=False).count() == 6  # built-ins stay
    assert Team.objects.count() == 5
    assert client.login(username="rep", password="rep-demo-pass")
