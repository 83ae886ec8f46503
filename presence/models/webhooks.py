"""Signed webhooks (issue 14, docs/events.md "Webhooks"): endpoints that admins register, each
with its cursor into the event log and its delivery attempts."""

from django.conf import settings
from django.db import models

from .people import Team


class WebhookEndpoint(models.Model):
    """Where events are sent. `event_types` empty: every type; `teams` empty: every team (events
    of no representative, such as configuration changes, go only to endpoints of every team)."""

    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list, blank=True)
    teams = models.ManyToManyField(Team, related_name="webhook_endpoints", blank=True)
    active = models.BooleanField(default=True)
    # Standard Webhooks: "whsec_" + base64 of 32 random bytes. Shown once, at creation.
    secret = models.CharField(max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    disabled_reason = models.CharField(max_length=500, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # The first failed attempt of the current run of failures; None while deliveries succeed.
    failing_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url[:200]


class WebhookCursor(models.Model):
    """Per endpoint: the last event delivered (acknowledged with a 2xx). One worker at a time
    sends to the endpoint (an advisory lock, presence/services/webhooks.py), so events go out one
    at a time, in event order, and the cursor moves only after a 2xx."""

    endpoint = models.OneToOneField(
        WebhookEndpoint, on_delete=models.CASCADE, primary_key=True, related_name="cursor"
    )
    last_event_id = models.BigIntegerField(default=0)
    # The retry of the head event: its attempt number so far and when the next one is due.
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.endpoint_id} @ {self.last_event_id}"


class WebhookDelivery(models.Model):
    """One attempt to send one event to one endpoint (the delivery log of the pages)."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.BigIntegerField()  # not a key: the event may be past retention
    event_type = models.CharField(max_length=64, blank=True)
    attempt = models.PositiveIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    manual = models.BooleanField(default=False)  # "send again" from the page
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["endpoint", "-at"], name="webhook_delivery_idx")]

    def __str__(self) -> str:
        return f"{self.endpoint_id} event {self.event_id} #{self.attempt}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
