"""The engine's vocabulary: base statuses (B1), sources, kinds (P4), events and the values the
rules take and give (a status, a rep's presence, a change, a decision). Pure: no ORM."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = [
    "AVAILABLE",
    "AWAY",
    "BASE_STATUSES",
    "BUSY",
    "BUSY_DND",
    "Builtins",
    "CAPACITY",
    "Change",
    "DEFAULT",
    "DISCONNECT",
    "Decision",
    "Event",
    "Kind",
    "Level",
    "MANUAL",
    "MISSED",
    "OFFLINE",
    "PERSON_SOURCES",
    "Presence",
    "REJECTED",
    "SIGN_OUT",
    "STICKY_BASES",
    "SUPERVISOR",
    "StatusRef",
    "kind_of",
]

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
