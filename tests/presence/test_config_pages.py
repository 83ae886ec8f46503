"""Configuration pages (presence/views_config): every page for every role (A3), and the forms of
statuses (B2, C1, C3, C4), capacity (K2), workstreams, teams, roles (A1), tokens and the audit (A4).

Bulk default presence (D4) is in test_config_pages_defaults.py.
"""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from presence import services
from presence.models import (
    ApiToken,
    AuditLogEntry,
    CapacityProfile,
    PresenceStatus,
    PresenceStatusTranslation,
    RepresentativeProfile,
    Team,
    Workstream,
)
from presence.services import config as config_services
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

HTMX = {"HTTP_HX_REQUEST": "true"}
PERMISSION = "presence.configure_portal"


@pytest.fixture
def objects(db):
    """One of everything, so that every page with an id has something to show."""
    team = TeamFactory(name="Blue")
    rep = RepresentativeFactory(name="Ada Lovelace", teams=[team])
    profile = CapacityProfileFactory(name="Chat profile")
    RepresentativeProfileFactory(representative=rep, profile=profile)
    status = PresenceStatusFactory(name="Lunch", base_status="away")
    ws = WorkstreamFactory(name="Support chat", capacity_profile=profile)
    user = UserFactory(username="someone")
    token, _ = services.api_token_create(user=user, name="robot", now=timezone.now())
    return {
        "team": team,
        "rep": rep,
        "profile": profile,
        "status": status,
        "ws": ws,
        "user": user,
        "token": token,
    }


def get_pages(o):
    return [
        reverse("presence:config_home"),
        reverse("presence:config_statuses"),
        reverse("presence:config_status_create"),
        reverse("presence:config_status_edit", args=[o["status"].pk]),
        reverse("presence:config_status_edit", args=[builtin("available").pk]),
        reverse("presence:config_status_translations", args=[o["status"].pk]),
        reverse("presence:config_defaults"),
        reverse("presence:config_defaults_import"),
        reverse("presence:config_defaults_export"),
        reverse("presence:config_capacity"),
        reverse("presence:config_capacity_create"),
        reverse("presence:config_capacity_edit", args=[o["profile"].pk]),
        reverse("presence:config_workstreams"),
        reverse("presence:config_workstream_create"),
        reverse("presence:config_workstream_edit", args=[o["ws"].pk]),
        reverse("presence:config_teams"),
        reverse("presence:config_team_create"),
        reverse("presence:config_team_edit", args=[o["team"].pk]),
        reverse("presence:config_users"),
        reverse("presence:config_tokens"),
        reverse("presence:config_audit"),
    ]


def post_pages(o):
    rep, profile, status, team = o["rep"], o["profile"], o["status"], o["team"]
    return [
        reverse("presence:config_status_create"),
        reverse("presence:config_status_validate"),
        reverse("presence:config_status_edit", args=[status.pk]),
        reverse("presence:config_status_active", args=[status.pk]),
        reverse("presence:config_status_delete", args=[status.pk]),
        reverse("presence:config_status_translations", args=[status.pk]),
        reverse("presence:config_default_set", args=[rep.pk]),
        reverse("presence:config_defaults_preview"),
        reverse("presence:config_defaults_import"),
        reverse("presence:config_defaults_apply"),
        reverse("presence:config_capacity_create"),
        reverse("presence:config_capacity_edit", args=[profile.pk]),
        reverse("presence:config_capacity_member_add", args=[profile.pk]),
        reverse("presence:config_capacity_member_limit", args=[profile.pk, rep.pk]),
        reverse("presence:config_capacity_member_remove", args=[profile.pk, rep.pk]),
        reverse("presence:config_capacity_units", args=[rep.pk]),
        reverse("presence:config_workstream_create"),
        reverse("presence:config_workstream_edit", args=[o["ws"].pk]),
        reverse("presence:config_team_create"),
        reverse("presence:config_team_edit", args=[team.pk]),
        reverse("presence:config_team_members_add", args=[team.pk]),
        reverse("presence:config_team_member_remove", args=[team.pk, rep.pk]),
        reverse("presence:config_user_roles", args=[o["user"].pk]),
        reverse("presence:config_tokens"),
        reverse("presence:config_token_revoke", args=[o["token"].pk]),
    ]


# --- Every page, every role (A3) --------------------------------------------------------------------


