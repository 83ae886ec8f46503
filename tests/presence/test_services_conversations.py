"""Conversation and capacity services against the database: K, V, P6, P8, P9."""

import datetime as dt

import pytest

from portal.exceptions import Conflict, ValidationFailed
from presence import services as s
from presence.models import AuditLogEntry, Conversation, ConversationParticipant, Offer
from tests.clock import T0, at
from tests.factories import (
    CapacityProfileFactory,
    ConversationFactory,
    RepresentativeFactory,
    RepresentativeProfileFactory,
    UserFactory,
    WorkstreamFactory,
    builtin,
)
from tests.presence.helpers import assert_h1, presence_of, status_name

pytestmark = pytest.mark.django_db


def signed_in(**kwargs):
    rep = RepresentativeFactory(**kwargs)
    s.client_connect(representative=rep, client_id=f"c{rep.pk}", now=at(0))
    return rep


def assign(rep, ws, t=1, force=False):
    conv = ConversationFactory(workstream=ws, created_at=at(t))
    return s.conversation_assign(conversation=conv, representative=rep, force=force, now=at(t))


def test_k1_units_arithmetic_and_workstream_units():
    rep = signed_in(capacity_units=5)
    heavy = WorkstreamFactory(units_per_conversation=3)
    assign(rep, heavy)
    snap = s.capacity_snapshot(representative_id=rep.pk, now=at(2))
    assert (snap.units_used, snap.units_available, snap.sessions) == (3, 2, 1)
    assert status_name(rep) == "Busy"
    assign(rep, heavy, t=2)
    assert status_name(rep) == "Do not disturb"


def test_k1_zero_units_rep_is_never_stuck_in_dnd_after_forced_assignment():
    rep = signed_in(capacity_units=0)
    profile = CapacityProfileFactory(limit=1)
    RepresentativeProfileFactory(representative=rep, profile=profile)
    ws = WorkstreamFactory(capacity_profile=profile)
    a = assign(rep, ws)
    b = assign(rep, ws, t=2, force=True)
    assert status_name(rep) == "Do not disturb"
    s.conversation_close(conversation=b, now=at(3))
    s.conversation_close(conversation=a, now=at(4))
    assert status_name(rep) == "Available"


def test_k2_rep_own_limit_overrides_profile_limit():
    rep = signed_in()
    profile = CapacityProfileFactory(limit=1)
    RepresentativeProfileFactory(representative=rep, profile=profile, limit_override=2)
    ws = WorkstreamFactory(capacity_profile=profile)
    assign(rep, ws)
    assert status_name(rep) == "Busy"
    assign(rep, ws, t=2)
    assert status_name(rep) == "Do not disturb"


@pytest.mark.parametrize(
    ("policy", "minutes", "after_end"),
    [
        ("always", None, "Do not disturb"),
        ("never", None, "Available"),
        ("minutes", 5, "Do not disturb"),
    ],
)
def test_k3_wrap_up_policies(policy, minutes, after_end):
    rep = signed_in(capacity_units=1)
    ws = WorkstreamFactory(wrap_up_policy=policy, wrap_up_minutes=minutes)
    conv = assign(rep, ws)
    s.conversation_end(conversation=conv, now=at(10))
    assert status_name(rep) == after_end
    if policy == "minutes":
        s.client_heartbeat(representative=rep, client_id=f"c{rep.pk}", now=at(300))
        s.presence_tick(now=at(309))
        assert status_name(rep) == "Do not disturb"
        s.presence_tick(now=at(310))
        assert status_name(rep) == "Available"
    s.conversation_close(conversation=conv, now=at(311))
    assert status_name(rep) == "Available"


def test_k3_open_waiting_closed_use_no_capacity():
    rep = signed_in(capacity_units=1)
    email = WorkstreamFactory(channel="email")
    conv = assign(rep, email)
    s.conversation_wait(conversation=conv, now=at(2))
    assert s.capacity_snapshot(representative_id=rep.pk, now=at(3)).units_used == 0
    assert status_name(rep) == "Available"
    s.conversation_revive(conversation=conv, by="representative", now=at(4))
    assert status_name(rep) == "Do not disturb"
    s.conversation_release(conversation=conv, now=at(5))
    assert status_name(rep) == "Available"


