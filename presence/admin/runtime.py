"""The read-only admins of runtime state and history: current presence, intervals, clients,
conversations, offers and the audit log. The services keep them (H1, K3/K4); the admin only
looks (ReadOnlyAdminMixin)."""

from django.contrib import admin

from ..models import (
    AuditLogEntry,
    Client,
    Conversation,
    ConversationParticipant,
    Event,
    EventPurge,
    Offer,
    PresenceInterval,
    RepresentativePresence,
)
from ._audited import REP_SEARCH, ReadOnlyAdminMixin

# --- Presence -------------------------------------------------------------------------------


@admin.register(RepresentativePresence)
class RepresentativePresenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "representative",
        "status",
        "base_status",
        "source",
        "since",
        "signed_in",
        "disconnected_at",
    )
    list_filter = ("status__base_status", "source", "signed_in", "status")
    search_fields = REP_SEARCH
    list_select_related = ("representative", "status")
    show_full_result_count = False

    @admin.display(description="base status", ordering="status__base_status")
    def base_status(self, obj):
        return obj.status.get_base_status_display()


@admin.register(PresenceInterval)
class PresenceIntervalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("representative", "status", "base_status", "source", "actor", "start", "end")
    list_filter = ("base_status", "source", "status")
    search_fields = REP_SEARCH
    list_select_related = ("representative", "status", "actor")
    ordering = ("-start",)
    show_full_result_count = False


@admin.register(Client)
class ClientAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("client_id", "representative", "connected_at", "last_heartbeat_at")
    search_fields = ("client_id", *REP_SEARCH)
    list_select_related = ("representative",)
    ordering = ("-last_heartbeat_at",)


# --- Conversations --------------------------------------------------------------------------


class ConversationParticipantInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ConversationParticipant
    extra = 0


class OfferInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Offer
    extra = 0


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "workstream",
        "state",
        "representative",
        "consumes_capacity",
        "units",
        "created_at",
        "last_activity_at",
        "is_stuck",
    )
    list_filter = (
        "state",
        "is_stuck",
        "consumes_capacity",
        "closed_by_force",
        "workstream__channel",
        "workstream",
    )
    search_fields = ("=id", "external_id", *REP_SEARCH)
    list_select_related = ("workstream", "representative")
    ordering = ("-created_at",)
    show_full_result_count = False
    inlines = (ConversationParticipantInline, OfferInline)


@admin.register(ConversationParticipant)
class ConversationParticipantAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("conversation", "representative", "role", "joined_at", "left_at")
    list_filter = ("role",)
    search_fields = ("=conversation__id", *REP_SEARCH)
    list_select_related = ("conversation", "representative")
    ordering = ("-joined_at",)
    show_full_result_count = False


@admin.register(Offer)
class OfferAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "conversation",
        "representative",
        "state",
        "forced",
        "created_at",
        "expires_at",
        "decided_at",
    )
    list_filter = ("state", "forced")
    search_fields = ("=conversation__id", *REP_SEARCH)
    list_select_related = ("conversation", "representative")
    ordering = ("-created_at",)
    show_full_result_count = False


# --- Audit log ---------------------------------------------------------------------------


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "actor_name", "action", "object_type", "object_id", "object_repr")
    list_filter = ("action", "object_type")
    search_fields = ("actor_name", "object_repr", "=object_id", "action")
    list_select_related = ("actor",)
    date_hierarchy = "created_at"
    show_full_result_count = False


# --- Event log (issue 14, docs/events.md) -------------------------------------------------------


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # The rep by id: the log keeps the ids of reps deleted since (no constraint, it is history).
    list_display = ("id", "type", "representative_id", "occurred_at")
    list_filter = ("type",)
    search_fields = ("=id", "=representative__id")
    ordering = ("-id",)
    show_full_result_count = False


@admin.register(EventPurge)
class EventPurgeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("purged_at", "through_id", "deleted")
    ordering = ("-through_id",)
