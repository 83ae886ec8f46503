"""Sortable, paginated grids of the real-time reports (django-tables2).

The tables give the sort keys (always database columns or annotations, so ordering and paging
happen in SQL) and the paginator; the cells are drawn by the page's own template, which also
gets the per-rep details loaded for the page only.
"""

from __future__ import annotations

import django_tables2 as tables

from presence.models import Conversation, Representative

PER_PAGE = 25


class AgentTable(tables.Table):
    name = tables.Column(verbose_name="Representative", order_by=("name", "pk"))
    status = tables.Column(
        verbose_name="Presence", accessor="status_text", order_by=("status_text", "name")
    )
    since = tables.Column(
        verbose_name="Status since", accessor="status_since", order_by=("status_since", "name")
    )
    reason = tables.Column(verbose_name="Reason", empty_values=(), orderable=False)
    conversations = tables.Column(
        verbose_name="Conversations",
        accessor="conversation_count",
        order_by=("conversation_count", "name"),
    )
    units = tables.Column(
        verbose_name="Units used / total", accessor="units_used", order_by=("units_used", "name")
    )
    profiles = tables.Column(verbose_name="Profiles used / limit", empty_values=(), orderable=False)
    signed_in = tables.Column(
        verbose_name="Signed in since",
        accessor="signed_in_since",
        order_by=("signed_in_since", "name"),
    )

    class Meta:
        model = Representative
        fields = (
            "name",
            "status",
            "since",
            "reason",
            "conversations",
            "units",
            "profiles",
            "signed_in",
        )
        order_by = ("name",)
        per_page = PER_PAGE


class OngoingTable(tables.Table):
    id = tables.Column(verbose_name="#", accessor="pk", order_by=("pk",))
    representative = tables.Column(
        verbose_name="Representative",
        accessor="representative__name",
        order_by=("representative__name", "pk"),
    )
    workstream = tables.Column(
        verbose_name="Workstream", accessor="workstream__name", order_by=("workstream__name", "pk")
    )
    state = tables.Column(verbose_name="State", order_by=("state", "pk"))
    # Longest in state first when sorted descending: the oldest state change.
    time_in_state = tables.Column(
        verbose_name="Time in state",
        accessor="state_changed_at",
        order_by=("-state_changed_at", "-pk"),
    )
    last_activity = tables.Column(
        verbose_name="Last activity",
        accessor="last_activity_at",
        order_by=("-last_activity_at", "-pk"),
    )
    stuck = tables.Column(verbose_name="Stuck", order_by=("stuck", "-state_changed_at"))
    actions = tables.Column(verbose_name="Actions", empty_values=(), orderable=False)

    class Meta:
        model = Conversation
        fields = (
            "id",
            "representative",
            "workstream",
            "state",
            "time_in_state",
            "last_activity",
            "stuck",
            "actions",
        )
        per_page = PER_PAGE
