"""The tests' one clock. Every test that needs "now" takes it from here: `T0` (or `at(seconds)`
after it) passed as `now=`, or the `now` fixture of tests/conftest.py, which also freezes the real
clock at T0 for the code a test cannot hand `now` to (views, middleware).

Why one, and why it may stay where it is: there used to be two, 2036 and 2025. The factories
stamped a conversation's creation with the real clock and a service never acts before a row's own
time (the clock clamp in presence/services/conversations.py), so every test that let a factory
stamp a row needed a clock after the real one (2036); the tests that passed `created_at` by hand
could use any date (2025). Now the factories take `now` (tests/factories.py) and default to T0, so
no row of a test depends on the day the suite runs.

Tests that are about a calendar (a DST weekend, a Tokyo day, a Monday after a change of time) keep
their own dates; tests that drive a real browser, server or worker keep the real clock, since
those processes read it themselves."""

import datetime as dt

T0 = dt.datetime(2036, 11, 24, 9, 0, tzinfo=dt.UTC)  # a Monday, 09:00 UTC


def at(seconds: float) -> dt.datetime:
    """`seconds` after T0."""
    return T0 + dt.timedelta(seconds=seconds)


def iso(moment: dt.datetime) -> str:
    """A UTC moment as the API writes it: 2036-11-24T09:00:00Z."""
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
