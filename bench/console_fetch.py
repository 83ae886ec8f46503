"""The console's live fetch: server CPU per request, by what it asks for, in one process (issue 13).

Run with pytest (not collected by the suite: testpaths is tests/), on PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/pytest -q -s \
        -p no:cacheprovider bench/console_fetch.py

One rep with one pending offer and one active conversation (and so a capacity in use). Each
variant is fetched REQUESTS times per round through Django's test client (WSGI, in this process:
the middleware, session, authentication, permission check, view, queries and rendering, but not
PostgreSQL's own CPU), ROUNDS rounds interleaved, so that the machine's noise falls on every
variant alike; the figure is the median of the rounds' CPU milliseconds per request
(time.process_time), and /healthz is the scale.

- `before`: every region (`kinds=all`) with the navigation read eagerly and the permissions read
  by Django's ModelBackend (two queries): the fetch as it was before this branch.
- `all`: every region, now (hello, a resync, a poll).
- one variant per kind: the fetch a `changed` of that kind makes.
"""

import statistics
import time

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

ROUNDS = 5
REQUESTS = 100
HTMX = {"HTTP_HX_REQUEST": "true"}
VARIANTS = ("before", "all", "offer", "presence", "conversation", "capacity", "healthz")


@pytest.fixture
def rep_client(db):
    from presence import services
    from tests.factories import RepresentativeFactory, UserFactory, WorkstreamFactory

    user = UserFactory(username="fetch-rep", groups=["Representatives"])
    rep = RepresentativeFactory(name="Fetch Rep", user=user, capacity_units=3)
    now = timezone.now()
    services.client_connect(representative=rep, client_id="bench-fetch-01", now=now)
    workstream = WorkstreamFactory(name="Fetch chat", offer_timeout_seconds=3600)
    for _ in range(2):
        conversation = services.conversation_create(workstream=workstream, now=now)
        offer = services.offer_create(conversation=conversation, representative=rep, now=now)
    services.offer_accept(offer=offer, now=now)  # one active, one still offered
    client = Client()
    client.force_login(user)
    return client


def _as_before(monkeypatch) -> None:
    import portal.context_processors
    import portal.permissions

    monkeypatch.setattr(portal.context_processors, "SimpleLazyObject", lambda make: make())
    monkeypatch.setattr(portal.permissions, "load_permissions", lambda user: None)


def _fetch(client, variant: str) -> None:
    if variant == "healthz":
        response = client.get("/healthz")
    else:
        kinds = "all" if variant == "before" else variant
        response = client.get(reverse("presence:console"), {"kinds": kinds}, **HTMX)
    assert response.status_code == 200, response.content[:200]


def test_console_fetch_cpu(rep_client, monkeypatch):
    samples: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
    for _ in range(ROUNDS):
        for variant in VARIANTS:
            with monkeypatch.context() as patch:
                if variant == "before":
                    _as_before(patch)
                for _ in range(10):  # warm: caches of the process, the connection
                    _fetch(rep_client, variant)
                started = time.process_time()
                for _ in range(REQUESTS):
                    _fetch(rep_client, variant)
                samples[variant].append((time.process_time() - started) / REQUESTS * 1000)
    medians = {variant: statistics.median(values) for variant, values in samples.items()}
    print(f"\nconsole live fetch, CPU ms per request (median of {ROUNDS} rounds of {REQUESTS}):")
    for variant, value in medians.items():
        spread = ", ".join(f"{v:.2f}" for v in samples[variant])
        print(
            f"  {variant:13} {value:6.2f} ms  {value / medians['before']:5.2f}x before  "
            f"{value / medians['healthz']:5.1f}x /healthz  ({spread})"
        )


if __name__ == "__main__":  # make bench: python bench/console_fetch.py
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    sys.exit(pytest.main([__file__, "-q", "-s", "-p", "no:cacheprovider", "--rootdir", str(root)]))
