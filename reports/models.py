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


# --- Alerts (issue 16, item 3) ------------------------------------------------------------------


class AlertKind(models.TextChoices):
    """What an alert rule watches. `threshold` is read in the unit of its kind (ALERT_UNITS)."""

    REP_STATUS = "rep_status", "Representative in a status too long"
    CONVERSATION_STUCK = "conversation_stuck", "Conversation stuck"
    QUEUE_WAIT = "queue_wait", "Longest wait in a queue too long"
    SERVICE_LEVEL = "service_level", "Service level of a queue too low"
    FREE_CAPACITY = "free_capacity", "Free capacity of signed-in representatives too low"


# The unit of `AlertRule.threshold` per kind (none: the stuck threshold of V3 is a setting).
ALERT_UNITS = {
    AlertKind.REP_STATUS: "minutes",
    AlertKind.CONVERSATION_STUCK: "",
    AlertKind.QUEUE_WAIT: "seconds",
    AlertKind.SERVICE_LEVEL: "%",
    AlertKind.FREE_CAPACITY: "units",
}


class AlertSubject(models.TextChoices):
    REPRESENTATIVE = "representative", "Representative"
    CONVERSATION = "conversation", "Conversation"
    WORKSTREAM = "workstream", "Queue"
    TEAM = "team", "Team"
    FLOOR = "floor", "Every team"


ALERT_SUBJECTS = {
    AlertKind.REP_STATUS: AlertSubject.REPRESENTATIVE,
    AlertKind.CONVERSATION_STUCK: AlertSubject.CONVERSATION,
    AlertKind.QUEUE_WAIT: AlertSubject.WORKSTREAM,
    AlertKind.SERVICE_LEVEL: AlertSubject.WORKSTREAM,
}


class AlertRule(models.Model):
    """A threshold an admin defines (/configure/alerts/). The periodic job `report_alerts`
    (reports.alerts.jobs) opens a breach per subject past it and closes it when the condition
    ends."""

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=24, choices=AlertKind.choices)
    # REP_STATUS: one status, or every status of one base status.
    status = models.ForeignKey(
        PresenceStatus, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    base_status = models.CharField(max_length=16, choices=BaseStatus.choices, blank=True)
    # QUEUE_WAIT, SERVICE_LEVEL, CONVERSATION_STUCK: one workstream, or every one (null).
    workstream = models.ForeignKey(
        "presence.Workstream", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # FREE_CAPACITY: one team, or every team together (null).
    team = models.ForeignKey(
        "presence.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    threshold = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="service_level") | models.Q(threshold__lte=100),
                name="alert_rule_service_level_percent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def unit(self) -> str:
        return ALERT_UNITS.get(self.kind, "")

    @property
    def subject_type(self) -> str:
        if self.kind == AlertKind.FREE_CAPACITY:
            return AlertSubject.TEAM if self.team_id else AlertSubject.FLOOR
        return ALERT_SUBJECTS[self.kind]


class AlertBreach(models.Model):
    """One subject past one rule's threshold, from `started_at` (when the job found it) to
    `ended_at` (when it found the condition over; open while null). `subject_id` is the id of
    the subject (0 for the whole floor); the FK of its kind is set too, for scope (A2) and
    names. At most one open breach per rule and subject (the partial unique constraint: two
    workers inserting the same breach at once insert it once, ON CONFLICT DO NOTHING)."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="breaches")
    subject_type = models.CharField(max_length=16, choices=AlertSubject.choices)
    subject_id = models.BigIntegerField()
    representative = models.ForeignKey(
        Representative, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    conversation = models.ForeignKey(
        "presence.Conversation", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    workstream = models.ForeignKey(
        "presence.Workstream", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    team = models.ForeignKey(
        "presence.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_id"],
                condition=models.Q(ended_at__isnull=True),
                name="alert_breach_one_open_per_subject",
            ),
        ]
        indexes = [
            models.Index(
                fields=["representative"],
                condition=models.Q(ended_at__isnull=True),
                name="alert_breach_open_rep_idx",
            ),
            models.Index(fields=["started_at"], name="alert_breach_started_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}/{self.subject_type}:{self.subject_id} @{self.started_at}"
