"""Keeping StatusRollup in step with presence history (R4: at most one minute behind).

One set-based operation does all the work: `rollups_recompute(start, end, now)` replaces the
rollups of every bucket in [start, end) with sums computed from the raw intervals (H1), open
intervals counted up to `now`. Recomputing whole buckets from raw intervals (rather than adding
deltas) is what makes it correct when an interval that was open at the last run is closed by an
UPDATE, or is still open and has grown: its partial seconds are replaced, never added twice.

- Incremental refresh (`rollups_refresh`, run by every periodic tick and by the Celery task):
  recompute [watermark - margin, now). The margin (ROLLUP_MARGIN, 5 minutes) covers events whose
  transaction started before the last run but committed after it: their interval edges carry
  their own `now`, which is at most the margin behind. History rows written with an older time
  than that (imports) need `manage.py rebuild_rollups`.
- Rebuild (`manage.py rebuild_rollups`): recompute any range, one UTC day per transaction.
- Retention (`rollups_purge`): delete rollups and closed intervals older than
  settings.REPORT_RETENTION_MONTHS.

Interval selection is index-friendly without an index on `end`: intervals that start inside the
window (index on start) plus, per rep, the one interval covering the window's start (the rep's
latest interval that starts before it, index on (representative, start)).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction

from presence.models import PresenceInterval, Representative

from .models import BUCKET_SECONDS, DailyStatusRollup, RollupWatermark, StatusRollup

ROLLUP_MARGIN = dt.timedelta(minutes=5)
DAY = 86400
WATERMARK = "status"


def to_epoch(moment: dt.datetime) -> int:
    """Whole Unix seconds. History boundaries count at their whole second (microseconds are
    dropped at every boundary alike, so consecutive intervals still add up to wall time)."""
    return int(moment.timestamp() // 1)


def floor_bucket(moment: dt.datetime) -> dt.datetime:
    epoch = to_epoch(moment)
    return dt.datetime.fromtimestamp(epoch - epoch % BUCKET_SECONDS, tz=dt.UTC)


def epoch_sql(column: str) -> str:
    """A datetime column as whole Unix seconds, in this database's dialect."""
    if connection.vendor == "postgresql":
        return f"FLOOR(EXTRACT(EPOCH FROM {column}))::bigint"
    # SQLite rounds fractions to the millisecond (…:00.9995 would become …:01): cut them off.
    return f"CAST(strftime('%%s', substr({column}, 1, 19)) AS INTEGER)"


def _greatest(a: str, b: str) -> str:
    return f"GREATEST({a}, {b})" if connection.vendor == "postgresql" else f"MAX({a}, {b})"


def _least(a: str, b: str) -> str:
    return f"LEAST({a}, {b})" if connection.vendor == "postgresql" else f"MIN({a}, {b})"


def intervals_cte(*, clip: bool = True) -> str:
    """SQL of a CTE body: every interval overlapping [%(a)s, %(b)s) as (rep, st, bs, s, e) in
    Unix seconds, the open end at %(now)s, clipped to the window. Params: a, b, now (ints),
    a_dt, b_dt (datetimes adapted for the database)."""
    table = PresenceInterval._meta.db_table
    reps = Representative._meta.db_table
    start, end = epoch_sql("i.start"), epoch_sql('i."end"')
    s = _greatest(start, "%(a)s") if clip else start
    e = _least(f"COALESCE({end}, %(now)s)", "%(b)s") if clip else f"COALESCE({end}, %(now)s)"
    cols = f"i.representative_id AS rep, i.status_id AS st, i.base_status AS bs, {s} AS s, {e} AS e"
    return f"""
        SELECT {cols} FROM {table} i
        WHERE i.start >= %(a_dt)s AND i.start < %(b_dt)s
        UNION ALL
        SELECT {cols} FROM {table} i
        WHERE i.id IN (
            SELECT (SELECT j.id FROM {table} j
                    WHERE j.representative_id = r.id AND j.start < %(a_dt)s
                    ORDER BY j.start DESC, j.id DESC LIMIT 1)
            FROM {reps} r
        ) AND (i."end" IS NULL OR i."end" > %(a_dt)s)
    """


def window_params(a: int, b: int, now: int) -> dict:
    adapt = connection.ops.adapt_datetimefield_value
    return {
        "a": a,
        "b": b,
        "now": now,
        "a_dt": adapt(dt.datetime.fromtimestamp(a, tz=dt.UTC)),
        "b_dt": adapt(dt.datetime.fromtimestamp(b, tz=dt.UTC)),
    }


def _insert_sql() -> str:
    table = StatusRollup._meta.db_table
    n = BUCKET_SECONDS
    seconds = f"{_least('iv.e', f'g.b + {n}')} - {_greatest('iv.s', 'g.b')}"
    if connection.vendor == "postgresql":
        source = f"""iv CROSS JOIN LATERAL generate_series(iv.s - (iv.s %% {n}), iv.e - 1, {n}) AS g(b)
                     WHERE iv.e > iv.s"""
        buckets = ""
    else:
        source = f"iv JOIN g ON g.b < iv.e AND g.b + {n} > iv.s"
        buckets = f""", g(b) AS (
            SELECT %(a)s UNION ALL SELECT b + {n} FROM g WHERE b + {n} < %(b)s
        )"""
    return f"""
        WITH RECURSIVE iv AS ({intervals_cte()}){buckets}
        INSERT INTO {table} (representative_id, bucket, status_id, base_status, seconds)
        SELECT iv.rep, g.b, iv.st, iv.bs, SUM({seconds})
        FROM {source}
        GROUP BY iv.rep, g.b, iv.st, iv.bs
        HAVING SUM({seconds}) > 0
    """


