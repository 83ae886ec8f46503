"""Request and answer shapes of api.md. Bodies refuse unknown fields (a typo must not be a silent
no-op); PATCH bodies take any subset, and a field given as null where null means nothing is a 400."""

import datetime as dt
import re
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict

from presence.models import BaseStatus, Channel, ResetFrequency, WrapUpPolicy

__all__ = [
    "Actor",
    "BaseStatusName",
    "ChannelName",
    "CLIENT_ID_PATTERN",
    "EARLIEST",
    "Error",
    "ExternalId",
    "Id",
    "In",
    "Int",
    "LATEST",
    "LONE_SURROGATE",
    "ResetName",
    "Text",
    "Time",
    "WrapUpPolicyName",
]

LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# The times the API takes: well inside what Python and PostgreSQL can compute and store, so
# that a window (start = end - 24 h) or a conversion never overflows.
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


def _storable(value: str) -> str:
    """Text the database can store: no NUL, no lone surrogate (a JSON "\\ud800" is not a
    character, and UTF-8 cannot encode it)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if LONE_SURROGATE.search(value):
        raise ValueError("must be valid Unicode text (it holds a lone surrogate such as \\ud800)")
    return value


def _utc(value: dt.datetime) -> dt.datetime:
    """An ISO 8601 time with an offset, as UTC: PostgreSQL refuses offsets beyond 15:59 and a
    time near year 1 or 9999 overflows once converted."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("needs a UTC offset, e.g. 2025-03-01T08:00:00Z")
    try:
        value = value.astimezone(dt.UTC)
    except OverflowError:
        value = None
    if value is None or not EARLIEST <= value <= LATEST:
        raise ValueError(f"must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC)")
    return value


def _not_bool(value):
    # JSON true/false are not numbers (pydantic's lax mode would read true as 1, false as 0).
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true or false")
    return value


Text = Annotated[str, AfterValidator(_storable)]
Time = Annotated[dt.datetime, AfterValidator(_utc)]
ExternalId = Annotated[str, Field(max_length=100), AfterValidator(_storable)]
# Every integer field of the API is an Int (tests/presence/api/test_input.py walks them all).
Int = Annotated[int, BeforeValidator(_not_bool)]
Id = Annotated[Int, Field(ge=1, le=2**63 - 1)]
BaseStatusName = Literal[tuple(BaseStatus.values)]  # type: ignore[valid-type]
ChannelName = Literal[tuple(Channel.values)]  # type: ignore[valid-type]
WrapUpPolicyName = Literal[tuple(WrapUpPolicy.values)]  # type: ignore[valid-type]
ResetName = Literal[tuple(ResetFrequency.values)]  # type: ignore[valid-type]
Actor = Literal["representative", "supervisor"]
CLIENT_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"


class In(Schema):
    model_config = ConfigDict(extra="forbid")


class Error(Schema):
    error: str = Field(examples=["conflict"])
    detail: str = Field(examples=["Cannot end conversation 7: it is open."])
    field: str | None = Field(None, description="The input field at fault (400).")
    state: str | None = Field(
        None,
        description=(
            "The current state (409). A heartbeat's 404 says `signed_out` when the representative "
            "was signed out: connect again only when they sign in."
        ),
    )