def test_k4_end_of_day_work_items_count_until_rep_midnight():
    rep = signed_in(timezone="Europe/Paris")  # 09:00 UTC = 10:00 Paris; midnight Paris = 23:00 UTC
    daily = CapacityProfileFactory(limit=2, reset_frequency="end_of_day")
    RepresentativeProfileFactory(representative=rep, profile=daily)
    ws = WorkstreamFactory(capacity_profile=daily, wrap_up_policy="minutes", wrap_up_minutes=1)
    for t in (1, 2):
        conv = assign(rep, ws, t=t)
        s.conversation_end(conversation=conv, now=at(t + 1))
    s.client_heartbeat(representative=rep, client_id=f"c{rep.pk}", now=at(190))
    s.presence_tick(now=at(200))  # minutes wrap-up released: K4 keeps the end-of-day items
    for conv in Conversation.objects.all():
        s.conversation_close(conversation=conv, now=at(201))
    assert s.capacity_snapshot(representative_id=rep.pk, now=at(202)).profiles[0].used == 2
    assert status_name(rep) == "Do not disturb"
    with pytest.raises(Conflict):  # V4: not routed in do-not-disturb
        s.offer_create(
            conversation=ConversationFactory(workstream=ws), representative=rep, now=at(203)
        )
    midnight = T0.replace(hour=23)  # the rep's midnight (UTC+1 in November)
    s.client_heartbeat(
        representative=rep, client_id=f"c{rep.pk}", now=midnight - dt.timedelta(seconds=5)
    )
    s.presence_tick(now=midnight - dt.timedelta(seconds=1))
    assert status_name(rep) == "Do not disturb"
    s.presence_tick(now=midnight)
    assert status_name(rep) == "Available"  # K4: they do not count the next day
    assert s.capacity_snapshot(representative_id=rep.pk, now=midnight).profiles[0].used == 0


def test_k5_forced_assignment_makes_capacity_negative_and_full():
    rep = signed_in(capacity_units=1)
    ws = WorkstreamFactory()
    assign(rep, ws)
    assign(rep, ws, t=2, force=True)
    snap = s.capacity_snapshot(representative_id=rep.pk, now=at(3))
    assert snap.units_available == -1
    assert status_name(rep) == "Do not disturb"


def test_k6_blocking_profile_at_limit_refuses_offers_and_names_it():
    rep = signed_in()
    voice = CapacityProfileFactory(name="Voice", limit=1, blocking=True)
    chat = CapacityProfileFactory(name="Chat", limit=5)
    RepresentativeProfileFactory(representative=rep, profile=voice)
    RepresentativeProfileFactory(representative=rep, profile=chat)
    assign(rep, WorkstreamFactory(capacity_profile=voice))
    s.presence_set_manual(representative=rep, status=builtin("available"), now=at(2))
    conv = ConversationFactory(workstream=WorkstreamFactory(capacity_profile=chat))
    with pytest.raises(Conflict, match=r"Voice \(1 of 1\)"):
        s.offer_create(conversation=conv, representative=rep, now=at(3))
    with pytest.raises(Conflict, match="Voice"):
        s.conversation_assign(conversation=conv, representative=rep, now=at(3))
    s.conversation_assign(
        conversation=conv, representative=rep, force=True, now=at(4)
    )  # a supervisor still can


def test_p1_session_ceiling(settings):
    settings.PRESENCE_MAX_SESSIONS = 3
    rep = signed_in(capacity_units=100)
    ws = WorkstreamFactory()
    for t in (1, 2):
        assign(rep, ws, t=t)
    assert status_name(rep) == "Busy"
    assign(rep, ws, t=3)
    assert status_name(rep) == "Do not disturb"


def test_v1_refused_moves_name_the_current_state():
    rep = signed_in(capacity_units=3)
    conv = ConversationFactory(workstream=WorkstreamFactory())
    with pytest.raises(Conflict, match="it is open") as err:
        s.conversation_end(conversation=conv, now=at(1))
    assert err.value.extra["state"] == "open"
    s.conversation_assign(conversation=conv, representative=rep, now=at(2))
    with pytest.raises(Conflict, match="active"):
        s.conversation_assign(conversation=conv, representative=rep, now=at(3))
    with pytest.raises(Conflict, match="async"):  # chat cannot wait
        s.conversation_wait(conversation=conv, now=at(3))
    s.conversation_end(conversation=conv, now=at(4))
    with pytest.raises(Conflict, match="wrap_up"):
        s.conversation_release(conversation=conv, now=at(5))
    s.conversation_close(conversation=conv, now=at(6))
    for move in (s.conversation_end, s.conversation_close, s.conversation_release):
        with pytest.raises(Conflict, match="closed"):
            move(conversation=conv, now=at(7))


