"""The historical report's freshness (R4): a presence change shows after the next tick."""

import io

import pytest
import time_machine

from presence import services as s
from tests.factories import RepresentativeFactory, UserFactory, builtin
from tests.reports.history_helpers import DAY, URL, at, by_name, csv_rows

pytestmark = pytest.mark.django_db


# Freshness (R4) ----------------------------------------------------------------------------------


def _tick(now):
    """The periodic tick, which refreshes the rollups itself (R4): no separate call here."""
    assert "report_rollups" in s.presence_tick(now=now)


def test_r4_presence_change_shows_in_the_report_after_the_next_tick(client, admin_user):
    rep = RepresentativeFactory(name="Fresh")
    client.force_login(admin_user)
    query = f"{DAY}&representative={rep.pk}&export=reps"
    s.client_connect(representative=rep, client_id="fresh-client", now=at(0))
    s.client_heartbeat(representative=rep, client_id="fresh-client", now=at(50))
    _tick(at(60))
    assert by_name(csv_rows(client.get(f"{URL}?{query}")))["Fresh"]["Available (s)"] == "60"
    s.presence_set_manual(representative=rep, status=builtin("away"), now=at(90))
    s.client_heartbeat(representative=rep, client_id="fresh-client", now=at(100))
    _tick(at(120))  # a tick, not a daily job: the change is there at most one tick later
    row = by_name(csv_rows(client.get(f"{URL}?{query}")))["Fresh"]
    assert (row["Available (s)"], row["Away (s)"], row["Signed in (s)"]) == ("90", "30", "120")


def test_r4_presence_change_through_the_api_shows_after_presence_tick(client, admin_user):
    from django.core.management import call_command

    from presence.services import api_token_create

    user = UserFactory(username="api-rep", groups=["Representatives"])
    rep = RepresentativeFactory(name="Via API", user=user)
    _, token = api_token_create(user=user, name="desktop", now=at(0))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    base = f"/api/v1/representatives/{rep.pk}"
    with time_machine.travel(at(0), tick=False) as clock:
        assert (
            client.post(f"{base}/clients", {}, content_type="application/json", **auth).status_code
            == 201
        )
        clock.move_to(at(30))
        away = builtin("away").pk
        response = client.put(
            f"{base}/presence", {"status_id": away}, content_type="application/json", **auth
        )
        assert response.status_code == 200, response.content
        clock.move_to(at(50))
        call_command("presence_tick", stdout=io.StringIO())
        client.force_login(admin_user)
        row = by_name(csv_rows(client.get(f"{URL}?{DAY}&representative={rep.pk}&export=reps")))[
            "Via API"
        ]
    assert (row["Available (s)"], row["Away (s)"], row["Signed in (s)"]) == ("30", "20", "50")
