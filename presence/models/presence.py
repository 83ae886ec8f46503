from django.conf import settings
from django.db import models

from .choices import BaseStatus, PresenceSource, choices_check
from .people import Representative
from .statuses import PresenceStatus


class RepresentativePresence(models.Model):
    """The rep's current presence: one row per rep, locked by every write (select_for_update)."""

    representative = models.OneToOneField(
        Representative, on_delete=models.CASCADE, primary_key=True, related_name="presence"
    )
    status = models.ForeignKey(PresenceStatus, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=16, choices=PresenceSource.choices)
    since = models.DateTimeField()
    signed_in = models.BooleanField(default=False)
    signed_in_at = models.DateTimeField(null=True, blank=True)
    # S4: what a reconnect inside the grace period restores; set while disconnected.
    saved_status = models.ForeignKey(
        PresenceStatus, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    saved_source = models.CharField(max_length=16, choices=PresenceSource.choices, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=choices_check("source", PresenceSource), name="presence_source_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(saved_status__isnull=True)
                | models.Q(disconnected_at__isnull=False),
                name="presence_saved_only_when_disconnected",
            ),
        ]
        indexes = [
            models.Index(
                fields=["disconnected_at"],
                condition=models.Q(disconnected_at__isnull=False),
                name="presence_grace_idx",
            ),
            models.Index(
                fields=["representative"],
                condition=models.Q(source=PresenceSource.CAPACITY),
                name="presence_computed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.representative}: {self.status}"


class PresenceInterval(models.Model):
    """Rule H1: one row per stretch of one presence; the open one has no end."""

    representative = models.ForeignKey(
        Representative, on_delete=models.CASCADE, related_name="intervals"
    )
    status = models.ForeignKey(PresenceStatus, on_delete=models.PROTECT, related_name="+")
    base_status = models.CharField(max_length=16, choices=BaseStatus.choices)
    source = models.CharField(max_length=16, choices=PresenceSource.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["representative"],
                condition=models.Q(end__isnull=True),
                name="one_open_interval_per_rep",
            ),
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gte=models.F("start")),
                name="interval_ends_after_start",
            ),
            models.CheckConstraint(
                condition=choices_check("base_status", BaseStatus), name="interval_base_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("source", PresenceSource), name="interval_source_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["representative", "start"], name="interval_rep_start_idx"),
            models.Index(fields=["start"], name="interval_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.representative_id} {self.base_status} {self.start:%Y-%m-%d %H:%M}"


class Client(models.Model):
    """A connected browser tab or desktop app of a rep (S2-S4)."""

    representative = models.ForeignKey(
        Representative, on_delete=models.CASCADE, related_name="clients"
    )
    client_id = models.CharField(max_length=64, unique=True)
    connected_at = models.DateTimeField()
    last_heartbeat_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["last_heartbeat_at"], name="client_heartbeat_idx")]

    def __str__(self) -> str:
        return self.client_id
