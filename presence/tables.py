"""Sortable, paginated grids of the configuration pages (django-tables2).

The tables give the sort keys (database columns or annotations: ordering and paging happen in
SQL) and the paginator; the page templates draw the cells.
"""

from __future__ import annotations

import django_tables2 as tables

from presence.models import AuditLogEntry, PresenceStatus, Representative

PER_PAGE = 25


class StatusTable(tables.Table):
    name = tables.Column(verbose_name="Status", order_by=("name",))
    base_status = tables.Column(verbose_name="Base status", order_by=("base_status", "name"))
    user_can_set = tables.Column(verbose_name="Reps can set", order_by=("-user_can_set", "name"))
    is_active = tables.Column(verbose_name="Active", order_by=("-is_active", "name"))
    default_count = tables.Column(verbose_name="Default of", order_by=("default_count", "name"))
    holding_count = tables.Column(verbose_name="Held now by", order_by=("holding_count", "name"))
    history_count = tables.Column(verbose_name="In history of", order_by=("history_count", "name"))
    actions = tables.Column(verbose_name="Actions", empty_values=(), orderable=False)

    class Meta:
        model = PresenceStatus
        fields = (
            "name",
            "base_status",
            "user_can_set",
            "is_active",
            "default_count",
            "holding_count",
            "history_count",
            "actions",
        )
        # Unsorted, the rows keep the queryset's order: built-ins in B2 order, then by name.


class RepresentativeDefaultTable(tables.Table):
    select = tables.Column(verbose_name="Select", empty_values=(), orderable=False)
    name = tables.Column(verbose_name="Representative", order_by=("name", "pk"))
    email = tables.Column(verbose_name="E-mail / external id", order_by=("email", "pk"))
    teams = tables.Column(verbose_name="Teams", empty_values=(), orderable=False)
    default_presence = tables.Column(
        verbose_name="Default presence",
        order_by=("default_presence__name", "name", "pk"),
    )

    class Meta:
        model = Representative
        fields = ("select", "name", "email", "teams", "default_presence")
        order_by = ("name",)
        per_page = PER_PAGE


class AuditTable(tables.Table):
    created_at = tables.Column(verbose_name="When", order_by=("created_at", "id"))
    actor_name = tables.Column(verbose_name="Who", order_by=("actor_name", "-created_at"))
    action = tables.Column(verbose_name="What", order_by=("action", "-created_at"))
    object_repr = tables.Column(verbose_name="Object", order_by=("object_type", "object_id"))
    change = tables.Column(verbose_name="Old → new", empty_values=(), orderable=False)

    class Meta:
        model = AuditLogEntry
        fields = ("created_at", "actor_name", "action", "object_repr", "change")
        order_by = ("-created_at",)
        per_page = 50


class RepresentativeTable(tables.Table):
    """The representatives page (issue 15): the template draws the cells."""

    name = tables.Column(verbose_name="Representative", order_by=("name", "pk"))
    email = tables.Column(verbose_name="E-mail / external id", order_by=("email", "pk"))
    teams = tables.Column(verbose_name="Teams", empty_values=(), orderable=False)
    user = tables.Column(verbose_name="Signs in as", order_by=("user__username", "pk"))
    capacity_units = tables.Column(verbose_name="Units", order_by=("capacity_units", "name"))
    presence = tables.Column(
        verbose_name="Presence now", empty_values=(), order_by=("presence__status__name", "name")
    )
    is_active = tables.Column(verbose_name="Active", order_by=("-is_active", "name"))

    class Meta:
        model = Representative
        fields = ("name", "email", "teams", "user", "capacity_units", "presence", "is_active")
        order_by = ("name",)
        per_page = PER_PAGE
