"""Capacity on the write side (K4: when a rep's day ends). The snapshots themselves are reads,
in presence.reads, which selectors use too."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from presence.reads import capacity_levels, capacity_snapshot, capacity_snapshots

__all__ = ["capacity_levels", "capacity_snapshot", "capacity_snapshots", "end_of_rep_day"]


def end_of_rep_day(*, timezone_name: str, now: dt.datetime) -> dt.datetime:
    """K4: the next midnight in the rep's time zone (an unknown zone counts as UTC)."""
    try:
        tz = ZoneInfo(timezone_name)
    except (KeyError, ValueError):
        tz = dt.UTC
    local = now.astimezone(tz)
    next_day = local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(next_day, dt.time(), tzinfo=tz).astimezone(dt.UTC)
