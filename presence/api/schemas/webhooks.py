"""Webhook endpoints (api.md "Webhooks"): the secret is in the answer to POST only."""

import datetime as dt
from typing import Annotated

from ninja import Field, Schema

from ._types import Id, In, Text

__all__ = ["WebhookCreated", "WebhookIn", "WebhookOut", "WebhookPatch"]

Url = Annotated[Text, Field(max_length=2000, description="http:// or https://")]
EventType = Annotated[Text, Field(max_length=40)]


class WebhookIn(In):
    url: Url
    description: Text = Field("", max_length=200)
    event_types: list[EventType] = Field([], description="Empty: every type.")
    team_ids: list[Id] = Field(
        [], description="Empty: every team (and events of no representative)."
    )
    active: bool = True


class WebhookPatch(In):
    url: Url = None
    description: Text = Field(None, max_length=200)
    event_types: list[EventType] = None
    team_ids: list[Id] = None
    active: bool = Field(None, description="true on a disabled endpoint enables it again.")


class WebhookOut(Schema):
    id: int
    url: str
    description: str
    event_types: list[str]
    team_ids: list[int]
    active: bool
    created_at: dt.datetime
    created_by: str | None
    disabled_reason: str
    disabled_at: dt.datetime | None
    failing_since: dt.datetime | None
    last_event_id: int

    @staticmethod
    def resolve_team_ids(obj) -> list[int]:
        return sorted(team.pk for team in obj.teams.all())

    @staticmethod
    def resolve_created_by(obj) -> str | None:
        return obj.created_by.get_username() if obj.created_by else None

    @staticmethod
    def resolve_last_event_id(obj) -> int:
        return obj.cursor.last_event_id


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Shown once: keep it to verify the signatures.")
