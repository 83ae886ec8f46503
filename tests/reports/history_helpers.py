"""Helpers of the historical report tests: write interval histories and compute truth directly."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

from django.http import StreamingHttpResponse
from django.urls import reverse

from presence.models import PresenceInterval, PresenceSource


def write_history(rep, start: dt.datetime, pieces, *, open_last: bool = True):
    """Contiguous intervals from `start`: pieces are (status, seconds). The last one stays open
    when `open_last` (H1). Returns the intervals."""
    rows, moment = [], start
    for i, (status, seconds) in enumerate(pieces):
        end = moment + dt.timedelta(seconds=seconds)
        last = i == len(pieces) - 1
        rows.append(
            PresenceInterval(
                representative=rep,
                status=status,
                base_status=status.base_status,
                source=PresenceSource.MANUAL,
                start=moment,
                end=None if (last and open_last) else end,
            )
        )
        moment = end
    return PresenceInterval.objects.bulk_create(rows)


def direct_seconds(intervals, a: dt.datetime, b: dt.datetime, now: dt.datetime) -> dict:
    """{(status id, base): seconds} of the intervals inside [a, b), open ones ending at now."""
    out: dict = {}
    for iv in intervals:
        start = max(iv.start, a)
        end = min(iv.end or now, b, now)
        if end > start:
            key = (iv.status_id, iv.base_status)
            out[key] = out.get(key, 0) + int(end.timestamp()) - int(start.timestamp())
    return out


def local_day_edges(day: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    return start, end


# The historical pages' tests: one day, 2026-03-10 in UTC (the floor: tests/reports/conftest.py).

URL = reverse("reports:historical")
T0 = dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC)
DAY = "period=custom&date_from=2026-03-10&date_to=2026-03-10&tz=UTC"


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def csv_rows(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def by_name(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    header = rows[0]
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
