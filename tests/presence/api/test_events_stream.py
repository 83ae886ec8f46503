"""Issue 14: GET /api/v1/events/stream under a real uvicorn (tests/asgi.py): resumable with
Last-Event-ID, in id order, as they commit, A2 scope, and `gap` past retention. Changes are made
in this process and reach the server through Redis, as a Celery worker's would."""

import contextlib
import http.client
import json
import os
import queue
import socket
import threading
import time

import pytest
from django.utils import timezone

from presence import services as s
from presence.models import Event, EventPurge
from tests.factories import RepresentativeFactory, TeamFactory, UserFactory, builtin

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


class TokenStream:
    """The events stream read in a thread: each SSE event lands in `events` as (id, name, data)."""

    def __init__(self, url: str, path: str, *, token: str, last_event_id: int | None = None):
        self.events: queue.Queue[tuple[int | None, str, dict]] = queue.Queue()
        host, port = url.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.conn.request("GET", path, headers=headers)
        self.response = self.conn.getresponse()
        assert self.response.status == 200, (self.response.status, self.response.read())
        assert self.response.headers["Content-Type"].startswith("text/event-stream")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        event_id, name, data = None, "", ""
        with contextlib.suppress(Exception):
            for raw in self.response:
                line = raw.decode().rstrip("\n")
                if line.startswith("id: "):
                    event_id = int(line[4:])
                elif line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    data = line[6:]
                elif not line and name:
                    self.events.put((event_id, name, json.loads(data)))
                    event_id, name, data = None, "", ""

    def next(self, *, seconds: float = 5) -> tuple[int | None, str, dict]:
        try:
            return self.events.get(timeout=seconds)
        except queue.Empty:
            raise AssertionError(f"no event within {seconds} s") from None

    def take(self, count: int, *, seconds: float = 5) -> list[tuple[int | None, str, dict]]:
        return [self.next(seconds=seconds) for _ in range(count)]

    def close(self) -> None:
        with contextlib.suppress(OSError, AttributeError):
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        self.conn.close()


@pytest.fixture
def server(asgi_server):
    return asgi_server(REDIS_URL=os.environ["REDIS_URL"])


def token_of(user) -> str:
    return s.api_token_create(user=user, now=timezone.now())[1]


def change(rep, n: int) -> None:
    """One presence change of `rep` (Away and Available by turns)."""
    status = builtin("away") if n % 2 == 0 else builtin("available")
    s.presence_set_manual(representative=rep, status=status, now=timezone.now())


def test_stream_resumes_after_last_event_id_exactly(server):
    """Disconnect after event k, change more meanwhile, reconnect with Last-Event-ID: k: the
    stream gives k+1 onwards, exactly once each and in order, then what commits afterwards."""
    admin = UserFactory(username="events-admin", groups=["Portal admins"])
    token = token_of(admin)
    rep = RepresentativeFactory(name="Streamed")
    s.client_connect(representative=rep, client_id="stream-rep", now=timezone.now())
    for n in range(4):
        change(rep, n)
    ids = list(Event.objects.order_by("id").values_list("id", flat=True))
    assert len(ids) == 5

    first = TokenStream(server.url, "/api/v1/events/stream?after=0", token=token)
    try:
        assert first.next()[1:] == ("hello", {"after": 0})
        got = first.take(3)
        assert [g[0] for g in got] == ids[:3]
        assert got[0][1] == "presence.changed"
        assert got[0][2]["id"] == ids[0]
        assert got[0][2]["representative_id"] == rep.pk
    finally:
        first.close()
    k = ids[2]
    for n in range(4, 6):  # while disconnected
        change(rep, n)
    later = list(Event.objects.filter(id__gt=k).order_by("id").values_list("id", flat=True))
    assert len(later) == 4

    again = TokenStream(server.url, "/api/v1/events/stream", token=token, last_event_id=k)
    try:
        assert again.next() == (k, "hello", {"after": k})  # the cursor, kept by EventSource
        assert [g[0] for g in again.take(4)] == later
        sent = time.monotonic()
        change(rep, 6)  # live: delivered as it commits
        event_id, name, data = again.next()
        assert time.monotonic() - sent < 1.5
        assert event_id == Event.objects.order_by("-id").first().id
        assert data["data"]["status"]["base_status"] == "away"
        with pytest.raises(AssertionError):
            again.next(seconds=0.5)  # and nothing twice
    finally:
        again.close()


def test_a2_supervisor_stream_never_carries_events_of_other_teams(server):
    team_a, team_b = TeamFactory(name="Stream A"), TeamFactory(name="Stream B")
    supervisor = UserFactory(username="events-sup", groups=["Supervisors"])
    team_a.supervisors.add(supervisor)
    mine = RepresentativeFactory(name="Mine", teams=[team_a])
    theirs = RepresentativeFactory(name="Theirs", teams=[team_b])
    stream = TokenStream(server.url, "/api/v1/events/stream?after=0", token=token_of(supervisor))
    try:
        assert stream.next()[1] == "hello"
        s.client_connect(representative=theirs, client_id="theirs-1", now=timezone.now())
        s.client_connect(representative=mine, client_id="mine-1", now=timezone.now())
        change(theirs, 0)
        change(mine, 0)  # the last one: once it is here, everything before was handled
        got = stream.take(2)
        assert {g[2]["representative_id"] for g in got} == {mine.pk}
        assert got[-1][2]["data"]["status"]["base_status"] == "away"
        with pytest.raises(AssertionError):
            stream.next(seconds=0.5)
    finally:
        stream.close()
    assert Event.objects.filter(representative_id=theirs.pk).count() == 2


def test_stream_says_gap_when_asked_for_purged_events(server):
    admin = UserFactory(username="events-gap", groups=["Portal admins"])
    rep = RepresentativeFactory(name="Old")
    s.client_connect(representative=rep, client_id="old-1", now=timezone.now())
    change(rep, 0)
    first, last = Event.objects.order_by("id").values_list("id", flat=True)
    Event.objects.filter(id=first).delete()
    EventPurge.objects.create(through_id=first, deleted=1, purged_at=timezone.now())
    stream = TokenStream(
        server.url, "/api/v1/events/stream", token=token_of(admin), last_event_id=0
    )
    try:
        assert stream.next()[1] == "hello"
        assert stream.next()[1:] == ("gap", {"after": 0, "purged_through": first})
        assert stream.next()[0] == last
    finally:
        stream.close()


def test_stream_without_a_cursor_starts_from_now_and_filters_types(server):
    admin = UserFactory(username="events-now", groups=["Portal admins"])
    rep = RepresentativeFactory(name="Now")
    s.client_connect(representative=rep, client_id="now-1", now=timezone.now())
    last = Event.objects.order_by("-id").first().id
    stream = TokenStream(
        server.url, "/api/v1/events/stream?types=status.updated", token=token_of(admin)
    )
    try:
        assert stream.next() == (last, "hello", {"after": last})
        change(rep, 0)  # not of the type asked for
        status = s.presence_status_create(
            name="Coaching",
            presence_text="Coaching",
            base_status="away",
            actor=None,
            now=timezone.now(),
        )
        s.presence_status_update(status=status, actor=None, now=timezone.now(), name="Coached")
        event_id, name, data = stream.next()
        assert name == "status.updated"
        assert data["representative_id"] is None
        assert data["data"]["name"] == "Coached"
        with pytest.raises(AssertionError):
            stream.next(seconds=0.5)
    finally:
        stream.close()
