"""The configuration services (presence.services.config) of presence statuses: C1-C3, B2, A4.
Capacity and workstreams are in test_services_capacity.py, teams and reps in
test_services_people.py."""

import pytest

from portal.exceptions import Conflict, ValidationFailed
from presence import services
from presence.models import (
    AuditLogEntry,
    PresenceStatus,
    RepresentativePresence,
)
from tests.clock import T0
from tests.factories import (
    PresenceStatusFactory,
    RepresentativeFactory,
    builtin,
)
from tests.presence.config.helpers import refused

pytestmark = pytest.mark.django_db


# --- C1-C3 ----------------------------------------------------------------------------------------


def test_c1_create_strips_and_audits(admin_user):
    status = services.presence_status_create(
        actor=admin_user,
        now=T0,
        name="  Training ",
        presence_text="In training",
        base_status="away",
    )
    assert status.name == "Training"
    assert status.user_can_set
    assert status.is_active
    entry = AuditLogEntry.objects.get(action="presence_status.create")
    assert entry.object_id == str(status.pk)
    assert entry.after["base_status"] == "away"
    assert entry.created_at == T0
    assert entry.actor == admin_user


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "available"}, "name"),  # C1: unique ignoring case, built-ins included
        ({"presence_text": ""}, "presence_text"),
        ({"presence_text": "x" * 501}, "presence_text"),
        ({"description": "x" * 501}, "description"),
        ({"base_status": "lunch"}, "base_status"),
        ({"user_can_set": "yes"}, "user_can_set"),
    ],
)
def test_c1_invalid_fields_are_named_and_nothing_is_written(fields, field):
    before = PresenceStatus.objects.count()
    values = {"name": "Lunch", "presence_text": "At lunch", "base_status": "away", **fields}
    with pytest.raises(ValidationFailed) as exc_info:
        services.presence_status_create(actor=None, now=T0, **values)
    refused(exc_info, field)
    assert PresenceStatus.objects.count() == before
    assert not AuditLogEntry.objects.exists()


def test_c1_update_keeps_its_own_name_and_refuses_another_ones():
    lunch = PresenceStatusFactory(name="Lunch")
    PresenceStatusFactory(name="Training")
    services.presence_status_update(status=lunch, actor=None, now=T0, name="LUNCH")
    assert PresenceStatus.objects.get(pk=lunch.pk).name == "LUNCH"
    with pytest.raises(ValidationFailed) as exc_info:
        services.presence_status_update(status=lunch, actor=None, now=T0, name="training")
    refused(exc_info, "name")
    with pytest.raises(ValidationFailed) as exc_info:
        services.presence_status_update(status=lunch, actor=None, now=T0, colour="red")
    refused(exc_info, "colour")


def test_c1_update_without_change_writes_no_audit():
    lunch = PresenceStatusFactory(name="Lunch")
    services.presence_status_update(status=lunch, actor=None, now=T0, name="Lunch")
    assert not AuditLogEntry.objects.exists()


def test_b2_builtins_are_refused_with_conflict():
    with pytest.raises(Conflict) as exc_info:
        services.presence_status_update(status=builtin("busy"), actor=None, now=T0, name="Working")
    assert exc_info.value.extra["state"] == "builtin"
    with pytest.raises(Conflict):
        services.presence_status_delete(status=builtin("inactive"), actor=None, now=T0)


def test_c3_delete_names_every_use():
    training = PresenceStatusFactory(name="Training", base_status="away")
    reps = RepresentativeFactory.create_batch(12, default_presence=training)
    # Rep 0 holds it now (after sign-in with that default, S1), so it is in history too.
    services.client_connect(representative=reps[0], now=T0)
    with pytest.raises(Conflict) as exc_info:
        services.presence_status_delete(status=training, actor=None, now=T0)
    detail = exc_info.value.detail
    assert "used as default presence by 12 representatives" in detail
    assert "held now by 1 representative" in detail
    assert "in the presence history of 1 representative" in detail
    assert exc_info.value.extra["state"] == "in_use"
    assert PresenceStatus.objects.filter(pk=training.pk).exists()


def test_c3_history_alone_blocks_delete_and_deactivation_is_allowed(admin_user):
    training = PresenceStatusFactory(name="Training", base_status="away")
    rep = RepresentativeFactory()
    services.client_connect(representative=rep, now=T0)
    services.presence_set_manual(representative=rep, status=training, now=T0)
    services.presence_set_manual(representative=rep, status=builtin("available"), now=T0)
    assert services.presence_status_uses(training) == [
        "in the presence history of 1 representative"
    ]
    with pytest.raises(Conflict):
        services.presence_status_delete(status=training, actor=admin_user, now=T0)
    services.presence_status_update(status=training, actor=admin_user, now=T0, is_active=False)
    assert PresenceStatus.objects.get(pk=training.pk).is_active is False
    entry = AuditLogEntry.objects.get(action="presence_status.update")
    assert (entry.before, entry.after) == ({"is_active": True}, {"is_active": False})


def test_c3_saved_status_of_a_disconnected_rep_counts_as_held():
    training = PresenceStatusFactory(name="Training", base_status="away")
    rep = RepresentativeFactory()
    client, _ = services.client_connect(representative=rep, now=T0)
    services.presence_set_manual(representative=rep, status=training, now=T0)
    services.client_goodbye(representative=rep, client_id=client.client_id, now=T0)
    assert RepresentativePresence.objects.get(pk=rep.pk).saved_status == training
    assert "held now by 1 representative" in services.presence_status_uses(training)


def test_c3_unused_status_is_deleted_and_audited(admin_user):
    lunch = PresenceStatusFactory(name="Lunch")
    services.presence_status_delete(status=lunch, actor=admin_user, now=T0)
    assert not PresenceStatus.objects.filter(name="Lunch").exists()
    entry = AuditLogEntry.objects.get(action="presence_status.delete")
    assert entry.before["name"] == "Lunch"
    assert entry.after is None