def test_v1_revive_by_customer_goes_back_to_queue():
    rep = signed_in(capacity_units=3)
    conv = assign(rep, WorkstreamFactory(channel="sms"))
    s.conversation_wait(conversation=conv, now=at(2))
    with pytest.raises(ValidationFailed):
        s.conversation_revive(conversation=conv, by="robot", now=at(3))
    s.conversation_revive(conversation=conv, by="customer", now=at(3))
    conv.refresh_from_db()
    assert (conv.state, conv.representative_id) == ("open", None)


def test_v2_autoclose_by_channel_defaults():
    rep = signed_in(capacity_units=3)
    chat = WorkstreamFactory(
        channel="chat", autoclose_open_seconds=1200, autoclose_wrap_up_seconds=900
    )
    voice = WorkstreamFactory(
        channel="voice", autoclose_active_seconds=7200, autoclose_wrap_up_seconds=86400
    )
    idle_open = ConversationFactory(workstream=chat, created_at=at(0))
    call = assign(rep, voice, t=0)
    assert status_name(rep) == "Busy"
    s.client_heartbeat(representative=rep, client_id=f"c{rep.pk}", now=at(7200))
    s.presence_tick(now=at(7201))
    idle_open.refresh_from_db()
    call.refresh_from_db()
    assert idle_open.state == "closed"
    assert call.state == "wrap_up"  # voice: 2 hours, then to wrap-up


def test_v2_longer_wrap_up_block_time_wins():
    rep = signed_in(capacity_units=3)
    chat = WorkstreamFactory(
        autoclose_wrap_up_seconds=60, wrap_up_policy="minutes", wrap_up_minutes=10
    )
    conv = assign(rep, chat, t=0)
    s.conversation_end(conversation=conv, now=at(0))
    s.presence_tick(now=at(120))
    conv.refresh_from_db()
    assert conv.state == "wrap_up"
    s.presence_tick(now=at(601))
    conv.refresh_from_db()
    assert conv.state == "closed"


def test_v3_stuck_conversation_is_flagged_and_force_closed(settings):
    rep = signed_in(capacity_units=1)
    boss = UserFactory(username="boss")
    conv = assign(rep, WorkstreamFactory(), t=0)
    s.presence_tick(now=at(settings.CONVERSATION_STUCK_AFTER_SECONDS - 1))
    conv.refresh_from_db()
    assert not conv.is_stuck
    s.presence_tick(now=at(settings.CONVERSATION_STUCK_AFTER_SECONDS))
    conv.refresh_from_db()
    assert conv.is_stuck
    s.client_connect(
        representative=rep, client_id="again", now=at(settings.CONVERSATION_STUCK_AFTER_SECONDS)
    )
    s.presence_reset(representative=rep, now=at(settings.CONVERSATION_STUCK_AFTER_SECONDS + 1))
    assert status_name(rep) == "Do not disturb"
    s.conversation_force_close(
        conversation=conv, actor=boss, now=at(settings.CONVERSATION_STUCK_AFTER_SECONDS + 2)
    )
    conv.refresh_from_db()
    assert (conv.state, conv.consumes_capacity, conv.is_stuck, conv.closed_by_force) == (
        "closed",
        False,
        False,
        True,
    )
    assert status_name(rep) == "Available"
    assert AuditLogEntry.objects.filter(action="conversation.force_close", actor=boss).exists()


@pytest.mark.parametrize("state", ["open", "waiting", "wrap_up"])
def test_v3_force_close_works_in_every_open_state(state):
    rep = signed_in(capacity_units=1)
    conv = ConversationFactory(workstream=WorkstreamFactory(channel="email"))
    if state != "open":
        s.conversation_assign(conversation=conv, representative=rep, now=at(1))
        (s.conversation_wait if state == "waiting" else s.conversation_end)(
            conversation=conv, now=at(2)
        )
    s.conversation_force_close(conversation=conv, actor=None, now=at(3))
    conv.refresh_from_db()
    assert conv.state == "closed"
    assert status_name(rep) == "Available"


def test_v4_offer_accept_and_expiry():
    rep = signed_in(capacity_units=2)
    ws = WorkstreamFactory(offer_timeout_seconds=30)
    conv = ConversationFactory(workstream=ws)
    offer = s.offer_create(conversation=conv, representative=rep, now=at(1))
    assert offer.expires_at == at(31)
    with pytest.raises(Conflict, match="pending offer"):
        s.offer_create(conversation=conv, representative=rep, now=at(2))
    s.offer_accept(offer=offer, now=at(5))
    conv.refresh_from_db()
    assert (conv.state, conv.representative_id) == ("active", rep.pk)
    with pytest.raises(Conflict, match="accepted"):
        s.offer_reject(offer=offer, now=at(6))


