"""A rep's timeline (R3 drill-down): every interval overlapping the window, clipped to it, and
cut per local day for the drawn bars."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet

from presence.models import PresenceInterval, Representative
from presence.selectors import intervals_overlapping
from reports.rollups import to_epoch

from .windows import Window, local_midnight


def representative_timeline(
    *, representative: Representative, window: Window
) -> QuerySet[PresenceInterval]:
    """Every interval of the rep overlapping the window, oldest first (clip with `clip`)."""
    return intervals_overlapping(
        representative=representative, start=window.start, end=window.end
    ).select_related("status")


def clip(
    interval: PresenceInterval, window: Window, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime, int]:
    """The part of `interval` inside the window (an open one ends at `now`): start, end, seconds."""
    start = max(interval.start, window.start)
    end = min(interval.end or now, window.end)
    end = max(end, start)
    return start, end, max(to_epoch(end) - to_epoch(start), 0)


def timeline_by_day(
    intervals: Iterable[PresenceInterval], window: Window, now: dt.datetime
) -> Iterator[tuple[dt.date, list[tuple[float, float, PresenceInterval]]]]:
    """Per local day, the (start %, width %, interval) pieces for the drawn timeline: an
    interval crossing midnight is split at it."""
    intervals = list(intervals)
    for day in window.days():
        day_start = local_midnight(day, window.tz)
        day_end = local_midnight(day + dt.timedelta(days=1), window.tz)
        length = (day_end - day_start).total_seconds()
        pieces = []
        for interval in intervals:
            start = max(interval.start, day_start)
            end = min(interval.end or now, day_end)
            if end > start:
                pieces.append(
                    (
                        100 * (start - day_start).total_seconds() / length,
                        100 * (end - start).total_seconds() / length,
                        interval,
                    )
                )
        yield day, pieces
