"""The forms of the real-time reports (their filter forms are django-filter's, filters.py)."""

from django import forms

from presence.forms import StatusChoiceField
from presence.models import PresenceStatus


class SetPresenceForm(forms.Form):
    status = StatusChoiceField(
        label="New presence",
        queryset=PresenceStatus.objects.filter(is_active=True, user_can_set=True),
        empty_label=None,
        error_messages={"invalid_choice": "Pick one of the listed statuses."},
    )
