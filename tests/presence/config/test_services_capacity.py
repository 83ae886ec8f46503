"""The configuration services of capacity profiles (K1, K2) and workstreams (V2)."""

import pytest

from portal.exceptions import Conflict, NotFound, ValidationFailed
from presence import services
from presence.models import (
    AuditLogEntry,
    CapacityProfile,
    PresenceSource,
    Representative,
    RepresentativePresence,
    RepresentativeProfile,
    Workstream,
)
from tests.clock import T0
from tests.factories import (
    CapacityProfileFactory,
    ConversationFactory,
    RepresentativeFactory,
    WorkstreamFactory,
)
from tests.presence.config.helpers import refused

pytestmark = pytest.mark.django_db


# --- K2 -------------------------------------------------------------------------------------------


def test_k2_profile_limit_is_0_to_100_and_name_unique():
    services.capacity_profile_create(actor=None, now=T0, name="Zero", limit=0)
    for limit in (-1, 101, "3", 2.5, True):
        with pytest.raises(ValidationFailed) as exc_info:
            services.capacity_profile_create(actor=None, now=T0, name="Chat", limit=limit)
        refused(exc_info, "limit")
    with pytest.raises(ValidationFailed) as exc_info:
        services.capacity_profile_create(actor=None, now=T0, name="ZERO", limit=1)
    refused(exc_info, "name")
    with pytest.raises(ValidationFailed) as exc_info:
        services.capacity_profile_create(
            actor=None, now=T0, name="W", limit=1, reset_frequency="weekly"
        )
    refused(exc_info, "reset_frequency")
    assert CapacityProfile.objects.count() == 1


def test_k2_reset_frequency_is_fixed_at_creation():
    profile = services.capacity_profile_create(
        actor=None, now=T0, name="Email", limit=5, reset_frequency="end_of_day"
    )
    with pytest.raises(Conflict) as exc_info:
        services.capacity_profile_update(
            profile=profile, actor=None, now=T0, reset_frequency="immediate", limit=6
        )
    assert "Create a new profile" in exc_info.value.detail
    assert exc_info.value.extra["state"] == "end_of_day"
    profile.refresh_from_db()
    assert (profile.limit, profile.reset_frequency) == (5, "end_of_day")


def _busy_rep_on(profile: CapacityProfile, *, own_limit: int | None = None) -> Representative:
    """A signed-in rep holding `profile`, with one assigned conversation: capacity presence Busy."""
    rep = RepresentativeFactory()
    RepresentativeProfile.objects.create(
        representative=rep, profile=profile, limit_override=own_limit
    )
    services.client_connect(representative=rep, now=T0)
    conversation = ConversationFactory(
        workstream=WorkstreamFactory(capacity_profile=profile), created_at=T0
    )
    services.conversation_assign(conversation=conversation, representative=rep, now=T0)
    presence = RepresentativePresence.objects.select_related("status").get(pk=rep.pk)
    assert (presence.status.base_status, presence.source) == ("busy", PresenceSource.CAPACITY)
    return rep


def base_of(rep) -> str:
    return RepresentativePresence.objects.select_related("status").get(pk=rep.pk).status.base_status


def test_k2_new_limit_recalculates_reps_without_their_own_limit(admin_user):
    profile = CapacityProfileFactory(name="Chat", limit=2)
    plain = _busy_rep_on(profile)
    own = _busy_rep_on(profile, own_limit=2)
    services.capacity_profile_update(profile=profile, actor=admin_user, now=T0, limit=1)
    assert base_of(plain) == "busy_dnd"  # P4: 1 of 1 used, full
    assert base_of(own) == "busy"  # K2: the rep's own limit is untouched
    entry = AuditLogEntry.objects.get(action="capacity_profile.update")
    assert (entry.before, entry.after) == ({"limit": 2}, {"limit": 1})


