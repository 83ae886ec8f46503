"""Live updates (issue 13) in one process, on SQLite too: publication after commit, the streams'
scope (A2), their life as the console's client (S1, S3, S4) and the liveness from the stream.

The streams are read through Django's AsyncClient (an ASGI request, as uvicorn makes); the
scenario runs in an event loop while the database work runs in the test's own thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection, transaction
from django.test import AsyncClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.live import hub as hub_module
from portal.live.hub import ConsoleListener, ReportListener, _mark_alive, hub
from presence import engine, services
from presence.models import Client, PresenceSource, RepresentativePresence
from reports.realtime import live as live_reports
from tests.factories import (
    RepresentativeFactory,
    TeamFactory,
    UserFactory,
    WorkstreamFactory,
    builtin,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _fast_windows(settings):
    settings.REPORT_REFRESH_SECONDS = 1
    settings.LIVE_TICK_SECONDS = 3600  # the ticker is tested on its own
    settings.REDIS_URL = ""  # this process's own hub, whatever the environment says


def run(scenario):
    """Run `scenario` in an event loop; the hub's tasks end with it."""

    async def wrapped():
        try:
            await scenario()
        finally:
            await hub.shutdown()

    async_to_sync(wrapped)()


class Stream:
    """An SSE response read as a server reads it: a task iterates the body, and cancelling that
    task is the client going away (Django's ASGI handler cancels the response the same way)."""

    def __init__(self, response):
        self.chunks: asyncio.Queue[bytes] = asyncio.Queue()
        self.task = asyncio.ensure_future(self._read(response))

    async def _read(self, response):
        async for chunk in response.streaming_content:
            await self.chunks.put(chunk)

    async def next_event(self, *, seconds: float = 3.0) -> tuple[str, dict]:
        """The next `event:` of the body (comments are skipped)."""
        while True:
            chunk = (await asyncio.wait_for(self.chunks.get(), seconds)).decode()
            for block in chunk.split("\n\n"):
                lines = dict(
                    line.split(": ", 1) for line in block.splitlines() if line and ": " in line
                )
                if "event" in lines:
                    return lines["event"], json.loads(lines["data"])

    async def close(self):
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


def signed_in_rep(**kwargs):
    user = UserFactory(groups=["Representatives"])
    rep = RepresentativeFactory(user=user, **kwargs)
    services.client_connect(representative=rep, client_id="other-tab-1", now=timezone.now())
    return rep


def test_a_rolled_back_change_is_never_pushed():
    """Issue 13: presence changes publish on transaction.on_commit, so a change that rolls back
    never reaches a stream; the same change committed does."""
    rep = signed_in_rep()
    away = builtin("away")

    async def scenario():
        listener = ConsoleListener(rep_id=rep.pk, client_id="tab-12345", connected_at=None)
        hub.register(listener)

        def rolled_back():
            with contextlib.suppress(RuntimeError), transaction.atomic():
                services.presence_set_manual(representative=rep, status=away, now=timezone.now())
                raise RuntimeError("the request failed after the change")

        await sync_to_async(rolled_back)()
        await asyncio.sleep(0.2)
        assert not listener.wake.is_set()
        assert listener.kinds == set()

        await sync_to_async(services.presence_set_manual)(
            representative=rep, status=away, now=timezone.now()
        )
        await asyncio.wait_for(listener.wake.wait(), 1)
        assert listener.kinds == {"presence"}
        hub.unregister(listener)

    run(scenario)
    assert RepresentativePresence.objects.get(pk=rep.pk).status == builtin("away")


