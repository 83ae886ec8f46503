"""The pure parts of bench/floor.py (issue 13, item 7): the percentile, the held decision, the
search for the largest floor, and what the client reads off the wire. The bench itself never
runs in the tests."""

from __future__ import annotations

import asyncio
import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from _floor_http import Connection, EventStream, close_writer, parse_event  # noqa: E402
from _floor_stats import Measured, decide, limits_for, percentile, search  # noqa: E402
from _floor_tabs import Floor, Recorder, grid_rows, millis  # noqa: E402

PUSH = limits_for("push", refresh_seconds=5, console_poll_seconds=3, report_poll_seconds=5)


def measured(**changes) -> Measured:
    values = {
        "api_seconds": [0.05] * 100,
        "offer_seconds": [0.3] * 100,
        "grid_seconds": [5.0] * 100,
        "errors": 0,
        "invariant_problems": 0,
    } | changes
    return Measured(**values)


def test_percentile_is_the_nearest_rank_and_a_lost_sample_is_the_slowest():
    assert percentile([], 99) == 0.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    samples = [0.1] * 99 + [math.inf]
    assert percentile(samples, 99) == 0.1  # 1 lost of 100: within the p99
    assert math.isinf(percentile(samples + [math.inf], 99))  # 2 of 101: not


def test_limits_push_are_the_issues_and_poll_one_poll_plus_a_second():
    assert (PUSH.api_p99, PUSH.offer_p99, PUSH.grid_p99) == (0.2, 1.0, 6.0)
    poll = limits_for("poll", refresh_seconds=5, console_poll_seconds=3, report_poll_seconds=5)
    assert (poll.api_p99, poll.offer_p99, poll.grid_p99) == (0.2, 4.0, 6.0)
    with pytest.raises(ValueError, match="mode"):
        limits_for("both", refresh_seconds=5, console_poll_seconds=3, report_poll_seconds=5)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"api_seconds": [0.05] * 98 + [0.25] * 2}, "API p99 250 ms >= 200 ms"),
        ({"offer_seconds": [0.3] * 98 + [math.inf] * 2}, "offer to console p99 never"),
        ({"grid_seconds": [6.0]}, "presence to grid p99 6000 ms >= 6000 ms"),
        ({"grid_seconds": []}, "presence to grid: no sample"),
        ({"errors": 1}, "1 errors"),
        ({"invariant_problems": 2}, "2 invariant problems"),
    ],
)
def test_a_floor_is_not_held_for_each_reason_alone(changes, reason):
    assert decide(measured(), PUSH) == (True, [])
    held, reasons = decide(measured(**changes), PUSH)
    assert not held
    assert len(reasons) == 1
    assert reasons[0].startswith(reason)


def test_search_doubles_then_bisects_to_the_largest_floor_held():
    calls = []

    def held(n):
        calls.append(n)
        return n <= 1300

    best, tried = search(held, start=100, limit=6400, max_runs=20)
    # Doubling to the first miss (1600), then halves of the gap until it is within 10%.
    assert calls == [100, 200, 400, 800, 1600, 1200, 1400, 1300]
    assert best == 1300
    assert all(tried[n] == (n <= 1300) for n in tried)


def test_search_halves_when_the_first_size_fails_and_stops_at_its_bounds():
    assert search(lambda n: n <= 50, start=200, limit=6400, max_runs=20)[0] == 50
    assert search(lambda n: False, start=100, limit=6400, max_runs=20)[0] is None
    best, tried = search(lambda n: True, start=100, limit=400, max_runs=20)
    assert (best, sorted(tried)) == (400, [100, 200, 400])
    best, tried = search(lambda n: True, start=100, limit=6400, max_runs=2)
    assert (best, len(tried)) == (200, 2)
    budget_spent = search(lambda n: None if n > 200 else True, start=100, limit=6400, max_runs=20)
    assert budget_spent == (200, {100: True, 200: True})


