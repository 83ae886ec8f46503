"""Offers (V4, P6): a pending offer of an open conversation to one rep, accepted or rejected.
Each locks the conversation first (conversations._locked), then the offer."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from portal import live
from portal.exceptions import Conflict
from portal.statements import Instances
from presence import engine
from presence.models import Conversation, Offer, OfferState, Representative

from .conversations import (
    S,
    _check_may_receive,
    _locked,
    _move,
    _recalculate,
    _record_move,
    _set_state,
    _take,
)
from .events import OFFER_DECIDED, event_record, offer_data
from .transitions import transition


def offer_create(
    *,
    conversation: Conversation,
    representative: Representative,
    force: bool = False,
    now: dt.datetime,
) -> Offer:
    """V4: a pending offer with the workstream's timeout."""
    with transaction.atomic():
        conversation, now = _locked(conversation, now)
        if conversation.state != S.OPEN:
            raise Conflict(
                f"Only open conversations can be offered; it is {conversation.state}.",
                extra={"state": conversation.state},
            )
        if conversation.offers.filter(state=OfferState.PENDING).exists():
            raise Conflict(
                "The conversation already has a pending offer.", extra={"state": "offered"}
            )
        _check_may_receive(conversation, representative, force=force, now=now)
        live.publish(kind="offer", rep_ids=[representative.pk])
        return Offer.objects.create(
            conversation=conversation,
            representative=representative,
            forced=force,
            created_at=now,
            expires_at=now + dt.timedelta(seconds=conversation.workstream.offer_timeout_seconds),
        )


_LOCK = Instances(  # every answer to an offer starts here (issue 13: built once)
    lambda *, pk: Offer.objects.select_for_update(of=("self",)).filter(pk=pk),
    related=("representative",),
)


def _pending(offer: Offer, now: dt.datetime) -> Offer:
    offer = _LOCK.first(pk=offer.pk)
    if offer is None:
        raise Offer.DoesNotExist
    if offer.state != OfferState.PENDING:
        raise Conflict(f"The offer is {offer.state}.", extra={"state": offer.state})
    if offer.expires_at <= now:
        raise Conflict("The offer expired; it counts as missed.", extra={"state": "expired"})
    live.publish(kind="offer", rep_ids=[offer.representative_id])
    return offer


def offer_accept(*, offer: Offer, now: dt.datetime) -> Offer:
    """V4: accept → active for the offered rep; returns the offer, with its conversation."""
    with transaction.atomic():
        conversation, now = _locked(offer.conversation, now)
        offer = _pending(offer, now)
        _set_state(conversation, _move(conversation, "assign"), now)
        _take(conversation, offer.representative, now)
        conversation.save()
        offer.state, offer.decided_at = OfferState.ACCEPTED, now
        offer.save(update_fields=["state", "decided_at"])
        _recalculate([offer.representative_id], now)
        _record_move(conversation, "offer_accept", now)
        event_record(OFFER_DECIDED, rep_id=offer.representative_id, data=offer_data(offer), now=now)
    offer.conversation = conversation
    return offer


def offer_reject(*, offer: Offer, now: dt.datetime) -> Offer:
    """V4, P6: the conversation stays open; with the switch on, the rep becomes Do not disturb.
    Returns the offer, with its conversation."""
    with transaction.atomic():
        conversation, now = _locked(offer.conversation, now)
        offer = _pending(offer, now)
        offer.state, offer.decided_at = OfferState.REJECTED, now
        offer.save(update_fields=["state", "decided_at"])
        transition(
            rep_ids=[offer.representative_id],
            change=engine.Change(
                engine.Event.REJECTED, switch_on=conversation.workstream.reject_makes_dnd
            ),
            now=now,
        )
        event_record(OFFER_DECIDED, rep_id=offer.representative_id, data=offer_data(offer), now=now)
    offer.conversation = conversation
    return offer
