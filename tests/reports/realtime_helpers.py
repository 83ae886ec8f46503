"""A contact-center floor for the real-time report tests, built through the services (so presence,
history and capacity bookkeeping are what production writes), and raw-row counters that compute
each R1 figure independently of reports.realtime.selectors."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from presence import services
from presence.models import (
    BaseStatus,
    Conversation,
    ConversationState,
    PresenceInterval,
    Representative,
    RepresentativePresence,
    RepresentativeProfile,
    ResetFrequency,
    WrapUpPolicy,
)
from tests.factories import (
    CapacityProfileFactory,
    PresenceStatusFactory,
    RepresentativeFactory,
    RepresentativeProfileFactory,
    TeamFactory,
    UserFactory,
    WorkstreamFactory,
    builtin,
)


@dataclass
class Floor:
    team: object
    other_team: object
    supervisor: object
    admin: object
    reps: dict[str, Representative]
    chat: object
    email: object
    conversations: dict[str, Conversation]


def assign(rep, workstream, *, now, force=False) -> Conversation:
    conversation = services.conversation_create(workstream=workstream, now=now)
    return services.conversation_assign(
        conversation=conversation, representative=rep, force=force, now=now
    )


def build_floor(*, now: dt.datetime, supervisor=None, admin=None) -> Floor:
    """Nine reps in the supervisor's team and two in another team, in every situation R1 names."""
    team, other_team = TeamFactory(name="Floor A"), TeamFactory(name="Floor B")
    supervisor = supervisor or UserFactory(username="floor-super", groups=["Supervisors"])
    admin = admin or UserFactory(username="floor-admin", groups=["Portal admins"])
    team.supervisors.add(supervisor)
    chat_profile = CapacityProfileFactory(name="Chat", limit=2, blocking=True)
    email_profile = CapacityProfileFactory(
        name="Email EOD", limit=3, reset_frequency=ResetFrequency.END_OF_DAY
    )
    chat = WorkstreamFactory(name="Chat support", capacity_profile=chat_profile)
    email = WorkstreamFactory(
        name="Email support",
        channel="email",
        capacity_profile=email_profile,
        units_per_conversation=2,
        wrap_up_policy=WrapUpPolicy.ALWAYS,
    )
    training = PresenceStatusFactory(name="Training", base_status=BaseStatus.AWAY)
    early = now - dt.timedelta(hours=6)

    def rep(name, *, units=3, teams=(team,), profiles=((chat_profile, None),)):
        r = RepresentativeFactory(name=name, capacity_units=units, teams=list(teams))
        for profile, own_limit in profiles:
            RepresentativeProfileFactory(
                representative=r, profile=profile, limit_override=own_limit
            )
        return r

    reps = {
        "idle": rep("Ada Idle"),
        "full": rep("Bea Full", units=2),
        "partial": rep("Cy Partial", profiles=((chat_profile, None), (email_profile, 5))),
        "dnd": rep("Di Manual DND"),
        "training": rep("Ed Training", units=0),
        "gone": rep("Flo Gone"),  # signed in this morning, now signed out
        "never": rep("Gus Never"),  # never signed in
        "stuck": rep("Hal Stuck", units=0, profiles=()),
        "wrap": rep("Ivy Wrapup", units=2),
        "outside": rep("Zed Outside", teams=(other_team,)),
        "outside_busy": rep("Zoe Outside", teams=(other_team,)),
    }
    for key, r in reps.items():
        if key != "never":
            services.client_connect(representative=r, now=early)
    conversations = {}
    conversations["full_1"] = assign(reps["full"], chat, now=now - dt.timedelta(minutes=30))
    conversations["full_2"] = assign(reps["full"], chat, now=now - dt.timedelta(minutes=20))
    conversations["partial_chat"] = assign(
        reps["partial"], chat, now=now - dt.timedelta(minutes=10)
    )
    conversations["partial_email"] = assign(
        reps["partial"], email, now=now - dt.timedelta(minutes=9)
    )
    # K4: an end-of-day work item still counts after close, until the rep's midnight.
    closed = assign(reps["partial"], email, now=now - dt.timedelta(minutes=8))
    services.conversation_close(conversation=closed, now=now - dt.timedelta(minutes=7))
    conversations["partial_closed_eod"] = closed
    services.presence_set_manual(
        representative=reps["dnd"], status=builtin("dnd"), now=now - dt.timedelta(minutes=50)
    )
    services.presence_set_manual(
        representative=reps["training"], status=training, now=now - dt.timedelta(minutes=40)
    )
    services.representative_sign_out(representative=reps["gone"], now=now - dt.timedelta(hours=1))
    # V3: active for 5 hours without activity.
    conversations["stuck"] = assign(reps["stuck"], chat, now=now - dt.timedelta(hours=5))
    wrap = assign(reps["wrap"], email, now=now - dt.timedelta(minutes=15))
    conversations["wrap"] = services.conversation_end(
        conversation=wrap, now=now - dt.timedelta(minutes=5)
    )
    conversations["outside"] = assign(reps["outside_busy"], chat, now=now - dt.timedelta(minutes=3))
    conversations["queued"] = services.conversation_create(workstream=chat, now=now)
    return Floor(
        team=team,
        other_team=other_team,
        supervisor=supervisor,
        admin=admin,
        reps=reps,
        chat=chat,
        email=email,
        conversations=conversations,
    )


