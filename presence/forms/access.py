"""Teams (A2), roles (A1) and API tokens."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from presence.models import Team

from ._base import ServiceForm, model_field


def _user_label(user) -> str:
    full = user.get_full_name()
    return f"{full} ({user.get_username()})" if full else user.get_username()


class UserChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return _user_label(obj)


class TeamForm(ServiceForm):
    name = model_field(Team, "name", help_text="Unique, ignoring case.")
    supervisors = UserChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="They see and act on this team's representatives only. Listed: members "
        "of the Supervisors group, and the current supervisors.",
    )
    service_fields = {"supervisor_usernames": "supervisors"}

    def __init__(self, *args, team: Team | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(groups__name="Supervisors")
        if team is not None:
            users = users | get_user_model().objects.filter(supervised_teams=team)
        self.fields["supervisors"].queryset = users.distinct().order_by("username")

    def changes(self) -> dict:
        return {
            "name": self.cleaned_data["name"],
            "supervisor_usernames": [u.get_username() for u in self.cleaned_data["supervisors"]],
        }


class TeamMembersAddForm(ServiceForm):
    keys = forms.CharField(
        label="Add representatives",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "ada@example.com\nEXT-042"}),
        help_text="One per line (or comma-separated): e-mail or external id.",
        max_length=200_000,
    )
    service_fields = {"representative_ids": "keys"}

    def key_list(self) -> list[str]:
        raw = self.cleaned_data["keys"].replace(",", "\n")
        return list(dict.fromkeys(k.strip() for k in raw.splitlines() if k.strip()))


class RolesForm(ServiceForm):
    groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Roles",
    )


class TokenCreateForm(ServiceForm):
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        empty_label="Choose a user…",
        help_text="The token acts as this user, with this user's permissions.",
        error_messages={"invalid_choice": "Pick an active user from the list."},
    )
    name = forms.CharField(
        max_length=100,
        required=False,
        help_text="What uses it, e.g. “Routing engine”. Optional.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].label_from_instance = _user_label
