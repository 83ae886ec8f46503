"""Forms of the configuration pages: they parse input; the services (presence.services.config)
check the rules and name the field of a refusal, which `ServiceForm.add_service_error` shows."""

from ._base import ServiceForm, StatusChoiceField
from .access import RolesForm, TeamForm, TeamMembersAddForm, TokenCreateForm
from .capacity import CapacityProfileForm, CapacityUnitsForm, MemberAddForm, MemberLimitForm
from .defaults import (
    BulkDefaultForm,
    DefaultsCsvForm,
    RepresentativeDefaultForm,
    decode_csv,
    parse_csv,
)
from .people import (
    PeopleCsvForm,
    ProfileAddForm,
    RepresentativeForm,
    UserActiveForm,
    UserCreateForm,
    parse_people_csv,
    time_zone_names,
)
from .statuses import PresenceStatusForm, TranslationsForm
from .webhooks import WebhookForm
from .workstreams import WorkstreamForm

__all__ = [
    "BulkDefaultForm",
    "CapacityProfileForm",
    "CapacityUnitsForm",
    "DefaultsCsvForm",
    "MemberAddForm",
    "MemberLimitForm",
    "PeopleCsvForm",
    "ProfileAddForm",
    "RepresentativeForm",
    "UserActiveForm",
    "UserCreateForm",
    "parse_people_csv",
    "time_zone_names",
    "PresenceStatusForm",
    "RepresentativeDefaultForm",
    "RolesForm",
    "ServiceForm",
    "StatusChoiceField",
    "TeamForm",
    "TeamMembersAddForm",
    "TokenCreateForm",
    "TranslationsForm",
    "WebhookForm",
    "WorkstreamForm",
    "decode_csv",
    "parse_csv",
]
