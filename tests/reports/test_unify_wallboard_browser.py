"""The wallboard with active alerts in a real Chromium: an alert appears on the board by itself
when the periodic job opens it (no reload), in the supervisor's scope only, and axe-core finds no
WCAG 2.1 A/AA violation on the board with alerts, nor on the queues page and a queue's
drill-down with their alerts banner and badges (desktop and phone width, light and dark)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from presence import services
from reports.alerts.jobs import alerts_refresh
from reports.models import AlertBreach, AlertKind, AlertRule
from tests.browser import BROWSER_TEST, OUT, sign_in
from tests.factories import builtin
from tests.portal.test_accessibility_browser import audit
from tests.reports.realtime_helpers import build_floor

pytestmark = BROWSER_TEST

REFRESH = 2
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def floor(settings):
    settings.REPORT_REFRESH_SECONDS = REFRESH
    return build_floor(now=timezone.now())


def test_the_wallboard_shows_its_alerts_live_and_has_no_wcag21_aa_violation(
    browser, live_server, floor
):
    from playwright.sync_api import expect

    now = timezone.now()
    AlertRule.objects.create(
        name="Queue waits",
        kind=AlertKind.QUEUE_WAIT,
        threshold=1,
        created_at=now,
        updated_at=now,
    )
    AlertRule.objects.create(
        name="Do not disturb too long",
        kind=AlertKind.REP_STATUS,
        status=builtin("dnd"),
        threshold=1,  # minute
        created_at=now,
        updated_at=now,
    )
    ada, outside = floor.reps["idle"], floor.reps["outside_busy"]
    # Ada goes to Do not disturb 57 seconds ago (3 s before the threshold); a rep of another
    # team has been in it longer: their alert is never on this supervisor's board.
    dnd_at = now - dt.timedelta(seconds=57)
    services.presence_set_manual(representative=ada, status=builtin("dnd"), now=dnd_at)
    services.presence_set_manual(
        representative=outside, status=builtin("dnd"), now=now - dt.timedelta(minutes=5)
    )
    time.sleep(1.1)  # the queued conversation has waited a second: the queue's alert opens
    alerts_refresh(now=timezone.now())
    assert AlertBreach.objects.filter(representative=outside, ended_at__isnull=True).exists()
    assert not AlertBreach.objects.filter(representative=ada).exists()

    page = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(page, live_server, floor.supervisor.username)
    page.goto(
        f"{live_server.url}/reports/wallboard/?show=1&queue={floor.chat.pk}&team={floor.team.pk}"
    )
    slot = page.locator("[data-alerts-slot]")
    expect(slot).to_contain_text("Queue waits")
    expect(slot).to_contain_text("Di Manual DND")  # the team's rep in DND for 50 minutes
    expect(slot).not_to_contain_text(outside.name)
    expect(slot).not_to_contain_text("Ada Idle")

    time.sleep(max(0.0, (dnd_at + dt.timedelta(seconds=61) - timezone.now()).total_seconds()))
    alerts_refresh(now=timezone.now())  # the periodic job, as beat runs it
    breach = AlertBreach.objects.get(representative=ada, ended_at__isnull=True)
    page.evaluate("window.__noReload = true")
    alert = page.locator(f"#wallboard-alert-{breach.pk}")
    expect(alert).to_contain_text("Ada Idle", timeout=REFRESH * 4000)
    expect(alert).to_contain_text("for ")
    assert page.evaluate("window.__noReload") is True
    expect(slot).not_to_contain_text(outside.name)
    expect(slot.get_by_role("link")).to_have_count(0)
    expect(slot.get_by_role("button")).to_have_count(0)

    found: list[str] = []
    audit(page, "wallboard with alerts", found)
    page.screenshot(path=str(OUT / "reports-wallboard-alerts-1280.png"), full_page=True)
    # The queues page and the queue's drill-down with the queue's alert: banner and badge.
    for where, path in (
        ("queues with alerts", "/reports/queues/"),
        ("queue drill-down with alerts", f"/reports/queues/{floor.chat.pk}/"),
    ):
        page.goto(live_server.url + path)
        expect(page.locator("#alerts-banner")).to_contain_text("Queue waits")
        expect(page.locator("[data-alert-badge]").first).to_be_visible()
        audit(page, where, found)
    assert not found, f"{len(found)} axe-core violation(s):\n" + "\n".join(found)
