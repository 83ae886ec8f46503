"""Shared by the configuration forms: a service's refusal shown next to the field it names."""

from __future__ import annotations

from django import forms

from portal.exceptions import ApplicationError


class ServiceForm(forms.Form):
    """A form whose data a service validates (the one place of each rule).

    The form parses input (types, required, the model's lengths); the service checks the rules
    and raises ApplicationError naming a field; `add_service_error` puts its message there.
    `service_fields` maps the service's field names to the form's.
    """

    service_fields: dict[str, str] = {}

    def add_error(self, field, error) -> None:
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:  # Pico and screen readers mark the field itself
                self.fields[name].widget.attrs["aria-invalid"] = "true"

    def add_service_error(self, error: ApplicationError) -> None:
        name = self.service_fields.get(error.field or "", error.field)
        self.add_error(name if name in self.fields else None, error.detail)


def model_field(model, name: str, **kwargs) -> forms.Field:
    """The form field Django derives from a model field (its lengths and choices: no rule twice)."""
    field = model._meta.get_field(name).formfield(**kwargs)
    return field


class StatusChoiceField(forms.ModelChoiceField):
    """A status dropdown of the admins' and supervisors' pages: statuses in display order
    (PresenceStatus.objects.in_display_order) named by PresenceStatus.label, "In training
    (Training)"."""

    def __init__(self, *, queryset, **kwargs):
        super().__init__(queryset=queryset.in_display_order(), **kwargs)

    def label_from_instance(self, obj) -> str:
        return obj.label
