"""Presence services against the database: sign-in, clients, manual, supervisor, reset, history."""

import pytest

from portal.exceptions import Conflict, ValidationFailed
from presence import services as s
from presence.models import AuditLogEntry, BaseStatus, Client, PresenceInterval, PresenceSource
from tests.clock import at
from tests.factories import (
    ConversationFactory,
    PresenceStatusFactory,
    RepresentativeFactory,
    UserFactory,
    WorkstreamFactory,
    builtin,
)
from tests.presence.helpers import assert_h1, presence_of, status_name

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep():
    return RepresentativeFactory(capacity_units=2)


@pytest.fixture
def chat():
    return WorkstreamFactory(units_per_conversation=1)


def give_work(rep, ws, t, n=1, force=False):
    convs = []
    for _ in range(n):
        conv = ConversationFactory(workstream=ws, created_at=at(t))
        s.conversation_assign(conversation=conv, representative=rep, force=force, now=at(t))
        convs.append(conv)
    return convs


def test_b1_exactly_five_base_statuses():
    assert BaseStatus.values == ["available", "busy", "busy_dnd", "away", "offline"]


def test_d1_s1_no_default_signs_in_available(rep):
    s.client_connect(representative=rep, client_id="a", now=at(0))
    row = presence_of(rep)
    assert (row.status.name, row.source, row.signed_in) == (
        "Available",
        PresenceSource.DEFAULT,
        True,
    )


def test_d3_s1_default_applies_at_sign_in(rep):
    rep.default_presence = PresenceStatusFactory(name="Training", base_status="away")
    rep.save()
    s.client_connect(representative=rep, client_id="a", now=at(0))
    assert (status_name(rep), presence_of(rep).source) == ("Training", PresenceSource.DEFAULT)


def test_d2_deactivated_default_is_not_applied(rep):
    rep.default_presence = PresenceStatusFactory(name="Old", base_status="away", is_active=False)
    rep.save()
    s.client_connect(representative=rep, client_id="a", now=at(0))
    assert status_name(rep) == "Available"


def test_s1_sticky_default_wins_over_existing_work(rep, chat):
    s.client_connect(representative=rep, client_id="a", now=at(0))
    give_work(rep, chat, 1, n=2)
    s.representative_sign_out(representative=rep, now=at(2))
    rep.default_presence = builtin("dnd")
    rep.save()
    s.client_connect(representative=rep, client_id="b", now=at(3))
    assert (status_name(rep), presence_of(rep).source) == ("Do not disturb", PresenceSource.DEFAULT)


def test_s1_capacity_presence_when_signing_in_with_work(rep, chat):
    s.client_connect(representative=rep, client_id="a", now=at(0))
    give_work(rep, chat, 1, n=1)
    s.representative_sign_out(representative=rep, now=at(2))
    s.client_connect(representative=rep, client_id="b", now=at(3))
    assert (status_name(rep), presence_of(rep).source) == ("Busy", PresenceSource.CAPACITY)


def test_s2_second_client_changes_nothing_and_shares_presence(rep):
    s.client_connect(representative=rep, client_id="a", now=at(0))
    s.presence_set_manual(representative=rep, status=builtin("away"), now=at(1))
    s.client_connect(representative=rep, client_id="b", now=at(2))
    assert status_name(rep) == "Appear away"
    assert PresenceInterval.objects.filter(representative=rep).count() == 2
    # A change from one client is the rep's change; one goodbye of two changes nothing.
    assert s.client_goodbye(representative=rep, client_id="a", now=at(3)) is None
    assert status_name(rep) == "Appear away"


def test_s3_refresh_inside_grace_keeps_presence(rep):
    s.client_connect(representative=rep, client_id="a", now=at(0))
    s.presence_set_manual(representative=rep, status=builtin("busy"), now=at(1))
    s.client_goodbye(representative=rep, client_id="a", now=at(10))
    s.client_connect(representative=rep, client_id="a", now=at(11))
    row = presence_of(rep)
    assert (row.status.name, row.source) == ("Busy", PresenceSource.MANUAL)
    assert_h1(rep)


