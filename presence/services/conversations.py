"""Conversation events (V1-V3, K3-K6, P8, P9): move the conversation, then recalculate (P4).
Offers (V4, P6) are offers.py, with the moves and checks defined here.

Each service locks the conversation first, then the reps' presence rows (transitions.transition).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from portal import live
from portal.exceptions import Conflict, ValidationFailed
from portal.statements import Instances, Statement
from presence import engine
from presence.models import (
    Channel,
    Conversation,
    ConversationParticipant,
    ConversationState,
    Offer,
    OfferState,
    ParticipantRole,
    Representative,
    RepresentativePresence,
    ResetFrequency,
    Workstream,
    WrapUpPolicy,
)
from presence.reads import capacity_snapshot

from .audit import audit_log
from .capacity import end_of_rep_day
from .events import conversation_events, event_record_many
from .transitions import transition

S = ConversationState
# V1: the allowed moves, by action.
MOVES = {
    "assign": {S.OPEN: S.ACTIVE},
    "end": {S.ACTIVE: S.WRAP_UP},
    "close": {S.OPEN: S.CLOSED, S.ACTIVE: S.CLOSED, S.WAITING: S.CLOSED, S.WRAP_UP: S.CLOSED},
    "release": {S.ACTIVE: S.OPEN},
    "wait": {S.ACTIVE: S.WAITING},
    "revive_representative": {S.WAITING: S.ACTIVE},
    "revive_customer": {S.WAITING: S.OPEN},
    "transfer": {S.ACTIVE: S.ACTIVE},
    "force_close": {S.OPEN: S.CLOSED, S.ACTIVE: S.CLOSED, S.WAITING: S.CLOSED, S.WRAP_UP: S.CLOSED},
}
ASYNC_CHANNELS = (Channel.SMS, Channel.EMAIL, Channel.SOCIAL, Channel.PERSISTENT_CHAT)


_LOCK = Instances(  # every move of every conversation starts here (issue 13: built once)
    lambda *, pk: Conversation.objects.select_for_update(of=("self",)).filter(pk=pk),
    related=("workstream", "workstream__capacity_profile"),  # not locked: a workstream is shared
)


def _locked(conversation: Conversation, now: dt.datetime) -> tuple[Conversation, dt.datetime]:
    """Lock the conversation. A request that waited for the lock with an earlier clock acts at the
    conversation's last activity, so no state or participation ends before it began.
    Every move starts here, so here it is announced to the live streams (issue 13)."""
    conversation = _LOCK.first(pk=conversation.pk)
    if conversation is None:
        raise Conversation.DoesNotExist
    _announce(conversation)
    conversation._before_move = (conversation.state, conversation.representative_id)
    return conversation, max(now, conversation.last_activity_at)


def _announce(conversation: Conversation) -> None:
    """After commit: the rep who had the conversation and the one who has it now (the service
    changes the object in place); the queue when it has, or had, no rep."""
    before = conversation.representative_id
    live.publish(
        kind="conversation",
        rep_ids=lambda: {before, conversation.representative_id},
        queue=lambda: before is None or conversation.representative_id is None,
    )


def _record_move(conversation: Conversation, action: str, now: dt.datetime) -> None:
    """Issue 14: the move's event, written last in the transaction (after the recalculation:
    the event log's lock comes after every row lock, docs/events.md)."""
    state, rep_id = getattr(conversation, "_before_move", (None, None))
    moves = [
        (
            conversation.pk,
            conversation.workstream_id,
            state,
            conversation.state,
            rep_id,
            conversation.representative_id,
        )
    ]
    event_record_many(conversation_events(moves, action=action), now=now)


def _move(conversation: Conversation, action: str) -> ConversationState:
    """V1: the target state, or Conflict naming the current state."""
    target = MOVES[action].get(conversation.state)
    if target is None:
        raise Conflict(
            f"Cannot {action.replace('_', ' ')} conversation {conversation.pk}: it is {conversation.state}.",
            extra={"state": conversation.state},
        )
    return target


def _set_state(conversation: Conversation, state: ConversationState, now: dt.datetime) -> None:
    conversation.state = state
    conversation.state_changed_at = now
    conversation.last_activity_at = now
    conversation.is_stuck = False
    stamp = {
        S.ACTIVE: "activated_at",
        S.WAITING: "waiting_at",
        S.WRAP_UP: "wrap_up_at",
        S.CLOSED: "closed_at",
    }
    if state in stamp:
        setattr(conversation, stamp[state], now)


def _take(conversation: Conversation, rep: Representative, now: dt.datetime) -> None:
    """The rep's capacity starts being used (K1-K4)."""
    ws = conversation.workstream
    conversation.representative = rep
    conversation.consumes_capacity = True
    conversation.capacity_release_at = None
    conversation.units = ws.units_per_conversation
    conversation.capacity_profile_id = ws.capacity_profile_id
    if ws.capacity_profile_id and ws.capacity_profile.reset_frequency == ResetFrequency.END_OF_DAY:
        conversation.end_of_day_until = conversation.end_of_day_until or end_of_rep_day(
            timezone_name=rep.timezone, now=now
        )
    # The conversation is locked, so nobody adds the participant between the check and the insert.
    primary = {"conversation": conversation, "representative": rep, "role": ParticipantRole.PRIMARY}
    if not ConversationParticipant.objects.filter(**primary, left_at=None).exists():
        ConversationParticipant.objects.create(**primary, joined_at=now)


