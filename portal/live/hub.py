"""The live streams of one server process: who listens, what each is told, and the two per-process
tasks (never one per connection).

- `Hub.dispatch` hands a message (portal.live.bus) to the listeners it concerns, through indexes
  (a console by its rep id, a report by its teams), so an event costs its listeners, not every
  open stream. A report listener keeps only the reps of its viewer's scope (A2): the filter is
  here, in the server, never in the browser.
- The *subscriber* task (with REDIS_URL): one Redis pub/sub subscription per process.
- The *ticker* task, every LIVE_TICK_SECONDS: one set-based UPDATE marks every console client
  with an open stream in this process alive (S4: no HTTP heartbeat while the stream is open), and
  a comment line on every stream keeps proxies from closing it. When the process dies, the
  updates stop and its clients time out as any silent client does.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import logging
import random
import threading
import time
import zlib
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings

log = logging.getLogger(__name__)
# How long a stream's `hello` waits for the process's Redis subscription to be confirmed (the
# first stream of a fresh process, or one opened while Redis reconnects). A stream greeted before
# the confirmation is told to fetch once more when it comes (resync): nothing is lost silently.
SUBSCRIBE_WAIT_SECONDS = 2.0


class Listener:
    """One open stream. `wake` is set when something is waiting for it."""

    def __init__(self) -> None:
        self.wake = asyncio.Event()
        self.ping = False
        self.gone = False  # the stream must end (its client was timed out meanwhile)
        self.resync = False  # a message may have been lost: the page fetches once anyway
        self.greeted = False  # its `hello` went out (from then on, a lost message needs a resync)

    def offer(self, message: dict) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class ConsoleListener(Listener):
    """A rep's console tab: told of every change of its rep, at once."""

    def __init__(self, *, rep_id: int, client_id: str, connected_at: dt.datetime) -> None:
        super().__init__()
        self.rep_id = rep_id
        self.client_id = client_id
        self.connected_at = connected_at
        self.kinds: set[str] = set()

    def offer(self, message: dict) -> None:
        if self.rep_id in message["reps"]:
            self.kinds.add(message["kind"])
            self.wake.set()


class ReportListener(Listener):
    """A report tab: told which reps of its viewer's scope changed (A2), coalesced by the stream.

    `teams`: the viewer's team ids, or None for a viewer who sees every team. `rep_id`: a
    drill-down page listens to that rep only. `queue`: the ongoing report also shows queued
    conversations that belong to no rep (and so to no team). `offers`: whether the page shows
    offers themselves; one that does not (the agents report) is not told of an offer made, only
    of what an offer's answer changes (a conversation, a presence), which comes as a change of
    its own."""

    def __init__(
        self,
        *,
        teams: Iterable[int] | None,
        rep_id: int | None = None,
        queue: bool = False,
        offers: bool = True,
    ) -> None:
        super().__init__()
        self.teams = None if teams is None else frozenset(teams)
        self.rep_id = rep_id
        self.queue = queue
        self.offers = offers
        self.changed_reps: set[int] = set()
        self.queue_changed = False

    def visible(self, reps: dict[int, list[int]]) -> list[int]:
        if self.rep_id is not None:
            reps = {self.rep_id: reps[self.rep_id]} if self.rep_id in reps else {}
        if self.teams is None:
            return list(reps)
        return [rep for rep, teams in reps.items() if self.teams.intersection(teams)]

    def offer(self, message: dict) -> None:
        if message["kind"] == "offer" and not self.offers:
            return
        seen = self.visible(message["reps"])
        queue = self.queue and message["queue"]
        if seen or queue:
            self.changed_reps.update(seen)
            self.queue_changed = self.queue_changed or queue
            self.wake.set()

    @property
    def has_changes(self) -> bool:
        return bool(self.changed_reps or self.queue_changed or self.resync)


