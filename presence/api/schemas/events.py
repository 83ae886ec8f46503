"""The event log (docs/events.md)."""

import datetime as dt
from typing import Any

from ninja import Schema

__all__ = ["EventOut", "EventPageOut"]


class EventOut(Schema):
    id: int
    type: str
    representative_id: int | None
    occurred_at: dt.datetime
    data: dict[str, Any]


class EventPageOut(Schema):
    events: list[EventOut]
    after: int  # pass it as ?after= for the next page
    gap: bool  # events after the requested id were purged (older than retention)
