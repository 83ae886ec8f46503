"""Configuration pages: the forms of presence statuses (B2, C1, C3, C4)."""

import re

import pytest
from django.urls import reverse

from presence import services
from presence.models import (
    AuditLogEntry,
    PresenceStatus,
    PresenceStatusTranslation,
)
from presence.services import config as config_services
from tests.clock import T0
from tests.factories import (
    PresenceStatusFactory,
    RepresentativeFactory,
    builtin,
)
from tests.presence.helpers import HTMX

# --- Statuses (B2, C1, C3, C4) ------------------------------------------------------------------


def test_c3_status_list_counts_defaults_and_holders_in_one_query(
    client, admin_user, django_assert_max_num_queries
):
    training = PresenceStatusFactory(name="Training", base_status="away")
    for i in range(3):
        RepresentativeFactory(name=f"R{i}", default_presence=training)
    for i in range(20):
        PresenceStatusFactory(name=f"Extra {i}")
    rep = RepresentativeFactory(name="Holder", default_presence=training)
    services.client_connect(representative=rep, client_id="tab-0000001", now=T0)
    client.force_login(admin_user)
    client.get(reverse("presence:config_statuses"))  # warm the session/permission caches
    with django_assert_max_num_queries(6):  # session, user, perms, the statuses (one query)
        response = client.get(reverse("presence:config_statuses"))
    html = response.content.decode()
    row = html[html.index('data-status="Training"') :]
    row = row[: row.index("</tr>")]
    assert 'data-cell="default_count">4 reps' in row
    assert 'data-cell="holding_count">1 rep<' in row  # signed in with their default (D3)
    available = html[html.index('data-status="Available"') :]
    assert "built-in" in available[: available.index("</tr>")]


def test_c3_status_list_and_delete_refusal_give_the_same_counts(client, admin_user):
    """Review finding 17: a disconnected rep whose saved status is Training holds it (S4, it
    comes back on reconnect): the list says "Held now by 1 rep" and so does the refusal; both
    count the history too."""
    training = PresenceStatusFactory(name="Training", base_status="away")
    rep = RepresentativeFactory(name="Gone for a minute")
    now = T0
    tab, _ = services.client_connect(representative=rep, now=now)
    services.presence_set_manual(representative=rep, status=training, now=now)
    services.client_goodbye(representative=rep, client_id=tab.client_id, now=now)
    client.force_login(admin_user)
    html = client.get(reverse("presence:config_statuses")).content.decode()
    row = html[html.index('data-status="Training"') :]
    row = row[: row.index("</tr>")]
    assert 'data-cell="holding_count">1 rep<' in row
    assert 'data-cell="history_count">1 rep<' in row
    response = client.post(
        reverse("presence:config_status_delete", args=[training.pk]), follow=True
    )
    refusal = response.content.decode()
    assert "held now by 1 representative" in refusal
    assert "in the presence history of 1 representative" in refusal
    assert PresenceStatus.objects.filter(pk=training.pk).exists()


def test_statuses_list_puts_builtins_first_in_their_order_then_custom_by_name(client, admin_user):
    """Review finding 16: built-ins first in their B2 order, then custom statuses by name."""
    PresenceStatusFactory(name="lunch", presence_text="At lunch", base_status="away")
    PresenceStatusFactory(name="Admin work", presence_text="Admin", base_status="busy")
    client.force_login(admin_user)
    html = client.get(reverse("presence:config_statuses")).content.decode()
    order = re.findall(r'data-status="([^"]+)"', html)
    assert order == [
        "Available",
        "Busy",
        "Do not disturb",
        "Appear away",
        "Offline",
        "Inactive",
        "Admin work",
        "lunch",
    ]


