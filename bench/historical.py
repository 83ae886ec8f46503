"""Historical agents report at scale (R3, R4): 2,000 reps x 90 days of presence history.

Generates ~5 million contiguous intervals with one INSERT ... SELECT over generate_series
(about 28 status changes per rep per day, 8 statuses incl. custom ones), rebuilds the rollups
day by day, then times, median of 5 runs:

- per-rep status totals for 30 days, one team (50 reps) and all reps: rollups vs raw intervals;
- per-day totals (the per-day chart) for 30 days in Europe/Paris, the same two ways;
- the first page of the hourly detail for a team;
- the incremental refresh after one minute of new events (about 40 status changes).

Needs PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal python bench/historical.py
Data go to a database of their own (portal_bench_hist), created and filled on first run
(--reseed to rebuild; --reps/--days to scale). Run by hand or by `make bench`, never by `make test`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import time
from zoneinfo import ZoneInfo

from _common import setup_django, timed

DB_NAME = "portal_bench_hist"
TEAM_SIZE = 50
STEP = 3086  # seconds between status changes on average: 28 a day


def seed(reps: int, days: int, start: dt.datetime) -> dict[str, float]:
    from django.db import connection, transaction

    from presence.models import PresenceStatus, Representative, Team

    seconds: dict[str, float] = {}
    began = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE presence_presenceinterval")
        Representative.teams.through.objects.all().delete()
        Representative.objects.filter(name__startswith="Bench rep").delete()
        Team.objects.filter(name__startswith="Bench team").delete()
        for name, base in (("Bench training", "away"), ("Bench back office", "busy")):
            PresenceStatus.objects.get_or_create(
                name=name, defaults={"presence_text": name, "base_status": base}
            )
        Representative.objects.bulk_create(
            [
                Representative(name=f"Bench rep {n:05d}", email=f"bench{n}@example.com")
                for n in range(reps)
            ],
            batch_size=5000,
        )
        rep_ids = list(
            Representative.objects.filter(name__startswith="Bench rep")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        teams = Team.objects.bulk_create(
            [Team(name=f"Bench team {n:03d}") for n in range((reps + TEAM_SIZE - 1) // TEAM_SIZE)]
        )
        Representative.teams.through.objects.bulk_create(
            [
                Representative.teams.through(representative_id=pk, team_id=teams[i // TEAM_SIZE].pk)
                for i, pk in enumerate(rep_ids)
            ],
            batch_size=5000,
        )
        status_ids = list(
            PresenceStatus.objects.exclude(builtin_key="inactive")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    seconds["reps and teams"] = time.perf_counter() - began

    steps = days * 86400 // STEP
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE presence_presenceinterval SET UNLOGGED")
        cursor.execute(
            """
            INSERT INTO presence_presenceinterval
                (representative_id, status_id, base_status, source, start, "end")
            SELECT x.rep, s.id, s.base_status, 'manual', x.st,
                   CASE WHEN x.k = %(last)s THEN NULL
                        ELSE lead(x.st) OVER (PARTITION BY x.rep ORDER BY x.k) END
            FROM (
                SELECT r.id AS rep, k,
                       %(start)s::timestamptz + make_interval(
                           secs => k * %(step)s + CASE WHEN k = 0 THEN 0 ELSE (r.id * 7919 + k * 104729) %% %(jitter)s END
                       ) AS st,
                       (r.id * 31 + k * 17) %% %(n)s AS si
                FROM presence_representative r
                CROSS JOIN generate_series(0, %(last)s) AS k
                WHERE r.id = ANY(%(reps)s)
            ) x
            JOIN (SELECT id, base_status, row_number() OVER (ORDER BY id) - 1 AS si
                  FROM presence_presencestatus WHERE id = ANY(%(statuses)s)) s ON s.si = x.si
            """,
            {
                "start": start,
                "step": STEP,
                "jitter": STEP // 2,
                "last": steps - 1,
                "n": len(status_ids),
                "reps": rep_ids,
                "statuses": status_ids,
            },
        )
        cursor.execute("ALTER TABLE presence_presenceinterval SET LOGGED")
        cursor.execute("ANALYZE presence_presenceinterval")
    seconds["intervals (INSERT ... SELECT generate_series)"] = time.perf_counter() - began

    return seconds


def rebuild(start: dt.datetime) -> float:
    """`manage.py rebuild_rollups` over every day of history; returns seconds."""
    from django.db import connection
    from django.db.models import Max

    from presence.models import PresenceInterval
    from reports.models import DailyStatusRollup, RollupWatermark, StatusRollup
    from reports.rollups import rollups_rebuild

    with connection.cursor() as cursor:
        for model in (StatusRollup, DailyStatusRollup, RollupWatermark):
            cursor.execute(f"TRUNCATE {model._meta.db_table}")
    last = PresenceInterval.objects.aggregate(m=Max("start"))["m"]
    began = time.perf_counter()
    days = (last.date() - start.date()).days + 1
    for n, _ in enumerate(range(days)):
        day = start.date() + dt.timedelta(days=n)
        rollups_rebuild(start=day, end=day, now=last + dt.timedelta(minutes=1))
        if n % 10 == 9:
            print(f"  rebuilt {n + 1}/{days} days, {time.perf_counter() - began:.0f} s", flush=True)
    RollupWatermark.objects.update(computed_until=last + dt.timedelta(minutes=1))
    took = time.perf_counter() - began
    with connection.cursor() as cursor:  # what autovacuum does soon after: index-only scans
        cursor.execute("VACUUM ANALYZE reports_statusrollup")
        cursor.execute("VACUUM ANALYZE reports_dailystatusrollup")
    return took


def one_minute_of_events(now: dt.datetime, reps: list[int], busy_id: int) -> None:
    """What H1 writes when ~40 reps change status in one minute: close, open."""
    from django.db import transaction

    from presence.models import PresenceInterval

    with transaction.atomic():
        PresenceInterval.objects.filter(representative_id__in=reps, end__isnull=True).update(
            end=now
        )
        PresenceInterval.objects.bulk_create(
            [
                PresenceInterval(
                    representative_id=r,
                    status_id=busy_id,
                    base_status="busy",
                    source="manual",
                    start=now,
                )
                for r in reps
            ]
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--rebuild", action="store_true", help="Recompute every rollup.")
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--days", type=int, default=90)
    args = parser.parse_args()
    setup_django(DB_NAME)

    from django.db.models import Max
    from django.utils import timezone

    from presence.models import PresenceInterval, PresenceStatus, Representative, Team
    from reports.historical import selectors
    from reports.historical.filters import HistoricalFilters
    from reports.models import StatusRollup
    from reports.rollups import rollups_refresh, watermark

    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    have = PresenceInterval.objects.count()
    if args.reseed or have < args.reps * args.days * 20:
        print(f"Seeding {args.reps} reps x {args.days} days ...", flush=True)
        for step, seconds in seed(args.reps, args.days, start).items():
            print(f"  {step}: {seconds:.1f} s", flush=True)
    if args.reseed or args.rebuild or not StatusRollup.objects.exists():
        print(
            "Rebuilding rollups (manage.py rebuild_rollups, one UTC day per transaction) ...",
            flush=True,
        )
        print(f"  rollups rebuild: {rebuild(start):.1f} s", flush=True)
    intervals = PresenceInterval.objects.count()
    last = PresenceInterval.objects.aggregate(m=Max("start"))["m"]
    print(
        f"{Representative.objects.count()} reps, {intervals:,} intervals, "
        f"{StatusRollup.objects.count():,} rollup rows; data until {last:%Y-%m-%d %H:%M}"
    )

    tz = ZoneInfo("Europe/Paris")
    date_to = (last - dt.timedelta(days=1)).date()
    window = selectors.report_window(
        date_from=date_to - dt.timedelta(days=29), date_to=date_to, tz=tz
    )
    last_day = selectors.report_window(date_from=date_to, date_to=date_to, tz=tz)
    now = timezone.now()
    team = Team.objects.filter(name__startswith="Bench team").order_by("pk").first()
    team_reps = Representative.objects.filter(teams=team).order_by("name", "pk")
    all_reps = Representative.objects.all().order_by("name", "pk")
    filters = HistoricalFilters(date_from=window.date_from, date_to=window.date_to, tz=tz)

    results = []

    def measure(label, rollup_fn, raw_fn=None):
        rolled = timed(rollup_fn)
        raw = timed(raw_fn, repeat=3) if raw_fn else None
        results.append((label, rolled, raw))
        extra = f"   raw {raw * 1000:8.1f} ms   raw/rollups {raw / rolled:5.1f}x" if raw else ""
        print(f"{label:<52} rollups {rolled * 1000:8.1f} ms{extra}", flush=True)

    measure(
        "30 days, team of 50: per-rep totals",
        lambda: selectors.status_seconds_by_rep(reps=team_reps, window=window, now=now),
        lambda: selectors.status_seconds_by_rep(reps=team_reps, window=window, now=now, raw=True),
    )
    measure(
        "30 days, team of 50: per-day totals (Paris days)",
        lambda: selectors.status_seconds_by_day(reps=team_reps, window=window, now=now),
        lambda: selectors.status_seconds_by_day(reps=team_reps, window=window, now=now, raw=True),
    )
    measure(
        "30 days, team of 50: whole page's queries (+1 day hourly)",
        lambda: (
            selectors.rep_report(reps=team_reps, window=window, filters=filters, now=now),
            selectors.status_seconds_by_day(reps=team_reps, window=window, now=now),
            list(selectors.hourly_detail(reps=team_reps, window=last_day, now=now)),
        ),
    )
    measure(
        f"30 days, all {all_reps.count()} reps: per-rep totals",
        lambda: selectors.status_seconds_by_rep(reps=all_reps, window=window, now=now),
        lambda: selectors.status_seconds_by_rep(reps=all_reps, window=window, now=now, raw=True),
    )
    measure(
        f"30 days, all {all_reps.count()} reps: per-day totals",
        lambda: selectors.status_seconds_by_day(reps=all_reps, window=window, now=now),
        lambda: selectors.status_seconds_by_day(reps=all_reps, window=window, now=now, raw=True),
    )

    # Incremental refresh: one minute of ~40 status changes, then the tick's refresh.
    busy = PresenceStatus.objects.get(builtin_key="busy").pk
    rep_ids = list(all_reps.values_list("pk", flat=True))
    moment = max(watermark() or last, last) + dt.timedelta(seconds=1)
    rollups_refresh(now=moment)
    samples = []
    for i in range(7):
        changed = rep_ids[i * 40 : (i + 1) * 40]
        one_minute_of_events(moment + dt.timedelta(seconds=30), changed, busy)
        moment += dt.timedelta(minutes=1)
        began = time.perf_counter()
        rows = rollups_refresh(now=moment)
        samples.append(time.perf_counter() - began)
    samples.sort()
    print(
        f"{'incremental refresh after 1 minute of events':<52} median {samples[3] * 1000:8.1f} ms "
        f"(max {samples[-1] * 1000:.1f} ms, {rows} rows rewritten)"
    )
    print(f"Machine: {platform.processor() or platform.machine()}, {platform.python_version()}")


if __name__ == "__main__":
    main()
