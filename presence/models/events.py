from django.db import models

from .people import Representative


class Event(models.Model):
    """Issue 14: the event log (an outbox). One row per committed change an integrator may want:
    a presence change, a conversation move, an offer decision, a capacity or configuration change
    that affects presence. Written by the one write path in the transaction of the change
    (`presence.services.events`), read by the events API and stream and by the webhooks.

    Ids are the order: a reader paging `id > after` never skips a row (see docs/events.md,
    "Ordering": event-writing transactions commit in id order on PostgreSQL)."""

    id = models.BigAutoField(primary_key=True)
    type = models.CharField(max_length=40, db_index=True)
    # No database constraint and nothing done on delete: an event is history, it keeps the id of
    # a rep deleted since (integrators know reps by id); and the insert takes no lock on the rep.
    # A2 filters through the rep's teams now (representative__teams), like every other page.
    representative = models.ForeignKey(
        Representative,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    data = models.JSONField(default=dict)
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["representative", "id"], name="event_rep_id_idx")]

    def __str__(self) -> str:
        return f"{self.id} {self.type}"


class EventPurge(models.Model):
    """One row per purge of the event log (retention): events up to `through_id` are gone, so a
    reader asking for what follows an older id is told it missed some (the stream's `gap`)."""

    through_id = models.BigIntegerField()
    deleted = models.PositiveIntegerField(default=0)
    purged_at = models.DateTimeField()

    class Meta:
        ordering = ["-through_id"]

    def __str__(self) -> str:
        return f"purged through {self.through_id}"
