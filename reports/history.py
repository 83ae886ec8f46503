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

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest

from presence.models import (
    BaseStatus,
    BuiltinStatus,
    ConversationParticipant,
    Offer,
    OfferState,
    ParticipantRole,
    PresenceInterval,
    PresenceStatus,
    Representative,
    Team,
    Workstream,
)
from presence.selectors import intervals_overlapping, representatives_visible_to

from .models import BUCKET_SECONDS, DailyStatusRollup, StatusRollup
from .rollups import DAY, intervals_cte, to_epoch, watermark, window_params

BASES = list(BaseStatus.values)
# Built-ins whose time is already their base status column; every other status gets a column.
PLAIN_BUILTINS = {
    BuiltinStatus.AVAILABLE,
    BuiltinStatus.BUSY,
    BuiltinStatus.DND,
    BuiltinStatus.AWAY,
    BuiltinStatus.OFFLINE,
}


# Time ------------------------------------------------------------------------------------------


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


def _day_expression(window: Window):
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


def _hour_expression(window: Window):
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


# Which reps ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoricalFilters:
    date_from: dt.date
    date_to: dt.date
    tz: ZoneInfo
    team: Team | None = None
    representative: Representative | None = None
    workstream: Workstream | None = None
    channel: str = ""

    def window(self) -> Window:
        return report_window(date_from=self.date_from, date_to=self.date_to, tz=self.tz)


def _conversation_scope(filters: HistoricalFilters, prefix: str) -> Q:
    q = Q()
    if filters.workstream is not None:
        q &= Q(**{f"{prefix}workstream": filters.workstream})
    if filters.channel:
        q &= Q(**{f"{prefix}workstream__channel": filters.channel})
    return q


def representatives_for_report(
    *, user: AbstractBaseUser, filters: HistoricalFilters, window: Window
) -> QuerySet[Representative]:
    """A2: the user's visible reps, narrowed by team and rep; a workstream or channel keeps the
    reps who were offered or handled work there in the window."""
    reps = representatives_visible_to(user=user)
    if filters.team is not None:
        reps = reps.filter(teams=filters.team)
    if filters.representative is not None:
        reps = reps.filter(pk=filters.representative.pk)
    if filters.workstream is not None or filters.channel:
        worked = ConversationParticipant.objects.filter(
            _conversation_scope(filters, "conversation__"),
            representative=OuterRef("pk"),
            role=ParticipantRole.PRIMARY,
            joined_at__lt=window.end,
        ).filter(Q(left_at__isnull=True) | Q(left_at__gte=window.start))
        offered = Offer.objects.filter(
            _conversation_scope(filters, "conversation__"),
            representative=OuterRef("pk"),
            created_at__gte=window.start,
            created_at__lt=window.end,
        )
        reps = reps.filter(Q(Exists(worked)) | Q(Exists(offered)))
    return Representative.objects.filter(pk__in=reps.values("pk")).order_by("name", "pk")


# Status seconds --------------------------------------------------------------------------------


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
            .annotate(day=_day_expression(window))
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
            .annotate(hour=_hour_expression(window))
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


# Conversation figures --------------------------------------------------------------------------


