"""The presence rules, pure: plain dataclasses in, a decision out.

No ORM, no clock, no settings. Every rule of shared/spec/presence-rules.md that decides a
presence is a visible branch below, named by its id. Services load state, call this, and write.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field

from portal.exceptions import Conflict, ValidationFailed

AVAILABLE, BUSY, BUSY_DND, AWAY, OFFLINE = "available", "busy", "busy_dnd", "away", "offline"
BASE_STATUSES = (AVAILABLE, BUSY, BUSY_DND, AWAY, OFFLINE)  # B1
STICKY_BASES = (BUSY_DND, AWAY, OFFLINE)  # P3

# Sources (api.md).
DEFAULT, MANUAL, CAPACITY, SUPERVISOR = "default", "manual", "capacity", "supervisor"
MISSED, REJECTED, DISCONNECT, SIGN_OUT = "missed", "rejected", "disconnect", "sign_out"
PERSON_SOURCES = (DEFAULT, MANUAL, SUPERVISOR)


class Kind(enum.StrEnum):
    """P4: how a status reacts to recalculation."""

    STICKY = "sticky"
    HELD = "held"
    COMPUTED = "computed"


class Level(enum.StrEnum):
    NONE = "none"
    PARTIAL = "partial"
    FULL = "full"


@dataclass(frozen=True, slots=True)
class StatusRef:
    id: int
    name: str
    presence_text: str
    base_status: str
    user_can_set: bool = True
    is_active: bool = True
    builtin_key: str | None = None


@dataclass(frozen=True, slots=True)
class Builtins:
    """The built-in statuses (B2) the rules pick by themselves."""

    available: StatusRef
    busy: StatusRef
    dnd: StatusRef
    offline: StatusRef
    inactive: StatusRef

    def for_level(self, level: Level) -> StatusRef:
        return {Level.NONE: self.available, Level.PARTIAL: self.busy, Level.FULL: self.dnd}[level]


@dataclass(frozen=True, slots=True)
class ProfileUsage:
    profile_id: int
    name: str
    limit: int  # the rep's own limit when set, else the profile's (K2)
    used: int
    blocking: bool = False

    @property
    def full(self) -> bool:
        return self.used >= self.limit


@dataclass(frozen=True, slots=True)
class CapacitySnapshot:
    """What a rep has configured and what their capacity-consuming conversations use (K1-K4)."""

    units_total: int = 0
    units_used: int = 0
    sessions: int = 0  # capacity-consuming conversations (K3)
    profiles: tuple[ProfileUsage, ...] = ()
    max_sessions: int = 10  # the session ceiling, a setting (P1)

    @property
    def units_configured(self) -> bool:
        return self.units_total > 0  # K1

    @property
    def units_available(self) -> int:
        return self.units_total - self.units_used  # K1, may be negative (K5)

    @property
    def work_items(self) -> int:
        return sum(p.used for p in self.profiles)

    @property
    def blocking_full(self) -> tuple[ProfileUsage, ...]:
        return tuple(p for p in self.profiles if p.blocking and p.full)

    @property
    def anything_used(self) -> bool:
        return self.units_used > 0 or self.sessions > 0 or any(p.used > 0 for p in self.profiles)


@dataclass(frozen=True, slots=True)
class CapacityPresence:
    level: Level
    base_status: str
    reason: str


def capacity_level(snap: CapacitySnapshot) -> Level:
    """P1, without the explanation."""
    return capacity_level_of(
        snap.units_total, snap.units_used, snap.sessions, snap.profiles, snap.max_sessions
    )


def capacity_level_of(
    units_total: int,
    units_used: int,
    sessions: int,
    profiles: tuple[ProfileUsage, ...],
    max_sessions: int,
) -> Level:
    """P1 from plain values: what the periodic safety net asks for 50,000 reps at once, without
    building a snapshot per rep."""
    if not (units_used > 0 or sessions > 0 or any(p.used > 0 for p in profiles)):
        return Level.NONE  # Beyond: a rep with no work is never full, even on a limit-0 profile
    full = _full_cause(units_total, units_used, sessions, profiles, max_sessions)
    return Level.FULL if full else Level.PARTIAL


def capacity_presence(snap: CapacitySnapshot) -> CapacityPresence:
    """P1: the presence the system picks from capacity alone, with its reason (P10)."""
    if not snap.anything_used:
        return CapacityPresence(Level.NONE, AVAILABLE, "no capacity in use")  # P1 none
    cause = _full_cause(
        snap.units_total, snap.units_used, snap.sessions, snap.profiles, snap.max_sessions
    )
    if cause:
        return CapacityPresence(
            Level.FULL, BUSY_DND, f"capacity full: {cause.text(snap)}"
        )  # P1 full
    return CapacityPresence(
        Level.PARTIAL, BUSY, f"capacity partly used: {_usage_text(snap)}"
    )  # P1 partial


@dataclass(frozen=True, slots=True)
class _Full:
    """Why capacity is full; the sentence is only built when someone reads it."""

    units: bool = False
    over: bool = False
    ceiling: bool = False
    profiles: tuple[ProfileUsage, ...] = ()

    def text(self, snap: CapacitySnapshot) -> str:
        if self.ceiling:
            return f"{snap.sessions} conversations, the ceiling of {snap.max_sessions}"
        parts = []
        if self.units:
            over = " (over the limit)" if self.over else ""
            parts.append(f"{snap.units_used} of {snap.units_total} units used{over}")
        if self.profiles:
            parts.append(_profiles_text(self.profiles))
        return " and ".join(parts)


def _full_cause(units_total, units_used, sessions, profiles, max_sessions) -> _Full | None:
    units_configured = units_total > 0  # K1
    available = units_total - units_used
    # P1/K5: configured units with negative availability are full whatever the profiles say.
    if units_configured and available < 0:
        return _Full(units=True, over=True)
    if sessions >= max_sessions:
        return _Full(ceiling=True)  # P1: the session ceiling
    units_exhausted = units_configured and available <= 0
    full_profiles = _profiles_exhausted(profiles)
    if units_configured and profiles:
        # P1: with both units and profiles, both must be exhausted.
        return (
            _Full(units=True, profiles=full_profiles) if units_exhausted and full_profiles else None
        )
    if units_configured:
        return _Full(units=True) if units_exhausted else None  # units only
    # Profiles only; with neither units nor profiles, never full (P1 last case).
    return _Full(profiles=full_profiles) if full_profiles else None


def _profiles_exhausted(profiles: tuple[ProfileUsage, ...]) -> tuple[ProfileUsage, ...]:
    if not profiles:
        return ()
    blocking = tuple(p for p in profiles if p.blocking)
    if blocking:
        # P1: with a blocking profile, any blocking profile at its limit is enough.
        return tuple(p for p in blocking if p.full)
    # P1: otherwise every profile at its limit.
    return profiles if all(p.full for p in profiles) else ()


def _profiles_text(profiles) -> str:
    return "; ".join(f"{p.used} of {p.limit} work items used (profile {p.name})" for p in profiles)


def _usage_text(snap: CapacitySnapshot) -> str:
    parts = []
    if snap.units_configured:
        parts.append(f"{snap.units_used} of {snap.units_total} units used")
    parts += [
        f"{p.used} of {p.limit} work items used (profile {p.name})" for p in snap.profiles if p.used
    ]
    if not parts:
        parts.append(f"{snap.sessions} conversation{'s' if snap.sessions != 1 else ''} in progress")
    return "; ".join(parts)


def kind_of(source: str, base_status: str) -> Kind:
    """P4: sticky, held or computed, from the source and the base status."""
    if source == CAPACITY:
        return Kind.COMPUTED
    if source in PERSON_SOURCES:
        return Kind.STICKY if base_status in STICKY_BASES else Kind.HELD  # P2, P3, S1, P7
    return Kind.STICKY  # missed, rejected (P6), disconnect, sign_out (S4, S5)


@dataclass(frozen=True, slots=True)
class Presence:
    """A rep's current presence."""

    status: StatusRef
    source: str
    signed_in: bool
    saved_status: StatusRef | None = None  # S4: set while disconnected inside the grace period
    saved_source: str = ""

    @property
    def kind(self) -> Kind:
        return kind_of(self.source, self.status.base_status)

    @property
    def disconnected(self) -> bool:
        return self.saved_status is not None


