"""bench/floor.py --webhooks (issue 14, the last "Done when"): the receiver's signature check,
the delivery figures and the held criteria it adds, and the receiver itself, in this process and
as the process of its own the bench starts. The floor itself never runs in the tests."""

from __future__ import annotations

import http.client
import json
import math
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from _common import stop_processes  # noqa: E402
from _floor_hooks import (  # noqa: E402
    Receiver,
    hook_reasons,
    hook_stats,
    process_cpu_seconds,
    records,
    reset,
    start_receiver,
    verify,
)

from presence.services.webhooks import headers_for, new_secret  # noqa: E402

# The Standard Webhooks test vector docs/events.md gives.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_STAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def _vector_headers(**changes) -> dict[str, str]:
    return {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": str(VECTOR_STAMP),
        "webhook-signature": VECTOR_SIGNATURE,
    } | changes


def test_the_receiver_verifies_the_standard_webhooks_test_vector():
    assert verify(VECTOR_SECRET, _vector_headers(), VECTOR_BODY, now=VECTOR_STAMP + 10)
    # One of several signatures is enough (a rotation sends two).
    several = _vector_headers(**{"webhook-signature": "v1,AAAA " + VECTOR_SIGNATURE})
    assert verify(VECTOR_SECRET, several, VECTOR_BODY, now=VECTOR_STAMP)


@pytest.mark.parametrize(
    ("headers", "body", "now"),
    [
        (_vector_headers(), b'{"test": 2432232315}', VECTOR_STAMP),  # the body changed
        (_vector_headers(**{"webhook-id": "msg_other"}), VECTOR_BODY, VECTOR_STAMP),
        (_vector_headers(**{"webhook-timestamp": "1614265331"}), VECTOR_BODY, VECTOR_STAMP),
        (_vector_headers(), VECTOR_BODY, VECTOR_STAMP + 301),  # a replay, too old
        (_vector_headers(**{"webhook-signature": "v2,x"}), VECTOR_BODY, VECTOR_STAMP),
        ({"webhook-id": VECTOR_ID}, VECTOR_BODY, VECTOR_STAMP),  # headers missing
        (_vector_headers(**{"webhook-timestamp": "soon"}), VECTOR_BODY, VECTOR_STAMP),
    ],
)
def test_the_receiver_refuses_a_signature_that_does_not_hold(headers, body, now):
    assert not verify(VECTOR_SECRET, headers, body, now=now)


def test_the_receiver_accepts_what_the_portal_signs():
    secret, body, stamp = new_secret(), b'{"id":7}', int(time.time())
    assert verify(secret, headers_for(secret, "7", stamp, body), body, now=time.time())
    assert not verify(new_secret(), headers_for(secret, "7", stamp, body), body, now=time.time())


def test_hook_stats_counts_duplicates_failures_missing_and_the_lag_of_first_arrivals():
    records_ = [
        ["1", 100.5, 100.0, True],  # 500 ms
        ["2", 101.0, 100.9, True],  # 100 ms
        ["2", 106.0, 100.9, True],  # a retry of an id already received: a duplicate
        ["3", 102.0, 101.0, False],  # a bad signature: a failure, and 3 is not received
        ["9", 103.0, 101.0, True],  # 2 s, an id the log does not have
    ]
    stats = hook_stats(records_, [1, 2, 3, 4])
    assert stats["log_events"] == 4
    assert stats["received"] == 3
    assert stats["duplicates"] == 1
    assert stats["signature_failures"] == 1
    assert stats["not_in_log"] == 1
    assert (stats["missing"], stats["first_missing"]) == (2, [3, 4])
    assert stats["lag_p50_ms"] == 500.0
    assert stats["lag_max_ms"] == 2000.0
    assert stats["lag_p99_ms"] == 2000.0


def test_an_event_without_occurred_at_counts_as_the_slowest():
    stats = hook_stats([["1", 1.0, None, True], ["2", 1.0, 0.9, True]], [1, 2])
    assert stats["lag_p99_ms"] is None
    assert hook_reasons(stats) == ["webhook lag p99 unknown >= 2000 ms"]
    assert math.isclose(hook_stats([["2", 1.0, 0.9, True]], [2])["lag_p50_ms"], 100.0)


def _stats(**changes) -> dict:
    return {
        "received": 10,
        "lag_p99_ms": 1999.0,
        "signature_failures": 0,
        "missing": 0,
    } | changes


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"lag_p99_ms": 2000.0}, "webhook lag p99 2000 ms >= 2000 ms"),
        ({"signature_failures": 1}, "1 webhook signature failures"),
        ({"missing": 3}, "3 events of the log never received"),
        ({"received": 0}, "webhooks: no event received"),
    ],
)
def test_a_floor_with_webhooks_is_not_held_for_each_reason_alone(changes, reason):
    assert hook_reasons(_stats()) == []
    assert hook_reasons(_stats(**changes)) == [reason]


def _post(port: int, headers: dict, body: bytes) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/hook", body=body, headers=headers)
        answer = conn.getresponse()
        answer.read()
        return answer.status
    finally:
        conn.close()


def _event(event_id: int, occurred: str) -> bytes:
    return json.dumps({"id": event_id, "occurred_at": occurred, "data": {}}).encode()


