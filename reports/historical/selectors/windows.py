"""The time of the historical report (R5): a window of local dates in one IANA zone, its UTC
offsets as segments, and the SQL expressions that put a 15-minute bucket in its local day and
hour (reports.models.StatusRollup)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import BigIntegerField, Case, ExpressionWrapper, F, Value, When
from django.db.models.functions import Greatest

from reports.models import BUCKET_SECONDS
from reports.rollups import to_epoch


@dataclass(frozen=True)
class Window:
    """The UTC window of local dates date_from..date_to in `tz`, with the zone's offsets."""

    tz: ZoneInfo
    date_from: dt.date
    date_to: dt.date
    start: dt.datetime
    end: dt.datetime
    # (from_epoch, offset_seconds): the offset holds from from_epoch until the next segment.
    segments: tuple[tuple[int, int], ...]
    aligned: bool

    @property
    def a(self) -> int:
        return to_epoch(self.start)

    @property
    def b(self) -> int:
        return to_epoch(self.end)

    def days(self) -> list[dt.date]:
        n = (self.date_to - self.date_from).days + 1
        return [self.date_from + dt.timedelta(days=i) for i in range(n)]

    def local_hours(self) -> list[tuple[int, int]]:
        """Every local hour of the window as (utc_start, utc_end) epochs. DST-aware: a skipped
        hour is absent, a repeated hour appears twice, a half-hour shift gives a short hour."""
        edges, t = [self.a], self.a
        while t < self.b:
            nxt = t + 3600 - _into_hour(t, self.tz)
            if _offset(nxt - 1, self.tz) != _offset(t, self.tz):
                lo, hi = t, nxt - 1  # the first second of the new offset lies in (lo, hi]
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    lo, hi = (
                        (mid, hi) if _offset(mid, self.tz) == _offset(t, self.tz) else (lo, mid)
                    )
                into = _into_hour(hi, self.tz)
                nxt = hi if into == 0 else hi + 3600 - into
            t = min(nxt, self.b)
            edges.append(t)
        return list(zip(edges, edges[1:], strict=False))


def _offset(epoch: int, tz: ZoneInfo) -> int:
    return int(dt.datetime.fromtimestamp(epoch, tz=tz).utcoffset().total_seconds())


def _into_hour(epoch: int, tz: ZoneInfo) -> int:
    local = dt.datetime.fromtimestamp(epoch, tz=tz)
    return local.minute * 60 + local.second


def local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The first instant of `day` in `tz`, in UTC (a skipped midnight gives the day's start)."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)


def report_window(*, date_from: dt.date, date_to: dt.date, tz: ZoneInfo) -> Window:
    start = local_midnight(date_from, tz)
    end = local_midnight(date_to + dt.timedelta(days=1), tz)
    segments: list[tuple[int, int]] = []
    aligned = True
    epoch, stop = to_epoch(start), to_epoch(end)
    while epoch < stop:  # 15-minute steps: offsets change on bucket edges in aligned zones
        offset = _offset(epoch, tz)
        if offset % BUCKET_SECONDS:
            aligned = False
        if not segments or segments[-1][1] != offset:
            segments.append((epoch, offset))
        epoch += BUCKET_SECONDS
    if start.timestamp() % BUCKET_SECONDS or end.timestamp() % BUCKET_SECONDS:
        aligned = False
    return Window(
        tz=tz,
        date_from=date_from,
        date_to=date_to,
        start=start,
        end=end,
        segments=tuple(segments) or ((epoch, 0),),
        aligned=aligned,
    )


def _offset_expression(window: Window) -> Case | Value:
    """The zone's UTC offset (seconds) at a rollup's bucket, as SQL."""
    if len(window.segments) == 1:
        return Value(window.segments[0][1], output_field=BigIntegerField())
    whens = [
        When(bucket__lt=nxt[0], then=Value(seg[1]))
        for seg, nxt in zip(window.segments, window.segments[1:], strict=False)
    ]
    return Case(*whens, default=Value(window.segments[-1][1]), output_field=BigIntegerField())


def _local(window: Window):
    return ExpressionWrapper(
        F("bucket") + _offset_expression(window), output_field=BigIntegerField()
    )


def day_expression(window: Window):
    return ExpressionWrapper(_local(window) / Value(86400), output_field=BigIntegerField())


def _segment_start_expression(window: Window) -> Case | Value:
    """Since when the offset at a rollup's bucket holds (the last offset change before it)."""
    if len(window.segments) == 1:
        return Value(window.segments[0][0], output_field=BigIntegerField())
    whens = [
        When(bucket__lt=nxt[0], then=Value(seg[0]))
        for seg, nxt in zip(window.segments, window.segments[1:], strict=False)
    ]
    return Case(*whens, default=Value(window.segments[-1][0]), output_field=BigIntegerField())


def hour_expression(window: Window):
    """UTC epoch of the start of the bucket's local hour (unique even on a 25-hour day). After
    a half-hour shift (Australia/Lord_Howe) the hour begins at the shift, not before it."""
    return Greatest(
        ExpressionWrapper(
            _local(window) / Value(3600) * Value(3600) - _offset_expression(window),
            output_field=BigIntegerField(),
        ),
        _segment_start_expression(window),
        output_field=BigIntegerField(),
    )


def epoch_to_local(epoch: int, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=tz)


def day_number_to_date(number: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=number)
