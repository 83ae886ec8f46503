"""`manage.py rebuild_rollups --start 2026-01-01 --end 2026-03-31`: recompute rollups from history."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from reports.rollups import rollups_rebuild


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}.") from exc


class Command(BaseCommand):
    help = (
        "Recompute the historical report's rollups of UTC days START..END (inclusive) from history."
    )

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True, help="First UTC day, YYYY-MM-DD.")
        parser.add_argument("--end", required=True, help="Last UTC day, YYYY-MM-DD.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, start, end, no_progress, **options):
        first, last = _date(start), _date(end)
        if last < first:
            raise CommandError("--end is before --start.")
        days = (last - first).days + 1
        with tqdm(total=days, unit="day", disable=no_progress, file=self.stderr) as progress:
            rows = rollups_rebuild(start=first, end=last, now=timezone.now(), progress=progress)
        self.stdout.write(f"Rebuilt {days} day(s): {rows} rollup rows.")