def test_s4_heartbeat_timeout_disconnects_and_grace_release(rep, settings):
    live = WorkstreamFactory(channel="chat")
    email = WorkstreamFactory(channel="email")
    s.client_connect(representative=rep, client_id="a", now=at(0))
    chat_conv = give_work(rep, live, 1)[0]
    email_conv = give_work(rep, email, 1)[0]
    s.client_heartbeat(representative=rep, client_id="a", now=at(20))
    s.presence_tick(now=at(70))  # 50 s since the last beat: still alive
    assert status_name(rep) == "Do not disturb"
    s.presence_tick(now=at(81))  # 61 s: gone
    row = presence_of(rep)
    assert (row.status.name, row.source, row.saved_status.name) == (
        "Offline",
        "disconnect",
        "Do not disturb",
    )
    assert not Client.objects.filter(representative=rep).exists()
    s.presence_tick(now=at(81 + settings.PRESENCE_DISCONNECT_GRACE_SECONDS))
    chat_conv.refresh_from_db()
    email_conv.refresh_from_db()
    assert (chat_conv.state, chat_conv.representative_id, chat_conv.consumes_capacity) == (
        "open",
        None,
        False,
    )
    assert email_conv.state == "active"  # only live channels go back to the queue
    row = presence_of(rep)
    assert (row.status.name, row.signed_in, row.saved_status) == ("Offline", False, None)
    # The next connect is a sign-in (S1): capacity presence since the email is still active.
    s.client_connect(representative=rep, client_id="b", now=at(400))
    assert (status_name(rep), presence_of(rep).source) == ("Busy", "capacity")
    assert_h1(rep)


def test_s4_reconnect_in_grace_restores_status_and_source_exactly(rep):
    s.client_connect(representative=rep, client_id="a", now=at(0))
    s.presence_set_manual(representative=rep, status=PresenceStatusFactory(name="Lunch"), now=at(1))
    s.client_goodbye(representative=rep, client_id="a", now=at(5))
    assert (status_name(rep), presence_of(rep).source) == ("Offline", "disconnect")
    s.client_connect(representative=rep, client_id="c", now=at(100))
    assert (status_name(rep), presence_of(rep).source) == ("Lunch", "manual")


def test_s5_sign_out_is_immediate_and_ends_every_client(rep):
    s.client_connect(representative=rep, client_id="a", now=at(0))
    s.client_connect(representative=rep, client_id="b", now=at(1))
    s.representative_sign_out(representative=rep, now=at(2))
    row = presence_of(rep)
    assert (row.status.name, row.source, row.signed_in) == ("Offline", "sign_out", False)
    assert not Client.objects.filter(representative=rep).exists()
    s.client_connect(representative=rep, client_id="c", now=at(3))
    assert presence_of(rep).source == "default"  # a sign-in, not a restore


def test_s6_time_of_day_never_changes_presence(rep):
    s.client_connect(representative=rep, client_id="a", now=at(0))
    s.presence_set_manual(representative=rep, status=builtin("available"), now=at(1))
    for hour in (3, 12, 23):
        s.client_heartbeat(representative=rep, client_id="a", now=at(hour * 3600 - 5))
        s.presence_tick(now=at(hour * 3600))
    assert (status_name(rep), presence_of(rep).source) == ("Available", "manual")


def test_p2_manual_available_is_held_until_next_conversation_event(rep, chat):
    s.client_connect(representative=rep, client_id="a", now=at(0))
    (conv,) = give_work(rep, chat, 1)
    s.presence_set_manual(representative=rep, status=builtin("available"), now=at(2))
    s.client_heartbeat(representative=rep, client_id="a", now=at(3))
    s.presence_tick(now=at(4))  # the safety net does not touch it
    assert (status_name(rep), presence_of(rep).source) == ("Available", "manual")
    s.conversation_end(conversation=conv, now=at(5))  # wrap-up `always`: nothing released, no event
    assert status_name(rep) == "Available"
    s.conversation_close(conversation=conv, now=at(6))
    assert (status_name(rep), presence_of(rep).source) == ("Available", "capacity")


