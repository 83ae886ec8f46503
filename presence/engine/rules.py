"""The rules that decide a presence: every rule of shared/spec/presence-rules.md that decides
one is a visible branch below, named by its id. Pure: no ORM, no clock, no settings."""

from __future__ import annotations

import dataclasses

from portal.exceptions import Conflict, ValidationFailed

from .capacity import CapacitySnapshot, capacity_presence
from .values import (
    CAPACITY,
    DEFAULT,
    DISCONNECT,
    MANUAL,
    MISSED,
    REJECTED,
    SIGN_OUT,
    STICKY_BASES,
    SUPERVISOR,
    Builtins,
    Change,
    Decision,
    Event,
    Kind,
    Presence,
    StatusRef,
    kind_of,
)

__all__ = [
    "DISCONNECTED",
    "SIGNED_OUT",
    "check_pickable",
    "decide",
    "explain",
    "presence_change_refusal",
]


def check_pickable(status: StatusRef) -> None:
    """Who may pick a status by hand (C3, D2, B2). Raises ValidationFailed naming the status."""
    if status.builtin_key == "inactive":
        raise ValidationFailed(
            "Inactive is set only by the system; pick another status.", field="status"
        )
    if not status.is_active:
        raise ValidationFailed(
            f'Status "{status.name}" is deactivated; pick an active status.', field="status"
        )
    if not status.user_can_set:
        raise ValidationFailed(
            f'Representatives cannot set status "{status.name}".', field="status"
        )


def decide(
    *, current: Presence, change: Change, capacity: CapacitySnapshot, builtins: Builtins
) -> Decision:
    """The new presence after `change`. Raises Conflict or ValidationFailed when it is refused."""
    decision = _decide(current, change, capacity, builtins)
    if decision.changed_presence and (decision.status.id, decision.source) == (
        current.status.id,
        current.source,
    ):
        # P4, H1: the same status from the same source is no change: no history row.
        return dataclasses.replace(decision, changed_presence=False)
    return decision


def _decide(
    current: Presence, change: Change, capacity: CapacitySnapshot, builtins: Builtins
) -> Decision:
    event = change.event

    def keep(rule: str, reason: str, **overrides) -> Decision:
        values = {
            "status": current.status,
            "source": current.source,
            "signed_in": current.signed_in,
            "saved_status": current.saved_status,
            "saved_source": current.saved_source,
        }
        values.update(overrides)
        return Decision(**values, rule=rule, reason=reason, changed_presence=False)

    def computed(rule: str, **overrides) -> Decision:
        cp = capacity_presence(capacity)
        values = {
            "signed_in": current.signed_in,
            "saved_status": None,
            "saved_source": "",
        } | overrides
        return Decision(
            status=builtins.for_level(cp.level),
            source=CAPACITY,
            rule=rule,
            reason=cp.reason,
            **values,
        )

    if event == Event.CONNECT:
        if current.disconnected:
            # S3, S4: a reconnect inside the grace period restores status and source exactly.
            return Decision(
                status=current.saved_status,
                source=current.saved_source,
                signed_in=True,
                saved_status=None,
                saved_source="",
                rule="S4",
                reason="reconnected inside the grace period; the saved presence is restored",
            )
        if current.signed_in:
            return keep("S2", "another client of a signed-in representative changes nothing")
        default = change.default or builtins.available  # D1
        if default.base_status in STICKY_BASES:
            # S1: a do-not-disturb, away or offline default is a manual status of that base (P3).
            return Decision(default, DEFAULT, True, None, "", "S1", "default presence at sign-in")
        if not capacity.anything_used:
            return Decision(
                default, DEFAULT, True, None, "", "S1", "default presence at sign-in"
            )  # S1, held
        return computed("S1", signed_in=True)  # S1: work in progress, so capacity presence

    if event == Event.DISCONNECT:
        if not current.signed_in or current.disconnected:
            return keep("S4", "already disconnected")
        # S4: save the status and source, become Offline at once.
        return Decision(
            builtins.offline, DISCONNECT, True, current.status, current.source, "S4", "disconnected"
        )

    if event == Event.GRACE_EXPIRED:
        if not current.disconnected:
            return keep("S4", "not disconnected")
        # S4: the grace period passed; Offline stays until the next sign-in (S1). No new interval.
        return keep(
            "S4",
            "signed out after the grace period",
            signed_in=False,
            saved_status=None,
            saved_source="",
        )

    if event == Event.SIGN_OUT:
        if current.source == SIGN_OUT and not current.signed_in:
            return keep("S5", "already signed out")
        # S5: Offline at once, no grace period.
        return Decision(builtins.offline, SIGN_OUT, False, None, "", "S5", "signed out")

    if event in (Event.MANUAL, Event.SUPERVISOR, Event.RESET):
        if event != Event.RESET:
            check_pickable(change.status)  # the input first, then the rep's state (api.md order)
        _require_connected(current)
        if event == Event.RESET:
            return computed("P5")  # P5: the capacity presence, not the default
        source, rule = (MANUAL, "P2" if change.status.base_status not in STICKY_BASES else "P3")
        if event == Event.SUPERVISOR:
            source, rule = SUPERVISOR, "P7"
        return Decision(change.status, source, True, None, "", rule, "set by hand")

    if event in (Event.MISSED, Event.REJECTED):
        if not change.switch_on or not current.signed_in or current.disconnected:
            return keep("P6", "the workstream's switch is off")
        if event == Event.MISSED:
            return Decision(
                builtins.inactive, MISSED, True, None, "", "P6", "missed an offer"
            )  # P6
        return Decision(builtins.dnd, REJECTED, True, None, "", "P6", "rejected an offer")  # P6

    # Recalculation events (P4).
    if not current.signed_in or current.disconnected:
        return keep("P4", "not connected; capacity does not change an Offline presence")
    kind = current.kind
    if kind == Kind.STICKY:
        return keep("P3", "sticky: capacity never changes it")  # P3, P4 sticky
    if kind == Kind.HELD and event != Event.CONVERSATION:
        return keep(
            "P2", "held until the next conversation event"
        )  # P2: time and config do not change it
    return computed("P4")  # P4: recalculate; the same status again writes nothing (decide())


