"""The configuration services (presence.services.config): C1-C3, D2, D4, K2, V2, A4."""

import datetime as dt

import pytest

from portal.exceptions import Conflict, NotFound, ValidationFailed
from presence import services
from presence.models import (
    AuditLogEntry,
    CapacityProfile,
    PresenceSource,
    PresenceStatus,
    Representative,
    RepresentativePresence,
    RepresentativeProfile,
    Team,
    Workstream,
)
from tests.factories import (
    CapacityProfileFactory,
    ConversationFactory,
    PresenceStatusFactory,
    RepresentativeFactory,
    TeamFactory,
    UserFactory,
    WorkstreamFactory,
    builtin,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def refused(exc_info, field: str) -> str:
    assert exc_info.value.field == field, exc_info.value.detail
    return exc_info.value.detail


# --- C1-C3 ----------------------------------------------------------------------------------------


def test_c1_create_strips_and_audits(admin_user):
    status = services.presence_status_create(
        actor=admin_user,
        now=NOW,
        name="  Training ",
        presence_text="In training",
        base_status="away",
    )
    assert status.name == "Training"
    assert status.user_can_set
    assert status.is_active
    entry = AuditLogEntry.objects.get(action="presence_status.create")
    assert entry.object_id == str(status.pk)
    assert entry.after["base_status"] == "away"
    assert entry.created_at == NOW
    assert entry.actor == admin_user


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "available"}, "name"),  # C1: unique ignoring case, built-ins included
        ({"presence_text": ""}, "presence_text"),
        ({"presence_text": "x" * 501}, "presence_text"),
        ({"description": "x" * 501}, "description"),
        ({"base_status": "lunch"}, "base_status"),
        ({"user_can_set": "yes"}, "user_can_set"),
    ],
)
def test_c1_invalid_fields_are_named_and_nothing_is_written(fields, field):
    before = PresenceStatus.objects.count()
    values = {"name": "Lunch", "presence_text": "At lunch", "base_status": "away", **fields}
    with pytest.raises(ValidationFailed) as exc_info:
        services.presence_status_create(actor=None, now=NOW, **values)
    refused(exc_info, field)
    assert PresenceStatus.objects.count() == before
    assert not AuditLogEntry.objects.exists()


def test_c1_update_keeps_its_own_name_and_refuses_another_ones():
    lunch = PresenceStatusFactory(name="Lunch")
    PresenceStatusFactory(name="Training")
    services.presence_status_update(status=lunch, actor=None, now=NOW, name="LUNCH")
    assert PresenceStatus.objects.get(pk=lunch.pk).name == "LUNCH"
    with pytest.raises(ValidationFailed) as exc_info:
        services.presence_status_update(status=lunch, actor=None, now=NOW, name="training")
    refused(exc_info, "name")
    with pytest.raises(ValidationFailed) as exc_info:
        services.presence_status_update(status=lunch, actor=None, now=NOW, colour="red")
    refused(exc_info, "colour")


def test_c1_update_without_change_writes_no_audit():
    lunch = PresenceStatusFactory(name="Lunch")
    services.presence_status_update(status=lunch, actor=None, now=NOW, name="Lunch")
    assert not AuditLogEntry.objects.exists()


def test_b2_builtins_are_refused_with_conflict():
    with pytest.raises(Conflict) as exc_info:
        services.presence_status_update(status=builtin("busy"), actor=None, now=NOW, name="Working")
    assert exc_info.value.extra["state"] == "builtin"
    with pytest.raises(Conflict):
        services.presence_status_delete(status=builtin("inactive"), actor=None, now=NOW)


def test_c3_delete_names_every_use():
    training = PresenceStatusFactory(name="Training", base_status="away")
    reps = RepresentativeFactory.create_batch(12, default_presence=training)
    # Rep 0 holds it now (after sign-in with that default, S1), so it is in history too.
    services.client_connect(representative=reps[0], now=NOW)
    with pytest.raises(Conflict) as exc_info:
        services.presence_status_delete(status=training, actor=None, now=NOW)
    detail = exc_info.value.detail
    assert "used as default presence by 12 representatives" in detail
    assert "held now by 1 representative" in detail
    assert "in the presence history of 1 representative" in detail
    assert exc_info.value.extra["state"] == "in_use"
    assert PresenceStatus.objects.filter(pk=training.pk).exists()


