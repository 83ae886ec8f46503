"""Periodic jobs (api.md "Time and periodic work"). Each is set-based over all affected rows,
idempotent, and safe with two workers at once (rows are claimed with SKIP LOCKED and every
update is conditional on the state it found)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Greatest

from portal import live, periodic
from presence import engine
from presence.models import (
    LIVE_CHANNELS,
    Channel,
    Client,
    Conversation,
    ConversationParticipant,
    ConversationState,
    Event,
    EventPurge,
    Offer,
    OfferState,
    PresenceSource,
    RepresentativePresence,
    Workstream,
    WrapUpPolicy,
)
from presence.reads import capacity_levels, load_builtins

from .events import (
    CAPACITY_CHANGED,
    OFFER_DECIDED,
    capacity_data,
    conversation_events,
    event_record_many,
    offer_row_data,
)
from .transitions import transition
from .webhooks import webhooks_dispatch

S = ConversationState


def offers_expire(*, now: dt.datetime) -> int:
    """V4, P6: pending offers past their timeout are missed; the switch makes the rep Inactive."""
    with transaction.atomic():
        rows = list(
            # The offers only, not the joined conversation and workstream: a workstream is shared
            # by all its conversations (an accept that raced it finds the offer missed, V4).
            Offer.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(state=OfferState.PENDING, expires_at__lte=now)
            .values_list(
                "pk",
                "representative_id",
                "conversation__workstream__missed_makes_inactive",
                "conversation_id",
                "forced",
            )
        )
        if not rows:
            return 0
        Offer.objects.filter(pk__in=[r[0] for r in rows]).update(
            state=OfferState.MISSED, decided_at=now
        )
        live.publish(kind="offer", rep_ids=[r[1] for r in rows])
        switch = {}
        for _, rep_id, on, _, _ in rows:
            switch[rep_id] = switch.get(rep_id, False) or on
        transition(
            rep_ids=switch,
            change=lambda rep_id: engine.Change(engine.Event.MISSED, switch_on=switch[rep_id]),
            now=now,
        )
        event_record_many(
            [
                (OFFER_DECIDED, rep_id, offer_row_data(pk, conv, OfferState.MISSED, forced))
                for pk, rep_id, _, conv, forced in rows
            ],
            now=now,
        )
    return len(rows)


def clients_timeout(*, now: dt.datetime) -> int:
    """S4: clients silent for the heartbeat timeout are gone; reps left without one disconnect."""
    cutoff = now - dt.timedelta(seconds=settings.PRESENCE_HEARTBEAT_TIMEOUT_SECONDS)
    with transaction.atomic():
        rep_ids = set(
            Client.objects.filter(last_heartbeat_at__lt=cutoff).values_list(
                "representative_id", flat=True
            )
        )
        if not rep_ids:
            return 0
        # Lock the reps first so a client connecting now is seen before we decide who has none.
        locked = list(
            RepresentativePresence.objects.select_for_update(skip_locked=True)
            .filter(pk__in=rep_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        Client.objects.filter(representative_id__in=locked, last_heartbeat_at__lt=cutoff).delete()
        alive = set(
            Client.objects.filter(representative_id__in=locked).values_list(
                "representative_id", flat=True
            )
        )
        gone = set(locked) - alive
        transition(rep_ids=gone, change=engine.Change(engine.Event.DISCONNECT), now=now)
    return len(gone)


def grace_expire(*, now: dt.datetime) -> int:
    """S4: after the grace period, live-channel active conversations go back to open; the rep
    stays Offline until a client connects, which is then a sign-in (S1)."""
    cutoff = now - dt.timedelta(seconds=settings.PRESENCE_DISCONNECT_GRACE_SECONDS)
    with transaction.atomic():
        rep_ids = list(
            RepresentativePresence.objects.filter(
                disconnected_at__lte=cutoff, saved_status__isnull=False
            ).values_list("pk", flat=True)
        )
        if not rep_ids:
            return 0
        conversations = list(
            Conversation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                representative_id__in=rep_ids, state=S.ACTIVE, workstream__channel__in=LIVE_CHANNELS
            )
            .order_by("pk")
            .values_list("pk", "representative_id", "workstream_id")
        )
        outcomes = transition(
            rep_ids=rep_ids, change=engine.Change(engine.Event.GRACE_EXPIRED), now=now
        )
        expired = {
            rep_id
            for rep_id, o in outcomes.items()
            if not o.decision.signed_in and o.decision.rule == "S4"
        }
        released = [pk for pk, rep_id, _ in conversations if rep_id in expired]
        _release_to_queue(released, now)
        live.publish(
            kind="conversation",
            rep_ids=[rep_id for _, rep_id, _ in conversations if rep_id in expired],
            queue=bool(released),
        )
        moves = [
            (pk, ws, S.ACTIVE, S.OPEN, rep_id, None)
            for pk, rep_id, ws in conversations
            if rep_id in expired
        ]
        event_record_many(conversation_events(moves, action="grace_expired"), now=now)
    return len(expired)


def _participants_leave(conversation_ids, now: dt.datetime) -> None:
    """Everyone still in these conversations leaves now (never before they joined)."""
    ConversationParticipant.objects.filter(
        conversation_id__in=conversation_ids, left_at__isnull=True
    ).update(left_at=Greatest("joined_at", Value(now)))


def _release_to_queue(conversation_ids, now: dt.datetime) -> None:
    if not conversation_ids:
        return
    Conversation.objects.filter(pk__in=conversation_ids, state=S.ACTIVE).update(
        state=S.OPEN,
        representative=None,
        consumes_capacity=False,
        capacity_release_at=None,
        end_of_day_until=None,
        state_changed_at=now,
        last_activity_at=now,
        is_stuck=False,
    )
    _participants_leave(conversation_ids, now)


def wrap_up_release(*, now: dt.datetime) -> int:
    """K3: a `minutes` wrap-up stops consuming capacity after its minutes; presence recalculated."""
    with transaction.atomic():
        rows = list(
            Conversation.objects.select_for_update(skip_locked=True)
            .filter(capacity_release_at__lte=now, consumes_capacity=True)
            .values_list("pk", "representative_id")
        )
        if not rows:
            return 0
        Conversation.objects.filter(pk__in=[r[0] for r in rows]).update(
            consumes_capacity=False, capacity_release_at=None
        )
        live.publish(kind="capacity", rep_ids=[r[1] for r in rows])
        outcomes = transition(
            rep_ids={r[1] for r in rows}, change=engine.Change(engine.Event.CONVERSATION), now=now
        )
        _capacity_events(outcomes, cause="wrap_up", now=now)
    return len(rows)


def end_of_day_reset(*, now: dt.datetime) -> int:
    """K4: end-of-day work items stop counting at the end of the rep's day; presence recalculated."""
    with transaction.atomic():
        rows = list(
            Conversation.objects.select_for_update(skip_locked=True)
            .filter(end_of_day_until__lte=now)
            .values_list("pk", "representative_id")
        )
        if not rows:
            return 0
        Conversation.objects.filter(pk__in=[r[0] for r in rows]).update(end_of_day_until=None)
        live.publish(kind="capacity", rep_ids=[r[1] for r in rows])
        outcomes = transition(
            rep_ids={r[1] for r in rows if r[1]},
            change=engine.Change(engine.Event.CONVERSATION),
            now=now,
        )
        _capacity_events(outcomes, cause="end_of_day", now=now)
    return len(rows)


