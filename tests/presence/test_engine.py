"""The pure rules, without a database. Each test names the rule id it proves."""

import pytest

from portal.exceptions import Conflict, ValidationFailed
from presence import engine as e
from tests.presence.engine_cast import (
    AVAIL,
    AWAY,
    BUILTINS,
    BUSY,
    DND,
    FOCUS,
    HIDDEN,
    INACTIVE,
    OFFLINE,
    RETIRED,
    TRAINING,
)


def prof(used, limit, blocking=False, name="Chat", pid=1):
    return e.ProfileUsage(profile_id=pid, name=name, limit=limit, used=used, blocking=blocking)


def snap(units_total=0, units_used=0, sessions=None, profiles=(), max_sessions=10):
    if sessions is None:
        sessions = max([units_used > 0, *[p.used for p in profiles]], default=0)
    return e.CapacitySnapshot(units_total, units_used, int(sessions), tuple(profiles), max_sessions)


# P1: (id, snapshot, expected level)
P1_CASES = [
    ("nothing configured, no work", snap(), e.Level.NONE),
    ("nothing configured, some work", snap(sessions=1), e.Level.PARTIAL),
    ("nothing configured, never full below the ceiling", snap(sessions=9), e.Level.PARTIAL),
    ("units only, none used", snap(units_total=3), e.Level.NONE),
    ("units only, partly used", snap(units_total=3, units_used=2, sessions=2), e.Level.PARTIAL),
    ("units only, exactly used", snap(units_total=3, units_used=3, sessions=1), e.Level.FULL),
    ("units only, negative (K5)", snap(units_total=3, units_used=5, sessions=2), e.Level.FULL),
    ("session ceiling", snap(units_total=100, units_used=10, sessions=10), e.Level.FULL),
    ("session ceiling is a setting", snap(sessions=3, max_sessions=3), e.Level.FULL),
    (
        "profiles only, one of two full, non-blocking",
        snap(profiles=[prof(3, 3), prof(0, 2, pid=2)]),
        e.Level.PARTIAL,
    ),
    ("profiles only, all full", snap(profiles=[prof(3, 3), prof(2, 2, pid=2)]), e.Level.FULL),
    (
        "profiles only, blocking profile full",
        snap(profiles=[prof(1, 1, True), prof(0, 5, pid=2)]),
        e.Level.FULL,
    ),
    (
        "profiles only, blocking not full, other full",
        snap(profiles=[prof(0, 1, True), prof(5, 5, pid=2)]),
        e.Level.PARTIAL,
    ),
    ("profiles only, over the limit (K5)", snap(profiles=[prof(4, 3)]), e.Level.FULL),
    ("units and profiles, only units exhausted", snap(3, 3, 1, [prof(1, 3)]), e.Level.PARTIAL),
    ("units and profiles, only profiles exhausted", snap(5, 3, 3, [prof(3, 3)]), e.Level.PARTIAL),
    ("units and profiles, both exhausted", snap(3, 3, 3, [prof(3, 3)]), e.Level.FULL),
    ("units negative beats free profiles (K5)", snap(2, 3, 1, [prof(1, 5)]), e.Level.FULL),
    ("units and blocking profile full", snap(3, 3, 1, [prof(1, 1, True)]), e.Level.FULL),
    ("profile with limit 0 and no work", snap(profiles=[prof(0, 0)]), e.Level.NONE),
]


@pytest.mark.parametrize(("case", "capacity", "level"), P1_CASES, ids=[c[0] for c in P1_CASES])
def test_p1_capacity_presence_table(case, capacity, level):
    result = e.capacity_presence(capacity)
    assert result.level == level
    assert (
        result.base_status
        == {e.Level.NONE: e.AVAILABLE, e.Level.PARTIAL: e.BUSY, e.Level.FULL: e.BUSY_DND}[level]
    )


@pytest.mark.parametrize(("case", "capacity", "level"), P1_CASES, ids=[c[0] for c in P1_CASES])
def test_p1_capacity_level_agrees_with_capacity_presence(case, capacity, level):
    assert e.capacity_level(capacity) == level


def test_p10_capacity_reason_names_the_profile():
    result = e.capacity_presence(snap(profiles=[prof(3, 3, name="Chat")]))
    assert result.reason == "capacity full: 3 of 3 work items used (profile Chat)"


def test_k1_zero_units_means_units_do_not_apply():
    # 0 units: managed by profiles alone; unit arithmetic would call 1 used of 0 "negative".
    assert (
        e.capacity_presence(
            snap(units_total=0, units_used=1, sessions=1, profiles=[prof(1, 3)])
        ).level
        == e.Level.PARTIAL
    )


def test_c2_custom_status_behaves_like_its_base():
    assert e.kind_of(e.MANUAL, TRAINING.base_status) == e.Kind.STICKY
    assert e.kind_of(e.MANUAL, FOCUS.base_status) == e.Kind.HELD