def test_a2_report_stream_never_carries_a_rep_outside_the_supervisors_teams():
    """A2: the report stream of a supervisor names only reps of their teams; a change of a rep of
    another team alone sends nothing, and one that touches both names only their own rep."""
    mine, theirs = TeamFactory(), TeamFactory()
    supervisor = UserFactory(groups=["Supervisors"])
    mine.supervisors.add(supervisor)
    own = RepresentativeFactory(teams=[mine])
    other = RepresentativeFactory(teams=[theirs])

    async def scenario():
        client = AsyncClient()
        await client.aforce_login(supervisor)
        response = await client.get("/reports/stream/?page=agents")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/event-stream"
        assert response["X-Accel-Buffering"] == "no"
        events = Stream(response)
        assert (await events.next_event())[0] == "hello"

        recalculate = sync_to_async(services.presence_recalculate)
        await recalculate(
            rep_ids=[other.pk], event=engine.Event.CAPACITY_CHANGE, now=timezone.now()
        )
        await recalculate(
            rep_ids=[own.pk, other.pk], event=engine.Event.CAPACITY_CHANGE, now=timezone.now()
        )
        name, data = await events.next_event()
        assert (name, data["reps"]) == ("changed", [own.pk])
        await events.close()

    run(scenario)


def test_an_offer_made_wakes_the_pages_that_show_offers_and_its_answer_every_page():
    """The agents, drill-down and ongoing reports show no offers: an offer made is not a change
    for them (one rendering per window less), the queues report counts it; the answer changes
    the rep's conversations and presence, a change for every page of the team."""
    team = TeamFactory()
    rep = signed_in_rep(teams=[team])
    chat = WorkstreamFactory(name="Chat", offer_timeout_seconds=3600)
    pages = {
        "agents": ReportListener(teams=[team.pk], offers=False),
        "agent": ReportListener(teams=[team.pk], rep_id=rep.pk, offers=False),
        "ongoing": ReportListener(teams=[team.pk], queue=True, offers=False),
        "queues": ReportListener(teams=[team.pk], queue=True),
    }
    assert {page: pages[page].offers for page in pages} == {
        page: page in live_reports.SHOW_OFFERS for page in pages
    }

    async def scenario():
        for listener in pages.values():
            hub.register(listener)
        now = timezone.now()
        conversation = await sync_to_async(services.conversation_create)(workstream=chat, now=now)
        await asyncio.sleep(0.2)
        for listener in pages.values():  # the queue changed: only the pages that show it
            assert listener.queue_changed == listener.queue
            listener.queue_changed = False
            listener.wake.clear()
        offer = await sync_to_async(services.offer_create)(
            conversation=conversation, representative=rep, now=now
        )
        await asyncio.wait_for(pages["queues"].wake.wait(), 1)
        assert pages["queues"].changed_reps == {rep.pk}
        for page in ("agents", "agent", "ongoing"):  # (the ongoing report hears the queue's lock)
            assert pages[page].changed_reps == set(), page
        assert not pages["agents"].wake.is_set()
        assert not pages["agent"].wake.is_set()
        await sync_to_async(services.offer_accept)(offer=offer, now=now)
        for page in ("agents", "agent", "ongoing"):
            await asyncio.wait_for(pages[page].wake.wait(), 1)
            assert pages[page].changed_reps == {rep.pk}, page
        for listener in pages.values():
            hub.unregister(listener)

    run(scenario)


def test_a2_report_stream_of_an_unseen_rep_is_refused(client):
    """A2: the drill-down stream of a rep outside the supervisor's teams is a 404, like the page."""
    supervisor = UserFactory(groups=["Supervisors"])
    TeamFactory().supervisors.add(supervisor)
    stranger = RepresentativeFactory(teams=[TeamFactory()])
    client.force_login(supervisor)
    assert client.get(f"/reports/stream/?page=agent&rep={stranger.pk}").status_code == 404
    assert client.get("/reports/stream/?page=nope").status_code == 400
    client.force_login(UserFactory(groups=["Representatives"]))
    assert client.get("/reports/stream/?page=agents").status_code == 403


