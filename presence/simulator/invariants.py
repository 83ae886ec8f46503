"""What must hold in the database after a simulated run (presence.simulator.check_invariants)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.utils import timezone

from presence import engine
from presence.models import Client, Conversation, Offer, PresenceInterval
from presence.models import RepresentativePresence as Presence
from presence.reads import capacity_snapshots, current_presence, load_builtins

from .traffic import Result


def check_invariants(result: Result) -> list[str]:
    """What must hold after a run; returns the problems found (none: all good).

    - Every 2xx is in the database: each conversation and offer is in the state (and with the
      rep) that the last 2xx answer about it showed; every presence a 2xx answer showed is an
      interval of the rep's history starting at that `since`; every heartbeat of a client still
      connected is recorded.
    - H1 for every rep: intervals contiguous, one open interval, equal to the presence row.
    - P4: every rep's presence is what the engine computes from their final state: the safety
      net (Event.SAFETY_NET) would change nothing.
    """
    problems: list[str] = []
    journal = result.journal
    states = {
        pk: (state, rep)
        for pk, state, rep in Conversation.objects.filter(
            pk__in=list(journal.conversations)
        ).values_list("pk", "state", "representative_id")
    }
    for pk, expected in journal.conversations.items():
        if states.get(pk) != expected:
            problems.append(f"conversation {pk}: answered {expected}, database {states.get(pk)}")
    offers = dict(Offer.objects.filter(pk__in=list(journal.offers)).values_list("pk", "state"))
    for pk, expected in journal.offers.items():
        if offers.get(pk) != expected:
            problems.append(f"offer {pk}: answered {expected}, database {offers.get(pk)}")
    # Answers carry milliseconds (Django's JSON encoder); the database, microseconds.
    seen = {
        (rep, status, start.replace(microsecond=start.microsecond // 1000 * 1000))
        for rep, status, start in PresenceInterval.objects.filter(
            representative_id__in=result.rep_ids
        ).values_list("representative_id", "status_id", "start")
    }
    with_history = {rep for rep, _, _ in seen}
    for rep_id, status_id, since in journal.presences:
        key = (rep_id, status_id, dt.datetime.fromisoformat(since.replace("Z", "+00:00")))
        if key not in seen and rep_id in with_history:
            problems.append(f"rep {rep_id}: answered status {status_id} since {since}, no interval")
    beats = dict(
        Client.objects.filter(client_id__in=list(journal.heartbeats)).values_list(
            "client_id", "last_heartbeat_at"
        )
    )
    for client_id, at in journal.heartbeats.items():
        answered = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
        if client_id in beats and beats[client_id] < answered:
            problems.append(
                f"client {client_id}: heartbeat {at} answered, database {beats[client_id]}"
            )

    # H1, one query for all reps.
    by_rep: dict[int, list[PresenceInterval]] = defaultdict(list)
    for interval in (
        PresenceInterval.objects.filter(representative_id__in=result.rep_ids)
        .select_related("status")
        .order_by("representative_id", "start", "pk")
    ):
        by_rep[interval.representative_id].append(interval)
    rows = {
        row.pk: row
        for row in Presence.objects.filter(pk__in=result.rep_ids).select_related(
            "status", "saved_status"
        )
    }
    for rep_id, intervals in by_rep.items():
        for before, after in zip(intervals, intervals[1:], strict=False):
            if before.end is None or before.end != after.start or before.start > before.end:
                problems.append(
                    f"rep {rep_id}: H1 broken between intervals {before.pk} and {after.pk}"
                )
        last, row = intervals[-1], rows.get(rep_id)
        if last.end is not None:
            problems.append(f"rep {rep_id}: H1 no open interval")
        if row is None or (last.status_id, last.source, last.start) != (
            row.status_id,
            row.source,
            row.since,
        ):
            problems.append(f"rep {rep_id}: H1 open interval differs from the presence row")
        if any(i.base_status != i.status.base_status for i in intervals):
            problems.append(f"rep {rep_id}: H1 an interval's base status differs from its status")

    # P4: the engine, given each rep's final state, changes nothing.
    now = timezone.now()
    builtins, _ = load_builtins()
    snapshots = capacity_snapshots(rep_ids=list(rows), now=now)
    for rep_id, row in rows.items():
        decision = engine.decide(
            current=current_presence(row),
            change=engine.Change(engine.Event.SAFETY_NET),
            capacity=snapshots[rep_id],
            builtins=builtins,
        )
        if decision.changed_presence:
            problems.append(
                f"rep {rep_id}: P4 presence {row.status.name} ({row.source}) but the engine "
                f"computes {decision.status.name}"
            )
    return problems
