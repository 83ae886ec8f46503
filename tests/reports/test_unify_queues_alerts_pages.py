"""Issue 16 follow-up: the queues page and a queue's drill-down show the queues' own alerts
(longest wait, service level) as a banner and a badge on the figure concerned, live (in the
region), in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from presence import services
from reports.alerts.jobs import alerts_refresh
from reports.models import AlertBreach, AlertKind
from tests.factories import WorkstreamFactory
from tests.reports.queues_helpers import build_queue_floor
from tests.reports.realtime_helpers import body, many_reps
from tests.reports.test_unify_wallboard_alerts import build_alerted

pytestmark = pytest.mark.django_db

S = dt.timedelta(seconds=1)


@pytest.fixture
def alerted(now):
    return build_alerted(now=now)


def banner_ids(page: str) -> set[int]:
    if 'id="alerts-banner"' not in page:
        return set()
    banner = page.split('id="alerts-banner"', 1)[1].split("</section>", 1)[0]
    return {int(pk) for pk in re.findall(r'id="alert-(\d+)"', banner)}


def row(page: str, ws_id: int) -> str:
    return page.split(f'id="queue-row-{ws_id}"', 1)[1].split("</tr>", 1)[0]


def cell(html: str, name: str) -> str:
    return html.split(f'data-cell="{name}"', 1)[1].split("</td>", 1)[0]


@pytest.mark.parametrize("who", ["supervisor", "admin"])
def test_the_queues_page_shows_the_queues_alerts_and_badges_their_figures(client, alerted, who):
    f, b = alerted, alerted.b
    client.force_login(getattr(f, who))
    page = body(client.get(reverse("reports:queues")))
    queue_alerts = {
        b[(AlertKind.QUEUE_WAIT, f.chat.pk)],
        b[(AlertKind.SERVICE_LEVEL, f.chat.pk)],
        b[(AlertKind.SERVICE_LEVEL, f.tokyo.pk)],
    }
    assert banner_ids(page) == queue_alerts  # the reps' and teams' alerts are on their reports
    chat, tokyo, email = row(page, f.chat.pk), row(page, f.tokyo.pk), row(page, f.email.pk)
    assert "data-alert-badge" in cell(chat, "longest_wait")
    assert "data-alert-badge" in cell(chat, "service_level")
    assert "data-alert-badge" not in cell(tokyo, "longest_wait")
    assert "data-alert-badge" in cell(tokyo, "service_level")
    assert "data-alert-badge" not in email
    # A supervisor may acknowledge from here, as from the other live reports.
    assert f'id="alert-ack-{b[(AlertKind.QUEUE_WAIT, f.chat.pk)]}"' in page


def test_a_queues_drill_down_shows_that_queues_alerts_only(client, alerted):
    f, b = alerted, alerted.b
    client.force_login(f.supervisor)
    page = body(client.get(reverse("reports:queue_detail", args=[f.chat.pk])))
    assert banner_ids(page) == {
        b[(AlertKind.QUEUE_WAIT, f.chat.pk)],
        b[(AlertKind.SERVICE_LEVEL, f.chat.pk)],
    }
    waiting = page.split('data-kpi="waiting"', 1)[1].split("</div>", 1)[0]
    assert "data-alert-badge" in waiting
    tokyo = body(client.get(reverse("reports:queue_detail", args=[f.tokyo.pk])))
    assert banner_ids(tokyo) == {b[(AlertKind.SERVICE_LEVEL, f.tokyo.pk)]}
    kpi = tokyo.split('data-kpi="waiting"', 1)[1].split("</div>", 1)[0]
    assert "data-alert-badge" not in kpi


def test_a_quiet_floor_has_no_banner_and_no_badge(client, now):
    f = build_queue_floor(now=now)
    client.force_login(f.supervisor)
    page = body(client.get(reverse("reports:queues")))
    assert 'id="alerts-banner"' not in page
    assert "data-alert-badge" not in page


def test_an_ended_queue_alert_leaves_the_page(client, alerted, now):
    f, b = alerted, alerted.b
    client.force_login(f.supervisor)
    AlertBreach.objects.filter(rule__kind=AlertKind.SERVICE_LEVEL).update(ended_at=now)
    page = body(client.get(reverse("reports:queues")))
    assert banner_ids(page) == {b[(AlertKind.QUEUE_WAIT, f.chat.pk)]}
    assert "data-alert-badge" not in cell(row(page, f.tokyo.pk), "service_level")


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["supervisor", "admin"])
def test_the_pages_with_alerts_keep_a_fixed_number_of_queries(client, alerted, now, who):
    f = alerted
    client.force_login(getattr(f, who))
    urls = [reverse("reports:queues"), reverse("reports:queue_detail", args=[f.chat.pk])]
    before = [_queries(client, url) for url in urls]
    many_reps(25, team=f.mine, now=now, workstream=f.chat)
    for i in range(12):  # 12 more queues waiting past the threshold: 12 more alerts
        ws = WorkstreamFactory(name=f"More {i:02d}")
        services.conversation_create(workstream=ws, now=now - 250 * S)
        services.conversation_create(workstream=f.chat, now=now)
    alerts_refresh(now=now)
    assert AlertBreach.objects.filter(subject_type="workstream", ended_at=None).count() > 12
    assert _queries(client, urls[0]) == before[0]
    assert _queries(client, urls[1]) == before[1]