def test_p3_manual_dnd_is_never_overridden(rep, chat):
    s.client_connect(representative=rep, client_id="a", now=at(0))
    s.presence_set_manual(representative=rep, status=builtin("dnd"), now=at(1))
    convs = give_work(rep, chat, 2, force=True)
    for conv in convs:
        s.conversation_close(conversation=conv, now=at(3))
    s.client_heartbeat(representative=rep, client_id="a", now=at(4))
    s.presence_tick(now=at(5))
    assert (status_name(rep), presence_of(rep).source) == ("Do not disturb", "manual")


def test_c2_custom_status_behaves_like_its_base(rep, chat):
    training = PresenceStatusFactory(name="Training", base_status="away")
    s.client_connect(representative=rep, client_id="a", now=at(0))
    s.presence_set_manual(representative=rep, status=training, now=at(1))
    conv = ConversationFactory(workstream=chat)
    with pytest.raises(Conflict, match="away"):  # away is not routed to (V4)
        s.offer_create(conversation=conv, representative=rep, now=at(2))
    interval = assert_h1(rep)[-1]
    assert (interval.status.name, interval.base_status) == ("Training", "away")


def test_p5_reset_sets_capacity_presence_not_default(rep, chat):
    rep.default_presence = builtin("away")
    rep.save()
    s.client_connect(representative=rep, client_id="a", now=at(0))
    give_work(rep, chat, 1, force=True)
    s.presence_reset(representative=rep, now=at(2))
    assert (status_name(rep), presence_of(rep).source) == ("Busy", "capacity")


def test_p7_supervisor_set_is_audited_and_sticky(rep, chat):
    boss = UserFactory(username="boss")
    s.client_connect(representative=rep, client_id="a", now=at(0))
    s.presence_set_by_supervisor(representative=rep, status=builtin("away"), actor=boss, now=at(1))
    give_work(rep, chat, 1, force=True)
    assert (status_name(rep), presence_of(rep).source) == ("Appear away", "supervisor")
    entry = AuditLogEntry.objects.get(action="presence.set_by_supervisor")
    assert (entry.actor, entry.before["status"], entry.after["status"]) == (
        boss,
        "Available",
        "Appear away",
    )
    assert PresenceInterval.objects.get(representative=rep, end__isnull=True).actor == boss


def test_p7_supervisor_busy_behaves_as_held(rep, chat):
    boss = UserFactory(username="boss")
    s.client_connect(representative=rep, client_id="a", now=at(0))
    s.presence_set_by_supervisor(representative=rep, status=builtin("busy"), actor=boss, now=at(1))
    give_work(rep, chat, 1)
    assert (status_name(rep), presence_of(rep).source) == ("Busy", "capacity")


def test_a4_rep_changing_own_presence_is_not_audited_but_others_are(rep):
    user = UserFactory(username="me")
    rep.user = user
    rep.save()
    s.client_connect(representative=rep, client_id="a", now=at(0))
    s.presence_set_manual(representative=rep, status=builtin("away"), actor=user, now=at(1))
    assert not AuditLogEntry.objects.exists()
    s.presence_reset(representative=rep, actor=UserFactory(username="other"), now=at(2))
    assert AuditLogEntry.objects.filter(action="presence.reset").count() == 1


@pytest.mark.parametrize("key", ["inactive"])
def test_b2_inactive_cannot_be_picked(rep, key):
    s.client_connect(representative=rep, client_id="a", now=at(0))
    with pytest.raises(ValidationFailed, match="Inactive"):
        s.presence_set_manual(representative=rep, status=builtin(key), now=at(1))
    assert status_name(rep) == "Available"


def test_p2_setting_presence_while_signed_out_is_refused(rep):
    with pytest.raises(Conflict, match="signed out"):
        s.presence_set_manual(representative=rep, status=builtin("busy"), now=at(0))
    assert not PresenceInterval.objects.filter(representative=rep).exists()


def test_h1_history_is_contiguous_through_a_busy_day(rep, chat):
    s.client_connect(representative=rep, client_id="a", now=at(0))
    convs = give_work(rep, chat, 1, n=2)
    s.presence_set_manual(representative=rep, status=builtin("away"), now=at(3))
    s.presence_reset(representative=rep, now=at(4))
    s.conversation_release(conversation=convs[0], now=at(5))
    s.client_goodbye(representative=rep, client_id="a", now=at(6))
    s.client_connect(representative=rep, client_id="b", now=at(7))
    s.representative_sign_out(representative=rep, now=at(8))
    intervals = assert_h1(rep)
    assert [i.status.name for i in intervals] == [
        "Available",
        "Busy",
        "Do not disturb",
        "Appear away",
        "Do not disturb",
        "Busy",
        "Offline",
        "Busy",
        "Offline",
    ]


