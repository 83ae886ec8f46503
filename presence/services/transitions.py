"""The one place presence is written: lock rows, ask the engine, write presence and history (H1).

Single events and set-based jobs share it: a job passes many reps and gets a few statements,
never one transaction per rep. Callers hold a transaction and lock conversations *before*
calling this (lock order: conversations, then presence rows by rep id), so there are no deadlocks.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Greatest

from presence import engine
from presence.models import (
    PresenceInterval,
    PresenceSource,
    PresenceStatus,
    Representative,
    RepresentativePresence,
)

from .audit import audit_entry
from .capacity import capacity_snapshots


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


def load_builtins() -> tuple[engine.Builtins, dict[int, PresenceStatus]]:
    statuses = {s.builtin_key: s for s in PresenceStatus.objects.filter(builtin_key__isnull=False)}
    refs = engine.Builtins(
        available=status_ref(statuses["available"]),
        busy=status_ref(statuses["busy"]),
        dnd=status_ref(statuses["dnd"]),
        offline=status_ref(statuses["offline"]),
        inactive=status_ref(statuses["inactive"]),
    )
    return refs, {s.pk: s for s in statuses.values()}


def ensure_presence_rows(*, rep_ids: Iterable[int], now: dt.datetime) -> None:
    """Reps that never signed in get an Offline row without history (H1 starts at first sign-in)."""
    rep_ids = set(rep_ids)
    missing = rep_ids - set(
        RepresentativePresence.objects.filter(pk__in=rep_ids).values_list("pk", flat=True)
    )
    if missing:
        offline = PresenceStatus.objects.get(builtin_key="offline")
        RepresentativePresence.objects.bulk_create(
            [
                RepresentativePresence(
                    representative_id=pk, status=offline, source=PresenceSource.SIGN_OUT, since=now
                )
                for pk in missing
            ],
            ignore_conflicts=True,
        )


def current_presence(row: RepresentativePresence) -> engine.Presence:
    return engine.Presence(
        status=status_ref(row.status),
        source=row.source,
        signed_in=row.signed_in,
        saved_status=status_ref(row.saved_status) if row.saved_status_id else None,
        saved_source=row.saved_source,
    )


ChangeFor = engine.Change | Callable[[int], engine.Change]


def transition(
    *,
    rep_ids: Iterable[int],
    change: ChangeFor,
    now: dt.datetime,
    actor: AbstractBaseUser | None = None,
    audit_action: str = "",
    skip_locked: bool = False,
) -> dict[int, engine.Decision]:
    """Apply `change` (one for all, or a function of the rep id) to each rep; return the decisions.

    Must run inside transaction.atomic(). With skip_locked, reps whose row another event holds are
    left out: that event recalculates them itself (used by the periodic safety net).
    Raises what the engine raises (Conflict, ValidationFailed); the caller's transaction then
    rolls back, so nothing is written.
    """
    assert transaction.get_connection().in_atomic_block, "transition() needs transaction.atomic()"
    rep_ids = sorted(set(rep_ids))
    if not rep_ids:
        return {}
    ensure_presence_rows(rep_ids=rep_ids, now=now)
    # Lock without joins: PostgreSQL rechecks a join against the old joined row when the locked
    # row changed meanwhile, and would silently drop it. Then read the locked rows with joins.
    locked = list(
        RepresentativePresence.objects.select_for_update(skip_locked=skip_locked)
        .filter(pk__in=rep_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not locked:
        return {}
    rows = list(
        RepresentativePresence.objects.filter(pk__in=locked)
        .select_related("status", "saved_status", "representative")
        .order_by("pk")
    )
    builtins, builtin_rows = load_builtins()
    snapshots = capacity_snapshots(
        representatives=Representative.objects.filter(pk__in=[r.pk for r in rows]), now=now
    )
    decisions = {}
    for row in rows:
        one = change(row.pk) if callable(change) else change
        decisions[row.pk] = engine.decide(
            current=current_presence(row), change=one, capacity=snapshots[row.pk], builtins=builtins
        )
    _write(
        rows, decisions, now=now, actor=actor, audit_action=audit_action, builtin_rows=builtin_rows
    )
    return decisions


_PRESENCE_FIELDS = (
    "status_id",
    "source",
    "since",
    "signed_in",
    "signed_in_at",
    "saved_status_id",
    "saved_source",
    "disconnected_at",
)


def _write(rows, decisions, *, now, actor, audit_action, builtin_rows) -> None:
    changed_rows, touched_rows, new_intervals, audits = [], [], [], []
    for row in rows:
        decision = decisions[row.pk]
        before = (row.status_id, row.source, row.signed_in, row.saved_status_id, row.saved_source)
        after = (
            decision.status.id,
            decision.source,
            decision.signed_in,
            decision.saved_status.id if decision.saved_status else None,
            decision.saved_source,
        )
        if before == after:
            continue
        at = max(now, row.since)  # a late event never ends an interval before it starts (H1)
        if decision.changed_presence:
            changed_rows.append(row)
            new_intervals.append(
                PresenceInterval(
                    representative_id=row.pk,
                    status_id=decision.status.id,
                    base_status=decision.status.base_status,
                    source=decision.source,
                    actor=actor,
                    start=at,
                )
            )
            if audit_action:
                old_text = row.status.name
                audits.append(
                    audit_entry(
                        actor=actor,
                        action=audit_action,
                        obj=row.representative,
                        before={"status": old_text, "source": row.source},
                        after={"status": decision.status.name, "source": decision.source},
                        now=now,
                    )
                )
            row.status_id, row.source, row.since = decision.status.id, decision.source, at
        if decision.signed_in and not row.signed_in:
            row.signed_in_at = at
        row.signed_in = decision.signed_in
        row.saved_status_id = decision.saved_status.id if decision.saved_status else None
        row.saved_source = decision.saved_source
        if decision.source == PresenceSource.DISCONNECT and row.saved_status_id:
            row.disconnected_at = row.disconnected_at if not decision.changed_presence else at
        else:
            row.disconnected_at = None
        touched_rows.append(row)
    if changed_rows:
        # H1: close each open interval and open the next one in the same transaction.
        PresenceInterval.objects.filter(
            representative_id__in=[r.pk for r in changed_rows], end__isnull=True
        ).update(end=Greatest("start", Value(now)))
        PresenceInterval.objects.bulk_create(new_intervals, batch_size=2000)
    # Rows that get the same values are updated by one statement: a job touching thousands of
    # reps issues a handful of UPDATEs (bulk_update's CASE per row is quadratic to compile).
    groups = defaultdict(list)
    for row in touched_rows:
        groups[tuple((name, getattr(row, name)) for name in _PRESENCE_FIELDS)].append(row.pk)
    for values, pks in groups.items():
        RepresentativePresence.objects.filter(pk__in=pks).update(**dict(values), updated_at=now)
    if audits:
        audits[0].__class__.objects.bulk_create(audits, batch_size=2000)
