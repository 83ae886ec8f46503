"""Live streams and the database's connections (issue 13, item 7: bench/floor.py holds thousands of
open streams against a PostgreSQL server with max_connections of about a hundred)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test import AsyncClient

from tests.factories import TeamFactory, UserFactory
from tests.portal.test_live import Stream, run, signed_in_rep

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.postgres,
]


@pytest.fixture(autouse=True)
def _own_hub(settings):
    settings.LIVE_TICK_SECONDS = 3600
    settings.REDIS_URL = ""


@pytest.mark.parametrize("page", ["console", "report"])
def test_an_open_stream_holds_no_database_connection(page):
    """Issue 13, item 7: once a stream is open, the view's database connection is closed; before,
    Django closed it only when the stream ended, so every open console or report held one
    PostgreSQL connection (bench/floor.py: 53 connections for 52 open streams)."""
    rep = signed_in_rep()
    if page == "console":
        user, url = rep.user, "/console/stream/?client_id=tab-abcdefgh"
    else:
        user = UserFactory(groups=["Supervisors"])
        team = TeamFactory()
        team.supervisors.add(user)
        team.representatives.add(rep)
        url = "/reports/stream/?page=agents"
    held = []

    async def scenario():
        client = AsyncClient()
        await client.aforce_login(user)
        response = await client.get(url)
        assert response.status_code == 200
        stream = Stream(response)
        assert (await stream.next_event())[0] == "hello"
        # The view ran in this test's thread (thread-sensitive code runs in the outer sync
        # thread), so its connection is this thread's.
        held.append(await sync_to_async(lambda: connection.connection is not None)())
        await stream.close()

    run(scenario)
    assert held == [False]
