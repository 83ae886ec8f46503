"""Presence, clients and history (api.md)."""

import datetime as dt

from ninja import Field, Schema

from ._types import CLIENT_ID_PATTERN, Actor, Id, In

__all__ = [
    "ActorIn",
    "CapacityOut",
    "ClientIn",
    "ClientOut",
    "HeartbeatOut",
    "IntervalOut",
    "PresenceOut",
    "PresenceSetIn",
    "ProfileUsageOut",
    "StatusRefOut",
]


class StatusRefOut(Schema):
    id: int
    name: str
    presence_text: str
    base_status: str


class ProfileUsageOut(Schema):
    id: int
    name: str
    limit: int
    used: int
    blocking: bool
    full: bool


class CapacityOut(Schema):
    units_total: int
    units_used: int
    units_available: int
    work_items: int
    profiles: list[ProfileUsageOut]


class PresenceOut(Schema):
    """presence.selectors.representative_presence_detail, as is."""

    status: StatusRefOut
    source: str
    sticky: bool
    kind: str = Field(description="P4: sticky, held or computed.")
    since: dt.datetime
    signed_in: bool
    reason: str = Field(description="P10: why the rep holds this presence.")
    headline: str = Field(description='P10: "Away since 09:10 — set by the representative; ..."')
    capacity: CapacityOut


class PresenceSetIn(In):
    status_id: Id
    actor: Actor = "representative"


class ActorIn(In):
    actor: Actor = "representative"


class ClientIn(In):
    client_id: str | None = Field(None, pattern=CLIENT_ID_PATTERN)


class ClientOut(Schema):
    client_id: str
    presence: PresenceOut


class HeartbeatOut(Schema):
    client_id: str
    last_heartbeat_at: dt.datetime


class IntervalOut(Schema):
    status: StatusRefOut
    base_status: str
    source: str
    actor: str | None
    start: dt.datetime
    end: dt.datetime | None

    @staticmethod
    def resolve_actor(obj) -> str | None:
        return obj.actor.get_username() if obj.actor_id else None
