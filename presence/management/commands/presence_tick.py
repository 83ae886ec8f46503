from django.core.management.base import BaseCommand
from django.utils import timezone

from portal import periodic


class Command(BaseCommand):
    help = "Run every periodic job once, now: offers, heartbeats, grace periods, wrap-up, end of day, auto-close, stuck flags, safety net, rollups."

    def handle(self, *args, **options):
        now = timezone.now()
        for name, job in periodic.JOBS.items():
            count = job(now=now)
            self.stdout.write(f"{name}: {count}")
