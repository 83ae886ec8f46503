"""Capacity profiles (K2) and the reps who hold them (K1, K2)."""

from __future__ import annotations

from django import forms

from presence.models import CapacityProfile, Representative, ResetFrequency

from ._base import ServiceForm, model_field


class CapacityProfileForm(ServiceForm):
    """K2. On an existing profile the reset frequency is shown read-only, never posted."""

    name = model_field(
        CapacityProfile, "name", help_text="Unique, ignoring case. At most 100 characters."
    )
    limit = forms.IntegerField(
        label="Work item limit",
        min_value=0,
        max_value=100,
        help_text="How many conversations of this profile a representative handles at once "
        "(0 to 100). A representative's own limit overrides it for them.",
    )
    blocking = forms.BooleanField(
        required=False,
        label="Assignment blocking",
        help_text="On: at the limit, the representative gets no new automatic assignment or "
        "offer; a supervisor can still force one.",
    )
    reset_frequency = forms.ChoiceField(
        choices=ResetFrequency.choices,
        initial=ResetFrequency.IMMEDIATE,
        help_text="Immediately: a work item stops counting when its conversation stops using "
        "capacity. End of day: work items stop counting at midnight in the representative's "
        "time zone. Fixed once the profile exists.",
    )

    def __init__(self, *args, profile: CapacityProfile | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if profile is not None:
            del self.fields["reset_frequency"]  # K2: fixed at creation

    def changes(self) -> dict:
        return dict(self.cleaned_data)


def _own_limit() -> forms.IntegerField:
    """K2: a rep's own limit on a profile, 0 to 100; blank means the profile's limit."""
    return forms.IntegerField(
        label="Own limit",
        required=False,
        min_value=0,
        max_value=100,
        help_text="Blank: the profile's limit.",
    )


class MemberLimitForm(ServiceForm):
    """K2: a rep's own limit on a profile; blank means the profile's limit."""

    limit = _own_limit()


class MemberAddForm(ServiceForm):
    """Shown under the profile's own form, which has a `limit` too: ids of its own (id_add_…)."""

    representative = forms.ModelChoiceField(
        queryset=Representative.objects.none(),
        label="Representative",
        empty_label="Choose a representative…",
        error_messages={"invalid_choice": "Pick a representative from the list."},
    )
    limit = _own_limit()

    def __init__(self, *args, profile: CapacityProfile, **kwargs):
        kwargs.setdefault("auto_id", "id_add_%s")
        super().__init__(*args, **kwargs)
        self.fields["representative"].queryset = Representative.objects.exclude(
            profile_links__profile=profile
        ).order_by("name")


class CapacityUnitsForm(ServiceForm):
    capacity_units = forms.IntegerField(
        label="Capacity units",
        min_value=0,
        max_value=10_000,
        help_text="0: managed by profiles alone.",
    )
