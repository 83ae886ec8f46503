"""Presence statuses (C1) and their translations (C4)."""

from __future__ import annotations

from django import forms
from django.conf import settings

from presence.models import BaseStatus, PresenceStatus

from ._base import ServiceForm, model_field


class PresenceStatusForm(ServiceForm):
    """C1. Lengths and choices come from the model; uniqueness and the rest from the service."""

    name = model_field(
        PresenceStatus, "name", help_text="Unique among statuses, ignoring case. At most 100."
    )
    presence_text = model_field(
        PresenceStatus,
        "presence_text",
        help_text="What representatives and reports show. At most 500 characters.",
    )
    description = model_field(
        PresenceStatus,
        "description",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For admins only: when to use it. At most 500 characters.",
    )
    base_status = forms.ChoiceField(
        choices=[("", "— pick one —"), *BaseStatus.choices],
        help_text="Routing, capacity and KPIs treat the status exactly as this one.",
    )
    user_can_set = forms.BooleanField(
        required=False,
        initial=True,
        label="Representatives can set it",
        help_text="Off: only supervisors can set it, and it cannot be a default presence.",
    )
    is_active = forms.BooleanField(
        required=False,
        initial=True,
        label="Active",
        help_text="Off: nobody can pick it or make it a default; reps holding it keep it.",
    )

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields}


class TranslationsForm(ServiceForm):
    """C4: one presence text per language; blank removes that language's text."""

    def __init__(self, *args, status: PresenceStatus, **kwargs):
        stored = {t.language: t.presence_text for t in status.translations.all()}
        super().__init__(*args, initial=kwargs.pop("initial", None) or {}, **kwargs)
        for code, label in settings.LANGUAGES:
            if code == settings.LANGUAGE_CODE:
                continue  # the status's own presence text is the default language's
            self.fields[f"presence_text_{code}"] = forms.CharField(
                label=f"{label} ({code})",
                required=False,
                max_length=PresenceStatus._meta.get_field("presence_text").max_length,
                initial=stored.get(code, ""),
                help_text=f'Blank: {label} speakers see "{status.presence_text}".',
            )

    def texts(self) -> dict[str, str]:
        return {
            name.removeprefix("presence_text_"): value for name, value in self.cleaned_data.items()
        }
