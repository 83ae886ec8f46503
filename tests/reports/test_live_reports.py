"""Live reports (issue 13): one rendering per scope, filters and window, shared by the viewers
who have the same; never shared across scopes (A2); stable row ids for the morph (finding 22)."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from presence import services
from tests.factories import RepresentativeFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

# Window 0 of a 5 s refresh starts here (the windows are aligned on the clock).
START = dt.datetime(2036, 3, 10, 14, 0, 0, tzinfo=dt.UTC)
LIVE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TRIGGER": "agents-results"}


@pytest.fixture
def teams(settings):
    settings.REPORT_REFRESH_SECONDS = 5
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "x"},
    }
    mine, theirs = TeamFactory(name="Mine"), TeamFactory(name="Theirs")
    first, second, other = (UserFactory(groups=["Supervisors"]) for _ in range(3))
    mine.supervisors.add(first, second)
    theirs.supervisors.add(other)
    ada = RepresentativeFactory(name="Ada Own", teams=[mine])
    bob = RepresentativeFactory(name="Bob Theirs", teams=[theirs])
    for rep in (ada, bob):
        services.client_connect(representative=rep, now=START - dt.timedelta(minutes=5))
    return first, second, other, ada


def test_live_refresh_is_rendered_once_per_scope_filters_and_window(
    client, teams, django_assert_max_num_queries
):
    """Issue 13: many supervisors with the same scope and filters cost one rendering per window;
    another scope never gets it (A2); the next window renders afresh."""
    first, second, other, ada = teams
    url = reverse("reports:agents") + "?tab=signed_in&sort=name"
    with time_machine.travel(START, tick=False):
        client.force_login(first)
        rendered = client.get(url, **LIVE)
        assert rendered.status_code == 200
        assert "X-Live-Fragment" not in rendered.headers
        client.force_login(second)
        with django_assert_max_num_queries(8):  # session, user, scope, zone: no report query
            shared = client.get(url, **LIVE)
        assert shared["X-Live-Fragment"] == "shared"
        assert shared.content == rendered.content
        client.force_login(other)
        theirs = client.get(url, **LIVE)
        assert "X-Live-Fragment" not in theirs.headers
        assert b"Bob Theirs" in theirs.content
        assert b"Ada Own" not in theirs.content
        # A filter change is the viewer's own request: rendered for it, never from the cache.
        client.force_login(second)
        own = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER="agent-filters")
        assert "X-Live-Fragment" not in own.headers
    with time_machine.travel(START + dt.timedelta(seconds=5), tick=False):
        assert "X-Live-Fragment" not in client.get(url, **LIVE).headers


def test_finding_22_rows_and_rep_links_have_stable_ids(client, teams):
    """Review finding 22: the morph keeps the focused element when its id survives the update."""
    first, _, _, ada = teams
    client.force_login(first)
    body = client.get(reverse("reports:agents"), **LIVE).content.decode()
    assert f'id="rep-row-{ada.pk}"' in body
    assert f'id="rep-link-{ada.pk}"' in body
    assert 'hx-swap="morph"' in body
    assert 'data-live-stream="/reports/stream/?page=agents"' in body


def test_live_refresh_is_rendered_when_the_cache_is_down(client, teams, settings):
    """Never a 5xx for a cache that cannot be reached: the viewer gets a rendering of their own."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    first, _, _, ada = teams
    client.force_login(first)
    response = client.get(reverse("reports:agents"), **LIVE)
    assert response.status_code == 200
    assert b"Ada Own" in response.content
