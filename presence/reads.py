"""Read-side helpers that services and selectors both use (neither imports the other for them):
capacity snapshots (K1-K4) for any set of reps in a fixed number of queries (2), the engine's view
of a status (status_ref, the built-ins) and of a rep's presence, and the Outcome of a transition.
Reads only: nothing here writes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from operator import attrgetter

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum

from portal.statements import Statement
from presence import engine
from presence.models import (
    Conversation,
    PresenceStatus,
    Representative,
    RepresentativePresence,
    ResetFrequency,
)

# --- Capacity (K1-K4) ---------------------------------------------------------------------------


def _with_profiles(representatives: QuerySet[Representative]) -> QuerySet:
    """The reps with their profiles (K2: the rep's own limit wins over the profile's): one row per
    rep and profile, one row with no profile for a rep without any."""
    return representatives.order_by().values_list(
        "pk",
        "capacity_units",
        "profile_links__profile_id",
        "profile_links__profile__name",
        "profile_links__limit_override",
        "profile_links__profile__limit",
        "profile_links__profile__blocking",
    )


def _work(conversations: QuerySet[Conversation], now: dt.datetime) -> QuerySet:
    """Conversations, per rep and profile. K1: units and sessions while a conversation consumes
    capacity. K3, K4: an immediate profile's work item counts while it consumes capacity, an
    end-of-day profile's until the end of the rep's day."""
    consumes = Q(consumes_capacity=True)
    counts = Q(
        capacity_profile__reset_frequency=ResetFrequency.IMMEDIATE, consumes_capacity=True
    ) | Q(capacity_profile__reset_frequency=ResetFrequency.END_OF_DAY, end_of_day_until__gt=now)
    return (
        conversations.filter(consumes | Q(end_of_day_until__gt=now))
        .values_list("representative_id", "capacity_profile_id")
        .annotate(
            units_used=Sum("units", filter=consumes),
            sessions=Count("pk", filter=consumes),
            items=Count("pk", filter=counts),
        )
        .order_by()
    )


# Every event, console refresh and grid reads capacity: built and compiled once per shape.
# The driver's values (convert=False): the safety net reads every rep's rows.
_REPS = Statement(
    lambda *, ids: _with_profiles(Representative.objects.filter(pk__in=ids)), convert=False
)
_EVERY_REP = Statement(lambda: _with_profiles(Representative.objects.all()), convert=False)
_WORK = Statement(
    lambda *, ids, now: _work(Conversation.objects.filter(representative_id__in=ids), now),
    convert=False,
)
_EVERY_REPS_WORK = Statement(lambda *, now: _work(Conversation.objects.all(), now), convert=False)


def _capacity_rows(rep_ids: list[int] | None, now: dt.datetime):
    """Per rep: capacity units, (units used, sessions), and profile usage; 2 queries whatever
    the number of reps. With None, every rep: the queries scan without a filter (twice as fast
    for all)."""
    if rep_ids is None:
        reps = _EVERY_REP.rows()
        work = _EVERY_REPS_WORK.rows(now=now)
    else:
        reps = _REPS.rows(ids=rep_ids)
        # The ids of the reps that exist (a literal list: PostgreSQL plans it far better).
        work = _WORK.rows(ids=list({row[0]: None for row in reps}), now=now)
    units = {row[0]: row[1] for row in reps}
    consuming, work_items = {}, {}
    for rep_id, profile_id, units_used, sessions, items in work:
        if sessions:
            before = consuming.get(rep_id)
            consuming[rep_id] = (
                (units_used, sessions)
                if before is None
                else (before[0] + units_used, before[1] + sessions)
            )
        if items:  # only conversations with a profile count as work items
            work_items[rep_id, profile_id] = items
    profiles = defaultdict(list)
    usage = engine.ProfileUsage
    for rep_id, _, profile_id, name, own_limit, limit, blocking in reps:
        if profile_id is None:
            continue
        used = work_items.get((rep_id, profile_id), 0)
        limit = limit if own_limit is None else own_limit
        profiles[rep_id].append(usage(profile_id, name, limit, used, bool(blocking)))
    return units, consuming, profiles


def capacity_snapshots(
    *, rep_ids: Iterable[int] | None, now: dt.datetime
) -> dict[int, engine.CapacitySnapshot]:
    """One snapshot per rep of `rep_ids` that exists (None: every rep), in 2 queries."""
    units, consuming, profiles = _capacity_rows(None if rep_ids is None else list(rep_ids), now)
    max_sessions = settings.PRESENCE_MAX_SESSIONS
    no_work = (0, 0)
    return {
        rep_id: engine.CapacitySnapshot(
            units_total,
            *consuming.get(rep_id, no_work),
            tuple(sorted(profiles.get(rep_id, ()), key=attrgetter("name"))),
            max_sessions,
        )
        for rep_id, units_total in units.items()
    }


def capacity_levels(*, rep_ids: Iterable[int], now: dt.datetime) -> dict[int, engine.Level]:
    """The P1 level of each rep of `rep_ids`, read for every rep at once (the safety net):
    the engine decides from plain values, so no snapshot object is built per rep."""
    units, consuming, profiles = _capacity_rows(None, now)
    max_sessions = settings.PRESENCE_MAX_SESSIONS
    no_work, no_profiles = (0, 0), ()
    level = engine.capacity_level_of
    return {
        rep_id: level(
            units.get(rep_id, 0),
            *consuming.get(rep_id, no_work),
            profiles.get(rep_id, no_profiles),
            max_sessions,
        )
        for rep_id in rep_ids
    }


def capacity_snapshot(*, representative_id: int, now: dt.datetime) -> engine.CapacitySnapshot:
    return capacity_snapshots(rep_ids=[representative_id], now=now)[representative_id]


# --- Statuses and presence as the engine sees them --------------------------------------------


def status_ref(status: PresenceStatus) -> engine.StatusRef:
    return engine.StatusRef(
        id=status.pk,
        name=status.name,
        presence_text=status.presence_text,
        base_status=status.base_status,
        user_can_set=status.user_can_set,
        is_active=status.is_active,
        builtin_key=status.builtin_key,
    )


STATUS_REF_FIELDS = tuple(field.name for field in dataclasses.fields(engine.StatusRef))
_STATUSES = Statement(lambda: PresenceStatus.objects.values_list(*STATUS_REF_FIELDS).order_by())


def status_refs() -> dict[int, engine.StatusRef]:
    """Every status as the engine sees it, by id: plain values, no model objects (this runs in
    every event's transition). Read on every call, never cached: an edit counts from the next
    event."""
    return {row[0]: engine.StatusRef(*row) for row in _STATUSES.rows()}


def builtins_of(refs: Iterable[engine.StatusRef]) -> engine.Builtins:
    by_key = {ref.builtin_key: ref for ref in refs if ref.builtin_key}
    return engine.Builtins(
        available=by_key["available"],
        busy=by_key["busy"],
        dnd=by_key["dnd"],
        offline=by_key["offline"],
        inactive=by_key["inactive"],
    )


def load_builtins() -> tuple[engine.Builtins, dict[int, PresenceStatus]]:
    statuses = {s.pk: s for s in PresenceStatus.objects.filter(builtin_key__isnull=False)}
    return builtins_of(status_ref(s) for s in statuses.values()), statuses


def current_presence(row: RepresentativePresence) -> engine.Presence:
    return engine.Presence(
        status=status_ref(row.status),
        source=row.source,
        signed_in=row.signed_in,
        saved_status=status_ref(row.saved_status) if row.saved_status_id else None,
        saved_source=row.saved_source,
    )


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What transition() decided for one rep, with the state it left them in: enough to answer
    the event (api.md GET .../presence) without reading the rep again."""

    decision: engine.Decision
    since: dt.datetime
    capacity: engine.CapacitySnapshot

    @property
    def status(self) -> engine.StatusRef:
        return self.decision.status

    @property
    def reason(self) -> str:
        return self.decision.reason