@pytest.mark.parametrize(
    ("source", "base", "kind"),
    [
        (e.MANUAL, e.BUSY_DND, e.Kind.STICKY),
        (e.DEFAULT, e.AWAY, e.Kind.STICKY),
        (e.SUPERVISOR, e.OFFLINE, e.Kind.STICKY),
        (e.MISSED, e.AWAY, e.Kind.STICKY),
        (e.REJECTED, e.BUSY_DND, e.Kind.STICKY),
        (e.DISCONNECT, e.OFFLINE, e.Kind.STICKY),
        (e.SIGN_OUT, e.OFFLINE, e.Kind.STICKY),
        (e.MANUAL, e.AVAILABLE, e.Kind.HELD),
        (e.DEFAULT, e.BUSY, e.Kind.HELD),
        (e.SUPERVISOR, e.AVAILABLE, e.Kind.HELD),
        (e.CAPACITY, e.BUSY_DND, e.Kind.COMPUTED),
    ],
)
def test_p4_kinds(source, base, kind):
    assert e.kind_of(source, base) == kind


def at(status, source, signed_in=True, saved=None, saved_source=""):
    return e.Presence(
        status=status,
        source=source,
        signed_in=signed_in,
        saved_status=saved,
        saved_source=saved_source,
    )


def decide(current, event, capacity=None, **change):
    return e.decide(
        current=current,
        change=e.Change(event, **change),
        capacity=capacity or snap(),
        builtins=BUILTINS,
    )


SIGNED_OUT = at(OFFLINE, e.SIGN_OUT, signed_in=False)


def test_s1_sticky_default_is_set_even_with_work():
    d = decide(
        SIGNED_OUT, e.Event.CONNECT, snap(units_total=3, units_used=3, sessions=3), default=TRAINING
    )
    assert (d.status, d.source, d.kind, d.signed_in) == (TRAINING, e.DEFAULT, e.Kind.STICKY, True)


def test_s1_d1_no_default_means_available():
    d = decide(SIGNED_OUT, e.Event.CONNECT)
    assert (d.status, d.source, d.kind) == (AVAIL, e.DEFAULT, e.Kind.HELD)


def test_s1_held_default_without_work():
    d = decide(SIGNED_OUT, e.Event.CONNECT, default=FOCUS)
    assert (d.status, d.source) == (FOCUS, e.DEFAULT)


def test_s1_capacity_presence_when_work_in_progress():
    d = decide(
        SIGNED_OUT, e.Event.CONNECT, snap(units_total=2, units_used=2, sessions=2), default=AVAIL
    )
    assert (d.status, d.source) == (DND, e.CAPACITY)


def test_s2_another_client_changes_nothing():
    d = decide(at(AWAY, e.MANUAL), e.Event.CONNECT, default=AVAIL)
    assert not d.changed_presence
    assert (d.status, d.source) == (AWAY, e.MANUAL)


def test_s4_disconnect_saves_and_goes_offline():
    d = decide(at(BUSY, e.CAPACITY), e.Event.DISCONNECT)
    assert (d.status, d.source, d.saved_status, d.saved_source) == (
        OFFLINE,
        e.DISCONNECT,
        BUSY,
        e.CAPACITY,
    )


def test_s3_s4_reconnect_in_grace_restores_exactly():
    d = decide(
        at(OFFLINE, e.DISCONNECT, saved=TRAINING, saved_source=e.MANUAL),
        e.Event.CONNECT,
        default=AVAIL,
    )
    assert (d.status, d.source, d.saved_status, d.signed_in) == (TRAINING, e.MANUAL, None, True)


def test_s4_grace_expiry_signs_out_without_a_new_interval():
    d = decide(
        at(OFFLINE, e.DISCONNECT, saved=BUSY, saved_source=e.CAPACITY), e.Event.GRACE_EXPIRED
    )
    assert not d.changed_presence
    assert (d.status, d.signed_in, d.saved_status) == (OFFLINE, False, None)


def test_s4_after_grace_the_next_connect_is_a_sign_in():
    current = at(OFFLINE, e.DISCONNECT, signed_in=False)
    d = decide(current, e.Event.CONNECT, default=AWAY)
    assert (d.status, d.source, d.rule) == (AWAY, e.DEFAULT, "S1")


def test_s5_sign_out_is_offline_at_once_without_grace():
    d = decide(at(BUSY, e.MANUAL), e.Event.SIGN_OUT)
    assert (d.status, d.source, d.signed_in, d.saved_status) == (OFFLINE, e.SIGN_OUT, False, None)


def test_s5_sign_out_of_disconnected_rep_clears_the_saved_status():
    d = decide(at(OFFLINE, e.DISCONNECT, saved=BUSY, saved_source=e.CAPACITY), e.Event.SIGN_OUT)
    assert (d.source, d.saved_status, d.signed_in) == (e.SIGN_OUT, None, False)


