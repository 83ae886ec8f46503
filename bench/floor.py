"""Floor: N reps with their consoles open live, the work of a real floor, on this machine.

Issue 13, item 7. Everything on 127.0.0.1: uvicorn (production settings, plain http), PostgreSQL,
a Redis server of the bench's own, a Celery worker and beat. Each rep has one console tab, with
the session cookie of the rep's user (sessions are made in the database), speaking the protocol
the browser speaks (bench/_floor_tabs.py): in the default mode (push) the console's live stream
and a fetch of its regions on each event; with `--mode poll`, today's polling pages (a poll every
CONSOLE_POLL_SECONDS, an HTTP heartbeat every 20 s). One supervisor per 25 reps has the agents
report of their team open (its stream, or a poll every REPORT_POLL_SECONDS). The floor's work
goes through the JSON API as a router and desktops send it (bench/_floor_work.py): per rep a
conversation every 3 minutes (create, offer, accept, end, close) and a break every 20 minutes
(a manual status, and back 30 s later). The window opens after --warm-up seconds of that work
(WARM_UP_SECONDS), once every call of a conversation and a break is in the mix.

A floor is *held* when, over the measured window: API p99 < 200 ms; offer to console p99 < 1 s
(from the offer API call's answer to the console's fetch that shows it: what the rep sees); a
presence change to the supervisor's grid p99 < REPORT_REFRESH_SECONDS + 1 s (from the API's
answer to the grid's fetch that shows the new status since); no error (5xx, refusal, transport
failure, dropped stream, lost client); every rep still signed in at the end (liveness from the
stream); presence.simulator's invariants hold. The poll baseline cannot show an offer within 1 s
by construction: it is held to one poll + 1 s (bench/_floor_stats.py, limits_for).

Figures: server CPU (web, worker, beat, Redis, the PostgreSQL backends of the bench database,
from /proc as bench/load.py reads it) per rep per second of the window; the client's own CPU
(this process: every tab is a coroutine of one asyncio loop) apart, never in the server's.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal python bench/floor.py
    python bench/floor.py --reps 200 --duration 60            # one size: exit 0 held, 1 not
    python bench/floor.py --mode push --start 400 --max-reps 6400 --budget 1800

With --webhooks (issue 14), one webhook endpoint for every event, on a receiver on 127.0.0.1 in
a process of its own (bench/_floor_hooks.py), registered through the API before each run: the
run also reports the deliveries (received, duplicates, signature failures, missing after a
drain, lag) and is held only with a lag p99 under 2 s, no signature failure and nothing missing;
`--webhooks both` runs each size without, then with, for the ratio of their server CPU.

Without --reps it searches for the largest floor held, push then poll in the same invocation
(doubling from --start, then bisecting; bounded by --max-reps, --max-runs and --budget seconds).
Results: var/bench/floor.json. Figures and the machine: docs/performance.md, "Floor".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import signal
import sys
import time
from pathlib import Path

from _common import (
    ROOT,
    CpuMeter,
    machine_note,
    production_env,
    random_port,
    setup_django,
    stop_processes,
)
from _floor_hooks import process_cpu_seconds

DB_NAME = "portal_bench_floor"
RESULTS = ROOT / "var" / "bench" / "floor.json"
PROFILES = ROOT / "var" / "bench" / "floor-profile-*.prof"  # bench/_floor_profile.py, --profile
SIGN_IN_PER_SECOND = 50  # tabs opened per second before the window (a floor signs in over time)
SIGN_IN_AT_ONCE = 16  # tabs signing in at the same time, at most
SETTLE_SECONDS = 3
# The floor works this long before the window opens, so that the window sees it in its steady
# state: the longest conversation (the offer shown, 1-3 s to accept, 20-60 s of talk, 5-15 s of
# wrap-up: 78 s) and a break (30 s) have run their course. Without it the window was the floor's
# first seconds: at 30 s its creates, offers and accepts, hardly an end, no close, no return from
# a break (bench/_floor_work.py), about 3 API calls per conversation instead of 5.
WARM_UP_SECONDS = 80
SIGN_IN_GRACE_SECONDS = 90  # beyond the ramp, for the last tabs' first rendering
DRAIN_SECONDS = 30  # after the window: counting the reps still signed in, closing every tab
HOOKS_DRAIN_SECONDS = 15  # --webhooks: after the floor stops, for the last deliveries
HOOKS = {"off": [False], "on": [True], "both": [False, True]}  # --webhooks
ROLE = "portal_bench_floor"  # the server's database role, with a connection limit
MODES = ("push", "poll")
CONSOLE_FETCHES = ("kinds", "all")  # --console-fetch (bench/_floor_tabs.py, ConsoleTab)


def _raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the server inherits it


async def _floor(stack: dict, people, *, mode: str, n: int, duration: float, config: dict):
    from _floor_tabs import ConsoleTab, Floor, Recorder, ReportTab
    from _floor_work import Api, Work

    recorder = Recorder()
    floor = Floor(
        host="127.0.0.1", port=config["port"], mode=mode, settings=config, recorder=recorder
    )
    api = Api(floor, people.token)
    consoles = [ConsoleTab(floor, key, rep_id) for rep_id, key in people.reps[:n]]
    reports = [ReportTab(floor, key) for key in people.supervisors[: math.ceil(n / 25)]]
    tabs = reports + consoles
    ramp_started = time.monotonic()
    at_once = asyncio.Semaphore(SIGN_IN_AT_ONCE)

    async def sign_in(tab) -> bool:
        async with at_once:  # a floor signs in over time, not in one burst
            if not await tab.sign_in():
                return False
            try:
                await asyncio.wait_for(tab.ready.wait(), 60)
            except TimeoutError:
                recorder.error("sign-in", "the live region never came")
                return False
            return True

    signing: list[asyncio.Task] = []

    async def ramp_up() -> None:
        for i, tab in enumerate(tabs):
            await asyncio.sleep(max(0.0, ramp_started + i / SIGN_IN_PER_SECOND - time.monotonic()))
            signing.append(asyncio.ensure_future(sign_in(tab)))
        await asyncio.wait(signing)

    # Bounded too: a server that cannot sign the floor in (each tab waits up to 60 s for its
    # first rendering, 16 at a time) would otherwise hold the run for n / 16 minutes.
    ramp_bound = len(tabs) / SIGN_IN_PER_SECOND + SIGN_IN_GRACE_SECONDS
    try:
        await asyncio.wait_for(ramp_up(), ramp_bound)
    except TimeoutError:
        late = [task for task in signing if not task.done()]
        for task in late:
            task.cancel()
        recorder.error(
            "sign-in",
            f"{len(tabs) - len(signing) + len(late)} tabs not signed in within {ramp_bound:.0f} s",
        )
    signed = sum(bool(task.result()) for task in signing if task.done() and not task.cancelled())
    await asyncio.sleep(SETTLE_SECONDS)
    ramp = time.monotonic() - ramp_started

    work = Work(
        floor, api, workstream_id=people.workstream_id, away_status_id=people.away_status_id
    )
    days = [asyncio.ensure_future(work.rep_day(tab, seed=i)) for i, tab in enumerate(consoles)]
    await asyncio.sleep(config.get("warm_up", WARM_UP_SECONDS))
    # The window: what the warm-up saw is not counted (what it left pending is, once seen).
    meter = CpuMeter(stack, db_name=DB_NAME, exclude=config["own_backends"])  # counts from here
    recorder.offer.clear()
    recorder.grid.clear()
    recorder.measuring = True
    own_before = time.process_time()
    receiver_pid = config.get("receiver_pid")
    receiver_before = process_cpu_seconds(receiver_pid) if receiver_pid else 0.0
    meter.start()
    started = time.monotonic()
    window_began = time.time()  # wall clock, as the webhooks' occurred_at
    await asyncio.sleep(duration)
    work.stop.set()
    window = time.monotonic() - started
    window_ended = time.time()
    server_cpu = meter.stop()
    client_cpu = time.process_time() - own_before - meter.own_cpu
    receiver_cpu = process_cpu_seconds(receiver_pid) - receiver_before if receiver_pid else None
    _, busy = await asyncio.wait(days, timeout=60)  # calls in flight finish and are journaled
    if busy:
        recorder.error("drain", f"{len(busy)} reps' calls did not end 60 s after the window")
        for task in busy:
            task.cancel()
    # What is in flight is still shown: wait one grid window, then whatever is unseen is lost.
    await asyncio.sleep(config["REPORT_REFRESH_SECONDS"] + 2)
    for tab in consoles:
        for offer_id in list(tab.expected):
            tab.missed(offer_id)
    recorder.grid += [math.inf] * len(floor.presence_pending)
    recorder.measuring = False
    try:
        signed_in = await asyncio.wait_for(
            asyncio.to_thread(_signed_in, [rep for rep, _ in people.reps[:n]]), DRAIN_SECONDS
        )
    except TimeoutError:
        signed_in = None
        recorder.error("drain", f"the reps signed in could not be counted in {DRAIN_SECONDS} s")
    # Bounded: a run ends by its duration plus a bounded drain, and says what did not end.
    closing = [asyncio.ensure_future(tab.close()) for tab in tabs]
    _, stuck = await asyncio.wait(closing, timeout=DRAIN_SECONDS)
    if stuck:
        recorder.error("drain", f"{len(stuck)} tabs did not close in {DRAIN_SECONDS} s")
        for task in stuck:
            task.cancel()
    await api.close()
    return recorder, {
        "tabs_signed_in": signed,
        "reps_signed_in_at_end": signed_in,
        "sign_in_seconds": round(ramp, 1),
        "window_seconds": round(window, 1),
        "server_cpu_seconds": round(server_cpu, 2),
        "server_cpu_seconds_by_part": meter.by_part(),
        "client_cpu_seconds": round(client_cpu, 2),
        "receiver_cpu_seconds": None if receiver_cpu is None else round(receiver_cpu, 2),
        "wall_window": (window_began, window_ended),
    }


def _server_role(limit: int) -> str:
    """The server's and Celery's database URL: a role of the bench's own with CONNECTION LIMIT
    `limit` (a superuser's connections are not limited, and the PostgreSQL server is shared: a
    floor that needs more connections than that is not held, and other databases keep theirs)."""
    from urllib.parse import urlsplit, urlunsplit

    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [ROLE])
        if cur.fetchone() is None:
            cur.execute(f'CREATE ROLE "{ROLE}" LOGIN')
        cur.execute(f'ALTER ROLE "{ROLE}" CONNECTION LIMIT {int(limit)}')
        cur.execute(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{ROLE}"')
        cur.execute(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{ROLE}"')
    parts = urlsplit(os.environ["DATABASE_URL"])
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=f"{ROLE}@{host}"))


def _signed_in(rep_ids: list[int]) -> int:
    from django.db import close_old_connections

    from presence.models import RepresentativePresence

    close_old_connections()
    try:
        return RepresentativePresence.objects.filter(pk__in=rep_ids, signed_in=True).count()
    finally:
        close_old_connections()


def _wait_for_goodbyes(rep_ids: list[int], timeout: float = 60) -> None:
    """The closed streams' goodbyes (S4) are the server's work; the next run starts after them."""
    from presence.models import Client

    deadline = time.monotonic() + timeout
    while Client.objects.filter(representative_id__in=rep_ids).exists():
        if time.monotonic() > deadline:
            return
        time.sleep(0.5)


def _hooks_start(config: dict, token: str) -> dict:
    """--webhooks: one endpoint for every event type on the bench's receiver, registered
    through the API before the floor signs in (it gets the events written from then on); the
    receiver learns its secret and forgets the last run's records."""
    from _floor_hooks import register, reset

    from presence.models import WebhookCursor
    from presence.services.webhooks import ACTIVE_CHECK_SECONDS

    url = f"http://127.0.0.1:{config['receiver_port']}/hook"
    endpoint_id, secret = register(config["port"], token, url)
    reset(config["receiver_port"], secret)
    # Where the endpoint starts (the log's last id at its creation; nothing runs yet to move it).
    after = WebhookCursor.objects.get(endpoint_id=endpoint_id).last_event_id
    # Each server process reads whether an endpoint is active at most every ACTIVE_CHECK_SECONDS
    # (its kick after a commit, presence/services/webhooks.py): the floor starts once all know,
    # as an integration's endpoint exists long before a floor's day, so the first events'
    # lag is not the beat's period.
    time.sleep(ACTIVE_CHECK_SECONDS + 1)
    return {"after": after, "endpoint_id": endpoint_id, "pid": config["receiver_pid_all"]}


