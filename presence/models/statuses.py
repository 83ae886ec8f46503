from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from .choices import BaseStatus, BuiltinStatus, choices_check


class PresenceStatus(models.Model):
    """A presence a rep can hold: a built-in (B2) or a custom status on a base status (C1, C2)."""

    name = models.CharField(max_length=100)
    presence_text = models.CharField(max_length=500)
    description = models.CharField(max_length=500, blank=True)
    base_status = models.CharField(max_length=16, choices=BaseStatus.choices)
    user_can_set = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    builtin_key = models.CharField(
        max_length=16,
        choices=BuiltinStatus.choices,
        null=True,
        blank=True,
        unique=True,
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["builtin_key", "name"]
        verbose_name_plural = "presence statuses"
        constraints = [
            models.UniqueConstraint(Lower("name"), name="presence_status_name_ci_unique"),
            models.CheckConstraint(
                condition=choices_check("base_status", BaseStatus),
                name="presence_status_base_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(name=""), name="presence_status_name_not_blank"
            ),
            models.CheckConstraint(
                condition=~models.Q(presence_text=""), name="presence_status_text_not_blank"
            ),
            # B2: Inactive is system-only.
            models.CheckConstraint(
                condition=~models.Q(builtin_key=BuiltinStatus.INACTIVE)
                | models.Q(user_can_set=False),
                name="presence_status_inactive_system_only",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_builtin(self) -> bool:
        return self.builtin_key is not None


class PresenceStatusTranslation(models.Model):
    """Rule C4: presence text per language."""

    status = models.ForeignKey(
        PresenceStatus, on_delete=models.CASCADE, related_name="translations"
    )
    language = models.CharField(max_length=16, choices=settings.LANGUAGES)
    presence_text = models.CharField(max_length=500)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["status", "language"], name="presence_status_translation_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.status} [{self.language}]"
