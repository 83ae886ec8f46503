"""R1: the agents report (KPIs, chart, tabs, grid); its drill-down is agent_detail.py."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import (
    Count,
    Exists,
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
    TAB_OFFLINE,
    TAB_SIGNED_IN,
    TAB_WITH_WORK,
    WORK_STATES,
    S,
    has_work_q,
    offline_q,
    one_row_per_rep,
    online_recently_q,
    signed_in_q,
    stuck_q,
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


def agents_kpis(*, representatives: QuerySet[Representative], now: dt.datetime) -> AgentKpis:
    """R1 KPIs over `representatives` (already scoped and filtered): 4 queries.

    Capacity figures (units, work items) are over the signed-in reps only, as the real-time
    report of the product this follows counts them: an offline rep's capacity is not on offer.
    """
    reps = one_row_per_rep(representatives)
    people = reps.aggregate(
        total=Count("pk"),
        signed_in=Count("pk", filter=signed_in_q()),
        units_total=Coalesce(Sum("capacity_units", filter=signed_in_q()), 0),
        with_work=Count("pk", filter=has_work_q()),
        recently_offline=Count("pk", filter=offline_q() & online_recently_q(now=now)),
    )
    on_shift = reps.filter(signed_in_q()).values("pk")
    work = Conversation.objects.filter(
        representative__in=reps.values("pk"), state__in=WORK_STATES
    ).aggregate(
        units_used=Coalesce(
            Sum(
                "units",
                filter=Q(
                    consumes_capacity=True,
                    representative__capacity_units__gt=0,
                    representative__in=on_shift,
                ),
            ),
            0,
        ),
        stuck=Count("pk", filter=stuck_q(now=now)),
    )
    links = RepresentativeProfile.objects.filter(representative__in=on_shift)
    work_items_total = links.aggregate(
        n=Coalesce(Sum(Coalesce("limit_override", "profile__limit")), 0)
    )["n"]
    work_items_used = _work_items_in_use(reps=reps.filter(signed_in_q()), now=now).count()
    return AgentKpis(
        signed_in=people["signed_in"],
        total=people["total"],
        units_total=people["units_total"],
        units_used=work["units_used"],
        work_items_total=work_items_total,
        work_items_used=work_items_used,
        with_work=people["with_work"],
        stuck=work["stuck"],
        recently_offline=people["recently_offline"],
    )


def _work_items_in_use(*, reps: QuerySet[Representative], now: dt.datetime) -> QuerySet:
    """K3, K4: conversations counting against a profile their rep holds."""
    held = RepresentativeProfile.objects.filter(
        representative=OuterRef("representative"), profile=OuterRef("capacity_profile")
    )
    return Conversation.objects.filter(
        Q(consumes_capacity=True, capacity_profile__reset_frequency=ResetFrequency.IMMEDIATE)
        | Q(end_of_day_until__gt=now, capacity_profile__reset_frequency=ResetFrequency.END_OF_DAY),
        representative__in=reps.values("pk"),
        capacity_profile__isnull=False,
    ).filter(Exists(held))


@dataclass(frozen=True)
class StatusCount:
    status_id: int | None
    text: str
    base_status: str
    count: int
    custom: bool
    percent: float = 0.0


def agents_by_status(*, representatives: QuerySet[Representative]) -> list[StatusCount]:
    """R1 chart: reps per presence status, custom statuses on their own (C2). 2 queries."""
    rows = (
        one_row_per_rep(representatives)
        .values(
            "presence__status_id",
            "presence__status__presence_text",
            "presence__status__base_status",
            "presence__status__builtin_key",
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[int | None, list] = {}
    never = 0
    for row in rows:
        if row["presence__status_id"] is None:
            never += row["n"]  # never signed in: Offline
            continue
        counts[row["presence__status_id"]] = [
            row["presence__status__presence_text"],
            row["presence__status__base_status"],
            row["n"],
            row["presence__status__builtin_key"] is None,
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
    representatives: QuerySet[Representative], *, tab: str, now: dt.datetime
) -> QuerySet[Representative]:
    """R1 tabs: signed in, recently offline, with work."""
    reps = one_row_per_rep(representatives)
    if tab == TAB_OFFLINE:
        return reps.filter(offline_q()).filter(online_recently_q(now=now))
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


def agents_page_details(
    *, representatives: list[Representative], now: dt.datetime
) -> dict[int, AgentDetail]:
    """P10 reasons, capacity and conversation counts for the reps of one page: 3 queries
    (4 when a rep never signed in).

    `representatives` come from agents_rows() (their presence and status are already loaded).
    """
    ids = [rep.pk for rep in representatives]
    if not ids:
        return {}
    snapshots = capacity_snapshots(
        representatives=Representative.objects.filter(pk__in=ids), now=now
    )
    states: dict[int, dict[str, int]] = defaultdict(dict)
    for rep_id, state, n in (
        Conversation.objects.filter(representative_id__in=ids, state__in=ONGOING_STATES)
        .values_list("representative_id", "state")
        .annotate(n=Count("pk"))
        .order_by()
    ):
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
