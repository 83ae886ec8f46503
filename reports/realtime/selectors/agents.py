"""R1: the agents report (KPIs, chart, tabs, grid); its drill-down is agent_detail.py."""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from portal.statements import Instances, Statement, totals
from presence import engine
from presence.models import (
    BaseStatus,
    Conversation,
    PresenceStatus,
    Representative,
    RepresentativeProfile,
    ResetFrequency,
)
from presence.reads import capacity_snapshots, status_ref

from .common import (
    ONGOING_STATES,
    PIN_AT_MOST,
    TAB_OFFLINE,
    TAB_SIGNED_IN,
    TAB_WITH_WORK,
    WORK_STATES,
    S,
    has_work_q,
    offline_q,
    one_row_each,
    online_recently_q,
    recently_since,
    signed_in_q,
    stuck_cutoff,
    stuck_since_q,
)


@dataclass(frozen=True)
class AgentKpis:
    signed_in: int
    total: int
    units_total: int
    units_used: int
    work_items_total: int
    work_items_used: int
    with_work: int
    stuck: int
    recently_offline: int

    @property
    def units_available(self) -> int:
        return self.units_total - self.units_used

    @property
    def work_items_available(self) -> int:
        return self.work_items_total - self.work_items_used

    @property
    def tab_counts(self) -> dict[str, int]:
        return {
            TAB_SIGNED_IN: self.signed_in,
            TAB_OFFLINE: self.recently_offline,
            TAB_WITH_WORK: self.with_work,
        }


@dataclass(frozen=True)
class StatusCount:
    status_id: int | None
    text: str
    base_status: str
    count: int
    custom: bool
    percent: float = 0.0


@dataclass(frozen=True)
class AgentSummary:
    kpis: AgentKpis
    # R1 chart: reps per presence status, custom statuses on their own (C2)
    chart: list[StatusCount]


class _Rep(NamedTuple):
    """One rep of the summary's scope, as its first query reads it."""

    pk: int
    capacity_units: int
    status_id: int | None  # None: never signed in
    status_text: str | None
    base_status: str | None
    builtin_key: str | None
    on_shift: bool  # 0/1 on SQLite
    with_work: bool
    recently_offline: bool


def agents_summary(
    *, representatives: QuerySet[Representative] | list[int], now: dt.datetime
) -> AgentSummary:
    """R1 KPIs and chart over `representatives` (already scoped and filtered; their ids when
    pinned): 4 queries (5 when a rep never signed in).

    One row per rep carries what the counts need, each condition evaluated by the database from
    its one definition (signed_in_q, has_work_q, ...); the counts over those rows are sums here.
    Then three aggregates over the signed-in reps' ids: conversations (units, stuck), profile
    limits and work items in use. Capacity figures (units, work items) are over the signed-in
    reps only, as the real-time report of the product this follows counts them: an offline
    rep's capacity is not on offer. Each is a Statement: a pinned scope's (a team's) are built
    and compiled once per process and shape, as every open agents report refreshes in each
    window with a change (issue 13).
    """
    rows = [
        _Rep(*row)
        for row in _SUMMARY_ROWS.rows(reps=representatives, since=recently_since(now=now))
    ]
    reps = one_row_each(representatives)
    on_shift = [rep for rep in rows if rep.on_shift]
    on_ids = _ids([rep.pk for rep in on_shift], or_query=reps.filter(signed_in_q()))
    units_used, stuck = _first(
        _WORK.rows(
            ids=_ids([rep.pk for rep in rows], or_query=reps),
            capacity_ids=_ids(
                [rep.pk for rep in on_shift if rep.capacity_units > 0],
                or_query=reps.filter(signed_in_q(), capacity_units__gt=0),
            ),
            cutoff=stuck_cutoff(now=now),
        ),
        default=(0, 0),
    )
    (work_items_total,) = _first(_WORK_ITEMS_TOTAL.rows(ids=on_ids), default=(0,))
    (work_items_used,) = _first(_WORK_ITEMS_USED.rows(ids=on_ids, now=now), default=(0,))
    kpis = AgentKpis(
        signed_in=len(on_shift),
        total=len(rows),
        units_total=sum(rep.capacity_units for rep in on_shift),
        units_used=units_used,
        work_items_total=work_items_total,
        work_items_used=work_items_used,
        with_work=sum(1 for rep in rows if rep.with_work),
        stuck=stuck,
        recently_offline=sum(1 for rep in rows if rep.recently_offline),
    )
    return AgentSummary(kpis=kpis, chart=_by_status(rows))