def test_s1_s4_console_stream_is_the_client_connect_push_and_goodbye():
    """S1: opening the console's stream connects the client; an offer made meanwhile is pushed
    to it at once; S4: closing the stream (the last tab) disconnects the rep at once."""
    user = UserFactory(groups=["Representatives"])
    rep = RepresentativeFactory(user=user)
    workstream = WorkstreamFactory()

    async def scenario():
        client = AsyncClient()
        await client.aforce_login(user)
        response = await client.get("/console/stream/?client_id=tab-abcdefgh")
        assert response.status_code == 200
        events = Stream(response)
        name, data = await events.next_event()
        assert (name, data["client_id"]) == ("hello", "tab-abcdefgh")
        presence = await RepresentativePresence.objects.aget(pk=rep.pk)
        assert presence.signed_in

        def offer():
            now = timezone.now()
            conversation = services.conversation_create(workstream=workstream, now=now)
            services.offer_create(
                conversation=conversation, representative=rep, force=True, now=now
            )

        await sync_to_async(offer)()
        name, data = await events.next_event(seconds=1)
        assert name == "changed"
        assert "offer" in data["kinds"]

        await events.close()
        for _ in range(40):
            if not await Client.objects.filter(client_id="tab-abcdefgh").aexists():
                break
            await asyncio.sleep(0.05)
        presence = await RepresentativePresence.objects.aget(pk=rep.pk)
        assert presence.source == PresenceSource.DISCONNECT

    run(scenario)


def test_s3_goodbye_of_a_closed_stream_spares_the_refresh_that_reconnected():
    """S3: a refresh reconnects the same client id before the old stream's close is noticed; the
    old stream's goodbye is for its own connection only, so the rep stays connected."""
    rep = RepresentativeFactory()
    now = timezone.now()
    old, _ = services.client_connect(representative=rep, client_id="tab-refresh1", now=now)
    services.client_connect(
        representative=rep, client_id="tab-refresh1", now=now + timezone.timedelta(seconds=1)
    )
    with pytest.raises(Exception, match="No connected client"):
        services.client_goodbye(
            representative=rep, client_id="tab-refresh1", now=now, connected_at=old.connected_at
        )
    assert Client.objects.filter(client_id="tab-refresh1").exists()
    assert RepresentativePresence.objects.get(pk=rep.pk).signed_in


def test_s4_liveness_from_the_stream_is_one_update_per_process():
    """S4, issue 13: the ticker marks every client with an open stream alive in one statement;
    a client whose row is gone is reported, so its stream ends and the page reconnects."""
    reps = [RepresentativeFactory() for _ in range(3)]
    old = timezone.now() - timezone.timedelta(seconds=50)
    ids = set()
    for n, rep in enumerate(reps):
        services.client_connect(representative=rep, client_id=f"tab-alive{n}", now=old)
        ids.add(f"tab-alive{n}")
    with CaptureQueriesContext(connection) as one:
        assert _mark_alive(ids) == ids
    assert _statements(one) == ["UPDATE"]
    assert all(
        c.last_heartbeat_at > old + timezone.timedelta(seconds=40) for c in Client.objects.all()
    )
    with CaptureQueriesContext(connection) as two:
        assert _mark_alive(ids | {"tab-gone000"}) == ids
    assert _statements(two) == ["UPDATE", "SELECT"]


def _statements(captured) -> list[str]:
    """The statements run, without the transaction's own (BEGIN, COMMIT, savepoints)."""
    words = [q["sql"].split()[0].upper() for q in captured.captured_queries]
    return [w for w in words if w not in {"BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"}]


def test_console_stream_refuses_bad_input_and_wsgi(client):
    """The stream names the bad field; under WSGI (no stream possible) it answers 204 at once, so
    the page falls back to polling instead of hanging."""
    user = UserFactory(groups=["Representatives"])
    RepresentativeFactory(user=user)
    client.force_login(user)
    bad = client.get("/console/stream/?client_id=x")
    assert bad.status_code == 400
    assert b"client_id" in bad.content
    assert client.get("/console/stream/?client_id=tab-abcdefgh").status_code == 204
    assert not Client.objects.exists()  # nothing written for a stream that cannot open


def test_window_delay_aligns_on_the_clock():
    assert hub_module.window_delay(seconds=5, now=100.0) == 5
    assert hub_module.window_delay(seconds=5, now=103.5) == pytest.approx(1.5)


