"""The webhook pages in Chromium (issue 14): an admin registers an endpoint, copies its secret
from the page shown once, reads the delivery log of a disabled endpoint and enables it again;
axe-core finds no WCAG 2.1 A/AA violation on any of the pages (light and dark, desktop and phone,
as tests/portal/test_accessibility_browser.py checks every page)."""

import pytest
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from presence.models import WebhookCursor, WebhookEndpoint
from presence.services import config as config_services
from presence.services import event_record
from presence.services import webhooks as hooks
from tests.browser import BROWSER_TEST, sign_in
from tests.factories import TeamFactory, UserFactory
from tests.portal.test_accessibility_browser import audit
from tests.presence.webhook_receiver import Receiver

pytestmark = BROWSER_TEST


@pytest.fixture
def admin(db):
    return UserFactory(username="hooks-admin", groups=["Portal admins"])


def test_an_admin_registers_an_endpoint_reads_its_log_and_enables_it_again(
    browser, live_server, admin
):
    TeamFactory(name="Team North")
    found: list[str] = []
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, live_server.url, admin.username)
    with Receiver(answer=lambda request: 503) as receiver:
        page.goto(live_server.url + "/configure/webhooks/")
        audit(page, "webhooks, empty", found)
        page.get_by_role("button", name="New endpoint").click()
        audit(page, "webhook form", found)
        page.get_by_label("URL").fill("ftp://nowhere")
        page.get_by_role("button", name="Create endpoint").click()
        expect(page.locator('[data-field-error="url"]')).to_be_visible()
        audit(page, "webhook form with errors", found)
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_label("Event types").fill("presence.changed")
        page.get_by_label("Team North").check()
        page.get_by_role("button", name="Create endpoint").click()
        secret = page.locator("[data-secret]").inner_text()
        assert secret.startswith("whsec_")
        audit(page, "webhook created (secret once)", found)
        endpoint = WebhookEndpoint.objects.get()
        assert endpoint.secret == secret

        # Fails, fails for 24 hours: disabled, said on the pages.
        with transaction.atomic():
            event_record("presence.changed", rep_id=None, data={}, now=timezone.now())
        config_services.webhook_update(
            endpoint=endpoint, actor=None, now=timezone.now(), team_ids=[]
        )
        hooks.endpoint_deliver(endpoint_id=endpoint.pk)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            failing_since=timezone.now() - timezone.timedelta(days=2)
        )
        WebhookCursor.objects.filter(pk=endpoint.pk).update(next_attempt_at=None)
        hooks.endpoint_deliver(endpoint_id=endpoint.pk)
        page.goto(live_server.url + "/configure/webhooks/")
        expect(page.locator(f'[data-webhook-disabled="{endpoint.pk}"]')).to_be_visible()
        audit(page, "webhooks with a disabled endpoint", found)
        page.get_by_role("link", name="2 attempts").click()
        expect(page.get_by_text("The endpoint answered HTTP 503.").first).to_be_visible()
        assert secret not in page.content()
        audit(page, "webhook log", found)
        page.get_by_role("button", name="Enable again").first.click()
        expect(page.get_by_text("enabled again")).to_be_visible()
        endpoint.refresh_from_db()
        assert endpoint.active
    page.goto(live_server.url + f"/configure/webhooks/{endpoint.pk}/")
    audit(page, "webhook edit", found)
    page.context.close()
    assert not found, f"{len(found)} axe-core violation(s):\n" + "\n".join(found)
