"""The API's cast, each with its own token: an admin, a supervisor of team A, rep A (rep_user)
as themselves, a user with no rights and a routing engine. The people, teams and reps themselves
are the cast of tests/conftest.py."""

import pytest

from tests.factories import (
    UserFactory,
    WorkstreamFactory,
)
from tests.presence.api.client import Api, perms, token_for


@pytest.fixture(autouse=True)
def _on_the_test_clock(now):
    """Every API test runs at the tests' clock (tests/conftest.py `now`), not the real one."""


@pytest.fixture
def admin(admin_user):
    return Api(token_for(admin_user))


@pytest.fixture
def supervisor(supervisor_user, team_a):
    team_a.supervisors.add(supervisor_user)
    return Api(token_for(supervisor_user))


@pytest.fixture
def as_rep(rep_a, rep_user):
    return Api(token_for(rep_user))


@pytest.fixture
def nobody():
    return Api(token_for(UserFactory(username="nobody")))


@pytest.fixture
def router_api():
    """A routing engine: an integration user with manage_presence and view_all_teams."""
    user = UserFactory(username="router")
    user.user_permissions.add(*perms("manage_presence", "view_all_teams"))
    return Api(token_for(user))


@pytest.fixture
def chat():
    return WorkstreamFactory(name="Chat", channel="chat")
