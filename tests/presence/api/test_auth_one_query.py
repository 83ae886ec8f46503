"""The API's authentication reads the token, its user and the permissions in one statement, and
caches nothing between requests: a revoked token, a deactivated user or a permission removed or
granted counts from the very next request (A1, A3). Issue 13, item 6 (cheaper API events)."""

import datetime as dt
import json
from unittest import mock

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.utils import timezone

from presence.services import api_token_authenticate, api_token_create, api_token_revoke
from tests.factories import UserFactory, WorkstreamFactory

pytestmark = pytest.mark.django_db


def _perm(codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label="presence", codename=codename)


def _create_conversation(client: Client, workstream_id: int):
    return client.post(
        "/api/v1/conversations",
        data=json.dumps({"workstream_id": workstream_id}),
        content_type="application/json",
    )


def _client(user) -> tuple[Client, object]:
    token, plaintext = api_token_create(user=user, name="tests", now=timezone.now())
    return Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}"), (token, plaintext)


def test_a1_token_user_and_permissions_are_one_query(django_assert_num_queries):
    user = UserFactory(username="mixed", groups=["Supervisors"])
    user.user_permissions.add(_perm("force_close_conversation"))
    extra = Group.objects.create(name="Extra")
    extra.permissions.add(_perm("configure_portal"))
    user.groups.add(extra)
    token, plaintext = api_token_create(user=user, now=timezone.now())
    now = timezone.now()
    api_token_authenticate(plaintext=plaintext, now=now)  # writes last_used_at
    with django_assert_num_queries(1):
        row = api_token_authenticate(plaintext=plaintext, now=now + dt.timedelta(seconds=5))
        assert row.pk == token.pk
        assert row.user.pk == user.pk
        assert row.user.has_perm("presence.configure_portal")  # from a second group
        assert row.user.has_perm("presence.force_close_conversation")  # the user's own
        assert row.user.has_perm("presence.view_reports")  # from Supervisors
        assert not row.user.has_perm("presence.view_all_teams")
    fresh = type(user).objects.get(pk=user.pk)
    assert row.user.get_all_permissions() == fresh.get_all_permissions()
    assert row.user.username == "mixed"
    assert row.user.is_active
    assert not row.user.is_superuser
    assert row.last_used_at == now
    assert row.revoked_at is None


def test_a1_a_user_without_permissions_and_a_superuser(django_assert_num_queries):
    plain = UserFactory(username="nobody")
    boss = UserFactory(username="boss", is_superuser=True)
    now = timezone.now()
    _, plain_token = api_token_create(user=plain, now=now)
    _, boss_token = api_token_create(user=boss, now=now)
    api_token_authenticate(plaintext=plain_token, now=now)
    api_token_authenticate(plaintext=boss_token, now=now)
    with django_assert_num_queries(2):
        nobody = api_token_authenticate(plaintext=plain_token, now=now)
        superuser = api_token_authenticate(plaintext=boss_token, now=now)
        assert nobody.user.get_all_permissions() == set()
        assert not nobody.user.has_perm("presence.view_reports")
        assert superuser.user.has_perm("presence.configure_portal")


def test_a1_unknown_revoked_and_inactive_tokens_are_refused():
    user = UserFactory(username="gone", groups=["Supervisors"])
    token, plaintext = api_token_create(user=user, now=timezone.now())
    assert api_token_authenticate(plaintext="x" * 43, now=timezone.now()) is None
    assert api_token_authenticate(plaintext=plaintext, now=timezone.now()) is not None
    user.is_active = False
    user.save()
    assert api_token_authenticate(plaintext=plaintext, now=timezone.now()) is None
    user.is_active = True
    user.save()
    api_token_revoke(token=token, now=timezone.now())
    assert api_token_authenticate(plaintext=plaintext, now=timezone.now()) is None


def test_a3_a_permission_removed_counts_from_the_next_request():
    user = UserFactory(username="sup", groups=["Supervisors"])  # manage_presence: may route
    workstream = WorkstreamFactory()
    client, _ = _client(user)
    assert _create_conversation(client, workstream.pk).status_code == 201
    user.groups.clear()
    answer = _create_conversation(client, workstream.pk)
    assert answer.status_code == 403
    assert "presence.manage_presence" in answer.json()["detail"]


def test_a3_a_permission_granted_counts_from_the_next_request():
    user = UserFactory(username="later")
    workstream = WorkstreamFactory()
    client, _ = _client(user)
    assert _create_conversation(client, workstream.pk).status_code == 403
    user.user_permissions.add(_perm("manage_presence"))
    assert _create_conversation(client, workstream.pk).status_code == 201


def test_a1_revocation_and_deactivation_count_from_the_next_request():
    user = UserFactory(username="sup2", groups=["Supervisors"])
    workstream = WorkstreamFactory()
    client, (token, _) = _client(user)
    assert _create_conversation(client, workstream.pk).status_code == 201
    user.is_active = False
    user.save()
    assert _create_conversation(client, workstream.pk).status_code == 401
    user.is_active = True
    user.save()
    assert _create_conversation(client, workstream.pk).status_code == 201
    api_token_revoke(token=token, now=timezone.now())
    assert _create_conversation(client, workstream.pk).status_code == 401


def test_a1_a_valid_token_never_reads_the_throttle():
    """Only bad tokens are counted: a valid one costs no cache round trip (Redis in production)."""
    user = UserFactory(username="sup3", groups=["Supervisors"])
    client, _ = _client(user)
    with mock.patch("portal.throttle._blocked_then_count", return_value=False) as counted:
        assert client.get("/api/v1/presence-statuses").status_code == 200
        assert not counted.called
        bad = Client(HTTP_AUTHORIZATION="Bearer not-a-token").get("/api/v1/presence-statuses")
        assert bad.status_code == 401
        assert counted.called  # the bad one is counted
