"""Configuration: statuses, capacity profiles, workstreams, teams, representatives (api.md)."""

from ninja import Field, Schema

from presence.models import ResetFrequency, WrapUpPolicy

from ._types import (
    BaseStatusName,
    ChannelName,
    ExternalId,
    Id,
    In,
    Int,
    ResetName,
    Text,
    WrapUpPolicyName,
)

__all__ = [
    "CapacityProfileIn",
    "CapacityProfileOut",
    "CapacityProfilePatch",
    "DefaultPresenceBulkIn",
    "DefaultPresenceBulkOut",
    "DefaultPresenceChange",
    "PresenceStatusIn",
    "PresenceStatusOut",
    "PresenceStatusPatch",
    "RepresentativeIn",
    "RepresentativeOut",
    "RepresentativePatch",
    "RepresentativeProfileIn",
    "RepresentativeProfileOut",
    "TeamIn",
    "TeamOut",
    "WorkstreamIn",
    "WorkstreamOut",
    "WorkstreamPatch",
]


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
    service_level_seconds: Int = Field(
        20,
        description="Queues report: answered within this many seconds counts as in service level.",
    )
    timezone: Text | None = Field(
        None, description="The zone of the queue's day (IANA name); not given: the portal's."
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
    service_level_seconds: Int = None
    timezone: Text = None


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
    service_level_seconds: int
    timezone: str


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
