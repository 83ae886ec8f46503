"""The API's cast, each with its own token: an admin, a supervisor of team A, rep A (rep_user)
as themselves, a user with no rights and a routing engine (tests/conftest.py has the people)."""

import pytest

from tests.factories import (
    RepresentativeFactory,
    TeamFactory,
    UserFactory,
    WorkstreamFactory,
)
from tests.presence.api.client import Api, perms, token_for


@pytest.fixture
def team_a():
    return TeamFactory(name="Team A")


@pytest.fixture
def team_b():
    return TeamFactory(name="Team B")


@pytest.fixture
def admin(admin_user):
    return Api(token_for(admin_user))


@pytest.fixture
def supervisor(supervisor_user, team_a):
    team_a.supervisors.add(supervisor_user)
    return Api(token_for(supervisor_user))


@pytest.fixture
def rep_a(rep_user, team_a):
    """Rep A (in team A) and the API as rep A's own token."""
    return RepresentativeFactory(name="Ada", user=rep_user, teams=[team_a])


@pytest.fixture
def as_rep(rep_a, rep_user):
    return Api(token_for(rep_user))


@pytest.fixture
def rep_b(team_b):
    user = UserFactory(username="rep2", groups=["Representatives"])
    return RepresentativeFactory(name="Bea", user=user, teams=[team_b])


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
