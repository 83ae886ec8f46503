"""Configuration writes (C1-C3, D2, D4, K2, V2, A4): presence statuses, capacity profiles, workstreams,
teams and representatives. The JSON API uses them now, the configuration pages later.

Every service validates everything first and raises ValidationFailed naming the field (or Conflict
for a change the rules refuse) before anything is written; then it writes in one
transaction.atomic() together with its audit row (A4: who, when, old and new value).
"""

from .capacity import (
    capacity_profile_create,
    capacity_profile_update,
    representative_profile_remove,
    representative_profile_set,
)
from .people import (
    check_default_presence,
    representative_create,
    representative_default_presence_bulk,
    representative_update,
    team_create,
)
from .statuses import (
    presence_status_create,
    presence_status_delete,
    presence_status_update,
    presence_status_uses,
)
from .workstreams import autoclose_defaults, workstream_create, workstream_update

__all__ = [
    "autoclose_defaults",
    "capacity_profile_create",
    "capacity_profile_update",
    "check_default_presence",
    "presence_status_create",
    "presence_status_delete",
    "presence_status_update",
    "presence_status_uses",
    "representative_create",
    "representative_default_presence_bulk",
    "representative_profile_remove",
    "representative_profile_set",
    "representative_update",
    "team_create",
    "workstream_create",
    "workstream_update",
]
