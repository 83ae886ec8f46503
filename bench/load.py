"""Load: the live traffic simulator against a production-like stack, at rising rates.

gunicorn (production settings, gthread workers) + PostgreSQL + Redis (broker and cache) + a Celery
worker and beat, all on 127.0.0.1; `presence.simulator` sends events at each rate for --duration
seconds. A rate is *held* when the run reached at least 95% of it, its p99 latency is under
200 ms and no answer was an error (5xx, a failed connection, or any refusal but 409). After each
run the invariants are checked in the database (presence.simulator.check_invariants): every 2xx
answer is reflected in the database, every rep's history satisfies H1, and every rep's presence
is what the engine computes from their final state (P4: the safety net would change nothing).

Each rate runs twice: the simulator's mix of desktop and router events, then the baseline of the
same run: heartbeats alone, the lightest real event (token, permissions, scope, one UPDATE), so
the figures say how much of the cost is the stack itself and how much the presence rules. Before
each measured run every rep signs in (one client each, not counted): otherwise the run's first
second is the whole floor connecting at once, and that burst alone decides the p99.

Needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL, default redis://127.0.0.1:6379/13); data go
to a database of their own (portal_bench_load). Run by hand or by `make bench`, never by
`make test`:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal python bench/load.py
    python bench/load.py --rates 50,100,200 --duration 20 --workers 3 --threads 4

Figures, with the machine they were measured on: docs/reliability.md and docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path

from _common import (
    ROOT,
    CpuMeter,
    admin_token,
    machine_note,
    production_env,
    setup_django,
    start_services,
    stop_processes,
)

DB_NAME = "portal_bench_load"
PORT = 8461
HELD_P99_SECONDS = 0.200
RESULTS = ROOT / "var" / "bench" / "load.json"


def free_port(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def start_stack(
    env: dict[str, str],
    *,
    workers: int,
    threads: int,
    port: int,
    services: tuple[str, ...] = ("web", "worker", "beat"),
    name: str = "load",
) -> dict:
    """The `services` (gunicorn, the Celery worker and beat), logs in var/bench/<name>-*.log;
    returns once gunicorn answers /healthz."""
    log_dir = ROOT / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    commands = {
        "web": [
            python, "-m", "gunicorn", "portal.wsgi", "-b", f"127.0.0.1:{port}",
            "-w", str(workers), "-k", "gthread", "--threads", str(threads),
            "--keep-alive", "10",
        ],
        "worker": [python, "-m", "celery", "-A", "portal", "worker", "-l", "warning",
                   "--concurrency", "1", "-n", f"load-{os.getpid()}@%h"],
        "beat": [python, "-m", "celery", "-A", "portal", "beat", "-l", "warning",
                 "-s", str(log_dir / "load-beat-schedule")],
    }  # fmt: skip
    commands = {service: commands[service] for service in services}
    return start_services(commands, env=env, port=port, name=name, server="gunicorn")


def stop_stack(procs: dict) -> None:
    stop_processes(procs)


def reset_traffic() -> None:
    """Every run starts from signed-out reps with no work, so runs compare."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE presence_offer, presence_conversationparticipant, presence_conversation, "
            "presence_client, presence_presenceinterval, presence_representativepresence CASCADE"
        )


# The traffic of agent desktops and a router, and the lightest real event alone as the baseline
# measured in the same run on the same stack: what the stack costs before the presence rules.
MIXES = ("mixed", "heartbeats")