# --- Independent counters: plain Python over raw rows, no report code -----------------------------


def raw_counts(rep_ids: set[int], *, now: dt.datetime) -> dict[str, int]:
    reps = {r.pk: r for r in Representative.objects.filter(pk__in=rep_ids)}
    presence = {
        p.pk: p
        for p in RepresentativePresence.objects.select_related("status").filter(pk__in=rep_ids)
    }
    conversations = [
        c
        for c in Conversation.objects.select_related("capacity_profile")
        if c.representative_id in rep_ids
    ]
    links = [
        link
        for link in RepresentativeProfile.objects.select_related("profile")
        if link.representative_id in rep_ids
    ]
    held = {(link.representative_id, link.profile_id) for link in links}
    cutoff = now - dt.timedelta(seconds=settings.CONVERSATION_STUCK_AFTER_SECONDS)
    work_states = {ConversationState.ACTIVE, ConversationState.WRAP_UP}

    def counts_as_work_item(c: Conversation) -> bool:
        if c.capacity_profile is None or (c.representative_id, c.capacity_profile_id) not in held:
            return False
        if c.capacity_profile.reset_frequency == ResetFrequency.IMMEDIATE:
            return c.consumes_capacity
        return c.end_of_day_until is not None and c.end_of_day_until > now

    signed_in = {
        pk
        for pk in rep_ids
        if pk in presence and presence[pk].status.base_status != BaseStatus.OFFLINE
    }
    # Capacity figures are over the signed-in reps only (review finding 12).
    units_total = sum(r.capacity_units for pk, r in reps.items() if pk in signed_in)
    units_used = sum(
        c.units
        for c in conversations
        if c.consumes_capacity
        and c.representative_id in signed_in
        and reps[c.representative_id].capacity_units > 0
    )
    work_items_total = sum(
        link.limit_override if link.limit_override is not None else link.profile.limit
        for link in links
        if link.representative_id in signed_in
    )
    work_items_used = sum(
        1 for c in conversations if c.representative_id in signed_in and counts_as_work_item(c)
    )
    online_recently = {
        i.representative_id
        for i in PresenceInterval.objects.all()
        if i.representative_id in rep_ids
        and i.base_status != BaseStatus.OFFLINE
        and (i.end is None or i.end >= now - dt.timedelta(hours=24))
    }
    offline = {
        pk
        for pk in rep_ids
        if pk not in presence or presence[pk].status.base_status == BaseStatus.OFFLINE
    }
    return {
        "total": len(reps),
        "signed_in": len(signed_in),
        "units_total": units_total,
        "units_used": units_used,
        "units_available": units_total - units_used,
        "work_items_total": work_items_total,
        "work_items_used": work_items_used,
        "work_items_available": work_items_total - work_items_used,
        "with_work": len({c.representative_id for c in conversations if c.state in work_states}),
        "stuck": sum(
            1 for c in conversations if c.state in work_states and c.last_activity_at <= cutoff
        ),
        "recently_offline": len(offline & online_recently),
    }


def many_reps(n: int, *, team, now: dt.datetime, workstream) -> list[Representative]:
    """`n` signed-in reps of `team` with a profile and one conversation each (query-count tests)."""
    reps = []
    profile = workstream.capacity_profile
    for i in range(n):
        r = RepresentativeFactory(name=f"Bulk {n}-{i:03d}", capacity_units=2, teams=[team])
        if profile:
            RepresentativeProfileFactory(representative=r, profile=profile)
        services.client_connect(representative=r, now=now - dt.timedelta(hours=1))
        if i % 2 == 0:
            assign(r, workstream, now=now - dt.timedelta(minutes=5), force=True)
        reps.append(r)
    return reps


HTMX = {"HTTP_HX_REQUEST": "true"}


def presence(rep) -> RepresentativePresence:
    return RepresentativePresence.objects.select_related("status").get(pk=rep.pk)


def body(response) -> str:
    return html.unescape(response.content.decode())


def report_urls(floor) -> list[str]:
    return [
        reverse("reports:agents"),
        reverse("reports:ongoing"),
        reverse("reports:agent_detail", args=[floor.reps["idle"].pk]),
    ]
