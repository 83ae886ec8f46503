"""The alert rule form (admins) and the alerts history filters (supervisors). Forms parse; the
services (reports.alerts.services) check the rules and name the field of a refusal."""

from __future__ import annotations

from django import forms

from portal.forms import validate_day
from presence.forms import ServiceForm, StatusChoiceField
from presence.models import BaseStatus, PresenceStatus, Team, Workstream
from reports.models import AlertKind, AlertRule


class AlertRuleForm(ServiceForm):
    name = forms.CharField(max_length=100, help_text="What supervisors read on the banner.")
    kind = forms.ChoiceField(
        choices=AlertKind.choices,
        label="Alert when",
        help_text="What the alert watches; the fields below say which ones each kind takes.",
    )
    status = StatusChoiceField(
        queryset=PresenceStatus.objects.all(),
        required=False,
        empty_label="(no single status)",
        help_text="Representative in a status: one status (e.g. Do not disturb, Inactive)…",
    )
    base_status = forms.ChoiceField(
        choices=[("", "(no base status)"), *BaseStatus.choices],
        required=False,
        label="Base status",
        help_text="…or every status of one base status. Choose one of the two.",
    )
    workstream = forms.ModelChoiceField(
        queryset=Workstream.objects.order_by("name"),
        required=False,
        empty_label="Every queue",
        label="Queue",
        help_text="Longest wait, service level and stuck conversations: one queue or every one.",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label="Every team together",
        help_text="Free capacity: one team's signed-in representatives, or all of them.",
    )
    threshold = forms.IntegerField(
        min_value=0,
        max_value=10_000_000,
        initial=15,
        help_text="Minutes in the status; seconds of longest wait; service level in % (answered "
        "within each queue's own service level threshold, as on the queues report); free "
        "capacity units. Stuck conversations use the portal's stuck threshold.",
    )
    is_active = forms.BooleanField(
        required=False, initial=True, label="Active", help_text="Inactive alerts find nothing."
    )

    def changes(self) -> dict:
        data = dict(self.cleaned_data)
        data["base_status"] = data.get("base_status") or ""
        return data

    @staticmethod
    def initial_for(rule: AlertRule) -> dict:
        return {
            "name": rule.name,
            "kind": rule.kind,
            "status": rule.status_id,
            "base_status": rule.base_status,
            "workstream": rule.workstream_id,
            "team": rule.team_id,
            "threshold": rule.threshold,
            "is_active": rule.is_active,
        }


STATE_CHOICES = [("", "Open and ended"), ("open", "Open"), ("ended", "Ended")]
ACK_CHOICES = [("", "Either"), ("yes", "Acknowledged"), ("no", "Not acknowledged")]


class AlertHistoryForm(forms.Form):
    # validate_day: 9999-12-31 had no next day (an OverflowError, a 500, in the history's range).
    start = forms.DateField(
        required=False,
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_day],
    )
    end = forms.DateField(
        required=False,
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_day],
    )
    kind = forms.ChoiceField(choices=[("", "Every kind"), *AlertKind.choices], required=False)
    rule = forms.ModelChoiceField(
        queryset=AlertRule.objects.order_by("name"), required=False, empty_label="Every alert"
    )
    state = forms.ChoiceField(choices=STATE_CHOICES, required=False)
    acknowledged = forms.ChoiceField(choices=ACK_CHOICES, required=False)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The end date is before the start date.")
        return data
