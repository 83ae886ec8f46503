"""R1 drill-down: one rep's timeline of today, recent time per status and conversations."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from presence.models import Conversation, Representative
from presence.selectors import intervals_overlapping

from .common import ONGOING_STATES, RECENT_STATUS_WINDOW, with_stuck


@dataclass(frozen=True)
class Segment:
    text: str
    base_status: str
    source: str
    start: dt.datetime
    end: dt.datetime
    open: bool
    left: float  # percent of the day
    width: float

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())


def representative_timeline(
    *, representative: Representative, now: dt.datetime, tz: ZoneInfo
) -> tuple[dt.datetime, dt.datetime, list[Segment]]:
    """Today's presence intervals (H1), cut to the day in `tz`: (day start, day end, segments)."""
    local = now.astimezone(tz)
    day_start = dt.datetime.combine(local.date(), dt.time(), tzinfo=tz)
    day_end = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    day_seconds = (day_end - day_start).total_seconds()  # 23 or 25 hours on DST days
    rows = intervals_overlapping(
        representative=representative, start=day_start, end=now
    ).select_related("status")
    segments = []
    for row in rows:
        start = max(row.start, day_start)
        end = min(row.end or now, now)
        if end <= start:
            continue
        segments.append(
            Segment(
                text=row.status.presence_text,
                base_status=row.base_status,
                source=row.source,
                start=start,
                end=end,
                open=row.end is None,
                left=round(100 * (start - day_start).total_seconds() / day_seconds, 3),
                width=round(100 * (end - start).total_seconds() / day_seconds, 3),
            )
        )
    return day_start, day_end, segments


@dataclass(frozen=True)
class StatusTime:
    text: str
    base_status: str
    seconds: int
    percent: float


def representative_recent_time(
    *, representative: Representative, now: dt.datetime, window: dt.timedelta = RECENT_STATUS_WINDOW
) -> list[StatusTime]:
    """Time in each status over the last `window` (120 minutes), longest first: 1 query.

    Time before the rep's first interval has no status and is reported as "No history".
    """
    since = now - window
    rows = intervals_overlapping(representative=representative, start=since, end=now).values_list(
        "status__presence_text", "base_status", "start", "end"
    )
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for text, base, start, end in rows:
        seconds = (min(end or now, now) - max(start, since)).total_seconds()
        if seconds > 0:
            totals[text, base] += seconds
    covered = sum(totals.values())
    gap = window.total_seconds() - covered
    if gap >= 1:
        totals["No history", ""] += gap
    full = window.total_seconds()
    return sorted(
        (
            StatusTime(
                text=text, base_status=base, seconds=round(s), percent=round(100 * s / full, 1)
            )
            for (text, base), s in totals.items()
        ),
        key=lambda t: -t.seconds,
    )


def representative_conversations(
    *, representative: Representative, now: dt.datetime
) -> list[Conversation]:
    """The rep's conversations that are not closed, oldest state change first: 1 query."""
    return list(
        with_stuck(
            Conversation.objects.filter(representative=representative, state__in=ONGOING_STATES)
            .select_related("workstream", "capacity_profile")
            .order_by("state_changed_at", "pk"),
            now=now,
        )
    )
