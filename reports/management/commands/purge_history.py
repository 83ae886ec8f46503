"""`manage.py purge_history`: R4 retention, deletes rollups and intervals older than
settings.REPORT_RETENTION_MONTHS (or --months)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reports.rollups import retention_cutoff, rollups_purge


class Command(BaseCommand):
    help = "Delete report rollups and presence intervals older than the retention period."

    def add_arguments(self, parser):
        parser.add_argument(
            "--months", type=int, default=None, help="Override REPORT_RETENTION_MONTHS."
        )

    def handle(self, *args, months, **options):
        if months is not None and months < 1:
            raise CommandError("--months must be at least 1.")
        now = timezone.now()
        deleted = rollups_purge(now=now, months=months)
        cutoff = retention_cutoff(now=now, months=months)
        self.stdout.write(
            f"Deleted {deleted['rollups']} rollup rows and {deleted['intervals']} intervals "
            f"that ended before {cutoff:%Y-%m-%d %H:%M} UTC."
        )
