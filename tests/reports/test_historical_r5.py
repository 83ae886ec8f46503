"""R5: report figures equal what history says, to the second, with days and hours cut in the
chosen time zone (DST days of 23 and 25 hours, half- and quarter-hour offsets)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from presence.models import PresenceInterval, Representative
from reports import rollups
from reports.historical import selectors
from reports.models import DailyStatusRollup, RollupWatermark, StatusRollup
from tests.factories import PresenceStatusFactory, RepresentativeFactory, builtin
from tests.reports.history_helpers import direct_seconds, local_day_edges, write_history

pytestmark = pytest.mark.django_db

# Zone -> days around which histories are drawn (DST changes where the zone has them).
ZONES = {
    "Europe/Paris": [dt.date(2026, 3, 29), dt.date(2026, 10, 25)],
    "America/New_York": [dt.date(2026, 3, 8), dt.date(2026, 11, 1)],
    "Asia/Kolkata": [dt.date(2026, 6, 1)],
    "Asia/Kathmandu": [dt.date(2026, 6, 1)],
    "Australia/Lord_Howe": [dt.date(2026, 4, 5), dt.date(2026, 10, 4)],
    "UTC": [dt.date(2026, 1, 1)],
}
HYPOTHESIS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def statuses(db):
    return [
        builtin("available"),
        builtin("busy"),
        builtin("dnd"),
        builtin("away"),
        builtin("offline"),
        builtin("inactive"),
        PresenceStatusFactory(name="Training", base_status="away"),
        PresenceStatusFactory(name="Back office", base_status="busy"),
    ]


@st.composite
def histories(draw):
    zone = draw(st.sampled_from(sorted(ZONES)))
    day = draw(st.sampled_from(ZONES[zone]))
    offset = draw(st.integers(-30 * 3600, 30 * 3600))
    micro = draw(st.integers(0, 999_999))
    pieces = draw(
        st.lists(st.tuples(st.integers(0, 7), st.integers(0, 5 * 3600)), min_size=1, max_size=20)
    )
    split = draw(st.integers(1, len(pieces)))
    into = draw(st.floats(0, 1))
    open_last = draw(st.booleans())
    after = draw(st.integers(1, 3 * 3600))
    return zone, day, offset, micro, pieces, split, into, open_last, after


def hour_edges(window: selectors.Window) -> list[tuple[dt.datetime, dt.datetime]]:
    """Local hour starts found independently: every UTC quarter hour whose local minute is 0."""
    starts, moment = [window.start], window.start
    while moment < window.end:
        moment += dt.timedelta(minutes=15)
        local = moment.astimezone(window.tz)
        if (
            moment < window.end
            and local.minute == 0
            or (
                moment < window.end
                and local.utcoffset()
                != (moment - dt.timedelta(minutes=15)).astimezone(window.tz).utcoffset()
            )
        ):
            starts.append(moment)
    return list(zip(starts, [*starts[1:], window.end], strict=False))


def reset():
    DailyStatusRollup.objects.all().delete()
    StatusRollup.objects.all().delete()
    RollupWatermark.objects.all().delete()
    PresenceInterval.objects.all().delete()


@HYPOTHESIS
@given(case=histories())
def test_r5_report_equals_history_to_the_second_in_every_zone(statuses, case):
    zone, day, offset, micro, pieces, split, into, open_last, after = case
    reset()
    tz = ZoneInfo(zone)
    rep = Representative.objects.first() or RepresentativeFactory()
    start = selectors.local_midnight(day, tz) + dt.timedelta(seconds=offset, microseconds=micro)
    pieces = [(statuses[i], seconds) for i, seconds in pieces]

    # History arrives over time: the first `split` pieces, a refresh while the last is open,
    # then the rest (the open one closed by UPDATE as H1 does), then a final refresh.
    first = write_history(rep, start, pieces[:split], open_last=True)
    head_seconds = sum(s for _, s in pieces[: split - 1])
    cut = start + dt.timedelta(seconds=head_seconds + int(pieces[split - 1][1] * into))
    rollups.rollups_refresh(now=cut)
    end_of_split = start + dt.timedelta(seconds=head_seconds + pieces[split - 1][1])
    if split < len(pieces) or not open_last:
        PresenceInterval.objects.filter(pk=first[-1].pk).update(end=end_of_split)
    rest = (
        write_history(rep, end_of_split, pieces[split:], open_last=open_last)
        if split < len(pieces)
        else []
    )
    intervals = list(PresenceInterval.objects.filter(representative=rep).order_by("start", "id"))
    last_end = start + dt.timedelta(seconds=sum(s for _, s in pieces))
    now = max(last_end, cut) + dt.timedelta(seconds=after)
    rollups.rollups_refresh(now=now)
    assert len(intervals) == len(first) + len(rest)

    window = selectors.report_window(
        date_from=day - dt.timedelta(days=1), date_to=day + dt.timedelta(days=1), tz=tz
    )
    assert window.aligned
    reps = Representative.objects.filter(pk=rep.pk)

    # Per rep over the whole range, from rollups and from raw history.
    expected = direct_seconds(intervals, window.start, window.end, now)
    assert (
        dict(selectors.status_seconds_by_rep(reps=reps, window=window, now=now)[rep.pk]) == expected
    )
    assert (
        dict(selectors.status_seconds_by_rep(reps=reps, window=window, now=now, raw=True)[rep.pk])
        == expected
    )

    # Per local day (23, 24 or 25 hours).
    by_day = selectors.status_seconds_by_day(reps=reps, window=window, now=now)
    assert by_day == selectors.status_seconds_by_day(reps=reps, window=window, now=now, raw=True)
    for d in window.days():
        assert by_day[d] == direct_seconds(intervals, *local_day_edges(d, tz), now)

    # Per local hour, keyed by the UTC start of the local hour.
    rows = {row["hour"]: row for row in selectors.hourly_detail(reps=reps, window=window, now=now)}
    for a, b in hour_edges(window):
        truth = direct_seconds(intervals, a, b, now)
        row = rows.get(int(a.timestamp()), dict.fromkeys(selectors.BASES, 0))
        for base in selectors.BASES:
            assert row[base] == sum(s for (_, bs), s in truth.items() if bs == base), (a, base)
    assert sum(sum(r[b] for b in selectors.BASES) for r in rows.values()) == sum(expected.values())


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("Europe/Paris", dt.date(2026, 3, 29), 23),
        ("Europe/Paris", dt.date(2026, 10, 25), 25),
        ("America/New_York", dt.date(2026, 3, 8), 23),
        ("America/New_York", dt.date(2026, 11, 1), 25),
        ("Asia/Kolkata", dt.date(2026, 3, 29), 24),
    ],
)
def test_r5_time_in_status_adds_up_to_wall_time_of_a_dst_day(statuses, zone, day, hours):
    tz = ZoneInfo(zone)
    rep = RepresentativeFactory()
    a, b = local_day_edges(day, tz)
    # Signed in all day: statuses change every 47 minutes, across midnight on both sides.
    start = a - dt.timedelta(hours=3)
    pieces = [
        (statuses[i % 4], 47 * 60) for i in range(int((b - start).total_seconds() // 2820) + 5)
    ]
    write_history(rep, start, pieces)
    now = b + dt.timedelta(hours=5)
    rollups.rollups_refresh(now=now)
    window = selectors.report_window(date_from=day, date_to=day, tz=tz)
    reps = Representative.objects.filter(pk=rep.pk)
    totals = selectors.status_seconds_by_rep(reps=reps, window=window, now=now)[rep.pk]
    assert sum(totals.values()) == hours * 3600
    hourly = list(selectors.hourly_detail(reps=reps, window=window, now=now))
    assert len(hourly) == hours
    assert all(sum(r[base] for base in selectors.BASES) == 3600 for r in hourly)
    assert len(window.local_hours()) == hours


def test_r5_repeated_hour_of_a_25_hour_day_is_two_rows(statuses):
    tz = ZoneInfo("Europe/Paris")
    rep = RepresentativeFactory()
    write_history(rep, dt.datetime(2026, 10, 24, 22, tzinfo=dt.UTC), [(statuses[0], 3 * 3600)])
    now = dt.datetime(2026, 10, 25, 6, tzinfo=dt.UTC)
    rollups.rollups_refresh(now=now)
    window = selectors.report_window(
        date_from=dt.date(2026, 10, 25), date_to=dt.date(2026, 10, 25), tz=tz
    )
    rows = list(selectors.hourly_detail(reps=Representative.objects.all(), window=window, now=now))
    labels = [selectors.epoch_to_local(r["hour"], tz).strftime("%H:%M%z") for r in rows[:4]]
    assert labels == ["00:00+0200", "01:00+0200", "02:00+0200", "02:00+0100"]


def test_r5_zone_with_an_offset_off_the_quarter_hour_is_computed_from_raw_history(statuses):
    """Africa/Monrovia was UTC-0:44:30 until 1972: local hours are not bucket edges, so the
    report computes from raw intervals and still matches history to the second."""
    tz = ZoneInfo("Africa/Monrovia")
    rep = RepresentativeFactory()
    start = dt.datetime(1971, 5, 1, 20, 3, 7, tzinfo=dt.UTC)
    intervals = write_history(rep, start, [(statuses[i % 3], 1800 + 37 * i) for i in range(40)])
    now = dt.datetime(1971, 5, 3, 12, tzinfo=dt.UTC)
    window = selectors.report_window(
        date_from=dt.date(1971, 5, 1), date_to=dt.date(1971, 5, 3), tz=tz
    )
    assert not window.aligned
    reps = Representative.objects.filter(pk=rep.pk)
    assert dict(
        selectors.status_seconds_by_rep(reps=reps, window=window, now=now)[rep.pk]
    ) == direct_seconds(intervals, window.start, window.end, now)
    by_day = selectors.status_seconds_by_day(reps=reps, window=window, now=now)
    for d in window.days():
        assert by_day[d] == direct_seconds(intervals, *local_day_edges(d, tz), now)
    rows = selectors.hourly_detail(reps=reps, window=window, now=now)
    for row in rows[:30]:
        local = selectors.epoch_to_local(row["hour"], tz)
        assert (local.minute, local.second) == (0, 0)