def _drop(
    conversation: Conversation, now: dt.datetime, *, keep_end_of_day: bool = False
) -> int | None:
    """The rep's capacity is released; returns the rep id that lost it."""
    rep_id = conversation.representative_id
    conversation.consumes_capacity = False
    conversation.capacity_release_at = None
    if not keep_end_of_day:
        conversation.end_of_day_until = None  # K4 applies to the rep who keeps the conversation
        conversation.representative = None
        ConversationParticipant.objects.filter(
            conversation=conversation, role=ParticipantRole.PRIMARY, left_at__isnull=True
        ).update(left_at=now)
    return rep_id


def _recalculate(rep_ids, now: dt.datetime) -> None:
    transition(
        rep_ids=[r for r in rep_ids if r], change=engine.Change(engine.Event.CONVERSATION), now=now
    )


_BASE_STATUS = Statement(
    lambda *, pk: RepresentativePresence.objects.filter(pk=pk).values_list("status__base_status")
)


def _check_may_receive(
    conversation: Conversation, rep: Representative, *, force: bool, now: dt.datetime
) -> None:
    """V4, K6: allowed presence and no blocking profile at its limit, unless a supervisor forces it.
    A deactivated rep is never given work, not even forced (issue 15)."""
    if not rep.is_active:
        raise Conflict(
            f"{rep.name} is deactivated and cannot be given work.", extra={"state": "deactivated"}
        )
    if force:
        return
    rows = _BASE_STATUS.rows(pk=rep.pk)
    base = rows[0][0] if rows else "offline"
    allowed = conversation.workstream.allowed_base_statuses
    if base not in allowed:
        raise Conflict(
            f"{rep.name} is {base}; workstream {conversation.workstream.name} only routes to {', '.join(allowed)}.",
            extra={"state": base},
        )
    blocking = capacity_snapshot(representative_id=rep.pk, now=now).blocking_full
    if blocking:
        names = ", ".join(f"{p.name} ({p.used} of {p.limit})" for p in blocking)
        raise Conflict(
            f"Blocking capacity profile at its limit: {names}.", extra={"state": "capacity_blocked"}
        )


def _cancel_pending_offers(conversation: Conversation, now: dt.datetime) -> None:
    """The conversation was assigned or closed another way: its pending offer is void."""
    Offer.objects.filter(conversation=conversation, state=OfferState.PENDING).update(
        state=OfferState.CANCELLED, decided_at=now
    )


def conversation_create(
    *, workstream: Workstream, external_id: str | None = None, now: dt.datetime
) -> Conversation:
    if external_id and Conversation.objects.filter(external_id=external_id).exists():
        raise Conflict(
            f"A conversation with external_id {external_id!r} exists.", extra={"state": "exists"}
        )
    with transaction.atomic():
        conversation = Conversation.objects.create(
            workstream=workstream,
            external_id=external_id or None,
            created_at=now,
            state_changed_at=now,
            last_activity_at=now,
        )
        live.publish(kind="conversation", queue=True)  # a new conversation waits in the queue
        _record_move(conversation, "create", now)
    return conversation


def conversation_assign(
    *,
    conversation: Conversation,
    representative: Representative,
    force: bool = False,
    now: dt.datetime,
) -> Conversation:
    """V1: open → active without an offer (pick, push, or a supervisor's forced assignment)."""
    with transaction.atomic():
        conversation, now = _locked(conversation, now)
        target = _move(conversation, "assign")
        _check_may_receive(conversation, representative, force=force, now=now)
        _cancel_pending_offers(conversation, now)
        _set_state(conversation, target, now)
        _take(conversation, representative, now)
        conversation.save()
        _recalculate([representative.pk], now)
        _record_move(conversation, "assign", now)
    return conversation


def conversation_end(*, conversation: Conversation, now: dt.datetime) -> Conversation:
    """V1 active → wrap_up; K3: the workstream's wrap-up policy decides what is released."""
    with transaction.atomic():
        conversation, now = _locked(conversation, now)
        _set_state(conversation, _move(conversation, "end"), now)
        ws = conversation.workstream
        released = False
        if ws.wrap_up_policy == WrapUpPolicy.NEVER:
            conversation.consumes_capacity = False
            released = True
        elif ws.wrap_up_policy == WrapUpPolicy.MINUTES:
            conversation.capacity_release_at = now + dt.timedelta(minutes=ws.wrap_up_minutes)
        conversation.save()
        if released:
            _recalculate([conversation.representative_id], now)
        _record_move(conversation, "end", now)
    return conversation


