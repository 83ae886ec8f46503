"""The representative console: one rep's own presence, capacity, conversations and offers.

Every view needs presence.use_console (A3) and acts on the signed-in user's own
Representative only (Representative.user): an offer of another rep is a 404.
Rule violations (ApplicationError) become a message on the page, or a JSON error for the
page's own client calls (S1-S4), in one place: `_console_action`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import wraps
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from portal.exceptions import ApplicationError, NotFound, ValidationFailed
from portal.formatting import duration
from portal.http_errors import error_body, status_of
from portal.pages import partial_wanted, render_page
from portal.permissions import require_permission
from portal.statements import Instances
from presence import services
from presence.models import (
    BaseStatus,
    Conversation,
    ConversationState,
    Offer,
    OfferState,
    PresenceSource,
    PresenceStatus,
    Representative,
)
from presence.selectors import (
    pickable_statuses,
    presence_texts,
    representative_of,
    representative_presence_detail,
    signed_out_by,
)

TEMPLATE = "presence/console.html"
PERMISSION = "presence.use_console"
# The states a rep's console lists (V1): work in progress, not queued or closed ones.
CONSOLE_STATES = (ConversationState.ACTIVE, ConversationState.WRAP_UP, ConversationState.WAITING)
# The regions that refresh themselves: the first is the htmx target, the others swap out of band.
LIVE_PARTIALS = ("status", "capacity", "offers", "conversations")
# The rep's own moves of a conversation (V1), by state: (action, button label). Wrap-up is
# finished by closing the conversation.
CONVERSATION_ACTIONS = {
    ConversationState.ACTIVE: (("end", "End"), ("close", "Close"), ("release", "Release")),
    ConversationState.WAITING: (("close", "Close"),),
    ConversationState.WRAP_UP: (("close", "Finish wrap-up"),),
}
# What each kind of `changed` event (portal.live) can change on the page, so that the live fetch
# renders those regions only. The status region's reason names the capacity in use (P10), so
# conversations and capacity changes refresh it too.
KIND_REGIONS = {
    "presence": ("status",),
    "offer": ("offers",),
    "conversation": ("status", "capacity", "conversations"),
    "capacity": ("status", "capacity"),
}
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
DEACTIVATED = (
    "A portal admin deactivated your representative record: you are signed out of presence and "
    "get no work. Ask them to reactivate it."
)
NOT_LINKED = (
    "Your user account is not linked to a representative, so there is no console to show. "
    "Ask a portal admin to link your user to your representative record."
)


# --- Reads ------------------------------------------------------------------------------------


def _zone(rep: Representative) -> ZoneInfo:
    """The console shows times in the rep's own zone (and names it once)."""
    try:
        return ZoneInfo(rep.timezone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _own_representative(request: HttpRequest) -> Representative:
    """The signed-in user's own rep; every console action is scoped by it."""
    rep = representative_of(user=request.user)
    if rep is None:
        raise NotFound(NOT_LINKED)
    return rep


class SetPresenceForm(forms.Form):
    status = forms.ModelChoiceField(
        queryset=PresenceStatus.objects.none(),
        empty_label="Choose a status…",
        label="New presence",
        error_messages={
            "required": "Status: choose the presence to set.",
            "invalid_choice": "Status: choose one of the statuses you can set.",
        },
    )

    def __init__(self, *args, language: str = "en", **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["status"]
        field.queryset = choices = pickable_statuses()
        # Reps see the presence text alone, in their language (C4); admins' names stay theirs.
        texts = presence_texts(language=language)
        field.choices = [("", field.empty_label)] + [
            (s.pk, texts.get(s.pk, s.presence_text)) for s in choices
        ]


# The reads of every console fetch: statements built once per process (issue 13).
_CONVERSATIONS = Instances(
    lambda *, rep_id: Conversation.objects.filter(
        representative_id=rep_id, state__in=CONSOLE_STATES
    ).order_by("state_changed_at", "pk"),
    related=("workstream",),
)
_OFFERS = Instances(
    lambda *, rep_id, now: Offer.objects.filter(
        representative_id=rep_id, state=OfferState.PENDING, expires_at__gt=now
    ).order_by("expires_at", "pk"),
    related=("conversation", "conversation__workstream"),
)


def _console_context(
    rep: Representative, *, now: dt.datetime, regions: tuple[str, ...] = LIVE_PARTIALS
) -> dict:
    """What the live `regions` show, and only that (a fetch for an offer reads no capacity): P10
    detail and capacity (status, capacity), conversations, pending offers."""
    context: dict = {"representative": rep, "now": now, "zone": _zone(rep)}
    if "status" in regions or "capacity" in regions:
        detail = representative_presence_detail(representative=rep, now=now)
        capacity = detail["capacity"]
        context |= {
            "detail": detail,
            "base_status_label": BaseStatus(detail["status"]["base_status"]).label,
            "source_label": PresenceSource(detail["source"]).label,
            "capacity": capacity,
            "units_configured": capacity["units_total"] > 0,
            "units_full": capacity["units_total"] > 0 and capacity["units_available"] <= 0,
            # "Busy for 12 min": time in the current status (console.js counts on from `since`).
            "status_for": duration((now - detail["since"]).total_seconds()),
            # S5 by a supervisor (issue 16): the console says who, and does not sign in by itself.
            "signed_out_by": "" if detail["signed_in"] else signed_out_by(representative=rep),
        }
    if "conversations" in regions:
        conversations = _CONVERSATIONS.all(rep_id=rep.pk)
        for conversation in conversations:
            conversation.actions = CONVERSATION_ACTIONS.get(conversation.state, ())
            # K3: a `minutes` wrap-up keeps the capacity until capacity_release_at: its countdown.
            release_at = conversation.capacity_release_at
            if conversation.consumes_capacity and release_at is not None and release_at > now:
                left = int((release_at - now).total_seconds())
                conversation.release_text = (
                    f"{left // 60} min {left % 60} s" if left >= 60 else f"{left} s"
                )
        context["conversations"] = conversations
    if "offers" in regions:
        offers = _OFFERS.all(rep_id=rep.pk, now=now)
        for offer in offers:
            offer.seconds_left = max(0, int((offer.expires_at - now).total_seconds()))
        context["offers"] = offers
    return context


def regions_of(kinds: str) -> tuple[str, ...]:
    """The live regions a fetch for the `changed` kinds renders (`?kinds=offer,presence`, or
    `all`), in page order; ValidationFailed naming the field for anything else."""
    names = [name for name in kinds.split(",") if name]
    if not names or not set(names) <= {*KIND_REGIONS, "all"}:
        raise ValidationFailed(
            f"kinds: a comma-separated list of {', '.join(KIND_REGIONS)}, or all.", field="kinds"
        )
    if "all" in names:
        return LIVE_PARTIALS
    wanted = {region for name in names for region in KIND_REGIONS[name]}
    return tuple(region for region in LIVE_PARTIALS if region in wanted)


# --- Responses --------------------------------------------------------------------------------


def _live_response(
    request: HttpRequest, rep: Representative, *, with_messages: bool
) -> HttpResponse:
    """The htmx answer: the status region, the other live regions (out of band) and, after an
    action, the messages (out of band). A poll leaves messages alone so that it never eats one."""
    context = _console_context(rep, now=timezone.now()) | {"oob": True}
    names = [*LIVE_PARTIALS, "messages"] if with_messages else LIVE_PARTIALS
    return _render_regions(request, rep, names, context)


def _regions_response(request: HttpRequest, rep: Representative, kinds: str) -> HttpResponse:
    """The live fetch of the stream's page (`?kinds=`): the regions those kinds touch, every one
    out of band (the fetch swaps nothing itself, `hx-swap="none"`), read and rendered alone."""
    try:
        regions = regions_of(kinds)
    except ValidationFailed as error:
        return HttpResponse(error.detail, status=400, content_type="text/plain; charset=utf-8")
    context = _console_context(rep, now=timezone.now(), regions=regions)
    return _render_regions(request, rep, regions, context | {"oob": True, "status_oob": True})


def _render_regions(request: HttpRequest, rep: Representative, names, context) -> HttpResponse:
    with timezone.override(_zone(rep)):
        parts = [render_to_string(f"{TEMPLATE}#{name}", context, request) for name in names]
    return HttpResponse("".join(parts))


def _back(request: HttpRequest) -> HttpResponse:
    """After a form action: without JavaScript back to the page (PRG); with htmx the regions."""
    if request.htmx:
        try:
            rep = _own_representative(request)
        except NotFound:
            return HttpResponse(render_to_string(f"{TEMPLATE}#messages", {"oob": True}, request))
        return _live_response(request, rep, with_messages=True)
    return redirect("presence:console")


def _console_action(*, json: bool = False) -> Callable:
    """The one place ApplicationError is translated: a message on the page for forms, the API's
    JSON error (status and shape) for the page's client calls. Never a 500."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except ApplicationError as error:
                if json:  # the API's error shape and status (portal.http_errors)
                    status = status_of(error)
                    body = error_body(
                        status, error.detail, field=error.field, state=error.extra.get("state")
                    )
                    return JsonResponse(body, status=status)
                messages.error(request, error.detail)
                return _back(request)

        return require_permission(PERMISSION)(require_POST(wrapper))

    return decorator


# --- The page ---------------------------------------------------------------------------------


@require_GET
@require_permission(PERMISSION)
def console(request: HttpRequest) -> HttpResponse:
    """The full page; an htmx request (the poll) gets the live regions only."""
    rep = representative_of(user=request.user)
    if rep is None or not rep.is_active:
        if request.htmx:
            return HttpResponse(status=204)
        if rep is None:
            return render_page(request, TEMPLATE, {"not_linked": NOT_LINKED})
        context = {
            "not_linked": DEACTIVATED,
            "not_linked_title": "Your representative is deactivated",
        }
        return render_page(request, TEMPLATE, context)
    if partial_wanted(request):
        if "kinds" in request.GET:
            return _regions_response(request, rep, request.GET["kinds"])
        return _live_response(request, rep, with_messages=False)
    context = _console_context(rep, now=timezone.now()) | {
        "form": SetPresenceForm(language=rep.language),
        # Only while the live stream is down (presence/views_live.py): three beats per timeout
        # (20 s of 60), so one lost request never times the client out.
        "heartbeat_seconds": max(1, settings.PRESENCE_HEARTBEAT_TIMEOUT_SECONDS // 3),
        "poll_seconds": settings.CONSOLE_POLL_SECONDS,
    }
    # Times in the rep's zone, which the page names ("Times in ...").
    return render_page(request, TEMPLATE, context, tz=_zone(rep))


# --- Presence (P2, P3, P5) --------------------------------------------------------------------


@_console_action()
def set_presence(request: HttpRequest) -> HttpResponse:
    rep = _own_representative(request)
    form = SetPresenceForm(request.POST, language=rep.language)
    if not form.is_valid():
        raise ValidationFailed(" ".join(form.errors["status"]), field="status")
    outcome = services.presence_set_manual(
        representative=rep,
        status=form.cleaned_data["status"],
        actor=request.user,
        now=timezone.now(),
    )
    messages.success(request, f"Presence set to {outcome.status.presence_text}.")
    return _back(request)


@_console_action()
def reset_presence(request: HttpRequest) -> HttpResponse:
    rep = _own_representative(request)
    outcome = services.presence_reset(representative=rep, actor=request.user, now=timezone.now())
    messages.success(
        request, f"Presence reset to {outcome.status.presence_text}, from your capacity."
    )
    return _back(request)


# --- Offers (V4, P6) --------------------------------------------------------------------------


def _own_offer(request: HttpRequest, offer_id: int) -> Offer:
    rep = _own_representative(request)
    return get_object_or_404(
        Offer.objects.select_related("conversation", "representative"),
        pk=offer_id,
        representative=rep,
    )


@_console_action()
def offer_accept(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _own_offer(request, offer_id)
    offer = services.offer_accept(offer=offer, now=timezone.now())
    messages.success(request, f"Offer accepted: conversation {offer.conversation_id} is now yours.")
    return _back(request)


@_console_action()
def offer_reject(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _own_offer(request, offer_id)
    services.offer_reject(offer=offer, now=timezone.now())
    messages.info(request, f"Offer of conversation {offer.conversation_id} rejected.")
    return _back(request)


# --- Conversations (V1, K3): end, close, release, finish wrap-up -------------------------------

CONVERSATION_SERVICES = {
    "end": (services.conversation_end, "Conversation {id} ended: wrap-up started."),
    "close": (services.conversation_close, "Conversation {id} closed."),
    "release": (services.conversation_release, "Conversation {id} released to the queue."),
}


@_console_action()
def conversation_action(request: HttpRequest, conversation_id: int, action: str) -> HttpResponse:
    """The rep's own conversation only (another rep's is a 404); V1 refuses a move its state does
    not allow (the message names the state). The API's services: the rules live once."""
    if action not in CONVERSATION_SERVICES:
        raise Http404("No such conversation action.")
    rep = _own_representative(request)
    conversation = get_object_or_404(Conversation, pk=conversation_id, representative=rep)
    service, done = CONVERSATION_SERVICES[action]
    was_wrap_up = conversation.state == ConversationState.WRAP_UP
    service(conversation=conversation, now=timezone.now())
    if was_wrap_up and action == "close":
        done = "Wrap-up of conversation {id} finished: closed."
    messages.success(request, done.format(id=conversation.pk))
    return _back(request)


# --- Clients of the page (S1-S4) --------------------------------------------------------------


def _client_id(request: HttpRequest) -> str:
    client_id = request.POST.get("client_id", "")
    if not CLIENT_ID.match(client_id):
        raise ValidationFailed(
            "client_id: 8 to 64 letters, digits, '-' or '_' are required.", field="client_id"
        )
    return client_id


@_console_action(json=True)
def client_connect(request: HttpRequest) -> HttpResponse:
    """S1 (first client), S2 (another one), S3/S4 (a refresh reconnects inside the grace period)."""
    rep = _own_representative(request)
    client_id = _client_id(request)
    _, outcome = services.client_connect(
        representative=rep, client_id=client_id, now=timezone.now()
    )
    return JsonResponse({"client_id": client_id, "status": outcome.status.presence_text})


def _client_event(request: HttpRequest, service) -> HttpResponse:
    """A heartbeat or goodbye of one of the rep's own clients: 204, or the service's error."""
    service(
        representative=_own_representative(request),
        client_id=_client_id(request),
        now=timezone.now(),
    )
    return HttpResponse(status=204)


@_console_action(json=True)
def client_heartbeat(request: HttpRequest) -> HttpResponse:
    """S4: keeps the client alive; a 404 tells the page to connect again."""
    return _client_event(request, services.client_heartbeat)


@_console_action(json=True)
def client_goodbye(request: HttpRequest) -> HttpResponse:
    """S4: the tab closes (navigator.sendBeacon); the last client gone disconnects the rep."""
    return _client_event(request, services.client_goodbye)