DISCONNECTED = (
    "disconnected",
    "The representative is disconnected; their presence comes back when a client reconnects.",
)
SIGNED_OUT = (
    "signed_out",
    "The representative is signed out; connect a client first (sign-in sets the default presence).",
)


def presence_change_refusal(*, signed_in: bool, disconnected: bool) -> tuple[str, str] | None:
    """Why a manual, supervisor or reset change is refused now, as (state, sentence), or None
    when it is allowed: S4 (disconnected: the saved presence comes back), S1 (signed out: the
    sign-in sets it). Pages disable their buttons with this sentence; decide() raises it."""
    if disconnected:
        return DISCONNECTED
    if not signed_in:
        return SIGNED_OUT
    return None


def _require_connected(current: Presence) -> None:
    refusal = presence_change_refusal(
        signed_in=current.signed_in, disconnected=current.disconnected
    )
    if refusal is not None:
        state, sentence = refusal
        raise Conflict(sentence, extra={"state": state})


def explain(
    *,
    status: StatusRef,
    source: str,
    signed_in: bool,
    disconnected: bool,
    capacity: CapacitySnapshot,
) -> str:
    """P10: why the rep holds their presence, in one phrase (the caller adds "<text> since <time> — ")."""
    kind = kind_of(source, status.base_status)
    if source == CAPACITY:
        return capacity_presence(capacity).reason
    if source == DISCONNECT:
        if disconnected:
            return "disconnected; the previous presence comes back if a client reconnects within the grace period"
        return "disconnected and signed out after the grace period"
    if source == SIGN_OUT:
        return "signed out"
    if source == MISSED:
        return "missed an offer; holds until reset or a manual change"
    if source == REJECTED:
        return "rejected an offer; holds until reset or a manual change"
    who = {
        MANUAL: "set by the representative",
        DEFAULT: "default presence at sign-in",
        SUPERVISOR: "set by a supervisor",
    }[source]
    if kind == Kind.STICKY:
        return f"{who}; capacity does not override it"
    return f"{who}; the next conversation event recalculates it"
