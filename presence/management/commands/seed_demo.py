"""`manage.py seed_demo`: demo configuration, reps, demo users and days of presence history."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from presence import demo
from presence.models import Representative


class Command(BaseCommand):
    help = (
        "Seed demo data: teams, representatives, custom statuses, capacity profiles, workstreams, "
        "demo users and days of rule-consistent presence history and conversations. "
        "Refuses to run on a database that has representatives unless --reset is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reps", type=int, default=200, help="Number of representatives (default 200)."
        )
        parser.add_argument("--days", type=int, default=30, help="Days of history (default 30).")
        parser.add_argument(
            "--seed", type=int, default=42, help="Random seed: the same seed gives the same data."
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete ALL representatives, conversations, history, custom statuses, capacity profiles, "
            "workstreams, teams and the demo users first.",
        )

    def handle(self, *args, reps, days, seed, reset, verbosity, **options):
        if reps < 1 or days < 1:
            raise CommandError("--reps and --days must be at least 1.")
        started = time.monotonic()
        with transaction.atomic():
            existing = Representative.objects.count()
            if existing and not reset:
                raise CommandError(
                    f"The database already has {existing} representatives; run with --reset to delete ALL "
                    "representatives, conversations and history and seed again."
                )
            if reset:
                deleted = demo.demo_reset()
                if verbosity > 1:
                    self.stdout.write(
                        "Deleted: " + ", ".join(f"{n} {label}" for label, n in deleted.items())
                    )
            summary = demo.demo_seed(
                reps=reps, days=days, seed=seed, now=timezone.now(), progress=verbosity > 0
            )
        self._report(summary, days=days, seed=seed, seconds=time.monotonic() - started)

    def _report(self, summary: demo.Summary, *, days: int, seed: int, seconds: float) -> None:
        c = summary.counts
        self.stdout.write(
            self.style.SUCCESS(f"Seeded demo data ({days} days, seed {seed}) in {seconds:.1f} s:")
        )
        self.stdout.write(
            f"  {c['teams']} teams, {c['representatives']} representatives ({c['signed in now']} signed in now), "
            f"{c['custom statuses']} custom statuses, {c['capacity profiles']} capacity profiles, "
            f"{c['workstreams']} workstreams"
        )
        self.stdout.write(
            f"  {c['presence intervals']:,} presence intervals, {c['conversations']:,} conversations "
            f"({c['ongoing conversations']:,} not closed), {c['offers']:,} offers"
        )
        self.stdout.write("Demo logins (fixed demo passwords: never use them outside a demo):")
        width = max(len(spec.username) for spec, _ in summary.users)
        for spec, what in summary.users:
            self.stdout.write(f"  {spec.username:<{width}}  {spec.password:<22}  {what}")
        self.stdout.write(demo.LOGIN_HINT)
