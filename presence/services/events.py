"""The event log's writer (issue 14): every event is written here, in the caller's transaction.

`event_record` (one event) and `event_record_many` (a bulk change: one statement per 1,000
events) are called by the one write path (transitions, conversations, offers, capacity and
configuration services) inside the transaction of the change, so a change that rolls back leaves
no event. Ordering (docs/events.md, "Ordering"): on PostgreSQL the insert first takes a
transaction-scoped advisory lock, in the same statement, so event-writing transactions commit in
the order of their ids and a reader paging `id > after` never skips a late commit. The insert is
sent with the transaction's next boundary (its COMMIT, or the SAVEPOINT or RELEASE of a nested
block: portal/db_backend), so the lock is held for the server's time only. Callers write their
events last in their transaction (the lock is held until commit).
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

# The event types (docs/events.md lists their fields).
PRESENCE_CHANGED = "presence.changed"
CONVERSATION_CHANGED = "conversation.changed"
OFFER_DECIDED = "offer.decided"
CAPACITY_CHANGED = "capacity.changed"
STATUS_UPDATED = "status.updated"
TYPES = (PRESENCE_CHANGED, CONVERSATION_CHANGED, OFFER_DECIDED, CAPACITY_CHANGED, STATUS_UPDATED)


def status_data(status) -> dict:
    """A status (engine.StatusRef or PresenceStatus) as events carry it."""
    return {
        "id": status.id,
        "name": status.name,
        "presence_text": status.presence_text,
        "base_status": status.base_status,
    }


def capacity_data(snapshot, *, cause: str) -> dict:
    """A rep's capacity (engine.CapacitySnapshot) after a change, and what changed it."""
    return {
        "cause": cause,
        "units_total": snapshot.units_total,
        "units_used": snapshot.units_used,
        "sessions": snapshot.sessions,
        "profiles": [
            {"id": p.profile_id, "name": p.name, "limit": p.limit, "used": p.used}
            for p in snapshot.profiles
        ],
    }


def conversation_data(
    *,
    conversation_id: int,
    workstream_id: int,
    from_state: str,
    to_state: str,
    from_rep: int | None,
    to_rep: int | None,
    action: str,
) -> dict:
    return {
        "conversation_id": conversation_id,
        "workstream_id": workstream_id,
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "from_representative_id": from_rep,
        "representative_id": to_rep,
    }


def offer_data(offer) -> dict:
    return offer_row_data(offer.pk, offer.conversation_id, offer.state, offer.forced)


def offer_row_data(offer_id: int, conversation_id: int, decision: str, forced: bool) -> dict:
    return {
        "offer_id": offer_id,
        "conversation_id": conversation_id,
        "decision": decision,
        "forced": forced,
    }


def conversation_events(moves, *, action: str) -> list[EventRow]:
    """One event per moved conversation, under its rep now (else the rep it left, else none);
    `moves`: (id, workstream id, from state, to state, rep before, rep after)."""
    return [
        (
            CONVERSATION_CHANGED,
            after or before,
            conversation_data(
                conversation_id=pk,
                workstream_id=ws,
                from_state=old,
                to_state=new,
                from_rep=before,
                to_rep=after,
                action=action,
            ),
        )
        for pk, ws, old, new, before, after in moves
    ]


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
            [
                Event(type=t, representative_id=r, data=_plain(d), occurred_at=now)
                for t, r, d in rows
            ],
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
        # held until commit: the next writer draws its ids after this transaction committed. The
        # insert goes with the transaction's next boundary (portal/db_backend), so the lock is
        # held for the server's time of the insert and the COMMIT only.
        connection.defer(
            f"WITH lock AS MATERIALIZED (SELECT pg_advisory_xact_lock(%s)) "
            f"INSERT INTO {table} (type, representative_id, data, occurred_at) "
            f"SELECT v.type, v.rep, v.data, v.at FROM lock, (VALUES {values}) "
            f"AS v(type, rep, data, at)",
            params,
        )
    return len(rows)


def _plain(data: dict) -> dict:
    """Times as ISO 8601 text, as the PostgreSQL path writes them."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))
