"""The database itself refuses what the rules forbid, whatever code path writes (STYLE: Models).

Each test first writes the allowed edge so that it fails if the constraint is missing or too
strict, then the forbidden value inside its own savepoint.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from presence.models import (
    BaseStatus,
    BuiltinStatus,
    CapacityProfile,
    ConversationState,
    Offer,
    OfferState,
    PresenceInterval,
    PresenceSource,
    PresenceStatus,
    Representative,
    RepresentativeProfile,
    Workstream,
    WrapUpPolicy,
)
from tests.clock import T0
from tests.factories import (
    CapacityProfileFactory,
    ConversationFactory,
    PresenceStatusFactory,
    RepresentativeFactory,
    WorkstreamFactory,
    builtin,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("now")]  # the tests' clock

NOW = T0


def interval(rep, *, start, end=None):
    status = builtin("available")
    return PresenceInterval.objects.create(
        representative=rep,
        status=status,
        base_status=status.base_status,
        source=PresenceSource.MANUAL,
        start=start,
        end=end,
    )


def test_h1_one_open_interval_per_rep():
    rep, other = RepresentativeFactory(), RepresentativeFactory()
    interval(rep, start=NOW - timedelta(hours=1), end=NOW)  # closed intervals do not count
    interval(rep, start=NOW)
    interval(other, start=NOW)  # another rep's open interval is fine

    with pytest.raises(IntegrityError), transaction.atomic():
        interval(rep, start=NOW + timedelta(minutes=1))


def test_h1_interval_cannot_end_before_it_starts():
    rep = RepresentativeFactory()
    interval(rep, start=NOW, end=NOW)  # zero length is allowed

    with pytest.raises(IntegrityError), transaction.atomic():
        interval(rep, start=NOW, end=NOW - timedelta(seconds=1))


def test_k2_capacity_profile_limit_at_most_100():
    CapacityProfileFactory(limit=100)
    CapacityProfileFactory(limit=0)

    with pytest.raises(IntegrityError), transaction.atomic():
        CapacityProfile.objects.create(name="Too many", limit=101)


def test_k2_representative_limit_override_at_most_100():
    profile = CapacityProfileFactory()
    RepresentativeProfile.objects.create(
        representative=RepresentativeFactory(), profile=profile, limit_override=100
    )
    RepresentativeProfile.objects.create(
        representative=RepresentativeFactory(), profile=profile, limit_override=None
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        RepresentativeProfile.objects.create(
            representative=RepresentativeFactory(), profile=profile, limit_override=101
        )


def test_c1_status_name_unique_case_insensitive():
    PresenceStatusFactory(name="Lunch break")
    PresenceStatusFactory(name="Lunch")

    with pytest.raises(IntegrityError), transaction.atomic():
        PresenceStatus.objects.create(
            name="LUNCH BREAK", presence_text="Lunch break", base_status=BaseStatus.AWAY
        )
    # A custom status cannot take a built-in's name either.
    with pytest.raises(IntegrityError), transaction.atomic():
        PresenceStatus.objects.create(
            name="available", presence_text="Available", base_status=BaseStatus.AVAILABLE
        )


def test_k1_workstream_units_at_least_1():
    WorkstreamFactory(units_per_conversation=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        Workstream.objects.create(name="Free work", channel="chat", units_per_conversation=0)


@pytest.mark.parametrize(
    ("policy", "minutes"),
    [
        (WrapUpPolicy.MINUTES, 61),
        (WrapUpPolicy.MINUTES, 0),
        (WrapUpPolicy.MINUTES, None),
        (WrapUpPolicy.ALWAYS, 5),
        (WrapUpPolicy.NEVER, 5),
    ],
)
def test_k3_wrap_up_minutes_only_with_minutes_policy_1_to_60(policy, minutes):
    WorkstreamFactory(wrap_up_policy=WrapUpPolicy.MINUTES, wrap_up_minutes=60)
    WorkstreamFactory(wrap_up_policy=WrapUpPolicy.MINUTES, wrap_up_minutes=1)
    WorkstreamFactory(wrap_up_policy=WrapUpPolicy.ALWAYS, wrap_up_minutes=None)
    WorkstreamFactory(wrap_up_policy=WrapUpPolicy.NEVER, wrap_up_minutes=None)

    with pytest.raises(IntegrityError), transaction.atomic():
        WorkstreamFactory(wrap_up_policy=policy, wrap_up_minutes=minutes)


def test_k1_capacity_units_not_negative():
    RepresentativeFactory(capacity_units=0)

    with pytest.raises(IntegrityError), transaction.atomic():
        Representative.objects.create(name="Negative", capacity_units=-1)


def test_v1_active_conversation_needs_a_representative():
    ConversationFactory(state=ConversationState.OPEN, representative=None)
    ConversationFactory(state=ConversationState.ACTIVE, representative=RepresentativeFactory())

    with pytest.raises(IntegrityError), transaction.atomic():
        ConversationFactory(state=ConversationState.ACTIVE, representative=None)


def test_v4_one_pending_offer_per_conversation():
    conversation = ConversationFactory()
    rep, other = RepresentativeFactory(), RepresentativeFactory()

    def offer(representative, state=OfferState.PENDING):
        return Offer.objects.create(
            conversation=conversation,
            representative=representative,
            state=state,
            created_at=NOW,
            expires_at=NOW + timedelta(seconds=60),
        )

    offer(rep, state=OfferState.MISSED)  # decided offers do not count
    offer(rep)

    with pytest.raises(IntegrityError), transaction.atomic():
        offer(other)


def test_b2_builtin_statuses_exist():
    statuses = {
        status.builtin_key: status for status in PresenceStatus.objects.exclude(builtin_key=None)
    }

    assert {key: status.base_status for key, status in statuses.items()} == {
        BuiltinStatus.AVAILABLE: BaseStatus.AVAILABLE,
        BuiltinStatus.BUSY: BaseStatus.BUSY,
        BuiltinStatus.DND: BaseStatus.BUSY_DND,
        BuiltinStatus.AWAY: BaseStatus.AWAY,
        BuiltinStatus.OFFLINE: BaseStatus.OFFLINE,
        BuiltinStatus.INACTIVE: BaseStatus.AWAY,
    }
    assert statuses[BuiltinStatus.INACTIVE].user_can_set is False
    assert all(
        status.user_can_set and status.is_active
        for key, status in statuses.items()
        if key != BuiltinStatus.INACTIVE
    )
    assert statuses[BuiltinStatus.DND].name == "Do not disturb"


def group_permissions(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_a1_role_groups_exist():
    admins = group_permissions("Portal admins")
    supervisors = group_permissions("Supervisors")
    representatives = group_permissions("Representatives")

    assert {
        "presence.configure_portal",
        "presence.view_reports",
        "presence.manage_presence",
        "presence.use_console",
    } <= admins
    assert {
        "presence.view_reports",
        "presence.manage_presence",
        "presence.force_close_conversation",
    } <= supervisors
    assert "presence.configure_portal" not in supervisors
    assert representatives == {"presence.use_console"}
