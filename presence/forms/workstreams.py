"""Workstreams: every setting of the model, each with the sentence that says what it does."""

from __future__ import annotations

from django import forms
from django.conf import settings

from presence.models import BaseStatus, CapacityProfile, Channel, WrapUpPolicy

from ._base import ServiceForm

SECONDS_HELP = "Empty: never. Each channel has defaults; a new workstream takes them."


class WorkstreamForm(ServiceForm):
    name = forms.CharField(
        max_length=100, help_text="Shown to supervisors and in reports; unique, ignoring case."
    )
    channel = forms.ChoiceField(
        choices=Channel.choices,
        help_text="The kind of conversation this workstream routes; it sets the default "
        "auto-close times of a new workstream.",
    )
    units_per_conversation = forms.IntegerField(
        min_value=1,
        max_value=1000,
        initial=1,
        label="Units per conversation",
        help_text="Capacity units one conversation of this workstream takes from a "
        "representative who has units configured.",
    )
    capacity_profile = forms.ModelChoiceField(
        queryset=CapacityProfile.objects.order_by("name"),
        required=False,
        empty_label="No profile",
        label="Capacity profile",
        help_text="Every conversation uses one work item of this profile; at the profile's "
        "limit the representative is full.",
    )
    wrap_up_policy = forms.ChoiceField(
        choices=WrapUpPolicy.choices,
        initial=WrapUpPolicy.ALWAYS,
        label="Wrap-up uses capacity",
        help_text="Until closed: wrap-up keeps the capacity until the conversation closes. For "
        "some minutes: it is released after the minutes below. Never: released when wrap-up "
        "starts.",
    )
    wrap_up_minutes = forms.IntegerField(
        min_value=1,
        max_value=60,
        required=False,
        label="Wrap-up minutes",
        help_text='Only with "For some minutes": how long (1 to 60) wrap-up keeps the capacity.',
    )
    allowed_base_statuses = forms.MultipleChoiceField(
        choices=BaseStatus.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[BaseStatus.AVAILABLE, BaseStatus.BUSY],
        label="Offer work to representatives who are",
        help_text="A representative is offered or pushed this workstream's conversations only "
        "while their base status is one of these; a supervisor can still force one.",
    )
    offer_timeout_seconds = forms.IntegerField(
        min_value=1,
        max_value=86400,
        initial=60,
        label="Offer timeout (seconds)",
        help_text="How long an offer waits for the representative; then it is missed and the "
        "conversation goes back to the queue.",
    )
    missed_makes_inactive = forms.BooleanField(
        required=False,
        label="A missed offer makes the representative Inactive",
        help_text="They stay Inactive until they reset or change their presence.",
    )
    reject_makes_dnd = forms.BooleanField(
        required=False,
        label="A rejected offer makes the representative Do not disturb",
        help_text="They stay in Do not disturb until they reset or change their presence.",
    )
    external_id = forms.CharField(
        max_length=100,
        required=False,
        label="External id",
        help_text="Your own identifier, for API clients (?external_id=); unique; optional.",
    )
    autoclose_open_seconds = forms.IntegerField(
        min_value=1,
        required=False,
        label="Auto-close when queued (seconds)",
        help_text="A conversation waiting in the queue this long with no activity is closed. "
        + SECONDS_HELP,
    )
    autoclose_active_seconds = forms.IntegerField(
        min_value=1,
        required=False,
        label="Auto-close when active (seconds)",
        help_text="An active conversation idle this long is closed (voice: moved to wrap-up). "
        + SECONDS_HELP,
    )
    autoclose_wrap_up_seconds = forms.IntegerField(
        min_value=1,
        required=False,
        label="Auto-close in wrap-up (seconds)",
        help_text="A conversation in wrap-up this long is closed, releasing its capacity. "
        + SECONDS_HELP,
    )
    service_level_seconds = forms.IntegerField(
        min_value=1,
        max_value=86400,
        initial=20,
        required=False,
        label="Service level threshold (seconds)",
        help_text="The queues report counts a conversation as answered within service level "
        "when a representative took it within this many seconds of its arrival.",
    )
    timezone = forms.CharField(
        max_length=64,
        initial=settings.TIME_ZONE,
        required=False,
        label="Time zone",
        help_text="The zone in which the queues report cuts this workstream's day "
        "(an IANA name, e.g. Europe/Paris). Empty: the portal's.",
    )
    service_fields = {"capacity_profile_id": "capacity_profile"}

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.creating = creating
        if creating:
            for name in (
                "autoclose_open_seconds",
                "autoclose_active_seconds",
                "autoclose_wrap_up_seconds",
            ):
                self.fields[
                    name
                ].help_text += " Leave all three empty to take the channel's defaults."

    def changes(self) -> dict:
        data = dict(self.cleaned_data)
        profile = data.pop("capacity_profile")
        data["capacity_profile_id"] = profile.pk if profile else None
        data["external_id"] = data["external_id"] or None
        if data.get("service_level_seconds") is None:
            data.pop("service_level_seconds", None)  # the default (20 s), or unchanged
        if not (data.get("timezone") or "").strip():
            data["timezone"] = settings.TIME_ZONE
        autoclose = (
            "autoclose_open_seconds",
            "autoclose_active_seconds",
            "autoclose_wrap_up_seconds",
        )
        if self.creating and all(data[name] is None for name in autoclose):
            for name in autoclose:
                del data[name]  # the service takes the channel's V2 defaults
        return data
