"""The one place presence is written: lock rows, ask the engine, write presence and history (H1).

Single events and set-based jobs share it: a job passes many reps and gets a few statements,
never one transaction per rep. Callers hold a transaction and lock conversations *before*
calling this (lock order: conversations, then presence rows by rep id, then the event log's lock,
taken by the events this writes last: docs/events.md), so there are no deadlocks.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Greatest

from portal import live
from portal.statements import Statement
from presence import engine
from presence.models import (
    PresenceInterval,
    PresenceSource,
    PresenceStatus,
    Representative,
    RepresentativePresence,
)
from presence.reads import (
    Outcome,
    builtins_of,
    capacity_snapshots,
    status_refs,
)

from .audit import audit_bulk_create, audit_entry
from .events import PRESENCE_CHANGED, event_record_many, status_data


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


ChangeFor = engine.Change | Callable[[int], engine.Change]


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


_LOCKED_COLUMNS = ("pk", *_PRESENCE_FIELDS)


def _lock(*, skip_locked: bool) -> Statement:
    return Statement(
        lambda *, ids: (
            RepresentativePresence.objects.select_for_update(skip_locked=skip_locked)
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list(*_LOCKED_COLUMNS)
        )
    )


_LOCK, _LOCK_SKIPPING = _lock(skip_locked=False), _lock(skip_locked=True)


def presence_lock(
    *, rep_ids: Iterable[int], now: dt.datetime, skip_locked: bool = False
) -> list[dict]:
    """Lock the reps' presence rows in rep id order (a missing row is made first) and return them.

    transition() starts here; a service that writes other rows of the rep before the transition
    (the clients of client_connect, representative_sign_out) calls it first, so that those rows
    are written under the presence lock and before the event log's lock (docs/events.md,
    "Ordering"). Locking again in the same transaction costs one statement and waits for nothing.
    """
    assert transaction.get_connection().in_atomic_block, (
        "presence rows lock in transaction.atomic()"
    )
    rep_ids = sorted(set(rep_ids))
    if not rep_ids:
        return []
    # Lock and read in one statement without joins: PostgreSQL rechecks a join against the old
    # joined row when the locked row changed meanwhile, and would silently drop it; a plain row
    # comes back as the version committed by whoever held the lock.
    lock = _LOCK_SKIPPING if skip_locked else _LOCK
    rows = lock.rows(ids=rep_ids)
    if not skip_locked and len(rows) < len(rep_ids):
        ensure_presence_rows(rep_ids=set(rep_ids) - {row[0] for row in rows}, now=now)
        rows = lock.rows(ids=rep_ids)
    return [dict(zip(_LOCKED_COLUMNS, row, strict=True)) for row in rows]


def transition(
    *,
    rep_ids: Iterable[int],
    change: ChangeFor,
    now: dt.datetime,
    actor: AbstractBaseUser | None = None,
    audit_action: str = "",
    skip_locked: bool = False,
    known: Iterable[Representative] = (),
) -> dict[int, Outcome]:
    """Apply `change` (one for all, or a function of the rep id) to each rep; return the outcomes.

    Must run inside transaction.atomic(). With skip_locked, reps whose row another event holds are
    left out: that event recalculates them itself (used by the periodic safety net).
    Raises what the engine raises (Conflict, ValidationFailed); the caller's transaction then
    rolls back, so nothing is written. `known`: rep objects the caller has already loaded (the
    audit names them without reading them again).
    """
    rows = presence_lock(rep_ids=rep_ids, now=now, skip_locked=skip_locked)
    if not rows:
        return {}
    locked = [row["pk"] for row in rows]
    refs = status_refs()
    builtins = builtins_of(refs.values())
    snapshots = capacity_snapshots(rep_ids=locked, now=now)
    decisions = {}
    for row in rows:
        current = engine.Presence(
            status=refs[row["status_id"]],
            source=row["source"],
            signed_in=row["signed_in"],
            saved_status=refs.get(row["saved_status_id"]),
            saved_source=row["saved_source"],
        )
        one = change(row["pk"]) if callable(change) else change
        decisions[row["pk"]] = engine.decide(
            current=current, change=one, capacity=snapshots[row["pk"]], builtins=builtins
        )
    since = _write(
        rows, decisions, refs, now=now, actor=actor, audit_action=audit_action, known=known
    )
    return {pk: Outcome(decision, since[pk], snapshots[pk]) for pk, decision in decisions.items()}


def _write(rows, decisions, refs, *, now, actor, audit_action, known) -> dict[int, dt.datetime]:
    """Presence rows, history (H1) and audit (A4) for every rep whose state changed, announced to the
    live streams after commit; returns each rep's `since` afterwards."""
    closed, new_intervals, audits, events = [], [], [], []
    since = {row["pk"]: row["since"] for row in rows}
    groups = defaultdict(list)
    reps = {}
    if audit_action:
        reps = {rep.pk: rep for rep in known}
        missing = [row["pk"] for row in rows if row["pk"] not in reps]
        reps.update(Representative.objects.in_bulk(missing) if missing else {})
    for row in rows:
        d = decisions[row["pk"]]
        saved_id = d.saved_status.id if d.saved_status else None
        before = (
            row["status_id"],
            row["source"],
            row["signed_in"],
            row["saved_status_id"],
            row["saved_source"],
        )
        if before == (d.status.id, d.source, d.signed_in, saved_id, d.saved_source):
            continue
        at = max(now, row["since"])  # a late event never ends an interval before it starts (H1)
        new = dict(
            row, signed_in=d.signed_in, saved_status_id=saved_id, saved_source=d.saved_source
        )
        if d.changed_presence:
            new.update(status_id=d.status.id, source=d.source, since=at)
            since[row["pk"]] = at
            closed.append(row["pk"])
            new_intervals.append(
                PresenceInterval(
                    representative_id=row["pk"],
                    status_id=d.status.id,
                    base_status=d.status.base_status,
                    source=d.source,
                    actor=actor,
                    start=at,
                )
            )
            if audit_action:
                audits.append(
                    audit_entry(
                        actor=actor,
                        action=audit_action,
                        obj=reps[row["pk"]],
                        before={"status": refs[row["status_id"]].name, "source": row["source"]},
                        after={"status": d.status.name, "source": d.source},
                        now=now,
                    )
                )
        if d.signed_in and not row["signed_in"]:
            new["signed_in_at"] = at
        if not (d.source == PresenceSource.DISCONNECT and saved_id):
            new["disconnected_at"] = None
        elif d.changed_presence:
            new["disconnected_at"] = at  # S4: the grace period starts now
        groups[tuple((name, new[name]) for name in _PRESENCE_FIELDS)].append(row["pk"])
        events.append(
            (
                PRESENCE_CHANGED,
                row["pk"],
                {
                    "status": status_data(d.status),
                    "source": d.source,
                    "reason": d.reason,
                    "since": new["since"],
                    "signed_in": d.signed_in,
                    "previous": {
                        "status": status_data(refs[row["status_id"]]),
                        "source": row["source"],
                        "since": row["since"],
                    },
                },
            )
        )
    if closed:
        # H1: close each open interval and open the next one in the same transaction.
        PresenceInterval.objects.filter(representative_id__in=closed, end__isnull=True).update(
            end=Greatest("start", Value(now))
        )
        PresenceInterval.objects.bulk_create(new_intervals, batch_size=2000)
    # Rows that get the same values are updated by one statement: a job touching thousands of
    # reps issues a handful of UPDATEs (bulk_update's CASE per row is quadratic to compile).
    for values, pks in groups.items():
        RepresentativePresence.objects.filter(pk__in=pks).update(**dict(values), updated_at=now)
    if audits:
        audit_bulk_create(audits, batch_size=2000)
    # Issue 14: the event log, last (it holds the log's lock until commit), one statement per
    # 1,000 changes.
    event_record_many(events, now=now)
    if groups:
        # Issue 13: the streams hear of it after commit, never of a change that rolled back.
        live.publish(kind="presence", rep_ids=[pk for pks in groups.values() for pk in pks])
    return since
