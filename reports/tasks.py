"""Celery tasks of the historical report: an ISO `now` in (beat sends none: the worker's clock),
idempotent; the work is in reports.rollups."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from .alerts.jobs import alerts_refresh
from .rollups import rollups_purge, rollups_refresh


def _now(now: str | None) -> dt.datetime:
    return dt.datetime.fromisoformat(now) if now else timezone.now()


@shared_task(name="reports.rollups_refresh")
def rollups_refresh_task(now: str | None = None) -> int:
    """R4: bring the rollups up to `now` (ISO 8601 with offset)."""
    return rollups_refresh(now=_now(now))


@shared_task(name="reports.rollups_purge")
def rollups_purge_task(now: str | None = None) -> dict[str, int]:
    """R4 retention: delete rollups and intervals older than REPORT_RETENTION_MONTHS."""
    return rollups_purge(now=_now(now))


@shared_task(name="reports.alerts_refresh")
def alerts_refresh_task(now: str | None = None) -> int:
    """Alerts: open and close breaches of every active rule at `now` (ISO 8601 with offset)."""
    return alerts_refresh(now=_now(now))
