"""Every page under the production Content-Security-Policy, in Chromium (review finding 5).

The pages are the doors of the permission matrix (tests/reliability/test_permission_matrix.py)
that answer a portal admin 200 with HTML, filled with the ids of its fixture world: every page of
the portal, the configuration, the reports, the API docs and the Django admin, including the ones
added later. The `browser` fixture fails the test on any violation (tests/browser.py); this test
also checks that the scripts of each page ran (htmx loaded) and that htmx left no <style> behind.
"""

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.browser import BROWSER_TEST, sign_in
from tests.reliability.doors import DOORS, expected_for, url_for
from tests.reliability.world import ROLES, build_world

pytestmark = BROWSER_TEST

ADMIN = ROLES.index("admin")


def html_pages(world) -> list[str]:
    """The URLs of the pages a portal admin opens (200, HTML), asked with Django's test client."""
    client = Client()
    client.force_login(world.users["admin"])
    urls = []
    for key, route, method in DOORS:
        expected = expected_for(key, route, method)
        if method != "GET" or expected is None or expected[ADMIN] != 200:
            continue
        url = url_for(key, route, world)
        answer = client.get(url)
        if answer.status_code == 200 and answer["Content-Type"].startswith("text/html"):
            urls.append(url)
    return urls


def test_every_page_works_under_the_content_security_policy(browser, live_server):
    """Review finding 5: no page of the portal breaks the CSP (no inline script or handler, no
    eval, no foreign source); a violation anywhere fails the test through the `browser` fixture."""
    world = build_world(now=timezone.now())  # a real browser: the real clock
    urls = html_pages(world)
    assert len(urls) > 40, urls  # the configuration, reports, API docs and admin are all there
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, live_server, world.users["admin"].username)
    for url in urls:
        answer = page.goto(live_server.url + url, wait_until="load")
        assert answer is not None
        assert answer.status == 200, url
        assert answer.headers.get("content-security-policy"), url
        if not url.startswith(("/admin/", "/api/")):
            assert page.evaluate("typeof window.htmx") == "object", url
            assert page.locator("head style").count() == 0, url  # htmx's indicator <style> is off
    # The pages a representative, and anyone lost, sees: the console, a refusal, a missing page.
    rep = browser.new_context(viewport={"width": 390, "height": 844})
    tab = rep.new_page()
    sign_in(tab, live_server, world.users["rep"].username)
    for url, status in (
        (reverse("presence:console"), 200),
        (reverse("presence:config_home"), 403),
        ("/no-such-page/", 404),
    ):
        answer = tab.goto(live_server.url + url, wait_until="load")
        assert answer is not None
        assert answer.status == status, url
    tab.wait_for_timeout(500)  # the console's first htmx requests and its client connect
    context.close()
    rep.close()
