"""Real-time report queries (R1 agents, R2 ongoing conversations): common.py, agents.py,
agent_detail.py (the R1 drill-down), ongoing.py.

Every function here reads in a fixed number of queries whatever the number of reps: aggregates
are computed by the database, and per-rep details are loaded only for the reps of one page.

Definitions used by the reports (and by their tests):

- *signed in*: the rep's current base status is not `offline` (R1). A rep who never signed in
  (no presence row) counts as offline.
- *with work*: the rep holds a conversation in `active` or `wrap_up` (V1: the work they handle;
  `waiting` conversations use nothing, K3).
- *units* and *work items* are over the signed-in reps only (an offline rep's capacity is not on
  offer, as in the product this follows).
- *units*: total = the sum of the reps' capacity units; used = the units of capacity-consuming
  conversations of reps whose units are configured (K1: unit arithmetic does not apply to a rep
  with 0 units); available = total - used (may be negative, K5).
- *work items*: total = the sum of each rep's limit on each profile they hold (the rep's own limit
  wins, K2); in use = the work items counting against a profile the rep holds (K3, K4, as
  presence.services.capacity counts them); available = total - in use.
- *stuck* (V3): `active` or `wrap_up` with no activity for longer than
  settings.CONVERSATION_STUCK_AFTER_SECONDS. Computed from the clock, so the report does not
  wait for the periodic flagging job.
- *recently offline* (the "offline" tab): base status `offline` now, and a history interval on
  another base status during the last 24 hours (H1).
"""

from .agent_detail import (
    Segment,
    StatusTime,
    representative_conversations,
    representative_recent_time,
    representative_timeline,
)
from .agents import (
    AgentDetail,
    AgentKpis,
    AgentSummary,
    StatusCount,
    agents_page,
    agents_page_details,
    agents_rows,
    agents_sort_keys,
    agents_summary,
    agents_tab,
)
from .common import (
    ONGOING_STATES,
    ONGOING_WINDOW,
    ONLINE_BASES,
    RECENT_OFFLINE_WINDOW,
    RECENT_STATUS_WINDOW,
    TAB_OFFLINE,
    TAB_SIGNED_IN,
    TAB_WITH_WORK,
    TABS,
    WORK_STATES,
    offline_q,
    one_row_each,
    pinned,
    signed_in_q,
    stuck_cutoff,
    stuck_q,
    viewer_timezone,
    zone_named,
)
from .ongoing import OngoingKpis, ongoing_conversations, ongoing_kpis
from .queues import (
    QueueFigures,
    Target,
    TeamFigures,
    day_start_in,
    move_targets,
    queue_figures,
    rep_capacity_groups,
    team_figures,
    waiting_conversations,
)

__all__ = [
    "ONGOING_STATES",
    "ONGOING_WINDOW",
    "ONLINE_BASES",
    "RECENT_OFFLINE_WINDOW",
    "RECENT_STATUS_WINDOW",
    "TABS",
    "TAB_OFFLINE",
    "TAB_SIGNED_IN",
    "TAB_WITH_WORK",
    "WORK_STATES",
    "AgentDetail",
    "AgentKpis",
    "AgentSummary",
    "OngoingKpis",
    "Segment",
    "StatusCount",
    "StatusTime",
    "agents_page",
    "agents_sort_keys",
    "agents_page_details",
    "agents_rows",
    "agents_summary",
    "agents_tab",
    "offline_q",
    "ongoing_conversations",
    "ongoing_kpis",
    "one_row_each",
    "pinned",
    "representative_conversations",
    "representative_recent_time",
    "representative_timeline",
    "signed_in_q",
    "stuck_cutoff",
    "stuck_q",
    "viewer_timezone",
    "zone_named",
    "QueueFigures",
    "Target",
    "TeamFigures",
    "day_start_in",
    "move_targets",
    "queue_figures",
    "rep_capacity_groups",
    "team_figures",
    "waiting_conversations",
]
