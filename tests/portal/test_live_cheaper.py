"""Issue 13, the floor's per-request costs: the navigation is read only by pages that show it,
and a page's permission check reads the user's permissions in one query (A3 unchanged)."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import RepresentativeFactory

CONSOLE = reverse("presence:console")
HTMX = {"HTTP_HX_REQUEST": "true"}
NAV_SQL = 'SELECT 1 AS "a" FROM "presence_representative"'
PERM_SQL = "auth_permission"


def captured(client, *args, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(*args, **headers)
    return response, [q["sql"] for q in queries.captured_queries]


@pytest.fixture
def rep_client(client, rep_user):
    RepresentativeFactory(name="Ada Rep", user=rep_user)
    client.force_login(rep_user)
    return client


def test_the_full_page_still_shows_the_navigation_and_asks_it_once(rep_client):
    response, sql = captured(rep_client, CONSOLE)

    assert response.status_code == 200
    assert '<a href="/console/" aria-current="page">Console</a>' in response.content.decode()
    assert sum(q.startswith(NAV_SQL) for q in sql) == 1


def test_a_live_region_fetch_does_not_read_the_navigation(rep_client):
    response, sql = captured(rep_client, CONSOLE, {"kinds": "offer"}, **HTMX)

    assert response.status_code == 200
    assert not any(q.startswith(NAV_SQL) for q in sql)


def test_a3_a_page_reads_the_users_permissions_in_one_query(rep_client):
    response, sql = captured(rep_client, CONSOLE, {"kinds": "offer"}, **HTMX)

    assert response.status_code == 200
    assert sum(PERM_SQL in q for q in sql) == 1


def test_a3_a_permission_removed_counts_from_the_next_request(client, rep_user):
    """The permission is read per request, never kept across requests."""
    RepresentativeFactory(name="Ada Rep", user=rep_user)
    client.force_login(rep_user)
    assert client.get(CONSOLE, {"kinds": "offer"}, **HTMX).status_code == 200
    use_console = Permission.objects.get(codename="use_console")
    for group in rep_user.groups.all():
        group.permissions.remove(use_console)
    rep_user.user_permissions.remove(use_console)

    response = client.get(CONSOLE, {"kinds": "offer"}, **HTMX)

    assert response.status_code == 403
    assert "presence.use_console" in response.content.decode()