class Hub:
    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.consoles: dict[int, set[ConsoleListener]] = defaultdict(set)
        self.by_team: dict[int, set[ReportListener]] = defaultdict(set)
        self.everything: set[ReportListener] = set()  # viewers of every team
        self.queue: set[ReportListener] = set()
        self.tasks: set[asyncio.Task] = set()
        self.subscribed = asyncio.Event()  # messages reach this process (Redis confirmed it)
        self._lock = threading.Lock()

    # --- Listeners ---------------------------------------------------------------------------

    def register(self, listener: Listener) -> None:
        self._start()
        if isinstance(listener, ConsoleListener):
            self.consoles[listener.rep_id].add(listener)
            return
        assert isinstance(listener, ReportListener)
        if listener.teams is None:
            self.everything.add(listener)
        else:
            for team in listener.teams:
                self.by_team[team].add(listener)
        if listener.queue:
            self.queue.add(listener)

    def unregister(self, listener: Listener) -> None:
        if isinstance(listener, ConsoleListener):
            group = self.consoles.get(listener.rep_id)
            if group is not None:
                group.discard(listener)
                if not group:
                    del self.consoles[listener.rep_id]
            return
        assert isinstance(listener, ReportListener)
        self.everything.discard(listener)
        self.queue.discard(listener)
        for team in listener.teams or ():
            group = self.by_team.get(team)
            if group is not None:
                group.discard(listener)
                if not group:
                    del self.by_team[team]

    def listeners(self) -> list[Listener]:
        out: set[Listener] = set(self.everything) | self.queue
        for group in (*self.consoles.values(), *self.by_team.values()):
            out.update(group)
        return list(out)

    # --- Delivery ----------------------------------------------------------------------------

    def dispatch(self, message: dict) -> None:
        """In the event loop: hand `message` to the listeners it concerns."""
        reps = message["reps"]
        for rep_id in reps:
            for listener in self.consoles.get(rep_id, ()):
                listener.offer(message)
        candidates: set[ReportListener] = set(self.everything)
        for teams in reps.values():
            for team in teams:
                candidates.update(self.by_team.get(team, ()))
        if message["queue"]:
            candidates.update(self.queue)
        for listener in candidates:
            listener.offer(message)

    def dispatch_threadsafe(self, messages: list[dict]) -> None:
        """From any thread (a sync view's, after commit): dispatch in the loop of the streams.
        A process that never opened a stream has no loop and nobody to tell."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._dispatch_all(messages)
        else:
            loop.call_soon_threadsafe(self._dispatch_all, messages)

    def _dispatch_all(self, messages: list[dict]) -> None:
        for message in messages:
            self.dispatch(message)

    def wake_all(self, *, ping: bool = False, resync: bool = False) -> None:
        for listener in self.listeners():
            listener.ping = listener.ping or ping
            listener.resync = listener.resync or resync
            listener.wake.set()

    # --- The per-process tasks ---------------------------------------------------------------

    def _start(self) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self.loop is loop and self.tasks:
                return
            self.loop = loop  # a new loop (tests run several): start afresh in it
            self.subscribed = asyncio.Event()
            if not settings.REDIS_URL:
                self.subscribed.set()  # in-process dispatch needs no subscription
            # In a context of their own: not the context of the request that happened to start
            # them (its per-request thread must not serve the process's tasks).
            self.tasks = {loop.create_task(self._tick(), context=contextvars.Context())}
            if settings.REDIS_URL:
                self.tasks.add(loop.create_task(self._subscribe(), context=contextvars.Context()))

    async def until_subscribed(self) -> None:
        """Wait (a little) until messages published from now on reach this process."""
        if self.subscribed.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.subscribed.wait(), SUBSCRIBE_WAIT_SECONDS)

    def _confirmed(self) -> None:
        """Redis confirmed the subscription (the first time, or again after a reconnect, ours or
        redis-py's own): streams that were greeted before may have missed messages meanwhile."""
        self.subscribed.set()
        for listener in self.listeners():
            if listener.greeted:
                listener.resync = True
                listener.wake.set()

    async def shutdown(self) -> None:
        """Stop this process's tasks (tests; a server process simply ends)."""
        tasks, self.tasks, self.loop = self.tasks, set(), None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(settings.LIVE_TICK_SECONDS)
            try:
                await self.mark_alive()
            except Exception:  # the next tick tries again; clients time out meanwhile
                log.exception("live: could not mark the stream clients alive")
            self.wake_all(ping=True)

    async def _resync(self) -> None:
        """Without Redis, a Celery worker's changes (offers that expire, clients that time out)
        cannot reach this process: every LIVE_RESYNC_SECONDS each page fetches once anyway."""
        while True:
            await asyncio.sleep(settings.LIVE_RESYNC_SECONDS)
            self.wake_all(resync=True)

    async def mark_alive(self) -> None:
        """S4: one UPDATE for every console client with an open stream here; a client whose row
        is gone (timed out while this process stalled) ends its stream, and the page reconnects."""
        consoles = [c for group in self.consoles.values() for c in group]
        if not consoles:
            return
        ids = {c.client_id for c in consoles}
        from .streams import in_thread

        alive = await in_thread(_mark_alive, client_ids=ids)
        for console in consoles:
            if console.client_id not in alive:
                console.gone = True
                console.wake.set()

    async def _subscribe(self) -> None:
        """One Redis subscription for the whole process; reconnects with backoff and jitter. Each
        confirmation of the subscription (Redis answers `subscribe`) opens the streams' gate
        (`until_subscribed`) and tells every stream already greeted to fetch once (messages sent
        before it, or while the connection was down, were lost)."""
        import redis.asyncio as aioredis

        from .bus import channel, decode

        delay = 0.5
        while True:
            client = aioredis.Redis.from_url(settings.REDIS_URL)
            try:
                pubsub = client.pubsub()
                await pubsub.subscribe(channel())
                async for item in pubsub.listen():
                    if item.get("type") == "subscribe":
                        delay = 0.5
                        self._confirmed()
                    elif item.get("type") == "message":
                        try:
                            self._dispatch_all(decode(item["data"]))
                        except (ValueError, KeyError, TypeError):
                            log.warning("live: ignored a malformed message")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("live: Redis subscription lost (%s); retrying", exc)
            finally:
                self.subscribed.clear()
                await client.aclose()
            await asyncio.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 30)


