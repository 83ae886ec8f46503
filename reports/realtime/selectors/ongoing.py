"""R2: the ongoing conversations report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet

from presence.models import Conversation
from presence.selectors import conversations_visible_to

from .common import ONGOING_STATES, ONGOING_WINDOW, S, stuck_q, with_stuck


def ongoing_conversations(*, user: AbstractBaseUser, now: dt.datetime) -> QuerySet[Conversation]:
    """R2: open, active, wrap-up and waiting conversations with activity in the last 2 hours, plus
    every stuck one; scoped to what `user` may see. Rows carry `stuck` and the related rep and
    workstream (one query per page)."""
    recent = Q(last_activity_at__gte=now - ONGOING_WINDOW)
    return with_stuck(
        conversations_visible_to(user=user)
        .filter(state__in=ONGOING_STATES)
        .filter(recent | stuck_q(now=now))
        .select_related("representative", "workstream"),
        now=now,
    )


@dataclass(frozen=True)
class OngoingKpis:
    total: int
    open: int
    active: int
    wrap_up: int
    waiting: int
    stuck: int
    unassigned: int


def ongoing_kpis(*, conversations: QuerySet[Conversation], now: dt.datetime) -> OngoingKpis:
    """R2 tiles over the filtered conversations: 1 query, a row of counts per state (three
    aggregates to build rather than seven: the page polls every few seconds)."""
    rows = (
        conversations.order_by()
        .values_list("state")
        .annotate(
            n=Count("pk"),
            n_stuck=Count("pk", filter=stuck_q(now=now)),
            n_unassigned=Count("pk", filter=Q(representative__isnull=True)),
        )
    )
    by_state: dict[str, int] = {}
    stuck = unassigned = 0
    for state, n, n_stuck, n_unassigned in rows:
        by_state[state] = n
        stuck += n_stuck
        unassigned += n_unassigned
    return OngoingKpis(
        total=sum(by_state.values()),
        open=by_state.get(S.OPEN, 0),
        active=by_state.get(S.ACTIVE, 0),
        wrap_up=by_state.get(S.WRAP_UP, 0),
        waiting=by_state.get(S.WAITING, 0),
        stuck=stuck,
        unassigned=unassigned,
    )
