"""What every admin of the presence app shares: auditing each change (AuditedAdmin, A4) and
read-only views of runtime state and history (ReadOnlyAdminMixin)."""

from django.contrib import admin
from django.db import transaction
from django.utils import timezone

from .. import engine
from ..models import AuditLogEntry, RepresentativePresence
from ..services.audit import audit_bulk_create, audit_entry
from ..services.presence import presence_recalculate

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
