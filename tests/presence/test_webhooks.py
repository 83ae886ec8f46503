"""Webhooks (issue 14): signing, address refusal, backoff, disabling, filters, in-process delivery
to a real receiver on 127.0.0.1. The real Celery worker tests are tests/reliability/
test_webhooks_faults.py."""

import base64
import datetime as dt

import pytest
from django.db import transaction

from portal.exceptions import ValidationFailed
from presence.models import AuditLogEntry, Event, WebhookCursor, WebhookDelivery, WebhookEndpoint
from presence.services import config, event_record
from presence.services import webhooks as hooks
from tests.clock import T0, at
from tests.presence.webhook_receiver import Receiver, verify

pytestmark = pytest.mark.django_db


def record(kind: str, rep=None, **data) -> int:
    with transaction.atomic():
        event_record(kind, rep_id=rep.pk if rep else None, data=data, now=T0)
    return Event.objects.order_by("-id").values_list("id", flat=True)[0]


def create(url, actor=None, **kw):
    return config.webhook_create(actor=actor, now=T0, url=url, **kw)[0]


# --- signing ------------------------------------------------------------------------------------


def test_signature_matches_the_standard_webhooks_test_vector():
    # The published vector of the Standard Webhooks reference libraries.
    assert (
        hooks.sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            b'{"test": 2432232314}',
        )
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_a_new_secret_is_whsec_and_32_random_bytes():
    one, two = hooks.new_secret(), hooks.new_secret()
    assert one.startswith("whsec_")
    assert one != two
    assert len(base64.b64decode(one.removeprefix("whsec_"))) == 32


def test_headers_carry_id_timestamp_and_a_signature_the_receiver_verifies():
    secret = hooks.new_secret()
    headers = hooks.headers_for(secret, "42", 1_700_000_000, b"{}")
    assert headers["webhook-id"] == "42"
    assert headers["webhook-timestamp"] == "1700000000"
    assert verify(secret, headers, b"{}")
    assert not verify(secret, headers, b"{ }")


# --- addresses (SSRF) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",
        "http://240.0.0.1/hook",
    ],
)
def test_private_loopback_link_local_and_reserved_addresses_are_refused_at_save(settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(ValidationFailed) as refused:
        create(url)
    assert refused.value.field == "url"
    assert "private" in refused.value.detail
    assert not WebhookEndpoint.objects.exists()
    assert not AuditLogEntry.objects.filter(action="webhook.create").exists()


@pytest.mark.parametrize(
    "url", ["ftp://93.184.216.34/x", "javascript:alert(1)", "http:///nohost", "not a url", ""]
)
def test_only_http_and_https_urls_with_a_host_are_taken(url):
    with pytest.raises(ValidationFailed) as refused:
        create(url)
    assert refused.value.field == "url"


def test_a_public_address_is_taken_and_private_ones_only_when_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    assert create("https://93.184.216.34/hook").url == "https://93.184.216.34/hook"
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    assert create("http://127.0.0.1:9/hook").active


def test_an_address_that_turned_private_after_the_save_is_refused_at_delivery(settings):
    """DNS rebinding: the check is made again at each attempt, against the address used."""
    with Receiver() as receiver:
        endpoint = create(receiver.url)
        record("presence.changed")
        settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
        assert hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=at(1)) == 0
        assert receiver.all() == []
    attempt = WebhookDelivery.objects.get()
    assert attempt.status_code is None
    assert "private" in attempt.error
    assert WebhookCursor.objects.get(pk=endpoint.pk).attempts == 1


# --- backoff ------------------------------------------------------------------------------------


def test_backoff_doubles_with_jitter_and_stops_growing_at_the_maximum(settings):
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 5
    settings.WEBHOOKS_RETRY_MAX_SECONDS = 3600
    highest = [hooks.retry_delay(n, rand=lambda: 1.0) for n in range(1, 12)]
    assert highest[:6] == [5, 10, 20, 40, 80, 160]
    assert highest[-1] == 3600
    assert max(highest) == 3600
    lowest = [hooks.retry_delay(n, rand=lambda: 0.0) for n in range(1, 12)]
    assert lowest == [h / 2 for h in highest]
    jittered = {hooks.retry_delay(3) for _ in range(50)}
    assert len(jittered) > 1
    assert all(10 <= d <= 20 for d in jittered)
    # Retries for 24 hours take a few dozen attempts, not thousands.
    total, attempts = 0.0, 0
    while total < 86400:
        attempts += 1
        total += hooks.retry_delay(attempts, rand=lambda: 0.0)
    assert 20 < attempts < 60