def conversation_close(*, conversation: Conversation, now: dt.datetime) -> Conversation:
    """V1 → closed. K4: an end-of-day work item still counts until the end of the rep's day."""
    with transaction.atomic():
        conversation, now = _locked(conversation, now)
        _set_state(conversation, _move(conversation, "close"), now)
        had_capacity = conversation.consumes_capacity
        rep_id = _drop(conversation, now, keep_end_of_day=True)
        ConversationParticipant.objects.filter(
            conversation=conversation, left_at__isnull=True
        ).update(left_at=now)
        conversation.save()
        if had_capacity:
            _recalculate([rep_id], now)
        _record_move(conversation, "close", now)
    return conversation


def conversation_release(*, conversation: Conversation, now: dt.datetime) -> Conversation:
    """V1 active → open: back to the queue, capacity released."""
    with transaction.atomic():
        conversation, now = _locked(conversation, now)
        _set_state(conversation, _move(conversation, "release"), now)
        rep_id = _drop(conversation, now)
        conversation.save()
        _recalculate([rep_id], now)
        _record_move(conversation, "release", now)
    return conversation


def conversation_wait(*, conversation: Conversation, now: dt.datetime) -> Conversation:
    """V1 active → waiting, async channels only; waiting uses nothing (K3)."""
    with transaction.atomic():
        conversation, now = _locked(conversation, now)
        target = _move(conversation, "wait")
        if conversation.workstream.channel not in ASYNC_CHANNELS:
            raise Conflict(
                f"Only async channels can wait; this is {conversation.workstream.channel}.",
                extra={"state": conversation.state},
            )
        _set_state(conversation, target, now)
        rep_id = _drop(conversation, now, keep_end_of_day=True)
        conversation.save()
        _recalculate([rep_id], now)
        _record_move(conversation, "wait", now)
    return conversation


def conversation_revive(*, conversation: Conversation, by: str, now: dt.datetime) -> Conversation:
    """V1 waiting → active (the rep revives it) or → open (the customer does)."""
    if by not in ("representative", "customer"):
        raise ValidationFailed('"by" must be "representative" or "customer".', field="by")
    with transaction.atomic():
        conversation, now = _locked(conversation, now)
        if by == "representative":
            _set_state(conversation, _move(conversation, "revive_representative"), now)
            _take(conversation, conversation.representative, now)
        else:
            _set_state(conversation, _move(conversation, "revive_customer"), now)
            _drop(conversation, now)
        rep_id = conversation.representative_id
        conversation.save()
        _recalculate([rep_id], now)
        _record_move(conversation, "revive", now)
    return conversation


def conversation_transfer(
    *, conversation: Conversation, representative: Representative, now: dt.datetime
) -> Conversation:
    """P9: the first rep's capacity is released, the second's used; both recalculated."""
    with transaction.atomic():
        conversation, now = _locked(conversation, now)
        _set_state(conversation, _move(conversation, "transfer"), now)
        if conversation.representative_id == representative.pk:
            raise Conflict(
                "The conversation is already this representative's.",
                extra={"state": conversation.state},
            )
        first = _drop(conversation, now)
        _take(conversation, representative, now)
        conversation.save()
        _recalculate([first, representative.pk], now)
        _record_move(conversation, "transfer", now)
    return conversation


def conversation_consult(
    *, conversation: Conversation, representative: Representative, now: dt.datetime
) -> ConversationParticipant:
    """P8: a consultant joins; neither their presence nor their capacity changes."""
    with transaction.atomic():
        conversation, now = _locked(conversation, now)
        if conversation.state not in (S.ACTIVE, S.WRAP_UP):
            raise Conflict(
                f"Only active conversations take a consultant; it is {conversation.state}.",
                extra={"state": conversation.state},
            )
        if conversation.representative_id == representative.pk:
            raise Conflict(
                "The primary representative cannot consult on their own conversation.",
                extra={"state": conversation.state},
            )
        conversation.last_activity_at = now
        conversation.save(update_fields=["last_activity_at"])
        return ConversationParticipant.objects.create(
            conversation=conversation,
            representative=representative,
            role=ParticipantRole.CONSULT,
            joined_at=now,
        )


def conversation_force_close(
    *, conversation: Conversation, actor: AbstractBaseUser | None, now: dt.datetime
) -> Conversation:
    """V3: closes from open, active, wrap_up or waiting; releases capacity at once (K4 included)."""
    with transaction.atomic():
        conversation, now = _locked(conversation, now)
        before = conversation.state
        _set_state(conversation, _move(conversation, "force_close"), now)
        conversation.closed_by_force = True
        rep_id = conversation.representative_id
        conversation.consumes_capacity = False
        conversation.capacity_release_at = None
        conversation.end_of_day_until = None
        ConversationParticipant.objects.filter(
            conversation=conversation, left_at__isnull=True
        ).update(left_at=now)
        _cancel_pending_offers(conversation, now)
        conversation.save()
        _recalculate([rep_id], now)
        audit_log(
            actor=actor,
            action="conversation.force_close",
            obj=conversation,
            before={"state": before},
            after={"state": S.CLOSED},
            now=now,
        )
        _record_move(conversation, "force_close", now)
    return conversation