@dataclass
class RepFigures:
    """One line of the per-rep table (or the team total)."""

    representative_id: int | None
    name: str
    statuses: dict[tuple[int, str], int] = field(default_factory=dict)
    handled: int = 0
    handle_seconds: int = 0
    transfers: int = 0
    offers: int = 0
    rejected: int = 0
    missed: int = 0

    def base_seconds(self, base: str) -> int:
        return sum(s for (_, b), s in self.statuses.items() if b == base)

    def status_seconds(self, status_id: int) -> int:
        return sum(s for (sid, _), s in self.statuses.items() if sid == status_id)

    @property
    def total_seconds(self) -> int:
        return sum(self.statuses.values())

    @property
    def signed_in_seconds(self) -> int:
        return self.total_seconds - self.base_seconds(BaseStatus.OFFLINE)

    @property
    def rejected_rate(self) -> float | None:
        return self.rejected / self.offers if self.offers else None

    @property
    def missed_rate(self) -> float | None:
        return self.missed / self.offers if self.offers else None

    @property
    def average_handle_seconds(self) -> int | None:
        return round(self.handle_seconds / self.handled) if self.handled else None

    def add(self, other: RepFigures) -> None:
        for key, seconds in other.statuses.items():
            self.statuses[key] = self.statuses.get(key, 0) + seconds
        for name in ("handled", "handle_seconds", "transfers", "offers", "rejected", "missed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def conversation_figures(
    *, reps: QuerySet[Representative], window: Window, filters: HistoricalFilters
) -> dict[int, dict[str, int]]:
    """{rep id: handled, handle_seconds, transfers, offers, rejected, missed} in 3 queries."""
    out: dict[int, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(
            ("handled", "handle_seconds", "transfers", "offers", "rejected", "missed"), 0
        )
    )
    scope = _conversation_scope(filters, "conversation__")
    parts = ConversationParticipant.objects.filter(
        scope,
        representative__in=reps.values("pk"),
        role=ParticipantRole.PRIMARY,
        joined_at__lt=window.end,
        left_at__gte=window.start,
        left_at__lt=window.end,
    )
    handled = (
        parts.values("representative_id")
        .annotate(
            n=Count("id"),
            handle=Sum(
                ExpressionWrapper(F("left_at") - F("joined_at"), output_field=DurationField())
            ),
        )
        .order_by()
    )
    for row in handled:
        figures = out[row["representative_id"]]
        figures["handled"] = row["n"]
        handle = row["handle"]
        figures["handle_seconds"] = int(handle.total_seconds()) if handle else 0
    next_rep = ConversationParticipant.objects.filter(
        conversation=OuterRef("conversation"),
        role=ParticipantRole.PRIMARY,
        joined_at=OuterRef("left_at"),
    ).exclude(representative=OuterRef("representative"))
    transfers = (
        parts.filter(Exists(next_rep))
        .values("representative_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in transfers:
        out[row["representative_id"]]["transfers"] = row["n"]
    decided = [OfferState.ACCEPTED, OfferState.REJECTED, OfferState.MISSED]
    offers = (
        Offer.objects.filter(
            scope,
            representative__in=reps.values("pk"),
            created_at__gte=window.start,
            created_at__lt=window.end,
            state__in=decided,
        )
        .values("representative_id")
        .annotate(
            n=Count("id"),
            rejected=Count("id", filter=Q(state=OfferState.REJECTED)),
            missed=Count("id", filter=Q(state=OfferState.MISSED)),
        )
        .order_by()
    )
    for row in offers:
        figures = out[row["representative_id"]]
        figures["offers"], figures["rejected"], figures["missed"] = (
            row["n"],
            row["rejected"],
            row["missed"],
        )
    return out


@dataclass
class RepReport:
    rows: list[RepFigures]
    total: RepFigures
    statuses: list[PresenceStatus]  # the per-status columns (custom statuses and Inactive)
    status_names: dict[int, PresenceStatus]


def rep_report(
    *,
    reps: QuerySet[Representative],
    window: Window,
    filters: HistoricalFilters,
    now: dt.datetime,
) -> RepReport:
    """Per-rep figures and the team total, in a fixed number of queries."""
    seconds = status_seconds_by_rep(reps=reps, window=window, now=now)
    conversations = conversation_figures(reps=reps, window=window, filters=filters)
    total = RepFigures(representative_id=None, name="Total")
    rows = []
    for rep_id, name in reps.values_list("pk", "name").iterator(chunk_size=2000):
        row = RepFigures(
            representative_id=rep_id, name=name, statuses=dict(seconds.get(rep_id, {}))
        )
        if rep_id in conversations:
            for key, value in conversations[rep_id].items():
                setattr(row, key, value)
        total.add(row)
        rows.append(row)
    return RepReport(rows=rows, total=total, **status_columns(total.statuses))


def status_columns(statuses: dict[tuple[int, str], int]) -> dict:
    ids = {status_id for status_id, _ in statuses}
    known = {s.pk: s for s in PresenceStatus.objects.filter(pk__in=ids)}
    columns = sorted(
        (s for s in known.values() if s.builtin_key not in PLAIN_BUILTINS),
        key=lambda s: (BASES.index(s.base_status), s.presence_text.lower(), s.pk),
    )
    return {"statuses": columns, "status_names": known}


# A rep's timeline ------------------------------------------------------------------------------


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