# --- delivery -----------------------------------------------------------------------------------


def test_every_event_reaches_the_endpoint_once_in_order_signed(rep_a):
    with Receiver() as receiver:
        endpoint, secret = config.webhook_create(actor=None, now=T0, url=receiver.url)
        ids = [record("presence.changed", rep_a, n=n) for n in range(3)]
        assert hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=at(1)) == 3
        assert hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=at(2)) == 0
        got = receiver.ok()
    assert [r["headers"]["webhook-id"] for r in got] == [str(i) for i in ids]
    assert all(verify(secret, r["headers"], r["body"]) for r in got)
    assert [r["json"]["data"]["n"] for r in got] == [0, 1, 2]
    assert got[0]["json"]["type"] == "presence.changed"
    assert got[0]["json"]["representative_id"] == rep_a.pk
    assert WebhookCursor.objects.get(pk=endpoint.pk).last_event_id == ids[-1]
    assert list(WebhookDelivery.objects.values_list("status_code", "attempt")) == [(200, 1)] * 3


def test_an_endpoint_gets_the_events_written_after_it_was_registered():
    before = record("presence.changed")
    with Receiver() as receiver:
        endpoint = create(receiver.url)
        after = record("presence.changed")
        hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=at(1))
        assert [r["headers"]["webhook-id"] for r in receiver.ok()] == [str(after)]
    assert before < after


def test_a_failing_endpoint_waits_its_backoff_then_gets_the_same_event_again(settings):
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 10
    status = {"code": 500}
    with Receiver(answer=lambda request: status["code"]) as receiver:
        endpoint = create(receiver.url)
        first, second = record("presence.changed"), record("presence.changed")
        assert hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=at(0)) == 0
        cursor = WebhookCursor.objects.get(pk=endpoint.pk)
        assert cursor.last_event_id < first
        assert cursor.attempts == 1
        assert at(5) <= cursor.next_attempt_at <= at(10)
        endpoint.refresh_from_db()
        assert endpoint.failing_since == at(0)
        assert hooks.webhooks_dispatch(now=at(4)) == 0  # not due yet
        assert hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=at(4)) == 0
        assert len(receiver.all()) == 1
        status["code"] = 204
        assert hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=at(11)) == 2
        ids = [r["headers"]["webhook-id"] for r in receiver.all()]
    assert ids == [str(first), str(first), str(second)]
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None
    log = WebhookDelivery.objects.order_by("id")
    assert [(d.event_id, d.attempt, d.status_code) for d in log] == [
        (first, 1, 500),
        (first, 2, 204),
        (second, 1, 204),
    ]
    assert "HTTP 500" in log[0].error


def test_an_endpoint_failing_for_24_hours_is_disabled_and_the_audit_log_says_so(settings):
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 3600
    with Receiver(answer=lambda request: 503) as receiver:
        endpoint = create(receiver.url)
        record("presence.changed")
        hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=T0)
        hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=T0 + dt.timedelta(hours=23))
        endpoint.refresh_from_db()
        assert endpoint.active
        hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=T0 + dt.timedelta(hours=24))
        endpoint.refresh_from_db()
        assert not endpoint.active
        assert endpoint.disabled_at == T0 + dt.timedelta(hours=24)
        assert "24 hours" in endpoint.disabled_reason
        assert "503" in endpoint.disabled_reason
        sent = len(receiver.all())
        # Disabled: nothing more is sent, nothing is due.
        assert hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=T0 + dt.timedelta(days=2)) == 0
        assert hooks.endpoints_due(now=T0 + dt.timedelta(days=2)) == []
        assert len(receiver.all()) == sent == 3
    entry = AuditLogEntry.objects.get(action="webhook.disable")
    assert entry.actor_name == "system"
    assert entry.object_id == str(endpoint.pk)
    # Enabled again: retries start afresh from the same event.
    config.webhook_update(endpoint=endpoint, actor=None, now=T0 + dt.timedelta(days=2), active=True)
    endpoint.refresh_from_db()
    assert endpoint.active
    assert endpoint.disabled_reason == ""
    assert endpoint.failing_since is None
    cursor = WebhookCursor.objects.get(pk=endpoint.pk)
    assert (cursor.attempts, cursor.next_attempt_at) == (0, None)