def _capacity_events(outcomes, *, cause: str, now: dt.datetime) -> None:
    """Issue 14: each rep's capacity after a change of it (written last in the transaction)."""
    event_record_many(
        [
            (CAPACITY_CHANGED, rep_id, capacity_data(o.capacity, cause=cause))
            for rep_id, o in outcomes.items()
        ],
        now=now,
    )


def conversations_autoclose(*, now: dt.datetime) -> int:
    """V2: idle conversations close by their workstream's times; voice goes active → wrap_up.

    One statement per workstream and state (workstreams are few; conversations are many)."""
    total = 0
    for ws in Workstream.objects.all():
        wrap_up_seconds = ws.autoclose_wrap_up_seconds
        if wrap_up_seconds is not None and ws.wrap_up_policy == WrapUpPolicy.MINUTES:
            wrap_up_seconds = max(
                wrap_up_seconds, ws.wrap_up_minutes * 60
            )  # V2: a longer block time wins
        plan = [
            (S.OPEN, ws.autoclose_open_seconds),
            (S.WRAP_UP, wrap_up_seconds),
            (S.ACTIVE, ws.autoclose_active_seconds),
        ]
        for state, seconds in plan:
            if seconds is None:
                continue
            with transaction.atomic():
                rows = list(
                    Conversation.objects.select_for_update(skip_locked=True)
                    .filter(
                        workstream=ws,
                        state=state,
                        last_activity_at__lte=now - dt.timedelta(seconds=seconds),
                    )
                    .values_list("pk", "representative_id", "consumes_capacity")
                )
                if not rows:
                    continue
                ids = [r[0] for r in rows]
                live.publish(
                    kind="conversation",
                    rep_ids=[r[1] for r in rows],
                    queue=any(r[1] is None for r in rows),
                )
                target = S.CLOSED
                if state == S.ACTIVE and ws.channel == Channel.VOICE:
                    target = S.WRAP_UP
                    _to_wrap_up(ws, ids, now)
                else:
                    Conversation.objects.filter(pk__in=ids, state=state).update(
                        state=S.CLOSED,
                        closed_at=now,
                        state_changed_at=now,
                        consumes_capacity=False,
                        capacity_release_at=None,
                        is_stuck=False,
                    )
                    _participants_leave(ids, now)
                transition(
                    rep_ids={r[1] for r in rows if r[1] and r[2]},
                    change=engine.Change(engine.Event.CONVERSATION),
                    now=now,
                )
                moves = [(pk, ws.pk, state, target, rep, rep) for pk, rep, _ in rows]
                event_record_many(conversation_events(moves, action="autoclose"), now=now)
                total += len(rows)
    return total


