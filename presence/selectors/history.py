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


def signed_out_by(*, representative: Representative) -> str:
    """S5, A4 (issue 16): the name of the person who signed the rep out, when the rep is signed out
    now (the open interval's source is `sign_out`) and it was somebody else; else "". 1 query."""
    interval = (
        PresenceInterval.objects.filter(representative=representative, end__isnull=True)
        .select_related("actor")
        .first()
    )
    if interval is None or interval.source != "sign_out" or interval.actor is None:
        return ""
    actor = interval.actor
    if representative.user_id and actor.pk == representative.user_id:
        return ""
    return actor.get_full_name() or actor.get_username()
