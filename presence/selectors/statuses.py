"""Statuses as the pages and the API offer them: what a rep may pick (B2, C3, D2) and who uses
each status (C3)."""

from __future__ import annotations

from django.db.models import QuerySet

from presence.models import BuiltinStatus, PresenceStatus


def pickable_statuses() -> QuerySet[PresenceStatus]:
    """What a rep may pick, and what an admin may give as a default (B2, C3, D2): active,
    user-settable, never Inactive; in display order. Every form that offers a status to set
    reads this; the engine checks again on every write (engine.check_pickable)."""
    return (
        PresenceStatus.objects.filter(is_active=True, user_can_set=True)
        .exclude(builtin_key=BuiltinStatus.INACTIVE)
        .in_display_order()
    )


def statuses_with_usage() -> QuerySet[PresenceStatus]:
    """Every status with who uses it (C3: PresenceStatus.objects.with_usage()), in B2 order then
    by name: one query whatever the number of statuses (subqueries, no N+1)."""
    return PresenceStatus.objects.with_usage().in_display_order()


def status_usage(*, status: PresenceStatus) -> PresenceStatus | None:
    """The one status with the same usage counts as statuses_with_usage() (one query), so the
    statuses list and the delete refusal never disagree; None when it is gone."""
    return PresenceStatus.objects.filter(pk=status.pk).with_usage().first()