class Event(enum.StrEnum):
    CONNECT = "connect"  # a client connects (S1 when first, S3/S4 restore, S2 otherwise)
    DISCONNECT = "disconnect"  # the last client is gone (S4)
    GRACE_EXPIRED = "grace_expired"  # S4
    SIGN_OUT = "sign_out"  # S5
    MANUAL = "manual"  # the rep picks a status (P2, P3)
    SUPERVISOR = "supervisor"  # a supervisor picks a status (P7)
    RESET = "reset"  # P5
    CONVERSATION = "conversation"  # accept, assign, transfer, end, close, release, ... (P2, P4)
    CAPACITY_CHANGE = "capacity_change"  # units, profiles, limits (P4)
    SAFETY_NET = "safety_net"  # the periodic pass (P4)
    MISSED = "missed"  # P6
    REJECTED = "rejected"  # P6


@dataclass(frozen=True, slots=True)
class Change:
    """What happened, with what the event needs."""

    event: Event
    status: StatusRef | None = None  # MANUAL, SUPERVISOR
    default: StatusRef | None = (
        None  # CONNECT: the rep's default presence (D1: None means Available)
    )
    switch_on: bool = False  # MISSED, REJECTED: the workstream's P6 switch


@dataclass(frozen=True, slots=True)
class Decision:
    status: StatusRef
    source: str
    signed_in: bool
    saved_status: StatusRef | None
    saved_source: str
    rule: str
    reason: str
    changed_presence: bool = field(default=True)  # False: status and source stay (no history row)

    @property
    def kind(self) -> Kind:
        return kind_of(self.source, self.status.base_status)


def check_pickable(status: StatusRef) -> None:
    """Who may pick a status by hand (C3, D2, B2; api.md PUT presence). Raises ValidationFailed."""
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
            check_pickable(change.status)  # api.md: invalid input (400) before the state (409)
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
