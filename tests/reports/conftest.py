"""Fixtures of the historical report tests: two teams (the supervisor's and another) and three
reps with one day of history on 2026-03-10, rolled up."""

import pytest

from reports.rollups import rollups_refresh
from tests.factories import PresenceStatusFactory, RepresentativeFactory, TeamFactory, builtin
from tests.reports.history_helpers import at, write_history


@pytest.fixture
def teams(supervisor_user):
    mine, other = TeamFactory(name="Mine"), TeamFactory(name="Other")
    mine.supervisors.add(supervisor_user)
    return mine, other


@pytest.fixture
def reps(teams):
    mine, other = teams
    alice = RepresentativeFactory(name="Alice", teams=[mine])
    bob = RepresentativeFactory(name="Bob", teams=[mine])
    zoe = RepresentativeFactory(name="Zoe", teams=[other])
    training = PresenceStatusFactory(name="Training", base_status="away")
    write_history(
        alice,
        at(0),
        [(builtin("available"), 3600), (training, 1800), (builtin("busy"), 600)],
        open_last=False,
    )
    write_history(bob, at(0), [(builtin("offline"), 7200)], open_last=False)
    write_history(zoe, at(0), [(builtin("available"), 5000)], open_last=False)
    rollups_refresh(now=at(86400))
    return alice, bob, zoe
