"""Issue 16 in a real Chromium: the supervisor transfers a conversation from the ongoing report
(P9) and releases one, and the queues page open in another tab shows its figures change without
reload; axe-core finds no WCAG 2.1 A/AA violation on the new pages (queues, a queue's drill-down,
the move and sign-out confirmations, the wallboard's form and board)."""

import pytest
from django.utils import timezone

from presence import services
from tests.browser import BROWSER_TEST, OUT, sign_in
from tests.portal.test_accessibility_browser import audit
from tests.reports.realtime_helpers import build_floor

pytestmark = BROWSER_TEST

REFRESH = 2
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def floor(settings):
    settings.REPORT_REFRESH_SECONDS = REFRESH
    return build_floor(now=timezone.now())


def cell(page, ws, name):
    return page.locator(f'#queue-row-{ws.pk} [data-cell="{name}"]')


def test_p9_transfer_from_the_ongoing_report_changes_the_queue_figures_live(
    browser, live_server, floor
):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=DESKTOP)
    queues = context.new_page()
    sign_in(queues, live_server, floor.supervisor.username)
    queues.goto(f"{live_server.url}/reports/queues/")
    chat = floor.chat
    # Bea's blocking Chat profile is full (2 of 2): she may not take chat work (K6).
    before = int(cell(queues, chat, "may_take").inner_text())
    waiting = int(cell(queues, chat, "waiting").inner_text())
    queues.evaluate("window.__noReload = true")

    ongoing = context.new_page()
    ongoing.goto(f"{live_server.url}/reports/conversations/")
    conversation = floor.conversations["full_1"]
    ongoing.locator(f"#transfer-{conversation.pk}").click()
    ongoing.wait_for_url(f"**/conversations/{conversation.pk}/transfer/**")
    OUT.mkdir(exist_ok=True)
    ongoing.screenshot(path=str(OUT / "reports-transfer-confirm-1280.png"), full_page=True)
    ongoing.select_option("#id_representative", label="Ada Idle · Available")
    ongoing.locator('[data-confirm-move="transfer"]').click()
    ongoing.wait_for_url("**/reports/conversations/**")
    expect(ongoing.locator(".messages")).to_contain_text(
        f"Conversation {conversation.pk} is transferred from Bea Full to Ada Idle."
    )
    expect(ongoing.locator(f"#conversation-row-{conversation.pk}")).to_contain_text("Ada Idle")

    # P9, K6: Bea's profile is no longer full, so one more rep may take chat work, live.
    expect(cell(queues, chat, "may_take")).to_have_text(
        str(before + 1), timeout=(REFRESH + 4) * 1000
    )

    # Release another one to the queue: the waiting count follows.
    other = floor.conversations["partial_chat"]
    ongoing.locator(f"#release-{other.pk}").click()
    ongoing.wait_for_url(f"**/conversations/{other.pk}/release/**")
    ongoing.locator('[data-confirm-move="release"]').click()
    expect(ongoing.locator(".messages")).to_contain_text("is back in the queue")
    expect(cell(queues, chat, "waiting")).to_have_text(
        str(waiting + 1), timeout=(REFRESH + 4) * 1000
    )
    assert queues.evaluate("window.__noReload") is True
    queues.screenshot(path=str(OUT / "reports-queues-1280.png"), full_page=True)
    context.close()


def test_the_new_pages_have_no_wcag21_aa_violation(browser, live_server, floor):
    page = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(page, live_server, floor.supervisor.username)
    base = live_server.url
    conversation = floor.conversations["full_1"]
    paths = {
        "queues": "/reports/queues/",
        "queue drill-down": f"/reports/queues/{floor.chat.pk}/",
        "transfer": f"/reports/conversations/{conversation.pk}/transfer/",
        "assign": f"/reports/conversations/{floor.conversations['queued'].pk}/assign/",
        "release": f"/reports/conversations/{conversation.pk}/release/",
        "sign out": f"/reports/agents/{floor.reps['idle'].pk}/sign-out/",
        "wallboard form": "/reports/wallboard/",
        "wallboard": f"/reports/wallboard/?show=1&queue={floor.chat.pk}&team={floor.team.pk}",
    }
    found: list[str] = []
    for where, path in paths.items():
        response = page.goto(base + path)
        assert response is not None
        assert response.status == 200, f"{where}: {response.status}"
        audit(page, where, found)
    page.screenshot(path=str(OUT / "reports-wallboard-1280.png"), full_page=True)
    assert not found, f"{len(found)} axe-core violation(s):\n" + "\n".join(found)


def test_s5_a_rep_signed_out_by_a_supervisor_is_told_who_and_stays_signed_out(
    browser, live_server, floor, settings
):
    """The console (over HTTP here: the test server holds no stream) learns of the sign-out from
    its next heartbeat, answered 404 "signed_out", before any poll could show it (polling is off):
    it stops instead of signing the rep in again, and then shows who signed the rep out."""
    settings.PRESENCE_HEARTBEAT_TIMEOUT_SECONDS = 6  # the console beats every 2 s, not 20
    settings.CONSOLE_POLL_SECONDS = 3600
    from playwright.sync_api import expect

    from presence.models import Client, RepresentativePresence
    from tests.factories import UserFactory
    from tests.presence.helpers import wait_for

    rep = floor.reps["idle"]
    rep.user = UserFactory(username="ada-console", groups=["Representatives"])
    rep.save()
    floor.supervisor.first_name, floor.supervisor.last_name = "Sam", "Super"
    floor.supervisor.save()
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, live_server, "ada-console")
    page.goto(f"{live_server.url}/console/")
    page.wait_for_selector("#console-connection[data-state=connected]", timeout=10_000)
    wait_for(lambda: Client.objects.filter(representative=rep).exists(), seconds=10, what="connect")

    services.representative_sign_out(representative=rep, actor=floor.supervisor, now=timezone.now())
    expect(page.locator("[data-signed-out-by]")).to_contain_text(
        "Sam Super signed you out of presence", timeout=10_000
    )
    # The next heartbeat finds the client gone: the console stays signed out.
    expect(page.locator("#console-connection")).to_contain_text(
        "Signed out of presence", timeout=10_000
    )
    page.wait_for_timeout(4_000)  # two more beat intervals: nothing signs the rep in again
    assert not Client.objects.filter(representative=rep).exists()
    assert not RepresentativePresence.objects.get(pk=rep.pk).signed_in
    # Sign in again: the rep's own choice.
    page.get_by_role("link", name="Sign in again").click()
    page.wait_for_selector("#console-connection[data-state=connected]", timeout=10_000)
    wait_for(lambda: Client.objects.filter(representative=rep).exists(), seconds=10, what="sign-in")
    context.close()
