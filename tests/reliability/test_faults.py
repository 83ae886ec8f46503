"""Faults survived, with real processes (gunicorn, Celery, redis-server) on 127.0.0.1.

- A Celery worker killed with SIGKILL in the middle of a safety-net pass over many reps, then
  restarted: the next pass converges (P4) and nothing is half-written (H1, presence rows).
- Redis stopped while events arrive: the API keeps accepting them (the database is the source of
  truth; no request needs Redis), and periodic work catches up when Redis is back.
- PostgreSQL unreachable (a TCP proxy in front of it, cut): the API answers 503 with a clear JSON
  message, writes nothing, and recovers without a restart when the database is back.

Each test starts its own redis-server on a port of its own (never the shared one) and its own
processes against pytest's test database. PostgreSQL itself is never stopped.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.utils import timezone

from presence.models import PresenceInterval, PresenceSource, PresenceStatus, Representative
from presence.models import RepresentativePresence as Presence
from presence.reads import load_builtins
from presence.services import api_token_create, client_connect
from tests.factories import RepresentativeFactory, UserFactory, WorkstreamFactory
from tests.reliability.stack import (
    CuttableProxy,
    assert_h1_and_p4,
    call,
    database_url,
    free_port,
    redis_cmd,
    redis_up,
    stack_env,
    start_web,
    start_worker,
    wait_until,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


# --- a Celery worker killed in the middle of a pass ------------------------------------------


REPS = 12_000


def populate_wrong_presences(reps: int) -> list[int]:
    """`reps` signed-in reps on capacity presence, all Available, each with one active
    conversation: the safety net must make every one of them Busy (a few statements of SQL)."""
    ws = WorkstreamFactory(units_per_conversation=1)
    builtins = {s.builtin_key: s.pk for s in load_builtins()[1].values()}
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO presence_representative (name, email, timezone, language, capacity_units,"
            " is_active, created_at) SELECT 'Fault rep ' || g, 'f' || g || '@x.test', 'UTC', 'en',"
            " 3, true, now()"
            " FROM generate_series(1, %s) g",
            [reps],
        )
        cur.execute(
            "INSERT INTO presence_representativepresence (representative_id, status_id, source,"
            " since, signed_in, signed_in_at, saved_source, updated_at) SELECT id, %s, 'capacity',"
            " now() - interval '1 hour', true, now() - interval '1 hour', '', now()"
            " FROM presence_representative WHERE name LIKE 'Fault rep %%'",
            [builtins["available"]],
        )
        cur.execute(
            "INSERT INTO presence_presenceinterval (representative_id, status_id, base_status,"
            " source, start) SELECT representative_id, status_id, 'available', 'capacity', since"
            " FROM presence_representativepresence"
        )
        cur.execute(
            "INSERT INTO presence_conversation (workstream_id, state, representative_id,"
            " consumes_capacity, units, created_at, state_changed_at, last_activity_at, is_stuck,"
            " closed_by_force) SELECT %s, 'active', id, true, 1, now(), now(), now(), false, false"
            " FROM presence_representative WHERE name LIKE 'Fault rep %%'",
            [ws.pk],
        )
        cur.execute("ANALYZE")
    return list(
        Representative.objects.filter(name__startswith="Fault rep ").values_list("pk", flat=True)
    )


@pytest.mark.redis
def test_p4_h1_worker_killed_mid_recalculation_then_next_pass_converges(procs, needs_redis_server):
    from celery import Celery

    port = free_port()
    procs("redis", redis_cmd(port), os.environ.copy())
    wait_until(lambda: redis_up(port), 20, "redis-server")
    env = stack_env(REDIS_URL=f"redis://127.0.0.1:{port}/0")
    rep_ids = populate_wrong_presences(REPS)
    busy = load_builtins()[0].busy.id
    wrong = Presence.objects.filter(pk__in=rep_ids).exclude(status_id=busy)
    assert wrong.count() == REPS

    sender = Celery(broker=env["REDIS_URL"])
    worker = start_worker(procs, env)
    # Small batches: the pass is many short transactions, so a kill lands between or inside them.
    sender.send_task("presence.run_job", args=["presence_safety_net"])
    wait_until(
        lambda: "presence.run_job" in worker.text() and "received" in worker.text(),
        30,
        "the pass to start",
        step=0.05,
    )
    wait_until(_worker_writing, 60, "the pass to be writing", step=0.01)
    worker.kill(signal.SIGKILL)
    left = wrong.count()
    assert left > 0, "the pass finished before the kill; make it bigger"

    # Nothing half-written: every rep is either fully recalculated or untouched.
    assert_h1_only(rep_ids)

    worker = start_worker(procs, env, name="worker2")
    sender.send_task("presence.run_job", args=["presence_safety_net"])
    wait_until(lambda: not wrong.exists(), 180, "the next pass to converge", step=0.5)
    assert_h1_and_p4(rep_ids)
    assert PresenceInterval.objects.filter(representative_id__in=rep_ids).count() == 2 * REPS


def _worker_writing() -> bool:
    """Another backend of this database is inside a transaction that has written (has an xid)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
        )
        return cur.fetchone()[0] > 0


