"""Issue 16 items 2 and 3: the queues page, its drill-down and the wallboard, per role and team
scope (also by typing a URL), their live fragments, a fixed number of queries, and the wallboard's
sign-in for a shift."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.reports.queues_helpers import build_queue_floor
from tests.reports.realtime_helpers import HTMX, body, many_reps

pytestmark = pytest.mark.django_db


@pytest.fixture
def qfloor(now):
    return build_queue_floor(now=now)


def queue_urls(qfloor):
    return [
        reverse("reports:queues"),
        reverse("reports:queue_detail", args=[qfloor.chat.pk]),
        reverse("reports:wallboard"),
        reverse("reports:wallboard") + "?show=1",
    ]


def test_a3_a_representative_gets_403_and_a_visitor_signs_in(client, qfloor, rep_user):
    for url in queue_urls(qfloor):
        assert client.get(url).status_code == 302  # to sign-in
    client.force_login(rep_user)
    for url in queue_urls(qfloor):
        response = client.get(url)
        assert response.status_code == 403
        assert "presence.view_reports" in body(response)
        partial = client.get(url, **HTMX, HTTP_HX_TRIGGER="queues-results")
        assert partial.status_code == 403  # the live fragment too
    assert client.post(reverse("reports:wallboard"), {"shift": "on"}).status_code == 403


def test_the_queues_page_shows_every_queue_with_the_supervisors_figures(client, qfloor):
    client.force_login(qfloor.supervisor)
    page = body(client.get(reverse("reports:queues")))
    for ws in (qfloor.chat, qfloor.email, qfloor.tokyo):
        assert f'id="queue-row-{ws.pk}"' in page
    row = page.split(f'id="queue-row-{qfloor.chat.pk}"')[1].split("</tr>")[0]
    assert 'data-cell="waiting">3<' in row
    assert 'data-cell="longest_wait">5 min 00 s<' in row
    assert 'data-cell="offered">2<' in row  # the supervisor's reps' offers only (A2)
    assert 'data-cell="service_level">50 %' in row
    assert 'data-cell="may_take">1<' in row
    assert "day in UTC" in row
    assert "(times in UTC)" in page  # the zone, once


def test_a2_the_admin_counts_every_reps_offers(client, qfloor):
    client.force_login(qfloor.admin)
    page = body(client.get(reverse("reports:queues")))
    row = page.split(f'id="queue-row-{qfloor.chat.pk}"')[1].split("</tr>")[0]
    assert 'data-cell="offered">3<' in row


def test_the_live_refresh_gets_the_region_only(client, qfloor):
    client.force_login(qfloor.supervisor)
    response = client.get(reverse("reports:queues"), **HTMX, HTTP_HX_TRIGGER="queues-results")
    page = body(response)
    assert page.lstrip().startswith('<section id="queues-results"')
    assert "<html" not in page


def _queries(client, url, **headers):
    client.get(url, **headers)  # warm: session, permissions
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, **headers).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["supervisor", "admin"])
def test_the_new_pages_keep_a_fixed_number_of_queries(client, qfloor, now, who):
    client.force_login(getattr(qfloor, who))
    urls = [
        reverse("reports:queues"),
        reverse("reports:queue_detail", args=[qfloor.chat.pk]),
        reverse("reports:wallboard") + "?show=1",
    ]
    before = [_queries(client, url) for url in urls]
    many_reps(25, team=qfloor.mine, now=now, workstream=qfloor.chat)
    from presence import services

    for _ in range(10):
        services.conversation_create(workstream=qfloor.chat, now=now)
    after = [_queries(client, url) for url in urls]
    assert before == after
    assert max(after) <= 16


def test_the_drill_down_lists_the_waiting_conversations_longest_first(client, qfloor):
    client.force_login(qfloor.supervisor)
    page = body(client.get(reverse("reports:queue_detail", args=[qfloor.chat.pk])))
    order = [qfloor.c[k].pk for k in ("c6", "c3", "c4")]
    positions = [page.index(f'id="conversation-row-{pk}"') for pk in order]
    assert positions == sorted(positions)
    assert f'id="assign-{qfloor.c["c6"].pk}"' in page
    assert client.get(reverse("reports:queue_detail", args=[999999])).status_code == 404


def test_wallboard_form_offers_only_the_supervisors_teams(client, qfloor):
    client.force_login(qfloor.supervisor)
    page = body(client.get(reverse("reports:wallboard")))
    assert "Queue mine" in page
    assert "Queue other" not in page
    assert "Keep this screen signed in for the shift" in page


def test_wallboard_keeps_the_screen_signed_in_for_a_shift(client, qfloor):
    client.force_login(qfloor.supervisor)
    response = client.post(
        reverse("reports:wallboard"),
        {"queue": [qfloor.chat.pk], "team": [qfloor.mine.pk], "shift": "on"},
    )
    assert response.status_code == 302
    assert response.url == (
        f"{reverse('reports:wallboard')}?show=1&queue={qfloor.chat.pk}&team={qfloor.mine.pk}"
    )
    assert client.session.get_expiry_age() == settings.WALLBOARD_SESSION_SECONDS == 12 * 3600
    page = body(client.get(response.url))
    assert f'id="wallboard-queue-{qfloor.chat.pk}"' in page
    assert f'id="wallboard-queue-{qfloor.email.pk}"' not in page
    assert f'id="wallboard-team-{qfloor.mine.pk}"' in page
    assert "data-alerts-slot" in page
    # No controls: no navigation, no sign-out, no form.
    assert "site-header" not in page
    assert "<form" not in page
    assert "<button" not in page.split('id="wallboard-live"')[1]


def test_wallboard_without_the_shift_choice_keeps_the_session_as_it_is(client, qfloor):
    client.force_login(qfloor.supervisor)
    age = client.session.get_expiry_age()
    client.post(reverse("reports:wallboard"), {"queue": [qfloor.chat.pk]})
    assert client.session.get_expiry_age() == age


def test_a2_wallboard_never_shows_another_team_even_by_url(client, qfloor):
    client.force_login(qfloor.supervisor)
    url = f"{reverse('reports:wallboard')}?show=1&team={qfloor.other.pk}&team=abc"
    page = body(client.get(url))
    assert f'id="wallboard-team-{qfloor.other.pk}"' not in page
    client.force_login(qfloor.admin)
    assert f'id="wallboard-team-{qfloor.other.pk}"' in body(client.get(url))


def test_wallboard_live_region_alone_for_the_refresh(client, qfloor):
    client.force_login(qfloor.supervisor)
    url = reverse("reports:wallboard") + "?show=1"
    page = body(client.get(url, **HTMX, HTTP_HX_TRIGGER="wallboard-live"))
    assert page.lstrip().startswith('<section id="wallboard-live"')


def test_the_report_stream_knows_the_new_pages(client, qfloor):
    client.force_login(qfloor.supervisor)
    for page in ("queues", "wallboard"):
        response = client.get(reverse("reports:stream") + f"?page={page}")
        assert response.status_code == 204  # WSGI: no stream, the page polls
    assert client.get(reverse("reports:stream") + "?page=nope").status_code == 400


def test_workstream_settings_for_the_queues(client, qfloor, admin_user):
    from portal.exceptions import ValidationFailed
    from presence import services

    with pytest.raises(ValidationFailed, match="timezone"):
        services.workstream_update(
            workstream=qfloor.chat,
            actor=admin_user,
            now=dt.datetime.now(dt.UTC),
            timezone="Mars/Base",
        )
    with pytest.raises(ValidationFailed, match="service_level_seconds"):
        services.workstream_update(
            workstream=qfloor.chat,
            actor=admin_user,
            now=dt.datetime.now(dt.UTC),
            service_level_seconds=0,
        )
    ws = services.workstream_create(
        actor=admin_user, now=dt.datetime.now(dt.UTC), name="New", channel="chat"
    )
    assert (ws.service_level_seconds, ws.timezone) == (20, settings.TIME_ZONE)