def test_the_report_windows_of_different_scopes_are_spread_over_the_period():
    """16 supervisors of 16 teams (a floor of 400) must not all render at one instant; the
    viewers of one scope share a phase, so they still share the rendering of a window."""
    phases = [hub_module.window_phase(teams=[team], seconds=5) for team in range(1, 17)]
    assert all(0 <= phase < 5 for phase in phases)
    assert len(set(phases)) >= 12
    assert max(phases) - min(phases) > 2.5
    same = hub_module.window_phase(teams=(3, 1), seconds=5)
    assert same == hub_module.window_phase(teams=[1, 3], seconds=5)
    assert hub_module.window_phase(teams=None, seconds=5) != hub_module.window_phase(
        teams=[], seconds=5
    )


@pytest.mark.parametrize("now", [1000.0, 1000.3, 1003.99, 1004.7])
def test_a_scopes_change_is_sent_at_the_start_of_its_next_window(now):
    phase = hub_module.window_phase(teams=[7], seconds=5)
    at = now + hub_module.window_delay(seconds=5, phase=phase, now=now)
    before = hub_module.window_number(seconds=5, phase=phase, now=now)
    assert 0 < at - now <= 5
    assert hub_module.window_number(seconds=5, phase=phase, now=at + 1e-6) == before + 1


# --- The Redis subscription of a process (the lost push of issue 13) -------------------------


@pytest.fixture
def slow_subscription(settings, monkeypatch):
    """This process's hub on the real Redis, whose subscription is confirmed only after 0.5 s
    (a fresh server process under load): what a stream opened meanwhile is told."""
    import os

    from redis.asyncio.client import PubSub

    settings.REDIS_URL = os.environ["REDIS_URL"]
    subscribe = PubSub.subscribe

    async def late_subscribe(self, *args, **kwargs):
        await asyncio.sleep(0.5)
        return await subscribe(self, *args, **kwargs)

    monkeypatch.setattr(PubSub, "subscribe", late_subscribe)


def _offer_for(rep):
    def offer():
        now = timezone.now()
        conversation = services.conversation_create(workstream=WorkstreamFactory(), now=now)
        services.offer_create(conversation=conversation, representative=rep, force=True, now=now)

    return sync_to_async(offer)()


@pytest.mark.redis
def test_a_stream_is_greeted_once_its_process_hears_the_channel(slow_subscription):
    """A console greeted before its process's subscription was confirmed missed the offers made
    right after its `hello` (the page had caught up on `hello` and heard nothing more)."""
    user = UserFactory(groups=["Representatives"])
    rep = RepresentativeFactory(user=user)

    async def scenario():
        client = AsyncClient()
        await client.aforce_login(user)
        events = Stream(await client.get("/console/stream/?client_id=tab-fresh-proc"))
        assert (await events.next_event())[0] == "hello"
        await _offer_for(rep)
        name, data = await events.next_event(seconds=1)
        assert (name, "offer" in data["kinds"]) == ("changed", True)
        await events.close()

    run(scenario)


@pytest.mark.redis
def test_a_stream_greeted_before_the_subscription_is_told_to_resync(slow_subscription, monkeypatch):
    """When the subscription comes later than a `hello` may wait (or comes back after Redis was
    lost), a message may have been missed: every greeted stream is told to fetch once."""
    monkeypatch.setattr(hub_module, "SUBSCRIBE_WAIT_SECONDS", 0.05)
    user = UserFactory(groups=["Representatives"])
    rep = RepresentativeFactory(user=user)

    async def scenario():
        client = AsyncClient()
        await client.aforce_login(user)
        events = Stream(await client.get("/console/stream/?client_id=tab-fresh-proc"))
        assert (await events.next_event())[0] == "hello"
        await _offer_for(rep)  # published before the subscription: lost by Redis
        name, data = await events.next_event(seconds=2)
        assert (name, data["resync"]) == ("changed", True)
        await events.close()

    run(scenario)
