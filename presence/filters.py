"""Filter forms of the configuration pages (django-filter).

Every filter narrows a queryset already scoped to the admin (representatives_visible_to, A2).
Choices are read lazily, one plain query each, when the form is drawn or the parameter given.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from portal.forms import validate_day
from presence.audit_labels import object_type_label
from presence.models import (
    AuditLogEntry,
    PresenceStatus,
    Representative,
    RepresentativeProfile,
    Team,
    Workstream,
)

NO_DEFAULT = "none"
SEARCH_MAX_LENGTH = 100


class SearchFilter(django_filters.CharFilter):
    """The search box of every filter form: stripped, at most SEARCH_MAX_LENGTH characters, and a
    NUL character refused on the field (PostgreSQL cannot compare a string holding one: it was a
    500). Filters given to it see a clean, non-empty value or are not called."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", SEARCH_MAX_LENGTH)
        kwargs.setdefault("strip", True)
        kwargs.setdefault(
            "error_messages", {"null_characters_not_allowed": "Remove the NUL character."}
        )
        super().__init__(*args, **kwargs)


def _team_choices():
    return list(Team.objects.order_by("name").values_list("pk", "name"))


def _workstream_choices():
    return list(Workstream.objects.order_by("name").values_list("pk", "name"))


def _default_choices():
    statuses = PresenceStatus.objects.in_display_order().only(
        "pk", "name", "presence_text", "is_active"
    )
    return [
        (NO_DEFAULT, "No default (Available)"),
        *((str(s.pk), s.label if s.is_active else f"{s.label} (deactivated)") for s in statuses),
    ]


class RepresentativeDefaultFilter(django_filters.FilterSet):
    """Representatives by name or e-mail, team, workstream and current default (D4 filters).

    Workstream: reps who hold the workstream's capacity profile — the only configured link
    between reps and workstreams (a workstream without a profile matches nobody).
    """

    q = SearchFilter(label="Search", method="filter_q")
    team = django_filters.ChoiceFilter(
        label="Team", choices=_team_choices, method="filter_team", empty_label="All teams"
    )
    workstream = django_filters.ChoiceFilter(
        label="Workstream",
        choices=_workstream_choices,
        method="filter_workstream",
        empty_label="All workstreams",
    )
    default = django_filters.ChoiceFilter(
        label="Current default",
        choices=_default_choices,
        method="filter_default",
        empty_label="Any default",
    )

    class Meta:
        model = Representative
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["q"].widget.attrs.update(
            {"placeholder": "Name, e-mail or external id", "type": "search"}
        )

    def filter_q(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(email__icontains=value) | Q(external_id=value)
        )

    def filter_team(self, queryset, name, value):
        return queryset.filter(teams=value)

    def filter_workstream(self, queryset, name, value):
        profile = Workstream.objects.filter(pk=value).values("capacity_profile")
        return queryset.filter(
            Exists(
                RepresentativeProfile.objects.filter(
                    representative=OuterRef("pk"), profile__in=profile
                )
            )
        )

    def filter_default(self, queryset, name, value):
        if value == NO_DEFAULT:
            return queryset.filter(default_presence__isnull=True)
        return queryset.filter(default_presence=value)


class UserFilter(django_filters.FilterSet):
    """Users by user name, name or e-mail (the users and roles page, A1)."""

    q = SearchFilter(label="Search", method="filter_q")

    class Meta:
        model = get_user_model()
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["q"].widget.attrs.update(
            {"placeholder": "User name, name or e-mail", "type": "search"}
        )

    def filter_q(self, queryset, name, value):
        return queryset.filter(
            Q(username__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
            | Q(email__icontains=value)
        )


def _actor_choices():
    users = get_user_model().objects.filter(
        pk__in=AuditLogEntry.objects.filter(actor__isnull=False).values("actor")
    )
    return list(users.order_by("username").values_list("pk", "username"))


def _object_type_choices():
    types = AuditLogEntry.objects.order_by("object_type").values_list("object_type", flat=True)
    return sorted(((t, object_type_label(t)) for t in types.distinct()), key=lambda c: c[1])


class AuditFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "The last day comes before the first day.")
        return data


class AuditFilter(django_filters.FilterSet):
    """A4: who (actor), what (object type), when (a range of days in the server's time zone)."""

    actor = django_filters.ChoiceFilter(
        label="Who", choices=_actor_choices, field_name="actor", empty_label="Everyone"
    )
    object_type = django_filters.ChoiceFilter(
        label="What", choices=_object_type_choices, empty_label="Everything"
    )
    start = django_filters.DateFilter(
        label="From (day)",
        method="filter_start",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_day],
    )
    end = django_filters.DateFilter(
        label="To (day, included)",
        method="filter_end",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_day],
    )

    class Meta:
        model = AuditLogEntry
        fields: list[str] = []
        form = AuditFilterForm

    @staticmethod
    def _midnight(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

    def filter_start(self, queryset, name, value):
        return queryset.filter(created_at__gte=self._midnight(value))

    def filter_end(self, queryset, name, value):
        return queryset.filter(created_at__lt=self._midnight(value + dt.timedelta(days=1)))


def _status_choices():
    statuses = PresenceStatus.objects.in_display_order().only("pk", "name", "presence_text")
    return [(str(s.pk), s.label) for s in statuses]


class RepresentativeFilter(RepresentativeDefaultFilter):
    """The representatives page (issue 15): search, team, workstream (as D4's filter), current
    presence status, and active or deactivated."""

    default = None
    status = django_filters.ChoiceFilter(
        label="Presence now",
        choices=_status_choices,
        field_name="presence__status",
        empty_label="Any presence",
    )
    active = django_filters.ChoiceFilter(
        label="Active",
        choices=[("yes", "Active"), ("no", "Deactivated")],
        method="filter_active",
        empty_label="Active and deactivated",
    )

    def filter_active(self, queryset, name, value):
        return queryset.filter(is_active=value == "yes")