def measure(procs: dict, args, token: str, rate: float, mix: str) -> dict:
    """One run of `mix` at `rate` from signed-out reps with no work; checks the invariants."""
    from django.db import connection

    from presence.simulator import Simulator, check_invariants
    from presence.simulator.traffic import ACTIONS, HEARTBEATS_ONLY

    reset_traffic()
    sim = Simulator(
        url=f"http://127.0.0.1:{args.port}",
        token=token,
        reps=args.reps,
        rate=rate,
        duration=args.duration,
        seed=int(rate),
        actions=ACTIONS if mix == "mixed" else HEARTBEATS_ONLY,
    )
    sim.prepare()
    sim.sign_in_all()  # the floor signs in before the measured traffic, not all in its 1st second
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        meter = CpuMeter(procs, db_name=DB_NAME, exclude={cursor.fetchone()[0]})
    own_before = time.process_time()
    meter.start()
    result = sim.run()
    own = time.process_time() - own_before
    cpu_per_event = meter.stop() / max(1, result.events)
    own -= meter.own_cpu
    problems = check_invariants(result)
    bad = sum(
        n
        for code, n in result.codes.items()
        if not (isinstance(code, int) and (200 <= code < 300 or code == 409))
    )
    ok = (
        result.rate >= 0.95 * rate
        and result.percentile(99) < HELD_P99_SECONDS
        and bad == 0
        and not problems
    )
    row = {
        "mix": mix,
        "target": rate,
        "achieved": round(result.rate, 1),
        "events": result.events,
        "p50_ms": round(1000 * result.percentile(50), 1),
        "p95_ms": round(1000 * result.percentile(95), 1),
        "p99_ms": round(1000 * result.percentile(99), 1),
        "server_cpu_ms_per_event": round(1000 * cpu_per_event, 2),
        "simulator_cpu_ms_per_event": round(1000 * own / max(1, result.events), 2),
        "errors": result.errors,
        "other_refusals": bad - result.errors,
        "invariant_problems": len(problems),
        "held": ok,
        "codes": {str(k): v for k, v in result.codes.items()},
    }
    print(
        f"{mix:10} rate {rate:6.0f}/s: achieved {row['achieved']:6.1f}/s, {row['events']} events, "
        f"p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, p99 {row['p99_ms']} ms, "
        f"server CPU {row['server_cpu_ms_per_event']} ms/event, "
        f"simulator CPU {row['simulator_cpu_ms_per_event']} ms/event, "
        f"errors {row['errors']}, other refusals {row['other_refusals']}, "
        f"invariants {'ok' if not problems else f'{len(problems)} problems'} -> "
        f"{'held' if ok else 'NOT held'}",
        flush=True,
    )
    for line in problems[:5] + result.unexpected[:5]:
        print(f"    {line}")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="50,100,200,300,400,500")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument(
        "--keep-going", action="store_true", help="run every rate even after a miss"
    )
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    if not free_port(args.port):
        sys.exit(f"port {args.port} is in use; pass --port")
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13"
    setup_django(DB_NAME)  # sets DATABASE_URL to the bench database, migrates

    from django.utils import timezone

    from presence.simulator import Simulator

    token = admin_token("load", now=timezone.now())
    env = production_env(
        secret_key="bench-load-only-" + "x" * 40,
        redis_url=redis_url,
        # Only the simulator moves conversations during a run (so that each 2xx can be checked);
        # the periodic jobs still run on their schedules as load.
        PRESENCE_HEARTBEAT_TIMEOUT_SECONDS="3600",
        PRESENCE_DISCONNECT_GRACE_SECONDS="86400",
    )
    note = machine_note()
    print(f"machine: {note}")
    print(
        f"stack: gunicorn {args.workers} workers x {args.threads} threads (gthread), PostgreSQL, "
        f"Redis, 1 Celery worker + beat; {args.reps} reps; {args.duration:g} s per rate",
        flush=True,
    )
    procs = start_stack(env, workers=args.workers, threads=args.threads, port=args.port)
    rows, held = [], {}

    def interrupted(signum, frame):
        raise KeyboardInterrupt  # so that `finally` stops the stack

    signal.signal(signal.SIGTERM, interrupted)
    try:
        # Reps and the workstream are created once, before the first measured run.
        Simulator(
            url=f"http://127.0.0.1:{args.port}", token=token, reps=args.reps, rate=1, duration=1
        ).prepare()
        stop = set()
        for rate in rates:
            for mix in MIXES:
                if mix in stop:
                    continue
                row = measure(procs, args, token, rate, mix)
                rows.append(row)
                if row["held"]:
                    held[mix] = rate
                elif not args.keep_going:
                    stop.add(mix)
            if stop == set(MIXES):
                break
    finally:
        stop_stack(procs)
    for mix in MIXES:
        print(
            f"{mix}: highest rate held (p99 < {HELD_P99_SECONDS * 1000:.0f} ms, no error, "
            f"invariants ok): {f'{held[mix]:g} events/s' if mix in held else 'none of ' + args.rates}"
        )
    by_rate = {(r["mix"], r["target"]): r for r in rows}
    for rate in rates:
        pair = by_rate.get(("mixed", rate)), by_rate.get(("heartbeats", rate))
        if all(pair):
            mixed, beats = pair
            print(
                f"rate {rate:g}/s: mixed events cost {mixed['server_cpu_ms_per_event'] / beats['server_cpu_ms_per_event']:.2f}x "
                f"the server CPU of heartbeats, p99 {mixed['p99_ms'] / beats['p99_ms']:.2f}x"
            )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "machine": note,
                "workers": args.workers,
                "threads": args.threads,
                "reps": args.reps,
                "duration": args.duration,
                "runs": rows,
                "held": held,
            },
            indent=2,
        )
    )
    print(
        f"results: {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}"
    )
    if any(r["invariant_problems"] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
