"""Configuration pages of webhooks (issue 14): list, create (the secret once), edit, delete, the
delivery log with "send again", a disabled endpoint said and enabled again. Admins only."""

import re

import pytest
from django.db import transaction
from django.urls import reverse

from presence.models import AuditLogEntry, WebhookDelivery, WebhookEndpoint
from presence.services import config, event_record
from presence.services import webhooks as hooks
from tests.clock import T0, at
from tests.factories import UserFactory
from tests.presence.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db


def record(kind="presence.changed"):
    with transaction.atomic():
        event_record(kind, rep_id=None, data={}, now=T0)


def test_create_shows_the_secret_once_then_never(admin, team_a):
    response = admin.post(
        reverse("presence:config_webhook_create"),
        {"url": "http://127.0.0.1:9/hook", "event_types": "presence.changed, offer.decided",
         "teams": [team_a.pk], "active": "on"},
    )  # fmt: skip
    assert response.status_code == 200
    secret = re.search(r"<code data-secret>(whsec_[^<]+)</code>", response.content.decode())[1]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret == secret
    assert endpoint.event_types == ["offer.decided", "presence.changed"]
    assert list(endpoint.teams.all()) == [team_a]
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    )
    for page in (
        reverse("presence:config_webhooks"),
        reverse("presence:config_webhook_edit", args=[endpoint.pk]),
        reverse("presence:config_webhook_log", args=[endpoint.pk]),
    ):
        shown = admin.get(page)
        assert shown.status_code == 200
        assert secret not in shown.content.decode()
    assert AuditLogEntry.objects.filter(action="webhook.create").count() == 1


def test_a_refused_url_is_said_on_its_field_and_nothing_is_written(admin, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    response = admin.post(reverse("presence:config_webhook_create"), {"url": "http://10.0.0.1/"})
    assert response.status_code == 400
    assert 'data-field-error="url"' in response.content.decode()
    assert "private" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_edit_and_delete(admin):
    endpoint = config.webhook_create(actor=None, now=T0, url="http://127.0.0.1:9/a")[0]
    edit = reverse("presence:config_webhook_edit", args=[endpoint.pk])
    response = admin.post(edit, {"url": "http://127.0.0.1:9/b", "description": "WFM"})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.description, endpoint.active) == (
        "http://127.0.0.1:9/b",
        "WFM",
        False,
    )
    response = admin.post(reverse("presence:config_webhook_delete", args=[endpoint.pk]))
    assert response.status_code == 302
    assert not WebhookEndpoint.objects.exists()


def test_list_reads_in_a_fixed_number_of_queries(admin, team_a, django_assert_max_num_queries):
    for n in range(6):
        config.webhook_create(
            actor=None, now=T0, url=f"http://127.0.0.1:9/{n}", team_ids=[team_a.pk]
        )
    admin.get(reverse("presence:config_webhooks"))
    with django_assert_max_num_queries(7):
        response = admin.get(reverse("presence:config_webhooks"))
    assert response.content.decode().count("data-webhook=") == 6


def test_the_log_lists_attempts_and_send_again_sends_the_event(
    admin, django_assert_max_num_queries
):
    with Receiver(answer=lambda r: 500 if len(receiver.all()) < 1 else 200) as receiver:
        endpoint = config.webhook_create(actor=None, now=T0, url=receiver.url)[0]
        record()
        hooks.endpoint_deliver(endpoint_id=endpoint.pk, now=at(1))
        log_url = reverse("presence:config_webhook_log", args=[endpoint.pk])
        admin.get(log_url)
        with django_assert_max_num_queries(11):
            page = admin.get(log_url).content.decode()
        assert "The endpoint answered HTTP 500." in page
        assert "1 event waiting" in page
        assert "times in UTC" in page
        attempt = WebhookDelivery.objects.get()
        response = admin.post(
            reverse("presence:config_webhook_resend", args=[endpoint.pk, attempt.event_id])
        )
        assert response.status_code == 302
        assert len(receiver.ok()) == 1
    page = admin.get(log_url).content.decode()
    assert "sent again" in page
    assert AuditLogEntry.objects.filter(action="webhook.resend").exists()


def test_a_disabled_endpoint_says_so_and_is_enabled_again(admin):
    endpoint = config.webhook_create(actor=None, now=T0, url="http://127.0.0.1:9/a")[0]
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        active=False, disabled_at=at(1), disabled_reason="Every delivery failed for 24 hours."
    )
    for name in ("presence:config_webhooks", "presence:config_webhook_log"):
        args = [] if name.endswith("webhooks") else [endpoint.pk]
        page = admin.get(reverse(name, args=args)).content.decode()
        assert f'data-webhook-disabled="{endpoint.pk}"' in page
        assert "Every delivery failed for 24 hours." in page
    response = admin.post(reverse("presence:config_webhook_enable", args=[endpoint.pk]))
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.active
    assert endpoint.disabled_at is None
    page = admin.get(reverse("presence:config_webhooks")).content.decode()
    assert "data-webhook-disabled" not in page


@pytest.mark.parametrize("group", ["Supervisors", "Representatives"])
def test_only_admins_reach_the_webhook_pages(client, group):
    endpoint = config.webhook_create(actor=None, now=T0, url="http://127.0.0.1:9/a")[0]
    client.force_login(UserFactory(username="someone", groups=[group]))
    for name, args in (
        ("presence:config_webhooks", []),
        ("presence:config_webhook_create", []),
        ("presence:config_webhook_edit", [endpoint.pk]),
        ("presence:config_webhook_log", [endpoint.pk]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 403
    assert (
        client.post(reverse("presence:config_webhook_delete", args=[endpoint.pk])).status_code
        == 403
    )
    assert WebhookEndpoint.objects.exists()
