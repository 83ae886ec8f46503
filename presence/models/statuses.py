from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce, Lower

from .choices import BaseStatus, BuiltinStatus, choices_check


def status_label(*, presence_text: str, name: str) -> str:
    """How a status is named where admins and supervisors pick or configure it: the presence text
    (what reps and reports show, C1), then the admin's name in brackets when it differs:
    "In training (Training)". Reps and reports show the presence text alone."""
    if name and name.strip().casefold() != presence_text.strip().casefold():
        return f"{presence_text} ({name})"
    return presence_text


def _count(queryset: models.QuerySet, condition: models.Q, *, distinct: str = "") -> Coalesce:
    """COUNT(*) (or COUNT(DISTINCT field)) of `queryset` rows matching `condition` (which refers
    to the status with OuterRef("pk")), as a correlated subquery: one query for any number of
    statuses."""
    counted = (
        queryset.filter(condition)
        .order_by()
        .annotate(_one=models.Value(1))
        .values("_one")
        .annotate(n=models.Count(distinct, distinct=True) if distinct else models.Count("*"))
        .values("n")
    )
    return Coalesce(models.Subquery(counted, output_field=models.IntegerField()), 0)


class PresenceStatusQuerySet(models.QuerySet):
    def in_display_order(self) -> PresenceStatusQuerySet:
        """Built-ins first in their B2 order (Available, Busy, Do not disturb, Appear away,
        Offline, Inactive), then custom statuses by name: every list and dropdown of statuses."""
        builtin_rank = models.Case(
            *(
                models.When(builtin_key=key, then=models.Value(i))
                for i, key in enumerate(BuiltinStatus.values)
            ),
            default=models.Value(len(BuiltinStatus.values)),
            output_field=models.IntegerField(),
        )
        return self.order_by(builtin_rank, Lower("name"), "pk")

    def with_usage(self) -> PresenceStatusQuerySet:
        """C3: who uses each status, in one query. `default_count`: reps whose default presence
        it is; `holding_count`: reps holding it now, counting a disconnected rep whose saved
        status it is (S4: it comes back on reconnect); `history_count`: reps with it in their
        history (H1); `translation_count`: its translations (C4). The statuses list and the
        delete refusal both read these, so they never disagree."""
        from .people import Representative
        from .presence import PresenceInterval, RepresentativePresence

        here = models.OuterRef("pk")
        return self.annotate(
            default_count=_count(Representative.objects, models.Q(default_presence=here)),
            holding_count=_count(
                RepresentativePresence.objects,
                models.Q(status=here) | models.Q(saved_status=here),
            ),
            history_count=_count(
                PresenceInterval.objects, models.Q(status=here), distinct="representative_id"
            ),
            translation_count=_count(PresenceStatusTranslation.objects, models.Q(status=here)),
        )


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

    objects = PresenceStatusQuerySet.as_manager()

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

    @property
    def label(self) -> str:
        """See status_label()."""
        return status_label(presence_text=self.presence_text, name=self.name)


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
