"""The console's live fetch by kind in a real Chromium against uvicorn (issue 13), polling off:
the catch-up after `hello` asks for every region, an offer's `changed` for the offers region
only, a presence change for the status region only, and the other regions stay as they were."""

import re

import pytest

from tests.asgi import call
from tests.browser import BROWSER_TEST, sign_in, wait_until
from tests.factories import WorkstreamFactory, builtin
from tests.presence.test_live_browser import (  # noqa: F401 - fixtures
    floor,
    offer_through_the_api,
    open_console,
    server,
)

pytestmark = [*BROWSER_TEST, pytest.mark.postgres]


def kinds_of(url: str) -> str | None:
    found = re.search(r"[?&]kinds=([^&]+)", url)
    return found.group(1).replace("%2C", ",") if found else None


def test_v4_p10_each_push_fetches_only_the_regions_its_kind_touches(browser, server, floor):  # noqa: F811
    from playwright.sync_api import expect

    page = browser.new_page()
    sign_in(page, server.url, floor["user"].username)
    fetches: list[str] = []
    page.on(
        "request",
        lambda request: fetches.append(request.url) if request.headers.get("hx-request") else None,
    )
    open_console(page, server.url)
    expect(page.locator("#console-offers")).to_be_visible()
    wait_until(page, "document.querySelector('#console-live').classList.length === 0")
    page.wait_for_timeout(500)
    assert [kinds_of(url) for url in fetches] == ["all"]  # hello: the catch-up fetch

    # An offer: the offers region comes, the status region is the one already on the page.
    page.evaluate("document.getElementById('console-status').dataset.mark = 'kept'")
    offer = offer_through_the_api(server, floor, WorkstreamFactory(name="Kinds chat"))
    expect(page.locator(f"#accept-offer-{offer['id']}")).to_be_visible(timeout=5000)
    assert kinds_of(fetches[-1]) == "offer"
    assert page.locator("#console-status").get_attribute("data-mark") == "kept"

    # A presence change: the status region is swapped (out of band), the offer stays shown.
    away = builtin("away")
    status, _ = call(
        server.url, "PUT", f"/api/v1/representatives/{floor['rep'].pk}/presence",
        token=floor["token"], body={"status_id": away.pk},
    )  # fmt: skip
    assert status == 200
    expect(page.locator(f'#console-status[data-status-id="{away.pk}"]')).to_be_visible(timeout=5000)
    assert kinds_of(fetches[-1]) == "presence"
    assert page.locator("#console-status").get_attribute("data-mark") is None
    expect(page.locator(f"#accept-offer-{offer['id']}")).to_be_visible()
    page.close()
