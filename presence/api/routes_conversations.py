"""Conversations (api.md "Conversations"): routing events, V1-V4, P6, P8, P9.

A move that V1 does not allow is the services' Conflict: 409 with the current state.
"""

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status

from portal.statements import Instances
from presence import selectors, services
from presence.models import Conversation, ConversationParticipant, Offer, Workstream

from . import access
from .access import FORCE_CLOSE, MANAGE
from .schemas import (
    AssignIn,
    ConversationIn,
    ConversationOut,
    Error,
    OfferIn,
    OfferOut,
    RepresentativeRefIn,
    ReviveIn,
)

router = Router(tags=["conversations"])
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error}


_PARTICIPANTS = Instances(
    lambda *, pk: ConversationParticipant.objects.filter(conversation_id=pk).order_by(
        "joined_at", "pk"
    )
)


def _answer(conversation: Conversation) -> Conversation:
    """The conversation as the service left it (saved), with its participants: one statement,
    built once per process (every routing call answers with it, issue 13)."""
    conversation.participants_in_order = _PARTICIPANTS.all(pk=conversation.pk)
    return conversation


def _offer_out(offer: Offer) -> Offer:
    _answer(offer.conversation)
    return offer


@router.post("/conversations", response={201: ConversationOut, **ERRORS})
def conversation_create(request: HttpRequest, payload: ConversationIn):
    """A new open conversation (V1)."""
    access.require(request, MANAGE, also=access.CONFIGURE)
    workstream = access.get_or_400(Workstream, payload.workstream_id, "workstream", "workstream_id")
    conversation = services.conversation_create(
        workstream=workstream, external_id=payload.external_id, now=timezone.now()
    )
    return Status(201, _answer(conversation))


@router.get("/conversations/{int:id}", response={200: ConversationOut, **ERRORS})
def conversation_detail(request: HttpRequest, id: int):
    user = request.auth
    conversation = access.get_or_404(
        Conversation,
        id,
        "conversation that you can see",
        selectors.conversations_visible_to(user=user).prefetch_related("participants"),
    )
    own = conversation.representative_id is not None and (
        conversation.representative.user_id == user.pk
    )
    if not own:
        access.require(request, MANAGE, also=access.CONFIGURE)
    return conversation


@router.post("/conversations/{int:id}/offers", response={201: OfferOut, **ERRORS})
def offer_create(request: HttpRequest, id: int, payload: OfferIn):
    """V4: a pending offer with the workstream's timeout. 409 when the rep's presence is not
    allowed by the workstream or a blocking profile is at its limit (K6), naming why."""
    conversation = access.conversation(request, id)
    rep = access.representative_in_body(request, payload.representative_id, "representative_id")
    offer = services.offer_create(
        conversation=conversation, representative=rep, force=payload.force, now=timezone.now()
    )
    return Status(201, _offer_out(offer))


@router.post("/offers/{int:id}/accept", response={200: OfferOut, **ERRORS})
def offer_accept(request: HttpRequest, id: int):
    """V4: open → active for the offered rep."""
    offer = access.offer(request, id)
    return _offer_out(services.offer_accept(offer=offer, now=timezone.now()))


@router.post("/offers/{int:id}/reject", response={200: OfferOut, **ERRORS})
def offer_reject(request: HttpRequest, id: int):
    """V4, P6: the conversation stays open; with the workstream's switch on, the rep becomes
    Do not disturb."""
    offer = access.offer(request, id)
    return _offer_out(services.offer_reject(offer=offer, now=timezone.now()))


@router.post("/conversations/{int:id}/assign", response={200: ConversationOut, **ERRORS})
def conversation_assign(request: HttpRequest, id: int, payload: AssignIn):
    """V1 open → active without an offer; `force` skips V4/K6 (a supervisor's forced assignment)."""
    conversation = access.conversation(request, id)
    rep = access.representative_in_body(request, payload.representative_id, "representative_id")
    conversation = services.conversation_assign(
        conversation=conversation, representative=rep, force=payload.force, now=timezone.now()
    )
    return _answer(conversation)


def _move(request: HttpRequest, id: int, service) -> Conversation:
    conversation = access.conversation(request, id)
    return _answer(service(conversation=conversation, now=timezone.now()))


@router.post("/conversations/{int:id}/end", response={200: ConversationOut, **ERRORS})
def conversation_end(request: HttpRequest, id: int):
    """V1 active → wrap_up; the workstream's wrap-up policy decides what is released (K3)."""
    return _move(request, id, services.conversation_end)


@router.post("/conversations/{int:id}/close", response={200: ConversationOut, **ERRORS})
def conversation_close(request: HttpRequest, id: int):
    """V1 → closed."""
    return _move(request, id, services.conversation_close)


@router.post("/conversations/{int:id}/release", response={200: ConversationOut, **ERRORS})
def conversation_release(request: HttpRequest, id: int):
    """V1 active → open: back to the queue, capacity released."""
    return _move(request, id, services.conversation_release)


@router.post("/conversations/{int:id}/wait", response={200: ConversationOut, **ERRORS})
def conversation_wait(request: HttpRequest, id: int):
    """V1 active → waiting (async channels only)."""
    return _move(request, id, services.conversation_wait)


@router.post("/conversations/{int:id}/revive", response={200: ConversationOut, **ERRORS})
def conversation_revive(request: HttpRequest, id: int, payload: ReviveIn):
    """V1 waiting → active (by the representative) or → open (by the customer)."""
    conversation = access.conversation(request, id)
    return _answer(
        services.conversation_revive(conversation=conversation, by=payload.by, now=timezone.now())
    )


@router.post("/conversations/{int:id}/transfer", response={200: ConversationOut, **ERRORS})
def conversation_transfer(request: HttpRequest, id: int, payload: RepresentativeRefIn):
    """P9: the first rep's capacity is released, the second's used; both recalculated."""
    conversation = access.conversation(request, id)
    rep = access.representative_in_body(request, payload.representative_id, "representative_id")
    return _answer(
        services.conversation_transfer(
            conversation=conversation, representative=rep, now=timezone.now()
        )
    )


@router.post("/conversations/{int:id}/consult", response={200: ConversationOut, **ERRORS})
def conversation_consult(request: HttpRequest, id: int, payload: RepresentativeRefIn):
    """P8: a consultant joins; neither their presence nor their capacity changes."""
    conversation = access.conversation(request, id)
    rep = access.representative_in_body(request, payload.representative_id, "representative_id")
    services.conversation_consult(conversation=conversation, representative=rep, now=timezone.now())
    return Conversation.objects.prefetch_related("participants").get(pk=conversation.pk)


@router.post("/conversations/{int:id}/force-close", response={200: ConversationOut, **ERRORS})
def conversation_force_close(request: HttpRequest, id: int):
    """V3: supervisors close a conversation in any state but closed; capacity is released at once."""
    conversation = access.conversation(request, id, perm=FORCE_CLOSE)
    return _answer(
        services.conversation_force_close(
            conversation=conversation, actor=request.auth, now=timezone.now()
        )
    )
