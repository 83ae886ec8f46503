"""Selectors of the historical agents report (R3, R5): every figure the pages and CSVs show.

Time (R5): a report covers local dates `date_from`..`date_to` in one IANA time zone; its window
is [local midnight of date_from, local midnight after date_to) in UTC, so a DST day has 23 or 25
hours. Status seconds come from StatusRollup (15-minute UTC buckets, reports.models): a bucket
maps to local time by adding the zone's UTC offset at that instant; the offsets of the window
are a handful of segments, passed to SQL as a CASE, so days and hours are grouped in the
database. When an offset in the window is not a multiple of 15 minutes (historic zones), local
hours do not fall on bucket edges and every figure is computed from raw intervals instead
(`Window.aligned` is False) — same results, slower.

Hours are keyed by the UTC instant at which the local hour starts, so the repeated hour of a
25-hour day (02:00 twice in Europe/Paris on 2026-10-25) is two rows, never one of 7200 s.

Signed-in time is time in a base status other than offline (as R1 counts "signed in").
Conversation figures are read from raw rows: a conversation is handled by a rep when the rep's
primary participation ends in the window; handle time is that participation's length (active
plus wrap-up); a transfer is a participation that ends where another rep's begins; offer rates
divide rejected and timed-out offers by offers the rep decided (accepted + rejected + missed).
"""

from .conversations import RepFigures, RepReport, conversation_figures, rep_report
from .scope import representatives_for_report
from .statuses import (
    BASES,
    PLAIN_BUILTINS,
    hourly_detail,
    status_columns,
    status_seconds_by_day,
    status_seconds_by_rep,
)
from .timeline import clip, representative_timeline, timeline_by_day
from .trends import DayFigures, conversation_figures_by_day, total_of
from .windows import Window, day_number_to_date, epoch_to_local, local_midnight, report_window

__all__ = [
    "BASES",
    "DayFigures",
    "PLAIN_BUILTINS",
    "RepFigures",
    "RepReport",
    "Window",
    "clip",
    "conversation_figures",
    "conversation_figures_by_day",
    "day_number_to_date",
    "epoch_to_local",
    "hourly_detail",
    "local_midnight",
    "rep_report",
    "report_window",
    "representative_timeline",
    "representatives_for_report",
    "status_columns",
    "status_seconds_by_day",
    "status_seconds_by_rep",
    "timeline_by_day",
    "total_of",
]
