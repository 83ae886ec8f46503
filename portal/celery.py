"""The Celery app. The periodic schedule lives here and only here."""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    # Every task is idempotent, so a task whose worker died is safely run again.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_soft_time_limit=120,
    task_time_limit=180,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    timezone="UTC",
)
app.autodiscover_tasks()


@worker_process_init.connect
def _reuse_database_connections(**_) -> None:
    """A prefork child runs one task at a time in one thread, so its database connection is kept
    from task to task (`WORKER_CONN_MAX_AGE`, 300 s) instead of opened for every task: the web
    server's 0 is for ASGI, whose threads never reuse one (portal/settings/base.py). Webhook
    deliveries and periodic jobs are many short tasks; a new PostgreSQL connection costs more
    than most of them."""
    from django.conf import settings

    for database in settings.DATABASES.values():
        if not database.get("OPTIONS", {}).get("pool"):
            database["CONN_MAX_AGE"] = settings.WORKER_CONN_MAX_AGE


@app.task(name="portal.ping", ignore_result=False)
def ping(value: str) -> str:
    """A round trip for health checks: the worker answers what it was sent."""
    return f"pong:{value}"


def _every(seconds: int, job: str) -> dict:
    # A run that would start after the next one is due is dropped, not queued behind it.
    return {
        "task": "presence.run_job",
        "schedule": float(seconds),
        "args": (job,),
        "options": {"expires": seconds},
    }


def beat_schedule() -> dict:
    """Every periodic job (portal.periodic) on its timer (api.md); a test checks none is missing.
    Presence's jobs run through presence.run_job; the reports' rollup refresh is its own task."""
    from django.conf import settings

    tick = settings.PRESENCE_TICK_EVERY_SECONDS
    timers = {
        "offers_expire": tick,
        "clients_timeout": tick,
        "grace_expire": tick,
        "wrap_up_release": tick,
        "end_of_day_reset": 60,
        "conversations_autoclose": settings.CONVERSATION_AUTOCLOSE_EVERY_SECONDS,
        "conversations_flag_stuck": 60,
        "presence_safety_net": 60,
        "events_purge": 3600,  # EVENTS_RETENTION_DAYS (docs/events.md)
    }
    timers["webhooks_dispatch"] = settings.WEBHOOKS_DISPATCH_EVERY_SECONDS  # issue 14
    schedule = {f"presence.{name}": _every(seconds, name) for name, seconds in timers.items()}
    # R4: reports lag live data by at most one minute (periodic job "report_rollups").
    schedule["reports.rollups_refresh"] = {
        "task": "reports.rollups_refresh",
        "schedule": 30.0,
        "options": {"expires": 30},
    }
    # Alerts (issue 16): breaches opened and closed (periodic job "report_alerts").
    schedule["reports.alerts_refresh"] = {
        "task": "reports.alerts_refresh",
        "schedule": float(tick),
        "options": {"expires": tick},
    }
    # Retention (REPORT_RETENTION_MONTHS): once a day, at a quiet hour.
    schedule["reports.rollups_purge"] = {
        "task": "reports.rollups_purge",
        "schedule": crontab(hour=3, minute=17),
    }
    return schedule


app.conf.beat_schedule = beat_schedule()
