"""Shared helpers for presence tests: short-hands over the presence rows and H1 (the clock is
tests/clock.py)."""

import time

from presence.models import PresenceInterval, RepresentativePresence

HTMX = {"HTTP_HX_REQUEST": "true"}  # the header htmx sends: a page answers its partial


def presence_of(rep) -> RepresentativePresence:
    return RepresentativePresence.objects.select_related("status", "saved_status").get(pk=rep.pk)


def status_name(rep) -> str:
    return presence_of(rep).status.name


def assert_h1(rep) -> list[PresenceInterval]:
    """H1: contiguous intervals, no overlap, no gap, exactly one open one and it is the last."""
    intervals = list(
        PresenceInterval.objects.filter(representative=rep)
        .select_related("status")
        .order_by("start", "id")
    )
    assert intervals, "no history"
    for before, after in zip(intervals, intervals[1:], strict=False):
        assert before.end is not None
        assert before.end == after.start
        assert before.start <= before.end
    assert intervals[-1].end is None
    row = presence_of(rep)
    assert (intervals[-1].status_id, intervals[-1].source, intervals[-1].start) == (
        row.status_id,
        row.source,
        row.since,
    )
    for interval in intervals:
        assert interval.base_status == interval.status.base_status
    return intervals


def wait_for(predicate, *, seconds: float, what: str, step: float = 0.1, detail=None):
    """Poll `predicate` (a real server, worker or browser acts meanwhile) until it is truthy;
    `detail()`, when given, adds what to read on a time-out (a process's log)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)  # real processes: waiting for them is the point of these tests
    more = f":\n{detail()}" if detail else ""
    raise AssertionError(f"timed out after {seconds} s waiting for {what}{more}")
