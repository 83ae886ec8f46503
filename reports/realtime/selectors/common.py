"""Constants and conditions shared by the real-time report queries."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When

from presence.models import (
    BaseStatus,
    Conversation,
    ConversationState,
    PresenceInterval,
    Representative,
)

S = ConversationState
ONLINE_BASES = (BaseStatus.AVAILABLE, BaseStatus.BUSY, BaseStatus.BUSY_DND, BaseStatus.AWAY)
WORK_STATES = (S.ACTIVE, S.WRAP_UP)
ONGOING_STATES = (S.OPEN, S.ACTIVE, S.WRAP_UP, S.WAITING)  # R2
RECENT_OFFLINE_WINDOW = dt.timedelta(hours=24)  # R1 offline tab
ONGOING_WINDOW = dt.timedelta(hours=2)  # R2
RECENT_STATUS_WINDOW = dt.timedelta(minutes=120)  # R1 drill-down

TAB_SIGNED_IN, TAB_OFFLINE, TAB_WITH_WORK = "signed_in", "offline", "with_work"
TABS = (TAB_SIGNED_IN, TAB_OFFLINE, TAB_WITH_WORK)


def stuck_cutoff(*, now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=settings.CONVERSATION_STUCK_AFTER_SECONDS)


def stuck_q(*, now: dt.datetime, prefix: str = "") -> Q:
    """V3: active or wrap-up with no activity for longer than the stuck threshold."""
    return stuck_since_q(cutoff=stuck_cutoff(now=now), prefix=prefix)


def stuck_since_q(*, cutoff: dt.datetime, prefix: str = "") -> Q:
    """V3 with its cutoff given (stuck_cutoff), as a Statement's time placeholder reaches it."""
    return Q(
        **{
            f"{prefix}state__in": WORK_STATES,
            f"{prefix}last_activity_at__lte": cutoff,
        }
    )


def signed_in_q() -> Q:
    return Q(presence__status__base_status__in=ONLINE_BASES)


def offline_q() -> Q:
    return Q(presence__isnull=True) | Q(presence__status__base_status=BaseStatus.OFFLINE)


def has_work_q() -> Q:
    # `pk IN (...)` rather than a correlated EXISTS: PostgreSQL hashes the subquery once, and the
    # plan's estimated cost stays low enough not to trigger JIT compilation (20+ ms per query).
    return Q(
        pk__in=Conversation.objects.filter(state__in=WORK_STATES, representative__isnull=False)
        .order_by()
        .values("representative_id")
    )


def recently_since(*, now: dt.datetime) -> dt.datetime:
    """The start of the window in which a rep who went offline still shows (R1 offline tab)."""
    return now - RECENT_OFFLINE_WINDOW


def online_recently_q(*, since: dt.datetime) -> Q:
    """Online at some time since `since` (recently_since)."""
    return Q(
        pk__in=PresenceInterval.objects.exclude(base_status=BaseStatus.OFFLINE)
        .filter(Q(end__isnull=True) | Q(end__gte=since))
        .order_by()
        .values("representative_id")
    )


def one_row_per_rep(representatives: QuerySet[Representative]) -> QuerySet[Representative]:
    """The same reps, one row each. A DISTINCT queryset (the A2 scope joins the teams, and a rep
    may be in two teams of one supervisor) becomes `pk IN (...)` so that aggregates and counts see
    each rep once; any other queryset already has one row per rep and is used as it is (no
    needless semi-join on the admin's 10,000 reps)."""
    if representatives.query.distinct:
        return Representative.objects.filter(pk__in=representatives.order_by().values("pk"))
    return representatives.order_by()


def one_row_each(representatives: QuerySet[Representative] | list[int]) -> QuerySet[Representative]:
    """one_row_per_rep() of a queryset, or the reps of a pinned list of ids."""
    if isinstance(representatives, list):
        return Representative.objects.filter(pk__in=representatives)
    return one_row_per_rep(representatives)


PIN_AT_MOST = 1000


def pinned(representatives: QuerySet[Representative]) -> QuerySet[Representative] | list[int]:
    """The same reps as the list of their ids, read in one query, when there are at most
    PIN_AT_MOST of them; else the queryset as it is (one_row_each() makes either a queryset).

    A report page filters several statements by one scope (KPIs, chart, rows, details), and a
    supervisor's scope is a join through their teams (A2) plus the filters, which the ORM compiled
    and PostgreSQL planned again inside each of them (issue 13: each open agents report renders
    once per window with a change; with the rows' tag, 0.79x CPU per refresh,
    docs/performance.md). A team's ids make each of those statements a plain primary-key lookup;
    a larger set (an admin's 10,000) keeps the subquery, which PostgreSQL hashes once."""
    ids = list(one_row_per_rep(representatives).values_list("pk", flat=True)[: PIN_AT_MOST + 1])
    return representatives if len(ids) > PIN_AT_MOST else ids


def viewer_timezone(*, user: AbstractBaseUser) -> ZoneInfo:
    """The viewer's time zone: their rep profile's when they have one, else the portal's. Read
    once per request: kept on the user object, which the authentication middleware loads anew
    for each request (a live refresh needs it for its shared rendering's key and its page)."""
    zone = getattr(user, "_viewer_timezone", None)
    if zone is None:
        name = (
            Representative.objects.filter(user_id=user.pk)
            .values_list("timezone", flat=True)
            .first()
        )
        zone = user._viewer_timezone = zone_named(name or settings.TIME_ZONE)
    return zone


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def with_stuck(conversations: QuerySet[Conversation], *, now: dt.datetime) -> QuerySet:
    return conversations.annotate(
        stuck=Case(
            When(stuck_q(now=now), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
