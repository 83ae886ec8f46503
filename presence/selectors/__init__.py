"""Selectors read (STYLE.md): what pages, reports and the API show about presence, each rule
written once (scope A2, pickable statuses, status usage, history windows, a rep's presence).
Selectors never write."""

from .events import (
    events_after,
    events_last_id,
    events_page,
    events_purged_through,
    events_visible_to,
)
from .history import intervals_overlapping, signed_out_by
from .presence import presence_headline, presence_texts, representative_presence_detail
from .scope import (
    console_offered,
    conversations_visible_to,
    representative_for,
    representative_of,
    representatives_visible_to,
    teams_visible_to,
)
from .statuses import pickable_statuses, status_usage, statuses_with_usage

__all__ = [
    "console_offered",
    "conversations_visible_to",
    "events_after",
    "events_last_id",
    "events_page",
    "events_purged_through",
    "events_visible_to",
    "intervals_overlapping",
    "pickable_statuses",
    "presence_headline",
    "presence_texts",
    "representative_for",
    "representative_of",
    "representative_presence_detail",
    "representatives_visible_to",
    "signed_out_by",
    "status_usage",
    "statuses_with_usage",
    "teams_visible_to",
]
