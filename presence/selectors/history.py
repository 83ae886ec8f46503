"""A rep's presence history (H1) as the API and the reports read it."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from presence.models import PresenceInterval, Representative


def intervals_overlapping(
    *, representative: Representative, start: dt.datetime, end: dt.datetime
) -> QuerySet[PresenceInterval]:
    """H1: the rep's intervals that overlap [start, end), the open one included, oldest first.
    Callers clip them to the window themselves (an open interval has no end yet)."""
    return (
        PresenceInterval.objects.filter(representative=representative, start__lt=end)
        .filter(Q(end__isnull=True) | Q(end__gt=start))
        .order_by("start", "pk")
    )
