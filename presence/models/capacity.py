from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from .choices import BaseStatus, Channel, ResetFrequency, WrapUpPolicy, choices_check
from .people import Representative


def default_allowed_base_statuses() -> list[str]:
    return [BaseStatus.AVAILABLE, BaseStatus.BUSY]


def default_workstream_timezone() -> str:
    return settings.TIME_ZONE


class CapacityProfile(models.Model):
    """Rule K2."""

    name = models.CharField(max_length=100)
    limit = models.PositiveSmallIntegerField()
    blocking = models.BooleanField(default=False)
    reset_frequency = models.CharField(
        max_length=16, choices=ResetFrequency.choices, default=ResetFrequency.IMMEDIATE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="capacity_profile_name_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(limit__gte=0, limit__lte=100),
                name="capacity_profile_limit_0_100",
            ),
            models.CheckConstraint(
                condition=choices_check("reset_frequency", ResetFrequency),
                name="capacity_profile_reset_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RepresentativeProfile(models.Model):
    """A rep's membership of a capacity profile; `limit_override` beats the profile's limit (K2)."""

    representative = models.ForeignKey(
        Representative, on_delete=models.CASCADE, related_name="profile_links"
    )
    profile = models.ForeignKey(
        CapacityProfile, on_delete=models.PROTECT, related_name="representative_links"
    )
    limit_override = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["representative", "profile"], name="rep_profile_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(limit_override__isnull=True)
                | models.Q(limit_override__gte=0, limit_override__lte=100),
                name="rep_profile_limit_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.representative} in {self.profile}"


class Workstream(models.Model):
    name = models.CharField(max_length=100)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    units_per_conversation = models.PositiveSmallIntegerField(default=1)
    capacity_profile = models.ForeignKey(
        CapacityProfile, on_delete=models.PROTECT, null=True, blank=True, related_name="workstreams"
    )
    wrap_up_policy = models.CharField(
        max_length=16, choices=WrapUpPolicy.choices, default=WrapUpPolicy.ALWAYS
    )
    wrap_up_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    allowed_base_statuses = models.JSONField(default=default_allowed_base_statuses)
    offer_timeout_seconds = models.PositiveIntegerField(default=60)
    missed_makes_inactive = models.BooleanField(default=False)
    reject_makes_dnd = models.BooleanField(default=False)
    # Rule V2: idle time after which a conversation in that state is auto-closed; null: never.
    autoclose_open_seconds = models.PositiveIntegerField(null=True, blank=True)
    autoclose_active_seconds = models.PositiveIntegerField(null=True, blank=True)
    autoclose_wrap_up_seconds = models.PositiveIntegerField(null=True, blank=True)
    external_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    # Queues report (issue 16): service level = share answered within this many seconds, and the
    # zone in which the queue's "today" is cut.
    service_level_seconds = models.PositiveIntegerField(default=20)
    timezone = models.CharField(max_length=64, default=default_workstream_timezone)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="workstream_name_ci_unique"),
            models.CheckConstraint(
                condition=choices_check("channel", Channel), name="workstream_channel_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(units_per_conversation__gte=1), name="workstream_units_gte_1"
            ),
            models.CheckConstraint(
                condition=choices_check("wrap_up_policy", WrapUpPolicy),
                name="workstream_wrap_up_policy_valid",
            ),
            # K3: `minutes` needs 1 to 60 minutes; other policies have none.
            models.CheckConstraint(
                condition=(
                    models.Q(
                        wrap_up_policy=WrapUpPolicy.MINUTES,
                        wrap_up_minutes__isnull=False,
                        wrap_up_minutes__gte=1,
                        wrap_up_minutes__lte=60,
                    )
                    | (
                        ~models.Q(wrap_up_policy=WrapUpPolicy.MINUTES)
                        & models.Q(wrap_up_minutes__isnull=True)
                    )
                ),
                name="workstream_wrap_up_minutes_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(offer_timeout_seconds__gte=1),
                name="workstream_offer_timeout_gte_1",
            ),
            models.CheckConstraint(
                condition=models.Q(service_level_seconds__gte=1),
                name="workstream_service_level_gte_1",
            ),
        ]

    def __str__(self) -> str:
        return self.name
