"""The agents report's live refresh: server CPU per rendering of one team's grid (issue 13).

Run with pytest (not collected by the suite: testpaths is tests/), on PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/pytest -q -s \
        -p no:cacheprovider bench/agents_fetch.py

One supervisor of one team of TEAM reps, as `bench/floor.py` seats them (one supervisor per 25
reps): every rep signed in, some with conversations (active, wrap-up, waiting) and capacity in
use, one on a custom status. Each request is the refresh the page makes on the stream's
`changed` (`HX-Request`, `HX-Trigger: agents-results`), with the shared rendering's cache
cleared before each, so that every request renders (on the floor each supervisor watches a team
of their own: nothing is shared). CPU of this process only (`time.process_time`), not
PostgreSQL's; ROUNDS rounds of REQUESTS interleaved with `/healthz`, the median, and the queries
of one rendering. `--profile` (env AGENTS_PROFILE=1) prints where the time goes.
"""

import cProfile
import os
import pstats
import statistics
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

ROUNDS = int(os.environ.get("AGENTS_ROUNDS", 5))
REQUESTS = 40
TEAM = 25
REFRESH = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TRIGGER": "agents-results"}


@pytest.fixture
def supervisor_client(db):
    from presence import services
    from tests.factories import (
        PresenceStatusFactory,
        RepresentativeFactory,
        TeamFactory,
        UserFactory,
        WorkstreamFactory,
    )

    team = TeamFactory(name="Bench team")
    user = UserFactory(username="bench-supervisor", groups=["Supervisors"])
    team.supervisors.add(user)
    now = timezone.now()
    workstream = WorkstreamFactory(name="Bench chat", offer_timeout_seconds=3600)
    training = PresenceStatusFactory(name="Training", base_status="away")
    for i in range(TEAM):
        rep = RepresentativeFactory(name=f"Bench Rep {i:02d}", teams=[team], capacity_units=3)
        services.client_connect(representative=rep, client_id=f"bench-agents-{i:02d}", now=now)
        if i % 3 == 0:
            conversation = services.conversation_create(workstream=workstream, now=now)
            offer = services.offer_create(conversation=conversation, representative=rep, now=now)
            services.offer_accept(offer=offer, now=now)
            if i % 2:
                services.conversation_end(conversation=conversation, now=now)  # wrap-up
        elif i % 7 == 1:
            services.presence_set_manual(representative=rep, status=training, now=now)
    client = Client()
    client.force_login(user)
    return client


def _fetch(client, variant: str) -> None:
    if variant == "healthz":
        response = client.get("/healthz")
    else:
        cache.clear()
        response = client.get(reverse("reports:agents"), **REFRESH)
    assert response.status_code == 200, response.content[:200]
    if variant == "agents":
        assert response.content.count(b'id="rep-row-') == TEAM


def test_agents_refresh_cpu(supervisor_client):
    client = supervisor_client
    _fetch(client, "agents")  # warm the process first (the permission cache, the templates)
    with CaptureQueriesContext(connection) as captured:
        _fetch(client, "agents")
    queries = len(captured)  # now: each later request empties the connection's log
    samples: dict[str, list[float]] = {"agents": [], "healthz": []}
    for _ in range(ROUNDS):
        for variant in samples:
            for _ in range(5):  # warm
                _fetch(client, variant)
            started = time.process_time()
            for _ in range(REQUESTS):
                _fetch(client, variant)
            samples[variant].append((time.process_time() - started) / REQUESTS * 1000)
    medians = {variant: statistics.median(values) for variant, values in samples.items()}
    print(
        f"\nagents report refresh, a team of {TEAM}: {queries} queries; CPU ms per request "
        f"(median of {ROUNDS} rounds of {REQUESTS}):"
    )
    for variant, value in medians.items():
        spread = ", ".join(f"{v:.2f}" for v in samples[variant])
        print(
            f"  {variant:8} {value:6.2f} ms  {value / medians['healthz']:5.1f}x /healthz  ({spread})"
        )
    if os.environ.get("AGENTS_PROFILE"):
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for _ in range(REQUESTS):
            _fetch(client, "agents")
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(60)


if __name__ == "__main__":  # make bench: python bench/agents_fetch.py
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    sys.exit(pytest.main([__file__, "-q", "-s", "-p", "no:cacheprovider", "--rootdir", str(root)]))
