"""Issue 16: the queues report (one row per workstream), the wallboard's team figures and the
targets of a supervisor's assign and transfer.

Definitions (the tests compute each one again from the raw rows):

- *waiting*: the workstream's conversations in `open` (V1: queued, no rep); *longest wait*: now
  minus the earliest `state_changed_at` among them (the time it entered the queue, or went back
  to it).
- *today*: from midnight in the workstream's own `timezone` until now.
- *offered / accepted / rejected / missed today*: offers made today for the workstream's
  conversations, by their state now (a pending or cancelled offer counts as offered only).
- *answered today*: conversations whose first rep (first primary participant) joined today;
  *average speed of answer*: the mean of (that join - the conversation's creation); *service
  level*: the share of them answered within the workstream's `service_level_seconds`.
- *may take work now* (V4, K6): signed in, base status in the workstream's allowed base
  statuses, and no blocking capacity profile at its limit; *free capacity*: the sum, over those
  reps, of their available units where units are configured (K1), negative counting as 0 (K5).

Scope (A2): workstreams belong to no team, so every viewer sees every queue, its waiting
conversations and its answer figures (speed of answer, service level: the queue's, like the
waiting conversations of the ongoing report). Figures derived from reps (offers, reps who may
take work, free capacity) count only the reps the viewer sees.

Every function reads in a fixed number of queries, whatever the number of reps and conversations.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
)

from presence.models import (
    BaseStatus,
    CapacityProfile,
    Conversation,
    ConversationParticipant,
    ConversationState,
    Offer,
    OfferState,
    ParticipantRole,
    PresenceStatus,
    Representative,
    RepresentativePresence,
    RepresentativeProfile,
    ResetFrequency,
    Team,
    Workstream,
)
from presence.reads import capacity_snapshots

from .common import ONLINE_BASES, one_row_per_rep, signed_in_q, zone_named

S = ConversationState


@dataclass(frozen=True)
class QueueFigures:
    workstream: Workstream
    zone: ZoneInfo
    day_start: dt.datetime
    waiting: int
    longest_wait_seconds: int | None
    offered: int
    accepted: int
    rejected: int
    missed: int
    answered: int
    average_answer_seconds: float | None
    within_service_level: int
    may_take: int
    free_units: int

    @property
    def service_level_percent(self) -> float | None:
        if not self.answered:
            return None
        return round(100 * self.within_service_level / self.answered, 1)


def day_start_in(zone: ZoneInfo, *, now: dt.datetime) -> dt.datetime:
    """Midnight of `now`'s day in `zone`, as an aware datetime (23 and 25 hour days included)."""
    local = now.astimezone(zone)
    return dt.datetime.combine(local.date(), dt.time(), tzinfo=zone)


def _starts(workstreams: list[Workstream], *, now: dt.datetime) -> dict[str, dt.datetime]:
    return {ws.timezone: day_start_in(zone_named(ws.timezone), now=now) for ws in workstreams}


def _today_q(starts: dict[str, dt.datetime], *, field: str, zone_field: str, now) -> Q:
    """`field` is today in the zone named by `zone_field`: one OR per distinct zone."""
    q = Q(pk__in=[])
    for zone, start in starts.items():
        q |= Q(**{zone_field: zone, f"{field}__gte": start, f"{field}__lte": now})
    return q


def waiting_counts(workstream_ids: list[int] | None = None) -> QuerySet:
    """Per workstream (of `workstream_ids`, or every one): `n` conversations waiting (open, V1)
    and `oldest`, the earliest `state_changed_at` among them (the longest wait is now minus it).
    One grouped query; the queue longest-wait alert filters it (HAVING) and inserts from it."""
    waiting = Conversation.objects.filter(state=S.OPEN)
    if workstream_ids is not None:
        waiting = waiting.filter(workstream_id__in=workstream_ids)
    return (
        waiting.order_by()
        .values("workstream_id")
        .annotate(n=Count("pk"), oldest=Min("state_changed_at"))
    )


