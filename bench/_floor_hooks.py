"""bench/floor.py --webhooks: a webhook receiver on 127.0.0.1 and what the bench reads off it.

The receiver runs in a process of its own (`python bench/_floor_hooks.py`: it prints its port,
then serves), so that its CPU is neither the server's nor the bench client's: floor.py reads it
apart from both. It is a threaded http.server, as an integrator's smallest receiver would be
(docs/events.md, "Verifying a signature"): each POST's Standard Webhooks signature is verified
(written here independently of the portal's signer), and it records the `webhook-id`, the
arrival time, the event's `occurred_at` and whether the signature held. A bad signature is
answered 401 (as a real receiver would: the worker retries it), a good one 204.

Control requests, from the bench only: `PUT /_reset` with the endpoint's secret as the body
(a new run: the records are cleared); `GET /_records`: the records as JSON.

The pure parts (verify, hook_stats, hook_reasons) are tested in tests/bench/test_floor_hooks.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import math
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from _floor_stats import percentile

LAG_P99_LIMIT = 2.0  # seconds, issue 14: delivery lag p99 (arrival - occurred_at) under 2 s
DESCRIPTION = "bench/floor.py --webhooks"  # of the endpoints the bench registers
REPLAY_SECONDS = 300  # a webhook-timestamp further from the clock is refused (docs/events.md)


def verify(secret: str, headers: dict[str, str], body: bytes, *, now: float) -> bool:
    """The receiver's check of a Standard Webhooks request: `webhook-signature` holds a `v1,`
    HMAC-SHA256 (key: the base64 after `whsec_`) of "{webhook-id}.{webhook-timestamp}.{body}",
    compared in constant time; a timestamp more than REPLAY_SECONDS from `now` is refused."""
    try:
        msg_id, stamp = headers["webhook-id"], headers["webhook-timestamp"]
        if abs(now - int(stamp)) > REPLAY_SECONDS:
            return False
        key = base64.b64decode(secret.removeprefix("whsec_"))
    except (KeyError, ValueError):
        return False
    signed = f"{msg_id}.{stamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(part.split(",", 1)[1], expected)
        for part in headers.get("webhook-signature", "").split()
        if part.startswith("v1,")
    )


def _epoch(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class Receiver:
    """The threaded receiver; `records`: [webhook-id, arrival (unix s), occurred_at (unix s or
    None), signature ok] per request, in arrival order."""

    def __init__(self, port: int = 0):
        self.secret = ""
        self.records: list[list] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.1 keep-alive, as any web server an integrator runs answers (the worker sends
            # an endpoint's events on one connection); Nagle off: headers and body written apart.
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def _answer(self, status: int, body: bytes = b"") -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                if body:
                    self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                arrived = time.time()
                headers = {k.lower(): v for k, v in self.headers.items()}
                ok = verify(receiver.secret, headers, body, now=arrived)
                try:
                    occurred = _epoch(json.loads(body).get("occurred_at"))
                except (ValueError, AttributeError):
                    occurred = None
                with receiver.lock:
                    receiver.records.append([headers.get("webhook-id", ""), arrived, occurred, ok])
                self._answer(204 if ok else 401)

            def do_PUT(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != "/_reset":
                    return self._answer(404)
                with receiver.lock:
                    receiver.secret = body.decode()
                    receiver.records = []
                return self._answer(204)

            def do_GET(self):  # noqa: N802
                if self.path != "/_records":
                    return self._answer(404)
                with receiver.lock:
                    body = json.dumps(receiver.records).encode()
                return self._answer(200, body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]


def hook_stats(
    records: list[list], log_ids: list[int], *, window: tuple[float, float] | None = None
) -> dict:
    """What the bench reports of one run: events received (distinct webhook-ids with a valid
    signature), duplicates (arrivals of an id already received), signature failures, delivery
    lag (first valid arrival - occurred_at) p50/p99/max in ms, and the log's events (`log_ids`:
    the `presence_event` ids written since the endpoint was created) never received. `window`
    (unix seconds, start and end): the lag of the events that occurred in it apart (the floor's
    steady work, without its sign-in and its closing)."""
    first: dict[str, tuple[float, float | None]] = {}
    duplicates = failures = 0
    for msg_id, arrived, occurred, ok in records:
        if not ok:
            failures += 1
            continue
        if msg_id in first:
            duplicates += 1
            continue
        first[msg_id] = (arrived - occurred if occurred is not None else math.inf, occurred)
    lags = [lag for lag, _ in first.values()]
    missing = sorted(i for i in log_ids if str(i) not in first)
    logged = {str(i) for i in log_ids}

    def ms(samples: list[float], p: float) -> float | None:
        if not samples:
            return None
        value = percentile(samples, p) if p < 100 else max(samples)
        return None if math.isinf(value) else round(1000 * value, 1)

    stats = {
        "log_events": len(log_ids),
        "received": len(first),
        "duplicates": duplicates,
        "signature_failures": failures,
        "not_in_log": sum(msg_id not in logged for msg_id in first),
        "missing": len(missing),
        "first_missing": missing[:10],
        "lag_p50_ms": ms(lags, 50),
        "lag_p99_ms": ms(lags, 99),
        "lag_max_ms": ms(lags, 100),
    }
    if window is not None:
        inside = [
            lag for lag, at in first.values() if at is not None and window[0] <= at <= window[1]
        ]
        stats["window"] = {
            "n": len(inside),
            "lag_p50_ms": ms(inside, 50),
            "lag_p99_ms": ms(inside, 99),
            "lag_max_ms": ms(inside, 100),
        }
    return stats


def hook_reasons(stats: dict, *, lag_p99_limit: float = LAG_P99_LIMIT) -> list[str]:
    """Why a floor with webhooks on is not held (nothing: held): lag p99 under the limit, no
    signature failure, nothing of the log missing after the drain.

    The lag is judged over the events of the measured window when the run has one (`window`),
    as every other latency of the floor is (bench/floor.py: the tabs' sign-in, 50 a second, and
    the closing of every tab at once are outside it): a burst of thousands of events within a
    second or two is sent one after the other to one endpoint, in order, and waits its turn
    (docs/performance.md). The lag over every event of the run is reported beside it."""
    reasons = []
    lag = stats.get("window", stats)
    if not stats["received"]:
        reasons.append("webhooks: no event received")
    elif lag["lag_p99_ms"] is None or not lag["lag_p99_ms"] < 1000 * lag_p99_limit:
        shown = "unknown" if lag["lag_p99_ms"] is None else f"{lag['lag_p99_ms']:.0f} ms"
        where = " (measured window)" if "window" in stats else ""
        reasons.append(f"webhook lag p99{where} {shown} >= {1000 * lag_p99_limit:.0f} ms")
    if stats["signature_failures"]:
        reasons.append(f"{stats['signature_failures']} webhook signature failures")
    if stats["missing"]:
        reasons.append(f"{stats['missing']} events of the log never received")
    return reasons


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads, the finished ones too)."""
    import os

    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- The bench's side: the receiver process and the endpoint, through the API --------------------


