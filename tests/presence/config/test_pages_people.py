"""Configuration pages: teams, roles and API tokens (A1, A2)."""

from django.contrib.auth.models import Group
from django.urls import reverse

from presence import services
from presence.models import (
    ApiToken,
    AuditLogEntry,
    Team,
)
from tests.clock import T0
from tests.factories import (
    RepresentativeFactory,
    UserFactory,
)
from tests.presence.helpers import HTMX

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
    assert services.api_token_authenticate(plaintext=plaintext, now=T0) == token
    again = client.get(reverse("presence:config_tokens")).content.decode()
    assert plaintext not in again
    client.post(reverse("presence:config_token_revoke", args=[token.pk]))
    assert services.api_token_authenticate(plaintext=plaintext, now=T0) is None
    bad = client.post(reverse("presence:config_tokens"), {"user": "99999"})
    assert bad.status_code == 400
    assert 'data-field-error="user"' in bad.content.decode()
    assert ApiToken.objects.count() == 1
