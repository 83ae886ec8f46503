"""A supervisor runs the floor (issue 16): assign an open conversation to a rep, transfer an
active one to another rep (P9), release one to the queue; each audited (A4).

V4 and K6 apply to the target rep (allowed base statuses, no blocking profile at its limit);
`force=True` is a supervisor's forced assignment (K5, K6: capacity may go negative), recorded in
the audit row. Scope (A2) is the caller's: the views look the conversation and the target up in
the supervisor's scope before calling here.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from portal.exceptions import Conflict
from presence.models import BaseStatus, Conversation, Representative, RepresentativePresence

from .audit import audit_log
from .conversations import (
    _check_may_receive,
    conversation_assign,
    conversation_release,
    conversation_transfer,
)


def _check_signed_in(representative: Representative) -> None:
    """Even a forced move goes to a rep who is signed in (base status not offline)."""
    signed_in = (
        RepresentativePresence.objects.filter(pk=representative.pk)
        .exclude(status__base_status=BaseStatus.OFFLINE)
        .exists()
    )
    if not signed_in:
        raise Conflict(
            f"{representative.name} is not signed in; only a signed-in representative can take it.",
            extra={"state": "signed_out"},
        )


def _audit(actor, action: str, conversation: Conversation, now: dt.datetime, **after) -> None:
    """The move as the conversation service made it: before (`_before_move`, set when it locked
    the conversation) and after."""
    state, rep_id = conversation._before_move
    audit_log(
        actor=actor,
        action=action,
        obj=conversation,
        before={"state": state, "representative_id": rep_id},
        after={"state": conversation.state, "representative_id": conversation.representative_id}
        | after,
        now=now,
    )


def conversation_assign_by_supervisor(
    *,
    conversation: Conversation,
    representative: Representative,
    actor: AbstractBaseUser,
    force: bool = False,
    now: dt.datetime,
) -> Conversation:
    """V1 open → active for `representative` (V4, K6 unless forced); audited."""
    with transaction.atomic():
        _check_signed_in(representative)
        conversation = conversation_assign(
            conversation=conversation, representative=representative, force=force, now=now
        )
        _audit(actor, "conversation.assign", conversation, now, forced=force)
    return conversation


def conversation_transfer_by_supervisor(
    *,
    conversation: Conversation,
    representative: Representative,
    actor: AbstractBaseUser,
    force: bool = False,
    now: dt.datetime,
) -> Conversation:
    """P9: the first rep's capacity is released, the second's used (V4, K6 unless forced); both
    recalculated; audited."""
    with transaction.atomic():
        _check_signed_in(representative)
        _check_may_receive(conversation, representative, force=force, now=now)
        conversation = conversation_transfer(
            conversation=conversation, representative=representative, now=now
        )
        _audit(actor, "conversation.transfer", conversation, now, forced=force)
    return conversation


def conversation_release_by_supervisor(
    *, conversation: Conversation, actor: AbstractBaseUser, now: dt.datetime
) -> Conversation:
    """V1 active → open: back to the queue, the rep's capacity released and recalculated; audited."""
    with transaction.atomic():
        conversation = conversation_release(conversation=conversation, now=now)
        _audit(actor, "conversation.release", conversation, now)
    return conversation
