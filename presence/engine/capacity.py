"""P1, K1-K5: the presence capacity alone gives, and why (P10). Pure: no ORM."""

from __future__ import annotations

from dataclasses import dataclass

from .values import AVAILABLE, BUSY, BUSY_DND, Level

__all__ = [
    "CapacityPresence",
    "CapacitySnapshot",
    "ProfileUsage",
    "capacity_level",
    "capacity_level_of",
    "capacity_presence",
]


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
