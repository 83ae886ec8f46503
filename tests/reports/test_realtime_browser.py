"""The real-time reports in a real Chromium (Playwright): live updates without reload, Pause /
Resume, force close from the ongoing report seen live on the agents report, and screenshots at
1280 px and phone width (test-output/). These tests sleep: they are about a real browser polling
a real server.
"""

import time

import pytest
from django.utils import timezone

from presence import services
from tests.browser import BROWSER_TEST, OUT, sign_in
from tests.factories import builtin
from tests.reports.realtime_helpers import build_floor

pytestmark = BROWSER_TEST

REFRESH = 2  # seconds; the report polls at settings.REPORT_REFRESH_SECONDS
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def floor(settings):
    settings.REPORT_REFRESH_SECONDS = REFRESH
    return build_floor(now=timezone.now())


def shot(page, name: str, *, full_page: bool = True) -> None:
    OUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUT / name), full_page=full_page)


def status_cell(page, rep):
    return page.locator(f'tr[data-rep-id="{rep.pk}"] [data-cell="status"]')


def reason_cell(page, rep):
    return page.locator(f'tr[data-rep-id="{rep.pk}"] [data-cell="reason"]')


def test_r1_agents_report_updates_live_pauses_and_resumes(browser, live_server, floor):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, live_server, floor.supervisor.username)
    page.goto(f"{live_server.url}/reports/agents/")
    ada = floor.reps["idle"]
    expect(status_cell(page, ada)).to_contain_text("Available")
    expect(page.locator("[data-live-controls]")).to_be_visible()
    shot(page, "reports-agents-1280.png")

    # Sort by units (pushes the URL), then the polling must keep that URL and order.
    page.get_by_role("link", name="Units used / total").click()
    page.wait_for_url("**/reports/agents/?sort=units*")
    sorted_url = page.url
    page.evaluate("window.__noReload = true")

    # An API-equivalent service call changes Ada's presence: the grid shows it without reload.
    services.presence_set_manual(representative=ada, status=builtin("away"), now=timezone.now())
    expect(status_cell(page, ada)).to_contain_text("Appear away", timeout=(REFRESH + 4) * 1000)
    expect(reason_cell(page, ada)).to_have_text(
        "set by the representative; capacity does not override it"
    )
    assert page.evaluate("window.__noReload") is True
    assert page.url == sorted_url
    assert page.locator('th[aria-sort="ascending"]').inner_text().startswith("Units used")

    # Pause: a change made now does not appear, however long we wait.
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("[data-live-label]")).to_contain_text("Paused")
    updated_at = page.locator("[data-updated-at]").inner_text()
    services.presence_set_manual(representative=ada, status=builtin("dnd"), now=timezone.now())
    time.sleep(REFRESH * 2 + 1)
    expect(status_cell(page, ada)).to_contain_text("Appear away")
    assert page.locator("[data-updated-at]").inner_text() == updated_at
    shot(page, "reports-agents-paused-1280.png", full_page=False)

    # Resume: the current figures at once.
    page.get_by_role("button", name="Resume").click()
    expect(status_cell(page, ada)).to_contain_text("Do not disturb", timeout=(REFRESH + 4) * 1000)
    assert page.evaluate("window.__noReload") is True

    # A filter keeps working with polling, and lands in the URL.
    page.locator("summary", has_text="Filters").click()
    page.fill("#id_q", "Bea")
    page.wait_for_url("**q=Bea*")
    expect(page.locator("tbody tr[data-rep-id]")).to_have_count(1)
    time.sleep(REFRESH + 1)
    expect(page.locator("tbody tr[data-rep-id]")).to_have_count(1)
    shot(page, "reports-agents-filtered-1280.png", full_page=False)
    context.close()