_SUMMARY_ROWS = Statement(
    lambda *, reps, since: (
        one_row_each(reps)
        .values_list(
            "pk",
            "capacity_units",
            "presence__status_id",
            "presence__status__presence_text",
            "presence__status__base_status",
            "presence__status__builtin_key",
        )
        .annotate(
            on_shift=ExpressionWrapper(signed_in_q(), output_field=BooleanField()),
            with_work=ExpressionWrapper(has_work_q(), output_field=BooleanField()),
            recently_offline=ExpressionWrapper(
                offline_q() & online_recently_q(since=since), output_field=BooleanField()
            ),
        )
    )
)
_WORK = Statement(  # units in use (of reps with capacity), stuck conversations
    lambda *, ids, capacity_ids, cutoff: totals(
        Conversation.objects.filter(representative_id__in=ids, state__in=WORK_STATES),
        units_used=Coalesce(
            Sum("units", filter=Q(consumes_capacity=True, representative_id__in=capacity_ids)), 0
        ),
        stuck=Count("pk", filter=stuck_since_q(cutoff=cutoff)),
    )
)
_WORK_ITEMS_TOTAL = Statement(
    lambda *, ids: totals(
        RepresentativeProfile.objects.filter(representative_id__in=ids),
        n=Coalesce(Sum(Coalesce("limit_override", "profile__limit")), 0),
    )
)
_WORK_ITEMS_USED = Statement(
    lambda *, ids, now: totals(_work_items_in_use(rep_ids=ids, now=now), n=Count("pk"))
)


def _first(rows: list[tuple], *, default: tuple) -> tuple:
    """The one row of totals(), or the defaults when the ORM knew there was none."""
    return rows[0] if rows else default


def _ids(ids: list[int], *, or_query: QuerySet[Representative]) -> list[int] | QuerySet:
    """The reps' ids as a literal list, which PostgreSQL plans far better than the scope's
    subquery, unless there are more than PIN_AT_MOST (an admin's 10,000: the subquery, hashed
    once)."""
    return ids if len(ids) <= PIN_AT_MOST else or_query.values("pk")


def _work_items_in_use(*, rep_ids: list[int] | QuerySet, now: dt.datetime) -> QuerySet:
    """K3, K4: conversations counting against a profile their rep holds."""
    held = RepresentativeProfile.objects.filter(
        representative=OuterRef("representative"), profile=OuterRef("capacity_profile")
    )
    return Conversation.objects.filter(
        Q(consumes_capacity=True, capacity_profile__reset_frequency=ResetFrequency.IMMEDIATE)
        | Q(end_of_day_until__gt=now, capacity_profile__reset_frequency=ResetFrequency.END_OF_DAY),
        representative_id__in=rep_ids,
        capacity_profile__isnull=False,
    ).filter(Exists(held))


def _by_status(rows: list[_Rep]) -> list[StatusCount]:
    """The chart from agents_summary's rows; a rep who never signed in counts as Offline."""
    counts: dict[int | None, list] = {}
    never = 0
    for rep in rows:
        if rep.status_id is None:
            never += 1
        elif rep.status_id in counts:
            counts[rep.status_id][2] += 1
        else:
            counts[rep.status_id] = [
                rep.status_text,
                rep.base_status,
                1,
                rep.builtin_key is None,
            ]
    if never:
        offline = PresenceStatus.objects.filter(builtin_key="offline").values_list(
            "pk", "presence_text"
        )
        for pk, text in offline:
            counts.setdefault(pk, [text, BaseStatus.OFFLINE, 0, False])[2] += never
    order = {base: i for i, base in enumerate(BaseStatus.values)}
    items = sorted(counts.items(), key=lambda kv: (order[kv[1][1]], kv[1][3], kv[1][0].lower()))
    top = max((c[2] for _, c in items), default=0)
    return [
        StatusCount(
            status_id=pk,
            text=text,
            base_status=base,
            count=n,
            custom=custom,
            percent=round(100 * n / top, 1) if top else 0.0,
        )
        for pk, (text, base, n, custom) in items
    ]


def agents_tab(
    representatives: QuerySet[Representative] | list[int], *, tab: str, now: dt.datetime
) -> QuerySet[Representative]:
    """R1 tabs: signed in, recently offline, with work."""
    return _in_tab(representatives, tab=tab, since=recently_since(now=now))


def _in_tab(
    representatives: QuerySet[Representative] | list[int], *, tab: str, since: dt.datetime | None
) -> QuerySet[Representative]:
    reps = one_row_each(representatives)
    if tab == TAB_OFFLINE:
        return reps.filter(offline_q()).filter(online_recently_q(since=since))
    if tab == TAB_WITH_WORK:
        return reps.filter(has_work_q())
    return reps.filter(signed_in_q())


