"""Django admin of the presence app: a tool for looking at raw rows, open to portal admins only
(portal/admin_site.py: it is not scoped by team, A2).

Everything that carries a rule is guarded here as well:

- Built-in statuses (B2) can be looked at, never changed or deleted.
- History (H3) and the audit log (A4) are never rewritten: read-only.
- Current presence, conversations, offers and clients are runtime state kept by the services
  (a presence change must close and open history intervals in the same transaction, H1;
  conversations carry capacity bookkeeping, K3/K4): read-only, so an admin edit cannot
  bypass those rules. Use the portal's pages for changes.
- API tokens show their prefix only; the hash is never shown or editable; revoking goes through
  the service (audited, A4).
- Every add, change and delete of configuration made here is audited like the portal's own
  (A4: who, when, what, old and new value; AuditedAdmin), and a change of a rep's capacity
  configuration (units, profiles, limits) recalculates them at once (P4). A capacity profile's
  reset is read-only once created (K2).

Foreign keys to Representative and to users use autocomplete: there are 10,000+ reps.
"""

from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from . import engine
from .models import (
    ApiToken,
    AuditLogEntry,
    CapacityProfile,
    Client,
    Conversation,
    ConversationParticipant,
    Offer,
    PresenceInterval,
    PresenceStatus,
    PresenceStatusTranslation,
    Representative,
    RepresentativePresence,
    RepresentativeProfile,
    Team,
    Workstream,
)
from .services.audit import audit_bulk_create, audit_entry
from .services.presence import presence_recalculate
from .services.tokens import api_token_revoke

REP_SEARCH = ("representative__name", "representative__email", "representative__external_id")


def _plain(value):
    """A value as the audit log keeps it (JSON): objects by their name, lists sorted."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set):
        return sorted(str(item) for item in value)
    return str(value)


def _values(obj, names) -> dict:
    """The current value of each field `names` of `obj` (many-to-many ones as a list)."""
    values = {}
    for name in names:
        field = obj._meta.get_field(name)
        value = getattr(obj, name)
        values[name] = _plain(list(value.all()) if field.many_to_many else value)
    return values


def _entry(request, action: str, obj, before, after) -> AuditLogEntry:
    return audit_entry(
        actor=request.user,
        action=f"{obj._meta.verbose_name.replace(' ', '_')}.{action}",
        obj=obj,
        before=before,
        after=after,
        now=timezone.now(),
    )


def _audit(request, action: str, obj, before, after) -> None:
    _entry(request, action, obj, before, after).save()


class AuditedAdmin(admin.ModelAdmin):
    """A4: adds, changes and deletes made in the Django admin go to the audit log, with the old
    and new value of every changed field (inline rows too), as the portal's own pages do. P4: a
    change of a rep's capacity configuration recalculates them (capacity_reps)."""

    def capacity_reps(self, obj) -> list[int]:
        """The reps whose capacity configuration (units, profiles, limits) `obj` is part of."""
        return []

    def _recalculate(self, rep_ids) -> None:
        """P4, as the portal's capacity pages do, for the reps that have a presence (one who
        never signed in is Offline whatever their capacity; a deleted one has none)."""
        presences = RepresentativePresence.objects.filter(pk__in=rep_ids)
        rep_ids = list(presences.values_list("pk", flat=True))
        if rep_ids:
            presence_recalculate(
                rep_ids=rep_ids, event=engine.Event.CAPACITY_CHANGE, now=timezone.now()
            )

    def save_model(self, request, obj, form, change):
        if change and form.changed_data:
            old = type(obj)._default_manager.get(pk=obj.pk)
            form.audit_before = _values(old, form.changed_data)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # many-to-many saved: read after
        obj = form.instance
        if not change:
            _audit(request, "create", obj, None, _values(obj, form.changed_data))
        elif form.changed_data:
            _audit(request, "update", obj, form.audit_before, _values(obj, form.changed_data))
        self._recalculate(self.capacity_reps(obj))

    def save_formset(self, request, form, formset, change):
        """Inline rows (translations, a rep's capacity profiles): each one added, changed or
        deleted is an entry of its own."""
        edited = [f.instance.pk for f in formset.initial_forms if f.changed_data]
        old = formset.model._default_manager.in_bulk(edited)
        super().save_formset(request, form, formset, change)
        for row in formset.new_objects:
            _audit(request, "create", row, None, _values(row, _shown(formset, row)))
        for row, names in formset.changed_objects:
            _audit(request, "update", row, _values(old[row.pk], names), _values(row, names))
        for row in formset.deleted_objects:
            _audit(request, "delete", row, _values(row, _shown(formset, row)), None)

    def delete_model(self, request, obj):
        _audit(request, "delete", obj, _values(obj, _concrete(obj)), None)
        rep_ids = self.capacity_reps(obj)
        super().delete_model(request, obj)
        self._recalculate(rep_ids)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():  # the admin's bulk delete action runs outside one
            entries, rep_ids = [], []
            for obj in queryset:
                entries.append(_entry(request, "delete", obj, _values(obj, _concrete(obj)), None))
                rep_ids += self.capacity_reps(obj)
            audit_bulk_create(entries)
            super().delete_queryset(request, queryset)
            self._recalculate(rep_ids)


def _concrete(obj) -> list[str]:
    return [f.name for f in obj._meta.concrete_fields if not f.primary_key]


def _shown(formset, row) -> list[str]:
    """The fields an inline row's form shows (what the admin could have set)."""
    return [name for name in formset.form.base_fields if name in _concrete(row)]


class ReadOnlyAdminMixin:
    """View-only in the admin: no add, change or delete (and so no bulk delete action)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


# --- Audit and API ------------------------------------------------------------------------


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "actor_name", "action", "object_type", "object_id", "object_repr")
    list_filter = ("action", "object_type")
    search_fields = ("actor_name", "object_repr", "=object_id", "action")
    list_select_related = ("actor",)
    date_hierarchy = "created_at"
    show_full_result_count = False


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
