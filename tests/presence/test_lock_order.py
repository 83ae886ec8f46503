"""The lock order of docs/events.md ("Ordering"), statement by statement, on PostgreSQL.

Every write path takes its locks as conversations, then presence rows by rep id, then the event
log's lock, and takes no row lock after the event log's lock: a transaction that holds the log's
lock and then waits for a row waits for a transaction that may itself be waiting for the log's
lock, and PostgreSQL ends one of them with "deadlock detected" (CI saw it once in the many-writers
test, tests/presence/test_concurrency.py; client_connect and representative_sign_out then wrote
their client rows after the transition's event). A random test of threads finds such an order by
luck; these tests read the order off the statements of every path, so a path that breaks it fails
every time.
"""

import contextlib
import datetime as dt
import random
import re
import threading

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.utils import timezone

from portal.exceptions import ApplicationError
from portal.live.hub import _mark_alive
from presence import services as s
from presence.models import Client, PresenceStatus
from tests.factories import RepresentativeFactory, WorkstreamFactory
from tests.presence.test_concurrency import _one_event

_WRITE = re.compile(r'^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"(\w+)"', re.IGNORECASE)


class _Order:
    """Records, per transaction, what each statement locks after the event log's lock."""

    def __init__(self):
        self.after_log_lock: list[str] = []  # statements that locked a row after the log's lock
        self.joined_locks: list[str] = []  # FOR UPDATE over a join without OF: shared rows too
        self.log_locks = 0
        self._holds_log_lock = False
        self._locked_tables: set[str] = set()

    def end_of_transaction(self) -> None:
        self._holds_log_lock = False
        self._locked_tables = set()

    def __call__(self, execute, sql, params, many, context):
        text = " ".join(sql.split())
        locks = " FOR UPDATE" in text or " FOR NO KEY UPDATE" in text
        if locks:
            if " JOIN " in text and " OF " not in text.split(" FOR ")[-1]:
                self.joined_locks.append(text)
            self._locked_tables.add(re.search(r'FROM "(\w+)"', text).group(1))
        write = _WRITE.match(text)
        if "pg_advisory_xact_lock" in text:
            self.log_locks += 1
            self._holds_log_lock = connection.in_atomic_block
        elif self._holds_log_lock and connection.in_atomic_block and (locks or write):
            # Allowed: rows of a table whose rows the transaction locked before (grace_expire
            # releases the conversations it locked), and their participants, which nobody
            # writes without their conversation's lock. Nothing can make either wait.
            table = write.group(2) if write else ""
            if table not in self._locked_tables | _guarded_by(self._locked_tables):
                self.after_log_lock.append(text[:160])
        if not connection.in_atomic_block:
            self.end_of_transaction()
        return execute(sql, params, many, context)


def _guarded_by(locked: set[str]) -> set[str]:
    return {"presence_conversationparticipant"} if "presence_conversation" in locked else set()


@pytest.fixture
def order(monkeypatch):
    recorder = _Order()
    for name in ("commit", "rollback"):
        real = getattr(connection, name)

        def ended(*args, _real=real, **kwargs):
            recorder.end_of_transaction()
            return _real(*args, **kwargs)

        monkeypatch.setattr(connection, name, ended)
    with connection.execute_wrapper(recorder):
        yield recorder


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_write_path_locks_a_row_after_the_event_log(order):
    """Every event of the many-writers mix (connect, heartbeat, goodbye, sign-out, manual, reset,
    assign, offer, accept, end, close, release, transfer) and every periodic job, with time moved
    on so the jobs have offers to expire, clients to time out and grace periods to end."""
    reps = [RepresentativeFactory(capacity_units=3).pk for _ in range(5)]
    workstreams = [
        WorkstreamFactory(units_per_conversation=1, offer_timeout_seconds=30),
        WorkstreamFactory(units_per_conversation=2, offer_timeout_seconds=30),
    ]
    statuses = list(PresenceStatus.objects.filter(user_can_set=True))
    rnd = random.Random(13)
    done: dict[str, int] = {}
    start = timezone.now()
    for round_ in range(6):
        with time_machine.travel(start + dt.timedelta(hours=round_), tick=True):
            for _ in range(120):
                with contextlib.suppress(ApplicationError):
                    _one_event(rnd, reps, workstreams, statuses)
            # Ten minutes on, clients time out; ten more, their grace period is over.
            for minutes in (10, 20):
                later = timezone.now() + dt.timedelta(minutes=minutes)
                for job, count in s.presence_tick(now=later).items():
                    done[job] = done.get(job, 0) + count

    assert order.after_log_lock == []
    assert order.joined_locks == []
    # The run wrote events, and the jobs had work (else they proved nothing).
    assert order.log_locks > 100
    for job in ("offers_expire", "clients_timeout", "grace_expire"):
        assert done[job], done


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_marking_stream_clients_alive_skips_a_client_row_another_transaction_holds():
    """The live hub's one statement per interval never waits for a row: waiting, it would hold the
    rows it updated so far against a connect that holds its rep's presence and wants one of them."""
    now = timezone.now()
    reps = [RepresentativeFactory() for _ in range(2)]
    for rep in reps:
        s.client_connect(representative=rep, client_id=f"tab-{rep.pk}", now=now)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Client.objects.select_for_update().filter(client_id=f"tab-{reps[0].pk}").get()
                held.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # a wait fails the test instead of hanging
        try:
            alive = _mark_alive({f"tab-{rep.pk}" for rep in reps})
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = 0")
    finally:
        release.set()
        holder.join()
    # Both are still there; the free one got its heartbeat, the held one is left to its holder.
    assert alive == {f"tab-{rep.pk}" for rep in reps}
    beats = dict(Client.objects.values_list("client_id", "last_heartbeat_at"))
    assert beats[f"tab-{reps[1].pk}"] > now
    assert beats[f"tab-{reps[0].pk}"] == now
