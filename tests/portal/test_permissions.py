"""portal.permissions.load_permissions: the API's one-query permission read (A1, A3)."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission, User

from portal.permissions import load_permissions
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _perm(codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label="presence", codename=codename)


def test_a1_load_permissions_reads_own_and_group_permissions_like_django(
    django_assert_num_queries,
):
    user = UserFactory(username="mixed", groups=["Supervisors"])
    user.user_permissions.add(_perm("force_close_conversation"))
    extra = Group.objects.create(name="Extra")
    extra.permissions.add(_perm("configure_portal"))
    user.groups.add(extra)
    expected = ModelBackend().get_all_permissions(User.objects.get(pk=user.pk))

    fresh = User.objects.get(pk=user.pk)
    with django_assert_num_queries(1):
        load_permissions(fresh)
        assert fresh.has_perm("presence.configure_portal")
        assert fresh.has_perm("presence.force_close_conversation")
        assert fresh.has_perm("presence.view_reports")  # from Supervisors
        assert not fresh.has_perm("presence.view_all_teams")
    assert fresh.get_all_permissions() == expected
    assert len(expected) > 3


def test_a1_load_permissions_reads_nothing_for_superusers_and_inactive_users(
    django_assert_num_queries,
):
    boss = UserFactory(username="boss", is_superuser=True)
    gone = UserFactory(username="gone", groups=["Supervisors"], is_active=False)
    with django_assert_num_queries(0):
        load_permissions(boss)
        load_permissions(gone)
        assert boss.has_perm("presence.configure_portal")
        assert not gone.has_perm("presence.view_reports")
