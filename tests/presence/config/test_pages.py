"""Configuration pages (presence/views_config): every page for every role (A3), the navigation
and the audit log (A4). Each section's forms have a module of their own beside this one:
test_pages_statuses.py, test_pages_capacity.py, test_pages_people.py, test_defaults_pages.py.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from presence import services
from presence.models import (
    AuditLogEntry,
    PresenceStatus,
)
from presence.services import config as config_services
from tests.clock import T0
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
from tests.presence.helpers import HTMX

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
    token, _ = services.api_token_create(user=user, name="robot", now=T0)
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


# --- Audit log (A4) -------------------------------------------------------------------------------


def test_a4_audit_log_filters_and_shows_old_and_new_side_by_side(client, admin_user):
    other = UserFactory(username="other_admin", groups=["Portal admins"])
    status = config_services.presence_status_create(
        actor=admin_user,
        now=T0,
        name="Training",
        presence_text="Training",
        base_status="away",
    )
    config_services.presence_status_update(
        status=status, actor=other, now=T0, presence_text="In training"
    )
    CapacityProfileFactory()
    config_services.capacity_profile_create(actor=admin_user, now=T0, name="P", limit=2)
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
    now = T0
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
