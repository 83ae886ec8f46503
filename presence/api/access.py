"""Who may call what (the rule is written out at the top of presence/api/__init__.py).

Every representative is looked up through presence.selectors (A2 team scope, in the query).
"""

import functools

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from portal.exceptions import NotFound, PermissionDenied, ValidationFailed
from portal.permissions import missing_permission_message
from portal.statements import Instances
from presence import selectors
from presence.models import Conversation, Offer, Representative

CONFIGURE = "presence.configure_portal"
MANAGE = "presence.manage_presence"
FORCE_CLOSE = "presence.force_close_conversation"
VIEW_ALL = "presence.view_all_teams"


def user_of(request: HttpRequest) -> AbstractBaseUser:
    return request.auth


def require(request: HttpRequest, perm: str, *, also: str | None = None, why: str = "") -> None:
    """403 naming `perm` (A3) unless the token's user has it (or `also`)."""
    user = user_of(request)
    if user.has_perm(perm) or (also and user.has_perm(also)):
        return
    raise PermissionDenied(f"{missing_permission_message(perm)}{' ' + why if why else ''}")


# The lookups of every event (issue 13): statements built once per process. Who sees every team
# (an integration's token, an admin) reads a conversation, an offer or a rep by its id alone
# (A2: presence.selectors.scope); anyone else through their scope's query.


@functools.cache
def _by_id(model: type[Model], *related: str) -> Instances:
    return Instances(lambda *, pk: model.objects.filter(pk=pk), related=related)


def get_or_404(model: type[Model], pk: int, what: str, queryset: QuerySet | None = None):
    obj = _by_id(model).first(pk=pk) if queryset is None else queryset.filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"No {what} {pk}.")
    return obj


def get_or_400(model: type[Model], pk: int | None, what: str, field: str):
    """An id inside a body: unknown is invalid input (400 naming the field), not a 404."""
    if pk is None:
        return None
    obj = _by_id(model).first(pk=pk)
    if obj is None:
        raise ValidationFailed(f"No {what} {pk}.", field=field)
    return obj


def representative(request: HttpRequest, rep_id: int) -> Representative:
    """A rep of the path: 404 when unknown or outside the user's scope (no hint which)."""
    return selectors.representative_for(user=user_of(request), representative_id=rep_id)


def representative_in_body(request: HttpRequest, rep_id: int, field: str) -> Representative:
    """A rep named in a body: 400 naming the field when unknown or outside the user's scope."""
    user = user_of(request)
    if user.has_perm(VIEW_ALL):
        rep = _by_id(Representative, "user").first(pk=rep_id)
    else:
        rep = (
            selectors.representatives_visible_to(user=user)
            .filter(pk=rep_id)
            .select_related("user")
            .first()
        )
    if rep is None:
        raise ValidationFailed(f"No representative {rep_id} that you can see.", field=field)
    return rep


def acts_for(request: HttpRequest, rep: Representative) -> None:
    """The rep themself, or a user with manage_presence over the rep (a supervisor, or an
    integration relaying the rep's desktop; audited as a person other than the rep, A4)."""
    user = user_of(request)
    if rep.user_id is not None and rep.user_id == user.pk:
        return
    require(request, MANAGE, why="A representative may act on their own presence only.")


def supervises(request: HttpRequest, rep: Representative) -> None:
    """P5, P7 by a supervisor: manage_presence; `rep` already comes from the user's scope (A2)."""
    require(
        request, MANAGE, why='actor "supervisor" needs supervisor rights over the representative.'
    )


def conversation(
    request: HttpRequest, conversation_id: int, *, perm: str | None = MANAGE
) -> Conversation:
    """Routing needs manage_presence (or configure_portal); then 404 when out of scope."""
    if perm == MANAGE:
        require(request, MANAGE, also=CONFIGURE)
    elif perm:
        require(request, perm)
    user = user_of(request)
    return get_or_404(
        Conversation,
        conversation_id,
        "conversation that you can see",
        None if user.has_perm(VIEW_ALL) else selectors.conversations_visible_to(user=user),
    )


def offer(request: HttpRequest, offer_id: int) -> Offer:
    """The offered rep themself, or manage_presence over that rep; 404 when out of scope."""
    user = user_of(request)
    if user.has_perm(VIEW_ALL):
        found = _by_id(Offer, "representative", "conversation").first(pk=offer_id)
    else:
        found = (
            Offer.objects.select_related("representative", "conversation")
            .filter(
                pk=offer_id,
                representative__in=selectors.representatives_visible_to(user=user).values("pk"),
            )
            .first()
        )
    if found is None:
        raise NotFound(f"No offer {offer_id} that you can see.")
    acts_for(request, found.representative)
    return found
