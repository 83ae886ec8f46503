"""Supervisor actions on the floor (issue 16): assign an open conversation, transfer an active one
(P9), release one to the queue, sign a rep out (S5). Each is a confirmation page (GET) and its
form (POST), as force close is: the form works without JavaScript, and the page and its redirect
are the same with htmx.

Permission `presence.manage_presence` (A1: supervisors set and reset the presence of their reps;
these actions change it too). Scope (A2) in the query: the conversation is looked up among those
the supervisor sees, and the target rep among their teams' reps; a posted id outside them is a
404, and nothing is written. The redirect target (`next`) is validated before any write.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from portal.exceptions import NotFound
from portal.pages import act, next_url, render_page
from portal.permissions import require_permission
from presence import services
from presence.models import ConversationState
from presence.selectors import (
    conversations_visible_to,
    representative_for,
    representative_presence_detail,
    representatives_visible_to,
)

from . import selectors
from .views import _scoped_representative

MANAGE = "presence.manage_presence"
S = ConversationState

# action: (the state it starts from, its title, its button)
MOVES = {
    "assign": (S.OPEN, "Assign", "Assign"),
    "transfer": (S.ACTIVE, "Transfer", "Transfer"),
    "release": (S.ACTIVE, "Release to the queue", "Release"),
}
TARGET_REQUIRED = "Representative: choose who takes the conversation."


def _visible_conversation(request: HttpRequest, conversation_id: int):
    conversation = (
        conversations_visible_to(user=request.user)
        .filter(pk=conversation_id)
        .select_related("representative", "workstream")
        .first()
    )
    if conversation is None:
        raise Http404(f"No conversation {conversation_id} that you can see.")
    return conversation


def _target(request: HttpRequest, raw: str):
    """The target rep of the viewer's teams (A2), or None when no valid id was given."""
    try:
        target_id = int(raw)
    except (TypeError, ValueError):
        return None
    try:
        return representative_for(user=request.user, representative_id=target_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc


def _move(action: str, conversation, target, *, force: bool, actor) -> str:
    now = timezone.now()
    if action == "assign":
        services.conversation_assign_by_supervisor(
            conversation=conversation, representative=target, actor=actor, force=force, now=now
        )
        return f"Conversation {conversation.pk} is assigned to {target.name}."
    if action == "transfer":
        first = conversation.representative
        services.conversation_transfer_by_supervisor(
            conversation=conversation, representative=target, actor=actor, force=force, now=now
        )
        return f"Conversation {conversation.pk} is transferred from {first.name} to {target.name}."
    first = conversation.representative
    services.conversation_release_by_supervisor(conversation=conversation, actor=actor, now=now)
    return (
        f"Conversation {conversation.pk} is back in the queue; {first.name}'s capacity is released."
    )


@require_permission(MANAGE)
@require_http_methods(["GET", "POST"])
def conversation_move(request: HttpRequest, conversation_id: int, action: str) -> HttpResponse:
    if action not in MOVES:
        raise Http404("No such action.")
    conversation = _visible_conversation(request, conversation_id)
    back = next_url(request, reverse("reports:ongoing"))  # validated before any write
    from_state, title, button = MOVES[action]
    needs_target = action != "release"
    error = ""
    chosen = request.POST.get("representative") or request.GET.get("rep") or ""
    force = request.POST.get("force") in ("on", "1", "true")
    if request.method == "POST":
        target = _target(request, chosen) if needs_target else None
        if needs_target and target is None:
            error = TARGET_REQUIRED
        else:

            def action_fn() -> str:
                return _move(action, conversation, target, force=force, actor=request.user)

            if act(request, action_fn):
                return redirect(back)
            # Refused (V1, V4, K6): the page again, with the choice kept, to force it or not.
            query = {"next": back, **({"rep": chosen} if chosen else {})}
            return redirect(f"{request.path}?{urlencode(query)}")
    now = timezone.now()
    targets = []
    if needs_target and conversation.state == from_state:
        targets = selectors.move_targets(
            representatives=representatives_visible_to(user=request.user),
            workstream=conversation.workstream,
            now=now,
            exclude_id=conversation.representative_id,
        )
    context = {
        "conversation": conversation,
        "action": action,
        "title": title,
        "button": button,
        "movable": conversation.state == from_state,
        "needs_target": needs_target,
        "targets": targets,
        "chosen": str(chosen),
        "force": force,
        "error": error,
        "back": back,
        "now": now,
    }
    tz = selectors.viewer_timezone(user=request.user)
    return render_page(
        request,
        "reports/conversation_move.html",
        context,
        tz=tz,
        status=400 if error else 200,
    )


@require_permission(MANAGE)
@require_http_methods(["GET", "POST"])
def agent_sign_out(request: HttpRequest, representative_id: int) -> HttpResponse:
    """S5 for a rep of the supervisor's teams: Offline at once, every client ended; audited (A4)
    by the service, and the rep's console says who did it."""
    rep = _scoped_representative(request, representative_id)
    back = next_url(request, reverse("reports:agent_detail", args=[rep.pk]))
    if request.method == "POST":

        def action() -> str:
            services.representative_sign_out(
                representative=rep, actor=request.user, now=timezone.now()
            )
            return f"{rep.name} is signed out."

        act(request, action)
        return redirect(back)
    now = timezone.now()
    detail = representative_presence_detail(representative=rep, now=now, in_rep_language=False)
    context = {"rep": rep, "detail": detail, "back": back, "now": now}
    return render_page(
        request,
        "reports/sign_out_confirm.html",
        context,
        tz=selectors.zone_named(rep.timezone),
    )
