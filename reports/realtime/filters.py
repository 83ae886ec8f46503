"""Filter forms of the real-time reports (django-filter). Every filter narrows a queryset that is
already scoped to what the user may see (A2); a team a supervisor does not supervise is not even
a choice, so asking for it is a form error on the field, never someone else's data.

Choices of teams, workstreams and statuses are read lazily with one plain query each, and only
when the form is drawn or the parameter is given: the live region that polls every few seconds
does not pay for them (ModelChoiceFilter would read each through a server-side cursor).
"""

from __future__ import annotations

from collections.abc import Callable

import django_filters
from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from presence.filters import SearchFilter
from presence.models import (
    BaseStatus,
    BuiltinStatus,
    Channel,
    Conversation,
    PresenceStatus,
    Representative,
    RepresentativeProfile,
    Workstream,
    status_label,
)
from presence.selectors import teams_visible_to

from .selectors import ONGOING_STATES, offline_q, stuck_q


def _choices(queryset: QuerySet, *fields: str) -> Callable[[], list[tuple[int, str]]]:
    return lambda: list(queryset.values_list("pk", *fields))


def _workstream_choices() -> list[tuple[int, str]]:
    labels = dict(Channel.choices)
    return [
        (pk, f"{name} ({labels.get(channel, channel)})")
        for pk, name, channel in Workstream.objects.order_by("name").values_list(
            "pk", "name", "channel"
        )
    ]


def _status_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Statuses grouped by base status, custom ones (C2) next to the built-in ones."""
    groups: dict[str, list[tuple[int, str]]] = {label: [] for label in BaseStatus.labels}
    labels = dict(BaseStatus.choices)
    for pk, text, name, base in PresenceStatus.objects.in_display_order().values_list(
        "pk", "presence_text", "name", "base_status"
    ):
        groups[labels[base]].append((pk, status_label(presence_text=text, name=name)))
    return [(label, items) for label, items in groups.items() if items]


class _ScopedFilterSet(django_filters.FilterSet):
    def __init__(self, *args, user: AbstractBaseUser, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["team"].extra["choices"] = _choices(teams_visible_to(user=user), "name")


class AgentFilter(_ScopedFilterSet):
    """R1 filters: team, workstream, channel, status, base status, search by name.

    A rep belongs to a workstream (or a channel) when they hold the workstream's capacity profile
    or have a conversation of it that is not closed: the portal has no other rep-to-workstream link.
    """

    q = SearchFilter(label="Name", method="filter_name")
    team = django_filters.ChoiceFilter(
        label="Team", choices=list, method="filter_team", empty_label="All teams"
    )
    workstream = django_filters.ChoiceFilter(
        label="Workstream",
        choices=_workstream_choices,
        method="filter_workstream",
        empty_label="All workstreams",
    )
    channel = django_filters.ChoiceFilter(
        label="Channel",
        choices=Channel.choices,
        method="filter_channel",
        empty_label="All channels",
    )
    status = django_filters.ChoiceFilter(
        label="Status", choices=_status_choices, method="filter_status", empty_label="All statuses"
    )
    base_status = django_filters.ChoiceFilter(
        label="Base status",
        choices=BaseStatus.choices,
        method="filter_base_status",
        empty_label="All base statuses",
    )

    class Meta:
        model = Representative
        fields: list[str] = []

    def filter_name(self, queryset, name, value):
        return queryset.filter(name__icontains=value)

    def filter_team(self, queryset, name, value):
        return queryset.filter(teams=value)

    def _working_on(self, queryset, **workstream):
        """Reps holding the profile of a matching workstream, or handling one of its conversations."""
        profiles = Workstream.objects.filter(capacity_profile__isnull=False, **workstream).values(
            "capacity_profile"
        )
        holds = RepresentativeProfile.objects.filter(
            representative=OuterRef("pk"), profile__in=profiles
        )
        handles = Conversation.objects.filter(
            representative=OuterRef("pk"),
            state__in=ONGOING_STATES,
            **{f"workstream__{key}": value for key, value in workstream.items()},
        )
        return queryset.filter(Exists(holds) | Exists(handles))

    def filter_workstream(self, queryset, name, value):
        return self._working_on(queryset, pk=value)

    def filter_channel(self, queryset, name, value):
        return self._working_on(queryset, channel=value)

    def filter_status(self, queryset, name, value):
        # A rep who never signed in has no presence row and counts as Offline.
        is_offline = Exists(
            PresenceStatus.objects.filter(pk=value, builtin_key=BuiltinStatus.OFFLINE)
        )
        return queryset.filter(Q(presence__status=value) | (Q(presence__isnull=True) & is_offline))

    def filter_base_status(self, queryset, name, value):
        if value == BaseStatus.OFFLINE:
            return queryset.filter(offline_q())
        return queryset.filter(presence__status__base_status=value)


class OngoingFilter(_ScopedFilterSet):
    """R2 filters: team, workstream, channel, state, stuck only, search by rep name."""

    q = SearchFilter(label="Representative", method="filter_name")
    team = django_filters.ChoiceFilter(
        label="Team", choices=list, field_name="representative__teams", empty_label="All teams"
    )
    workstream = django_filters.ChoiceFilter(
        label="Workstream",
        choices=_workstream_choices,
        field_name="workstream",
        empty_label="All workstreams",
    )
    channel = django_filters.ChoiceFilter(
        label="Channel",
        choices=Channel.choices,
        field_name="workstream__channel",
        empty_label="All channels",
    )
    state = django_filters.ChoiceFilter(
        label="State",
        choices=[(s.value, s.label) for s in ONGOING_STATES],
        empty_label="All states",
    )
    stuck = django_filters.BooleanFilter(
        label="Stuck only", method="filter_stuck", widget=forms.CheckboxInput
    )

    class Meta:
        model = Conversation
        fields: list[str] = []

    def __init__(self, *args, now, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now

    def filter_name(self, queryset, name, value):
        return queryset.filter(representative__name__icontains=value)

    def filter_stuck(self, queryset, name, value):
        return queryset.filter(stuck_q(now=self.now)) if value else queryset
