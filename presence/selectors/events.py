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
    events: QuerySet[Event],
    *,
    after: int,
    types: list[str] | None,
    limit: int,
    through: int | None = None,
) -> list[Event]:
    """The next `limit` events with an id above `after` (and at most `through`), oldest first
    (ids are commit order)."""
    events = events.filter(id__gt=after)
    if through is not None:
        events = events.filter(id__lte=through)
    if types:
        events = events.filter(type__in=types)
    return list(events.order_by("id")[:limit])


def events_purged_through() -> int:
    """The highest id retention has purged (0: none): a reader after a lower id missed events."""
    return EventPurge.objects.aggregate(through=Max("through_id"))["through"] or 0


def events_last_id() -> int:
    """The greatest committed id. Ids are commit order, so every event up to it has committed
    already: a reader that found nothing for it up to here may move its cursor here (a scoped
    or filtered reader then never scans the same events of others again)."""
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


def events_page(
    events: QuerySet[Event], *, after: int, types: list[str] | None, limit: int
) -> tuple[list[Event], int, bool]:
    """The next page for a reader at `after`: (events, the cursor after them, more at once)."""
    last = events_last_id()
    page = events_after(events, after=after, types=types, limit=limit, through=last)
    if len(page) == limit:
        return page, page[-1].id, True
    return page, max(after, last), False