def _mark_alive(client_ids: set[str]) -> set[str]:
    from django.db import transaction
    from django.utils import timezone

    from presence.models import Client

    now = timezone.now()
    # A row another transaction holds is skipped, never waited for: that transaction connects the
    # client again (fresh heartbeat), says goodbye or times it out. Waiting would hold the rows
    # updated so far against a connect that holds its rep's presence (lock order, docs/events.md).
    free = Client.objects.filter(client_id__in=client_ids).select_for_update(skip_locked=True)
    with transaction.atomic(savepoint=False):  # a locking subquery needs a transaction
        updated = Client.objects.filter(pk__in=free.values("pk")).update(last_heartbeat_at=now)
    if updated == len(client_ids):
        return client_ids  # the usual case: one statement
    # Some row is gone or was skipped: which ones are there (the UPDATE alone cannot say).
    return set(Client.objects.filter(client_id__in=client_ids).values_list("client_id", flat=True))


def window_phase(*, teams: Iterable[int] | None, seconds: int) -> float:
    """Where in the refresh period the windows of a viewer scope start (0 <= phase < seconds).

    The viewers of one scope share a phase, so they fetch in the same window and share one
    rendering; different scopes are spread over the period. With one phase for all (windows on
    the clock's whole multiples), every supervisor's report was rendered in the same instant at
    the start of each window: 16 renderings at once at a floor of 400 reps, 80 at 2,000, a burst
    that the API calls of that instant waited behind (bench/floor.py, API p99)."""
    key = "all" if teams is None else ",".join(str(t) for t in sorted(teams))
    return zlib.crc32(key.encode()) % 1000 / 1000 * seconds


def window_number(*, seconds: int, phase: float = 0.0, now: float | None = None) -> int:
    """The number of the refresh window `now` is in, for a scope of `phase`."""
    now = time.time() if now is None else now
    return int((now - phase) // seconds)


def window_delay(*, seconds: int, phase: float = 0.0, now: float | None = None) -> float:
    """Seconds to the start of the next refresh window of a scope of `phase` (window_phase)."""
    now = time.time() if now is None else now
    return seconds - ((now - phase) % seconds)


hub = Hub()
