"""Live updates across server processes (issue 13): two real uvicorn processes share PostgreSQL
and Redis; an API event sent to one reaches a console and a report connected to the other.
These tests sleep: they are about real processes."""

import os
import time

import pytest
from django.test import Client as DjangoClient
from django.utils import timezone

from presence import services
from presence.models import Client
from tests.asgi import EventStream, call
from tests.factories import RepresentativeFactory, TeamFactory, UserFactory, builtin

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def session_of(user) -> str:
    """A signed-in session in the shared database, as the browser's cookie would carry it."""
    client = DjangoClient()
    client.force_login(user)
    return client.cookies["sessionid"].value


def test_an_event_on_one_server_reaches_a_console_and_a_report_on_the_other(asgi_server):
    """Issue 13: fan-out through Redis pub/sub. The console hears of the change within 1 s;
    the report at the start of the next refresh window (1 s here), so within 1 s + 1 s."""
    team = TeamFactory()
    supervisor = UserFactory(username="sup-two", groups=["Supervisors"])
    team.supervisors.add(supervisor)
    rep_user = UserFactory(username="rep-two", groups=["Representatives"])
    rep = RepresentativeFactory(user=rep_user, teams=[team])
    admin = UserFactory(username="admin-two", groups=["Portal admins"])
    _, token = services.api_token_create(user=admin, now=timezone.now())
    env = {"REDIS_URL": os.environ["REDIS_URL"], "REPORT_REFRESH_SECONDS": 1}
    one, other = asgi_server(**env), asgi_server(**env)

    console = EventStream(
        other.url, "/console/stream/?client_id=tab-two-procs", session=session_of(rep_user)
    )
    report = EventStream(other.url, "/reports/stream/?page=agents", session=session_of(supervisor))
    try:
        console.next("hello", seconds=5)
        report.next("hello", seconds=5)
        assert Client.objects.filter(client_id="tab-two-procs").exists()  # S1 by the stream

        # A first request warms the process up (imports, connections): not what is measured.
        assert call(one.url, "GET", f"/api/v1/representatives/{rep.pk}/presence", token=token)[0]
        sent = time.monotonic()
        status, body = call(
            one.url,
            "PUT",
            f"/api/v1/representatives/{rep.pk}/presence",
            token=token,
            body={"status_id": builtin("away").pk},
        )
        assert status == 200, body
        at, data = console.next("changed", seconds=5)
        assert at - sent < 1.0
        assert "presence" in data["kinds"]
        at, data = report.next("changed", seconds=5)
        assert at - sent < 2.0
        assert data["reps"] == [rep.pk]
    finally:
        console.close()
        report.close()