def test_teams_filter_sends_only_events_of_reps_of_those_teams(rep_a, rep_b, team_a):
    with Receiver() as receiver:
        scoped = create(receiver.url, team_ids=[team_a.pk])
        a = record("presence.changed", rep_a)
        record("presence.changed", rep_b)
        record("config.changed")  # of no rep: only endpoints of every team get it
        hooks.endpoint_deliver(endpoint_id=scoped.pk, now=at(1))
        assert [r["headers"]["webhook-id"] for r in receiver.ok()] == [str(a)]
    top = Event.objects.order_by("-id").values_list("id", flat=True)[0]
    assert WebhookCursor.objects.get(pk=scoped.pk).last_event_id == top
    assert hooks.endpoints_due(now=at(2)) == []


def test_event_types_filter(rep_a):
    with Receiver() as receiver:
        endpoint = create(receiver.url, event_types=["offer.decided"])
        record("presence.changed", rep_a)
        offer = record("offer.decided", rep_a)
        hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=at(1))
        assert [r["json"]["type"] for r in receiver.ok()] == ["offer.decided"]
        assert receiver.ok()[0]["headers"]["webhook-id"] == str(offer)


def test_dispatch_queues_one_delivery_per_endpoint_with_events_due(monkeypatch):
    queued = []
    monkeypatch.setattr(hooks, "_enqueue", lambda endpoint_id: queued.append(endpoint_id) or True)
    with Receiver() as receiver:
        one, two = create(receiver.url), create(receiver.url)
        create(receiver.url, active=False)
        assert hooks.webhooks_dispatch(now=at(1)) == 0
        record("presence.changed")
        assert hooks.webhooks_dispatch(now=at(1)) == 2
    assert queued == [one.pk, two.pk]


def test_a_broker_that_is_down_loses_no_event(monkeypatch):
    from celery import current_app

    def down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(current_app, "send_task", down)
    with Receiver() as receiver:
        endpoint = create(receiver.url)
        record("presence.changed")
        assert hooks.webhooks_dispatch(now=at(1)) == 0  # nothing queued, nothing lost
        assert hooks.endpoints_due(now=at(1)) == [endpoint.pk]


def test_send_again_sends_a_past_event_logs_and_audits_it(admin_user):
    with Receiver() as receiver:
        endpoint = create(receiver.url)
        event = record("presence.changed")
        hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=at(1))
        delivery = hooks.webhook_resend(
            endpoint=endpoint, event_id=event, actor=admin_user, now=at(2)
        )
        assert [r["headers"]["webhook-id"] for r in receiver.ok()] == [str(event)] * 2
    assert (delivery.attempt, delivery.manual, delivery.status_code) == (2, True, 200)
    assert AuditLogEntry.objects.filter(action="webhook.resend", actor=admin_user).exists()
    with pytest.raises(ValidationFailed) as gone:
        hooks.webhook_resend(endpoint=endpoint, event_id=event + 1000, actor=admin_user, now=at(3))
    assert gone.value.field == "event_id"


