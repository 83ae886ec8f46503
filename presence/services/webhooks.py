"""Webhook delivery (issue 14, docs/events.md "Webhooks"): events of the event log, one endpoint
at a time, in event order, signed per the Standard Webhooks specification.

- Order and exclusivity: one worker at a time sends to an endpoint (a session advisory lock,
  pg_try_advisory_lock, that a dying worker's connection lets go of), its events one by one in
  id order (commit order), and the cursor moves past an event only after the endpoint answered
  2xx, in the same transaction as the attempt's log row. A worker killed mid-request leaves the
  cursor where it was: the event is sent again, with the same `webhook-id` (at least once).
- Retries: exponential backoff with jitter (`retry_delay`); an endpoint failing for
  WEBHOOKS_DISABLE_AFTER_SECONDS (24 h) is disabled, with a reason on the page and an audit entry.
- Addresses: the host is resolved at each attempt and every address checked (`check_address`),
  then the request goes to the address that was checked, so a name that changes to a private
  address after it was saved (DNS rebinding) is refused too.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import random
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q, Subquery, Value
from django.utils import timezone

from portal.exceptions import ValidationFailed
from presence.models import Event, WebhookCursor, WebhookDelivery, WebhookEndpoint

from .audit import audit_log

log = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
USER_AGENT = "presence-portal-webhooks/1"
DELIVER_TASK = "presence.webhooks_deliver"


# --- Signing (Standard Webhooks) -----------------------------------------------------------------


def new_secret() -> str:
    """`whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed with the base64-decoded part
    of the secret after `whsec_`."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers_for(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def payload(event: Event) -> bytes:
    """The body: the event as GET /api/v1/events shows it (id, type, representative_id,
    occurred_at, data), plus `timestamp` (the same time: the Standard Webhooks payload field)."""
    occurred = event.occurred_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return json.dumps(
        {
            "id": event.id,
            "type": event.type,
            "timestamp": occurred,
            "representative_id": event.representative_id,
            "occurred_at": occurred,
            "data": event.data,
        },
        cls=DjangoJSONEncoder,
        separators=(",", ":"),
    ).encode()


# --- Addresses (SSRF) ----------------------------------------------------------------------------


def _address_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url_syntax(url: str, *, field: str = "url") -> tuple[str, str, int]:
    """(scheme, host, port) of an http or https URL, or ValidationFailed naming `field`."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationFailed(f"{field} is not a valid URL.", field=field) from None
    if parts.scheme not in ("http", "https"):
        raise ValidationFailed(f"{field} must start with http:// or https://.", field=field)
    if not parts.hostname:
        raise ValidationFailed(f"{field} must name a host.", field=field)
    if any(c.isspace() for c in url):
        raise ValidationFailed(f"{field} must not contain spaces.", field=field)
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def check_address(host: str, port: int, *, field: str = "url") -> list[str]:
    """The addresses `host` resolves to, all public ones (unless WEBHOOKS_ALLOW_PRIVATE_ADDRESSES);
    ValidationFailed naming `field` otherwise."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise ValidationFailed(
            f"{field}: the host {host!r} cannot be resolved.", field=field
        ) from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise ValidationFailed(f"{field}: the host {host!r} has no address.", field=field)
    if not settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        refused = [a for a in addresses if not _address_allowed(a)]
        if refused:
            raise ValidationFailed(
                f"{field}: {host!r} resolves to a private, loopback, link-local or reserved "
                f"address ({refused[0]}); webhooks are sent to public addresses only "
                "(WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=true allows others on a single-box setup).",
                field=field,
            )
    return addresses


# --- One HTTP attempt ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    status_code: int | None
    latency_ms: int
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _connect(addresses: list[str], port: int, timeout: float) -> socket.socket:
    """A connection to the first of the checked addresses that answers (IPv6 then IPv4, as the
    resolver ordered them)."""
    error: OSError | None = None
    for address in addresses:
        try:
            sock = socket.create_connection((address, port), timeout=timeout)
        except TimeoutError:
            raise
        except OSError as refused:
            error = refused
            continue
        # A kept-alive connection: small requests go out at once (no Nagle wait for an ACK).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise error or OSError("no address to connect to")


class Connection:
    """One HTTP connection to an endpoint, kept alive across the events of one drain. The host
    is resolved and every address checked (`check_address`) each time it connects, and the socket
    goes to the address checked (no second resolution: DNS rebinding). A failure closes it; the
    next attempt connects (and checks) again. `post` never raises."""

    def __init__(self, url: str, *, timeout: float) -> None:
        self.url, self.timeout = url, timeout
        self.conn: http.client.HTTPConnection | None = None
        self.sock: socket.socket | None = None
        self.connects = 0

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()
        if self.sock is not None:
            with contextlib.suppress(Exception):
                self.sock.close()
        self.conn = self.sock = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _open(self) -> str:
        """Connect to a checked address; "" or the refusal (as an attempt's error)."""
        try:
            scheme, host, port = check_url_syntax(self.url)
            addresses = check_address(host, port)
        except ValidationFailed as refused:
            return refused.detail
        sock = _connect(addresses, port, self.timeout)
        self.sock = sock
        if scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
            self.sock = sock
        conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
        conn.sock = sock  # the checked address: no second resolution (DNS rebinding)
        self.conn = conn
        self.connects += 1
        return ""

    def _once(self, target: str, body: bytes, headers: dict[str, str]) -> int:
        self.conn.request(
            "POST",
            target,
            body=body,
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
        )
        answer = self.conn.getresponse()
        answer.read(65536)
        if answer.will_close or not answer.isclosed():  # closing, or a body left unread
            self.close()
        return answer.status

    def post(self, *, body: bytes, headers: dict[str, str]) -> Attempt:
        """POST `body` once (redirects are not followed: a 3xx is a failure). A kept-alive
        connection the receiver closed meanwhile is opened again once, transparently."""
        started = time.monotonic()

        def done(status: int | None, error: str = "") -> Attempt:
            return Attempt(status, int((time.monotonic() - started) * 1000), error[:500])

        parts = urlsplit(self.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            reused = self.conn is not None
            if not reused and (refused := self._open()):
                return done(None, refused)
            try:
                status = self._once(target, body, headers)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                if not reused:
                    raise
                self.close()  # the receiver closed an idle kept-alive connection
                if refused := self._open():
                    return done(None, refused)
                status = self._once(target, body, headers)
        except TimeoutError:
            self.close()
            return done(None, f"No answer within {self.timeout:g} s.")
        except (OSError, http.client.HTTPException) as error:
            self.close()
            return done(None, f"{type(error).__name__}: {error}" if str(error) else repr(error))
        if 200 <= status < 300:
            return done(status)
        return done(status, f"The endpoint answered HTTP {status}.")


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> Attempt:
    """POST `body` to `url` once, on a connection of its own: the host is resolved and checked
    now, and the connection goes to the address checked. Never raises."""
    with Connection(url, timeout=timeout) as conn:
        return conn.post(body=body, headers=headers)


# --- Retries -------------------------------------------------------------------------------------


def retry_delay(attempt: int, *, rand: Callable[[], float] = random.random) -> float:
    """Seconds before attempt `attempt + 1`, after `attempt` failures: base * 2^(attempt - 1),
    at most WEBHOOKS_RETRY_MAX_SECONDS, times a jitter between 0.5 and 1."""
    base = settings.WEBHOOKS_RETRY_BASE_SECONDS
    delay = min(base * 2 ** min(max(attempt - 1, 0), 40), settings.WEBHOOKS_RETRY_MAX_SECONDS)
    return delay * (0.5 + rand() / 2)


# --- Which events an endpoint gets ---------------------------------------------------------------


def events_for(endpoint: WebhookEndpoint, team_ids: list[int]):
    """The events of the endpoint's types and teams (teams given: events of reps in them)."""
    rows = Event.objects.all()
    if endpoint.event_types:
        rows = rows.filter(type__in=endpoint.event_types)
    if team_ids:
        rows = rows.filter(
            Q(representative__teams__in=team_ids) & Q(representative__isnull=False)
        ).distinct()
    return rows


def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else timezone.now()


def _send(endpoint: WebhookEndpoint, event: Event, conn: Connection | None = None) -> Attempt:
    """One attempt, on `conn` (a drain's kept-alive connection) or on a connection of its own."""
    body = payload(event)
    headers = headers_for(endpoint.secret, str(event.id), int(time.time()), body)
    if conn is not None:
        return conn.post(body=body, headers=headers)
    return post(endpoint.url, body=body, headers=headers, timeout=settings.WEBHOOKS_TIMEOUT_SECONDS)


def _disable(endpoint: WebhookEndpoint, *, reason: str, now: dt.datetime) -> None:
    endpoint.active = False
    endpoint.disabled_reason = reason[:500]
    endpoint.disabled_at = now
    endpoint.save(update_fields=["active", "disabled_reason", "disabled_at"])
    audit_log(
        actor=None,
        action="webhook.disable",
        obj=endpoint,
        before={"active": True},
        after={"active": False, "disabled_reason": endpoint.disabled_reason},
        now=now,
    )
    log.warning("webhooks: endpoint %s disabled: %s", endpoint.pk, reason)


# pg_try_advisory_lock(LOCK_CLASS, endpoint id): the one worker sending to an endpoint.
LOCK_CLASS = 0x57484B53  # "WHKS"
BATCH = 100  # events read per query
DRAIN_MAX = 500  # events per delivery task; it queues itself again when more remain
RECORD_EVERY = 50  # 2xx attempts recorded (and the cursor moved) per transaction


@contextlib.contextmanager
def _holding(endpoint_id: int):
    """True while this process holds the endpoint (a session advisory lock on PostgreSQL: a
    worker that dies lets go with its connection); False when another one does. SQLite (tests,
    one process) has no such lock: always True."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_CLASS, endpoint_id])
        held = cur.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with contextlib.suppress(Exception), connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_CLASS, endpoint_id])


def endpoint_held(*, endpoint_id: int) -> bool:
    """Whether a worker is sending to this endpoint right now."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cur:
        cur.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = %s"
            " AND objid = %s AND objsubid = 2 AND granted)",
            [LOCK_CLASS, endpoint_id],
        )
        return cur.fetchone()[0]


def _record(
    cursor: WebhookCursor,
    endpoint: WebhookEndpoint,
    event: Event,
    attempt: Attempt,
    moment: dt.datetime,
) -> bool:
    """The attempt's log row and the cursor's move (2xx) or retry (else), in one transaction.
    False when the endpoint was deleted meanwhile."""
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(
                endpoint=endpoint,
                event_id=event.id,
                event_type=event.type,
                attempt=cursor.attempts + 1,
                status_code=attempt.status_code,
                latency_ms=attempt.latency_ms,
                error=attempt.error,
                at=moment,
            )
            if attempt.ok:
                cursor.last_event_id, cursor.attempts, cursor.next_attempt_at = event.id, 0, None
                cursor.save(update_fields=["last_event_id", "attempts", "next_attempt_at"])
                if endpoint.failing_since is not None:
                    endpoint.failing_since = None
                    endpoint.save(update_fields=["failing_since"])
                return True
            cursor.attempts += 1
            if endpoint.failing_since is None:
                endpoint.failing_since = moment
                endpoint.save(update_fields=["failing_since"])
            delay = dt.timedelta(seconds=retry_delay(cursor.attempts))
            cursor.next_attempt_at = moment + delay
            cursor.save(update_fields=["attempts", "next_attempt_at"])
            failing = (moment - endpoint.failing_since).total_seconds()
            if failing >= settings.WEBHOOKS_DISABLE_AFTER_SECONDS:
                hours = settings.WEBHOOKS_DISABLE_AFTER_SECONDS / 3600
                _disable(
                    endpoint,
                    reason=f"Every delivery failed for {hours:g} hours; the last: {attempt.error}",
                    now=moment,
                )
    except IntegrityError:  # the endpoint was deleted while its event was on its way
        return False
    return True


def _record_delivered(
    cursor: WebhookCursor,
    endpoint: WebhookEndpoint,
    done: list[tuple[Event, Attempt, dt.datetime]],
) -> bool:
    """The log rows of a run of 2xx attempts (one INSERT) and the cursor past the last of them
    (one UPDATE), in one short transaction. False when the endpoint was deleted meanwhile."""
    if not done:
        return True
    rows = [
        WebhookDelivery(
            endpoint=endpoint,
            event_id=event.id,
            event_type=event.type,
            attempt=(cursor.attempts + 1) if n == 0 else 1,
            status_code=attempt.status_code,
            latency_ms=attempt.latency_ms,
            error=attempt.error,
            at=moment,
        )
        for n, (event, attempt, moment) in enumerate(done)
    ]
    try:
        with transaction.atomic():
            WebhookDelivery.objects.bulk_create(rows)
            cursor.last_event_id, cursor.attempts, cursor.next_attempt_at = done[-1][0].id, 0, None
            cursor.save(update_fields=["last_event_id", "attempts", "next_attempt_at"])
            if endpoint.failing_since is not None:
                endpoint.failing_since = None
                endpoint.save(update_fields=["failing_since"])
    except IntegrityError:  # the endpoint was deleted while its events were on their way
        return False
    done.clear()
    return True


def endpoint_deliver(
    *, endpoint_id: int, now: dt.datetime | None = None, max_events: int = DRAIN_MAX
) -> int:
    """Send the endpoint's pending events in order until none is left, one fails (its retry is
    scheduled), another worker holds the endpoint, or `max_events` went out; how many were
    delivered. One worker at a time (`_holding`, taken once per drain); the events are read
    BATCH at a time and sent on one kept-alive connection; the 2xx attempts are recorded, and
    the cursor moved past them, every RECORD_EVERY events (and at the end of a page, and before a
    failure is recorded) in one transaction. A worker killed mid-drain moves nothing past what was
    recorded: the events since (at most RECORD_EVERY) are sent again, with the same `webhook-id`
    (at least once). `now`: a fixed clock (tests); None: the real one, per attempt."""
    delivered = 0
    with _holding(endpoint_id) as held:
        if not held:
            return 0
        conn: Connection | None = None
        try:
            while delivered < max_events:
                cursor = (
                    WebhookCursor.objects.select_related("endpoint")
                    .filter(endpoint_id=endpoint_id, endpoint__active=True)
                    .first()
                )
                if cursor is None:
                    return delivered  # inactive or deleted
                if cursor.next_attempt_at is not None and cursor.next_attempt_at > _now(now):
                    return delivered
                endpoint = cursor.endpoint
                if conn is None or conn.url != endpoint.url:
                    if conn is not None:
                        conn.close()
                    conn = Connection(endpoint.url, timeout=settings.WEBHOOKS_TIMEOUT_SECONDS)
                team_ids = list(endpoint.teams.values_list("pk", flat=True))
                # Ids grow in commit order: every event up to `top` is committed and none will
                # appear below it, so an endpoint with nothing among them skips past them all.
                top = Event.objects.aggregate(top=Max("id"))["top"] or 0
                events = list(
                    events_for(endpoint, team_ids)
                    .filter(id__gt=cursor.last_event_id, id__lte=top)
                    .order_by("id")[: min(BATCH, max_events - delivered)]
                )
                if not events:
                    if top > cursor.last_event_id:
                        WebhookCursor.objects.filter(
                            pk=endpoint_id, last_event_id=cursor.last_event_id
                        ).update(last_event_id=top)
                    return delivered
                done: list[tuple[Event, Attempt, dt.datetime]] = []
                for event in events:
                    attempt = _send(endpoint, event, conn)
                    moment = _now(now)
                    if attempt.ok:
                        done.append((event, attempt, moment))
                        delivered += 1
                        if len(done) >= RECORD_EVERY and not _record_delivered(
                            cursor, endpoint, done
                        ):
                            return delivered - len(done)
                        continue
                    if not _record_delivered(cursor, endpoint, done):
                        return delivered - len(done)
                    _record(cursor, endpoint, event, attempt, moment)
                    return delivered
                if not _record_delivered(cursor, endpoint, done):
                    return delivered - len(done)
                if not WebhookEndpoint.objects.filter(pk=endpoint_id, active=True).exists():
                    return delivered
        finally:
            if conn is not None:
                conn.close()
    return delivered


def endpoints_due(*, now: dt.datetime) -> list[int]:
    """Active endpoints with events after their cursor and no retry waiting (one query)."""
    top = Event.objects.order_by().annotate(g=Value(1)).values("g").annotate(top=Max("id"))
    return list(
        WebhookCursor.objects.filter(
            endpoint__active=True, last_event_id__lt=Subquery(top.values("top")[:1])
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("endpoint_id")
        .values_list("endpoint_id", flat=True)
    )


def _enqueue(endpoint_id: int) -> bool:
    from celery import current_app

    try:
        current_app.send_task(DELIVER_TASK, args=[endpoint_id], retry=False, expires=300)
    except Exception:  # a broker that is down: the events wait in the log
        log.warning("webhooks: could not queue the delivery to endpoint %s", endpoint_id)
        return False
    return True


def webhooks_dispatch(*, now: dt.datetime) -> int:
    """Periodic job: queue one delivery task per endpoint that has events due. How many."""
    return sum(_enqueue(endpoint_id) for endpoint_id in endpoints_due(now=now))


# --- The kick after a commit ---------------------------------------------------------------------

_kick_lock = threading.Lock()
_kick_state = {"last": 0.0, "active_checked": 0.0, "active": False, "pending": False, "ids": []}
KICK_EVERY_SECONDS = 0.5  # a floor's events arrive one by one: merge them into one task
ACTIVE_CHECK_SECONDS = 5.0


def _any_active() -> bool:
    """Whether an endpoint is active; their ids are kept for the kick (read at most every
    ACTIVE_CHECK_SECONDS per process)."""
    clock = time.monotonic()
    if clock - _kick_state["active_checked"] > ACTIVE_CHECK_SECONDS:
        _kick_state["ids"] = list(
            WebhookEndpoint.objects.filter(active=True).order_by("pk").values_list("pk", flat=True)
        )
        _kick_state["active"] = bool(_kick_state["ids"])
        _kick_state["active_checked"] = clock
    return _kick_state["active"]


def _kick_send() -> None:
    """Queue the delivery task of every active endpoint directly (no dispatch task in between:
    a delivery with nothing due costs its task two small queries)."""
    with _kick_lock:
        _kick_state["pending"] = False
        _kick_state["last"] = time.monotonic()
        ids = list(_kick_state.get("ids") or ())
    try:
        from celery import current_app

        for endpoint_id in ids:
            current_app.send_task(DELIVER_TASK, args=[endpoint_id], retry=False, expires=60)
    except Exception:  # a lost kick costs a beat period of lag, never the change
        log.warning("webhooks: could not queue a delivery", exc_info=True)


def _kick_now() -> None:
    """At most one kick per KICK_EVERY_SECONDS: a kick that comes sooner is sent at the end
    of the period (one timer at most), so the last commit of a burst is never left waiting for
    the beat."""
    try:
        if not _any_active():
            return
    except Exception:
        log.warning("webhooks: could not read whether an endpoint is active", exc_info=True)
        return
    with _kick_lock:
        if _kick_state["pending"]:
            return
        wait = KICK_EVERY_SECONDS - (time.monotonic() - _kick_state["last"])
        if wait > 0:
            _kick_state["pending"] = True
            timer = threading.Timer(wait, _kick_send)
            timer.daemon = True
            timer.start()
            return
        _kick_state["pending"] = True
    _kick_send()


def webhooks_kick() -> None:
    """After the current transaction commits (events were written), queue the active endpoints'
    deliveries at once, so they do not wait for the beat timer. Nothing when no endpoint is active (read at most
    every ACTIVE_CHECK_SECONDS per process); a broker that is down only loses the kick."""
    if settings.WEBHOOKS_KICK:
        transaction.on_commit(_kick_now, robust=True)


def forget_active_endpoints() -> None:
    """A change of endpoints: the next kick reads again whether any is active."""
    _kick_state["active_checked"] = 0.0


# --- "Send again" --------------------------------------------------------------------------------


def webhook_resend(*, endpoint: WebhookEndpoint, event_id: int, actor, now: dt.datetime):
    """Send one event again now, outside the cursor (the delivery log's "send again"); the attempt
    is logged and audited. ValidationFailed when the event is no longer in the log."""
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        raise ValidationFailed(
            f"Event {event_id} is no longer in the event log (past retention); it cannot be "
            "sent again.",
            field="event_id",
        )
    attempt = _send(endpoint, event)
    with transaction.atomic():
        previous = WebhookDelivery.objects.filter(endpoint=endpoint, event_id=event_id).count()
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_id=event.id,
            event_type=event.type,
            attempt=previous + 1,
            status_code=attempt.status_code,
            latency_ms=attempt.latency_ms,
            error=attempt.error,
            manual=True,
            at=now,
        )
        audit_log(
            actor=actor,
            action="webhook.resend",
            obj=endpoint,
            before=None,
            after={"event_id": event.id, "status_code": attempt.status_code},
            now=now,
        )
    return delivery