def test_c3_history_alone_blocks_delete_and_deactivation_is_allowed(admin_user):
    training = PresenceStatusFactory(name="Training", base_status="away")
    rep = RepresentativeFactory()
    services.client_connect(representative=rep, now=NOW)
    services.presence_set_manual(representative=rep, status=training, now=NOW)
    services.presence_set_manual(representative=rep, status=builtin("available"), now=NOW)
    assert services.presence_status_uses(training) == [
        "in the presence history of 1 representative"
    ]
    with pytest.raises(Conflict):
        services.presence_status_delete(status=training, actor=admin_user, now=NOW)
    services.presence_status_update(status=training, actor=admin_user, now=NOW, is_active=False)
    assert PresenceStatus.objects.get(pk=training.pk).is_active is False
    entry = AuditLogEntry.objects.get(action="presence_status.update")
    assert (entry.before, entry.after) == ({"is_active": True}, {"is_active": False})


def test_c3_saved_status_of_a_disconnected_rep_counts_as_held():
    training = PresenceStatusFactory(name="Training", base_status="away")
    rep = RepresentativeFactory()
    client, _ = services.client_connect(representative=rep, now=NOW)
    services.presence_set_manual(representative=rep, status=training, now=NOW)
    services.client_goodbye(representative=rep, client_id=client.client_id, now=NOW)
    assert RepresentativePresence.objects.get(pk=rep.pk).saved_status == training
    assert "held now by 1 representative" in services.presence_status_uses(training)


def test_c3_unused_status_is_deleted_and_audited(admin_user):
    lunch = PresenceStatusFactory(name="Lunch")
    services.presence_status_delete(status=lunch, actor=admin_user, now=NOW)
    assert not PresenceStatus.objects.filter(name="Lunch").exists()
    entry = AuditLogEntry.objects.get(action="presence_status.delete")
    assert entry.before["name"] == "Lunch"
    assert entry.after is None


# --- K2 -------------------------------------------------------------------------------------------


def test_k2_profile_limit_is_0_to_100_and_name_unique():
    services.capacity_profile_create(actor=None, now=NOW, name="Zero", limit=0)
    for limit in (-1, 101, "3", 2.5, True):
        with pytest.raises(ValidationFailed) as exc_info:
            services.capacity_profile_create(actor=None, now=NOW, name="Chat", limit=limit)
        refused(exc_info, "limit")
    with pytest.raises(ValidationFailed) as exc_info:
        services.capacity_profile_create(actor=None, now=NOW, name="ZERO", limit=1)
    refused(exc_info, "name")
    with pytest.raises(ValidationFailed) as exc_info:
        services.capacity_profile_create(
            actor=None, now=NOW, name="W", limit=1, reset_frequency="weekly"
        )
    refused(exc_info, "reset_frequency")
    assert CapacityProfile.objects.count() == 1


