"""The historical agents report's CSV exports (R3): headers, values, bounded memory."""

import datetime as dt
import tracemalloc

import pytest
from django.http import StreamingHttpResponse

from reports.models import StatusRollup
from tests.factories import RepresentativeFactory, builtin
from tests.reports.history_helpers import DAY, URL, csv_rows

pytestmark = pytest.mark.django_db


# CSV (R3) ----------------------------------------------------------------------------------------


def test_r3_hourly_csv_headers_and_values(client, admin_user, reps):
    client.force_login(admin_user)
    rows = csv_rows(client.get(f"{URL}?{DAY}&representative={reps[0].pk}&export=hours"))
    assert rows[0] == [
        "Hour starting",
        "Representative",
        "Representative id",
        "Signed in (s)",
        "Available (s)",
        "Busy (s)",
        "Do not disturb (s)",
        "Away (s)",
        "Offline (s)",
    ]
    assert rows[1] == [
        "2026-03-10T08:00:00+00:00",
        "Alice",
        str(reps[0].pk),
        "3600",
        "3600",
        "0",
        "0",
        "0",
        "0",
    ]
    assert rows[2] == [
        "2026-03-10T09:00:00+00:00",
        "Alice",
        str(reps[0].pk),
        "2400",
        "0",
        "600",
        "0",
        "1800",
        "0",
    ]
    assert len(rows) == 3


def _export_peak(client, n_reps: int, hours: int) -> int:
    StatusRollup.objects.all().delete()
    start = int(dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp())
    available = builtin("available")
    reps = [RepresentativeFactory() for _ in range(n_reps)]
    StatusRollup.objects.bulk_create(
        [
            StatusRollup(
                representative=rep,
                bucket=start + h * 3600,
                status=available,
                base_status="available",
                seconds=900,
            )
            for rep in reps
            for h in range(hours)
        ],
        batch_size=5000,
    )
    response = client.get(
        f"{URL}?period=custom&date_from=2026-01-01&date_to=2026-03-31&tz=UTC&export=hours"
    )
    assert isinstance(response, StreamingHttpResponse)
    tracemalloc.start()
    lines = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert lines == n_reps * hours + 1
    return peak


def test_r3_large_csv_export_streams_in_bounded_memory(client, admin_user):
    client.force_login(admin_user)
    small = _export_peak(client, 2, 1000)  # 2,000 rows
    large = _export_peak(client, 20, 1000)  # 20,000 rows
    assert large < small * 3, (small, large)  # holding rows would take ~10x