def test_parse_event_reads_what_the_streams_send():
    assert parse_event('retry: 5000\nevent: hello\ndata: {"a":1}') == ("hello", '{"a":1}')
    assert parse_event(": ping") == ("comment", "ping")
    assert parse_event("retry: 5000") is None


def test_grid_rows_read_each_reps_status_since_in_milliseconds():
    html = (
        '<tr data-rep-id="7" id="rep-row-7"><td data-label="Presence">Away</td>'
        '<td data-label="Status since"><time datetime="2026-12-01T11:00:00.123456+01:00">'
        '</time></td></tr><tr data-rep-id="8" id="rep-row-8"><td data-label="Status since">—</td></tr>'
    )
    assert grid_rows(html) == {7: millis("2026-12-01T10:00:00.123Z")}


def test_a_presence_change_counts_as_shown_when_the_grid_shows_it_or_a_newer_one():
    """The grid may show a later change of the same rep (a conversation ended in the same
    window): the bench's change reached it. An older "status since" does not count."""
    recorder = Recorder()
    floor = Floor(
        host="h", port=1, mode="push", settings={"SESSION_COOKIE_NAME": "s"}, recorder=recorder
    )
    floor.expect_presence(7, "2026-12-01T10:00:00.000Z")
    floor.expect_presence(8, "2026-12-01T10:00:00.000Z")
    floor.saw_grid({7: millis("2026-12-01T09:59:59.000Z")}, at=0.0)
    assert recorder.grid == []  # older: not yet shown
    floor.saw_grid(
        {7: millis("2026-12-01T10:00:02.000Z"), 8: millis("2026-12-01T10:00:00Z")}, at=0.0
    )
    assert len(recorder.grid) == 2
    assert floor.presence_pending == {}


def test_a_presence_change_counts_as_shown_at_the_grids_precision_of_a_second():
    """The API answers milliseconds; the grid's `<time datetime>` whole seconds. A change the
    grid shows in its second is shown; the second before it is not."""
    recorder = Recorder()
    floor = Floor(
        host="h", port=1, mode="push", settings={"SESSION_COOKIE_NAME": "s"}, recorder=recorder
    )
    floor.expect_presence(7, "2026-12-01T10:00:05.678Z")
    floor.saw_grid(grid_rows(_row(7, "2026-12-01T11:00:04+01:00")), at=0.0)
    assert recorder.grid == []
    floor.saw_grid(grid_rows(_row(7, "2026-12-01T11:00:05+01:00")), at=0.0)
    assert len(recorder.grid) == 1
    assert floor.presence_pending == {}


def _row(rep_id: int, since: str) -> str:
    return (
        f'<tr data-rep-id="{rep_id}" id="rep-row-{rep_id}"><td data-label="Status since">'
        f'<time datetime="{since}">10:00</time></td></tr>'
    )


class _StuckWriter:
    """A connection whose peer never takes its last bytes: `wait_closed` never returns."""

    def __init__(self) -> None:
        self.closed = self.aborted = False
        self.transport = self

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    async def wait_closed(self) -> None:
        await asyncio.Event().wait()


@pytest.mark.parametrize("holder", [Connection, EventStream])
def test_a_tab_cancelled_while_it_closes_a_connection_is_cancelled(holder):
    # The poll run's hang: a cancel that came while a keep-alive connection closed was eaten,
    # the tab polled on, and the run waited for it forever.
    async def scenario() -> bool:
        conn = holder("127.0.0.1", 1)
        conn.writer = _StuckWriter()
        task = asyncio.ensure_future(conn.close())
        await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.wait([task], timeout=1)
        return task.cancelled()

    assert asyncio.run(scenario())


def test_closing_a_connection_whose_peer_never_reads_resets_it_in_bounded_time():
    writer = _StuckWriter()
    asyncio.run(asyncio.wait_for(close_writer(writer, timeout=0.05), 1))
    assert writer.closed
    assert writer.aborted
