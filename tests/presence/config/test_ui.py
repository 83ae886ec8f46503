"""What the configuration pages show: the form error summary, which statuses offer Delete, and
the audit log in words for people with one bulk change as one action. Review finding 19."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from presence import services
from presence.models import AuditLogEntry, PresenceStatus, Representative
from presence.services import config as config_services
from tests.clock import T0
from tests.factories import PresenceStatusFactory, RepresentativeFactory, builtin
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
    write_history(RepresentativeFactory(), T0 - dt.timedelta(hours=2), [(in_history, 600)])
    held = PresenceStatusFactory(name="Held", base_status="busy", user_can_set=True)
    rep = RepresentativeFactory()
    services.client_connect(representative=rep, now=T0)
    services.presence_set_manual(representative=rep, status=held, now=T0)

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


def audit_rows(html: str) -> list[str]:
    return re.findall(r"<tr data-audit=.*?</tr>", html, re.S)


def test_audit_log_says_actions_and_object_types_in_words(client, admin_user):
    """Review finding 19: the audit log showed raw codes (`presence_status.update`,
    `presencestatus`); it shows what a person would say, here and in the filter."""
    status = PresenceStatusFactory(name="Training", base_status="away")
    config_services.presence_status_update(
        status=status, actor=admin_user, now=T0, presence_text="In training"
    )
    client.force_login(admin_user)
    html = client.get(reverse("presence:config_audit")).content.decode()
    (row,) = audit_rows(html)
    assert '<td data-label="What">Presence status changed</td>' in row
    assert f"Presence status #{status.pk}" in row
    assert "presence_status.update" not in row.split(">", 1)[1]  # only in the data attribute
    assert "presencestatus" not in row
    assert '<option value="presencestatus">Presence status</option>' in html


def test_audit_log_shows_one_bulk_change_as_one_action_listing_its_reps(client, admin_user):
    """Review finding 19: one bulk default change of 40 reps filled 40 rows; the bulk service
    writes one batch id, and the log shows one action with the 40 reps listed."""
    training = PresenceStatusFactory(name="Training", base_status="away")
    reps = [RepresentativeFactory(name=f"Rep {n:02d}") for n in range(40)]
    config_services.representative_default_presence_bulk(
        representative_ids=[rep.pk for rep in reps],
        status=training,
        actor=admin_user,
        now=T0,
    )
    plan = config_services.default_presence_plan_for(
        representatives=Representative.objects.filter(pk__in=[r.pk for r in reps[:3]]),
        status=builtin("away"),
    )
    config_services.default_presence_plan_apply(plan=plan, actor=admin_user, now=T0)
    assert AuditLogEntry.objects.count() == 43

    client.force_login(admin_user)
    html = client.get(reverse("presence:config_audit")).content.decode()
    rows = audit_rows(html)
    assert len(rows) == 2
    newest, bulk = rows
    assert 'data-audit-batch="3"' in newest
    assert 'data-audit-batch="40"' in bulk
    assert "Default presence changed" in bulk
    assert "40 representatives" in bulk
    assert '<dd class="new" data-new>Training</dd>' in bulk  # the same change for all: once
    assert bulk.count("data-audit-member=") == 40
    assert all(f">Rep {n:02d}</li>" in bulk for n in range(40))


def test_a_single_change_is_not_a_batch(admin_user):
    """Review finding 19: a bulk write of one entry stays an ordinary entry (no batch id)."""
    status = PresenceStatusFactory(name="Training", base_status="away")
    rep = RepresentativeFactory()
    config_services.representative_default_presence_bulk(
        representative_ids=[rep.pk], status=status, actor=admin_user, now=T0
    )
    assert AuditLogEntry.objects.get().batch is None
