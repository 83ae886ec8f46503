"""Status seconds of the historical report: per rep, per local day and per local hour, from the
rollups when the window is aligned on 15 minutes, else from raw intervals (R5), and the
per-status columns (custom statuses and Inactive)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import connection
from django.db.models import IntegerField, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from presence.models import BaseStatus, BuiltinStatus, PresenceStatus, Representative
from reports.models import DailyStatusRollup, StatusRollup
from reports.rollups import DAY, intervals_cte, to_epoch, watermark, window_params

from .windows import Window, day_expression, day_number_to_date, hour_expression, local_midnight

BASES = list(BaseStatus.values)
# Built-ins whose time is already their base status column; every other status gets a column.
PLAIN_BUILTINS = {
    BuiltinStatus.AVAILABLE,
    BuiltinStatus.BUSY,
    BuiltinStatus.DND,
    BuiltinStatus.AWAY,
    BuiltinStatus.OFFLINE,
}


def _rollups(reps: QuerySet[Representative], window: Window) -> QuerySet[StatusRollup]:
    return StatusRollup.objects.filter(
        representative__in=reps.values("pk"), bucket__gte=window.a, bucket__lt=window.b
    )


def _raw_slot_seconds(
    reps: QuerySet[Representative], slots: list[tuple[int, int]], now: dt.datetime
) -> list[tuple[int, int, int, str, int]]:
    """(slot index, rep, status, base, seconds) straight from intervals, for any slot edges."""
    if not slots:
        return []
    a, b = slots[0][0], slots[-1][1]
    rep_ids = list(reps.values_list("pk", flat=True))
    if not rep_ids:
        return []
    values = ", ".join(f"({i}, {s}, {e})" for i, (s, e) in enumerate(slots))
    least = "LEAST" if connection.vendor == "postgresql" else "MIN"
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    sql = f"""
        WITH iv AS ({intervals_cte()}),
             sl(i, sa, sb) AS (VALUES {values})
        SELECT sl.i, iv.rep, iv.st, iv.bs, SUM({least}(iv.e, sl.sb) - {greatest}(iv.s, sl.sa))
        FROM iv JOIN sl ON sl.sa < iv.e AND sl.sb > iv.s
        WHERE iv.e > iv.s AND iv.rep IN ({", ".join(str(int(r)) for r in rep_ids)})
        GROUP BY sl.i, iv.rep, iv.st, iv.bs
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, window_params(a, b, min(to_epoch(now), b)))
        return [tuple(row) for row in cursor.fetchall()]


def status_seconds_by_rep(
    *, reps: QuerySet[Representative], window: Window, now: dt.datetime, raw: bool = False
) -> dict[int, dict[tuple[int, str], int]]:
    """{rep id: {(status id, base status): seconds}} over the window (one query)."""
    result: dict[int, dict[tuple[int, str], int]] = defaultdict(dict)
    if window.aligned and not raw:
        # Whole UTC days whose daily rows are written come from DailyStatusRollup, the edges
        # of the window from the 15-minute buckets.
        until = watermark()
        d1 = -(-window.a // DAY) * DAY
        d2 = min(window.b - window.b % DAY, to_epoch(until) - to_epoch(until) % DAY if until else 0)
        buckets = _rollups(reps, window)
        parts = [buckets]
        if d2 > d1:
            parts = [
                buckets.filter(bucket__lt=d1),  # two ranges, so that each is an index range
                buckets.filter(bucket__gte=d2),
                DailyStatusRollup.objects.filter(
                    representative__in=reps.values("pk"), day__gte=d1, day__lt=d2
                ),
            ]
        for part in parts:
            rows = (
                part.values_list("representative_id", "status_id", "base_status")
                .annotate(total=Sum("seconds"))
                .order_by()
            )
            for rep_id, status_id, base, total in rows:
                key = (status_id, base)
                result[rep_id][key] = result[rep_id].get(key, 0) + int(total)
    else:
        for _, rep_id, status_id, base, total in _raw_slot_seconds(
            reps, [(window.a, window.b)], now
        ):
            key = (status_id, base)
            result[rep_id][key] = result[rep_id].get(key, 0) + int(total)
    return result


def status_seconds_by_day(
    *, reps: QuerySet[Representative], window: Window, now: dt.datetime, raw: bool = False
) -> dict[dt.date, dict[tuple[int, str], int]]:
    """{local date: {(status id, base): seconds}} summed over the reps (the per-day chart)."""
    result: dict[dt.date, dict[tuple[int, str], int]] = {day: {} for day in window.days()}
    if window.aligned and not raw:
        rows = (
            _rollups(reps, window)
            .annotate(day=day_expression(window))
            .values_list("day", "status_id", "base_status")
            .annotate(total=Sum("seconds"))
            .order_by()
        )
        for day, status_id, base, total in rows:
            result.setdefault(day_number_to_date(day), {})[(status_id, base)] = int(total)
        return result
    days = window.days()
    slots = [
        (
            to_epoch(local_midnight(d, window.tz)),
            to_epoch(local_midnight(d + dt.timedelta(days=1), window.tz)),
        )
        for d in days
    ]
    for i, _, status_id, base, total in _raw_slot_seconds(reps, slots, now):
        bucket = result[days[i]]
        bucket[(status_id, base)] = bucket.get((status_id, base), 0) + int(total)
    return result


def _base_sums() -> dict:
    return {
        base: Coalesce(Sum("seconds", filter=Q(base_status=base)), 0, output_field=IntegerField())
        for base in BASES
    }


def hourly_detail(
    *, reps: QuerySet[Representative], window: Window, now: dt.datetime
) -> QuerySet | list[dict]:
    """One row per (local hour, rep) with seconds per base status, ordered by hour then rep
    name: {"hour": utc epoch of the local hour start, "representative_id", "name", <bases>}.

    A values() queryset (stream it with .iterator()) when rollups apply, else a list."""
    if window.aligned:
        return (
            _rollups(reps, window)
            .annotate(hour=hour_expression(window))
            .values("hour", "representative_id", "representative__name")
            .annotate(**_base_sums())
            .order_by("hour", "representative__name", "representative_id")
        )
    hours = window.local_hours()
    names = dict(reps.values_list("pk", "name"))
    rows: dict[tuple[int, int], dict] = {}
    for i, rep_id, _, base, total in _raw_slot_seconds(reps, hours, now):
        row = rows.setdefault(
            (hours[i][0], rep_id),
            {
                "hour": hours[i][0],
                "representative_id": rep_id,
                "representative__name": names[rep_id],
            }
            | dict.fromkeys(BASES, 0),
        )
        row[base] += int(total)
    return sorted(
        rows.values(), key=lambda r: (r["hour"], r["representative__name"], r["representative_id"])
    )


def status_columns(statuses: dict[tuple[int, str], int]) -> dict:
    ids = {status_id for status_id, _ in statuses}
    known = {s.pk: s for s in PresenceStatus.objects.filter(pk__in=ids)}
    columns = sorted(
        (s for s in known.values() if s.builtin_key not in PLAIN_BUILTINS),
        key=lambda s: (BASES.index(s.base_status), s.presence_text.lower(), s.pk),
    )
    return {"statuses": columns, "status_names": known}