def test_v4_offer_refused_outside_allowed_presence_unless_forced():
    rep = signed_in()
    s.presence_set_manual(representative=rep, status=builtin("dnd"), now=at(1))
    conv = ConversationFactory(workstream=WorkstreamFactory())
    with pytest.raises(Conflict, match="busy_dnd"):
        s.offer_create(conversation=conv, representative=rep, now=at(2))
    assert s.offer_create(conversation=conv, representative=rep, force=True, now=at(2)).forced


def test_p6_missed_offer_makes_rep_inactive_when_switch_on():
    rep = signed_in()
    ws = WorkstreamFactory(offer_timeout_seconds=60, missed_makes_inactive=True)
    conv = ConversationFactory(workstream=ws)
    offer = s.offer_create(conversation=conv, representative=rep, now=at(1))
    s.client_heartbeat(representative=rep, client_id=f"c{rep.pk}", now=at(60))
    s.presence_tick(now=at(60))
    assert status_name(rep) == "Available"
    s.presence_tick(now=at(61))
    offer.refresh_from_db()
    conv.refresh_from_db()
    assert (offer.state, conv.state) == ("missed", "open")
    assert (status_name(rep), presence_of(rep).source) == ("Inactive", "missed")
    with pytest.raises(Conflict, match="expired|missed"):
        s.offer_accept(offer=offer, now=at(62))
    # Sticky until reset (P5) or a manual change.
    assign(rep, WorkstreamFactory(), t=63, force=True)
    assert status_name(rep) == "Inactive"
    s.presence_reset(representative=rep, now=at(64))
    assert (status_name(rep), presence_of(rep).source) == ("Busy", "capacity")


def test_p6_missed_offer_without_switch_changes_nothing():
    rep = signed_in()
    conv = ConversationFactory(workstream=WorkstreamFactory(missed_makes_inactive=False))
    s.offer_create(conversation=conv, representative=rep, now=at(1))
    s.client_heartbeat(representative=rep, client_id=f"c{rep.pk}", now=at(61))
    s.presence_tick(now=at(62))
    assert Offer.objects.get().state == "missed"
    assert status_name(rep) == "Available"


def test_p6_rejection_makes_dnd_when_switch_on():
    rep = signed_in()
    conv = ConversationFactory(workstream=WorkstreamFactory(reject_makes_dnd=True))
    offer = s.offer_create(conversation=conv, representative=rep, now=at(1))
    s.offer_reject(offer=offer, now=at(2))
    conv.refresh_from_db()
    assert conv.state == "open"
    assert (status_name(rep), presence_of(rep).source) == ("Do not disturb", "rejected")


def test_p8_consult_changes_neither_presence_nor_capacity():
    primary = signed_in(capacity_units=2)
    consultant = signed_in(capacity_units=1)
    conv = assign(primary, WorkstreamFactory())
    before = (
        status_name(consultant),
        s.capacity_snapshot(representative_id=consultant.pk, now=at(2)),
    )
    s.conversation_consult(conversation=conv, representative=consultant, now=at(2))
    after = (
        status_name(consultant),
        s.capacity_snapshot(representative_id=consultant.pk, now=at(3)),
    )
    assert before == after
    assert ConversationParticipant.objects.filter(
        role="consult", representative=consultant
    ).exists()


def test_p9_transfer_moves_capacity_and_recalculates_both():
    first = signed_in(capacity_units=1)
    second = signed_in(capacity_units=1)
    conv = assign(first, WorkstreamFactory())
    assert (status_name(first), status_name(second)) == ("Do not disturb", "Available")
    s.conversation_transfer(conversation=conv, representative=second, now=at(2))
    assert (status_name(first), status_name(second)) == ("Available", "Do not disturb")
    trail = list(
        ConversationParticipant.objects.filter(role="primary")
        .order_by("joined_at", "id")
        .values_list("representative_id", "left_at")
    )
    assert trail == [(first.pk, at(2)), (second.pk, None)]
    assert_h1(first)
    assert_h1(second)


def test_v1_late_clock_never_ends_a_participation_before_it_began():
    """A request that waited for the conversation's lock may carry an earlier clock than the
    change it waited for; it acts at the conversation's last activity instead."""
    first = signed_in(capacity_units=2)
    second = signed_in(capacity_units=2)
    conv = assign(first, WorkstreamFactory(), t=10)
    s.conversation_transfer(conversation=conv, representative=second, now=at(20))
    s.conversation_close(conversation=conv, now=at(15))  # a late clock
    conv.refresh_from_db()
    assert conv.closed_at == at(20)
    for joined, left in ConversationParticipant.objects.values_list("joined_at", "left_at"):
        assert left >= joined
    assert_h1(second)
