"""Webhooks: the Celery worker's CPU per delivered event, the delivery before and after the drain
(issue 14, docs/performance.md "Webhooks on").

In process, no Celery: the delivery function a `presence.webhooks_deliver` task runs
(`endpoint_deliver`, called until it has nothing left), of this tree ("after") and of the module
as it was at `--before` ("before": one event at a time, a connection and a transaction per
event), loaded from git. Per rep, in alternating order: one endpoint for every event, `--events`
events written (not timed), then delivered to a receiver on 127.0.0.1 that runs in a process of
its own (its CPU is not counted); timed: this process's CPU (time.process_time) and that of its
PostgreSQL backend (/proc), per event. The receiver answers HTTP/1.1 keep-alive (`--http10`:
HTTP/1.0, a connection per request, where the drain keeps only the batching).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal python bench/webhook_cost.py \\
        --database portal_hookcost --events 500 --reps 5
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

from _common import ROOT, machine_note, setup_django

BEFORE = "f276f05"  # the per-event delivery (main before the drain)


def serve(port_box, http10: bool) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0" if http10 else "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_POST(self):  # noqa: N802 (http.server's name)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_box.put(server.server_address[1])
    server.serve_forever()


def before_module(rev: str) -> types.ModuleType:
    source = subprocess.run(
        ["git", "show", f"{rev}:presence/services/webhooks.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType("presence.services._webhooks_before")
    module.__package__ = "presence.services"
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{rev}:presence/services/webhooks.py", "exec"), module.__dict__)  # noqa: S102
    return module


def backend_cpu() -> float:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_run(module, url: str, events: int) -> tuple[float, float, int]:
    from django.db import transaction
    from django.utils import timezone

    from presence.models import WebhookDelivery, WebhookEndpoint
    from presence.services import config, event_record

    endpoint, _ = config.webhook_create(actor=None, now=timezone.now(), url=url)
    for first in range(0, events, 50):
        with transaction.atomic():
            for k in range(first, min(events, first + 50)):
                event_record("presence.changed", rep_id=None, data={"n": k}, now=timezone.now())
    db0, cpu0, wall0 = backend_cpu(), time.process_time(), time.monotonic()
    delivered = 0
    while n := module.endpoint_deliver(endpoint_id=endpoint.pk):
        delivered += n
    cpu, db = time.process_time() - cpu0, backend_cpu() - db0
    wall = time.monotonic() - wall0
    ok = WebhookDelivery.objects.filter(endpoint=endpoint, status_code__lt=300).count()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()
    if delivered != events or ok != events:
        sys.exit(f"delivered {delivered}, logged {ok} of {events}")
    return cpu / events * 1000, db / events * 1000, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="portal_bench_webhooks")
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--before", default=BEFORE)
    parser.add_argument("--http10", action="store_true")
    args = parser.parse_args()

    ctx = multiprocessing.get_context("spawn")
    port_box = ctx.Queue()
    receiver = ctx.Process(target=serve, args=(port_box, args.http10), daemon=True)
    receiver.start()
    url = f"http://127.0.0.1:{port_box.get(timeout=30)}/hook"
    setup_django(args.database)
    from django.conf import settings

    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOKS_KICK = False
    from presence.services import webhooks as after

    variants = {"before": before_module(args.before), "after": after}
    print(machine_note())
    one_run(after, url, 50)  # warm-up, not recorded
    one_run(variants["before"], url, 50)
    results: dict[str, list[tuple[float, float, int]]] = {"before": [], "after": []}
    for rep in range(args.reps):
        order = ["before", "after"] if rep % 2 == 0 else ["after", "before"]
        for name in order:
            results[name].append(one_run(variants[name], url, args.events))
        b, a = results["before"][-1], results["after"][-1]
        print(
            f"rep {rep + 1}: worker CPU ms/event before {b[0]:.2f} after {a[0]:.2f}"
            f" (x{b[0] / a[0]:.1f}); its PostgreSQL backend {b[1]:.2f} -> {a[1]:.2f};"
            f" wall {b[2]:.2f} s -> {a[2]:.2f} s"
        )
    med = {k: [statistics.median(x[i] for x in v) for i in range(3)] for k, v in results.items()}
    ratios = [b[0] / a[0] for b, a in zip(results["before"], results["after"], strict=True)]
    print(
        f"median over {args.reps} reps of {args.events} events"
        f" ({'HTTP/1.0' if args.http10 else 'HTTP/1.1 keep-alive'} receiver):"
        f" worker CPU {med['before'][0]:.2f} -> {med['after'][0]:.2f} ms/event"
        f" (median ratio x{statistics.median(ratios):.1f}); PostgreSQL backend"
        f" {med['before'][1]:.2f} -> {med['after'][1]:.2f} ms/event;"
        f" wall {med['before'][2]:.2f} -> {med['after'][2]:.2f} s"
    )
    receiver.terminate()


if __name__ == "__main__":
    main()
