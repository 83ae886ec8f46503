"""The admins of configuration: statuses, teams, reps, capacity, workstreams and API tokens.
Every change is audited (AuditedAdmin, A4); a capacity change recalculates presence (P4)."""

from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count
from django.utils import timezone

from ..models import (
    ApiToken,
    CapacityProfile,
    PresenceStatus,
    PresenceStatusTranslation,
    Representative,
    RepresentativeProfile,
    Team,
    Workstream,
)
from ..services.tokens import api_token_revoke
from ._audited import REP_SEARCH, AuditedAdmin

# --- Statuses -----------------------------------------------------------------------------


class StatusKindFilter(admin.SimpleListFilter):
    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [("builtin", "Built-in"), ("custom", "Custom")]

    def queryset(self, request, queryset):
        if self.value() == "builtin":
            return queryset.filter(builtin_key__isnull=False)
        if self.value() == "custom":
            return queryset.filter(builtin_key__isnull=True)
        return queryset


class PresenceStatusTranslationInline(admin.TabularInline):
    model = PresenceStatusTranslation
    extra = 0

    # B2: a built-in status is locked, its translations included.
    def has_add_permission(self, request, obj=None):
        return not (obj and obj.is_builtin) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not (obj and obj.is_builtin) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj and obj.is_builtin) and super().has_delete_permission(request, obj)


@admin.register(PresenceStatus)
class PresenceStatusAdmin(AuditedAdmin):
    list_display = (
        "name",
        "presence_text",
        "base_status",
        "user_can_set",
        "is_active",
        "builtin_key",
        "updated_at",
    )
    list_filter = (StatusKindFilter, "base_status", "is_active", "user_can_set")
    search_fields = ("name", "presence_text", "description")
    readonly_fields = ("builtin_key", "created_at", "updated_at")
    inlines = (PresenceStatusTranslationInline,)

    # B2: built-in statuses cannot be edited or deleted (the change page becomes a view page).
    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_builtin:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_builtin:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(PresenceStatusTranslation)
class PresenceStatusTranslationAdmin(AuditedAdmin):
    list_display = ("status", "language", "presence_text")
    list_filter = ("language", "status")
    search_fields = ("presence_text", "status__name")
    list_select_related = ("status",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "status":
            kwargs["queryset"] = PresenceStatus.objects.filter(builtin_key__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status.is_builtin:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status.is_builtin:
            return False
        return super().has_delete_permission(request, obj)


# --- People ---------------------------------------------------------------------------------


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    list_display = ("name", "representative_count", "created_at")
    search_fields = ("name",)
    autocomplete_fields = ("supervisors",)

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(_representative_count=Count("representatives"))
        )

    @admin.display(description="representatives", ordering="_representative_count")
    def representative_count(self, obj):
        return obj._representative_count


class RepresentativeProfileInline(admin.TabularInline):
    model = RepresentativeProfile
    extra = 0
    autocomplete_fields = ("profile",)


@admin.register(Representative)
class RepresentativeAdmin(AuditedAdmin):
    list_display = (
        "name",
        "email",
        "external_id",
        "user",
        "capacity_units",
        "default_presence",
        "current_presence",
        "language",
    )
    list_filter = ("teams", "default_presence", "language")
    search_fields = ("name", "email", "external_id", "user__username")
    list_select_related = ("user", "default_presence", "presence__status")
    autocomplete_fields = ("user", "teams")
    readonly_fields = ("created_at",)
    inlines = (RepresentativeProfileInline,)

    def capacity_reps(self, obj) -> list[int]:
        return [obj.pk]  # units, or the profiles inline

    @admin.display(description="current presence", ordering="presence__status__name")
    def current_presence(self, obj):
        try:
            presence = obj.presence
        except ObjectDoesNotExist:
            return "—"
        return f"{presence.status} ({presence.status.get_base_status_display()})"


# --- Capacity -------------------------------------------------------------------------------


@admin.register(CapacityProfile)
class CapacityProfileAdmin(AuditedAdmin):
    list_display = (
        "name",
        "limit",
        "blocking",
        "reset_frequency",
        "workstream_count",
        "created_at",
    )
    list_filter = ("blocking", "reset_frequency")
    search_fields = ("name",)

    def capacity_reps(self, obj) -> list[int]:
        return list(obj.representative_links.values_list("representative_id", flat=True))

    def get_readonly_fields(self, request, obj=None):
        """K2: a profile's reset cannot change; create another profile instead."""
        readonly = super().get_readonly_fields(request, obj)
        return (*readonly, "reset_frequency") if obj is not None else readonly

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_workstream_count=Count("workstreams"))

    @admin.display(description="workstreams", ordering="_workstream_count")
    def workstream_count(self, obj):
        return obj._workstream_count


@admin.register(RepresentativeProfile)
class RepresentativeProfileAdmin(AuditedAdmin):
    list_display = ("representative", "profile", "limit_override")
    list_filter = ("profile",)
    search_fields = (*REP_SEARCH, "profile__name")
    list_select_related = ("representative", "profile")
    autocomplete_fields = ("representative", "profile")

    def capacity_reps(self, obj) -> list[int]:
        return [obj.representative_id]


@admin.register(Workstream)
class WorkstreamAdmin(AuditedAdmin):
    list_display = (
        "name",
        "channel",
        "units_per_conversation",
        "capacity_profile",
        "wrap_up_policy",
        "wrap_up_minutes",
        "offer_timeout_seconds",
    )
    list_filter = ("channel", "wrap_up_policy", "capacity_profile")
    search_fields = ("name", "external_id")
    list_select_related = ("capacity_profile",)
    autocomplete_fields = ("capacity_profile",)
    readonly_fields = ("created_at",)


# --- API tokens ---------------------------------------------------------------------------


@admin.action(description="Revoke selected tokens")
def revoke_tokens(modeladmin, request, queryset):
    now = timezone.now()
    live = list(queryset.filter(revoked_at__isnull=True))
    for token in live:
        api_token_revoke(token=token, actor=request.user, now=now)  # audited (A4)
    modeladmin.message_user(request, f"Revoked {len(live)} token(s).")


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    """Tokens are created where the token can be shown once; here they are listed and revoked."""

    list_display = ("prefix", "name", "user", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("prefix", "name", "user__username")
    list_select_related = ("user",)
    fields = ("prefix", "name", "user", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "user", "created_at", "last_used_at")
    actions = (revoke_tokens,)

    def has_add_permission(self, request):
        return False
