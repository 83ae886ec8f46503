"""What the configuration pages show: the form error summary, which statuses offer Delete, and
the audit log in words for people with one bulk change as one action. Review finding 19."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from presence import services
from presence.models import PresenceStatus
from tests.factories import PresenceStatusFactory, RepresentativeFactory
from tests.reports.history_helpers import write_history

pytestmark = pytest.mark.django_db


def test_form_error_summary_separates_names_with_commas_and_ends_without_one(client, admin_user):
    """Review finding 19: the summary ended "Name, Base status," when a later field had no error."""
    client.force_login(admin_user)
    response = client.post(
        reverse("presence:config_status_create"),
        {"name": "", "presence_text": "In training", "description": "", "base_status": "x"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    summary = re.search(r'<div class="form-error" role="alert">(.*?)</div>', html, re.S).group(1)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", summary)).strip()
    assert text == "Nothing was saved. Fix the fields marked below: Name, Base status"
    assert '<a href="#id_name">Name</a>, <a href="#id_base_status">Base status</a></p>' in summary
    assert not PresenceStatus.objects.filter(presence_text="In training").exists()


def test_status_list_offers_delete_only_for_statuses_nobody_uses(client, admin_user):
    """Review finding 19: Delete was offered on statuses that C3 then refused to delete; a status
    in use now says why it cannot be deleted, in words, and only an unused one has the button."""
    unused = PresenceStatusFactory(name="Unused")
    as_default = PresenceStatusFactory(name="As default")
    RepresentativeFactory(default_presence=as_default)
    in_history = PresenceStatusFactory(name="In history")
    write_history(
        RepresentativeFactory(), timezone.now() - dt.timedelta(hours=2), [(in_history, 600)]
    )
    held = PresenceStatusFactory(name="Held", base_status="busy", user_can_set=True)
    rep = RepresentativeFactory()
    services.client_connect(representative=rep, now=timezone.now())
    services.presence_set_manual(representative=rep, status=held, now=timezone.now())

    client.force_login(admin_user)
    html = client.get(reverse("presence:config_statuses")).content.decode()

    def row(status):
        return re.search(rf'<tr data-status="{status.name}">(.*?)</tr>', html, re.S).group(1)

    delete_url = reverse("presence:config_status_delete", args=[unused.pk])
    assert f'action="{delete_url}"' in row(unused)
    assert "data-cannot-delete" not in row(unused)
    for status, why in (
        (as_default, "a default presence"),
        (in_history, "in the presence history"),
        (held, "held by representatives"),
    ):
        cells = row(status)
        url = reverse("presence:config_status_delete", args=[status.pk])
        assert f'action="{url}"' not in cells, status.name
        assert f"Cannot be deleted: {why}. Deactivate it instead." in cells, status.name