def test_configuration_changes_are_audited_without_the_secret(admin_user, team_a):
    endpoint, secret = config.webhook_create(
        actor=admin_user, now=T0, url="http://127.0.0.1:9/a", team_ids=[team_a.pk]
    )
    config.webhook_update(
        endpoint=endpoint, actor=admin_user, now=at(1), url="http://127.0.0.1:9/b"
    )
    config.webhook_delete(endpoint=endpoint, actor=admin_user, now=at(2))
    entries = AuditLogEntry.objects.filter(object_type="webhookendpoint").order_by("created_at")
    assert [e.action for e in entries] == ["webhook.create", "webhook.update", "webhook.delete"]
    assert entries[0].after["team_ids"] == [team_a.pk]
    assert entries[1].before == {"url": "http://127.0.0.1:9/a"}
    for entry in entries:
        assert secret not in str(entry.before) + str(entry.after)
    assert not WebhookEndpoint.objects.exists()
    assert not WebhookCursor.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"event_types": "presence.changed"}, "event_types"),
        ({"event_types": ["Not A Type"]}, "event_types"),
        ({"team_ids": [999999]}, "team_ids"),
        ({"team_ids": [True]}, "team_ids"),
        ({"active": "yes"}, "active"),
        ({"description": "x" * 201}, "description"),
        ({"url": "http://127.0.0.1/" + "x" * 2000}, "url"),
        ({"secret": "whsec_x"}, "secret"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(changes, field):
    endpoint = create("http://127.0.0.1:9/a")
    with pytest.raises(ValidationFailed) as refused:
        config.webhook_update(endpoint=endpoint, actor=None, now=at(1), **changes)
    assert refused.value.field == field
    assert not AuditLogEntry.objects.filter(action="webhook.update").exists()


# --- https ----------------------------------------------------------------------------------------


@pytest.fixture
def tls_receiver(tmp_path):
    """A receiver on https://localhost:<port> with a self-signed certificate for localhost."""
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl program")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with Receiver() as receiver:
        receiver.server.socket = context.wrap_socket(receiver.server.socket, server_side=True)
        port = receiver.server.server_address[1]
        receiver.url = f"https://localhost:{port}/hook"
        yield receiver, cert


def test_https_checks_the_certificate_against_the_host_name(tls_receiver, monkeypatch):
    import ssl

    receiver, cert = tls_receiver
    endpoint, secret = config.webhook_create(actor=None, now=T0, url=receiver.url)
    record("presence.changed")
    assert hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=at(1)) == 0  # not trusted
    assert "CERTIFICATE_VERIFY_FAILED" in WebhookDelivery.objects.get().error
    default = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context", lambda: default(cafile=str(cert)))
    WebhookCursor.objects.filter(pk=endpoint.pk).update(next_attempt_at=None)
    assert hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=at(2)) == 1  # trusted: sent
    assert verify(secret, receiver.ok()[0]["headers"], receiver.ok()[0]["body"])


@pytest.mark.postgres
def test_two_workers_never_send_to_the_same_endpoint_at_once():
    """While one worker holds an endpoint (its advisory lock), another sends nothing to it."""
    import threading

    from django.db import connections

    with Receiver() as receiver:
        endpoint = create(receiver.url)
        record("presence.changed")
        holding, release = threading.Event(), threading.Event()

        def other_worker():
            try:
                with hooks._holding(endpoint.pk) as held:
                    assert held
                    holding.set()
                    release.wait(10)
            finally:
                connections.close_all()

        thread = threading.Thread(target=other_worker)
        thread.start()
        assert holding.wait(10)
        try:
            assert hooks.endpoint_held(endpoint_id=endpoint.pk)
            assert hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=at(1)) == 0
            assert receiver.all() == []
        finally:
            release.set()
            thread.join()
        assert not hooks.endpoint_held(endpoint_id=endpoint.pk)
        assert hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=at(2)) == 1


# --- the kick after commit ------------------------------------------------------------------------


def test_a_commit_that_writes_events_queues_the_delivery_directly_and_one_trailing_one(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    import time as clock

    from celery import current_app

    settings.WEBHOOKS_KICK = True
    sent = []
    monkeypatch.setattr(current_app, "send_task", lambda name, **kw: sent.append(name))
    monkeypatch.setattr(hooks, "_kick_state", {**hooks._kick_state, "last": 0.0})
    hooks.forget_active_endpoints()
    with django_capture_on_commit_callbacks(execute=True):
        record("presence.changed")  # no endpoint active: nothing queued
    assert sent == []
    create("http://127.0.0.1:9/a")
    for _ in range(5):  # a burst: one now, one at the end of the period, none in between
        with django_capture_on_commit_callbacks(execute=True):
            record("presence.changed")
    assert sent == [hooks.DELIVER_TASK]  # the endpoint's delivery, no dispatch task in between
    clock.sleep(hooks.KICK_EVERY_SECONDS * 3)
    assert sent == [hooks.DELIVER_TASK] * 2


def test_a_kick_with_the_broker_down_never_fails_the_change(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    from celery import current_app

    def down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    settings.WEBHOOKS_KICK = True
    monkeypatch.setattr(current_app, "send_task", down)
    monkeypatch.setattr(hooks, "_kick_state", {**hooks._kick_state, "last": 0.0})
    create("http://127.0.0.1:9/a")
    with django_capture_on_commit_callbacks(execute=True):
        event = record("presence.changed")
    assert Event.objects.filter(pk=event).exists()
