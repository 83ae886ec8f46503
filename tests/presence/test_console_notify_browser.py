"""The phone console and new offers in a real Chromium (Playwright): offers are the first card
at 390 px, and a new offer changes the tab title, is announced to screen readers and plays a
tone when the rep turned the sound on. Review finding 21. These tests wait for the console's
own refresh: they are about a real browser talking to a real server."""

import pytest
from django.utils import timezone

from presence import services
from tests.browser import BROWSER_TEST, OUT, sign_in, wait_until
from tests.factories import RepresentativeFactory, UserFactory, WorkstreamFactory

pytestmark = BROWSER_TEST

PHONE = {"width": 390, "height": 844}
TITLE = "Console · Presence portal"
REFRESH_MS = 10_000  # the console refreshes every few seconds
# Counts the tones console-notify.js starts (WebAudio: no media file).
COUNT_TONES = """(() => {
  window.__tones = 0;
  const Context = window.AudioContext;
  if (!Context) return;
  const create = Context.prototype.createOscillator;
  Context.prototype.createOscillator = function () { window.__tones += 1; return create.call(this); };
})();"""


@pytest.fixture
def rep(db):
    user = UserFactory(username="ada", first_name="Ada", groups=["Representatives"])
    return RepresentativeFactory(name="Ada Lovelace", user=user)


def offer_to(rep, name: str = "Billing email"):
    workstream = WorkstreamFactory(name=name, channel="email")
    workstream.offer_timeout_seconds = 600
    workstream.save()
    now = timezone.now()
    conversation = services.conversation_create(workstream=workstream, now=now)
    return services.offer_create(conversation=conversation, representative=rep, force=True, now=now)


def phone_console(browser, live_server):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.add_init_script(COUNT_TONES)
    page = context.new_page()
    sign_in(page, live_server, "ada")
    page.goto(f"{live_server.url}/console/")
    page.wait_for_selector("#console-connection[data-state=connected]", timeout=10_000)
    return context, page


def test_offers_are_the_first_card_on_a_phone_and_count_in_the_title(browser, live_server, rep):
    """Review finding 21: at 390 px the offers card was about 1,000 px below the fold; it is now
    within the first screen, Accept included, and the tab title says an offer waits."""
    services.client_connect(representative=rep, now=timezone.now())
    offer = offer_to(rep)
    context, page = phone_console(browser, live_server)
    page.wait_for_selector(f"#accept-offer-{offer.pk}")
    # One look at all three (the regions refresh themselves every few seconds).
    card, accept, presence = page.evaluate(
        f"""['#console-offers', '#accept-offer-{offer.pk}', '.presence-card'].map(
            sel => document.querySelector(sel).getBoundingClientRect().toJSON())"""
    )
    assert card["y"] < PHONE["height"], card
    assert accept["bottom"] <= PHONE["height"], accept
    assert card["y"] < presence["y"]  # before presence and capacity, as in the page's order
    wait_until(page, f"document.title === '(1) Offer — {TITLE}'", timeout=5_000)
    OUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUT / "console-phone-offer.png"))
    context.close()


def test_a_new_offer_changes_the_title_is_announced_and_plays_a_tone(browser, live_server, rep):
    """Review finding 21: nothing announced an offer. A new one now changes the tab title, is
    read out (aria-live) and, with "Sound for new offers" on, plays a short tone; the setting
    is kept in the browser."""
    context, page = phone_console(browser, live_server)
    assert page.title() == TITLE
    sound = page.locator("#offer-sound")
    assert sound.is_visible()
    assert not sound.is_checked()  # off until the rep turns it on
    sound.check()  # the click is also the gesture that lets the page play audio

    offer = offer_to(rep)
    wait_until(page, f"document.title === '(1) Offer — {TITLE}'", timeout=REFRESH_MS)
    announcer = page.locator("#offer-announcer")
    assert announcer.get_attribute("aria-live") == "assertive"
    assert f"New offer: Conversation {offer.conversation_id}" in announcer.text_content()
    wait_until(page, "window.__tones === 1", timeout=2_000)

    offer_to(rep, name="Sales email")  # a second offer: one more tone, the title counts both
    wait_until(page, f"document.title === '(2) Offers — {TITLE}'", timeout=REFRESH_MS)
    wait_until(page, "window.__tones === 2", timeout=2_000)

    page.reload()
    page.wait_for_selector("#console-connection[data-state=connected]", timeout=10_000)
    assert page.locator("#offer-sound").is_checked()  # kept in localStorage
    wait_until(page, f"document.title === '(2) Offers — {TITLE}'", timeout=5_000)
    assert page.evaluate("window.__tones") == 0  # offers already there on load: no tone
    context.close()


def test_without_the_sound_on_a_new_offer_changes_the_title_but_stays_silent(
    browser, live_server, rep
):
    """Review finding 21: the tone plays only when the rep asked for it."""
    context, page = phone_console(browser, live_server)
    page.locator("#console-status").click()  # a gesture, so only the setting keeps it silent
    offer_to(rep)
    wait_until(page, f"document.title === '(1) Offer — {TITLE}'", timeout=REFRESH_MS)
    assert page.evaluate("window.__tones") == 0
    context.close()
