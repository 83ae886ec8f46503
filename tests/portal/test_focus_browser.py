"""Keyboard focus in a real Chromium: what an in-page save or navigation does to it.

Review finding 23: the inline default-presence select saved on every change (each arrow key is a
change in Chromium) and the swapped row dropped focus. Finding 24: tab, sort and page links swap
the results region and dropped focus to the top of the page (static/portal-focus.js).
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from presence import services
from presence.models import Representative
from tests.browser import BROWSER_TEST, sign_in, wait_until
from tests.factories import (
    PresenceStatusFactory,
    RepresentativeFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = BROWSER_TEST


def htmx_idle(page) -> None:
    """No request in flight, nothing swapping or settling (the settle listeners have run)."""
    wait_until(page, "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def active_id(page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")


def active_control(page) -> str:
    """The focused control as "<row id> <tag>", e.g. "rep-3 select"."""
    return page.evaluate(
        "(e => `${e.closest('tr') ? e.closest('tr').id : ''} ${e.tagName.toLowerCase()}`)"
        "(document.activeElement)"
    )


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def test_default_presence_saves_on_save_or_enter_only_and_keeps_focus_on_the_row(page, live_server):
    """Review finding 23: arrow keys in the row's select browse the options without saving
    (WCAG 3.2.2); Enter in the select, or the Save button, saves; focus stays on the control."""
    UserFactory(username="boss", groups=["Portal admins"])
    for name in ("Lunch", "Training"):
        PresenceStatusFactory(name=name, base_status="away", user_can_set=True)
    rep = RepresentativeFactory(name="Ada Lovelace")
    sign_in(page, live_server, "boss")
    page.goto(live_server.url + reverse("presence:config_defaults"))
    row = f"tr#rep-{rep.pk}"
    select = page.locator(f"{row} select")

    select.focus()
    select.press("ArrowDown")
    select.press("ArrowDown")
    page.wait_for_timeout(600)  # a save on change would have gone and come back by now
    htmx_idle(page)
    rep.refresh_from_db()
    assert rep.default_presence_id is None
    assert page.locator(f"#rep-{rep.pk} .row-note").count() == 0
    chosen = select.input_value()
    assert chosen  # the arrows did move the choice

    select.press("Enter")
    page.wait_for_selector(f"{row} .row-note.ok")
    htmx_idle(page)
    assert Representative.objects.get(pk=rep.pk).default_presence_id == int(chosen)
    assert active_control(page) == f"rep-{rep.pk} select"

    # The Save button, from the keyboard: saved, and focus stays on the (new) button.
    select.press("ArrowUp")
    page.keyboard.press("Tab")
    assert active_control(page) == f"rep-{rep.pk} button"
    page.keyboard.press("Enter")
    wait_until(
        page,
        f"document.querySelector('{row} select').value !== '{chosen}'"
        f" && document.querySelector('{row} .row-note.ok')",
    )
    htmx_idle(page)
    assert Representative.objects.get(pk=rep.pk).default_presence_id != int(chosen)
    assert active_control(page) == f"rep-{rep.pk} button"


def follow(page, link) -> None:
    """Activate a link from the keyboard and wait for its swap to settle."""
    url = page.url
    link.focus()
    page.keyboard.press("Enter")
    wait_until(page, "url => location.href !== url", arg=url)
    htmx_idle(page)


def test_tab_sort_and_page_links_move_focus_to_the_results_not_the_top(page, live_server):
    """Review finding 24: after a tab, sort or page link of a report or configuration grid,
    focus is on the new results region (its heading), not back at the top of the page."""
    team = TeamFactory(name="Blue")
    boss = UserFactory(username="boss", groups=["Portal admins"])
    team.supervisors.add(boss)
    now = timezone.now()
    for i in range(30):  # signed in (the report's first tab), more than one page of 25
        rep = RepresentativeFactory(name=f"Rep {i:02}", teams=[team])
        services.client_connect(representative=rep, now=now)
    sign_in(page, live_server, "boss")

    page.goto(live_server.url + reverse("reports:agents"))
    results = "#agents-results"
    follow(page, page.locator(f"{results} thead th a").first)
    assert active_id(page) == "agents-results"
    follow(page, page.locator(f"{results} .report-pagination a[rel=next]"))
    assert active_id(page) == "agents-results"
    assert "page=2" in page.url
    follow(page, page.locator(f"{results} .report-tabs a:not([aria-current])").first)
    assert active_id(page) == "agents-results"
    assert "tab=" in page.url

    # The configuration grids share the sort header and the pagination.
    page.goto(live_server.url + reverse("presence:config_defaults"))
    follow(page, page.locator("#defaults-results thead th a").first)
    assert active_id(page) == "defaults-results"
    follow(page, page.locator("#defaults-results .pagination a[rel=next]"))
    assert active_id(page) == "defaults-results"
