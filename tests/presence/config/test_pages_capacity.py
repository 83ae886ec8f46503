"""Configuration pages: capacity profiles and their members (K1, K2), and workstreams."""

import pytest
from django.urls import reverse

from presence.models import (
    AuditLogEntry,
    CapacityProfile,
    RepresentativeProfile,
    Workstream,
)
from presence.services import config as config_services
from tests.factories import (
    CapacityProfileFactory,
    RepresentativeFactory,
    RepresentativeProfileFactory,
    WorkstreamFactory,
)

# --- Capacity (K1, K2) ------------------------------------------------------------------------------


def test_k2_create_profile_and_edit_without_reset_frequency(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("presence:config_capacity_create"),
        {"name": "Email", "limit": "5", "reset_frequency": "end_of_day"},
    )
    profile = CapacityProfile.objects.get(name="Email")
    assert response.status_code == 302
    assert profile.reset_frequency == "end_of_day"
    page = client.get(reverse("presence:config_capacity_edit", args=[profile.pk])).content.decode()
    assert 'data-readonly="reset_frequency"' in page
    assert "fixed when a profile is created: work already counted" in page
    assert 'name="reset_frequency"' not in page
    client.post(
        reverse("presence:config_capacity_edit", args=[profile.pk]),
        {"name": "Email", "limit": "7", "blocking": "on", "reset_frequency": "immediate"},
    )
    profile.refresh_from_db()
    assert (profile.limit, profile.blocking, profile.reset_frequency) == (7, True, "end_of_day")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "limit": "3"}, "name"),
        ({"name": "P", "limit": "101"}, "limit"),
        ({"name": "P", "limit": "-1"}, "limit"),
        ({"name": "P", "limit": "many"}, "limit"),
        ({"name": "P", "limit": "3", "reset_frequency": "weekly"}, "reset_frequency"),
        ({"name": "Taken", "limit": "3"}, "name"),
    ],
)
def test_k2_profile_bad_input_names_the_field_and_writes_nothing(client, admin_user, data, field):
    CapacityProfileFactory(name="taken")
    client.force_login(admin_user)
    response = client.post(
        reverse("presence:config_capacity_create"), {"reset_frequency": "immediate", **data}
    )
    assert response.status_code == 400
    assert f'data-field-error="{field}"' in response.content.decode()
    assert CapacityProfile.objects.count() == 1
    assert not AuditLogEntry.objects.exists()


def test_k2_member_own_limit_set_clear_add_remove_and_units(client, admin_user):
    profile = CapacityProfileFactory(name="Chat", limit=3)
    rep = RepresentativeFactory(name="Ada")
    other = RepresentativeFactory(name="Bob")
    RepresentativeProfileFactory(representative=rep, profile=profile)
    client.force_login(admin_user)
    limit_url = reverse("presence:config_capacity_member_limit", args=[profile.pk, rep.pk])
    client.post(limit_url, {"limit": "5"})
    assert RepresentativeProfile.objects.get(representative=rep).limit_override == 5
    client.post(limit_url, {"limit": "5", "clear": "1"})
    assert RepresentativeProfile.objects.get(representative=rep).limit_override is None
    response = client.post(limit_url, {"limit": "500"}, follow=True)
    assert "Own limit: Ensure this value is less than or equal to 100" in response.content.decode()
    client.post(
        reverse("presence:config_capacity_member_add", args=[profile.pk]),
        {"representative": other.pk, "limit": "2"},
    )
    assert RepresentativeProfile.objects.get(representative=other).limit_override == 2
    client.post(reverse("presence:config_capacity_member_remove", args=[profile.pk, other.pk]))
    assert not RepresentativeProfile.objects.filter(representative=other).exists()
    client.post(reverse("presence:config_capacity_units", args=[rep.pk]), {"capacity_units": "4"})
    rep.refresh_from_db()
    assert rep.capacity_units == 4
    bad = client.post(
        reverse("presence:config_capacity_units", args=[rep.pk]),
        {"capacity_units": "-2"},
        follow=True,
    )
    assert "Capacity units: Ensure this value is greater than or equal to 0" in bad.content.decode()
    rep.refresh_from_db()
    assert rep.capacity_units == 4
    page = client.get(reverse("presence:config_capacity_edit", args=[profile.pk])).content.decode()
    assert 'data-member="Ada"' in page


# --- Workstreams ----------------------------------------------------------------------------------


WORKSTREAM = {
    "name": "Billing chat",
    "channel": "chat",
    "units_per_conversation": "2",
    "capacity_profile": "",
    "wrap_up_policy": "minutes",
    "wrap_up_minutes": "5",
    "allowed_base_statuses": ["available", "busy"],
    "offer_timeout_seconds": "45",
    "missed_makes_inactive": "on",
    "external_id": "WS-1",
}


def test_workstream_create_with_channel_defaults_and_every_setting_explained(client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("presence:config_workstream_create")).content.decode()
    for name in config_services.workstreams.WORKSTREAM_FIELDS:
        field = {"capacity_profile_id": "capacity_profile"}.get(name, name)
        assert f'id="field-{field}"' in page, field
        assert f'id="id_{field}_helptext"' in page, field
    response = client.post(reverse("presence:config_workstream_create"), WORKSTREAM)
    assert response.status_code == 302
    ws = Workstream.objects.get(name="Billing chat")
    assert (ws.units_per_conversation, ws.wrap_up_minutes, ws.missed_makes_inactive) == (2, 5, True)
    assert ws.autoclose_open_seconds == 20 * 60  # V2 chat default


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"units_per_conversation": "0"}, "units_per_conversation"),
        ({"wrap_up_minutes": ""}, "wrap_up_minutes"),
        ({"wrap_up_minutes": "61"}, "wrap_up_minutes"),
        ({"allowed_base_statuses": []}, "allowed_base_statuses"),
        ({"offer_timeout_seconds": "0"}, "offer_timeout_seconds"),
        ({"capacity_profile": "999999"}, "capacity_profile"),
        ({"channel": "fax"}, "channel"),
    ],
)
def test_workstream_bad_input_names_the_field_and_writes_nothing(client, admin_user, change, field):
    client.force_login(admin_user)
    response = client.post(reverse("presence:config_workstream_create"), {**WORKSTREAM, **change})
    assert response.status_code == 400
    assert f'data-field-error="{field}"' in response.content.decode()
    assert not Workstream.objects.exists()
    assert not AuditLogEntry.objects.exists()


def test_workstream_edit(client, admin_user):
    ws = WorkstreamFactory(name="Voice", channel="voice")
    client.force_login(admin_user)
    client.post(
        reverse("presence:config_workstream_edit", args=[ws.pk]),
        {
            **WORKSTREAM,
            "name": "Voice",
            "channel": "voice",
            "wrap_up_policy": "never",
            "wrap_up_minutes": "",
        },
    )
    ws.refresh_from_db()
    assert (ws.wrap_up_policy, ws.wrap_up_minutes, ws.offer_timeout_seconds) == ("never", None, 45)
