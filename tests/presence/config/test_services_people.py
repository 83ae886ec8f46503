"""The configuration services of teams and representatives (A2, D2, D4, A4)."""

import pytest

from portal.exceptions import ValidationFailed
from presence import services
from presence.models import (
    AuditLogEntry,
    Representative,
    Team,
)
from tests.clock import T0
from tests.factories import (
    PresenceStatusFactory,
    RepresentativeFactory,
    TeamFactory,
    UserFactory,
    builtin,
)
from tests.presence.config.helpers import refused

pytestmark = pytest.mark.django_db


# --- Teams and representatives (A2, D2, D4) ----------------------------------------------------


def test_team_create_names_unknown_supervisors():
    UserFactory(username="sup")
    with pytest.raises(ValidationFailed) as exc_info:
        services.team_create(
            actor=None, now=T0, name="Sales", supervisor_usernames=["sup", "ghost"]
        )
    assert "ghost" in refused(exc_info, "supervisor_usernames")
    assert "sup," not in exc_info.value.detail
    assert not Team.objects.exists()
    team = services.team_create(actor=None, now=T0, name="Sales", supervisor_usernames=["sup"])
    assert [u.username for u in team.supervisors.all()] == ["sup"]


@pytest.mark.parametrize(
    "status_kwargs",
    [{"builtin": "inactive"}, {"is_active": False}, {"user_can_set": False}],
)
def test_d2_default_presence_refusals(status_kwargs):
    if "builtin" in status_kwargs:
        status = builtin(status_kwargs["builtin"])
    else:
        status = PresenceStatusFactory(**status_kwargs)
    with pytest.raises(ValidationFailed) as exc_info:
        services.representative_create(actor=None, now=T0, name="Cy", default_presence_id=status.pk)
    refused(exc_info, "default_presence_id")
    with pytest.raises(ValidationFailed):
        services.representative_default_presence_bulk(
            representative_ids=[RepresentativeFactory().pk], status=status, actor=None, now=T0
        )
    assert not Representative.objects.filter(default_presence=status).exists()


def test_d2_a_deactivated_default_does_not_block_other_changes():
    training = PresenceStatusFactory(name="Training")
    rep = RepresentativeFactory(default_presence=training)
    training.is_active = False
    training.save()
    services.representative_update(representative=rep, actor=None, now=T0, name="Renamed")
    assert Representative.objects.get(pk=rep.pk).name == "Renamed"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"email": "nope"}, "email"),
        ({"team_ids": [999999]}, "team_ids"),
        ({"username": "ghost"}, "username"),
        ({"name": ""}, "name"),
        ({"capacity_units": -1}, "capacity_units"),
    ],
)
def test_representative_invalid_fields_are_named(fields, field):
    with pytest.raises(ValidationFailed) as exc_info:
        services.representative_create(actor=None, now=T0, **{"name": "Cy", **fields})
    refused(exc_info, field)
    assert not Representative.objects.exists()


def test_representative_external_id_and_email_are_unique():
    RepresentativeFactory(email="cy@example.com", external_id="crm-1")
    with pytest.raises(ValidationFailed) as exc_info:
        services.representative_create(actor=None, now=T0, name="Cy", email="CY@example.com")
    refused(exc_info, "email")
    with pytest.raises(ValidationFailed) as exc_info:
        services.representative_create(actor=None, now=T0, name="Cy", external_id="crm-1")
    refused(exc_info, "external_id")


def test_representative_create_links_user_and_teams_and_audits(admin_user):
    user = UserFactory(username="cy")
    team = TeamFactory()
    rep = services.representative_create(
        actor=admin_user,
        now=T0,
        name="Cy",
        username="cy",
        team_ids=[team.pk],
        timezone="Asia/Kolkata",
    )
    assert rep.user == user
    assert list(rep.teams.all()) == [team]
    entry = AuditLogEntry.objects.get(action="representative.create")
    assert entry.after["username"] == "cy"
    assert entry.after["team_ids"] == [team.pk]
    services.representative_update(representative=rep, actor=admin_user, now=T0, username=None)
    assert Representative.objects.get(pk=rep.pk).user is None


def test_d4_bulk_is_all_or_nothing_and_audits_every_change(
    admin_user, django_assert_max_num_queries
):
    dnd = builtin("dnd")
    reps = RepresentativeFactory.create_batch(150)
    already = RepresentativeFactory(default_presence=dnd)
    ids = [r.pk for r in reps] + [already.pk]
    with pytest.raises(ValidationFailed) as exc_info:
        services.representative_default_presence_bulk(
            representative_ids=[*ids, 999998, 999999], status=dnd, actor=admin_user, now=T0
        )
    assert "999998, 999999" in refused(exc_info, "representative_ids")
    assert exc_info.value.extra["invalid"] == [999998, 999999]
    assert Representative.objects.filter(default_presence=dnd).count() == 1
    with django_assert_max_num_queries(8):
        changes = services.representative_default_presence_bulk(
            representative_ids=ids, status=dnd, actor=admin_user, now=T0
        )
    assert len(changes) == 150  # the rep who had it already is no change
    assert Representative.objects.filter(default_presence=dnd).count() == 151
    entries = AuditLogEntry.objects.filter(action="representative.default_presence")
    assert entries.count() == 150
    assert {(e.before["default_presence"], e.after["default_presence"]) for e in entries} == {
        (None, "Do not disturb")
    }
    # None clears the default (D1: Available).
    services.representative_default_presence_bulk(
        representative_ids=[already.pk], status=None, actor=admin_user, now=T0
    )
    assert Representative.objects.get(pk=already.pk).default_presence is None


def test_d4_bulk_respects_the_scope_given():
    in_scope, out_of_scope = RepresentativeFactory(), RepresentativeFactory()
    with pytest.raises(ValidationFailed):
        services.representative_default_presence_bulk(
            representative_ids=[in_scope.pk, out_of_scope.pk],
            status=builtin("away"),
            actor=None,
            now=T0,
            scope=Representative.objects.filter(pk=in_scope.pk),
        )
    assert not Representative.objects.filter(default_presence__isnull=False).exists()


def test_d4_bulk_needs_at_least_one_id():
    with pytest.raises(ValidationFailed) as exc_info:
        services.representative_default_presence_bulk(
            representative_ids=[], status=builtin("away"), actor=None, now=T0
        )
    refused(exc_info, "representative_ids")
