"""Who may see what (A2), filtered in the query, never in a template: one definition each, for
the API, the console, the configuration pages and the reports."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from portal.exceptions import NotFound
from portal.statements import Instances
from presence.models import Conversation, Representative, Team

VIEW_ALL = "presence.view_all_teams"


def console_offered(*, user: AbstractBaseUser) -> bool:
    """Whether the navigation and home page offer the console: to a user with the console
    permission who is linked to a representative. A portal admin holds every permission but is
    usually nobody's rep: for them the console is a dead end, so it is not offered. A user whose
    only area is the console still gets it unlinked: it says whom to ask for the link."""
    if not user.has_perm("presence.use_console"):
        return False
    if Representative.objects.filter(user=user).exists():
        return True
    return not (
        user.has_perm("presence.view_reports") or user.has_perm("presence.configure_portal")
    )


_LINKED = Instances(
    lambda *, user_id: Representative.objects.filter(user_id=user_id).order_by("pk")
)


def representative_of(*, user: AbstractBaseUser) -> Representative | None:
    """The rep linked to `user` (A1: the console's and its stream's own), or None. A statement
    built once per process: every console fetch starts here (issue 13)."""
    return _LINKED.first(user_id=user.pk)


def representatives_visible_to(*, user: AbstractBaseUser) -> QuerySet[Representative]:
    """A2: admins (and anyone with view_all_teams) see every rep; supervisors their teams' reps;
    a rep sees themself. Filtered in the query, never in a template."""
    reps = Representative.objects.all()
    if user.has_perm(VIEW_ALL):
        return reps
    if user.has_perm("presence.view_reports") or user.has_perm("presence.manage_presence"):
        return representatives_supervised_by(user_id=user.pk)
    return reps.filter(user=user)


def representatives_supervised_by(*, user_id: int) -> QuerySet[Representative]:
    """A2 for a supervisor: the reps of the teams they supervise, each once (by id, so that a
    portal.statements.Statement takes it)."""
    return Representative.objects.filter(teams__supervisors=user_id).distinct()


def representative_for(*, user: AbstractBaseUser, representative_id: int) -> Representative:
    """The rep if `user` may see them, else NotFound (no hint that an out-of-scope rep exists)."""
    rep = representatives_visible_to(user=user).filter(pk=representative_id).first()
    if rep is None:
        raise NotFound(f"No representative {representative_id} that you can see.")
    return rep


def teams_visible_to(*, user: AbstractBaseUser) -> QuerySet[Team]:
    """A2: every team with view_all_teams, else the teams `user` supervises; by name."""
    if user.has_perm(VIEW_ALL):
        return Team.objects.order_by("name")
    return teams_supervised_by(user_id=user.pk)


def teams_supervised_by(*, user_id: int) -> QuerySet[Team]:
    """A2 for a supervisor: the teams they supervise, by name."""
    return Team.objects.order_by("name").filter(supervisors=user_id)


def conversations_visible_to(*, user: AbstractBaseUser) -> QuerySet[Conversation]:
    """A2 for conversations: every one with view_all_teams; else those of the reps `user` can
    see, and the unassigned ones (a queue belongs to no team, and a supervisor must see what
    waits there)."""
    conversations = Conversation.objects.all()
    if user.has_perm(VIEW_ALL):
        return conversations
    reps = representatives_visible_to(user=user).order_by().values("pk")
    return conversations.filter(Q(representative__in=reps) | Q(representative__isnull=True))