def assert_h1_only(rep_ids) -> None:
    with connection.cursor() as cur:
        # Each rep: exactly one open interval, and it matches the presence row.
        cur.execute(
            "SELECT count(*) FROM presence_representativepresence p"
            " LEFT JOIN presence_presenceinterval i ON i.representative_id = p.representative_id"
            " AND i.end IS NULL AND i.status_id = p.status_id AND i.start = p.since"
            " WHERE p.representative_id = ANY(%s) AND i.id IS NULL",
            [list(rep_ids)],
        )
        assert cur.fetchone()[0] == 0, "a presence row without its open interval"
        cur.execute(
            "SELECT representative_id FROM presence_presenceinterval"
            ' WHERE representative_id = ANY(%s) AND "end" IS NULL'
            " GROUP BY representative_id HAVING count(*) > 1",
            [list(rep_ids)],
        )
        assert cur.fetchall() == [], "a rep with two open intervals"
        cur.execute(
            "SELECT count(*) FROM presence_presenceinterval a JOIN presence_presenceinterval b"
            " ON a.representative_id = b.representative_id AND a.id <> b.id"
            ' AND a."end" = b.start WHERE a.representative_id = ANY(%s)',
            [list(rep_ids)],
        )
        closed = cur.fetchone()[0]
        cur.execute(
            "SELECT count(*) FROM presence_presenceinterval WHERE representative_id = ANY(%s)"
            ' AND "end" IS NOT NULL',
            [list(rep_ids)],
        )
        assert closed == cur.fetchone()[0], "a closed interval not followed by the next one"


# --- Redis stopped while events arrive -----------------------------------------------------------


@pytest.mark.redis
def test_redis_down_api_keeps_accepting_events_and_periodic_work_catches_up(
    procs, needs_redis_server
):
    port = free_port()
    redis = procs("redis", redis_cmd(port), os.environ.copy())
    wait_until(lambda: redis_up(port), 20, "redis-server")
    env = stack_env(
        REDIS_URL=f"redis://127.0.0.1:{port}/0",
        PRESENCE_TICK_EVERY_SECONDS=1,
        PRESENCE_HEARTBEAT_TIMEOUT_SECONDS=3,
    )
    # The web process with the production settings: its cache (throttling) is this Redis too.
    web_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "SECRET_KEY": "fault-test-" + "k" * 40,
        "SECURE_SSL_REDIRECT": "false",
    }
    admin = UserFactory(username="fault-admin", groups=["Portal admins"])
    token = api_token_create(user=admin, now=timezone.now())[1]
    reps = [RepresentativeFactory(capacity_units=2).pk for _ in range(5)]
    statuses = dict(PresenceStatus.objects.values_list("builtin_key", "id"))
    url = start_web(procs, web_env)
    start_worker(procs, env)
    beat = procs(
        "beat",
        [sys.executable, "-m", "celery", "-A", "portal", "beat", "-l", "INFO",
         "-s", str(redis.log.parent / "beat-schedule")],
        env,
    )  # fmt: skip
    wait_until(lambda: "beat: Starting" in beat.text(), 60, "Celery beat")

    redis.kill(signal.SIGTERM)
    assert not redis_up(port)
    answers = []
    for rep in reps:
        answers.append(call(url, "POST", f"/api/v1/representatives/{rep}/clients", {}, token)[0])
        answers.append(
            call(
                url,
                "PUT",
                f"/api/v1/representatives/{rep}/presence",
                {"status_id": statuses["busy"]},
                token,
            )[0]
        )
        answers.append(call(url, "GET", f"/api/v1/representatives/{rep}/presence", None, token)[0])
    assert answers == [201, 200, 200] * len(reps), answers
    assert call(url, "GET", "/api/v1/teams", None, "bad-token-" + "x" * 20)[0] == 401
    assert call(url, "GET", "/healthz")[0] == 200
    time.sleep(4)  # past the heartbeat timeout while Redis is down: nothing can time them out
    assert Presence.objects.filter(pk__in=reps, signed_in=True).count() == len(reps)

    procs("redis2", redis_cmd(port), os.environ.copy())
    wait_until(lambda: redis_up(port), 20, "redis-server again")
    # The clients never beat: once beat and the worker reconnect, S4 times them out.
    wait_until(
        lambda: (
            Presence.objects.filter(pk__in=reps, source=PresenceSource.DISCONNECT).count()
            == len(reps)
        ),
        90,
        "the periodic jobs to catch up after Redis came back",
        step=0.5,
    )
    assert_h1_and_p4(reps)


def test_postgres_unreachable_answers_503_writes_nothing_and_recovers(procs):
    parts = urlsplit(os.environ["DATABASE_URL"])
    proxy = CuttableProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    admin = UserFactory(username="pg-admin", groups=["Portal admins"])
    token = api_token_create(user=admin, now=timezone.now())[1]
    rep = RepresentativeFactory(capacity_units=2)
    client_connect(representative=rep, now=timezone.now())
    statuses = dict(PresenceStatus.objects.values_list("builtin_key", "id"))
    url = start_web(procs, stack_env(DATABASE_URL=database_url(proxy.port), CONN_MAX_AGE=60))
    path = f"/api/v1/representatives/{rep.pk}/presence"
    assert call(url, "GET", path, None, token)[0] == 200
    before = PresenceInterval.objects.filter(representative=rep).count()

    proxy.cut()
    for method, body in (("PUT", {"status_id": statuses["away"]}), ("GET", None)):
        status, answer = call(url, method, path, body, token)
        assert status == 503, (method, status, answer)
        assert answer["error"] == "unavailable"
        assert "database" in answer["detail"]
    status, page = call(url, "GET", "/healthz")  # a page that needs the database
    assert status == 503
    assert "Temporarily unavailable" in page
    assert PresenceInterval.objects.filter(representative=rep).count() == before

    proxy.restore()
    status, answer = call(url, "PUT", path, {"status_id": statuses["away"]}, token)
    assert status == 200, answer  # the same process: no restart
    assert answer["status"]["id"] == statuses["away"]
    assert PresenceInterval.objects.filter(representative=rep).count() == before + 1
    assert call(url, "GET", "/healthz")[0] == 200
    assert_h1_and_p4([rep.pk])
    proxy.cut()