def test_h2_signed_out_time_is_offline_intervals(rep):
    s.client_connect(representative=rep, client_id="a", now=at(0))
    s.representative_sign_out(representative=rep, now=at(3600))
    s.client_connect(representative=rep, client_id="b", now=at(7200))
    intervals = assert_h1(rep)
    total = sum(((i.end or at(9000)) - i.start).total_seconds() for i in intervals)
    assert total == 9000  # time in status adds up to wall time
    assert (intervals[1].base_status, intervals[1].source) == ("offline", "sign_out")


def test_h3_recalculation_never_rewrites_history(rep, chat):
    s.client_connect(representative=rep, client_id="a", now=at(0))
    give_work(rep, chat, 1)
    before = list(PresenceInterval.objects.filter(end__isnull=False).values())
    s.presence_recalculate(
        rep_ids=[rep.pk], event=s.transition.__globals__["engine"].Event.SAFETY_NET, now=at(5)
    )
    s.client_heartbeat(representative=rep, client_id="a", now=at(6))
    s.presence_tick(now=at(7))
    assert list(PresenceInterval.objects.filter(end__isnull=False).values()) == before


def test_h1_late_event_never_ends_an_interval_before_it_starts(rep):
    s.client_connect(representative=rep, client_id="a", now=at(10))
    s.presence_set_manual(representative=rep, status=builtin("busy"), now=at(5))  # a late clock
    assert_h1(rep)


def test_p4_no_change_writes_nothing(rep, chat):
    s.client_connect(representative=rep, client_id="a", now=at(0))
    give_work(rep, chat, 1)
    count = PresenceInterval.objects.count()
    s.client_heartbeat(representative=rep, client_id="a", now=at(2))
    s.presence_tick(now=at(3))
    s.presence_tick(now=at(4))
    assert PresenceInterval.objects.count() == count


def test_p4_safety_net_fixes_a_wrong_computed_presence(rep, chat):
    s.client_connect(representative=rep, client_id="a", now=at(0))
    give_work(rep, chat, 1)
    # Someone changed the data behind the services' back: capacity is now free.
    from presence.models import Conversation

    Conversation.objects.update(consumes_capacity=False)
    s.client_heartbeat(representative=rep, client_id="a", now=at(2))
    counts = s.presence_tick(now=at(3))
    assert counts["presence_safety_net"] == 1
    assert status_name(rep) == "Available"
    assert_h1(rep)


def test_p10_detail_explains_the_presence(rep, chat):
    from presence.selectors import representative_presence_detail

    s.client_connect(representative=rep, client_id="a", now=at(0))
    give_work(rep, chat, 1, n=2)
    # Read on the same day as the events: a `since` of another day carries its date (finding 15).
    detail = representative_presence_detail(representative=rep, now=at(60))
    assert detail["status"]["name"] == "Do not disturb"
    assert detail["reason"] == "capacity full: 2 of 2 units used"
    assert detail["headline"].startswith("Do not disturb since 09:00 — capacity full")


def test_c4_rep_sees_presence_text_in_their_language(rep):
    from presence.models import PresenceStatusTranslation
    from presence.selectors import representative_presence_detail

    training = PresenceStatusFactory(
        name="Training", presence_text="In training", base_status="away"
    )
    PresenceStatusTranslation.objects.create(
        status=training, language="fr", presence_text="En formation"
    )
    s.client_connect(representative=rep, client_id="a", now=at(0))
    s.presence_set_manual(representative=rep, status=training, now=at(1))
    assert (
        representative_presence_detail(representative=rep, now=at(2))["status"]["presence_text"]
        == "In training"
    )
    rep.language = "fr"
    rep.save()
    detail = representative_presence_detail(representative=rep, now=at(2))
    assert detail["status"]["presence_text"] == "En formation"
    assert detail["headline"].startswith("En formation since")
