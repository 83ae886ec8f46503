"""portal.sessions: sessions and their users read by statements, with Django's rules unchanged."""

import datetime as dt

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
HOME = "/"


def signed_in(client, user) -> None:
    client.force_login(user)
    assert client.get(HOME).wsgi_request.user == user


def test_a_session_signs_its_user_in_with_the_portals_backend(client, supervisor_user):
    signed_in(client, supervisor_user)
    assert client.session[BACKEND_SESSION_KEY] == "portal.sessions.ModelBackend"
    user = client.get(HOME).wsgi_request.user
    assert user.pk == supervisor_user.pk
    assert user.username == "super1"
    assert user.has_perm("presence.view_reports")


def test_an_expired_or_unknown_session_is_anonymous(client, supervisor_user):
    signed_in(client, supervisor_user)
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    assert not client.get(HOME).wsgi_request.user.is_authenticated
    client.cookies["sessionid"] = "nosuchsessionkeyatall0123456789"
    assert not client.get(HOME).wsgi_request.user.is_authenticated


def test_a_deactivated_user_or_a_changed_password_signs_the_session_out(client):
    for change in ("deactivate", "password"):
        user = UserFactory(username=f"who-{change}", groups=["Supervisors"])
        signed_in(client, user)
        if change == "deactivate":
            user.is_active = False
        else:
            user.set_password("another-password-1")
        user.save()
        assert not client.get(HOME).wsgi_request.user.is_authenticated, change


def test_a_session_of_djangos_own_backend_stays_signed_in(client, supervisor_user):
    signed_in(client, supervisor_user)
    session = client.session
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session.save()
    assert client.get(HOME).wsgi_request.user == supervisor_user
    assert client.session[SESSION_KEY] == str(supervisor_user.pk)


def test_a_sign_in_checks_the_password_once_and_records_the_portals_backend(
    client, supervisor_user, monkeypatch
):
    checked = []
    verify = MD5PasswordHasher.verify
    monkeypatch.setattr(
        MD5PasswordHasher,
        "verify",
        lambda self, password, encoded: checked.append(password) or verify(self, password, encoded),
    )
    refused = client.post(reverse("login"), {"username": "super1", "password": "wrong"})
    assert refused.status_code == 200
    assert not refused.wsgi_request.user.is_authenticated
    assert checked == ["wrong"]  # Django's backend, listed after, is not asked again
    answer = client.post(reverse("login"), {"username": "super1", "password": "pw-for-tests-1"})
    assert answer.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == "portal.sessions.ModelBackend"
    assert client.get(HOME).wsgi_request.user == supervisor_user
