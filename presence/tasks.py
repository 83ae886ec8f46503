"""Celery tasks: thin. They take ISO strings only, call one service, and are idempotent."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from portal import periodic
from presence.services import jobs, webhooks


def _now(now: str | None) -> dt.datetime:
    return dt.datetime.fromisoformat(now) if now else timezone.now()


@shared_task(name="presence.run_job")
def run_job(name: str, now: str | None = None) -> int:
    """One periodic job by name (portal.periodic: presence's own, or another app's)."""
    return periodic.run(name, now=_now(now))


@shared_task(name="presence.tick")
def tick(now: str | None = None) -> dict[str, int]:
    """Every periodic job once (what `manage.py presence_tick` runs)."""
    return jobs.presence_tick(now=_now(now))


@shared_task(name="presence.webhooks_deliver")
def webhooks_deliver(endpoint_id: int, again: bool = True) -> int:
    """Send an endpoint's pending events in order (docs/events.md "Webhooks"); safe to run twice
    at once: the second finds the endpoint held, and looks once more a second later (an event
    that committed as the first was finishing is not left for the beat)."""
    delivered = webhooks.endpoint_deliver(endpoint_id=endpoint_id)
    if delivered >= webhooks.DRAIN_MAX:  # bounded drain: more may remain, go on in a new task
        webhooks_deliver.apply_async(args=[endpoint_id], expires=300)
        return delivered
    if not delivered and again and webhooks.endpoint_held(endpoint_id=endpoint_id):
        webhooks_deliver.apply_async(args=[endpoint_id, False], countdown=1, expires=60)
    return delivered