def answer_counts(workstreams: list[Workstream], *, now: dt.datetime) -> dict[int, dict]:
    """Per workstream of `workstreams`, today in its own time zone: `n` conversations answered
    (their first rep joined today), `average` (a timedelta: that join minus the creation) and
    `within` (answered within the workstream's `service_level_seconds`). Absent: none answered.
    The whole queue's (no scope: a queue belongs to no team). The service-level alert compares
    this very figure. 1 query."""
    if not workstreams:
        return {}
    starts = _starts(workstreams, now=now)
    earlier = ConversationParticipant.objects.filter(
        conversation_id=OuterRef("conversation_id"),
        role=ParticipantRole.PRIMARY,
        joined_at__lt=OuterRef("joined_at"),
    )
    wait = ExpressionWrapper(
        F("joined_at") - F("conversation__created_at"), output_field=DurationField()
    )
    within = Q(pk__in=[])
    for seconds in {ws.service_level_seconds for ws in workstreams}:
        within |= Q(
            conversation__workstream__service_level_seconds=seconds,
            answer_wait__lte=dt.timedelta(seconds=seconds),
        )
    return {
        r["conversation__workstream_id"]: r
        for r in ConversationParticipant.objects.filter(
            _today_q(
                starts, field="joined_at", zone_field="conversation__workstream__timezone", now=now
            ),
            conversation__workstream_id__in=[ws.pk for ws in workstreams],
            role=ParticipantRole.PRIMARY,
        )
        .exclude(Exists(earlier))
        .annotate(answer_wait=wait)
        .order_by()
        .values("conversation__workstream_id")
        .annotate(
            n=Count("conversation_id", distinct=True),
            average=Avg("answer_wait"),
            within=Count("conversation_id", filter=within, distinct=True),
        )
    }


