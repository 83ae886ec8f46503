"""One registry of the periodic jobs: each app contributes its own from its AppConfig.ready,
so the presence app runs the reports' job without importing the reports app.

A job is `job(*, now) -> int` (how many things it changed), idempotent. They run in the order
they were registered, which is INSTALLED_APPS order: presence's jobs first, then the reports'
rollup refresh, so a tick's own presence changes are in the rollups (R4). Celery beat runs each
on its timer (portal/celery.py); `presence_tick` runs them all once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Job = Callable[..., int]

JOBS: dict[str, Job] = {}


def register(name: str, job: Job) -> None:
    """Add `job` under `name`; registering the same job again (a second ready()) is a no-op."""
    if JOBS.get(name, job) is not job:
        raise ValueError(f"Another periodic job is already registered as {name!r}.")
    JOBS[name] = job


def run(name: str, *, now: dt.datetime) -> int:
    return JOBS[name](now=now)


def run_all(*, now: dt.datetime) -> dict[str, int]:
    """Every periodic job once, in registration order."""
    return {name: job(now=now) for name, job in JOBS.items()}