def _to_wrap_up(ws: Workstream, ids, now: dt.datetime) -> None:
    """V2 voice: active → wrap_up, with the workstream's wrap-up policy (K3)."""
    extra = {}
    if ws.wrap_up_policy == WrapUpPolicy.NEVER:
        extra = {"consumes_capacity": False}
    elif ws.wrap_up_policy == WrapUpPolicy.MINUTES:
        extra = {"capacity_release_at": now + dt.timedelta(minutes=ws.wrap_up_minutes)}
    Conversation.objects.filter(pk__in=ids, state=S.ACTIVE).update(
        state=S.WRAP_UP,
        wrap_up_at=now,
        state_changed_at=now,
        last_activity_at=now,
        is_stuck=False,
        **extra,
    )


def conversations_flag_stuck(*, now: dt.datetime) -> int:
    """V3: active or wrap-up with no activity for longer than the stuck threshold."""
    cutoff = now - dt.timedelta(seconds=settings.CONVERSATION_STUCK_AFTER_SECONDS)
    return Conversation.objects.filter(
        state__in=[S.ACTIVE, S.WRAP_UP], last_activity_at__lte=cutoff, is_stuck=False
    ).update(is_stuck=True)


def presence_safety_net(*, now: dt.datetime, batch_size: int = 5000) -> int:
    """P4: recalculate every computed presence. Reads everything in a few statements, then writes
    only the reps whose presence is wrong, skipping rows an event holds (it recalculates them)."""
    builtins, _ = load_builtins()
    by_level = {
        engine.Level.NONE: builtins.available.id,
        engine.Level.PARTIAL: builtins.busy.id,
        engine.Level.FULL: builtins.dnd.id,
    }
    current = dict(
        RepresentativePresence.objects.filter(
            source=PresenceSource.CAPACITY, signed_in=True, saved_status__isnull=True
        ).values_list("pk", "status_id")
    )
    levels = capacity_levels(rep_ids=current, now=now)
    wrong = [
        rep_id for rep_id, status_id in current.items() if by_level[levels[rep_id]] != status_id
    ]
    changed = 0
    for start in range(0, len(wrong), batch_size):
        outcomes = _recalculate_batch(wrong[start : start + batch_size], now)
        changed += sum(1 for o in outcomes.values() if o.decision.changed_presence)
    return changed


def _recalculate_batch(rep_ids, now):
    with transaction.atomic():
        return transition(
            rep_ids=rep_ids,
            change=engine.Change(engine.Event.SAFETY_NET),
            now=now,
            skip_locked=True,
        )


def events_purge(*, now: dt.datetime, batch_size: int = 10_000) -> int:
    """Issue 14: events older than EVENTS_RETENTION_DAYS go, oldest first, by id ranges of
    `batch_size` (each its own short transaction); the purge is recorded (EventPurge) so readers
    asking for a purged id are told (the stream's `gap`). Idempotent."""
    cutoff = now - dt.timedelta(days=settings.EVENTS_RETENTION_DAYS)
    first_kept = (
        Event.objects.filter(occurred_at__gte=cutoff).order_by("id").values_list("id", flat=True)
    ).first()
    if first_kept is None:
        # Nothing recent: everything goes. Ids are given in commit order (services.events), so a
        # transaction still writing gets an id above every committed one.
        first_kept = (Event.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    through = first_kept - 1
    start = (
        Event.objects.filter(id__lte=through).order_by("id").values_list("id", flat=True).first()
    )
    if start is None:
        return 0
    deleted = 0
    while start <= through:
        end = min(start + batch_size - 1, through)
        with transaction.atomic():
            deleted += Event.objects.filter(id__gte=start, id__lte=end).delete()[0]
        start = end + 1
    EventPurge.objects.create(through_id=through, deleted=deleted, purged_at=now)
    return deleted


JOBS = {
    "offers_expire": offers_expire,
    "clients_timeout": clients_timeout,
    "grace_expire": grace_expire,
    "wrap_up_release": wrap_up_release,
    "end_of_day_reset": end_of_day_reset,
    "conversations_autoclose": conversations_autoclose,
    "conversations_flag_stuck": conversations_flag_stuck,
    "presence_safety_net": presence_safety_net,
    "events_purge": events_purge,
}
JOBS["webhooks_dispatch"] = webhooks_dispatch  # issue 14: queue the deliveries that are due


def presence_tick(*, now: dt.datetime) -> dict[str, int]:
    """Every periodic job of every app once, in dependency order (what `manage.py
    presence_tick` runs): these, registered by PresenceConfig.ready, then the other apps' (the
    reports' rollup refresh, R4) through portal.periodic."""
    return periodic.run_all(now=now)


__all__ = ["JOBS", "presence_tick", *JOBS]
