"""The console in a real Chromium (Playwright): two tabs of one rep (S2), closing them (S4).

Screenshots go to test-output/. These tests sleep while they poll the database: they are
about a real browser talking to a real server.
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from presence import services
from presence.models import Client, PresenceSource
from tests.browser import BROWSER_TEST, OUT, sign_in
from tests.factories import (
    CapacityProfileFactory,
    RepresentativeFactory,
    RepresentativeProfileFactory,
    UserFactory,
    WorkstreamFactory,
)
from tests.presence.helpers import presence_of, wait_for

pytestmark = BROWSER_TEST

ONE_HEARTBEAT_MS = 25_000  # a heartbeat is every 20 s, the poll every 3 s


@pytest.fixture
def rep(db):
    user = UserFactory(username="ada", first_name="Ada", groups=["Representatives"])
    return RepresentativeFactory(name="Ada Lovelace", user=user)


def open_console(context, live_server):
    page = context.new_page()
    page.goto(f"{live_server.url}/console/")
    page.wait_for_selector("#console-connection[data-state=connected]", timeout=10_000)
    return page


def badge(page):
    return page.locator("#console-status .status-badge")


def close_all_tabs(context, rep) -> None:
    """Close like a person does and wait for each goodbye, so no request outlives the test.

    One tab at a time: two beacons at once would be two concurrent writes, which the in-memory
    SQLite test database (shared cache, no busy timeout) refuses with "table is locked"."""
    for page in list(context.pages):
        is_console = "/console/" in page.url  # the sign-in tab sits on the home page: no client
        left = Client.objects.filter(representative=rep).count() - 1
        page.close(run_before_unload=True)
        if is_console:
            wait_for(
                lambda left=left: Client.objects.filter(representative=rep).count() <= left,
                seconds=10,
                what="the tab's goodbye",
            )
    assert not Client.objects.filter(representative=rep).exists()
    context.close()


def give_work(rep) -> None:
    """Capacity, one active conversation and one pending offer, so the page shows every region."""
    now = timezone.now()
    rep.capacity_units = 3
    rep.save()
    chat = CapacityProfileFactory(name="Chat", limit=2)
    RepresentativeProfileFactory(representative=rep, profile=chat)
    RepresentativeProfileFactory(
        representative=rep, profile=CapacityProfileFactory(name="Email", limit=1, blocking=True)
    )
    chat_support = WorkstreamFactory(name="Chat support", capacity_profile=chat)
    services.conversation_assign(
        conversation=services.conversation_create(workstream=chat_support, now=now),
        representative=rep,
        force=True,
        now=now,
    )
    billing = WorkstreamFactory(name="Billing email", channel="email")
    billing.offer_timeout_seconds = 600
    billing.save()
    services.offer_create(
        conversation=services.conversation_create(workstream=billing, now=now),
        representative=rep,
        force=True,
        now=now,
    )


def test_s2_two_tabs_show_the_same_presence(browser, live_server, rep):
    give_work(rep)
    OUT.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    sign_in(context.new_page(), live_server, "ada")
    tab1 = open_console(context, live_server)
    tab2 = open_console(context, live_server)

    # S1 with work in progress: the capacity presence; both tabs show the rep's one presence.
    assert Client.objects.filter(representative=rep).count() == 2
    for tab in (tab1, tab2):
        expect(tab.locator("#console-status .status-badge")).to_contain_text(
            "Busy", timeout=ONE_HEARTBEAT_MS
        )
    assert badge(tab1).inner_text() == badge(tab2).inner_text() == "Busy"
    assert "Chat support" in tab1.locator("#console-conversations").inner_text()
    assert "Billing email" in tab1.locator("#console-offers").inner_text()
    tab1.screenshot(path=OUT / "console-1280-before.png", full_page=True)

    # A change in tab 1 is the rep's change: tab 2 shows it within one heartbeat (S2).
    tab1.select_option("#id_status", label="Appear away")
    tab1.click("#set-presence-button")
    tab1.wait_for_selector("#console-messages >> text=Presence set to Appear away.")
    assert badge(tab1).inner_text() == "Appear away"
    expect(tab2.locator("#console-status .status-badge")).to_contain_text(
        "Appear away", timeout=ONE_HEARTBEAT_MS
    )
    assert "Base status: Away" in tab2.locator("#console-status").inner_text()
    assert presence_of(rep).status.builtin_key == "away"
    tab1.screenshot(path=OUT / "console-1280-tab1.png", full_page=True)
    tab2.screenshot(path=OUT / "console-1280-tab2.png", full_page=True)

    tab2.set_viewport_size({"width": 390, "height": 844})
    tab2.wait_for_timeout(300)
    tab2.screenshot(path=OUT / "console-phone.png", full_page=True)
    close_all_tabs(context, rep)


def test_s4_closing_all_tabs_disconnects(browser, live_server, rep):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    sign_in(context.new_page(), live_server, "ada")
    tab1 = open_console(context, live_server)
    tab2 = open_console(context, live_server)
    assert Client.objects.filter(representative=rep).count() == 2
    assert presence_of(rep).status.builtin_key == "available"

    # One tab closes: its goodbye arrives, the other client keeps the rep signed in (S2).
    tab1.close(run_before_unload=True)
    wait_for(
        lambda: Client.objects.filter(representative=rep).count() == 1,
        seconds=10,
        what="the first tab's goodbye",
    )
    assert presence_of(rep).status.builtin_key == "available"

    # The last tab closes: the rep is disconnected at once (S4).
    tab2.close(run_before_unload=True)
    presence = wait_for(
        lambda: (p := presence_of(rep)).source == PresenceSource.DISCONNECT and p,
        seconds=10,
        what="the rep to become Offline (disconnect)",
    )
    assert presence.status.builtin_key == "offline"
    assert presence.saved_status.builtin_key == "available"  # what a reconnect restores
    assert not Client.objects.filter(representative=rep).exists()
    context.close()
