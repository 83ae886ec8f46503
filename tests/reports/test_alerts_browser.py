"""Alerts in a real Chromium: a supervisor watching the agents report sees an alert appear when a
rep stays in Do not disturb past a short threshold (the periodic job run by the test, as beat
runs it), acknowledges it, and finds it in the history; axe-core finds no WCAG 2.1 A/AA
violation on the alerts pages (configuration list, form with errors, edit, history,
acknowledgement, the banner on the report). These tests sleep: a real browser polls a real
server."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from presence import services
from reports.alerts.jobs import alerts_refresh
from reports.models import AlertBreach, AlertKind, AlertRule
from tests.browser import BROWSER_TEST, sign_in
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


def test_a_supervisor_sees_a_dnd_alert_appear_live_and_acknowledges_it(browser, live_server, floor):
    from playwright.sync_api import expect

    ada = floor.reps["idle"]
    now = timezone.now()
    AlertRule.objects.create(
        name="Do not disturb too long",
        kind=AlertKind.REP_STATUS,
        status=builtin("dnd"),
        threshold=1,  # minute
        created_at=now,
        updated_at=now,
    )
    # Ada went to Do not disturb 57 seconds ago: 3 seconds before the threshold.
    dnd_at = now - dt.timedelta(seconds=57)
    services.presence_set_manual(representative=ada, status=builtin("dnd"), now=dnd_at)
    alerts_refresh(now=timezone.now())  # the job finds nothing yet
    assert not AlertBreach.objects.filter(representative=ada).exists()

    page = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(page, live_server, floor.supervisor.username)
    page.goto(f"{live_server.url}/reports/agents/")
    row = page.locator(f'tr[data-rep-id="{ada.pk}"]')
    expect(row).to_contain_text("Do not disturb")
    expect(page.locator("#alerts-banner")).to_contain_text("Di Manual DND")  # no Ada yet
    expect(page.locator("#alerts-banner")).not_to_contain_text("Ada Idle")
    expect(row.locator("[data-alert-badge]")).to_have_count(0)

    time.sleep(max(0.0, (dnd_at + dt.timedelta(seconds=61) - timezone.now()).total_seconds()))
    alerts_refresh(now=timezone.now())  # the periodic job, as beat runs it
    breach = AlertBreach.objects.get(representative=ada, ended_at__isnull=True)

    # The page picks it up by itself (no reload): the banner names Ada, her row gets a badge.
    page.evaluate("window.__noReload = true")
    alert = page.locator(f"#alert-{breach.pk}")
    expect(alert).to_contain_text("Do not disturb too long", timeout=REFRESH * 4000)
    expect(alert).to_contain_text("Ada Idle")
    expect(alert).to_contain_text("for ")
    expect(row.locator("[data-alert-badge]")).to_have_text("⚠ Alert")
    assert page.evaluate("window.__noReload") is True
    audit_found: list[str] = []
    audit(page, "agents report with alerts", audit_found)

    alert.get_by_role("link", name="Acknowledge").click()
    page.wait_for_url("**/acknowledge/**")
    audit(page, "acknowledge confirmation", audit_found)
    page.locator("[data-confirm-acknowledge]").click()
    page.wait_for_url("**/reports/agents/")
    expect(page.locator(".message-success, [role=status]").first).to_contain_text("acknowledged")
    expect(page.locator(f"#alert-{breach.pk}")).to_contain_text(
        f"Acknowledged by {floor.supervisor.username}"
    )
    breach.refresh_from_db()
    assert breach.acknowledged_by == floor.supervisor

    # Ada leaves Do not disturb: the next run ends the alert; the history says so.
    services.presence_set_manual(
        representative=ada, status=builtin("available"), now=timezone.now()
    )
    alerts_refresh(now=timezone.now())
    expect(page.locator(f"#alert-{breach.pk}")).to_have_count(0, timeout=REFRESH * 4000)
    page.goto(f"{live_server.url}{reverse('reports:alerts')}?state=ended")
    history_row = page.locator(f"#breach-row-{breach.pk}")
    expect(history_row).to_contain_text("Ada Idle")
    expect(history_row).to_contain_text(floor.supervisor.username)
    audit(page, "alerts history", audit_found)
    assert not audit_found, "\n".join(audit_found)


def test_the_alerts_pages_and_trends_have_no_wcag21_aa_violation(browser, live_server, floor):
    now = timezone.now()
    rule = AlertRule.objects.create(
        name="Queue waits", kind=AlertKind.QUEUE_WAIT, threshold=1, created_at=now, updated_at=now
    )
    alerts_refresh(now=now)
    found: list[str] = []
    page = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(page, live_server, floor.admin.username)
    for path in (
        reverse("alerts:config_list"),
        reverse("alerts:config_create"),
        reverse("alerts:config_edit", args=[rule.pk]),
        reverse("reports:alerts"),
        reverse("reports:ongoing"),
        # The trends with one rep picked: their bars next to the team total's (issue 16, item 4).
        reverse("reports:historical") + f"?representative={floor.reps['idle'].pk}",
    ):
        page.goto(live_server.url + path)
        if "representative=" in path:
            assert page.locator("#trends").count() == 1
            assert page.locator("#chart-by-day-team").count() == 1
        audit(page, path, found)
    page.goto(live_server.url + reverse("alerts:config_create"))
    page.select_option("#id_kind", "service_level")
    page.fill("#id_threshold", "150")
    page.click("form.config-form button[type=submit]")
    page.wait_for_selector(".field-error")
    audit(page, "alert form with errors", found)
    assert not found, "\n".join(found)
