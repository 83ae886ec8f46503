"""The forms of the real-time reports (their filter forms are django-filter's, filters.py)."""

from django import forms

from presence.forms import StatusChoiceField
from presence.selectors import pickable_statuses


class SetPresenceForm(forms.Form):
    status = StatusChoiceField(
        label="New presence",
        queryset=pickable_statuses(),
        empty_label=None,
        error_messages={"invalid_choice": "Pick one of the listed statuses."},
    )
