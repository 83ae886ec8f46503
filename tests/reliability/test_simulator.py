"""The traffic simulator (presence/simulator.py, `manage.py simulate`) against a live server:
bounded, loopback only, and after a run every 2xx is in the database, H1 and P4 hold."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from presence.models import ApiToken, Representative
from presence.selectors import representatives_visible_to
from presence.services import api_token_create
from presence.simulator import NotLoopback, Simulator, check_invariants, require_loopback
from presence.simulator.traffic import HEARTBEATS_ONLY, SIM_PREFIX
from tests.factories import RepresentativeFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def concurrency() -> int:
    # The live server shares one in-memory SQLite connection between its threads: one at a time.
    return 1 if connection.vendor == "sqlite" else 4


@pytest.mark.parametrize("url", ["http://10.0.0.1:8000", "https://127.0.0.1", "ftp://localhost"])
def test_simulator_refuses_anything_but_loopback_http(url):
    with pytest.raises(NotLoopback):
        require_loopback(url)


def run_simulator(live_server, *, sign_in: bool = False, **options):
    """A run against the live server as a portal admin's token; returns the Result."""
    admin = UserFactory(username="sim-admin", groups=["Portal admins"])
    _, token = api_token_create(user=admin, now=timezone.now())
    sim = Simulator(url=live_server.url, token=token, concurrency=concurrency(), **options)
    sim.prepare()
    if sign_in:
        sim.sign_in_all()
    return sim.run()


def test_simulator_run_is_bounded_and_leaves_the_database_consistent(live_server):
    result = run_simulator(live_server, reps=4, rate=25, duration=3, seed=7)
    assert result.events <= 25 * 3
    assert result.events >= 20
    assert result.errors == 0, result.summary()
    assert not result.unexpected, result.summary()
    assert sum(n for code, n in result.codes.items() if 200 <= code < 300) > 10
    assert len(result.journal.presences) > 0
    assert check_invariants(result) == []
    text = result.summary()
    assert "p99" in text
    assert "answers by code" in text


def test_simulator_with_heartbeats_only_connects_then_beats(live_server):
    """bench/load.py's baseline mix: a rep without a client connects first, then only beats."""
    result = run_simulator(
        live_server, reps=3, rate=20, duration=2, seed=3, actions=HEARTBEATS_ONLY
    )
    assert set(result.by_action) == {"connect", "heartbeat"}, result.summary()
    assert result.by_action["connect"] == {201: 3}
    assert result.by_action["heartbeat"][200] > 10
    assert check_invariants(result) == []


def test_simulator_signs_every_rep_in_before_the_run_without_counting_it(live_server):
    result = run_simulator(
        live_server, reps=3, rate=20, duration=2, seed=3, actions=HEARTBEATS_ONLY, sign_in=True
    )
    assert set(result.by_action) == {"heartbeat"}, result.summary()  # no connect left to do
    assert result.by_action["heartbeat"][200] > 10
    assert len(result.journal.presences) == 3  # the sign-ins are journaled...
    assert check_invariants(result) == []  # ...and checked


def test_simulate_command_makes_its_own_admin_token(live_server):
    out = io.StringIO()
    call_command(
        "simulate",
        url=live_server.url,
        reps=3,
        rate=10,
        duration=1,
        concurrency=concurrency(),
        check=True,
        no_progress=True,
        stdout=out,
    )
    assert ApiToken.objects.filter(name="simulator").exists()
    assert "events sent" in out.getvalue()
    assert "H1 and P4 hold" in out.getvalue()


def test_simulate_command_refuses_a_remote_url():
    with pytest.raises(CommandError, match="loopback"):
        call_command("simulate", url="http://10.1.2.3:8000", token="x", duration=1)


def test_simulated_reps_join_the_demo_supervisors_team(live_server):
    """Review finding 20: `make run SIMULATE=1`'s reps belonged to no team, so the demo
    supervisor saw none of them; they now join the demo supervisor's first team (one made by an
    earlier run joins it too, keeping its other teams)."""
    supervisor = UserFactory(username="supervisor", groups=["Supervisors"])
    demo_team, other = TeamFactory(name="Tier 1 Support"), TeamFactory(name="Elsewhere")
    demo_team.supervisors.add(supervisor)
    earlier = RepresentativeFactory(name="Simulated rep 1", external_id=f"{SIM_PREFIX}1")
    earlier.teams.add(other)
    call_command(
        "simulate",
        url=live_server.url,
        reps=3,
        rate=5,
        duration=1,
        concurrency=concurrency(),
        no_progress=True,
        stdout=io.StringIO(),
    )
    simulated = Representative.objects.filter(external_id__startswith=SIM_PREFIX)
    assert simulated.count() == 3
    for rep in simulated:
        assert demo_team in rep.teams.all(), rep.name
    assert set(earlier.teams.all()) == {demo_team, other}
    visible = representatives_visible_to(user=supervisor)
    assert set(visible.filter(external_id__startswith=SIM_PREFIX)) == set(simulated)


def test_simulate_command_refuses_an_unknown_team():
    with pytest.raises(CommandError, match="no team is named"):
        call_command("simulate", url="http://127.0.0.1:1", token="x", duration=1, team="Nope")
