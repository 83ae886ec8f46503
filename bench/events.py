"""Events: server CPU per request of the mixed API event against `/healthz`, in the same run.

Issue 13, item 6: a mixed API event must cost at most 5 times `/healthz`. The server under test is
the production ASGI server as bench/floor.py starts it (uvicorn, 2 workers, production settings)
on PostgreSQL and Redis, nothing else (no Celery: no event queues a task). Its database
connections come from psycopg's pool, as in production (portal/asgi.py: under uvicorn a
persistent connection is never reused, so without a pool every request opens one, which costs
more than `/healthz` itself); `--no-pool` turns the pool off (`DATABASE_POOL_MAX_SIZE=0`, a
connection per request), `--server gunicorn` the WSGI stack of bench/load.py (gthread,
persistent connections), on which issue 13 measured 9-10x.

Each round sends, at the same rate and concurrency (the simulator's pacing, open loop):

- `healthz`: `GET /healthz` (the stack's floor: middleware, one `SELECT 1`, a JSON answer);
- `mixed`: the simulator's mix of desktop and router events (presence.simulator.traffic.ACTIONS),
  from signed-out reps with no work who sign in first (not counted), invariants checked after.

Server CPU: the uvicorn processes and the PostgreSQL backends of the bench database, from /proc
(bench/_common.CpuMeter), divided by the requests answered. The two kinds alternate, `--rounds`
times, and each round's ratio is printed: the shared machine's load hits both alike. A first,
unrecorded round warms the workers up.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/5 \\
        python bench/events.py --database portal_events --rounds 3

Figures: docs/performance.md ("API events").
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import sys

from _common import (
    ROOT,
    CpuMeter,
    admin_token,
    machine_note,
    production_env,
    random_port,
    setup_django,
    stop_processes,
)

TARGET_RATIO = 5.0
RESULTS = ROOT / "var" / "bench" / "events.json"


def healthz_traffic(base):
    """A Simulator that sends `GET /healthz` in every slot, with `base`'s reps, rate and pacing."""
    from presence.simulator import Simulator
    from presence.simulator.traffic import Rep

    class Healthz(Simulator):
        def _act(self, api, rnd, rep) -> None:
            try:
                status, _, elapsed = api.call("GET", "/healthz")
            except (OSError, http.client.HTTPException) as exc:
                api.close()
                with self.lock:
                    self.codes[f"error:{type(exc).__name__}"] += 1
                return
            with self.lock:
                self.codes[status] += 1
                self.latencies.append(elapsed)

    sim = Healthz(
        url=f"http://{base.host}:{base.port}",
        token=base.token,
        reps=base.n_reps,
        rate=base.target_rate,
        duration=base.duration,
        concurrency=base.concurrency,
    )
    sim.reps = {rep_id: Rep(id=rep_id) for rep_id in base.reps}
    return sim


