from django.db import models

from .capacity import CapacityProfile, Workstream
from .choices import ConversationState, OfferState, ParticipantRole, choices_check
from .people import Representative


class Conversation(models.Model):
    """Rule V1. Capacity bookkeeping is denormalised here so that capacity is one indexed scan:

    - `consumes_capacity`: the conversation uses its rep's units and immediate-profile work item
      now (K3); kept by the services and the wrap-up release job.
    - `capacity_release_at`: when a `minutes` wrap-up stops consuming (K3).
    - `end_of_day_until`: when the work item on an end-of-day profile stops counting (K4).
    - `units` and `capacity_profile` are taken from the workstream at assignment.
    """

    workstream = models.ForeignKey(
        Workstream, on_delete=models.PROTECT, related_name="conversations"
    )
    state = models.CharField(
        max_length=16, choices=ConversationState.choices, default=ConversationState.OPEN
    )
    representative = models.ForeignKey(
        Representative,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="conversations",
    )
    external_id = models.CharField(max_length=100, null=True, blank=True, unique=True)

    consumes_capacity = models.BooleanField(default=False)
    units = models.PositiveSmallIntegerField(default=0)
    capacity_profile = models.ForeignKey(
        CapacityProfile, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    capacity_release_at = models.DateTimeField(null=True, blank=True)
    end_of_day_until = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField()
    state_changed_at = models.DateTimeField()
    last_activity_at = models.DateTimeField()
    activated_at = models.DateTimeField(null=True, blank=True)
    waiting_at = models.DateTimeField(null=True, blank=True)
    wrap_up_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    is_stuck = models.BooleanField(default=False)
    closed_by_force = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=choices_check("state", ConversationState), name="conversation_state_valid"
            ),
            # Only an assigned, active or wrap-up conversation can hold capacity.
            models.CheckConstraint(
                condition=models.Q(consumes_capacity=False)
                | models.Q(
                    representative__isnull=False,
                    state__in=[ConversationState.ACTIVE, ConversationState.WRAP_UP],
                ),
                name="conversation_capacity_needs_rep",
            ),
            models.CheckConstraint(
                condition=~models.Q(state=ConversationState.ACTIVE)
                | models.Q(representative__isnull=False),
                name="conversation_active_has_rep",
            ),
        ]
        indexes = [
            models.Index(
                fields=["representative"],
                condition=models.Q(consumes_capacity=True),
                name="conv_consuming_rep_idx",
            ),
            models.Index(
                fields=["representative", "end_of_day_until"],
                condition=models.Q(end_of_day_until__isnull=False),
                name="conv_end_of_day_idx",
            ),
            models.Index(
                fields=["capacity_release_at"],
                condition=models.Q(capacity_release_at__isnull=False),
                name="conv_wrap_up_release_idx",
            ),
            models.Index(
                fields=["state", "last_activity_at"],
                condition=~models.Q(state=ConversationState.CLOSED),
                name="conv_ongoing_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Conversation {self.pk} ({self.state})"


class ConversationParticipant(models.Model):
    """Who took part: the primary rep (one at a time; transfers leave a trail), consultants, monitors."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    representative = models.ForeignKey(
        Representative, on_delete=models.PROTECT, related_name="participations"
    )
    role = models.CharField(max_length=16, choices=ParticipantRole.choices)
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=choices_check("role", ParticipantRole), name="participant_role_valid"
            ),
            models.UniqueConstraint(
                fields=["conversation"],
                condition=models.Q(role=ParticipantRole.PRIMARY, left_at__isnull=True),
                name="one_current_primary_per_conversation",
            ),
            models.CheckConstraint(
                condition=models.Q(left_at__isnull=True)
                | models.Q(left_at__gte=models.F("joined_at")),
                name="participant_left_after_joined",
            ),
        ]
        indexes = [
            models.Index(fields=["representative", "joined_at"], name="participant_rep_joined_idx")
        ]

    def __str__(self) -> str:
        return f"{self.representative} ({self.role}) in {self.conversation_id}"


class Offer(models.Model):
    """Rule V4."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="offers")
    representative = models.ForeignKey(
        Representative, on_delete=models.CASCADE, related_name="offers"
    )
    state = models.CharField(max_length=16, choices=OfferState.choices, default=OfferState.PENDING)
    forced = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=choices_check("state", OfferState), name="offer_state_valid"
            ),
            models.UniqueConstraint(
                fields=["conversation"],
                condition=models.Q(state=OfferState.PENDING),
                name="one_pending_offer_per_conversation",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="offer_expires_after_created",
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"],
                condition=models.Q(state=OfferState.PENDING),
                name="offer_pending_expiry_idx",
            ),
            models.Index(fields=["representative", "created_at"], name="offer_rep_created_idx"),
        ]

    def __str__(self) -> str:
        return f"Offer {self.pk} ({self.state})"