def start_receiver():
    """The receiver in a process group of its own; (process, port)."""
    import subprocess

    proc = subprocess.Popen(
        [sys.executable, __file__],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        text=True,
    )
    line = proc.stdout.readline()
    proc.stdout.close()  # the port is all it prints
    if not line.strip().isdigit():
        proc.kill()
        sys.exit("the webhook receiver did not start")
    return proc, int(line)


def _call(port: int, method: str, path: str, *, body: bytes = b"", headers=None):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def register(port: int, token: str, url: str) -> tuple[int, str]:
    """One endpoint for every event type, every team (POST /api/v1/webhooks as an admin):
    (its id, its secret)."""
    status, body = _call(
        port,
        "POST",
        "/api/v1/webhooks",
        body=json.dumps({"url": url, "description": DESCRIPTION}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    if status != 201:
        raise RuntimeError(f"POST /api/v1/webhooks answered {status}: {body[:300]!r}")
    created = json.loads(body)
    return created["id"], created["secret"]


def unregister_leftovers(port: int, token: str) -> int:
    """Delete the endpoints an interrupted run of the bench left (its description): one that
    points at a receiver long gone would be retried through the next runs, on their CPU."""
    status, body = _call(
        port, "GET", "/api/v1/webhooks", headers={"Authorization": f"Bearer {token}"}
    )
    if status != 200:
        raise RuntimeError(f"GET /api/v1/webhooks answered {status}: {body[:300]!r}")
    left = [e["id"] for e in json.loads(body) if e.get("description") == DESCRIPTION]
    for endpoint_id in left:
        unregister(port, token, endpoint_id)
    return len(left)


def unregister(port: int, token: str, endpoint_id: int) -> None:
    _call(
        port,
        "DELETE",
        f"/api/v1/webhooks/{endpoint_id}",
        headers={"Authorization": f"Bearer {token}"},
    )


def reset(port: int, secret: str) -> None:
    _call(port, "PUT", "/_reset", body=secret.encode())


def records(port: int) -> list[list]:
    status, body = _call(port, "GET", "/_records")
    if status != 200:
        raise RuntimeError(f"the receiver answered {status}")
    return json.loads(body)


if __name__ == "__main__":
    receiver = Receiver()
    print(receiver.port, flush=True)
    receiver.server.serve_forever()
