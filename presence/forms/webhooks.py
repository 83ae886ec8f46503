"""Webhook endpoints: the form parses; presence.services.config.webhooks checks (URL, address)."""

from __future__ import annotations

from django import forms

from presence.models import Team

from ._base import ServiceForm


class WebhookForm(ServiceForm):
    url = forms.CharField(
        max_length=2000,
        label="URL",
        help_text="Where events are sent (http:// or https://), one POST per event, signed. "
        "Private and loopback addresses are refused unless the server allows them.",
        widget=forms.URLInput,
    )
    description = forms.CharField(
        max_length=200, required=False, help_text="What receives these events; optional."
    )
    event_types = forms.CharField(
        max_length=2000,
        required=False,
        label="Event types",
        help_text="Separated by spaces or commas, e.g. presence.changed offer.decided. "
        "Empty: every type.",
    )
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only events of representatives of these teams. None ticked: every team, and "
        "the events of no representative (configuration changes).",
    )
    active = forms.BooleanField(
        required=False,
        initial=True,
        help_text="Unticked: nothing is sent. Ticking it on a disabled endpoint enables it again; "
        "it resumes at the event it stopped at.",
    )
    service_fields = {"team_ids": "teams"}

    def changes(self) -> dict:
        data = dict(self.cleaned_data)
        data["team_ids"] = sorted(team.pk for team in data.pop("teams"))
        data["event_types"] = data["event_types"].replace(",", " ").split()
        return data
