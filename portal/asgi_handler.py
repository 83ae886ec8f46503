"""The portal's ASGI handler: Django's, with each request's sync work done in one hop.

Django's own ASGIHandler serves a sync view in five hops between the event loop and a thread
made for the request (a ThreadSensitiveContext: a new OS thread per request): the
`request_started` signal, the middleware chain, the view, `request_finished` and the response's
close, each queued on the event loop on its way back. Under a floor of thousands of open
streams that loop is busy, so every hop also waits its turn, and the machinery was most of the
loop's CPU (docs/performance.md, "One hop per request").

Here everything sync of a request runs in one call on a fixed pool of threads, as under WSGI:
`request_started`, the request, the sync middleware chain, the view, and, for an answer that is
not an open stream, reading a sync streaming body and closing the response (`request_finished`,
which gives the thread's database connection back, in the thread that used it). The event loop
reads the body before and sends the answer after, and, for a stream (a sync view answering with
an async iterator: the live streams), sends it as Django does, until it ends or the client goes
(a disconnect cancels it: its `finally` is the stream's goodbye).

Every view is sync; the live streams are sync views whose answers are async iterators
(portal.live.streams). An async view would be run by the sync chain through async_to_sync, on a
loop of its own: `tests/portal/test_asgi_handler.py` fails on one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.db import connections
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix

# Threads per process: DATABASE_POOL_MAX_SIZE, as many as the process's database connections (a
# request never waits for one that another thread holds idle); at least this many when the pool
# is off (0).
MIN_THREADS = 4


class PortalASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.threads = ThreadPoolExecutor(
            max_workers=max(MIN_THREADS, settings.DATABASE_POOL_MAX_SIZE),
            thread_name_prefix="request",
        )

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def handle(self, scope, receive, send) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        loop = asyncio.get_running_loop()
        try:
            response, is_open = await loop.run_in_executor(
                self.threads, self._respond, scope, body_file
            )
            if not is_open:
                await self.send_response(response, send)  # closed already, in its thread
                return
            await self._stream(response, receive, send)
            await loop.run_in_executor(self.threads, response.close)
        finally:
            body_file.close()

    def _respond(self, scope, body_file) -> tuple[HttpResponseBase, bool]:
        """In a pool thread: the request from start to a response ready to send, and whether it
        is an open stream (else it is closed already)."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
        if response.streaming and response.is_async:
            # An open stream: the view is done with the database, its stream's own work takes
            # connections of its own (portal.live.streams.in_thread).
            connections.close_all()
            return response, True
        if response.streaming:
            # A sync iterator (a CSV export, a static file) is read here at once, as Django's
            # own ASGI handler reads it (in a thread, into memory), then sent from the loop.
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
            parts = list(response)
            response.close()
            response.streaming_content = _replay(parts)
            return response, False
        response.close()
        return response, False

    async def _stream(self, response, receive, send) -> None:
        """Send an async stream until it ends or the client disconnects (which cancels it)."""
        sending = asyncio.create_task(self.send_response(response, send))
        listening = asyncio.create_task(self.listen_for_disconnect(receive))
        await asyncio.wait([sending, listening], return_when=asyncio.FIRST_COMPLETED)
        for task in (listening, sending):
            if not task.done():
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, RequestAborted):
                await task


async def _replay(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part
