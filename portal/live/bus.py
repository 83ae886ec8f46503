"""Publication and fan-out of live changes (issue 13): what changed, never the data itself.

A message lists what one transaction changed: for each kind, the reps whose presence, capacity,
conversations or offers changed and whether a queued conversation with no rep changed (the
ongoing report shows those to everyone); and the ids of those reps' teams (A2 filtering happens
in the server, at delivery: `portal.live.hub`).

    {"changes": [{"kind": "offer", "reps": [12], "queue": false},
                 {"kind": "presence", "reps": [12], "queue": false}],
     "teams": {"12": [3, 4]}}

`publish()` is called by the one write path (presence/services) inside its transaction and sends on
`transaction.on_commit`, so a change that rolls back is never shown; all that one transaction
announces is one message. With REDIS_URL the message goes
to one Redis pub/sub channel that every server process subscribes to once (`hub.Hub`); without it,
to the hub of this process only (the embedded default of `make run`: one web process). A publisher
without Redis in another process (a Celery worker) reaches no stream: its changes show at the
pages' next fallback refresh (docs/architecture.md).
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)

KINDS = ("presence", "conversation", "offer", "capacity")
_client = None
_client_lock = threading.Lock()


def channel() -> str:
    return settings.LIVE_CHANNEL


def encode(changes: list[tuple[str, set[int], bool]], teams: dict[int, list[int]]) -> str:
    return json.dumps(
        {
            "changes": [
                {"kind": kind, "reps": sorted(reps), "queue": queue}
                for kind, reps, queue in changes
            ],
            "teams": {str(k): v for k, v in teams.items()},
        },
        separators=(",", ":"),
    )


def decode(raw: str | bytes) -> list[dict]:
    """One message per change, as the hub dispatches them:
    [{"kind", "reps": {rep_id: [team ids]}, "queue"}]."""
    data = json.loads(raw)
    if "kind" in data:  # one change, as a process of the release before sends it (a rolling deploy)
        data = {
            "changes": [{**data, "reps": list(data.get("reps") or ())}],
            "teams": data.get("reps") or {},
        }
    teams = {int(k): [int(t) for t in v] for k, v in (data.get("teams") or {}).items()}
    return [
        {
            "kind": change.get("kind", ""),
            "reps": {int(r): teams.get(int(r), []) for r in change.get("reps") or ()},
            "queue": bool(change.get("queue")),
        }
        for change in data.get("changes") or ()
    ]


def publish(
    *,
    kind: str,
    rep_ids: Iterable[int | None] | Callable[[], Iterable[int | None]] = (),
    queue: bool | Callable[[], bool] = False,
) -> None:
    """Announce, once the current transaction commits, that `rep_ids` (and the queue) changed.

    `rep_ids` and `queue` may be functions, called at commit: a service can announce a
    conversation before it knows whose it ends up. Outside a transaction it sends at once. Never
    raises into the caller: a change that committed is answered as usual even when Redis is down
    (the pages then catch up at their fallback refresh).

    Everything one transaction announces goes out as one message at its commit (`_Pending`): one
    query for the reps' teams and one Redis message, however many changes it made (an accepted
    offer is an offer, a conversation and a presence change)."""
    assert kind in KINDS, kind
    change = (kind, rep_ids, queue)
    pending = _pending()
    if pending is None:
        _flush([change])
    else:
        pending.changes.append(change)


class _Pending:
    """The changes announced in one transaction (or savepoint), sent by one on_commit callback.
    A savepoint that rolls back takes its callback with it, and so what it announced."""

    def __init__(self) -> None:
        self.changes: list[tuple] = []
        self.sent = False

    def flush(self) -> None:
        self.sent = True
        _flush(self.changes)


def _pending() -> _Pending | None:
    """The current transaction's (savepoint's) pending changes, registered on first use; None
    in autocommit. A pending whose callback has run, or was discarded with a rollback, is never
    reused (Django keeps (savepoint ids, callback, robust) in run_on_commit) and is forgotten."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return None
    registry: dict[tuple, _Pending] = connection.__dict__.setdefault("live_pending", {})
    key = tuple(connection.savepoint_ids)
    pending = registry.get(key)
    if pending is None or not _waiting(pending, connection):
        for old in [k for k, p in registry.items() if not _waiting(p, connection)]:
            del registry[old]
        pending = registry[key] = _Pending()
        transaction.on_commit(pending.flush, robust=True)
    return pending


def _waiting(pending: _Pending, connection) -> bool:
    return not pending.sent and any(entry[1] == pending.flush for entry in connection.run_on_commit)


def _flush(changes: list[tuple]) -> None:
    """Resolve the changes (their functions are called now, after commit) and send them."""
    resolved = []
    for kind, rep_ids, queue in changes:
        try:
            reps = {r for r in (rep_ids() if callable(rep_ids) else rep_ids) if r}
            to_queue = bool(queue() if callable(queue) else queue)
        except Exception:  # one change that cannot say whose it was loses its notice alone
            log.exception("live: could not resolve a %s change", kind)
            continue
        if reps or to_queue:
            resolved.append((kind, reps, to_queue))
    if resolved:
        _send(resolved)


def _send(changes: list[tuple[str, set[int], bool]]) -> None:
    from .hub import hub

    if not settings.REDIS_URL and hub.loop is None:
        return  # no Redis and no stream in this process: nobody to tell
    try:
        raw = encode(changes, _teams_of(set().union(*(reps for _, reps, _ in changes))))
        if settings.REDIS_URL:
            _redis().publish(channel(), raw)
        else:
            hub.dispatch_threadsafe(decode(raw))
    except Exception:  # a lost notice must never fail a committed change
        log.exception("live: could not publish %s", ", ".join(kind for kind, _, _ in changes))


def _teams_of(rep_ids: set[int]) -> dict[int, list[int]]:
    """Each rep's team ids, in one query (A2: deliveries are filtered by them)."""
    reps: dict[int, list[int]] = {pk: [] for pk in rep_ids}
    for rep_id, team_id in _team_links().rows(ids=sorted(rep_ids)):
        reps[rep_id].append(team_id)
    return reps


@functools.cache
def _team_links():
    from portal.statements import Statement
    from presence.models import Representative

    return Statement(
        lambda *, ids: Representative.teams.through.objects.filter(
            representative_id__in=ids
        ).values_list("representative_id", "team_id")
    )


def _redis():
    """One client per process: redis-py's client is thread-safe over its connection pool (and
    the pool reconnects after a fork), so every request thread shares its connections."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                import redis

                _client = redis.Redis.from_url(
                    settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5
                )
    return _client