def rep_capacity_groups(
    *, representatives: QuerySet[Representative], now: dt.datetime
) -> dict[tuple[str, bool], tuple[int, int]]:
    """Signed-in reps of `representatives`, grouped by (base status, a blocking profile at its
    limit): (how many, their free units). 1 query; the capacity arithmetic of
    presence.reads._capacity_rows (K1-K4) is done by the database, in hash joins over grouped
    conversations (correlated subqueries per rep cost 10x more at 10,000 reps)."""
    t = {
        "rep": Representative._meta.db_table,
        "presence": RepresentativePresence._meta.db_table,
        "status": PresenceStatus._meta.db_table,
        "conv": Conversation._meta.db_table,
        "link": RepresentativeProfile._meta.db_table,
        "profile": CapacityProfile._meta.db_table,
    }
    scope_sql, scope_params = one_row_per_rep(representatives).values("pk").query.sql_with_params()
    online = ", ".join(["%s"] * len(ONLINE_BASES))
    # A supervisor's scope also narrows the conversations read (an admin's is every rep: no filter).
    scoped = representatives.query.has_filters()

    def in_scope(column: str) -> str:
        return f"AND {column} IN ({scope_sql})" if scoped else ""

    sql = f"""
        WITH used AS (
            SELECT representative_id, SUM(units) AS units
            FROM {t["conv"]} WHERE consumes_capacity {in_scope("representative_id")}
            GROUP BY representative_id
        ), items AS (
            SELECT c.representative_id, c.capacity_profile_id, COUNT(*) AS n
            FROM {t["conv"]} c JOIN {t["profile"]} p ON p.id = c.capacity_profile_id
            WHERE ((p.reset_frequency = %s AND c.consumes_capacity)
               OR (p.reset_frequency = %s AND c.end_of_day_until > %s))
               {in_scope("c.representative_id")}
            GROUP BY c.representative_id, c.capacity_profile_id
        ), blocked AS (
            SELECT DISTINCT l.representative_id
            FROM {t["link"]} l
            JOIN {t["profile"]} p ON p.id = l.profile_id
            JOIN items i ON i.representative_id = l.representative_id
                        AND i.capacity_profile_id = l.profile_id
            WHERE p.blocking AND i.n >= COALESCE(l.limit_override, p."limit")
        )
        SELECT s.base_status, b.representative_id IS NOT NULL AS is_blocked, COUNT(*),
               SUM(CASE WHEN r.capacity_units > 0 AND r.capacity_units > COALESCE(u.units, 0)
                        THEN r.capacity_units - COALESCE(u.units, 0) ELSE 0 END)
        FROM {t["rep"]} r
        JOIN {t["presence"]} pr ON pr.representative_id = r.id
        JOIN {t["status"]} s ON s.id = pr.status_id
        LEFT JOIN used u ON u.representative_id = r.id
        LEFT JOIN blocked b ON b.representative_id = r.id
        WHERE s.base_status IN ({online}) AND r.id IN ({scope_sql})
        GROUP BY s.base_status, b.representative_id IS NOT NULL
    """
    extra = list(scope_params) if scoped else []
    params = [
        *extra,
        ResetFrequency.IMMEDIATE,
        ResetFrequency.END_OF_DAY,
        connection.ops.adapt_datetimefield_value(now),
        *extra,
        *ONLINE_BASES,
        *scope_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {(base, bool(blocked)): (n, int(free or 0)) for base, blocked, n, free in rows}


def queue_figures(
    *,
    representatives: QuerySet[Representative],
    now: dt.datetime,
    workstream_ids: list[int] | None = None,
) -> list[QueueFigures]:
    """One row per workstream (by name; `workstream_ids`: those only). `representatives`: the
    viewer's scope (representatives_visible_to). 5 queries."""
    workstreams = list(Workstream.objects.order_by("name", "pk"))
    if workstream_ids is not None:
        workstreams = [ws for ws in workstreams if ws.pk in set(workstream_ids)]
    if not workstreams:
        return []
    ids = [ws.pk for ws in workstreams]
    starts = _starts(workstreams, now=now)

    waiting = {r["workstream_id"]: r for r in waiting_counts(ids)}

    scope = one_row_per_rep(representatives).values("pk")
    offers = defaultdict(dict)
    for r in (
        Offer.objects.filter(
            _today_q(
                starts, field="created_at", zone_field="conversation__workstream__timezone", now=now
            ),
            conversation__workstream_id__in=ids,
            representative_id__in=scope,
        )
        .order_by()
        .values("conversation__workstream_id", "state")
        .annotate(n=Count("pk"))
    ):
        offers[r["conversation__workstream_id"]][r["state"]] = r["n"]

    answers = answer_counts(workstreams, now=now)

    groups = rep_capacity_groups(representatives=representatives, now=now)
    result = []
    for ws in workstreams:
        w = waiting.get(ws.pk)
        o = offers.get(ws.pk, {})
        a = answers.get(ws.pk)
        allowed = set(ws.allowed_base_statuses)
        may_take = free = 0
        for (base, blocked), (n, units) in groups.items():
            if base in allowed and not blocked:
                may_take += n
                free += units
        average = a["average"] if a else None
        result.append(
            QueueFigures(
                workstream=ws,
                zone=zone_named(ws.timezone),
                day_start=starts[ws.timezone],
                waiting=w["n"] if w else 0,
                longest_wait_seconds=max(0, int((now - w["oldest"]).total_seconds()))
                if w
                else None,
                offered=sum(o.values()),
                accepted=o.get(OfferState.ACCEPTED, 0),
                rejected=o.get(OfferState.REJECTED, 0),
                missed=o.get(OfferState.MISSED, 0),
                answered=a["n"] if a else 0,
                average_answer_seconds=None if average is None else average.total_seconds(),
                within_service_level=a["within"] if a else 0,
                may_take=may_take,
                free_units=free,
            )
        )
    return result


def waiting_conversations(*, workstream: Workstream, limit: int = 200) -> list[Conversation]:
    """The drill-down: the workstream's open conversations, longest waiting first (1 query)."""
    return list(
        Conversation.objects.filter(workstream=workstream, state=S.OPEN)
        .order_by("state_changed_at", "pk")
        .select_related("workstream")[:limit]
    )


@dataclass(frozen=True)
class TeamFigures:
    team: Team
    signed_in: int
    by_base: dict[str, int]

    def count(self, base: str) -> int:
        return self.by_base.get(base, 0)


def team_figures(*, teams: QuerySet[Team]) -> list[TeamFigures]:
    """The wallboard's teams: reps signed in, and by base status (B1). 2 queries."""
    teams = list(teams)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for r in (
        Representative.objects.filter(teams__in=[t.pk for t in teams])
        .filter(signed_in_q())
        .order_by()
        .values("teams", "presence__status__base_status")
        .annotate(n=Count("pk"))
    ):
        counts[r["teams"]][r["presence__status__base_status"]] = r["n"]
    return [
        TeamFigures(team=t, signed_in=sum(counts[t.pk].values()), by_base=dict(counts[t.pk]))
        for t in teams
    ]


@dataclass(frozen=True)
class Target:
    id: int
    name: str
    presence_text: str
    base_status: str
    may_take: bool  # V4 and K6 allow it without force
    why_not: str


def move_targets(
    *,
    representatives: QuerySet[Representative],
    workstream: Workstream,
    now: dt.datetime,
    exclude_id: int | None = None,
) -> list[Target]:
    """Who a supervisor may assign or transfer a conversation of `workstream` to: the signed-in
    reps of `representatives` (the viewer's scope, A2), by name, each saying whether V4 and K6
    allow it without force. 3 queries (the reps, their capacity: presence.reads)."""
    reps = one_row_per_rep(representatives).filter(signed_in_q())
    if exclude_id is not None:
        reps = reps.exclude(pk=exclude_id)
    rows = list(
        reps.order_by("name", "pk").values_list(
            "pk", "name", "presence__status__presence_text", "presence__status__base_status"
        )
    )
    snaps = capacity_snapshots(rep_ids=[r[0] for r in rows], now=now)
    allowed = set(workstream.allowed_base_statuses)
    labels = dict(BaseStatus.choices)
    targets = []
    for pk, name, text, base in rows:
        blocking = snaps[pk].blocking_full if pk in snaps else ()
        if base not in allowed:
            why = f"{labels.get(base, base)}: this workstream is not offered in it"
        elif blocking:
            why = "at the limit of " + ", ".join(p.name for p in blocking)
        else:
            why = ""
        targets.append(Target(pk, name, text, base, not why, why))
    return targets
