"""Server-sent event streams over a Django async view (docs/architecture.md, "Live updates").

An open stream is a coroutine waiting on its listener's `wake` event: it costs no CPU until the
hub (portal.live.hub) wakes it for a change or for the per-process keep-alive.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connection, connections
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from .hub import ConsoleListener, Listener, ReportListener, hub, window_delay, window_phase

log = logging.getLogger(__name__)
RETRY_MS = 5000  # EventSource's own reconnect delay; the pages add backoff and jitter (JS)
_background: set[asyncio.Task] = set()


def event(name: str, data: dict) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def streams_supported(request: HttpRequest) -> bool:
    """Only an ASGI server can hold a stream open; under WSGI (the test live server, a WSGI
    deployment) the page is told at once and keeps polling."""
    return isinstance(request, ASGIRequest)


def no_stream() -> HttpResponse:
    # 204: EventSource stops without retrying; the page falls back to polling (JS).
    return HttpResponse(status=204)


def stream_response(iterator: AsyncIterator[bytes]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(iterator, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


async def in_thread(fn: Callable, /, **kwargs):
    """Run database work off the event loop: on PostgreSQL in the default pool (no thread per
    stream); on SQLite in Django's one thread for sync code (SQLite has one writer, and an
    in-memory database lives in one thread's connection). The connection is closed after: this
    work is rare (a goodbye, a tick every LIVE_TICK_SECONDS), and a pool thread's connection
    would otherwise stay open with nobody to close it."""

    def call():
        try:
            return fn(**kwargs)
        finally:
            connections.close_all()

    return await sync_to_async(call, thread_sensitive=connection.vendor == "sqlite")()


def run_in_background(coro: Awaitable) -> None:
    """A coroutine that must finish even though the stream that started it was cancelled. It runs
    in a context of its own, not the request's (whose view ran in a pool thread that has moved
    on)."""
    task = asyncio.get_running_loop().create_task(coro, context=contextvars.Context())
    _background.add(task)
    task.add_done_callback(_background.discard)


async def _changes(listener: Listener) -> AsyncIterator[bytes]:
    """The events of one listener until it is gone; each wake gives at most one change event."""
    while True:
        await listener.wake.wait()
        listener.wake.clear()
        if listener.gone:
            yield event("gone", {})
            return
        if isinstance(listener, ReportListener) and listener.has_changes:
            # Coalesce: at most one update per window, sent at the next window's start, so every
            # rendering that the page then fetches is newer than the change (reports/realtime/views.py).
            seconds = settings.REPORT_REFRESH_SECONDS
            phase = window_phase(teams=listener.teams, seconds=seconds)
            await asyncio.sleep(window_delay(seconds=seconds, phase=phase))
            payload = {
                "reps": sorted(listener.changed_reps),
                "queue": listener.queue_changed,
                "resync": listener.resync,
            }
            listener.changed_reps, listener.queue_changed, listener.resync = set(), False, False
            listener.ping = False
            listener.wake.clear()
            yield event("changed", payload)
        elif isinstance(listener, ConsoleListener) and (listener.kinds or listener.resync):
            payload = {"kinds": sorted(listener.kinds), "resync": listener.resync}
            listener.kinds, listener.resync, listener.ping = set(), False, False
            yield event("changed", payload)
        elif listener.ping:
            listener.ping = False
            yield b": ping\n\n"


async def listen(
    listener: Listener,
    *,
    hello: dict,
    on_close: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[bytes]:
    """The body of a stream: `hello` first, then the listener's changes; `on_close` when the
    client goes away (Django cancels the response when the client disconnects)."""
    hub.register(listener)
    try:
        await hub.until_subscribed()  # registered first: what comes meanwhile is kept for it
        listener.greeted = True
        yield f"retry: {RETRY_MS}\n".encode() + event("hello", hello)
        async for chunk in _changes(listener):
            yield chunk
    finally:
        hub.unregister(listener)
        if on_close is not None:
            run_in_background(on_close())


async def follow(
    listener: Listener,
    *,
    head: bytes,
    fetch: Callable[[], Awaitable[tuple[list[bytes], bool]]],
) -> AsyncIterator[bytes]:
    """A catch-up stream (issue 14, the events stream): `head` first, then whatever `fetch`
    returns (it keeps its own cursor; its flag: there may be more at once), again at each wake
    of the listener. The listener is
    registered before the first fetch, so what commits meanwhile wakes it: nothing is missed,
    and between changes the stream costs nothing (the per-process keep-alive wakes it too, which
    also catches up on changes whose notice was lost: a worker without Redis)."""
    hub.register(listener)
    try:
        await hub.until_subscribed()
        listener.greeted = True
        yield f"retry: {RETRY_MS}\n".encode() + head
        while True:
            more = True
            while more:
                chunks, more = await fetch()
                for chunk in chunks:
                    yield chunk
            await listener.wake.wait()
            listener.wake.clear()
            if listener.ping:
                listener.ping = False
                yield b": ping\n\n"
    finally:
        hub.unregister(listener)
