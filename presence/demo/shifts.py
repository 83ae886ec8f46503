"""When each demo rep works: the planned shifts of the seeded window, in the rep's local hours."""

from __future__ import annotations

import datetime as dt
import random

from .config import RepPlan


def plan_shifts(
    plan: RepPlan, rng: random.Random, *, now: dt.datetime, days: int
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Planned (start, end) of each shift in the window, in the rep's local hours; a shift with end > now is going on."""
    first = now - dt.timedelta(days=days)
    days_off = {5, 6} if rng.random() < 0.75 else set(rng.sample(range(7), 2))
    today = now.astimezone(plan.tz).date()
    shifts = []
    for back in range(days + 1, -1, -1):
        day = today - dt.timedelta(days=back)
        if day.weekday() in days_off or rng.random() < 0.05:
            continue
        start = dt.datetime.combine(day, dt.time(plan.start_hour), tzinfo=plan.tz).astimezone(
            dt.UTC
        )
        start += dt.timedelta(minutes=rng.randint(-20, 25))
        end = start + dt.timedelta(minutes=rng.randint(450, 540))
        if first <= start < now:
            shifts.append((start, end))
    # Whatever the hour of seeding, about half the reps not on a regular shift are on an extra one,
    # started today (local), so that the live reports have people to show.
    if not (shifts and shifts[-1][1] > now) and rng.random() < 0.5:
        midnight = dt.datetime.combine(today, dt.time(), tzinfo=plan.tz).astimezone(dt.UTC)
        start = max(
            now - dt.timedelta(minutes=rng.randint(15, 300)),
            midnight + dt.timedelta(minutes=5),
            first,
        )
        if now - start >= dt.timedelta(minutes=10):
            shifts.append((start, start + dt.timedelta(minutes=rng.randint(450, 540))))
    return shifts