def test_k2_rep_own_limit_set_and_removed_recalculates(admin_user):
    profile = CapacityProfileFactory(name="Chat", limit=2)
    rep = _busy_rep_on(profile)
    services.representative_profile_set(
        representative=rep, profile=profile, limit=1, actor=admin_user, now=T0
    )
    assert base_of(rep) == "busy_dnd"
    services.representative_profile_set(
        representative=rep, profile=profile, limit=None, actor=admin_user, now=T0
    )
    assert base_of(rep) == "busy"
    with pytest.raises(ValidationFailed) as exc_info:
        services.representative_profile_set(
            representative=rep, profile=profile, limit=101, actor=admin_user, now=T0
        )
    refused(exc_info, "limit")
    services.representative_profile_remove(
        representative=rep, profile=profile, actor=admin_user, now=T0
    )
    assert not RepresentativeProfile.objects.filter(representative=rep).exists()
    with pytest.raises(NotFound):
        services.representative_profile_remove(
            representative=rep, profile=profile, actor=admin_user, now=T0
        )
    actions = list(
        AuditLogEntry.objects.filter(object_id=str(rep.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["representative.profile_set"] * 2 + ["representative.profile_remove"]


def test_k1_new_capacity_units_recalculate_the_rep(admin_user):
    rep = RepresentativeFactory(capacity_units=2)
    services.client_connect(representative=rep, now=T0)
    conversation = ConversationFactory(workstream=WorkstreamFactory(), created_at=T0)
    services.conversation_assign(conversation=conversation, representative=rep, now=T0)
    assert base_of(rep) == "busy"
    services.representative_update(representative=rep, actor=admin_user, now=T0, capacity_units=1)
    assert base_of(rep) == "busy_dnd"
    with pytest.raises(ValidationFailed) as exc_info:
        services.representative_update(
            representative=rep, actor=admin_user, now=T0, capacity_units=-1
        )
    refused(exc_info, "capacity_units")


# --- Workstreams (V2) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ("chat", (20 * 60, None, 15 * 60)),
        ("voice", (30 * 86400, 2 * 3600, 86400)),
        ("sms", (30 * 86400, 30 * 86400, 86400)),
        ("email", (30 * 86400, 30 * 86400, 86400)),
        ("social", (30 * 86400, 30 * 86400, 86400)),
        ("persistent_chat", (30 * 86400, 30 * 86400, 86400)),
    ],
)
def test_v2_autoclose_defaults_by_channel(channel, expected):
    ws = services.workstream_create(actor=None, now=T0, name=f"WS {channel}", channel=channel)
    ws.refresh_from_db()
    assert (
        ws.autoclose_open_seconds,
        ws.autoclose_active_seconds,
        ws.autoclose_wrap_up_seconds,
    ) == expected


def test_v2_given_autoclose_times_win_and_null_means_never():
    ws = services.workstream_create(
        actor=None,
        now=T0,
        name="Chat",
        channel="chat",
        autoclose_open_seconds=None,
        autoclose_wrap_up_seconds=60,
    )
    assert (
        ws.autoclose_open_seconds,
        ws.autoclose_active_seconds,
        ws.autoclose_wrap_up_seconds,
    ) == (None, None, 60)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"wrap_up_policy": "minutes"}, "wrap_up_minutes"),
        ({"wrap_up_policy": "minutes", "wrap_up_minutes": 0}, "wrap_up_minutes"),
        ({"wrap_up_policy": "minutes", "wrap_up_minutes": 61}, "wrap_up_minutes"),
        ({"wrap_up_policy": "always", "wrap_up_minutes": 5}, "wrap_up_minutes"),
        ({"wrap_up_policy": "sometimes"}, "wrap_up_policy"),
        ({"allowed_base_statuses": []}, "allowed_base_statuses"),
        ({"allowed_base_statuses": ["available", "inactive"]}, "allowed_base_statuses"),
        ({"units_per_conversation": 0}, "units_per_conversation"),
        ({"offer_timeout_seconds": 0}, "offer_timeout_seconds"),
        ({"capacity_profile_id": 999999}, "capacity_profile_id"),
        ({"external_id": "x" * 101}, "external_id"),
        ({"autoclose_open_seconds": 0}, "autoclose_open_seconds"),
    ],
)
def test_workstream_invalid_fields_are_named(fields, field):
    values = {"name": "Mail", "channel": "email", **fields}
    with pytest.raises(ValidationFailed) as exc_info:
        services.workstream_create(actor=None, now=T0, **values)
    refused(exc_info, field)
    assert not Workstream.objects.exists()


def test_workstream_minutes_policy_and_leaving_it():
    ws = services.workstream_create(
        actor=None,
        now=T0,
        name="Mail",
        channel="email",
        wrap_up_policy="minutes",
        wrap_up_minutes=10,
    )
    services.workstream_update(workstream=ws, actor=None, now=T0, wrap_up_policy="never")
    ws.refresh_from_db()
    assert (ws.wrap_up_policy, ws.wrap_up_minutes) == ("never", None)
