"""Conversations and offers (api.md)."""

import datetime as dt
from typing import Literal

from ninja import Schema

from ._types import ExternalId, Id, In

__all__ = [
    "AssignIn",
    "ConversationIn",
    "ConversationOut",
    "OfferIn",
    "OfferOut",
    "ParticipantOut",
    "RepresentativeRefIn",
    "ReviveIn",
]


class ConversationIn(In):
    workstream_id: Id
    external_id: ExternalId | None = None


class ParticipantOut(Schema):
    representative_id: int
    role: str
    joined_at: dt.datetime
    left_at: dt.datetime | None


class ConversationOut(Schema):
    id: int
    state: str
    workstream_id: int
    representative_id: int | None
    external_id: str | None
    participants: list[ParticipantOut]
    stuck: bool
    consumes_capacity: bool
    units: int
    created_at: dt.datetime
    state_changed_at: dt.datetime
    last_activity_at: dt.datetime
    closed_at: dt.datetime | None
    closed_by_force: bool

    @staticmethod
    def resolve_stuck(obj) -> bool:
        return obj.is_stuck

    @staticmethod
    def resolve_participants(obj) -> list:
        """In the order they joined: read so by a routing call's answer, else prefetched."""
        in_order = getattr(obj, "participants_in_order", None)
        if in_order is not None:
            return in_order
        return sorted(obj.participants.all(), key=lambda p: (p.joined_at, p.pk))


class OfferIn(In):
    representative_id: Id
    force: bool = False


class AssignIn(In):
    representative_id: Id
    force: bool = False


class RepresentativeRefIn(In):
    representative_id: Id


class ReviveIn(In):
    by: Literal["representative", "customer"]


class OfferOut(Schema):
    id: int
    state: str
    expires_at: dt.datetime
    representative_id: int
    conversation_id: int
    forced: bool
    created_at: dt.datetime
    decided_at: dt.datetime | None
    conversation: ConversationOut
