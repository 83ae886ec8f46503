"""`manage.py demo_keepalive`: keeps the demo floor signed in while `make run` runs
(presence/demo/keepalive.py). Stops on Ctrl-C or SIGTERM."""

import signal
import threading

from django.core.management.base import BaseCommand
from django.utils import timezone

from presence.demo.keepalive import BEAT_SECONDS, demo_clients_beat, demo_floor_start


class Command(BaseCommand):
    help = (
        "Beat for the demo's seeded clients every 20 s, and sign the demo supervisor's floor in "
        "again when nobody of it is signed in. Development only: `make run` starts it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=BEAT_SECONDS)
        parser.add_argument("--once", action="store_true", help="One beat, then exit.")

    def handle(self, *args, interval, once, **options):
        start = demo_floor_start(now=timezone.now())
        if not start.teams:
            self.stdout.write("No demo supervisor teams (no demo data): nothing to keep alive.")
            return
        if start.connected:
            self.stdout.write(f"Signed the demo floor in again: {start.connected} reps.")
        clients = demo_clients_beat(now=timezone.now())
        self.stdout.write(f"Keeping {clients} demo clients alive (a beat every {interval:g} s).")
        if once:
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        while not stop.wait(interval):
            demo_clients_beat(now=timezone.now())
