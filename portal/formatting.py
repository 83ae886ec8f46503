"""Times for people: the one place a moment becomes words (STYLE.md "Words for people").

A time of today (in the zone the page shows) reads "14:01"; any other day's gets its date,
"Mon 30 Nov 14:01" (and its year when it is not this year's), so that yesterday's 13:57 is
never read as today's. Each page names its zone once; these helpers never repeat it.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def clock(
    value: dt.datetime | None, *, tz: dt.tzinfo | ZoneInfo, now: dt.datetime, seconds: bool = False
) -> str:
    """`value` as a person reads it in `tz`: the time, and the date when it is not today."""
    if value is None:
        return "—"
    local, today = value.astimezone(tz), now.astimezone(tz).date()
    time = f"{local:%H:%M:%S}" if seconds else f"{local:%H:%M}"
    if local.date() == today:
        return time
    if local.year == today.year:
        return f"{local:%a} {local.day} {local:%b} {time}"
    return f"{local:%a} {local.day} {local:%b} {local.year} {time}"


def day_label(value: dt.datetime, *, tz: dt.tzinfo | ZoneInfo) -> str:
    """The day of `value` in `tz`: "Tuesday 1 December"."""
    local = value.astimezone(tz)
    return f"{local:%A} {local.day} {local:%B}"


def duration(seconds: float) -> str:
    """How long, in words a glance reads: "less than a minute", "12 min", "1 h 05 min", "2 d 3 h".
    static/presence/console.js counts on with the same words."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return "less than a minute"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"