def agents_rows(*, representatives: QuerySet[Representative]) -> QuerySet[Representative]:
    """The grid's rows, with the sort keys the database needs (no per-row query)."""
    per_rep = Conversation.objects.filter(representative=OuterRef("pk")).order_by()
    conversations = (
        per_rep.filter(state__in=WORK_STATES)
        .values("representative")
        .annotate(n=Count("pk"))
        .values("n")
    )
    units = (
        per_rep.filter(consumes_capacity=True)
        .values("representative")
        .annotate(n=Sum("units"))
        .values("n")
    )
    return representatives.select_related("presence__status").annotate(
        status_text=F("presence__status__presence_text"),
        base_status=F("presence__status__base_status"),
        status_since=F("presence__since"),
        signed_in_since=F("presence__signed_in_at"),
        conversation_count=Coalesce(Subquery(conversations, output_field=IntegerField()), 0),
        units_used=Coalesce(Subquery(units, output_field=IntegerField()), Value(0)),
    )


@functools.cache
def agents_sort_keys() -> QuerySet[Representative]:
    """agents_rows() over no rows: what a table orders by (its names checked), never read."""
    return agents_rows(representatives=Representative.objects.none())


def agents_page(
    representatives: QuerySet[Representative] | list[int],
    *,
    tab: str,
    now: dt.datetime,
    order_by: tuple[str, ...],
    start: int,
    stop: int,
) -> list[Representative]:
    """Rows `start` to `stop` of the grid's tab in `order_by` (the table's sort), as
    agents_rows() gives them, their presence and status loaded: one statement per tab, sort and
    page, built once per process (every open agents report refreshes in each window with a
    change, issue 13)."""
    values = {"reps": representatives}
    if tab == TAB_OFFLINE:  # the only tab with a time in it
        values["since"] = recently_since(now=now)
    return _page_of(tab, tuple(order_by), start, stop).all(**values)


# Tabs x sorts x the pages supervisors look at, each with up to LONGEST shapes (team sizes).
@functools.lru_cache(maxsize=64)
def _page_of(tab: str, order_by: tuple[str, ...], start: int, stop: int) -> Instances:
    return Instances(
        lambda *, reps, since=None: agents_rows(
            representatives=_in_tab(reps, tab=tab, since=since)
        ).order_by(*order_by)[start:stop],
        related=("presence", "presence__status"),
    )


@dataclass
class AgentDetail:
    """What the grid shows of one rep of the page besides the row's own fields."""

    status: engine.StatusRef
    source: str
    since: dt.datetime | None
    signed_in: bool
    signed_in_since: dt.datetime | None
    reason: str
    capacity: engine.CapacitySnapshot
    states: dict[str, int] = field(default_factory=dict)

    @property
    def active(self) -> int:
        return self.states.get(S.ACTIVE, 0)

    @property
    def wrap_up(self) -> int:
        return self.states.get(S.WRAP_UP, 0)

    @property
    def waiting(self) -> int:
        return self.states.get(S.WAITING, 0)


_ONGOING_BY_STATE = Statement(
    lambda *, ids: (
        Conversation.objects.filter(representative_id__in=ids, state__in=ONGOING_STATES)
        .values_list("representative_id", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
)


def agents_page_details(
    *, representatives: list[Representative], now: dt.datetime
) -> dict[int, AgentDetail]:
    """P10 reasons, capacity and conversation counts for the reps of one page: 3 queries
    (4 when a rep never signed in).

    `representatives` come from agents_page() (their presence and status are already loaded).
    """
    ids = [rep.pk for rep in representatives]
    if not ids:
        return {}
    snapshots = capacity_snapshots(rep_ids=ids, now=now)
    states: dict[int, dict[str, int]] = defaultdict(dict)
    for rep_id, state, n in _ONGOING_BY_STATE.rows(ids=ids):
        states[rep_id][state] = n
    offline = None
    details = {}
    for rep in representatives:
        presence = getattr(rep, "presence", None)
        if presence is None:  # never signed in
            if offline is None:
                offline = status_ref(PresenceStatus.objects.get(builtin_key="offline"))
            status, source, since, signed_in, disconnected = (
                offline,
                engine.SIGN_OUT,
                None,
                False,
                False,
            )
            signed_in_since = None
        else:
            status, source, since = status_ref(presence.status), presence.source, presence.since
            signed_in = presence.signed_in
            disconnected = presence.saved_status_id is not None
            signed_in_since = presence.signed_in_at if signed_in else None
        snap = snapshots[rep.pk]
        reason = engine.explain(
            status=status,
            source=source,
            signed_in=signed_in,
            disconnected=disconnected,
            capacity=snap,
        )
        if presence is None:
            reason = "never signed in"
        details[rep.pk] = AgentDetail(
            status=status,
            source=source,
            since=since,
            signed_in=signed_in,
            signed_in_since=signed_in_since,
            reason=reason,
            capacity=snap,
            states=states[rep.pk],
        )
    return details
