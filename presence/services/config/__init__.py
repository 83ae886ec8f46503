"""Configuration writes (A1, C1-C4, D2, D4, K2, V2, A4): presence statuses, capacity profiles, workstreams,
teams and representatives. The JSON API and the configuration pages both write through them.

Every service validates everything first and raises ValidationFailed naming the field (or Conflict
for a change the rules refuse) before anything is written; then it writes in one
transaction.atomic() together with its audit row (A4: who, when, old and new value).
"""

from .access import user_groups_set
from .capacity import (
    capacity_profile_create,
    capacity_profile_update,
    representative_profile_remove,
    representative_profile_set,
)
from .defaults import (
    DefaultChange,
    DefaultPresencePlan,
    DefaultRow,
    InvalidRow,
    default_presence_plan_apply,
    default_presence_plan_for,
    default_presence_plan_from_rows,
    representative_default_presence_bulk,
    representatives_by_key,
)
from .onboarding import (
    COLUMNS as ONBOARDING_COLUMNS,
)
from .onboarding import (
    OnboardingPlan,
    PersonRow,
    email_configured,
    onboarding_apply,
    onboarding_plan,
    password_link,
    password_links_send,
    representative_create_with_user,
    representative_field_check,
    representative_set_active,
    user_create,
    user_set_active,
)
from .people import (
    check_default_presence,
    representative_create,
    representative_update,
    team_create,
    team_update,
)
from .statuses import (
    presence_status_check,
    presence_status_create,
    presence_status_delete,
    presence_status_translations_set,
    presence_status_update,
    presence_status_uses,
)
from .webhooks import webhook_create, webhook_delete, webhook_update
from .workstreams import autoclose_defaults, workstream_create, workstream_update

__all__ = [
    "ONBOARDING_COLUMNS",
    "OnboardingPlan",
    "PersonRow",
    "email_configured",
    "onboarding_apply",
    "onboarding_plan",
    "password_link",
    "password_links_send",
    "representative_create_with_user",
    "representative_field_check",
    "representative_set_active",
    "user_create",
    "user_set_active",
    "DefaultChange",
    "DefaultPresencePlan",
    "DefaultRow",
    "InvalidRow",
    "autoclose_defaults",
    "capacity_profile_create",
    "capacity_profile_update",
    "check_default_presence",
    "default_presence_plan_apply",
    "default_presence_plan_for",
    "default_presence_plan_from_rows",
    "presence_status_check",
    "presence_status_create",
    "presence_status_delete",
    "presence_status_translations_set",
    "presence_status_update",
    "presence_status_uses",
    "representative_create",
    "representative_default_presence_bulk",
    "representative_profile_remove",
    "representative_profile_set",
    "representative_update",
    "representatives_by_key",
    "team_create",
    "team_update",
    "user_groups_set",
    "webhook_create",
    "webhook_delete",
    "webhook_update",
    "workstream_create",
    "workstream_update",
]
