"""Publication and fan-out of live changes (issue 13): what changed, never the data itself.

A message names the reps whose presence, capacity, conversations or offers changed, each with the
ids of their teams (A2 filtering happens in the server, at delivery: `portal.live.hub`), and
whether a queued conversation with no rep changed (the ongoing report shows those to everyone).

    {"kind": "presence", "reps": {"12": [3, 4]}, "queue": false}

`publish()` is called by the one write path (presence/services) inside its transaction and sends on
`transaction.on_commit`, so a change that rolls back is never shown. With REDIS_URL the message goes
to one Redis pub/sub channel that every server process subscribes to once (`hub.Hub`); without it,
to the hub of this process only (the embedded default of `make run`: one web process). A publisher
without Redis in another process (a Celery worker) reaches no stream: its changes show at the
pages' next fallback refresh (docs/architecture.md).
"""

from __future__ import annotations

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


def encode(*, kind: str, reps: dict[int, list[int]], queue: bool = False) -> str:
    return json.dumps(
        {"kind": kind, "reps": {str(k): v for k, v in reps.items()}, "queue": queue},
        separators=(",", ":"),
    )


def decode(raw: str | bytes) -> dict:
    """The message with integer rep ids: {"kind", "reps": {rep_id: [team ids]}, "queue"}."""
    data = json.loads(raw)
    return {
        "kind": data.get("kind", ""),
        "reps": {int(k): [int(t) for t in v] for k, v in (data.get("reps") or {}).items()},
        "queue": bool(data.get("queue")),
    }


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
    (the pages then catch up at their fallback refresh)."""
    assert kind in KINDS, kind

    def send() -> None:
        reps = {r for r in (rep_ids() if callable(rep_ids) else rep_ids) if r}
        to_queue = bool(queue() if callable(queue) else queue)
        if reps or to_queue:
            _send(kind, reps, to_queue)

    transaction.on_commit(send, robust=True)


def _send(kind: str, rep_ids: set[int], queue: bool) -> None:
    from .hub import hub

    if not settings.REDIS_URL and hub.loop is None:
        return  # no Redis and no stream in this process: nobody to tell
    try:
        reps = _teams_of(rep_ids)
        raw = encode(kind=kind, reps=reps, queue=queue)
        if settings.REDIS_URL:
            _redis().publish(channel(), raw)
        else:
            hub.dispatch_threadsafe(decode(raw))
    except Exception:  # a lost notice must never fail a committed change
        log.exception("live: could not publish a %s change", kind)


def _teams_of(rep_ids: set[int]) -> dict[int, list[int]]:
    """Each rep's team ids, in one query (A2: deliveries are filtered by them)."""
    from presence.models import Representative

    reps: dict[int, list[int]] = {pk: [] for pk in rep_ids}
    if not rep_ids:
        return reps
    links = Representative.teams.through.objects.filter(representative_id__in=rep_ids)
    for rep_id, team_id in links.values_list("representative_id", "team_id"):
        reps[rep_id].append(team_id)
    return reps


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
