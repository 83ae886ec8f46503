"""The event log's writer (issue 14): every event is written here, in the caller's transaction.

`event_record` (one event) and `event_record_many` (a bulk change: one statement per 1,000
events) are called by the one write path (transitions, conversations, offers, capacity and
configuration services) inside the transaction of the change, so a change that rolls back leaves
no event. Ordering (docs/events.md, "Ordering"): on PostgreSQL the insert first takes a
transaction-scoped advisory lock, in the same statement, so event-writing transactions commit in
the order of their ids and a reader paging `id > after` never skips a late commit. Callers write
their events last in their transaction (the lock is held until commit).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from presence.models import Event

from .webhooks import webhooks_kick

# pg_advisory_xact_lock key of the event log ("events" in ASCII); nothing else uses it.
EVENT_LOCK_KEY = 0x6576656E7473
_BATCH = 1000
# (type, representative id or None, data)
EventRow = tuple[str, int | None, dict]


def event_record(type: str, *, rep_id: int | None, data: dict, now: dt.datetime) -> None:
    """Write one event in the current transaction."""
    event_record_many([(type, rep_id, data)], now=now)


def event_record_many(rows: Iterable[EventRow], *, now: dt.datetime) -> int:
    """Write many events in the current transaction, in the given order; returns how many."""
    rows = list(rows)
    if not rows:
        return 0
    assert transaction.get_connection().in_atomic_block, "events are written inside a transaction"
    webhooks_kick()  # deliveries start once this commits (services/webhooks.py)
    if connection.vendor != "postgresql":
        # SQLite has one writer at a time: ids are given in commit order already.
        Event.objects.bulk_create(
            [Event(type=t, representative_id=r, data=d, occurred_at=now) for t, r, d in rows],
            batch_size=_BATCH,
        )
        return len(rows)
    table = connection.ops.quote_name(Event._meta.db_table)
    for start in range(0, len(rows), _BATCH):
        chunk = rows[start : start + _BATCH]
        values = ",".join(["(%s::varchar, %s::bigint, %s::jsonb, %s::timestamptz)"] * len(chunk))
        params: list = [EVENT_LOCK_KEY]
        for type_, rep_id, data in chunk:
            params += [type_, rep_id, json.dumps(data, cls=DjangoJSONEncoder), now]
        # The lock is taken before any id is drawn (the rows come out of the join with it), and
        # held until commit: the next writer draws its ids after this transaction committed.
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH lock AS MATERIALIZED (SELECT pg_advisory_xact_lock(%s)) "
                f"INSERT INTO {table} (type, representative_id, data, occurred_at) "
                f"SELECT v.type, v.rep, v.data, v.at FROM lock, (VALUES {values}) "
                f"AS v(type, rep, data, at)",
                params,
            )
    return len(rows)
