"""The live console and report in a real Chromium against a real ASGI server (issue 13), with
the pages' polling switched off (intervals of ten hours): whatever shows up came through the
stream. The server is uvicorn against the test database (tests/asgi.py), hence PostgreSQL.
These tests sleep: they are about a real browser and a real server.
"""

import time

import pytest
from django.utils import timezone

from presence import services
from presence.models import Client, PresenceSource
from tests.asgi import call
from tests.browser import BROWSER_TEST, sign_in, wait_until
from tests.factories import (
    RepresentativeFactory,
    TeamFactory,
    UserFactory,
    WorkstreamFactory,
    builtin,
)
from tests.presence.helpers import presence_of, wait_for

pytestmark = [*BROWSER_TEST, pytest.mark.postgres]

HOURS = 36_000  # "polling off": the fallback intervals, in seconds
REFRESH = 2  # REPORT_REFRESH_SECONDS of the server


@pytest.fixture
def floor(db):
    team = TeamFactory(name="Live team")
    supervisor = UserFactory(username="live-super", groups=["Supervisors"])
    team.supervisors.add(supervisor)
    user = UserFactory(username="live-ada", first_name="Ada", groups=["Representatives"])
    rep = RepresentativeFactory(name="Ada Live", user=user, teams=[team])
    admin = UserFactory(username="live-admin", groups=["Portal admins"])
    _, token = services.api_token_create(user=admin, now=timezone.now())
    return {"rep": rep, "user": user, "supervisor": supervisor, "token": token}


@pytest.fixture
def server(asgi_server):
    return asgi_server(
        CONSOLE_POLL_SECONDS=HOURS,
        REPORT_POLL_SECONDS=HOURS,
        REPORT_REFRESH_SECONDS=REFRESH,
        LIVE_TICK_SECONDS=20,
        LIVE_RESYNC_SECONDS=0,  # as with Redis: nothing but pushes
    )


def open_console(page, url: str) -> None:
    page.goto(f"{url}/console/")
    page.wait_for_selector("#console-connection[data-live=stream]", timeout=10_000)


def offer_through_the_api(server, floor, workstream) -> dict:
    """A new conversation of `workstream`, offered to the floor's rep, as the router does."""
    status, conversation = call(
        server.url, "POST", "/api/v1/conversations", token=floor["token"],
        body={"workstream_id": workstream.pk},
    )  # fmt: skip
    assert status == 201, conversation
    status, offer = call(
        server.url, "POST", f"/api/v1/conversations/{conversation['id']}/offers",
        token=floor["token"], body={"representative_id": floor["rep"].pk},
    )  # fmt: skip
    assert status == 201, offer
    return offer


def test_offer_made_through_the_api_appears_in_the_console_within_a_second(browser, server, floor):
    """Issue 13: the offer is pushed, not polled, and counts down from its expiry."""
    from playwright.sync_api import expect

    page = browser.new_page()
    sign_in(page, server.url, floor["user"].username)
    open_console(page, server.url)
    workstream = WorkstreamFactory(name="Live chat", offer_timeout_seconds=90)

    def offer_one():
        return offer_through_the_api(server, floor, workstream), time.monotonic()

    # The first offer of a fresh server process also pays for its first publication (the Redis
    # client is made on first use) and first rendering of an offer; a floor's server is warm.
    warm_up, _ = offer_one()
    expect(page.locator(f"#accept-offer-{warm_up['id']}")).to_be_visible(timeout=10_000)
    offer, answered = offer_one()
    expect(page.locator(f"#accept-offer-{offer['id']}")).to_be_visible(timeout=1000)
    assert time.monotonic() - answered < 1.0
    countdown = page.locator(f'[data-offer="{offer["id"]}"] [data-expires-at]')
    expect(countdown).to_contain_text("Expires in")
    first = countdown.inner_text()
    time.sleep(2.1)
    assert countdown.inner_text() != first  # counts down without asking the server
    page.close()


def test_a_push_that_comes_while_the_console_is_fetching_is_not_lost(browser, server, floor):
    """The lost push of issue 13: an offer pushed while the console's previous fetch is still on
    its way must show too. The page's catch-up fetch (after `hello`) is held back here until the
    offer's `changed` event has arrived; htmx queued the second fetch on the status region, and
    the first fetch's swap replaced that element, so the queued fetch was dropped with it."""
    from urllib.parse import urlparse

    from playwright.sync_api import expect

    page = browser.new_page()
    sign_in(page, server.url, floor["user"].username)
    page.add_init_script(
        "document.addEventListener('console-refresh', function () {"
        " window.__refreshes = (window.__refreshes || 0) + 1; }, true);"
    )
    held = []

    def hold_the_first_fetch(route):
        if route.request.headers.get("hx-request") and not held:
            held.append((route, route.fetch()))  # answered now (no offer yet), delivered later
        else:
            route.continue_()

    page.route(lambda url: urlparse(url).path == "/console/", hold_the_first_fetch)
    open_console(page, server.url)
    for _ in range(100):  # Playwright runs the route handler only while the test waits on it
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the catch-up fetch never came"
    workstream = WorkstreamFactory(name="Live chat", offer_timeout_seconds=90)
    offer = offer_through_the_api(server, floor, workstream)
    wait_until(page, "window.__refreshes >= 2")  # the offer's push arrived, the fetch is queued
    route, response = held[0]
    route.fulfill(response=response)
    expect(page.locator(f"#accept-offer-{offer['id']}")).to_be_visible(timeout=1000)
    page.close()