def _hooks_stats(hook: dict, config: dict, window: tuple[float, float]) -> dict:
    """After the floor: wait up to HOOKS_DRAIN_SECONDS until every event of the log since the
    endpoint's creation has arrived; the run's delivery figures."""
    from _floor_hooks import hook_stats, records
    from django.db import close_old_connections

    from presence.models import Event

    deadline = time.monotonic() + HOOKS_DRAIN_SECONDS
    while True:
        close_old_connections()
        log_ids = list(
            Event.objects.filter(id__gt=hook["after"]).order_by("id").values_list("id", flat=True)
        )
        stats = hook_stats(records(config["receiver_port"]), log_ids, window=window)
        if not stats["missing"] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    return stats


def measure(stack: dict, people, *, mode: str, n: int, duration: float, config: dict) -> dict:
    """One run of a floor of `n` reps in `mode`; the row of figures, with `held` and why not."""
    from _floor_setup import reset_traffic
    from _floor_stats import Measured, decide, limits_for, percentile

    from presence.simulator import Result, check_invariants
    from presence.simulator.results import Journal

    reset_traffic()
    hooks = config.get("webhooks", False)
    if hooks:
        hook = _hooks_start(config, people.token)
    run_config = config | {"receiver_pid": hook["pid"]} if hooks else config
    try:
        recorder, run = asyncio.run(
            _floor(stack, people, mode=mode, n=n, duration=duration, config=run_config)
        )
        rep_ids = [rep for rep, _ in people.reps[:n]]
        if mode == "push":
            _wait_for_goodbyes(rep_ids)
        wall_window = run.pop("wall_window")
        hook_figures = _hooks_stats(hook, config, wall_window) if hooks else None
    finally:
        if hooks:  # an endpoint left behind would be retried through the next runs
            from _floor_hooks import unregister

            unregister(config["port"], people.token, hook["endpoint_id"])
    journal = Journal(
        conversations=recorder.conversations, offers=recorder.offers, presences=recorder.presences
    )
    from presence.models import RepresentativePresence

    problems = ["no rep signed in"]
    if RepresentativePresence.objects.filter(pk__in=rep_ids).exists():
        problems = check_invariants(
            Result(0, duration, duration, recorder.codes, {}, [], [], journal, rep_ids)
        )
    if run["reps_signed_in_at_end"] is None:
        problems.append("the reps still signed in at the end could not be counted")
    elif run["reps_signed_in_at_end"] != n:
        problems.append(f"{n - run['reps_signed_in_at_end']} reps signed out during the run")
    errors = sum(recorder.errors.values())
    limits = limits_for(
        mode,
        refresh_seconds=config["REPORT_REFRESH_SECONDS"],
        console_poll_seconds=config["CONSOLE_POLL_SECONDS"],
        report_poll_seconds=config["REPORT_POLL_SECONDS"],
    )
    held, reasons = decide(
        Measured(recorder.api, recorder.offer, recorder.grid, errors, len(problems)), limits
    )
    if hooks:
        from _floor_hooks import hook_reasons

        reasons += hook_reasons(hook_figures)
        held = not reasons

    def ms(samples: list[float], p: float) -> float | None:
        value = percentile(samples, p)
        return None if not samples or math.isinf(value) else round(1000 * value, 1)

    window = run["window_seconds"]
    receiver_cpu = run.pop("receiver_cpu_seconds")
    if hooks:
        hook_figures["receiver_cpu_seconds"] = receiver_cpu
        hook_figures["receiver_cores_busy"] = round(receiver_cpu / run["window_seconds"], 2)
    row = {
        "mode": mode,
        "console_fetch": config.get("console_fetch", "kinds"),
        "webhooks": hooks,
        "reps": n,
        "supervisors": math.ceil(n / 25),
        "duration": duration,
        "warm_up": config.get("warm_up", WARM_UP_SECONDS),
        **run,
        "server_cpu_ms_per_rep_second": round(1000 * run["server_cpu_seconds"] / window / n, 3),
        "server_cores_busy": round(run["server_cpu_seconds"] / window, 2),
        "client_cpu_ms_per_rep_second": round(1000 * run["client_cpu_seconds"] / window / n, 3),
        "client_cores_busy": round(run["client_cpu_seconds"] / window, 2),
        "limits_ms": {k: round(v * 1000) for k, v in vars(limits).items()},
        "api": {
            "n": len(recorder.api),
            "p50_ms": ms(recorder.api, 50),
            "p99_ms": ms(recorder.api, 99),
            "by_call": {
                action: {"n": len(s), "p50_ms": ms(s, 50), "p99_ms": ms(s, 99)}
                for action, s in sorted(recorder.api_by_action.items())
            },
        },
        "offer_to_console": {
            "n": len(recorder.offer),
            "never": sum(math.isinf(s) for s in recorder.offer),
            "p50_ms": ms(recorder.offer, 50),
            "p99_ms": ms(recorder.offer, 99),
        },
        "presence_to_grid": {
            "n": len(recorder.grid),
            "never": sum(math.isinf(s) for s in recorder.grid),
            "p50_ms": ms(recorder.grid, 50),
            "p99_ms": ms(recorder.grid, 99),
        },
        "fetches": {
            kind: {"n": len(s), "p50_ms": ms(s, 50), "p99_ms": ms(s, 99)}
            for kind, s in sorted(recorder.fetch.items())
        },
        "requests_per_second": {
            kind: round(count / window, 1) for kind, count in sorted(recorder.requests.items())
        },
        "console_fetches_by_kinds": dict(recorder.console_kinds.most_common()),
        "errors": dict(recorder.errors),
        "first_errors": recorder.first_errors[:10],
        "invariant_problems": len(problems),
        "first_problems": problems[:5],
        "webhook_deliveries": hook_figures,
        "held": held,
        "not_held_because": reasons,
    }
    print(
        f"{mode:4} {n:5} reps (console fetch {row['console_fetch']}"
        f"{', webhooks on' if hooks else ''}): API p99 {row['api']['p99_ms']} ms, offer->console p99 "
        f"{row['offer_to_console']['p99_ms']} ms ({row['offer_to_console']['n']}), presence->grid "
        f"p99 {row['presence_to_grid']['p99_ms']} ms ({row['presence_to_grid']['n']}), server "
        f"{row['server_cpu_ms_per_rep_second']} ms CPU/rep/s ({row['server_cores_busy']} cores), "
        f"client {row['client_cores_busy']} cores, errors {errors} -> "
        f"{'held' if held else 'NOT held: ' + '; '.join(reasons)}",
        flush=True,
    )
    print(f"    server CPU s by part: {run['server_cpu_seconds_by_part']}", flush=True)
    by_call = ", ".join(f"{a} {c['p99_ms']}" for a, c in row["api"]["by_call"].items())
    print(f"    API p99 ms by call: {by_call}", flush=True)
    if hooks:
        h = hook_figures
        print(
            f"    webhooks: {h['received']} of {h['log_events']} events received, "
            f"{h['duplicates']} duplicates, {h['signature_failures']} signature failures, "
            f"{h['missing']} missing after the drain, lag p50 {h['lag_p50_ms']} ms p99 "
            f"{h['lag_p99_ms']} ms max {h['lag_max_ms']} ms (in the window: {h['window']['n']} "
            f"events, p50 {h['window']['lag_p50_ms']} ms p99 {h['window']['lag_p99_ms']} ms); "
            f"receiver {receiver_cpu} CPU s",
            flush=True,
        )
    for line in recorder.first_errors[:5] + problems[:5]:
        print(f"    {line}")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=MODES, help="one mode only (default: push, then poll)")
    parser.add_argument("--reps", type=int, help="measure this floor size only")
    parser.add_argument("--duration", type=float, help="seconds per run (60 with --reps, else 30)")
    parser.add_argument(
        "--warm-up",
        type=float,
        default=WARM_UP_SECONDS,
        help=f"seconds of work before each window ({WARM_UP_SECONDS:g}: the floor's steady state)",
    )
    parser.add_argument("--start", type=int, default=100, help="search: first size")
    parser.add_argument("--max-reps", type=int, default=3200, help="search: largest size tried")
    parser.add_argument("--max-runs", type=int, default=6, help="search: runs per mode")
    parser.add_argument("--budget", type=float, default=540, help="search: seconds in all")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument(
        "--db-connections",
        type=int,
        default=40,
        help="PostgreSQL connections the server's role may hold (the PostgreSQL server is shared)",
    )
    parser.add_argument(
        "--console-fetch",
        default="kinds",
        help="push: what a console's live fetch asks for: kinds (the regions the changed kinds "
        "touch, as console.js does) or all (every region on every change, as before); a comma "
        "list (all,kinds,all,kinds) runs --reps once per entry on the same stack, for A/B ratios "
        "(exit 0 only when every run is held)",
    )
    parser.add_argument(
        "--webhooks",
        nargs="?",
        const="on",
        default="off",
        choices=sorted(HOOKS),
        help="on: one webhook endpoint for every event on a receiver on 127.0.0.1 (a process of "
        "its own), registered through the API before each run; both: each run without, then "
        "with, on the same stack, for the ratio of their server CPU (docs/performance.md)",
    )
    parser.add_argument(
        "--http",
        choices=("auto", "h11"),
        default="auto",
        help="auto: what uvicorn picks (httptools and uvloop when installed by hand: neither is "
        "in the locks, so h11 and asyncio otherwise); h11: the pure-Python parser and asyncio's "
        "loop whatever is installed, for A/B runs (docs/performance.md)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile every thread of the web workers (bench/_floor_profile.py); slows them",
    )
    args = parser.parse_args()
    if args.reps is not None and args.reps < 1:
        parser.error("--reps: 1 or more")
    fetches = args.console_fetch.split(",")
    if not fetches or not set(fetches) <= set(CONSOLE_FETCHES):
        parser.error(f"--console-fetch: a comma list of {', '.join(CONSOLE_FETCHES)}")
    duration = args.duration or (60.0 if args.reps else 30.0)
    modes = [args.mode] if args.mode else list(MODES)
    hook_runs = HOOKS[args.webhooks]
    _raise_file_limit()
    setup_django(DB_NAME)  # sets DATABASE_URL to the bench database, migrates

    from _floor_setup import prepare, start_redis, start_stack
    from _floor_stats import search
    from django.conf import settings
    from django.db import connection

    server_db_url = _server_role(args.db_connections)

    biggest = args.reps or args.max_reps
    people = prepare(biggest)
    redis_proc, redis_url = start_redis()
    port = random_port()
    env = production_env(
        secret_key=settings.SECRET_KEY,  # the key the sessions made here are signed with
        redis_url=redis_url,
        DATABASE_URL=server_db_url,
        # Django: "When using ASGI, persistent connections should be disabled" (ref/databases).
        # Under uvicorn every request runs in a thread of its own, and CONN_MAX_AGE=60 left each
        # one's connection open (99 at a floor of 50 reps); the web server pools (portal/db.py).
        CONN_MAX_AGE=os.environ.get("CONN_MAX_AGE", "0"),
        # --webhooks: the endpoint is on loopback, which the server refuses unless told.
        **({"WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": "true"} if True in hook_runs else {}),
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own_backends = {cursor.fetchone()[0]}
    config = {
        "port": port,
        "own_backends": own_backends,
        "SESSION_COOKIE_NAME": settings.SESSION_COOKIE_NAME,
        "CONSOLE_POLL_SECONDS": settings.CONSOLE_POLL_SECONDS,
        "REPORT_REFRESH_SECONDS": settings.REPORT_REFRESH_SECONDS,
        "REPORT_POLL_SECONDS": settings.REPORT_POLL_SECONDS or settings.REPORT_REFRESH_SECONDS,
        "warm_up": args.warm_up,
    }
    note = machine_note()
    print(f"machine: {note}")
    print(
        f"stack: uvicorn {args.workers} workers (http {args.http}; production settings), "
        f"PostgreSQL, Redis "
        f"({'own server' if redis_proc else redis_url + ', CPU not counted'}), 1 Celery worker + "
        f"beat; {duration:g} s per run after {args.warm_up:g} s of work",
        flush=True,
    )
    app = "portal.asgi:application"
    if args.profile:
        for old in PROFILES.parent.glob(PROFILES.name):
            old.unlink()
        app = "bench._floor_profile:application"
    stack = start_stack(env, workers=args.workers, port=port, app=app, http=args.http)
    if redis_proc is not None:
        stack["redis"] = redis_proc
    from _floor_hooks import start_receiver, unregister_leftovers

    try:
        left = unregister_leftovers(port, people.token)  # with or without --webhooks
    except BaseException:
        stop_processes(stack)
        raise
    if left:
        print(f"webhooks: deleted {left} endpoints an interrupted run left")
    receiver = {}
    if True in hook_runs:
        receiver_proc, receiver_port = start_receiver()
        receiver = {"receiver": receiver_proc}  # apart from the stack: its CPU is its own
        config |= {"receiver_port": receiver_port, "receiver_pid_all": receiver_proc.pid}
        print(f"webhooks: receiver on 127.0.0.1:{receiver_port} (a process of its own)")

    def interrupted(signum, frame):
        raise KeyboardInterrupt  # so that `finally` stops the stack

    signal.signal(signal.SIGTERM, interrupted)
    rows, held = [], {}
    began = time.monotonic()
    pairs = [(mode, hooks) for mode in modes for hooks in hook_runs]
    try:
        for mode in modes if args.reps else []:
            # The poll baseline's console asks for every region (a poll knows of no kinds).
            # --webhooks both: each run without, then with, so that the two alternate.
            for fetch in fetches if mode == "push" else ["all"]:
                for hooks in hook_runs:
                    key = _held_key(mode, hooks)
                    row = measure(
                        stack,
                        people,
                        mode=mode,
                        n=args.reps,
                        duration=duration,
                        config=config | {"console_fetch": fetch, "webhooks": hooks},
                    )
                    rows.append(row)
                    ok = held.get(key, args.reps) is not None and row["held"]
                    held[key] = args.reps if ok else None
        for i, (mode, hooks) in enumerate(pairs if not args.reps else []):
            key = _held_key(mode, hooks)
            # The first of two searches gets 65% of the budget, so that the baseline is measured;
            # more than two: each its equal share (what one leaves goes to the next).
            share = (0.65 if i == 0 else 1.0) if len(pairs) == 2 else (i + 1) / len(pairs)
            deadline = began + share * args.budget

            def one(n: int, mode=mode, hooks=hooks, deadline=deadline) -> bool | None:
                cost = n * (1 + 1 / 25) / SIGN_IN_PER_SECOND + args.warm_up + duration + 30
                if hooks:
                    cost += HOOKS_DRAIN_SECONDS
                if time.monotonic() + cost > deadline:
                    return None
                run_config = config | {"console_fetch": fetches[0], "webhooks": hooks}
                row = measure(stack, people, mode=mode, n=n, duration=duration, config=run_config)
                rows.append(row)
                return row["held"]

            held[key], _ = search(
                one, start=args.start, limit=args.max_reps, max_runs=args.max_runs
            )
    finally:
        redis = {"redis": stack.pop("redis")} if "redis" in stack else {}
        stop_processes(stack)
        stop_processes(redis)  # last: the web processes' subscriptions end quietly
        stop_processes(receiver)
    _summary(rows, held, note=note, args=args, duration=duration)
    if args.profile:
        _print_profile()
    main_keys = [_held_key(modes[0], hooks) for hooks in hook_runs]
    sys.exit(0 if all(held.get(key) for key in main_keys) else 1)


def _held_key(mode: str, hooks: bool) -> str:
    return f"{mode}+webhooks" if hooks else mode


def _print_profile(lines: int = 40) -> None:
    """The web workers' merged profile: where their CPU went (cProfile's own cost included)."""
    import pstats

    files = sorted(str(p) for p in PROFILES.parent.glob(PROFILES.name))
    if not files:
        print("profile: none written")
        return
    stats = pstats.Stats(*files)
    stats.sort_stats("tottime").print_stats(lines)
    stats.sort_stats("cumulative").print_stats(lines)
    print(f"profiles: {' '.join(files)}")


def _summary(rows: list[dict], held: dict, *, note: str, args, duration: float) -> None:
    for mode, n in held.items():
        print(f"{mode}: largest floor held: {f'{n} reps' if n else 'none measured'}")
    by_size = {(r["mode"], r["reps"]): r for r in rows if not r.get("webhooks")}
    ratios = []
    for (mode, n), push in sorted(by_size.items()):
        poll = by_size.get(("poll", n))
        if mode == "push" and poll and push["server_cpu_ms_per_rep_second"]:
            short = [r for r in (push, poll) if r["tabs_signed_in"] < n + r["supervisors"]]
            if short:  # CPU per rep of a floor that was not all signed in is no per-rep figure
                print(
                    f"{n} reps: no ratio: "
                    + ", ".join(
                        f"{r['mode']} signed in {r['tabs_signed_in']} of {n + r['supervisors']} tabs"
                        for r in short
                    )
                )
                continue
            ratio = poll["server_cpu_ms_per_rep_second"] / push["server_cpu_ms_per_rep_second"]
            ratios.append({"reps": n, "poll_over_push_server_cpu": round(ratio, 2)})
            print(
                f"{n} reps: server CPU per rep per second, push {push['server_cpu_ms_per_rep_second']} "
                f"ms, poll {poll['server_cpu_ms_per_rep_second']} ms: poll costs {ratio:.2f}x push"
            )
    hook_ratios = _hook_ratios(rows, held, searched=not args.reps)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "machine": note,
                "workers": args.workers,
                "duration": duration,
                "held": held,
                "ratios": ratios,
                "webhooks": hook_ratios,
                "runs": rows,
            },
            indent=2,
        )
    )
    shown = RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS
    print(f"results: {shown}")


