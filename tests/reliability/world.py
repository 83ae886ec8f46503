"""A small world with every kind of row, for tests that knock on every door.

Two teams: team A (the rep, a second rep, their supervisor) and team B (another supervisor, a rep
of their own). The rep is signed in, has a client, an active conversation, a conversation in
wrap-up and a pending offer. Every role has an API token.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.contrib.auth.models import User

from presence import services
from presence.models import (
    CapacityProfile,
    Conversation,
    Offer,
    PresenceStatus,
    Representative,
    Team,
    Workstream,
)
from reports.models import AlertBreach, AlertKind, AlertRule, AlertSubject
from tests.clock import T0
from tests.factories import (
    CapacityProfileFactory,
    PresenceStatusFactory,
    RepresentativeFactory,
    TeamFactory,
    UserFactory,
    WorkstreamFactory,
)

ROLES = ("anon", "rep", "sup_other", "sup_team", "admin")


@dataclasses.dataclass
class World:
    users: dict[str, User | None]
    tokens: dict[str, str | None]
    team_a: Team
    team_b: Team
    rep: Representative  # the "rep" role's own representative, team A
    rep_a2: Representative  # another rep of team A
    rep_b: Representative  # a rep of team B
    status: PresenceStatus  # a custom status reps can set
    profile: CapacityProfile
    workstream: Workstream
    active: Conversation  # active, the rep's
    wrap_up: Conversation  # in wrap-up, the rep's
    open: Conversation  # open, offered to the rep
    queued: Conversation  # open, offered to no one
    offer: Offer  # pending, to the rep
    client_id: str
    alert_rule: AlertRule | None = None  # issue 16: a rep-status rule
    breach: AlertBreach | None = None  # open, of that rule, on the rep (team A)


def build_world(*, now: dt.datetime = T0) -> World:
    """The world, its rows written at `now`: the tests' clock unless a real browser reads it."""
    team_a, team_b = TeamFactory(name="Team A"), TeamFactory(name="Team B")
    users = {
        "anon": None,
        "rep": UserFactory(username="m-rep", groups=["Representatives"]),
        "sup_other": UserFactory(username="m-sup-other", groups=["Supervisors"]),
        # Staff too: the Django admin must still be closed to them (review finding 4, A2).
        "sup_team": UserFactory(username="m-sup-team", groups=["Supervisors"], is_staff=True),
        "admin": UserFactory(username="m-admin", groups=["Portal admins"], is_staff=True),
    }
    team_a.supervisors.add(users["sup_team"])
    team_b.supervisors.add(users["sup_other"])
    profile = CapacityProfileFactory(name="Chat profile", limit=3)
    workstream = WorkstreamFactory(name="Chat", capacity_profile=profile, offer_timeout_seconds=600)
    rep = RepresentativeFactory(
        name="Matrix rep", user=users["rep"], capacity_units=5, teams=[team_a]
    )
    rep_a2 = RepresentativeFactory(name="Matrix rep A2", capacity_units=5, teams=[team_a])
    rep_b = RepresentativeFactory(name="Matrix rep B", capacity_units=5, teams=[team_b])
    services.representative_profile_set(
        representative=rep, profile=profile, limit=None, actor=None, now=now
    )
    client, _ = services.client_connect(representative=rep, client_id="matrix-client-1", now=now)
    for other in (rep_a2, rep_b):
        services.client_connect(representative=other, now=now)
    active = services.conversation_create(workstream=workstream, now=now)
    services.conversation_assign(conversation=active, representative=rep, now=now)
    wrap_up = services.conversation_create(workstream=workstream, now=now)
    services.conversation_assign(conversation=wrap_up, representative=rep, now=now)
    services.conversation_end(conversation=wrap_up, now=now)
    open_ = services.conversation_create(workstream=workstream, now=now)
    offer = services.offer_create(conversation=open_, representative=rep, force=True, now=now)
    queued = services.conversation_create(workstream=workstream, now=now)
    alert_rule = AlertRule.objects.create(
        name="Matrix alert",
        kind=AlertKind.REP_STATUS,
        base_status="busy",
        threshold=5,
        created_at=now,
        updated_at=now,
    )
    breach = AlertBreach.objects.create(
        rule=alert_rule,
        subject_type=AlertSubject.REPRESENTATIVE,
        subject_id=rep.pk,
        representative=rep,
        started_at=now,
    )
    tokens = {"anon": None}
    for role, user in users.items():
        if user is not None:
            tokens[role] = services.api_token_create(user=user, name=role, now=now)[1]
    return World(
        users=users,
        tokens=tokens,
        team_a=team_a,
        team_b=team_b,
        rep=rep,
        rep_a2=rep_a2,
        rep_b=rep_b,
        status=PresenceStatusFactory(name="Lunch", base_status="away", user_can_set=True),
        profile=profile,
        workstream=workstream,
        active=Conversation.objects.get(pk=active.pk),
        wrap_up=Conversation.objects.get(pk=wrap_up.pk),
        open=Conversation.objects.get(pk=open_.pk),
        queued=Conversation.objects.get(pk=queued.pk),
        offer=offer,
        client_id=client.client_id,
        alert_rule=alert_rule,
        breach=breach,
    )
