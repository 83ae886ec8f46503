"""Pre-aggregated history for the historical agents report (R3, R4, R5).

`StatusRollup` holds, per representative and 15-minute UTC bucket, the seconds spent in each
status. Why 15 minutes and not an hour: a report cuts days and hours in the viewer's time zone
(R5), and every time zone in use today has an offset that is a multiple of 15 minutes
(Asia/Kolkata +05:30, Asia/Kathmandu +05:45, Australia/Eucla +08:45). With 15-minute buckets
every local hour and every local midnight, DST days included, is a bucket edge, so sums of
buckets are exact to the second in every zone. A zone whose offsets in the range are not
multiples of 15 minutes (historic local mean time) is computed from raw intervals instead
(reports.historical.selectors decides per request).

`bucket` is the bucket start as Unix seconds (UTC): integer arithmetic lets one portable query
group buckets into local days and hours on PostgreSQL and SQLite alike.

Whole UTC days are summed once more into `DailyStatusRollup`, so that totals over weeks read
a few rows per rep and day.

Conversation figures (handled, offers, transfers, handle time) are not rolled up: they are few
rows per rep per day and are read from Conversation/Offer/ConversationParticipant through their
(representative, time) indexes.
"""

from django.db import models

from presence.models import BaseStatus, PresenceStatus, Representative

BUCKET_SECONDS = 900


class _Seconds(models.Model):
    """Seconds a rep spent in a status during one period (a bucket, a day): `period` names the
    subclass's field for it."""

    period = ""

    representative = models.ForeignKey(Representative, on_delete=models.CASCADE, related_name="+")
    status = models.ForeignKey(PresenceStatus, on_delete=models.PROTECT, related_name="+")
    base_status = models.CharField(max_length=16, choices=BaseStatus.choices)
    seconds = models.PositiveIntegerField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        at = getattr(self, self.period)
        return f"{self.representative_id} @{at} {self.base_status} {self.seconds}s"


class StatusRollup(_Seconds):
    period = "bucket"
    bucket = models.BigIntegerField(help_text="Bucket start, Unix seconds (UTC), multiple of 900.")

    class Meta:
        constraints = [
            # `include` (PostgreSQL) lets a report read seconds from the index alone: a rep's
            # buckets are spread over the whole table, since refreshes write all reps at once.
            models.UniqueConstraint(
                fields=["representative", "bucket", "status", "base_status"],
                include=["seconds"],
                name="rollup_rep_bucket_status_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(seconds__gt=0),
                name="rollup_seconds_positive",
            ),
        ]
        indexes = [models.Index(fields=["bucket"], name="rollup_bucket_idx")]


class DailyStatusRollup(_Seconds):
    """Seconds per representative, UTC day and status: the sum of that day's StatusRollup rows,
    written once the day is over (and again whenever its buckets are recomputed). A report's
    per-rep totals read whole UTC days here (about 7 rows per rep and day instead of ~130) and
    only the partial days at the window's edges from StatusRollup."""

    period = "day"
    day = models.BigIntegerField(help_text="UTC midnight, Unix seconds.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["representative", "day", "status", "base_status"],
                include=["seconds"],
                name="daily_rollup_rep_day_status_unique",
            ),
        ]
        indexes = [models.Index(fields=["day"], name="daily_rollup_day_idx")]


class RollupWatermark(models.Model):
    """How far rollups are complete: every bucket before `computed_until` reflects history as of
    that instant (open intervals counted up to it). One row per rollup kind."""

    name = models.CharField(max_length=32, primary_key=True)
    computed_until = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.computed_until:%Y-%m-%d %H:%M:%S}"
