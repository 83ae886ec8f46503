"""A floor for the queues report (issue 16), built through the services in the order of the clock,
and an independent computation of every queue figure from the raw rows (plain Python over every
row of the tables, no query of reports.realtime.selectors)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from presence import services
from presence.models import (
    BaseStatus,
    Conversation,
    ConversationParticipant,
    Offer,
    ParticipantRole,
    Representative,
    RepresentativePresence,
    RepresentativeProfile,
    ResetFrequency,
    Workstream,
)
from presence.services.jobs import offers_expire
from tests.factories import (
    CapacityProfileFactory,
    RepresentativeFactory,
    RepresentativeProfileFactory,
    TeamFactory,
    UserFactory,
    WorkstreamFactory,
    builtin,
)


@dataclass
class QueueFloor:
    supervisor: object
    admin: object
    mine: object
    other: object
    reps: dict[str, Representative]
    chat: Workstream
    email: Workstream
    tokyo: Workstream
    c: dict[str, Conversation]


def build_queue_floor(*, now: dt.datetime) -> QueueFloor:
    """Three queues in three zones (UTC, New York, Tokyo), four reps in the supervisor's team
    (available, blocked by a full blocking profile, Do not disturb, never signed in) and one in
    another team; conversations answered today and yesterday in each zone, offers accepted,
    rejected and missed, a release and re-assignment (the first answer counts), and three waiting."""

    def t(seconds: int) -> dt.datetime:
        return now + dt.timedelta(seconds=seconds)

    mine, other = TeamFactory(name="Queue mine"), TeamFactory(name="Queue other")
    supervisor = UserFactory(username="queue-super", groups=["Supervisors"])
    admin = UserFactory(username="queue-admin", groups=["Portal admins"])
    mine.supervisors.add(supervisor)
    chat_profile = CapacityProfileFactory(name="Queue chat", limit=1, blocking=True)
    chat = WorkstreamFactory(
        name="Q Chat", capacity_profile=chat_profile, timezone="UTC", service_level_seconds=20
    )
    email = WorkstreamFactory(
        name="Q Email",
        channel="email",
        units_per_conversation=2,
        timezone="America/New_York",
        service_level_seconds=60,
        allowed_base_statuses=[BaseStatus.AVAILABLE, BaseStatus.BUSY, BaseStatus.BUSY_DND],
    )
    tokyo = WorkstreamFactory(
        name="Q Tokyo", channel="sms", timezone="Asia/Tokyo", service_level_seconds=30
    )
    a = RepresentativeFactory(name="Qa Avail", capacity_units=3, teams=[mine])
    b = RepresentativeFactory(name="Qb Blocked", capacity_units=2, teams=[mine])
    for rep in (a, b):
        RepresentativeProfileFactory(representative=rep, profile=chat_profile)
    c_rep = RepresentativeFactory(name="Qc Dnd", capacity_units=0, teams=[mine])
    d = RepresentativeFactory(name="Qd Never", capacity_units=5, teams=[mine])
    z = RepresentativeFactory(name="Qz Outside", capacity_units=4, teams=[other])
    for rep in (a, b, c_rep, z):
        services.client_connect(representative=rep, now=t(-86400))

    conv = {}

    def create(key, ws, seconds):
        conv[key] = services.conversation_create(workstream=ws, now=t(seconds))
        return conv[key]

    def assign(key, rep, seconds, force=False):
        conv[key] = services.conversation_assign(
            conversation=conv[key], representative=rep, force=force, now=t(seconds)
        )

    def offer(key, rep, seconds, force=False):
        return services.offer_create(
            conversation=conv[key], representative=rep, force=force, now=t(seconds)
        )

    create("c10", tokyo, -72000)  # answered before Tokyo's day began
    assign("c10", a, -68400)
    services.conversation_close(conversation=conv["c10"], now=t(-66000))
    create("c11", tokyo, -61200)  # Tokyo's today: rejected by a, accepted by z
    o = offer("c11", a, -61200)
    services.offer_reject(offer=o, now=t(-61190))
    o = offer("c11", z, -57600)
    services.offer_accept(offer=o, now=t(-57590))
    create("c5", chat, -39600)  # answered yesterday in UTC
    assign("c5", a, -37800)
    create("c9", tokyo, -36000)
    services.conversation_close(conversation=conv["c5"], now=t(-36000))
    assign("c9", a, -35960)  # 40 s: outside Tokyo's 30 s
    create("c8", email, -16200)  # answered before New York's day began
    assign("c8", z, -15840)
    create("c7", email, -7200)
    assign("c7", a, -7170)  # 30 s: within 60 s; its first answer
    create("c1", chat, -3600)
    services.conversation_release(conversation=conv["c7"], now=t(-3600))
    assign("c1", b, -3590)  # 10 s: within 20 s; b's blocking profile is now full (K6)
    assign("c7", z, -3000)  # again, later: not a first answer
    services.presence_set_manual(representative=c_rep, status=builtin("dnd"), now=t(-1000))
    create("c2", chat, -600)
    o = offer("c2", a, -590)
    services.offer_reject(offer=o, now=t(-580))
    o = offer("c2", z, -570, force=True)  # z is over capacity: a forced offer
    services.offer_accept(offer=o, now=t(-540))  # 60 s: outside 20 s
    create("c6", chat, -300)
    offer("c6", a, -290)
    offers_expire(now=t(-200))  # missed; c6 waits since -300
    create("c3", chat, -120)
    create("c4", chat, -60)
    return QueueFloor(
        supervisor=supervisor,
        admin=admin,
        mine=mine,
        other=other,
        reps={"a": a, "b": b, "c": c_rep, "d": d, "z": z},
        chat=chat,
        email=email,
        tokyo=tokyo,
        c=conv,
    )


def expected_queues(*, rep_ids: set[int], now: dt.datetime) -> dict[int, dict]:
    """Every figure of every workstream, from the raw rows; `rep_ids`: the viewer's reps."""
    conversations = list(Conversation.objects.select_related("capacity_profile"))
    offers = list(Offer.objects.select_related("conversation"))
    participants = list(ConversationParticipant.objects.all())
    presences = {p.pk: p for p in RepresentativePresence.objects.select_related("status")}
    reps = {r.pk: r for r in Representative.objects.all() if r.pk in rep_ids}
    links = list(RepresentativeProfile.objects.select_related("profile"))

    def blocked(rep_id: int) -> bool:
        for link in links:
            if link.representative_id != rep_id or not link.profile.blocking:
                continue
            limit = link.limit_override if link.limit_override is not None else link.profile.limit
            used = 0
            for c in conversations:
                if c.representative_id != rep_id or c.capacity_profile_id != link.profile_id:
                    continue
                if c.capacity_profile.reset_frequency == ResetFrequency.IMMEDIATE:
                    used += c.consumes_capacity
                else:
                    used += c.end_of_day_until is not None and c.end_of_day_until > now
            if used >= limit:
                return True
        return False

    def free(rep: Representative) -> int:
        if rep.capacity_units <= 0:
            return 0
        used = sum(
            c.units for c in conversations if c.representative_id == rep.pk and c.consumes_capacity
        )
        return max(0, rep.capacity_units - used)

    first_join: dict[int, dt.datetime] = {}
    for p in participants:
        if p.role == ParticipantRole.PRIMARY:
            j = first_join.get(p.conversation_id)
            first_join[p.conversation_id] = p.joined_at if j is None else min(j, p.joined_at)

    result = {}
    for ws in Workstream.objects.all():
        local = now.astimezone(ZoneInfo(ws.timezone))
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        waiting = [c for c in conversations if c.workstream_id == ws.pk and c.state == "open"]
        mine = [
            o
            for o in offers
            if o.conversation.workstream_id == ws.pk
            and start <= o.created_at <= now
            and o.representative_id in rep_ids
        ]
        waits = [
            (first_join[c.pk] - c.created_at).total_seconds()
            for c in conversations
            if c.workstream_id == ws.pk and c.pk in first_join and start <= first_join[c.pk] <= now
        ]
        takers = [
            r
            for r in reps.values()
            if r.pk in presences
            and presences[r.pk].status.base_status != BaseStatus.OFFLINE
            and presences[r.pk].status.base_status in ws.allowed_base_statuses
            and not blocked(r.pk)
        ]
        result[ws.pk] = {
            "waiting": len(waiting),
            "longest_wait_seconds": (
                int((now - min(c.state_changed_at for c in waiting)).total_seconds())
                if waiting
                else None
            ),
            "offered": len(mine),
            "accepted": sum(o.state == "accepted" for o in mine),
            "rejected": sum(o.state == "rejected" for o in mine),
            "missed": sum(o.state == "missed" for o in mine),
            "answered": len(waits),
            "average_answer_seconds": sum(waits) / len(waits) if waits else None,
            "within_service_level": sum(w <= ws.service_level_seconds for w in waits),
            "may_take": len(takers),
            "free_units": sum(free(r) for r in takers),
        }
    return result


def figures_dict(f) -> dict:
    return {
        "waiting": f.waiting,
        "longest_wait_seconds": f.longest_wait_seconds,
        "offered": f.offered,
        "accepted": f.accepted,
        "rejected": f.rejected,
        "missed": f.missed,
        "answered": f.answered,
        "average_answer_seconds": f.average_answer_seconds,
        "within_service_level": f.within_service_level,
        "may_take": f.may_take,
        "free_units": f.free_units,
    }
