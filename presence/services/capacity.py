"""Capacity snapshots (K1-K4) for any set of reps in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum

from presence import engine
from presence.models import Conversation, Representative, RepresentativeProfile, ResetFrequency


def capacity_snapshots(
    *, representatives: QuerySet[Representative], now: dt.datetime
) -> dict[int, engine.CapacitySnapshot]:
    """One snapshot per rep of `representatives`: 4 queries whatever their number."""
    rep_ids = representatives.values("pk")
    units = dict(representatives.values_list("pk", "capacity_units"))
    consuming = {
        rep_id: (units_used, sessions)
        for rep_id, units_used, sessions in Conversation.objects.filter(
            representative_id__in=rep_ids, consumes_capacity=True
        )
        .values("representative_id")
        .annotate(units=Sum("units"), sessions=Count("pk"))
        .values_list("representative_id", "units", "sessions")
        .order_by()
    }
    # K3, K4: an immediate profile's work item counts while the conversation consumes capacity;
    # an end-of-day profile's work item counts until the end of the rep's day.
    work_items = defaultdict(int)
    for rep_id, profile_id, count in (
        Conversation.objects.filter(representative_id__in=rep_ids, capacity_profile__isnull=False)
        .filter(
            Q(consumes_capacity=True, capacity_profile__reset_frequency=ResetFrequency.IMMEDIATE)
            | Q(
                end_of_day_until__gt=now,
                capacity_profile__reset_frequency=ResetFrequency.END_OF_DAY,
            )
        )
        .values_list("representative_id", "capacity_profile_id")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        work_items[rep_id, profile_id] = count
    profiles = defaultdict(list)
    for link in (
        RepresentativeProfile.objects.filter(representative_id__in=rep_ids)
        .values_list(
            "representative_id",
            "profile_id",
            "profile__name",
            "limit_override",
            "profile__limit",
            "profile__blocking",
        )
        .order_by("profile__name")
    ):
        rep_id, profile_id, name, own_limit, limit, blocking = link
        profiles[rep_id].append(
            engine.ProfileUsage(
                profile_id=profile_id,
                name=name,
                limit=limit if own_limit is None else own_limit,  # K2: the rep's own limit wins
                used=work_items[rep_id, profile_id],
                blocking=blocking,
            )
        )
    max_sessions = settings.PRESENCE_MAX_SESSIONS
    no_work = (0, 0)
    return {
        rep_id: engine.CapacitySnapshot(
            units_total,
            *consuming.get(rep_id, no_work),
            tuple(profiles.get(rep_id, ())),
            max_sessions,
        )
        for rep_id, units_total in units.items()
    }


def capacity_snapshot(*, representative_id: int, now: dt.datetime) -> engine.CapacitySnapshot:
    return capacity_snapshots(
        representatives=Representative.objects.filter(pk=representative_id), now=now
    )[representative_id]


def end_of_rep_day(*, timezone_name: str, now: dt.datetime) -> dt.datetime:
    """K4: the next midnight in the rep's time zone (an unknown zone counts as UTC)."""
    try:
        tz = ZoneInfo(timezone_name)
    except (KeyError, ValueError):
        tz = dt.UTC
    local = now.astimezone(tz)
    next_day = local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(next_day, dt.time(), tzinfo=tz).astimezone(dt.UTC)