def _hook_ratios(rows: list[dict], held: dict, *, searched: bool = True) -> list[dict]:
    """--webhooks both: per run without webhooks, the run with them that follows it (same mode,
    size and console fetch): server CPU per rep per second with / without; and per mode the
    largest floor held with and without, when it was searched (the issue: at most 10 % less)."""
    figures = []
    for off, on in zip(rows, rows[1:], strict=False):
        same = all(off[k] == on[k] for k in ("mode", "reps", "console_fetch"))
        if off.get("webhooks") or not on.get("webhooks") or not same:
            continue
        if not off["server_cpu_ms_per_rep_second"]:
            continue
        ratio = on["server_cpu_ms_per_rep_second"] / off["server_cpu_ms_per_rep_second"]
        figures.append(
            {
                "mode": off["mode"],
                "reps": off["reps"],
                "server_cpu_ms_per_rep_second": {
                    "off": off["server_cpu_ms_per_rep_second"],
                    "on": on["server_cpu_ms_per_rep_second"],
                },
                "on_over_off_server_cpu": round(ratio, 2),
                "receiver_cores_busy": on["webhook_deliveries"]["receiver_cores_busy"],
                "held": {"off": off["held"], "on": on["held"]},
            }
        )
        print(
            f"{off['mode']} {off['reps']} reps: server CPU per rep per second without webhooks "
            f"{off['server_cpu_ms_per_rep_second']} ms, with {on['server_cpu_ms_per_rep_second']}"
            f" ms: webhooks cost {ratio:.2f}x (held: {off['held']} / {on['held']})"
        )
    for mode in MODES if searched else ():
        off, on = held.get(mode), held.get(_held_key(mode, True))
        if mode in held and _held_key(mode, True) in held and off:
            drop = 1 - (on or 0) / off
            figures.append({"mode": mode, "largest_held": {"off": off, "on": on}, "drop": drop})
            print(f"{mode}: largest floor held with webhooks {on}, without {off}: {drop:.0%} less")
    return figures


if __name__ == "__main__":
    main()
