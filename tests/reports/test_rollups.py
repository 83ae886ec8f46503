"""Rollups of presence history (R4): incremental refresh, rebuild, retention."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from presence.models import PresenceInterval, Representative
from reports import rollups
from reports.models import DailyStatusRollup, RollupWatermark, StatusRollup
from reports.tasks import rollups_purge_task, rollups_refresh_task
from tests.factories import RepresentativeFactory, builtin
from tests.reports.history_helpers import direct_seconds, write_history

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 28, 22, 7, 13, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def rolled(rep=None) -> dict:
    """{(status id, base): seconds} of every rollup row (of one rep)."""
    rows = StatusRollup.objects.all()
    if rep is not None:
        rows = rows.filter(representative=rep)
    out: dict = {}
    for status_id, base, seconds in rows.values_list("status_id", "base_status", "seconds"):
        out[(status_id, base)] = out.get((status_id, base), 0) + seconds
    return out


def key(status):
    return (status.pk, status.base_status)


def test_r4_open_interval_is_counted_up_to_now_and_replaced_not_added():
    rep = RepresentativeFactory()
    available, busy = builtin("available"), builtin("busy")
    (first,) = write_history(rep, T0, [(available, 1)])
    rollups.rollups_refresh(now=at(600))
    assert rolled(rep) == {key(available): 600}
    rollups.rollups_refresh(now=at(1200))  # still open: 1200 s, not 600 + 1200
    assert rolled(rep) == {key(available): 1200}
    # The rep changes status at 1000 s: H1 closes the interval by UPDATE, opens the next.
    PresenceInterval.objects.filter(pk=first.pk).update(end=at(1000))
    write_history(rep, at(1000), [(busy, 1)])
    rollups.rollups_refresh(now=at(1500))
    assert rolled(rep) == {key(available): 1000, key(busy): 500}


def test_r4_event_committed_late_within_the_margin_is_corrected():
    """A transaction that started before a refresh (its `now` is earlier) but committed after it
    is picked up by the next refresh: the margin re-reads the last minutes."""
    rep = RepresentativeFactory()
    available, away = builtin("available"), builtin("away")
    (first,) = write_history(rep, T0, [(available, 1)])
    rollups.rollups_refresh(now=at(3600))
    PresenceInterval.objects.filter(pk=first.pk).update(end=at(3570))
    write_history(rep, at(3570), [(away, 1)])
    rollups.rollups_refresh(now=at(3660))
    assert rolled(rep) == {key(available): 3570, key(away): 90}


def test_r4_refresh_is_idempotent_and_ignores_an_older_now():
    rep = RepresentativeFactory()
    write_history(rep, T0, [(builtin("available"), 4000), (builtin("busy"), 1)])
    rollups.rollups_refresh(now=at(7200))
    before = sorted(
        StatusRollup.objects.values_list("representative_id", "bucket", "status_id", "seconds")
    )
    assert rollups.rollups_refresh(now=at(7200)) == 0
    assert rollups.rollups_refresh(now=at(7000)) == 0
    after = sorted(
        StatusRollup.objects.values_list("representative_id", "bucket", "status_id", "seconds")
    )
    assert before == after
    assert RollupWatermark.objects.get().computed_until == at(7200)


def test_r4_buckets_are_15_minutes_and_split_exactly():
    rep = RepresentativeFactory()
    available = builtin("available")
    write_history(
        rep,
        dt.datetime(2026, 1, 1, 0, 10, tzinfo=dt.UTC),
        [(available, 600), (builtin("busy"), 300)],
        open_last=False,
    )
    rollups.rollups_refresh(now=dt.datetime(2026, 1, 1, 1, tzinfo=dt.UTC))
    rows = list(
        StatusRollup.objects.order_by("bucket", "base_status").values_list(
            "bucket", "base_status", "seconds"
        )
    )
    b0 = int(dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp())
    assert rows == [(b0, "available", 300), (b0 + 900, "available", 300), (b0 + 900, "busy", 300)]


def test_r4_recompute_of_a_range_equals_history(django_assert_max_num_queries):
    reps = [RepresentativeFactory() for _ in range(3)]
    statuses = [builtin("available"), builtin("busy"), builtin("offline"), builtin("dnd")]
    histories = {}
    for n, rep in enumerate(reps):
        pieces = [(statuses[(n + i) % 4], 977 * (i + 1) + n) for i in range(12)]
        histories[rep.pk] = write_history(rep, at(n * 61), pieces)
    now = at(86400)
    with django_assert_max_num_queries(8), transaction.atomic():
        rollups.rollups_recompute(start=T0 - dt.timedelta(hours=1), end=now, now=now)
    for rep in reps:
        assert rolled(rep) == direct_seconds(
            histories[rep.pk], T0 - dt.timedelta(hours=1), now, now
        )


def test_r4_rebuild_rollups_command_recomputes_a_date_range(capsys):
    rep = RepresentativeFactory()
    intervals = write_history(
        rep,
        dt.datetime(2026, 2, 1, 23, 30, tzinfo=dt.UTC),
        [(builtin("available"), 3600 * 30), (builtin("away"), 900)],
        open_last=False,
    )
    call_command("rebuild_rollups", "--start", "2026-02-01", "--end", "2026-02-03", "--no-progress")
    assert rolled(rep) == direct_seconds(
        intervals,
        dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 2, 4, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
    )
    assert "Rebuilt 3 day(s)" in capsys.readouterr().out
    StatusRollup.objects.all().delete()
    call_command("rebuild_rollups", "--start", "2026-02-02", "--end", "2026-02-02", "--no-progress")
    assert sum(rolled(rep).values()) == 86400


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2026-02-31", "--end", "2026-03-01"], "Not a date"),
        (["--start", "2026-03-02", "--end", "2026-03-01"], "before --start"),
    ],
)
def test_rebuild_rollups_refuses_bad_dates(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("rebuild_rollups", *args, "--no-progress")


def test_r4_retention_purge_deletes_rollups_and_intervals_older_than_the_setting(settings):
    settings.REPORT_RETENTION_MONTHS = 2
    rep = RepresentativeFactory()
    old = write_history(
        rep,
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        [(builtin("available"), 3600), (builtin("busy"), 3600 * 24 * 40), (builtin("away"), 60)],
    )
    rollups.rollups_refresh(now=dt.datetime(2026, 2, 12, tzinfo=dt.UTC))
    now = dt.datetime(2026, 3, 31, 12, tzinfo=dt.UTC)
    assert rollups.retention_cutoff(now=now) == dt.datetime(2026, 1, 31, 12, tzinfo=dt.UTC)
    deleted = rollups_purge_task(now.isoformat())
    assert deleted["intervals"] == 1  # the first one; the 40-day one ends after the cutoff
    assert not PresenceInterval.objects.filter(pk=old[0].pk).exists()
    first_bucket = StatusRollup.objects.order_by("bucket").values_list("bucket", flat=True).first()
    assert first_bucket >= int(dt.datetime(2026, 1, 31, 12, tzinfo=dt.UTC).timestamp())
    assert deleted["rollups"] > 0
    assert not DailyStatusRollup.objects.filter(
        day__lt=int(dt.datetime(2026, 1, 31, tzinfo=dt.UTC).timestamp())
    ).exists()


def test_purge_history_command(settings, capsys):
    settings.REPORT_RETENTION_MONTHS = 24
    call_command("purge_history")
    assert "Deleted 0 rollup rows and 0 intervals" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("purge_history", "--months", "0")


def test_r4_refresh_task_takes_an_iso_string():
    rep = RepresentativeFactory()
    write_history(rep, T0, [(builtin("available"), 1)])
    rollups_refresh_task(at(300).isoformat())
    assert rolled(rep) == {key(builtin("available")): 300}
    assert Representative.objects.count() == 1


def test_r4_finished_utc_days_are_summed_into_daily_rows():
    rep = RepresentativeFactory()
    available, busy = builtin("available"), builtin("busy")
    write_history(
        rep, dt.datetime(2026, 5, 1, 20, tzinfo=dt.UTC), [(available, 3600 * 10), (busy, 3600 * 30)]
    )
    day = lambda d: int(dt.datetime(2026, 5, d, tzinfo=dt.UTC).timestamp())  # noqa: E731
    rollups.rollups_refresh(now=dt.datetime(2026, 5, 3, 12, tzinfo=dt.UTC))
    daily = sorted(DailyStatusRollup.objects.values_list("day", "base_status", "seconds"))
    # May 1 and 2 are over; May 3 is running and has no daily row yet.
    assert daily == [
        (day(1), "available", 4 * 3600),
        (day(2), "available", 6 * 3600),
        (day(2), "busy", 18 * 3600),
    ]
    rollups.rollups_refresh(now=dt.datetime(2026, 5, 4, 0, 1, tzinfo=dt.UTC))
    assert (
        DailyStatusRollup.objects.filter(day=day(3)).values_list("seconds", flat=True).get()
        == 86400
    )
