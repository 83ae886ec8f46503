"""A real Celery worker and beat on Redis run the periodic jobs, and presence changes as the
rules say (S4 heartbeat timeout, P6 missed offer). Not eager mode: separate processes, the test
database shared through DATABASE_URL, a Redis database of their own."""

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from presence import services as s
from presence.models import RepresentativePresence
from tests.factories import ConversationFactory, RepresentativeFactory, WorkstreamFactory
from tests.presence.helpers import wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _own_redis_db(url: str) -> str:
    base = url.rsplit("/", 1)[0] if url.count("/") > 2 else url
    return f"{base}/14"


@pytest.fixture
def worker_and_beat(tmp_path):
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": _own_redis_db(os.environ["REDIS_URL"]),
        "PRESENCE_TICK_EVERY_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    common = [sys.executable, "-m", "celery", "-A", "portal"]
    procs = []
    logs = []
    for name, args in {
        "worker": [
            "worker",
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ],
        "beat": ["beat", "--schedule", str(tmp_path / "beat-schedule"), "--loglevel", "INFO"],
    }.items():
        log = tmp_path / f"{name}.log"
        logs.append(log)
        with log.open("wb") as out:
            procs.append(
                subprocess.Popen(
                    common + args,
                    cwd=settings.BASE_DIR,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    try:
        yield logs
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_for(predicate, logs, timeout=60):
    wait_for(
        predicate,
        seconds=timeout,
        what="the worker to apply the rule",
        step=0.5,
        detail=lambda: "\n".join(log.read_text()[-3000:] for log in logs),
    )


def test_s4_p6_beat_and_worker_run_the_periodic_jobs(worker_and_beat):
    now = timezone.now()
    silent = RepresentativeFactory()
    s.client_connect(representative=silent, client_id="silent", now=now - dt.timedelta(seconds=90))
    offered = RepresentativeFactory()
    s.client_connect(representative=offered, client_id="offered", now=now)
    conv = ConversationFactory(  # the real clock: a real worker and beat read it too
        workstream=WorkstreamFactory(missed_makes_inactive=True, offer_timeout_seconds=1), now=now
    )
    s.offer_create(conversation=conv, representative=offered, now=now - dt.timedelta(seconds=5))

    def applied() -> bool:
        rows = {r.pk: r for r in RepresentativePresence.objects.select_related("status")}
        return (rows[silent.pk].source, rows[offered.pk].status.name) == ("disconnect", "Inactive")

    _wait_for(applied, worker_and_beat)
    row = RepresentativePresence.objects.get(pk=silent.pk)
    assert row.saved_status.name == "Available"  # S4: saved for a reconnect inside the grace period