@pytest.mark.parametrize(
    "event", [e.Event.CONVERSATION, e.Event.CAPACITY_CHANGE, e.Event.SAFETY_NET]
)
@pytest.mark.parametrize("status", [DND, AWAY, TRAINING, OFFLINE])
def test_p3_p4_manual_dnd_away_offline_is_never_overridden(event, status):
    d = decide(at(status, e.MANUAL), event, snap(sessions=0))
    assert not d.changed_presence
    assert d.status == status


@pytest.mark.parametrize("source", [e.MISSED, e.REJECTED])
def test_p6_missed_and_rejected_are_sticky(source):
    d = decide(at(INACTIVE, source), e.Event.CONVERSATION, snap(sessions=1))
    assert not d.changed_presence


def test_p2_held_status_is_recalculated_on_conversation_event():
    d = decide(
        at(AVAIL, e.MANUAL), e.Event.CONVERSATION, snap(units_total=2, units_used=1, sessions=1)
    )
    assert (d.status, d.source, d.changed_presence) == (BUSY, e.CAPACITY, True)


@pytest.mark.parametrize("event", [e.Event.CAPACITY_CHANGE, e.Event.SAFETY_NET])
def test_p2_held_status_survives_time_and_configuration(event):
    d = decide(at(FOCUS, e.MANUAL), event, snap(units_total=2, units_used=2, sessions=2))
    assert not d.changed_presence
    assert d.status == FOCUS


@pytest.mark.parametrize(
    "event", [e.Event.CONVERSATION, e.Event.CAPACITY_CHANGE, e.Event.SAFETY_NET]
)
def test_p4_computed_status_is_recalculated(event):
    d = decide(at(AVAIL, e.CAPACITY), event, snap(units_total=1, units_used=1, sessions=1))
    assert (d.status, d.source, d.changed_presence) == (DND, e.CAPACITY, True)


def test_p4_recalculation_that_finds_nothing_writes_nothing():
    d = decide(
        at(BUSY, e.CAPACITY), e.Event.SAFETY_NET, snap(units_total=3, units_used=1, sessions=1)
    )
    assert not d.changed_presence


def test_p4_offline_rep_is_not_recalculated():
    d = decide(SIGNED_OUT, e.Event.SAFETY_NET, snap(sessions=1))
    assert not d.changed_presence
    assert d.status == OFFLINE


def test_p5_reset_sets_capacity_presence_not_default():
    d = decide(at(INACTIVE, e.MISSED), e.Event.RESET, snap())
    assert (d.status, d.source) == (AVAIL, e.CAPACITY)


def test_p7_supervisor_set_is_sticky_on_dnd_and_held_on_busy():
    assert decide(at(AVAIL, e.CAPACITY), e.Event.SUPERVISOR, status=DND).kind == e.Kind.STICKY
    d = decide(at(AVAIL, e.CAPACITY), e.Event.SUPERVISOR, status=BUSY)
    assert (d.source, d.kind) == (e.SUPERVISOR, e.Kind.HELD)


def test_p6_missed_with_switch_makes_inactive():
    d = decide(at(AVAIL, e.CAPACITY), e.Event.MISSED, switch_on=True)
    assert (d.status, d.source) == (INACTIVE, e.MISSED)


def test_p6_rejected_with_switch_makes_dnd():
    d = decide(at(BUSY, e.CAPACITY), e.Event.REJECTED, switch_on=True)
    assert (d.status, d.source) == (DND, e.REJECTED)


@pytest.mark.parametrize("event", [e.Event.MISSED, e.Event.REJECTED])
def test_p6_switch_off_changes_nothing(event):
    assert not decide(at(AVAIL, e.CAPACITY), event, switch_on=False).changed_presence


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (INACTIVE, "Inactive is set only by the system"),
        (HIDDEN, "cannot set"),
        (RETIRED, "deactivated"),
    ],
)
def test_b2_c3_d2_unpickable_statuses_are_refused(status, message):
    with pytest.raises(ValidationFailed, match=message):
        decide(at(AVAIL, e.CAPACITY), e.Event.MANUAL, status=status)


def test_p2_manual_set_requires_a_signed_in_rep():
    with pytest.raises(Conflict, match="signed out"):
        decide(SIGNED_OUT, e.Event.MANUAL, status=AVAIL)


def test_p2_same_manual_status_again_writes_nothing():
    assert not decide(at(AWAY, e.MANUAL), e.Event.MANUAL, status=AWAY).changed_presence


def test_p10_explanations():
    cap = snap(profiles=[prof(3, 3, name="Chat")])
    assert e.explain(
        status=DND, source=e.CAPACITY, signed_in=True, disconnected=False, capacity=cap
    ) == ("capacity full: 3 of 3 work items used (profile Chat)")
    assert e.explain(
        status=AWAY, source=e.MANUAL, signed_in=True, disconnected=False, capacity=cap
    ) == ("set by the representative; capacity does not override it")
