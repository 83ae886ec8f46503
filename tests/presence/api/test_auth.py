"""API contract: bearer tokens (api.md Conventions, A1) and the create_api_token command."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from presence.models import (
    ApiToken,
)
from presence.services import api_token_create, api_token_revoke
from tests.clock import T0
from tests.presence.api.client import Api, error, token_for

pytestmark = pytest.mark.django_db


# --- Auth (api.md Conventions) ------------------------------------------------------------------


def test_a1_missing_token_is_401(rep_a):
    body = error(Api().get(f"/representatives/{rep_a.pk}/presence"), 401, "unauthorized")
    assert "Bearer" in body["detail"]


def test_a1_bad_token_and_other_schemes_are_401(rep_a):
    error(Api("not-a-token").get("/presence-statuses"), 401, "unauthorized")
    error(Api(authorization="Basic dXNlcjpwdw==").get("/presence-statuses"), 401, "unauthorized")


def test_a1_revoked_token_is_401(rep_user):
    token, plaintext = api_token_create(user=rep_user, now=T0)
    assert Api(plaintext).get("/presence-statuses").status_code == 200
    api_token_revoke(token=token, now=T0)
    error(Api(plaintext).get("/presence-statuses"), 401, "unauthorized")


def test_a1_inactive_users_token_is_401(rep_user):
    plaintext = token_for(rep_user)
    rep_user.is_active = False
    rep_user.save()
    error(Api(plaintext).get("/presence-statuses"), 401, "unauthorized")


def test_token_is_stored_as_hash_and_last_use_is_written_at_most_once_a_minute(rep_user):
    start = T0
    with time_machine.travel(start, tick=False) as clock:
        token, plaintext = api_token_create(user=rep_user, now=start)
        assert plaintext not in {token.key_hash, token.prefix}
        assert plaintext.startswith(token.prefix)
        api = Api(plaintext)
        api.get("/presence-statuses")
        token.refresh_from_db()
        assert token.last_used_at == start
        clock.shift(dt.timedelta(seconds=30))
        api.get("/presence-statuses")
        token.refresh_from_db()
        assert token.last_used_at == start  # not written again within the minute
        clock.shift(dt.timedelta(seconds=31))
        api.get("/presence-statuses")
        token.refresh_from_db()
        assert token.last_used_at == start + dt.timedelta(seconds=61)


def test_create_api_token_prints_the_token_alone_on_its_last_line(rep_user):
    out = StringIO()
    call_command("create_api_token", "rep1", "--name", "desktop", stdout=out)
    plaintext = out.getvalue().strip().splitlines()[-1]
    assert " " not in plaintext
    assert len(plaintext) >= 40
    assert ApiToken.objects.get(user=rep_user).name == "desktop"
    assert Api(plaintext).get("/presence-statuses").status_code == 200


def test_create_api_token_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user named"):
        call_command("create_api_token", "ghost", stdout=StringIO())