def test_v3_force_close_from_ongoing_report_updates_the_agents_report(browser, live_server, floor):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=DESKTOP)
    agents = context.new_page()
    sign_in(agents, live_server, floor.supervisor.username)
    agents.goto(f"{live_server.url}/reports/agents/?tab=with_work")
    bea = floor.reps["full"]
    expect(status_cell(agents, bea)).to_contain_text("Do not disturb")
    expect(reason_cell(agents, bea)).to_contain_text("capacity full")
    agents.evaluate("window.__noReload = true")

    ongoing = context.new_page()
    ongoing.goto(f"{live_server.url}/reports/conversations/")
    conversation = floor.conversations["full_1"]
    expect(
        ongoing.locator(f'tr[data-conversation-id="{floor.conversations["stuck"].pk}"]')
    ).to_contain_text("Stuck")
    shot(ongoing, "reports-ongoing-1280.png")
    ongoing.locator(f'[data-force-close="{conversation.pk}"]').click()
    ongoing.wait_for_url(f"**/conversations/{conversation.pk}/force-close/**")
    shot(ongoing, "reports-force-close-confirm-1280.png")
    ongoing.locator("[data-confirm-force-close]").click()
    ongoing.wait_for_url("**/reports/conversations/**")
    expect(ongoing.locator(".messages")).to_contain_text(
        f"Conversation {conversation.pk} was force-closed"
    )
    expect(ongoing.locator(f'tr[data-conversation-id="{conversation.pk}"]')).to_have_count(0)

    # The agents report, open in another tab, shows Bea's new presence without reload.
    expect(status_cell(agents, bea)).to_contain_text("Busy", timeout=(REFRESH + 4) * 1000)
    expect(reason_cell(agents, bea)).to_contain_text("1 of 2 work items used (profile Chat)")
    assert agents.evaluate("window.__noReload") is True

    # Drill-down of Bea: timeline, capacity, supervisor actions.
    agents.get_by_role("link", name="Bea Full").click()
    agents.wait_for_url(f"**/reports/agents/{bea.pk}/")
    expect(agents.locator(".timeline-segment").first).to_be_visible()
    shot(agents, "reports-agent-detail-1280.png")
    agents.select_option("#id_status", label="Appear away")
    agents.get_by_role("button", name="Set presence", exact=True).click()
    expect(agents.locator(".messages")).to_contain_text("Bea Full is now Appear away")
    expect(agents.locator("[data-reason]")).to_contain_text("set by a supervisor")
    context.close()


def test_reports_look_finished_at_phone_width(browser, live_server, floor):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, live_server, floor.supervisor.username)
    for path, name in (
        ("/reports/agents/", "reports-agents-phone.png"),
        (f"/reports/agents/{floor.reps['partial'].pk}/", "reports-agent-detail-phone.png"),
        ("/reports/conversations/", "reports-ongoing-phone.png"),
    ):
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("[data-live-region]")).to_be_visible()
        # Nothing wider than the screen: no sideways scrolling of the whole page.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1, path
        shot(page, name)
        shot(page, name.replace(".png", "-top.png"), full_page=False)
        page.locator("[data-live-region] table").first.scroll_into_view_if_needed()
        shot(page, name.replace(".png", "-grid.png"), full_page=False)
    context.close()


def test_finding_22_keyboard_focus_stays_on_a_rep_link_across_three_refreshes(
    browser, live_server, floor
):
    """Review finding 22: every live refresh used to drop keyboard focus to <body>, so the first
    rep link could not be reached at a normal pace. Updates are morphed in now: focus stays on
    the rep link across three refreshes, and so does the grid's scroll. (This live server is
    WSGI: the stream answers 204 and the page polls, the fallback path.)"""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 500})
    page = context.new_page()
    sign_in(page, live_server, floor.supervisor.username)
    page.goto(f"{live_server.url}/reports/agents/")
    first = page.locator("a.rep-link").first
    expect(first).to_be_visible()
    target = first.get_attribute("id")
    # At a normal pace: one Tab every 0.3 s from the top of the page until the link has focus.
    for _ in range(60):
        page.keyboard.press("Tab")
        time.sleep(0.3)
        if page.evaluate("document.activeElement.id") == target:
            break
    assert page.evaluate("document.activeElement.id") == target
    page.mouse.wheel(0, 300)
    time.sleep(1)  # the wheel scrolls smoothly
    scroll = page.evaluate("window.scrollY")
    stamp = page.locator("[data-updated-at]")
    for refresh in range(3):
        before = stamp.get_attribute("datetime")
        expect(stamp).not_to_have_attribute("datetime", before, timeout=(REFRESH + 4) * 1000)
        assert page.evaluate("document.activeElement.id") == target, f"refresh {refresh + 1}"
        assert page.evaluate("window.scrollY") == scroll
    page.keyboard.press("Enter")  # the focused link still works
    page.wait_for_url("**/reports/agents/*/")
    context.close()