def measure(kind: str, *, procs: dict, args, token: str, port: int, seed: int) -> dict:
    from _floor_setup import reset_traffic
    from django.db import connection

    from presence.simulator import Simulator, check_invariants

    sim = Simulator(
        url=f"http://127.0.0.1:{port}",
        token=token,
        reps=args.reps,
        rate=args.rate,
        duration=args.duration,
        seed=seed,
    )
    reset_traffic()
    sim.prepare()
    if kind == "mixed":
        sim.sign_in_all()  # not counted: the floor signs in before its traffic
    else:
        sim = healthz_traffic(sim)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        meter = CpuMeter(procs, db_name=args.database, exclude={cursor.fetchone()[0]})
    meter.start()
    result = sim.run()
    cpu = meter.stop()
    problems = check_invariants(result) if kind == "mixed" else []
    bad = sum(
        n
        for code, n in result.codes.items()
        if not (isinstance(code, int) and (200 <= code < 300 or code == 409))
    )
    return {
        "kind": kind,
        "requests": result.events,
        "achieved_per_s": round(result.rate, 1),
        "p50_ms": round(1000 * result.percentile(50), 1),
        "p99_ms": round(1000 * result.percentile(99), 1),
        "server_cpu_ms": round(1000 * cpu / max(1, result.events), 3),
        "unexpected_answers": bad,
        "invariant_problems": len(problems),
        "codes": {str(k): v for k, v in result.codes.items()},
        "problems": (problems + result.unexpected)[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="portal_bench_events")
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per run")
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument(
        "--server",
        choices=("uvicorn", "gunicorn"),
        default="uvicorn",
        help="uvicorn (production, ASGI) or gunicorn gthread (WSGI, as bench/load.py)",
    )
    parser.add_argument(
        "--no-pool",
        action="store_true",
        help="no connection pool (DATABASE_POOL_MAX_SIZE=0): a new PostgreSQL connection per request",
    )
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13"
    setup_django(args.database)  # sets DATABASE_URL to the bench database, migrates

    from _floor_setup import start_stack
    from django.utils import timezone

    token = admin_token("events", now=timezone.now())
    port = random_port()
    env = production_env(
        secret_key="bench-events-only-" + "x" * 40,
        redis_url=redis_url,
        # As bench/floor.py: Django asks for no persistent connections under ASGI; the web server
        # pools instead (portal/asgi.py), unless --no-pool.
        CONN_MAX_AGE="0",
        DATABASE_POOL_MAX_SIZE="0" if args.no_pool else "8",
        # Only the simulator moves presence during a run (no Celery runs anyway).
        PRESENCE_HEARTBEAT_TIMEOUT_SECONDS="3600",
        PRESENCE_DISCONNECT_GRACE_SECONDS="86400",
    )
    connections = (
        "persistent connections"
        if args.server == "gunicorn"
        else "a connection per request"
        if args.no_pool
        else "pooled connections"
    )
    note = machine_note()
    print(f"machine: {note}")
    print(
        f"stack: {args.server} {args.workers} workers (production settings, {connections}), "
        f"PostgreSQL {args.database}, Redis {redis_url} (CPU not "
        f"counted); {args.reps} reps; {args.rate:g} requests/s for {args.duration:g} s per run",
        flush=True,
    )
    if args.server == "gunicorn":  # issue 13's own figures: WSGI, persistent connections
        from load import start_stack as start_gunicorn

        env["CONN_MAX_AGE"] = "60"
        procs = start_gunicorn(
            env, workers=args.workers, threads=4, port=port, services=("web",), name="events"
        )
    else:
        app = "portal.asgi:application"
        procs = start_stack(
            env, workers=args.workers, port=port, services=("web",), name="events", app=app
        )

    def interrupted(signum, frame):
        raise KeyboardInterrupt  # so that `finally` stops the server

    signal.signal(signal.SIGTERM, interrupted)
    rounds = []
    try:
        for number in range(args.rounds + 1):  # round 0 warms up, unrecorded
            pair = {}
            for kind in ("healthz", "mixed") if number % 2 else ("mixed", "healthz"):
                pair[kind] = row = measure(
                    kind, procs=procs, args=args, token=token, port=port, seed=number
                )
                if number:
                    print(
                        f"round {number} {kind:8}: {row['requests']} requests, "
                        f"{row['achieved_per_s']}/s, p50 {row['p50_ms']} ms, p99 "
                        f"{row['p99_ms']} ms, server CPU {row['server_cpu_ms']} ms/request, "
                        f"unexpected answers {row['unexpected_answers']}, invariant problems "
                        f"{row['invariant_problems']}",
                        flush=True,
                    )
                    for line in row["problems"]:
                        print(f"    {line}")
            if number:
                ratio = pair["mixed"]["server_cpu_ms"] / pair["healthz"]["server_cpu_ms"]
                rounds.append({"ratio": round(ratio, 2), **pair})
                print(f"round {number}: mixed / healthz server CPU = {ratio:.2f}x", flush=True)
            else:
                print("warm-up round done", flush=True)
    finally:
        stop_processes(procs)
    ratios = [r["ratio"] for r in rounds]
    print(
        f"mixed event / healthz server CPU: median {statistics.median(ratios):.2f}x, "
        f"{min(ratios):.2f}x-{max(ratios):.2f}x over {len(ratios)} rounds "
        f"(mixed {min(r['mixed']['server_cpu_ms'] for r in rounds)}-"
        f"{max(r['mixed']['server_cpu_ms'] for r in rounds)} ms, healthz "
        f"{min(r['healthz']['server_cpu_ms'] for r in rounds)}-"
        f"{max(r['healthz']['server_cpu_ms'] for r in rounds)} ms); target <= {TARGET_RATIO:g}x: "
        f"{'met' if max(ratios) <= TARGET_RATIO else 'NOT met'}"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps({"machine": note, "args": vars(args), "rounds": rounds}, indent=2)
    )
    print(f"results: {RESULTS.relative_to(ROOT)}")
    if any(r["mixed"]["invariant_problems"] or r["mixed"]["unexpected_answers"] for r in rounds):
        sys.exit(1)


if __name__ == "__main__":
    main()
