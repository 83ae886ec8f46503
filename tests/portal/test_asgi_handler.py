"""The portal's ASGI handler (portal/asgi_handler.py): a request's sync work in one call to a
pool thread, streams sent as they come and cancelled by a disconnect, as Django's own does."""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.sync import SyncToAsync
from django.core import signals
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, path
from django.views.decorators.csrf import csrf_exempt

from portal.asgi_handler import PortalASGIHandler

finished_streams: list[str] = []


def sync_stream(request):
    return StreamingHttpResponse(iter([b"id,name\r\n", b"1,Ada\r\n"]), content_type="text/csv")


def async_stream(request):
    async def body():
        try:
            yield b"event: hello\n\n"
            await asyncio.Event().wait()  # open until the client goes
        finally:
            finished_streams.append("closed")

    return StreamingHttpResponse(body(), content_type="text/event-stream")


@csrf_exempt
def plain(request):
    return HttpResponse(request.body or b"empty")


urlpatterns = [
    path("sync-stream", sync_stream),
    path("async-stream", async_stream),
    path("plain", plain),
]


@pytest.fixture
def handler():
    """The portal's handler; its threads end with the test, and with them their database
    connections (an in-memory SQLite database keeps a connection open until its thread ends)."""
    application = PortalASGIHandler()
    yield application
    application.threads.shutdown(wait=True)


def asgi_call(
    application, path: str, *, method: str = "GET", body: bytes = b"", leave: bool = False
):
    """One request through `application` in this process: (status, body, hops to a thread,
    the threads request_started and request_finished ran in). `leave`: the client goes away
    once the first bytes of the answer arrived (else it stays until the answer is complete)."""
    hops = 0
    call = SyncToAsync.__call__

    async def counted(self, *args, **kwargs):
        nonlocal hops
        hops += 1
        return await call(self, *args, **kwargs)

    threads = {"started": [], "finished": []}

    def started(**kwargs):
        threads["started"].append(threading.current_thread().name)

    def finished(**kwargs):
        threads["finished"].append(threading.current_thread().name)

    sent: list[dict] = []

    async def run():
        body_sent = False
        gone = asyncio.Event()

        async def receive() -> dict:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)
            if leave and message.get("body"):
                gone.set()

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"testserver")],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
        }
        await asyncio.wait_for(application(scope, receive, send), timeout=10)

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    SyncToAsync.__call__ = counted
    try:
        asyncio.run(run())
    finally:
        SyncToAsync.__call__ = call
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, content, hops, threads


@pytest.mark.django_db
def test_a_sync_request_runs_in_one_pool_thread_from_request_started_to_request_finished(handler):
    """request_finished gives the thread's database connection back: it must run in the thread
    whose connection the view used (the one request_started ran in)."""
    status, _, hops, threads = asgi_call(handler, "/healthz")
    assert status == 200
    assert hops == 0  # no SyncToAsync: one run_in_executor on the handler's own pool
    assert len(threads["started"]) == len(threads["finished"]) == 1
    assert threads["started"] == threads["finished"]
    assert threads["started"][0].startswith("request")


@pytest.mark.django_db
def test_djangos_own_handler_takes_five_hops_for_the_same_request():
    """The figure the handler exists for (the test above can fail: this is the other way)."""
    status, _, hops, threads = asgi_call(ASGIHandler(), "/healthz")
    assert status == 200
    assert hops == 5
    assert threads["started"] == threads["finished"]


@pytest.mark.urls(__name__)
def test_a_request_body_reaches_the_view(handler):
    status, content, _, _ = asgi_call(handler, "/plain", method="POST", body=b"ping")
    assert (status, content) == (200, b"ping")


@pytest.mark.urls(__name__)
def test_a_sync_streaming_answer_is_sent_whole_and_closed_once_in_its_thread(handler):
    status, content, hops, threads = asgi_call(handler, "/sync-stream")
    assert (status, content) == (200, b"id,name\r\n1,Ada\r\n")
    assert hops == 0
    assert threads["started"] == threads["finished"]


@pytest.mark.urls(__name__)
def test_s4_an_async_stream_is_sent_as_it_comes_and_a_disconnect_cancels_it(handler):
    """The live streams' goodbye (S4) is their `finally`: a client that goes must end it."""
    finished_streams.clear()
    status, content, _, threads = asgi_call(handler, "/async-stream", leave=True)
    assert (status, content) == (200, b"event: hello\n\n")
    assert finished_streams == ["closed"]
    assert len(threads["finished"]) == 1  # the response was closed once the stream ended


def _views(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            yield pattern.lookup_str, pattern.callback


def test_every_view_of_the_portal_is_sync():
    """The handler runs views in its sync chain; an async view would get a loop of its own
    (async_to_sync), away from the process's live hub. The streams are sync views answering
    with async iterators."""
    async_views = [
        name
        for name, view in _views(get_resolver().url_patterns)
        if asyncio.iscoroutinefunction(view)
    ]
    assert async_views == []
