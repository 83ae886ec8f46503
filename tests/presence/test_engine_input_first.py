"""The engine decides pickability and connection in the order api.md documents: invalid input
(400) before the rep's state (409), so no interface checks pickability itself (issue 12)."""

from __future__ import annotations

import pytest

from portal.exceptions import Conflict, ValidationFailed
from presence import engine as e
from tests.presence.engine_cast import AVAIL, AWAY, BUILTINS, HIDDEN, INACTIVE, OFFLINE, RETIRED

NO_WORK = e.CapacitySnapshot(0, 0, 0, (), 10)
SIGNED_OUT = e.Presence(OFFLINE, e.SIGN_OUT, signed_in=False, saved_status=None, saved_source="")
DISCONNECTED = e.Presence(
    OFFLINE, e.DISCONNECT, signed_in=True, saved_status=AVAIL, saved_source=e.MANUAL
)


def _set(current, event, status):
    return e.decide(
        current=current,
        change=e.Change(event, status=status),
        capacity=NO_WORK,
        builtins=BUILTINS,
    )


@pytest.mark.parametrize("event", [e.Event.MANUAL, e.Event.SUPERVISOR])
@pytest.mark.parametrize("current", [SIGNED_OUT, DISCONNECTED], ids=["signed_out", "disconnected"])
@pytest.mark.parametrize("status", [INACTIVE, HIDDEN, RETIRED], ids=lambda s: s.name)
def test_an_unpickable_status_is_invalid_input_even_when_the_rep_is_not_connected(
    event, current, status
):
    with pytest.raises(ValidationFailed) as refused:
        _set(current, event, status)
    assert refused.value.field == "status"  # the domain's name; the API names its own field


@pytest.mark.parametrize("current", [SIGNED_OUT, DISCONNECTED], ids=["signed_out", "disconnected"])
def test_a_pickable_status_for_a_rep_who_is_not_connected_is_a_conflict(current):
    with pytest.raises(Conflict):
        _set(current, e.Event.MANUAL, AWAY)


def test_a_reset_has_no_status_to_check_and_needs_a_connection():
    with pytest.raises(Conflict):
        e.decide(
            current=SIGNED_OUT, change=e.Change(e.Event.RESET), capacity=NO_WORK, builtins=BUILTINS
        )
