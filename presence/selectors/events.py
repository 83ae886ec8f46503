"""The event log, read (issue 14): what a user may see of it (A2, in the query) and its pages."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Max, Q, QuerySet

from presence.models import Event, EventPurge

from .scope import VIEW_ALL, representatives_visible_to


def events_visible_to(*, user: AbstractBaseUser) -> QuerySet[Event]:
    """A2: every event with view_all_teams; otherwise the events of the reps `user` sees
    (a supervisor: the reps of their teams now; a rep: their own) and the events of no rep
    (a status renamed, a queued conversation: what every user of the portal sees anyway)."""
    events = Event.objects.all()
    if user.has_perm(VIEW_ALL):
        return events
    return events.filter(
        Q(representative_id__isnull=True)
        | Q(representative_id__in=representatives_visible_to(user=user).values("pk"))
    )


def events_after(
    events: QuerySet[Event], *, after: int, types: list[str] | None, limit: int
) -> list[Event]:
    """The next `limit` events with an id above `after`, oldest first (ids are commit order)."""
    events = events.filter(id__gt=after)
    if types:
        events = events.filter(type__in=types)
    return list(events.order_by("id")[:limit])


def events_purged_through() -> int:
    """The highest id retention has purged (0: none): a reader after a lower id missed events."""
    return EventPurge.objects.aggregate(through=Max("through_id"))["through"] or 0


def events_last_id() -> int:
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