def rollups_recompute(*, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> int:
    """Replace the rollups of buckets in [floor(start), min(end, now)) from raw history.

    Idempotent. Must run inside transaction.atomic(). Returns the number of rows written."""
    assert connection.in_atomic_block, "rollups_recompute() needs transaction.atomic()"
    a = to_epoch(floor_bucket(start))
    b = min(to_epoch(end), to_epoch(now))
    if b <= a:
        return 0
    StatusRollup.objects.filter(bucket__gte=a, bucket__lt=b).delete()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # generate_series makes the planner guess millions of rows, and JIT compiling such
            # a plan costs ~0.7 s: far more than the few buckets of a refresh take to compute.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(_insert_sql(), window_params(a, b, to_epoch(now)))
        written = cursor.rowcount
    if connection.vendor != "postgresql":
        # SQLite does not report the row count of an INSERT that starts with WITH.
        written = StatusRollup.objects.filter(bucket__gte=a, bucket__lt=b).count()
    _recompute_days(first=a - a % DAY, stop=b, now=to_epoch(now))
    return written


def _recompute_days(*, first: int, stop: int, now: int) -> None:
    """Daily rows of every UTC day from `first` that starts before `stop` and is over at `now`:
    the sum of its buckets (a day still running has none; reports read its buckets)."""
    end = min(-(-stop // DAY) * DAY, now - now % DAY)
    if end <= first:
        return
    table, source = DailyStatusRollup._meta.db_table, StatusRollup._meta.db_table
    DailyStatusRollup.objects.filter(day__gte=first, day__lt=end).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (representative_id, day, status_id, base_status, seconds)
            SELECT representative_id, bucket - bucket %% {DAY}, status_id, base_status, SUM(seconds)
            FROM {source}
            WHERE bucket >= %(first)s AND bucket < %(end)s
            GROUP BY representative_id, bucket - bucket %% {DAY}, status_id, base_status
            """,
            {"first": first, "end": end},
        )


def rollups_refresh(*, now: dt.datetime) -> int:
    """R4: bring rollups up to `now`, open intervals included. Cheap enough for every tick:
    only the buckets since the last run (minus the margin) are recomputed.

    Two workers at once: the watermark row lock serialises them, and a run whose `now` is not
    newer than the watermark does nothing. Returns the number of rollup rows written."""
    with transaction.atomic():
        first = PresenceInterval.objects.order_by("start").values_list("start", flat=True).first()
        RollupWatermark.objects.get_or_create(
            name=WATERMARK,
            defaults={"computed_until": first or now, "updated_at": now},
        )
        mark = RollupWatermark.objects.select_for_update().get(name=WATERMARK)
        if now <= mark.computed_until:
            return 0
        written = rollups_recompute(start=mark.computed_until - ROLLUP_MARGIN, end=now, now=now)
        mark.computed_until, mark.updated_at = now, now
        mark.save(update_fields=["computed_until", "updated_at"])
    return written


def rollups_rebuild(*, start: dt.date, end: dt.date, now: dt.datetime, progress=None) -> int:
    """Recompute UTC days start..end (inclusive), one transaction per day. `progress` (a tqdm)
    is advanced per day. A missing watermark is set to the end of the range."""
    written = 0
    day = start
    while day <= end:
        day_start = dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)
        with transaction.atomic():
            written += rollups_recompute(
                start=day_start, end=day_start + dt.timedelta(days=1), now=now
            )
        if progress is not None:
            progress.update(1)
        day += dt.timedelta(days=1)
    until = min(dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC), now)
    RollupWatermark.objects.get_or_create(
        name=WATERMARK, defaults={"computed_until": until, "updated_at": now}
    )
    return written


def retention_cutoff(*, now: dt.datetime, months: int | None = None) -> dt.datetime:
    """`now` minus REPORT_RETENTION_MONTHS calendar months (day clamped to the month's end)."""
    months = settings.REPORT_RETENTION_MONTHS if months is None else months
    index = now.year * 12 + (now.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    days_in_month = (
        dt.date(year + (month == 12), month % 12 + 1, 1) - dt.date(year, month, 1)
    ).days
    return now.replace(year=year, month=month, day=min(now.day, days_in_month))


def rollups_purge(*, now: dt.datetime, months: int | None = None) -> dict[str, int]:
    """R4 retention: rollups and closed intervals that ended before the cutoff are deleted."""
    cutoff = retention_cutoff(now=now, months=months)
    with transaction.atomic():
        rollups, _ = StatusRollup.objects.filter(bucket__lt=to_epoch(floor_bucket(cutoff))).delete()
        cutoff_day = to_epoch(cutoff) - to_epoch(cutoff) % DAY
        DailyStatusRollup.objects.filter(day__lt=cutoff_day).delete()
        intervals, _ = PresenceInterval.objects.filter(end__lt=cutoff).delete()
    return {"rollups": rollups, "intervals": intervals}


def watermark() -> dt.datetime | None:
    """Until when the rollups are complete (None before the first refresh)."""
    return (
        RollupWatermark.objects.filter(name=WATERMARK)
        .values_list("computed_until", flat=True)
        .first()
    )


__all__ = [
    "ROLLUP_MARGIN",
    "floor_bucket",
    "rollups_purge",
    "rollups_rebuild",
    "rollups_recompute",
    "rollups_refresh",
    "to_epoch",
    "watermark",
]