def test_a3_admin_opens_every_page(client, admin_user, objects):
    client.force_login(admin_user)
    for url in get_pages(objects):
        response = client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize("role", ["supervisor_user", "rep_user"])
def test_a3_supervisors_and_reps_get_403_naming_the_permission(client, role, request, objects):
    client.force_login(request.getfixturevalue(role))
    audit_before = AuditLogEntry.objects.count()
    for url in get_pages(objects):
        response = client.get(url)
        assert response.status_code == 403, url
        assert PERMISSION in response.content.decode(), url
    for url in post_pages(objects):
        response = client.post(url, {"name": "x", "status": "", "limit": "1"})
        assert response.status_code == 403, url
        assert PERMISSION in response.content.decode(), url
    assert AuditLogEntry.objects.count() == audit_before  # nothing written
    assert PresenceStatus.objects.filter(pk=objects["status"].pk).exists()


def test_a3_anonymous_is_sent_to_login(client, objects):
    for url in get_pages(objects) + post_pages(objects):
        response = client.get(url) if url in get_pages(objects) else client.post(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_a3_anonymous_htmx_request_reloads_the_login_page(client, objects):
    response = client.get(reverse("presence:config_defaults"), **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("login"))


def test_nav_and_overview_link_every_section(client, admin_user, objects):
    client.force_login(admin_user)
    html = client.get(reverse("presence:config_home")).content.decode()
    assert 'href="/configure/"' in html  # the main navigation's "Configuration"
    for name in (
        "statuses",
        "defaults",
        "capacity",
        "workstreams",
        "teams",
        "users",
        "tokens",
        "audit",
    ):
        assert f'data-section="{name}"' in html


# --- Statuses (B2, C1, C3, C4) ------------------------------------------------------------------


def test_c3_status_list_counts_defaults_and_holders_in_one_query(
    client, admin_user, django_assert_max_num_queries
):
    training = PresenceStatusFactory(name="Training", base_status="away")
    for i in range(3):
        RepresentativeFactory(name=f"R{i}", default_presence=training)
    for i in range(20):
        PresenceStatusFactory(name=f"Extra {i}")
    rep = RepresentativeFactory(name="Holder", default_presence=training)
    services.client_connect(representative=rep, client_id="tab-0000001", now=timezone.now())
    client.force_login(admin_user)
    client.get(reverse("presence:config_statuses"))  # warm the session/permission caches
    with django_assert_max_num_queries(6):  # session, user, perms, the statuses (one query)
        response = client.get(reverse("presence:config_statuses"))
    html = response.content.decode()
    row = html[html.index('data-status="Training"') :]
    row = row[: row.index("</tr>")]
    assert 'data-cell="default_count">4 reps' in row
    assert 'data-cell="holding_count">1 rep<' in row  # signed in with their default (D3)
    available = html[html.index('data-status="Available"') :]
    assert "built-in" in available[: available.index("</tr>")]


def test_c3_status_list_and_delete_refusal_give_the_same_counts(client, admin_user):
    """Review finding 17: a disconnected rep whose saved status is Training holds it (S4, it
    comes back on reconnect): the list says "Held now by 1 rep" and so does the refusal; both
    count the history too."""
    training = PresenceStatusFactory(name="Training", base_status="away")
    rep = RepresentativeFactory(name="Gone for a minute")
    now = timezone.now()
    tab, _ = services.client_connect(representative=rep, now=now)
    services.presence_set_manual(representative=rep, status=training, now=now)
    services.client_goodbye(representative=rep, client_id=tab.client_id, now=now)
    client.force_login(admin_user)
    html = client.get(reverse("presence:config_statuses")).content.decode()
    row = html[html.index('data-status="Training"') :]
    row = row[: row.index("</tr>")]
    assert 'data-cell="holding_count">1 rep<' in row
    assert 'data-cell="history_count">1 rep<' in row
    response = client.post(
        reverse("presence:config_status_delete", args=[training.pk]), follow=True
    )
    refusal = response.content.decode()
    assert "held now by 1 representative" in refusal
    assert "in the presence history of 1 representative" in refusal
    assert PresenceStatus.objects.filter(pk=training.pk).exists()


def test_statuses_list_puts_builtins_first_in_their_order_then_custom_by_name(client, admin_user):
    """Review finding 16: built-ins first in their B2 order, then custom statuses by name."""
    PresenceStatusFactory(name="lunch", presence_text="At lunch", base_status="away")
    PresenceStatusFactory(name="Admin work", presence_text="Admin", base_status="busy")
    client.force_login(admin_user)
    html = client.get(reverse("presence:config_statuses")).content.decode()
    order = re.findall(r'data-status="([^"]+)"', html)
    assert order == [
        "Available",
        "Busy",
        "Do not disturb",
        "Appear away",
        "Offline",
        "Inactive",
        "Admin work",
        "lunch",
    ]


def test_c3_status_list_htmx_sort_returns_the_partial(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("presence:config_statuses") + "?sort=-default_count", **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="status-results"')
    assert "<html" not in html


def test_c1_create_custom_status_and_audit(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("presence:config_status_create"),
        {
            "name": "Training",
            "presence_text": "In training",
            "description": "",
            "base_status": "away",
            "user_can_set": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    status = PresenceStatus.objects.get(name="Training")
    assert (status.base_status, status.user_can_set, status.is_active) == ("away", True, True)
    entry = AuditLogEntry.objects.get(action="presence_status.create")
    assert entry.actor == admin_user
    assert entry.after["name"] == "Training"


@pytest.mark.parametrize(
    ("data", "field", "text"),
    [
        (
            {"name": "", "presence_text": "x", "base_status": "away"},
            "name",
            "Name: This field is required",
        ),
        ({"name": "x" * 101, "presence_text": "x", "base_status": "away"}, "name", "at most 100"),
        (
            {"name": "available", "presence_text": "x", "base_status": "away"},
            "name",
            "exists already",
        ),
        (
            {"name": "T", "presence_text": "", "base_status": "away"},
            "presence_text",
            "Presence text: This field is required",
        ),
        (
            {"name": "T", "presence_text": "x" * 501, "base_status": "away"},
            "presence_text",
            "at most 500",
        ),
        (
            {"name": "T", "presence_text": "x", "base_status": "lunch"},
            "base_status",
            "Base status: Select a valid choice",
        ),
        (
            {"name": "T", "presence_text": "x", "base_status": "away", "description": "d" * 501},
            "description",
            "at most 500",
        ),
    ],
)
def test_c1_bad_input_is_named_next_to_the_field_and_nothing_written(
    client, admin_user, data, field, text
):
    client.force_login(admin_user)
    count = PresenceStatus.objects.count()
    response = client.post(reverse("presence:config_status_create"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'data-field-error="{field}"' in html
    assert text in html
    assert PresenceStatus.objects.count() == count
    assert not AuditLogEntry.objects.exists()


def test_c1_inline_validation_returns_the_field_with_its_error(client, admin_user):
    PresenceStatusFactory(name="Training")
    client.force_login(admin_user)
    url = reverse("presence:config_status_validate")
    response = client.post(url, {"_field": "name", "name": "TRAINING"}, **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="field" id="field-name"')
    assert "exists already" in html
    ok = client.post(url, {"_field": "name", "name": "Coaching"}, **HTMX).content.decode()
    assert "field-error" not in ok
    # Another field's problem is not shown on this one.
    assert (
        "field-error"
        not in client.post(
            url, {"_field": "presence_text", "presence_text": "Fine", "name": ""}, **HTMX
        ).content.decode()
    )
    assert not AuditLogEntry.objects.exists()


def test_c1_edit_custom_status(client, admin_user):
    status = PresenceStatusFactory(name="Lunch", base_status="away")
    client.force_login(admin_user)
    response = client.post(
        reverse("presence:config_status_edit", args=[status.pk]),
        {
            "name": "Lunch break",
            "presence_text": "At lunch",
            "base_status": "busy_dnd",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    status.refresh_from_db()
    assert (status.name, status.base_status, status.user_can_set) == (
        "Lunch break",
        "busy_dnd",
        False,
    )


def test_b2_builtin_status_is_shown_locked_and_refused(client, admin_user):
    client.force_login(admin_user)
    available = builtin("available")
    page = client.get(reverse("presence:config_status_edit", args=[available.pk]))
    assert "cannot be edited or deleted." in page.content.decode()
    assert b'name="name"' not in page.content
    refused = client.post(
        reverse("presence:config_status_edit", args=[available.pk]),
        {"name": "Ready", "presence_text": "Ready", "base_status": "available"},
    )
    assert refused.status_code == 403
    client.post(reverse("presence:config_status_delete", args=[available.pk]))
    available.refresh_from_db()
    assert available.name == "Available"


def test_c3_delete_in_use_is_refused_with_the_reason(client, admin_user):
    status = PresenceStatusFactory(name="Training")
    RepresentativeFactory(default_presence=status)
    RepresentativeFactory(default_presence=status)
    client.force_login(admin_user)
    response = client.post(reverse("presence:config_status_delete", args=[status.pk]), follow=True)
    html = response.content.decode()
    assert 'class="message message-error"' in html
    assert "used as default presence by 2 representatives" in html
    assert "Deactivate it instead" in html
    assert PresenceStatus.objects.filter(pk=status.pk).exists()


def test_c3_deactivate_then_delete_unused(client, admin_user):
    status = PresenceStatusFactory(name="Old")
    client.force_login(admin_user)
    client.post(reverse("presence:config_status_active", args=[status.pk]), {"active": "0"})
    status.refresh_from_db()
    assert status.is_active is False
    client.post(reverse("presence:config_status_delete", args=[status.pk]))
    assert not PresenceStatus.objects.filter(pk=status.pk).exists()
    assert AuditLogEntry.objects.filter(action="presence_status.delete").count() == 1


def test_c4_translations_are_saved_per_language_and_blank_removes(client, admin_user):
    status = PresenceStatusFactory(name="Training", presence_text="In training")
    client.force_login(admin_user)
    url = reverse("presence:config_status_translations", args=[status.pk])
    page = client.get(url).content.decode()
    assert 'name="presence_text_fr"' in page
    assert 'name="presence_text_en"' not in page
    client.post(url, {"presence_text_fr": "En formation", "presence_text_de": "Schulung"})
    assert dict(status.translations.values_list("language", "presence_text")) == {
        "fr": "En formation",
        "de": "Schulung",
    }
    client.post(url, {"presence_text_fr": "En formation", "presence_text_de": ""})
    assert list(status.translations.values_list("language", flat=True)) == ["fr"]
    entries = AuditLogEntry.objects.filter(action="presence_status.translations")
    assert entries.count() == 2
    response = client.post(url, {"presence_text_fr": "x" * 501})
    assert response.status_code == 400
    assert b"Ensure this value has at most 500" in response.content
    assert PresenceStatusTranslation.objects.get(status=status).presence_text == "En formation"


def test_c4_service_refuses_builtins_and_unknown_languages(admin_user):
    from portal.exceptions import Conflict, ValidationFailed

    with pytest.raises(Conflict):
        config_services.presence_status_translations_set(
            status=builtin("away"), texts={"fr": "Absent"}, actor=admin_user, now=timezone.now()
        )
    with pytest.raises(ValidationFailed) as error:
        config_services.presence_status_translations_set(
            status=PresenceStatusFactory(), texts={"xx": "?"}, actor=admin_user, now=timezone.now()
        )
    assert error.value.field == "presence_text_xx"


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


# --- Teams, roles, tokens (A1, A2) ----------------------------------------------------------------


def test_a2_team_create_edit_supervisors_and_members(client, admin_user, supervisor_user):
    ada = RepresentativeFactory(name="Ada", email="ada@example.com")
    bob = RepresentativeFactory(name="Bob", external_id="EXT-2")
    client.force_login(admin_user)
    client.post(
        reverse("presence:config_team_create"), {"name": "Red", "supervisors": [supervisor_user.pk]}
    )
    team = Team.objects.get(name="Red")
    assert list(team.supervisors.all()) == [supervisor_user]
    add = reverse("presence:config_team_members_add", args=[team.pk])
    response = client.post(add, {"keys": "ADA@example.com\nnobody@example.com"}, follow=True)
    assert (
        "no representative with e-mail or external id nobody@example.com"
        in response.content.decode()
    )
    assert not team.representatives.exists()  # nothing written
    client.post(add, {"keys": "ada@example.com, EXT-2"})
    assert set(team.representatives.all()) == {ada, bob}
    client.post(reverse("presence:config_team_member_remove", args=[team.pk, bob.pk]))
    assert list(team.representatives.all()) == [ada]
    client.post(
        reverse("presence:config_team_edit", args=[team.pk]),
        {"name": "Red team", "supervisors": []},
    )
    team.refresh_from_db()
    assert team.name == "Red team"
    assert not team.supervisors.exists()
    actions = set(AuditLogEntry.objects.values_list("action", flat=True))
    assert {"team.create", "team.update"} <= actions
    dup = client.post(reverse("presence:config_team_create"), {"name": "RED TEAM"})
    assert dup.status_code == 400
    assert 'data-field-error="name"' in dup.content.decode()
    assert Team.objects.count() == 1


def test_a1_roles_are_assigned_and_audited(client, admin_user):
    user = UserFactory(username="newbie")
    client.force_login(admin_user)
    supervisors = Group.objects.get(name="Supervisors")
    client.post(reverse("presence:config_user_roles", args=[user.pk]), {"groups": [supervisors.pk]})
    assert list(user.groups.values_list("name", flat=True)) == ["Supervisors"]
    assert user.has_perm("presence.view_reports")
    entry = AuditLogEntry.objects.get(action="user.groups")
    assert (entry.before, entry.after) == ({"groups": []}, {"groups": ["Supervisors"]})
    page = client.get(reverse("presence:config_users") + "?q=newb", **HTMX).content.decode()
    assert 'data-user="newbie"' in page
    assert 'data-user="admin1"' not in page


def test_a1_admin_cannot_remove_their_own_admin_role(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("presence:config_user_roles", args=[admin_user.pk]), {}, follow=True
    )
    assert "cannot remove" in response.content.decode()
    assert admin_user.groups.filter(name="Portal admins").exists()


def test_token_is_shown_once_and_revoked(client, admin_user):
    user = UserFactory(username="robot")
    client.force_login(admin_user)
    response = client.post(reverse("presence:config_tokens"), {"user": user.pk, "name": "Router"})
    html = response.content.decode()
    token = ApiToken.objects.get(user=user)
    assert "it will not be shown again" in html
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    start = html.index("data-token>") + len("data-token>")
    plaintext = html[start : html.index("</code>", start)]
    assert services.api_token_authenticate(plaintext=plaintext, now=timezone.now()) == token
    again = client.get(reverse("presence:config_tokens")).content.decode()
    assert plaintext not in again
    client.post(reverse("presence:config_token_revoke", args=[token.pk]))
    assert services.api_token_authenticate(plaintext=plaintext, now=timezone.now()) is None
    bad = client.post(reverse("presence:config_tokens"), {"user": "99999"})
    assert bad.status_code == 400
    assert 'data-field-error="user"' in bad.content.decode()
    assert ApiToken.objects.count() == 1


# --- Audit log (A4) -------------------------------------------------------------------------------


def test_a4_audit_log_filters_and_shows_old_and_new_side_by_side(client, admin_user):
    other = UserFactory(username="other_admin", groups=["Portal admins"])
    status = config_services.presence_status_create(
        actor=admin_user,
        now=timezone.now(),
        name="Training",
        presence_text="Training",
        base_status="away",
    )
    config_services.presence_status_update(
        status=status, actor=other, now=timezone.now(), presence_text="In training"
    )
    CapacityProfileFactory()
    config_services.capacity_profile_create(actor=admin_user, now=timezone.now(), name="P", limit=2)
    client.force_login(admin_user)
    url = reverse("presence:config_audit")
    html = client.get(url + f"?actor={other.pk}").content.decode()
    assert html.count("data-audit=") == 1
    assert '<dd class="old" data-old>Training</dd>' in html
    assert '<dd class="new" data-new>In training</dd>' in html
    typed = client.get(url + "?object_type=capacityprofile", **HTMX).content.decode()
    assert typed.count("data-audit=") == 1
    assert "<html" not in typed
    today = timezone.localdate().isoformat()
    assert (
        client.get(url + f"?start={today}&end={today}").content.decode().count("data-audit=") == 3
    )
    reversed_range = client.get(url + "?start=2030-01-02&end=2030-01-01").content.decode()
    assert "The last day comes before the first day" in reversed_range


def test_a4_audit_log_is_paginated(client, admin_user, django_assert_max_num_queries):
    now = timezone.now()
    AuditLogEntry.objects.bulk_create(
        [
            services.audit_entry(
                actor=admin_user,
                action="x.test",
                obj=admin_user,
                before={"n": i},
                after={"n": i + 1},
                now=now,
            )
            for i in range(120)
        ]
    )
    client.force_login(admin_user)
    client.get(reverse("presence:config_audit"))
    with django_assert_max_num_queries(10):
        html = client.get(reverse("presence:config_audit") + "?page=3").content.decode()
    assert html.count("data-audit=") == 20
    assert "Page 3 of 3" in html