def _exercise(port: int) -> list[list]:
    """Reset with a secret, send a good request, a retry of it and a forged one; the records."""
    secret = new_secret()
    _post(port, headers_for(secret, "41", int(time.time()), _event(41, "x")), _event(41, "x"))
    reset(port, secret)  # a new run: what came before is forgotten
    assert records(port) == []
    body = _event(42, "2026-12-01T09:00:00.250Z")
    now = int(time.time())
    assert _post(port, headers_for(secret, "42", now, body), body) == 204
    assert _post(port, headers_for(secret, "42", now + 5, body), body) == 204
    assert _post(port, headers_for(new_secret(), "43", now, body), body) == 401
    return records(port)


def test_the_receiver_records_each_arrival_and_answers_401_to_a_bad_signature():
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        got = _exercise(receiver.port)
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
    assert [(r[0], r[3]) for r in got] == [("42", True), ("42", True), ("43", False)]
    assert got[0][2] == pytest.approx(1796115600.25)  # occurred_at, unix seconds
    assert got[0][1] <= got[1][1] <= time.time()
    stats = hook_stats(got, [42])
    assert (stats["received"], stats["duplicates"], stats["signature_failures"]) == (1, 1, 1)
    assert stats["missing"] == 0


def test_the_bench_starts_the_receiver_as_a_process_of_its_own():
    proc, port = start_receiver()
    try:
        got = _exercise(port)
        assert process_cpu_seconds(proc.pid) >= 0.0  # read apart from the server's and the bench's
    finally:
        stop_processes({"receiver": proc})
    assert [(r[0], r[3]) for r in got] == [("42", True), ("42", True), ("43", False)]
    assert proc.returncode is not None


def _row(hooks: bool, cpu: float, held: bool = True, **changes) -> dict:
    return {
        "mode": "push",
        "reps": 100,
        "console_fetch": "kinds",
        "webhooks": hooks,
        "server_cpu_ms_per_rep_second": cpu,
        "held": held,
        "webhook_deliveries": {"receiver_cores_busy": 0.01} if hooks else None,
    } | changes


def test_webhooks_both_pairs_each_run_without_with_the_run_with_that_follows_it(capsys):
    from floor import _hook_ratios

    rows = [_row(False, 1.0), _row(True, 1.2), _row(False, 1.1), _row(True, 1.1, held=False)]
    rows.append(_row(True, 9.0, reps=200))  # no run without at 200 reps: no ratio
    figures = _hook_ratios(rows, {"push": 100, "push+webhooks": None})
    ratios = [f["on_over_off_server_cpu"] for f in figures if "on_over_off_server_cpu" in f]
    assert ratios == [1.2, 1.0]
    assert figures[1]["held"] == {"off": True, "on": False}
    assert figures[-1] == {"mode": "push", "largest_held": {"off": 100, "on": None}, "drop": 1.0}
    assert "webhooks cost 1.20x" in capsys.readouterr().out


def test_the_largest_floor_held_with_webhooks_is_compared_with_the_one_without():
    from floor import _hook_ratios

    figures = _hook_ratios([], {"push": 400, "push+webhooks": 375, "poll": 100})
    assert figures == [{"mode": "push", "largest_held": {"off": 400, "on": 375}, "drop": 0.0625}]


def test_hook_stats_gives_the_lag_of_the_events_of_the_measured_window_apart():
    records_ = [
        ["1", 103.0, 100.0, True],  # the sign-in, before the window: 3 s
        ["2", 110.2, 110.0, True],  # in it: 200 ms
        ["3", 120.4, 120.0, True],  # in it: 400 ms
        ["4", 135.0, 131.0, True],  # the closing, after it: 4 s
    ]
    stats = hook_stats(records_, [1, 2, 3, 4], window=(105.0, 130.0))
    assert stats["lag_max_ms"] == 4000.0
    assert stats["window"]["n"] == 2
    assert stats["window"]["lag_p50_ms"] == pytest.approx(200.0, abs=0.1)
    assert stats["window"]["lag_max_ms"] == pytest.approx(400.0, abs=0.1)
    assert "window" not in hook_stats(records_, [1, 2, 3, 4])


def test_the_lag_is_judged_over_the_measured_window_when_the_run_has_one():
    """As every latency of the floor: the sign-in and the closing of every tab are outside it."""
    records_ = [
        ["1", 103.0, 100.0, True],  # the sign-in burst: 3 s
        ["2", 110.2, 110.0, True],
        ["3", 120.4, 120.0, True],
        ["4", 135.0, 131.0, True],  # every tab closing at once: 4 s
    ]
    assert hook_reasons(hook_stats(records_, [1, 2, 3, 4], window=(105.0, 130.0))) == []
    assert hook_reasons(hook_stats(records_, [1, 2, 3, 4])) == [
        "webhook lag p99 4000 ms >= 2000 ms"
    ]
    late = [*records_, ["5", 128.5, 125.0, True]]  # 3.5 s inside the window
    assert hook_reasons(hook_stats(late, [1, 2, 3, 4, 5], window=(105.0, 130.0))) == [
        "webhook lag p99 (measured window) 3500 ms >= 2000 ms"
    ]


def test_one_size_measured_both_ways_is_no_largest_floor_held():
    from floor import _hook_ratios

    rows = [_row(False, 1.0), _row(True, 1.2)]
    figures = _hook_ratios(rows, {"push": 100, "push+webhooks": 100}, searched=False)
    assert [f["on_over_off_server_cpu"] for f in figures] == [1.2]
