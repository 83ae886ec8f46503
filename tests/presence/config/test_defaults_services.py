"""Default presence services (presence/services/config/defaults.py): plan (preview) and apply
(D2, D4)."""

import pytest

from portal.exceptions import Conflict, ValidationFailed
from presence.models import AuditLogEntry, Representative
from presence.services import config as config_services
from tests.clock import T0
from tests.factories import (
    RepresentativeFactory,
    TeamFactory,
    builtin,
)
from tests.presence.config.helpers import defaults_of

# --- The services: plan (preview) and apply -------------------------------------------------------


def test_d4_plan_writes_nothing_and_apply_is_all_or_nothing(admin_user, training):
    ada = RepresentativeFactory(name="Ada", email="ada@example.com")
    bob = RepresentativeFactory(name="Bob", email="bob@example.com")
    rows = [
        config_services.DefaultRow(2, "ada@example.com", "Training"),
        config_services.DefaultRow(3, "bob@example.com", "training"),
    ]
    plan = config_services.default_presence_plan_from_rows(
        rows=rows, scope=Representative.objects.all()
    )
    assert [(c.name, c.before, c.after) for c in plan.changes] == [
        ("Ada", None, "Training"),
        ("Bob", None, "Training"),
    ]
    assert defaults_of(ada, bob) == [None, None]
    # Bob's default changes after the plan was read: the apply refuses all of it.
    Representative.objects.filter(pk=bob.pk).update(default_presence=builtin("busy"))
    with pytest.raises(Conflict):
        config_services.default_presence_plan_apply(plan=plan, actor=admin_user, now=T0)
    assert defaults_of(ada) == [None]
    assert not AuditLogEntry.objects.exists()
    bad = config_services.default_presence_plan_from_rows(
        rows=[*rows, config_services.DefaultRow(4, "nobody", "Training")],
        scope=Representative.objects.all(),
    )
    with pytest.raises(ValidationFailed):
        config_services.default_presence_plan_apply(plan=bad, actor=admin_user, now=T0)


def test_d4_plan_respects_the_scope(training):
    blue = TeamFactory(name="Blue")
    RepresentativeFactory(name="Inside", email="in@example.com", teams=[blue])
    RepresentativeFactory(name="Outside", email="out@example.com")
    plan = config_services.default_presence_plan_from_rows(
        rows=[
            config_services.DefaultRow(2, "in@example.com", "Training"),
            config_services.DefaultRow(3, "out@example.com", "Training"),
        ],
        scope=Representative.objects.filter(teams=blue),
    )
    assert [c.name for c in plan.changes] == ["Inside"]
    assert [row.line for row in plan.invalid] == [3]


def test_d2_plan_for_refuses_a_status_reps_cannot_hold_as_default(db):
    with pytest.raises(ValidationFailed) as error:
        config_services.default_presence_plan_for(
            representatives=Representative.objects.all(), status=builtin("inactive")
        )
    assert error.value.field == "status"
