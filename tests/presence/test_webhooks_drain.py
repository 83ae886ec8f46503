"""Webhook delivery per drain (issue 14, cheaper per event): one delivery task sends every due
event of its endpoint on one kept-alive connection, reads them a page per query, and records the
2xx attempts and moves the cursor once per RECORD_EVERY events. The guarantees stay: in order,
the address checked at each connection, the cursor only past 2xx, a failure recorded at once."""

import socket
import threading

import pytest
from django.db import transaction

from presence.models import Event, WebhookCursor, WebhookDelivery
from presence.services import config, event_record
from presence.services import webhooks as hooks
from tests.clock import T0
from tests.presence.webhook_receiver import Receiver, verify

pytestmark = pytest.mark.django_db


def write(n: int) -> list[int]:
    start = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with transaction.atomic():
        for k in range(n):
            event_record("presence.changed", rep_id=None, data={"n": k}, now=T0)
    return list(Event.objects.filter(id__gt=start).order_by("id").values_list("id", flat=True))


def create(url):
    return config.webhook_create(actor=None, now=T0, url=url)


def test_a_drain_sends_every_event_in_order_on_one_kept_alive_connection(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    with Receiver(keep_alive=True) as receiver:
        endpoint, secret = create(receiver.url)
        ids = write(hooks.BATCH + 30)  # more than a page
        assert hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=T0) == len(ids)
    ok = receiver.ok()
    assert [int(r["headers"]["webhook-id"]) for r in ok] == ids
    assert all(verify(secret, r["headers"], r["body"]) for r in ok)
    assert len({r["peer"] for r in ok}) == 1  # one connection for the whole drain
    assert WebhookCursor.objects.get(pk=endpoint.pk).last_event_id == ids[-1]
    rows = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("event_id")
    assert [d.event_id for d in rows] == ids
    assert {(d.attempt, d.status_code) for d in rows} == {(1, 200)}


def test_a_drain_costs_a_few_queries_per_page_not_per_event(
    settings, django_assert_max_num_queries
):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    with Receiver(keep_alive=True) as receiver:
        endpoint, _ = create(receiver.url)
        ids = write(200)
        # 2 pages of 100: cursor, teams, top, page, still active (5 each) + one empty page
        # (4); 4 records of 50 (savepoint, insert, update, release: 4 each); the lock on PG.
        with django_assert_max_num_queries(35):
            assert hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=T0) == len(ids)
    assert len(receiver.ok()) == 200


def test_a_receiver_that_closes_each_connection_still_gets_every_event(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    with Receiver(keep_alive=False) as receiver:  # HTTP/1.0: closes after each answer
        endpoint, _ = create(receiver.url)
        ids = write(12)
        assert hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=T0) == len(ids)
    ok = receiver.ok()
    assert [int(r["headers"]["webhook-id"]) for r in ok] == ids
    assert len({r["peer"] for r in ok}) == len(ids)


def test_the_address_is_checked_at_each_connection(settings, monkeypatch):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    checked = []
    real = hooks.check_address

    def counting(host, port, **kw):
        checked.append(host)
        return real(host, port, **kw)

    monkeypatch.setattr(hooks, "check_address", counting)
    with Receiver(keep_alive=False) as receiver:
        endpoint, _ = create(receiver.url)
        checked.clear()
        write(5)
        hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=T0)
    assert len(checked) == 5  # a new connection each time: checked each time
    with Receiver(keep_alive=True) as receiver:
        endpoint, _ = create(receiver.url)
        checked.clear()
        write(5)
        hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=T0)
    assert len(checked) == 1  # one connection, checked when it was opened


def test_a_drain_refuses_a_private_address_at_delivery_and_sends_nothing(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    with Receiver(keep_alive=True) as receiver:
        endpoint, _ = create(receiver.url)
        write(3)
        settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False  # e.g. the name now resolves inside
        assert hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=T0) == 0
    assert receiver.all() == []
    failed = WebhookDelivery.objects.get(endpoint=endpoint)
    assert failed.status_code is None
    assert "private" in failed.error
    assert WebhookCursor.objects.get(pk=endpoint.pk).attempts == 1


def test_a_failure_mid_drain_records_the_successes_before_it_and_stops(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    ids_box = {}

    def answer(request):
        return 500 if int(request["headers"]["webhook-id"]) == ids_box["bad"] else 200

    with Receiver(answer=answer, keep_alive=True) as receiver:
        endpoint, _ = create(receiver.url)
        ids = write(80)
        ids_box["bad"] = ids[60]
        assert hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=T0) == 60
    assert len(receiver.all()) == 61  # nothing after the failed one was sent
    cursor = WebhookCursor.objects.get(pk=endpoint.pk)
    assert cursor.last_event_id == ids[59]  # only past the 2xx
    assert cursor.attempts == 1
    assert cursor.next_attempt_at is not None
    rows = list(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("event_id"))
    assert [d.event_id for d in rows] == ids[:61]
    assert rows[-1].status_code == 500
    assert rows[-1].attempt == 1
    endpoint.refresh_from_db()
    assert endpoint.failing_since == T0


def test_a_kept_alive_connection_the_receiver_closed_is_opened_again(settings):
    """A receiver that answers HTTP/1.1 without `Connection: close` and then closes the idle
    connection: the next attempt reconnects (and checks the address again) instead of failing."""
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted = []

    def serve():
        for _ in range(2):
            client, _ = server.accept()
            accepted.append(client)
            data = b""
            while b"\r\n\r\n" not in data:
                data += client.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            while len(body) < length:
                body += client.recv(65536)
            client.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            client.close()  # idle close, no "Connection: close" said

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with hooks.Connection(f"http://127.0.0.1:{port}/hook", timeout=5) as conn:
            first = conn.post(body=b"{}", headers={"webhook-id": "1"})
            thread.join(0.2)
            second = conn.post(body=b"{}", headers={"webhook-id": "2"})
        assert first.ok, first
        assert second.ok, second
        assert conn.connects == 2
    finally:
        server.close()
        thread.join(2)


def test_a_drain_is_bounded_and_its_task_queues_itself_again(settings, monkeypatch):
    from presence import tasks

    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    queued = []
    monkeypatch.setattr(hooks, "DRAIN_MAX", 7)
    monkeypatch.setattr(
        tasks.webhooks_deliver, "apply_async", lambda args, **kw: queued.append(args)
    )
    monkeypatch.setattr(hooks.endpoint_deliver, "__kwdefaults__", {"now": None, "max_events": 7})
    with Receiver(keep_alive=True) as receiver:
        endpoint, _ = create(receiver.url)
        ids = write(10)
        assert tasks.webhooks_deliver(endpoint.pk) == 7
        assert queued == [[endpoint.pk]]  # more remain: it goes on in a new task
        assert tasks.webhooks_deliver(endpoint.pk) == 3
        assert queued == [[endpoint.pk]]
    assert [int(r["headers"]["webhook-id"]) for r in receiver.ok()] == ids