def test_presence_change_appears_in_the_agents_report_within_the_window(browser, server, floor):
    """Issue 13: a presence change is pushed to the supervisor's grid, without reload."""
    from playwright.sync_api import expect

    services.client_connect(representative=floor["rep"], now=timezone.now())
    page = browser.new_page()
    sign_in(page, server.url, floor["supervisor"].username)
    page.goto(f"{server.url}/reports/agents/")
    cell = page.locator(f'tr[data-rep-id="{floor["rep"].pk}"] [data-cell="status"]')
    expect(cell).to_contain_text("Available")
    expect(page.locator("[data-live-controls][data-live=stream]")).to_be_attached(timeout=5000)
    page.evaluate("window.__noReload = true")
    status, body = call(
        server.url, "PUT", f"/api/v1/representatives/{floor['rep'].pk}/presence",
        token=floor["token"], body={"status_id": builtin("away").pk},
    )  # fmt: skip
    assert status == 200, body
    expect(cell).to_contain_text("Appear away", timeout=(REFRESH + 1) * 1000)
    assert page.evaluate("window.__noReload") is True
    page.close()


def test_a_report_push_that_comes_while_the_grid_is_fetching_is_not_lost(browser, server, floor):
    """The same for the agents report: a `changed` that comes while the grid's previous fetch is
    on its way (held back here) fetches again once it is back; htmx dropped it
    (hx-sync="this:drop"), and the fetch on its way had been rendered before the change."""
    from urllib.parse import urlparse

    from playwright.sync_api import expect

    services.client_connect(representative=floor["rep"], now=timezone.now())
    page = browser.new_page()
    sign_in(page, server.url, floor["supervisor"].username)
    page.add_init_script(  # counts the stream's `changed` events
        "var Source = window.EventSource;"
        "window.EventSource = function (url, options) {"
        " var source = new Source(url, options);"
        " source.addEventListener('changed', function () {"
        " window.__changed = (window.__changed || 0) + 1; });"
        " return source; };"
    )
    held = []

    def hold_the_first_fetch(route):
        if route.request.headers.get("hx-request") and not held:
            held.append((route, route.fetch()))  # answered now (Available), delivered later
        else:
            route.continue_()

    page.route(lambda url: urlparse(url).path == "/reports/agents/", hold_the_first_fetch)
    page.goto(f"{server.url}/reports/agents/")
    cell = page.locator(f'tr[data-rep-id="{floor["rep"].pk}"] [data-cell="status"]')
    expect(cell).to_contain_text("Available")
    for _ in range(100):  # Playwright runs the route handler only while the test waits on it
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the catch-up fetch never came"
    status, body = call(
        server.url, "PUT", f"/api/v1/representatives/{floor['rep'].pk}/presence",
        token=floor["token"], body={"status_id": builtin("away").pk},
    )  # fmt: skip
    assert status == 200, body
    wait_until(page, "window.__changed >= 1", timeout=(REFRESH + 2) * 1000)  # the push came
    route, response = held[0]
    route.fulfill(response=response)
    expect(cell).to_contain_text("Appear away", timeout=2000)
    page.close()


def test_s4_closing_the_last_console_tab_disconnects_at_once(browser, server, floor):
    """S4: the tab closes, the stream closes: the rep is disconnected without waiting for the
    heartbeat timeout (60 s)."""
    page = browser.new_page()
    sign_in(page, server.url, floor["user"].username)
    open_console(page, server.url)
    assert presence_of(floor["rep"]).signed_in
    page.close()
    wait_for(
        lambda: presence_of(floor["rep"]).source == PresenceSource.DISCONNECT,
        seconds=5,
        what="the disconnect",
    )
    assert not Client.objects.filter(representative=floor["rep"]).exists()


def test_s3_a_refresh_keeps_the_presence(browser, server, floor):
    """S3: a refresh closes the stream and opens it again inside the grace period: the rep keeps
    their manual presence. The page sends no goodbye beacon: the browser may close the stream
    before `pagehide` (its error event), and a beacon that landed after the refreshed page's
    connect ended that client (it happened in about half the runs)."""
    from playwright.sync_api import expect

    page = browser.new_page()
    sign_in(page, server.url, floor["user"].username)
    page.add_init_script(  # beacons outlive the page, so count them where the reload keeps them
        "var send = navigator.sendBeacon.bind(navigator);"
        "navigator.sendBeacon = function (url, data) {"
        " sessionStorage.setItem('beacons', (sessionStorage.getItem('beacons') || '') + url + ' ');"
        " return send(url, data); };"
    )
    open_console(page, server.url)
    page.select_option("#id_status", label="Appear away")
    page.click("#set-presence-button")
    expect(page.locator("#console-status .status-badge")).to_contain_text("Appear away")
    page.reload()
    page.wait_for_selector("#console-connection[data-live=stream]", timeout=10_000)
    expect(page.locator("#console-status .status-badge")).to_contain_text("Appear away")
    time.sleep(1)  # the old stream's goodbye, if any, has landed by now
    assert page.evaluate("sessionStorage.getItem('beacons')") is None
    presence = presence_of(floor["rep"])
    assert (presence.status.builtin_key, presence.source) == ("away", PresenceSource.MANUAL)
    assert presence.signed_in
    page.close()


def test_an_idle_console_sends_no_request_for_a_minute(browser, server, floor):
    """Issue 13, S4: besides its one open stream, an idle console asks nothing for 60 s, and it
    stays alive: the server marks its client alive from the stream."""
    page = browser.new_page()
    sign_in(page, server.url, floor["user"].username)
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    open_console(page, server.url)
    time.sleep(1)  # the catch-up fetch after the stream's hello
    requests.clear()
    began = timezone.now()
    time.sleep(60)
    assert requests == []
    client = Client.objects.get(representative=floor["rep"])
    assert client.last_heartbeat_at > began  # marked alive by the server, not by the page
    assert presence_of(floor["rep"]).signed_in
    page.close()
