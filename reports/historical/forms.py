"""The filter form of the historical agents report (R3): every value from the URL, validated.

A bad value becomes a message on its field; the page never fails with a 500."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.http import QueryDict

from portal.forms import validate_day
from presence.models import Channel, Team, Workstream
from presence.selectors import representatives_visible_to, teams_visible_to

from .filters import HistoricalFilters

PERIODS = [
    ("today", "Today"),
    ("yesterday", "Yesterday"),
    ("last_7_days", "Last 7 days"),
    ("last_30_days", "Last 30 days"),
    ("this_month", "This month"),
    ("custom", "Custom dates"),
]
DEFAULT_PERIOD = "last_7_days"
# A drill-down timeline covers a month at most (R3).
TIMELINE_MAX_DAYS = 31


@functools.cache
def time_zone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def max_report_days() -> int:
    """Nothing older than the retention period exists, so a longer range is refused."""
    return settings.REPORT_RETENTION_MONTHS * 31


def period_dates(period: str, today: dt.date) -> tuple[dt.date, dt.date]:
    if period == "today":
        return today, today
    if period == "yesterday":
        day = today - dt.timedelta(days=1)
        return day, day
    if period == "last_30_days":
        return today - dt.timedelta(days=29), today
    if period == "this_month":
        return today.replace(day=1), today
    return today - dt.timedelta(days=6), today  # last_7_days


def _day_label(day: dt.date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def period_choices(today: dt.date) -> list[tuple[str, str]]:
    """The periods with the days each covers, so the form says which range the page shows:
    "Last 7 days (Wed 25 Nov – Tue 1 Dec)"."""
    choices = []
    for key, label in PERIODS:
        if key != "custom":
            first, last = period_dates(key, today)
            days = (
                _day_label(first) if first == last else f"{_day_label(first)} – {_day_label(last)}"
            )
            label = f"{label} ({days})"
        choices.append((key, label))
    return choices


class HistoricalFilterForm(forms.Form):
    period = forms.ChoiceField(choices=PERIODS, required=False, label="Period")
    date_from = forms.DateField(
        required=False,
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_day],
    )
    date_to = forms.DateField(
        required=False,
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_day],
    )
    tz = forms.CharField(
        required=False,
        max_length=64,
        label="Time zone",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, label="Team")
    representative = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, label="Representative"
    )
    workstream = forms.ModelChoiceField(
        queryset=Workstream.objects.all(), required=False, label="Workstream"
    )
    channel = forms.ChoiceField(
        choices=[("", "Any channel"), *Channel.choices], required=False, label="Channel"
    )

    def __init__(
        self,
        data,
        *,
        user: AbstractBaseUser,
        now: dt.datetime,
        default_tz: str,
        max_days: int | None = None,
        scoped: bool = True,
    ):
        super().__init__(data)
        self.now = now
        self.default_tz = default_tz
        self.max_days = max_days or max_report_days()
        if scoped:
            # A2: only the user's teams and reps are choices; another id is "not a valid choice".
            self.fields["team"].queryset = teams_visible_to(user=user)
            self.fields["representative"].queryset = representatives_visible_to(user=user).order_by(
                "name", "pk"
            )
        else:
            for name in ("team", "representative", "workstream", "channel"):
                del self.fields[name]
        self.fields["tz"].widget.attrs["placeholder"] = default_tz

    def full_clean(self) -> None:
        """Once valid, the form shows what the page shows (review finding 13): the period in
        force (the default one when none was given), its days, the zone in force (the session's
        when the URL had none), and dates only when they apply (Custom dates)."""
        super().full_clean()
        if self.is_bound and not self._errors:
            self.data = self.shown_query(self.data)
            today = self.now.astimezone(self.cleaned_data["tz"]).date()
            self.fields["period"].choices = period_choices(today)

    def shown_query(self, query: QueryDict) -> QueryDict:
        """`query` with the period and zone in force: links built from it (sorting, pages, the
        exports, other days) show the same figures to whoever opens them."""
        data = self.cleaned_data
        shown = QueryDict(mutable=True)
        shown.update(query)
        shown["period"] = data["period"]
        shown["tz"] = data["tz"].key
        if data["period"] != "custom":
            shown.pop("date_from", None)
            shown.pop("date_to", None)
        return shown

    def clean_tz(self) -> zoneinfo.ZoneInfo:
        name = (self.cleaned_data.get("tz") or self.default_tz).strip()
        if name not in time_zone_names():
            raise forms.ValidationError(
                f"“{name}” is not a time zone. Use an IANA name such as Europe/Paris."
            )
        return zoneinfo.ZoneInfo(name)

    def clean(self):
        data = super().clean()
        tz = data.get("tz")
        if tz is None:
            return data
        today = self.now.astimezone(tz).date()
        period = data.get("period") or ""
        if not period:
            has_dates = data.get("date_from") or data.get("date_to")
            period = "custom" if has_dates else DEFAULT_PERIOD
        data["period"] = period
        if period != "custom":
            data["date_from"], data["date_to"] = period_dates(period, today)
            return data
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if "date_from" in self.errors or "date_to" in self.errors:
            return data
        if date_from is None:
            self.add_error("date_from", "Enter the first day of the range.")
        if date_to is None:
            self.add_error("date_to", "Enter the last day of the range.")
        if date_from and date_to:
            if date_to < date_from:
                self.add_error("date_to", "The last day is before the first day.")
            elif (date_to - date_from).days + 1 > self.max_days:
                self.add_error(
                    "date_to", f"The range is longer than {self.max_days} days; shorten it."
                )
        return data

    def filters(self) -> HistoricalFilters:
        data = self.cleaned_data
        return HistoricalFilters(
            date_from=data["date_from"],
            date_to=data["date_to"],
            tz=data["tz"],
            team=data.get("team"),
            representative=data.get("representative"),
            workstream=data.get("workstream"),
            channel=data.get("channel") or "",
        )