def test_c3_status_list_htmx_sort_returns_the_partial(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("presence:config_statuses") + "?sort=-default_count", **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="status-results"')
    assert "<html" not in html


def test_c1_create_custom_status_and_audit(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("presence:config_status_create"),
        {
            "name": "Training",
            "presence_text": "In training",
            "description": "",
            "base_status": "away",
            "user_can_set": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    status = PresenceStatus.objects.get(name="Training")
    assert (status.base_status, status.user_can_set, status.is_active) == ("away", True, True)
    entry = AuditLogEntry.objects.get(action="presence_status.create")
    assert entry.actor == admin_user
    assert entry.after["name"] == "Training"


@pytest.mark.parametrize(
    ("data", "field", "text"),
    [
        (
            {"name": "", "presence_text": "x", "base_status": "away"},
            "name",
            "Name: This field is required",
        ),
        ({"name": "x" * 101, "presence_text": "x", "base_status": "away"}, "name", "at most 100"),
        (
            {"name": "available", "presence_text": "x", "base_status": "away"},
            "name",
            "exists already",
        ),
        (
            {"name": "T", "presence_text": "", "base_status": "away"},
            "presence_text",
            "Presence text: This field is required",
        ),
        (
            {"name": "T", "presence_text": "x" * 501, "base_status": "away"},
            "presence_text",
            "at most 500",
        ),
        (
            {"name": "T", "presence_text": "x", "base_status": "lunch"},
            "base_status",
            "Base status: Select a valid choice",
        ),
        (
            {"name": "T", "presence_text": "x", "base_status": "away", "description": "d" * 501},
            "description",
            "at most 500",
        ),
    ],
)
def test_c1_bad_input_is_named_next_to_the_field_and_nothing_written(
    client, admin_user, data, field, text
):
    client.force_login(admin_user)
    count = PresenceStatus.objects.count()
    response = client.post(reverse("presence:config_status_create"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'data-field-error="{field}"' in html
    assert text in html
    assert PresenceStatus.objects.count() == count
    assert not AuditLogEntry.objects.exists()


def test_c1_inline_validation_returns_the_field_with_its_error(client, admin_user):
    PresenceStatusFactory(name="Training")
    client.force_login(admin_user)
    url = reverse("presence:config_status_validate")
    response = client.post(url, {"_field": "name", "name": "TRAINING"}, **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="field" id="field-name"')
    assert "exists already" in html
    ok = client.post(url, {"_field": "name", "name": "Coaching"}, **HTMX).content.decode()
    assert "field-error" not in ok
    # Another field's problem is not shown on this one.
    assert (
        "field-error"
        not in client.post(
            url, {"_field": "presence_text", "presence_text": "Fine", "name": ""}, **HTMX
        ).content.decode()
    )
    assert not AuditLogEntry.objects.exists()


def test_c1_edit_custom_status(client, admin_user):
    status = PresenceStatusFactory(name="Lunch", base_status="away")
    client.force_login(admin_user)
    response = client.post(
        reverse("presence:config_status_edit", args=[status.pk]),
        {
            "name": "Lunch break",
            "presence_text": "At lunch",
            "base_status": "busy_dnd",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    status.refresh_from_db()
    assert (status.name, status.base_status, status.user_can_set) == (
        "Lunch break",
        "busy_dnd",
        False,
    )


def test_b2_builtin_status_is_shown_locked_and_refused(client, admin_user):
    client.force_login(admin_user)
    available = builtin("available")
    page = client.get(reverse("presence:config_status_edit", args=[available.pk]))
    assert "cannot be edited or deleted." in page.content.decode()
    assert b'name="name"' not in page.content
    refused = client.post(
        reverse("presence:config_status_edit", args=[available.pk]),
        {"name": "Ready", "presence_text": "Ready", "base_status": "available"},
    )
    assert refused.status_code == 403
    client.post(reverse("presence:config_status_delete", args=[available.pk]))
    available.refresh_from_db()
    assert available.name == "Available"


def test_c3_delete_in_use_is_refused_with_the_reason(client, admin_user):
    status = PresenceStatusFactory(name="Training")
    RepresentativeFactory(default_presence=status)
    RepresentativeFactory(default_presence=status)
    client.force_login(admin_user)
    response = client.post(reverse("presence:config_status_delete", args=[status.pk]), follow=True)
    html = response.content.decode()
    assert 'class="message message-error"' in html
    assert "used as default presence by 2 representatives" in html
    assert "Deactivate it instead" in html
    assert PresenceStatus.objects.filter(pk=status.pk).exists()


def test_c3_deactivate_then_delete_unused(client, admin_user):
    status = PresenceStatusFactory(name="Old")
    client.force_login(admin_user)
    client.post(reverse("presence:config_status_active", args=[status.pk]), {"active": "0"})
    status.refresh_from_db()
    assert status.is_active is False
    client.post(reverse("presence:config_status_delete", args=[status.pk]))
    assert not PresenceStatus.objects.filter(pk=status.pk).exists()
    assert AuditLogEntry.objects.filter(action="presence_status.delete").count() == 1


def test_c4_translations_are_saved_per_language_and_blank_removes(client, admin_user):
    status = PresenceStatusFactory(name="Training", presence_text="In training")
    client.force_login(admin_user)
    url = reverse("presence:config_status_translations", args=[status.pk])
    page = client.get(url).content.decode()
    assert 'name="presence_text_fr"' in page
    assert 'name="presence_text_en"' not in page
    client.post(url, {"presence_text_fr": "En formation", "presence_text_de": "Schulung"})
    assert dict(status.translations.values_list("language", "presence_text")) == {
        "fr": "En formation",
        "de": "Schulung",
    }
    client.post(url, {"presence_text_fr": "En formation", "presence_text_de": ""})
    assert list(status.translations.values_list("language", flat=True)) == ["fr"]
    entries = AuditLogEntry.objects.filter(action="presence_status.translations")
    assert entries.count() == 2
    response = client.post(url, {"presence_text_fr": "x" * 501})
    assert response.status_code == 400
    assert b"Ensure this value has at most 500" in response.content
    assert PresenceStatusTranslation.objects.get(status=status).presence_text == "En formation"


def test_c4_service_refuses_builtins_and_unknown_languages(admin_user):
    from portal.exceptions import Conflict, ValidationFailed

    with pytest.raises(Conflict):
        config_services.presence_status_translations_set(
            status=builtin("away"), texts={"fr": "Absent"}, actor=admin_user, now=T0
        )
    with pytest.raises(ValidationFailed) as error:
        config_services.presence_status_translations_set(
            status=PresenceStatusFactory(), texts={"xx": "?"}, actor=admin_user, now=T0
        )
    assert error.value.field == "presence_text_xx"
