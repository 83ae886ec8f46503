"""Plain-text formatting of the real-time reports: the templates use these as filters
(templatetags/realtime_reports.py), and views that prepare a grid's cells call them directly."""

from __future__ import annotations

import datetime as dt

from portal.formatting import clock, day_label

__all__ = ["clock", "day_label", "duration", "elapsed"]


def duration(seconds: int | float | None) -> str:
    """3725 -> "1 h 02 min"; 250 -> "4 min 10 s"; 42 -> "42 s"."""
    if seconds is None:
        return "—"
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def elapsed(since: dt.datetime | None, now: dt.datetime) -> str:
    """How long ago `since` was, as duration() says it."""
    if since is None:
        return "—"
    return duration((now - since).total_seconds())