def test_k2_reset_frequency_is_fixed_at_creation():
    profile = services.capacity_profile_create(
        actor=None, now=NOW, name="Email", limit=5, reset_frequency="end_of_day"
    )
    with pytest.raises(Conflict) as exc_info:
        services.capacity_profile_update(
            profile=profile, actor=None, now=NOW, reset_frequency="immediate", limit=6
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
    services.client_connect(representative=rep, now=NOW)
    conversation = ConversationFactory(
        workstream=WorkstreamFactory(capacity_profile=profile), created_at=NOW
    )
    services.conversation_assign(conversation=conversation, representative=rep, now=NOW)
    presence = RepresentativePresence.objects.select_related("status").get(pk=rep.pk)
    assert (presence.status.base_status, presence.source) == ("busy", PresenceSource.CAPACITY)
    return rep


def base_of(rep) -> str:
    return RepresentativePresence.objects.select_related("status").get(pk=rep.pk).status.base_status


def test_k2_new_limit_recalculates_reps_without_their_own_limit(admin_user):
    profile = CapacityProfileFactory(name="Chat", limit=2)
    plain = _busy_rep_on(profile)
    own = _busy_rep_on(profile, own_limit=2)
    services.capacity_profile_update(profile=profile, actor=admin_user, now=NOW, limit=1)
    assert base_of(plain) == "busy_dnd"  # P4: 1 of 1 used, full
    assert base_of(own) == "busy"  # K2: the rep's own limit is untouched
    entry = AuditLogEntry.objects.get(action="capacity_profile.update")
    assert (entry.before, entry.after) == ({"limit": 2}, {"limit": 1})


def test_k2_rep_own_limit_set_and_removed_recalculates(admin_user):
    profile = CapacityProfileFactory(name="Chat", limit=2)
    rep = _busy_rep_on(profile)
    services.representative_profile_set(
        representative=rep, profile=profile, limit=1, actor=admin_user, now=NOW
    )
    assert base_of(rep) == "busy_dnd"
    services.representative_profile_set(
        representative=rep, profile=profile, limit=None, actor=admin_user, now=NOW
    )
    assert base_of(rep) == "busy"
    with pytest.raises(ValidationFailed) as exc_info:
        services.representative_profile_set(
            representative=rep, profile=profile, limit=101, actor=admin_user, now=NOW
        )
    refused(exc_info, "limit")
    services.representative_profile_remove(
        representative=rep, profile=profile, actor=admin_user, now=NOW
    )
    assert not RepresentativeProfile.objects.filter(representative=rep).exists()
    with pytest.raises(NotFound):
        services.representative_profile_remove(
            representative=rep, profile=profile, actor=admin_user, now=NOW
        )
    actions = list(
        AuditLogEntry.objects.filter(object_id=str(rep.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["representative.profile_set"] * 2 + ["representative.profile_remove"]


def test_k1_new_capacity_units_recalculate_the_rep(admin_user):
    rep = RepresentativeFactory(capacity_units=2)
    services.client_connect(representative=rep, now=NOW)
    conversation = ConversationFactory(workstream=WorkstreamFactory(), created_at=NOW)
    services.conversation_assign(conversation=conversation, representative=rep, now=NOW)
    assert base_of(rep) == "busy"
    services.representative_update(representative=rep, actor=admin_user, now=NOW, capacity_units=1)
    assert base_of(rep) == "busy_dnd"
    with pytest.raises(ValidationFailed) as exc_info:
        services.representative_update(
            representative=rep, actor=admin_user, now=NOW, capacity_units=-1
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
    ws = services.workstream_create(actor=None, now=NOW, name=f"WS {channel}", channel=channel)
    ws.refresh_from_db()
    assert (
        ws.autoclose_open_seconds,
        ws.autoclose_active_seconds,
        ws.autoclose_wrap_up_seconds,
    ) == expected


def test_v2_given_autoclose_times_win_and_null_means_never():
    ws = services.workstream_create(
        actor=None,
        now=NOW,
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
        services.workstream_create(actor=None, now=NOW, **values)
    refused(exc_info, field)
    assert not Workstream.objects.exists()


def test_workstream_minutes_policy_and_leaving_it():
    ws = services.workstream_create(
        actor=None,
        now=NOW,
        name="Mail",
        channel="email",
        wrap_up_policy="minutes",
        wrap_up_minutes=10,
    )
    services.workstream_update(workstream=ws, actor=None, now=NOW, wrap_up_policy="never")
    ws.refresh_from_db()
    assert (ws.wrap_up_policy, ws.wrap_up_minutes) == ("never", None)


# --- Teams and representatives (A2, D2, D4) ----------------------------------------------------


def test_team_create_names_unknown_supervisors():
    UserFactory(username="sup")
    with pytest.raises(ValidationFailed) as exc_info:
        services.team_create(
            actor=None, now=NOW, name="Sales", supervisor_usernames=["sup", "ghost"]
        )
    assert "ghost" in refused(exc_info, "supervisor_usernames")
    assert "sup," not in exc_info.value.detail
    assert not Team.objects.exists()
    team = services.team_create(actor=None, now=NOW, name="Sales", supervisor_usernames=["sup"])
    assert [u.username for u in team.supervisors.all()] == ["sup"]


@pytest.mark.parametrize(
    "status_kwargs",
    [{"builtin": "inactive"}, {"is_active": False}, {"user_can_set": False}],
)
def test_d2_default_presence_refusals(status_kwargs):
    if "builtin" in status_kwargs:
        status = builtin(status_kwargs["builtin"])
    else:
        status = PresenceStatusFactory(**status_kwargs)
    with pytest.raises(ValidationFailed) as exc_info:
        services.representative_create(
            actor=None, now=NOW, name="Cy", default_presence_id=status.pk
        )
    refused(exc_info, "default_presence_id")
    with pytest.raises(ValidationFailed):
        services.representative_default_presence_bulk(
            representative_ids=[RepresentativeFactory().pk], status=status, actor=None, now=NOW
        )
    assert not Representative.objects.filter(default_presence=status).exists()


def test_d2_a_deactivated_default_does_not_block_other_changes():
    training = PresenceStatusFactory(name="Training")
    rep = RepresentativeFactory(default_presence=training)
    training.is_active = False
    training.save()
    services.representative_update(representative=rep, actor=None, now=NOW, name="Renamed")
    assert Representative.objects.get(pk=rep.pk).name == "Renamed"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"email": "nope"}, "email"),
        ({"team_ids": [999999]}, "team_ids"),
        ({"username": "ghost"}, "username"),
        ({"name": ""}, "name"),
        ({"capacity_units": -1}, "capacity_units"),
    ],
)
def test_representative_invalid_fields_are_named(fields, field):
    with pytest.raises(ValidationFailed) as exc_info:
        services.representative_create(actor=None, now=NOW, **{"name": "Cy", **fields})
    refused(exc_info, field)
    assert not Representative.objects.exists()


def test_representative_external_id_and_email_are_unique():
    RepresentativeFactory(email="cy@example.com", external_id="crm-1")
    with pytest.raises(ValidationFailed) as exc_info:
        services.representative_create(actor=None, now=NOW, name="Cy", email="CY@example.com")
    refused(exc_info, "email")
    with pytest.raises(ValidationFailed) as exc_info:
        services.representative_create(actor=None, now=NOW, name="Cy", external_id="crm-1")
    refused(exc_info, "external_id")


def test_representative_create_links_user_and_teams_and_audits(admin_user):
    user = UserFactory(username="cy")
    team = TeamFactory()
    rep = services.representative_create(
        actor=admin_user,
        now=NOW,
        name="Cy",
        username="cy",
        team_ids=[team.pk],
        timezone="Asia/Kolkata",
    )
    assert rep.user == user
    assert list(rep.teams.all()) == [team]
    entry = AuditLogEntry.objects.get(action="representative.create")
    assert entry.after["username"] == "cy"
    assert entry.after["team_ids"] == [team.pk]
    services.representative_update(representative=rep, actor=admin_user, now=NOW, username=None)
    assert Representative.objects.get(pk=rep.pk).user is None


def test_d4_bulk_is_all_or_nothing_and_audits_every_change(
    admin_user, django_assert_max_num_queries
):
    dnd = builtin("dnd")
    reps = RepresentativeFactory.create_batch(150)
    already = RepresentativeFactory(default_presence=dnd)
    ids = [r.pk for r in reps] + [already.pk]
    with pytest.raises(ValidationFailed) as exc_info:
        services.representative_default_presence_bulk(
            representative_ids=[*ids, 999998, 999999], status=dnd, actor=admin_user, now=NOW
        )
    assert "999998, 999999" in refused(exc_info, "representative_ids")
    assert exc_info.value.extra["invalid"] == [999998, 999999]
    assert Representative.objects.filter(default_presence=dnd).count() == 1
    with django_assert_max_num_queries(8):
        changes = services.representative_default_presence_bulk(
            representative_ids=ids, status=dnd, actor=admin_user, now=NOW
        )
    assert len(changes) == 150  # the rep who had it already is no change
    assert Representative.objects.filter(default_presence=dnd).count() == 151
    entries = AuditLogEntry.objects.filter(action="representative.default_presence")
    assert entries.count() == 150
    assert {(e.before["default_presence"], e.after["default_presence"]) for e in entries} == {
        (None, "Do not disturb")
    }
    # None clears the default (D1: Available).
    services.representative_default_presence_bulk(
        representative_ids=[already.pk], status=None, actor=admin_user, now=NOW
    )
    assert Representative.objects.get(pk=already.pk).default_presence is None


def test_d4_bulk_respects_the_scope_given():
    in_scope, out_of_scope = RepresentativeFactory(), RepresentativeFactory()
    with pytest.raises(ValidationFailed):
        services.representative_default_presence_bulk(
            representative_ids=[in_scope.pk, out_of_scope.pk],
            status=builtin("away"),
            actor=None,
            now=NOW,
            scope=Representative.objects.filter(pk=in_scope.pk),
        )
    assert not Representative.objects.filter(default_presence__isnull=False).exists()


def test_d4_bulk_needs_at_least_one_id():
    with pytest.raises(ValidationFailed) as exc_info:
        services.representative_default_presence_bulk(
            representative_ids=[], status=builtin("away"), actor=None, now=NOW
        )
    refused(exc_info, "representative_ids")
