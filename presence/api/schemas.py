"""Request and answer shapes of api.md. Bodies refuse unknown fields (a typo must not be a silent
no-op); PATCH bodies take any subset, and a field given as null where null means nothing is a 400."""

import datetime as dt
import re
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict

from presence.models import BaseStatus, Channel, ResetFrequency, WrapUpPolicy

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
# Every integer field of the API is an Int (tests/presence/test_api_input.py walks them all).
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
    state: str | None = Field(None, description="The current state (409).")


# --- Configuration ------------------------------------------------------------------------------


class PresenceStatusIn(In):
    name: Text
    presence_text: Text
    base_status: BaseStatusName
    description: Text = ""
    user_can_set: bool = True
    is_active: bool = True


class PresenceStatusPatch(In):
    name: Text = None
    presence_text: Text = None
    base_status: BaseStatusName = None
    description: Text = None
    user_can_set: bool = None
    is_active: bool = None


class PresenceStatusOut(Schema):
    id: int
    name: str
    presence_text: str
    description: str
    base_status: str
    user_can_set: bool
    is_active: bool
    is_builtin: bool
    builtin_key: str | None


class CapacityProfileIn(In):
    name: Text
    limit: Int
    blocking: bool = False
    reset: ResetName = ResetFrequency.IMMEDIATE.value


class CapacityProfilePatch(In):
    name: Text = None
    limit: Int = None
    blocking: bool = None
    reset: ResetName = None


class CapacityProfileOut(Schema):
    id: int
    name: str
    limit: int
    blocking: bool
    reset: str

    @staticmethod
    def resolve_reset(obj) -> str:
        return obj.reset_frequency


class WorkstreamIn(In):
    name: Text
    channel: ChannelName
    units_per_conversation: Int = 1
    capacity_profile_id: Id | None = None
    wrap_up_policy: WrapUpPolicyName = WrapUpPolicy.ALWAYS.value
    wrap_up_minutes: Int | None = None
    allowed_base_statuses: list[BaseStatusName] | None = None
    offer_timeout_seconds: Int = 60
    missed_makes_inactive: bool = False
    reject_makes_dnd: bool = False
    external_id: ExternalId | None = None
    autoclose_open_seconds: Int | None = Field(
        None, description="V2; null: never. Not given: the channel's default."
    )
    autoclose_active_seconds: Int | None = Field(
        None, description="V2; null: never. Not given: the channel's default."
    )
    autoclose_wrap_up_seconds: Int | None = Field(
        None, description="V2; null: never. Not given: the channel's default."
    )


class WorkstreamPatch(In):
    name: Text = None
    channel: ChannelName = None
    units_per_conversation: Int = None
    capacity_profile_id: Id | None = None
    wrap_up_policy: WrapUpPolicyName = None
    wrap_up_minutes: Int | None = None
    allowed_base_statuses: list[BaseStatusName] | None = None
    offer_timeout_seconds: Int = None
    missed_makes_inactive: bool = None
    reject_makes_dnd: bool = None
    external_id: ExternalId | None = None
    autoclose_open_seconds: Int | None = None
    autoclose_active_seconds: Int | None = None
    autoclose_wrap_up_seconds: Int | None = None


class WorkstreamOut(Schema):
    id: int
    name: str
    channel: str
    units_per_conversation: int
    capacity_profile_id: int | None
    wrap_up_policy: str
    wrap_up_minutes: int | None
    allowed_base_statuses: list[str]
    offer_timeout_seconds: int
    missed_makes_inactive: bool
    reject_makes_dnd: bool
    external_id: str | None
    autoclose_open_seconds: int | None
    autoclose_active_seconds: int | None
    autoclose_wrap_up_seconds: int | None


class TeamIn(In):
    name: Text
    supervisor_usernames: list[Text] = []


class TeamOut(Schema):
    id: int
    name: str
    supervisor_usernames: list[str]

    @staticmethod
    def resolve_supervisor_usernames(obj) -> list[str]:
        return sorted(u.get_username() for u in obj.supervisors.all())


class RepresentativeIn(In):
    name: Text
    email: Text = ""
    username: Text | None = None
    capacity_units: Int = 0
    default_presence_id: Id | None = None
    team_ids: list[Id] = []
    timezone: Text = "UTC"
    external_id: ExternalId | None = None


class RepresentativePatch(In):
    name: Text = None
    email: Text = None
    username: Text | None = None
    capacity_units: Int = None
    default_presence_id: Id | None = None
    team_ids: list[Id] = None
    timezone: Text = None
    external_id: ExternalId | None = None


class RepresentativeOut(Schema):
    id: int
    name: str
    email: str
    username: str | None
    capacity_units: int
    default_presence_id: int | None
    team_ids: list[int]
    timezone: str
    language: str
    external_id: str | None

    @staticmethod
    def resolve_username(obj) -> str | None:
        return obj.user.get_username() if obj.user_id else None

    @staticmethod
    def resolve_team_ids(obj) -> list[int]:
        return sorted(team.pk for team in obj.teams.all())


class RepresentativeProfileIn(In):
    limit: Int | None = Field(None, description="The rep's own limit (0-100); null: the profile's.")


class RepresentativeProfileOut(Schema):
    representative_id: int
    profile_id: int
    name: str
    limit: int | None = Field(description="The rep's own limit; null: the profile's limit applies.")
    profile_limit: int
    effective_limit: int
    blocking: bool
    reset: str


class DefaultPresenceBulkIn(In):
    representative_ids: list[Id] = Field(..., min_length=1, max_length=100_000)
    default_presence_id: Id | None = Field(..., description="null: no default (Available, D1).")


class DefaultPresenceChange(Schema):
    representative_id: int
    name: str
    before: str | None
    after: str | None


class DefaultPresenceBulkOut(Schema):
    updated: int
    changes: list[DefaultPresenceChange]


# --- Presence -----------------------------------------------------------------------------------


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


# --- Conversations ------------------------------------------------------------------------------


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
